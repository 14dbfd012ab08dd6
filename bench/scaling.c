/* scaling: spawn cost per task as the number of live tasks grows, N = 10^3 ...
 * 10^7 (10^5 in quick mode). The N tasks (and their frames) are allocated once
 * with calloc and pre-faulted; then, per repetition: create N tasks, run the
 * loop until all are done (one iteration: each task runs once and returns),
 * collect the N results. The core itself never allocates.
 * Then the timers: N tasks each sleep a pseudo-random 0-100 ms on the virtual
 * clock (no waiting: the clock jumps to the next deadline), N = 10^3 ... 10^6,
 * per task: create, arm, expire in deadline order, finish. bench/sleepers.c
 * does the same on the libev loop's real clock.
 * The runner prints these rows as their own table ("spawn N=1eK",
 * "sleepers N=1eK (virtual)"). */
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

struct sleeper {
    async_frame hdr;
    async_timer t;
    uint32_t ms;
};
static long sleepers_done, sleepers_early;
static async_time sleepers_start;
static ASYNC_FN(sleeper, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(self->ms));
    if (async_loop_time(ASYNC_LOOP) - sleepers_start < async_ms(self->ms)) sleepers_early++;
    sleepers_done++;
    ASYNC_END();
}
struct sslot {
    async_task t;
    struct sleeper f;
};
static struct sslot *sslots;

static void run_sleepers(void *ctx, long n) {
    async_loop loop;
    long i;
    uint32_t x = 12345;
    (void)ctx;
    async_loop_init_virtual(&loop);
    sleepers_done = sleepers_early = 0;
    sleepers_start = async_loop_time(&loop);
    for (i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u; /* LCG: reproducible 0..100 ms */
        sslots[i].f.ms = (x >> 8) % 101;
        async_task_create(&loop, &sslots[i].t, sleeper, &sslots[i].f, "sleeper");
    }
    if (async_loop_run_forever(&loop) != ASYNC_EDEADLOCK) bench_fail("scaling: the sleepers' loop did not drain");
    if (sleepers_done != n) bench_fail("scaling: not every sleeper finished");
    if (sleepers_early) bench_fail("scaling: a sleeper woke before its deadline");
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
                  n == 1000000 ? "<= 40 ns, flat in N" : "flat in N");
    }
    snprintf(note, sizeof note, "spawn N=...: %u B per task+frame, %.0f MB at the largest N", (unsigned)sizeof(struct slot),
             (double)sizeof(struct slot) * (double)max / 1e6);
    bench_note(note);
    free(slots);

    max = bench_quick() ? 10000 : 1000000;
    sslots = (struct sslot *)calloc((size_t)max, sizeof *sslots);
    if (!sslots) bench_fail("scaling: out of memory");
    memset(sslots, 0, (size_t)max * sizeof *sslots);
    for (n = 1000, e = 3; n <= max; n *= 10, e++) {
        snprintf(name, sizeof name, "sleepers N=1e%d (virtual)", e);
        bench_row(name, "ours", bench_ns_per_op(run_sleepers, NULL, n, n >= 1000000 ? 1 : 3), "ns", "lower",
                  "flat in N");
    }
    free(sslots);
    return 0;
}
