/* async_loop_dump: one line per live task, with where it is and what it waits on. */
#include "test_support.h"

struct w {
    async_frame hdr;
    int kind;             /* 0 future, 1 task, 2 sleep, 3 yield, 4 dump itself */
    async_future *f;      /* kind 0 */
    async_task *other;    /* kind 1 */
    async_timer timer;    /* kind 2 */
    int line;             /* line of the suspension */
    test_buf *self_dump;  /* kind 4 */
};
static ASYNC_FN(w_co, struct w) {
    ASYNC_BEGIN();
    if (self->kind == 0) {
        self->line = __LINE__ + 1;
        ASYNC_AWAIT(self->f);
    } else if (self->kind == 1) {
        self->line = __LINE__ + 1;
        ASYNC_AWAIT(&self->other->fut);
    } else if (self->kind == 2) {
        self->line = __LINE__ + 1;
        ASYNC_SLEEP(&self->timer, 10.0);
    } else if (self->kind == 3) {
        self->line = __LINE__ + 1;
        ASYNC_SLEEP0();
        self->line = __LINE__ + 1;
        ASYNC_SLEEP0();
    } else {
        async_loop_dump(ASYNC_LOOP, test_buf_write, self->self_dump);
    }
    ASYNC_END();
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_dump_lists_every_live_task(void **state) {
    async_loop loop;
    async_future f;
    async_task tw, tj, ts, ty, tf, tdone;
    struct w fw, fj, fs, fy, ff, fdone;
    test_buf out, self_out, line;
    async_task_init(&tw);
    async_task_init(&tj);
    async_task_init(&ts);
    async_task_init(&ty);
    async_task_init(&tf);
    async_task_init(&tdone);
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    memset(&fw, 0, sizeof fw);
    memset(&fj, 0, sizeof fj);
    memset(&fs, 0, sizeof fs);
    memset(&fy, 0, sizeof fy);
    memset(&ff, 0, sizeof ff);
    memset(&fdone, 0, sizeof fdone);
    test_buf_reset(&out);
    test_buf_reset(&self_out);
    fw.kind = 0, fw.f = &f;
    fj.kind = 1, fj.other = &ts;
    fs.kind = 2;
    fy.kind = 3;
    fdone.kind = 4, fdone.self_dump = &self_out;
    ff.kind = 3;
    async_task_create(&loop, &tw, w_co, &fw, "waiter");
    async_task_create(&loop, &tj, w_co, &fj, "joiner");
    async_task_create(&loop, &ts, w_co, &fs, "sleeper");
    async_task_create(&loop, &ty, w_co, &fy, "yielder");
    async_task_create(&loop, &tdone, w_co, &fdone, "selfdump");
    async_loop_run_once(&loop);
    async_task_create(&loop, &tf, w_co, &ff, "fresh"); /* never ran */

    /* the task that dumped while running saw itself as running */
    assert_non_null(strstr(self_out.s, "task selfdump: running\n"));
    assert_int_equal(count_lines(self_out.s), 5);

    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), 5); /* selfdump has finished: not listed */
    assert_null(strstr(out.s, "selfdump"));

    test_buf_reset(&line);
    test_buf_printf(&line, "task waiter: waiting at %s:%d on future 0x%lx\n", __FILE__, fw.line,
                    (unsigned long)(uintptr_t)(void *)&f);
    assert_non_null(strstr(out.s, line.s));
    test_buf_reset(&line);
    test_buf_printf(&line, "task joiner: waiting at %s:%d on task sleeper\n", __FILE__, fj.line);
    assert_non_null(strstr(out.s, line.s));
    test_buf_reset(&line);
    test_buf_printf(&line, "task sleeper: waiting at %s:%d on a timer\n", __FILE__, fs.line);
    assert_non_null(strstr(out.s, line.s));
    test_buf_reset(&line);
    test_buf_printf(&line, "task yielder: ready at %s:%d\n", __FILE__, fy.line);
    assert_non_null(strstr(out.s, line.s));
    assert_non_null(strstr(out.s, "task fresh: ready at not started\n"));

    /* a cancellation requested but not yet delivered is shown */
    async_task_cancel(&ty);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    test_buf_reset(&line);
    test_buf_printf(&line, "task yielder: ready at %s:%d (cancelling)\n", __FILE__, fy.line);
    assert_non_null(strstr(out.s, line.s));

    /* finish everything: the dump becomes empty */
    async_future_set_result(&f, async_none());
    async_task_cancel(&ts);
    assert_int_equal(async_loop_run_until_complete(&loop, &tj.fut), ASYNC_ECANCELLED);
    assert_int_equal(async_loop_run_until_complete(&loop, &tf.fut), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tw.fut), 0);
    assert_true(async_future_cancelled(&ty.fut));
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_string_equal(out.s, "");
    test_loop_close(&loop);
}

/* Many tasks: every one is listed exactly once, finished ones drop out. */
#define NT 50
static void test_dump_many(void **state) {
    async_loop loop;
    static async_task t[NT];
    static struct w fr[NT];
    static char names[NT][16];
    async_future f;
    test_buf out, probe;
    int i;
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    async_future_init(&f, &loop);
    for (i = 0; i < NT; i++) {
        memset(&fr[i], 0, sizeof fr[i]);
        fr[i].kind = i % 2 ? 0 : 3; /* odd: wait on f, even: two yields */
        fr[i].f = &f;
        snprintf(names[i], sizeof names[i], "t%02d", i);
        async_task_create(&loop, &t[i], w_co, &fr[i], names[i]);
    }
    async_loop_run_once(&loop);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), NT);
    for (i = 0; i < NT; i++) {
        test_buf_reset(&probe);
        test_buf_printf(&probe, "task %s: ", names[i]);
        assert_non_null(strstr(out.s, probe.s));
    }
    async_loop_run_once(&loop);
    async_loop_run_once(&loop); /* the yielders are done */
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), NT / 2);
    assert_null(strstr(out.s, "task t00:"));
    assert_non_null(strstr(out.s, "task t01:"));
    async_future_set_result(&f, async_none());
    async_loop_run_once(&loop);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_string_equal(out.s, "");
    test_loop_close(&loop);
}

/* The position of "task NAME:" in a dump, or -1. */
static long dump_pos(const char *dump, const char *name) {
    char probe[32];
    const char *p;
    snprintf(probe, sizeof probe, "task %s:", name);
    p = strstr(dump, probe);
    return p ? (long)(p - dump) : -1;
}

/* The live list keeps creation order, newest first, whichever task leaves it
 * (newest, oldest, one in the middle); a finished task's memory may be freed
 * or created again at once (it goes to the front); cancel_all counts and
 * empties it. */
static void test_dump_order_and_reuse(void **state) {
    async_loop loop;
    async_future f[4];
    async_task t[4], *heap;
    struct w fr[4], *heap_frame;
    static const char *const names[4] = {"a", "b", "c", "d"};
    test_buf out;
    int i;
    (void)state;
    TEST_NEED_INFO();
    test_loop_init(&loop);
    for (i = 0; i < 4; i++) {
        async_future_init(&f[i], &loop);
        memset(&fr[i], 0, sizeof fr[i]);
        fr[i].kind = 0, fr[i].f = &f[i];
        async_task_init(&t[i]);
        assert_int_equal(async_task_create(&loop, &t[i], w_co, &fr[i], names[i]), 0);
    }
    /* one more on the heap, finished and freed while the others live */
    heap = (async_task *)calloc(1, sizeof *heap);
    heap_frame = (struct w *)calloc(1, sizeof *heap_frame);
    assert_non_null(heap);
    assert_non_null(heap_frame);
    heap_frame->kind = 3; /* two yields, then done */
    async_task_create(&loop, heap, w_co, heap_frame, "heap");
    assert_int_equal(async_loop_run_until_complete(&loop, &heap->fut), 0);
    free(heap);
    free(heap_frame);

    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), 4);
    assert_int_equal(dump_pos(out.s, "heap"), -1);
    assert_true(dump_pos(out.s, "d") == 0);
    assert_true(dump_pos(out.s, "d") < dump_pos(out.s, "c"));
    assert_true(dump_pos(out.s, "c") < dump_pos(out.s, "b"));
    assert_true(dump_pos(out.s, "b") < dump_pos(out.s, "a"));

    /* the middle, then the newest, then the oldest leave */
    async_future_set_result(&f[1], async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t[1].fut), 0);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), 3);
    assert_int_equal(dump_pos(out.s, "b"), -1);
    assert_true(dump_pos(out.s, "d") < dump_pos(out.s, "c") && dump_pos(out.s, "c") < dump_pos(out.s, "a"));
    async_future_set_result(&f[3], async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t[3].fut), 0);
    async_future_set_result(&f[0], async_none());
    assert_int_equal(async_loop_run_until_complete(&loop, &t[0].fut), 0);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), 1);
    assert_int_equal(dump_pos(out.s, "c"), 0);

    /* a finished task created again is the newest; its old links are not reused */
    async_future_init(&f[1], &loop);
    memset(&fr[1], 0, sizeof fr[1]);
    fr[1].kind = 0, fr[1].f = &f[1];
    assert_int_equal(async_task_create(&loop, &t[1], w_co, &fr[1], "b2"), 0);
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_int_equal(count_lines(out.s), 2);
    assert_int_equal(dump_pos(out.s, "b2"), 0);
    assert_non_null(strstr(out.s, "task b2: ready at not started\n"));
    assert_true(dump_pos(out.s, "c") > 0);

    /* cancel_all: both still alive, then none */
    assert_int_equal(async_loop_cancel_all(&loop), 2);
    assert_true(async_future_cancelled(&t[1].fut));
    assert_true(async_future_cancelled(&t[2].fut));
    test_buf_reset(&out);
    async_loop_dump(&loop, test_buf_write, &out);
    assert_string_equal(out.s, "");
    assert_int_equal(async_loop_cancel_all(&loop), 0);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_dump_lists_every_live_task),
        TEST(test_dump_many),
        TEST(test_dump_order_and_reuse),
    };
    return TEST_RUN(tests);
}
