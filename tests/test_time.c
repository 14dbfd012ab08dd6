/* Time conversions and "no timeout" on every clock width: delays saturate at
 * the largest one deadlines can express (half the clock's range, since they
 * compare modulo wrap) instead of wrapping; no double is undefined behaviour;
 * "no deadline" is not a tick value, so a deadline on the clock's last tick
 * still fires. Built as is (64-bit ns) and, in tests/rules.mk, on the boards'
 * small clocks: 32-bit and 16-bit ticks at 1 kHz. */
#include "test_support.h"
#include <limits.h>
#include <math.h>

#define TPS ((async_time)ASYNC_TICKS_PER_SEC)

static void test_max_delay(void **state) {
    async_time all = (async_time)~(async_time)0;
    (void)state;
    assert_true(ASYNC_MAX_DELAY == (async_time)(all >> 1));
    /* the largest delay is still "in the future" modulo wrap */
    assert_true((ASYNC_STIME_T)(async_time)(ASYNC_MAX_DELAY - 0) > 0);
    assert_true((ASYNC_STIME_T)(async_time)(ASYNC_MAX_DELAY + 1) < 0);
}

static void test_ms_exact_or_saturated(void **state) {
    static const unsigned long ms[] = {0, 1, 999, 1000, 32767, 40000, 4294968ul, 5000000ul, 2147483647ul, ULONG_MAX};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        async_time got = async_ms(ms[i]);
        /* the exact tick count when it fits, else the largest delay */
        double exact = (double)ms[i] * (double)TPS / 1000.0;
        if (exact <= (double)ASYNC_MAX_DELAY * (1 - 1e-12)) {
            assert_true((double)got <= exact && (double)got > exact - 1.0 - exact * 1e-15);
        } else {
            assert_true(got == ASYNC_MAX_DELAY);
        }
    }
    if (TPS == 1000 && ASYNC_MAX_DELAY >= 5000000u) { /* the boards' 32-bit 1 kHz clock */
        assert_true(async_ms(4294968ul) == 4294968u); /* 72 minutes, not 0 */
        assert_true(async_ms(5000000ul) == 5000000u); /* not 705032 */
    }
    if (TPS == 1000 && ASYNC_MAX_DELAY == 32767u) { /* 16-bit ticks */
        assert_true(async_ms(40000) == 32767u);
        assert_true(async_ms(65536) == 32767u); /* not 0 */
    }
}

#if ASYNC_CONFIG_FLOAT
static void test_seconds_never_undefined(void **state) {
    volatile double zero = 0.0;
    (void)state;
    assert_true(async_seconds(zero / zero) == 0); /* NaN */
    assert_true(async_seconds(-1.0) == 0);
    assert_true(async_seconds(-HUGE_VAL) == 0);
    assert_true(async_seconds(HUGE_VAL) == ASYNC_MAX_DELAY);
    assert_true(async_seconds(1e300) == ASYNC_MAX_DELAY);
    assert_true(async_seconds(1.5) == TPS + TPS / 2);
    assert_true(async_seconds((double)ASYNC_MAX_DELAY / (double)TPS * 2.0) == ASYNC_MAX_DELAY);
}
#endif

/* A sleep longer than what the clock's width times ticks-per-ms holds. */
struct sleeper {
    async_frame hdr;
    async_timer t;
    unsigned long ms;
};
static ASYNC_FN(sleeper_co, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(self->ms));
    ASYNC_END();
}
static void test_long_sleep_is_long(void **state) {
    async_loop loop;
    async_task t;
    struct sleeper s;
    async_time t0;
    (void)state;
    async_task_init(&t);
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    memset(&s, 0, sizeof s);
    s.ms = 4294968ul;
    t0 = async_loop_time(&loop);
    async_task_create(&loop, &t, sleeper_co, &s, "sleeper");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_true(async_loop_time(&loop) - t0 == async_ms(s.ms));
    assert_true(async_ms(s.ms) > 0);
    test_loop_close(&loop);
}

/* A raw tick delay beyond half the clock's range saturates too (it used to
 * wrap to a deadline in the past and fire at once). */
struct huge {
    async_frame hdr;
    async_timer t;
};
static ASYNC_FN(huge_co, struct huge) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, (async_time)~(async_time)0 - 5);
    ASYNC_END();
}
static void test_huge_tick_delay_saturates(void **state) {
    async_loop loop;
    async_task t;
    static struct huge h;
    async_time t0;
    (void)state;
    async_task_init(&t);
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    async_task_create(&loop, &t, huge_co, &h, "huge");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_true((async_time)(async_loop_time(&loop) - t0) == ASYNC_MAX_DELAY);
    test_loop_close(&loop);
}

/* A deadline on the clock's last tick value (what ASYNC_NO_TIMEOUT used to be):
 * reach it by sleeping, then a scope ending there must still expire. */
struct edge {
    async_frame hdr;
    async_timer t;
    async_timeout to;
    async_time target, when;
    int err, has_deadline;
};
static ASYNC_FN(edge_co, struct edge) {
    ASYNC_BEGIN();
    self->target = (async_time)((async_time)~(async_time)0 - async_ms(100));
    while (async_loop_time(ASYNC_LOOP) != self->target) {
        self->when = (async_time)(self->target - async_loop_time(ASYNC_LOOP));
        ASYNC_SLEEP_TICKS(&self->t, self->when > ASYNC_MAX_DELAY ? ASYNC_MAX_DELAY : self->when);
    }
    async_timeout_at(&self->to, ASYNC_TASK, (async_time)(async_loop_time(ASYNC_LOOP) + async_ms(100)));
    self->has_deadline = async_timeout_when(&self->to, &self->when);
    async_timer_init(&self->t, ASYNC_LOOP);
    async_timer_start(&self->t, async_ms(200));
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    ASYNC_END();
}
static void test_deadline_on_last_tick(void **state) {
    async_loop loop;
    async_task t;
    struct edge e;
    (void)state;
    async_task_init(&t);
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    memset(&e, 0, sizeof e);
    async_task_create(&loop, &t, edge_co, &e, "edge");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(e.has_deadline, 1);
    assert_true(e.when == (async_time)~(async_time)0);
    assert_int_equal(e.err, ASYNC_ETIMEOUT);
    test_loop_close(&loop);
}

/* No deadline is a state of the scope, not a tick value. */
struct nodl {
    async_frame hdr;
    async_timer t;
    async_timeout to;
    async_time when;
    int err, has_before, has_after;
};
static ASYNC_FN(nodl_co, struct nodl) {
    ASYNC_BEGIN();
    async_timeout_after(&self->to, ASYNC_TASK, ASYNC_NO_TIMEOUT);
    self->has_before = async_timeout_when(&self->to, &self->when);
    async_timeout_reschedule(&self->to, (async_time)(async_loop_time(ASYNC_LOOP) + async_ms(5)));
    async_timeout_reschedule_none(&self->to);
    self->has_after = async_timeout_when(&self->to, &self->when);
    async_timer_init(&self->t, ASYNC_LOOP);
    async_timer_start(&self->t, async_ms(20));
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    ASYNC_END();
}
static void test_no_deadline(void **state) {
    async_loop loop;
    async_task t;
    struct nodl n;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    memset(&n, 0, sizeof n);
    async_task_create(&loop, &t, nodl_co, &n, "nodl");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(n.has_before, 0);
    assert_int_equal(n.has_after, 0);
    assert_int_equal(n.err, 0);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_max_delay),
        TEST(test_ms_exact_or_saturated),
#if ASYNC_CONFIG_FLOAT
        TEST(test_seconds_never_undefined),
#endif
        TEST(test_long_sleep_is_long),
        TEST(test_huge_tick_delay_saturates),
        TEST(test_deadline_on_last_tick),
        TEST(test_no_deadline),
    };
    return TEST_RUN(tests);
}
