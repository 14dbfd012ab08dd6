/* queue: one producer and one consumer task through a Queue(maxsize=64), per
 * item (asyncio: `await q.put(i)` / `await q.get()` + task_done). Also items/s. */
#include "bench.h"
#include "async.h"

struct prod {
    async_frame hdr;
    async_queue *q;
    long n, i;
    async_wait_op op;
};
static ASYNC_FN(prod, struct prod) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->i));
    ASYNC_END();
}
struct cons {
    async_frame hdr;
    async_queue *q;
    long n, i, acc;
    async_wait_op op;
};
static ASYNC_FN(cons, struct cons) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_QUEUE_GET(&self->op, self->q);
        self->acc += (long)ASYNC_VALUE.i;
        async_queue_task_done(self->q);
    }
    ASYNC_END();
}

static void run_queue(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    static async_value buf[64];
    static async_queue q;
    static async_task tp, tc;
    static struct prod p;
    static struct cons c;
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 64, 0);
    memset(&p, 0, sizeof p);
    memset(&c, 0, sizeof c);
    p.q = c.q = &q;
    p.n = c.n = n;
    async_task_create(loop, &tp, prod, &p, "producer");
    async_task_create(loop, &tc, cons, &c, "consumer");
    if (async_loop_run_until_complete(loop, &tc.fut) != 0) bench_fail("queue: consumer failed");
    if (async_loop_run_until_complete(loop, &tp.fut) != 0) bench_fail("queue: producer failed");
    if (c.acc != n * (n - 1) / 2) bench_fail("queue: wrong sum");
}

int main(void) {
    static async_loop loop;
    double ns;
    async_loop_init_virtual(&loop);
    ns = bench_time_row("queue put/get per item", "ours", run_queue, &loop, bench_n(10000000), 5,
                        "maxsize 64, 1 producer, 1 consumer");
    if (ns > 0 && !bench_counting()) bench_row("queue items/s", "ours", 1e9 / ns, "items/s", "higher", "");
    return 0;
}
