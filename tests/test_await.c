/* AWAIT on coroutines (inline, suspensions percolate) and on futures/tasks
 * (cede to the loop unless already done). */
#include "test_support.h"

/* Counts loop iterations and task steps through the trace hook. */
static int n_steps, n_iters;
static void count_trace(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)loop, (void)t, (void)s, (void)ud;
    if (ev == ASYNC_TRACE_STEP_BEGIN) n_steps++;
    if (ev == ASYNC_TRACE_ITERATION) n_iters++;
}
static void counting_loop(async_loop *loop) {
    test_loop_init(loop);
    n_steps = n_iters = 0;
    async_loop_set_trace(loop, count_trace, NULL);
}

/* ---- inline child coroutines ------------------------------------------------- */
struct leaf {
    async_frame hdr;
    int in;
};
static ASYNC_FN(leaf, struct leaf) {
    ASYNC_BEGIN();
    rec("leaf%d", self->in);
    ASYNC_RETURN(async_int(self->in * 3));
    ASYNC_END();
}
struct mid {
    async_frame hdr;
    int in;
    struct leaf l;
};
static ASYNC_FN(mid, struct mid) {
    ASYNC_BEGIN();
    self->l.in = self->in;
    ASYNC_AWAIT_CO(leaf, &self->l);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 2));
    ASYNC_END();
}
struct inline_main {
    async_frame hdr;
    int i;
    long total;
    struct mid m;
};
static ASYNC_FN(inline_main, struct inline_main) {
    ASYNC_BEGIN();
    self->total = 0;
    for (self->i = 1; self->i <= 3; self->i++) {
        self->m.in = self->i;
        ASYNC_AWAIT_CO(mid, &self->m);
        self->total += (long)ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->total));
    ASYNC_END();
}

static void test_await_co_runs_inline(void **state) {
    async_loop loop;
    async_task t;
    struct inline_main m;
    async_task_init(&t);
    (void)state;
    counting_loop(&loop);
    assert_int_equal(async_task_create(&loop, &t, inline_main, &m, "main"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    /* (3+2)+(6+2)+(9+2) */
    assert_int_equal(async_future_result(&t.fut).i, 24);
    assert_rec("leaf1 leaf2 leaf3");
    /* three nested awaits of coroutines: one step, one iteration */
    assert_int_equal(n_steps, 1);
    assert_int_equal(n_iters, 1);
    test_loop_close(&loop);
}

/* A bare coroutine awaiting a coroutine too: no loop at all. */
static void test_await_co_without_loop(void **state) {
    struct inline_main m;
    async_coro co;
    (void)state;
    async_coro_init(&co, inline_main, &m);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 24);
}

/* ---- suspensions percolate ---------------------------------------------------- */
struct waiter_leaf {
    async_frame hdr;
    async_future *f;
};
static ASYNC_FN(waiter_leaf, struct waiter_leaf) {
    ASYNC_BEGIN();
    rec("leaf-before");
    ASYNC_AWAIT(self->f);
    rec("leaf-got%ld", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}
struct waiter_mid {
    async_frame hdr;
    async_future *f;
    struct waiter_leaf l;
};
static ASYNC_FN(waiter_mid, struct waiter_mid) {
    ASYNC_BEGIN();
    self->l.f = self->f;
    ASYNC_AWAIT_CO(waiter_leaf, &self->l);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i * 10));
    ASYNC_END();
}
struct waiter_top {
    async_frame hdr;
    async_future *f;
    struct waiter_mid m;
};
static ASYNC_FN(waiter_top, struct waiter_top) {
    ASYNC_BEGIN();
    self->m.f = self->f;
    ASYNC_AWAIT_CO(waiter_mid, &self->m);
    rec("top-got%ld", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}

static void test_suspension_percolates_to_task(void **state) {
    async_loop loop;
    async_task t;
    async_future f;
    struct waiter_top w;
    async_task_init(&t);
    (void)state;
    counting_loop(&loop);
    async_future_init(&f, &loop);
    w.f = &f;
    async_task_create(&loop, &t, waiter_top, &w, "top");
    async_loop_run_once(&loop);
    assert_rec("leaf-before");
    /* the task is parked on the leaf's future, three coroutines down */
    assert_ptr_equal(async_task_waiting_on(&t), &f);
    assert_false(async_future_done(&t.fut));
    async_loop_run_once(&loop); /* nothing happens: f is pending */
    assert_int_equal(n_steps, 1);
    async_future_set_result(&f, async_int(4));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("leaf-before leaf-got4 top-got50");
    assert_int_equal(async_future_result(&t.fut).i, 50);
    assert_int_equal(n_steps, 2);
    test_loop_close(&loop);
}

/* Driven by send: ASYNC_AWAITING reports the future in ctx.value.p, the next
 * send's value is ignored and the awaited result comes back instead. */
static void test_suspension_percolates_to_send(void **state) {
    async_future f;
    struct waiter_top w;
    async_coro co;
    (void)state;
    async_future_init(&f, NULL);
    w.f = &f;
    async_coro_init(&co, waiter_top, &w);
    assert_int_equal(async_send(&co, async_none()), ASYNC_AWAITING);
    assert_ptr_equal(co.ctx.value.p, &f);
    assert_int_equal(async_future_set_result(&f, async_int(6)), 0);
    assert_int_equal(async_send(&co, async_int(1000)), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 70);
    assert_rec("leaf-before leaf-got6 top-got70");
}

/* ---- seed 004: coro_a / coro_b -------------------------------------------------- */
struct say {
    async_frame hdr;
};
static ASYNC_FN(coro_a, struct say) {
    ASYNC_BEGIN();
    rec("a");
    ASYNC_END();
}
static ASYNC_FN(coro_b, struct say) {
    ASYNC_BEGIN();
    rec("b");
    ASYNC_END();
}
struct ab_main {
    async_frame hdr;
    int by_task; /* await asyncio.Task(coro_a()) instead of coro_a() */
    int i;
    async_task tb, ta;
    struct say fb, fa;
};
static ASYNC_FN(ab_main, struct ab_main) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->tb, coro_b, &self->fb, "b");
    for (self->i = 0; self->i < 3; self->i++) {
        if (self->by_task) {
            async_task_create(ASYNC_LOOP, &self->ta, coro_a, &self->fa, "a");
            ASYNC_AWAIT(&self->ta.fut);
        } else
            ASYNC_AWAIT_CO(coro_a, &self->fa);
    }
    ASYNC_AWAIT(&self->tb.fut);
    ASYNC_END();
}

static void run_ab(int by_task) {
    async_loop loop;
    async_task t;
    struct ab_main m = {0};
    async_task_init(&t);
    test_loop_init(&loop);
    m.by_task = by_task;
    assert_int_equal(async_run(&loop, &t, ab_main, &m), 0);
    test_loop_close(&loop);
}
static void test_seed_await_coroutine_order(void **state) {
    (void)state;
    run_ab(0);
    assert_rec("a a a b");
}
static void test_seed_await_task_order(void **state) {
    (void)state;
    run_ab(1);
    assert_rec("b a a a");
}

/* ---- done futures continue at once ------------------------------------------------ */
struct done_awaiter {
    async_frame hdr;
    async_future *f[3];
    int i, err;
    long sum;
};
static ASYNC_FN(done_awaiter, struct done_awaiter) {
    ASYNC_BEGIN();
    self->sum = 0;
    for (self->i = 0; self->i < 3; self->i++) {
        ASYNC_AWAIT(self->f[self->i]);
        self->sum += (long)ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}

static void test_await_done_future_no_iteration(void **state) {
    async_loop loop;
    async_task t;
    async_future f[3];
    struct done_awaiter d;
    int i;
    async_task_init(&t);
    (void)state;
    counting_loop(&loop);
    for (i = 0; i < 3; i++) {
        async_future_init(&f[i], &loop);
        async_future_set_result(&f[i], async_int(i + 1));
        d.f[i] = &f[i];
    }
    async_task_create(&loop, &t, done_awaiter, &d, "d");
    async_loop_run_once(&loop);
    assert_true(async_future_done(&t.fut));
    assert_int_equal(async_future_result(&t.fut).i, 6);
    assert_int_equal(n_steps, 1);
    assert_int_equal(n_iters, 1);
    test_loop_close(&loop);
}

/* A finished task is a done future too. */
static void test_await_done_task_no_iteration(void **state) {
    async_loop loop;
    async_task t, leaf_t;
    struct leaf lf;
    async_future f[2];
    struct done_awaiter d;
    async_task_init(&t);
    async_task_init(&leaf_t);
    (void)state;
    counting_loop(&loop);
    lf.in = 5;
    async_task_create(&loop, &leaf_t, leaf, &lf, "leaf");
    assert_int_equal(async_loop_run_until_complete(&loop, &leaf_t.fut), 0);
    n_steps = n_iters = 0;
    async_future_init(&f[0], &loop);
    async_future_init(&f[1], &loop);
    async_future_set_result(&f[0], async_int(1));
    async_future_set_result(&f[1], async_int(2));
    d.f[0] = &f[0];
    d.f[1] = &leaf_t.fut;
    d.f[2] = &f[1];
    async_task_create(&loop, &t, done_awaiter, &d, "d");
    async_loop_run_once(&loop);
    assert_true(async_future_done(&t.fut));
    assert_int_equal(async_future_result(&t.fut).i, 1 + 15 + 2);
    assert_int_equal(n_steps, 1);
    test_loop_close(&loop);
}

/* A pending future costs exactly one more step when it completes. */
static void test_await_pending_future_one_more_step(void **state) {
    async_loop loop;
    async_task t;
    async_future f[3];
    struct done_awaiter d;
    int i;
    async_task_init(&t);
    (void)state;
    counting_loop(&loop);
    for (i = 0; i < 3; i++) {
        async_future_init(&f[i], &loop);
        d.f[i] = &f[i];
    }
    async_future_set_result(&f[0], async_int(1));
    async_future_set_result(&f[2], async_int(3));
    async_task_create(&loop, &t, done_awaiter, &d, "d");
    async_loop_run_once(&loop);
    assert_ptr_equal(async_task_waiting_on(&t), &f[1]);
    async_future_set_result(&f[1], async_int(2));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 6);
    assert_int_equal(n_steps, 2);
    test_loop_close(&loop);
}

/* ---- typed results from the child frame --------------------------------------------- */
struct stats {
    async_frame hdr;
    const int *data;
    int n;
    struct {
        double mean; /* typed outputs, filled by the child */
        int min, max;
    } out;
    int i;
};
static ASYNC_FN(stats_co, struct stats) {
    ASYNC_BEGIN();
    self->out.min = self->out.max = self->data[0];
    self->out.mean = 0;
    for (self->i = 0; self->i < self->n; self->i++) {
        /* (no initialised local here: C++ refuses to jump over it to the resume point) */
        self->out.mean += self->data[self->i];
        if (self->data[self->i] < self->out.min) self->out.min = self->data[self->i];
        if (self->data[self->i] > self->out.max) self->out.max = self->data[self->i];
        ASYNC_SLEEP0(); /* suspends: the outputs must survive it */
    }
    self->out.mean /= self->n;
    ASYNC_END();
}
struct stats_main {
    async_frame hdr;
    struct stats s;
    double mean;
    int span;
};
static ASYNC_FN(stats_main, struct stats_main) {
    static const int data[] = {4, -2, 9, 1};
    ASYNC_BEGIN();
    self->s.data = data;
    self->s.n = 4;
    ASYNC_AWAIT_CO(stats_co, &self->s);
    self->mean = self->s.out.mean;
    self->span = self->s.out.max - self->s.out.min;
    ASYNC_END();
}
static void test_typed_result_from_child_frame(void **state) {
    async_loop loop;
    async_task t;
    struct stats_main m;
    async_task_init(&t);
    (void)state;
    test_loop_init(&loop);
    assert_int_equal(async_run(&loop, &t, stats_main, &m), 0);
    assert_true(m.mean == 3.0);
    assert_int_equal(m.span, 11);
    test_loop_close(&loop);
}

/* ---- deep nesting: 64 levels of AWAIT_CO ------------------------------------------ */
enum { DEPTH = 64 };
struct nest {
    async_frame hdr;
    int depth;
    async_future *f;
    struct nest *child; /* the next level's frame */
    int line;
};
static int nest_finally;
static ASYNC_FN(nest_co, struct nest) {
    ASYNC_BEGIN();
    if (self->depth == 0) {
        self->line = __LINE__ + 1;
        ASYNC_AWAIT(self->f);
        ASYNC_RETURN(ASYNC_VALUE);
    }
    ASYNC_AWAIT_CO(nest_co, self->child);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_FINALLY();
    nest_finally++;
    ASYNC_END();
}
static void nest_init(struct nest *n, async_future *f) {
    int i;
    for (i = 0; i < DEPTH; i++) {
        n[i].depth = DEPTH - 1 - i;
        n[i].f = f;
        n[i].child = i + 1 < DEPTH ? &n[i + 1] : NULL;
    }
}
static void test_deep_nesting(void **state) {
    async_loop loop;
    async_task t;
    async_future f;
    static struct nest n[DEPTH];
    char where[256];
    int how;
    async_task_init(&t);
    (void)state;
    for (how = 0; how < 3; how++) { /* result, error, cancellation */
        test_loop_init(&loop);
        async_future_init(&f, &loop);
        nest_init(n, &f);
        nest_finally = 0;
        async_task_create(&loop, &t, nest_co, &n[0], "deep");
        async_loop_run_once(&loop);
        assert_ptr_equal(async_task_waiting_on(&t), &f);
        snprintf(where, sizeof where, "%s:%d", __FILE__, n[DEPTH - 1].line);
#if ASYNC_CONFIG_TASK_INFO
        {
            char wbuf[ASYNC_WHERE_SIZE];
            assert_string_equal(async_task_where(&t, wbuf, sizeof wbuf), where); /* the innermost level */
        }
#endif
        if (how == 0) {
            async_future_set_result(&f, async_int(1000));
            assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
            assert_int_equal(async_future_result(&t.fut).i, 1000 + DEPTH - 1);
        } else if (how == 1) {
            async_future_set_error(&f, 6);
            assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 6);
        } else {
            async_task_cancel(&t);
            assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), ASYNC_ECANCELLED);
            assert_true(async_future_cancelled(&f));
        }
        assert_int_equal(nest_finally, DEPTH); /* every level's FINALLY, once */
        test_loop_close(&loop);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_await_co_runs_inline),
        TEST(test_await_co_without_loop),
        TEST(test_suspension_percolates_to_task),
        TEST(test_suspension_percolates_to_send),
        TEST(test_seed_await_coroutine_order),
        TEST(test_seed_await_task_order),
        TEST(test_await_done_future_no_iteration),
        TEST(test_await_done_task_no_iteration),
        TEST(test_await_pending_future_one_more_step),
        TEST(test_typed_result_from_child_frame),
        TEST(test_deep_nesting),
    };
    return TEST_RUN(tests);
}
