/* Compiled, not run: every public macro of async.h in one coroutine, so that the
 * strict checks (C99, C11, C++, label mode, freestanding) see all of them expand. */
#include "async.h"

struct leaf { async_frame hdr; int n; };
static ASYNC_FN(leaf_co, struct leaf) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(self->n));
    if (ASYNC_VALUE.i < 0) ASYNC_RAISE(5);
    ASYNC_SLEEP0();
    ASYNC_RETURN(async_int(self->n * 2));
    ASYNC_END();
}

struct everything {
    async_frame hdr;
    struct leaf leaf;
    async_future fut;
    async_timer timer;
    int err;
    intptr_t sum;
};
ASYNC_DECLARE(everything_co, struct everything);
ASYNC_FN(everything_co, struct everything) {
    ASYNC_BEGIN();
    self->leaf.n = 1;
    ASYNC_AWAIT_CO(leaf_co, &self->leaf);
    self->sum = ASYNC_VALUE.i;
    ASYNC_AWAIT_CO_CATCH(leaf_co, &self->leaf, self->err);
    ASYNC_AWAIT(&self->fut);
    ASYNC_AWAIT_CATCH(&self->fut, self->err);
    ASYNC_SLEEP_TICKS(&self->timer, 10);
#if ASYNC_CONFIG_FLOAT
    ASYNC_SLEEP(&self->timer, 0.5);
#endif
#ifndef ASYNC_NO_SHORT_NAMES
    AWAIT(&self->fut);
    AWAIT_CO(leaf_co, &self->leaf);
    YIELD(async_none());
#endif
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ECANCELLED) ASYNC_ERROR = 0;
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}

/* A plain C switch inside a coroutine body, without resume points inside it. */
struct sw { async_frame hdr; int k; };
static ASYNC_FN(switch_co, struct sw) {
    ASYNC_BEGIN();
    switch (self->k) {
    case 1: self->k = 2; break;
    default: self->k = 0; break;
    }
    ASYNC_YIELD(async_int(self->k));
    ASYNC_END();
}

/* Combinators, synchronization and queues: every waiting macro expands. */
static int comb_pred(void *arg) { return arg != NULL; }
struct comb {
    async_frame hdr;
    async_lock lock;
    async_event ev;
    async_cond cond;
    async_sem sem;
    async_barrier bar;
    async_queue q;
    async_value buf[4];
    async_wait_op op;
    async_cond_op cop;
    async_waitset ws;
    async_future *futs[2];
    async_slot slots[2];
    async_timeout to;
    async_taskgroup tg;
    async_tg_task kid;
    struct leaf leaf;
    async_time when;
};
ASYNC_DECLARE(comb_co, struct comb);
ASYNC_FN(comb_co, struct comb) {
    ASYNC_BEGIN();
    ASYNC_LOCK_ACQUIRE(&self->op, &self->lock);
    async_lock_release(&self->lock);
    ASYNC_EVENT_WAIT(&self->op, &self->ev);
    ASYNC_LOCK_ACQUIRE(&self->op, async_cond_lock(&self->cond));
    ASYNC_COND_WAIT(&self->cop, &self->cond);
    ASYNC_COND_WAIT_FOR(&self->cop, &self->cond, comb_pred, self);
    async_cond_notify(&self->cond, 1);
    async_cond_notify_all(&self->cond);
    async_cond_release(&self->cond);
    ASYNC_SEM_ACQUIRE(&self->op, &self->sem);
    async_sem_release(&self->sem);
    ASYNC_BARRIER_WAIT(&self->op, &self->bar);
    ASYNC_QUEUE_PUT(&self->op, &self->q, async_int(1));
    ASYNC_QUEUE_GET(&self->op, &self->q);
    async_queue_task_done(&self->q);
    ASYNC_QUEUE_JOIN(&self->op, &self->q);
    ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, ASYNC_RETURN_EXCEPTIONS);
    ASYNC_WAIT(&self->ws, self->futs, self->slots, 2, ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT);
    ASYNC_WAIT_FOR(&self->ws, self->futs[0], 1000);
    ASYNC_SHIELD(&self->ws, self->futs[1]);
    async_as_completed_init(&self->ws, self->futs, self->slots, 2, ASYNC_NO_TIMEOUT);
    ASYNC_AS_COMPLETED_NEXT(&self->ws);
    async_as_completed_close(&self->ws);
    ASYNC_WITH_TIMEOUT(&self->to, 1000, leaf_co, &self->leaf);
    async_taskgroup_enter(&self->tg, ASYNC_TASK);
    async_taskgroup_spawn(&self->tg, &self->kid, leaf_co, &self->leaf, "kid");
    ASYNC_TASKGROUP_EXIT(&self->tg, 0);
    async_timeout_after(&self->to, ASYNC_TASK, ASYNC_NO_TIMEOUT);
    async_timeout_reschedule(&self->to, async_loop_time(ASYNC_LOOP) + async_ms(5));
    if (async_timeout_when(&self->to, &self->when)) async_timeout_reschedule_none(&self->to);
    (void)async_timeout_exit(&self->to, 0);
    ASYNC_END();
}

/* Try blocks, timeout blocks and cancel messages. */
struct tryf {
    ASYNC_TRY_FRAME(3);
    async_timeout to;
    async_timer t;
    struct leaf leaf;
    int n;
    const char *msg;
};
ASYNC_DECLARE(try_co, struct tryf);
ASYNC_FN(try_co, struct tryf) {
    ASYNC_BEGIN();
    for (self->n = 0; self->n < 2; self->n++) {
        ASYNC_TRY {
            ASYNC_TIMEOUT(&self->to, async_ms(5)) {
                ASYNC_AWAIT_CO(leaf_co, &self->leaf);
                ASYNC_SLEEP0();
            } ASYNC_END_TIMEOUT(&self->to);
            ASYNC_TIMEOUT_AT(&self->to, async_loop_time(ASYNC_LOOP)) {
                ASYNC_SLEEP_TICKS(&self->t, 1);
            } ASYNC_END_TIMEOUT(&self->to);
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
            self->msg = ASYNC_CANCEL_MESSAGE;
        } ASYNC_EXCEPT_IF(ASYNC_CAUGHT == 5 || ASYNC_CAUGHT == 6) {
            ASYNC_RERAISE();
        } ASYNC_EXCEPT_ANY {
            if (async_task_cancelling(ASYNC_TASK)) (void)async_task_uncancel(ASYNC_TASK);
        } ASYNC_TRY_FINALLY {
            if (self->n > 5) ASYNC_RETURN(async_int(1));
        } ASYNC_END_TRY;
    }
    ASYNC_FINALLY();
    ASYNC_END();
}

/* A frame whose async_frame is nested in its first member. */
struct nested { struct leaf base; int extra; };
static ASYNC_FN_AT(nested_co, struct nested, base.hdr) {
    ASYNC_BEGIN();
    self->extra = ASYNC_ERR_MAX > 0 && ASYNC_MAX_DELAY > async_ms(1);
    ASYNC_END();
}

int async_strict_probe(void);
int async_strict_probe(void) {
    async_loop loop;
    async_task t;
    struct everything e;
    struct sw s;
    async_coro co;
    async_task_init(&t);
    async_loop_init_virtual(&loop);
    async_future_init(&e.fut, &loop);
    ASYNC_TASK_CREATE(&loop, &t, everything_co, &e, "probe");
    ASYNC_CORO_INIT(&co, switch_co, &s);
    {
        struct nested n;
        async_coro co2;
        ASYNC_CORO_INIT(&co2, nested_co, &n);
        (void)async_send(&co2, async_none());
    }
    {
        static struct tryf tf;
        async_task tt;
        async_task_init(&tt);
        ASYNC_TASK_CREATE(&loop, &tt, try_co, &tf, "try");
        (void)async_task_cancel_msg(&tt, "why");
        (void)async_future_cancel_message(&tt.fut);
        (void)async_future_cancel_msg(&e.fut, "why");
    }
    s.k = 1;
    (void)async_send(&co, async_none());
    return async_run(&loop, &t, everything_co, &e);
}
