/* wait_for: result in time; on timeout cancel the inner, wait for it, report
 * ASYNC_ETIMEOUT; a swallowed cancellation returns the value; completion at the
 * same instant as the deadline; cancelling the outer cancels the inner. */
#include "test_support.h"

struct job {
    async_frame hdr;
    int ms, raise, swallow, cleanup_ms;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(self->ms));
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ECANCELLED) {
        rec("inner-cancelled");
        if (self->cleanup_ms) { /* slow cleanup: wait_for must wait for it */
            ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->cleanup_ms));
            rec("inner-cleaned");
        }
        if (self->swallow) ASYNC_RETURN(async_int(-5));
    }
    ASYNC_END();
}

struct wf {
    async_frame hdr;
    async_waitset ws;
    async_future *inner;
    async_time timeout;
};
static ASYNC_FN(wf_co, struct wf) {
    ASYNC_BEGIN();
    ASYNC_WAIT_FOR(&self->ws, self->inner, self->timeout);
    rec("result%ld", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("err%d", ASYNC_ERROR);
    ASYNC_END();
}

static async_task jt, wt;
static struct job jf;
static struct wf w;
static int run_wf(async_loop *loop, int ms, async_time timeout) {
    memset(&jf, 0, sizeof jf);
    memset(&w, 0, sizeof w);
    jf.ms = ms;
    async_task_create(loop, &jt, job_co, &jf, "inner");
    w.inner = &jt.fut;
    w.timeout = timeout;
    async_task_create(loop, &wt, wf_co, &w, "outer");
    return 0;
}

static void test_in_time(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    run_wf(&loop, 10, async_ms(50));
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), 0);
    assert_rec("result10");
    assert_int_equal(async_future_result(&wt.fut).i, 10);
    test_loop_close(&loop);
}

static void test_timeout_waits_for_cancellation(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    run_wf(&loop, 100, async_ms(20));
    jf.cleanup_ms = 5;
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), ASYNC_ETIMEOUT);
    assert_rec("inner-cancelled inner-cleaned err-2");
    assert_true(async_future_cancelled(&jt.fut)); /* finished before the timeout was reported */
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(25));
    test_loop_close(&loop);
}

static void test_swallowed_cancellation_returns_value(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    run_wf(&loop, 100, async_ms(20));
    jf.swallow = 1;
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), 0);
    assert_rec("inner-cancelled result-5");
    test_loop_close(&loop);
}

static void test_inner_error_and_zero_timeout(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    run_wf(&loop, 5, async_ms(50));
    jf.raise = 33;
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), 33);
    rec_reset();
    /* timeout 0: a done future gives its result, a pending one times out */
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(4));
    memset(&w, 0, sizeof w);
    w.inner = &f;
    w.timeout = 0;
    async_task_create(&loop, &wt, wf_co, &w, "outer");
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), 0);
    async_future_init(&f, &loop);
    async_task_create(&loop, &wt, wf_co, &w, "outer");
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), ASYNC_ETIMEOUT);
    assert_true(async_future_cancelled(&f));
    assert_rec("result4 err-2");
    test_loop_close(&loop);
}

static void test_cancel_outer_cancels_inner(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    run_wf(&loop, 100, async_ms(50));
    jf.cleanup_ms = 3;
    test_run_iterations(&loop, NULL, 1);
    async_task_cancel(&wt);
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&jt.fut));
    assert_rec("inner-cancelled inner-cleaned err-1");
    test_loop_close(&loop);
}

/* The inner future completes at the very tick of the deadline. Timers with equal
 * deadlines fire in arming order: armed before the wait_for's timer, the result
 * wins; armed after it, the timeout wins and the future is cancelled. */
static void set7(async_future *f, void *arg) { async_future_set_result((async_future *)arg, async_int(7)); (void)f; }
static void test_completion_at_deadline(void **state) {
    async_loop loop;
    async_future f;
    async_timer tm;
    async_callback cb;
    (void)state;
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_call_at(&loop, &tm, &cb, async_ms(10), set7, &f); /* armed first */
    memset(&w, 0, sizeof w);
    w.inner = &f;
    w.timeout = async_ms(10);
    async_task_create(&loop, &wt, wf_co, &w, "outer");
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), 0);
    assert_int_equal(async_future_result(&wt.fut).i, 7);
    rec_reset();
    /* now the wait_for's timer is armed first (at its first step, time 10 ms) */
    async_future_init(&f, &loop);
    async_task_create(&loop, &wt, wf_co, &w, "outer");
    test_run_iterations(&loop, NULL, 1);
    async_call_at(&loop, &tm, &cb, async_ms(20), set7, &f);
    assert_int_equal(async_loop_run_until_complete(&loop, &wt.fut), ASYNC_ETIMEOUT);
    assert_true(async_future_cancelled(&f));
    test_run_iterations(&loop, NULL, 2); /* the late setter finds it cancelled: harmless */
    test_loop_close(&loop);
}

/* wait_for reused in a loop with the same waitset, racing each time. */
struct many {
    ASYNC_TRY_FRAME(1);
    async_waitset ws;
    async_future f;
    async_timer tm;
    async_callback cb;
    int i, wins, timeouts;
};
static ASYNC_FN(many_co, struct many) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 200; self->i++) {
        async_future_init(&self->f, ASYNC_LOOP);
        async_call_later(ASYNC_LOOP, &self->tm, &self->cb, async_ms(1 + (unsigned long)(self->i % 3)), set7, &self->f);
        ASYNC_TRY {
            ASYNC_WAIT_FOR(&self->ws, &self->f, async_ms(2));
            self->wins++;
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
            self->timeouts++;
        } ASYNC_END_TRY;
        async_timer_cancel(&self->tm);
        ASYNC_SLEEP0(); /* let a cancelled setter's callback drain */
    }
    ASYNC_END();
}
static void test_reuse_in_loop(void **state) {
    async_loop loop;
    async_task t;
    static struct many m;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&m, 0, sizeof m);
    async_task_create(&loop, &t, many_co, &m, "many");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(m.wins + m.timeouts, 200);
    assert_true(m.wins > 0);
    assert_true(m.timeouts > 0);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_in_time),
        TEST(test_timeout_waits_for_cancellation),
        TEST(test_swallowed_cancellation_returns_value),
        TEST(test_inner_error_and_zero_timeout),
        TEST(test_cancel_outer_cancels_inner),
        TEST(test_completion_at_deadline),
        TEST(test_reuse_in_loop),
    };
    return TEST_RUN(tests);
}
