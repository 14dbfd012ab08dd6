/* io_vs_cpu.c — I/O-bound work overlaps on one thread; CPU-bound work does not,
 * unless it goes to the thread pool (seed 001, "What is I/O-bound and what is
 * CPU-bound?" and "Understanding the global interpreter lock").
 *
 *   I/O-bound: two tasks each wait 0.5 s (a stand-in for a slow server). While
 *              one waits, the other waits too: 0.5 s in all.
 *   CPU-bound: two tasks each compute for 0.3 s of CPU time. The loop's one
 *              thread can compute for one of them at a time: 0.6 s in all.
 *   CPU-bound on the pool: the same work handed to async_to_thread. C has no
 *              GIL, so on a machine with two cores the two computations really
 *              run in parallel: about 0.3 s.
 * The computing is a loop that runs until its own thread has used the CPU time
 * asked for, so that the figures mean the same thing on any machine. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "src/async_rt.h"

#define IO_MS 500
#define CPU_MS 300

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU-bound work: arithmetic until this thread has used ms of CPU time. */
static int crunch(void *arg, async_value *result) {
    double until = clock_s(CLOCK_THREAD_CPUTIME_ID) + *(const int *)arg / 1000.0;
    unsigned long x = 1, n = 0;
    while (clock_s(CLOCK_THREAD_CPUTIME_ID) < until)
        for (n = 0; n < 10000; n++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    *result = async_int((intptr_t)(x & 0xff));
    return 0;
}

static const int cpu_ms = CPU_MS;

struct job { async_frame hdr; int kind; async_timer t; async_work w; };
static ASYNC_FN(job, struct job) {
    ASYNC_BEGIN();
    if (self->kind == 0) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(IO_MS)); /* I/O-bound: waiting */
    } else if (self->kind == 1) {
        async_value v;
        crunch((void *)&cpu_ms, &v); /* CPU-bound, on the loop's thread */
    } else {
        ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, crunch, (void *)&cpu_ms)); /* on the pool */
    }
    ASYNC_END();
}

struct main_frame { async_frame hdr; int kind, i; async_task t[2]; struct job j[2]; };
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 2; self->i++) {
        self->j[self->i].kind = self->kind;
        async_task_create(ASYNC_LOOP, &self->t[self->i], job, &self->j[self->i], "job");
    }
    for (self->i = 0; self->i < 2; self->i++) ASYNC_AWAIT(&self->t[self->i].fut);
    ASYNC_END();
}

static double run(int kind) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    double t0;
    async_task_init(&main_task);
    m.kind = kind;
    if (async_rt_loop_init(&loop)) return -1;
    t0 = clock_s(CLOCK_MONOTONIC);
    if (async_run(&loop, &main_task, main_co, &m)) printf("error\n");
    t0 = clock_s(CLOCK_MONOTONIC) - t0;
    async_rt_loop_close(&loop);
    return t0;
}

int main(void) {
    double io, cpu, pool;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("two tasks, each with %d ms of I/O wait or %d ms of computing:\n", IO_MS, CPU_MS);
    io = run(0);
    printf("I/O-bound, one thread:       %.2f s (they overlap)\n", io);
    cpu = run(1);
    printf("CPU-bound, one thread:       %.2f s (one after the other)\n", cpu);
    pool = run(2);
    printf("CPU-bound, thread pool:      %.2f s (in parallel on %ld cores)\n", pool, sysconf(_SC_NPROCESSORS_ONLN));
    printf("elapsed: io %.2f s, cpu %.2f s, pool %.2f s\n", io, cpu, pool);
    return 0;
}
