/* gather: N trivial tasks created, then one gather over all of them, per task
 * (asyncio: `await asyncio.gather(*[child(i) for i in range(n)])`). Measures
 * task creation + first step + done callback + result collection. */
#include "bench.h"
#include "async.h"

struct child {
    async_frame hdr;
    long x;
};
static ASYNC_FN(child, struct child) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(self->x * 2));
    ASYNC_END();
}

struct gmain {
    async_frame hdr;
    long n, i, acc;
    async_task *tasks;
    struct child *frames;
    async_future **futs;
    async_slot *slots;
    async_waitset ws;
};
static ASYNC_FN(gmain, struct gmain) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        self->frames[self->i].x = self->i;
        async_task_create(ASYNC_LOOP, &self->tasks[self->i], child, &self->frames[self->i], "child");
        self->futs[self->i] = &self->tasks[self->i].fut;
    }
    ASYNC_GATHER(&self->ws, self->futs, self->slots, (size_t)self->n, 0);
    for (self->i = 0; self->i < self->n; self->i++) self->acc += (long)async_future_result(self->futs[self->i]).i;
    ASYNC_RETURN(async_int(self->acc));
    ASYNC_END();
}

static struct gmain g;
static void run_gather(void *ctx, long n) {
    async_loop *loop = (async_loop *)ctx;
    async_task main_task;
    memset(&main_task, 0, sizeof main_task);
    g.n = n;
    g.acc = 0;
    if (async_run(loop, &main_task, gmain, &g) != 0) bench_fail("gather: failed");
    if (async_future_result(&main_task.fut).i != n * (n - 1)) bench_fail("gather: wrong sum");
}

int main(void) {
    static async_loop loop;
    long n = bench_n(1000000);
    g.tasks = (async_task *)calloc((size_t)n, sizeof *g.tasks);
    g.frames = (struct child *)calloc((size_t)n, sizeof *g.frames);
    g.futs = (async_future **)calloc((size_t)n, sizeof *g.futs);
    g.slots = (async_slot *)calloc((size_t)n, sizeof *g.slots);
    if (!g.tasks || !g.frames || !g.futs || !g.slots) bench_fail("gather: out of memory");
    async_loop_init_virtual(&loop);
    bench_time_row("gather N=1e6", "ours", run_gather, &loop, n, 5, "per task; asyncio peer uses N=1e5");
    return 0;
}
