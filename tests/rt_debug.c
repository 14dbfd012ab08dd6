/* rt_debug.c — debug mode never touches a task after it finished: its report
 * at loop close comes from what it recorded when the task failed, so tasks
 * freed before the close are fine (ASan checks it). A later async_future_error
 * is invisible to it, hence the report either way. */
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
    /* its name was copied when it failed: the memory holding it is gone */
    assert_non_null(strstr(g_log, "task 'doomed' failed with error 5 (Input/output error) while nothing awaited it"));
}

static void test_freed_after_retrieval(void **st) {
    (void)st;
    run_and_free(1);
}
static void test_freed_unretrieved(void **st) {
    (void)st;
    run_and_free(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_freed_after_retrieval),
        RT_TEST(test_freed_unretrieved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
