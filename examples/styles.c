/* styles.c — one wait, written three ways (seed 002, "suspend and resume").
 *
 * Each prints "hello", waits 3 s without blocking anybody, then prints
 * "world". All three run at the same time on one loop, so the program takes
 * 3 s, not 9.
 *   1. a callback: "call this function in 3 s" (the loop's call_later);
 *   2. a generator: the coroutine YIELDs the thing it waits for (a timer's
 *      future) to whoever drives it, which waits and resumes it — the old
 *      @asyncio.coroutine / `yield from` style, and what a task does inside;
 *   3. await: ASYNC_SLEEP, the style the rest of these examples use.
 * (The seed's fourth style, greenlets, needs a stack per coroutine; stackless
 * C coroutines cannot hide their suspension points inside a plain call.) */
#include "port.h"

static async_time start;

static void say(async_loop *loop, const char *style, const char *word) {
    unsigned long ms = port_elapsed_ms(loop, start);
    port_printf("%-9s %s (at %lu.%03lu s)\n", style, word, ms / 1000, ms % 1000);
}

/* 1. Callback style: the rest of the function is a separate function. */
static void callback_world(async_future *timer, void *loop) {
    (void)timer;
    say((async_loop *)loop, "callback", "world");
}

/* 2. Generator style: yield the future to wait on; the driver resumes us. */
struct gen { async_frame hdr; async_loop *loop; async_timer t; };
static ASYNC_FN(async_func_with_yield, struct gen) {
    ASYNC_BEGIN();
    say(self->loop, "yield", "hello");
    async_timer_init(&self->t, self->loop);
    async_timer_start(&self->t, async_ms(3000));
    ASYNC_YIELD(async_ptr(&self->t.fut)); /* yield from asyncio.sleep(3) */
    say(self->loop, "yield", "world");
    ASYNC_END();
}
/* The driver: send, wait for what was yielded, send again, until it is done. */
struct driver { async_frame hdr; async_coro co; struct gen g; async_status s; };
static ASYNC_FN(run_generator, struct driver) {
    ASYNC_BEGIN();
    self->g.loop = ASYNC_LOOP;
    async_coro_init(&self->co, async_func_with_yield, &self->g);
    while ((self->s = async_send(&self->co, async_none())) == ASYNC_YIELDED)
        ASYNC_AWAIT((async_future *)self->co.ctx.value.p);
    if (self->s == ASYNC_FAILED) ASYNC_RAISE(self->co.ctx.err);
    ASYNC_END();
}

/* 3. Await style. */
struct awaiter { async_frame hdr; async_timer t; };
static ASYNC_FN(async_func_with_await, struct awaiter) {
    ASYNC_BEGIN();
    say(ASYNC_LOOP, "await", "hello");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(3000)); /* await asyncio.sleep(3) */
    say(ASYNC_LOOP, "await", "world");
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_timer cb_timer;
    async_callback cb;
    async_task gen_task, await_task;
    struct driver d;
    struct awaiter a;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    say(ASYNC_LOOP, "callback", "hello");
    async_call_later(ASYNC_LOOP, &self->cb_timer, &self->cb, async_ms(3000), callback_world, ASYNC_LOOP);
    async_task_create(ASYNC_LOOP, &self->gen_task, run_generator, &self->d, "yield style");
    async_task_create(ASYNC_LOOP, &self->await_task, async_func_with_await, &self->a, "await style");
    ASYNC_AWAIT(&self->gen_task.fut);
    ASYNC_AWAIT(&self->await_task.fut);
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    unsigned long ms;
    int err;
    async_task_init(&main_task);
    port_init();
    port_loop_init(&loop);
    start = async_loop_time(&loop);
    err = async_run(&loop, &main_task, main_co, &m);
    ms = port_elapsed_ms(&loop, start);
    port_loop_close(&loop);
    port_printf("elapsed: %lu.%03lu s for three 3-second waits\n", ms / 1000, ms % 1000);
    port_exit(err ? 1 : 0);
    return 0;
}
