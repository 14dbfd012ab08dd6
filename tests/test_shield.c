/* shield: the awaiter's cancellation does not reach the shielded task. */
#include "test_support.h"

struct job {
    async_frame hdr;
    int ms, raise;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    rec("job-done");
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_RETURN(async_int(11));
    ASYNC_END();
}
struct sh {
    async_frame hdr;
    async_waitset ws;
    async_future *f;
};
static ASYNC_FN(sh_co, struct sh) {
    ASYNC_BEGIN();
    ASYNC_SHIELD(&self->ws, self->f);
    rec("got%ld", (long)ASYNC_VALUE.i);
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("err%d", ASYNC_ERROR);
    ASYNC_END();
}

static void test_result_and_error_pass_through(void **state) {
    async_loop loop;
    async_task jt, st;
    struct job j;
    struct sh s;
    async_task_init(&jt);
    async_task_init(&st);
    (void)state;
    test_loop_init(&loop);
    memset(&j, 0, sizeof j);
    memset(&s, 0, sizeof s);
    j.ms = 5;
    async_task_create(&loop, &jt, job_co, &j, "job");
    s.f = &jt.fut;
    async_task_create(&loop, &st, sh_co, &s, "sh");
    assert_int_equal(async_loop_run_until_complete(&loop, &st.fut), 0);
    j.raise = 8;
    async_task_create(&loop, &jt, job_co, &j, "job");
    async_task_create(&loop, &st, sh_co, &s, "sh");
    assert_int_equal(async_loop_run_until_complete(&loop, &st.fut), 8);
    assert_rec("job-done got11 job-done err8");
    test_loop_close(&loop);
}

static void test_cancel_awaiter_not_inner(void **state) {
    async_loop loop;
    async_task jt, st;
    struct job j;
    struct sh s;
    async_task_init(&jt);
    async_task_init(&st);
    (void)state;
    test_loop_init(&loop);
    memset(&j, 0, sizeof j);
    memset(&s, 0, sizeof s);
    j.ms = 20;
    async_task_create(&loop, &jt, job_co, &j, "job");
    s.f = &jt.fut;
    async_task_create(&loop, &st, sh_co, &s, "sh");
    test_run_iterations(&loop, NULL, 1);
    async_task_cancel(&st);
    assert_int_equal(async_loop_run_until_complete(&loop, &st.fut), ASYNC_ECANCELLED);
    assert_false(async_future_done(&jt.fut)); /* still running */
    assert_null(jt.fut.waiters);               /* and nothing of the shield left on it */
    assert_int_equal(async_loop_run_until_complete(&loop, &jt.fut), 0);
    assert_rec("err-1 job-done");
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_result_and_error_pass_through), TEST(test_cancel_awaiter_not_inner)};
    return TEST_RUN(tests);
}
