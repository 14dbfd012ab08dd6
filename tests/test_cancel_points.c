/* Cancelling a scenario at every one of its suspension points, one run per
 * point, leaves nothing behind: every FINALLY runs once, every resource taken
 * is released, no timer stays armed, no task stays alive (DESIGN.md section 9).
 * The scenario mixes nested coroutines, child tasks, sleeps, plain futures and
 * call_later; the sanitizer build checks that no memory is misused. */
#include "test_support.h"

static int acquired; /* resources held right now */
static int begun;    /* coroutine bodies entered */
static int finished; /* FINALLY sections run */

struct leaf {
    async_frame hdr;
    async_timer t;
    async_future *f; /* awaited if set */
};
static ASYNC_FN(leaf_co, struct leaf) {
    ASYNC_BEGIN();
    begun++;
    acquired++;
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
    if (self->f) ASYNC_AWAIT(self->f);
    ASYNC_SLEEP0();
    ASYNC_FINALLY();
    acquired--;
    finished++;
    ASYNC_END();
}

/* Completes *f after 2 ms (if nobody did before). */
struct helper {
    async_frame hdr;
    async_timer t;
    async_future *f;
};
static ASYNC_FN(helper_co, struct helper) {
    ASYNC_BEGIN();
    begun++;
    ASYNC_SLEEP_TICKS(&self->t, async_ms(2));
    (void)async_future_set_result(self->f, async_int(1)); /* may be cancelled already */
    ASYNC_FINALLY();
    finished++;
    ASYNC_END();
}

struct inner {
    async_frame hdr;
    struct leaf l;
};
static ASYNC_FN(inner_co, struct inner) {
    ASYNC_BEGIN();
    begun++;
    acquired++;
    self->l.f = NULL;
    ASYNC_AWAIT_CO(leaf_co, &self->l);
    ASYNC_SLEEP0();
    ASYNC_FINALLY();
    acquired--;
    finished++;
    ASYNC_END();
}

static void cb_complete(async_future *timer_fut, void *arg) {
    (void)timer_fut;
    (void)async_future_set_result((async_future *)arg, async_int(2));
}

struct scenario {
    async_frame hdr;
    async_future f1, f2;
    async_task th, ti;
    struct helper h;
    struct inner in;
    struct leaf l1, l2;
    async_timer later;
    async_callback later_cb;
    int swallow; /* FINALLY swallows the cancellation */
};
static ASYNC_FN(scenario_co, struct scenario) {
    ASYNC_BEGIN();
    begun++;
    acquired++;
    async_timer_init(&self->later, ASYNC_LOOP);
    async_future_init(&self->f1, ASYNC_LOOP);
    async_future_init(&self->f2, ASYNC_LOOP);
    self->h.f = &self->f1;
    async_task_create(ASYNC_LOOP, &self->th, helper_co, &self->h, "helper");
    self->l1.f = &self->f1;
    ASYNC_AWAIT_CO(leaf_co, &self->l1);
    async_task_create(ASYNC_LOOP, &self->ti, inner_co, &self->in, "inner");
    ASYNC_AWAIT(&self->ti.fut);
    async_call_later(ASYNC_LOOP, &self->later, &self->later_cb, async_ms(1), cb_complete, &self->f2);
    ASYNC_AWAIT(&self->f2);
    self->l2.f = NULL;
    ASYNC_AWAIT_CO(leaf_co, &self->l2);
    ASYNC_RETURN(async_int(100));
    ASYNC_FINALLY();
    async_timer_cancel(&self->later); /* a pending call_later is ours to cancel */
    acquired--;
    finished++;
    if (self->swallow && ASYNC_ERROR == ASYNC_ECANCELLED) ASYNC_ERROR = 0;
    ASYNC_END();
}

/* Steps of the scenario task that ended in a suspension. */
static async_task *watched;
static int suspensions;
static void count_suspensions(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop, (void)ud;
    if (ev == ASYNC_TRACE_STEP_END && t == watched && (s == ASYNC_AWAITING || s == ASYNC_YIELDED)) suspensions++;
}

/* Runs the scenario, cancelling it once it has suspended `at` times (0: never).
 * Returns the scenario's outcome. */
static int run_scenario(int at, int swallow, int *n_susp) {
    async_loop loop;
    async_task t;
    static struct scenario s;
    int i, r, cancelled = 0;
    async_task_init(&t);
    memset(&s, 0, sizeof s);
    s.swallow = swallow;
    acquired = begun = finished = 0;
    suspensions = 0;
    test_loop_init(&loop);
    watched = &t;
    async_loop_set_trace(&loop, count_suspensions, NULL);
    async_task_create(&loop, &t, scenario_co, &s, "scenario");
    for (i = 0; i < 10000 && !async_future_done(&t.fut); i++) {
        if (at && !cancelled && suspensions >= at) {
            assert_int_equal(async_task_cancel(&t), 1);
            cancelled = 1;
        }
        loop.running = 1;
        r = async_loop_run_once(&loop);
        loop.running = 0;
        assert_int_equal(r, 0);
    }
    assert_true(async_future_done(&t.fut));
    r = async_future_error(&t.fut);
    if (n_susp) *n_susp = suspensions;
    /* what the scenario left running is cancelled, as asyncio.run does */
    async_loop_cancel_all(&loop);
    for (i = 0; i < 100 && (loop.ready_head || loop.timers); i++) {
        loop.running = 1;
        (void)async_loop_run_once(&loop);
        loop.running = 0;
    }
    /* invariants */
#if ASYNC_CONFIG_TASK_INFO
    assert_ptr_equal(loop.live.next, &loop.live); /* no live task left */
    assert_ptr_equal(loop.live.prev, &loop.live);
#endif
    assert_null(loop.timers);
    assert_null(loop.ready_head);
    assert_int_equal(acquired, 0);
    assert_int_equal(finished, begun);
    assert_true(async_future_done(&s.th.fut));
    expect_no_misuse();
    test_loop_close(&loop);
    return r;
}

static void test_cancel_at_every_point(void **state) {
    int n, k, r;
    (void)state;
    r = run_scenario(0, 0, &n);
    assert_int_equal(r, 0);
    assert_int_equal(n, 7); /* l1: sleep, f1, sleep0; inner task; f2; l2: sleep, sleep0 */
    print_message("scenario suspends %d times; cancelling at each\n", n);
    for (k = 1; k <= n; k++) {
        r = run_scenario(k, 0, NULL);
        assert_int_equal(r, ASYNC_ECANCELLED);
    }
}

static void test_cancel_at_every_point_swallowed(void **state) {
    int n, k, r;
    (void)state;
    r = run_scenario(0, 1, &n);
    assert_int_equal(r, 0);
    for (k = 1; k <= n; k++) {
        r = run_scenario(k, 1, NULL);
        assert_int_equal(r, 0); /* ended normally: the cancellation was swallowed */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_cancel_at_every_point),
        TEST(test_cancel_at_every_point_swallowed),
    };
    return TEST_RUN(tests);
}
