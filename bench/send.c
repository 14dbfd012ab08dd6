/* send: one resume + yield round trip of a bare coroutine driven by async_send
 * (Python: generator.send). Peers: a hand-written switch state machine called
 * through a function pointer (the floor for any C coroutine), and Python's
 * generator send (bench/peers/send.py). */
#include "bench.h"
#include "async.h"

/* Yields (value sent in) + 1, forever. */
struct gen {
    async_frame hdr;
};
static ASYNC_FN(gen, struct gen) {
    ASYNC_BEGIN();
    for (;;) ASYNC_YIELD(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}

static void run_send(void *ctx, long n) {
    async_coro *co = (async_coro *)ctx;
    long i, acc = 0;
    for (i = 0; i < n; i++) {
        if (async_send(co, async_int(i)) != ASYNC_YIELDED) bench_fail("send: coroutine did not yield");
        acc += (long)co->ctx.value.i;
    }
    if (acc != n + n * (n - 1) / 2) bench_fail("send: wrong sum of yielded values");
    bench_sink = acc;
}

/* The floor: the same generator as a hand-written state machine, resumed
 * through a function pointer like a coroutine object. */
struct sm {
    int state;
    long value;
    int (*step)(struct sm *);
};
static __attribute__((noinline)) int sm_step(struct sm *s) {
    switch (s->state) {
    case 0: s->state = 1; /* fall through */
    case 1: s->value += 1; return 1;
    }
    return 0;
}
static void run_switch(void *ctx, long n) {
    struct sm *s = (struct sm *)ctx;
    long i, acc = 0;
    for (i = 0; i < n; i++) {
        s->value = i;
        if (!s->step(s)) bench_fail("switch: ended");
        acc += s->value;
    }
    if (acc != n + n * (n - 1) / 2) bench_fail("switch: wrong sum");
    bench_sink = acc;
}

int main(void) {
    struct gen g;
    async_coro co;
    struct sm s;
    long n = bench_n(50000000);
    async_coro_init(&co, gen, &g);
    bench_time_row("send", "ours", run_send, &co, n, 5, "<= 2 ns");
    s.state = 0;
    s.value = 0;
    s.step = sm_step;
    bench_time_row("send", "c-switch", run_switch, &s, n, 5, "");
    return 0;
}
