/* debug.c — debug mode: slow steps (a greedy coroutine), tasks still pending
 * at loop close, errors nobody retrieved. Built on the core's trace hook. */
#include "rt_private.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void async__rt_warn(async__rt *rt, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rt && rt->sink) rt->sink(rt->sink_ud, line);
    else fprintf(stderr, "async debug: %s\n", line);
}

/* An await raised a failed task's error since the last event: forget it. */
static void debug_take_retrieved(async__rt *rt) {
    if (!rt->loop->retrieved) return;
    async__debug_forget(rt, (async_task *)(void *)rt->loop->retrieved);
    rt->loop->retrieved = NULL;
}

static void debug_trace(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    async__rt *rt = (async__rt *)ud;
    (void)loop;
    if (ev == ASYNC_TRACE_RETRIEVED) { /* async_future_error on t */
        async__debug_forget(rt, t);
        return;
    }
    debug_take_retrieved(rt);
    if (ev == ASYNC_TRACE_STEP_BEGIN) {
        rt->step_where = async_task_where(t);
        rt->step_start = async__mono_ns();
    } else if (ev == ASYNC_TRACE_STEP_END) {
        double held = (double)(async__mono_ns() - rt->step_start) / 1e9;
        if (held > rt->slow)
            async__rt_warn(rt, "slow step: task '%s' held the loop for %.1f ms (resumed at %s, %s %s)",
                           async_task_name(t), held * 1e3, rt->step_where,
                           s >= ASYNC_YIELDED ? "suspended at" : "finished", s >= ASYNC_YIELDED ? async_task_where(t) : "");
        /* A task that failed while nothing awaited it: reported at close from
         * this copy unless its error is read before (ASYNC_TRACE_RETRIEVED),
         * since by then the task may be freed. */
        if (s == ASYNC_FAILED && t->fut.c.err != ASYNC_ECANCELLED && !t->fut.waiters) {
            struct async__failed *r;
            if (rt->nfailed == rt->capfailed) {
                size_t cap = rt->capfailed ? rt->capfailed * 2 : 16;
                struct async__failed *p = (struct async__failed *)realloc(rt->failed, cap * sizeof *p);
                if (!p) return;
                rt->failed = p;
                rt->capfailed = cap;
            }
            r = &rt->failed[rt->nfailed++];
            r->t = t;
            r->err = t->fut.c.err;
            snprintf(r->name, sizeof r->name, "%s", async_task_name(t));
        }
    }
}

void async_rt_set_debug(async_loop *loop, double slow_seconds) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return;
    rt->slow = slow_seconds > 0 ? slow_seconds : 0;
    async_loop_set_trace(loop, rt->slow > 0 ? debug_trace : NULL, rt->slow > 0 ? rt : NULL);
}

void async_rt_set_debug_sink(async_loop *loop, void (*fn)(void *ud, const char *line), void *ud) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return;
    rt->sink = fn;
    rt->sink_ud = ud;
}

void async__debug_init_env(async__rt *rt) {
    const char *v = getenv("ASYNC_DEBUG"), *slow = getenv("ASYNC_DEBUG_SLOW");
    if (v && *v && *v != '0') async_rt_set_debug(rt->loop, slow ? atof(slow) : 0.1);
}

void async__debug_forget(async__rt *rt, async_task *t) {
    size_t i;
    for (i = 0; i < rt->nfailed; i++)
        if (rt->failed[i].t == t) rt->failed[i--] = rt->failed[--rt->nfailed];
}

void async__debug_close(async__rt *rt) {
    size_t i;
    if (rt->slow <= 0) return;
    debug_take_retrieved(rt);
    for (i = 0; i < rt->nfailed; i++) {
        struct async__failed *r = &rt->failed[i];
        async__rt_warn(rt, "task '%s' failed with error %d (%s) and its error was never retrieved", r->name,
                       r->err, async_rt_strerror(r->err));
    }
    rt->nfailed = 0;
#if ASYNC_CONFIG_TASK_INFO
    {
        async_task *t;
        for (t = rt->loop->live; t; t = t->next_live)
            async__rt_warn(rt, "task '%s' destroyed while pending (suspended at %s)", async_task_name(t),
                           async_task_where(t));
    }
#endif
}
