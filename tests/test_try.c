/* Try blocks inside a body (ASYNC_TRY / ASYNC_EXCEPT / ASYNC_TRY_FINALLY):
 * Python's try statement semantics, caught where the await is, with no
 * helper coroutine: matching, fall-through, re-raise, nesting, returns that
 * run the finally blocks innermost first, loops, and the awaits of the
 * library (sleep, lock, event, queue, gather, wait_for, shield) cancelled or
 * failing inside a try. */
#include "test_support.h"
#include <errno.h>

#define TICK async_ms(10)

/* --------------------------------------------------------------- basics */

struct basic {
    ASYNC_TRY_FRAME(1);
    async_timer t;
    int raise_code, catch_code;
};
static ASYNC_FN(basic_co, struct basic) {
    ASYNC_BEGIN();
    rec("start");
    ASYNC_TRY {
        ASYNC_SLEEP_TICKS(&self->t, TICK);
        rec("slept");
        if (self->raise_code) ASYNC_RAISE(self->raise_code);
        rec("no-raise");
    } ASYNC_EXCEPT(self->catch_code) {
        rec("caught%d", ASYNC_CAUGHT);
    } ASYNC_TRY_FINALLY {
        rec("finally%d", ASYNC_CAUGHT);
    } ASYNC_END_TRY;
    rec("after");
    ASYNC_RETURN(async_int(7));
    ASYNC_END();
}

static int run_task(async_fn fn, void *frame) {
    async_loop loop;
    async_task t;
    int r;
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, fn, frame, "t");
    r = async_loop_run_until_complete(&loop, &t.fut);
    test_loop_close(&loop);
    return r;
}

static void test_basic(void **state) {
    struct basic b;
    (void)state;
    memset(&b, 0, sizeof b);
    rec_reset();
    assert_int_equal(run_task(basic_co, &b), 0);
    assert_rec("start slept no-raise finally0 after");

    memset(&b, 0, sizeof b);
    b.raise_code = b.catch_code = 5;
    rec_reset();
    assert_int_equal(run_task(basic_co, &b), 0);
    assert_rec("start slept caught5 finally0 after");

    /* not matched: the finally block sees it, then it reaches the awaiter */
    memset(&b, 0, sizeof b);
    b.raise_code = 5;
    b.catch_code = 6;
    rec_reset();
    assert_int_equal(run_task(basic_co, &b), 5);
    assert_rec("start slept finally5");
}

/* Without a loop: a bare coroutine driven by send (a generator), the error
 * thrown in at a yield inside a try block, caught, and the generator goes on
 * (Python's gen.throw() into a try). */
struct gen {
    ASYNC_TRY_FRAME(1);
    int i, caught;
};
static ASYNC_FN(gen_co, struct gen) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_TRY {
            ASYNC_YIELD(async_int(self->i));
        } ASYNC_EXCEPT(EIO) {
            self->caught++;
        } ASYNC_END_TRY;
    }
    ASYNC_RETURN(async_int(100 + self->caught));
    ASYNC_END();
}

static void test_send_throw(void **state) {
    struct gen g;
    async_coro co;
    (void)state;
    memset(&g, 0, sizeof g);
    ASYNC_CORO_INIT(&co, gen_co, &g);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 0);
    assert_int_equal(async_throw(&co, EIO), ASYNC_YIELDED); /* caught: the next yield */
    assert_int_equal(co.ctx.value.i, 1);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 2);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 101);
    /* not matched: it escapes */
    memset(&g, 0, sizeof g);
    ASYNC_CORO_INIT(&co, gen_co, &g);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(async_throw(&co, EPIPE), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, EPIPE);
}

/* ------------------------------------------------------- nesting, reraise */

struct nest {
    ASYNC_TRY_FRAME(3);
    async_timer t;
    int code, reraise;
};
static ASYNC_FN(nest_co, struct nest) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TRY {
            ASYNC_TRY {
                ASYNC_SLEEP0();
                ASYNC_RAISE(self->code);
            } ASYNC_EXCEPT(99) {
                rec("never");
            } ASYNC_TRY_FINALLY {
                rec("f3");
                ASYNC_SLEEP_TICKS(&self->t, TICK); /* a finally block may await */
                rec("f3-slept");
            } ASYNC_END_TRY;
            rec("never-after3");
        } ASYNC_EXCEPT_IF(ASYNC_CAUGHT == 4 || ASYNC_CAUGHT == 5) {
            rec("c2-%d", ASYNC_CAUGHT);
            if (self->reraise) ASYNC_RERAISE();
            rec("c2-done");
        } ASYNC_TRY_FINALLY {
            rec("f2");
        } ASYNC_END_TRY;
        rec("after2");
    } ASYNC_EXCEPT_ANY {
        rec("c1-%d", ASYNC_CAUGHT);
    } ASYNC_END_TRY;
    rec("end");
    ASYNC_END();
}

static void test_nested(void **state) {
    struct nest n;
    (void)state;
    memset(&n, 0, sizeof n);
    n.code = 5;
    rec_reset();
    assert_int_equal(run_task(nest_co, &n), 0);
    assert_rec("f3 f3-slept c2-5 c2-done f2 after2 end");

    memset(&n, 0, sizeof n);
    n.code = 5;
    n.reraise = 1;
    rec_reset();
    assert_int_equal(run_task(nest_co, &n), 0);
    assert_rec("f3 f3-slept c2-5 f2 c1-5 end");

    memset(&n, 0, sizeof n);
    n.code = 8;
    rec_reset();
    assert_int_equal(run_task(nest_co, &n), 0);
    assert_rec("f3 f3-slept f2 c1-8 end");
}

/* ------------------------------------------- return through finally blocks */

struct ret {
    ASYNC_TRY_FRAME(2);
    int where; /* 0: in the inner body, 1: in an except, 2: in the inner finally */
};
static ASYNC_FN(ret_co, struct ret) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TRY {
            ASYNC_SLEEP0();
            if (self->where == 0) ASYNC_RETURN(async_int(10));
            ASYNC_RAISE(3);
        } ASYNC_EXCEPT(3) {
            if (self->where == 1) ASYNC_RETURN(async_int(11));
        } ASYNC_TRY_FINALLY {
            rec("inner-finally");
            if (self->where == 2) ASYNC_RETURN(async_int(12));
        } ASYNC_END_TRY;
        rec("not-reached-on-return");
    } ASYNC_TRY_FINALLY {
        rec("outer-finally");
    } ASYNC_END_TRY;
    ASYNC_RETURN(async_int(-1));
    ASYNC_FINALLY();
    rec("fn-finally");
    ASYNC_END();
}

static void test_return_runs_finally_blocks(void **state) {
    int w;
    (void)state;
    for (w = 0; w < 3; w++) {
        struct ret r;
        async_loop loop;
        async_task t;
        memset(&r, 0, sizeof r);
        r.where = w;
        async_task_init(&t);
        test_loop_init(&loop);
        rec_reset();
        async_task_create(&loop, &t, ret_co, &r, "t");
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(async_future_result(&t.fut).i, 10 + w);
        assert_rec("inner-finally outer-finally fn-finally");
        test_loop_close(&loop);
    }
}

/* An error raised in a finally block replaces the pending one (Python). */
struct repl {
    ASYNC_TRY_FRAME(2);
};
static ASYNC_FN(repl_co, struct repl) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TRY {
            ASYNC_RAISE(1);
        } ASYNC_TRY_FINALLY {
            rec("pending%d", ASYNC_CAUGHT);
            ASYNC_RAISE(2);
        } ASYNC_END_TRY;
    } ASYNC_EXCEPT(1) {
        rec("wrong");
    } ASYNC_EXCEPT(2) {
        rec("got2");
    } ASYNC_END_TRY;
    /* ASYNC_CAUGHT = 0 in a finally block swallows */
    ASYNC_TRY {
        ASYNC_RAISE(4);
    } ASYNC_TRY_FINALLY {
        ASYNC_CAUGHT = 0;
    } ASYNC_END_TRY;
    rec("swallowed");
    ASYNC_END();
}

static void test_raise_in_finally(void **state) {
    struct repl r;
    (void)state;
    memset(&r, 0, sizeof r);
    rec_reset();
    assert_int_equal(run_task(repl_co, &r), 0);
    assert_rec("pending1 got2 swallowed");
}

/* ----------------------------------------------------- in a loop, cancel */

struct looped {
    ASYNC_TRY_FRAME(1);
    async_timer t;
    async_future never;
    async_waitset ws;
    int i, timeouts;
};
static ASYNC_FN(looped_co, struct looped) {
    ASYNC_BEGIN();
    async_future_init(&self->never, ASYNC_LOOP);
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_TRY {
            ASYNC_SLEEP_TICKS(&self->t, TICK);
            ASYNC_WAIT_FOR(&self->ws, &self->never, TICK);
            rec("never");
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
            self->timeouts++;
            async_future_init(&self->never, ASYNC_LOOP); /* wait_for cancelled it */
        } ASYNC_END_TRY;
    }
    ASYNC_RETURN(async_int(self->timeouts));
    ASYNC_END();
}

static void test_in_loop(void **state) {
    struct looped l;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&l, 0, sizeof l);
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, looped_co, &l, "t");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 3);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == 6 * TICK);
    test_loop_close(&loop);
}

/* Another task that, every TICK, cancels the victim (or fails a future). */
struct driver {
    async_frame hdr;
    async_timer t;
    async_task *victim;
    async_future *fail_at3;
    int i, n;
};
static ASYNC_FN(driver_co, struct driver) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        ASYNC_SLEEP_TICKS(&self->t, TICK);
        if (self->i == 3 && self->fail_at3) async_future_set_error(self->fail_at3, 42);
        else async_task_cancel(self->victim);
    }
    ASYNC_END();
}

/* Cancellation caught at the await it hits; the handler may await, and
 * swallowing it lets the task end normally (asyncio: the task is not cancelled). */
struct canc {
    ASYNC_TRY_FRAME(1);
    async_timer t;
};
static ASYNC_FN(canc_co, struct canc) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_SLEEP_TICKS(&self->t, 100 * TICK);
    } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
        rec("cancelled");
        ASYNC_SLEEP_TICKS(&self->t, TICK); /* cleanup that awaits */
        rec("cleaned");
    } ASYNC_END_TRY;
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}

static void test_catch_cancel(void **state) {
    struct canc c;
    struct driver d;
    async_loop loop;
    async_task t, dt;
    (void)state;
    memset(&c, 0, sizeof c);
    async_task_init(&t);
    test_loop_init(&loop);
    rec_reset();
    async_task_init(&dt);
    memset(&d, 0, sizeof d);
    d.victim = &t;
    d.n = 1;
    async_task_create(&loop, &t, canc_co, &c, "t");
    async_task_create(&loop, &dt, driver_co, &d, "driver");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_false(async_future_cancelled(&t.fut));
    assert_int_equal(async_future_result(&t.fut).i, 1);
    assert_rec("cancelled cleaned");
    test_loop_close(&loop);
}

/* ------------------------------------ the library's awaits inside a try */

struct awaits {
    ASYNC_TRY_FRAME(1);
    async_wait_op op;
    async_waitset ws;
    async_timer t;
    async_lock lock;
    async_event ev;
    async_queue q;
    async_value qbuf[2];
    async_future f, fail, *futs[2];
    async_slot slots[2];
    int step, errs[8];
};
static ASYNC_FN(awaits_co, struct awaits) {
    ASYNC_BEGIN();
    for (self->step = 0; self->step < 6; self->step++) {
        ASYNC_TRY {
            if (self->step == 0) ASYNC_LOCK_ACQUIRE(&self->op, &self->lock);
            if (self->step == 1) ASYNC_EVENT_WAIT(&self->op, &self->ev);
            if (self->step == 2) ASYNC_QUEUE_GET(&self->op, &self->q);
            if (self->step == 3) ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
            if (self->step == 4) ASYNC_SHIELD(&self->ws, &self->f);
            if (self->step == 5) ASYNC_SLEEP_TICKS(&self->t, 100 * TICK);
            rec("done%d", self->step);
        } ASYNC_EXCEPT_ANY {
            self->errs[self->step] = ASYNC_CAUGHT;
        } ASYNC_END_TRY;
    }
    ASYNC_END();
}

static void test_library_awaits(void **state) {
    struct awaits a;
    struct driver d;
    async_loop loop;
    async_task t, dt;
    (void)state;
    memset(&a, 0, sizeof a);
    async_task_init(&t);
    test_loop_init(&loop);
    async_lock_init(&a.lock);
    async_lock_try_acquire(&a.lock); /* held: the acquire waits */
    async_event_init(&a.ev);
    async_queue_init(&a.q, ASYNC_QUEUE_FIFO, a.qbuf, 2, 0);
    async_future_init(&a.f, &loop);
    async_future_init(&a.fail, &loop);
    a.futs[0] = &a.f;
    a.futs[1] = &a.fail;
    rec_reset();
    async_task_create(&loop, &t, awaits_co, &a, "t");
    async_task_init(&dt);
    memset(&d, 0, sizeof d);
    d.victim = &t;
    d.fail_at3 = &a.fail; /* gather raises the child's error */
    d.n = 6;
    async_task_create(&loop, &dt, driver_co, &d, "driver");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(a.errs[0], ASYNC_ECANCELLED);
    assert_int_equal(a.errs[1], ASYNC_ECANCELLED);
    assert_int_equal(a.errs[2], ASYNC_ECANCELLED);
    assert_int_equal(a.errs[3], 42);
    assert_int_equal(a.errs[4], ASYNC_ECANCELLED);
    assert_int_equal(a.errs[5], ASYNC_ECANCELLED);
    assert_false(async_future_cancelled(&a.f)); /* shielded */
    assert_rec("");
    test_loop_close(&loop);
}


/* More of them: semaphore, condition, barrier, queue put and join,
 * as_completed, wait_for, and a TaskGroup's exit raising a child's error. */
struct failer {
    async_frame hdr;
};
static ASYNC_FN(failer_co, struct failer) {
    ASYNC_BEGIN();
    ASYNC_RAISE(9);
    ASYNC_END();
}

struct awaits2 {
    ASYNC_TRY_FRAME(1);
    async_wait_op op;
    async_cond_op cop;
    async_waitset ws;
    async_sem sem;
    async_lock lock;
    async_cond cond;
    async_barrier bar;
    async_queue q, jq;
    async_value qbuf[1], jbuf[1];
    async_future f, *futs[1];
    async_slot slots[1];
    async_taskgroup tg;
    async_tg_task kid;
    struct failer fr;
    int step, errs[8];
};
static ASYNC_FN(awaits2_co, struct awaits2) {
    ASYNC_BEGIN();
    for (self->step = 0; self->step < 8; self->step++) {
        ASYNC_TRY {
            if (self->step == 0) ASYNC_SEM_ACQUIRE(&self->op, &self->sem);
            if (self->step == 1) {
                ASYNC_LOCK_ACQUIRE(&self->op, &self->lock);
                ASYNC_COND_WAIT(&self->cop, &self->cond);
            }
            if (self->step == 2) ASYNC_BARRIER_WAIT(&self->op, &self->bar);
            if (self->step == 3) ASYNC_QUEUE_PUT(&self->op, &self->q, async_int(2)); /* full */
            if (self->step == 4) ASYNC_QUEUE_JOIN(&self->op, &self->jq);            /* unfinished */
            if (self->step == 5) {
                async_as_completed_init(&self->ws, self->futs, self->slots, 1, ASYNC_NO_TIMEOUT);
                ASYNC_AS_COMPLETED_NEXT(&self->ws);
            }
            if (self->step == 6) ASYNC_WAIT_FOR(&self->ws, &self->f, 100 * TICK);
            if (self->step == 7) {
                async_taskgroup_enter(&self->tg, ASYNC_TASK);
                async_taskgroup_spawn(&self->tg, &self->kid, failer_co, &self->fr, "kid");
                ASYNC_TASKGROUP_EXIT(&self->tg, 0);
            }
            rec("done%d", self->step);
        } ASYNC_EXCEPT_ANY {
            self->errs[self->step] = ASYNC_CAUGHT;
            if (self->step == 1 && async_lock_locked(&self->lock)) async_lock_release(&self->lock);
            if (self->step == 5) async_as_completed_close(&self->ws);
        } ASYNC_END_TRY;
    }
    ASYNC_END();
}

static void test_library_awaits_more(void **state) {
    struct awaits2 a;
    struct driver d;
    async_loop loop;
    async_task t, dt;
    int i;
    (void)state;
    memset(&a, 0, sizeof a);
    async_task_init(&t);
    test_loop_init(&loop);
    async_sem_init(&a.sem, 0);
    async_lock_init(&a.lock);
    async_cond_init(&a.cond, &a.lock);
    async_barrier_init(&a.bar, 2);
    async_queue_init(&a.q, ASYNC_QUEUE_FIFO, a.qbuf, 1, 0);
    async_queue_put_nowait(&a.q, async_int(1));
    async_queue_init(&a.jq, ASYNC_QUEUE_FIFO, a.jbuf, 1, 0);
    async_queue_put_nowait(&a.jq, async_int(1));
    async_future_init(&a.f, &loop);
    a.futs[0] = &a.f;
    rec_reset();
    async_task_create(&loop, &t, awaits2_co, &a, "t");
    async_task_init(&dt);
    memset(&d, 0, sizeof d);
    d.victim = &t;
    d.n = 7; /* the group's exit needs no cancel: its child fails */
    async_task_create(&loop, &dt, driver_co, &d, "driver");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    for (i = 0; i < 7; i++) assert_int_equal(a.errs[i], ASYNC_ECANCELLED);
    assert_int_equal(a.errs[7], 9);
    assert_rec("");
    test_loop_close(&loop);
}

/* ---------------------------------------------------- the function level */

/* A try block inside the function-level FINALLY section, and an error that
 * leaves every try block reaching that section. */
struct fnlevel {
    ASYNC_TRY_FRAME(1);
};
static ASYNC_FN(fnlevel_co, struct fnlevel) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_RAISE(9);
    } ASYNC_EXCEPT(8) {
        rec("never");
    } ASYNC_END_TRY;
    ASYNC_FINALLY();
    rec("fn-finally%d", ASYNC_ERROR);
    ASYNC_TRY {
        ASYNC_SLEEP0();
        ASYNC_RAISE(3);
    } ASYNC_EXCEPT(3) {
        rec("caught-in-finally");
    } ASYNC_END_TRY;
    ASYNC_END();
}

static void test_function_level(void **state) {
    struct fnlevel f;
    (void)state;
    memset(&f, 0, sizeof f);
    rec_reset();
    assert_int_equal(run_task(fnlevel_co, &f), 9);
    assert_rec("fn-finally9 caught-in-finally");
}

/* Deeper than the frame allows: misuse, raised at the ASYNC_TRY that overflows. */
struct deep {
    ASYNC_TRY_FRAME(1);
};
static ASYNC_FN(deep_co, struct deep) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TRY {
            rec("never");
        } ASYNC_END_TRY;
    } ASYNC_EXCEPT(ASYNC_EMISUSE) {
        rec("misuse");
    } ASYNC_END_TRY;
    ASYNC_END();
}

static void test_too_deep(void **state) {
    struct deep d;
    (void)state;
    memset(&d, 0, sizeof d);
    rec_reset();
    assert_int_equal(run_task(deep_co, &d), 0);
    expect_misuse("ASYNC_TRY_FRAME");
    assert_rec("misuse");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_basic),        TEST(test_send_throw),
        TEST(test_nested),       TEST(test_return_runs_finally_blocks),
        TEST(test_raise_in_finally), TEST(test_in_loop),
        TEST(test_catch_cancel), TEST(test_library_awaits),
        TEST(test_library_awaits_more),
        TEST(test_function_level), TEST(test_too_deep),
    };
    return TEST_RUN(tests);
}
