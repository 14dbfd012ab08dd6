/* asyncio.Lock: FIFO, not reentrant, release wakes without handing over,
 * cancelled waiters leave no trace and pass a received wake-up on. */
#include "test_support.h"

struct locker {
    async_frame hdr;
    async_lock *l;
    const char *tag;
    async_wait_op op;
    async_timer t;
    int hold_ms, held;
};
static ASYNC_FN(locker_co, struct locker) {
    ASYNC_BEGIN();
    rec("%s-wait", self->tag);
    ASYNC_LOCK_ACQUIRE(&self->op, self->l);
    rec("%s-got", self->tag);
    self->held = 1;
    if (self->hold_ms) ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->hold_ms));
    rec("%s-rel", self->tag);
    ASYNC_FINALLY();
    if (self->held) async_lock_release(self->l); /* `async with lock:` */
    if (ASYNC_ERROR == ASYNC_ECANCELLED) rec("%s-cancelled", self->tag);
    ASYNC_END();
}

static size_t nwaiters(const async_lock *l) {
    size_t n = 0;
    const async_waiter *w;
    for (w = l->waiters.head; w; w = w->next) n++;
    return n;
}

static void setup3(async_loop *loop, async_lock *l, async_task *t, struct locker *k, int hold) {
    static const char *tags[] = {"a", "b", "c"};
    int i;
    for (i = 0; i < 3; i++) {
        memset(&k[i], 0, sizeof k[i]);
        k[i].l = l;
        k[i].tag = tags[i];
        k[i].hold_ms = hold;
        async_task_create(loop, &t[i], locker_co, &k[i], tags[i]);
    }
}

static void test_basic_and_misuse(void **state) {
    async_lock l, bad;
    (void)state;
    async_lock_init(&l);
    assert_false(async_lock_locked(&l));
    assert_true(async_lock_try_acquire(&l));
    assert_true(async_lock_locked(&l));
    assert_false(async_lock_try_acquire(&l)); /* not reentrant */
    assert_int_equal(async_lock_release(&l), 0);
    assert_int_equal(async_lock_release(&l), ASYNC_EMISUSE);
    expect_misuse("not locked");
    memset(&bad, 0, sizeof bad);
    assert_int_equal(async_lock_release(&bad), ASYNC_EMISUSE);
    expect_misuse("before async_lock_init");
}

/* Acquiring a lock that was never initialised raises ASYNC_EMISUSE in the task. */
static void test_acquire_uninitialised(void **state) {
    async_loop loop;
    async_lock bad;
    async_task t;
    struct locker k;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    memset(&bad, 0, sizeof bad);
    memset(&k, 0, sizeof k);
    k.l = &bad;
    k.tag = "x";
    async_task_create(&loop, &t, locker_co, &k, "x");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EMISUSE);
    expect_misuse("before async_lock_init");
    test_loop_close(&loop);
}

static void test_fifo(void **state) {
    async_loop loop;
    async_lock l;
    async_task t[3];
    struct locker k[3];
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    async_lock_init(&l);
    setup3(&loop, &l, t, k, 1);
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_rec("a-wait a-got b-wait c-wait a-rel b-got b-rel c-got c-rel");
    assert_false(async_lock_locked(&l));
    assert_int_equal(nwaiters(&l), 0);
    test_loop_close(&loop);
}

/* release() wakes the first waiter but does not hand the lock over; still, a
 * newcomer cannot take it ahead of the woken waiter. */
static void test_no_queue_jumping(void **state) {
    async_loop loop;
    async_lock l;
    async_task t;
    struct locker k;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_lock_init(&l);
    assert_true(async_lock_try_acquire(&l));
    memset(&k, 0, sizeof k);
    k.l = &l;
    k.tag = "a";
    async_task_create(&loop, &t, locker_co, &k, "a");
    test_run_iterations(&loop, NULL, 1);
    assert_rec("a-wait");
    async_lock_release(&l);
    assert_false(async_lock_locked(&l));
    assert_false(async_lock_try_acquire(&l)); /* the woken waiter comes first */
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("a-wait a-got a-rel");
    assert_true(async_lock_try_acquire(&l));
    test_loop_close(&loop);
}

/* A waiter cancelled while parked leaves the queue; the others keep their order. */
static void test_cancel_waiting(void **state) {
    async_loop loop;
    async_lock l;
    async_task t[3];
    struct locker k[3];
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    async_lock_init(&l);
    assert_true(async_lock_try_acquire(&l));
    setup3(&loop, &l, t, k, 0);
    test_run_iterations(&loop, NULL, 1);
    assert_int_equal(nwaiters(&l), 3);
    assert_int_equal(async_task_cancel(&t[1]), 1);
    test_run_iterations(&loop, NULL, 1);
    assert_int_equal(nwaiters(&l), 2); /* no trace */
    assert_true(async_future_cancelled(&t[1].fut));
    async_lock_release(&l);
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_rec("a-wait b-wait c-wait b-cancelled a-got a-rel c-got c-rel");
    assert_int_equal(nwaiters(&l), 0);
    test_loop_close(&loop);
}

/* Woken by release, then cancelled before it ran: the next waiter gets the lock. */
static void test_woken_then_cancelled_passes_on(void **state) {
    async_loop loop;
    async_lock l;
    async_task t[3];
    struct locker k[3];
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    async_lock_init(&l);
    assert_true(async_lock_try_acquire(&l));
    setup3(&loop, &l, t, k, 0);
    test_run_iterations(&loop, NULL, 1);
    async_lock_release(&l); /* wakes a */
    assert_int_equal(async_task_cancel(&t[0]), 1);
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_true(async_future_cancelled(&t[0].fut));
    assert_rec("a-wait b-wait c-wait a-cancelled b-got b-rel c-got c-rel");
    assert_false(async_lock_locked(&l));
    test_loop_close(&loop);
}

static void test_cancel_every_point(void **state) {
    int when;
    (void)state;
    /* Cancel task b after 0..4 loop iterations: whatever the point, every other
     * task finishes, the lock ends free and no waiter is left behind. */
    for (when = 0; when < 5; when++) {
        async_loop loop;
        async_lock l;
        async_task t[3];
        struct locker k[3];
        int i;
        memset(t, 0, sizeof t);
        test_loop_init(&loop);
        async_lock_init(&l);
        rec_reset();
        setup3(&loop, &l, t, k, 1);
        test_run_iterations(&loop, NULL, when);
        async_task_cancel(&t[1]);
        for (i = 0; i < 3; i++) async_loop_run_until_complete(&loop, &t[i].fut);
        for (i = 0; i < 3; i++) assert_true(async_future_done(&t[i].fut));
        assert_int_equal(async_future_error(&t[0].fut), 0);
        assert_int_equal(async_future_error(&t[2].fut), 0);
        assert_false(async_lock_locked(&l));
        assert_int_equal(nwaiters(&l), 0);
        test_loop_close(&loop);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_basic_and_misuse),        TEST(test_acquire_uninitialised), TEST(test_fifo),
        TEST(test_no_queue_jumping),        TEST(test_cancel_waiting),        TEST(test_woken_then_cancelled_passes_on),
        TEST(test_cancel_every_point),
    };
    return TEST_RUN(tests);
}
