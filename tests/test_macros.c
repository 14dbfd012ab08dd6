/* Every macro is statement-safe (usable as the body of if/else without braces)
 * and evaluates its arguments once. Also built with -DASYNC_CONFIG_LABELS=1,
 * where a user `switch` may contain resume points. */
#include "test_support.h"

/* Side-effect counters: each helper counts how often the macro evaluated it. */
struct ev {
    async_frame hdr;
    async_future *f;      /* a pending or done future */
    async_timer t;
    int cond;             /* which branch of the if/else */
    int n_fut, n_err, n_val, n_timer, n_ticks, n_secs, n_raise;
    int err, errs[4], k;
};
static async_future *fut_of(struct ev *e) { e->n_fut++; return e->f; }
static int *err_slot(struct ev *e) { e->n_err++; return &e->errs[e->k++]; }
static async_value val_of(struct ev *e, intptr_t v) { e->n_val++; return async_int(v); }
static async_timer *timer_of(struct ev *e) { e->n_timer++; return &e->t; }
static async_time ticks_of(struct ev *e) { e->n_ticks++; return async_ms(1); }
static double secs_of(struct ev *e) { e->n_secs++; return 0.001; }
static int raise_of(struct ev *e) { e->n_raise++; return 29; }

/* ---- evaluate once ------------------------------------------------------------ */
static ASYNC_FN(once_await, struct ev) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(fut_of(self));
    ASYNC_RETURN(val_of(self, ASYNC_VALUE.i + 1));
    ASYNC_END();
}
static ASYNC_FN(once_catch, struct ev) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(fut_of(self), *err_slot(self));
    ASYNC_END();
}
static ASYNC_FN(once_yield, struct ev) {
    ASYNC_BEGIN();
    ASYNC_YIELD(val_of(self, 4));
    ASYNC_END();
}
static ASYNC_FN(once_raise, struct ev) {
    ASYNC_BEGIN();
    ASYNC_RAISE(raise_of(self));
    ASYNC_END();
}
static ASYNC_FN(once_sleep, struct ev) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(timer_of(self), ticks_of(self));
    ASYNC_SLEEP(timer_of(self), secs_of(self));
    ASYNC_END();
}

static void run_task(async_fn fn, struct ev *e, int expect_err) {
    async_loop loop;
    async_task t;
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, fn, e, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), expect_err);
    test_loop_close(&loop);
}

static void test_await_evaluates_once(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct ev e;
    async_task_init(&t);
    (void)state;
    /* pending future: the await suspends and resumes */
    memset(&e, 0, sizeof e);
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    e.f = &f;
    async_task_create(&loop, &t, once_await, &e, "t");
    async_loop_run_once(&loop);
    async_future_set_result(&f, async_int(10));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 11);
    assert_int_equal(e.n_fut, 1);
    assert_int_equal(e.n_val, 1); /* RETURN's argument */
    /* done future: no suspension */
    memset(&e, 0, sizeof e);
    e.f = &f;
    run_task(once_await, &e, 0);
    assert_int_equal(e.n_fut, 1);
    test_loop_close(&loop);
}

static void test_await_catch_evaluates_once(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct ev e;
    int how;
    async_task_init(&t);
    (void)state;
    for (how = 0; how < 2; how++) {
        memset(&e, 0, sizeof e);
        e.errs[0] = -100;
        test_loop_init(&loop);
        async_future_init(&f, &loop);
        e.f = &f;
        async_task_create(&loop, &t, once_catch, &e, "t");
        async_loop_run_once(&loop);
        if (how) async_future_set_error(&f, 3);
        else async_future_set_result(&f, async_none());
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(e.n_fut, 1);
        assert_int_equal(e.n_err, 1);
        assert_int_equal(e.k, 1);
        assert_int_equal(e.errs[0], how ? 3 : 0);
        test_loop_close(&loop);
    }
}

static void test_yield_raise_sleep_evaluate_once(void **state) {
    struct ev e;
    async_coro co;
    (void)state;
    memset(&e, 0, sizeof e);
    async_coro_init(&co, once_yield, &e);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 4);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(e.n_val, 1);

    memset(&e, 0, sizeof e);
    run_task(once_raise, &e, 29);
    assert_int_equal(e.n_raise, 1);

    memset(&e, 0, sizeof e);
    run_task(once_sleep, &e, 0);
    assert_int_equal(e.n_timer, 2);
    assert_int_equal(e.n_ticks, 1);
    assert_int_equal(e.n_secs, 1);
}

/* ---- statement safety: every macro as an unbraced if/else branch ------------------ */
struct child {
    async_frame hdr;
    int fail;
};
static ASYNC_FN(child_co, struct child) {
    ASYNC_BEGIN();
    if (self->fail) ASYNC_RAISE(self->fail);
    else ASYNC_RETURN(async_int(2));
    ASYNC_END();
}
struct stmt {
    async_frame hdr;
    async_future *f;
    async_timer t;
    struct child c;
    int cond, err;
};
static ASYNC_FN(stmt_co, struct stmt) {
    ASYNC_BEGIN();
    if (self->cond) ASYNC_AWAIT(self->f);
    else rec("e1");
    if (self->cond) ASYNC_AWAIT_CATCH(self->f, self->err);
    else rec("e2");
    if (self->cond) ASYNC_AWAIT_CO(child_co, &self->c);
    else rec("e3");
    if (self->cond) ASYNC_AWAIT_CO_CATCH(child_co, &self->c, self->err);
    else rec("e4");
    if (self->cond) ASYNC_YIELD(async_int(1));
    else rec("e5");
    if (self->cond) ASYNC_SLEEP0();
    else rec("e6");
    if (self->cond) ASYNC_SLEEP_TICKS(&self->t, 1);
    else rec("e7");
    if (self->cond) ASYNC_SLEEP(&self->t, 0.000001);
    else rec("e8");
    if (self->cond) AWAIT(self->f);
    else rec("e9");
    if (self->cond) AWAIT_CO(child_co, &self->c);
    else rec("e10");
    if (self->cond) YIELD(async_none());
    else rec("e11");
    rec("mid");
    if (!self->cond) ASYNC_RAISE(5);
    else ASYNC_RETURN(async_int(9));
    ASYNC_FINALLY();
    if (ASYNC_ERROR == 5) ASYNC_ERROR = 0;
    else rec("no-error");
    ASYNC_END();
}
static void test_statement_safety(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct stmt s;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(1));
    memset(&s, 0, sizeof s);
    s.f = &f;
    s.cond = 1;
    async_task_create(&loop, &t, stmt_co, &s, "s");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("mid no-error");
    assert_int_equal(async_future_result(&t.fut).i, 9);
    rec_reset();
    memset(&s, 0, sizeof s);
    s.f = &f;
    s.cond = 0;
    async_task_create(&loop, &t, stmt_co, &s, "s");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("e1 e2 e3 e4 e5 e6 e7 e8 e9 e10 e11 mid");
    test_loop_close(&loop);
}

/* ---- ASYNC_CONFIG_LABELS: resume points inside a user's switch ---------------------- */
#if ASYNC_CONFIG_LABELS
struct sw {
    async_frame hdr;
    async_future *f;
    int i;
    long sum;
};
static ASYNC_FN(switch_co, struct sw) {
    ASYNC_BEGIN();
    self->sum = 0;
    for (self->i = 0; self->i < 4; self->i++) {
        switch (self->i % 3) {
        case 0:
            ASYNC_AWAIT(self->f);
            self->sum += (long)ASYNC_VALUE.i;
            break;
        case 1:
            ASYNC_YIELD(async_none());
            self->sum += 100;
            break;
        default:
            rec("default");
            break;
        }
        rec("i%d", self->i);
    }
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}
static void test_labels_user_switch(void **state) {
    async_loop loop;
    async_future f;
    async_task t;
    struct sw s;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    s.f = &f;
    async_task_create(&loop, &t, switch_co, &s, "sw");
    async_loop_run_once(&loop);
    assert_rec("");
    async_future_set_result(&f, async_int(7));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("i0 i1 default i2 i3");
    assert_int_equal(async_future_result(&t.fut).i, 7 + 100 + 7);
    test_loop_close(&loop);
}
#endif

/* The typed entry points: ASYNC_TASK_CREATE and ASYNC_CORO_INIT pass through to
 * the plain functions; ASYNC_FN_AT takes a frame whose header is nested; a
 * coroutine written by hand gets the check through ASYNC_DECLARE. (Wrong
 * types are compile errors: tests/compile_fail/frames.c.) */
struct base_hdr { async_frame hdr; int tag; };
struct nested { struct base_hdr base; int n; };
static ASYNC_FN_AT(nested_co, struct nested, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0();
    ASYNC_RETURN(async_int(self->n + self->base.tag));
    ASYNC_END();
}
struct by_hand { async_frame hdr; int n; };
ASYNC_DECLARE(by_hand_co, struct by_hand);
async_status by_hand_co(async_ctx *async_ctx_, void *async_vself_) {
    struct by_hand *self = (struct by_hand *)async_vself_;
    (void)async_ctx_;
    async_ctx_->value = async_int(self->n);
    return ASYNC_DONE;
}
struct typed_parent { async_frame hdr; struct nested kid; struct by_hand hand; intptr_t sum; };
static ASYNC_FN(typed_parent_co, struct typed_parent) {
    ASYNC_BEGIN();
    self->kid.n = 40;
    self->kid.base.tag = 2;
    ASYNC_AWAIT_CO(nested_co, &self->kid);
    self->sum = ASYNC_VALUE.i;
    self->hand.n = 100;
    ASYNC_AWAIT_CO(by_hand_co, &self->hand);
    self->sum += ASYNC_VALUE.i;
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}
static void test_typed_entry_points(void **state) {
    async_loop loop;
    async_task t;
    async_coro co;
    struct typed_parent p;
    struct nested n;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    memset(&p, 0, sizeof p);
    assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, typed_parent_co, &p, "typed"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 142);
    memset(&n, 0, sizeof n);
    n.n = 5;
    ASYNC_CORO_INIT(&co, nested_co, &n);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 5);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_await_evaluates_once),
        TEST(test_await_catch_evaluates_once),
        TEST(test_yield_raise_sleep_evaluate_once),
        TEST(test_statement_safety),
        TEST(test_typed_entry_points),
#if ASYNC_CONFIG_LABELS
        TEST(test_labels_user_switch),
#endif
    };
    return TEST_RUN(tests);
}
