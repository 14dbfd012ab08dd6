/* wip/async_combinators.h — section under development, merged into async.h.
 * Included after the core; it will become the section
 * "Combinators, synchronization and queues". */
#ifndef ASYNC_COMBINATORS_WIP_H
#define ASYNC_COMBINATORS_WIP_H
#include "../async.h"

enum {
    ASYNC_EFULL = -8,      /* asyncio.QueueFull: put_nowait on a full queue */
    ASYNC_EEMPTY = -9,     /* asyncio.QueueEmpty: get_nowait on an empty queue */
    ASYNC_ESHUTDOWN = -10, /* asyncio.QueueShutDown; a TaskGroup shutting down refuses tasks */
    ASYNC_EBROKEN = -11    /* asyncio.BrokenBarrierError: barrier aborted or reset */
};

/* ======================================================================
 * 10. Combinators, synchronization and queues
 * ======================================================================
 * asyncio's gather / wait / wait_for / timeout / as_completed / shield /
 * TaskGroup, Lock / Event / Condition / Semaphore / BoundedSemaphore / Barrier
 * and Queue / LifoQueue / PriorityQueue, with caller storage only.
 *
 * HOW WAITING WORKS. An operation that may wait is a small coroutine run inline
 * with ASYNC_AWAIT_CO; its frame (an `*_op` struct, or the combinator's own
 * struct) lives in your frame and holds the future the task parks on. Use the
 * ASYNC_<NAME>(op, ...) macros: they fill the op and await it. The operation
 * must run inside a task (ASYNC_LOOP is needed to park). Every waiter list is
 * FIFO; a waiter cancelled while waiting leaves no trace, and a wake-up it had
 * already received passes to the next waiter (no lost wake-ups).
 *
 * USE BEFORE INIT. Every primitive records a magic number in its init; any other
 * call on zeroed or garbage memory calls ASYNC_MISUSE and fails with ASYNC_EMISUSE.
 *
 * Hazards common to the combinators: the futures, the slot arrays and the op
 * frames must stay valid until the operation returns (and the slot array until
 * the loop's next iteration after that: a done callback may still be queued).
 */

#define ASYNC__MAGIC_LOCK 0x4C6Bu
#define ASYNC__MAGIC_EVENT 0x4576u
#define ASYNC__MAGIC_COND 0x436Eu
#define ASYNC__MAGIC_SEM 0x536Du
#define ASYNC__MAGIC_BARRIER 0x4272u
#define ASYNC__MAGIC_QUEUE 0x5175u
#define ASYNC__MAGIC_TG 0x5467u

/* "No deadline": pass it where a timeout in ticks is expected. */
#define ASYNC_NO_TIMEOUT ((async_time) ~(async_time)0)

/* Internal: define a coroutine in the header (static, no unused warning). */
#define ASYNC__CO(name) ASYNC_API async_status name(async_ctx *async_ctx_, void *async_vself_)

ASYNC_API int async__bad(const char *msg) {
    ASYNC_MISUSE(msg);
    return ASYNC_EMISUSE;
}

/* ---------------------------------------------------------------- waiters */

/* A parked waiter: the future its task awaits plus the FIFO links. Lives in an op frame. */
typedef struct async_waiter {
    async_future fut;
    struct async_waiter *next, *prev;
    uint8_t linked;
} async_waiter;

/* A FIFO of waiters (intrusive, doubly linked: a cancelled waiter leaves in O(1)). */
typedef struct async_wlist {
    async_waiter *head, *tail;
} async_wlist;

ASYNC_API void async__wl_init(async_wlist *l) { l->head = l->tail = NULL; }

/* Start waiting: a fresh pending future on the task's loop, at the list's tail. */
ASYNC_API void async__wl_park(async_wlist *l, async_waiter *w, async_loop *loop) {
    async_future_init(&w->fut, loop);
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail) l->tail->next = w;
    else l->head = w;
    l->tail = w;
    w->linked = 1;
}

ASYNC_API void async__wl_remove(async_wlist *l, async_waiter *w) {
    if (!w->linked) return;
    if (w->prev) w->prev->next = w->next;
    else l->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else l->tail = w->prev;
    w->next = w->prev = NULL;
    w->linked = 0;
}

/* Wake the oldest waiter still pending (it stays listed: asyncio's deques). */
ASYNC_API int async__wl_wake_first_pending(async_wlist *l) {
    async_waiter *w;
    for (w = l->head; w; w = w->next)
        if (w->fut.c.state == ASYNC__PENDING) {
            async_future_set_result(&w->fut, async_int(1));
            return 1;
        }
    return 0;
}

/* Pop waiters until one is pending, wake it (asyncio Queue._wakeup_next). */
ASYNC_API void async__wl_pop_wake(async_wlist *l) {
    async_waiter *w;
    while ((w = l->head) != NULL) {
        async__wl_remove(l, w);
        if (w->fut.c.state == ASYNC__PENDING) {
            async_future_set_result(&w->fut, async_none());
            return;
        }
    }
}

/* Wake up to n pending waiters (n < 0: all); returns how many. */
ASYNC_API int async__wl_wake_n(async_wlist *l, int n) {
    async_waiter *w;
    int k = 0;
    for (w = l->head; w && (n < 0 || k < n); w = w->next)
        if (w->fut.c.state == ASYNC__PENDING) {
            async_future_set_result(&w->fut, async_int(1));
            k++;
        }
    return k;
}

ASYNC_API async_loop *async__need_loop(async_ctx *ctx) {
    async_loop *loop = async_ctx_loop(ctx);
    if (!loop) ASYNC_MISUSE("a waiting operation outside a task (no loop to park on)");
    return loop;
}

/* The frame of a waiting operation on a lock, semaphore, event, barrier or
 * queue. Put one in your frame per concurrent operation. */
typedef struct async_wait_op {
    async_frame hdr;
    void *obj;         /* the primitive */
    async_waiter w;    /* what the task parks on */
    async_value item;  /* queue: the item put / got */
    int err;
    intptr_t index;    /* barrier: this party's arrival index */
    uint8_t counted;   /* barrier: counted among the arrivals */
} async_wait_op;

/* ------------------------------------------------------------------- Lock */

/* asyncio.Lock: FIFO, not reentrant. release() wakes the first waiter without
 * handing the lock over; a newcomer still cannot jump the queue of waiters. */
typedef struct async_lock {
    async_wlist waiters;
    uint8_t locked;
    uint16_t magic;
} async_lock;

/* async_lock_init(&lock); — an unlocked lock. */
ASYNC_API void async_lock_init(async_lock *l) {
    async__wl_init(&l->waiters);
    l->locked = 0;
    l->magic = ASYNC__MAGIC_LOCK;
}

ASYNC_API int async__lock_check(const async_lock *l) {
    return l->magic == ASYNC__MAGIC_LOCK ? 0 : async__bad("lock used before async_lock_init");
}

/* 1 if the lock is held. */
ASYNC_API int async_lock_locked(const async_lock *l) { return !async__lock_check(l) && l->locked; }

ASYNC_API int async__lock_free_for_newcomer(const async_lock *l) {
    const async_waiter *w;
    if (l->locked) return 0;
    for (w = l->waiters.head; w; w = w->next)
        if (w->fut.c.state != ASYNC__CANCELLED) return 0;
    return 1;
}

/* async_lock_release(&lock) — unlock and wake the first waiter. Releasing an
 * unlocked lock is misuse (asyncio's RuntimeError): ASYNC_EMISUSE. */
ASYNC_API int async_lock_release(async_lock *l) {
    if (async__lock_check(l)) return ASYNC_EMISUSE;
    if (!l->locked) return async__bad("release of a lock that is not locked");
    l->locked = 0;
    if (l->waiters.head && l->waiters.head->fut.c.state == ASYNC__PENDING)
        async_future_set_result(&l->waiters.head->fut, async_int(1));
    return 0;
}

/* async_lock_try_acquire(&lock) — 1 if taken without waiting, else 0. */
ASYNC_API int async_lock_try_acquire(async_lock *l) {
    if (async__lock_check(l) || !async__lock_free_for_newcomer(l)) return 0;
    l->locked = 1;
    return 1;
}

ASYNC__CO(async_lock_acquire_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_lock *l = (async_lock *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__lock_check(l)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (async_lock_try_acquire(l)) ASYNC_RETURN(async_int(1));
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&l->waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT(&self->w.fut);
    l = (async_lock *)self->obj;
    l->locked = 1;
    ASYNC_FINALLY();
    l = (async_lock *)self->obj;
    if (l->magic == ASYNC__MAGIC_LOCK) { /* else the misuse is already reported */
        async__wl_remove(&l->waiters, &self->w);
        /* Cancelled (maybe after release woke us): pass the turn on. */
        if (ASYNC_ERROR && !l->locked && l->waiters.head && l->waiters.head->fut.c.state == ASYNC__PENDING)
            async_future_set_result(&l->waiters.head->fut, async_int(1));
    }
    ASYNC_END();
}

/* ASYNC_LOCK_ACQUIRE(&self->op, &lock); — `await lock.acquire()`; op is an
 * async_wait_op in your frame. Cancellable; raises ASYNC_ECANCELLED then.
 *   ASYNC_LOCK_ACQUIRE(&self->op, &g_lock);
 *   ... critical section ...
 *   async_lock_release(&g_lock); */
#define ASYNC_LOCK_ACQUIRE(op, lock)                                            \
    do {                                                                        \
        (op)->obj = (lock);                                                     \
        ASYNC_AWAIT_CO(async_lock_acquire_co, (op));                            \
    } while (0)

/* ------------------------------------------------------------------ Event */

/* asyncio.Event: wait() returns at once while set; set() wakes every waiter. */
typedef struct async_event {
    async_wlist waiters;
    uint8_t flag;
    uint16_t magic;
} async_event;

/* async_event_init(&ev); — a clear event. */
ASYNC_API void async_event_init(async_event *e) {
    async__wl_init(&e->waiters);
    e->flag = 0;
    e->magic = ASYNC__MAGIC_EVENT;
}
ASYNC_API int async__event_check(const async_event *e) {
    return e->magic == ASYNC__MAGIC_EVENT ? 0 : async__bad("event used before async_event_init");
}
/* async_event_set(&ev) — set it and wake all waiters (in FIFO order). */
ASYNC_API int async_event_set(async_event *e) {
    if (async__event_check(e)) return ASYNC_EMISUSE;
    if (!e->flag) {
        e->flag = 1;
        async__wl_wake_n(&e->waiters, -1);
    }
    return 0;
}
/* async_event_clear(&ev) — clear it (waiters already woken still return). */
ASYNC_API int async_event_clear(async_event *e) {
    if (async__event_check(e)) return ASYNC_EMISUSE;
    e->flag = 0;
    return 0;
}
/* 1 if set. */
ASYNC_API int async_event_is_set(const async_event *e) { return !async__event_check(e) && e->flag; }

ASYNC__CO(async_event_wait_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_event *e = (async_event *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (!e || async__event_check(e)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (e->flag) ASYNC_RETURN(async_int(1));
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&e->waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT(&self->w.fut);
    ASYNC_FINALLY();
    if (self->w.linked) async__wl_remove(&((async_event *)self->obj)->waiters, &self->w);
    ASYNC_END();
}

/* ASYNC_EVENT_WAIT(&self->op, &ev); — `await ev.wait()`.
 *   ASYNC_EVENT_WAIT(&self->op, &ready); */
#define ASYNC_EVENT_WAIT(op, ev)                                                \
    do {                                                                        \
        (op)->obj = (ev);                                                       \
        ASYNC_AWAIT_CO(async_event_wait_co, (op));                              \
    } while (0)

/* -------------------------------------------------------------- Condition */

/* asyncio.Condition over a lock (yours, or its own). */
typedef struct async_cond {
    async_lock own;      /* used when no lock is given */
    async_lock *lock;
    async_wlist waiters;
    uint16_t magic;
} async_cond;

/* async_cond_init(&c, &lock_or_NULL); — NULL: the condition has its own lock. */
ASYNC_API void async_cond_init(async_cond *c, async_lock *lock) {
    async_lock_init(&c->own);
    c->lock = lock ? lock : &c->own;
    async__wl_init(&c->waiters);
    c->magic = ASYNC__MAGIC_COND;
}
ASYNC_API int async__cond_check(const async_cond *c) {
    return c->magic == ASYNC__MAGIC_COND ? 0 : async__bad("condition used before async_cond_init");
}
/* The condition's lock: acquire it with ASYNC_LOCK_ACQUIRE, release with async_cond_release. */
ASYNC_API async_lock *async_cond_lock(async_cond *c) { return async__cond_check(c) ? &c->own : c->lock; }
ASYNC_API int async_cond_release(async_cond *c) {
    return async__cond_check(c) ? ASYNC_EMISUSE : async_lock_release(c->lock);
}

/* async_cond_notify(&c, n) — wake up to n waiters (FIFO). The lock must be held
 * (misuse otherwise, asyncio's RuntimeError). Returns how many were woken. */
ASYNC_API int async_cond_notify(async_cond *c, int n) {
    if (async__cond_check(c)) return ASYNC_EMISUSE;
    if (!c->lock->locked) return async__bad("notify on a condition whose lock is not held");
    return n > 0 ? async__wl_wake_n(&c->waiters, n) : 0;
}
/* async_cond_notify_all(&c) — wake every waiter. */
ASYNC_API int async_cond_notify_all(async_cond *c) {
    if (async__cond_check(c)) return ASYNC_EMISUSE;
    if (!c->lock->locked) return async__bad("notify_all on a condition whose lock is not held");
    return async__wl_wake_n(&c->waiters, -1);
}

/* Predicate for wait_for: nonzero when the wait is over. */
typedef int (*async_pred_fn)(void *arg);

/* The frame of Condition.wait / wait_for. */
typedef struct async_cond_op {
    async_frame hdr;
    async_cond *cond;
    async_pred_fn pred; /* NULL: a plain wait() */
    void *arg;
    async_waiter w;
    async_wait_op acq; /* re-acquiring the lock */
    int err, err2;
    uint8_t cancelled;
} async_cond_op;

ASYNC__CO(async_cond_wait_co) {
    async_cond_op *self = (async_cond_op *)async_vself_;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__cond_check(self->cond)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (!self->cond->lock->locked) {
        ASYNC_MISUSE("wait on a condition whose lock is not held");
        ASYNC_RAISE(ASYNC_EMISUSE);
    }
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    self->err = 0;
    self->cancelled = 0;
    while (!self->pred || !self->pred(self->arg)) {
        async_lock_release(self->cond->lock);
        async__wl_park(&self->cond->waiters, &self->w, ASYNC_LOOP);
        ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
        async__wl_remove(&self->cond->waiters, &self->w);
        /* Notified, then cancelled before running: hand the notification on
         * (CPython 3.13), so that no wake-up is lost. */
        if (self->err && self->w.fut.c.state == ASYNC__DONE) async__wl_wake_n(&self->cond->waiters, 1);
        /* The lock is re-acquired whatever happened, even if cancelled again. */
        do {
            self->acq.obj = self->cond->lock;
            ASYNC_AWAIT_CO_CATCH(async_lock_acquire_co, &self->acq, self->err2);
            if (self->err2 == ASYNC_ECANCELLED) self->cancelled = 1;
        } while (self->err2 == ASYNC_ECANCELLED);
        if (self->err2) ASYNC_RAISE(self->err2);
        if (self->err == ASYNC_ECANCELLED) self->cancelled = 1;
        if (self->cancelled) ASYNC_RAISE(ASYNC_ECANCELLED);
        if (self->err) ASYNC_RAISE(self->err);
        if (!self->pred) break;
    }
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}

/* ASYNC_COND_WAIT(&self->cop, &cond); — `await cond.wait()`: the lock must be
 * held; it is released while waiting and re-acquired before this returns, even
 * when the wait is cancelled (then ASYNC_ECANCELLED is raised with the lock held).
 *   ASYNC_LOCK_ACQUIRE(&self->op, async_cond_lock(&c));
 *   ASYNC_COND_WAIT(&self->cop, &c);
 *   async_cond_release(&c); */
#define ASYNC_COND_WAIT(cop, c)                                                 \
    do {                                                                        \
        (cop)->cond = (c);                                                      \
        (cop)->pred = NULL;                                                     \
        ASYNC_AWAIT_CO(async_cond_wait_co, (cop));                              \
    } while (0)

/* ASYNC_COND_WAIT_FOR(&self->cop, &cond, pred, arg); — `await cond.wait_for(pred)`:
 * waits until pred(arg) is nonzero (checked with the lock held, first at once).
 *   ASYNC_COND_WAIT_FOR(&self->cop, &c, has_items, &box); */
#define ASYNC_COND_WAIT_FOR(cop, c, predfn, parg)                               \
    do {                                                                        \
        (cop)->cond = (c);                                                      \
        (cop)->pred = (predfn);                                                 \
        (cop)->arg = (parg);                                                    \
        ASYNC_AWAIT_CO(async_cond_wait_co, (cop));                              \
    } while (0)

/* ------------------------------------------------ Semaphore, BoundedSemaphore */

/* asyncio.Semaphore / BoundedSemaphore. release() hands the slot straight to the
 * oldest waiter; a woken waiter cancelled before it runs gives it back. */
typedef struct async_sem {
    async_wlist waiters;
    long value;
    long bound; /* 0: not bounded */
    uint16_t magic;
} async_sem;

/* async_sem_init(&s, value) / async_bounded_sem_init(&s, value). */
ASYNC_API void async_sem_init(async_sem *s, long value) {
    async__wl_init(&s->waiters);
    s->value = value < 0 ? 0 : value;
    s->bound = 0;
    s->magic = ASYNC__MAGIC_SEM;
}
ASYNC_API void async_bounded_sem_init(async_sem *s, long value) {
    async_sem_init(s, value);
    s->bound = s->value;
}
ASYNC_API int async__sem_check(const async_sem *s) {
    return s->magic == ASYNC__MAGIC_SEM ? 0 : async__bad("semaphore used before async_sem_init");
}
/* 1 if acquire would wait (no slot, or others already waiting: FIFO). */
ASYNC_API int async_sem_locked(const async_sem *s) {
    const async_waiter *w;
    if (async__sem_check(s)) return 1;
    if (s->value == 0) return 1;
    for (w = s->waiters.head; w; w = w->next)
        if (w->fut.c.state != ASYNC__CANCELLED) return 1;
    return 0;
}
ASYNC_API long async_sem_value(const async_sem *s) { return async__sem_check(s) ? 0 : s->value; }

ASYNC_API int async__sem_wake_next(async_sem *s) {
    async_waiter *w;
    for (w = s->waiters.head; w; w = w->next)
        if (w->fut.c.state == ASYNC__PENDING) {
            s->value--;
            async_future_set_result(&w->fut, async_int(1));
            return 1;
        }
    return 0;
}

/* async_sem_release(&s) — give a slot back (to the oldest waiter if any).
 * Over-releasing a bounded semaphore is misuse (asyncio's ValueError). */
ASYNC_API int async_sem_release(async_sem *s) {
    if (async__sem_check(s)) return ASYNC_EMISUSE;
    if (s->bound && s->value >= s->bound) return async__bad("BoundedSemaphore released too many times");
    s->value++;
    async__sem_wake_next(s);
    return 0;
}

ASYNC__CO(async_sem_acquire_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_sem *s = (async_sem *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__sem_check(s)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (!async_sem_locked(s)) {
        s->value--;
        ASYNC_RETURN(async_int(1));
    }
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&s->waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
    s = (async_sem *)self->obj;
    async__wl_remove(&s->waiters, &self->w);
    /* Handed a slot but cancelled before running: give it back. */
    if (self->err && self->w.fut.c.state == ASYNC__DONE) s->value++;
    while (s->value > 0 && async__sem_wake_next(s)) {
    }
    if (self->err) ASYNC_RAISE(self->err);
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}

/* ASYNC_SEM_ACQUIRE(&self->op, &sem); — `await sem.acquire()`.
 *   ASYNC_SEM_ACQUIRE(&self->op, &slots); ...; async_sem_release(&slots); */
#define ASYNC_SEM_ACQUIRE(op, sem)                                              \
    do {                                                                        \
        (op)->obj = (sem);                                                      \
        ASYNC_AWAIT_CO(async_sem_acquire_co, (op));                             \
    } while (0)

/* ---------------------------------------------------------------- Barrier */

#define ASYNC__B_FILLING 0
#define ASYNC__B_DRAINING 1
#define ASYNC__B_RESETTING 2
#define ASYNC__B_BROKEN 3

/* asyncio.Barrier(parties): wait() returns this party's arrival index once all
 * parties arrived; abort() breaks it (waiters and later callers get
 * ASYNC_EBROKEN); reset() breaks the current round and makes it usable again. */
typedef struct async_barrier {
    async_wlist waiters;
    unsigned parties, count;
    uint8_t state;
    uint16_t magic;
} async_barrier;

/* async_barrier_init(&b, parties); — parties > 0. */
ASYNC_API int async_barrier_init(async_barrier *b, unsigned parties) {
    async__wl_init(&b->waiters);
    b->count = 0;
    b->state = ASYNC__B_FILLING;
    b->parties = parties;
    b->magic = ASYNC__MAGIC_BARRIER;
    if (!parties) {
        b->magic = 0;
        return async__bad("barrier with 0 parties");
    }
    return 0;
}
ASYNC_API int async__barrier_check(const async_barrier *b) {
    return b->magic == ASYNC__MAGIC_BARRIER ? 0 : async__bad("barrier used before async_barrier_init");
}
/* Parties waiting now (asyncio n_waiting), and whether it is broken. */
ASYNC_API unsigned async_barrier_n_waiting(const async_barrier *b) {
    return (!async__barrier_check(b) && b->state == ASYNC__B_FILLING) ? b->count : 0;
}
ASYNC_API int async_barrier_broken(const async_barrier *b) {
    return !async__barrier_check(b) && b->state == ASYNC__B_BROKEN;
}
/* async_barrier_abort(&b) — break it: every waiter gets ASYNC_EBROKEN. */
ASYNC_API int async_barrier_abort(async_barrier *b) {
    if (async__barrier_check(b)) return ASYNC_EMISUSE;
    b->state = ASYNC__B_BROKEN;
    async__wl_wake_n(&b->waiters, -1);
    return 0;
}
/* async_barrier_reset(&b) — current waiters get ASYNC_EBROKEN; then it is empty again. */
ASYNC_API int async_barrier_reset(async_barrier *b) {
    if (async__barrier_check(b)) return ASYNC_EMISUSE;
    b->state = b->count > 0 ? ASYNC__B_RESETTING : ASYNC__B_FILLING;
    async__wl_wake_n(&b->waiters, -1);
    return 0;
}

ASYNC__CO(async_barrier_wait_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_barrier *b = (async_barrier *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    self->counted = 0;
    if (async__barrier_check(b)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    /* Block while the previous round drains or resets. */
    while (b->state == ASYNC__B_DRAINING || b->state == ASYNC__B_RESETTING) {
        async__wl_park(&b->waiters, &self->w, ASYNC_LOOP);
        ASYNC_AWAIT(&self->w.fut);
        b = (async_barrier *)self->obj;
        async__wl_remove(&b->waiters, &self->w);
    }
    if (b->state == ASYNC__B_BROKEN) ASYNC_RAISE(ASYNC_EBROKEN);
    self->index = (intptr_t)b->count++;
    self->counted = 1;
    if (b->count == b->parties) {
        b->state = ASYNC__B_DRAINING;
        async__wl_wake_n(&b->waiters, -1);
    } else {
        while (b->state == ASYNC__B_FILLING) {
            async__wl_park(&b->waiters, &self->w, ASYNC_LOOP);
            ASYNC_AWAIT(&self->w.fut);
            b = (async_barrier *)self->obj;
            async__wl_remove(&b->waiters, &self->w);
        }
        if (b->state == ASYNC__B_BROKEN || b->state == ASYNC__B_RESETTING) ASYNC_RAISE(ASYNC_EBROKEN);
    }
    ASYNC_RETURN(async_int(self->index));
    ASYNC_FINALLY();
    b = (async_barrier *)self->obj;
    if (b->magic == ASYNC__MAGIC_BARRIER) async__wl_remove(&b->waiters, &self->w);
    if (self->counted) {
        self->counted = 0;
        if (--b->count == 0) {
            if (b->state == ASYNC__B_RESETTING || b->state == ASYNC__B_DRAINING) b->state = ASYNC__B_FILLING;
            async__wl_wake_n(&b->waiters, -1);
        }
    }
    ASYNC_END();
}

/* ASYNC_BARRIER_WAIT(&self->op, &b); — `await b.wait()`: ASYNC_VALUE.i is the
 * arrival index (0 .. parties-1). Raises ASYNC_EBROKEN if aborted or reset.
 * A party cancelled while waiting is simply no longer counted (as in asyncio).
 *   ASYNC_BARRIER_WAIT(&self->op, &start_line);
 *   if (ASYNC_VALUE.i == 0) first = 1; */
#define ASYNC_BARRIER_WAIT(op, b)                                               \
    do {                                                                        \
        (op)->obj = (b);                                                        \
        ASYNC_AWAIT_CO(async_barrier_wait_co, (op));                            \
    } while (0)

/* ----------------------------------------------------------------- Queues */

typedef enum async_queue_kind {
    ASYNC_QUEUE_FIFO = 0,    /* asyncio.Queue */
    ASYNC_QUEUE_LIFO = 1,    /* asyncio.LifoQueue */
    ASYNC_QUEUE_PRIORITY = 2 /* asyncio.PriorityQueue: smallest first */
} async_queue_kind;

/* Order of a priority queue: nonzero if a comes out before b. */
typedef int (*async_less_fn)(async_value a, async_value b);

/* asyncio.Queue / LifoQueue / PriorityQueue of async_value items, in a buffer you
 * give. MAXSIZE: asyncio's maxsize 0 means unbounded, which needs growth, which
 * the core does not do (no malloc). Here maxsize 0 means "the buffer's capacity":
 * put waits when the buffer is full and put_nowait reports ASYNC_EFULL; a nonzero
 * maxsize must not exceed the capacity. Shutdown follows asyncio 3.13. */
typedef struct async_queue {
    async_value *buf;
    size_t cap, maxsize, head, count, unfinished;
    async_less_fn less;
    async_wlist getters, putters;
    async_event finished;
    uint8_t kind, shut;
    uint16_t magic;
} async_queue;

ASYNC_API int async__queue_less_i(async_value a, async_value b) { return a.i < b.i; }

/* async_queue_init(&q, kind, buf, capacity, maxsize) — maxsize 0 = capacity.
 *   static async_value items[64]; async_queue q;
 *   async_queue_init(&q, ASYNC_QUEUE_FIFO, items, 64, 0); */
ASYNC_API int async_queue_init(async_queue *q, async_queue_kind kind, async_value *buf, size_t cap,
                               size_t maxsize) {
    q->magic = 0;
    if (!buf || !cap || maxsize > cap) return async__bad("queue buffer missing or smaller than maxsize");
    q->buf = buf;
    q->cap = cap;
    q->maxsize = maxsize ? maxsize : cap;
    q->head = q->count = q->unfinished = 0;
    q->less = async__queue_less_i;
    async__wl_init(&q->getters);
    async__wl_init(&q->putters);
    async_event_init(&q->finished);
    async_event_set(&q->finished);
    q->kind = (uint8_t)kind;
    q->shut = 0;
    q->magic = ASYNC__MAGIC_QUEUE;
    return 0;
}
/* async_queue_set_less(&q, less) — the order of a priority queue (default: .i ascending). */
ASYNC_API void async_queue_set_less(async_queue *q, async_less_fn less) {
    q->less = less ? less : async__queue_less_i;
}
ASYNC_API int async__queue_check(const async_queue *q) {
    return q->magic == ASYNC__MAGIC_QUEUE ? 0 : async__bad("queue used before async_queue_init");
}
ASYNC_API size_t async_queue_size(const async_queue *q) { return async__queue_check(q) ? 0 : q->count; }
ASYNC_API int async_queue_empty(const async_queue *q) { return async_queue_size(q) == 0; }
ASYNC_API int async_queue_full(const async_queue *q) {
    return !async__queue_check(q) && q->count >= q->maxsize;
}

ASYNC_API void async__queue_push(async_queue *q, async_value v) {
    size_t i, p;
    async_value t;
    if (q->kind == ASYNC_QUEUE_FIFO) {
        i = q->head + q->count;
        if (i >= q->cap) i -= q->cap;
        q->buf[i] = v;
        q->count++;
        return;
    }
    i = q->count++;
    q->buf[i] = v;
    if (q->kind == ASYNC_QUEUE_PRIORITY)
        while (i > 0) { /* sift up */
            p = (i - 1) / 2;
            if (!q->less(q->buf[i], q->buf[p])) break;
            t = q->buf[i];
            q->buf[i] = q->buf[p];
            q->buf[p] = t;
            i = p;
        }
}

ASYNC_API async_value async__queue_pop(async_queue *q) {
    async_value v, t;
    size_t i, c, n;
    if (q->kind == ASYNC_QUEUE_FIFO) {
        v = q->buf[q->head];
        if (++q->head == q->cap) q->head = 0;
        q->count--;
        return v;
    }
    n = --q->count;
    if (q->kind == ASYNC_QUEUE_LIFO) return q->buf[n];
    v = q->buf[0];
    q->buf[0] = q->buf[n];
    for (i = 0;;) { /* sift down */
        c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && q->less(q->buf[c + 1], q->buf[c])) c++;
        if (!q->less(q->buf[c], q->buf[i])) break;
        t = q->buf[i];
        q->buf[i] = q->buf[c];
        q->buf[c] = t;
        i = c;
    }
    return v;
}

/* async_queue_put_nowait(&q, v) — 0, ASYNC_EFULL, or ASYNC_ESHUTDOWN. */
ASYNC_API int async_queue_put_nowait(async_queue *q, async_value v) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (q->shut) return ASYNC_ESHUTDOWN;
    if (q->count >= q->maxsize) return ASYNC_EFULL;
    async__queue_push(q, v);
    q->unfinished++;
    q->finished.flag = 0;
    async__wl_pop_wake(&q->getters);
    return 0;
}

/* async_queue_get_nowait(&q, &v) — 0, ASYNC_EEMPTY, or ASYNC_ESHUTDOWN (shut down and empty). */
ASYNC_API int async_queue_get_nowait(async_queue *q, async_value *out) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (!q->count) return q->shut ? ASYNC_ESHUTDOWN : ASYNC_EEMPTY;
    *out = async__queue_pop(q);
    async__wl_pop_wake(&q->putters);
    return 0;
}

/* async_queue_task_done(&q) — one item fully processed; once per item got.
 * Calling it more often than items were put is misuse (asyncio's ValueError). */
ASYNC_API int async_queue_task_done(async_queue *q) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (!q->unfinished) return async__bad("queue task_done() called too many times");
    if (--q->unfinished == 0) async_event_set(&q->finished);
    return 0;
}

/* async_queue_shutdown(&q, immediate) — asyncio 3.13 Queue.shutdown: puts fail
 * with ASYNC_ESHUTDOWN from now on; gets fail once the queue is empty. immediate:
 * the items left are dropped (counted as done for join). Every blocked put and
 * get is woken to see it. */
ASYNC_API int async_queue_shutdown(async_queue *q, int immediate) {
    async_waiter *w;
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    q->shut = 1;
    if (immediate) {
        while (q->count) {
            (void)async__queue_pop(q);
            if (q->unfinished) q->unfinished--;
        }
        if (!q->unfinished) async_event_set(&q->finished);
    }
    while ((w = q->getters.head) != NULL) {
        async__wl_remove(&q->getters, w);
        if (w->fut.c.state == ASYNC__PENDING) async_future_set_result(&w->fut, async_none());
    }
    while ((w = q->putters.head) != NULL) {
        async__wl_remove(&q->putters, w);
        if (w->fut.c.state == ASYNC__PENDING) async_future_set_result(&w->fut, async_none());
    }
    return 0;
}

ASYNC__CO(async_queue_get_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_queue *q = (async_queue *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__queue_check(q)) ASYNC_RAISE(ASYNC_EMISUSE);
    while (!q->count) {
        if (q->shut) ASYNC_RAISE(ASYNC_ESHUTDOWN);
        if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
        async__wl_park(&q->getters, &self->w, ASYNC_LOOP);
        ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
        q = (async_queue *)self->obj;
        if (self->err) {
            async__wl_remove(&q->getters, &self->w);
            /* Woken for an item, then cancelled: wake the next getter. */
            if (q->count && self->w.fut.c.state == ASYNC__DONE) async__wl_pop_wake(&q->getters);
            ASYNC_RAISE(self->err);
        }
    }
    self->item = async__queue_pop(q);
    async__wl_pop_wake(&q->putters);
    ASYNC_RETURN(self->item);
    ASYNC_END();
}

ASYNC__CO(async_queue_put_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_queue *q = (async_queue *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__queue_check(q)) ASYNC_RAISE(ASYNC_EMISUSE);
    while (q->count >= q->maxsize) {
        if (q->shut) ASYNC_RAISE(ASYNC_ESHUTDOWN);
        if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
        async__wl_park(&q->putters, &self->w, ASYNC_LOOP);
        ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
        q = (async_queue *)self->obj;
        if (self->err) {
            async__wl_remove(&q->putters, &self->w);
            if (q->count < q->maxsize && self->w.fut.c.state == ASYNC__DONE) async__wl_pop_wake(&q->putters);
            ASYNC_RAISE(self->err);
        }
    }
    self->err = async_queue_put_nowait(q, self->item);
    if (self->err) ASYNC_RAISE(self->err);
    ASYNC_END();
}

ASYNC_API async_event *async__queue_finished(async_queue *q) {
    return async__queue_check(q) ? NULL : &q->finished;
}

/* ASYNC_QUEUE_PUT(&self->op, &q, v); — `await q.put(v)`: waits while full;
 * raises ASYNC_ESHUTDOWN once the queue is shut down.
 * ASYNC_QUEUE_GET(&self->op, &q); — `await q.get()`: the item is ASYNC_VALUE
 * (and self->op.item); raises ASYNC_ESHUTDOWN when shut down and empty.
 * ASYNC_QUEUE_JOIN(&self->op, &q); — `await q.join()`: until every item put has
 * been task_done'd.
 *   ASYNC_QUEUE_GET(&self->op, &jobs);
 *   handle(ASYNC_VALUE.p); async_queue_task_done(&jobs); */
#define ASYNC_QUEUE_PUT(op, q, v)                                               \
    do {                                                                        \
        (op)->obj = (q);                                                        \
        (op)->item = (v);                                                       \
        ASYNC_AWAIT_CO(async_queue_put_co, (op));                               \
    } while (0)
#define ASYNC_QUEUE_GET(op, q)                                                  \
    do {                                                                        \
        (op)->obj = (q);                                                        \
        ASYNC_AWAIT_CO(async_queue_get_co, (op));                               \
    } while (0)
#define ASYNC_QUEUE_JOIN(op, q)                                                 \
    do {                                                                        \
        (op)->obj = async__queue_finished(q);                                   \
        ASYNC_AWAIT_CO(async_event_wait_co, (op));                              \
    } while (0)

/* ------------------------------------------- gather, wait, as_completed, ... */

typedef struct async_waitset async_waitset;

/* One watched future's done callback (caller storage: one per future). */
typedef struct async_slot {
    async_callback cb;
    async_waitset *ws;
    struct async_slot *next_done; /* as_completed: completion order */
    uint8_t state;                /* 0 idle, 1 registered, 2 fired (queued or run) */
} async_slot;

/* gather flags and wait modes. */
#define ASYNC_RETURN_EXCEPTIONS 1
#define ASYNC_FIRST_COMPLETED 1
#define ASYNC_FIRST_EXCEPTION 2
#define ASYNC_ALL_COMPLETED 3

#define ASYNC__WS_GATHER 0
#define ASYNC__WS_WAIT 1
#define ASYNC__WS_ASC 2
#define ASYNC__WS_SHIELD 3
#define ASYNC__WS_WAITFOR 4

/* The frame of gather / wait / as_completed / shield / wait_for (one struct for
 * all five; put one in your frame per concurrent use). */
struct async_waitset {
    async_frame hdr;
    async_future *const *futs;
    async_slot *slots;
    size_t n, ndone, nyielded, stale;
    async_future *one;   /* shield / wait_for: the awaited future */
    async_slot one_slot;
    async_future wake;   /* what the awaiting task parks on */
    async_timer timer;   /* wait / as_completed / wait_for timeout */
    async_slot tslot;
    async_time timeout;
    async_slot *done_head, *done_tail;
    int err, e;
    uint8_t kind, mode, active, met, cancelled, timed_out, started;
};

ASYNC_API void async__ws_poke(async_waitset *ws) {
    ws->met = 1;
    if (ws->wake.c.state == ASYNC__PENDING) async_future_set_result(&ws->wake, async_none());
}

ASYNC_API void async__ws_child_done(async_future *f, void *arg) {
    async_slot *s = (async_slot *)arg;
    async_waitset *ws = s->ws;
    int err;
    if (!ws->active || s->state != 2) { /* left queued by a finished operation */
        if (ws->stale) ws->stale--;
        s->state = 0;
        return;
    }
    s->state = 0;
    ws->ndone++;
    err = async_future_error(f);
    switch (ws->kind) {
    case ASYNC__WS_GATHER:
        if (err && !ws->err) ws->err = err;
        if (ws->ndone == ws->n || (err && ws->mode != ASYNC_RETURN_EXCEPTIONS)) async__ws_poke(ws);
        break;
    case ASYNC__WS_WAIT:
        if (ws->ndone == ws->n || ws->mode == ASYNC_FIRST_COMPLETED ||
            (ws->mode == ASYNC_FIRST_EXCEPTION && err && err != ASYNC_ECANCELLED))
            async__ws_poke(ws);
        break;
    case ASYNC__WS_ASC:
        s->next_done = NULL;
        if (ws->done_tail) ws->done_tail->next_done = s;
        else ws->done_head = s;
        ws->done_tail = s;
        async__ws_poke(ws);
        break;
    default: async__ws_poke(ws); break;
    }
}

ASYNC_API void async__ws_timer_done(async_future *f, void *arg) {
    async_slot *s = (async_slot *)arg;
    async_waitset *ws = s->ws;
    if (!ws->active || s->state != 2 || f->c.state != ASYNC__DONE) {
        if (ws->stale) ws->stale--;
        s->state = 0;
        return;
    }
    s->state = 0;
    if (ws->kind == ASYNC__WS_WAITFOR) {
        if (async_future_done(ws->one)) return; /* completed first: the result wins */
        ws->timed_out = 1;
        async_future_cancel(ws->one); /* then wait for the cancellation to finish */
        return;
    }
    ws->timed_out = 1;
    async__ws_poke(ws);
}

/* The callbacks fire from the loop; mark them so that one already queued when
 * the operation ends is recognised as stale when it runs. */
ASYNC_API void async__slot_watch(async_waitset *ws, async_slot *s, async_future *f, async_callback_fn fn) {
    s->ws = ws;
    s->state = 2; /* fired-or-registered: the callback decides with ws->active */
    async_future_add_done_callback(f, &s->cb, fn, s);
}

ASYNC_API void async__slot_unwatch(async_waitset *ws, async_slot *s, async_future *f) {
    if (s->state != 2) return;
    if (async_future_remove_done_callback(f, &s->cb)) s->state = 0;
    else ws->stale++; /* queued in the loop: it will run, see !active, and count down */
}

ASYNC_API async_future *async__ws_fut(async_waitset *ws, size_t i) { return ws->one ? ws->one : ws->futs[i]; }
ASYNC_API async_slot *async__ws_slot(async_waitset *ws, size_t i) { return ws->one ? &ws->one_slot : &ws->slots[i]; }

ASYNC_API int async__ws_start(async_waitset *ws, async_loop *loop) {
    size_t i;
    ws->ndone = ws->nyielded = 0;
    ws->err = 0;
    ws->met = ws->cancelled = ws->timed_out = 0;
    ws->done_head = ws->done_tail = NULL;
    async_future_init(&ws->wake, loop);
    ws->wake.c.state = ASYNC__DONE; /* idle until the task parks on it */
    ws->active = 1;
    for (i = 0; i < ws->n; i++)
        if (async__future_check(async__ws_fut(ws, i))) {
            ws->active = 0;
            return ASYNC_EMISUSE;
        }
    for (i = 0; i < ws->n; i++)
        async__slot_watch(ws, async__ws_slot(ws, i), async__ws_fut(ws, i), async__ws_child_done);
    ws->tslot.state = 0;
    if (ws->timeout != ASYNC_NO_TIMEOUT) {
        async_timer_init(&ws->timer, loop);
        async_timer_start(&ws->timer, ws->timeout);
        async__slot_watch(ws, &ws->tslot, &ws->timer.fut, async__ws_timer_done);
    }
    return 0;
}

ASYNC_API void async__ws_stop(async_waitset *ws) {
    size_t i;
    for (i = 0; i < ws->n; i++) async__slot_unwatch(ws, async__ws_slot(ws, i), async__ws_fut(ws, i));
    if (ws->tslot.state == 2) {
        async__slot_unwatch(ws, &ws->tslot, &ws->timer.fut);
        async_timer_cancel(&ws->timer);
    }
    ws->active = 0;
}

/* Park on ws->wake until the callbacks say the condition is met. */
#define ASYNC__WS_PARK(ws)                                                      \
    do {                                                                        \
        async_future_init(&(ws)->wake, ASYNC_LOOP);                             \
        ASYNC_AWAIT_CATCH(&(ws)->wake, (ws)->e);                                \
    } while (0)

ASYNC_API void async__ws_cancel_children(async_waitset *ws) {
    size_t i;
    for (i = 0; i < ws->n; i++)
        if (!async_future_done(async__ws_fut(ws, i))) async_future_cancel(async__ws_fut(ws, i));
}

/* gather / wait / shield / wait_for. */
ASYNC__CO(async_waitset_co) {
    async_waitset *self = (async_waitset *)async_vself_;
    ASYNC_BEGIN();
    self->active = 0;
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    /* Callbacks a previous use left queued run before our next step (FIFO). */
    while (self->stale) ASYNC_SLEEP0();
    if (self->kind == ASYNC__WS_WAIT && self->n == 0) {
        ASYNC_MISUSE("wait() on an empty set of futures");
        ASYNC_RAISE(ASYNC_EMISUSE);
    }
    if (async__ws_start(self, ASYNC_LOOP)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (self->n == 0) self->met = 1;
    while (!self->met || (self->kind == ASYNC__WS_WAITFOR && !async_future_done(self->one))) {
        ASYNC__WS_PARK(self);
        if (self->e) { /* the awaiting task is being cancelled */
            self->cancelled = 1;
            if (self->kind == ASYNC__WS_GATHER || self->kind == ASYNC__WS_WAITFOR)
                async__ws_cancel_children(self); /* and wait for them (below) */
            else
                break; /* wait and shield never cancel what they watch */
        }
    }
    async__ws_stop(self);
    if (self->cancelled) ASYNC_RAISE(ASYNC_ECANCELLED);
    switch (self->kind) {
    case ASYNC__WS_GATHER:
        if (self->err && self->mode != ASYNC_RETURN_EXCEPTIONS) ASYNC_RAISE(self->err);
        ASYNC_RETURN(async_int((intptr_t)self->n));
        break;
    case ASYNC__WS_WAIT: {
        size_t i, k = 0;
        for (i = 0; i < self->n; i++) k += async_future_done(self->futs[i]) ? 1u : 0u;
        ASYNC_RETURN(async_int((intptr_t)k));
        break;
    }
    default:
        self->err = async_future_error(self->one);
        if (self->timed_out && self->err == ASYNC_ECANCELLED) ASYNC_RAISE(ASYNC_ETIMEOUT);
        if (self->err) ASYNC_RAISE(self->err);
        ASYNC_RETURN(async_future_result(self->one));
        break;
    }
    ASYNC_FINALLY();
    if (self->active) async__ws_stop(self);
    ASYNC_END();
}

ASYNC_API void async__ws_setup(async_waitset *ws, int kind, async_future *const *futs, async_slot *slots,
                               size_t n, int mode, async_time timeout) {
    ws->kind = (uint8_t)kind;
    ws->futs = futs;
    ws->slots = slots;
    ws->n = n;
    ws->one = NULL;
    ws->mode = (uint8_t)mode;
    ws->timeout = timeout;
}
ASYNC_API void async__ws_setup_one(async_waitset *ws, int kind, async_future *f, async_time timeout) {
    async__ws_setup(ws, kind, NULL, NULL, 1, 0, timeout);
    ws->one = f;
}

/* ASYNC_GATHER(&self->ws, futs, slots, n, flags); — asyncio.gather over n
 * futures or tasks (futs: array of async_future *; slots: async_slot[n]).
 * Returns when all are done, or at the first error, which it raises while the
 * others keep running. flags ASYNC_RETURN_EXCEPTIONS: never raises a child's
 * error; wait for all. Results, in input order, are the children's own:
 * async_future_result(futs[i]) / async_future_error(futs[i]). Cancelling the
 * awaiting task cancels every unfinished child, waits as asyncio does, and
 * raises ASYNC_ECANCELLED.
 *   ASYNC_GATHER(&self->ws, self->futs, self->slots, 3, 0);
 *   sum = async_future_result(self->futs[0]).i + ...; */
#define ASYNC_GATHER(ws, futv, slotv, n, flags)                                 \
    do {                                                                        \
        async__ws_setup((ws), ASYNC__WS_GATHER, (futv), (slotv), (n), (flags), ASYNC_NO_TIMEOUT); \
        ASYNC_AWAIT_CO(async_waitset_co, (ws));                                 \
    } while (0)

/* ASYNC_WAIT(&self->ws, futs, slots, n, mode, timeout_ticks); — asyncio.wait:
 * mode ASYNC_FIRST_COMPLETED / ASYNC_FIRST_EXCEPTION / ASYNC_ALL_COMPLETED,
 * timeout in ticks or ASYNC_NO_TIMEOUT. ASYNC_VALUE.i is how many are done; test
 * each with async_future_done(). Never cancels them, never raises a timeout.
 *   ASYNC_WAIT(&self->ws, self->futs, self->slots, 2, ASYNC_FIRST_COMPLETED, async_ms(50)); */
#define ASYNC_WAIT(ws, futv, slotv, n, mode, timeout)                           \
    do {                                                                        \
        async__ws_setup((ws), ASYNC__WS_WAIT, (futv), (slotv), (n), (mode), (timeout)); \
        ASYNC_AWAIT_CO(async_waitset_co, (ws));                                 \
    } while (0)

/* ASYNC_SHIELD(&self->ws, fut); — asyncio.shield: await fut, but cancelling the
 * awaiting task does not cancel fut (the await raises ASYNC_ECANCELLED and fut
 * keeps running).
 *   ASYNC_SHIELD(&self->ws, &self->save_task.fut); */
#define ASYNC_SHIELD(ws, fut)                                                   \
    do {                                                                        \
        async__ws_setup_one((ws), ASYNC__WS_SHIELD, (fut), ASYNC_NO_TIMEOUT);   \
        ASYNC_AWAIT_CO(async_waitset_co, (ws));                                 \
    } while (0)

/* ASYNC_WAIT_FOR(&self->ws, fut, timeout_ticks); — asyncio.wait_for: await fut;
 * at the deadline cancel it, wait until it has finished, and raise
 * ASYNC_ETIMEOUT (if it swallowed the cancellation and returned a value, that
 * value is the result). If fut completes in the same loop iteration as the
 * deadline, the callback that runs first decides (timers with equal deadlines
 * fire in arming order); a fut already done when the timeout fires wins.
 * Cancelling the awaiting task cancels fut, waits for it, raises ASYNC_ECANCELLED.
 *   ASYNC_WAIT_FOR(&self->ws, &self->job.fut, async_ms(100)); */
#define ASYNC_WAIT_FOR(ws, fut, timeout)                                        \
    do {                                                                        \
        async__ws_setup_one((ws), ASYNC__WS_WAITFOR, (fut), (timeout));         \
        ASYNC_AWAIT_CO(async_waitset_co, (ws));                                 \
    } while (0)

/* async_as_completed_init(&ws, futs, slots, n, timeout) then, n times,
 * ASYNC_AS_COMPLETED_NEXT(&ws): ASYNC_VALUE.p is the next future to finish
 * (completion order; NULL once all n were returned). After the timeout
 * (ticks from the first NEXT; ASYNC_NO_TIMEOUT for none) NEXT raises
 * ASYNC_ETIMEOUT. Stopping early: async_as_completed_close(&ws).
 *   async_as_completed_init(&self->ws, self->futs, self->slots, 3, ASYNC_NO_TIMEOUT);
 *   for (self->i = 0; self->i < 3; self->i++) { ASYNC_AS_COMPLETED_NEXT(&self->ws); use(ASYNC_VALUE.p); } */
ASYNC_API void async_as_completed_init(async_waitset *ws, async_future *const *futs, async_slot *slots,
                                       size_t n, async_time timeout) {
    async__ws_setup(ws, ASYNC__WS_ASC, futs, slots, n, 0, timeout);
    ws->started = 0;
    ws->active = 0;
}
/* async_as_completed_close(&ws) — unregister from the futures not yet returned. */
ASYNC_API void async_as_completed_close(async_waitset *ws) {
    if (ws->active) async__ws_stop(ws);
}

ASYNC__CO(async_as_completed_next_co) {
    async_waitset *self = (async_waitset *)async_vself_;
    async_slot *s;
    ASYNC_BEGIN();
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (!self->started) {
        while (self->stale) ASYNC_SLEEP0();
        self->started = 1;
        if (async__ws_start(self, ASYNC_LOOP)) ASYNC_RAISE(ASYNC_EMISUSE);
    }
    if (self->nyielded == self->n) ASYNC_RETURN(async_ptr(NULL));
    while (!self->done_head && !self->timed_out) {
        ASYNC__WS_PARK(self);
        if (self->e) ASYNC_RAISE(self->e); /* cancelled: iteration may go on later */
    }
    if (!self->done_head) {
        async__ws_stop(self);
        self->nyielded = self->n;
        ASYNC_RAISE(ASYNC_ETIMEOUT);
    }
    s = self->done_head;
    self->done_head = s->next_done;
    if (!self->done_head) self->done_tail = NULL;
    if (++self->nyielded == self->n) async__ws_stop(self);
    ASYNC_RETURN(async_ptr(s->cb.fut));
    ASYNC_END();
}

#define ASYNC_AS_COMPLETED_NEXT(ws) ASYNC_AWAIT_CO(async_as_completed_next_co, (ws))

/* --------------------------------------------------------- timeout scopes */

#define ASYNC__TO_ENTERED 1
#define ASYNC__TO_EXPIRING 2
#define ASYNC__TO_EXPIRED 3
#define ASYNC__TO_EXITED 4

/* asyncio.timeout(): a deadline around a stretch of a coroutine. At the deadline
 * the task is cancelled; async_timeout_exit turns that cancellation (and only
 * that one) into ASYNC_ETIMEOUT. The stretch must catch its errors (the *_CATCH
 * awaits) so that exit sees them; ASYNC_WITH_TIMEOUT does this around a child
 * coroutine. Nested scopes work: an outer deadline passes through an inner scope
 * as a cancellation. Hazard: the core keeps no count of cancel requests, so an
 * outside cancel arriving while the scope's own cancellation is in flight is
 * reported as the timeout (asyncio would report the cancellation). */
typedef struct async_timeout {
    async_timer timer;
    async_callback cb[2]; /* alternate: one may still be queued from the last use */
    uint8_t queued[2];
    uint8_t cur, state, armed, fired;
    async_task *task;
    int err; /* for ASYNC_WITH_TIMEOUT */
} async_timeout;

/* Two callback slots alternate (one may still sit in the ready queue from the
 * previous use of the scope); each has its own function so it knows its slot. */
ASYNC_API void async__timeout_fire(async_timeout *to, async_future *f, unsigned i) {
    async_task *t = to->task;
    if (to->queued[i] == 2 || i != to->cur) { /* stale: left queued by an earlier exit */
        to->queued[i] = 0;
        return;
    }
    to->queued[i] = 0;
    if (to->state != ASYNC__TO_ENTERED || f->c.state != ASYNC__DONE || !to->armed) return;
    to->armed = 0;
    to->fired = 1;
    /* Already being cancelled from outside: do not claim that cancellation. */
    if ((t->fut.c.flags & ASYNC__F_MUST_CANCEL) ||
        ((t->fut.c.flags & ASYNC__F_AWAITING) && async_future_cancelled((async_future *)t->fut.c.value.p))) {
        to->state = ASYNC__TO_EXPIRED;
        return;
    }
    to->state = ASYNC__TO_EXPIRING;
    async_task_cancel(t);
}
ASYNC_API void async__timeout_fire0(async_future *f, void *arg) { async__timeout_fire((async_timeout *)arg, f, 0); }
ASYNC_API void async__timeout_fire1(async_future *f, void *arg) { async__timeout_fire((async_timeout *)arg, f, 1); }

ASYNC_API void async__timeout_arm(async_timeout *to, async_time when) {
    async_loop *loop = to->task->fut.loop;
    if (when == ASYNC_NO_TIMEOUT) return;
    if (to->queued[to->cur]) to->cur ^= 1u; /* still in the ready queue: use the other */
    if (to->queued[to->cur]) {
        ASYNC_MISUSE("timeout scope re-armed twice in one step while its callbacks are queued");
        return;
    }
    async_timer_init(&to->timer, loop);
    async_timer_start_at(&to->timer, when);
    to->queued[to->cur] = 1;
    to->armed = 1;
    async_future_add_done_callback(&to->timer.fut, &to->cb[to->cur],
                                   to->cur ? async__timeout_fire1 : async__timeout_fire0, to);
}

ASYNC_API void async__timeout_disarm(async_timeout *to) {
    if (!to->armed) return;
    to->armed = 0;
    if (async_future_remove_done_callback(&to->timer.fut, &to->cb[to->cur])) {
        to->queued[to->cur] = 0;
        async_timer_cancel(&to->timer);
    } else
        to->queued[to->cur] = 2; /* fired, queued: it will clear the mark when it runs */
}

/* async_timeout_at(&to, task, when) / async_timeout_after(&to, task, delay) —
 * enter a scope for `task` (ASYNC_TASK) with an absolute deadline in loop ticks,
 * or `delay` ticks from now; ASYNC_NO_TIMEOUT: no deadline (yet).
 *   async_timeout_after(&self->to, ASYNC_TASK, async_ms(50));
 *   ASYNC_AWAIT_CATCH(&self->job.fut, self->err);
 *   self->err = async_timeout_exit(&self->to, self->err); */
ASYNC_API int async_timeout_at(async_timeout *to, async_task *task, async_time when) {
    if (!task) return async__bad("timeout scope outside a task");
    if (to->state == ASYNC__TO_ENTERED || to->state == ASYNC__TO_EXPIRING) {
        if (to->task == task && task->fut.c.state == ASYNC__PENDING)
            return async__bad("timeout scope entered twice");
    }
    if (to->state != ASYNC__TO_EXITED && to->state != ASYNC__TO_EXPIRED) to->queued[0] = to->queued[1] = 0;
    to->cur = 0;
    to->task = task;
    to->state = ASYNC__TO_ENTERED;
    to->armed = to->fired = 0;
    async__timeout_arm(to, when);
    return 0;
}
ASYNC_API int async_timeout_after(async_timeout *to, async_task *task, async_time delay) {
    if (!task) return async__bad("timeout scope outside a task");
    return async_timeout_at(to, task, delay == ASYNC_NO_TIMEOUT ? delay : task->fut.loop->now + delay);
}

/* async_timeout_reschedule(&to, when) — move the deadline (absolute ticks;
 * ASYNC_NO_TIMEOUT: none) while the scope is active and has not expired. */
ASYNC_API int async_timeout_reschedule(async_timeout *to, async_time when) {
    if (to->state != ASYNC__TO_ENTERED) return async__bad("reschedule of a timeout scope that is not active");
    async__timeout_disarm(to);
    async__timeout_arm(to, when);
    return 0;
}
/* The deadline, or ASYNC_NO_TIMEOUT; 1 if the deadline has passed (asyncio expired()). */
ASYNC_API async_time async_timeout_when(const async_timeout *to) {
    return to->armed ? to->timer.deadline : ASYNC_NO_TIMEOUT;
}
ASYNC_API int async_timeout_expired(const async_timeout *to) {
    return to->fired;
}

/* async_timeout_exit(&to, err) — leave the scope with the stretch's error
 * (0 if none); returns it, with the scope's own cancellation made ASYNC_ETIMEOUT. */
ASYNC_API int async_timeout_exit(async_timeout *to, int err) {
    if (to->state != ASYNC__TO_ENTERED && to->state != ASYNC__TO_EXPIRING && to->state != ASYNC__TO_EXPIRED)
        return async__bad("timeout scope exited without being entered");
    async__timeout_disarm(to);
    if (to->state == ASYNC__TO_EXPIRING && err == ASYNC_ECANCELLED) err = ASYNC_ETIMEOUT;
    to->state = ASYNC__TO_EXITED;
    to->err = err;
    return err;
}

/* ASYNC_WITH_TIMEOUT(&self->to, delay_ticks, fn, &self->child); — run a child
 * coroutine inline under a deadline (`async with timeout(d): await fn()`);
 * raises ASYNC_ETIMEOUT if the deadline cut it short.
 *   ASYNC_WITH_TIMEOUT(&self->to, async_ms(100), fetch, &self->fetch); */
#define ASYNC_WITH_TIMEOUT(to, delay, fn, child)                                \
    do {                                                                        \
        async_timeout_after((to), ASYNC_TASK, (delay));                         \
        ASYNC_AWAIT_CO_CATCH(fn, (child), (to)->err);                           \
        if (async_timeout_exit((to), (to)->err)) ASYNC_RAISE((to)->err);        \
    } while (0)

/* -------------------------------------------------------------- TaskGroup */

typedef struct async_taskgroup async_taskgroup;

/* A task spawned in a group: the task plus the group's bookkeeping. */
typedef struct async_tg_task {
    async_task task; /* first: &child.task.fut is awaitable as usual */
    async_callback cb;
    async_taskgroup *tg;
    struct async_tg_task *next;
} async_tg_task;

/* asyncio.TaskGroup. The first child failure cancels the other children and the
 * body of the group (the parent task, at its next await); exit waits for every
 * child; new tasks are refused (ASYNC_ESHUTDOWN) after a failure. The errors:
 * exit raises the first child error (in completion order) and `nerrors` counts
 * every child failure; walk `children` to read each error. The struct is also
 * the frame of its exit coroutine. */
struct async_taskgroup {
    async_frame hdr;
    async_task *parent;
    async_tg_task *children, *last; /* every child spawned, in spawn order */
    async_future wake;
    unsigned pending, nerrors;
    int first_err, body_err, e;
    uint8_t entered, exiting, aborting, parent_cancel_requested, propagate_cancel;
    uint16_t magic;
};

/* async_taskgroup_enter(&tg, ASYNC_TASK) — open the group in the running task. */
ASYNC_API int async_taskgroup_enter(async_taskgroup *tg, async_task *parent) {
    if (!parent) return async__bad("TaskGroup entered outside a task");
    tg->parent = parent;
    tg->children = tg->last = NULL;
    tg->pending = tg->nerrors = 0;
    tg->first_err = tg->body_err = 0;
    tg->entered = 1;
    tg->exiting = tg->aborting = tg->parent_cancel_requested = tg->propagate_cancel = 0;
    tg->magic = ASYNC__MAGIC_TG;
    async_future_init(&tg->wake, parent->fut.loop);
    tg->wake.c.state = ASYNC__DONE;
    return 0;
}

ASYNC_API void async__tg_abort(async_taskgroup *tg) {
    async_tg_task *c;
    tg->aborting = 1;
    for (c = tg->children; c; c = c->next)
        if (!async_future_done(&c->task.fut)) async_task_cancel(&c->task);
}

ASYNC_API void async__tg_child_done(async_future *f, void *arg) {
    async_tg_task *c = (async_tg_task *)arg;
    async_taskgroup *tg = c->tg;
    int err;
    tg->pending--;
    if (!tg->pending && tg->wake.c.state == ASYNC__PENDING) async_future_set_result(&tg->wake, async_none());
    if (async_future_cancelled(f)) return;
    err = async_future_error(f);
    if (!err) return;
    tg->nerrors++;
    if (!tg->first_err) tg->first_err = err;
    if (!tg->aborting && !tg->parent_cancel_requested) {
        async__tg_abort(tg);
        tg->parent_cancel_requested = 1;
        async_task_cancel(tg->parent);
    }
}

/* async_taskgroup_spawn(&tg, &child, fn, &frame, "name") — tg.create_task: 0,
 * or ASYNC_ESHUTDOWN once a child failed or the group is exiting with none left. */
ASYNC_API int async_taskgroup_spawn(async_taskgroup *tg, async_tg_task *c, async_fn fn, void *frame,
                                    const char *name) {
    int r;
    if (tg->magic != ASYNC__MAGIC_TG || !tg->entered)
        return async__bad("TaskGroup spawn before async_taskgroup_enter or after exit");
    if (tg->aborting || (tg->exiting && !tg->pending)) return ASYNC_ESHUTDOWN;
    r = async_task_create(tg->parent->fut.loop, &c->task, fn, frame, name);
    if (r) return r;
    c->tg = tg;
    c->next = NULL;
    if (tg->last) tg->last->next = c;
    else tg->children = c;
    tg->last = c;
    tg->pending++;
    async_future_add_done_callback(&c->task.fut, &c->cb, async__tg_child_done, c);
    return 0;
}

ASYNC__CO(async_taskgroup_exit_co) {
    async_taskgroup *self = (async_taskgroup *)async_vself_;
    ASYNC_BEGIN();
    if (self->magic != ASYNC__MAGIC_TG || !self->entered) {
        ASYNC_MISUSE("TaskGroup exit without async_taskgroup_enter");
        ASYNC_RAISE(ASYNC_EMISUSE);
    }
    self->exiting = 1;
    self->propagate_cancel = self->body_err == ASYNC_ECANCELLED;
    /* The group's own cancellation of its body is not an error of the body. */
    if (self->parent_cancel_requested) self->propagate_cancel = 0;
    if (self->body_err && !self->aborting) async__tg_abort(self);
    while (self->pending) {
        async_future_init(&self->wake, ASYNC_LOOP);
        ASYNC_AWAIT_CATCH(&self->wake, self->e);
        if (self->e && !self->aborting) { /* the parent is cancelled from outside */
            self->propagate_cancel = 1;
            async__tg_abort(self);
        }
    }
    self->entered = 0;
    if (self->body_err && self->body_err != ASYNC_ECANCELLED) {
        self->nerrors++;
        if (!self->first_err) self->first_err = self->body_err;
    }
    if (self->first_err) ASYNC_RAISE(self->first_err);
    if (self->propagate_cancel) ASYNC_RAISE(ASYNC_ECANCELLED);
    ASYNC_END();
}

/* ASYNC_TASKGROUP_EXIT(&self->tg, body_err); — end of the `async with` block:
 * body_err is the error the body ended with (0 if none; catch it with the
 * *_CATCH awaits). Waits for every child; raises the group's error.
 *   async_taskgroup_enter(&self->tg, ASYNC_TASK);
 *   async_taskgroup_spawn(&self->tg, &self->kids[0], worker, &self->wf[0], "w0");
 *   ASYNC_AWAIT_CATCH(&self->other.fut, self->err);
 *   ASYNC_TASKGROUP_EXIT(&self->tg, self->err); */
#define ASYNC_TASKGROUP_EXIT(tg, errv)                                          \
    do {                                                                        \
        (tg)->body_err = (errv);                                                \
        ASYNC_AWAIT_CO(async_taskgroup_exit_co, (tg));                          \
    } while (0)

#endif /* ASYNC_COMBINATORS_WIP_H */
