/* sleep(0) ordering and timed sleeps, on the virtual clock and (short) on libev. */
#include "test_support.h"

struct y3 {
    async_frame hdr;
    const char *name;
    int i;
};
static ASYNC_FN(y3_co, struct y3) {
    ASYNC_BEGIN();
    for (self->i = 1; self->i <= 3; self->i++) {
        rec("%s%d", self->name, self->i);
        ASYNC_SLEEP0();
    }
    ASYNC_END();
}
static void test_sleep0_back_of_queue(void **state) {
    async_loop loop;
    async_task t[3];
    struct y3 f[3] = {{{0}, "a", 0}, {{0}, "b", 0}, {{0}, "c", 0}};
    int i;
    memset(t, 0, sizeof t);
    (void)state;
    test_loop_init(&loop);
    for (i = 0; i < 3; i++) async_task_create(&loop, &t[i], y3_co, &f[i], f[i].name);
    async_loop_run_once(&loop);
    assert_rec("a1 b1 c1"); /* a yielded task waits for the next iteration */
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_rec("a1 b1 c1 a2 b2 c2 a3 b3 c3");
    test_loop_close(&loop);
}

/* A task woken during the iteration queues behind one that yielded before. */
struct setter {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(setter_co, struct setter) {
    ASYNC_BEGIN();
    rec("set");
    async_future_set_result(self->f, async_none());
    ASYNC_END();
}
struct getter {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(getter_co, struct getter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f);
    rec("got");
    ASYNC_END();
}
static void test_sleep0_vs_wakeup_order(void **state) {
    async_loop loop;
    async_future f;
    async_task tg, ty, ts;
    struct getter g;
    struct y3 y = {{0}, "y", 0};
    struct setter s;
    async_task_init(&tg);
    async_task_init(&ty);
    async_task_init(&ts);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    g.f = s.f = &f;
    async_task_create(&loop, &tg, getter_co, &g, "g");
    async_loop_run_once(&loop); /* g parks */
    async_task_create(&loop, &ty, y3_co, &y, "y");
    async_task_create(&loop, &ts, setter_co, &s, "s");
    async_loop_run_once(&loop);
    assert_rec("y1 set");
    async_loop_run_once(&loop);
    assert_rec("y1 set y2 got");
    assert_int_equal(async_loop_run_until_complete(&loop, &ty.fut), 0);
    test_loop_close(&loop);
}

/* ---- timed sleeps ---------------------------------------------------------- */
struct sl {
    async_frame hdr;
    async_timer t;
    async_time ticks;
    const char *name;
};
static ASYNC_FN(sl_co, struct sl) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, self->ticks);
    rec("%s", self->name);
    ASYNC_END();
}

static void test_sleeps_wake_in_deadline_order(void **state) {
    async_loop loop;
    async_task t[4];
    struct sl f[4];
    static const unsigned ms[4] = {3, 1, 4, 2};
    static const char *names[4] = {"three", "one", "four", "two"};
    async_time t0;
    int i;
    memset(t, 0, sizeof t);
    memset(f, 0, sizeof f);
    (void)state;
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    for (i = 0; i < 4; i++) {
        f[i].ticks = async_ms(ms[i]);
        f[i].name = names[i];
        async_task_create(&loop, &t[i], sl_co, &f[i], names[i]);
    }
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_rec("one two three four");
    assert_true(async_loop_time(&loop) - t0 >= async_ms(4));
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) - t0 == async_ms(4));
    test_loop_close(&loop);
}

/* 12 simulated hours take (much) less than a second, and exactly 12 h of loop time. */
struct long_sleep {
    async_frame hdr;
    async_timer t;
    int i;
};
static ASYNC_FN(long_sleep_co, struct long_sleep) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 12; self->i++) ASYNC_SLEEP(&self->t, 3600.0);
    ASYNC_END();
}
static void test_virtual_twelve_hours(void **state) {
    async_loop loop;
    async_task t;
    struct long_sleep s = {0};
    async_time t0;
    double w0, wall;
    async_task_init(&t);
    (void)state;
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    w0 = test_wall();
    async_task_create(&loop, &t, long_sleep_co, &s, "long");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    wall = test_wall() - w0;
    assert_true(async_loop_time(&loop) - t0 == (async_time)12 * 3600 * ASYNC_TICKS_PER_SEC);
    assert_true(wall < 0.1);
    print_message("12 h of virtual sleep took %.1f us of wall time\n", wall * 1e6);
    test_loop_close(&loop);
}

/* Many concurrent sleepers in virtual time: the clock jumps, order is by deadline. */
static void test_virtual_many_sleepers(void **state) {
    enum { N = 1000 };
    async_loop loop;
    static async_task t[N];
    static struct sl f[N];
    static char names[N][16];
    async_time t0;
    int i;
    (void)state;
    TEST_NEED_VIRTUAL();
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    for (i = 0; i < N; i++) {
        /* deadlines N-1 .. 0 seconds: reverse creation order */
        f[i].ticks = async_seconds((double)(N - 1 - i));
        snprintf(names[i], sizeof names[i], "%d", N - 1 - i);
        f[i].name = names[i];
        async_task_create(&loop, &t[i], sl_co, &f[i], "s");
    }
    assert_int_equal(async_loop_run_until_complete(&loop, &t[0].fut), 0);
    assert_true(async_loop_time(&loop) - t0 == async_seconds(N - 1));
    assert_true(strncmp(test_rec.s, "0 1 2 3 4 5 6 7 8 9 10 ", 23) == 0);
    assert_non_null(strstr(test_rec.s, " 997 998 999"));
    test_loop_close(&loop);
}

/* asyncio: a delay <= 0 is sleep(0), a bare yield. The sleeper goes to the
 * back of the ready queue at once, so it runs on the next iteration ahead of a
 * task that yields after it (a timer due at once would wake it behind that one). */
static void test_sleep_zero_duration(void **state) {
    async_loop loop;
    async_task tz, ty;
    struct sl z = {0};
    struct y3 y = {{0}, "y", 0};
    async_time t0;
    async_task_init(&tz);
    async_task_init(&ty);
    (void)state;
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    z.ticks = 0;
    z.name = "z";
    async_task_create(&loop, &tz, sl_co, &z, "z");
    async_task_create(&loop, &ty, y3_co, &y, "y");
    async_loop_run_once(&loop);
    assert_rec("y1");
    async_loop_run_once(&loop);
    assert_rec("y1 z y2");
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == t0);
    assert_int_equal(async_loop_run_until_complete(&loop, &ty.fut), 0);
    test_loop_close(&loop);
}

/* sleep(0) interleaves exactly like ASYNC_SLEEP0 (asyncio's round robin). */
struct z3 {
    async_frame hdr;
    async_timer t;
    const char *name;
    int i;
};
static ASYNC_FN(z3_co, struct z3) {
    ASYNC_BEGIN();
    for (self->i = 1; self->i <= 3; self->i++) {
        rec("%s%d", self->name, self->i);
        ASYNC_SLEEP_TICKS(&self->t, 0);
    }
    ASYNC_END();
}
static void test_sleep_zero_round_robin(void **state) {
    async_loop loop;
    async_task tz, ty;
    struct z3 z;
    struct y3 y = {{0}, "y", 0};
    memset(&z, 0, sizeof z);
    z.name = "z";
    async_task_init(&tz);
    async_task_init(&ty);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &tz, z3_co, &z, "z");
    async_task_create(&loop, &ty, y3_co, &y, "y");
    assert_int_equal(async_loop_run_until_complete(&loop, &ty.fut), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tz.fut), 0);
    assert_rec("z1 y1 z2 y2 z3 y3");
    test_loop_close(&loop);
}

/* asyncio.sleep(delay, result): the await's value is result, for a timed
 * sleep and for sleep(0); a plain sleep's is none. */
struct slr {
    async_frame hdr;
    async_timer t;
    intptr_t got[3];
};
static ASYNC_FN(slr_co, struct slr) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS_RESULT(&self->t, async_ms(5), async_int(42));
    self->got[0] = ASYNC_VALUE.i;
    ASYNC_SLEEP_TICKS_RESULT(&self->t, 0, async_int(7));
    self->got[1] = ASYNC_VALUE.i;
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
    self->got[2] = ASYNC_VALUE.i;
    ASYNC_RETURN(async_int(self->got[0] + self->got[1]));
    ASYNC_END();
}
static void test_sleep_with_result(void **state) {
    async_loop loop;
    async_task t;
    struct slr f;
    memset(&f, 0, sizeof f);
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &t, slr_co, &f, "slr");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(f.got[0], 42);
    assert_int_equal(f.got[1], 7);
    assert_int_equal(f.got[2], 0);
    assert_int_equal(async_future_result(&t.fut).i, 49);
    test_loop_close(&loop);
}

/* A task cancelled while it yields in sleep(0) gets the cancellation there. */
static void test_sleep_zero_cancelled(void **state) {
    async_loop loop;
    async_task tz;
    struct sl z = {0};
    async_task_init(&tz);
    (void)state;
    test_loop_init(&loop);
    z.ticks = 0;
    z.name = "z";
    async_task_create(&loop, &tz, sl_co, &z, "z");
    async_loop_run_once(&loop);
    assert_true(async_task_cancel(&tz));
    assert_int_equal(async_loop_run_until_complete(&loop, &tz.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&tz.fut));
    assert_rec("");
    test_loop_close(&loop);
}

/* A timer awaited directly, and re-armed after it fired. */
struct rearm {
    async_frame hdr;
    async_timer t;
    int i;
};
static ASYNC_FN(rearm_co, struct rearm) {
    ASYNC_BEGIN();
    async_timer_init(&self->t, ASYNC_LOOP);
    for (self->i = 0; self->i < 3; self->i++) {
        assert_int_equal(async_timer_start(&self->t, async_ms(1)), 0);
        ASYNC_AWAIT(&self->t.fut);
        rec("tick%d", self->i);
    }
    ASYNC_END();
}
static void test_timer_awaited_and_rearmed(void **state) {
    async_loop loop;
    async_task t;
    struct rearm r = {0};
    async_time t0;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    t0 = async_loop_time(&loop);
    async_task_create(&loop, &t, rearm_co, &r, "r");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("tick0 tick1 tick2");
    assert_true(async_loop_time(&loop) - t0 >= async_ms(3));
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_sleep0_back_of_queue),
        TEST(test_sleep0_vs_wakeup_order),
        TEST(test_sleeps_wake_in_deadline_order),
        TEST(test_virtual_twelve_hours),
        TEST(test_virtual_many_sleepers),
        TEST(test_sleep_zero_duration),
        TEST(test_sleep_zero_round_robin),
        TEST(test_sleep_with_result),
        TEST(test_sleep_zero_cancelled),
        TEST(test_timer_awaited_and_rearmed),
    };
    return TEST_RUN(tests);
}
