/* rt_common.h — helpers of the runtime tests (tests/rt_*.c): run a coroutine
 * on a fresh libev loop, with a wall-clock guard so nothing hangs. */
#ifndef RT_COMMON_H
#define RT_COMMON_H
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <dirent.h>
#include <cmocka.h>
#include "async_rt.h"

static __attribute__((unused)) double rt_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run fn(frame) as the main task of a new libev loop; returns its error. */
static __attribute__((unused)) int rt_run(async_fn fn, void *frame) {
    async_loop loop;
    async_task t;
    int r;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state to catch reuse */
    assert_int_equal(async_rt_loop_init(&loop), 0);
    alarm(20); /* a stuck test dies instead of hanging the suite */
    r = async_run(&loop, &t, fn, frame);
    alarm(0);
    async_rt_loop_close(&loop);
    return r;
}

/* Open file descriptors of this process (a leak check: compare before/after). */
static __attribute__((unused)) int rt_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

#define RT_TEST(f) cmocka_unit_test(f)
#endif
