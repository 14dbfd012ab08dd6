/* rt_cancel.c — runtime operations under cancellation: once the await returns
 * because of a cancel (task cancel, timeout, wait_for, shutdown), the
 * operation is unregistered and its buffers and frame may be freed at once.
 * Thread-pool jobs cancelled in every state, the resolver, cancellation at
 * every await point of open_connection, raw socket ops, process wait,
 * signal wait. Also runs under ThreadSanitizer and valgrind. */
#include "rt_common.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/wait.h>

static sem_t g_sem;
static int post_sem(void *arg, async_value *res) {
    (void)arg;
    sem_post(&g_sem);
    *res = async_int(1);
    return 0;
}
static int square(void *arg, async_value *res) {
    *res = async_int((intptr_t)arg * (intptr_t)arg);
    return 0;
}

struct waiter { async_frame hdr; async_work w; async_work_fn fn; void *arg; };
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, self->fn, self->arg));
    ASYNC_END();
}
struct resolver { async_frame hdr; async_resolve r; };
static ASYNC_FN(resolver, struct resolver) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL));
    ASYNC_FINALLY();
    async_resolve_free(&self->r);
    ASYNC_END();
}

/* The job of the task we cancel has finished on its worker and its
 * completion is queued for the loop thread, not yet handled: one worker runs
 * it, then a second job that posts the semaphore the loop thread blocks on.
 * The task's frame is freed as soon as its cancelled await returns. */
struct late_main {
    async_frame hdr;
    async_task t;
    void *frame; /* malloc'd: struct waiter or struct resolver */
    int resolve, err;
    async_work w2;
};
static ASYNC_FN(late_main, struct late_main) {
    ASYNC_BEGIN();
    if (self->resolve) async_task_create(ASYNC_LOOP, &self->t, resolver, self->frame, "resolve");
    else async_task_create(ASYNC_LOOP, &self->t, waiter, self->frame, "job");
    while (!async_task_waiting_on(&self->t)) ASYNC_SLEEP0();
    async_to_thread(&self->w2, ASYNC_LOOP, post_sem, NULL);
    while (sem_wait(&g_sem) < 0 && errno == EINTR) {
    }
    async_task_cancel(&self->t);
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    free(self->frame); /* the await returned: nothing may touch it any more */
    self->frame = NULL;
    ASYNC_AWAIT(&self->w2.op.fut);
    ASYNC_SLEEP0();
    ASYNC_SLEEP0();
    ASYNC_END();
}
static void run_late(int resolve) {
    struct late_main m;
    async_loop loop;
    async_task t;
    memset(&t, 0, sizeof t);
    memset(&m, 0, sizeof m);
    m.resolve = resolve;
    if (resolve) m.frame = calloc(1, sizeof(struct resolver));
    else {
        struct waiter *w = (struct waiter *)calloc(1, sizeof *w);
        w->fn = square;
        w->arg = (void *)3;
        m.frame = w;
    }
    sem_init(&g_sem, 0, 0);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 1), 0);
    alarm(20);
    assert_int_equal(async_run(&loop, &t, late_main, &m), 0);
    alarm(0);
    async_rt_loop_close(&loop);
    sem_destroy(&g_sem);
}
static void test_cancel_finished_job(void **st) {
    (void)st;
    run_late(0);
}
static void test_cancel_finished_resolve(void **st) {
    (void)st;
    run_late(1);
}


/* asyncio.run's shutdown while tasks await jobs in every state: on the one
 * worker, two jobs have finished (their completions not yet handled), a
 * third runs (blocked until the test releases it), two are queued. The
 * leftover tasks are cancelled, their frames freed, then the loop closes. */
static int nap_ms(void *arg, async_value *res) {
    struct timespec ts = {0, (long)(uintptr_t)arg * 1000000L};
    nanosleep(&ts, NULL);
    *res = async_int(1);
    return 0;
}
static sem_t g_release, g_hold;
static int held(void *arg, async_value *res) {
    (void)arg;
    while (sem_wait(&g_hold) < 0 && errno == EINTR) {
    }
    *res = async_int(1);
    return 0;
}
static int post_and_block(void *arg, async_value *res) {
    (void)arg;
    sem_post(&g_sem);
    while (sem_wait(&g_release) < 0 && errno == EINTR) {
    }
    *res = async_int(1);
    return 0;
}
#define NSHUT 4
struct shut_main { async_frame hdr; async_task t[NSHUT]; struct waiter *wf[NSHUT]; async_work blocker; };
static ASYNC_FN(shut_main, struct shut_main) {
    int i;
    ASYNC_BEGIN();
    /* nothing can finish until g_hold is posted: the loop has nothing to handle */
    for (i = 0; i < 2; i++) async_task_create(ASYNC_LOOP, &self->t[i], waiter, self->wf[i], "done");
    ASYNC_SLEEP0(); /* they submit their jobs */
    async_to_thread(&self->blocker, ASYNC_LOOP, post_and_block, NULL);
    for (i = 2; i < NSHUT; i++) async_task_create(ASYNC_LOOP, &self->t[i], waiter, self->wf[i], "queued");
    ASYNC_SLEEP0();
    sem_post(&g_hold);
    while (sem_wait(&g_sem) < 0 && errno == EINTR) { /* the first two are done, the blocker runs */
    }
    ASYNC_END(); /* without a loop iteration in between */
}
static void test_shutdown_with_jobs(void **st) {
    struct shut_main m;
    async_loop loop;
    async_task t;
    int i;
    (void)st;
    memset(&t, 0, sizeof t);
    memset(&m, 0, sizeof m);
    for (i = 0; i < NSHUT; i++) {
        m.wf[i] = (struct waiter *)calloc(1, sizeof *m.wf[i]);
        m.wf[i]->fn = i == 0 ? held : square;
        m.wf[i]->arg = (void *)2;
    }
    sem_init(&g_sem, 0, 0);
    sem_init(&g_release, 0, 0);
    sem_init(&g_hold, 0, 0);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 1), 0);
    alarm(20);
    assert_int_equal(async_run(&loop, &t, shut_main, &m), 0);
    for (i = 0; i < NSHUT; i++) assert_true(async_future_cancelled(&m.t[i].fut));
    for (i = 0; i < NSHUT; i++) free(m.wf[i]);
    sem_post(&g_release); /* the close waits for the running job */
    async_rt_loop_close(&loop);
    alarm(0);
    sem_destroy(&g_sem);
    sem_destroy(&g_release);
    sem_destroy(&g_hold);
}

/* Work still queued when the loop closes (its future pending, awaited by no
 * one): the close frees the job; the future stays pending, and cancelling it
 * afterwards must not touch the freed job (asyncio: a pending executor future
 * outlives loop.close()). Also for a queued name resolution. */
struct orphan_main { async_frame hdr; async_work blocker, queued; async_resolve r; };
static ASYNC_FN(orphan_main, struct orphan_main) {
    ASYNC_BEGIN();
    async_to_thread(&self->blocker, ASYNC_LOOP, post_and_block, NULL);
    async_to_thread(&self->queued, ASYNC_LOOP, square, (void *)3);
    async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL);
    while (sem_wait(&g_sem) < 0 && errno == EINTR) { /* the blocker runs: the others stay queued */
    }
    ASYNC_END();
}
static void test_cancel_after_close(void **st) {
    struct orphan_main m;
    async_loop loop;
    async_task t;
    (void)st;
    memset(&t, 0, sizeof t);
    memset(&m, 0, sizeof m);
    sem_init(&g_sem, 0, 0);
    sem_init(&g_release, 0, 0);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 1), 0);
    alarm(20);
    assert_int_equal(async_run(&loop, &t, orphan_main, &m), 0);
    sem_post(&g_release);
    async_rt_loop_close(&loop);
    alarm(0);
    assert_false(async_future_done(&m.queued.op.fut));
    assert_false(async_future_done(&m.r.op.fut));
    assert_int_equal(async_future_cancel(&m.queued.op.fut), 1);
    assert_int_equal(async_future_cancel(&m.r.op.fut), 1);
    assert_true(async_future_cancelled(&m.queued.op.fut));
    async_resolve_free(&m.r);
    sem_destroy(&g_sem);
    sem_destroy(&g_release);
}

/* Thousands of jobs, each cancelled at a seeded random moment (or never):
 * every one either completes with its result or is cancelled; a job whose
 * await was cancelled may still run (it was running), but one that completed
 * ran exactly once; no false ASYNC_EDEADLOCK, nothing leaks. */
#define BATCH 64
#define NSTRESS (47 * BATCH)
struct rec { int ran; intptr_t in; };
static int rec_job(void *arg, async_value *res) {
    struct rec *r = (struct rec *)arg;
    volatile unsigned x = 0;
    unsigned i, n = (unsigned)(r->in % 7) * 2000u;
    for (i = 0; i < n; i++) x += i;
    __atomic_add_fetch(&r->ran, 1, __ATOMIC_RELAXED);
    *res = async_int(r->in * 2);
    return 0;
}
struct stress_main {
    async_frame hdr;
    struct rec *recs;
    int *outcome; /* 1 completed, 2 cancelled */
    async_task t[BATCH];
    struct waiter *wf[BATCH];
    struct resolver *rf[BATCH];
    int plan[BATCH];
    unsigned seed;
    int base, i, step, err;
};
static ASYNC_FN(stress_main, struct stress_main) {
    int i;
    ASYNC_BEGIN();
    for (self->base = 0; self->base < NSTRESS; self->base += BATCH) {
        for (i = 0; i < BATCH; i++) {
            int k = self->base + i;
            self->plan[i] = rand_r(&self->seed) % 12; /* >= 8: never cancelled */
            self->recs[k].in = k;
            if (k % 16 == 15) {
                self->rf[i] = (struct resolver *)calloc(1, sizeof *self->rf[i]);
                self->wf[i] = NULL;
                async_task_create(ASYNC_LOOP, &self->t[i], resolver, self->rf[i], "resolve");
            } else {
                self->wf[i] = (struct waiter *)calloc(1, sizeof *self->wf[i]);
                self->rf[i] = NULL;
                self->wf[i]->fn = rec_job;
                self->wf[i]->arg = &self->recs[k];
                async_task_create(ASYNC_LOOP, &self->t[i], waiter, self->wf[i], "job");
            }
        }
        for (self->step = 0; self->step < 8; self->step++) {
            for (i = 0; i < BATCH; i++)
                if (self->plan[i] == self->step) async_task_cancel(&self->t[i]);
            ASYNC_SLEEP0();
        }
        for (self->i = 0; self->i < BATCH; self->i++) {
            ASYNC_AWAIT_CATCH(&self->t[self->i].fut, self->err);
            i = self->i;
            if (self->err == 0) {
                self->outcome[self->base + i] = 1;
                if (self->wf[i]) assert_int_equal(async_future_result(&self->wf[i]->w.op.fut).i, (self->base + i) * 2);
            } else {
                assert_int_equal(self->err, ASYNC_ECANCELLED);
                assert_true(self->plan[i] < 8);
                self->outcome[self->base + i] = 2;
            }
            free(self->wf[i]); /* at once: a detached job must not touch it */
            free(self->rf[i]);
        }
    }
    ASYNC_END();
}
static void test_stress_random_cancel(void **st) {
    struct stress_main *m = (struct stress_main *)calloc(1, sizeof *m);
    async_loop loop;
    async_task t;
    int i, done = 0, cancelled = 0, cancelled_ran = 0;
    (void)st;
    memset(&t, 0, sizeof t);
    m->recs = (struct rec *)calloc(NSTRESS, sizeof *m->recs);
    m->outcome = (int *)calloc(NSTRESS, sizeof *m->outcome);
    m->seed = 12345;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 2), 0);
    alarm(60);
    assert_int_equal(async_run(&loop, &t, stress_main, m), 0); /* no false ASYNC_EDEADLOCK */
    async_rt_loop_close(&loop); /* joins the workers: every job has come back */
    alarm(0);
    for (i = 0; i < NSTRESS; i++) {
        int ran = __atomic_load_n(&m->recs[i].ran, __ATOMIC_RELAXED);
        assert_true(m->outcome[i] == 1 || m->outcome[i] == 2);
        if (i % 16 == 15) continue; /* a lookup */
        assert_true(ran <= 1);
        if (m->outcome[i] == 1) {
            assert_int_equal(ran, 1);
            done++;
        } else {
            cancelled++;
            cancelled_ran += ran;
        }
    }
    fprintf(stderr, "%d completed, %d cancelled (%d of them while running)\n", done, cancelled, cancelled_ran);
    assert_true(done > 0 && cancelled > 0);
    free(m->recs);
    free(m->outcome);
    free(m);
}

/* A job detached while it runs: its result, which owns memory, goes to the
 * discard function when the worker comes back (LSan / valgrind would report
 * the leak otherwise); a job whose result was delivered is not discarded. */
static sem_t g_started, g_go;
static int g_discarded;
static int alloc_job(void *arg, async_value *res) {
    if (arg) {
        sem_post(&g_started);
        while (sem_wait(&g_go) < 0 && errno == EINTR) {
        }
    }
    *res = async_ptr(malloc(100));
    return 0;
}
static void drop(async_value v) {
    free(v.p);
    g_discarded++;
}
struct alloc_waiter { async_frame hdr; async_work w; void *arg; };
static ASYNC_FN(alloc_waiter, struct alloc_waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_to_thread_ex(&self->w, ASYNC_LOOP, alloc_job, self->arg, drop));
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}
struct discard_main { async_frame hdr; async_task t; struct alloc_waiter *wf; async_timer tm; int err, i; };
static ASYNC_FN(discard_main, struct discard_main) {
    ASYNC_BEGIN();
    self->wf = (struct alloc_waiter *)calloc(1, sizeof *self->wf);
    async_task_create(ASYNC_LOOP, &self->t, alloc_waiter, self->wf, "alloc");
    ASYNC_AWAIT(&self->t.fut); /* delivered: the caller owns it */
    free(async_future_result(&self->t.fut).p);
    assert_int_equal(g_discarded, 0);
    self->wf->arg = (void *)1; /* now wait for the loop thread's go */
    async_task_create(ASYNC_LOOP, &self->t, alloc_waiter, self->wf, "alloc");
    ASYNC_SLEEP0();
    while (sem_wait(&g_started) < 0 && errno == EINTR) {
    }
    async_task_cancel(&self->t); /* fn is running: detached */
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    free(self->wf);
    sem_post(&g_go);
    for (self->i = 0; self->i < 500 && !g_discarded; self->i++) ASYNC_SLEEP(&self->tm, 0.01);
    assert_int_equal(g_discarded, 1);
    ASYNC_END();
}
static void test_discard_detached_result(void **st) {
    struct discard_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    sem_init(&g_started, 0, 0);
    sem_init(&g_go, 0, 0);
    assert_int_equal(rt_run(discard_main, &m), 0);
    sem_destroy(&g_started);
    sem_destroy(&g_go);
}

/* Cancellation at every await point of a scenario: point k is the k-th
 * distinct future the scenario's innermost task awaits; the cancel comes m
 * loop iterations after it was reached, in one of three ways: cancel the
 * awaiting task, cancel open_connection's own task, or move the deadline of
 * a timeout scope around the awaits to now. k grows until the scenario
 * completes before its cancel; each run frees the scenario's memory as soon
 * as its await returns and checks that no fd is left open. */
enum { HOW_CANCEL, HOW_INNER, HOW_TIMEOUT, HOW_N };
struct scn_head { async_frame hdr; int how, entered, err; async_timeout to; };
struct conn_scn {
    struct scn_head h;
    async_connect c;
    async_stream s;
    const char *port;
};
static ASYNC_FN_AT(conn_scn, struct conn_scn, h.hdr) {
    ASYNC_BEGIN();
    async_timeout_after(&self->h.to, ASYNC_TASK, ASYNC_NO_TIMEOUT);
    self->h.entered = 1;
    ASYNC_AWAIT_CATCH(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "localhost", self->port, 5.0),
                      self->h.err);
    if (async_timeout_exit(&self->h.to, self->h.err)) ASYNC_RAISE(self->h.to.err);
    async_stream_abort(&self->s);
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    ASYNC_FINALLY();
    /* The connection may have been made just before the cancel reached us:
     * then the stream is ours to close, as after a success. */
    if (self->h.entered && async_future_done(&self->c.task.fut) && !async_future_error(&self->c.task.fut))
        async_stream_destroy(&self->s);
    ASYNC_END();
}
struct work_scn { struct scn_head h; async_work w; async_resolve r; };
static ASYNC_FN_AT(work_scn, struct work_scn, h.hdr) {
    ASYNC_BEGIN();
    async_timeout_after(&self->h.to, ASYNC_TASK, ASYNC_NO_TIMEOUT);
    self->h.entered = 1;
    ASYNC_AWAIT_CATCH(async_to_thread(&self->w, ASYNC_LOOP, nap_ms, (void *)1), self->h.err);
    if (!self->h.err) ASYNC_AWAIT_CATCH(async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL), self->h.err);
    async_resolve_free(&self->r); /* also a lookup that completed just before the cancel */
    if (!self->h.err) ASYNC_AWAIT_CATCH(async_to_thread(&self->w, ASYNC_LOOP, square, (void *)4), self->h.err);
    if (async_timeout_exit(&self->h.to, self->h.err)) ASYNC_RAISE(self->h.to.err);
    ASYNC_END();
}
struct points_main {
    async_frame hdr;
    int conn, lfd, k, m, reached, fds0, err, completed, cancels;
    async_work barrier;
    char port[16];
    async_task t;
    struct scn_head *scn;
    async_future *last;
};
static async_task *inner_task(struct points_main *pm) {
    return pm->conn ? &((struct conn_scn *)(void *)pm->scn)->c.task : &pm->t;
}
static ASYNC_FN(points_main, struct points_main) {
    ASYNC_BEGIN();
    for (self->k = 0; !self->completed; self->k++) {
        for (self->m = 0; self->m < 2 * HOW_N && !self->completed; self->m++) {
            self->fds0 = rt_count_fds();
            if (self->conn) {
                struct conn_scn *c = (struct conn_scn *)calloc(1, sizeof *c);
                c->port = self->port;
                self->scn = &c->h;
                async_task_create(ASYNC_LOOP, &self->t, conn_scn, c, "conn");
            } else {
                self->scn = (struct scn_head *)calloc(1, sizeof(struct work_scn));
                async_task_create(ASYNC_LOOP, &self->t, work_scn, self->scn, "work");
            }
            self->scn->how = self->m % HOW_N;
            /* reach await point k */
            self->last = NULL;
            self->reached = 0;
            while (self->reached < self->k && !async_future_done(&self->t.fut)) {
                async_future *on = self->scn->entered ? async_task_waiting_on(inner_task(self)) : NULL;
                if (on && on != self->last) {
                    self->last = on;
                    if (++self->reached == self->k) break;
                }
                ASYNC_SLEEP0();
            }
            for (self->reached = 0; self->reached < self->m / HOW_N && !async_future_done(&self->t.fut); self->reached++)
                ASYNC_SLEEP0();
            if (!async_future_done(&self->t.fut)) {
                if (self->scn->how == HOW_TIMEOUT && self->scn->entered)
                    async_timeout_reschedule(&self->scn->to, async_loop_time(ASYNC_LOOP));
                else if (self->scn->how == HOW_INNER && self->conn && self->scn->entered)
                    async_task_cancel(inner_task(self));
                else async_task_cancel(&self->t);
            }
            ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
            free(self->scn); /* the await returned: nothing may refer to it */
            self->scn = NULL;
            if (self->err == 0) self->completed = 1;
            else {
                assert_true(self->err == ASYNC_ECANCELLED || self->err == ASYNC_ETIMEOUT);
                self->cancels++;
            }
            /* A detached lookup may still hold getaddrinfo's own fds on the
             * (single) worker: a job queued behind it runs once it is done. */
            ASYNC_AWAIT(async_to_thread(&self->barrier, ASYNC_LOOP, square, (void *)1));
            assert_int_equal(rt_count_fds(), self->fds0);
        }
    }
    fprintf(stderr, "%s: %d cancelled runs, completed at point %d\n", self->conn ? "open_connection" : "to_thread",
            self->cancels, self->k - 1);
    assert_true(self->k >= 3);
    ASYNC_END();
}
static void run_points(struct points_main *m) {
    async_loop loop;
    async_task t;
    memset(&t, 0, sizeof t);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 1), 0);
    alarm(60);
    assert_int_equal(async_run(&loop, &t, points_main, m), 0);
    async_rt_loop_close(&loop);
    alarm(0);
}
static void test_points_open_connection(void **st) {
    struct points_main m;
    int fds0 = rt_count_fds();
    (void)st;
    memset(&m, 0, sizeof m);
    m.conn = 1;
    m.lfd = async_listen_tcp("127.0.0.1", 0, 1024);
    assert_true(m.lfd >= 0);
    snprintf(m.port, sizeof m.port, "%d", async_sock_port(m.lfd));
    run_points(&m);
    close(m.lfd);
    assert_int_equal(rt_count_fds(), fds0);
}
static void test_points_to_thread(void **st) {
    struct points_main m;
    int fds0 = rt_count_fds();
    (void)st;
    memset(&m, 0, sizeof m);
    run_points(&m);
    assert_int_equal(rt_count_fds(), fds0);
}

/* Each raw socket operation, cancelled while it waits: its frame (the
 * async_sockop and the buffer) is freed as soon as the await returns, then
 * the event it waited for happens. Nothing touches the freed memory (ASan,
 * valgrind) and what arrives stays in the socket for the next call. */
enum { K_RECV, K_RECV_WAITFOR, K_RECVFROM, K_ACCEPT, K_SENDALL, K_WRITABLE, K_READABLE, K_CONNECT, K_N };
#define BIG (1 << 20)
struct op_scn {
    async_frame hdr;
    int kind, fd;
    async_sockop op;
    async_waitset ws;
    char *big;
    struct sockaddr_storage ss;
    socklen_t sl;
    char buf[64];
};
static ASYNC_FN(op_scn, struct op_scn) {
    ASYNC_BEGIN();
    if (self->kind == K_RECV) ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->buf, sizeof self->buf));
    else if (self->kind == K_RECV_WAITFOR)
        ASYNC_WAIT_FOR(&self->ws, async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->buf, sizeof self->buf),
                       async_ms(10));
    else if (self->kind == K_RECVFROM)
        ASYNC_AWAIT(async_sock_recvfrom(&self->op, ASYNC_LOOP, self->fd, self->buf, sizeof self->buf));
    else if (self->kind == K_ACCEPT) ASYNC_AWAIT(async_sock_accept(&self->op, ASYNC_LOOP, self->fd));
    else if (self->kind == K_SENDALL) ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->fd, self->big, BIG));
    else if (self->kind == K_WRITABLE) ASYNC_AWAIT(async_wait_writable(&self->op, ASYNC_LOOP, self->fd));
    else if (self->kind == K_READABLE) ASYNC_AWAIT(async_wait_readable(&self->op, ASYNC_LOOP, self->fd));
    else
        ASYNC_AWAIT(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&self->ss, self->sl, 0.2));
    ASYNC_FINALLY();
    free(self->big);
    ASYNC_END();
}
/* Everything readable on fd now, without waiting. */
static long drain(int fd) {
    char b[65536];
    long n = 0;
    ssize_t r;
    while ((r = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0) n += r;
    return n;
}
struct ops_main {
    async_frame hdr;
    int kind, a, b, lfd, err, fds0, fill[16], nfill;
    struct op_scn *scn;
    async_task t;
    async_timer tm;
};
static ASYNC_FN(ops_main, struct ops_main) {
    int sv[2];
    ASYNC_BEGIN();
    for (self->kind = 0; self->kind < K_N; self->kind++) {
        self->fds0 = rt_count_fds();
        self->scn = (struct op_scn *)calloc(1, sizeof *self->scn);
        self->scn->kind = self->kind;
        self->a = self->b = self->lfd = -1;
        if (self->kind == K_RECVFROM) {
            assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
        } else if (self->kind == K_ACCEPT || self->kind == K_CONNECT) {
            int len;
            self->lfd = async_listen_tcp("127.0.0.1", 0, 1);
            len = async_sockaddr(&self->scn->ss, "127.0.0.1", async_sock_port(self->lfd));
            self->scn->sl = (socklen_t)len;
            sv[0] = self->lfd;
            sv[1] = -1;
            if (self->kind == K_CONNECT) { /* a full backlog: the SYN is dropped */
                listen(self->lfd, 0);
                for (self->nfill = 0; self->nfill < 16; self->nfill++) {
                    self->fill[self->nfill] = async_socket(AF_INET, SOCK_STREAM, 0);
                    connect(self->fill[self->nfill], (struct sockaddr *)&self->scn->ss, self->scn->sl);
                }
                sv[0] = async_socket(AF_INET, SOCK_STREAM, 0);
            }
        } else {
            assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
            if (self->kind == K_SENDALL) self->scn->big = (char *)calloc(1, BIG);
            if (self->kind == K_WRITABLE)
                while (send(sv[0], self->scn->buf, sizeof self->scn->buf, MSG_DONTWAIT) > 0) {
                }
        }
        self->a = sv[0];
        self->b = sv[1];
        self->scn->fd = self->a;
        async_task_create(ASYNC_LOOP, &self->t, op_scn, self->scn, "op");
        ASYNC_SLEEP0();
        ASYNC_SLEEP0();
        /* The timed ones may have timed out already on a loaded machine: the
         * same unregistering, through a completion instead of the hook. */
        if (self->kind != K_RECV_WAITFOR && self->kind != K_CONNECT) assert_non_null(async_task_waiting_on(&self->t));
        if (self->kind != K_RECV_WAITFOR && async_task_waiting_on(&self->t)) async_task_cancel(&self->t);
        ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
        if (self->kind == K_RECV_WAITFOR || (self->kind == K_CONNECT && self->err == ASYNC_ETIMEOUT))
            assert_int_equal(self->err, ASYNC_ETIMEOUT);
        else
            assert_int_equal(self->err, ASYNC_ECANCELLED);
        free(self->scn); /* the op, its buffer, its frame */
        self->scn = NULL;
        /* now what the op waited for happens */
        if (self->kind == K_RECV || self->kind == K_RECV_WAITFOR || self->kind == K_RECVFROM || self->kind == K_READABLE)
            assert_int_equal(send(self->b, "abc", 3, 0), 3);
        else if (self->kind == K_ACCEPT) {
            int len;
            struct sockaddr_storage ss;
            len = async_sockaddr(&ss, "127.0.0.1", async_sock_port(self->lfd));
            self->b = async_socket(AF_INET, SOCK_STREAM, 0);
            connect(self->b, (struct sockaddr *)&ss, (socklen_t)len);
        } else if (self->kind == K_SENDALL || self->kind == K_WRITABLE)
            drain(self->b); /* room to write again */
        ASYNC_SLEEP(&self->tm, 0.25); /* past the connect timeout; libev polls */
        if (self->kind == K_RECV || self->kind == K_RECV_WAITFOR || self->kind == K_RECVFROM || self->kind == K_READABLE)
            assert_int_equal(drain(self->a), 3); /* still there */
        else if (self->kind == K_ACCEPT) {
            int c = accept(self->lfd, NULL, NULL); /* still in the backlog */
            assert_true(c >= 0);
            close(c);
        } else if (self->kind == K_SENDALL)
            assert_int_equal(drain(self->b), 0); /* nothing sent after the cancel */
        if (self->a >= 0) close(self->a);
        if (self->b >= 0) close(self->b);
        if (self->kind == K_CONNECT) {
            while (self->nfill) close(self->fill[--self->nfill]);
            close(self->lfd);
        }
        assert_int_equal(rt_count_fds(), self->fds0);
    }
    ASYNC_END();
}
static void test_socket_ops(void **st) {
    struct ops_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(ops_main, &m), 0);
}

/* A cancelled process wait stops watching the child (so nothing reaps it);
 * the next wait watches again and gets the exit status. */
struct pwait { async_frame hdr; async_process *p; };
static ASYNC_FN(pwait, struct pwait) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_process_wait(self->p));
    ASYNC_END();
}
/* The child has exited (a zombie), without reaping it. */
static int exited_unreaped(pid_t pid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}
struct proc_main {
    async_frame hdr;
    async_process p;
    async_task t;
    struct pwait *wf;
    async_timer tm;
    async_signal sig;
    async_future *f;
    int err, fds0, tries;
};
static ASYNC_FN(proc_main, struct proc_main) {
    static const char *const argv[] = {"sh", "-c", "read x; exit 7", NULL};
    ASYNC_BEGIN();
    self->fds0 = rt_count_fds();
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, ASYNC_PIPE_STDIN), 0);
    self->wf = (struct pwait *)calloc(1, sizeof *self->wf);
    self->wf->p = &self->p;
    async_task_create(ASYNC_LOOP, &self->t, pwait, self->wf, "wait");
    ASYNC_SLEEP0();
    async_task_cancel(&self->t);
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    free(self->wf);
    async_stream_close(&self->p.in); /* EOF: now the child exits */
    for (self->tries = 0; self->tries < 1000 && !exited_unreaped(self->p.pid); self->tries++)
        ASYNC_SLEEP(&self->tm, 0.01);
    assert_true(exited_unreaped(self->p.pid));
    ASYNC_SLEEP(&self->tm, 0.02);        /* a watcher would fire now */
    assert_int_equal(self->p.exited, 0); /* nobody was watching */
    ASYNC_AWAIT(async_process_wait(&self->p));
    assert_int_equal(ASYNC_VALUE.i, 7);
    ASYNC_AWAIT(async_process_wait(&self->p)); /* done stays done */
    assert_int_equal(ASYNC_VALUE.i, 7);
    async_process_destroy(&self->p);
    assert_int_equal(rt_count_fds(), self->fds0);
    ASYNC_END();
}
static void test_process_wait(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(proc_main, &m), 0);
}

/* A cancelled signal wait: the handler stays; the next delivery is counted
 * and the next wait gets it at once. */
struct swait { async_frame hdr; async_signal *s; };
static ASYNC_FN(swait, struct swait) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_signal_wait(self->s));
    ASYNC_END();
}
static ASYNC_FN(sig_main, struct proc_main) {
    ASYNC_BEGIN();
    assert_int_equal(async_add_signal_handler(ASYNC_LOOP, &self->sig, SIGUSR2, NULL, NULL), 0);
    self->wf = (struct pwait *)calloc(1, sizeof(struct swait));
    ((struct swait *)(void *)self->wf)->s = &self->sig;
    async_task_create(ASYNC_LOOP, &self->t, swait, self->wf, "sigwait");
    ASYNC_SLEEP0();
    async_task_cancel(&self->t);
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    free(self->wf);
    kill(getpid(), SIGUSR2);
    ASYNC_SLEEP(&self->tm, 0.05);
    assert_int_equal(self->sig.count, 1);
    self->f = async_signal_wait(&self->sig);
    assert_true(async_future_done(self->f)); /* the delivery was kept */
    ASYNC_AWAIT(self->f);
    assert_int_equal(ASYNC_VALUE.i, SIGUSR2);
    async_remove_signal_handler(&self->sig);
    ASYNC_END();
}
static void test_signal_wait(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(sig_main, &m), 0);
}

/* Starting a second operation on an object whose operation is pending is
 * misuse (ASYNC_EBUSY at the await), and leaves the pending one intact. */
static int g_misuse;
static const char *g_misuse_msg;
static void count_misuse(const char *msg) {
    g_misuse++;
    g_misuse_msg = msg;
}
struct busy_main { async_frame hdr; async_work w; async_resolve r; async_sockop op; int sv[2], err; char b[4]; };
static ASYNC_FN(busy_main, struct busy_main) {
    ASYNC_BEGIN();
    async_rt_set_misuse_handler(count_misuse);
    async_to_thread(&self->w, ASYNC_LOOP, nap_ms, (void *)20);
    ASYNC_AWAIT_CATCH(async_to_thread(&self->w, ASYNC_LOOP, square, (void *)2), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_non_null(strstr(g_misuse_msg, "async_work is still pending"));
    async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL);
    ASYNC_AWAIT_CATCH(async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "81", NULL), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_non_null(strstr(g_misuse_msg, "async_resolve is still pending"));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, self->sv), 0);
    async_sock_recv(&self->op, ASYNC_LOOP, self->sv[0], self->b, sizeof self->b);
    ASYNC_AWAIT_CATCH(async_sock_recv(&self->op, ASYNC_LOOP, self->sv[0], self->b, sizeof self->b), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_non_null(strstr(g_misuse_msg, "still pending"));
    assert_int_equal(g_misuse, 3);
    async_rt_set_misuse_handler(NULL);
    /* the first ones still complete */
    ASYNC_AWAIT(&self->w.op.fut);
    assert_int_equal(ASYNC_VALUE.i, 1);
    ASYNC_AWAIT(&self->r.op.fut);
    assert_non_null(self->r.res);
    async_resolve_free(&self->r);
    assert_int_equal(send(self->sv[1], "x", 1, 0), 1);
    ASYNC_AWAIT(&self->op.op.fut);
    assert_int_equal(ASYNC_VALUE.i, 1);
    close(self->sv[0]);
    close(self->sv[1]);
    ASYNC_END();
}
static void test_busy_misuse(void **st) {
    struct busy_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(busy_main, &m), 0);
}

/* A runtime operation caught where it is awaited: recv under a timeout block
 * inside a try block, in a loop. The first round times out (the recv is
 * unregistered when the block ends: its buffer may go at once), the second
 * gets the data; the third is cancelled with a message from outside. */
struct try_recv {
    ASYNC_TRY_FRAME(2);
    int fd, round, timeouts, got, cancels;
    async_sockop op;
    async_timeout to;
    char *buf;
    const char *msg;
};
static ASYNC_FN(try_recv, struct try_recv) {
    ASYNC_BEGIN();
    for (self->round = 0; self->round < 3; self->round++) {
        self->buf = (char *)calloc(1, 16);
        ASYNC_TRY {
            /* round 0 times out; round 1's deadline is far (the data comes
             * first even on a loaded box), round 2 has none */
            ASYNC_TIMEOUT(&self->to, self->round == 0   ? async_ms(20)
                                     : self->round == 1 ? async_ms(10000)
                                                        : ASYNC_NO_TIMEOUT) {
                ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->buf, 16));
                self->got = (int)ASYNC_VALUE.i;
            } ASYNC_END_TIMEOUT(&self->to);
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
            self->timeouts++;
        } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
            self->cancels++;
            self->msg = ASYNC_CANCEL_MESSAGE;
            async_task_uncancel(ASYNC_TASK);
        } ASYNC_TRY_FINALLY {
            free(self->buf); /* the recv is gone, whichever way the block ended */
            self->buf = NULL;
        } ASYNC_END_TRY;
    }
    ASYNC_END();
}
struct try_recv_main {
    async_frame hdr;
    async_task t;
    struct try_recv r;
    async_timer tm;
    int sv[2];
};
static ASYNC_FN(try_recv_main, struct try_recv_main) {
    ASYNC_BEGIN();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, self->sv), 0);
    self->r.fd = self->sv[0];
    async_task_create(ASYNC_LOOP, &self->t, try_recv, &self->r, "recv");
    while (self->r.timeouts == 0) ASYNC_SLEEP(&self->tm, 0.005);
    assert_int_equal(send(self->sv[1], "abc", 3, 0), 3); /* round 1 gets it */
    while (self->r.got == 0) ASYNC_SLEEP(&self->tm, 0.005);
    while (!async_task_waiting_on(&self->t) && !async_future_done(&self->t.fut))
        ASYNC_SLEEP0(); /* round 2 waits, no deadline */
    assert_false(async_future_done(&self->t.fut));
    async_task_cancel_msg(&self->t, "enough");
    ASYNC_AWAIT(&self->t.fut);
    assert_int_equal(send(self->sv[1], "x", 1, 0), 1); /* nothing reads into the freed buffer */
    ASYNC_SLEEP(&self->tm, 0.01);
    close(self->sv[0]);
    close(self->sv[1]);
    ASYNC_END();
}
static void test_runtime_op_in_try(void **st) {
    struct try_recv_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(try_recv_main, &m), 0);
    assert_int_equal(m.r.timeouts, 1);
    assert_int_equal(m.r.got, 3);
    assert_int_equal(m.r.cancels, 1);
    assert_string_equal(m.r.msg, "enough");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_cancel_finished_job),
        RT_TEST(test_cancel_finished_resolve),
        RT_TEST(test_shutdown_with_jobs),
        RT_TEST(test_cancel_after_close),
        RT_TEST(test_stress_random_cancel),
        RT_TEST(test_discard_detached_result),
        RT_TEST(test_points_open_connection),
        RT_TEST(test_points_to_thread),
        RT_TEST(test_socket_ops),
        RT_TEST(test_process_wait),
        RT_TEST(test_signal_wait),
        RT_TEST(test_busy_misuse),
        RT_TEST(test_runtime_op_in_try),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
