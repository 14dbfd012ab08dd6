/* lock: uncontended `async with lock` (acquire + release, no wait), and the
 * contended hand-off: two tasks that each take the lock, yield once holding it,
 * and release, so that every acquisition waits for the other task. */
#include "bench.h"
#include "async.h"

struct unc {
    async_frame hdr;
    async_lock *l;
    long n, i, count;
    async_wait_op op;
};
static ASYNC_FN(unc, struct unc) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_LOCK_ACQUIRE(&self->op, self->l);
        self->count++;
        async_lock_release(self->l);
    }
    ASYNC_END();
}

static void run_uncontended(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    static async_lock l;
    static async_task t;
    static struct unc u;
    async_lock_init(&l);
    memset(&u, 0, sizeof u);
    u.l = &l;
    u.n = n;
    async_task_create(loop, &t, unc, &u, "u");
    if (async_loop_run_until_complete(loop, &t.fut) != 0 || u.count != n) bench_fail("lock: uncontended");
}

struct con {
    async_frame hdr;
    async_lock *l;
    long n, i, *shared;
    async_wait_op op;
};
static ASYNC_FN(con, struct con) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_LOCK_ACQUIRE(&self->op, self->l);
        ++*self->shared;
        ASYNC_SLEEP0(); /* hold it across a loop turn: the other task queues up */
        async_lock_release(self->l);
    }
    ASYNC_END();
}

static void run_contended(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    static async_lock l;
    static async_task t[2];
    static struct con c[2];
    static long shared;
    int k;
    async_lock_init(&l);
    shared = 0;
    for (k = 0; k < 2; k++) {
        memset(&c[k], 0, sizeof c[k]);
        c[k].l = &l;
        c[k].n = n / 2;
        c[k].shared = &shared;
        async_task_create(loop, &t[k], con, &c[k], "c");
    }
    for (k = 0; k < 2; k++)
        if (async_loop_run_until_complete(loop, &t[k].fut) != 0) bench_fail("lock: contended");
    if (shared != 2 * (n / 2)) bench_fail("lock: contended count");
}

int main(void) {
    static async_loop loop;
    async_loop_init_virtual(&loop);
    bench_time_row("lock uncontended", "ours", run_uncontended, &loop, bench_n(20000000), 5, "acquire + release");
    bench_time_row("lock contended hand-off", "ours", run_contended, &loop, bench_n(4000000) / 2 * 2, 5,
                   "per acquisition, 2 tasks");
    return 0;
}
