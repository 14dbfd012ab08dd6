/* Random scheduler programs on the virtual clock, from seeds.
 *
 * Model runs: tasks that only sleep (1..4 ms steps) against a discrete-event
 * reference (a heap on (deadline, arming order)): the log of wake-ups must be
 * the same, which checks FIFO order among equal deadlines.
 *
 * Chaos runs: tasks that sleep, yield, set and await futures (wait_for),
 * set and wait events, put and get on a bounded queue, take a lock, gather,
 * cancel each other, inside timeout scopes, each step under 0 to 3 frames of
 * ASYNC_AWAIT_CO (the resumes go straight to the innermost suspended one,
 * ASYNC_CONFIG_DIRECT_RESUME). Every blocking step is bounded by
 * a deadline, so every task must end; no misuse may be reported; the queue's
 * items add up; the lock ends free; no timer and no queued handle is left.
 *
 * FUZZ_SCHED_N=<count> sets how many seeds each kind of run takes (default:
 * enough for about a second); FUZZ_SCHED_SEED=<s> replays one seed. */
#include "test_support.h"

static uint32_t g_rng;
static uint32_t rnd(uint32_t n) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return n ? g_rng % n : 0;
}

static long env_long(const char *name, long dflt) {
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 0) : dflt;
}

#define NT 8     /* tasks per program */
#define NSTEP 12 /* steps per task */

/* ---- model runs --------------------------------------------------------- */

static test_buf g_log;
struct mtask {
    async_frame hdr;
    async_timer t;
    int id, k;
    unsigned ms[NSTEP];
};
static ASYNC_FN(mtask_co, struct mtask) {
    ASYNC_BEGIN();
    for (self->k = 0; self->k < NSTEP; self->k++) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(self->ms[self->k]));
        test_buf_printf(&g_log, "%lu:%d.%d ", (unsigned long)(async_loop_time(ASYNC_LOOP) / async_ms(1)), self->id,
                        self->k);
    }
    ASYNC_END();
}

/* The reference: a binary heap of (deadline, seq, task). */
struct ev {
    unsigned long when, seq;
    int id;
};
static int ev_less(const struct ev *a, const struct ev *b) {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}
static void model_log(struct mtask *f, test_buf *out) {
    struct ev heap[NT], e, tmp;
    int n = 0, i, k[NT], c, p;
    unsigned long seq = 0;
    for (i = 0; i < NT; i++) { /* every task arms its first sleep at 0, in creation order */
        k[i] = 0;
        e.when = f[i].ms[0];
        e.seq = seq++;
        e.id = i;
        heap[n] = e;
        for (c = n++; c && ev_less(&heap[c], &heap[(c - 1) / 2]); c = (c - 1) / 2) {
            tmp = heap[c], heap[c] = heap[(c - 1) / 2], heap[(c - 1) / 2] = tmp;
        }
    }
    while (n) {
        e = heap[0];
        heap[0] = heap[--n];
        for (p = 0;;) {
            int l = 2 * p + 1, r = l + 1, m = p;
            if (l < n && ev_less(&heap[l], &heap[m])) m = l;
            if (r < n && ev_less(&heap[r], &heap[m])) m = r;
            if (m == p) break;
            tmp = heap[p], heap[p] = heap[m], heap[m] = tmp;
            p = m;
        }
        test_buf_printf(out, "%lu:%d.%d ", e.when, e.id, k[e.id]);
        if (++k[e.id] < NSTEP) {
            e.when += f[e.id].ms[k[e.id]];
            e.seq = seq++;
            heap[n] = e;
            for (c = n++; c && ev_less(&heap[c], &heap[(c - 1) / 2]); c = (c - 1) / 2) {
                tmp = heap[c], heap[c] = heap[(c - 1) / 2], heap[(c - 1) / 2] = tmp;
            }
        }
    }
}

static void model_run(uint32_t seed) {
    async_loop loop;
    static async_task t[NT];
    static struct mtask f[NT];
    static test_buf want;
    int i, j;
    g_rng = seed * 2654435761u + 1u;
    memset(t, 0, sizeof t);
    memset(f, 0, sizeof f);
    test_buf_reset(&g_log);
    test_buf_reset(&want);
    test_loop_init(&loop);
    for (i = 0; i < NT; i++) {
        f[i].id = i;
        for (j = 0; j < NSTEP; j++) f[i].ms[j] = 1 + rnd(4);
        async_task_create(&loop, &t[i], mtask_co, &f[i], "m");
    }
    model_log(f, &want);
    for (i = 0; i < NT; i++) assert_int_equal(async_loop_run_until_complete(&loop, &t[i].fut), 0);
    if (strcmp(g_log.s, want.s)) {
        print_error("seed %lu:\n got  %s\n want %s\n", (unsigned long)seed, g_log.s, want.s);
        fail();
    }
    assert_null(loop.timers);
    test_loop_close(&loop);
}

/* ---- chaos runs --------------------------------------------------------- */

enum { OP_SLEEP, OP_YIELD, OP_SETF, OP_WAITF, OP_EVSET, OP_EVWAIT, OP_PUT, OP_GET, OP_CANCEL, OP_LOCK, OP_GATHER, NOPS };

#define NF 12
static async_future g_fut[NF];
static async_event g_ev[2];
static async_queue g_q;
static async_value g_qbuf[2];
static async_lock g_lock;
static async_task g_task[NT];
static long g_puts, g_gets, g_ended, g_cancelled, g_steps, g_cancelled_total, g_timeouts;

struct gchild {
    async_frame hdr;
    async_waitset ws;
    async_future *futs[2];
    async_slot slots[2];
};
static ASYNC_FN(gather_child_co, struct gchild) {
    ASYNC_BEGIN();
    ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
    ASYNC_END();
}

struct opf { /* one step, run inline so that its error is caught */
    async_frame hdr;
    int kind, a, b;
    async_timer t;
    async_waitset ws;
    async_wait_op wop;
    struct gchild g;
    async_timeout to;
    int err;
};
static ASYNC_FN(op_co, struct opf) {
    ASYNC_BEGIN();
    if (self->kind == OP_SLEEP) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms((unsigned long)self->a));
    } else if (self->kind == OP_YIELD) {
        ASYNC_SLEEP0();
    } else if (self->kind == OP_SETF) {
        if (!async_future_done(&g_fut[self->a])) async_future_set_result(&g_fut[self->a], async_int(self->a));
    } else if (self->kind == OP_WAITF) {
        ASYNC_WAIT_FOR(&self->ws, &g_fut[self->a], async_ms((unsigned long)self->b));
    } else if (self->kind == OP_EVSET) {
        if (self->b & 1) async_event_clear(&g_ev[self->a]);
        else async_event_set(&g_ev[self->a]);
    } else if (self->kind == OP_EVWAIT) {
        async_timeout_after(&self->to, ASYNC_TASK, async_ms((unsigned long)self->b));
        self->wop.obj = &g_ev[self->a];
        ASYNC_AWAIT_CO_CATCH(async_event_wait_co, &self->wop, self->err);
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err) ASYNC_RAISE(self->err);
    } else if (self->kind == OP_PUT) {
        async_timeout_after(&self->to, ASYNC_TASK, async_ms((unsigned long)self->b));
        self->wop.obj = &g_q;
        self->wop.item = async_int(self->a);
        ASYNC_AWAIT_CO_CATCH(async_queue_put_co, &self->wop, self->err);
        if (!self->err) g_puts++;
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err) ASYNC_RAISE(self->err);
    } else if (self->kind == OP_GET) {
        async_timeout_after(&self->to, ASYNC_TASK, async_ms((unsigned long)self->b));
        self->wop.obj = &g_q;
        ASYNC_AWAIT_CO_CATCH(async_queue_get_co, &self->wop, self->err);
        if (!self->err) g_gets++;
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err) ASYNC_RAISE(self->err);
    } else if (self->kind == OP_CANCEL) {
        async_task_cancel(&g_task[self->a]);
    } else if (self->kind == OP_LOCK) {
        async_timeout_after(&self->to, ASYNC_TASK, async_ms((unsigned long)self->b));
        self->wop.obj = &g_lock;
        ASYNC_AWAIT_CO_CATCH(async_lock_acquire_co, &self->wop, self->err);
        if (!self->err) {
            ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms(1), self->err);
            async_lock_release(&g_lock);
        }
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err) ASYNC_RAISE(self->err);
    } else if (self->kind == OP_GATHER) {
        self->g.futs[0] = &g_fut[self->a];
        self->g.futs[1] = &g_fut[(self->a + 1) % NF];
        async_timeout_after(&self->to, ASYNC_TASK, async_ms((unsigned long)self->b));
        ASYNC_AWAIT_CO_CATCH(gather_child_co, &self->g, self->err);
        self->err = async_timeout_exit(&self->to, self->err);
        if (self->err) ASYNC_RAISE(self->err);
    }
    ASYNC_END();
}

/* A frame between a task and its step: awaits the next one, or the step. */
struct via {
    async_frame hdr;
    struct via *next;
    struct opf *op;
};
static ASYNC_FN(via_co, struct via) {
    ASYNC_BEGIN();
    if (self->next) ASYNC_AWAIT_CO(via_co, self->next);
    else ASYNC_AWAIT_CO(op_co, self->op);
    ASYNC_END();
}

#define NVIA 3
struct ctask {
    async_frame hdr;
    int id, k, err, cancels;
    int kind[NSTEP], a[NSTEP], b[NSTEP], depth[NSTEP];
    struct opf op;
    struct via v[NVIA];
};
static void link_via(struct ctask *c, int depth) {
    int i;
    for (i = 0; i < depth; i++) {
        c->v[i].next = i + 1 < depth ? &c->v[i + 1] : NULL;
        c->v[i].op = &c->op;
    }
}
static ASYNC_FN(ctask_co, struct ctask) {
    ASYNC_BEGIN();
    for (self->k = 0; self->k < NSTEP; self->k++) {
        memset(&self->op, 0, sizeof self->op);
        self->op.kind = self->kind[self->k];
        self->op.a = self->a[self->k];
        self->op.b = self->b[self->k];
        link_via(self, self->depth[self->k]);
        if (self->depth[self->k]) ASYNC_AWAIT_CO_CATCH(via_co, &self->v[0], self->err);
        else ASYNC_AWAIT_CO_CATCH(op_co, &self->op, self->err);
        g_steps++;
        if (self->err == ASYNC_ETIMEOUT) g_timeouts++;
        /* a cancellation is swallowed at most once: the task goes on */
        if (self->err == ASYNC_ECANCELLED && self->cancels++) ASYNC_RAISE(self->err);
        if (self->err && self->err != ASYNC_ECANCELLED && self->err != ASYNC_ETIMEOUT) ASYNC_RAISE(self->err);
    }
    ASYNC_END();
}

static void chaos_run(uint32_t seed) {
    async_loop loop;
    static struct ctask f[NT];
    int i, j, guard;
    g_rng = seed * 2246822519u + 7u;
    memset(g_task, 0, sizeof g_task);
    memset(f, 0, sizeof f);
    g_puts = g_gets = g_ended = g_cancelled = 0;
    test_loop_init(&loop);
    for (i = 0; i < NF; i++) async_future_init(&g_fut[i], &loop);
    async_event_init(&g_ev[0]);
    async_event_init(&g_ev[1]);
    async_queue_init(&g_q, ASYNC_QUEUE_FIFO, g_qbuf, 2, 0);
    async_lock_init(&g_lock);
    for (i = 0; i < NT; i++) {
        f[i].id = i;
        for (j = 0; j < NSTEP; j++) {
            int k = (int)rnd(NOPS);
            f[i].kind[j] = k;
            f[i].b[j] = 1 + (int)rnd(6); /* deadline, ms */
            f[i].depth[j] = (int)((seed + (uint32_t)(i * NSTEP + j)) % (NVIA + 1)); /* (no draw: the seeds' programs stay) */
            if (k == OP_SLEEP) f[i].a[j] = (int)rnd(4);
            else if (k == OP_SETF || k == OP_WAITF || k == OP_GATHER) f[i].a[j] = (int)rnd(NF);
            else if (k == OP_EVSET || k == OP_EVWAIT) f[i].a[j] = (int)rnd(2);
            else if (k == OP_PUT) f[i].a[j] = (int)rnd(100);
            else if (k == OP_CANCEL) f[i].a[j] = (int)((i + 1 + rnd(NT - 1)) % NT);
        }
        assert_int_equal(async_task_create(&loop, &g_task[i], ctask_co, &f[i], "c"), 0);
    }
    for (guard = 0; guard < 100000; guard++) {
        for (i = 0; i < NT && async_future_done(&g_task[i].fut); i++) {
        }
        if (i == NT) break;
        loop.running = 1;
        assert_int_equal(async_loop_run_once(&loop), 0);
        loop.running = 0;
    }
    if (guard == 100000) {
        print_error("seed %lu: tasks did not end\n", (unsigned long)seed);
        fail();
    }
    for (i = 0; i < NT; i++) {
        int e = async_future_error(&g_task[i].fut);
        if (e == ASYNC_ECANCELLED) g_cancelled++, g_cancelled_total++;
        else if (e) {
            print_error("seed %lu: task %d ended with %d\n", (unsigned long)seed, i, e);
            fail();
        } else
            g_ended++;
    }
    assert_int_equal(g_ended + g_cancelled, NT);
    if (test_misuse_count) print_error("seed %lu: misuse: %s\n", (unsigned long)seed, test_misuse_last);
    expect_no_misuse();
    assert_int_equal(g_puts, g_gets + (long)async_queue_size(&g_q));
    assert_false(async_lock_locked(&g_lock));
    assert_null(g_lock.waiters.head);
    assert_null(g_ev[0].waiters.head);
    assert_null(g_ev[1].waiters.head);
    assert_null(g_q.getters.head);
    assert_null(g_q.putters.head);
    test_run_iterations(&loop, NULL, 3);
    assert_null(loop.timers);
    assert_null(loop.ready_head);
    test_loop_close(&loop);
}

static long runs(void) { return env_long("FUZZ_SCHED_N", 1500); }

static void test_model(void **state) {
    long n = runs(), s0 = env_long("FUZZ_SCHED_SEED", -1), i;
    (void)state;
    TEST_NEED_VIRTUAL(); /* deadlines in virtual ms */
    if (s0 >= 0) model_run((uint32_t)s0);
    else
        for (i = 0; i < n; i++) model_run((uint32_t)i);
}

static void test_chaos(void **state) {
    long n = runs(), s0 = env_long("FUZZ_SCHED_SEED", -1), i;
    (void)state;
    TEST_NEED_VIRTUAL(); /* deadlines in virtual ms */
    g_steps = 0;
    if (s0 >= 0) chaos_run((uint32_t)s0);
    else
        for (i = 0; i < n; i++) chaos_run((uint32_t)i);
    print_message("chaos: %ld programs, %ld steps, %ld timeouts, %ld tasks cancelled\n", s0 >= 0 ? 1 : n, g_steps, g_timeouts,
                  g_cancelled_total);
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_model), TEST(test_chaos)};
    return TEST_RUN(tests);
}
