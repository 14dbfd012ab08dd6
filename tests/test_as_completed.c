/* as_completed: futures in completion order, a timeout, stopping early. */
#include "test_support.h"

struct job {
    async_frame hdr;
    int ms;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    ASYNC_RETURN(async_int(self->ms));
    ASYNC_END();
}
struct ac {
    async_frame hdr;
    async_waitset ws;
    async_future *futs[3];
    async_slot slots[3];
    async_time timeout;
    int i;
};
static ASYNC_FN(ac_co, struct ac) {
    ASYNC_BEGIN();
    async_as_completed_init(&self->ws, self->futs, self->slots, 3, self->timeout);
    for (self->i = 0; self->i < 4; self->i++) {
        ASYNC_AS_COMPLETED_NEXT(&self->ws);
        if (!ASYNC_VALUE.p) rec("end");
        else rec("%ld", (long)async_future_result((async_future *)ASYNC_VALUE.p).i);
    }
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("err%d", ASYNC_ERROR);
    async_as_completed_close(&self->ws);
    ASYNC_END();
}

static async_task jt[3];
static struct job jf[3];
static void setup(async_loop *loop, struct ac *a, int m0, int m1, int m2) {
    int ms[3], i;
    ms[0] = m0, ms[1] = m1, ms[2] = m2;
    memset(a, 0, sizeof *a);
    for (i = 0; i < 3; i++) {
        jf[i].ms = ms[i];
        async_task_create(loop, &jt[i], job_co, &jf[i], "job");
        a->futs[i] = &jt[i].fut;
    }
    a->timeout = ASYNC_NO_TIMEOUT;
}

static void test_completion_order(void **state) {
    async_loop loop;
    async_task t;
    struct ac a;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&loop, &a, 30, 10, 20);
    async_task_create(&loop, &t, ac_co, &a, "ac");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("10 20 30 end");
    test_loop_close(&loop);
}

static void test_timeout(void **state) {
    async_loop loop;
    async_task t;
    struct ac a;
    int i;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&loop, &a, 30, 10, 20);
    a.timeout = async_ms(15);
    async_task_create(&loop, &t, ac_co, &a, "ac");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ETIMEOUT);
    assert_rec("10 err-2");
    for (i = 0; i < 3; i++) assert_null(jt[i].fut.waiters); /* unregistered */
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[0].fut), 0); /* not cancelled */
    test_loop_close(&loop);
}

static void test_cancel_and_close(void **state) {
    async_loop loop;
    async_task t;
    struct ac a;
    int i;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&loop, &a, 30, 10, 20);
    async_task_create(&loop, &t, ac_co, &a, "ac");
    while (!test_rec.n) async_loop_run_once(&loop); /* got the 10 ms one */
    async_task_cancel(&t);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    for (i = 0; i < 3; i++) assert_null(jt[i].fut.waiters); /* close() unregistered */
    assert_int_equal(async_loop_run_until_complete(&loop, &jt[0].fut), 0);
    assert_rec("10 err-1");
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_completion_order), TEST(test_timeout), TEST(test_cancel_and_close)};
    return TEST_RUN(tests);
}
