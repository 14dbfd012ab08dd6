/* The loop's exception handler (asyncio's loop.set_exception_handler /
 * call_exception_handler) and its lifecycle: is_running, is_closed, close. */
#include "test_support.h"

static async_loop *the_loop;
static int nreports;
static int last_err;
static const char *last_msg;
static async_loop *last_loop;
static void *last_ud;

static void handler(async_loop *loop, int err, const char *message, void *ud) {
    nreports++;
    last_loop = loop;
    last_err = err;
    last_msg = message;
    last_ud = ud;
    rec("handler%d", err);
}

/* A callback that fails reports its error and the loop carries on. */
static void cb_fails(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
    async_loop_report_error(the_loop, 5, "callback failed");
}
static void cb_rec(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
}

static void test_callback_error_reaches_handler(void **state) {
    async_loop loop;
    async_callback c[3];
    int ud = 0;
    (void)state;
    test_loop_init(&loop);
    the_loop = &loop;
    nreports = 0;
    async_loop_set_exception_handler(&loop, handler, &ud);
    async_call_soon(&loop, &c[0], cb_fails, (void *)"one");
    async_call_soon(&loop, &c[1], cb_rec, (void *)"two");
    assert_int_equal(async_loop_run_once(&loop), 0);
    assert_rec("one handler5 two"); /* reported at once, the batch goes on */
    assert_int_equal(nreports, 1);
    assert_ptr_equal(last_loop, &loop);
    assert_int_equal(last_err, 5);
    assert_string_equal(last_msg, "callback failed");
    assert_ptr_equal(last_ud, &ud);
    async_call_soon(&loop, &c[2], cb_rec, (void *)"three");
    assert_int_equal(async_loop_run_once(&loop), 0);
    assert_rec("one handler5 two three");
    test_loop_close(&loop);
}

/* A done callback reports an error: the future's waiters are unaffected. */
struct waiter {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(waiter_co, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f);
    rec("woke%ld", (long)ASYNC_VALUE.i);
    ASYNC_END();
}
static void test_done_callback_error(void **state) {
    async_loop loop;
    async_future f;
    async_callback cb;
    async_task t;
    struct waiter w;
    (void)state;
    test_loop_init(&loop);
    the_loop = &loop;
    nreports = 0;
    async_loop_set_exception_handler(&loop, handler, NULL);
    async_future_init(&f, &loop);
    w.f = &f;
    async_task_init(&t);
    async_task_create(&loop, &t, waiter_co, &w, "w");
    async_future_add_done_callback(&f, &cb, cb_fails, (void *)"done-cb");
    test_run_iterations(&loop, NULL, 1);
    async_future_set_result(&f, async_int(3));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("done-cb handler5 woke3");
    assert_int_equal(nreports, 1);
    test_loop_close(&loop);
}

/* An error reported by the handler itself goes to the default handler, not
 * back into the handler (asyncio logs a failing handler with the default). */
static void handler_reports(async_loop *loop, int err, const char *message, void *ud) {
    (void)message;
    (void)ud;
    nreports++;
    async_loop_report_error(loop, err + 1, "from the handler");
}
static void test_handler_reporting_does_not_recurse(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    nreports = 0;
    async_loop_set_exception_handler(&loop, handler_reports, NULL);
    assert_int_equal(async_loop_report_error(&loop, 7, "outer"), 0);
    assert_int_equal(nreports, 1);
    /* back to the default, and the default itself is callable */
    async_loop_set_exception_handler(&loop, handler, NULL);
    async_loop_set_exception_handler(&loop, NULL, NULL);
    nreports = 0;
    async_loop_default_exception_handler(&loop, ASYNC_ETIMEOUT, "default handler test (expected output)",
                                         NULL);
    assert_int_equal(async_loop_report_error(&loop, ASYNC_ETIMEOUT, "default handler test (expected output)"),
                     0);
    assert_int_equal(nreports, 0);
    test_loop_close(&loop);
}

/* Reporting "no error" is misuse, as for set_error and RAISE. */
static void test_report_zero_is_misuse(void **state) {
    async_loop loop;
    (void)state;
    test_loop_init(&loop);
    nreports = 0;
    async_loop_set_exception_handler(&loop, handler, NULL);
    assert_int_equal(async_loop_report_error(&loop, 0, "nothing"), ASYNC_EMISUSE);
    expect_misuse("error code 0");
    assert_int_equal(nreports, 1); /* reported as the misuse it is */
    assert_int_equal(last_err, ASYNC_EMISUSE);
    test_loop_close(&loop);
}

/* is_running is true inside the loop only; close on a running loop is misuse
 * (asyncio's RuntimeError) and the loop keeps running. */
struct closer {
    async_frame hdr;
    async_loop *loop;
    int running_inside, close_inside, closed_inside;
};
static ASYNC_FN(closer_co, struct closer) {
    ASYNC_BEGIN();
    self->running_inside = async_loop_is_running(self->loop);
    self->close_inside = async_loop_close(self->loop);
    self->closed_inside = async_loop_is_closed(self->loop);
    ASYNC_SLEEP0();
    ASYNC_RETURN(async_int(9));
    ASYNC_END();
}
static void test_lifecycle(void **state) {
    async_loop loop;
    async_task t;
    struct closer c;
    (void)state;
    test_loop_init(&loop);
    assert_false(async_loop_is_running(&loop));
    assert_false(async_loop_is_closed(&loop));
    memset(&c, 0, sizeof c);
    c.loop = &loop;
    async_task_init(&t);
    async_task_create(&loop, &t, closer_co, &c, "closer");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    expect_misuse("running");
    assert_true(c.running_inside);
    assert_int_equal(c.close_inside, ASYNC_EBUSY);
    assert_false(c.closed_inside);
    assert_int_equal(async_future_result(&t.fut).i, 9);
    assert_false(async_loop_is_running(&loop));
    test_loop_close(&loop);
    if (TEST_VIRTUAL) { /* the virtual test close leaves the loop open */
        assert_false(async_loop_is_closed(&loop));
        assert_int_equal(async_loop_close(&loop), 0);
    }
    assert_true(async_loop_is_closed(&loop));
    assert_int_equal(async_loop_close(&loop), 0); /* idempotent */
    expect_no_misuse();
}

/* A closed loop refuses to run (asyncio: "Event loop is closed"); closing
 * runs nothing and cancels nothing: what was queued stays where it was. */
static void test_closed_loop_refuses_to_run(void **state) {
    async_loop loop;
    async_callback c;
    async_future f;
    async_task t;
    struct waiter w;
    TEST_NEED_VIRTUAL();
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    w.f = &f;
    async_task_init(&t);
    async_task_create(&loop, &t, waiter_co, &w, "w");
    async_call_soon(&loop, &c, cb_rec, (void *)"never");
    assert_int_equal(async_loop_close(&loop), 0);
    assert_rec("");
    assert_false(async_future_done(&t.fut));
    assert_int_equal(async_loop_run_once(&loop), ASYNC_EMISUSE);
    expect_misuse("closed");
    assert_int_equal(async_loop_run_forever(&loop), ASYNC_EMISUSE);
    expect_misuse("closed");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EMISUSE);
    expect_misuse("closed");
    assert_rec("");
    assert_false(async_loop_is_running(&loop));
    /* init makes it a fresh loop again */
    test_loop_init(&loop);
    assert_false(async_loop_is_closed(&loop));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_callback_error_reaches_handler),
        TEST(test_done_callback_error),
        TEST(test_handler_reporting_does_not_recurse),
        TEST(test_report_zero_is_misuse),
        TEST(test_lifecycle),
        TEST(test_closed_loop_refuses_to_run),
    };
    return TEST_RUN(tests);
}
