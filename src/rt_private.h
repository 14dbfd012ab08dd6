/* rt_private.h — what the runtime's source files share; not installed. */
#ifndef ASYNC_RT_PRIVATE_H
#define ASYNC_RT_PRIVATE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, pipe2, NSIG, clock_gettime */
#endif

/* Misuse inside the library goes through a settable handler (tests count it). */
void async__rt_misuse(const char *msg);
#define ASYNC_MISUSE(msg) async__rt_misuse(msg)
#include "async_rt.h"
#include <pthread.h>

typedef struct async__pool async__pool;

/* Debug mode's copy of a task that failed unawaited: the task itself may be
 * freed or reused before the loop closes, so it is never read again. */
struct async__failed {
    const async_task *t; /* identity only (async__debug_forget), never dereferenced */
    int err;
    char name[48];
};

/* The libev backend behind loop->backend. */
typedef struct async__rt {
    struct ev_loop *ev;
    async_loop *loop;
    ev_timer deadline;         /* the core's earliest deadline, armed inside wait */
    ev_async wake;             /* call_soon_threadsafe and pool completions */
    pthread_mutex_t lock;      /* guards the thread-safe queue */
    async_tscall *ts_head, *ts_tail;
    async__pool *pool;
    unsigned pool_size;
    /* debug mode */
    double slow;               /* seconds; 0 = off */
    async_time step_start;
    const async_where *step_where; /* the task's resume point when its step began */
    void (*sink)(void *ud, const char *line);
    void *sink_ud;
    int closing;               /* in async_rt_loop_close: completions drop their owners */
    struct async__failed *failed; /* failed tasks nobody awaited when they finished */
    size_t nfailed, capfailed;
    async_stream *streams;     /* open streams (stream.c), closed or detached with the loop */
    async_server *servers;     /* servers not yet fully closed */
    int draining;              /* in async_rt_loop_close's last run: a stream close does not wait to flush */
    struct async__tj *tj;      /* the JSON trace being written (debug.c), or NULL */
    async_stream *dirty;       /* streams with writes buffered since the last poll */
    unsigned iter;             /* loop iterations (waits), for the writers' batch detection */
} async__rt;

/* The runtime behind a loop, or NULL for a loop on another backend (inline:
 * every stream call asks). */
int async__rt_wait(void *data, async_loop *loop, const async_time *deadline);
static inline async__rt *async__rt_of(async_loop *loop) {
    return (loop && loop->wait_fn == async__rt_wait) ? (async__rt *)loop->backend : NULL;
}
async_time async__mono_ns(void);

/* debug.c */
void async__debug_init_env(async__rt *rt);
void async__debug_close(async__rt *rt);
void async__debug_forget(async__rt *rt, async_task *t);
/* One backend wait (poll) that began at t0 and ends now, for the JSON trace. */
void async__trace_poll(async__rt *rt, async_time t0);
/* A short description of what a future is ("read on fd 7", "task worker"). */
void async__describe_future(async__rt *rt, async_future *f, char *buf, size_t n);
void async__rt_warn(async__rt *rt, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* loop.c */
void async__rt_drain(async__rt *rt);
/* A done future carrying err, for a misuse that must not touch the object's
 * own (pending) future. Per thread; never awaited by more than one at a time
 * in practice (it is done: nobody parks on it). */
async_future *async__error_future(int err);

/* stream.c: at loop close, before the queued callbacks run: close servers and
 * abort streams that were closing; after them: detach what is left. */
void async__streams_close_begin(async__rt *rt);
void async__streams_close_end(async__rt *rt);
/* For the task tree: what f is, if it belongs to a stream or a server
 * (buf filled, 1), else 0; and the tasks of a server's clients. */
int async__streams_describe(async__rt *rt, async_future *f, char *buf, size_t n, async_server **srv);
void async__server_each_client(async_server *srv, void (*fn)(async_task *t, void *ud), void *ud);
/* stream.c: just before the loop polls: one send per stream written to. */
void async__streams_flush(async__rt *rt);

/* threads.c: the loop's worker pool. A job runs fn(arg) on a worker; back on
 * the loop thread finish(job) runs (owner NULL if it was cancelled), then
 * the owner future is completed with job->err / job->result. The owner is an
 * async_op whose cancel hook calls async__pool_cancel. */
typedef struct async__job async__job;
struct async__job {
    async__job *next, *prev;    /* the pool's queue (under the pool lock) */
    async_work_fn fn;
    void *arg;
    async_value result;
    int err;
    int state;                  /* 0 queued, 1 taken by a worker (under the pool lock) */
    async__rt *rt;
    async_future *owner;        /* NULL once cancelled (detached) */
    void **owner_slot;          /* the owner's pointer to this job (cleared when done) */
    void (*finish)(async__job *j);
    void (*discard)(async_value result); /* for a detached job's result */
    async_tscall tc;
};
/* Queue a job for owner (which must be pending); 0 or an error. */
int async__pool_submit(async__rt *rt, async__job *j);
/* Loop thread, from the owner's cancel hook: a queued job is dropped (finish
 * runs, the job is freed), a running or finished one is detached and freed
 * when its completion is handled. */
void async__pool_cancel(async__job *j);
void async__pool_shutdown(async__rt *rt);

/* Complete a future unless it is already done (cancelled by its awaiter). */
static inline void async__complete(async_future *f, int err, async_value v) {
    if (f->c.state != ASYNC__PENDING) return;
    if (err) async_future_set_error(f, err);
    else async_future_set_result(f, v);
}
/* Make f a done future with a result or an error (no loop trip to await it). */
static inline async_future *async__done_now(async_future *f, async_loop *loop, int err, async_value v) {
    async_future_init(f, loop);
    if (err) async_future_set_error(f, err);
    else async_future_set_result(f, v);
    return f;
}

#endif
