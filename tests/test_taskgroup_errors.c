/* TaskGroup errors as asyncio's ExceptionGroup: every child error in
 * completion order, errors raised while handling the group's cancellation
 * too, the body's error last; the exit raises the first. */
#include "test_support.h"

/* Sleeps ms, then raises `raise`; if cancelled, raises on_cancel instead (an
 * error while handling the cancellation) when it is nonzero. */
struct job {
    async_frame hdr;
    int ms, raise, on_cancel, err;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms((unsigned long)self->ms), self->err);
    if (self->err == ASYNC_ECANCELLED && self->on_cancel) ASYNC_RAISE(self->on_cancel);
    if (self->err) ASYNC_RAISE(self->err);
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_END();
}

#define NK 4
struct tgmain {
    async_frame hdr;
    async_taskgroup tg;
    async_tg_task kids[NK];
    struct job jf[NK];
    async_timer t;
    int nk, body_ms, body_raise, body_on_cancel, err, i;
};
static ASYNC_FN(tgmain_co, struct tgmain) {
    ASYNC_BEGIN();
    async_taskgroup_enter(&self->tg, ASYNC_TASK);
    for (self->i = 0; self->i < self->nk; self->i++)
        async_taskgroup_spawn(&self->tg, &self->kids[self->i], job_co, &self->jf[self->i], "job");
    ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms((unsigned long)self->body_ms), self->err);
    if (!self->err && self->body_raise) self->err = self->body_raise;
    if (self->err == ASYNC_ECANCELLED && self->body_on_cancel) self->err = self->body_on_cancel;
    ASYNC_TASKGROUP_EXIT(&self->tg, self->err);
    ASYNC_END();
}

static int run(struct tgmain *m) {
    async_loop loop;
    async_task t;
    int r;
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, tgmain_co, m, "main");
    r = async_loop_run_until_complete(&loop, &t.fut);
    test_loop_close(&loop);
    return r;
}

static void setup(struct tgmain *m, int nk, int body_ms) {
    int i;
    memset(m, 0, sizeof *m);
    m->nk = nk;
    m->body_ms = body_ms;
    for (i = 0; i < NK; i++) m->jf[i].ms = 100;
}

/* In completion order, not spawn order. The first failure comes long before
 * the other children's sleeps end, so that on a real clock (the -ev build) a
 * stall of the box cannot let one of them finish first: they are cancelled. */
static void test_completion_order(void **state) {
    struct tgmain m;
    int errs[NK];
    (void)state;
    setup(&m, 3, 1000);
    m.jf[0].ms = 1000, m.jf[0].raise = 10;   /* cancelled before it can raise */
    m.jf[1].ms = 10, m.jf[1].raise = 11;
    m.jf[2].ms = 1000, m.jf[2].on_cancel = 12; /* fails while being cancelled */
    assert_int_equal(run(&m), 11);             /* the first error */
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 2);
    assert_int_equal(errs[0], 11);
    assert_int_equal(errs[1], 12);
    assert_int_equal(m.tg.nerrors, 2);
}

/* Errors raised while handling the cancellation are all recorded, in the
 * order the children finish; the cancelled ones are not errors. */
static void test_errors_during_cancellation(void **state) {
    struct tgmain m;
    int errs[NK];
    (void)state;
    setup(&m, 4, 1000);
    m.jf[0].ms = 5, m.jf[0].raise = 20;
    m.jf[1].on_cancel = 21;
    m.jf[3].on_cancel = 23; /* jf[2] is just cancelled */
    assert_int_equal(run(&m), 20);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 3);
    assert_int_equal(errs[0], 20);
    assert_int_equal(errs[1], 21);
    assert_int_equal(errs[2], 23);
}

/* The body's error comes last (asyncio appends it after the children's),
 * and the children it cancels may add theirs before it. */
static void test_body_error_last(void **state) {
    struct tgmain m;
    int errs[NK];
    (void)state;
    setup(&m, 2, 5);
    m.body_raise = 30;
    m.jf[1].on_cancel = 31;
    assert_int_equal(run(&m), 31);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 2);
    assert_int_equal(errs[0], 31);
    assert_int_equal(errs[1], 30);
    /* the body alone */
    setup(&m, 2, 5);
    m.body_raise = 32;
    assert_int_equal(run(&m), 32);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 1);
    assert_int_equal(errs[0], 32);
}

/* A short buffer keeps the first cap; the count keeps counting. NULL/0 just counts. */
static void test_short_buffer(void **state) {
    struct tgmain m;
    int errs[2] = {0, 0};
    (void)state;
    setup(&m, 4, 1000);
    m.jf[0].ms = 1, m.jf[0].raise = 40;
    m.jf[1].ms = 1, m.jf[1].raise = 41; /* same iteration: spawn order */
    m.jf[2].on_cancel = 42;
    m.jf[3].on_cancel = 43;
    assert_int_equal(run(&m), 40);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, 1), 4);
    assert_int_equal(errs[0], 40);
    assert_int_equal(errs[1], 0); /* untouched */
    assert_int_equal(async_taskgroup_errors(&m.tg, NULL, 0), 4);
}

/* No error: an empty list; a cancellation from outside is not an error. */
static void test_no_errors(void **state) {
    struct tgmain m;
    int errs[NK];
    (void)state;
    setup(&m, 2, 5);
    m.jf[0].ms = 1;
    m.jf[1].ms = 2;
    assert_int_equal(run(&m), 0);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 0);
}

/* The body, cancelled by the group, fails while handling it: recorded last. */
static void test_body_fails_while_cancelled(void **state) {
    struct tgmain m;
    int errs[NK];
    (void)state;
    setup(&m, 2, 1000);
    m.jf[0].ms = 1, m.jf[0].raise = 60;
    m.body_on_cancel = 61;
    assert_int_equal(run(&m), 60);
    assert_int_equal(async_taskgroup_errors(&m.tg, errs, NK), 2);
    assert_int_equal(errs[0], 60);
    assert_int_equal(errs[1], 61);
    assert_int_equal(m.tg.nerrors, 2);
}

/* Before enter it is misuse. */
/* The group's own cancellation of its parent is withdrawn at exit (asyncio's
 * uncancel()): afterwards the parent has no cancel request pending. */
struct outer {
    async_frame hdr;
    struct tgmain m;
    int err;
    unsigned after;
};
static ASYNC_FN(outer_co, struct outer) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CO_CATCH(tgmain_co, &self->m, self->err);
    self->after = async_task_cancelling(ASYNC_TASK);
    ASYNC_END();
}
static void test_parent_uncancelled(void **state) {
    static struct outer o;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&o, 0, sizeof o);
    setup(&o.m, 2, 1000);
    o.m.jf[0].raise = 5; /* fails first: the group cancels the body */
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, outer_co, &o, "outer");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(o.err, 5);
    assert_int_equal(o.after, 0);
    test_loop_close(&loop);
}

static void test_misuse(void **state) {
    async_taskgroup tg;
    int errs[1];
    (void)state;
    memset(&tg, 0, sizeof tg);
    assert_int_equal(async_taskgroup_errors(&tg, errs, 1), 0);
    expect_misuse("TaskGroup");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_completion_order),  TEST(test_errors_during_cancellation), TEST(test_body_error_last),
        TEST(test_short_buffer),      TEST(test_no_errors),                  TEST(test_misuse),
        TEST(test_body_fails_while_cancelled), TEST(test_parent_uncancelled),
    };
    return TEST_RUN(tests);
}
