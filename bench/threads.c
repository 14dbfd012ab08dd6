/* threads.c — to_thread round trip: a coroutine awaits an empty function run
 * on the pool, one after the other (queue, wake a worker, run, ev_async back,
 * complete the future, resume the task). Reports ns per round trip. */
#include "bench.h"
#include "async_rt.h"

static int empty(void *arg, async_value *res) {
    *res = async_ptr(arg);
    return 0;
}

struct rt_main {
    async_frame hdr;
    async_work w;
    long i, n, sum;
};
static ASYNC_FN(rt_main, struct rt_main) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, empty, (void *)1));
        self->sum += ASYNC_VALUE.i;
    }
    ASYNC_END();
}

static void work(void *ctx, long n) {
    struct rt_main m;
    (void)ctx;
    memset(&m, 0, sizeof m);
    m.n = n;
    if (async_rt_run(rt_main, &m, NULL) || m.sum != n) bench_fail("threads: wrong result");
}

int main(void) {
    /* each round trip is two cross-core wake-ups, slow on a shared VM: as
     * many as the asyncio peer does, so that the row costs seconds, not a minute */
    double ns = bench_ns_per_op(work, NULL, bench_n(20000), 5);
    bench_row("to_thread round trip", "ours", ns, "ns", "lower", "");
    return 0;
}
