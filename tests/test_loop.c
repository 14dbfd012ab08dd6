/* The loop: stop, run_forever, run_until_complete results, deadlock detection. */
#include "test_support.h"

static async_loop *the_loop;
static void cb_rec(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
}
static async_callback late_cb;
static void cb_stop(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
    async_loop_stop(the_loop);
    /* queued during the batch: must wait for the next run */
    async_call_soon(the_loop, &late_cb, cb_rec, (void *)"late");
}

/* stop() lets the current batch finish, and nothing after it. */
static void test_stop_finishes_current_batch(void **state) {
    async_loop loop;
    async_callback c[3];
    (void)state;
    test_loop_init(&loop);
    the_loop = &loop;
    async_call_soon(&loop, &c[0], cb_rec, (void *)"one");
    async_call_soon(&loop, &c[1], cb_stop, (void *)"stop");
    async_call_soon(&loop, &c[2], cb_rec, (void *)"three");
    assert_int_equal(async_loop_run_forever(&loop), 0);
    assert_rec("one stop three");
    /* the loop can run again; the leftover callback runs then */
    async_call_soon(&loop, &c[0], cb_stop, (void *)"again");
    assert_int_equal(async_loop_run_forever(&loop), 0);
    assert_rec("one stop three late again");
    async_loop_run_once(&loop);
    assert_rec("one stop three late again late");
    test_loop_close(&loop);
}

/* asyncio: stop() before run_forever() makes the run do one iteration. */
static async_callback chain_cb;
static void cb_chain(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
    async_call_soon(the_loop, &chain_cb, cb_rec, (void *)"next");
}
static void test_stop_before_run(void **state) {
    async_loop loop;
    async_callback c;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    the_loop = &loop;
    async_call_soon(&loop, &c, cb_chain, (void *)"first");
    async_loop_stop(&loop);
    assert_int_equal(async_loop_run_forever(&loop), 0);
    assert_rec("first");
    /* the stop was consumed: the same for run_until_complete */
    async_future_init(&f, &loop);
    async_loop_stop(&loop);
    assert_int_equal(async_loop_run_until_complete(&loop, &f), ASYNC_ESTOPPED);
    assert_rec("first next");
    test_loop_close(&loop);
}

/* run_forever until a task stops the loop after sleeping. */
struct stopper {
    async_frame hdr;
    async_timer t;
    int i;
};
static ASYNC_FN(stopper_co, struct stopper) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
        rec("tick%d", self->i);
    }
    async_loop_stop(ASYNC_LOOP);
    rec("stopped");
    ASYNC_SLEEP0();
    rec("resumed");
    ASYNC_END();
}
static void test_run_forever_and_stop(void **state) {
    async_loop loop;
    async_task t;
    struct stopper s = {0};
    async_time t0;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    async_task_create(&loop, &t, stopper_co, &s, "stopper");
    assert_int_equal(async_loop_run_forever(&loop), 0);
    assert_rec("tick0 tick1 tick2 stopped");
    assert_true(async_loop_time(&loop) - t0 >= async_ms(3));
    assert_false(async_future_done(&t.fut));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("tick0 tick1 tick2 stopped resumed");
    test_loop_close(&loop);
}

/* run_until_complete returns ESTOPPED when stopped first; its future is untouched. */
static void test_run_until_complete_stopped(void **state) {
    async_loop loop;
    async_future f;
    async_callback c;
    (void)state;
    test_loop_init(&loop);
    the_loop = &loop;
    async_future_init(&f, &loop);
    async_call_soon(&loop, &c, cb_stop, (void *)"stop");
    assert_int_equal(async_loop_run_until_complete(&loop, &f), ASYNC_ESTOPPED);
    assert_false(async_future_done(&f));
    async_future_set_error(&f, 5);
    assert_int_equal(async_loop_run_until_complete(&loop, &f), 5);
    test_loop_close(&loop);
}

/* run_until_complete on a done future returns at once with its outcome. */
static int n_iters;
static void count_iter(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop, (void)t, (void)s, (void)ud;
    n_iters += ev == ASYNC_TRACE_ITERATION;
}
static void test_run_until_complete_done_future(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    n_iters = 0;
    async_loop_set_trace(&loop, count_iter, NULL);
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(3));
    assert_int_equal(async_loop_run_until_complete(&loop, &f), 0);
    async_future_init(&f, &loop);
    async_future_cancel(&f);
    assert_int_equal(async_loop_run_until_complete(&loop, &f), ASYNC_ECANCELLED);
    assert_int_equal(n_iters, 0);
    test_loop_close(&loop);
}

/* A coroutine stuck on a future nobody completes fails fast with ASYNC_EDEADLOCK. */
struct stuck {
    async_frame hdr;
    async_future f;
    async_timer t;
};
static ASYNC_FN(stuck_co, struct stuck) {
    ASYNC_BEGIN();
    async_future_init(&self->f, ASYNC_LOOP);
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1)); /* a timer first: deadlock only once it is gone */
    rec("slept");
    ASYNC_AWAIT(&self->f);
    rec("not reached");
    ASYNC_END();
}
static void test_deadlock_detected(void **state) {
    async_loop loop;
    async_task t;
    struct stuck s = {0};
    double w0;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    w0 = test_wall();
    async_task_create(&loop, &t, stuck_co, &s, "stuck");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EDEADLOCK);
    assert_rec("slept");
    assert_false(async_future_done(&t.fut));
    assert_ptr_equal(async_task_waiting_on(&t), &s.f);
    assert_true(test_wall() - w0 < 1.0);
    /* the loop is usable afterwards: completing the future finishes the task */
    async_future_set_result(&s.f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    test_loop_close(&loop);
}

static void test_run_forever_deadlock(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    assert_int_equal(async_loop_run_forever(&loop), ASYNC_EDEADLOCK); /* empty loop */
    test_loop_close(&loop);
}

/* async_run: main's result and error. */
struct retval {
    async_frame hdr;
    int err;
};
static ASYNC_FN(retval_co, struct retval) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0();
    if (self->err) ASYNC_RAISE(self->err);
    ASYNC_RETURN(async_int(31));
    ASYNC_END();
}
static void test_async_run_result_and_error(void **state) {
    async_loop loop;
    async_task t;
    struct retval r = {{0}, 0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    assert_int_equal(async_run(&loop, &t, retval_co, &r), 0);
    assert_int_equal(async_future_result(&t.fut).i, 31);
#if ASYNC_CONFIG_TASK_INFO
    assert_string_equal(async_task_name(&t), "main");
#endif
    r.err = 77;
    assert_int_equal(async_run(&loop, &t, retval_co, &r), 77);
    test_loop_close(&loop);
}

/* The loop's time is monotonic and follows the sleeps. */
static void test_loop_time_monotonic(void **state) {
    async_loop loop;
    async_timer tm;
    async_callback c;
    async_time prev, now;
    int i;
    (void)state;
    test_loop_init(&loop);
    prev = async_loop_time(&loop);
    for (i = 0; i < 5; i++) {
        async_call_later(&loop, &tm, &c, async_ms(1), cb_rec, (void *)"t");
        while (loop.timers) async_loop_run_once(&loop);
        async_loop_run_once(&loop);
        now = async_loop_time(&loop);
        assert_true(now - prev >= async_ms(1));
        prev = now;
    }
    assert_rec("t t t t t");
    test_loop_close(&loop);
}

/* async_strerror names every library code. */
static void test_strerror(void **state) {
    int e;
    (void)state;
    for (e = ASYNC_ELAST_CORE; e <= 0; e++) {
        assert_non_null(async_strerror(e));
        assert_string_not_equal(async_strerror(e), "unknown error");
    }
    assert_string_equal(async_strerror(ASYNC_ETIMEOUT), "timeout");
    assert_string_equal(async_strerror(5), "user or system error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_stop_finishes_current_batch),
        TEST(test_run_forever_and_stop),
        TEST(test_stop_before_run),
        TEST(test_run_until_complete_stopped),
        TEST(test_run_until_complete_done_future),
        TEST(test_deadlock_detected),
        TEST(test_run_forever_deadlock),
        TEST(test_async_run_result_and_error),
        TEST(test_loop_time_monotonic),
        TEST(test_strerror),
    };
    return TEST_RUN(tests);
}
