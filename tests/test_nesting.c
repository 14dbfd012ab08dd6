/* test_nesting.c — chains of ASYNC_AWAIT_CO: what a resume of a suspended
 * chain does, at any depth. With ASYNC_CONFIG_DIRECT_RESUME a resume calls
 * the innermost suspended coroutine (the leaf) directly and the frames above
 * run again only when it finishes; everything else must be as if every
 * resume re-entered the chain from its root: values in and out, errors,
 * cancellation delivered at the leaf's await and unwinding through the try
 * blocks, FINALLY and timeout blocks of the frames above, AWAIT_CO_CATCH,
 * where a task is suspended, traces, coroutines written by hand, reused
 * frames, the library's operations as leaves. The call counts (lvl_calls)
 * show which frames a resume really entered. */
#if !defined(ASYNC_CONFIG_TRACE) && !defined(TEST_BACKEND_EV) /* (the runtime's library is built without) */
#define ASYNC_CONFIG_TRACE 1 /* the coroutine events of the trace test */
#endif
#include "test_support.h"

#define MAXD 64

enum leaf_mode {
    M_YIELD,       /* yield n times (value sent in * 2), return their sum */
    M_SLEEP0_WAIT, /* n x sleep(0), then await g_block; return its result */
    M_FAIL,        /* n x sleep(0), then raise EIO */
    M_DEEPER,      /* yield, await the chain at `deeper`, yield, return its result */
    M_SLEEP,       /* n x sleep 5 ticks, return n */
    M_LOCK,        /* acquire g_lock, release it, return 1 */
    M_QUEUE,       /* get from g_queue, return the item */
    M_EVENT,       /* wait for g_event, return 2 */
    M_PARENT_YIELD /* a chain at `deeper` (leaf yields), then yield n times itself, then the chain again */
};

struct lvl {
    ASYNC_TRY_FRAME(1);
    struct lvl *child;  /* NULL: a leaf */
    struct lvl *deeper; /* M_DEEPER, M_PARENT_YIELD */
    int d, mode;
    long n, k, sum, got;
    async_timer t;
    async_wait_op op;
};

static long lvl_calls[2 * MAXD + 2]; /* by d: how many times the frame's function was called */
static int g_catch = -1;             /* the depth whose try block catches a cancellation */
static async_future g_block;
static unsigned g_block_line;
static async_lock g_lock;
static async_event g_event;
static async_queue g_queue;
static async_value g_queue_buf[4];

ASYNC_DECLARE(lvl, struct lvl);

static ASYNC_FN(lvl_body, struct lvl) {
    ASYNC_BEGIN();
    if (self->child) {
        ASYNC_TRY {
            ASYNC_AWAIT_CO(lvl, self->child);
            self->got = ASYNC_VALUE.i;
        } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
            if (self->d != g_catch) ASYNC_RERAISE();
            rec("c%d", self->d);
            self->got = 1000;
        } ASYNC_END_TRY;
    } else if (self->mode == M_YIELD) {
        for (self->k = 0; self->k < self->n; self->k++) {
            ASYNC_YIELD(async_int(ASYNC_VALUE.i * 2));
            self->sum += ASYNC_VALUE.i;
        }
        self->got = self->sum;
    } else if (self->mode == M_SLEEP0_WAIT || self->mode == M_FAIL) {
        for (self->k = 0; self->k < self->n; self->k++) ASYNC_SLEEP0();
        if (self->mode == M_FAIL) ASYNC_RAISE(5);
        g_block_line = __LINE__; ASYNC_AWAIT(&g_block);
        self->got = ASYNC_VALUE.i;
    } else if (self->mode == M_DEEPER) {
        ASYNC_YIELD(async_int(1));
        ASYNC_AWAIT_CO(lvl, self->deeper);
        self->got = ASYNC_VALUE.i;
        ASYNC_YIELD(async_int(2));
    } else if (self->mode == M_SLEEP) {
        for (self->k = 0; self->k < self->n; self->k++) ASYNC_SLEEP_TICKS(&self->t, 5);
        self->got = self->n;
    } else if (self->mode == M_LOCK) {
        ASYNC_LOCK_ACQUIRE(&self->op, &g_lock);
        async_lock_release(&g_lock);
        self->got = 1;
    } else if (self->mode == M_QUEUE) {
        ASYNC_QUEUE_GET(&self->op, &g_queue);
        self->got = ASYNC_VALUE.i;
    } else if (self->mode == M_EVENT) {
        ASYNC_EVENT_WAIT(&self->op, &g_event);
        self->got = 2;
    } else if (self->mode == M_PARENT_YIELD) {
        ASYNC_AWAIT_CO(lvl, self->deeper);
        for (self->k = 0; self->k < self->n; self->k++) ASYNC_YIELD(async_int(100 + self->k));
        ASYNC_AWAIT_CO(lvl, self->deeper);
        self->got = ASYNC_VALUE.i;
    }
    ASYNC_RETURN(async_int(self->got + 1));
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("f%d", self->d);
    ASYNC_END();
}

/* A forwarder with the same frame: counts the calls. */
async_status lvl(async_ctx *async_ctx_, void *async_vself_) {
    lvl_calls[((struct lvl *)async_vself_)->d]++;
    return lvl_body(async_ctx_, async_vself_);
}

static struct lvl chain[2 * MAXD + 2];

/* chain[0] is the root, chain[d] the leaf (mode, n); the rest is zeroed. */
static void build(int d, int mode, long n) {
    int i;
    memset(chain, 0, sizeof chain);
    memset(lvl_calls, 0, sizeof lvl_calls);
    for (i = 0; i <= d; i++) {
        chain[i].d = i;
        chain[i].child = i < d ? &chain[i + 1] : NULL;
    }
    chain[d].mode = mode;
    chain[d].n = n;
}

/* Frames above the leaf entered by `resumes` resumes after the first run, when
 * none of them finished. */
static long above(long resumes) { return ASYNC_CONFIG_DIRECT_RESUME ? 1 : 1 + resumes; }

static void assert_calls(int from, int to, long want) {
    int i;
    for (i = from; i <= to; i++) {
        if (lvl_calls[i] != want) print_error("level %d: %ld calls, want %ld\n", i, lvl_calls[i], want);
        assert_int_equal(lvl_calls[i], want);
    }
}

/* send / yield through chains of depth 1, 8 and 64: the leaf gets every value
 * sent in and its yields come out; the return value climbs the chain. */
static void test_send_deep(void **state) {
    static const int depths[] = {1, 8, MAXD};
    int di;
    (void)state;
    for (di = 0; di < 3; di++) {
        int d = depths[di];
        async_coro co;
        long i, n = 20;
        build(d, M_YIELD, n);
        async_coro_init(&co, lvl, &chain[0]);
        assert_int_equal(async_send(&co, async_int(3)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 6);
        for (i = 1; i < n; i++) {
            assert_int_equal(async_send(&co, async_int(i)), ASYNC_YIELDED);
            assert_int_equal(co.ctx.value.i, 2 * i);
        }
        assert_calls(0, d - 1, above(n - 1));
        assert_int_equal(lvl_calls[d], n);
        assert_int_equal(async_send(&co, async_int(1000)), ASYNC_DONE);
        /* sum of 1..n-1 and 1000; +1 per level */
        assert_int_equal(co.ctx.value.i, n * (n - 1) / 2 + 1000 + 1 + d);
        assert_calls(0, d - 1, above(n - 1) + 1);
        assert_int_equal(lvl_calls[d], n + 1);
        assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
        expect_misuse("finished");
    }
}

/* async_throw into a deep chain: raised at the leaf's yield, it unwinds every
 * frame (FINALLY innermost first); the one that catches it ends normally. */
static void test_throw_deep(void **state) {
    async_coro co;
    (void)state;
    build(MAXD, M_YIELD, 5);
    async_coro_init(&co, lvl, &chain[0]);
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
    g_catch = 10;
    assert_int_equal(async_throw(&co, ASYNC_ECANCELLED), ASYNC_DONE);
    g_catch = -1;
    {
        char want[1024] = "";
        int i;
        for (i = MAXD; i > 10; i--) sprintf(want + strlen(want), "f%d ", i);
        strcat(want, "c10");
        assert_rec(want);
    }
    assert_int_equal(co.ctx.value.i, 1000 + 1 + 10);
    rec_reset();
    build(8, M_YIELD, 5);
    async_coro_init(&co, lvl, &chain[0]);
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
    assert_int_equal(async_throw(&co, 7), ASYNC_FAILED);
    assert_int_equal(co.ctx.err, 7);
    assert_rec("f8 f7 f6 f5 f4 f3 f2 f1 f0");
}

/* A task at depth 64: where it is suspended and what it waits on are the
 * leaf's; the result climbs the chain. */
static void test_task_deep(void **state) {
    async_loop loop;
    async_task t;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    build(MAXD, M_SLEEP0_WAIT, 5);
    async_future_init(&g_block, &loop);
    assert_int_equal(async_task_create(&loop, &t, lvl, &chain[0], "deep"), 0);
    test_run_iterations(&loop, NULL, 10);
    assert_false(async_future_done(&t.fut));
    assert_ptr_equal(async_task_waiting_on(&t), &g_block);
    if (ASYNC_CONFIG_TASK_INFO) assert_int_equal(async_task_where_line(&t), g_block_line);
    assert_calls(0, MAXD - 1, above(5));
    assert_int_equal(lvl_calls[MAXD], 6);
    async_future_set_result(&g_block, async_int(40));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 40 + 1 + MAXD);
    assert_calls(0, MAXD - 1, above(5) + 1);
    test_loop_close(&loop);
}

/* Cancellation of a chain of 64 caught at every depth in turn (and nowhere):
 * delivered at the leaf's await (parked) or at its sleep(0) (ready), it
 * unwinds the frames below the catcher innermost first; the catcher ends
 * normally and the frames above take its result. */
static void cancel_at(int catch_at, int ready) {
    async_loop loop;
    async_task t;
    char want[1024] = "";
    int i;
    rec_reset();
    async_task_init(&t);
    test_loop_init(&loop);
    build(MAXD, M_SLEEP0_WAIT, 3);
    async_future_init(&g_block, &loop);
    g_catch = catch_at;
    assert_int_equal(async_task_create(&loop, &t, lvl, &chain[0], "deep"), 0);
    test_run_iterations(&loop, NULL, ready ? 2 : 10); /* ready: between two sleep(0)s */
    assert_false(async_future_done(&t.fut));
    assert_int_equal(async_task_cancel(&t), 1);
    (void)async_loop_run_until_complete(&loop, &t.fut);
    for (i = MAXD; i > catch_at; i--) sprintf(want + strlen(want), i > catch_at + 1 || catch_at < 0 ? "f%d " : "f%d", i);
    if (catch_at >= 0) {
        sprintf(want + strlen(want), " c%d", catch_at);
        assert_false(async_future_cancelled(&t.fut));
        assert_int_equal(async_future_result(&t.fut).i, 1000 + 1 + catch_at);
    } else {
        want[strlen(want) - 1] = 0;
        assert_true(async_future_cancelled(&t.fut));
    }
    assert_rec(want);
    g_catch = -1;
    test_loop_close(&loop);
}
static void test_cancel_every_depth(void **state) {
    int c;
    (void)state;
    for (c = -1; c < MAXD; c++) {
        cancel_at(c, 0);
        cancel_at(c, 1);
    }
}

/* AWAIT_CO_CATCH above a chain whose leaf fails after two direct resumes. */
struct catcher {
    async_frame hdr;
    int err;
};
static ASYNC_FN(catcher_co, struct catcher) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CO_CATCH(lvl, &chain[0], self->err);
    rec("caught%d", self->err);
    ASYNC_RETURN(async_int(self->err));
    ASYNC_END();
}
static void test_catch_co(void **state) {
    async_loop loop;
    async_task t;
    struct catcher c;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    memset(&c, 0, sizeof c);
    build(8, M_FAIL, 2);
    assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, catcher_co, &c, "catch"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 5);
    assert_rec("f8 f7 f6 f5 f4 f3 f2 f1 f0 caught5");
    assert_calls(0, 7, above(1) + 1);
    test_loop_close(&loop);
}

/* A leaf that, resumed directly, starts a deeper chain: that one's leaf is
 * resumed next; when it finishes, the first leaf goes on. */
static void test_leaf_goes_deeper(void **state) {
    async_coro co;
    int i;
    (void)state;
    build(8, M_DEEPER, 0);
    for (i = 9; i <= 17; i++) {
        chain[i].d = i;
        chain[i].child = i < 17 ? &chain[i + 1] : NULL;
    }
    chain[8].deeper = &chain[9];
    chain[17].mode = M_YIELD;
    chain[17].n = 4;
    async_coro_init(&co, lvl, &chain[0]);
    assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
    assert_int_equal(co.ctx.value.i, 1);
    for (i = 0; i < 4; i++) {
        assert_int_equal(async_send(&co, async_int(10 + i)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 2 * (10 + i));
    }
    assert_calls(0, 7, above(4));
    assert_int_equal(lvl_calls[8], above(3) + 1);
    assert_calls(9, 16, above(3));
    assert_int_equal(async_send(&co, async_int(5)), ASYNC_YIELDED); /* the deeper chain ends: the leaf's second yield */
    assert_int_equal(co.ctx.value.i, 2);
    assert_int_equal(chain[8].got, 11 + 12 + 13 + 5 + 1 + 8);
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, chain[8].got + 1 + 8);
    /* direct: the first run, then once for each leaf that finished */
    assert_calls(0, 7, ASYNC_CONFIG_DIRECT_RESUME ? 3 : 7);
    expect_no_misuse();
}

/* A frame that takes a finished child's result and then suspends by itself
 * (its parent must resume it, not the child that is over), then awaits the
 * same child frame again. */
static void test_parent_yields_after_child(void **state) {
    async_coro co;
    int i, round;
    (void)state;
    build(4, M_PARENT_YIELD, 3);
    for (i = 5; i <= 7; i++) {
        chain[i].d = i;
        chain[i].child = i < 7 ? &chain[i + 1] : NULL;
    }
    chain[4].deeper = &chain[5];
    chain[7].mode = M_YIELD;
    chain[7].n = 2;
    async_coro_init(&co, lvl, &chain[0]);
    for (round = 0; round < 2; round++) {
        assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 2);
        assert_int_equal(async_send(&co, async_int(2)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 4);
        if (round == 0) {
            for (i = 0; i < 3; i++) {
                assert_int_equal(async_send(&co, async_int(3)), ASYNC_YIELDED);
                assert_int_equal(co.ctx.value.i, 100 + i);
            }
        }
    }
    assert_int_equal(async_send(&co, async_int(4)), ASYNC_DONE);
    /* the second run of the chain at 5..7 adds to the leaf's sum: 2 + 3 + 2 + 4 */
    assert_int_equal(co.ctx.value.i, 11 + 1 + 2 + 1 + 4);
    expect_no_misuse();
}

/* A child frame reused for the next child (a union of frames). */
struct reuse {
    async_frame hdr;
    union {
        struct lvl a;
        struct lvl b;
    } u;
    long ra;
};
static ASYNC_FN(reuse_co, struct reuse) {
    ASYNC_BEGIN();
    memset(&self->u, 0, sizeof self->u);
    self->u.a.d = 1;
    self->u.a.n = 2;
    ASYNC_AWAIT_CO(lvl, &self->u.a);
    self->ra = ASYNC_VALUE.i;
    memset(&self->u, 0, sizeof self->u);
    self->u.b.d = 2;
    self->u.b.n = 3;
    ASYNC_AWAIT_CO(lvl, &self->u.b);
    ASYNC_RETURN(async_int(self->ra * 100 + ASYNC_VALUE.i));
    ASYNC_END();
}
static void test_frame_reuse(void **state) {
    async_coro co;
    struct reuse r;
    long expect[5] = {2, 4, 12, 8, 10}; /* b starts with a's result (6) as the value */
    int i;
    (void)state;
    memset(lvl_calls, 0, sizeof lvl_calls);
    memset(&r, 0, sizeof r);
    ASYNC_CORO_INIT(&co, reuse_co, &r);
    for (i = 0; i < 5; i++) {
        assert_int_equal(async_send(&co, async_int(i + 1)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, expect[i]);
    }
    assert_int_equal(async_send(&co, async_int(6)), ASYNC_DONE);
    /* a: 2 + 3 (+1), b: 4 + 5 + 6 (+1) */
    assert_int_equal(co.ctx.value.i, (2 + 3 + 1) * 100 + (4 + 5 + 6 + 1));
    assert_int_equal(lvl_calls[1], 3);
    assert_int_equal(lvl_calls[2], 4);
    expect_no_misuse();
}

/* Coroutines written by hand. doubler calls its child itself and doubles
 * every value it yields: it must run at every resume, even with a chain of
 * ASYNC_AWAIT_CO under it. hand_leaf finishes without marking its frame. */
struct dbl {
    async_frame hdr;
    int started;
};
static long dbl_calls;
ASYNC_DECLARE(doubler, struct dbl);
async_status doubler(async_ctx *async_ctx_, void *async_vself_) {
    struct dbl *self = (struct dbl *)async_vself_;
    async_status s;
    dbl_calls++;
    if (!self->started) {
        async_frame_reset(&chain[0]);
        self->started = 1;
    }
    s = lvl(async_ctx_, &chain[0]);
    if (s == ASYNC_YIELDED) async_ctx_->value.i *= 2;
    else if (s == ASYNC_DONE) async_ctx_->value.i += 10000;
    return s;
}
struct top {
    async_frame hdr;
    struct dbl dbl;
};
static ASYNC_FN(top_co, struct top) {
    ASYNC_BEGIN();
    self->dbl.started = 0;
    ASYNC_AWAIT_CO(doubler, &self->dbl);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}
struct hand {
    async_frame hdr;
    int k;
};
static int hand_calls;
ASYNC_DECLARE(hand_leaf, struct hand);
async_status hand_leaf(async_ctx *async_ctx_, void *async_vself_) {
    struct hand *self = (struct hand *)async_vself_;
    hand_calls++;
    if (++self->k <= 3) {
        async_ctx_->value = async_int(self->k);
        return ASYNC_YIELDED;
    }
    async_ctx_->value = async_int(99);
    return ASYNC_DONE;
}
struct hand_parent {
    async_frame hdr;
    struct hand h;
};
static ASYNC_FN(hand_parent_co, struct hand_parent) {
    ASYNC_BEGIN();
    self->h.k = 0;
    ASYNC_AWAIT_CO(hand_leaf, &self->h);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}
static void test_written_by_hand(void **state) {
    async_coro co;
    struct top tp;
    struct dbl root;
    struct hand_parent hp;
    long i;
    (void)state;
    /* doubler in the middle: top -> doubler -> chain of 8 */
    build(8, M_YIELD, 4);
    dbl_calls = 0;
    memset(&tp, 0, sizeof tp);
    ASYNC_CORO_INIT(&co, top_co, &tp);
    for (i = 0; i < 4; i++) {
        assert_int_equal(async_send(&co, async_int(i + 1)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 4 * (i + 1));
    }
    assert_int_equal(dbl_calls, 4);
    assert_int_equal(async_send(&co, async_int(5)), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 2 + 3 + 4 + 5 + 1 + 8 + 10000 + 1);
    assert_int_equal(dbl_calls, 5);
    /* doubler as the root */
    build(8, M_YIELD, 4);
    dbl_calls = 0;
    memset(&root, 0, sizeof root);
    ASYNC_CORO_INIT(&co, doubler, &root);
    for (i = 0; i < 4; i++) {
        assert_int_equal(async_send(&co, async_int(i + 1)), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, 4 * (i + 1));
    }
    assert_int_equal(async_send(&co, async_int(5)), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 2 + 3 + 4 + 5 + 1 + 8 + 10000);
    assert_int_equal(dbl_calls, 5);
    /* doubler in the middle of a task */
    {
        async_loop loop;
        async_task t;
        async_task_init(&t);
        test_loop_init(&loop);
        build(8, M_SLEEP0_WAIT, 3);
        async_future_init(&g_block, &loop);
        dbl_calls = 0;
        memset(&tp, 0, sizeof tp);
        assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, top_co, &tp, "dbl"), 0);
        test_run_iterations(&loop, NULL, 8);
        assert_int_equal(dbl_calls, 4);
        async_future_set_result(&g_block, async_int(7));
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
        assert_int_equal(async_future_result(&t.fut).i, 7 + 1 + 8 + 10000 + 1);
        assert_int_equal(dbl_calls, 5);
        test_loop_close(&loop);
    }
    /* a leaf by hand: called once per resume, its result taken once */
    hand_calls = 0;
    memset(&hp, 0, sizeof hp);
    ASYNC_CORO_INIT(&co, hand_parent_co, &hp);
    for (i = 1; i <= 3; i++) {
        assert_int_equal(async_send(&co, async_none()), ASYNC_YIELDED);
        assert_int_equal(co.ctx.value.i, i);
    }
    assert_int_equal(async_send(&co, async_none()), ASYNC_DONE);
    assert_int_equal(co.ctx.value.i, 100);
    assert_int_equal(hand_calls, 4);
    expect_no_misuse();
}

/* A child frame driven to its end behind its parent's back (misuse): resuming
 * it is reported as ever, whether the resume reaches it directly (the leaf)
 * or through the ASYNC_AWAIT_CO above it (under a coroutine written by hand). */
static void behind_the_back(int under_hand) {
    async_coro co, other;
    struct top tp;
    int i;
    build(2, M_YIELD, 3);
    memset(&tp, 0, sizeof tp);
    if (under_hand) ASYNC_CORO_INIT(&co, top_co, &tp);
    else async_coro_init(&co, lvl, &chain[0]);
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_YIELDED);
    async_coro_init(&other, lvl, &chain[2]);
    for (i = 0; i < 3; i++) assert_int_equal(async_send(&other, async_int(1)), ASYNC_YIELDED);
    assert_int_equal(async_send(&other, async_int(1)), ASYNC_DONE);
    expect_no_misuse();
    assert_int_equal(async_send(&co, async_int(1)), ASYNC_FAILED);
    expect_misuse("resumed after it finished");
    assert_int_equal(co.ctx.err, ASYNC_EMISUSE);
}
static void test_misuse_kept(void **state) {
    (void)state;
    behind_the_back(0);
    behind_the_back(1);
}

/* The library's operations as the leaf's await: lock, queue, event. */
static void lib_case(int mode, long want) {
    async_loop loop;
    async_task t;
    async_task_init(&t);
    test_loop_init(&loop);
    build(MAXD, mode, 0);
    async_lock_init(&g_lock);
    async_event_init(&g_event);
    async_queue_init(&g_queue, ASYNC_QUEUE_FIFO, g_queue_buf, 4, 0);
    assert_int_equal(async_lock_try_acquire(&g_lock), 1); /* held by "someone" */
    assert_int_equal(async_task_create(&loop, &t, lvl, &chain[0], "lib"), 0);
    test_run_iterations(&loop, NULL, 5);
    assert_false(async_future_done(&t.fut));
    assert_non_null(async_task_waiting_on(&t));
    if (mode == M_LOCK) assert_int_equal(async_lock_release(&g_lock), 0);
    if (mode == M_QUEUE) assert_int_equal(async_queue_put_nowait(&g_queue, async_int(41)), 0);
    if (mode == M_EVENT) assert_int_equal(async_event_set(&g_event), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, want + 1 + MAXD);
    assert_calls(0, MAXD - 1, 2);
    test_loop_close(&loop);
}
static void test_library_leaves(void **state) {
    (void)state;
    lib_case(M_LOCK, 1);
    lib_case(M_QUEUE, 41);
    lib_case(M_EVENT, 2);
}

/* A TaskGroup's exit as the leaf's await: it waits for the children. */
struct kid {
    async_frame hdr;
    async_timer t;
};
static ASYNC_FN(kid_co, struct kid) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, 3);
    rec("kid");
    ASYNC_END();
}
struct tg_leaf {
    async_frame hdr;
    async_taskgroup tg;
    async_tg_task kt;
    struct kid kf;
    int err;
};
static ASYNC_FN(tg_leaf_co, struct tg_leaf) {
    ASYNC_BEGIN();
    async_taskgroup_enter(&self->tg, ASYNC_TASK);
    async_taskgroup_spawn(&self->tg, &self->kt, kid_co, &self->kf, "kid");
    ASYNC_SLEEP0();
    ASYNC_TASKGROUP_EXIT(&self->tg, 0);
    rec("exit");
    ASYNC_RETURN(async_int(9));
    ASYNC_END();
}
struct tg_chain {
    async_frame hdr;
    struct tg_chain *child;
    struct tg_leaf *leaf;
};
static ASYNC_FN(tg_chain_co, struct tg_chain) {
    ASYNC_BEGIN();
    if (self->child) ASYNC_AWAIT_CO(tg_chain_co, self->child);
    else ASYNC_AWAIT_CO(tg_leaf_co, self->leaf);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}
static void test_taskgroup_leaf(void **state) {
    async_loop loop;
    async_task t;
    static struct tg_chain c[9];
    static struct tg_leaf leaf;
    int i;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    memset(c, 0, sizeof c);
    memset(&leaf, 0, sizeof leaf);
    for (i = 0; i < 9; i++) c[i].child = i < 8 ? &c[i + 1] : NULL;
    c[8].leaf = &leaf;
    assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, tg_chain_co, &c[0], "tg"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 9 + 9);
    assert_rec("kid exit");
    test_loop_close(&loop);
}

/* A timeout block in a frame above the chain: its deadline cancels the
 * leaf's sleep, the frames between unwind, the block raises ETIMEOUT at its
 * end (on the virtual clock: at tick 12, during the leaf's third sleep). */
struct tmo {
    ASYNC_TRY_FRAME(2);
    async_timeout to;
};
static ASYNC_FN(tmo_co, struct tmo) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_TIMEOUT(&self->to, 12) {
            ASYNC_AWAIT_CO(lvl, &chain[0]);
            rec("r%ld", (long)ASYNC_VALUE.i);
        } ASYNC_END_TIMEOUT(&self->to);
    } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
        rec("timeout@%ld", (long)async_loop_time(ASYNC_LOOP));
    } ASYNC_END_TRY;
    ASYNC_END();
}
static void test_timeout_block_above(void **state) {
    async_loop loop;
    async_task t;
    struct tmo f;
    (void)state;
    TEST_NEED_VIRTUAL();
    async_task_init(&t);
    test_loop_init(&loop);
    memset(&f, 0, sizeof f);
    async_timeout_init(&f.to);
    build(8, M_SLEEP, 5);
    assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, tmo_co, &f, "tmo"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("f8 f7 f6 f5 f4 f3 f2 f1 f0 timeout@12");
    assert_calls(0, 7, above(2) + 1);
    rec_reset();
    memset(&f, 0, sizeof f);
    async_timeout_init(&f.to);
    build(8, M_SLEEP, 2); /* done at tick 10, before the deadline */
    assert_int_equal(ASYNC_TASK_CREATE(&loop, &t, tmo_co, &f, "tmo"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_rec("r11");
    test_loop_close(&loop);
}

/* The control-flow trace of a deep chain: the same events as a descent from
 * the root at every resume would give (bodies start once, the leaf's await
 * suspends and resumes). */
static void trace_rec(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    (void)t;
    (void)s;
    (void)ud;
    if (ev == ASYNC_TRACE_STEP_BEGIN) rec("S");
    else if (ev == ASYNC_TRACE_STEP_END) rec("E%d", (int)s);
#if ASYNC_CONFIG_TRACE
    else if (ev == ASYNC_TRACE_CORO_BEGIN) rec("B");
    else if (ev == ASYNC_TRACE_AWAIT_SUSPEND) rec("as%d", async_trace_future(loop) == &g_block);
    else if (ev == ASYNC_TRACE_AWAIT_RESUME) rec("ar%d", async_trace_future(loop) == &g_block);
#else
    (void)loop;
#endif
}
static void test_trace(void **state) {
    async_loop loop;
    async_task t;
    (void)state;
    async_task_init(&t);
    test_loop_init(&loop);
    build(3, M_SLEEP0_WAIT, 2);
    async_future_init(&g_block, &loop);
    assert_int_equal(async_task_create(&loop, &t, lvl, &chain[0], "traced"), 0);
    async_loop_set_trace(&loop, trace_rec, NULL);
    test_run_iterations(&loop, NULL, 5);
    async_future_set_result(&g_block, async_int(1));
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    async_loop_set_trace(&loop, NULL, NULL);
#if ASYNC_CONFIG_TRACE
    assert_rec("S B B B B E2 S E2 S as1 E3 S ar1 E0");
#else
    assert_rec("S E2 S E2 S E3 S E0");
#endif
    test_loop_close(&loop);
}

/* Two tasks, each a deep chain, resumed in turns: each keeps its own leaf. */
static struct lvl chain2[9];
static void test_two_tasks(void **state) {
    async_loop loop;
    async_task a, b;
    int i;
    (void)state;
    async_task_init(&a);
    async_task_init(&b);
    test_loop_init(&loop);
    build(8, M_SLEEP, 3);
    memset(chain2, 0, sizeof chain2);
    for (i = 0; i <= 8; i++) {
        chain2[i].d = MAXD + 1 + i;
        chain2[i].child = i < 8 ? &chain2[i + 1] : NULL;
    }
    chain2[8].mode = M_SLEEP;
    chain2[8].n = 4;
    assert_int_equal(async_task_create(&loop, &a, lvl, &chain[0], "a"), 0);
    assert_int_equal(async_task_create(&loop, &b, lvl, &chain2[0], "b"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &b.fut), 0);
    assert_true(async_future_done(&a.fut));
    assert_int_equal(async_future_result(&a.fut).i, 3 + 1 + 8);
    assert_int_equal(async_future_result(&b.fut).i, 4 + 1 + 8);
    assert_calls(0, 7, above(2) + 1);
    assert_calls(MAXD + 1, MAXD + 8, above(3) + 1);
    test_loop_close(&loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_send_deep),
        TEST(test_throw_deep),
        TEST(test_task_deep),
        TEST(test_cancel_every_depth),
        TEST(test_catch_co),
        TEST(test_leaf_goes_deeper),
        TEST(test_parent_yields_after_child),
        TEST(test_frame_reuse),
        TEST(test_written_by_hand),
        TEST(test_misuse_kept),
        TEST(test_library_leaves),
        TEST(test_taskgroup_leaf),
        TEST(test_timeout_block_above),
        TEST(test_trace),
        TEST(test_two_tasks),
    };
    return TEST_RUN(tests);
}
