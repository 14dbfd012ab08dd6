/* create_task.c — the same two functions as tasks (seed 003, "Creating tasks").
 *
 * create_task puts each coroutine on the loop's queue at once; they start on
 * the loop's next turn and sleep at the same time. main then awaits the first
 * task (3 s) and the second, which finished long before (2 s), so awaiting it
 * continues at once. Total: 3 s, the longer of the two. */
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
    async_task task1, task2;  /* tasks run concurrently: */
    struct fn_frame f1, f2;   /* each needs its own frame */
    const char *result1, *result2;
};
static ASYNC_FN(main_async_function, struct main_frame) {
    ASYNC_BEGIN();
    port_printf("Starting main function\n");
    async_task_create(ASYNC_LOOP, &self->task1, my_async_function1, &self->f1, "task1");
    async_task_create(ASYNC_LOOP, &self->task2, my_async_function2, &self->f2, "task2");
    ASYNC_AWAIT(&self->task1.fut); /* result1 = await task1 */
    self->result1 = (const char *)ASYNC_VALUE.p;
    ASYNC_AWAIT(&self->task2.fut); /* result2 = await task2 (already done) */
    self->result2 = (const char *)ASYNC_VALUE.p;
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
