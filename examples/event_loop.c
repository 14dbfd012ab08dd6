/* event_loop.c — the event loop: a queue of tasks, run_forever and stop
 * (seeds 001 "How an event loop works" and 004 "Event Loop", "Tasks").
 *
 * Creating a task only puts it in the loop's queue; nothing runs until the
 * loop does. run_forever() then takes the queued tasks one at a time and
 * gives each control until it awaits or finishes; then the next. When the
 * queue is empty it waits for timers and I/O, and goes round again, forever —
 * until somebody calls stop(). The trace hook shows each iteration and step. */
#include "port.h"

/* async def special_fella(magic_number) */
struct special_fella { async_frame hdr; int magic_number; };
static ASYNC_FN(special_fella, struct special_fella) {
    ASYNC_BEGIN();
    port_printf("      I am a super special function. Far cooler than that printer. "
                "By the way, my lucky number is: %d.\n", self->magic_number);
    ASYNC_END();
}

/* A task that waits for the others, then stops the loop. */
struct stopper { async_frame hdr; async_task *a, *b; };
static ASYNC_FN(stopper, struct stopper) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(&self->a->fut);
    ASYNC_AWAIT(&self->b->fut);
    port_printf("      stopper: both are done; nothing left but to idle. stop()\n");
    async_loop_stop(ASYNC_LOOP); /* run_forever returns after this iteration */
    ASYNC_END();
}

static int iterations;
static void trace(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop;
    (void)ud;
    if (ev == ASYNC_TRACE_ITERATION) port_printf("  loop: iteration %d\n", ++iterations);
    else if (ev == ASYNC_TRACE_STEP_BEGIN) port_printf("    loop: gives control to %s\n", async_task_name(t));
    else if (ev == ASYNC_TRACE_STEP_END)
        port_printf("    loop: %s %s\n", async_task_name(t),
                    s == ASYNC_AWAITING ? "paused (awaits something)" : s == ASYNC_DONE ? "finished" : "yielded");
}

int main(void) {
    async_loop loop;
    async_task special_task, another_special_task, stop_task;
    struct special_fella f1, f2;
    struct stopper st;
    async_task_init(&special_task);
    async_task_init(&another_special_task);
    async_task_init(&stop_task);
    port_init();
    port_loop_init(&loop); /* event_loop = asyncio.new_event_loop() */
    async_loop_set_trace(&loop, trace, NULL);
    f1.magic_number = 5;
    f2.magic_number = 12;
    st.a = &special_task;
    st.b = &another_special_task;
    /* special_task = asyncio.Task(coro=special_fella(magic_number=5), loop=event_loop) */
    async_task_create(&loop, &stop_task, stopper, &st, "stopper");
    async_task_create(&loop, &special_task, special_fella, &f1, "special_task");
    async_task_create(&loop, &another_special_task, special_fella, &f2, "another_special_task");
    port_printf("three tasks queued; none has run yet\n");
    port_printf("run_forever():\n");
    async_loop_run_forever(&loop); /* event_loop.run_forever() */
    port_printf("run_forever returned after %d iterations\n", iterations);
    async_loop_set_trace(&loop, NULL, NULL);
    port_loop_close(&loop);
    port_exit(0);
    return 0;
}
