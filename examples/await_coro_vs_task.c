/* await_coro_vs_task.c — awaiting a coroutine does not cede control; awaiting a
 * task does (seed 004, "await").
 *
 * main() first puts task_b on the loop's queue. Version 1 then awaits coro_a()
 * three times inline: each await is just a call, nothing suspends, so task_b
 * only gets its turn at the final `await task_b`. Version 2 wraps each coro_a()
 * in a task and awaits that: main() suspends, and the loop runs whatever is
 * queued first — task_b — before the task running coro_a(). */
#include "port.h"

struct empty { async_frame hdr; };

static ASYNC_FN(coro_a, struct empty) {
    ASYNC_BEGIN();
    port_printf("I am coro_a(). Hi!\n");
    ASYNC_END();
}

static ASYNC_FN(coro_b, struct empty) {
    ASYNC_BEGIN();
    port_printf("I am coro_b(). I sure hope no one hogs the event-loop...\n");
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    int wrap_in_task; /* 0: await coro_a(); 1: await asyncio.Task(coro_a()) */
    int i;
    async_task task_b, task_a;
    struct empty b, a;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->task_b, coro_b, &self->b, "task_b");
    for (self->i = 0; self->i < 3; self->i++) {
        if (!self->wrap_in_task) {
            ASYNC_AWAIT_CO(coro_a, &self->a); /* await coro_a(): a plain call */
        } else {
            async_task_create(ASYNC_LOOP, &self->task_a, coro_a, &self->a, "task_a");
            ASYNC_AWAIT(&self->task_a.fut); /* await Task(coro_a()): main() suspends */
        }
    }
    ASYNC_AWAIT(&self->task_b.fut);
    ASYNC_END();
}

static int run(int wrap_in_task) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    int err;
    async_task_init(&main_task);
    port_loop_init(&loop);
    m.wrap_in_task = wrap_in_task;
    err = async_run(&loop, &main_task, main_co, &m); /* asyncio.run(main()) */
    port_loop_close(&loop);
    return err;
}

int main(void) {
    int err;
    port_init();
    port_printf("-- await coro_a() --\n");
    err = run(0);
    port_printf("-- await asyncio.Task(coro_a()) --\n");
    err |= run(1);
    port_exit(err ? 1 : 0);
    return 0;
}
