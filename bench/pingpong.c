/* pingpong: two tasks hand a token back and forth through the loop, per round
 * trip. Each side completes the other's future and awaits its own, re-armed
 * each round, exactly as bench/peers/pingpong.py does with asyncio futures: a
 * round trip is two future completions and two task steps from the ready queue.
 * pingpong runs on the virtual-clock loop (no I/O backend involved);
 * pingpong_ev on the host runtime's libev loop, which polls epoll once per
 * fairness budget while tasks are ready (async.h section 9, "Latency"). */
#include "bench.h"
#include "async.h"
#ifdef BENCH_LIBEV /* pingpong_ev: the same on the host runtime's libev loop (src/) */
#include "async_rt.h"
#define WORKLOAD "pingpong (libev loop)"
#define N_OPS 200000 /* fewer than on the core loop: the libev loop still polls */
static void loop_init(async_loop *loop) {
    if (async_rt_loop_init(loop)) bench_fail("libev loop");
}
static void loop_close(async_loop *loop) { async_rt_loop_close(loop); }
#else
#define WORKLOAD "pingpong"
#define N_OPS 10000000
static void loop_init(async_loop *loop) { async_loop_init_virtual(loop); }
static void loop_close(async_loop *loop) { (void)loop; }
#endif

struct shared {
    async_future ping; /* the pinger waits on it */
    async_future pong; /* the ponger waits on it */
    async_loop *loop;
    long n;            /* round trips */
};
struct player {
    async_frame hdr;
    struct shared *s;
    long i;
    long acc;
};

static ASYNC_FN(pinger, struct player) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->s->n; self->i++) {
        async_future_init(&self->s->ping, self->s->loop);
        async_future_set_result(&self->s->pong, async_int(self->i));
        ASYNC_AWAIT(&self->s->ping);
        self->acc += (long)ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->acc));
    ASYNC_END();
}

static ASYNC_FN(ponger, struct player) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->s->n; self->i++) {
        ASYNC_AWAIT(&self->s->pong);
        async_future_init(&self->s->pong, self->s->loop);
        async_future_set_result(&self->s->ping, async_int(ASYNC_VALUE.i + 1));
    }
    ASYNC_END();
}

static void run_pingpong(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    struct shared s;
    struct player a, b;
    async_task ta, tb;
    memset(&ta, 0, sizeof ta); /* async_task_create reads the task's state first */
    memset(&tb, 0, sizeof tb);
    s.loop = loop;
    s.n = n;
    async_future_init(&s.pong, loop);
    a.s = b.s = &s;
    a.acc = b.acc = 0;
    async_task_create(loop, &tb, ponger, &b, "ponger");
    async_task_create(loop, &ta, pinger, &a, "pinger");
    if (async_loop_run_until_complete(loop, &ta.fut) != 0) bench_fail("pingpong: pinger failed");
    if (async_loop_run_until_complete(loop, &tb.fut) != 0) bench_fail("pingpong: ponger failed");
    if (async_future_result(&ta.fut).i != n + n * (n - 1) / 2) bench_fail("pingpong: wrong sum");
}

int main(void) {
    async_loop loop;
    loop_init(&loop);
    bench_time_row(WORKLOAD, "ours", run_pingpong, &loop, bench_n(N_OPS), 5, "<= 25 ns (goal <= 10)");
    loop_close(&loop);
    return 0;
}
