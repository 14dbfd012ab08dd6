/* nesting: the cost of one resume of a coroutine suspended at depth D of
 * ASYNC_AWAIT_CO (D = 1, 2, 4, ..., 64): a chain of D+1 frames whose leaf yields.
 * "send": the chain driven by async_send (resume + yield, as in `send`);
 * "task": the chain is a task, the leaf yields to the loop (asyncio.sleep(0))
 * and the loop resumes it (one loop iteration per resume). */
#include "bench.h"
#include "async.h"

struct level {
    async_frame hdr;
    struct level *child; /* NULL: the leaf */
    long n, k;           /* the leaf yields n times */
};

static ASYNC_FN(level, struct level) {
    ASYNC_BEGIN();
    if (self->child) {
        ASYNC_AWAIT_CO(level, self->child);
    } else {
        for (self->k = 0; self->k < self->n; self->k++) ASYNC_YIELD(async_int(ASYNC_VALUE.i + 1));
    }
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}

static struct level chain[65];

/* chain[0] is the root; depth d: d awaits, leaf chain[d] yields n times. */
static void build(int d, long n) {
    int i;
    for (i = 0; i <= d; i++) {
        chain[i].child = i < d ? &chain[i + 1] : NULL;
        chain[i].n = n;
    }
}

static void run_send(void *ctx, long n) {
    async_coro co;
    long i, acc = 0;
    build(*(int *)ctx, n);
    async_coro_init(&co, level, &chain[0]);
    for (i = 0; i < n; i++) {
        if (async_send(&co, async_int(i)) != ASYNC_YIELDED) bench_fail("nesting: chain did not yield");
        acc += (long)co.ctx.value.i;
    }
    if (acc != n + n * (n - 1) / 2) bench_fail("nesting: wrong sum");
    if (async_send(&co, async_int(7)) != ASYNC_DONE || co.ctx.value.i != 7) bench_fail("nesting: chain did not end");
}

static void run_task(void *ctx, long n) {
    async_loop loop;
    async_task t;
    memset(&t, 0, sizeof t);
    build(*(int *)ctx, n);
    async_loop_init_virtual(&loop);
    async_task_create(&loop, &t, level, &chain[0], "chain");
    if (async_loop_run_until_complete(&loop, &t.fut) != 0) bench_fail("nesting: task failed");
    if (chain[*(int *)ctx].k != n) bench_fail("nesting: leaf did not yield n times");
}

int main(void) {
    char name[64];
    int d;
    /* The runner's scaling section reads these names: "resume depth D (send|task)". */
    for (d = 1; d <= 64; d *= 2) {
        snprintf(name, sizeof name, "resume depth %d (send)", d);
        bench_time_row(name, "ours", run_send, &d, bench_n(10000000 / d), 5, "flat in depth");
    }
    for (d = 1; d <= 64; d *= 2) {
        snprintf(name, sizeof name, "resume depth %d (task)", d);
        bench_time_row(name, "ours", run_task, &d, bench_n(10000000 / d), 5, "flat in depth");
    }
    return 0;
}
