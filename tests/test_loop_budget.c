/* The loop's short iterations and their fairness budget (async.h section 9,
 * "Latency"): after a full iteration, run_forever / run_until_complete run
 * further batches without a backend call while tasks are ready. On the
 * virtual clock they must not change any order: a mixed program (yields,
 * timers due at the current tick and later, call_soon, call_later(0), stop(),
 * run_until_complete, ISR raises) records the same events with every budget
 * as with budget 0, where every batch is a full iteration. Counts, not time:
 * how many backend waits a busy run makes, and after how many yields of a
 * task that never waits an ISR raise is delivered. */
#include "test_support.h"

/* A virtual clock of the test's own, counting the backend's waits. */
struct vbackend {
    async_time now;
    unsigned long waits;
};
static async_time vb_now(void *data) { return ((struct vbackend *)data)->now; }
static int vb_wait(void *data, async_loop *loop, const async_time *deadline) {
    struct vbackend *b = (struct vbackend *)data;
    (void)loop;
    b->waits++;
    if (!deadline) return ASYNC_EDEADLOCK;
    if (async_time_before(b->now, *deadline)) b->now = *deadline;
    return 0;
}

/* ---- the mixed program ---------------------------------------------------- */

static async_loop *mixed_loop;
static void cb_soon(async_future *f, void *arg) {
    (void)f;
    rec("soon%d@%lu", (int)(intptr_t)arg, (unsigned long)async_loop_time(mixed_loop));
}
static void cb_later(async_future *f, void *arg) {
    (void)f;
    rec("later%d@%lu", (int)(intptr_t)arg, (unsigned long)async_loop_time(mixed_loop));
}

struct worker {
    async_frame hdr;
    int id, i;
    async_timer t;
    async_callback cb;
    async_timer lt;
    async_callback lcb;
};
/* Each step does one of: yield, sleep 1..2 ticks, or queue a call_soon and a
 * call_later(0) (a timer due at the current tick) and yield. */
static ASYNC_FN(worker, struct worker) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 9; self->i++) {
        rec("w%d.%d@%lu", self->id, self->i, (unsigned long)async_loop_time(ASYNC_LOOP));
        if ((self->i + self->id) % 3 == 0) {
            ASYNC_SLEEP_TICKS(&self->t, 0);
        } else if ((self->i + self->id) % 3 == 1) {
            ASYNC_SLEEP_TICKS(&self->t, (async_time)(1 + self->id % 2));
        } else {
            async_call_soon(ASYNC_LOOP, &self->cb, cb_soon, (void *)(intptr_t)self->id);
            assert_int_equal(async_call_later(ASYNC_LOOP, &self->lt, &self->lcb, 0, cb_later, (void *)(intptr_t)self->id), 0);
            ASYNC_SLEEP_TICKS(&self->t, 0);
        }
    }
    ASYNC_END();
}

/* Yields; stops the loop at two of its steps; raises the ISR signal (an
 * interrupt landing during a task step) at two others. */
struct stopper {
    async_frame hdr;
    int i;
    async_isr_signal *sig;
    async_timer t;
};
static ASYNC_FN(stopper, struct stopper) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 14; self->i++) {
        if (self->i == 4 || self->i == 9) {
            rec("stop");
            async_loop_stop(ASYNC_LOOP);
        }
        if (self->sig && (self->i == 2 || self->i == 7)) {
            rec("raise");
            async_isr_raise(self->sig);
        }
        ASYNC_SLEEP_TICKS(&self->t, 0);
    }
    ASYNC_END();
}

struct isr_waiter {
    async_frame hdr;
    async_isr_signal *sig;
    long got;
};
static ASYNC_FN(isr_waiter, struct isr_waiter) {
    ASYNC_BEGIN();
    while (self->got < 2) {
        ASYNC_AWAIT(async_isr_next(self->sig));
        self->got += ASYNC_VALUE.i;
        rec("isr%ld@%lu", (long)ASYNC_VALUE.i, (unsigned long)async_loop_time(ASYNC_LOOP));
    }
    ASYNC_END();
}

enum { ON_VCLOCK, ON_VBACKEND };
/* Run the mixed program with the given budget; the events are in test_rec.
 * Returns the backend's waits (ON_VBACKEND only). */
static unsigned long run_mixed(unsigned budget, int backend, int hub_on) {
    async_loop loop;
    struct vbackend vb = {0, 0};
    async_isr_hub hub;
    async_isr_signal sig;
    async_task tw[3], ts, ti;
    struct worker w[3];
    struct stopper s;
    struct isr_waiter iw;
    int k, r;
    memset(tw, 0, sizeof tw);
    memset(&ts, 0, sizeof ts);
    memset(&ti, 0, sizeof ti);
    memset(w, 0, sizeof w);
    memset(&s, 0, sizeof s);
    memset(&iw, 0, sizeof iw);
    if (backend == ON_VCLOCK) async_loop_init_virtual(&loop);
    else async_loop_init(&loop, vb_now, vb_wait, &vb);
    async_loop_set_budget(&loop, budget);
    mixed_loop = &loop;
    if (hub_on) {
        async_isr_hub_init(&hub, &loop);
        async_isr_signal_init(&sig, &hub);
        s.sig = &sig;
        iw.sig = &sig;
        assert_int_equal(async_task_create(&loop, &ti, isr_waiter, &iw, "isr"), 0);
    }
    for (k = 0; k < 3; k++) {
        w[k].id = k;
        assert_int_equal(async_task_create(&loop, &tw[k], worker, &w[k], "worker"), 0);
    }
    assert_int_equal(async_task_create(&loop, &ts, stopper, &s, "stopper"), 0);
    r = async_loop_run_until_complete(&loop, &tw[1].fut);
    rec("rc%d", r);
    while ((r = async_loop_run_forever(&loop)) == 0) rec("|");
    assert_int_equal(r, ASYNC_EDEADLOCK);
    for (k = 0; k < 3; k++) assert_true(async_future_done(&tw[k].fut));
    assert_true(async_future_done(&ts.fut));
    if (hub_on) {
        assert_true(async_future_done(&ti.fut));
        assert_int_equal(iw.got, 2);
    }
    return vb.waits;
}

static void check_mixed(int backend, int hub_on) {
    static char full[sizeof test_rec.s];
    static const unsigned budgets[] = {1, 2, 3, 5, ASYNC_CONFIG_LOOP_BUDGET, 65535};
    unsigned long waits0, waits;
    size_t i;
    rec_reset();
    waits0 = run_mixed(0, backend, hub_on);
    strcpy(full, test_rec.s);
    assert_non_null(strstr(full, "stop"));
    assert_non_null(strstr(full, "later2"));
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        rec_reset();
        waits = run_mixed(budgets[i], backend, hub_on);
        assert_string_equal(test_rec.s, full);
        /* the short iterations did happen: fewer waits than batches (the
         * hub calls the backend only when nothing is ready) */
        if (backend == ON_VBACKEND && !hub_on) assert_true(waits < waits0);
    }
}

static void test_mixed_order_vclock(void **state) {
    (void)state;
    TEST_NEED_VIRTUAL();
    check_mixed(ON_VCLOCK, 0);
}
static void test_mixed_order_vclock_hub(void **state) {
    (void)state;
    TEST_NEED_VIRTUAL();
    check_mixed(ON_VCLOCK, 1);
}
static void test_mixed_order_backend(void **state) {
    (void)state;
    check_mixed(ON_VBACKEND, 0);
}
static void test_mixed_order_backend_hub(void **state) {
    (void)state;
    check_mixed(ON_VBACKEND, 1);
}

/* ---- counts --------------------------------------------------------------- */

struct spinner {
    async_frame hdr;
    long n, i;
    async_isr_signal *sig; /* raised at step `at` when set */
    long at;
    async_timer t;
};
static volatile long spins;
static ASYNC_FN(spinner, struct spinner) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        spins = self->i;
        if (self->sig && self->i == self->at) async_isr_raise(self->sig);
        ASYNC_SLEEP_TICKS(&self->t, 0);
    }
    ASYNC_END();
}

static unsigned long traced_iterations;
static void count_iterations(async_loop *loop, async_trace_event ev, async_task *t, async_status st, void *ud) {
    (void)loop;
    (void)t;
    (void)st;
    (void)ud;
    if (ev == ASYNC_TRACE_ITERATION) traced_iterations++;
}

/* A busy task polls the backend once per budget, not once per step; budget 0
 * and a trace hook poll before every batch. */
static unsigned long busy_waits(unsigned budget, int traced) {
    async_loop loop;
    struct vbackend vb = {0, 0};
    async_task t;
    struct spinner sp;
    memset(&t, 0, sizeof t);
    memset(&sp, 0, sizeof sp);
    sp.n = 1000;
    async_loop_init(&loop, vb_now, vb_wait, &vb);
    async_loop_set_budget(&loop, budget);
    traced_iterations = 0;
    if (traced) async_loop_set_trace(&loop, count_iterations, NULL);
    assert_int_equal(async_task_create(&loop, &t, spinner, &sp, "spinner"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    if (traced) assert_int_equal(traced_iterations, vb.waits);
    return vb.waits;
}

static void test_busy_polls_once_per_budget(void **state) {
    unsigned long w;
    (void)state;
    /* 1001 steps (1000 yields and the last) */
    assert_int_equal(busy_waits(0, 0), 1001);
    assert_int_equal(busy_waits(0, 1), 1001);
    assert_int_equal(busy_waits(ASYNC_CONFIG_LOOP_BUDGET, 1), 1001);
    assert_int_equal(busy_waits(1, 0), 501);
    w = busy_waits(10, 0);
    assert_true(w >= 1001 / 11 && w <= 1001 / 11 + 1);
    assert_true(busy_waits(ASYNC_CONFIG_LOOP_BUDGET, 0) <= 1001 / (ASYNC_CONFIG_LOOP_BUDGET + 1) + 1);
    assert_int_equal(busy_waits(65535, 0), 1);
    assert_int_equal(busy_waits(1000000, 0), 1); /* saturates at 65535 */
}

/* An ISR raised while a task that never waits keeps the loop busy is
 * delivered at the next batch whatever the budget: the waiter runs right after
 * the raising task's next step. */
static void test_isr_latency_under_busy_task(void **state) {
    static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET, 65535};
    size_t i;
    (void)state;
    TEST_NEED_VIRTUAL();
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        async_loop loop;
        async_isr_hub hub;
        async_isr_signal sig;
        async_task ts, tw;
        struct spinner sp;
        struct isr_waiter iw;
        memset(&ts, 0, sizeof ts);
        memset(&tw, 0, sizeof tw);
        memset(&sp, 0, sizeof sp);
        memset(&iw, 0, sizeof iw);
        async_loop_init_virtual(&loop);
        async_loop_set_budget(&loop, budgets[i]);
        async_isr_hub_init(&hub, &loop);
        async_isr_signal_init(&sig, &hub);
        iw.sig = &sig;
        iw.got = 1; /* one raise is enough */
        sp.n = 100000;
        sp.sig = &sig;
        sp.at = 10;
        assert_int_equal(async_task_create(&loop, &tw, isr_waiter, &iw, "waiter"), 0);
        assert_int_equal(async_task_create(&loop, &ts, spinner, &sp, "spinner"), 0);
        rec_reset();
        assert_int_equal(async_loop_run_until_complete(&loop, &tw.fut), 0);
        assert_int_equal(spins, 11);
        assert_rec("isr1@0");
        async_loop_cancel_all(&loop);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_mixed_order_vclock),
        TEST(test_mixed_order_vclock_hub),
        TEST(test_mixed_order_backend),
        TEST(test_mixed_order_backend_hub),
        TEST(test_busy_polls_once_per_budget),
        TEST(test_isr_latency_under_busy_task),
    };
    return TEST_RUN(tests);
}
