/* loop.c — the libev backend of the core loop: clock, wait, thread-safe calls,
 * run(), error messages. */
#include "rt_private.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void (*misuse_handler)(const char *msg);

void async__rt_misuse(const char *msg) {
    if (misuse_handler) misuse_handler(msg);
    else async__misuse_default(msg);
}

void async_rt_set_misuse_handler(void (*fn)(const char *msg)) { misuse_handler = fn; }

async_time async__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (async_time)ts.tv_sec * 1000000000u + (async_time)ts.tv_nsec;
}

static async_time rt_now(void *data) {
    (void)data;
    return async__mono_ns();
}

/* Runs on the loop thread (inside ev_run) when another thread queued calls. */
static void rt_drain_ts(async__rt *rt) {
    async_tscall *c, *next;
    pthread_mutex_lock(&rt->lock);
    c = rt->ts_head;
    rt->ts_head = rt->ts_tail = NULL;
    pthread_mutex_unlock(&rt->lock);
    for (; c; c = next) {
        next = c->next; /* c may be freed by its fn */
        c->fn(c->arg);
    }
}

void async__rt_drain(async__rt *rt) { rt_drain_ts(rt); }

async_future *async__error_future(int err) {
    static __thread async_future f;
    f.c.value = async_none();
    f.c.state = err ? ASYNC__FAILED : ASYNC__DONE;
    f.c.flags = 0;
    f.c.err = (int16_t)err;
    f.loop = NULL;
    f.waiters = NULL;
    return &f;
}

static void rt_wake_cb(struct ev_loop *ev, ev_async *w, int revents) {
    (void)ev;
    (void)revents;
    rt_drain_ts((async__rt *)w->data);
}

static void rt_deadline_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    (void)ev;
    (void)w;
    (void)revents; /* only there to end the poll; the core runs its own timers */
}

/* The core's wait: one libev iteration, bounded by the core's earliest deadline.
 * libev's own watchers complete core futures from their callbacks. With no
 * deadline and no watcher that could ever fire, report a deadlock instead of
 * blocking forever (ev_run would return at once anyway: nothing is active). */
static inline int rt_wait_ev(async__rt *rt, async_loop *loop, const async_time *deadline) {
    async_time next;
    /* Due by the last iteration's time (always so when tasks are ready: the
     * core passes loop->now): poll, and leave the clock to the core's one read
     * after it. */
    if (deadline && !async_time_before(loop->now, *deadline)) {
        ev_run(rt->ev, EVRUN_NOWAIT);
    } else if (deadline) {
        async_time now = async__mono_ns();
        if (async_time_before(now, *deadline)) {
            double s = (double)(*deadline - now) / 1e9;
            ev_now_update(rt->ev); /* libev timers count from its cached time */
            ev_timer_set(&rt->deadline, s, 0.);
            ev_timer_start(rt->ev, &rt->deadline);
            ev_run(rt->ev, EVRUN_ONCE);
            ev_timer_stop(rt->ev, &rt->deadline);
        } else {
            ev_run(rt->ev, EVRUN_NOWAIT);
        }
    } else {
        /* ev_run returns the number of active (referenced) watchers; with
         * none it polls without blocking, so nothing can hang here. */
        int active = ev_run(rt->ev, EVRUN_ONCE);
        if (!active && !loop->ready_head && !async__timer_next(loop, &next)) {
            int queued;
            pthread_mutex_lock(&rt->lock);
            queued = rt->ts_head != NULL;
            pthread_mutex_unlock(&rt->lock);
            if (!queued) return ASYNC_EDEADLOCK;
            rt_drain_ts(rt);
        }
    }
    return 0;
}

/* The JSON trace times each poll; kept out of the untraced path. */
static ASYNC__COLD int rt_wait_traced(async__rt *rt, async_loop *loop, const async_time *deadline) {
    async_time t0 = async__mono_ns();
    int r = rt_wait_ev(rt, loop, deadline);
    async__trace_poll(rt, t0);
    return r;
}

int async__rt_wait(void *data, async_loop *loop, const async_time *deadline) {
    async__rt *rt = (async__rt *)data;
    if (rt->dirty) async__streams_flush(rt); /* the writes of this batch of steps leave together */
    rt->iter++;
    if (ASYNC__UNLIKELY(rt->tj != NULL)) return rt_wait_traced(rt, loop, deadline);
    return rt_wait_ev(rt, loop, deadline);
}

int async_rt_is_libev(async_loop *loop) { return async__rt_of(loop) != NULL; }

struct ev_loop *async_rt_ev(async_loop *loop) {
    async__rt *rt = async__rt_of(loop);
    return rt ? rt->ev : NULL;
}

int async_rt_loop_init(async_loop *loop) {
    async__rt *rt = (async__rt *)calloc(1, sizeof *rt);
    if (!rt) return ASYNC_RT_ENOMEM;
    /* A fresh loop, never ev_default_loop: the default loop installs a SIGCHLD
     * handler that reaps every child of the process (subprocesses use pidfds). */
    rt->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (!rt->ev) {
        free(rt);
        return ASYNC_RT_ENOMEM;
    }
    if (pthread_mutex_init(&rt->lock, NULL)) {
        ev_loop_destroy(rt->ev);
        free(rt);
        return ASYNC_RT_ENOMEM;
    }
    rt->loop = loop;
    ev_timer_init(&rt->deadline, rt_deadline_cb, 0., 0.);
    ev_async_init(&rt->wake, rt_wake_cb);
    rt->wake.data = rt;
    ev_async_start(rt->ev, &rt->wake);
    ev_unref(rt->ev); /* the wake-up alone must not keep an idle loop alive */
    async_loop_init(loop, rt_now, async__rt_wait, rt);
    async__debug_init_env(rt);
    return 0;
}

int async_rt_loop_init_env(async_loop *loop) {
    const char *v = getenv("ASYNC_VIRTUAL_TIME");
    if (v && strcmp(v, "1") == 0) {
        async_loop_init_virtual(loop);
        return 1;
    }
    return async_rt_loop_init(loop);
}

void async_rt_loop_close(async_loop *loop) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) { /* the virtual clock: only the core loop to close */
        if (!async_loop_is_running(loop)) (void)async_loop_close(loop);
        return;
    }
    if (async_loop_is_running(loop)) {
        ASYNC_MISUSE("async_rt_loop_close on a running loop");
        return;
    }
    async__streams_close_begin(rt);
    { /* run what is already queued (e.g. servers freeing their clients after
       * the cancellations of asyncio.run's shutdown), bounded */
        int i;
        loop->running = 1;
        for (i = 0; i < 1000 && loop->ready_head; i++)
            if (async_loop_run_once(loop)) break;
        loop->running = 0;
    }
    async__streams_close_end(rt);
    rt->closing = 1;
    async__pool_shutdown(rt);
    async__debug_close(rt);
    ev_ref(rt->ev);
    ev_async_stop(rt->ev, &rt->wake);
    ev_loop_destroy(rt->ev);
    pthread_mutex_destroy(&rt->lock);
    free(rt->failed);
    free(rt);
    loop->backend = NULL;
    loop->wait_fn = NULL;
    (void)async_loop_close(loop);
}

void async_rt_keepalive(async_loop *loop, int delta) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return;
    for (; delta > 0; delta--) ev_ref(rt->ev);
    for (; delta < 0; delta++) ev_unref(rt->ev);
}

int async_call_soon_threadsafe(async_loop *loop, async_tscall *c, void (*fn)(void *arg), void *arg) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return ASYNC_RT_ENOBACKEND;
    c->next = NULL;
    c->fn = fn;
    c->arg = arg;
    pthread_mutex_lock(&rt->lock);
    if (rt->ts_tail) rt->ts_tail->next = c;
    else rt->ts_head = c;
    rt->ts_tail = c;
    pthread_mutex_unlock(&rt->lock);
    ev_async_send(rt->ev, &rt->wake);
    return 0;
}

int async_rt_run(async_fn main, void *frame, async_value *result) {
    async_loop loop;
    async_task t;
    int r = async_rt_loop_init_env(&loop);
    if (r < 0) return r;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state to catch reuse */
    r = async_run(&loop, &t, main, frame);
    if (result) *result = async_future_result(&t.fut);
    async_rt_loop_close(&loop);
    return r;
}

const char *async_rt_strerror(int err) {
    switch (err) {
    case ASYNC_RT_ENOBACKEND: return "this loop has no libev backend (virtual clock?): sockets, streams, "
                                     "threads and subprocesses need async_rt_loop_init";
    case ASYNC_RT_EINCOMPLETE: return "incomplete read: end of stream before the requested data";
    case ASYNC_RT_ELIMIT: return "limit overrun: separator not found within the buffer limit";
    case ASYNC_RT_ECLOSED: return "closed: the stream, server or pool was closed";
    case ASYNC_RT_ERESOLVE: return "name resolution failed";
    case ASYNC_RT_ENOMEM: return "out of memory";
    default:
        if (err > 0) return strerror(err);
        return async_strerror(err);
    }
}
