/* rt_loop.c — the libev backend itself: real sleeps, call_later/call_at,
 * run_forever/stop, deadlock detection, asyncio.run, debug mode warnings. */
#include "rt_common.h"

struct sleep_main { async_frame hdr; async_timer t; double t0, dt; };
static ASYNC_FN(sleep_main, struct sleep_main) {
    ASYNC_BEGIN();
    /* t0 is taken before the loop starts: a sleep counts from the loop's
     * iteration time (libev's ev_now), which may be earlier than this step */
    ASYNC_SLEEP(&self->t, 0.05);
    self->dt = rt_wall() - self->t0;
    ASYNC_RETURN(async_int(42));
    ASYNC_END();
}
static void test_sleep_and_run(void **st) {
    struct sleep_main m;
    async_value v;
    (void)st;
    memset(&m, 0, sizeof m);
    m.t0 = rt_wall();
    assert_int_equal(async_rt_run(sleep_main, &m, &v), 0);
    assert_int_equal(v.i, 42);
    assert_true(m.dt >= 0.049); /* how late depends on the load: no upper bound */
}

static int g_calls;
static void note(async_future *f, void *arg) {
    (void)f;
    g_calls += (int)(intptr_t)arg;
    if (g_calls == 111) async_loop_stop(f->loop);
}
static void test_call_later_run_forever(void **st) {
    async_loop loop;
    async_timer t1, t2;
    async_callback c1, c2, c0;
    double t0;
    (void)st;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    g_calls = 0;
    t0 = rt_wall(); /* before the deadline is computed (arming may take a while under valgrind) */
    async_call_soon(&loop, &c0, (async_callback_fn)note, (void *)1);
    async_call_later(&loop, &t1, &c1, async_ms(20), note, (void *)10);
    async_call_at(&loop, &t2, &c2, async_loop_time(&loop) + async_ms(40), note, (void *)100);
    assert_int_equal(async_loop_run_forever(&loop), 0); /* stopped by the third call */
    assert_int_equal(g_calls, 111);
    assert_true(rt_wall() - t0 >= 0.039);
    async_rt_loop_close(&loop);
}

/* Awaiting a future that nothing can complete: ASYNC_EDEADLOCK, not a hang. */
struct dl_main { async_frame hdr; async_future f; };
static ASYNC_FN(dl_main, struct dl_main) {
    ASYNC_BEGIN();
    async_future_init(&self->f, ASYNC_LOOP);
    ASYNC_AWAIT(&self->f);
    ASYNC_END();
}
static void test_deadlock(void **st) {
    struct dl_main m;
    async_loop loop;
    async_task t;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    memset(&m, 0, sizeof m);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    alarm(20); /* a hang dies here; how fast the report comes depends on the load */
    assert_int_equal(async_run(&loop, &t, dl_main, &m), ASYNC_EDEADLOCK);
    alarm(0);
    async_rt_loop_close(&loop);
}

/* Debug mode: a greedy step, an unretrieved error, a task left pending. */
static char g_log[4096];
static void sink(void *ud, const char *line) {
    (void)ud;
    strncat(g_log, line, sizeof g_log - strlen(g_log) - 2);
    strcat(g_log, "\n");
}
struct greedy { async_frame hdr; async_timer t; };
static ASYNC_FN(greedy, struct greedy) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 0.001);
    {
        double t0 = rt_wall();
        while (rt_wall() - t0 < 0.06) {
        }
    }
    ASYNC_SLEEP(&self->t, 0.001);
    ASYNC_END();
}
static ASYNC_FN(failing, struct greedy) {
    ASYNC_BEGIN();
    ASYNC_RAISE(EIO);
    ASYNC_END();
}
static ASYNC_FN(forever, struct greedy) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 3600);
    ASYNC_END();
}
struct dbg_main { async_frame hdr; async_task a, b, c; struct greedy fa, fb, fc; async_timer t; };
static ASYNC_FN(dbg_main, struct dbg_main) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->a, greedy, &self->fa, "greedy");
    async_task_create(ASYNC_LOOP, &self->b, failing, &self->fb, "failing");
    async_task_create(ASYNC_LOOP, &self->c, forever, &self->fc, "forever");
    ASYNC_AWAIT(&self->a.fut);
    ASYNC_END();
}
static void test_debug_mode(void **st) {
    async_loop loop;
    async_task t;
    struct dbg_main m;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    memset(&m, 0, sizeof m);
    g_log[0] = 0;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_debug(&loop, 0.03);
    async_rt_set_debug_sink(&loop, sink, NULL);
    assert_int_equal(async_loop_run_until_complete(&loop, (async_task_create(&loop, &t, dbg_main, &m, "main"), &t.fut)), 0);
    async_rt_loop_close(&loop); /* "forever" is still pending */
    fprintf(stderr, "%s", g_log);
    assert_non_null(strstr(g_log, "slow step: task 'greedy' held the loop"));
    assert_non_null(strstr(g_log, "rt_loop.c:"));
    assert_non_null(strstr(g_log, "task 'failing' failed with error 5"));
    assert_non_null(strstr(g_log, "task 'forever' destroyed while pending"));
    assert_null(strstr(g_log, "task 'main'"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_sleep_and_run), RT_TEST(test_call_later_run_forever), RT_TEST(test_deadlock),
        RT_TEST(test_debug_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
