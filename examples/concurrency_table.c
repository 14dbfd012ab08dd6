/* concurrency_table.c — processes, threads or tasks: what it costs to have N of
 * them waiting at once, measured on this machine (seed 002's table, with
 * numbers instead of "tens / hundreds / thousands").
 *
 * For each kind we start N units that each wait for the same event, measure
 * the time to start them and the memory they hold while waiting, release
 * them, and clean up:
 *   processes: fork(); each child blocks reading a pipe. Memory: the average
 *              proportional set size (PSS, /proc/<pid>/smaps_rollup) of a
 *              waiting child: its private pages plus its share of shared ones.
 *   threads:   pthread_create() with the default stack; each blocks reading
 *              a pipe. Memory: growth of our resident set, per thread (the
 *              stack's address space reserved is far larger: shown apart).
 *   tasks:     async_task_create() with a small frame; each awaits one future.
 *              Memory: the bytes of task + frame (exact), per task.
 * N stays bounded (1,000 processes, 10,000 threads, 1,000,000 tasks) so that
 * the whole run takes seconds and the machine never runs short; when the
 * system refuses a unit (ulimit, threads-max), we stop there and say so. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "async.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/<pid>/<file> in kB ("VmRSS:", "Pss:"), or -1. */
static long proc_kb(const char *path, const char *field) {
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) {
            v = atol(line + n);
            break;
        }
    fclose(f);
    return v;
}

struct result { long n; double start_us; double bytes; };

/* ---------------- processes ---------------- */
static struct result processes(long n) {
    struct result r = {0, 0, 0};
    int p[2];
    long i, sampled = 0;
    double t0, pss = 0;
    pid_t *pids = malloc((size_t)n * sizeof *pids);
    if (!pids || pipe(p)) return r;
    fflush(stdout);
    t0 = now_s();
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char c;
            close(p[1]);
            while (read(p[0], &c, 1) > 0) {
            } /* wait until the parent closes the pipe */
            _exit(0);
        }
        if (pids[i] < 0) break;
    }
    r.n = i;
    r.start_us = (now_s() - t0) * 1e6 / (double)(r.n ? r.n : 1);
    for (i = 0; i < r.n && sampled < 20; i += r.n / 20 + 1) {
        char path[64];
        long kb;
        snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)pids[i]);
        kb = proc_kb(path, "Pss:");
        if (kb > 0) { pss += (double)kb; sampled++; }
    }
    r.bytes = sampled ? pss / (double)sampled * 1024.0 : -1;
    close(p[0]);
    close(p[1]); /* every child's read returns 0: they exit */
    for (i = 0; i < r.n; i++) waitpid(pids[i], NULL, 0);
    free(pids);
    return r;
}

/* ---------------- threads ---------------- */
static int tpipe[2];
static void *thread_wait(void *arg) {
    char c;
    (void)arg;
    while (read(tpipe[0], &c, 1) > 0) {
    }
    return NULL;
}
static size_t default_stack(void) {
    pthread_attr_t a;
    size_t s = 0;
    pthread_attr_init(&a);
    pthread_attr_getstacksize(&a, &s);
    pthread_attr_destroy(&a);
    return s;
}
static struct result threads(long n) {
    struct result r = {0, 0, 0};
    long i, rss0;
    double t0;
    pthread_t *ts = malloc((size_t)n * sizeof *ts);
    if (!ts || pipe(tpipe)) return r;
    rss0 = proc_kb("/proc/self/status", "VmRSS:");
    t0 = now_s();
    for (i = 0; i < n; i++)
        if (pthread_create(&ts[i], NULL, thread_wait, NULL)) break;
    r.n = i;
    r.start_us = (now_s() - t0) * 1e6 / (double)(r.n ? r.n : 1);
    usleep(100000); /* let every thread reach its read */
    r.bytes = (double)(proc_kb("/proc/self/status", "VmRSS:") - rss0) * 1024.0 / (double)(r.n ? r.n : 1);
    close(tpipe[1]);
    for (i = 0; i < r.n; i++) pthread_join(ts[i], NULL);
    close(tpipe[0]);
    free(ts);
    return r;
}

/* ---------------- tasks ---------------- */
struct waiter { async_frame hdr; async_future *event; };
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->event); /* wait for the event, like the children and threads */
    ASYNC_END();
}
struct unit { async_task task; struct waiter frame; };

static struct result tasks(long n) {
    struct result r = {0, 0, 0};
    async_loop loop;
    async_future event;
    long i;
    double t0;
    struct unit *u = malloc((size_t)n * sizeof *u);
    if (!u) return r;
    memset(u, 0, (size_t)n * sizeof *u); /* touch the memory before timing */
    async_loop_init_virtual(&loop);
    async_future_init(&event, &loop);
    t0 = now_s();
    for (i = 0; i < n; i++) {
        u[i].frame.event = &event;
        async_task_create(&loop, &u[i].task, waiter, &u[i].frame, "waiter");
    }
    async_loop_run_once(&loop); /* each task runs to its await and parks */
    r.n = n;
    r.start_us = (now_s() - t0) * 1e6 / (double)n;
    r.bytes = (double)sizeof(struct unit);
    async_future_set_result(&event, async_none());
    async_loop_run_once(&loop); /* all wake up and finish */
    for (i = 0; i < n; i++)
        if (!async_future_done(&u[i].task.fut)) printf("task %ld did not finish\n", i);
    free(u);
    return r;
}

static void human_bytes(double b, char *buf, size_t cap) {
    if (b < 0) snprintf(buf, cap, "?");
    else if (b < 10 * 1024.0) snprintf(buf, cap, "%.0f B", b);
    else if (b < 10 * 1048576.0) snprintf(buf, cap, "%.0f KiB", b / 1024);
    else snprintf(buf, cap, "%.1f MiB", b / 1048576);
}
static void human_time(double us, char *buf, size_t cap) {
    if (us < 1) snprintf(buf, cap, "%.0f ns", us * 1000);
    else if (us < 1000) snprintf(buf, cap, "%.1f us", us);
    else snprintf(buf, cap, "%.1f ms", us / 1000);
}

static void row(const char *kind, long want, struct result r) {
    char b[32], t[32];
    human_bytes(r.bytes, b, sizeof b);
    human_time(r.start_us, t, sizeof t);
    printf("%-9s N = %7ld: start-up %9s per unit, memory %8s per unit%s\n", kind, r.n, t, b,
           r.n < want ? " (the system refused more)" : "");
}

int main(void) {
    static const long np[] = {100, 1000}, nt[] = {100, 1000, 10000}, nk[] = {1000, 100000, 1000000};
    struct result p, t, k;
    char pb[32], tb[32], kb[32], pt[32], tt[32], kt[32], col[3][72];
    unsigned i;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("N units waiting at once, on this machine (%ld CPUs):\n", sysconf(_SC_NPROCESSORS_ONLN));
    for (i = 0; i < 2; i++) row("processes", np[i], p = processes(np[i]));
    for (i = 0; i < 3; i++) row("threads", nt[i], t = threads(nt[i]));
    for (i = 0; i < 3; i++) row("tasks", nk[i], k = tasks(nk[i]));
    printf("(a thread also reserves %zu KiB of address space for its stack)\n", default_stack() / 1024);
    human_bytes(p.bytes, pb, sizeof pb);
    human_bytes(t.bytes, tb, sizeof tb);
    human_bytes(k.bytes, kb, sizeof kb);
    human_time(p.start_us, pt, sizeof pt);
    human_time(t.start_us, tt, sizeof tt);
    human_time(k.start_us, kt, sizeof kt);
    printf("\n");
    printf("|                          | Process          | Threads          | Async            |\n");
    printf("| ------------------------ | ---------------- | ---------------- | ---------------- |\n");
    printf("| optimize waiting periods | y (preemptive)   | y (preemptive)   | y (cooperative)  |\n");
    printf("| use all CPU cores        | y                | y (C has no GIL) | n                |\n");
    snprintf(col[0], sizeof col[0], "%s, %s", pb, pt);
    snprintf(col[1], sizeof col[1], "%s, %s", tb, tt);
    snprintf(col[2], sizeof col[2], "%s, %s", kb, kt);
    printf("| Scalability (per unit)   | %-16s | %-16s | %-16s |\n", col[0], col[1], col[2]);
    printf("| measured up to N =       | %-16ld | %-16ld | %-16ld |\n", p.n, t.n, k.n);
    printf("| use blocking std lib     | y                | y                | n                |\n");
    printf("| GIL interference         | n                | n (none in C)    | n                |\n");
    printf("elapsed: per unit, tasks %.0f B and %.3f us; threads %.0f B and %.3f us; processes %.0f B and %.3f us\n",
           k.bytes, k.start_us, t.bytes, t.start_us, p.bytes, p.start_us);
    return 0;
}
