/* The timers' structure (async.h section 9: a timing wheel in front of the
 * heap, ASYNC_CONFIG_TIMER_WHEEL) against a plain model: random arming,
 * cancelling and expiry on the virtual clock, deadlines on every level of the
 * wheel, beyond its span, equal and in the past, across the clock's
 * wrap-around (the -clock32 and -clock16 builds run this too), cancels and
 * arms from callbacks of the same expiry pass; then 10^5 timers. Checked each
 * iteration: the clock jumps exactly to the earliest deadline, every timer due
 * fires in that iteration and no earlier, in (deadline, arming) order. */
#undef TEST_BACKEND_EV /* exact clock values: the virtual clock in every build */
#include "test_support.h"

typedef unsigned long long mtime; /* the model's time: ticks since the start, no wrap (but 64-bit) */

static int time_bits(void) { return (int)sizeof(async_time) * 8; }
/* The longest delay the model uses: ASYNC_MAX_DELAY less the most a deadline
 * may lie in the past, so that any two stay within half the clock's range of
 * each other (beyond, their order is undefined, as for any modular compare). */
static mtime max_delay(void) { return (mtime)ASYNC_MAX_DELAY - 4u; }
static int mbefore(mtime a, mtime b) { return (long long)(a - b) < 0; }

enum { IDLE, ARMED, FIRING, DRAINING };
enum { NM = 1000 };
struct mtimer {
    async_timer t;
    async_callback cb;
    mtime due;
    unsigned long seq; /* arming order */
    unsigned long armed_pass;
    unsigned long drain_pass;
    int state;
};
static struct {
    struct mtimer *m;
    async_loop *loop;
    async_time base;   /* the loop's time at model time 0 */
    mtime now;
    mtime now0;        /* the model's time, and the loop's, before this iteration */
    async_time before;
    unsigned long pass; /* iterations started */
    unsigned long seq;
    unsigned rnd;
    int *due;          /* this pass's firing order, expected */
    int ndue, nfired;
    int in_pass;       /* the first callback of a pass computed `due` */
    mtime anchor[3];   /* deadlines many timers share */
    unsigned long fired, cancelled, armed, past, far;
} M;

static unsigned mrand(void) {
    M.rnd = M.rnd * 1103515245u + 12345u;
    return (M.rnd >> 8) & 0xffffffu;
}
static mtime mrand_bits(int bits) { /* uniform below 2^bits, bits <= 62 */
    mtime x = ((mtime)mrand() << 48) ^ ((mtime)mrand() << 24) ^ (mtime)mrand();
    return bits >= 64 ? x : x & (((mtime)1 << bits) - 1u);
}
static async_time ltime(mtime t) { return (async_time)(M.base + (async_time)t); }

/* A delay: log-uniform up to beyond the wheel's span (and the clock's limit),
 * or one of the shared anchors, or in the past. */
static int pick_due(mtime *due) {
    unsigned k = mrand() % 16u;
    int top = time_bits() - 1 < 52 ? time_bits() - 1 : 52;
    mtime d;
    if (k == 0) { /* in the past */
        *due = M.now - (mrand() % 4u);
        M.past++;
        return 1;
    }
    if (k <= 3) {
        mtime a = M.anchor[k - 1];
        if (!mbefore(a, M.now) && a - M.now <= max_delay()) {
            *due = a;
            return 1;
        }
        M.anchor[k - 1] = M.now + mrand_bits((int)(mrand() % (unsigned)top));
        *due = M.anchor[k - 1];
        return 1;
    }
    if (k == 4) {
        *due = M.now + max_delay();
        M.far++;
        return 1;
    }
    d = mrand_bits((int)(mrand() % (unsigned)(top + 1)));
    if (d > max_delay()) d = max_delay();
    *due = M.now + d;
    return 1;
}

static void cb_model(async_future *f, void *arg);

static void arm(int i) {
    struct mtimer *m = &M.m[i];
    mtime due;
    pick_due(&due);
    m->due = due;
    m->seq = M.seq++;
    m->armed_pass = M.pass;
    m->state = ARMED;
    assert_int_equal(async_call_at(M.loop, &m->t, &m->cb, ltime(due), cb_model, (void *)(intptr_t)i), 0);
    M.armed++;
}

static void cancel(int i) {
    struct mtimer *m = &M.m[i];
    int r = async_timer_cancel(&m->t);
    if (m->state == ARMED) {
        assert_int_equal(r, 1);
        m->state = DRAINING; /* its callback is queued, cancelled: reusable after the next iteration */
        m->drain_pass = M.pass + 1;
        M.cancelled++;
    } else {
        assert_int_equal(r, 0); /* done already, or idle */
    }
}

static int due_less(int a, int b) {
    const struct mtimer *x = &M.m[a], *y = &M.m[b];
    if (x->due != y->due) return mbefore(x->due, y->due);
    return x->seq < y->seq;
}
static int cmp_due(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return due_less(x, y) ? -1 : due_less(y, x) ? 1 : 0;
}
/* What the loop must fire this iteration: armed before it and due. */
static void compute_due(void) {
    int i;
    M.now = M.now0 + (mtime)(async_time)(M.loop->now - M.before);
    M.ndue = M.nfired = 0;
    for (i = 0; i < NM; i++) {
        struct mtimer *m = &M.m[i];
        if (m->state == ARMED && m->armed_pass < M.pass && !mbefore(M.now, m->due)) {
            m->state = FIRING;
            M.due[M.ndue++] = i;
        }
    }
    qsort(M.due, (size_t)M.ndue, sizeof *M.due, cmp_due);
    M.in_pass = 1;
}

static void cb_model(async_future *f, void *arg) {
    int i = (int)(intptr_t)arg, k;
    struct mtimer *m = &M.m[i];
    assert_false(async_future_cancelled(f)); /* the loop does not call those */
    if (!M.in_pass) compute_due();
    assert_int_equal(M.loop->now, ltime(M.now));
    assert_true(M.nfired < M.ndue);
    if (M.due[M.nfired] != i) /* name both for the log */
        print_error("fired %d (due %llu seq %lu), expected %d (due %llu seq %lu) at %llu\n", i, m->due, m->seq,
                    M.due[M.nfired], M.m[M.due[M.nfired]].due, M.m[M.due[M.nfired]].seq, M.now);
    assert_int_equal(M.due[M.nfired], i);
    assert_int_equal(m->state, FIRING);
    M.nfired++;
    M.fired++;
    m->state = IDLE;
    /* From inside the pass: cancel one (one that fires in this pass too: it
     * is done already, the cancel returns 0 and it still fires), arm one. */
    k = (int)(mrand() % NM);
    if (mrand() % 3u == 0) cancel(k);
    k = (int)(mrand() % NM);
    if (mrand() % 3u == 0 && M.m[k].state == IDLE) arm(k);
}

/* One iteration, its clock jump and its firings checked against the model. */
static void step(void) {
    int i, any = 0, ready = M.loop->ready_head != NULL;
    mtime earliest = 0, expect;
    for (i = 0; i < NM; i++) {
        struct mtimer *m = &M.m[i];
        if (m->state == DRAINING && m->drain_pass <= M.pass) m->state = IDLE;
        if (m->state != ARMED) continue;
        if (!any || mbefore(m->due, earliest)) earliest = m->due;
        any = 1;
    }
    /* loop->timers: NULL exactly when nothing is armed (tests and the runtime read it) */
    assert_int_equal(M.loop->timers != NULL, any);
    if (!any && !ready) return;
    expect = M.now;
    if (!ready && any && mbefore(M.now, earliest)) expect = earliest; /* the virtual clock jumps there */
    M.pass++;
    M.in_pass = 0;
    M.now0 = M.now;
    M.before = M.loop->now;
    assert_int_equal(async_loop_run_once(M.loop), 0);
    if (!M.in_pass) compute_due(); /* nothing fired: nothing may have been due */
    if (M.now != expect) print_error("clock at %llu, expected %llu (was %llu)\n", M.now, expect, M.now0);
    assert_true(M.now == expect);
    assert_int_equal(M.nfired, M.ndue);
    for (i = 0; i < NM; i++) /* none left behind */
        assert_false(M.m[i].state == ARMED && M.m[i].armed_pass < M.pass && !mbefore(M.now, M.m[i].due));
}

static void model_run(async_time start, unsigned seed, int nsteps) {
    async_loop loop;
    int s, i, k;
    M.m = (struct mtimer *)calloc(NM, sizeof *M.m);
    M.due = (int *)calloc(NM, sizeof *M.due);
    assert_non_null(M.m);
    assert_non_null(M.due);
    test_loop_init(&loop);
    loop.vnow = loop.now = start; /* as test_wrap does: start near the wrap-around */
    for (i = 0; i < NM; i++) async_timer_init(&M.m[i].t, &loop); /* idle: a cancel returns 0 */
    M.loop = &loop;
    M.base = start;
    M.now = 0;
    M.pass = M.seq = 0;
    M.rnd = seed;
    M.fired = M.cancelled = M.armed = M.past = M.far = 0;
    for (i = 0; i < 3; i++) M.anchor[i] = mrand_bits(10 + 6 * i);
    for (s = 0; s < nsteps; s++) {
        unsigned op = mrand() % 8u;
        k = (int)(mrand() % NM);
        if (op < 4) { /* arm a burst, so that the wheel fills */
            for (i = 0; i < 1 + (int)(mrand() % 8u); i++, k = (k + 1) % NM)
                if (M.m[k].state == IDLE) arm(k);
        } else if (op < 5)
            cancel(k);
        else
            step();
    }
    for (s = 0; s < 100000 && (loop.timers || loop.ready_head); s++) step();
    assert_null(loop.timers);
    assert_null(loop.ready_head);
    print_message("%lu armed (%lu in the past, %lu at the limit), %lu fired, %lu cancelled, %lu iterations\n", M.armed,
                  M.past, M.far, M.fired, M.cancelled, M.pass);
    assert_int_equal(M.armed, M.fired + M.cancelled);
    assert_true(M.fired > 1000 && M.cancelled > 1000);
    test_loop_close(&loop);
    free(M.m);
    free(M.due);
}

static void test_model_from_zero(void **state) {
    (void)state;
    model_run(0, 20261201u, 40000);
}

/* The clock wraps during the run: 16 and 32 bits within seconds; 64 bits
 * starting 2^50 ticks (13 days of ns) before the wrap. */
static void test_model_across_wrap(void **state) {
    (void)state;
    model_run((async_time)(0u - (async_time)(sizeof(async_time) >= 8 ? ((async_time)1 << 50) : 3000u)), 77u, 40000);
    model_run((async_time)(0u - (async_time)123457u), 9999u, 40000);
}

/* Equal deadlines keep FIFO order whatever the wheel does between the
 * arming: one deadline a wheel level or two away, armed in four rounds while
 * the clock moves towards it, interleaved with earlier timers that make the
 * wheel turn (and one armed before everything, which brings it back). */
enum { NF = 64 };
static int forder[8 * NF], nforder;
static void cb_fifo(async_future *f, void *arg) {
    (void)f;
    forder[nforder++] = (int)(intptr_t)arg;
}
static void test_equal_deadlines_fifo_across_levels(void **state) {
    static async_timer t[4 * NF], e[4 * NF];
    static async_callback c[4 * NF], ce[4 * NF];
    async_loop loop;
    /* two levels up: 4 s of ns ticks, 4096 ticks of 1 kHz (a 16-bit clock's top level) */
    async_time start, target, span = (async_time)((async_time)1 << (ASYNC_CONFIG_TIMER_SHIFT + 12));
    int r, i, n = 0;
    (void)state;
    test_loop_init(&loop);
    start = loop.now;
    target = (async_time)(start + span);
    nforder = 0;
    for (r = 0; r < 4; r++) {
        for (i = 0; i < NF; i++, n++) {
            assert_int_equal(async_call_at(&loop, &t[n], &c[n], target, cb_fifo, (void *)(intptr_t)n), 0);
            /* an earlier one, so that the loop has somewhere to go before the target */
            assert_int_equal(async_call_at(&loop, &e[n], &ce[n], (async_time)(loop.now + (async_time)(span / 8 / NF) * (async_time)(i + 1)),
                                           cb_fifo, (void *)(intptr_t)(1000 + n)),
                             0);
        }
        while (loop.timers && async_time_before(loop.timers->deadline, target) &&
               (async_time)(loop.timers->deadline - start) < (async_time)(span / 4 * (async_time)(r + 1)))
            async_loop_run_once(&loop);
    }
    while (loop.timers || loop.ready_head) async_loop_run_once(&loop);
    assert_int_equal(loop.now, target);
    for (i = 0, r = 0; i < nforder; i++) {
        if (forder[i] >= 1000) continue;
        assert_int_equal(forder[i], r); /* the shared deadline's timers in arming order */
        r++;
    }
    assert_int_equal(r, 4 * NF);
    test_loop_close(&loop);
}

/* 10^5 timers on every level, a third cancelled before and during the run,
 * each fired at its exact deadline (virtual clock), in order. */
enum { NB = 100000 };
static struct {
    async_timer *t;
    async_callback *c;
    async_time *when;
    unsigned char *cancelled;
    int last, nfired;
    async_loop *loop;
    unsigned rnd;
} B;
static unsigned brand(void) {
    B.rnd = B.rnd * 1103515245u + 12345u;
    return (B.rnd >> 8) & 0xffffffu;
}
static void cb_big(async_future *f, void *arg) {
    int i = (int)(intptr_t)arg, j;
    (void)f;
    assert_false(B.cancelled[i]);
    assert_int_equal(B.loop->now, B.when[i]);
    if (B.last >= 0) {
        async_time d = (async_time)(B.when[i] - B.when[B.last]);
        assert_true((ASYNC_STIME_T)d > 0 || (d == 0 && B.last < i));
    }
    B.last = i;
    B.nfired++;
    if (i % 5 == 0) {
        j = (int)(brand() % NB);
        if (async_timer_cancel(&B.t[j])) B.cancelled[j] = 1;
    }
}
static void test_many_timers_all_levels(void **state) {
    async_loop loop;
    int i, ncancel = 0, iters, bits = time_bits() - 2 < 46 ? time_bits() - 2 : 46;
    double w0;
    (void)state;
    B.t = (async_timer *)calloc(NB, sizeof *B.t);
    B.c = (async_callback *)calloc(NB, sizeof *B.c);
    B.when = (async_time *)calloc(NB, sizeof *B.when);
    B.cancelled = (unsigned char *)calloc(NB, 1);
    assert_non_null(B.t);
    assert_non_null(B.c);
    assert_non_null(B.when);
    assert_non_null(B.cancelled);
    B.rnd = 4242u;
    B.last = -1;
    B.nfired = 0;
    B.loop = &loop;
    test_loop_init(&loop);
    w0 = test_wall();
    for (i = 0; i < NB; i++) {
        int b = 1 + (int)(brand() % (unsigned)bits);
        mtime d = (((mtime)brand() << 24) ^ (mtime)brand()) & (((mtime)1 << b) - 1u);
        B.when[i] = (async_time)(loop.now + (async_time)(d + 1u));
        assert_int_equal(async_call_at(&loop, &B.t[i], &B.c[i], B.when[i], cb_big, (void *)(intptr_t)i), 0);
    }
    for (i = 0; i < NB / 4; i++) {
        int k = (int)(brand() % NB);
        if (async_timer_cancel(&B.t[k])) B.cancelled[k] = 1;
    }
    for (iters = 0; iters < 4 * NB && (loop.timers || loop.ready_head); iters++) async_loop_run_once(&loop);
    assert_null(loop.timers);
    for (i = 0; i < NB; i++) ncancel += B.cancelled[i];
    assert_int_equal(B.nfired + ncancel, NB);
    assert_true(ncancel > NB / 5);
    print_message("%d timers (%d cancelled) in %.3f s\n", NB, ncancel, test_wall() - w0);
    test_loop_close(&loop);
    free(B.t);
    free(B.c);
    free(B.when);
    free(B.cancelled);
}

/* A sleep on a timer that waits in the wheel (not in the heap) is still
 * refused as a timer in use; and memory of a loop re-initialised since is
 * not taken for an armed timer. */
struct sl {
    async_frame hdr;
    async_timer *t;
    async_time ticks;
    int err;
};
static ASYNC_FN(sl_co, struct sl) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS_CATCH(self->t, self->ticks, self->err);
    ASYNC_END();
}
static void test_sleep_on_wheel_timer_refused(void **state) {
    async_loop loop;
    async_task a, b;
    async_timer shared, early;
    async_callback cearly;
    struct sl fa, fb;
    async_time far = (async_time)((async_time)1 << (ASYNC_CONFIG_TIMER_SHIFT + 9));
    (void)state;
    if (sizeof(async_time) < 4) far = 20000;
    memset(&fa, 0, sizeof fa);
    memset(&fb, 0, sizeof fb);
    async_task_init(&a);
    async_task_init(&b);
    async_timer_init(&shared, NULL);
    test_loop_init(&loop);
    fa.t = fb.t = &shared;
    fa.ticks = 1;
    fb.ticks = far; /* b's timer: far out, in the wheel behind an earlier one in the heap */
    assert_int_equal(async_call_later(&loop, &early, &cearly, 2, cb_fifo, NULL), 0);
    async_task_create(&loop, &b, sl_co, &fb, "b");
    async_loop_run_once(&loop); /* b sleeps */
    async_task_create(&loop, &a, sl_co, &fa, "a");
    async_loop_run_once(&loop); /* a's sleep on the same timer */
    expect_misuse("still armed");
    assert_int_equal(fa.err, ASYNC_EBUSY);
    assert_true(async_future_done(&a.fut));
    /* the loop made new: the timer's flags still say armed, its links lead nowhere */
    test_loop_init(&loop);
    async_task_init(&a);
    memset(&fa, 0, sizeof fa);
    fa.t = &shared;
    fa.ticks = 1;
    async_task_create(&loop, &a, sl_co, &fa, "a");
    assert_int_equal(async_loop_run_until_complete(&loop, &a.fut), 0);
    assert_int_equal(fa.err, 0);
    expect_no_misuse();
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_model_from_zero),
        TEST(test_model_across_wrap),
        TEST(test_equal_deadlines_fifo_across_levels),
        TEST(test_many_timers_all_levels),
        TEST(test_sleep_on_wheel_timer_refused),
    };
    return TEST_RUN(tests);
}
