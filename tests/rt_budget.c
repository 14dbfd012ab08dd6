/* rt_budget.c — the libev loop kept busy (async.h section 9, "Latency"), by a
 * task that yields forever or by two tasks that hand a future back and forth
 * and never yield. The loop polls at every yield, and otherwise once per
 * budget while tasks are ready, so a socket read and a call_soon_threadsafe
 * must still complete within 3 steps of the busy set after the event with
 * the yielding task, within budget + 3 with the pair; buffered stream writes,
 * which ask for a poll, within 3 either way. Counted in steps, not time. */
#include "rt_common.h"
#include <pthread.h>
#include <sys/socket.h>

enum { EV_SOCKET, EV_TSCALL, EV_THREAD, EV_STREAM };

/* Shared by the tasks of one run. */
struct run {
    int kind;
    int sv[2];
    long at;                /* the spinner's step that makes the event */
    long spins;             /* steps of the spinner so far (atomic: EV_THREAD reads it) */
    long queued;            /* EV_THREAD: the spinner's count once the call was queued */
    long seen;              /* the spinner's count when the event reached its consumer */
    int done, pair;
    async_future f[2];      /* pair: player 0 waits on f[0], player 1 on f[1] */
    async_loop *loop;
    async_tscall tc;
    async_stream s;
    pthread_t th;
};

static long spins_now(struct run *r) { return __atomic_load_n(&r->spins, __ATOMIC_SEQ_CST); }

static void on_call(void *arg) {
    struct run *r = (struct run *)arg;
    r->seen = spins_now(r);
    r->done = 1;
}

static void *thread_call(void *arg) {
    struct run *r = (struct run *)arg;
    assert_int_equal(async_call_soon_threadsafe(r->loop, &r->tc, on_call, r), 0);
    __atomic_store_n(&r->queued, spins_now(r), __ATOMIC_SEQ_CST);
    return NULL;
}

/* One step of the busy set: counts it, makes the event at step `at`. */
static void busy_step(struct run *r, async_loop *loop) {
    assert_true(spins_now(r) < 10000000); /* starved: the event never came */
    if (spins_now(r) == r->at) {
        switch (r->kind) {
        case EV_SOCKET: assert_int_equal(write(r->sv[1], "x", 1), 1); break;
        case EV_TSCALL: assert_int_equal(async_call_soon_threadsafe(loop, &r->tc, on_call, r), 0); break;
        case EV_THREAD: assert_int_equal(pthread_create(&r->th, NULL, thread_call, r), 0); break;
        default: /* the second write of a step is buffered for the next poll */
            assert_int_equal(async_stream_write(&r->s, "a", 1), 0);
            assert_int_equal(async_stream_write(&r->s, "b", 1), 0);
            assert_true(async_stream_write_buffered(&r->s) > 0);
        }
    }
    __atomic_store_n(&r->spins, spins_now(r) + 1, __ATOMIC_SEQ_CST);
}

/* The busy set: a task that yields (sleep(0)) until the event reached its
 * consumer, or (pair) two tasks handing a future back and forth, which never
 * yield. */
struct spinner { async_frame hdr; struct run *r; async_timer t; };
static ASYNC_FN(spinner, struct spinner) {
    ASYNC_BEGIN();
    while (!self->r->done) {
        busy_step(self->r, ASYNC_LOOP);
        ASYNC_SLEEP_TICKS(&self->t, 0);
    }
    ASYNC_END();
}
struct player { async_frame hdr; struct run *r; int side; };
static ASYNC_FN(player, struct player) {
    struct run *r = self->r;
    ASYNC_BEGIN();
    if (self->side) ASYNC_AWAIT(&r->f[1]);
    while (!r->done) {
        async_future_init(&r->f[self->side], ASYNC_LOOP);
        busy_step(r, ASYNC_LOOP);
        async_future_set_result(&r->f[!self->side], async_none());
        ASYNC_AWAIT(&r->f[self->side]);
    }
    if (!async_future_done(&r->f[!self->side])) /* the other one ends too */
        async_future_set_result(&r->f[!self->side], async_none());
    ASYNC_END();
}

/* Consumes the socket's bytes (EV_SOCKET: one; EV_STREAM: both writes). */
struct reader { async_frame hdr; struct run *r; async_sockop op; char buf[4]; long got, want; };
static ASYNC_FN(reader, struct reader) {
    ASYNC_BEGIN();
    while (self->got < self->want) {
        ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->r->sv[self->r->kind == EV_STREAM ? 1 : 0],
                                    self->buf, sizeof self->buf));
        assert_true(ASYNC_VALUE.i > 0);
        self->got += (long)ASYNC_VALUE.i;
    }
    self->r->seen = spins_now(self->r);
    self->r->done = 1;
    ASYNC_END();
}

struct budget_main {
    async_frame hdr;
    struct run *r;
    async_task ts, tr, tp[2];
    struct spinner sp;
    struct reader rd;
    struct player pl[2];
};
static ASYNC_FN(budget_main, struct budget_main) {
    ASYNC_BEGIN();
    self->sp.r = self->rd.r = self->pl[0].r = self->pl[1].r = self->r;
    self->rd.want = self->r->kind == EV_STREAM ? 2 : 1;
    if (self->r->kind == EV_SOCKET || self->r->kind == EV_STREAM)
        assert_int_equal(async_task_create(ASYNC_LOOP, &self->tr, reader, &self->rd, "reader"), 0);
    if (self->r->pair) {
        self->pl[1].side = 1;
        async_future_init(&self->r->f[1], ASYNC_LOOP);
        assert_int_equal(async_task_create(ASYNC_LOOP, &self->tp[1], player, &self->pl[1], "ponger"), 0);
        assert_int_equal(async_task_create(ASYNC_LOOP, &self->tp[0], player, &self->pl[0], "pinger"), 0);
        ASYNC_AWAIT(&self->tp[0].fut);
        ASYNC_AWAIT(&self->tp[1].fut);
    } else {
        assert_int_equal(async_task_create(ASYNC_LOOP, &self->ts, spinner, &self->sp, "spinner"), 0);
        ASYNC_AWAIT(&self->ts.fut);
    }
    if (self->r->kind == EV_SOCKET || self->r->kind == EV_STREAM) ASYNC_AWAIT(&self->tr.fut);
    ASYNC_END();
}

static long run_one(int kind, int pair, unsigned budget) {
    struct run r;
    struct budget_main m;
    async_loop loop;
    async_task t;
    memset(&r, 0, sizeof r);
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    r.kind = kind;
    r.pair = pair;
    r.at = 5;
    r.seen = -1;
    m.r = &r;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r.sv), 0);
    assert_int_equal(async_rt_loop_init(&loop), 0);
    async_loop_set_budget(&loop, budget);
    r.loop = &loop;
    if (kind == EV_STREAM) assert_int_equal(async_stream_open_fd(&r.s, &loop, r.sv[0]), 0);
    alarm(20);
    assert_int_equal(async_run(&loop, &t, budget_main, &m), 0);
    alarm(0);
    if (kind == EV_THREAD) assert_int_equal(pthread_join(r.th, NULL), 0);
    if (kind == EV_STREAM) async_stream_destroy(&r.s);
    async_rt_loop_close(&loop);
    if (kind != EV_STREAM) close(r.sv[0]);
    close(r.sv[1]);
    assert_true(r.seen > r.at);
    return kind == EV_THREAD ? r.seen - r.queued : r.seen - r.at;
}

static const unsigned budgets[] = {0, 1, ASYNC_CONFIG_LOOP_BUDGET, 1000};

static void check_kind(int kind) {
    size_t i;
    int pair;
    for (pair = 0; pair < 2; pair++)
        for (i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
            long late = run_one(kind, pair, budgets[i]);
            /* a yield polls; so does buffered output: at the next batch */
            long bound = pair && kind != EV_STREAM ? (long)budgets[i] + 3 : 3;
            if (late > bound) fail_msg("%s, budget %u: %ld steps late", pair ? "pair" : "yields", budgets[i], late);
        }
}

static void test_socket_read_under_busy_task(void **st) {
    (void)st;
    check_kind(EV_SOCKET);
}
static void test_threadsafe_call_under_busy_task(void **st) {
    (void)st;
    check_kind(EV_TSCALL);
}
/* From another thread: delivered while the task spins, within the bound of
 * the moment the call was queued (the thread notes it just after). */
static void test_thread_call_under_busy_task(void **st) {
    (void)st;
    check_kind(EV_THREAD);
}
static void test_stream_writes_leave_under_busy_task(void **st) {
    (void)st;
    check_kind(EV_STREAM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_socket_read_under_busy_task),
        RT_TEST(test_threadsafe_call_under_busy_task),
        RT_TEST(test_thread_call_under_busy_task),
        RT_TEST(test_stream_writes_leave_under_busy_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
