/* spawn: create a task, run it to completion, collect its result, per task. A
 * parent task does, n times, what bench/peers/spawn.py does with asyncio:
 * `acc += await create_task(child(i))` — the child runs on the next loop
 * iteration and the parent is woken on the one after. spawn runs on the
 * virtual-clock loop, spawn_ev on the host runtime's libev loop. */
#include "bench.h"
#include "async.h"
#ifdef BENCH_LIBEV /* spawn_ev: the same on the host runtime's libev loop (src/) */
#include "async_rt.h"
#define WORKLOAD "spawn (libev loop)"
#define N_OPS 200000 /* fewer than on the core loop: the libev loop still polls */
static void loop_init(async_loop *loop) {
    if (async_rt_loop_init(loop)) bench_fail("libev loop");
}
static void loop_close(async_loop *loop) { async_rt_loop_close(loop); }
#else
#define WORKLOAD "spawn"
#define N_OPS 10000000
static void loop_init(async_loop *loop) { async_loop_init_virtual(loop); }
static void loop_close(async_loop *loop) { (void)loop; }
#endif

struct child {
    async_frame hdr;
    long x;
};
static ASYNC_FN(child, struct child) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(self->x * 2));
    ASYNC_END();
}

struct parent {
    async_frame hdr;
    long i, n, acc;
    async_task t;
    struct child cf;
};
static ASYNC_FN(parent, struct parent) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        self->cf.x = self->i;
        async_task_create(ASYNC_LOOP, &self->t, child, &self->cf, "child");
        ASYNC_AWAIT(&self->t.fut);
        self->acc += (long)ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->acc));
    ASYNC_END();
}

static void run_spawn(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    struct parent p;
    async_task main_task;
    memset(&p, 0, sizeof p); /* async_task_create reads the task's state first */
    memset(&main_task, 0, sizeof main_task);
    p.n = n;
    if (async_run(loop, &main_task, parent, &p) != 0) bench_fail("spawn: parent failed");
    if (async_future_result(&main_task.fut).i != n * (n - 1)) bench_fail("spawn: wrong sum");
}

int main(void) {
    async_loop loop;
    loop_init(&loop);
    bench_time_row(WORKLOAD, "ours", run_spawn, &loop, bench_n(N_OPS), 5, "<= 30 ns (goal <= 15)");
    loop_close(&loop);
    return 0;
}
