/* The loop's short iterations and their fairness budget (async.h section 9,
 * "Latency"): after a full iteration, run_forever / run_until_complete run
 * the tasks futures woke in further batches without a backend call. On the
 * virtual clock they must not change any order: a mixed program (tasks
 * handing futures back and forth, yields, timers due at the current tick and
 * later, call_soon, call_later(0), stop(), run_until_complete, ISR raises)
 * records the same events with every budget as with budget 0, where every
 * batch is a full iteration. Counts, not time: how many backend waits a busy
 * run makes, that a yield still polls, and after how many handoffs of two
 * busy tasks an ISR raise is delivered. */
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

/* Two tasks handing a future back and forth n times (bench/pingpong.c): a
 * CPU-bound pair that never yields, woken only by each other's futures. */
struct pp_shared {
    async_future f[2]; /* the pinger waits on f[0], the ponger on f[1] */
    long n, hand;      /* round trips; handoffs so far */
    int rec_on;
    async_isr_signal *sig; /* raised at handoff raise_at when set */
    long raise_at;
    long trace_at;         /* a trace hook is set at that handoff */
    async_future *done;    /* completed at handoff done_at, as done_how says */
    long done_at;
    int done_how;          /* 0: a result, 1: an error, 2: cancelled */
    async_loop *nested;    /* at handoff nested_at: run_until_complete(nested, done) */
    long nested_at;
};
struct pp_player {
    async_frame hdr;
    struct pp_shared *s;
    long i;
};
static async_loop *mixed_loop;
static async_timer pp_timer[4];
static async_callback pp_cb[4];
static void cb_timer(async_future *f, void *arg) {
    (void)f;
    rec("t%d@%lu", (int)(intptr_t)arg, (unsigned long)async_loop_time(mixed_loop));
}
static void count_iterations(async_loop *loop, async_trace_event ev, async_task *t, async_status st, void *ud);
static unsigned long traced_iterations;
static void pp_hand(struct pp_shared *s, async_loop *loop) {
    s->hand++;
    if (s->sig && s->hand == s->raise_at) async_isr_raise(s->sig);
    if (s->hand == s->trace_at) async_loop_set_trace(loop, count_iterations, NULL);
    if (s->nested && s->hand == s->nested_at) /* an idle loop of its own: nothing to run */
        assert_int_equal(async_loop_run_until_complete(s->nested, s->done), ASYNC_EDEADLOCK);
    if (s->done && s->hand == s->done_at) {
        if (s->done_how == 0) assert_int_equal(async_future_set_result(s->done, async_int(s->hand)), 0);
        if (s->done_how == 1) assert_int_equal(async_future_set_error(s->done, 77), 0);
        if (s->done_how == 2) assert_int_equal(async_future_cancel(s->done), 1);
    }
    if (!s->rec_on) return;
    rec("h%ld@%lu", s->hand, (unsigned long)async_loop_time(loop));
    /* from a task that does not yield: stop(), timers due now and later */
    if (s->hand == 7 || s->hand == 21) {
        rec("stop");
        async_loop_stop(loop);
    }
    if (s->hand == 5 || s->hand == 18) {
        int k = s->hand == 5 ? 0 : 1;
        assert_int_equal(async_call_later(loop, &pp_timer[k], &pp_cb[k], 0, cb_timer, (void *)(intptr_t)k), 0);
        assert_int_equal(async_call_later(loop, &pp_timer[k + 2], &pp_cb[k + 2], 1, cb_timer, (void *)(intptr_t)(k + 2)),
                         0);
    }
}
static ASYNC_FN(pinger, struct pp_player) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->s->n; self->i++) {
        async_future_init(&self->s->f[0], ASYNC_LOOP);
        pp_hand(self->s, ASYNC_LOOP);
        async_future_set_result(&self->s->f[1], async_int(self->i));
        ASYNC_AWAIT(&self->s->f[0]);
    }
    ASYNC_END();
}
static ASYNC_FN(ponger, struct pp_player) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->s->n; self->i++) {
        ASYNC_AWAIT(&self->s->f[1]);
        async_future_init(&self->s->f[1], ASYNC_LOOP);
        pp_hand(self->s, ASYNC_LOOP);
        async_future_set_result(&self->s->f[0], async_int(self->i));
    }
    ASYNC_END();
}
struct pp_pair {
    struct pp_shared s;
    struct pp_player a, b;
    async_task ta, tb;
};
static void pp_start(struct pp_pair *p, async_loop *loop, long n) {
    memset(p, 0, sizeof *p);
    p->s.n = n;
    async_future_init(&p->s.f[1], loop);
    p->a.s = p->b.s = &p->s;
    assert_int_equal(async_task_create(loop, &p->tb, ponger, &p->b, "ponger"), 0);
    assert_int_equal(async_task_create(loop, &p->ta, pinger, &p->a, "pinger"), 0);
}


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
    struct pp_pair pp;
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
    pp_start(&pp, &loop, 12);
    pp.s.rec_on = 1;
    r = async_loop_run_until_complete(&loop, &tw[1].fut);
    rec("rc%d", r);
    while ((r = async_loop_run_forever(&loop)) == 0) rec("|");
    assert_int_equal(r, ASYNC_EDEADLOCK);
    for (k = 0; k < 3; k++) assert_true(async_future_done(&tw[k].fut));
    assert_true(async_future_done(&ts.fut));
    assert_true(async_future_done(&pp.ta.fut) && async_future_done(&pp.tb.fut));
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
    assert_non_null(strstr(full, "h24"));
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

static void count_iterations(async_loop *loop, async_trace_event ev, async_task *t, async_status st, void *ud) {
    (void)loop;
    (void)t;
    (void)st;
    (void)ud;
    if (ev == ASYNC_TRACE_ITERATION) traced_iterations++;
}

/* The backend waits of 1000 round trips of the busy pair; traced: a trace
 * hook from the start (1) or set by the pair at its handoff 1000 (2). */
static unsigned long busy_waits(unsigned budget, int traced) {
    async_loop loop;
    struct vbackend vb = {0, 0};
    struct pp_pair pp;
    async_loop_init(&loop, vb_now, vb_wait, &vb);
    async_loop_set_budget(&loop, budget);
    traced_iterations = 0;
    if (traced == 1) async_loop_set_trace(&loop, count_iterations, NULL);
    pp_start(&pp, &loop, 1000);
    if (traced == 2) pp.s.trace_at = 1000;
    assert_int_equal(async_loop_run_until_complete(&loop, &pp.ta.fut), 0);
    assert_int_equal(pp.s.hand, 2000);
    if (traced == 1) assert_int_equal(traced_iterations, vb.waits);
    /* from the batch after the one that set it, every batch is a full iteration */
    if (traced == 2) assert_int_equal(traced_iterations, 1001);
    return vb.waits;
}

/* A busy pair polls the backend once per budget, not once per step; budget 0
 * and a trace hook poll before every batch (2000 handoffs, one step each). */
static void test_busy_polls_once_per_budget(void **state) {
    static const unsigned long budgets[] = {1, 2, 10, ASYNC_CONFIG_LOOP_BUDGET, 65535};
    unsigned long w0;
    size_t i;
    (void)state;
    w0 = busy_waits(0, 0);
    assert_int_equal(w0, 2001); /* the first step of each, 1999 handoffs, the pinger's end */
    assert_int_equal(busy_waits(0, 1), w0);
    assert_int_equal(busy_waits(ASYNC_CONFIG_LOOP_BUDGET, 1), w0);
    assert_true(busy_waits(ASYNC_CONFIG_LOOP_BUDGET, 2) >= 1001);
    /* one full iteration, then `budget` short ones, each one step */
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++)
        assert_int_equal(busy_waits((unsigned)budgets[i], 0), (w0 + budgets[i]) / (budgets[i] + 1));
    assert_int_equal(busy_waits(1000000, 0), 1); /* saturates at 32767 */
}

/* run_until_complete of a plain future that one of a busy pair completes
 * (a result, an error, a cancellation): the run returns after the batch
 * that completed it, whatever the budget, as with full iterations only;
 * the short iterations must not go on to the budget. */
static void test_until_plain_future_ends_short_iterations(void **state) {
    static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET, 1000};
    static const int want[] = {0, 77, ASYNC_ECANCELLED};
    size_t i;
    int how;
    (void)state;
    for (how = 0; how < 3; how++)
        for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
            async_loop loop;
            struct vbackend vb = {0, 0};
            struct pp_pair pp;
            async_future done;
            async_loop_init(&loop, vb_now, vb_wait, &vb);
            async_loop_set_budget(&loop, budgets[i]);
            async_future_init(&done, &loop);
            pp_start(&pp, &loop, 1000);
            pp.s.done = &done;
            pp.s.done_at = 37;
            pp.s.done_how = how;
            assert_int_equal(async_loop_run_until_complete(&loop, &done), want[how]);
            assert_int_equal(pp.s.hand, 37); /* not one handoff more */
            if (how == 0) assert_int_equal(async_future_result(&done).i, 37);
            /* the pair is still running: again, to its end */
            assert_int_equal(async_loop_run_until_complete(&loop, &pp.ta.fut), 0);
            assert_int_equal(pp.s.hand, 2000);
            assert_int_equal(async_loop_run_until_complete(&loop, &pp.tb.fut), 0);
        }
}

/* The same while a task of the loop runs another, idle, loop until that
 * future (allowed: that loop is not running): that run must leave the
 * outer run's watch on the future as it found it. */
static void test_until_future_watched_across_a_nested_run(void **state) {
    async_loop loop, other;
    struct vbackend vb = {0, 0}, vb2 = {0, 0};
    struct pp_pair pp;
    async_future done;
    (void)state;
    async_loop_init(&loop, vb_now, vb_wait, &vb);
    async_loop_init(&other, vb_now, vb_wait, &vb2);
    async_future_init(&done, &loop);
    pp_start(&pp, &loop, 1000);
    pp.s.done = &done;
    pp.s.done_at = 37;
    pp.s.nested = &other;
    pp.s.nested_at = 10;
    assert_int_equal(async_loop_run_until_complete(&loop, &done), 0);
    assert_int_equal(pp.s.hand, 37);
    assert_int_equal(async_loop_run_until_complete(&loop, &pp.ta.fut), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &pp.tb.fut), 0);
    assert_int_equal(async_loop_close(&other), 0);
}

/* A yield is asyncio's sleep(0): the loop polls at once, whatever the budget. */
struct yielder {
    async_frame hdr;
    long i, n;
    async_timer t;
};
static ASYNC_FN(yielder, struct yielder) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        if (self->i % 2) ASYNC_YIELD(async_none());
        else ASYNC_SLEEP_TICKS(&self->t, 0);
    }
    ASYNC_END();
}
static void test_yield_polls(void **state) {
    static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET, 65535};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        async_loop loop;
        struct vbackend vb = {0, 0};
        async_task t;
        struct yielder y;
        memset(&t, 0, sizeof t);
        memset(&y, 0, sizeof y);
        y.n = 1000;
        async_loop_init(&loop, vb_now, vb_wait, &vb);
        async_loop_set_budget(&loop, budgets[i]);
        assert_int_equal(async_task_create(&loop, &t, yielder, &y, "yielder"), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(vb.waits, 1001);
    }
}

/* An ISR raised while the busy pair keeps the loop busy is delivered at the
 * next batch whatever the budget: the waiter runs right after the next
 * handoff. */
static void test_isr_latency_under_busy_tasks(void **state) {
    static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET, 65535};
    size_t i;
    (void)state;
    TEST_NEED_VIRTUAL();
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        async_loop loop;
        async_isr_hub hub;
        async_isr_signal sig;
        async_task tw;
        struct pp_pair pp;
        struct isr_waiter iw;
        memset(&tw, 0, sizeof tw);
        memset(&iw, 0, sizeof iw);
        async_loop_init_virtual(&loop);
        async_loop_set_budget(&loop, budgets[i]);
        async_isr_hub_init(&hub, &loop);
        async_isr_signal_init(&sig, &hub);
        iw.sig = &sig;
        iw.got = 1; /* one raise is enough */
        assert_int_equal(async_task_create(&loop, &tw, isr_waiter, &iw, "waiter"), 0);
        pp_start(&pp, &loop, 100000);
        pp.s.sig = &sig;
        pp.s.raise_at = 10;
        rec_reset();
        assert_int_equal(async_loop_run_until_complete(&loop, &tw.fut), 0);
        assert_int_equal(pp.s.hand, 11);
        assert_rec("isr1@0");
        async_loop_cancel_all(&loop);
    }
}

/* ---- the task being stepped -------------------------------------------- */

/* The short iterations leave loop->current set after a step that parks,
 * until the next step sets it: a callback must still see NULL (alone in its
 * batch, or first in one with a task), a task itself, the code after a run
 * NULL, and so does an async_op's cancel hook called from the park of a task
 * that cancelled itself during its step. */
static async_loop *cur_loop;
static long cur_bad, cur_cbs;
static void cb_check_current(async_future *f, void *arg) {
    (void)f;
    cur_cbs++;
    if (async_current_task(cur_loop) != NULL) cur_bad++;
    if (arg) async_future_set_result((async_future *)arg, async_int(1));
}
struct cur_waiter {
    async_frame hdr;
    long i, n;
    int two; /* a second callback first: batches of two callbacks */
    async_future f;
    async_callback cb, cb0;
};
/* A callback completes what it awaits: one-handle batches, task and
 * callback by turns (or a task, then two callbacks). */
static ASYNC_FN(cur_waiter, struct cur_waiter) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        if (async_current_task(ASYNC_LOOP) == NULL) cur_bad++;
        async_future_init(&self->f, ASYNC_LOOP);
        if (self->two) async_call_soon(ASYNC_LOOP, &self->cb0, cb_check_current, NULL);
        async_call_soon(ASYNC_LOOP, &self->cb, cb_check_current, &self->f);
        ASYNC_AWAIT(&self->f);
    }
    ASYNC_END();
}
static int op_hook_saw_task = -1;
static int cur_op_cancel(async_op *op) {
    (void)op;
    op_hook_saw_task = async_current_task(cur_loop) != NULL;
    return ASYNC_OP_CANCELLED;
}
struct cur_canceller {
    async_frame hdr;
    async_op op;
    async_future f;
    async_callback cb;
};
static ASYNC_FN(cur_canceller, struct cur_canceller) {
    ASYNC_BEGIN();
    /* from a short iteration's step on, if the budget allows them */
    async_future_init(&self->f, ASYNC_LOOP);
    async_call_soon(ASYNC_LOOP, &self->cb, cb_check_current, &self->f);
    ASYNC_AWAIT(&self->f);
    async_op_init(&self->op, ASYNC_LOOP, cur_op_cancel);
    async_task_cancel(async_current_task(ASYNC_LOOP)); /* during its own step: at its next await */
    ASYNC_AWAIT(&self->op.fut);
    ASYNC_END();
}
static void test_current_task_in_short_iterations(void **state) {
    static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        async_loop loop;
        async_task t[3];
        struct cur_waiter w[2];
        struct cur_canceller c;
        memset(t, 0, sizeof t);
        memset(w, 0, sizeof w);
        memset(&c, 0, sizeof c);
        async_loop_init_virtual(&loop);
        async_loop_set_budget(&loop, budgets[i]);
        cur_loop = &loop;
        cur_bad = cur_cbs = 0;
        /* one waiter alone: one-handle batches */
        w[0].n = 50;
        assert_int_equal(async_task_create(&loop, &t[0], cur_waiter, &w[0], "w0"), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &t[0].fut), 0);
        assert_null(async_current_task(&loop));
        /* two: a callback first in a batch after a task's step */
        w[0].n = w[1].n = 50;
        assert_int_equal(async_task_create(&loop, &t[0], cur_waiter, &w[0], "w0"), 0);
        assert_int_equal(async_task_create(&loop, &t[1], cur_waiter, &w[1], "w1"), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &t[1].fut), 0);
        assert_null(async_current_task(&loop));
        assert_int_equal(async_loop_run_until_complete(&loop, &t[0].fut), 0);
        /* one: a task's step, then a batch of two callbacks */
        w[0].two = 1;
        assert_int_equal(async_task_create(&loop, &t[0], cur_waiter, &w[0], "w0"), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &t[0].fut), 0);
        assert_int_equal(cur_cbs, 250);
        assert_int_equal(cur_bad, 0);
        /* the park's cancel calls the op's hook: no task is running then */
        op_hook_saw_task = -1;
        assert_int_equal(async_task_create(&loop, &t[2], cur_canceller, &c, "c"), 0);
        assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), ASYNC_ECANCELLED);
        assert_int_equal(op_hook_saw_task, 0);
        assert_int_equal(cur_cbs, 251);
        assert_int_equal(cur_bad, 0);
        assert_null(async_current_task(&loop));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_mixed_order_vclock),
        TEST(test_mixed_order_vclock_hub),
        TEST(test_mixed_order_backend),
        TEST(test_mixed_order_backend_hub),
        TEST(test_busy_polls_once_per_budget),
        TEST(test_until_plain_future_ends_short_iterations),
        TEST(test_until_future_watched_across_a_nested_run),
        TEST(test_yield_polls),
        TEST(test_isr_latency_under_busy_tasks),
        TEST(test_current_task_in_short_iterations),
    };
    return TEST_RUN(tests);
}
