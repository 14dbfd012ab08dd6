/* futures.c — a future completed by hand, and its done callbacks (seed 004,
 * "Futures" and "await-ing Tasks & futures").
 *
 * A future is only a status light: pending, then done with a result (or an
 * error), or cancelled. It computes nothing. Whoever holds it decides when it
 * is done. Tasks awaiting it and callbacks registered on it are woken, in the
 * order they registered, on the loop's next turn — never inside set_result. */
#include "port.h"

static const char *state(const async_future *f) {
    return async_future_cancelled(f) ? "cancelled" : async_future_done(f) ? "done" : "pending";
}

/* A done callback: runs from the loop once the future is done. */
static void on_done(async_future *fut, void *arg) {
    port_printf("  callback %s: the future is %s, result %ld\n", (const char *)arg, state(fut),
                (long)async_future_result(fut).i);
}

/* A task that awaits the future: `value = await fut`. */
struct waiter { async_frame hdr; async_future *fut; const char *name; };
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    port_printf("  %s: awaiting the future (it is %s)\n", self->name, state(self->fut));
    ASYNC_AWAIT(self->fut);
    port_printf("  %s: got %ld\n", self->name, (long)ASYNC_VALUE.i);
    ASYNC_END();
}

/* Whoever completes the future: here a task that sleeps 1 s first. */
struct setter { async_frame hdr; async_future *fut; async_timer t; };
static ASYNC_FN(setter, struct setter) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1000));
    port_printf("  setter: set_result(42)\n");
    async_future_set_result(self->fut, async_int(42));
    port_printf("  setter: the future is %s; nobody has been woken yet\n", state(self->fut));
    /* A future completes once: a second result is refused. */
    if (async_future_set_result(self->fut, async_int(43)) == ASYNC_EINVALSTATE)
        port_printf("  setter: set_result(43) refused: %s\n", async_strerror(ASYNC_EINVALSTATE));
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_future fut, other;
    async_callback cb1, cb2;
    async_task tw, ts, tw2;
    struct waiter w, w2;
    struct setter s;
    int err; /* how waiter2 ended */
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    async_future_init(&self->fut, ASYNC_LOOP); /* asyncio.Future() */
    port_printf("a new future is %s\n", state(&self->fut));
    async_future_add_done_callback(&self->fut, &self->cb1, on_done, "1");
    self->w.fut = self->s.fut = &self->fut;
    self->w.name = "waiter";
    async_task_create(ASYNC_LOOP, &self->tw, waiter, &self->w, "waiter");
    async_task_create(ASYNC_LOOP, &self->ts, setter, &self->s, "setter");
    ASYNC_AWAIT(&self->ts.fut);
    ASYNC_AWAIT(&self->tw.fut);
    /* A callback added to a done future still runs from the loop, not at once. */
    async_future_add_done_callback(&self->fut, &self->cb2, on_done, "2 (added late)");
    port_printf("main: awaiting a done future continues at once: ");
    ASYNC_AWAIT(&self->fut);
    port_printf("%ld\n", (long)ASYNC_VALUE.i);
    ASYNC_SLEEP0(); /* let callback 2 run */

    /* Cancelling a future wakes its waiters with a cancellation error. */
    async_future_init(&self->other, ASYNC_LOOP);
    self->w2.fut = &self->other;
    self->w2.name = "waiter2";
    async_task_create(ASYNC_LOOP, &self->tw2, waiter, &self->w2, "waiter2");
    ASYNC_SLEEP0(); /* waiter2 starts and parks on the other future */
    async_future_cancel(&self->other);
    port_printf("main: cancelled the other future; it is %s\n", state(&self->other));
    ASYNC_AWAIT_CATCH(&self->tw2.fut, self->err); /* try: await task / except */
    port_printf("main: waiter2 ended with: %s\n", async_strerror(self->err));
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    int err;
    async_task_init(&main_task);
    port_init();
    port_loop_init(&loop);
    err = async_run(&loop, &main_task, main_co, &m);
    port_loop_close(&loop);
    port_exit(err ? 1 : 0);
    return 0;
}
