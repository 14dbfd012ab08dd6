/* asyncio.Event: wait/set/clear, every waiter woken in FIFO order, cancelled
 * waiters leave no trace, misuse before init. */
#include "test_support.h"

struct waiter {
    async_frame hdr;
    async_event *e;
    const char *tag;
    async_wait_op op;
};
static ASYNC_FN(waiter_co, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_EVENT_WAIT(&self->op, self->e);
    rec("%s", self->tag);
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("%s-err%d", self->tag, ASYNC_ERROR);
    ASYNC_END();
}

static size_t nwaiters(const async_event *e) {
    size_t n = 0;
    const async_waiter *w;
    for (w = e->waiters.head; w; w = w->next) n++;
    return n;
}

static void test_set_wakes_all_in_order(void **state) {
    async_loop loop;
    async_event e;
    async_task t[3];
    struct waiter w[3];
    static const char *tags[] = {"a", "b", "c"};
    int i;
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    async_event_init(&e);
    for (i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].e = &e;
        w[i].tag = tags[i];
        async_task_create(&loop, &t[i], waiter_co, &w[i], tags[i]);
    }
    test_run_iterations(&loop, NULL, 2);
    assert_rec("");
    assert_int_equal(nwaiters(&e), 3);
    async_task_cancel(&t[1]);
    test_run_iterations(&loop, NULL, 1);
    assert_int_equal(nwaiters(&e), 2); /* no trace */
    async_event_set(&e);
    async_event_clear(&e); /* woken waiters still return */
    assert_false(async_event_is_set(&e));
    async_loop_run_until_complete(&loop, &t[2].fut);
    assert_rec("b-err-1 a c");
    assert_int_equal(nwaiters(&e), 0);
    /* set: wait returns at once */
    rec_reset();
    async_event_set(&e);
    assert_true(async_event_is_set(&e));
    async_task_create(&loop, &t[0], waiter_co, &w[0], "a");
    test_run_iterations(&loop, NULL, 1);
    assert_rec("a");
    test_loop_close(&loop);
}

static void test_misuse(void **state) {
    async_loop loop;
    async_event e;
    async_task t;
    struct waiter w;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&e, 0, sizeof e);
    assert_int_equal(async_event_set(&e), ASYNC_EMISUSE);
    expect_misuse("before async_event_init");
    memset(&w, 0, sizeof w);
    w.e = &e;
    w.tag = "x";
    async_task_create(&loop, &t, waiter_co, &w, "x");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EMISUSE);
    expect_misuse("before async_event_init");
    test_loop_close(&loop);
}

/* asyncio: `await ev.wait()` is True whether it had to wait or not. */
struct valwaiter {
    async_frame hdr;
    async_event *e;
    async_wait_op op;
};
static ASYNC_FN(valwaiter_co, struct valwaiter) {
    ASYNC_BEGIN();
    ASYNC_EVENT_WAIT(&self->op, self->e);
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}
static void test_wait_returns_true(void **state) {
    async_loop loop;
    async_event e;
    async_task t;
    struct valwaiter w;
    (void)state;
    test_loop_init(&loop);
    async_event_init(&e);
    memset(&w, 0, sizeof w);
    w.e = &e;
    async_task_init(&t);
    async_task_create(&loop, &t, valwaiter_co, &w, "waited");
    test_run_iterations(&loop, NULL, 2);
    assert_false(async_future_done(&t.fut));
    async_event_set(&e);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 1); /* had to wait */
    async_task_create(&loop, &t, valwaiter_co, &w, "set");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 1); /* already set */
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_set_wakes_all_in_order), TEST(test_misuse), TEST(test_wait_returns_true)};
    return TEST_RUN(tests);
}
