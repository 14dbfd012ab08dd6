/* The send/yield/return protocol driven by hand (Python's coroutine.send /
 * throw / StopIteration), without a loop. */
#include "test_support.h"

/* ---- Seed 004's Rock program, line for line -------------------------------- */
static test_buf rock_out;

struct rock {
    async_frame hdr;
};
/* Rock.__await__: value_sent_in = yield 7; print; return value_sent_in */
static ASYNC_FN(rock_await, struct rock) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(7));
    test_buf_printf(&rock_out, "Rock.__await__ resuming with value: %ld.\n", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}

struct rock_main {
    async_frame hdr;
    struct rock rock; /* child frame: `rock = Rock()` */
};
static ASYNC_FN(rock_main, struct rock_main) {
    ASYNC_BEGIN();
    test_buf_printf(&rock_out, "Beginning coroutine main().\n");
    test_buf_printf(&rock_out, "Awaiting rock...\n");
    ASYNC_AWAIT_CO(rock_await, &self->rock);
    test_buf_printf(&rock_out, "Coroutine received value: %ld from rock.\n", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(async_int(23));
    ASYNC_END();
}

static void test_rock_seed_output(void **state) {
    struct rock_main m;
    async_coro co;
    async_status s;
    (void)state;
    test_buf_reset(&rock_out);
    async_coro_init(&co, rock_main, &m); /* coroutine = main(): runs nothing */
    assert_int_equal(rock_out.n, 0);
    s = async_send(&co, async_none());
    assert_int_equal(s, ASYNC_YIELDED);
    test_buf_printf(&rock_out, "Coroutine paused and returned intermediate value: %ld.\n", (long)co.ctx.value.i);
    test_buf_printf(&rock_out, "Resuming coroutine and sending in value: 42.\n");
    s = async_send(&co, async_int(42));
    assert_int_equal(s, ASYNC_DONE); /* StopIteration */
    test_buf_printf(&rock_out, "Coroutine main() finished and provided value: %ld.\n", (long)co.ctx.value.i);
    assert_string_equal(rock_out.s,
                        "Beginning coroutine main().\n"
                        "Awaiting rock...\n"
                        "Coroutine paused and returned intermediate value: 7.\n"
                        "Resuming coroutine and sending in value: 42.\n"
                        "Rock.__await__ resuming with value: 42.\n"
                        "Coroutine received value: 42 from rock.\n"
                        "Coroutine main() finished and provided value: 23.\n");
}

/* ---- Generators ---------------------------------------------------------------- */
struct counter {
    async_frame hdr;
    int i, n;
    long sum; /* of the values sent in */
};
/* yields 0..n-1; each value sent in becomes the value of that YIELD; returns their sum */
static ASYNC_FN(counter, struct counter) {
    ASYNC_BEGIN();
    self->sum = 0;
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_YIELD(async_int(self->i));
        self->sum += (long)ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}

static void test_generator_counts_and_receives(void **state) {
    struct counter c;
    async_coro co;
    int k;
    (void)state;
    c.n = 5;
    async_coro_init(&co, counter, &c);
    for (k = 0; k < 5; k++) {
        /* the first send starts it (its value is ignored: nobody receives it) */
        assert_int_equal(async_send(&co, async_int(k == 0 ? 999 : 10 * k)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, k);
    }
    assert_int_equal(async_send(&co, async_int(50)), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 10 + 20 + 30 + 40 + 50);
    assert_int_equal(c.i, 5);
}

static void test_generator_zero_items(void **state) {
    struct counter c;
    async_coro co;
    (void)state;
    c.n = 0;
    async_coro_init(&co, counter, &c);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 0);
}

/* A coroutine is reusable after async_coro_init resets its frame. */
static void test_generator_restart(void **state) {
    struct counter c;
    async_coro co;
    int round;
    (void)state;
    for (round = 0; round < 2; round++) {
        c.n = 2;
        async_coro_init(&co, counter, &c);
        assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 0);
        assert_int_equal(async_send(&co, async_int(3)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 1);
        assert_int_equal(async_send(&co, async_int(4)), ASYNC_DONE);
        assert_int_equal(co.ctx.value.i, 7);
    }
}

/* Values of every kind go through: pointers and doubles. */
struct echo {
    async_frame hdr;
    void *p;
    double d;
};
static ASYNC_FN(echo_co, struct echo) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_ptr(self));
    self->p = ASYNC_VALUE.p;
    ASYNC_YIELD(async_dbl(2.5));
    self->d = ASYNC_VALUE.d;
    ASYNC_RETURN(async_dbl(self->d * 2));
    ASYNC_END();
}

static void test_values_pointer_and_double(void **state) {
    struct echo e;
    async_coro co;
    int x;
    (void)state;
    async_coro_init(&co, echo_co, &e);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_ptr_equal(co.ctx.value.p, &e);
    assert_int_equal(async_send(&co, async_ptr(&x)), ASYNC_YIELDED);
    assert_ptr_equal(e.p, &x);
    assert_true(co.ctx.value.d == 2.5);
    assert_int_equal(async_send(&co, async_dbl(0.25)), ASYNC_DONE);
    assert_true(co.ctx.value.d == 0.5);
}

/* Without ASYNC_RETURN the result is async_none(), not a stale yielded value. */
struct plain {
    async_frame hdr;
};
static ASYNC_FN(plain_co, struct plain) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(77));
    ASYNC_END();
}
static void test_fall_off_end_returns_none(void **state) {
    struct plain p;
    async_coro co;
    (void)state;
    async_coro_init(&co, plain_co, &p);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 77);
    assert_int_equal(async_send(&co, async_int(5)), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 0);
}

/* ---- throw ------------------------------------------------------------------ */
struct thrower {
    async_frame hdr;
    int swallow;   /* FINALLY swallows the error */
    int seen;      /* error seen in FINALLY */
    int body_ran;  /* the body started */
};
static ASYNC_FN(thrower, struct thrower) {
    ASYNC_BEGIN();
    self->body_ran = 1;
    rec("start");
    ASYNC_YIELD(async_int(1));
    rec("not reached");
    ASYNC_FINALLY();
    rec("finally");
    self->seen = ASYNC_ERROR;
    if (self->swallow) ASYNC_ERROR = 0;
    ASYNC_END();
}

static void test_throw_into_suspended(void **state) {
    struct thrower t;
    async_coro co;
    (void)state;
    memset(&t, 0, sizeof t);
    async_coro_init(&co, thrower, &t);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_throw(&co, 42), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 42);
    assert_int_equal(t.seen, 42);
    assert_rec("start finally");
}

static void test_throw_swallowed_in_finally(void **state) {
    struct thrower t;
    async_coro co;
    (void)state;
    memset(&t, 0, sizeof t);
    t.swallow = 1;
    async_coro_init(&co, thrower, &t);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_throw(&co, ASYNC_ECANCELLED), ASYNC_DONE);
    assert_int_equal(t.seen, ASYNC_ECANCELLED);
    assert_rec("start finally");
}

static void test_throw_into_unstarted(void **state) {
    struct thrower t;
    async_coro co;
    (void)state;
    memset(&t, 0, sizeof t);
    t.swallow = 1; /* even a FINALLY that would swallow it does not run */
    async_coro_init(&co, thrower, &t);
    assert_int_equal(async_throw(&co, 9), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 9);
    assert_int_equal(t.body_ran, 0);
    assert_rec("");
}

/* throw percolates down to the innermost inline child (yield from). */
struct inner_th {
    async_frame hdr;
};
static ASYNC_FN(inner_th, struct inner_th) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(3));
    ASYNC_FINALLY();
    rec("inner-finally:%d", ASYNC_ERROR);
    ASYNC_END();
}
struct outer_th {
    async_frame hdr;
    struct inner_th in;
};
static ASYNC_FN(outer_th, struct outer_th) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CO(inner_th, &self->in);
    rec("not reached");
    ASYNC_FINALLY();
    rec("outer-finally:%d", ASYNC_ERROR);
    ASYNC_END();
}
static void test_throw_reaches_inner_child(void **state) {
    struct outer_th o;
    async_coro co;
    (void)state;
    async_coro_init(&co, outer_th, &o);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 3);
    assert_int_equal(async_throw(&co, 11), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 11);
    assert_rec("inner-finally:11 outer-finally:11");
}

/* async_throw(co, 0) is not "no error": it is misuse, thrown as ASYNC_EMISUSE. */
static void test_throw_zero_becomes_error(void **state) {
    struct thrower t;
    async_coro co;
    (void)state;
    memset(&t, 0, sizeof t);
    async_coro_init(&co, thrower, &t);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_throw(&co, 0), ASYNC_FAILED);
    expect_misuse("error code 0");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
}

/* A throw into a coroutine parked on a future raises at the await even when
 * that future has completed meanwhile (the await must not take its result),
 * and a try block around the await catches it. */
struct await_th {
    ASYNC_TRY_FRAME(1);
    async_future *f;
    long got;
    int caught;
};
static ASYNC_FN(await_th, struct await_th) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_AWAIT(self->f);
        self->got = (long)ASYNC_VALUE.i;
    } ASYNC_EXCEPT(5) {
        self->caught = 5;
    } ASYNC_END_TRY;
    ASYNC_AWAIT(self->f); /* done: continues at once */
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}
static void test_throw_into_await_of_done_future(void **state) {
    int uncaught;
    (void)state;
    for (uncaught = 0; uncaught < 2; uncaught++) { /* 5 is caught, 6 is not */
        struct await_th a;
        async_future f;
        async_coro co;
        memset(&a, 0, sizeof a);
        async_future_init(&f, NULL);
        a.f = &f;
        async_coro_init(&co, await_th, &a);
        assert_int_equal(async_send(&co, async_none()), ASYNC_AWAITING);
        assert_int_equal(async_future_set_result(&f, async_int(40)), 0);
        assert_int_equal(async_throw(&co, 5 + uncaught), uncaught ? ASYNC_FAILED : ASYNC_DONE);
        assert_int_equal(a.got, 0);
        if (uncaught) {
            assert_int_equal(co.ctx.err, 6); /* the coroutine fails with it */
        } else {
            assert_int_equal(a.caught, 5);
            assert_int_equal(co.ctx.value.i, 41);
        }
    }
}

/* A bare coroutine (driven by send) has no task and no loop. */
struct whoami {
    async_frame hdr;
    async_task *task;
    async_loop *loop;
};
static ASYNC_FN(whoami_co, struct whoami) {
    ASYNC_BEGIN();
    self->task = ASYNC_TASK;
    self->loop = ASYNC_LOOP;
    ASYNC_END();
}
static void test_bare_coroutine_has_no_task(void **state) {
    struct whoami w;
    async_coro co;
    async_loop loop;
    async_task t;
    async_task_init(&t);
    (void)state;
    w.task = (async_task *)&w;
    w.loop = (async_loop *)&w;
    async_coro_init(&co, whoami_co, &w);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_null(w.task);
    assert_null(w.loop);
    /* the same coroutine as a task sees both */
    test_loop_init(&loop);
    async_task_create(&loop, &t, whoami_co, &w, "who");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_ptr_equal(w.task, &t);
    assert_ptr_equal(w.loop, &loop);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_rock_seed_output),
        TEST(test_generator_counts_and_receives),
        TEST(test_generator_zero_items),
        TEST(test_generator_restart),
        TEST(test_values_pointer_and_double),
        TEST(test_fall_off_end_returns_none),
        TEST(test_throw_into_suspended),
        TEST(test_throw_swallowed_in_finally),
        TEST(test_throw_into_unstarted),
        TEST(test_throw_reaches_inner_child),
        TEST(test_throw_zero_becomes_error),
        TEST(test_throw_into_await_of_done_future),
        TEST(test_bare_coroutine_has_no_task),
    };
    return TEST_RUN(tests);
}
