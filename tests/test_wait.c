/* asyncio.wait: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, timeout;
 * reports done/pending, never cancels, never raises a timeout.
 * The jobs finish in an order fixed by what they await, not by how long they
 * sleep, so the counts hold on the real clock of a loaded machine too: job 1
 * sleeps, job 2 awaits job 1 then sleeps, job 0 awaits a gate the test opens. */
#include "test_support.h"

struct job {
    async_frame hdr;
    int ms, raise;
    async_future *after;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    if (self->after) ASYNC_AWAIT(self->after);
    ASYNC_SLEEP_TICKS(&self->t, async_ms(10));
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(self->ms));
    ASYNC_END();
}

struct wmain {
    async_frame hdr;
    async_waitset ws;
    async_future *futs[3];
    async_slot slots[3];
    size_t n;
    int mode;
    async_time timeout;
    long ndone;
};
static ASYNC_FN(wmain_co, struct wmain) {
    ASYNC_BEGIN();
    ASYNC_WAIT(&self->ws, self->futs, self->slots, self->n, self->mode, self->timeout);
    self->ndone = (long)ASYNC_VALUE.i;
    ASYNC_END();
}

static async_task jt[3];
static struct job jf[3];
static async_future gate;
static void open_gate(void) { async_future_set_result(&gate, async_none()); }
static void setup_gated(async_loop *loop, async_task *tm, struct wmain *w, int mode, async_time timeout, int r1,
                        int gate_open) {
    static const int ms[3] = {30, 10, 20};
    int i;
    memset(w, 0, sizeof *w);
    async_future_init(&gate, loop);
    if (gate_open) open_gate();
    for (i = 0; i < 3; i++) {
        memset(&jf[i], 0, sizeof jf[i]);
        jf[i].ms = ms[i];
        async_task_create(loop, &jt[i], job_co, &jf[i], "job");
        w->futs[i] = &jt[i].fut;
    }
    jf[0].after = &gate;
    jf[2].after = &jt[1].fut;
    jf[2].raise = r1;
    w->n = 3;
    w->mode = mode;
    w->timeout = timeout;
    async_task_create(loop, tm, wmain_co, w, "main");
}
static void setup(async_loop *loop, async_task *tm, struct wmain *w, int mode, async_time timeout, int r1) {
    setup_gated(loop, tm, w, mode, timeout, r1, 1);
}

static void test_first_completed(void **state) {
    async_loop loop;
    async_task tm;
    struct wmain w;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    setup_gated(&loop, &tm, &w, ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT, 0, 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_int_equal(w.ndone, 1);
    assert_true(async_future_done(&jt[1].fut));
    assert_false(async_future_done(&jt[0].fut)); /* pending, and not cancelled */
    open_gate();
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[0].fut), 0);
    assert_int_equal(async_future_result(&jt[0].fut).i, 30);
    test_loop_close(&loop);
}

static void test_first_exception(void **state) {
    async_loop loop;
    async_task tm;
    struct wmain w;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    setup_gated(&loop, &tm, &w, ASYNC_FIRST_EXCEPTION, ASYNC_NO_TIMEOUT, 9, 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0); /* wait never raises */
    assert_int_equal(w.ndone, 2);
    assert_int_equal(async_future_error(&jt[2].fut), 9);
    assert_false(async_future_done(&jt[0].fut));
    open_gate();
    async_loop_run_until_complete(&loop, &jt[0].fut);
    /* without an error FIRST_EXCEPTION means ALL_COMPLETED */
    setup(&loop, &tm, &w, ASYNC_FIRST_EXCEPTION, ASYNC_NO_TIMEOUT, 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_int_equal(w.ndone, 3);
    test_loop_close(&loop);
}

static void test_all_completed_and_timeout(void **state) {
    async_loop loop;
    async_task tm;
    struct wmain w;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    setup(&loop, &tm, &w, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT, 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0);
    assert_int_equal(w.ndone, 3);
    /* job 2 waits for the gate too: a timer that expires with the timeout in
     * one poll of a loaded machine would be counted */
    setup_gated(&loop, &tm, &w, ASYNC_ALL_COMPLETED, async_ms(15), 0, 0);
    jf[2].after = &gate;
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), 0); /* no timeout error */
    assert_int_equal(w.ndone, 1);
    assert_false(async_future_done(&jt[0].fut));
    assert_false(async_future_done(&jt[2].fut));
    open_gate();
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[0].fut), 0); /* never cancelled */
    assert_int_equal(async_future_error(&jt[2].fut), 0);
    test_loop_close(&loop);
}

/* Cancelling the waiter raises in it and leaves the watched tasks alone. */
static void test_cancel_waiter(void **state) {
    async_loop loop;
    async_task tm;
    struct wmain w;
    int i;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    setup(&loop, &tm, &w, ASYNC_ALL_COMPLETED, async_ms(100), 0);
    test_run_iterations(&loop, NULL, 1);
    async_task_cancel(&tm);
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), ASYNC_ECANCELLED);
    for (i = 0; i < 3; i++) assert_int_equal(async_loop_run_until_complete(&loop, &jt[i].fut), 0);
    for (i = 0; i < 3; i++) assert_int_equal(jt[i].fut.waiters == NULL, 1); /* no callback left */
    test_loop_close(&loop);
}

/* asyncio.wait([]) raises ValueError: here ASYNC_EINVAL, an error the caller
 * can catch, not misuse. */
static void test_empty_is_an_error(void **state) {
    async_loop loop;
    async_task tm;
    struct wmain w;
    async_task_init(&tm);
    (void)state;
    test_loop_init(&loop);
    memset(&w, 0, sizeof w);
    w.mode = ASYNC_ALL_COMPLETED;
    w.timeout = ASYNC_NO_TIMEOUT;
    async_task_create(&loop, &tm, wmain_co, &w, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &tm.fut), ASYNC_EINVAL);
    expect_no_misuse();
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_first_completed), TEST(test_first_exception), TEST(test_all_completed_and_timeout),
        TEST(test_cancel_waiter),   TEST(test_empty_is_an_error),
    };
    return TEST_RUN(tests);
}
