/* gather.c — the same two functions, gathered (seed 003, "Using the gather
 * function").
 *
 * asyncio.gather(f1(), f2()) wraps each coroutine in a task and waits until
 * all are done; the results come back in the order the awaitables were given,
 * whatever order they finish in. In C the tasks are explicit (their memory is
 * ours), and ASYNC_GATHER waits for their futures. Both sleep at once: 3 s. */
#include "port.h"

struct fn_frame { async_frame hdr; async_timer t; };

static ASYNC_FN(my_async_function1, struct fn_frame) {
    ASYNC_BEGIN();
    port_printf("Hello from my async function 1\n");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(3000)); /* await asyncio.sleep(3) */
    port_printf("Done with async function 1\n");
    ASYNC_RETURN(async_ptr("my_async_function1 result"));
    ASYNC_END();
}

static ASYNC_FN(my_async_function2, struct fn_frame) {
    ASYNC_BEGIN();
    port_printf("Hello from my async function 2\n");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(2000)); /* await asyncio.sleep(2) */
    port_printf("Done with async function 2\n");
    ASYNC_RETURN(async_ptr("my_async_function2 result"));
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_task task[2];
    struct fn_frame f[2];
    async_future *futs[2]; /* what gather waits for, in order */
    async_slot slots[2];   /* gather's bookkeeping, one per future */
    async_waitset ws;      /* gather's own frame */
    const char *result1, *result2;
};
static ASYNC_FN(main_async_function, struct main_frame) {
    ASYNC_BEGIN();
    port_printf("Starting main function\n");
    async_task_create(ASYNC_LOOP, &self->task[0], my_async_function1, &self->f[0], "f1");
    async_task_create(ASYNC_LOOP, &self->task[1], my_async_function2, &self->f[1], "f2");
    self->futs[0] = &self->task[0].fut;
    self->futs[1] = &self->task[1].fut;
    /* result1, result2 = await asyncio.gather(my_async_function1(), my_async_function2()) */
    ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
    self->result1 = (const char *)async_future_result(self->futs[0]).p;
    self->result2 = (const char *)async_future_result(self->futs[1]).p;
    port_printf("Done with main function\n");
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    async_time start;
    unsigned long ms;
    int err;
    async_task_init(&main_task);
    port_init();
    port_loop_init(&loop);
    start = async_loop_time(&loop);
    err = async_run(&loop, &main_task, main_async_function, &m);
    ms = port_elapsed_ms(&loop, start);
    port_loop_close(&loop);
    if (err) port_exit(1);
    port_printf("('%s', '%s')\n", m.result1, m.result2);
    port_printf("elapsed: %lu.%03lu s (3 s and 2 s at the same time)\n", ms / 1000, ms % 1000);
    port_exit(0);
    return 0;
}
