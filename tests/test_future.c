/* Futures: states, results, errors, done callbacks and their order. */
#include "test_support.h"

static void cb_rec(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
}
static void cb_rec_result(async_future *f, void *arg) {
    rec("%s=%ld", (const char *)arg, (long)async_future_result(f).i);
}

static void test_set_result(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    assert_false(async_future_done(&f));
    assert_false(async_future_cancelled(&f));
    assert_int_equal(async_future_error(&f), ASYNC_EINVALSTATE); /* pending: no result yet */
    assert_int_equal(async_future_set_result(&f, async_int(5)), 0);
    assert_true(async_future_done(&f));
    assert_false(async_future_cancelled(&f));
    assert_int_equal(async_future_error(&f), 0);
    assert_int_equal(async_future_result(&f).i, 5);
    /* done is final */
    assert_int_equal(async_future_set_result(&f, async_int(6)), ASYNC_EINVALSTATE);
    assert_int_equal(async_future_set_error(&f, 3), ASYNC_EINVALSTATE);
    assert_int_equal(async_future_cancel(&f), 0);
    assert_int_equal(async_future_result(&f).i, 5);
    assert_int_equal(async_future_error(&f), 0);
    test_loop_close(&loop);
}

static void test_set_error(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_error(&f, 42), 0);
    assert_true(async_future_done(&f));
    assert_false(async_future_cancelled(&f));
    assert_int_equal(async_future_error(&f), 42);
    assert_int_equal(async_future_set_result(&f, async_int(1)), ASYNC_EINVALSTATE);
    assert_int_equal(async_future_error(&f), 42);
    /* an error of 0 would read as success: misuse, the future fails with ASYNC_EMISUSE */
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_error(&f, 0), ASYNC_EMISUSE);
    expect_misuse("error code 0");
    assert_int_equal(async_future_error(&f), ASYNC_EMISUSE);
    test_loop_close(&loop);
}

static void test_cancel(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    assert_int_equal(async_future_cancel(&f), 1);
    assert_true(async_future_done(&f));
    assert_true(async_future_cancelled(&f));
    assert_int_equal(async_future_error(&f), ASYNC_ECANCELLED);
    assert_int_equal(async_future_cancel(&f), 0); /* already done */
    assert_int_equal(async_future_set_result(&f, async_int(1)), ASYNC_EINVALSTATE);
    assert_true(async_future_cancelled(&f));
    test_loop_close(&loop);
}

/* Callbacks never run inside set_result / set_error / cancel: only from the loop. */
static void test_callbacks_run_from_loop(void **state) {
    async_loop loop;
    async_future f[3];
    async_callback cb[3];
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f[0], &loop);
    async_future_init(&f[1], &loop);
    async_future_init(&f[2], &loop);
    async_future_add_done_callback(&f[0], &cb[0], cb_rec_result, (void *)"r");
    async_future_add_done_callback(&f[1], &cb[1], cb_rec, (void *)"e");
    async_future_add_done_callback(&f[2], &cb[2], cb_rec, (void *)"c");
    async_future_set_result(&f[0], async_int(9));
    async_future_set_error(&f[1], 1);
    async_future_cancel(&f[2]);
    assert_rec("");
    async_loop_run_once(&loop);
    assert_rec("r=9 e c");
    async_loop_run_once(&loop); /* each callback runs once */
    assert_rec("r=9 e c");
    test_loop_close(&loop);
}

/* Tasks and callbacks waiting on one future are woken in registration order. */
struct fw {
    async_frame hdr;
    async_future *f;
    const char *name;
};
static ASYNC_FN(fut_waiter, struct fw) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f);
    rec("%s", self->name);
    ASYNC_END();
}
static void test_waiters_and_callbacks_in_registration_order(void **state) {
    async_loop loop;
    async_future f;
    async_task ta, tb, tc;
    struct fw a = {{0}, NULL, "A"}, b = {{0}, NULL, "B"}, c = {{0}, NULL, "C"};
    async_callback cb1, cb2;
    async_task_init(&ta);
    async_task_init(&tb);
    async_task_init(&tc);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    a.f = b.f = c.f = &f;
    async_future_add_done_callback(&f, &cb1, cb_rec, (void *)"cb1");
    async_task_create(&loop, &ta, fut_waiter, &a, "A");
    async_task_create(&loop, &tb, fut_waiter, &b, "B");
    async_loop_run_once(&loop); /* A then B park on f */
    async_future_add_done_callback(&f, &cb2, cb_rec, (void *)"cb2");
    async_task_create(&loop, &tc, fut_waiter, &c, "C");
    async_loop_run_once(&loop); /* C parks */
    assert_rec("");
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    assert_rec("cb1 A B cb2 C");
    assert_true(async_future_done(&tc.fut));
    test_loop_close(&loop);
}

static void test_remove_done_callback(void **state) {
    async_loop loop;
    async_future f;
    async_callback cb[3];
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_add_done_callback(&f, &cb[0], cb_rec, (void *)"x");
    async_future_add_done_callback(&f, &cb[1], cb_rec, (void *)"y");
    async_future_add_done_callback(&f, &cb[2], cb_rec, (void *)"z");
    assert_int_equal(async_future_remove_done_callback(&f, &cb[1]), 1);
    assert_int_equal(async_future_remove_done_callback(&f, &cb[1]), 0);
    assert_int_equal(async_future_remove_done_callback(&f, &cb[2]), 1); /* the tail */
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    assert_rec("x");
    /* removing the only one leaves an empty list */
    async_future_init(&f, &loop);
    async_future_add_done_callback(&f, &cb[0], cb_rec, (void *)"w");
    assert_int_equal(async_future_remove_done_callback(&f, &cb[0]), 1);
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    assert_rec("x");
    /* re-adding after removal works and keeps order */
    async_future_init(&f, &loop);
    async_future_add_done_callback(&f, &cb[0], cb_rec, (void *)"p");
    async_future_add_done_callback(&f, &cb[1], cb_rec, (void *)"q");
    async_future_remove_done_callback(&f, &cb[0]);
    async_future_add_done_callback(&f, &cb[0], cb_rec, (void *)"p2");
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    assert_rec("x q p2");
    test_loop_close(&loop);
}

/* Adding a callback to a done future schedules it; it still does not run inline. */
static void test_add_callback_to_done_future(void **state) {
    async_loop loop;
    async_future f;
    async_callback cb, soon;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(3));
    async_call_soon(&loop, &soon, cb_rec, (void *)"soon");
    async_future_add_done_callback(&f, &cb, cb_rec_result, (void *)"late");
    assert_rec("");
    async_loop_run_once(&loop);
    assert_rec("soon late=3"); /* after what was already queued */
    test_loop_close(&loop);
}

/* A callback may add another callback to the same (done) future: next iteration. */
static async_callback chained_cb;
static void cb_chain(async_future *f, void *arg) {
    rec("first");
    async_future_add_done_callback(f, &chained_cb, cb_rec, arg);
}
static void test_callback_added_from_callback(void **state) {
    async_loop loop;
    async_future f;
    async_callback cb;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_add_done_callback(&f, &cb, cb_chain, (void *)"second");
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    assert_rec("first");
    async_loop_run_once(&loop);
    assert_rec("first second");
    test_loop_close(&loop);
}

/* A task awaiting a future gets its result, its error, or its cancellation. */
struct fut_catch {
    async_frame hdr;
    async_future *f;
    int err;
};
static ASYNC_FN(fut_catch, struct fut_catch) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(self->f, self->err);
    ASYNC_RETURN(async_int(self->err ? -1 : ASYNC_VALUE.i));
    ASYNC_END();
}
static void test_task_sees_result_error_cancel(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct fut_catch fc;
    int how;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    for (how = 0; how < 3; how++) {
        async_future_init(&f, &loop);
        fc.f = &f;
        async_task_create(&loop, &t, fut_catch, &fc, "c");
        async_loop_run_once(&loop);
        assert_ptr_equal(async_task_waiting_on(&t), &f);
        if (how == 0) async_future_set_result(&f, async_int(8));
        if (how == 1) async_future_set_error(&f, 13);
        if (how == 2) async_future_cancel(&f);
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(fc.err, how == 0 ? 0 : how == 1 ? 13 : ASYNC_ECANCELLED);
        assert_int_equal(async_future_result(&t.fut).i, how == 0 ? 8 : -1);
    }
    test_loop_close(&loop);
}

/* An operation's hook runs inside the cancel, before any waiter wakes: when
 * the awaiting task resumes with the cancellation, the operation is gone. */
struct fake_op {
    async_op op;
    int registered; /* the outside world still points into the caller's buffer */
    int hook_calls;
    int registered_when_woken;
};
static int fake_op_cancel(async_op *op) {
    struct fake_op *fo = (struct fake_op *)(void *)op;
    assert_false(async_future_done(&op->fut)); /* the core marks it after the hook */
    fo->registered = 0;
    fo->hook_calls++;
    return ASYNC_OP_CANCELLED;
}
/* An operation that takes the request over (as gather does): it stays pending. */
static int defer_op_cancel(async_op *op) {
    struct fake_op *fo = (struct fake_op *)(void *)op;
    fo->hook_calls++;
    return fo->registered ? ASYNC_OP_REQUESTED : ASYNC_OP_REFUSED;
}
static void fake_op_woken(async_future *f, void *arg) {
    struct fake_op *fo = (struct fake_op *)arg;
    (void)f;
    fo->registered_when_woken = fo->registered;
}
static void test_op_cancel_hook(void **state) {
    async_loop loop;
    struct fake_op fo;
    async_callback cb;
    async_task t;
    struct fut_catch fc;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    /* cancelled by the awaiting task's cancellation */
    memset(&fo, 0, sizeof fo);
    async_op_init(&fo.op, &loop, fake_op_cancel);
    fo.registered = 1;
    fo.registered_when_woken = -1;
    async_future_add_done_callback(&fo.op.fut, &cb, fake_op_woken, &fo);
    fc.f = &fo.op.fut;
    async_task_create(&loop, &t, fut_catch, &fc, "c");
    async_loop_run_once(&loop);
    assert_int_equal(async_task_cancel(&t), 1);
    assert_int_equal(fo.hook_calls, 1);
    assert_int_equal(fo.registered, 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(fc.err, ASYNC_ECANCELLED);
    assert_int_equal(fo.registered_when_woken, 0);
    /* completed first: a later cancel is a no-op and the hook never runs */
    async_op_init(&fo.op, &loop, fake_op_cancel);
    fo.hook_calls = 0;
    assert_int_equal(async_future_set_result(&fo.op.fut, async_int(3)), 0);
    assert_int_equal(async_future_cancel(&fo.op.fut), 0);
    assert_int_equal(fo.hook_calls, 0);
    /* cancelled twice: the hook runs once */
    async_op_init(&fo.op, &loop, fake_op_cancel);
    assert_int_equal(async_future_cancel(&fo.op.fut), 1);
    assert_int_equal(async_future_cancel(&fo.op.fut), 0);
    assert_int_equal(fo.hook_calls, 1);
    /* a plain re-init drops the tie */
    async_future_init(&fo.op.fut, &loop);
    assert_int_equal(async_future_cancel(&fo.op.fut), 1);
    assert_int_equal(fo.hook_calls, 1);
    /* a hook that takes the request over: pending until it completes it */
    async_op_init(&fo.op, &loop, defer_op_cancel);
    fo.hook_calls = 0;
    fo.registered = 1;
    assert_int_equal(async_future_cancel(&fo.op.fut), 1);
    assert_false(async_future_done(&fo.op.fut));
    fo.registered = 0;
    assert_int_equal(async_future_cancel(&fo.op.fut), 0); /* refused */
    assert_false(async_future_done(&fo.op.fut));
    assert_int_equal(fo.hook_calls, 2);
    assert_int_equal(async_future_set_error(&fo.op.fut, ASYNC_ECANCELLED), 0);
    assert_true(async_future_done(&fo.op.fut));
    fo.hook_calls = 1;
    /* no hook is misuse */
    async_op_init(&fo.op, &loop, NULL);
    expect_misuse("cancel hook");
    assert_int_equal(async_future_cancel(&fo.op.fut), 1);
    async_loop_run_once(&loop);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_set_result),
        TEST(test_set_error),
        TEST(test_cancel),
        TEST(test_callbacks_run_from_loop),
        TEST(test_waiters_and_callbacks_in_registration_order),
        TEST(test_remove_done_callback),
        TEST(test_add_callback_to_done_future),
        TEST(test_callback_added_from_callback),
        TEST(test_task_sees_result_error_cancel),
        TEST(test_op_cancel_hook),
    };
    return TEST_RUN(tests);
}
