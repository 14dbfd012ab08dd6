/* rt_threads.c — the thread pool (to_thread): results, errors, parallel
 * speed-up of CPU-bound work on 2 workers, cancellation of queued work, pool
 * size, call_soon_threadsafe from foreign threads, clean shutdown. Also runs
 * under ThreadSanitizer. */
#include "rt_common.h"
#include <pthread.h>

static int square(void *arg, async_value *res) {
    *res = async_int((intptr_t)arg * (intptr_t)arg);
    return 0;
}
static int fails(void *arg, async_value *res) {
    (void)arg;
    (void)res;
    return EDOM;
}
/* CPU-bound: a busy loop of `n` million iterations; records when it ran. */
struct spin_job { unsigned long n; double start, end; };
static int spin(void *arg, async_value *res) {
    struct spin_job *j = (struct spin_job *)arg;
    volatile unsigned long x = 0;
    unsigned long i, n = j->n * 1000000ul;
    j->start = rt_wall();
    for (i = 0; i < n; i++) x += i ^ (x >> 3);
    j->end = rt_wall();
    *res = async_int((intptr_t)(x & 1));
    return 0;
}
static int nap(void *arg, async_value *res) {
    struct timespec ts = {0, (long)(uintptr_t)arg * 1000000L};
    nanosleep(&ts, NULL);
    *res = async_int(1);
    return 0;
}

struct basic_main {
    async_frame hdr;
    async_work w[8];
    int i, err;
    long sum;
};
static ASYNC_FN(basic_main, struct basic_main) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_to_thread(&self->w[0], ASYNC_LOOP, square, (void *)7));
    assert_int_equal(ASYNC_VALUE.i, 49);
    ASYNC_AWAIT_CATCH(async_to_thread(&self->w[0], ASYNC_LOOP, fails, NULL), self->err);
    assert_int_equal(self->err, EDOM);
    /* several in flight at once */
    for (self->i = 0; self->i < 8; self->i++) async_to_thread(&self->w[self->i], ASYNC_LOOP, square, (void *)(intptr_t)self->i);
    for (self->i = 0; self->i < 8; self->i++) {
        ASYNC_AWAIT(&self->w[self->i].fut);
        self->sum += (long)ASYNC_VALUE.i;
    }
    assert_int_equal(self->sum, 0 + 1 + 4 + 9 + 16 + 25 + 36 + 49);
    ASYNC_END();
}
static void test_results_errors(void **st) {
    struct basic_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(basic_main, &m), 0);
}

/* Parallel speed-up: 4 equal CPU-bound jobs on 2 workers take about half the
 * time of running them one after the other (on a machine with >= 2 cores). */
struct par_main {
    async_frame hdr;
    async_work w[4];
    struct spin_job jobs[4];
    int i;
    double t_seq, t_par, t0;
};
static ASYNC_FN(par_main, struct par_main) {
    ASYNC_BEGIN();
    self->t0 = rt_wall();
    for (self->i = 0; self->i < 4; self->i++) ASYNC_AWAIT(async_to_thread(&self->w[0], ASYNC_LOOP, spin, &self->jobs[self->i]));
    self->t_seq = rt_wall() - self->t0;
    self->t0 = rt_wall();
    for (self->i = 0; self->i < 4; self->i++) async_to_thread(&self->w[self->i], ASYNC_LOOP, spin, &self->jobs[self->i]);
    for (self->i = 0; self->i < 4; self->i++) ASYNC_AWAIT(&self->w[self->i].fut);
    self->t_par = rt_wall() - self->t0;
    ASYNC_END();
}
static void test_parallel_speedup(void **st) {
    struct par_main m;
    async_loop loop;
    async_task t;
    double load = 0;
    int i;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) skip();
    memset(&m, 0, sizeof m);
    for (i = 0; i < 4; i++) m.jobs[i].n = 20;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 2), 0);
    assert_int_equal(async_run(&loop, &t, par_main, &m), 0);
    assert_int_equal(async_rt_set_pool_size(&loop, 3), ASYNC_EBUSY); /* started already */
    async_rt_loop_close(&loop);
    getloadavg(&load, 1);
    fprintf(stderr, "sequential %.3f s, parallel %.3f s, speed-up %.2f (load %.2f)\n", m.t_seq, m.t_par,
            m.t_seq / m.t_par, load);
    /* The first two jobs ran at the same time on the two workers... */
    assert_true(m.jobs[0].start < m.jobs[1].end && m.jobs[1].start < m.jobs[0].end);
    /* ...and, on a machine nobody else is loading, that halves the time. */
    if (load < 0.5) assert_true(m.t_par < m.t_seq * 0.75);
}

/* Cancellation: a task awaiting queued work is cancelled; the queued job never
 * runs; a running job finishes in the background without touching the task. */
static int g_ran;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int count_run(void *arg, async_value *res) {
    (void)arg;
    pthread_mutex_lock(&g_mu);
    g_ran++;
    pthread_mutex_unlock(&g_mu);
    *res = async_int(0);
    return 0;
}
struct waiter { async_frame hdr; async_work w; async_work_fn fn; void *arg; };
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, self->fn, self->arg));
    ASYNC_END();
}
struct cancel_main {
    async_frame hdr;
    async_task t[3];
    struct waiter wf[3];
    async_timer tm;
    int err;
};
static ASYNC_FN(cancel_main, struct cancel_main) {
    ASYNC_BEGIN();
    /* 1 worker: t0 occupies it, t1 is queued behind it */
    self->wf[0].fn = nap;
    self->wf[0].arg = (void *)100;
    self->wf[1].fn = count_run;
    async_task_create(ASYNC_LOOP, &self->t[0], waiter, &self->wf[0], "busy");
    async_task_create(ASYNC_LOOP, &self->t[1], waiter, &self->wf[1], "queued");
    ASYNC_SLEEP(&self->tm, 0.02);
    async_task_cancel(&self->t[1]);
    async_task_cancel(&self->t[0]);
    ASYNC_AWAIT_CATCH(&self->t[1].fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    ASYNC_AWAIT_CATCH(&self->t[0].fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    ASYNC_SLEEP(&self->tm, 0.2); /* the nap ends in the background */
    pthread_mutex_lock(&g_mu);
    assert_int_equal(g_ran, 0);
    pthread_mutex_unlock(&g_mu);
    ASYNC_END();
}
static void test_cancel(void **st) {
    struct cancel_main m;
    async_loop loop;
    async_task t;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    memset(&m, 0, sizeof m);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_pool_size(&loop, 1);
    assert_int_equal(async_run(&loop, &t, cancel_main, &m), 0);
    async_rt_loop_close(&loop);
}

/* Loop close waits for running work and drops queued work. */
struct close_main { async_frame hdr; async_work w[4]; };
static ASYNC_FN(close_main, struct close_main) {
    ASYNC_BEGIN();
    async_to_thread(&self->w[0], ASYNC_LOOP, nap, (void *)50);
    async_to_thread(&self->w[1], ASYNC_LOOP, count_run, NULL);
    ASYNC_END();
}
static void test_close_with_work(void **st) {
    struct close_main m;
    async_loop loop;
    async_task t;
    double t0;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    g_ran = 0;
    memset(&m, 0, sizeof m);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_pool_size(&loop, 1);
    assert_int_equal(async_run(&loop, &t, close_main, &m), 0);
    t0 = rt_wall();
    async_rt_loop_close(&loop);
    assert_true(rt_wall() - t0 < 1.0);
    pthread_mutex_lock(&g_mu);
    assert_int_equal(g_ran, 0); /* queued behind the nap: cancelled at close */
    pthread_mutex_unlock(&g_mu);
}

/* call_soon_threadsafe from 4 foreign threads, 1000 calls each. */
#define NT 4
#define NCALLS 1000
struct ts_main {
    async_frame hdr;
    async_loop *loop;
    async_future done;
    long count;
    pthread_t th[NT];
    async_tscall calls[NT][NCALLS];
};
static struct ts_main *g_ts;
static void bump(void *arg) {
    struct ts_main *m = (struct ts_main *)arg;
    if (++m->count == NT * NCALLS) async_future_set_result(&m->done, async_int(m->count));
}
static void *producer(void *arg) {
    int k = (int)(intptr_t)arg, i;
    for (i = 0; i < NCALLS; i++) async_call_soon_threadsafe(g_ts->loop, &g_ts->calls[k][i], bump, g_ts);
    return NULL;
}
static ASYNC_FN(ts_main, struct ts_main) {
    int i;
    ASYNC_BEGIN();
    self->loop = ASYNC_LOOP;
    async_future_init(&self->done, ASYNC_LOOP);
    async_rt_keepalive(ASYNC_LOOP, 1); /* other threads will call in */
    for (i = 0; i < NT; i++) pthread_create(&self->th[i], NULL, producer, (void *)(intptr_t)i);
    ASYNC_AWAIT(&self->done);
    async_rt_keepalive(ASYNC_LOOP, -1);
    for (i = 0; i < NT; i++) pthread_join(self->th[i], NULL);
    assert_int_equal(self->count, NT * NCALLS);
    ASYNC_END();
}
static void test_threadsafe(void **st) {
    (void)st;
    g_ts = calloc(1, sizeof *g_ts);
    assert_int_equal(rt_run(ts_main, g_ts), 0);
    free(g_ts);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_results_errors), RT_TEST(test_parallel_speedup), RT_TEST(test_cancel),
        RT_TEST(test_close_with_work), RT_TEST(test_threadsafe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
