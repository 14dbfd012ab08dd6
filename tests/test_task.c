/* Tasks: scheduling of the first step, names, where they are suspended,
 * results and errors through the task's future. */
#include "test_support.h"

struct body {
    async_frame hdr;
    const char *tag;
    async_future *f;
    int line; /* source line of the await (for async_task_where) */
    int ret, raise;
};
static ASYNC_FN(body_co, struct body) {
    ASYNC_BEGIN();
    rec("%s-start", self->tag);
    if (self->f) {
        self->line = __LINE__ + 1;
        ASYNC_AWAIT(self->f);
    }
    rec("%s-end", self->tag);
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(self->ret));
    ASYNC_END();
}

static void test_first_run_on_next_iteration(void **state) {
    async_loop loop;
    async_task t;
    struct body b = {{0}, "t", NULL, 0, 7, 0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    assert_int_equal(async_task_create(&loop, &t, body_co, &b, "t"), 0);
    assert_rec(""); /* not inside create */
    assert_false(async_future_done(&t.fut));
    async_loop_run_once(&loop);
    assert_rec("t-start t-end");
    assert_true(async_future_done(&t.fut));
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 7);
    test_loop_close(&loop);
}

/* Tasks created in the same iteration start in creation order; a task created
 * by a running task starts on the following iteration. */
struct spawner {
    async_frame hdr;
    async_task child;
    struct body cb;
};
static ASYNC_FN(spawner_co, struct spawner) {
    ASYNC_BEGIN();
    rec("spawner");
    self->cb.tag = "child";
    async_task_create(ASYNC_LOOP, &self->child, body_co, &self->cb, "child");
    rec("spawned");
    ASYNC_AWAIT(&self->child.fut);
    rec("joined%ld", (long)ASYNC_VALUE.i);
    ASYNC_END();
}
static void test_creation_order_and_child_start(void **state) {
    async_loop loop;
    async_task t1, t2, ts;
    struct body b1 = {{0}, "one", NULL, 0, 0, 0}, b2 = {{0}, "two", NULL, 0, 0, 0};
    struct spawner sp;
    async_task_init(&t1);
    async_task_init(&t2);
    async_task_init(&ts);
    (void)state;
    test_loop_init(&loop);
    memset(&sp, 0, sizeof sp);
    sp.cb.ret = 3;
    async_task_create(&loop, &ts, spawner_co, &sp, "spawner");
    async_task_create(&loop, &t1, body_co, &b1, "one");
    async_task_create(&loop, &t2, body_co, &b2, "two");
    async_loop_run_once(&loop);
    assert_rec("spawner spawned one-start one-end two-start two-end");
    async_loop_run_once(&loop);
    assert_rec("spawner spawned one-start one-end two-start two-end child-start child-end");
    assert_int_equal(async_loop_run_until_complete(&loop, &ts.fut), 0);
    assert_rec("spawner spawned one-start one-end two-start two-end child-start child-end joined3");
    test_loop_close(&loop);
}

static void test_names(void **state) {
    async_loop loop;
    async_task a, b;
    struct body fa = {{0}, "a", NULL, 0, 0, 0}, fb = {{0}, "b", NULL, 0, 0, 0};
    async_task_init(&a);
    async_task_init(&b);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    async_task_create(&loop, &a, body_co, &fa, "fetcher");
    async_task_create(&loop, &b, body_co, &fb, NULL);
    assert_string_equal(async_task_name(&a), "fetcher");
    assert_string_equal(async_task_name(&b), "task"); /* default name */
    assert_int_equal(async_loop_run_until_complete(&loop, &b.fut), 0);
    assert_string_equal(async_task_name(&a), "fetcher"); /* still known when done */
    test_loop_close(&loop);
}

static void test_where(void **state) {
    async_loop loop;
    async_task t;
    async_future f;
    struct body b = {{0}, "w", NULL, 0, 0, 0};
    char expect[256], wbuf[ASYNC_WHERE_SIZE];
    async_task_init(&t);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    b.f = &f;
    async_task_create(&loop, &t, body_co, &b, "w");
    assert_string_equal(async_task_where(&t, wbuf, sizeof wbuf), "not started");
    assert_int_equal(async_task_where_line(&t), 0);
    async_loop_run_once(&loop);
    snprintf(expect, sizeof expect, "%s:%d", __FILE__, b.line);
    assert_string_equal(async_task_where(&t, wbuf, sizeof wbuf), expect);
    assert_int_equal(async_task_where_line(&t), b.line);
    assert_string_equal(async_task_where_file(&t), __FILE__);
    /* truncated to fit, always terminated */
    assert_string_equal(async_task_where(&t, wbuf, 4), "tes");
    assert_string_equal(async_task_where(&t, wbuf, 1), "");
    assert_ptr_equal(async_task_waiting_on(&t), &f);
    async_future_set_result(&f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_string_equal(async_task_where(&t, wbuf, sizeof wbuf), "finished");
    assert_null(async_task_where_file(&t));
    assert_null(async_task_waiting_on(&t));
    test_loop_close(&loop);
}

/* where points into the innermost coroutine that suspended. */
struct deep {
    async_frame hdr;
    int line;
};
static ASYNC_FN(deep_co, struct deep) {
    ASYNC_BEGIN();
    self->line = __LINE__ + 1;
    ASYNC_SLEEP0();
    ASYNC_END();
}
struct shallow {
    async_frame hdr;
    struct deep d;
};
static ASYNC_FN(shallow_co, struct shallow) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CO(deep_co, &self->d);
    ASYNC_END();
}
static void test_where_nested(void **state) {
    async_loop loop;
    async_task t;
    struct shallow s;
    char expect[256], wbuf[ASYNC_WHERE_SIZE];
    async_task_init(&t);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    async_task_create(&loop, &t, shallow_co, &s, "s");
    async_loop_run_once(&loop);
    snprintf(expect, sizeof expect, "%s:%d", __FILE__, s.d.line);
    assert_string_equal(async_task_where(&t, wbuf, sizeof wbuf), expect);
    assert_null(async_task_waiting_on(&t)); /* a yield waits on nothing: it is ready */
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    test_loop_close(&loop);
}

static void test_result_and_error_via_future(void **state) {
    async_loop loop;
    async_task ok, bad;
    struct body bo = {{0}, "ok", NULL, 0, 99, 0}, bb = {{0}, "bad", NULL, 0, 0, 17};
    async_task_init(&ok);
    async_task_init(&bad);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &ok, body_co, &bo, "ok");
    async_task_create(&loop, &bad, body_co, &bb, "bad");
    assert_int_equal(async_loop_run_until_complete(&loop, &ok.fut), 0);
    assert_int_equal(async_future_result(&ok.fut).i, 99);
    assert_int_equal(async_loop_run_until_complete(&loop, &bad.fut), 17);
    assert_true(async_future_done(&bad.fut));
    assert_false(async_future_cancelled(&bad.fut));
    assert_int_equal(async_future_error(&bad.fut), 17);
    /* a task's future is completed by its coroutine only */
    assert_int_equal(async_future_set_result(&ok.fut, async_int(1)), ASYNC_EINVALSTATE);
    test_loop_close(&loop);
}

/* A task's future cannot be completed by hand while it runs either. */
static void test_task_future_not_settable(void **state) {
    async_loop loop;
    async_task t;
    async_future f;
    struct body b = {{0}, "t", NULL, 0, 5, 0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    b.f = &f;
    async_task_create(&loop, &t, body_co, &b, "t");
    async_loop_run_once(&loop);
    assert_int_equal(async_future_set_result(&t.fut, async_int(1)), ASYNC_EINVALSTATE);
    assert_int_equal(async_future_set_error(&t.fut, 3), ASYNC_EINVALSTATE);
    assert_false(async_future_done(&t.fut));
    async_future_set_result(&f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 5);
    test_loop_close(&loop);
}

/* Done callbacks on a task fire when it finishes; current_task inside a step. */
static async_task *seen_current;
struct cur {
    async_frame hdr;
};
static ASYNC_FN(cur_co, struct cur) {
    ASYNC_BEGIN();
    seen_current = async_current_task(ASYNC_LOOP);
    assert_ptr_equal(ASYNC_TASK, seen_current);
    ASYNC_END();
}
static void cb_task_done(async_future *f, void *arg) {
    rec("done:%s", async_task_name((async_task *)arg));
    assert_ptr_equal(f, &((async_task *)arg)->fut);
}
static void test_current_task_and_done_callback(void **state) {
    async_loop loop;
    async_task t;
    struct cur c;
    async_callback cb;
    async_task_init(&t);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    seen_current = NULL;
    async_task_create(&loop, &t, cur_co, &c, "cur");
    async_future_add_done_callback(&t.fut, &cb, cb_task_done, &t);
    assert_null(async_current_task(&loop));
    async_loop_run_once(&loop);
    assert_ptr_equal(seen_current, &t);
    assert_null(async_current_task(&loop));
    assert_rec("");
    async_loop_run_once(&loop);
    assert_rec("done:cur");
    test_loop_close(&loop);
}

/* A task whose frame is reused after it finished runs again from the top. */
static void test_task_reuse_after_done(void **state) {
    async_loop loop;
    async_task t;
    struct body b = {{0}, "r", NULL, 0, 1, 0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    async_task_create(&loop, &t, body_co, &b, "r");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    b.ret = 2;
    assert_int_equal(async_task_create(&loop, &t, body_co, &b, "r"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 2);
    assert_rec("r-start r-end r-start r-end");
    test_loop_close(&loop);
}

/* A finished task created again starts from nothing of its last life: a body
 * that returns nothing has none as its result (not the last life's value),
 * the last life's awaiter and done callback do not run again, and an error of
 * the last life is gone. */
static int reuse_calls;
static void reuse_cb(async_future *f, void *arg) {
    (void)f;
    (void)arg;
    reuse_calls++;
}
struct quiet {
    async_frame hdr;
    int raise;
};
static ASYNC_FN(quiet_co, struct quiet) {
    ASYNC_BEGIN();
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_END();
}
struct joiner {
    async_frame hdr;
    async_task *t;
    long got;
};
static ASYNC_FN(joiner_co, struct joiner) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(&self->t->fut);
    self->got = (long)ASYNC_VALUE.i;
    ASYNC_END();
}
static void test_task_reuse_starts_clean(void **state) {
    async_loop loop;
    async_task t, tj;
    async_callback cb;
    async_future f;
    struct body b = {{0}, "c", NULL, 0, 42, 0};
    struct quiet q = {{0}, 0};
    struct joiner j = {{0}, NULL, 0};
    (void)state;
    async_task_init(&t);
    async_task_init(&tj);
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    reuse_calls = 0;
    b.f = &f;
    j.t = &t;
    async_task_create(&loop, &t, body_co, &b, "c");
    async_task_create(&loop, &tj, joiner_co, &j, "j");
    async_future_add_done_callback(&t.fut, &cb, reuse_cb, NULL);
    async_loop_run_once(&loop); /* t waits on f, tj on t */
    async_future_set_result(&f, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &tj.fut), 0);
    assert_int_equal(j.got, 42);
    assert_int_equal(reuse_calls, 1);
    /* second life: returns nothing, nobody waits */
    assert_int_equal(async_task_create(&loop, &t, quiet_co, &q, "c"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_null(async_future_result(&t.fut).p);
    assert_int_equal(async_future_result(&t.fut).i, 0);
    assert_int_equal(reuse_calls, 1);
    /* third life fails, fourth succeeds: the error does not stay */
    q.raise = 5;
    assert_int_equal(async_task_create(&loop, &t, quiet_co, &q, "c"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 5);
    q.raise = 0;
    assert_int_equal(async_task_create(&loop, &t, quiet_co, &q, "c"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_error(&t.fut), 0);
    assert_int_equal(reuse_calls, 1);
    assert_rec("c-start c-end");
    test_loop_close(&loop);
}

/* Once resumed from an await, a running task is not parked on anything, even
 * though its value slot now holds the await's result (here an integer that
 * is no future): async_task_waiting_on says NULL, and a cancel of itself
 * reaches its next suspension (it must not treat that result as the future
 * to cancel). Then parked again, it reports the new future. */
struct resumed {
    async_frame hdr;
    async_future *first, *second;
    async_future *seen_running;
    int err;
};
static ASYNC_FN(resumed_co, struct resumed) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->first); /* result 12345: not a pointer */
    self->seen_running = async_task_waiting_on(ASYNC_TASK);
    assert_int_equal(async_task_cancel(ASYNC_TASK), 1);
    assert_int_equal(async_task_cancelling(ASYNC_TASK), 1);
    ASYNC_AWAIT_CATCH(self->second, self->err);
    ASYNC_END();
}
/* Memory that is not a running task but not clean either (a stack slot, a
 * recycled buffer): create sets all it needs, as async_future_init would, so
 * nothing of the old bytes is followed (a stale waiter list would be). */
static long first_value_seen;
static async_status first_value_co(async_ctx *ctx, void *frame) { /* written by hand */
    (void)frame;
    first_value_seen = (long)ctx->value.i; /* what the task's value is before the body sets it */
    ctx->value = async_int(42);
    return ASYNC_DONE;
}
static void test_create_on_dirty_memory(void **state) {
    async_loop loop;
    async_task t;
    async_frame hf;
    struct quiet q = {{0}, 0};
    (void)state;
    memset(&t, 0xA5, sizeof t); /* state 0xA5: not a task that runs */
    test_loop_init(&loop);
    assert_int_equal(async_task_create(&loop, &t, quiet_co, &q, "dirty"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_error(&t.fut), 0);
    /* a body reads none as its value at its start, in a dirty task and in
     * one created again over a finished one (whose result was 42) */
    memset(&t, 0xA5, sizeof t);
    first_value_seen = -1;
    assert_int_equal(async_task_create(&loop, &t, first_value_co, &hf, "hand"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(first_value_seen, 0);
    first_value_seen = -1;
    assert_int_equal(async_task_create(&loop, &t, first_value_co, &hf, "hand"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(first_value_seen, 0);
    assert_int_equal(async_future_result(&t.fut).i, 42);
    test_loop_close(&loop);
}

static void test_running_task_is_not_parked(void **state) {
    async_loop loop;
    async_task t;
    async_future a, b;
    struct resumed r;
    (void)state;
    memset(&r, 0, sizeof r);
    async_task_init(&t);
    test_loop_init(&loop);
    async_future_init(&a, &loop);
    async_future_init(&b, &loop);
    r.first = &a;
    r.second = &b;
    r.seen_running = &a;
    async_task_create(&loop, &t, resumed_co, &r, "resumed");
    async_loop_run_once(&loop);
    assert_ptr_equal(async_task_waiting_on(&t), &a);
    async_future_set_result(&a, async_int(12345));
    assert_ptr_equal(async_task_waiting_on(&t), &a); /* woken, not yet run */
    async_loop_run_once(&loop);
    assert_null(r.seen_running);
    /* the cancel went to what it awaits next: b is cancelled, the task is not yet */
    assert_true(async_future_cancelled(&b));
    assert_false(async_future_done(&t.fut));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(r.err, ASYNC_ECANCELLED);
    test_loop_close(&loop);
}

/* A trace hook at a step's end (a watchdog, a dump) sees the step over: the
 * task is not parked on what it awaited before, nor on its new value, while
 * the loop has not yet added it to the new future's waiters. A cancel from
 * the hook then reaches the task (here: ends it cancelled), and waiting_on
 * never reads a yielded value as a future. */
struct two_awaits { async_frame hdr; async_future *f1, *f2, *f3; };
static ASYNC_FN(two_awaits_co, struct two_awaits) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(self->f1);
    ASYNC_YIELD(async_int(0x1234)); /* right after a park */
    ASYNC_AWAIT(self->f3);
    ASYNC_AWAIT(self->f2); /* right after a park */
    ASYNC_END();
}
static int end_steps, cancels_from_hook;
static async_future *seen_waiting[5], *hook_f3;
static void watchdog(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop, (void)ud, (void)s;
    if (ev != ASYNC_TRACE_STEP_END || end_steps >= 5) return;
    seen_waiting[end_steps++] = async_task_waiting_on(t);
    if (end_steps == 3) async_future_set_result(hook_f3, async_none());
    if (end_steps == 4) cancels_from_hook += async_task_cancel(t); /* parks on f2 next */
}
static void test_step_end_hook_sees_step_over(void **state) {
    async_loop loop;
    async_task t;
    async_future f1, f2, f3;
    struct two_awaits fr;
    (void)state;
    fr.f1 = &f1;
    fr.f2 = &f2;
    fr.f3 = hook_f3 = &f3;
    async_frame_reset(&fr);
    test_loop_init(&loop);
    async_future_init(&f1, &loop);
    async_future_init(&f2, &loop);
    async_future_init(&f3, &loop);
    async_task_init(&t);
    async_task_create(&loop, &t, two_awaits_co, &fr, "watched");
    async_loop_set_trace(&loop, watchdog, NULL);
    async_loop_run_once(&loop);
    async_future_set_result(&f1, async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_int_equal(cancels_from_hook, 1);
    assert_true(async_future_cancelled(&t.fut));
    assert_true(async_future_cancelled(&f2)); /* the request went on to what it awaited */
    assert_int_equal(end_steps, 5);
    assert_null(seen_waiting[0]);
    assert_null(seen_waiting[1]);
    assert_null(seen_waiting[2]);
    assert_null(seen_waiting[3]);
    test_loop_close(&loop);
}

/* A hook at one task's step end cancels another task that awaits the first:
 * the awaiter is parked on the hooked task's future all along (its hook
 * mark is the hooked task's own), so the request goes on to that task (as
 * asyncio: task.cancel() cancels its _fut_waiter), which ends cancelled, and
 * then the awaiter does. */
struct awaits_task { async_frame hdr; async_task *on; };
static ASYNC_FN(awaits_task_co, struct awaits_task) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(&self->on->fut);
    ASYNC_END();
}
static async_task *hook_awaiter, *hook_watched;
static async_future *hook_seen;
static int hook_fired;
static void cancel_awaiter(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop, (void)ud, (void)s;
    if (ev != ASYNC_TRACE_STEP_END || t != hook_watched || hook_fired) return;
    hook_fired = 1;
    hook_seen = async_task_waiting_on(hook_awaiter);
    assert_int_equal(async_task_cancel(hook_awaiter), 1);
}
static void test_step_end_hook_cancels_an_awaiter(void **state) {
    async_loop loop;
    async_task a, b;
    async_future f1, g;
    struct two_awaits bf;
    struct awaits_task af;
    (void)state;
    test_loop_init(&loop);
    async_future_init(&f1, &loop);
    async_future_init(&g, &loop);
    bf.f1 = &f1;
    bf.f2 = &g;
    bf.f3 = &g;
    af.on = &b;
    async_task_init(&a);
    async_task_init(&b);
    async_task_create(&loop, &b, two_awaits_co, &bf, "watched");
    async_task_create(&loop, &a, awaits_task_co, &af, "awaiter");
    async_loop_run_once(&loop); /* b parks on f1, a on b */
    assert_ptr_equal(async_task_waiting_on(&a), &b.fut);
    hook_awaiter = &a;
    hook_watched = &b;
    hook_fired = 0;
    hook_seen = NULL;
    async_future_set_result(&f1, async_none());
    async_loop_set_trace(&loop, cancel_awaiter, NULL);
    async_loop_run_once(&loop); /* b's step: yields; the hook cancels a */
    async_loop_set_trace(&loop, NULL, NULL);
    assert_int_equal(hook_fired, 1);
    assert_ptr_equal(hook_seen, &b.fut);
    assert_int_equal(async_loop_run_until_complete(&loop, &a.fut), ASYNC_ECANCELLED);
    assert_true(async_future_cancelled(&b.fut));
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_first_run_on_next_iteration),
        TEST(test_creation_order_and_child_start),
        TEST(test_names),
        TEST(test_where),
        TEST(test_where_nested),
        TEST(test_result_and_error_via_future),
        TEST(test_task_future_not_settable),
        TEST(test_current_task_and_done_callback),
        TEST(test_task_reuse_after_done),
        TEST(test_task_reuse_starts_clean),
        TEST(test_create_on_dirty_memory),
        TEST(test_running_task_is_not_parked),
        TEST(test_step_end_hook_sees_step_over),
        TEST(test_step_end_hook_cancels_an_awaiter),
    };
    return TEST_RUN(tests);
}
