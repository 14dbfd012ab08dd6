/* Semaphore / BoundedSemaphore: FIFO hand-off on release, cancelled waiters
 * leave no trace, a woken waiter cancelled before running gives the slot back,
 * over-release of a bounded semaphore is misuse. */
#include "test_support.h"

struct user {
    async_frame hdr;
    async_sem *s;
    const char *tag;
    int hold_ms, held;
    async_wait_op op;
    async_timer t;
};
static ASYNC_FN(user_co, struct user) {
    ASYNC_BEGIN();
    ASYNC_SEM_ACQUIRE(&self->op, self->s);
    self->held = 1;
    rec("%s+", self->tag);
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->hold_ms));
    rec("%s-", self->tag);
    ASYNC_FINALLY();
    if (self->held) async_sem_release(self->s);
    if (ASYNC_ERROR) rec("%s-err%d", self->tag, ASYNC_ERROR);
    ASYNC_END();
}

static async_task ut[4];
static struct user uf[4];
static void users(async_loop *loop, async_sem *s) {
    static const char *tags[] = {"a", "b", "c", "d"};
    int i;
    for (i = 0; i < 4; i++) {
        memset(&uf[i], 0, sizeof uf[i]);
        uf[i].s = s;
        uf[i].tag = tags[i];
        uf[i].hold_ms = 10;
        async_task_create(loop, &ut[i], user_co, &uf[i], tags[i]);
    }
}

static void test_two_slots_fifo(void **state) {
    async_loop loop;
    async_sem s;
    int i;
    (void)state;
    test_loop_init(&loop);
    async_sem_init(&s, 2);
    users(&loop, &s);
    for (i = 0; i < 4; i++) assert_int_equal(async_loop_run_until_complete(&loop, &ut[i].fut), 0);
    assert_rec("a+ b+ a- b- c+ d+ c- d-");
    assert_int_equal(async_sem_value(&s), 2);
    test_loop_close(&loop);
}

/* release hands the slot straight to the oldest waiter: a newcomer cannot take it. */
static void test_hand_off_and_cancel(void **state) {
    async_loop loop;
    async_sem s;
    int i;
    (void)state;
    test_loop_init(&loop);
    async_sem_init(&s, 0);
    users(&loop, &s);
    test_run_iterations(&loop, NULL, 1);
    assert_true(async_sem_locked(&s));
    async_task_cancel(&ut[1]); /* b cancelled while waiting */
    test_run_iterations(&loop, NULL, 1);
    async_sem_release(&s);      /* hands the slot to a */
    assert_int_equal(async_sem_value(&s), 0);
    async_task_cancel(&ut[0]);  /* a woken but cancelled before running: slot goes to c */
    for (i = 0; i < 4; i++) async_loop_run_until_complete(&loop, &ut[i].fut);
    assert_rec("b-err-1 a-err-1 c+ c- d+ d-");
    assert_int_equal(async_sem_value(&s), 1);
    assert_null(s.waiters.head);
    test_loop_close(&loop);
}

static void test_bounded_and_misuse(void **state) {
    async_sem s;
    (void)state;
    async_bounded_sem_init(&s, 1);
    assert_int_equal(async_sem_release(&s), ASYNC_EMISUSE);
    expect_misuse("released too many times");
    async_sem_init(&s, 1); /* plain: may grow */
    assert_int_equal(async_sem_release(&s), 0);
    assert_int_equal(async_sem_value(&s), 2);
    memset(&s, 0, sizeof s);
    assert_int_equal(async_sem_release(&s), ASYNC_EMISUSE);
    expect_misuse("before async_sem_init");
}

/* Cancel b after 0..7 loop iterations: whatever the point (waiting, woken,
 * holding), the others finish, the value comes back and no waiter is left. */
static void test_cancel_every_point(void **state) {
    int when, i;
    (void)state;
    for (when = 0; when < 8; when++) {
        async_loop loop;
        async_sem s;
        test_loop_init(&loop);
        async_sem_init(&s, 1);
        users(&loop, &s);
        test_run_iterations(&loop, NULL, when);
        async_task_cancel(&ut[1]);
        for (i = 0; i < 4; i++) async_loop_run_until_complete(&loop, &ut[i].fut);
        for (i = 0; i < 4; i++) assert_int_equal(async_future_error(&ut[i].fut), i == 1 ? async_future_error(&ut[1].fut) : 0);
        assert_int_equal(async_sem_value(&s), 1);
        assert_null(s.waiters.head);
        test_loop_close(&loop);
    }
    rec_reset();
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_two_slots_fifo), TEST(test_hand_off_and_cancel),
                                       TEST(test_bounded_and_misuse), TEST(test_cancel_every_point)};
    return TEST_RUN(tests);
}
