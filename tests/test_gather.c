/* gather: results in input order, first error to the awaiter while the others
 * keep running, return_exceptions, cancellation of every unfinished child. */
#include "test_support.h"

struct job {
    async_frame hdr;
    const char *tag;
    int ms, raise, swallow;
    intptr_t ret;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    rec("%s-done", self->tag);
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(self->ret));
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ECANCELLED) {
        rec("%s-cancelled", self->tag);
        if (self->swallow) ASYNC_RETURN(async_int(self->ret));
    }
    ASYNC_END();
}

struct gmain {
    async_frame hdr;
    async_waitset ws;
    async_future *futs[3];
    async_slot slots[3];
    size_t n;
    int flags, again;
};
static ASYNC_FN(gmain_co, struct gmain) {
    ASYNC_BEGIN();
    ASYNC_GATHER(&self->ws, self->futs, self->slots, self->n, self->flags);
    rec("gathered%ld", (long)ASYNC_VALUE.i);
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("gather-err%d", ASYNC_ERROR);
    ASYNC_END();
}

static async_task jt[3];
static struct job jf[3];
static void jobs(async_loop *loop, struct gmain *g, int ms0, int ms1, int ms2) {
    static const char *tags[] = {"a", "b", "c"};
    int ms[3];
    int i;
    ms[0] = ms0, ms[1] = ms1, ms[2] = ms2;
    memset(g, 0, sizeof *g);
    for (i = 0; i < 3; i++) {
        memset(&jf[i], 0, sizeof jf[i]);
        jf[i].tag = tags[i];
        jf[i].ms = ms[i];
        jf[i].ret = i + 1;
        async_task_create(loop, &jt[i], job_co, &jf[i], tags[i]);
        g->futs[i] = &jt[i].fut;
    }
    g->n = 3;
}

static void test_results_in_input_order(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    int i;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 30, 10, 20);
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_rec("b-done c-done a-done gathered3");
    for (i = 0; i < 3; i++) assert_int_equal(async_future_result(g.futs[i]).i, i + 1);
    test_loop_close(&loop);
}

static void test_first_error_others_keep_running(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 20, 10, 30);
    jf[1].raise = 42;
    jf[2].raise = 43;
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 42);
    assert_rec("b-done gather-err42");
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(10));
    assert_false(async_future_done(&jt[0].fut)); /* not cancelled: still running */
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[2].fut), 43);
    assert_rec("b-done gather-err42 a-done c-done");
    assert_int_equal(async_future_result(&jt[0].fut).i, 1);
    test_loop_close(&loop);
}

static void test_return_exceptions(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 20, 10, 30);
    jf[1].raise = 42;
    g.flags = ASYNC_RETURN_EXCEPTIONS;
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_rec("b-done a-done c-done gathered3");
    assert_int_equal(async_future_error(g.futs[1]), 42);
    assert_int_equal(async_future_result(g.futs[0]).i, 1);
    assert_int_equal(async_future_result(g.futs[2]).i, 3);
    test_loop_close(&loop);
}

static void test_cancel_gather_cancels_children(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 20, 10, 30);
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    while (!async_future_done(&jt[1].fut)) async_loop_run_once(&loop);
    async_task_cancel(&tm);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&tm.fut));
    assert_true(async_future_cancelled(&jt[0].fut));
    assert_true(async_future_cancelled(&jt[2].fut));
    assert_int_equal(async_future_result(&jt[1].fut).i, 2);
    assert_rec("b-done a-cancelled c-cancelled gather-err-1");
    test_loop_close(&loop);
}

/* Cancelled after the gather already had its outcome (first error) but before
 * the awaiter ran: the awaiter gets ASYNC_ECANCELLED, the other children are not
 * cancelled (asyncio: cancel() of a done gathering future does nothing). */
static void test_cancel_after_outcome(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 20, 10, 30);
    jf[1].raise = 5;
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    while (!g.ws.met) async_loop_run_once(&loop);
    async_task_cancel(&tm);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), ASYNC_ECANCELLED);
    assert_false(async_future_done(&jt[0].fut));
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[2].fut), 0);
    assert_int_equal(async_future_error(&jt[0].fut), 0);
    assert_rec("b-done gather-err-1 a-done c-done");
    test_loop_close(&loop);
}

/* A child that swallows the cancellation: with return_exceptions the gather
 * waits for it and still raises ASYNC_ECANCELLED (asyncio 3.11). */
static void test_cancel_with_swallowing_child(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    jobs(&loop, &g, 20, 10, 30);
    jf[0].swallow = 1;
    g.flags = ASYNC_RETURN_EXCEPTIONS;
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    test_run_iterations(&loop, NULL, 1);
    async_task_cancel(&tm);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), ASYNC_ECANCELLED);
    assert_int_equal(async_future_error(&jt[0].fut), 0);
    assert_int_equal(async_future_result(&jt[0].fut).i, 1);
    assert_rec("a-cancelled b-cancelled c-cancelled gather-err-1");
    test_loop_close(&loop);
}

static void test_empty_and_done_children(void **state) {
    async_loop loop;
    async_task tm;
    struct gmain g;
    async_future f;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    memset(&g, 0, sizeof g);
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_rec("gathered0");
    rec_reset();
    async_future_init(&f, &loop);
    async_future_set_result(&f, async_int(9));
    g.futs[0] = g.futs[1] = &f; /* done already, and twice */
    g.n = 2;
    async_task_create(&loop, &tm, gmain_co, &g, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_rec("gathered2");
    test_loop_close(&loop);
}

/* The same waitset reused at once after an early error (callbacks of children
 * completed in the same iteration are still queued): no corruption (ASan). */
struct regather {
    ASYNC_TRY_FRAME(1);
    async_waitset ws;
    async_future *futs[2];
    async_slot slots[2];
    async_future f[2];
    int round, err;
};
static ASYNC_FN(regather_co, struct regather) {
    ASYNC_BEGIN();
    for (self->round = 0; self->round < 50; self->round++) {
        async_future_init(&self->f[0], ASYNC_LOOP);
        async_future_init(&self->f[1], ASYNC_LOOP);
        async_future_set_error(&self->f[0], 7);
        async_future_set_result(&self->f[1], async_int(1));
        self->futs[0] = &self->f[0];
        self->futs[1] = &self->f[1];
        self->err = 0;
        ASYNC_TRY {
            ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
        } ASYNC_EXCEPT_ANY {
            self->err = ASYNC_CAUGHT;
        } ASYNC_END_TRY;
        if (self->err != 7) ASYNC_RAISE(100);
    }
    ASYNC_END();
}
static void test_reuse_with_queued_callbacks(void **state) {
    async_loop loop;
    async_task t;
    struct regather r;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&r, 0, sizeof r);
    async_task_create(&loop, &t, regather_co, &r, "regather");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    test_run_iterations(&loop, NULL, 3);
    assert_null(loop.ready_head); /* no callback of an earlier round is left queued */
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_results_in_input_order),   TEST(test_first_error_others_keep_running),
        TEST(test_return_exceptions),        TEST(test_cancel_gather_cancels_children),
        TEST(test_cancel_with_swallowing_child), TEST(test_empty_and_done_children),
        TEST(test_reuse_with_queued_callbacks), TEST(test_cancel_after_outcome),
    };
    return TEST_RUN(tests);
}
