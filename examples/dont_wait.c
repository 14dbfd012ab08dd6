/* dont_wait.c — fire and forget (seed 003, "Don't wait").
 *
 * main creates two tasks and never awaits them: it only needs them to run, not
 * their results. They start as soon as main gives the loop a turn (its own
 * sleep), and they finish while main sleeps, because main sleeps longest. */
#include "port.h"

struct fn_frame { async_frame hdr; async_timer t; };

static ASYNC_FN(my_async_function1, struct fn_frame) {
    ASYNC_BEGIN();
    port_printf("Hello from my async function 1\n");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(2000));
    port_printf("Done with async function 1\n");
    ASYNC_END();
}

static ASYNC_FN(my_async_function2, struct fn_frame) {
    ASYNC_BEGIN();
    port_printf("Hello from my async function 2\n");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1000));
    port_printf("Done with async function 2\n");
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_timer t;
    async_task task1, task2; /* their memory must outlive them: keep it in the frame */
    struct fn_frame f1, f2;
};
static ASYNC_FN(main_async_function, struct main_frame) {
    ASYNC_BEGIN();
    port_printf("Starting main function\n");
    async_task_create(ASYNC_LOOP, &self->task1, my_async_function1, &self->f1, "task1");
    async_task_create(ASYNC_LOOP, &self->task2, my_async_function2, &self->f2, "task2");
    port_printf("main function doing other work\n");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(3000)); /* the tasks run while main sleeps */
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
    port_printf("elapsed: %lu.%03lu s\n", ms / 1000, ms % 1000);
    port_exit(err ? 1 : 0);
    return 0;
}
