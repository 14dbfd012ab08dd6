/* Scheduler soundness: a timer or a task still in use is refused (in every
 * configuration, without reading uninitialised memory), and a done callback
 * that sits in the ready queue leaves it when it is removed, so a timeout or
 * a waitset can be reused at once. */
#include "test_support.h"

/* ---- a timer that is still armed ------------------------------------------ */

static async_timer g_shared;
struct sharer {
    async_frame hdr;
    int err;
};
static ASYNC_FN(sharer_co, struct sharer) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&g_shared, async_ms(10));
    rec("woke");
    ASYNC_FINALLY();
    self->err = ASYNC_ERROR;
    ASYNC_END();
}

/* Two tasks sleeping on one timer: the second sleep is refused (it would put
 * the timer in the heap twice and the loop would spin for ever). */
static void test_two_tasks_share_a_timer(void **state) {
    async_loop loop;
    async_task a, b;
    struct sharer fa, fb;
    (void)state;
    test_loop_init(&loop);
    async_timer_init(&g_shared, &loop);
    async_task_init(&a);
    async_task_init(&b);
    memset(&fa, 0, sizeof fa);
    memset(&fb, 0, sizeof fb);
    async_task_create(&loop, &a, sharer_co, &fa, "a");
    async_task_create(&loop, &b, sharer_co, &fb, "b");
    assert_true(test_run_iterations(&loop, &a.fut, 50) < 50);
    expect_misuse("still armed");
    assert_int_equal(fa.err, 0);
    assert_int_equal(fb.err, ASYNC_EBUSY);
    assert_int_equal(async_future_error(&b.fut), ASYNC_EBUSY);
    assert_rec("woke");
    assert_null(loop.timers);
    test_loop_close(&loop);
}

/* Re-creating a task that is parked in a sleep is refused; the sleeper is
 * untouched and wakes on time. */
struct sleeper {
    async_frame hdr;
    async_timer t;
};
static ASYNC_FN(sleeper_co, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(5));
    rec("slept");
    ASYNC_END();
}
static void test_recreate_parked_sleeper(void **state) {
    async_loop loop;
    async_task t;
    struct sleeper f, g;
    (void)state;
    test_loop_init(&loop);
    async_task_init(&t);
    memset(&f, 0, sizeof f);
    memset(&g, 0, sizeof g);
    assert_int_equal(async_task_create(&loop, &t, sleeper_co, &f, "s"), 0);
    async_loop_run_once(&loop); /* parked on its timer */
    assert_int_equal(async_task_create(&loop, &t, sleeper_co, &g, "s2"), ASYNC_EBUSY);
    expect_misuse("still running");
    assert_true(test_run_iterations(&loop, &t.fut, 20) < 20);
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_rec("slept");
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(5));
    test_loop_close(&loop);
}

/* A task that is still queued (not started) cannot be created again: with
 * or without ASYNC_CONFIG_TASK_INFO the other task still runs. */
struct counter {
    async_frame hdr;
    int *n;
};
static ASYNC_FN(counter_co, struct counter) {
    ASYNC_BEGIN();
    (*self->n)++;
    ASYNC_END();
}
static void test_recreate_queued_task(void **state) {
    async_loop loop;
    async_task t, u;
    struct counter ft, fu, fx;
    int n = 0;
    (void)state;
    test_loop_init(&loop);
    async_task_init(&t);
    async_task_init(&u);
    ft.n = fu.n = fx.n = &n;
    assert_int_equal(async_task_create(&loop, &t, counter_co, &ft, "t"), 0);
    assert_int_equal(async_task_create(&loop, &u, counter_co, &fu, "u"), 0);
    assert_int_equal(async_task_create(&loop, &t, counter_co, &fx, "t2"), ASYNC_EBUSY);
    expect_misuse("still running");
    assert_int_equal(async_loop_run_until_complete(&loop, &u.fut), 0);
    assert_int_equal(n, 2);
    assert_true(async_future_done(&t.fut));
    test_loop_close(&loop);
}

/* A zeroed task is an idle one, like async_task_init's. */
static void test_zeroed_task_is_idle(void **state) {
    async_loop loop;
    async_task t;
    struct counter f;
    int n = 0;
    (void)state;
    test_loop_init(&loop);
    memset(&t, 0, sizeof t);
    f.n = &n;
    assert_int_equal(async_task_create(&loop, &t, counter_co, &f, "z"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(n, 1);
    expect_no_misuse();
    test_loop_close(&loop);
}

/* ---- garbage in a frame ------------------------------------------------------ */

/* A gather in a frame full of garbage over two futures already done: done in
 * the same number of loop turns as in a zeroed frame (no stale state). */
struct gathergarbage {
    async_frame hdr;
    async_waitset ws;
    async_future f[2];
    async_future *futs[2];
    async_slot slots[2];
};
static ASYNC_FN(gathergarbage_co, struct gathergarbage) {
    ASYNC_BEGIN();
    async_future_init(&self->f[0], ASYNC_LOOP);
    async_future_init(&self->f[1], ASYNC_LOOP);
    async_future_set_result(&self->f[0], async_int(1));
    async_future_set_result(&self->f[1], async_int(2));
    self->futs[0] = &self->f[0];
    self->futs[1] = &self->f[1];
    ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
    ASYNC_END();
}
static int gather_turns(int fill) {
    async_loop loop;
    async_task t;
    static struct gathergarbage g;
    int n;
    test_loop_init(&loop);
    async_task_init(&t);
    memset(&g, fill, sizeof g);
    async_task_create(&loop, &t, gathergarbage_co, &g, "g");
    n = test_run_iterations(&loop, &t.fut, 20);
    assert_int_equal(async_future_error(&t.fut), 0);
    test_loop_close(&loop);
    return n;
}
static void test_gather_in_garbage_frame(void **state) {
    (void)state;
    assert_int_equal(gather_turns(0xA5), gather_turns(0));
    expect_no_misuse();
}

/* A timeout scope in a garbage frame, initialised with async_timeout_init. */
struct togarbage {
    async_frame hdr;
    async_timeout to;
    async_timer t;
    int err;
};
static ASYNC_FN(togarbage_co, struct togarbage) {
    ASYNC_BEGIN();
    async_timeout_init(&self->to);
    async_timer_init(&self->t, ASYNC_LOOP);
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(5));
    async_timer_start(&self->t, async_ms(10));
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    ASYNC_END();
}
static void test_timeout_in_garbage_frame(void **state) {
    async_loop loop;
    async_task t;
    static struct togarbage g;
    (void)state;
    test_loop_init(&loop);
    async_task_init(&t);
    memset(&g, 0xA5, sizeof g);
    async_task_create(&loop, &t, togarbage_co, &g, "to");
    assert_true(test_run_iterations(&loop, &t.fut, 20) < 20);
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_int_equal(g.err, ASYNC_ETIMEOUT);
    expect_no_misuse();
    test_loop_close(&loop);
}

/* ---- callbacks still queued when their owner is reused --------------------- */

/* The scope's deadline and a sleep end in the same turn, the sleep first:
 * the scope's callback is queued behind the task. The task leaves the scope
 * and enters it again, twice, in that step; the queued callback must not
 * cut the new scope short. */
struct rearm {
    async_frame hdr;
    async_timeout to;
    async_timer t;
    int err, err2;
};
static ASYNC_FN(rearm_co, struct rearm) {
    ASYNC_BEGIN();
    async_timer_init(&self->t, ASYNC_LOOP);
    async_timer_start(&self->t, async_ms(5)); /* armed first: fires first */
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(5));
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(100));
    async_timeout_exit(&self->to, 0);
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(100));
    async_timer_start(&self->t, async_ms(20));
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err2);
    self->err2 = async_timeout_exit(&self->to, self->err2);
    ASYNC_END();
}
static void test_timeout_rearmed_while_callback_queued(void **state) {
    async_loop loop;
    async_task t;
    struct rearm r;
    (void)state;
    test_loop_init(&loop);
    async_task_init(&t);
    memset(&r, 0, sizeof r);
    async_task_create(&loop, &t, rearm_co, &r, "rearm");
    assert_true(test_run_iterations(&loop, &t.fut, 50) < 50);
    expect_no_misuse();
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.err2, 0);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(25));
    test_run_iterations(&loop, NULL, 3);
    assert_null(loop.timers);
    test_loop_close(&loop);
}

/* wait(FIRST_COMPLETED) returns while the other future's callback is queued
 * behind the task; the task reuses the waitset at once for a gather whose
 * futures are different: the old callback must not count for it. */
struct rewait {
    async_frame hdr;
    async_waitset ws;
    async_future *futs[2];
    async_slot slots[2];
    async_future *g[2];
    int k;
};
static async_future g_rw[4];
static ASYNC_FN(rewait_co, struct rewait) {
    ASYNC_BEGIN();
    self->futs[0] = &g_rw[0];
    self->futs[1] = &g_rw[1];
    ASYNC_WAIT(&self->ws, self->futs, self->slots, 2, ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT);
    self->k = (int)ASYNC_VALUE.i;
    rec("wait%d", self->k);
    self->g[0] = &g_rw[2];
    self->g[1] = &g_rw[3];
    ASYNC_GATHER(&self->ws, self->g, self->slots, 2, 0);
    rec("gathered");
    ASYNC_END();
}
struct poker {
    async_frame hdr;
};
static ASYNC_FN(poker_co, struct poker) {
    ASYNC_BEGIN();
    async_future_set_result(&g_rw[0], async_none());
    ASYNC_SLEEP0(); /* the waiter is queued now */
    async_future_set_result(&g_rw[1], async_none()); /* its callback: behind the waiter */
    ASYNC_SLEEP0();
    ASYNC_SLEEP0();
    rec("one");
    async_future_set_result(&g_rw[2], async_none());
    ASYNC_SLEEP0();
    ASYNC_SLEEP0();
    rec("two");
    async_future_set_result(&g_rw[3], async_none());
    ASYNC_END();
}
static void test_waitset_reused_while_callback_queued(void **state) {
    async_loop loop;
    async_task t, p;
    struct rewait r;
    struct poker pk;
    int i;
    (void)state;
    test_loop_init(&loop);
    for (i = 0; i < 4; i++) async_future_init(&g_rw[i], &loop);
    async_task_init(&t);
    async_task_init(&p);
    memset(&r, 0, sizeof r);
    memset(&pk, 0, sizeof pk);
    async_task_create(&loop, &t, rewait_co, &r, "w");
    async_task_create(&loop, &p, poker_co, &pk, "p");
    assert_true(test_run_iterations(&loop, &t.fut, 50) < 50);
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_rec("wait2 one two gathered");
    expect_no_misuse();
    test_loop_close(&loop);
}

/* A done callback removed while queued in the loop does not run, and its
 * storage can be registered again right away. */
static int g_calls;
static void count_cb(async_future *f, void *arg) {
    (void)f;
    g_calls += (int)(intptr_t)arg;
}
static void test_remove_queued_callback(void **state) {
    async_loop loop;
    async_future f, g;
    async_callback cb;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    async_future_init(&g, &loop);
    g_calls = 0;
    async_future_add_done_callback(&f, &cb, count_cb, (void *)(intptr_t)1);
    async_future_set_result(&f, async_none()); /* cb is in the ready queue now */
    assert_int_equal(async_future_remove_done_callback(&f, &cb), 1);
    assert_int_equal(async_future_remove_done_callback(&f, &cb), 0);
    async_future_add_done_callback(&g, &cb, count_cb, (void *)(intptr_t)10);
    async_future_set_result(&g, async_none());
    test_run_iterations(&loop, NULL, 3);
    assert_int_equal(g_calls, 10);
    assert_int_equal(async_future_remove_done_callback(&g, &cb), 0); /* it ran */
    test_loop_close(&loop);
}

/* Callbacks removed while queued, in every subset and in both orders, with
 * a call_soon ahead of them (so the first of the woken list is not the head):
 * the others run, in order. */
static async_future g_rf;
static async_callback g_rcb[6];
static void rec_cb(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
}
static void remove_batch_end_cb(async_future *f, void *arg) {
    (void)f, (void)arg;
    rec("h0");
    assert_int_equal(async_future_remove_done_callback(&g_rf, &g_rcb[2]), 1); /* the batch's last */
    async_call_soon(g_rf.loop, &g_rcb[5], rec_cb, (void *)"later");
}
static void test_remove_queued_anywhere(void **state) {
    static const char *names[3] = {"c0", "c1", "c2"};
    async_loop loop;
    int mask, rev, i;
    char want[64];
    (void)state;
    for (rev = 0; rev < 2; rev++)
        for (mask = 0; mask < 8; mask++) {
            test_loop_init(&loop);
            rec_reset();
            async_future_init(&g_rf, &loop);
            for (i = 0; i < 3; i++) async_future_add_done_callback(&g_rf, &g_rcb[i], rec_cb, (void *)names[i]);
            async_call_soon(&loop, &g_rcb[3], rec_cb, (void *)"h0");
            async_future_set_result(&g_rf, async_none()); /* queue: h0 c0 c1 c2 */
            for (i = 0; i < 3; i++) {
                int k = rev ? 2 - i : i;
                if (mask & (1 << k)) assert_int_equal(async_future_remove_done_callback(&g_rf, &g_rcb[k]), 1);
            }
            async_call_soon(&loop, &g_rcb[4], rec_cb, (void *)"h1");
            test_run_iterations(&loop, NULL, 2);
            strcpy(want, "h0");
            for (i = 0; i < 3; i++)
                if (!(mask & (1 << i))) strcat(want, " "), strcat(want, names[i]);
            strcat(want, " h1");
            assert_rec(want);
            assert_null(loop.ready_head);
            assert_ptr_equal(loop.ready_link, &loop.ready_head); /* empty: links at the head */
            test_loop_close(&loop);
        }
    /* removing the batch's last entry from inside the batch ends it there */
    test_loop_init(&loop);
    rec_reset();
    async_future_init(&g_rf, &loop);
    for (i = 0; i < 3; i++) async_future_add_done_callback(&g_rf, &g_rcb[i], rec_cb, (void *)names[i]);
    async_call_soon(&loop, &g_rcb[3], remove_batch_end_cb, NULL);
    async_future_set_result(&g_rf, async_none());
    async_loop_run_once(&loop);
    assert_rec("h0 c0 c1");
    async_loop_run_once(&loop);
    assert_rec("h0 c0 c1 later");
    expect_no_misuse();
    test_loop_close(&loop);
}

/* Some removed while the future is pending, some once they are queued. */
static void test_remove_pending_then_queued(void **state) {
    static const char *names[4] = {"c0", "c1", "c2", "c3"};
    static async_callback cbs[5];
    async_loop loop;
    async_future f;
    int m1, m2, i;
    char want[64];
    (void)state;
    for (m1 = 0; m1 < 16; m1++)
        for (m2 = 0; m2 < 16; m2++) {
            if (m1 & m2) continue;
            test_loop_init(&loop);
            rec_reset();
            async_future_init(&f, &loop);
            for (i = 0; i < 4; i++) async_future_add_done_callback(&f, &cbs[i], rec_cb, (void *)names[i]);
            for (i = 0; i < 4; i++)
                if (m1 & (1 << i)) assert_int_equal(async_future_remove_done_callback(&f, &cbs[i]), 1);
            async_call_soon(&loop, &cbs[4], rec_cb, (void *)"h0");
            async_future_set_result(&f, async_none());
            for (i = 3; i >= 0; i--)
                if (m2 & (1 << i)) assert_int_equal(async_future_remove_done_callback(&f, &cbs[i]), 1);
            for (i = 0; i < 4; i++)
                if ((m1 | m2) & (1 << i)) assert_int_equal(async_future_remove_done_callback(&f, &cbs[i]), 0);
            test_run_iterations(&loop, NULL, 2);
            strcpy(want, "h0");
            for (i = 0; i < 4; i++)
                if (!((m1 | m2) & (1 << i))) strcat(want, " "), strcat(want, names[i]);
            assert_rec(want);
            assert_null(loop.ready_head);
            test_loop_close(&loop);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_two_tasks_share_a_timer),
        TEST(test_recreate_parked_sleeper),
        TEST(test_recreate_queued_task),
        TEST(test_zeroed_task_is_idle),
        TEST(test_gather_in_garbage_frame),
        TEST(test_timeout_in_garbage_frame),
        TEST(test_timeout_rearmed_while_callback_queued),
        TEST(test_waitset_reused_while_callback_queued),
        TEST(test_remove_queued_callback),
        TEST(test_remove_queued_anywhere),
        TEST(test_remove_pending_then_queued),
    };
    return TEST_RUN(tests);
}
