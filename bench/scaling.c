/* scaling: spawn cost per task as the number of live tasks grows, N = 10^3 ...
 * 10^7. The N tasks (and their frames) are allocated once with calloc and
 * pre-faulted; then, per repetition: create N tasks, run the loop until all are
 * done (one iteration: each task runs once and returns), collect the N results.
 * The core itself never allocates. */
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

struct slot {
    async_task t;
    struct child f;
};
static struct slot *slots;

static void run_batch(void *ctx, long n) {
    async_loop loop;
    long i, acc = 0;
    (void)ctx;
    async_loop_init_virtual(&loop);
    for (i = 0; i < n; i++) {
        slots[i].f.x = i;
        async_task_create(&loop, &slots[i].t, child, &slots[i].f, "child");
    }
    if (async_loop_run_until_complete(&loop, &slots[n - 1].t.fut) != 0) bench_fail("scaling: a task failed");
    for (i = 0; i < n; i++) acc += (long)async_future_result(&slots[i].t.fut).i;
    if (acc != n * (n - 1)) bench_fail("scaling: wrong sum");
}

int main(void) {
    long max = bench_quick() ? 100000 : 10000000, n;
    char name[64], note[128];
    int e = 3;
    slots = (struct slot *)calloc((size_t)max, sizeof *slots); /* zeroed: async_task_create reads the state */
    if (!slots) bench_fail("scaling: out of memory");
    memset(slots, 0, (size_t)max * sizeof *slots); /* fault the pages in now, not in the first run */
    for (n = 1000; n <= max; n *= 10, e++) {
        snprintf(name, sizeof name, "spawn N=1e%d", e);
        bench_row(name, "ours", bench_ns_per_op(run_batch, NULL, n, n >= 10000000 ? 3 : 5), "ns", "lower",
                  "flat in N");
    }
    snprintf(note, sizeof note, "spawn N=...: %u B per task+frame, %.0f MB at the largest N", (unsigned)sizeof(struct slot),
             (double)sizeof(struct slot) * (double)max / 1e6);
    bench_note(note);
    free(slots);
    return 0;
}
