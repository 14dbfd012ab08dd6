/* port_host.c — the examples' platform layer on a Linux host (see port.h).
 * Console: stdout, flushed at every write so that output interleaves in the
 * order it happened even when stdout is a pipe (the checks read it that way).
 * Loop: the runtime's libev loop (src/async_rt.h) when the examples are built
 * with it (PORT_HOST_RT), else a small monotonic-clock backend of our own;
 * either way ASYNC_VIRTUAL_TIME=1 in the environment selects the core's
 * virtual clock, on which sleeping programs finish at once and print exact
 * times. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include "port.h"
#ifdef PORT_HOST_RT
#include "src/async_rt.h"
#endif

void port_init(void) {}

void port_write(const char *s) {
    fputs(s, stdout);
    fflush(stdout);
}

void port_exit(int status) {
    fflush(stdout);
    exit(status);
}

double port_elapsed(async_loop *loop, async_time since) {
    return (double)(async_loop_time(loop) - since) / (double)ASYNC_TICKS_PER_SEC;
}

#ifdef PORT_HOST_RT
int port_loop_init(async_loop *loop) {
    int r = async_rt_loop_init_env(loop);
    if (r < 0) {
        fprintf(stderr, "port_loop_init: %s\n", async_rt_strerror(r));
        exit(1);
    }
    return r;
}
void port_loop_close(async_loop *loop) { async_rt_loop_close(loop); }
#else
static int port__want_virtual(void) {
    const char *v = getenv("ASYNC_VIRTUAL_TIME");
    return v && strcmp(v, "1") == 0;
}

/* Fallback real-time backend: CLOCK_MONOTONIC in ns and nanosleep. It has no
 * I/O to wait for, so "nothing ready, no timer" is a deadlock, as on the
 * virtual clock. */
static async_time port__mono_now(void *data) {
    struct timespec ts;
    (void)data;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (async_time)ts.tv_sec * 1000000000u + (async_time)ts.tv_nsec;
}
static int port__mono_wait(void *data, async_loop *loop, const async_time *deadline) {
    async_time now;
    struct timespec ts;
    (void)loop;
    if (!deadline) return ASYNC_EDEADLOCK;
    now = port__mono_now(data); /* with tasks ready, the loop passes deadline = now */
    if ((ASYNC_STIME_T)(*deadline - now) <= 0) return 0;
    ts.tv_sec = (time_t)((*deadline - now) / 1000000000u);
    ts.tv_nsec = (long)((*deadline - now) % 1000000000u);
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    return 0;
}
int port_loop_init(async_loop *loop) {
    if (port__want_virtual()) {
        async_loop_init_virtual(loop);
        return 1;
    }
    async_loop_init(loop, port__mono_now, port__mono_wait, NULL);
    return 0;
}
void port_loop_close(async_loop *loop) { (void)async_loop_close(loop); }
#endif
