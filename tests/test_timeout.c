/* Timeout scopes (asyncio.timeout): only the scope's own cancellation becomes
 * ASYNC_ETIMEOUT; nested scopes; a movable deadline; outside cancellation
 * stays a cancellation. */
#include "test_support.h"

struct slow {
    async_frame hdr;
    int ms;
    async_timer t;
};
static ASYNC_FN(slow_co, struct slow) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    ASYNC_RETURN(async_int(self->ms));
    ASYNC_END();
}

struct scoped {
    async_frame hdr;
    async_timeout to;
    struct slow s;
    int ms, limit, err;
};
static ASYNC_FN(scoped_co, struct scoped) {
    ASYNC_BEGIN();
    self->s.ms = self->ms;
    ASYNC_WITH_TIMEOUT(&self->to, async_ms((unsigned long)self->limit), slow_co, &self->s);
    rec("in-time");
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("err%d", ASYNC_ERROR);
    ASYNC_END();
}

static void run_scoped(int ms, int limit, int want, const char *want_rec) {
    async_loop loop;
    async_task t;
    struct scoped s;
    async_task_init(&t);
    test_loop_init(&loop);
    rec_reset();
    memset(&s, 0, sizeof s);
    s.ms = ms;
    s.limit = limit;
    async_task_create(&loop, &t, scoped_co, &s, "scoped");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), want);
    assert_rec(want_rec);
    assert_int_equal(async_timeout_expired(&s.to), want == ASYNC_ETIMEOUT);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms((unsigned long)(ms < limit ? ms : limit)));
    test_run_iterations(&loop, NULL, 2);
    assert_null(loop.timers); /* the scope's timer is gone */
    test_loop_close(&loop);
}

static void test_in_time_and_expired(void **state) {
    (void)state;
    run_scoped(10, 20, 0, "in-time");
    run_scoped(30, 20, ASYNC_ETIMEOUT, "err-2");
}

/* Nested scopes: whichever deadline comes first, the error belongs to it. */
struct nested {
    async_frame hdr;
    async_timeout outer, inner;
    struct slow s;
    int outer_ms, inner_ms, err_inner, err_outer;
};
static ASYNC_FN(nested_co, struct nested) {
    ASYNC_BEGIN();
    async_timeout_after(&self->outer, ASYNC_TASK, async_ms((unsigned long)self->outer_ms));
    async_timeout_after(&self->inner, ASYNC_TASK, async_ms((unsigned long)self->inner_ms));
    self->s.ms = 100;
    ASYNC_AWAIT_CO_CATCH(slow_co, &self->s, self->err_inner);
    self->err_inner = async_timeout_exit(&self->inner, self->err_inner);
    self->err_outer = async_timeout_exit(&self->outer, self->err_inner);
    ASYNC_END();
}
static void test_nested(void **state) {
    async_loop loop;
    async_task t;
    struct nested n;
    int k;
    static const int oms[] = {50, 10, 10}, ims[] = {10, 50, 10};
    async_task_init(&t);
    (void)state;
    for (k = 0; k < 3; k++) {
        test_loop_init(&loop);
        memset(&n, 0, sizeof n);
        n.outer_ms = oms[k];
        n.inner_ms = ims[k];
        async_task_create(&loop, &t, nested_co, &n, "nested");
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        if (k == 0) { /* inner first: the inner scope times out, the outer sees that error */
            assert_int_equal(n.err_inner, ASYNC_ETIMEOUT);
            assert_int_equal(n.err_outer, ASYNC_ETIMEOUT);
            assert_false(async_timeout_expired(&n.outer));
        } else { /* outer first or the same tick: the cancellation passes the inner scope */
            assert_int_equal(n.err_inner, ASYNC_ECANCELLED);
            assert_int_equal(n.err_outer, ASYNC_ETIMEOUT);
            assert_true(async_timeout_expired(&n.outer));
        }
        test_loop_close(&loop);
    }
}

/* The deadline moves while the scope runs: later (it completes), then earlier. */
struct moving {
    async_frame hdr;
    async_timeout to;
    async_timer t;
    int err, shorten;
};
static ASYNC_FN(moving_co, struct moving) {
    ASYNC_BEGIN();
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(10));
    ASYNC_SLEEP_TICKS(&self->t, async_ms(5));
    if (self->shorten) async_timeout_reschedule(&self->to, async_loop_time(ASYNC_LOOP) + async_ms(1));
    else {
        async_time when = 0;
        assert_int_equal(async_timeout_when(&self->to, &when), 1);
        async_timeout_reschedule(&self->to, when + async_ms(20));
    }
    ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms(10), self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    ASYNC_RETURN(async_int(self->err));
    ASYNC_END();
}
static void test_reschedule(void **state) {
    async_loop loop;
    async_task t;
    struct moving m;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&m, 0, sizeof m);
    async_task_create(&loop, &t, moving_co, &m, "moving");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(m.err, 0);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(15));
    memset(&m, 0, sizeof m);
    m.shorten = 1;
    async_task_create(&loop, &t, moving_co, &m, "moving");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(m.err, ASYNC_ETIMEOUT);
    /* rescheduling a scope that has ended is misuse */
    assert_int_equal(async_timeout_reschedule(&m.to, 0), ASYNC_EMISUSE);
    expect_misuse("not active");
    test_loop_close(&loop);
}

/* Cancelled from outside before the deadline: stays ASYNC_ECANCELLED. */
static void test_outside_cancel_is_not_timeout(void **state) {
    async_loop loop;
    async_task t;
    struct scoped s;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&s, 0, sizeof s);
    s.ms = 100;
    s.limit = 50;
    async_task_create(&loop, &t, scoped_co, &s, "scoped");
    test_run_iterations(&loop, NULL, 1);
    async_task_cancel(&t);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_rec("err-1");
    assert_false(async_timeout_expired(&s.to));
    test_loop_close(&loop);
}

/* A scope reused many times in one task: expiring in the same iteration as the
 * body completes, leaving a callback queued, is handled (ASan-checked). */
struct reuse {
    async_frame hdr;
    async_timeout to;
    struct slow s;
    int i, err, timeouts;
};
static ASYNC_FN(reuse_co, struct reuse) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 300; self->i++) {
        self->s.ms = 1 + self->i % 3;
        async_timeout_after(&self->to, ASYNC_TASK, async_ms(2));
        ASYNC_AWAIT_CO_CATCH(slow_co, &self->s, self->err);
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err == ASYNC_ETIMEOUT) self->timeouts++;
        else if (self->err) ASYNC_RAISE(self->err);
    }
    ASYNC_END();
}
static void test_reuse(void **state) {
    async_loop loop;
    async_task t;
    static struct reuse r;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&r, 0, sizeof r);
    async_task_create(&loop, &t, reuse_co, &r, "reuse");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    /* 3 ms runs time out, and so do 2 ms runs: equal deadlines fire in arming
     * order, and the scope's timer was armed before the sleep's */
    assert_int_equal(r.timeouts, 200);
    test_loop_close(&loop);
}

static void test_misuse(void **state) {
    async_timeout to;
    (void)state;
    memset(&to, 0, sizeof to);
    assert_int_equal(async_timeout_after(&to, NULL, 5), ASYNC_EMISUSE);
    expect_misuse("outside a task");
    assert_int_equal(async_timeout_exit(&to, 0), ASYNC_EMISUSE);
    expect_misuse("without being entered");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_in_time_and_expired), TEST(test_nested), TEST(test_reschedule),
        TEST(test_outside_cancel_is_not_timeout), TEST(test_reuse), TEST(test_misuse),
    };
    return TEST_RUN(tests);
}
