/* Cancellation with asyncio 3.11 semantics (DESIGN.md section 4). */
#include "test_support.h"

/* Awaits f, optionally catching; then optionally awaits g; returns ret. */
struct cw {
    async_frame hdr;
    async_future *f, *g;
    int catch_it;
    int e1, e2;
    long ret;
    int started, fin_err, fin_runs;
};
static ASYNC_FN(cw_co, struct cw) {
    ASYNC_BEGIN();
    self->started = 1;
    if (self->catch_it) {
        ASYNC_AWAIT_CATCH(self->f, self->e1);
        rec("caught:%d", self->e1);
    } else {
        ASYNC_AWAIT(self->f);
        rec("not cancelled");
    }
    if (self->g) {
        ASYNC_AWAIT_CATCH(self->g, self->e2);
        rec("second:%d", self->e2);
    }
    ASYNC_RETURN(async_int(self->ret));
    ASYNC_FINALLY();
    self->fin_runs++;
    self->fin_err = ASYNC_ERROR;
    ASYNC_END();
}

static void cw_init(struct cw *c, async_future *f, async_future *g, int catch_it, long ret) {
    memset(c, 0, sizeof *c);
    c->f = f, c->g = g, c->catch_it = catch_it, c->ret = ret;
    c->e1 = c->e2 = 100;
}

static void test_delivered_at_await_and_catchable(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct cw c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&c, &f, NULL, 1, 5);
    async_task_create(&loop, &t, cw_co, &c, "t");
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_true(async_future_cancelled(&f)); /* the awaited future is cancelled at once */
    assert_false(async_future_done(&t.fut));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("caught:-1");
    assert_false(async_future_cancelled(&t.fut)); /* caught: it did not end by it */
    assert_int_equal(async_future_result(&t.fut).i, 5);
    assert_int_equal(c.fin_err, 0);
    test_loop_close(&loop);
}

static void test_uncaught_cancels_task(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct cw c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&c, &f, NULL, 0, 5);
    async_task_create(&loop, &t, cw_co, &c, "t");
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&t.fut));
    assert_int_equal(async_future_error(&t.fut), ASYNC_ECANCELLED);
    assert_int_equal(c.fin_runs, 1);
    assert_int_equal(c.fin_err, ASYNC_ECANCELLED);
    assert_rec("");
    assert_int_equal(async_task_cancel(&t), 0); /* done: nothing to cancel */
    test_loop_close(&loop);
}

static void test_cancel_before_first_run(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct cw c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&c, &f, NULL, 1, 5);
    async_task_create(&loop, &t, cw_co, &c, "t");
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_int_equal(c.started, 0);  /* body never ran */
    assert_int_equal(c.fin_runs, 0); /* nor its FINALLY: nothing was entered */
    assert_true(async_future_cancelled(&t.fut));
    assert_false(async_future_done(&f));
    test_loop_close(&loop);
}

static void test_two_cancels_deliver_one(void **state) {
    async_loop loop;
    async_future f, g;
    async_task t;
    struct cw c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_init(&g, &loop);
    cw_init(&c, &f, &g, 1, 6);
    async_task_create(&loop, &t, cw_co, &c, "t");
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(async_task_cancel(&t), 1); /* still pending: requested (again) */
    async_loop_run_once(&loop);
    assert_rec("caught:-1");
    assert_ptr_equal(async_task_waiting_on(&t), &g); /* the second await is not hit */
    assert_false(async_future_done(&g));
    async_loop_run_once(&loop);
    assert_false(async_future_done(&g));
    async_future_set_result(&g, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("caught:-1 second:0");
    assert_int_equal(async_future_result(&t.fut).i, 6);
    test_loop_close(&loop);
}

/* Two cancels of a ready (yielded) task: one cancellation, caught in FINALLY. */
struct yc {
    async_frame hdr;
    async_future *g;
    int fin_err, e;
};
static ASYNC_FN(yc_co, struct yc) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0();
    rec("not reached");
    ASYNC_FINALLY();
    self->fin_err = ASYNC_ERROR;
    ASYNC_ERROR = 0;
    ASYNC_AWAIT_CATCH(self->g, self->e); /* a later await is not cancelled again */
    rec("fin-await:%d", self->e);
    ASYNC_END();
}
static void test_two_cancels_of_ready_task(void **state) {
    async_loop loop;
    async_future g;
    async_task t;
    struct yc y;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&g, &loop);
    memset(&y, 0, sizeof y);
    y.g = &g;
    async_task_create(&loop, &t, yc_co, &y, "y");
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(async_task_cancel(&t), 1);
    async_loop_run_once(&loop);
    assert_int_equal(y.fin_err, ASYNC_ECANCELLED);
    assert_false(async_future_done(&g));
    async_future_set_result(&g, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("fin-await:0");
    test_loop_close(&loop);
}

/* Cancelling the outer task cancels the inner task it awaits, and what that awaits. */
struct outer {
    async_frame hdr;
    async_task inner;
    struct cw in;
    int err;
};
static ASYNC_FN(outer_co, struct outer) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->inner, cw_co, &self->in, "inner");
    ASYNC_AWAIT_CATCH(&self->inner.fut, self->err);
    rec("outer:%d:%ld", self->err, (long)(self->err ? 0 : ASYNC_VALUE.i));
    ASYNC_RETURN(async_int(self->err ? -1 : ASYNC_VALUE.i + 1));
    ASYNC_END();
}
static void test_cancel_propagates_down(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct outer o = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&o.in, &f, NULL, 0, 3);
    async_task_create(&loop, &t, outer_co, &o, "outer");
    async_loop_run_once(&loop); /* outer parks on inner */
    async_loop_run_once(&loop); /* inner parks on f */
    assert_ptr_equal(async_task_waiting_on(&t), &o.inner.fut);
    assert_ptr_equal(async_task_waiting_on(&o.inner), &f);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_true(async_future_cancelled(&f));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_true(async_future_cancelled(&o.inner.fut));
    assert_int_equal(o.err, ASYNC_ECANCELLED);
    assert_rec("outer:-1:0");
    test_loop_close(&loop);
}

/* The inner task catches its cancellation and returns: the outer await returns that value. */
static void test_inner_swallows_outer_gets_value(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct outer o = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&o.in, &f, NULL, 1, 42);
    async_task_create(&loop, &t, outer_co, &o, "outer");
    async_loop_run_once(&loop);
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("caught:-1 outer:0:42");
    assert_false(async_future_cancelled(&o.inner.fut));
    assert_false(async_future_cancelled(&t.fut));
    assert_int_equal(async_future_result(&t.fut).i, 43);
    test_loop_close(&loop);
}

/* A task that cancels itself is hit at its next real suspension, not at awaits of done futures. */
struct selfc {
    async_frame hdr;
    async_future *done, *pending;
    int use_yield;
    int e;
    long got;
};
static ASYNC_FN(selfc_co, struct selfc) {
    ASYNC_BEGIN();
    rec("cancel:%d", async_task_cancel(ASYNC_TASK));
    ASYNC_AWAIT(self->done);
    self->got = (long)ASYNC_VALUE.i;
    ASYNC_AWAIT(self->done);
    rec("after-done-awaits");
    if (self->use_yield) {
        ASYNC_SLEEP0();
        rec("not reached");
    } else {
        ASYNC_AWAIT_CATCH(self->pending, self->e);
        rec("pending:%d", self->e);
    }
    ASYNC_FINALLY();
    rec("fin:%d", ASYNC_ERROR);
    ASYNC_END();
}
static void test_self_cancel_hits_next_real_suspension(void **state) {
    async_loop loop;
    async_future done, pending;
    async_task t;
    struct selfc s;
    int use_yield;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    for (use_yield = 0; use_yield < 2; use_yield++) {
        rec_reset();
        async_future_init(&done, &loop);
        async_future_init(&pending, &loop);
        async_future_set_result(&done, async_int(11));
        memset(&s, 0, sizeof s);
        s.done = &done, s.pending = &pending, s.use_yield = use_yield;
        async_task_create(&loop, &t, selfc_co, &s, "self");
        if (use_yield) {
            assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
            assert_rec("cancel:1 after-done-awaits fin:-1");
        } else {
            assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
            assert_rec("cancel:1 after-done-awaits pending:-1 fin:0");
            assert_true(async_future_cancelled(&pending)); /* cancelled as the task parked */
        }
        assert_int_equal(s.got, 11);
    }
    test_loop_close(&loop);
}

/* asyncio 3.11 (Task.__step): a task that requested its own cancellation and
 * then returns without suspending again ends cancelled, not done. */
struct selfret {
    async_frame hdr;
    async_future *done;
    int fin_err;
};
static ASYNC_FN(selfret_co, struct selfret) {
    ASYNC_BEGIN();
    async_task_cancel(ASYNC_TASK);
    ASYNC_AWAIT(self->done); /* not a real suspension: not hit here */
    rec("returning");
    ASYNC_RETURN(async_int(3));
    ASYNC_FINALLY();
    self->fin_err = ASYNC_ERROR;
    ASYNC_END();
}
static void test_self_cancel_then_return(void **state) {
    async_loop loop;
    async_future done;
    async_task t;
    struct selfret s;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&done, &loop);
    async_future_set_result(&done, async_none());
    s.done = &done;
    s.fin_err = 99;
    async_task_create(&loop, &t, selfret_co, &s, "selfret");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_rec("returning");
    assert_int_equal(s.fin_err, 0); /* the body itself never saw an error */
    assert_true(async_future_cancelled(&t.fut));
    test_loop_close(&loop);
}

/* Cancelling a sleeping task removes its timer: the loop does not wait for it. */
struct sleeper {
    async_frame hdr;
    async_timer t;
};
static ASYNC_FN(sleeper_co, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 3600.0);
    rec("woke");
    ASYNC_END();
}
static void test_cancel_sleeping_task_removes_timer(void **state) {
    async_loop loop;
    async_task t;
    struct sleeper s = {0};
    async_time t0;
    double w0;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    w0 = test_wall();
    async_task_create(&loop, &t, sleeper_co, &s, "sleeper");
    async_loop_run_once(&loop);
    assert_non_null(loop.timers);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_null(loop.timers); /* gone from the heap at once */
    assert_true(async_future_cancelled(&s.t.fut));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_rec("");
    assert_true(async_loop_time(&loop) - t0 < async_seconds(1.0)); /* no hour passed, even virtually */
    assert_true(test_wall() - w0 < 1.0);
    test_loop_close(&loop);
}

/* A task woken by its future but cancelled before it runs: the cancellation wins. */
static void test_cancel_after_wakeup_before_step(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct cw c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    cw_init(&c, &f, NULL, 1, 5);
    async_task_create(&loop, &t, cw_co, &c, "t");
    async_loop_run_once(&loop);
    async_future_set_result(&f, async_int(1));
    assert_int_equal(async_task_cancel(&t), 1);
    assert_false(async_future_cancelled(&f)); /* already done: stays done */
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("caught:-1");
    test_loop_close(&loop);
}

/* async_run cancels what main left behind, running their FINALLY. */
struct bg {
    async_frame hdr;
    async_timer t;
    int fin_err;
};
static ASYNC_FN(bg_co, struct bg) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 100.0);
    ASYNC_FINALLY();
    self->fin_err = ASYNC_ERROR;
    ASYNC_END();
}
struct runmain {
    async_frame hdr;
    async_task bgt[2];
    struct bg bgf[2];
};
static ASYNC_FN(runmain_co, struct runmain) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->bgt[0], bg_co, &self->bgf[0], "bg0");
    async_task_create(ASYNC_LOOP, &self->bgt[1], bg_co, &self->bgf[1], "bg1");
    ASYNC_SLEEP0();
    ASYNC_RETURN(async_int(12));
    ASYNC_END();
}
static void test_async_run_cancels_leftovers(void **state) {
    async_loop loop;
    async_task t;
    struct runmain m;
    async_task_init(&t);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    memset(&m, 0, sizeof m);
    assert_int_equal(async_run(&loop, &t, runmain_co, &m), 0);
    assert_int_equal(async_future_result(&t.fut).i, 12);
    assert_true(async_future_cancelled(&m.bgt[0].fut));
    assert_true(async_future_cancelled(&m.bgt[1].fut));
    assert_int_equal(m.bgf[0].fin_err, ASYNC_ECANCELLED);
    assert_int_equal(m.bgf[1].fin_err, ASYNC_ECANCELLED);
    assert_null(loop.timers);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_delivered_at_await_and_catchable),
        TEST(test_uncaught_cancels_task),
        TEST(test_cancel_before_first_run),
        TEST(test_two_cancels_deliver_one),
        TEST(test_two_cancels_of_ready_task),
        TEST(test_cancel_propagates_down),
        TEST(test_inner_swallows_outer_gets_value),
        TEST(test_self_cancel_hits_next_real_suspension),
        TEST(test_self_cancel_then_return),
        TEST(test_cancel_sleeping_task_removes_timer),
        TEST(test_cancel_after_wakeup_before_step),
        TEST(test_async_run_cancels_leftovers),
    };
    return TEST_RUN(tests);
}
