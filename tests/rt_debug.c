/* rt_debug.c — debug mode never touches a task after it finished: its report
 * at loop close comes from what it recorded when the task failed, and reading
 * the error (await, async_future_error) drops the record, so tasks freed
 * before the close are fine (ASan checks it). */
#include "rt_common.h"

static char g_log[4096];
static void sink(void *ud, const char *line) {
    (void)ud;
    strncat(g_log, line, sizeof g_log - strlen(g_log) - 2);
    strcat(g_log, "\n");
}

struct failing { async_frame hdr; };
static ASYNC_FN(failing, struct failing) {
    ASYNC_BEGIN();
    ASYNC_RAISE(EIO);
    ASYNC_END();
}
struct nap { async_frame hdr; async_timer t; };
static ASYNC_FN(nap, struct nap) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(5));
    ASYNC_END();
}

/* A heap task that fails while nothing awaits it, freed before the loop
 * closes: once with its error read, once without. */
static void run_and_free(int retrieve) {
    async_loop loop;
    async_task *t = (async_task *)calloc(1, sizeof *t);
    struct failing *f = (struct failing *)calloc(1, sizeof *f);
    char *name = (char *)malloc(16);
    async_task tn;
    struct nap n;
    memset(&tn, 0, sizeof tn);
    memset(&n, 0, sizeof n);
    strcpy(name, "doomed");
    g_log[0] = 0;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_debug(&loop, 10.0);
    async_rt_set_debug_sink(&loop, sink, NULL);
    async_task_create(&loop, t, failing, f, name);
    async_task_create(&loop, &tn, nap, &n, "nap");
    assert_int_equal(async_loop_run_until_complete(&loop, &tn.fut), 0);
    assert_true(async_future_done(&t->fut));
    if (retrieve) assert_int_equal(async_future_error(&t->fut), EIO);
    memset(t, 0xA5, sizeof *t);
    memset(name, 0, 16);
    free(t);
    free(f);
    free(name);
    async_rt_loop_close(&loop);
    if (retrieve) {
        assert_null(strstr(g_log, "doomed"));
    } else { /* its name was copied when it failed: the memory holding it is gone */
        assert_non_null(strstr(g_log, "task 'doomed' failed with error 5 (Input/output error) and its error was never retrieved"));
    }
}

static void test_freed_after_retrieval(void **st) {
    (void)st;
    run_and_free(1);
}
static void test_freed_unretrieved(void **st) {
    (void)st;
    run_and_free(0);
}

/* Awaited only after it failed: the await retrieves the error, no report. */
struct late_main { async_frame hdr; async_task kid; struct failing kf; struct nap n; int err; };
static ASYNC_FN(late_main, struct late_main) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->kid, failing, &self->kf, "late");
    ASYNC_AWAIT_CO(nap, &self->n);
    ASYNC_AWAIT_CATCH(&self->kid.fut, self->err);
    ASYNC_END();
}
static void test_awaited_after_failing(void **st) {
    async_loop loop;
    async_task t;
    struct late_main m;
    (void)st;
    memset(&t, 0, sizeof t);
    memset(&m, 0, sizeof m);
    g_log[0] = 0;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_debug(&loop, 10.0);
    async_rt_set_debug_sink(&loop, sink, NULL);
    async_task_create(&loop, &t, late_main, &m, "main");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(m.err, EIO);
    async_rt_loop_close(&loop);
    assert_null(strstr(g_log, "late"));
}

/* Several unawaited failures, each error read afterwards by async_future_error
 * from outside the loop: none reported. */
static void test_many_read_after_run(void **st) {
    async_loop loop;
    async_task t[3], tn;
    struct failing f[3];
    struct nap n;
    int i;
    (void)st;
    memset(t, 0, sizeof t);
    memset(f, 0, sizeof f);
    memset(&tn, 0, sizeof tn);
    memset(&n, 0, sizeof n);
    g_log[0] = 0;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_rt_set_debug(&loop, 10.0);
    async_rt_set_debug_sink(&loop, sink, NULL);
    for (i = 0; i < 3; i++) async_task_create(&loop, &t[i], failing, &f[i], "many");
    async_task_create(&loop, &tn, nap, &n, "nap");
    assert_int_equal(async_loop_run_until_complete(&loop, &tn.fut), 0);
    for (i = 0; i < 3; i++) assert_int_equal(async_future_error(&t[i].fut), EIO);
    async_rt_loop_close(&loop);
    assert_null(strstr(g_log, "many"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_freed_after_retrieval),
        RT_TEST(test_freed_unretrieved),
        RT_TEST(test_awaited_after_failing),
        RT_TEST(test_many_read_after_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
