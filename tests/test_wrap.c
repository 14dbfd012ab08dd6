/* The microcontroller configuration: a 32-bit tick counter at 1 kHz that wraps
 * (every 49.7 days), no floating point, no task info. Timers and sleeps that
 * straddle the wrap-around must keep their order and exact durations.
 * The clock arithmetic is the core's, so this runs on the virtual clock even
 * in the libev build of the tests (whose library uses 64-bit ns ticks). */
#undef TEST_BACKEND_EV
#define ASYNC_TIME_T uint32_t
#define ASYNC_STIME_T int32_t
#define ASYNC_TICKS_PER_SEC 1000
#define ASYNC_CONFIG_FLOAT 0
#define ASYNC_CONFIG_TASK_INFO 0
#include "test_support.h"

/* Start the virtual clock `before` ticks ahead of the wrap-around. */
static void loop_near_wrap(async_loop *loop, uint32_t before) {
    test_loop_init(loop);
    loop->vnow = (async_time)(0u - before);
    loop->now = loop->vnow;
}

struct sl {
    async_frame hdr;
    async_timer t;
    async_time ticks;
    int id;
};
static ASYNC_FN(sl_co, struct sl) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, self->ticks);
    rec("%d", self->id);
    ASYNC_SLEEP_TICKS(&self->t, self->ticks); /* a second sleep, all after the wrap */
    rec("%d'", self->id);
    ASYNC_END();
}

static void test_sleeps_across_wrap(void **state) {
    async_loop loop;
    async_task t[5];
    struct sl f[5];
    static const unsigned secs[5] = {8, 2, 10, 4, 6};
    async_time t0;
    int i;
    memset(t, 0, sizeof t);
    memset(f, 0, sizeof f);
    (void)state;
    assert_int_equal(sizeof(async_time), 4);
    loop_near_wrap(&loop, 5000); /* 5 s before the wrap */
    t0 = async_loop_time(&loop);
    for (i = 0; i < 5; i++) {
        f[i].ticks = async_ms(secs[i] * 1000u);
        f[i].id = (int)secs[i];
        async_task_create(&loop, &t[i], sl_co, &f[i], "s");
    }
    assert_int_equal(async_loop_run_until_complete(&loop, &t[2].fut), 0);
    assert_rec("2 4 2' 6 8 4' 10 6' 8' 10'");
    assert_int_equal((uint32_t)(async_loop_time(&loop) - t0), 20000u);
    assert_true(async_loop_time(&loop) < t0); /* the counter did wrap */
    test_loop_close(&loop);
}

/* Random deadlines on both sides of the wrap, with cancellations. */
enum { NW = 20000 };
static async_timer wt[NW];
static async_callback wc[NW];
static uint32_t wdue[NW]; /* deadline relative to the start */
static unsigned char wcancel[NW];
static int worder[NW], nw;
static void cb_w(async_future *f, void *arg) {
    (void)f;
    worder[nw++] = (int)(intptr_t)arg;
}
static void test_heap_across_wrap(void **state) {
    async_loop loop;
    async_time base;
    unsigned rnd = 12345u;
    int i, k, ncancel = 0;
    (void)state;
    loop_near_wrap(&loop, 30000);
    base = loop.now;
    nw = 0;
    memset(wcancel, 0, sizeof wcancel);
    for (i = 0; i < NW; i++) {
        rnd = rnd * 1103515245u + 12345u;
        wdue[i] = 1 + (rnd >> 8) % 60000u; /* up to 60 s: half of them after the wrap */
        assert_int_equal(async_call_at(&loop, &wt[i], &wc[i], base + wdue[i], cb_w, (void *)(intptr_t)i), 0);
    }
    for (i = 0; i < NW / 4; i++) {
        rnd = rnd * 1103515245u + 12345u;
        k = (int)((rnd >> 8) % NW);
        if (async_timer_cancel(&wt[k])) wcancel[k] = 1, ncancel++;
    }
    for (i = 0; i < 4 * NW && (loop.timers || loop.ready_head); i++) async_loop_run_once(&loop);
    assert_null(loop.timers);
    assert_int_equal(nw + ncancel, NW);
    for (i = 0; i < nw; i++) assert_false(wcancel[worder[i]]);
    for (i = 1; i < nw; i++) {
        int a = worder[i - 1], b = worder[i];
        assert_true(wdue[a] < wdue[b] || (wdue[a] == wdue[b] && a < b));
    }
    assert_int_equal((uint32_t)(loop.now - base), wdue[worder[nw - 1]]);
    test_loop_close(&loop);
}

/* Without task info the dump and where still answer, without details. */
static void test_no_task_info(void **state) {
    async_loop loop;
    async_task t;
    struct sl f = {0};
    test_buf out;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    f.ticks = 1;
    f.id = 1;
    async_task_create(&loop, &t, sl_co, &f, "named");
    assert_string_equal(async_task_name(&t), "task");
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_non_null(strstr(out.s, "ASYNC_CONFIG_TASK_INFO"));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("1 1'");
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_sleeps_across_wrap),
        TEST(test_heap_across_wrap),
        TEST(test_no_task_info),
    };
    return TEST_RUN(tests);
}
