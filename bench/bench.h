/* bench.h — helpers shared by the benchmark programs in bench/ (not part of the
 * library). Include it FIRST (before any system header): it selects POSIX for
 * clock_gettime under -std=c99.
 *
 * A benchmark program measures, checks that the work was really done (a wrong
 * result exits non-zero: a bench that silently measures nothing is worse than
 * none), and prints ROW lines (format: see bench/rules.mk) through bench_row().
 *
 *   static void work(void *ctx, long n) { ... do n operations ... }
 *   double ns = bench_ns_per_op(work, &ctx, bench_n(1000000), 5);
 *   bench_row("send", "ours", ns, "ns", "lower", "<= 2 ns");
 *
 * BENCH_QUICK=1 in the environment divides every bench_n() count by 100 and
 * limits repetitions to 3 (the smoke check uses it: runs everything, proves
 * nothing about speed). BENCH_MIN=1 reports the fastest repetition instead of
 * the median (for A/B comparisons of two builds while others load the machine).
 * The runner chooses the size: BENCH_N=n makes every bench_n() return n,
 * BENCH_SCALE=f multiplies every count by f.
 *
 * Instruction counts: a row printed through bench_time_row() is announced by a
 * COUNT line; `make bench` then runs the program under callgrind with
 * BENCH_ONLY=workload, BENCH_WHO=who and BENCH_N at two sizes. Only that row is
 * measured then, once, without warm-up, and the difference of the two totals
 * divided by the difference of the sizes is its cost per operation (start-up
 * and set-up cancel out). A program that prints rows another way checks
 * bench_selected() itself and skips its derived rows when bench_counting(). */
#ifndef BENCH_H
#define BENCH_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_UNUSED __attribute__((unused))

/* The clock the benchmarks read. Wall time by default; build with
 * -DBENCH_CLOCK=CLOCK_THREAD_CPUTIME_ID to compare two builds on a loaded
 * machine (time spent descheduled then does not count). */
#ifndef BENCH_CLOCK
#define BENCH_CLOCK CLOCK_MONOTONIC
#endif

/* Time in nanoseconds on BENCH_CLOCK. */
static BENCH_UNUSED double bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(BENCH_CLOCK, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 1 when BENCH_QUICK=1 (smoke run). */
static BENCH_UNUSED int bench_quick(void) {
    const char *q = getenv("BENCH_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* An operation count: BENCH_N if set, else n scaled by BENCH_SCALE and down
 * for the smoke run (never below 1). */
static BENCH_UNUSED long bench_n(long n) {
    const char *e = getenv("BENCH_N");
    if (e && *e) {
        n = atol(e);
    } else {
        e = getenv("BENCH_SCALE");
        if (e && *e) n = (long)((double)n * atof(e));
        if (bench_quick()) n /= 100;
    }
    return n < 1 ? 1 : n;
}

/* 1 in an instruction-count run (BENCH_ONLY set: one row is measured, once). */
static BENCH_UNUSED int bench_counting(void) {
    const char *e = getenv("BENCH_ONLY");
    return e && *e;
}

/* 1 if the row (workload, who) is to be measured in this run: always, unless
 * an instruction-count run selects another one. */
static BENCH_UNUSED int bench_selected(const char *workload, const char *who) {
    const char *w = getenv("BENCH_WHO");
    if (!bench_counting()) return 1;
    return strcmp(getenv("BENCH_ONLY"), workload) == 0 && (!w || !*w || strcmp(w, who) == 0);
}

/* Announce that the runner may count the instructions of row (workload, who):
 * a COUNT line, in the normal run only. */
static BENCH_UNUSED void bench_countable(const char *workload, const char *who) {
    if (bench_counting()) return;
    printf("COUNT\t%s\t%s\n", workload, who);
    fflush(stdout);
}

/* Repetitions, limited for the smoke run. */
static BENCH_UNUSED int bench_reps(int reps) { return bench_quick() && reps > 3 ? 3 : reps; }

static BENCH_UNUSED int bench__cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v in place). */
static BENCH_UNUSED double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bench__cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run fn(ctx, n) once to warm up, then `reps` times (at most 31); return the
 * median time per operation in ns. fn must do exactly n operations. */
static BENCH_UNUSED double bench_ns_per_op(void (*fn)(void *ctx, long n), void *ctx, long n, int reps) {
    double t[31];
    int i;
    reps = bench_reps(reps);
    if (reps > 31) reps = 31;
    if (reps < 1) reps = 1;
    if (bench_counting()) { /* exactly n operations: no warm-up, one run */
        double t0 = bench_now_ns();
        fn(ctx, n);
        return (bench_now_ns() - t0) / (double)n;
    }
    fn(ctx, n < 1000 ? n : 1000);
    for (i = 0; i < reps; i++) {
        double t0 = bench_now_ns();
        fn(ctx, n);
        t[i] = (bench_now_ns() - t0) / (double)n;
    }
    if (getenv("BENCH_MIN")) { /* A/B comparisons on a busy machine: the fastest run */
        qsort(t, (size_t)reps, sizeof *t, bench__cmp_double);
        return t[0];
    }
    return bench_median(t, reps);
}

/* Resident set size of this process in bytes (Linux /proc/self/statm), or -1. */
static BENCH_UNUSED long bench_rss_bytes(void) {
    long size = 0, res = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* Print one result row: ROW<TAB>workload<TAB>who<TAB>value<TAB>unit<TAB>better<TAB>target.
 * who: "ours" or a peer's name; better: "lower" or "higher"; target may be "". */
static BENCH_UNUSED void bench_row(const char *workload, const char *who, double value, const char *unit,
                                   const char *better, const char *target) {
    printf("ROW\t%s\t%s\t%.4g\t%s\t%s\t%s\n", workload, who, value, unit, better, target ? target : "");
    fflush(stdout);
}

/* The usual timed row: unless an instruction-count run selects another row,
 * time fn (bench_ns_per_op), print the row in ns, announce it for counting.
 * Returns the time per operation, or -1 when the row was not selected. */
static BENCH_UNUSED double bench_time_row(const char *workload, const char *who, void (*fn)(void *ctx, long n),
                                          void *ctx, long n, int reps, const char *target) {
    double ns;
    if (!bench_selected(workload, who)) return -1;
    ns = bench_ns_per_op(fn, ctx, n, reps);
    bench_row(workload, who, ns, "ns", "lower", target);
    bench_countable(workload, who);
    return ns;
}

/* A line the runner prints under the table (context for a figure). */
static BENCH_UNUSED void bench_note(const char *text) {
    printf("NOTE\t%s\n", text);
    fflush(stdout);
}

/* Give up: a benchmark that computed a wrong result must not report a time. */
static BENCH_UNUSED void bench_fail(const char *what) {
    fprintf(stderr, "bench: FAILED: %s\n", what);
    exit(1);
}

/* Keep a value alive so the compiler cannot drop the work that produced it. */
static volatile long bench_sink BENCH_UNUSED;

#endif /* BENCH_H */
