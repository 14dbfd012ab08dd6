/* Timers and callbacks: call_soon / call_later / call_at, FIFO among equal
 * deadlines, timers after queued callbacks, and the heap under load. */
#include "test_support.h"

static void cb_rec(async_future *f, void *arg) {
    (void)f;
    rec("%s", (const char *)arg);
}

static void test_call_soon_fifo_and_cancel(void **state) {
    async_loop loop;
    async_callback cb[4];
    (void)state;
    test_loop_init(&loop);
    async_call_soon(&loop, &cb[0], cb_rec, (void *)"s0");
    async_call_soon(&loop, &cb[1], cb_rec, (void *)"s1");
    async_call_soon(&loop, &cb[2], cb_rec, (void *)"s2");
    async_call_soon(&loop, &cb[3], cb_rec, (void *)"s3");
    async_callback_cancel(&cb[2]);
    assert_rec("");
    async_loop_run_once(&loop);
    assert_rec("s0 s1 s3");
    test_loop_close(&loop);
}

/* A callback scheduled by a callback runs on the next iteration. */
static async_callback nested_cb;
static void cb_schedule(async_future *f, void *arg) {
    (void)f;
    rec("outer");
    async_call_soon((async_loop *)arg, &nested_cb, cb_rec, (void *)"inner");
}
static void test_call_soon_from_callback_next_iteration(void **state) {
    async_loop loop;
    async_callback cb;
    (void)state;
    test_loop_init(&loop);
    async_call_soon(&loop, &cb, cb_schedule, &loop);
    async_loop_run_once(&loop);
    assert_rec("outer");
    async_loop_run_once(&loop);
    assert_rec("outer inner");
    test_loop_close(&loop);
}

/* call_later: fn gets the timer's future, runs no earlier than the delay. */
static async_time fired_at;
static void cb_time(async_future *f, void *arg) {
    async_loop *loop = (async_loop *)arg;
    assert_true(async_future_done(f));
    assert_false(async_future_cancelled(f));
    fired_at = loop->now;
    rec("later");
}
static void test_call_later_and_cancel(void **state) {
    async_loop loop;
    async_timer t1, t2;
    async_callback c1, c2;
    async_time t0;
    int i;
    (void)state;
    test_loop_init(&loop);
    t0 = loop.now;
    assert_int_equal(async_call_later(&loop, &t1, &c1, async_ms(2), cb_time, &loop), 0);
    assert_int_equal(async_call_later(&loop, &t2, &c2, async_ms(1), cb_rec, (void *)"cancelled"), 0);
    assert_int_equal(async_timer_cancel(&t2), 1);
    assert_int_equal(async_timer_cancel(&t2), 0);
    for (i = 0; i < 1000 && loop.timers; i++) async_loop_run_once(&loop);
    async_loop_run_once(&loop); /* the cancelled one's callback slot is drained too */
    assert_rec("later");
    assert_true(fired_at - t0 >= async_ms(2));
    if (TEST_VIRTUAL) assert_true(fired_at - t0 == async_ms(2));
    test_loop_close(&loop);
}

static void test_call_at(void **state) {
    async_loop loop;
    async_timer t[3];
    async_callback c[3];
    async_time base;
    int i;
    (void)state;
    test_loop_init(&loop);
    base = loop.now;
    async_call_at(&loop, &t[0], &c[0], base + async_ms(3), cb_rec, (void *)"at3");
    async_call_at(&loop, &t[1], &c[1], base + async_ms(1), cb_rec, (void *)"at1");
    async_call_at(&loop, &t[2], &c[2], base - async_ms(5), cb_rec, (void *)"past"); /* overdue: next iteration */
    async_loop_run_once(&loop);
    if (TEST_VIRTUAL) assert_rec("past"); /* (a loaded machine may pass 1 ms of real time here) */
    for (i = 0; i < 1000 && loop.timers; i++) async_loop_run_once(&loop);
    assert_rec("past at1 at3");
    assert_true(loop.now - base >= async_ms(3));
    test_loop_close(&loop);
}

/* Equal deadlines fire in the order they were armed (our documented rule). */
static void test_equal_deadlines_fifo(void **state) {
    async_loop loop;
    async_timer t[6];
    async_callback c[6];
    static const char *names[6] = {"a", "b", "c", "d", "e", "f"};
    async_time when;
    int i;
    (void)state;
    /* 6 timers with one absolute deadline, armed across two iterations */
    test_loop_init(&loop);
    when = loop.now + async_ms(2);
    for (i = 0; i < 3; i++) async_call_at(&loop, &t[i], &c[i], when, cb_rec, (void *)names[i]);
    {
        async_callback soon;
        async_call_soon(&loop, &soon, cb_rec, (void *)"soon");
        async_loop_run_once(&loop);
        if (TEST_VIRTUAL) assert_rec("soon"); /* in real time a-c may be due already */
    }
    for (i = 3; i < 6; i++) async_call_at(&loop, &t[i], &c[i], when, cb_rec, (void *)names[i]);
    for (i = 0; i < 1000 && loop.timers; i++) async_loop_run_once(&loop);
    assert_rec("soon a b c d e f");
    test_loop_close(&loop);
}

/* Tasks sleeping the same duration from the same iteration wake FIFO. */
struct sl {
    async_frame hdr;
    async_timer t;
    const char *name;
};
static ASYNC_FN(sl_co, struct sl) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
    rec("%s", self->name);
    ASYNC_END();
}
static void test_equal_sleeps_fifo(void **state) {
    async_loop loop;
    async_task t[5];
    struct sl f[5];
    static const char *names[5] = {"p", "q", "r", "s", "t"};
    int i;
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    memset(f, 0, sizeof f);
    for (i = 0; i < 5; i++) {
        f[i].name = names[i];
        async_task_create(&loop, &t[i], sl_co, &f[i], names[i]);
    }
    assert_int_equal(async_loop_run_until_complete(&loop, &t[4].fut), 0);
    assert_rec("p q r s t");
    test_loop_close(&loop);
}

/* Timers that come due run after the callbacks already queued, even if the
 * timer was scheduled first. */
static void test_timers_after_queued_callbacks(void **state) {
    async_loop loop;
    async_timer t;
    async_callback ct, c1, c2;
    (void)state;
    test_loop_init(&loop);
    async_call_later(&loop, &t, &ct, 0, cb_rec, (void *)"timer");
    async_call_soon(&loop, &c1, cb_rec, (void *)"soon1");
    async_call_soon(&loop, &c2, cb_rec, (void *)"soon2");
    async_loop_run_once(&loop);
    assert_rec("soon1 soon2 timer");
    test_loop_close(&loop);
}

/* ---- the heap under load: 10^5 timers, random deadlines, random cancellations --- */
enum { NH = 100000 };
struct heap_case {
    async_timer *t;
    async_callback *c;
    async_time *when;
    unsigned char *cancelled;
    int *order; /* indices in firing order */
    int nfired;
    unsigned rnd;
};
static struct heap_case hc;
static unsigned hc_rand(void) {
    hc.rnd = hc.rnd * 1103515245u + 12345u;
    return (hc.rnd >> 8) & 0xffffffu;
}
static void cb_heap(async_future *f, void *arg) {
    int i = (int)(intptr_t)arg, j;
    (void)f;
    assert_false(hc.cancelled[i]);
    hc.order[hc.nfired++] = i;
    /* every 7th callback cancels a random timer, possibly deep inside the heap */
    if (i % 7 == 0) {
        j = (int)(hc_rand() % NH);
        if (async_timer_cancel(&hc.t[j])) hc.cancelled[j] = 1;
    }
}
static void test_heap_random_with_cancellations(void **state) {
    async_loop loop;
    async_time base;
    int i, k, ncancel = 0, iters;
    double w0;
    (void)state;
    hc.t = (async_timer *)calloc(NH, sizeof *hc.t);
    hc.c = (async_callback *)calloc(NH, sizeof *hc.c);
    hc.when = (async_time *)calloc(NH, sizeof *hc.when);
    hc.cancelled = (unsigned char *)calloc(NH, 1);
    hc.order = (int *)calloc(NH, sizeof *hc.order);
    assert_non_null(hc.t);
    assert_non_null(hc.c);
    assert_non_null(hc.when);
    assert_non_null(hc.cancelled);
    assert_non_null(hc.order);
    hc.nfired = 0;
    hc.rnd = 20261121u;
    test_loop_init(&loop);
    base = loop.now;
    w0 = test_wall();
    for (i = 0; i < NH; i++) {
        /* 20000 distinct ticks for 10^5 timers: many equal deadlines too */
        hc.when[i] = base + 1 + hc_rand() % 20000u;
        assert_int_equal(async_call_at(&loop, &hc.t[i], &hc.c[i], hc.when[i], cb_heap, (void *)(intptr_t)i), 0);
    }
    for (i = 0; i < NH / 5; i++) { /* cancel ~1/5 at random before running */
        k = (int)(hc_rand() % NH);
        if (async_timer_cancel(&hc.t[k])) hc.cancelled[k] = 1;
    }
    for (iters = 0; iters < 4 * NH && (loop.timers || loop.ready_head); iters++) async_loop_run_once(&loop);
    assert_null(loop.timers);
    for (i = 0; i < NH; i++) ncancel += hc.cancelled[i];
    assert_int_equal(hc.nfired + ncancel, NH); /* every timer fired or was cancelled, none twice */
    assert_true(ncancel > NH / 10);
    for (i = 1; i < hc.nfired; i++) {
        int a = hc.order[i - 1], b = hc.order[i];
        /* by deadline, then by arming order (FIFO) */
        assert_true(hc.when[a] < hc.when[b] || (hc.when[a] == hc.when[b] && a < b));
    }
    print_message("%d timers (%d cancelled) in %.3f s\n", NH, ncancel, test_wall() - w0);
    test_loop_close(&loop);
    free(hc.t);
    free(hc.c);
    free(hc.when);
    free(hc.cancelled);
    free(hc.order);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_call_soon_fifo_and_cancel),
        TEST(test_call_soon_from_callback_next_iteration),
        TEST(test_call_later_and_cancel),
        TEST(test_call_at),
        TEST(test_equal_deadlines_fifo),
        TEST(test_equal_sleeps_fifo),
        TEST(test_timers_after_queued_callbacks),
        TEST(test_heap_random_with_cancellations),
    };
    return TEST_RUN(tests);
}
