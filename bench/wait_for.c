/* wait_for: the cost of a timeout around an await. A parent awaits a fresh
 * child task n times, plainly and through wait_for(child, 10 s) (which never
 * fires); the difference is wait_for's overhead (timer arm/disarm, two done
 * callbacks, one more loop hop). */
#include "bench.h"
#include "async.h"

struct child {
    async_frame hdr;
    long x;
};
static ASYNC_FN(child, struct child) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(self->x));
    ASYNC_END();
}
struct parent {
    async_frame hdr;
    long n, i, acc;
    int use_wait_for;
    async_task t;
    struct child cf;
    async_waitset ws;
};
static ASYNC_FN(parent, struct parent) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        self->cf.x = self->i;
        async_task_create(ASYNC_LOOP, &self->t, child, &self->cf, "child");
        if (self->use_wait_for) {
            ASYNC_WAIT_FOR(&self->ws, &self->t.fut, async_ms(10000));
        } else {
            ASYNC_AWAIT(&self->t.fut);
        }
        self->acc += (long)ASYNC_VALUE.i;
    }
    ASYNC_END();
}

static int use_wf;
static void run(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    static struct parent p;
    static async_task t;
    memset(&p, 0, sizeof p);
    memset(&t, 0, sizeof t);
    p.n = n;
    p.use_wait_for = use_wf;
    if (async_run(loop, &t, parent, &p) != 0 || p.acc != n * (n - 1) / 2) bench_fail("wait_for: wrong sum");
}

int main(void) {
    static async_loop loop;
    double plain, wf;
    async_loop_init_virtual(&loop);
    use_wf = 0;
    plain = bench_time_row("await child task", "ours", run, &loop, bench_n(5000000), 5, "");
    use_wf = 1;
    wf = bench_time_row("wait_for(child task, 10 s)", "ours", run, &loop, bench_n(5000000), 5, "");
    if (plain > 0 && wf > 0)
        bench_row("wait_for overhead", "ours", wf - plain, "ns", "lower", "wait_for minus plain await");
    return 0;
}
