/* Errors as exceptions: propagation through AWAIT_CO and task awaits,
 * FINALLY on every exit path, catching, and errors raised in FINALLY. */
#include "test_support.h"

/* ---- three levels of AWAIT_CO ------------------------------------------------ */
struct l3 {
    async_frame hdr;
    int err;
};
static ASYNC_FN(l3_co, struct l3) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0(); /* raise after a real suspension, so the resume path unwinds too */
    rec("l3-raise");
    ASYNC_RAISE(self->err);
    rec("not reached");
    ASYNC_FINALLY();
    rec("l3-fin:%d", ASYNC_ERROR);
    ASYNC_END();
}
struct l2 {
    async_frame hdr;
    int err;
    struct l3 c;
};
static ASYNC_FN(l2_co, struct l2) {
    ASYNC_BEGIN();
    self->c.err = self->err;
    ASYNC_AWAIT_CO(l3_co, &self->c);
    rec("not reached");
    ASYNC_FINALLY();
    rec("l2-fin:%d", ASYNC_ERROR);
    ASYNC_END();
}
struct l1 {
    async_frame hdr;
    int err;
    struct l2 c;
};
static ASYNC_FN(l1_co, struct l1) {
    ASYNC_BEGIN();
    self->c.err = self->err;
    ASYNC_AWAIT_CO(l2_co, &self->c);
    rec("not reached");
    ASYNC_FINALLY();
    rec("l1-fin:%d", ASYNC_ERROR);
    ASYNC_END();
}

static void test_propagation_three_levels(void **state) {
    async_loop loop;
    async_task t;
    struct l1 f;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    f.err = 21;
    async_task_create(&loop, &t, l1_co, &f, "l1");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 21);
    assert_rec("l3-raise l3-fin:21 l2-fin:21 l1-fin:21");
    assert_false(async_future_cancelled(&t.fut));
    assert_int_equal(async_future_error(&t.fut), 21);
    test_loop_close(&loop);
}

/* The same unwinding with a negative library code, driven by send. */
static void test_propagation_by_send(void **state) {
    struct l1 f;
    async_coro co;
    (void)state;
    f.err = ASYNC_ETIMEOUT;
    async_coro_init(&co, l1_co, &f);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, ASYNC_ETIMEOUT);
    assert_rec("l3-raise l3-fin:-2 l2-fin:-2 l1-fin:-2");
}

/* ---- through a task await ----------------------------------------------------- */
struct outer {
    async_frame hdr;
    async_task inner;
    struct l1 in;
};
static ASYNC_FN(outer_co, struct outer) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->inner, l1_co, &self->in, "inner");
    ASYNC_AWAIT(&self->inner.fut);
    rec("not reached");
    ASYNC_FINALLY();
    rec("outer-fin:%d", ASYNC_ERROR);
    ASYNC_END();
}
static void test_propagation_through_task(void **state) {
    async_loop loop;
    async_task t;
    struct outer o = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    o.in.err = 9;
    async_task_create(&loop, &t, outer_co, &o, "outer");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 9);
    assert_rec("l3-raise l3-fin:9 l2-fin:9 l1-fin:9 outer-fin:9");
    assert_int_equal(async_future_error(&o.inner.fut), 9);
    test_loop_close(&loop);
}

/* ---- FINALLY on every exit path ------------------------------------------------- */
enum { EXIT_NORMAL, EXIT_RETURN, EXIT_RAISE, EXIT_CANCEL };
struct fin {
    async_frame hdr;
    int how;
    int swallow;
    async_future *f;
    int fin_runs, fin_err;
};
static ASYNC_FN(fin_co, struct fin) {
    ASYNC_BEGIN();
    if (self->how == EXIT_RETURN) ASYNC_RETURN(async_int(5));
    if (self->how == EXIT_RAISE) ASYNC_RAISE(33);
    if (self->how == EXIT_CANCEL) ASYNC_AWAIT(self->f);
    rec("body-end");
    ASYNC_FINALLY();
    self->fin_runs++;
    self->fin_err = ASYNC_ERROR;
    if (self->swallow) ASYNC_ERROR = 0;
    ASYNC_END();
}

static int run_fin(struct fin *fr, async_task *t, int how, int swallow) {
    async_loop loop;
    async_future f;
    int r;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    memset(fr, 0, sizeof *fr);
    fr->how = how;
    fr->swallow = swallow;
    fr->f = &f;
    async_task_create(&loop, t, fin_co, fr, "fin");
    if (how == EXIT_CANCEL) {
        async_loop_run_once(&loop);
        assert_int_equal(async_task_cancel(t), 1);
    }
    r = async_loop_run_until_complete(&loop, &t->fut);
    test_loop_close(&loop);
    return r;
}

static void test_finally_on_normal_end(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_NORMAL, 0), 0);
    assert_int_equal(fr.fin_runs, 1);
    assert_int_equal(fr.fin_err, 0);
    assert_rec("body-end");
}
static void test_finally_on_return(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_RETURN, 0), 0);
    assert_int_equal(fr.fin_runs, 1);
    assert_int_equal(fr.fin_err, 0);
    assert_int_equal(async_future_result(&t.fut).i, 5); /* the value survives FINALLY */
    assert_rec("");
}
static void test_finally_on_error(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_RAISE, 0), 33);
    assert_int_equal(fr.fin_runs, 1);
    assert_int_equal(fr.fin_err, 33);
}
static void test_finally_on_cancel(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_CANCEL, 0), ASYNC_ECANCELLED);
    assert_int_equal(fr.fin_runs, 1);
    assert_int_equal(fr.fin_err, ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&t.fut));
    assert_rec("");
}
static void test_finally_swallows_error(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_RAISE, 1), 0);
    assert_int_equal(fr.fin_err, 33);
    assert_false(async_future_cancelled(&t.fut));
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 0);
}
static void test_finally_swallows_cancellation(void **state) {
    struct fin fr;
    async_task t;
    async_task_init(&t);
    (void)state;
    assert_int_equal(run_fin(&fr, &t, EXIT_CANCEL, 1), 0);
    assert_int_equal(fr.fin_err, ASYNC_ECANCELLED);
    assert_false(async_future_cancelled(&t.fut)); /* it did not end by the cancellation */
}

/* ---- catching ----------------------------------------------------------------------- */
struct failer {
    async_frame hdr;
    int err;
};
static ASYNC_FN(failer_co, struct failer) {
    ASYNC_BEGIN();
    if (self->err) ASYNC_RAISE(self->err);
    ASYNC_RETURN(async_int(77));
    ASYNC_END();
}
struct catcher {
    async_frame hdr;
    async_future *bad, *good;
    struct failer c;
    int e1, e2, e3, e4;
    long v2, v4;
};
static ASYNC_FN(catcher_co, struct catcher) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(self->bad, self->e1);
    ASYNC_AWAIT_CATCH(self->good, self->e2);
    self->v2 = (long)ASYNC_VALUE.i;
    self->c.err = 44;
    ASYNC_AWAIT_CO_CATCH(failer_co, &self->c, self->e3);
    self->c.err = 0;
    ASYNC_AWAIT_CO_CATCH(failer_co, &self->c, self->e4);
    self->v4 = (long)ASYNC_VALUE.i;
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}
static void test_await_catch_and_await_co_catch(void **state) {
    async_loop loop;
    async_task t;
    async_future bad, good;
    struct catcher c;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&bad, &loop);
    async_future_init(&good, &loop);
    c.bad = &bad, c.good = &good;
    c.e1 = c.e2 = c.e3 = c.e4 = -100;
    async_task_create(&loop, &t, catcher_co, &c, "c");
    async_loop_run_once(&loop);
    async_future_set_error(&bad, 12);
    async_loop_run_once(&loop);
    async_future_set_result(&good, async_int(8));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(c.e1, 12);
    assert_int_equal(c.e2, 0);
    assert_int_equal(c.v2, 8);
    assert_int_equal(c.e3, 44);
    assert_int_equal(c.e4, 0);
    assert_int_equal(c.v4, 77);
    assert_int_equal(async_future_result(&t.fut).i, 1);
    test_loop_close(&loop);
}

/* ---- errors raised in FINALLY ----------------------------------------------------------- */
struct refin {
    async_frame hdr;
    int first, second;
    int ret_in_finally;
};
static ASYNC_FN(refin_co, struct refin) {
    ASYNC_BEGIN();
    if (self->first) ASYNC_RAISE(self->first);
    ASYNC_FINALLY();
    rec("fin:%d", ASYNC_ERROR);
    if (self->ret_in_finally) ASYNC_RETURN(async_int(6));
    if (self->second) ASYNC_RAISE(self->second);
    rec("fin-end");
    ASYNC_END();
}
static void test_error_in_finally_replaces_first(void **state) {
    struct refin r = {{0}, 1, 2, 0};
    async_coro co;
    (void)state;
    async_coro_init(&co, refin_co, &r);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 2);
    assert_rec("fin:1"); /* FINALLY ran once: the raise inside it ends the coroutine */
}
static void test_error_in_finally_after_success(void **state) {
    struct refin r = {{0}, 0, 3, 0};
    async_coro co;
    (void)state;
    async_coro_init(&co, refin_co, &r);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 3);
    assert_rec("fin:0");
}
static void test_return_in_finally_drops_error(void **state) {
    struct refin r = {{0}, 5, 0, 1};
    async_coro co;
    (void)state;
    async_coro_init(&co, refin_co, &r);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 6);
    assert_rec("fin:5");
}

/* An AWAIT inside FINALLY (async cleanup) keeps the error in flight. */
struct slow_clean {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(slow_clean_co, struct slow_clean) {
    ASYNC_BEGIN();
    ASYNC_RAISE(4);
    ASYNC_FINALLY();
    rec("cleanup:%d", ASYNC_ERROR);
    ASYNC_AWAIT(self->f);
    rec("cleaned:%d", ASYNC_ERROR);
    ASYNC_END();
}
static void test_await_in_finally_keeps_error(void **state) {
    async_loop loop;
    async_task t;
    async_future f;
    struct slow_clean s;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    s.f = &f;
    async_task_create(&loop, &t, slow_clean_co, &s, "s");
    async_loop_run_once(&loop);
    assert_false(async_future_done(&t.fut));
    async_future_set_result(&f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 4);
    assert_rec("cleanup:4 cleaned:4");
    test_loop_close(&loop);
}

/* A child that swallows its error in FINALLY returns normally to the parent. */
struct swallow_child {
    async_frame hdr;
};
static ASYNC_FN(swallow_child_co, struct swallow_child) {
    ASYNC_BEGIN();
    ASYNC_RAISE(8);
    ASYNC_FINALLY();
    ASYNC_ERROR = 0;
    ASYNC_END();
}
struct swallow_parent {
    async_frame hdr;
    struct swallow_child c;
};
static ASYNC_FN(swallow_parent_co, struct swallow_parent) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CO(swallow_child_co, &self->c);
    rec("parent-continues");
    ASYNC_END();
}
static void test_swallowed_error_does_not_reach_parent(void **state) {
    struct swallow_parent p;
    async_coro co;
    (void)state;
    async_coro_init(&co, swallow_parent_co, &p);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_rec("parent-continues");
}

/* ---- error codes: every code in 16 bits kept exactly, the rest refused ---- */
struct raiser {
    async_frame hdr;
    int err;
};
static ASYNC_FN(raiser_co, struct raiser) {
    ASYNC_BEGIN();
    ASYNC_RAISE(self->err);
    ASYNC_END();
}
static int raise_by_send(int err) {
    async_coro co;
    struct raiser f;
    f.err = err;
    async_coro_init(&co, raiser_co, &f);
    assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
    return co.ctx.err;
}
static void test_error_codes_kept_exactly(void **state) {
    static const int codes[] = {1, 5, 133, 32767, ASYNC_ECANCELLED, ASYNC_ELAST_CORE, -37, -32767};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_int_equal(raise_by_send(codes[i]), codes[i]);
        expect_no_misuse();
    }
}
static void test_error_codes_refused(void **state) {
    static const int bad[] = {65536, 40000, 32768, -32768, -40000, 0x10005};
    async_loop loop;
    async_future f;
    async_coro co;
    struct raiser r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(raise_by_send(bad[i]), ASYNC_EMISUSE);
        expect_misuse("error code");
    }
    assert_int_equal(raise_by_send(0), ASYNC_EMISUSE);
    expect_misuse("error code 0");
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_error(&f, 0), ASYNC_EMISUSE);
    expect_misuse("error code 0");
    assert_int_equal(async_future_error(&f), ASYNC_EMISUSE); /* done: waiters do not hang */
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_error(&f, 65536), ASYNC_EMISUSE);
    expect_misuse("error code");
    assert_int_equal(async_future_error(&f), ASYNC_EMISUSE);
    async_future_init(&f, &loop);
    assert_int_equal(async_future_set_error(&f, -32767), 0);
    assert_int_equal(async_future_error(&f), -32767);
    expect_no_misuse();
    r.err = 1;
    async_coro_init(&co, raiser_co, &r);
    assert_int_equal(async_throw(&co, 0), ASYNC_FAILED);
    expect_misuse("error code 0");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
    async_coro_init(&co, raiser_co, &r);
    assert_int_equal(async_throw(&co, 40000), ASYNC_FAILED);
    expect_misuse("error code");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_propagation_three_levels),
        TEST(test_propagation_by_send),
        TEST(test_propagation_through_task),
        TEST(test_finally_on_normal_end),
        TEST(test_finally_on_return),
        TEST(test_finally_on_error),
        TEST(test_finally_on_cancel),
        TEST(test_finally_swallows_error),
        TEST(test_finally_swallows_cancellation),
        TEST(test_await_catch_and_await_co_catch),
        TEST(test_error_in_finally_replaces_first),
        TEST(test_error_in_finally_after_success),
        TEST(test_return_in_finally_drops_error),
        TEST(test_await_in_finally_keeps_error),
        TEST(test_swallowed_error_does_not_reach_parent),
        TEST(test_error_codes_kept_exactly),
        TEST(test_error_codes_refused),
    };
    return TEST_RUN(tests);
}
