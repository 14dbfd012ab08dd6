/* sleepers.c — N tasks, each sleeping a random 0–100 ms on the libev backend
 * (the timers live in the core's timing wheel and heap; libev waits for the earliest one).
 * Reports total wall time (create, run, all done) and peak RSS for N = 200,000
 * and 1,000,000. Target: <= 0.15 s for 200,000 (asyncio 5.4 s, Go 0.46 s). */
#include "bench.h"
#include <sys/resource.h>
#include "async_rt.h"

struct sleeper {
    async_frame hdr;
    async_timer t;
    uint32_t ms;
};
static long g_done;
static ASYNC_FN(sleeper, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(self->ms));
    g_done++;
    ASYNC_END();
}

struct slot {
    async_task task;
    struct sleeper f;
};

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
}

/* One run: returns wall seconds; checks every sleeper finished, not early. */
static double run(long n) {
    async_loop loop;
    struct slot *s;
    long i;
    uint32_t x = 12345;
    double t0, t1;
    async_time start;
    g_done = 0;
    t0 = bench_now_ns();
    s = (struct slot *)malloc((size_t)n * sizeof *s);
    if (!s || async_rt_loop_init(&loop)) bench_fail("sleepers: out of memory");
    start = async_loop_time(&loop);
    for (i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u; /* LCG: reproducible 0..100 ms */
        s[i].f.ms = (x >> 8) % 101;
        async_task_create(&loop, &s[i].task, sleeper, &s[i].f, "sleeper");
    }
    if (async_loop_run_forever(&loop) != ASYNC_EDEADLOCK) bench_fail("sleepers: loop did not drain");
    t1 = bench_now_ns();
    if (g_done != n) bench_fail("sleepers: not every task finished");
    if (async_loop_time(&loop) - start < async_ms(100)) bench_fail("sleepers: finished before the longest sleep");
    async_rt_loop_close(&loop);
    free(s);
    return (t1 - t0) / 1e9;
}

/* The row whose instructions the runner counts (per sleeper, at its sizes). */
#define COUNTED "sleeper (create, sleep 0-100 ms, wake)"

int main(void) {
    long n1 = bench_n(200000), n2 = bench_n(1000000);
    double t, rss;
    char name[64];
    if (bench_counting()) {
        if (bench_selected(COUNTED, "ours")) run(n1);
        return 0;
    }
    bench_countable(COUNTED, "ours");
    t = run(n1);
    rss = peak_rss_mb();
    snprintf(name, sizeof name, "sleepers N=%ld", n1);
    bench_row(name, "ours", t, "s", "lower", "<= 0.15 s (asyncio 5.4, go 0.46)");
    snprintf(name, sizeof name, "sleepers N=%ld (peak RSS)", n1);
    bench_row(name, "ours", rss, "MiB", "lower", "");
    t = run(n2);
    rss = peak_rss_mb();
    snprintf(name, sizeof name, "sleepers N=%ld", n2);
    bench_row(name, "ours", t, "s", "lower", "");
    snprintf(name, sizeof name, "sleepers N=%ld (peak RSS)", n2);
    bench_row(name, "ours", rss, "MiB", "lower", "");
    return 0;
}
