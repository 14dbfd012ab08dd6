/* gather and shield as futures that can be kept, queried and cancelled
 * without a wrapper task (asyncio.gather / asyncio.shield return futures),
 * with 3.11's semantics: after gather.cancel() the gather is done, not
 * cancelled, and its exception is the CancelledError. */
#include "test_support.h"

struct job {
    async_frame hdr;
    const char *tag;
    int ms, raise, on_cancel, err;
    intptr_t result;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms((unsigned long)self->ms), self->err);
    if (self->err == ASYNC_ECANCELLED) {
        rec("%s-cancelled", self->tag);
        if (self->on_cancel) ASYNC_RETURN(async_int(self->on_cancel)); /* swallows it */
        ASYNC_RAISE(ASYNC_ECANCELLED);
    }
    rec("%s-end", self->tag);
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(self->result));
    ASYNC_END();
}

#define N 3
struct world {
    async_loop loop;
    async_task t[N];
    struct job j[N];
    async_future *futs[N];
    async_callback cbs[N];
    async_gather g;
};
static void world_init(struct world *w, int n) {
    static const char *tags[N] = {"a", "b", "c"};
    int i;
    memset(w, 0, sizeof *w);
    test_loop_init(&w->loop);
    for (i = 0; i < n; i++) {
        w->j[i].tag = tags[i];
        w->j[i].ms = 10 * (i + 1);
        w->j[i].result = 100 + i;
        async_task_init(&w->t[i]);
        async_task_create(&w->loop, &w->t[i], job_co, &w->j[i], tags[i]);
        w->futs[i] = &w->t[i].fut;
    }
}

/* Kept and queried: done once every child is, value n, results in the children. */
static void test_gather_future_result(void **state) {
    struct world w;
    async_future *g;
    (void)state;
    world_init(&w, N);
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, 0);
    assert_ptr_equal(g, async_gather_future(&w.g));
    assert_false(async_future_done(g));
    assert_int_equal(async_loop_run_until_complete(&w.loop, g), 0);
    assert_rec("a-end b-end c-end");
    assert_int_equal(async_future_result(g).i, N);
    assert_int_equal(async_future_result(w.futs[2]).i, 102);
    test_loop_close(&w.loop);
}

/* The first error completes it at once; the others keep running. */
static void test_gather_future_first_error(void **state) {
    struct world w;
    async_future *g;
    (void)state;
    world_init(&w, N);
    w.j[1].raise = 7;
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, 0);
    assert_int_equal(async_loop_run_until_complete(&w.loop, g), 7);
    assert_rec("a-end b-end");
    assert_false(async_future_done(w.futs[2]));
    assert_int_equal(async_loop_run_until_complete(&w.loop, w.futs[2]), 0);
    assert_rec("a-end b-end c-end");
    test_loop_close(&w.loop);
}

/* 3.11: gather.cancel() cancels the children and returns True; the gather
 * completes once they have, done but not cancelled, its error the cancellation. */
static void test_gather_future_cancel(void **state) {
    struct world w;
    async_future *g;
    (void)state;
    world_init(&w, N);
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, 0);
    test_run_iterations(&w.loop, NULL, 1);
    assert_true(async_future_cancel(g));
    assert_false(async_future_done(g)); /* not before the children are */
    assert_int_equal(async_loop_run_until_complete(&w.loop, g), ASYNC_ECANCELLED);
    assert_true(async_future_done(g));
    assert_false(async_future_cancelled(g));
    assert_int_equal(async_future_error(g), ASYNC_ECANCELLED);
    assert_rec("a-cancelled b-cancelled c-cancelled");
    assert_false(async_future_cancel(g)); /* done: nothing to cancel */
    test_loop_close(&w.loop);
}

/* With return_exceptions it waits for every child, then is the cancellation
 * (cancel was requested), even if a child swallowed it. */
static void test_gather_future_cancel_return_exceptions(void **state) {
    struct world w;
    async_future *g;
    (void)state;
    world_init(&w, N);
    w.j[1].on_cancel = 5;
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, ASYNC_RETURN_EXCEPTIONS);
    test_run_iterations(&w.loop, NULL, 1);
    assert_true(async_future_cancel(g));
    assert_int_equal(async_loop_run_until_complete(&w.loop, g), ASYNC_ECANCELLED);
    assert_false(async_future_cancelled(g));
    assert_true(async_future_cancelled(w.futs[0]));
    assert_int_equal(async_future_result(w.futs[1]).i, 5);
    assert_rec("a-cancelled b-cancelled c-cancelled");
    test_loop_close(&w.loop);
}

/* A task awaiting the gather future and cancelled: the children are
 * cancelled, the task waits for them and ends cancelled. */
struct awaiter {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(awaiter_co, struct awaiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f);
    rec("not-reached");
    ASYNC_FINALLY();
    rec("awaiter%d", ASYNC_ERROR);
    ASYNC_END();
}
static void test_gather_future_awaiter_cancelled(void **state) {
    struct world w;
    async_task ta;
    struct awaiter a;
    (void)state;
    world_init(&w, N);
    a.f = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, 0);
    async_task_init(&ta);
    async_task_create(&w.loop, &ta, awaiter_co, &a, "awaiter");
    test_run_iterations(&w.loop, NULL, 1);
    assert_true(async_task_cancel(&ta));
    assert_int_equal(async_loop_run_until_complete(&w.loop, &ta.fut), ASYNC_ECANCELLED);
    assert_rec("a-cancelled b-cancelled c-cancelled awaiter-1");
    assert_true(async_future_cancelled(&ta.fut));
    assert_int_equal(async_future_error(a.f), ASYNC_ECANCELLED);
    test_loop_close(&w.loop);
}

/* gather() of nothing is done at once with 0; close detaches the callbacks. */
static void test_gather_future_empty_and_close(void **state) {
    struct world w;
    async_future *g;
    (void)state;
    world_init(&w, N);
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, 0, 0);
    assert_true(async_future_done(g));
    assert_int_equal(async_future_result(g).i, 0);
    w.j[0].raise = 9;
    g = async_gather_start(&w.g, &w.loop, w.futs, w.cbs, N, 0);
    assert_int_equal(async_loop_run_until_complete(&w.loop, g), 9);
    async_gather_close(&w.g); /* the gather's memory may go now */
    assert_true(w.t[1].fut.waiters == NULL);
    assert_true(w.t[2].fut.waiters == NULL);
    assert_int_equal(async_loop_run_until_complete(&w.loop, w.futs[2]), 0);
    test_loop_close(&w.loop);
}

/* asyncio.shield: cancelling the outer future leaves the inner running. */
static void test_shield_future(void **state) {
    struct world w;
    async_shield s;
    async_future *o;
    (void)state;
    world_init(&w, 1);
    o = async_shield_start(&s, &w.loop, w.futs[0]);
    assert_ptr_equal(o, async_shield_future(&s));
    test_run_iterations(&w.loop, NULL, 1);
    assert_true(async_future_cancel(o));
    assert_true(async_future_cancelled(o));
    assert_true(w.t[0].fut.waiters == NULL); /* detached at once */
    assert_int_equal(async_loop_run_until_complete(&w.loop, w.futs[0]), 0);
    assert_rec("a-end");
    /* not cancelled: its outcome is the inner's */
    w.j[0].raise = 4;
    async_task_create(&w.loop, &w.t[0], job_co, &w.j[0], "a");
    o = async_shield_start(&s, &w.loop, w.futs[0]);
    assert_int_equal(async_loop_run_until_complete(&w.loop, o), 4);
    w.j[0].raise = 0;
    async_task_create(&w.loop, &w.t[0], job_co, &w.j[0], "a");
    o = async_shield_start(&s, &w.loop, w.futs[0]);
    assert_int_equal(async_loop_run_until_complete(&w.loop, o), 0);
    assert_int_equal(async_future_result(o).i, 100);
    /* the inner cancelled: the outer is cancelled */
    async_task_create(&w.loop, &w.t[0], job_co, &w.j[0], "a");
    o = async_shield_start(&s, &w.loop, w.futs[0]);
    test_run_iterations(&w.loop, NULL, 1);
    async_task_cancel(&w.t[0]);
    assert_int_equal(async_loop_run_until_complete(&w.loop, o), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(o));
    /* asyncio: shield of a done future is that future */
    assert_ptr_equal(async_shield_start(&s, &w.loop, w.futs[0]), w.futs[0]);
    test_loop_close(&w.loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_gather_future_result),
        TEST(test_gather_future_first_error),
        TEST(test_gather_future_cancel),
        TEST(test_gather_future_cancel_return_exceptions),
        TEST(test_gather_future_awaiter_cancelled),
        TEST(test_gather_future_empty_and_close),
        TEST(test_shield_future),
    };
    return TEST_RUN(tests);
}
