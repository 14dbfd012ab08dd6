/* Cancellation as in asyncio 3.11: cancel(msg) reaches the code that catches
 * the cancellation and the cancelled future; Task.cancelling() counts the
 * pending requests and uncancel() withdraws one. */
#include "test_support.h"

/* A task's cancel message is kept with its debug info: a lean build
 * (ASYNC_CONFIG_TASK_INFO=0) reads NULL where the message would be. */
#if ASYNC_CONFIG_TASK_INFO
#define assert_task_msg(got, want) assert_string_equal((got), (want))
#else
#define assert_task_msg(got, want) assert_null(got)
#endif

#define TICK async_ms(10)

struct victim {
    ASYNC_TRY_FRAME(1);
    async_timer t;
    async_future *wait_on;
    const char *seen;
    unsigned seen_count, left;
    int swallow, body_ran;
};
static ASYNC_FN(victim_co, struct victim) {
    ASYNC_BEGIN();
    self->body_ran = 1;
    ASYNC_TRY {
        if (self->wait_on) ASYNC_AWAIT(self->wait_on);
        else ASYNC_SLEEP_TICKS(&self->t, 100 * TICK);
    } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
        self->seen = ASYNC_CANCEL_MESSAGE;
        self->seen_count = async_task_cancelling(ASYNC_TASK);
        if (!self->swallow) ASYNC_RERAISE();
        self->left = async_task_uncancel(ASYNC_TASK); /* 3.11: a task that swallows its cancel withdraws it */
    } ASYNC_END_TRY;
    ASYNC_RETURN(async_int(5));
    ASYNC_END();
}

struct killer {
    async_frame hdr;
    async_timer t;
    async_task *task;
    async_future *fut;
    const char *msg;
};
static ASYNC_FN(killer_co, struct killer) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, TICK);
    if (self->task) async_task_cancel_msg(self->task, self->msg);
    if (self->fut) async_future_cancel_msg(self->fut, self->msg);
    ASYNC_END();
}

struct world {
    async_loop loop;
    async_task vt, kt;
    struct victim v;
    struct killer k;
};
static void world_start(struct world *w) {
    memset(&w->v, 0, sizeof w->v);
    memset(&w->k, 0, sizeof w->k);
    async_task_init(&w->vt);
    async_task_init(&w->kt);
    test_loop_init(&w->loop);
}
static int world_run(struct world *w) {
    async_task_create(&w->loop, &w->vt, victim_co, &w->v, "victim");
    async_task_create(&w->loop, &w->kt, killer_co, &w->k, "killer");
    return async_loop_run_until_complete(&w->loop, &w->vt.fut);
}

/* The message reaches the except block and the task's future. */
static void test_task_message(void **state) {
    struct world w;
    (void)state;
    world_start(&w);
    w.k.task = &w.vt;
    w.k.msg = "shutting down";
    assert_int_equal(world_run(&w), ASYNC_ECANCELLED);
    assert_task_msg(w.v.seen, "shutting down");
    assert_int_equal(w.v.seen_count, 1);
    assert_true(async_future_cancelled(&w.vt.fut));
    assert_task_msg(async_future_cancel_message(&w.vt.fut), "shutting down");
    test_loop_close(&w.loop);
}

/* A plain future cancelled with a message: the task awaiting it catches that
 * message (asyncio: the CancelledError comes from the future); the task
 * itself was never asked to cancel. */
static void test_future_message(void **state) {
    struct world w;
    async_future f;
    (void)state;
    world_start(&w);
    async_future_init(&f, &w.loop);
    assert_null(async_future_cancel_message(&f)); /* pending */
    w.v.wait_on = &f;
    w.v.swallow = 1;
    w.k.fut = &f;
    w.k.msg = "no reply";
    assert_int_equal(world_run(&w), 0);
    assert_task_msg(w.v.seen, "no reply");
    assert_int_equal(w.v.seen_count, 0);
    assert_string_equal(async_future_cancel_message(&f), "no reply");
    assert_int_equal(async_future_result(&w.vt.fut).i, 5);
    test_loop_close(&w.loop);
}

/* Without a message: NULL everywhere. */
static void test_no_message(void **state) {
    struct world w;
    async_future f;
    (void)state;
    world_start(&w);
    async_future_init(&f, &w.loop);
    assert_int_equal(async_future_cancel(&f), 1);
    assert_true(async_future_cancelled(&f));
    assert_null(async_future_cancel_message(&f));
    w.k.task = &w.vt;
    assert_int_equal(world_run(&w), ASYNC_ECANCELLED);
    assert_null(w.v.seen);
    assert_null(async_future_cancel_message(&w.vt.fut));
    test_loop_close(&w.loop);
}

/* cancelling()/uncancel(): a count; the latest message wins; a swallowed
 * cancellation withdrawn leaves the task running normally. */
static void test_counts(void **state) {
    struct world w;
    (void)state;
    world_start(&w);
    w.v.swallow = 1;
    async_task_create(&w.loop, &w.vt, victim_co, &w.v, "victim");
    test_run_iterations(&w.loop, NULL, 1); /* parked in its sleep */
    assert_int_equal(async_task_cancelling(&w.vt), 0);
    assert_int_equal(async_task_cancel_msg(&w.vt, "first"), 1);
    assert_int_equal(async_task_cancel_msg(&w.vt, "second"), 1);
    assert_int_equal(async_task_cancelling(&w.vt), 2);
    assert_int_equal(async_loop_run_until_complete(&w.loop, &w.vt.fut), 0);
    assert_task_msg(w.v.seen, "second");
    assert_int_equal(w.v.seen_count, 2);
    assert_int_equal(w.v.left, 1); /* one withdrawn by the task */
    assert_int_equal(async_task_cancel(&w.vt), 0); /* done: no request, no count */
    assert_int_equal(async_task_cancelling(&w.vt), 0);
    assert_int_equal(async_task_uncancel(&w.vt), 0);
    test_loop_close(&w.loop);
}

/* A cancel withdrawn before it was delivered is dropped (uncancel to zero). */
static void test_uncancel_before_delivery(void **state) {
    struct world w;
    (void)state;
    world_start(&w);
    w.v.wait_on = NULL;
    async_task_create(&w.loop, &w.vt, victim_co, &w.v, "victim");
    assert_int_equal(async_task_cancel(&w.vt), 1); /* not started yet */
    assert_int_equal(async_task_uncancel(&w.vt), 0);
    assert_int_equal(async_task_uncancel(&w.vt), 0); /* never below zero */
    async_task_cancel(&w.vt);
    async_task_cancel(&w.vt);
    assert_int_equal(async_task_uncancel(&w.vt), 1); /* one still pending: delivered */
    assert_int_equal(async_loop_run_until_complete(&w.loop, &w.vt.fut), ASYNC_ECANCELLED);
    assert_int_equal(w.v.body_ran, 0); /* cancelled before it started: no body */
    test_loop_close(&w.loop);

    world_start(&w);
    async_task_create(&w.loop, &w.vt, victim_co, &w.v, "victim");
    async_task_cancel_msg(&w.vt, "oops");
    async_task_uncancel(&w.vt);
    w.k.task = &w.vt; /* a real one later */
    w.k.msg = "later";
    async_task_create(&w.loop, &w.kt, killer_co, &w.k, "killer");
    assert_int_equal(async_loop_run_until_complete(&w.loop, &w.vt.fut), ASYNC_ECANCELLED);
    assert_int_equal(w.v.body_ran, 1);
    assert_task_msg(w.v.seen, "later");
    test_loop_close(&w.loop);
}

/* A task that cancels itself with a message, then awaits: the message is
 * there where it catches the cancellation. */
struct selfc {
    ASYNC_TRY_FRAME(1);
    async_timer t;
    const char *seen;
};
static ASYNC_FN(selfc_co, struct selfc) {
    ASYNC_BEGIN();
    async_task_cancel_msg(ASYNC_TASK, "by myself");
    ASYNC_TRY {
        ASYNC_SLEEP_TICKS(&self->t, TICK);
    } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
        self->seen = ASYNC_CANCEL_MESSAGE;
    } ASYNC_END_TRY;
    ASYNC_END();
}
static void test_self_cancel(void **state) {
    struct selfc c;
    async_loop loop;
    async_task t;
    (void)state;
    memset(&c, 0, sizeof c);
    async_task_init(&t);
    test_loop_init(&loop);
    async_task_create(&loop, &t, selfc_co, &c, "self");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_task_msg(c.seen, "by myself");
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_task_message), TEST(test_future_message), TEST(test_no_message),
        TEST(test_counts),       TEST(test_uncancel_before_delivery),
        TEST(test_self_cancel),
    };
    return TEST_RUN(tests);
}
