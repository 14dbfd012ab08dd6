/* sequential.c — awaiting two coroutines one after the other (seed 003,
 * "Using the async / await keywords").
 *
 * main awaits my_async_function1 and then my_async_function2. Each sleeps, so
 * each await does reach the loop — but the loop has nothing else to run: the
 * only task is main, and main waits for the first function before it even
 * starts the second. 3 s + 2 s = 5 s. */
#include "port.h"

/* Both functions share a frame type: a timer to sleep on. Since main runs them
 * one after the other, their frames share memory (a union in main's frame). */
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
    union { struct fn_frame f1, f2; } child; /* one child at a time */
    const char *result1, *result2;
};
static ASYNC_FN(main_async_function, struct main_frame) {
    ASYNC_BEGIN();
    port_printf("Starting main function\n");
    ASYNC_AWAIT_CO(my_async_function1, &self->child.f1); /* result1 = await my_async_function1() */
    self->result1 = (const char *)ASYNC_VALUE.p;
    ASYNC_AWAIT_CO(my_async_function2, &self->child.f2); /* result2 = await my_async_function2() */
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
    err = async_run(&loop, &main_task, main_async_function, &m); /* asyncio.run(...) */
    ms = port_elapsed_ms(&loop, start);
    port_loop_close(&loop);
    if (err) port_exit(1);
    port_printf("('%s', '%s')\n", m.result1, m.result2); /* print(result) */
    port_printf("elapsed: %lu.%03lu s (3 s + 2 s, one after the other)\n", ms / 1000, ms % 1000);
    port_exit(0);
    return 0;
}
