/* TaskGroup: waits for every child; the first failure cancels the siblings and
 * the body; two failing children are both reported; new tasks refused after a
 * failure; outside cancellation and body errors. */
#include "test_support.h"

struct job {
    async_frame hdr;
    const char *tag;
    int ms, raise;
    async_timer t;
};
static ASYNC_FN(job_co, struct job) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->ms));
    rec("%s-end", self->tag);
    if (self->raise) ASYNC_RAISE(self->raise);
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ECANCELLED) rec("%s-cancelled", self->tag);
    ASYNC_END();
}

struct tgmain {
    async_frame hdr;
    async_taskgroup tg;
    async_tg_task kids[3];
    struct job jf[3];
    async_timer t;
    int nk, body_ms, body_raise, err, i, spawn_late;
};
static ASYNC_FN(tgmain_co, struct tgmain) {
    ASYNC_BEGIN();
    async_taskgroup_enter(&self->tg, ASYNC_TASK);
    for (self->i = 0; self->i < self->nk; self->i++)
        async_taskgroup_spawn(&self->tg, &self->kids[self->i], job_co, &self->jf[self->i], self->jf[self->i].tag);
    ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms((unsigned long)self->body_ms), self->err);
    if (!self->err && self->body_raise) self->err = self->body_raise;
    rec("body%d", self->err);
    if (self->spawn_late) /* after a failure: refused */
        rec("late%d", async_taskgroup_spawn(&self->tg, &self->kids[2], job_co, &self->jf[2], "late"));
    ASYNC_TASKGROUP_EXIT(&self->tg, self->err);
    rec("after");
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("err%d", ASYNC_ERROR);
    ASYNC_END();
}

static void setup(struct tgmain *m, int nk, int body_ms) {
    static const char *tags[] = {"a", "b", "c"};
    int i;
    memset(m, 0, sizeof *m);
    m->nk = nk;
    m->body_ms = body_ms;
    for (i = 0; i < 3; i++) {
        m->jf[i].tag = tags[i];
        m->jf[i].ms = 10 * (i + 1);
    }
}

static void test_waits_for_all(void **state) {
    async_loop loop;
    async_task t;
    struct tgmain m = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&m, 3, 5);
    async_task_create(&loop, &t, tgmain_co, &m, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("body0 a-end b-end c-end after");
    assert_int_equal(m.tg.nerrors, 0);
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(30));
    test_loop_close(&loop);
}

static void test_two_failing_children(void **state) {
    async_loop loop;
    async_task t;
    struct tgmain m = {0};
    async_tg_task *c;
    int failed = 0;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&m, 3, 100);
    m.jf[0].raise = 21;
    m.jf[1].raise = 22;
    m.jf[1].ms = 10; /* both fail at 10 ms */
    m.jf[2].ms = 50;
    async_task_create(&loop, &t, tgmain_co, &m, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 21);
    assert_rec("a-end b-end c-cancelled body-1 err21");
    assert_int_equal(m.tg.nerrors, 2);
    for (c = m.tg.children; c; c = c->next) {
        int e = async_future_error(&c->task.fut);
        if (e > 0) failed |= e == 21 ? 1 : e == 22 ? 2 : 4;
    }
    assert_int_equal(failed, 3); /* every error can be read from the children */
    assert_true(async_future_cancelled(&m.kids[2].task.fut));
    if (TEST_VIRTUAL) assert_true(async_loop_time(&loop) == async_ms(10));
    test_loop_close(&loop);
}

static void test_refuses_after_failure(void **state) {
    async_loop loop;
    async_task t;
    struct tgmain m = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&m, 2, 100);
    m.jf[0].raise = 5;
    m.spawn_late = 1;
    async_task_create(&loop, &t, tgmain_co, &m, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 5);
    assert_rec("a-end b-cancelled body-1 late-10 err5");
    test_loop_close(&loop);
}

static void test_outside_cancel(void **state) {
    async_loop loop;
    async_task t;
    struct tgmain m = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&m, 2, 5);
    async_task_create(&loop, &t, tgmain_co, &m, "main");
    test_run_iterations(&loop, NULL, 3); /* the body is done, exit waits for a and b */
    assert_rec("body0");
    async_task_cancel(&t);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
    assert_rec("body0 a-cancelled b-cancelled err-1");
    test_loop_close(&loop);
}

static void test_body_error(void **state) {
    async_loop loop;
    async_task t;
    struct tgmain m = {0};
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    setup(&m, 2, 5);
    m.body_raise = 77;
    async_task_create(&loop, &t, tgmain_co, &m, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 77);
    assert_rec("body77 a-cancelled b-cancelled err77");
    assert_int_equal(m.tg.nerrors, 1);
    test_loop_close(&loop);
}

static void test_misuse(void **state) {
    async_taskgroup tg;
    async_tg_task c;
    struct job j;
    (void)state;
    memset(&tg, 0, sizeof tg);
    assert_int_equal(async_taskgroup_spawn(&tg, &c, job_co, &j, "x"), ASYNC_EMISUSE);
    expect_misuse("before async_taskgroup_enter");
    assert_int_equal(async_taskgroup_enter(&tg, NULL), ASYNC_EMISUSE);
    expect_misuse("outside a task");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_waits_for_all), TEST(test_two_failing_children), TEST(test_refuses_after_failure),
        TEST(test_outside_cancel), TEST(test_body_error),          TEST(test_misuse),
    };
    return TEST_RUN(tests);
}
