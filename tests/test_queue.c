/* Queue, LifoQueue, PriorityQueue: order, maxsize, *_nowait errors, waiting
 * put/get, task_done/join, shutdown (3.13), cancelled waiters, and a 3-producer
 * 5-consumer run over 10^6 items that loses and duplicates nothing. */
#include "test_support.h"

static const char *ename(int e) {
    switch (e) {
    case ASYNC_ECANCELLED: return "cancelled";
    case ASYNC_ESHUTDOWN: return "shutdown";
    default: return "other";
    }
}

static void test_orders_and_nowait(void **state) {
    async_value buf[4], v;
    async_queue q;
    intptr_t in[] = {5, 1, 4, 2}, fifo[] = {5, 1, 4, 2}, lifo[] = {2, 4, 1, 5}, prio[] = {1, 2, 4, 5};
    const intptr_t *want[] = {fifo, lifo, prio};
    int kind, i, round;
    (void)state;
    for (kind = 0; kind < 3; kind++) {
        assert_int_equal(async_queue_init(&q, (async_queue_kind)kind, buf, 4, 0), 0);
        for (round = 0; round < 2; round++) { /* twice: the FIFO ring wraps */
            assert_true(async_queue_empty(&q));
            for (i = 0; i < 4; i++) assert_int_equal(async_queue_put_nowait(&q, async_int(in[i])), 0);
            assert_true(async_queue_full(&q));
            assert_int_equal(async_queue_size(&q), 4);
            assert_int_equal(async_queue_put_nowait(&q, async_int(9)), ASYNC_EFULL);
            for (i = 0; i < 4; i++) {
                assert_int_equal(async_queue_get_nowait(&q, &v), 0);
                assert_int_equal(v.i, want[kind][i]);
            }
            assert_int_equal(async_queue_get_nowait(&q, &v), ASYNC_EEMPTY);
            if (kind == 0) { /* shift the ring */
                async_queue_put_nowait(&q, async_int(0));
                async_queue_get_nowait(&q, &v);
            }
        }
    }
}

static void test_maxsize_and_misuse(void **state) {
    async_value buf[8], v;
    async_queue q;
    (void)state;
    assert_int_equal(async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 8, 2), 0);
    assert_int_equal(async_queue_put_nowait(&q, async_int(1)), 0);
    assert_int_equal(async_queue_put_nowait(&q, async_int(2)), 0);
    assert_int_equal(async_queue_put_nowait(&q, async_int(3)), ASYNC_EFULL); /* maxsize, not capacity */
    assert_int_equal(async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 8, 9), ASYNC_EMISUSE);
    expect_misuse("smaller than maxsize");
    assert_int_equal(async_queue_put_nowait(&q, async_int(1)), ASYNC_EMISUSE); /* the failed init left it unusable */
    expect_misuse("before async_queue_init");
    memset(&q, 0, sizeof q);
    assert_int_equal(async_queue_get_nowait(&q, &v), ASYNC_EMISUSE);
    expect_misuse("before async_queue_init");
    assert_int_equal(async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 8, 0), 0);
    assert_int_equal(async_queue_task_done(&q), ASYNC_EMISUSE);
    expect_misuse("too many times");
    async_queue_put_nowait(&q, async_int(1));
    async_queue_get_nowait(&q, &v);
    assert_int_equal(async_queue_task_done(&q), 0);
    assert_int_equal(async_queue_task_done(&q), ASYNC_EMISUSE);
    expect_misuse("too many times");
}

struct qworker {
    async_frame hdr;
    async_queue *q;
    const char *tag;
    int put, n, i, err, done_each;
    async_wait_op op;
};
/* put: puts n items (i*10..); get: gets n items. Records each step. */
static ASYNC_FN(qworker_co, struct qworker) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->n; self->i++) {
        if (self->put) {
            ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->i));
            rec("%s+%d", self->tag, self->i);
        } else {
            ASYNC_QUEUE_GET(&self->op, self->q);
            rec("%s-%ld", self->tag, (long)ASYNC_VALUE.i);
            if (self->done_each) async_queue_task_done(self->q);
        }
    }
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("%s:%s", self->tag, ename(ASYNC_ERROR));
    ASYNC_END();
}

static void mk(async_loop *loop, async_task *t, struct qworker *w, async_queue *q, const char *tag, int put, int n) {
    memset(w, 0, sizeof *w);
    w->q = q;
    w->tag = tag;
    w->put = put;
    w->n = n;
    async_task_create(loop, t, qworker_co, w, tag);
}

static void test_put_waits_get_waits(void **state) {
    async_loop loop;
    async_value buf[2];
    async_queue q;
    async_task tp, tg;
    struct qworker p, g;
    async_task_init(&tp);
    async_task_init(&tg);
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 2, 0);
    mk(&loop, &tp, &p, &q, "P", 1, 4);
    test_run_iterations(&loop, NULL, 3);
    assert_rec("P+0 P+1"); /* full: the third put waits */
    mk(&loop, &tg, &g, &q, "G", 0, 5);
    async_loop_run_until_complete(&loop, &tp.fut);
    test_run_iterations(&loop, NULL, 5);
    assert_false(async_future_done(&tg.fut)); /* 5th get waits on the empty queue */
    assert_int_equal(async_queue_put_nowait(&q, async_int(7)), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &tg.fut), 0);
    assert_rec("P+0 P+1 G-0 G-1 P+2 P+3 G-2 G-3 G-7");
    test_loop_close(&loop);
}

struct joiner {
    async_frame hdr;
    async_queue *q;
    async_wait_op op;
};
static ASYNC_FN(joiner_co, struct joiner) {
    ASYNC_BEGIN();
    ASYNC_QUEUE_JOIN(&self->op, self->q);
    rec("joined");
    ASYNC_END();
}

static void test_task_done_join(void **state) {
    async_loop loop;
    async_value buf[4], v;
    async_queue q;
    async_task tj;
    struct joiner j;
    async_task_init(&tj);
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 4, 0);
    async_queue_put_nowait(&q, async_int(1));
    async_queue_put_nowait(&q, async_int(2));
    memset(&j, 0, sizeof j);
    j.q = &q;
    async_task_create(&loop, &tj, joiner_co, &j, "join");
    test_run_iterations(&loop, NULL, 3);
    assert_rec("");
    async_queue_get_nowait(&q, &v);
    async_queue_get_nowait(&q, &v);
    async_queue_task_done(&q);
    test_run_iterations(&loop, NULL, 3);
    assert_rec(""); /* one item still unfinished */
    async_queue_task_done(&q);
    assert_int_equal(async_loop_run_until_complete(&loop, &tj.fut), 0);
    assert_rec("joined");
    /* join on a queue with nothing unfinished returns at once */
    rec_reset();
    async_task_create(&loop, &tj, joiner_co, &j, "join");
    test_run_iterations(&loop, NULL, 1);
    assert_rec("joined");
    test_loop_close(&loop);
}

static void test_shutdown_graceful(void **state) {
    async_loop loop;
    async_value buf[1], v;
    async_queue q, q2;
    async_task tg, th, tp;
    struct qworker g, h, p;
    async_task_init(&tg);
    async_task_init(&th);
    async_task_init(&tp);
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 1, 0);
    async_queue_put_nowait(&q, async_int(5));
    mk(&loop, &tp, &p, &q, "P", 1, 1);
    test_run_iterations(&loop, NULL, 1); /* P waits on the full queue */
    assert_int_equal(async_queue_shutdown(&q, 0), 0);
    async_loop_run_until_complete(&loop, &tp.fut);
    assert_int_equal(async_future_error(&tp.fut), ASYNC_ESHUTDOWN);
    assert_int_equal(async_queue_put_nowait(&q, async_int(1)), ASYNC_ESHUTDOWN);
    /* graceful: what is in the queue can still be got, then gets fail */
    mk(&loop, &th, &h, &q, "H", 0, 2);
    async_loop_run_until_complete(&loop, &th.fut);
    assert_int_equal(async_future_error(&th.fut), ASYNC_ESHUTDOWN);
    assert_int_equal(async_queue_get_nowait(&q, &v), ASYNC_ESHUTDOWN);
    /* a getter blocked on an empty queue is woken by shutdown */
    async_queue_init(&q2, ASYNC_QUEUE_FIFO, buf, 1, 0);
    mk(&loop, &tg, &g, &q2, "G", 0, 1);
    test_run_iterations(&loop, NULL, 2);
    async_queue_shutdown(&q2, 0);
    async_loop_run_until_complete(&loop, &tg.fut);
    assert_rec("P:shutdown H-5 H:shutdown G:shutdown");
    test_loop_close(&loop);
}

static void test_shutdown_immediate(void **state) {
    async_loop loop;
    async_value buf[2], v;
    async_queue q;
    async_task tj, tp;
    struct joiner j;
    struct qworker p;
    async_task_init(&tj);
    async_task_init(&tp);
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 2, 0);
    async_queue_put_nowait(&q, async_int(1));
    async_queue_put_nowait(&q, async_int(2));
    memset(&j, 0, sizeof j);
    j.q = &q;
    async_task_create(&loop, &tj, joiner_co, &j, "join");
    mk(&loop, &tp, &p, &q, "P", 1, 1);
    test_run_iterations(&loop, NULL, 2);
    assert_int_equal(async_queue_shutdown(&q, 1), 0);
    assert_int_equal(async_queue_size(&q), 0); /* dropped */
    async_loop_run_until_complete(&loop, &tj.fut);
    async_loop_run_until_complete(&loop, &tp.fut);
    assert_rec("joined P:shutdown"); /* asyncio: join released first, then the putters */
    assert_int_equal(async_queue_get_nowait(&q, &v), ASYNC_ESHUTDOWN);
    test_loop_close(&loop);
}

/* Two getters wait; an item arrives and wakes the first; the first is cancelled
 * before it runs: the second gets the item (no lost wake-up), no waiter is left. */
static void test_cancelled_getter_passes_item(void **state) {
    async_loop loop;
    async_value buf[2];
    async_queue q;
    async_task t1, t2, tp;
    struct qworker g1, g2, p;
    async_task_init(&t1);
    async_task_init(&t2);
    async_task_init(&tp);
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 2, 0);
    mk(&loop, &t1, &g1, &q, "A", 0, 1);
    mk(&loop, &t2, &g2, &q, "B", 0, 1);
    test_run_iterations(&loop, NULL, 1);
    async_queue_put_nowait(&q, async_int(3));
    async_task_cancel(&t1);
    async_loop_run_until_complete(&loop, &t2.fut);
    assert_rec("A:cancelled B-3");
    assert_null(q.getters.head);
    /* a putter cancelled while waiting on a full queue leaves no trace either */
    rec_reset();
    async_queue_put_nowait(&q, async_int(1));
    async_queue_put_nowait(&q, async_int(2));
    mk(&loop, &tp, &p, &q, "P", 1, 1);
    test_run_iterations(&loop, NULL, 1);
    assert_non_null(q.putters.head);
    async_task_cancel(&tp);
    async_loop_run_until_complete(&loop, &tp.fut);
    assert_null(q.putters.head);
    assert_int_equal(async_queue_size(&q), 2);
    assert_rec("P:cancelled");
    test_loop_close(&loop);
}

/* A producer puts 3 items through a 1-slot queue to 3 getters; getter B is
 * cancelled after 0..9 iterations. Every item is got exactly once or is still
 * in the queue, and no waiter is left behind. */
static void test_cancel_every_point(void **state) {
    int when;
    (void)state;
    for (when = 0; when < 10; when++) {
        async_loop loop;
        async_value buf[1], v;
        async_queue q;
        async_task tp, tg[3];
        struct qworker p, g[3];
        long got = 0;
        int k;
        async_task_init(&tp);
        memset(tg, 0, sizeof tg);
        test_loop_init(&loop);
        async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 1, 0);
        mk(&loop, &tg[0], &g[0], &q, "A", 0, 1);
        mk(&loop, &tg[1], &g[1], &q, "B", 0, 1);
        mk(&loop, &tg[2], &g[2], &q, "C", 0, 1);
        mk(&loop, &tp, &p, &q, "P", 1, 3);
        test_run_iterations(&loop, NULL, when);
        async_task_cancel(&tg[1]);
        for (k = 0; k < 3; k++) async_loop_run_until_complete(&loop, &tg[k].fut);
        async_loop_run_until_complete(&loop, &tp.fut);
        for (k = 0; k < 3; k++)
            if (async_future_error(&tg[k].fut) == 0) got++;
        while (async_queue_get_nowait(&q, &v) == 0) got++;
        assert_int_equal(got, 3);
        assert_int_equal(async_future_error(&tg[0].fut), 0);
        assert_int_equal(async_future_error(&tg[2].fut), 0);
        assert_null(q.getters.head);
        assert_null(q.putters.head);
        rec_reset();
        test_loop_close(&loop);
    }
}

#define NPROD 3
#define NCONS 5
#define NITEMS 1000000
static unsigned char seen[NITEMS];
static long consumed_total;

struct prod {
    async_frame hdr;
    async_queue *q;
    long from, to, i;
    async_wait_op op;
};
static ASYNC_FN(prod_co, struct prod) {
    ASYNC_BEGIN();
    for (self->i = self->from; self->i < self->to; self->i++) ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->i));
    ASYNC_END();
}
struct cons {
    async_frame hdr;
    async_queue *q;
    long got;
    int err;
    async_wait_op op;
};
static ASYNC_FN(cons_co, struct cons) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_QUEUE_GET(&self->op, self->q);
        if (ASYNC_VALUE.i >= 0 && ASYNC_VALUE.i < NITEMS) seen[ASYNC_VALUE.i]++;
        self->got++;
        async_queue_task_done(self->q);
        ASYNC_SLEEP0(); /* the work on the item: lets the other consumers in */
    }
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ESHUTDOWN) ASYNC_ERROR = 0; /* the normal end */
    consumed_total += self->got;
    ASYNC_END();
}

static void test_3_producers_5_consumers(void **state) {
    static async_loop loop;
    static async_value buf[64];
    static async_queue q;
    static async_task tp[NPROD], tc[NCONS];
    static struct prod p[NPROD];
    static struct cons c[NCONS];
    double t0 = test_wall();
    long i;
    int k;
    (void)state;
    test_loop_init(&loop);
    memset(seen, 0, sizeof seen);
    consumed_total = 0;
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 64, 0);
    for (k = 0; k < NCONS; k++) {
        memset(&c[k], 0, sizeof c[k]);
        c[k].q = &q;
        async_task_create(&loop, &tc[k], cons_co, &c[k], "cons");
    }
    for (k = 0; k < NPROD; k++) {
        memset(&p[k], 0, sizeof p[k]);
        p[k].q = &q;
        p[k].from = (long)k * NITEMS / NPROD;
        p[k].to = (long)(k + 1) * NITEMS / NPROD;
        async_task_create(&loop, &tp[k], prod_co, &p[k], "prod");
    }
    for (k = 0; k < NPROD; k++) assert_int_equal(async_loop_run_until_complete(&loop, &tp[k].fut), 0);
    async_queue_shutdown(&q, 0);
    for (k = 0; k < NCONS; k++) assert_int_equal(async_loop_run_until_complete(&loop, &tc[k].fut), 0);
    assert_int_equal(consumed_total, NITEMS);
    for (i = 0; i < NITEMS; i++)
        if (seen[i] != 1) fail_msg("item %ld seen %d times", i, seen[i]);
    for (k = 0; k < NCONS; k++) assert_true(c[k].got > 0); /* every consumer took part */
    assert_int_equal(q.unfinished, 0);
    print_message("3 producers / 5 consumers, %d items: %.3f s (per consumer: %ld %ld %ld %ld %ld)\n", NITEMS,
                  test_wall() - t0, c[0].got, c[1].got, c[2].got, c[3].got, c[4].got);
    test_loop_close(&loop);
}

/* asyncio: `await q.join()` returns None, idle or after waiting. */
struct valjoiner {
    async_frame hdr;
    async_queue *q;
    async_wait_op op;
};
static ASYNC_FN(valjoiner_co, struct valjoiner) {
    ASYNC_BEGIN();
    ASYNC_QUEUE_JOIN(&self->op, self->q);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 100));
    ASYNC_END();
}
static void test_join_returns_none(void **state) {
    async_loop loop;
    async_value buf[2], v;
    async_queue q;
    async_task t;
    struct valjoiner j;
    (void)state;
    test_loop_init(&loop);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, buf, 2, 0);
    memset(&j, 0, sizeof j);
    j.q = &q;
    async_task_init(&t);
    async_task_create(&loop, &t, valjoiner_co, &j, "idle");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 100); /* idle: none */
    async_queue_put_nowait(&q, async_int(5));
    async_task_create(&loop, &t, valjoiner_co, &j, "waits");
    test_run_iterations(&loop, NULL, 2);
    assert_false(async_future_done(&t.fut));
    async_queue_get_nowait(&q, &v);
    async_queue_task_done(&q);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 100); /* after waiting: none */
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_orders_and_nowait),       TEST(test_maxsize_and_misuse),    TEST(test_put_waits_get_waits),
        TEST(test_task_done_join), TEST(test_join_returns_none),          TEST(test_shutdown_graceful),     TEST(test_shutdown_immediate),
        TEST(test_cancelled_getter_passes_item), TEST(test_cancel_every_point), TEST(test_3_producers_5_consumers),
    };
    return TEST_RUN(tests);
}
