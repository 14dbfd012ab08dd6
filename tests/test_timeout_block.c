/* Timeout blocks as asyncio writes them (`async with asyncio.timeout(d):`):
 * around several awaits, in a loop, nested, rescheduled; only the block's own
 * cancellation becomes ASYNC_ETIMEOUT. Regressions of 3.11 behaviour: a
 * deadline already due at entry cancels at the first await, even a bare
 * yield; wait_for(task, 0) never starts the task's body; an outside cancel
 * that arrives while the scope's own cancellation is in flight stays a
 * cancellation (the scope counts requests). */
#include "test_support.h"

#define TICK async_ms(10)

/* ----------------------------------------- regressions (hand-written scope) */

/* timeout(0) then sleep(0): the body must not run on past the yield. */
struct due {
    async_frame hdr;
    async_timeout to;
    int err, ran_on;
};
static ASYNC_FN(due_co, struct due) {
    ASYNC_BEGIN();
    async_timeout_after(&self->to, ASYNC_TASK, 0);
    ASYNC_YIELD(async_none()); /* sleep(0) */
    self->ran_on = 1;
    ASYNC_FINALLY();
    self->err = async_timeout_exit(&self->to, ASYNC_ERROR);
    ASYNC_ERROR = 0;
    ASYNC_END();
}

static void test_due_at_entry_cancels_first_await(void **state) {
    struct due d;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&d, 0, sizeof d);
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, due_co, &d, "due");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(d.ran_on, 0);
    assert_int_equal(d.err, ASYNC_ETIMEOUT);
    assert_true(async_timeout_expired(&d.to));
    test_loop_close(&loop);
}

/* wait_for(task, 0): the task is cancelled before its body starts. */
struct body {
    async_frame hdr;
    int started;
};
static ASYNC_FN(body_co, struct body) {
    ASYNC_BEGIN();
    self->started = 1;
    ASYNC_END();
}
struct wf0 {
    async_frame hdr;
    async_task child;
    struct body b;
    async_waitset ws;
    int err;
};
static ASYNC_FN(wf0_co, struct wf0) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->child, body_co, &self->b, "child");
    ASYNC_WAIT_FOR(&self->ws, &self->child.fut, 0);
    ASYNC_FINALLY();
    self->err = ASYNC_ERROR;
    ASYNC_ERROR = 0;
    ASYNC_END();
}

static void test_wait_for_zero_never_starts(void **state) {
    struct wf0 w;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&w, 0, sizeof w);
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, wf0_co, &w, "wf0");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(w.err, ASYNC_ETIMEOUT);
    assert_int_equal(w.b.started, 0);
    assert_true(async_future_cancelled(&w.child.fut));
    test_loop_close(&loop);
}

/* The deadline fires (the scope cancels the task), then, before the task
 * runs, an outside cancel arrives: asyncio 3.11 reports the cancellation. */
struct race {
    async_frame hdr;
    async_timeout to;
    async_timer t;
    int err;
};
static ASYNC_FN(race_co, struct race) {
    ASYNC_BEGIN();
    async_timeout_after(&self->to, ASYNC_TASK, TICK);
    ASYNC_SLEEP_TICKS_CATCH(&self->t, 10 * TICK, self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    ASYNC_END();
}
struct outsider {
    async_frame hdr;
    async_timer t;
    async_task *victim;
};
static ASYNC_FN(outsider_co, struct outsider) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, TICK); /* same deadline, armed after the scope's */
    async_task_cancel(self->victim);
    ASYNC_END();
}

static void test_outside_cancel_during_expiry(void **state) {
    struct race r;
    struct outsider o;
    async_loop loop;
    async_task t, ot;
    (void)state;
    TEST_NEED_VIRTUAL();
    memset(&r, 0, sizeof r);
    memset(&o, 0, sizeof o);
    async_task_init(&t);
    async_task_init(&ot);
    test_loop_init(&loop);
    async_task_create(&loop, &t, race_co, &r, "race");
    async_task_create(&loop, &ot, outsider_co, &o, "outsider");
    o.victim = &t;
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(r.err, ASYNC_ECANCELLED);
    test_loop_close(&loop);
}

#ifdef ASYNC_TRY
/* ------------------------------------------------------- the block form */

struct blk {
    ASYNC_TRY_FRAME(4); /* try, timeout, try, timeout */
    async_timeout outer, inner;
    async_timer t;
    async_future never;
    int i, ms, timeouts, inner_timeouts, outer_timeouts, steps;
};

/* Several awaits under one deadline, in a loop: two fit, the third does not. */
static ASYNC_FN(loop_blk_co, struct blk) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_TRY {
            ASYNC_TIMEOUT(&self->outer, 5 * TICK) {
                ASYNC_SLEEP_TICKS(&self->t, TICK * (unsigned)(self->i + 1));
                self->steps++;
                ASYNC_SLEEP_TICKS(&self->t, TICK * (unsigned)(self->i + 1));
                self->steps++;
            } ASYNC_END_TIMEOUT(&self->outer);
            rec("in-time%d", self->i);
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
            rec("timeout%d", self->i);
        } ASYNC_END_TRY;
    }
    ASYNC_END();
}

static void test_block_in_loop(void **state) {
    struct blk b;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&b, 0, sizeof b);
    async_task_init(&t);
    test_loop_init(&loop);
    rec_reset();
    async_task_create(&loop, &t, loop_blk_co, &b, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("in-time0 in-time1 timeout2");
    assert_int_equal(b.steps, 5);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == (2 + 4 + 5) * TICK);
    test_loop_close(&loop);
}

/* Nested blocks: whichever deadline comes first owns the timeout; the other
 * block sees a plain cancellation pass through (or nothing). */
static ASYNC_FN(nested_blk_co, struct blk) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TIMEOUT(&self->outer, TICK * (unsigned)self->ms) {
            ASYNC_TRY {
                ASYNC_TIMEOUT(&self->inner, 3 * TICK) {
                    ASYNC_SLEEP_TICKS(&self->t, 10 * TICK);
                } ASYNC_END_TIMEOUT(&self->inner);
            } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
                self->inner_timeouts++;
            } ASYNC_END_TRY;
            ASYNC_SLEEP_TICKS(&self->t, 2 * TICK);
            rec("outer-body-done");
        } ASYNC_END_TIMEOUT(&self->outer);
    } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
        self->outer_timeouts++;
    } ASYNC_END_TRY;
    ASYNC_END();
}

static void run_nested(int outer_ticks, int want_inner, int want_outer, const char *want_rec) {
    struct blk b;
    async_loop loop;
    async_task t;
    memset(&b, 0, sizeof b);
    b.ms = outer_ticks;
    async_task_init(&t);
    test_loop_init(&loop);
    rec_reset();
    async_task_create(&loop, &t, nested_blk_co, &b, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(b.inner_timeouts, want_inner);
    assert_int_equal(b.outer_timeouts, want_outer);
    assert_rec(want_rec);
    test_loop_close(&loop);
}

static void test_block_nested(void **state) {
    (void)state;
    run_nested(20, 1, 0, "outer-body-done"); /* inner first */
    run_nested(2, 0, 1, "");                 /* outer first: passes through inner */
    run_nested(4, 1, 1, "");                 /* inner, then outer in the sleep after */
}

/* Rescheduled inside the block; ASYNC_NO_TIMEOUT then a deadline. */
static ASYNC_FN(resched_blk_co, struct blk) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TIMEOUT(&self->outer, ASYNC_NO_TIMEOUT) {
            ASYNC_SLEEP_TICKS(&self->t, TICK);
            async_timeout_reschedule(&self->outer, async_loop_time(ASYNC_LOOP) + TICK);
            ASYNC_SLEEP_TICKS(&self->t, 10 * TICK);
            rec("never");
        } ASYNC_END_TIMEOUT(&self->outer);
    } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
        rec("timeout");
    } ASYNC_END_TRY;
    ASYNC_END();
}

static void test_block_rescheduled(void **state) {
    struct blk b;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&b, 0, sizeof b);
    async_task_init(&t);
    test_loop_init(&loop);
    rec_reset();
    async_task_create(&loop, &t, resched_blk_co, &b, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("timeout");
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == 2 * TICK);
    test_loop_close(&loop);
}

/* A return inside the block leaves it: no timer left, no late cancel. An
 * outside cancel passes through the block as a cancellation. */
static ASYNC_FN(ret_blk_co, struct blk) {
    ASYNC_BEGIN();
    ASYNC_TIMEOUT(&self->outer, 5 * TICK) {
        ASYNC_SLEEP_TICKS(&self->t, TICK);
        if (self->ms == 0) ASYNC_RETURN(async_int(3));
        ASYNC_SLEEP_TICKS(&self->t, 2 * TICK); /* cancelled from outside here */
    } ASYNC_END_TIMEOUT(&self->outer);
    ASYNC_END();
}

struct canceller {
    async_frame hdr;
    async_timer t;
    async_task *victim;
};
static ASYNC_FN(canceller_co, struct canceller) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, 2 * TICK);
    async_task_cancel_msg(self->victim, "from outside");
    ASYNC_END();
}

static void test_block_return_and_outside_cancel(void **state) {
    struct blk b;
    struct canceller c;
    async_loop loop;
    async_task t, ct;
    (void)state;
    memset(&b, 0, sizeof b);
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, ret_blk_co, &b, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 3);
    assert_null(loop.timers);
    assert_int_equal(async_task_cancelling(&t), 0);
    test_loop_close(&loop);

    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    b.ms = 1;
    async_task_init(&t);
    async_task_init(&ct);
    test_loop_init(&loop);
    async_task_create(&loop, &t, ret_blk_co, &b, "t");
    c.victim = &t;
    async_task_create(&loop, &ct, canceller_co, &c, "c");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&t.fut));
#if ASYNC_CONFIG_TASK_INFO /* a lean task carries no message */
    assert_string_equal(async_future_cancel_message(&t.fut), "from outside");
#endif
    assert_false(async_timeout_expired(&b.outer));
    test_loop_close(&loop);
}

/* timeout(0) block with only a yield inside: the yield raises. */
static ASYNC_FN(zero_blk_co, struct blk) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TIMEOUT(&self->outer, 0) {
            ASYNC_SLEEP0();
            rec("ran-on");
        } ASYNC_END_TIMEOUT(&self->outer);
    } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
        rec("timeout");
    } ASYNC_END_TRY;
    ASYNC_END();
}

static void test_block_zero(void **state) {
    struct blk b;
    (void)state;
    memset(&b, 0, sizeof b);
    rec_reset();
    {
        async_loop loop;
        async_task t;
        async_task_init(&t);
        test_loop_init(&loop);
        async_task_create(&loop, &t, zero_blk_co, &b, "t");
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(async_task_cancelling(&t), 0);
        test_loop_close(&loop);
    }
    assert_rec("timeout");
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_due_at_entry_cancels_first_await),
        TEST(test_wait_for_zero_never_starts),
        TEST(test_outside_cancel_during_expiry),
#ifdef ASYNC_TRY
        TEST(test_block_in_loop),
        TEST(test_block_nested),
        TEST(test_block_rescheduled),
        TEST(test_block_return_and_outside_cancel),
        TEST(test_block_zero),
#endif
    };
    return TEST_RUN(tests);
}
