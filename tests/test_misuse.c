/* Bad input: each misuse is reported once through ASYNC_MISUSE with a clear
 * message and turns into an error code, never undefined behaviour. */
#include "test_support.h"

struct aw {
    async_frame hdr;
    async_future *f;
    int err;
    int after; /* reached the code after the await */
};
static ASYNC_FN(aw_co, struct aw) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(self->f, self->err);
    self->after = 1;
    ASYNC_END();
}
static ASYNC_FN(aw_raise_co, struct aw) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f);
    self->after = 1;
    ASYNC_END();
}

static void test_await_zeroed_future(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct aw a;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&f, 0, sizeof f);
    memset(&a, 0, sizeof a);
    a.f = &f;
    async_task_create(&loop, &t, aw_raise_co, &a, "a");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EMISUSE);
    expect_misuse("before async_future_init");
    assert_int_equal(a.after, 0);
    /* caught, it is an ordinary error */
    memset(&a, 0, sizeof a);
    a.f = &f;
    async_task_create(&loop, &t, aw_co, &a, "a");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    expect_misuse("before async_future_init");
    assert_int_equal(a.err, ASYNC_EMISUSE);
    assert_int_equal(a.after, 1);
    test_loop_close(&loop);
}

static void test_await_task_never_created(void **state) {
    async_loop loop;
    async_task never, t;
    struct aw a;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&never, 0, sizeof never);
    memset(&a, 0, sizeof a);
    a.f = &never.fut;
    async_task_create(&loop, &t, aw_co, &a, "a");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    expect_misuse("task never created");
    assert_int_equal(a.err, ASYNC_EMISUSE);
    test_loop_close(&loop);
}

static void test_await_null_future(void **state) {
    async_loop loop;
    async_task t;
    struct aw a;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&a, 0, sizeof a);
    a.f = NULL;
    async_task_create(&loop, &t, aw_co, &a, "a");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    expect_misuse("future");
    assert_int_equal(a.err, ASYNC_EMISUSE);
    test_loop_close(&loop);
}

static void test_run_until_complete_zeroed_future(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    memset(&f, 0, sizeof f);
    assert_int_equal(async_loop_run_until_complete(&loop, &f), ASYNC_EMISUSE);
    expect_misuse("before async_future_init");
    test_loop_close(&loop);
}

static void test_task_create_on_running_task(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct aw a, b;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.f = b.f = &f;
    assert_int_equal(async_task_create(&loop, &t, aw_co, &a, "a"), 0);
    /* still queued (not started) */
    assert_int_equal(async_task_create(&loop, &t, aw_co, &b, "b"), ASYNC_EBUSY);
    expect_misuse("still running");
    async_loop_run_once(&loop);
    /* parked on f */
    assert_int_equal(async_task_create(&loop, &t, aw_co, &b, "b"), ASYNC_EBUSY);
    expect_misuse("still running");
#if ASYNC_CONFIG_TASK_INFO
    assert_string_equal(async_task_name(&t), "a"); /* untouched */
#endif
    async_future_set_result(&f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    /* done: may be created again */
    assert_int_equal(async_task_create(&loop, &t, aw_co, &b, "b"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(b.after, 1);
    test_loop_close(&loop);
}

/* A task's handle keeps its coroutine where a callback's handle has NULL:
 * a NULL coroutine is refused at creation, never queued (it would be run as
 * a callback), and the task stays idle. */
static void test_task_create_null_coroutine(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct aw a;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&a, 0, sizeof a);
    assert_int_equal(async_task_create(&loop, &t, NULL, &a, "a"), ASYNC_EINVAL);
    expect_misuse("NULL coroutine");
    assert_int_equal(async_loop_run_once(&loop), ASYNC_EDEADLOCK); /* nothing was queued */
    assert_true(async_future_done(&t.fut));
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(7));
    a.f = &f;
    assert_int_equal(async_task_create(&loop, &t, aw_co, &a, "a"), 0); /* still usable */
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(a.after, 1);
    test_loop_close(&loop);
}

static void test_future_completed_twice(void **state) {
    async_loop loop;
    async_future f;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_result(&f, async_int(1)), 0);
    assert_int_equal(async_future_set_result(&f, async_int(2)), ASYNC_EINVALSTATE);
    assert_int_equal(async_future_set_error(&f, 3), ASYNC_EINVALSTATE);
    expect_no_misuse(); /* a runtime condition, as in asyncio: InvalidStateError */
    assert_int_equal(async_future_result(&f).i, 1);
    test_loop_close(&loop);
}

struct one {
    async_frame hdr;
};
static ASYNC_FN(one_co, struct one) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}
static void test_send_to_finished(void **state) {
    struct one o;
    async_coro co;
    (void)state;
    async_coro_init(&co, one_co, &o);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("finished");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
    assert_int_equal(async_throw(&co, 5), ASYNC_FAILED);
    expect_misuse("finished");
    /* never initialised */
    memset(&co, 0, sizeof co);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("never initialised");
}

/* Calling the coroutine function again after it finished (bypassing async_send). */
static void test_resume_finished_frame(void **state) {
    struct one o;
    async_coro co;
    (void)state;
    async_coro_init(&co, one_co, &o);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(one_co(&co.ctx, &o), ASYNC_FAILED);
    expect_misuse("after it finished");
}

struct reent {
    async_frame hdr;
    async_coro *co;
    int inner_status;
};
static ASYNC_FN(reent_co, struct reent) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(1));
    self->inner_status = (int)async_send(self->co, async_int(99));
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1)); /* the value sent to *this* resume: 5 */
    ASYNC_END();
}
static void test_send_reentrant(void **state) {
    struct reent r;
    async_coro co;
    (void)state;
    r.co = &co;
    async_coro_init(&co, reent_co, &r);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_int(5)), ASYNC_DONE);
    expect_misuse("already executing");
    assert_int_equal(r.inner_status, ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 0);
    assert_int_equal(co.ctx.value.i, 6); /* the re-entrant send clobbered nothing */
}

/* Running the loop from inside itself. */
struct nested {
    async_frame hdr;
    async_future f;
    async_task t2;
    struct one o;
    int r1, r2, r3;
};
static ASYNC_FN(nested_co, struct nested) {
    ASYNC_BEGIN();
    async_future_init(&self->f, ASYNC_LOOP);
    self->r1 = async_loop_run_until_complete(ASYNC_LOOP, &self->f);
    self->r2 = async_loop_run_forever(ASYNC_LOOP);
    self->r3 = async_run(ASYNC_LOOP, &self->t2, one_co, &self->o);
    ASYNC_END();
}
static void test_loop_run_inside_itself(void **state) {
    async_loop loop;
    async_task t;
    struct nested n = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &t, nested_co, &n, "n");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(n.r1, ASYNC_EBUSY);
    assert_int_equal(n.r2, ASYNC_EBUSY);
    assert_int_equal(n.r3, ASYNC_EBUSY);
    assert_int_equal(test_misuse_count, 3);
    assert_non_null(strstr(test_misuse_last, "running loop"));
    test_misuse_reset();
    test_loop_close(&loop);
}

/* The same from a task of a loop driven by async_loop_run_once (a
 * superloop: the loop is not "running"), with another task queued that the
 * nested run must not step underneath the first. */
static void test_loop_run_inside_superloop_task(void **state) {
    async_loop loop;
    async_task t, u;
    struct nested n = {0};
    struct one o = {0};
    async_task_init(&t);
    async_task_init(&u);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &t, nested_co, &n, "n");
    async_task_create(&loop, &u, one_co, &o, "u");
    assert_int_equal(async_loop_run_once(&loop), 0);
    assert_int_equal(n.r1, ASYNC_EBUSY);
    assert_int_equal(n.r2, ASYNC_EBUSY);
    assert_int_equal(n.r3, ASYNC_EBUSY);
    assert_int_equal(test_misuse_count, 3);
    assert_non_null(strstr(test_misuse_last, "inside a task"));
    test_misuse_reset();
    assert_true(async_future_done(&t.fut));
    assert_true(async_future_done(&u.fut));
    test_loop_close(&loop);
}

/* One iteration run from inside a task step would step other tasks (and reset
 * the loop's current task) underneath the running one. */
struct once_inside {
    async_frame hdr;
    int r;
};
static ASYNC_FN(once_inside_co, struct once_inside) {
    ASYNC_BEGIN();
    self->r = async_loop_run_once(ASYNC_LOOP);
    rec("current-kept:%d", async_current_task(ASYNC_LOOP) == ASYNC_TASK);
    ASYNC_END();
}
static void test_run_once_inside_task(void **state) {
    async_loop loop;
    async_task t1, t2;
    struct once_inside o1, o2;
    async_task_init(&t1);
    async_task_init(&t2);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &t1, once_inside_co, &o1, "t1");
    async_task_create(&loop, &t2, once_inside_co, &o2, "t2"); /* must not be stepped by t1 */
    async_loop_run_once(&loop);
    assert_int_equal(o1.r, ASYNC_EBUSY);
    assert_int_equal(o2.r, ASYNC_EBUSY);
    assert_int_equal(test_misuse_count, 2);
    assert_non_null(strstr(test_misuse_last, "inside a task"));
    test_misuse_reset();
    assert_rec("current-kept:1 current-kept:1");
    assert_true(async_future_done(&t1.fut));
    assert_true(async_future_done(&t2.fut));
    test_loop_close(&loop);
}

struct selfwait {
    async_frame hdr;
    int err;
};
static ASYNC_FN(selfwait_co, struct selfwait) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(&ASYNC_TASK->fut, self->err);
    ASYNC_RETURN(async_int(4));
    ASYNC_END();
}
/* Then again, cancelled after that misuse before it runs on: the task awaits
 * nothing (its slot names its own future), so the cancel is delivered at its
 * next step instead of being passed on to itself, round and round. */
static void test_task_awaits_itself(void **state) {
    int cancelled;
    (void)state;
    for (cancelled = 0; cancelled < 2; cancelled++) {
        async_loop loop;
        async_task t;
        struct selfwait s;
        async_task_init(&t);
        test_loop_init(&loop);
        s.err = 0;
        async_task_create(&loop, &t, selfwait_co, &s, "s");
        if (cancelled) {
            async_loop_run_once(&loop); /* parks on itself: misuse, back to the ready queue */
            assert_null(async_task_waiting_on(&t));
            assert_int_equal(async_task_cancel(&t), 1);
        }
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        expect_misuse("awaits itself");
        assert_int_equal(s.err, cancelled ? ASYNC_ECANCELLED : ASYNC_EMISUSE);
        assert_int_equal(async_future_result(&t.fut).i, 4);
        test_loop_close(&loop);
    }
}

static void test_timer_started_twice(void **state) {
    async_loop loop;
    async_timer tm;
    (void)state;
    test_loop_init(&loop);
    async_timer_init(&tm, &loop);
    assert_int_equal(async_timer_start(&tm, async_ms(1)), 0);
    assert_int_equal(async_timer_start(&tm, async_ms(2)), ASYNC_EBUSY);
    expect_misuse("still armed");
    assert_int_equal(async_timer_cancel(&tm), 1);
    assert_null(loop.timers);
    assert_int_equal(async_timer_start(&tm, async_ms(2)), 0); /* fine after cancel */
    assert_int_equal(async_timer_cancel(&tm), 1);
    test_loop_close(&loop);
}

/* A timer with a done callback: re-arming after a cancel is fine (the callback
 * was handed to the loop), re-arming while armed is refused. */
static void cb_nop(async_future *f, void *arg) {
    (void)f, (void)arg;
}
static void test_timer_restarted_with_waiter(void **state) {
    async_loop loop;
    async_timer tm;
    async_callback cb, cb2; /* cb is still queued when cb2 is registered */
    (void)state;
    test_loop_init(&loop);
    async_timer_init(&tm, &loop);
    assert_int_equal(async_timer_start(&tm, async_ms(1)), 0);
    async_future_add_done_callback(&tm.fut, &cb, cb_nop, NULL);
    assert_int_equal(async_timer_cancel(&tm), 1); /* disarmed; the callback is now queued */
    assert_int_equal(async_timer_start(&tm, async_ms(1)), 0); /* waiters were handed to the loop */
    assert_int_equal(async_timer_cancel(&tm), 1);
    async_timer_init(&tm, &loop);
    assert_int_equal(async_timer_start(&tm, async_ms(1)), 0);
    async_future_add_done_callback(&tm.fut, &cb2, cb_nop, NULL);
    assert_int_equal(async_timer_start(&tm, async_ms(1)), ASYNC_EBUSY); /* still armed */
    expect_misuse("still armed");
    async_loop_run_once(&loop);
    async_loop_run_once(&loop);
    test_loop_close(&loop);
}

/* Resuming by send while the awaited future is still pending. */
static void test_send_while_future_pending(void **state) {
    async_future f;
    struct aw a;
    async_coro co;
    (void)state;
    async_future_init(&f, NULL);
    memset(&a, 0, sizeof a);
    a.f = &f;
    async_coro_init(&co, aw_co, &a);
    assert_int_equal(async_send(&co, async_none()), ASYNC_AWAITING);
    assert_ptr_equal(co.ctx.value.p, &f);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    expect_misuse("still pending");
    assert_int_equal(a.err, ASYNC_EINVALSTATE);
}

/* Sleeping in a bare coroutine: no loop to run the timer. */
struct bare_sleep {
    async_frame hdr;
    async_timer t;
};
static ASYNC_FN(bare_sleep_co, struct bare_sleep) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 1.0);
    ASYNC_END();
}
static void test_sleep_outside_task(void **state) {
    struct bare_sleep b;
    async_coro co;
    (void)state;
    async_coro_init(&co, bare_sleep_co, &b);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("sleep outside a task");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
}

/* `break` at the top level of a body leaves the resume switch. */
struct brk {
    async_frame hdr;
    int go;
};
static ASYNC_FN(brk_co, struct brk) {
    ASYNC_BEGIN();
    if (self->go) break;
    ASYNC_END();
}
static void test_break_out_of_body(void **state) {
    struct brk b;
    async_coro co;
    (void)state;
    b.go = 1;
    async_coro_init(&co, brk_co, &b);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("break");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
}

#if !ASYNC_CONFIG_LABELS
/* Switch mode: a resume point inside the user's own switch cannot be reached
 * by the resume switch. It used to end the coroutine silently (DONE). */
struct usw {
    async_frame hdr;
    int k;
};
static ASYNC_FN(usw_co, struct usw) {
    ASYNC_BEGIN();
    switch (self->k) {
    case 0:
        ASYNC_YIELD(async_int(1));
        rec("resumed");
        break;
    default:
        break;
    }
    rec("after-switch");
    ASYNC_END();
}
static void test_resume_point_inside_user_switch(void **state) {
    struct usw u;
    async_coro co;
    (void)state;
    u.k = 0;
    async_coro_init(&co, usw_co, &u);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("inside your own `switch`");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
    assert_rec("");
    /* finished: a further send is refused as usual */
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    expect_misuse("finished");
}
#endif

/* A corrupt resume state is caught the same way, in a body with a FINALLY
 * and one without; 65534 and 65535 (erased memory reads so) are the values
 * ASYNC_FINALLY and ASYNC_END keep as cases of their own. */
#if !ASYNC_CONFIG_LABELS
struct fin {
    async_frame hdr;
    int cleaned;
};
static ASYNC_FN(fin_co, struct fin) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0();
    ASYNC_FINALLY();
    self->cleaned++;
    ASYNC_END();
}
#endif
static void test_corrupt_frame_state(void **state) {
    struct one o;
    async_coro co;
#if !ASYNC_CONFIG_LABELS
    struct fin f;
    static const unsigned bad[] = {60000, 65534, 65535}; /* no such resume line */
    size_t i;
#endif
    (void)state;
    async_coro_init(&co, one_co, &o);
#if ASYNC_CONFIG_LABELS
    o.hdr.state = (void *)(uintptr_t)2; /* ASYNC__S_DONE: a finished frame */
#else
    o.hdr.state = 60000;
#endif
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    assert_int_equal(test_misuse_count, 1);
    test_misuse_reset();
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
#if !ASYNC_CONFIG_LABELS
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        async_coro_init(&co, one_co, &o);
        o.hdr.state = bad[i];
        assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
        expect_misuse("corrupt frame");
        f.cleaned = 0;
        async_coro_init(&co, fin_co, &f);
        assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
        f.hdr.state = bad[i];
        assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
        expect_misuse("corrupt frame");
        assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
        assert_int_equal(f.cleaned, 0);
    }
#endif
}

/* A future with waiters but no loop cannot wake them. */
static void test_future_without_loop_with_waiter(void **state) {
    async_future f;
    async_callback cb;
    (void)state;
    async_future_init(&f, NULL);
    async_future_add_done_callback(&f, &cb, NULL, NULL);
    assert_int_equal(async_future_set_result(&f, async_none()), 0);
    expect_misuse("no loop");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_await_zeroed_future),
        TEST(test_await_task_never_created),
        TEST(test_await_null_future),
        TEST(test_run_until_complete_zeroed_future),
        TEST(test_task_create_on_running_task),
        TEST(test_task_create_null_coroutine),
        TEST(test_future_completed_twice),
        TEST(test_send_to_finished),
        TEST(test_resume_finished_frame),
        TEST(test_send_reentrant),
        TEST(test_loop_run_inside_itself),
        TEST(test_loop_run_inside_superloop_task),
        TEST(test_run_once_inside_task),
        TEST(test_task_awaits_itself),
        TEST(test_timer_started_twice),
        TEST(test_timer_restarted_with_waiter),
        TEST(test_send_while_future_pending),
        TEST(test_sleep_outside_task),
        TEST(test_break_out_of_body),
        TEST(test_future_without_loop_with_waiter),
#if !ASYNC_CONFIG_LABELS
        TEST(test_resume_point_inside_user_switch),
#endif
        TEST(test_corrupt_frame_state),
    };
    return TEST_RUN(tests);
}
