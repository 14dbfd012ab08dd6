/* asyncio.Condition: notify(n) / notify_all in FIFO order, wait_for(predicate),
 * wait re-acquires the lock even when cancelled, a notified waiter cancelled
 * before it runs passes the notification on, misuse without the lock. */
#include "test_support.h"

static int pred_flag(void *arg) { return *(int *)arg; }

struct cw {
    async_frame hdr;
    async_cond *c;
    const char *tag;
    int *flag;
    int held;
    async_wait_op op;
    async_cond_op cop;
};
static ASYNC_FN(cw_co, struct cw) {
    ASYNC_BEGIN();
    ASYNC_LOCK_ACQUIRE(&self->op, async_cond_lock(self->c));
    self->held = 1;
    if (self->flag) {
        ASYNC_COND_WAIT_FOR(&self->cop, self->c, pred_flag, self->flag);
    } else {
        ASYNC_COND_WAIT(&self->cop, self->c);
    }
    rec("%s", self->tag);
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("%s-err%d", self->tag, ASYNC_ERROR);
    if (self->held) {
        if (!async_lock_locked(async_cond_lock(self->c))) rec("%s-NOT-HELD", self->tag);
        async_cond_release(self->c);
    }
    ASYNC_END();
}

static async_task ct[3];
static struct cw cf[3];
static void waiters(async_loop *loop, async_cond *c, int *flag) {
    static const char *tags[] = {"a", "b", "c"};
    int i;
    for (i = 0; i < 3; i++) {
        memset(&cf[i], 0, sizeof cf[i]);
        cf[i].c = c;
        cf[i].tag = tags[i];
        cf[i].flag = flag;
        async_task_init(&ct[i]); /* the last test's loop is gone, its tasks with it */
        async_task_create(loop, &ct[i], cw_co, &cf[i], tags[i]);
    }
    test_run_iterations(loop, NULL, 3);
}
static size_t nwaiters(const async_cond *c) {
    size_t n = 0;
    const async_waiter *w;
    for (w = c->waiters.head; w; w = w->next) n++;
    return n;
}

static void test_notify_n_and_all(void **state) {
    async_loop loop;
    async_cond c;
    (void)state;
    test_loop_init(&loop);
    async_cond_init(&c, NULL);
    waiters(&loop, &c, NULL);
    assert_int_equal(nwaiters(&c), 3);
    assert_true(async_lock_try_acquire(async_cond_lock(&c)));
    assert_int_equal(async_cond_notify(&c, 1), 1);
    async_cond_release(&c);
    test_run_iterations(&loop, NULL, 3);
    assert_rec("a");
    assert_true(async_lock_try_acquire(async_cond_lock(&c)));
    assert_int_equal(async_cond_notify_all(&c), 2);
    async_cond_release(&c);
    async_loop_run_until_complete(&loop, &ct[2].fut);
    assert_rec("a b c");
    assert_false(async_lock_locked(async_cond_lock(&c)));
    test_loop_close(&loop);
}

static void test_wait_for_predicate(void **state) {
    async_loop loop;
    async_cond c;
    async_lock l;
    int flag = 0;
    (void)state;
    test_loop_init(&loop);
    async_lock_init(&l);
    async_cond_init(&c, &l); /* over a given lock */
    waiters(&loop, &c, &flag);
    assert_true(async_lock_try_acquire(&l));
    async_cond_notify_all(&c); /* predicate still false: they wait again */
    async_lock_release(&l);
    test_run_iterations(&loop, NULL, 5);
    assert_rec("");
    assert_int_equal(nwaiters(&c), 3);
    flag = 1;
    assert_true(async_lock_try_acquire(&l));
    async_cond_notify_all(&c);
    async_lock_release(&l);
    async_loop_run_until_complete(&loop, &ct[2].fut);
    assert_rec("a b c");
    test_loop_close(&loop);
}

/* Cancelled while waiting, with the lock held by someone else: the waiter gets
 * ASYNC_ECANCELLED only after re-acquiring the lock. */
static void test_cancel_reacquires(void **state) {
    async_loop loop;
    async_cond c;
    (void)state;
    test_loop_init(&loop);
    async_cond_init(&c, NULL);
    waiters(&loop, &c, NULL);
    assert_true(async_lock_try_acquire(async_cond_lock(&c)));
    async_task_cancel(&ct[0]);
    test_run_iterations(&loop, NULL, 3);
    assert_false(async_future_done(&ct[0].fut)); /* waiting for the lock */
    assert_int_equal(nwaiters(&c), 2);           /* but no longer for a notification */
    async_cond_release(&c);
    async_loop_run_until_complete(&loop, &ct[0].fut);
    assert_true(async_future_cancelled(&ct[0].fut));
    assert_rec("a-err-1"); /* and not "a-NOT-HELD" */
    async_loop_cancel_all(&loop);
    test_loop_close(&loop);
}

/* Notified, then cancelled before it ran: the notification goes to b. */
static void test_notified_then_cancelled_passes_on(void **state) {
    async_loop loop;
    async_cond c;
    (void)state;
    test_loop_init(&loop);
    async_cond_init(&c, NULL);
    waiters(&loop, &c, NULL);
    assert_true(async_lock_try_acquire(async_cond_lock(&c)));
    async_cond_notify(&c, 1);
    async_cond_release(&c);
    async_task_cancel(&ct[0]);
    async_loop_run_until_complete(&loop, &ct[1].fut);
    assert_rec("a-err-1 b");
    assert_false(async_future_done(&ct[2].fut));
    assert_int_equal(nwaiters(&c), 1);
    async_loop_cancel_all(&loop);
    test_loop_close(&loop);
}

struct notifier {
    async_frame hdr;
    async_cond *c;
    int i;
    async_wait_op op;
    async_timer t;
};
static ASYNC_FN(notifier_co, struct notifier) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
        ASYNC_LOCK_ACQUIRE(&self->op, async_cond_lock(self->c));
        async_cond_notify(self->c, 1);
        async_cond_release(self->c);
    }
    ASYNC_END();
}
/* Cancel b after 0..9 iterations while a notifier wakes one waiter per ms:
 * a and c are always woken (no notification lost), the lock ends free, no
 * waiter is left behind. */
static void test_cancel_every_point(void **state) {
    int when;
    (void)state;
    for (when = 0; when < 10; when++) {
        async_loop loop;
        async_cond c;
        async_task tn;
        struct notifier n;
        async_task_init(&tn);
        test_loop_init(&loop);
        async_cond_init(&c, NULL);
        memset(&n, 0, sizeof n);
        n.c = &c;
        async_task_create(&loop, &tn, notifier_co, &n, "notifier");
        waiters(&loop, &c, NULL); /* (runs 3 iterations) */
        test_run_iterations(&loop, NULL, when);
        async_task_cancel(&ct[1]);
        assert_int_equal(async_loop_run_until_complete(&loop, &tn.fut), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &ct[0].fut), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &ct[2].fut), 0);
        async_loop_run_until_complete(&loop, &ct[1].fut);
        assert_false(async_lock_locked(async_cond_lock(&c)));
        assert_null(c.waiters.head);
        assert_null(strstr(test_rec.s, "NOT-HELD"));
        rec_reset();
        test_loop_close(&loop);
    }
}

struct bad {
    async_frame hdr;
    async_cond *c;
    async_cond_op cop;
};
static ASYNC_FN(bad_co, struct bad) {
    ASYNC_BEGIN();
    ASYNC_COND_WAIT(&self->cop, self->c);
    ASYNC_END();
}
static void test_misuse(void **state) {
    async_loop loop;
    async_cond c;
    async_task t;
    struct bad b;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_cond_init(&c, NULL);
    assert_int_equal(async_cond_notify(&c, 1), ASYNC_EMISUSE);
    expect_misuse("not held");
    assert_int_equal(async_cond_notify_all(&c), ASYNC_EMISUSE);
    expect_misuse("not held");
    memset(&b, 0, sizeof b);
    b.c = &c;
    async_task_create(&loop, &t, bad_co, &b, "bad");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_EMISUSE);
    expect_misuse("not held");
    memset(&c, 0, sizeof c);
    assert_int_equal(async_cond_notify(&c, 1), ASYNC_EMISUSE);
    expect_misuse("before async_cond_init");
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_notify_n_and_all),  TEST(test_wait_for_predicate), TEST(test_cancel_reacquires),
        TEST(test_notified_then_cancelled_passes_on), TEST(test_misuse), TEST(test_cancel_every_point),
    };
    return TEST_RUN(tests);
}
