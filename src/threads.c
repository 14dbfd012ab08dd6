/* threads.c — the loop's thread pool: to_thread / run_in_executor. Workers take
 * jobs from a mutex+condvar queue and hand them back to the loop thread with
 * async_call_soon_threadsafe (ev_async). Each queued or running job holds a
 * libev reference, so a loop waiting on work does not report a deadlock.
 * The owner future is an async_op: its cancel hook drops or detaches the job
 * synchronously, so nothing the loop runs later refers to the owner. */
#include "rt_private.h"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct async__pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    async__job *head, *tail;
    pthread_t *threads;
    unsigned n;
    int stop;
};

static void job_done(void *arg);

static void *worker(void *arg) {
    async__rt *rt = (async__rt *)arg;
    async__pool *p = rt->pool;
    for (;;) {
        async__job *j;
        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        j = p->head;
        p->head = j->next;
        if (p->head) p->head->prev = NULL;
        else p->tail = NULL;
        j->state = 1;
        pthread_mutex_unlock(&p->mu);
        j->result = async_none();
        j->err = j->fn(j->arg, &j->result);
        /* From here on j belongs to the loop thread again. */
        async_call_soon_threadsafe(rt->loop, &j->tc, job_done, j);
    }
}

static unsigned default_size(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2u : (unsigned)n;
}

static int pool_start(async__rt *rt) {
    async__pool *p = (async__pool *)calloc(1, sizeof *p);
    unsigned i, n = rt->pool_size ? rt->pool_size : default_size();
    if (!p) return ASYNC_RT_ENOMEM;
    p->threads = (pthread_t *)calloc(n, sizeof *p->threads);
    if (!p->threads || pthread_mutex_init(&p->mu, NULL)) {
        free(p->threads);
        free(p);
        return ASYNC_RT_ENOMEM;
    }
    pthread_cond_init(&p->cv, NULL);
    rt->pool = p;
    for (i = 0; i < n; i++) {
        int e = pthread_create(&p->threads[i], NULL, worker, rt);
        if (e) {
            if (i == 0) {
                pthread_cond_destroy(&p->cv);
                pthread_mutex_destroy(&p->mu);
                free(p->threads);
                free(p);
                rt->pool = NULL;
                return e;
            }
            break; /* run with the workers we got */
        }
        p->n = i + 1;
    }
    return 0;
}

/* Back on the loop thread: complete the owner (unless it was cancelled), free. */
static void job_done(void *arg) {
    async__job *j = (async__job *)arg;
    async__rt *rt = j->rt;
    ev_unref(rt->ev);
    if (rt->closing) j->owner = NULL; /* owners may be gone: only free */
    if (j->owner && j->owner_slot) *j->owner_slot = NULL;
    if (j->finish) j->finish(j);
    if (j->owner) async__complete(j->owner, j->err, j->result);
    else if (!j->err && j->discard) j->discard(j->result);
    free(j);
}

void async__pool_cancel(async__job *j) {
    async__pool *p = j->rt->pool;
    int queued;
    j->owner = NULL;
    j->owner_slot = NULL;
    pthread_mutex_lock(&p->mu);
    queued = j->state == 0;
    if (queued) {
        if (j->prev) j->prev->next = j->next;
        else p->head = j->next;
        if (j->next) j->next->prev = j->prev;
        else p->tail = j->prev;
    }
    pthread_mutex_unlock(&p->mu);
    if (!queued) return; /* a worker has it: job_done frees it */
    ev_unref(j->rt->ev);
    if (j->finish) j->finish(j);
    free(j);
}

int async__pool_submit(async__rt *rt, async__job *j) {
    async__pool *p;
    if (rt->closing) return ASYNC_RT_ECLOSED;
    if (!rt->pool) {
        int e = pool_start(rt);
        if (e) return e;
    }
    p = rt->pool;
    j->rt = rt;
    j->state = 0;
    j->next = NULL;
    ev_ref(rt->ev);
    pthread_mutex_lock(&p->mu);
    j->prev = p->tail;
    if (p->tail) p->tail->next = j;
    else p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void async__pool_shutdown(async__rt *rt) {
    async__pool *p = rt->pool;
    async__job *q, *next;
    unsigned i;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    q = p->head; /* queued work is cancelled: it never started */
    p->head = p->tail = NULL;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (; q; q = next) {
        next = q->next;
        ev_unref(rt->ev);
        q->owner = NULL;
        if (q->finish) q->finish(q);
        free(q);
    }
    for (i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
    async__rt_drain(rt); /* completions of the work that was running */
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
    rt->pool = NULL;
}

int async_rt_set_pool_size(async_loop *loop, unsigned n) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (rt->pool) return ASYNC_EBUSY;
    rt->pool_size = n;
    return 0;
}

static int work_cancelled(async_op *op) {
    async_work *w = (async_work *)(void *)op;
    async__job *j = (async__job *)w->job;
    w->job = NULL;
    /* after async_rt_loop_close the pool freed the queued job: nothing to drop */
    if (j && async__rt_of(op->fut.loop)) async__pool_cancel(j);
    return ASYNC_OP_CANCELLED;
}

async_future *async_to_thread_ex(async_work *w, async_loop *loop, async_work_fn fn, void *arg,
                                 void (*discard)(async_value result)) {
    async__rt *rt = async__rt_of(loop);
    async__job *j;
    int e;
    if (!rt) return async__error_future(ASYNC_RT_ENOBACKEND);
    if (w->op.fut.c.state == ASYNC__PENDING && w->op.fut.loop == loop && w->job) {
        ASYNC_MISUSE("async_to_thread: this async_work is still pending");
        return async__error_future(ASYNC_EBUSY);
    }
    j = (async__job *)calloc(1, sizeof *j);
    if (!j) return async__done_now(&w->op.fut, loop, ASYNC_RT_ENOMEM, async_none());
    async_op_init(&w->op, loop, work_cancelled);
    j->fn = fn;
    j->arg = arg;
    j->discard = discard;
    j->owner = &w->op.fut;
    j->owner_slot = &w->job;
    w->job = j;
    e = async__pool_submit(rt, j);
    if (e) {
        w->job = NULL;
        free(j);
        async_future_set_error(&w->op.fut, e);
    }
    return &w->op.fut;
}

async_future *async_to_thread(async_work *w, async_loop *loop, async_work_fn fn, void *arg) {
    return async_to_thread_ex(w, loop, fn, arg, NULL);
}
