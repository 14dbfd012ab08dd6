/* async.h — stackless coroutines for C with Python asyncio's model.
 * Version 0.1.0. MIT licence (see LICENSE). Header-only, freestanding C99, no malloc.
 *
 * HOW TO USE
 *   #include "async.h"      in every file; nothing to define, nothing to link.
 *   A coroutine is a C function whose persistent locals live in a frame struct
 *   that the caller allocates. Its body sits between ASYNC_BEGIN() and ASYNC_END():
 *
 *     struct countdown { async_frame hdr; int n; async_timer t; };
 *     static ASYNC_FN(countdown, struct countdown) {
 *         ASYNC_BEGIN();
 *         for (; self->n > 0; self->n--) ASYNC_SLEEP(&self->t, 1.0);
 *         ASYNC_RETURN(async_int(42));
 *         ASYNC_END();
 *     }
 *
 *   Drive it by hand with async_send() (Python's coroutine.send), or make it a
 *   task on a loop: async_task_create() then async_loop_run_until_complete().
 *
 * CONTENTS
 *   1. Configuration            ASYNC_CONFIG_* knobs, ASYNC_MISUSE hook
 *   2. Platform selection       the only #if block that depends on the compiler
 *   3. Values, statuses, errors async_value, async_status, ASYNC_E*
 *   4. Frames and coroutines    ASYNC_FN, ASYNC_BEGIN/END, YIELD, AWAIT, RETURN, FINALLY
 *   5. The send protocol        async_coro, async_send, async_throw
 *   6. Futures                  async_future, callbacks
 *   7. Tasks                    async_task, cancellation, the task dump
 *   8. Timers and the loop      async_timer, async_loop, sleep, call_soon/later, run
 *   9. Backends                 virtual clock, bare-metal tick + idle
 *   10. Interrupts              async_isr_raise from an ISR, drained by the loop
 *   11. Short names             AWAIT, YIELD, ... unless ASYNC_NO_SHORT_NAMES
 *
 * ERROR HANDLING, IN ONE PLACE
 *   Runtime conditions are error codes: 0 is success, the library's own codes are
 *   the negative ASYNC_E* constants, positive values are yours (errno values on
 *   hosts). Inside a coroutine an error propagates through AWAIT like an exception
 *   until a FINALLY section swallows it. Programming errors (misuse) also call
 *   ASYNC_MISUSE(msg) with a message naming the misuse, then return an error code
 *   (ASYNC_EMISUSE, ASYNC_EBUSY), so behaviour is never undefined.
 */
#ifndef ASYNC_H
#define ASYNC_H

#define ASYNC_VERSION_MAJOR 0
#define ASYNC_VERSION_MINOR 1
#define ASYNC_VERSION_PATCH 0

#include <stddef.h>
#include <stdint.h>

/* ======================================================================
 * 1. Configuration. Define any of these before including async.h.
 * ====================================================================== */

/* Resume points: 0 = switch on __LINE__ (portable; no `switch` of your own may
 * contain a resume point), 1 = GCC/Clang label addresses (your own `switch`
 * statements may then contain AWAIT/YIELD). */
#ifndef ASYNC_CONFIG_LABELS
#define ASYNC_CONFIG_LABELS 0
#endif

/* 1: async_value has a double member and sleep takes seconds as a double.
 * 0: integers and pointers only (saves soft-float code on 8-bit MCUs). */
#ifndef ASYNC_CONFIG_FLOAT
#define ASYNC_CONFIG_FLOAT 1
#endif

/* 1: tasks carry a name, the source position where they are suspended and a link
 * in the loop's list of live tasks (async_loop_dump). Costs 4 pointers a task. */
#ifndef ASYNC_CONFIG_TASK_INFO
#define ASYNC_CONFIG_TASK_INFO 1
#endif

/* 1: coroutines also report to the loop's trace hook (async_loop_set_trace)
 * when a body starts and when an await suspends and resumes
 * (ASYNC_TRACE_CORO_BEGIN, ASYNC_TRACE_AWAIT_*): a control-flow trace, see
 * examples/control_flow.c. 0: none of it is compiled (zero cost). It adds two
 * fields to async_loop: use the same value in every file that shares a loop. */
#ifndef ASYNC_CONFIG_TRACE
#define ASYNC_CONFIG_TRACE 0
#endif

/* Clock type: unsigned ticks, compared modulo wrap-around, and its signed twin. */
#ifndef ASYNC_TIME_T
#define ASYNC_TIME_T uint64_t
#define ASYNC_STIME_T int64_t
#endif
/* Ticks per second of the clock the backend reports (ns by default). */
#ifndef ASYNC_TICKS_PER_SEC
#define ASYNC_TICKS_PER_SEC 1000000000
#endif

/* Called with a message when the API is misused; after it returns, the call
 * reports an error code. Hosted default: print to stderr and abort();
 * freestanding default: trap. Tests override it to catch the message. */
#ifndef ASYNC_MISUSE
#define ASYNC_MISUSE(msg) async__misuse_default(msg)
#endif

/* ======================================================================
 * 2. Platform selection (the one place that depends on the compiler).
 * ====================================================================== */
#if defined(__GNUC__) || defined(__clang__)
#define ASYNC__UNUSED __attribute__((unused))
#define ASYNC__LIKELY(x) __builtin_expect(!!(x), 1)
#define ASYNC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ASYNC__TRAP() __builtin_trap()
/* Hide where a pointer points, so reading possibly-uninitialised caller memory
 * on purpose does not trigger -Wmaybe-uninitialized. */
#define ASYNC__OPAQUE(p) __asm__("" : "+r"(p))
#else
#define ASYNC__UNUSED
#define ASYNC__LIKELY(x) (x)
#define ASYNC__UNLIKELY(x) (x)
#define ASYNC__TRAP() for (;;) {}
#define ASYNC__OPAQUE(p) ((void)0)
#endif
#if ASYNC_CONFIG_LABELS && !(defined(__GNUC__) || defined(__clang__))
#error "ASYNC_CONFIG_LABELS needs GCC or Clang (label addresses)"
#endif
#define ASYNC_API static inline ASYNC__UNUSED

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__ && !defined(ASYNC_FREESTANDING)
#include <stdio.h>
#include <stdlib.h>
ASYNC_API void async__misuse_default(const char *msg) {
    fprintf(stderr, "async.h: misuse: %s\n", msg);
    abort();
}
#else
ASYNC_API void async__misuse_default(const char *msg) { (void)msg; ASYNC__TRAP(); }
#endif

#define ASYNC__CAT2(a, b) a##b
#define ASYNC__CAT(a, b) ASYNC__CAT2(a, b)
#define ASYNC__STR2(x) #x
#define ASYNC__STR(x) ASYNC__STR2(x)
#define ASYNC__WHERE __FILE__ ":" ASYNC__STR(__LINE__)

/* ======================================================================
 * 3. Values, statuses, errors
 * ====================================================================== */

/* What flows through send/yield/return and futures: a small untyped value.
 * Typed results are better kept in the frame (a field the coroutine fills). */
typedef union async_value {
    intptr_t i; /* integers */
    void *p;    /* pointers */
#if ASYNC_CONFIG_FLOAT
    double d; /* floating point */
#endif
} async_value;

/* async_int(7), async_ptr(p), async_dbl(1.5), async_none(): build a value. */
ASYNC_API async_value async_none(void) { async_value v; v.p = NULL; v.i = 0; return v; }
ASYNC_API async_value async_int(intptr_t i) { async_value v = async_none(); v.i = i; return v; }
ASYNC_API async_value async_ptr(void *p) { async_value v = async_none(); v.p = p; return v; }
#if ASYNC_CONFIG_FLOAT
ASYNC_API async_value async_dbl(double d) { async_value v; v.d = d; return v; }
#endif

/* What one call of a coroutine function (one send) reports. */
typedef enum async_status {
    ASYNC_DONE = 0,    /* finished: the return value is in ctx->value (StopIteration.value) */
    ASYNC_FAILED = 1,  /* finished with the error in ctx->err (an exception escaped) */
    ASYNC_YIELDED = 2, /* suspended at YIELD: the yielded value is in ctx->value */
    ASYNC_AWAITING = 3 /* suspended on a pending future, which is ctx->value.p */
} async_status;

/* The library's error codes (negative; positive codes are the user's/errno). */
enum {
    ASYNC_OK = 0,
    ASYNC_ECANCELLED = -1,   /* asyncio.CancelledError */
    ASYNC_ETIMEOUT = -2,     /* TimeoutError */
    ASYNC_EINVALSTATE = -3,  /* InvalidStateError: future done twice, result of a pending one */
    ASYNC_EMISUSE = -4,      /* the API was misused (ASYNC_MISUSE was called) */
    ASYNC_EBUSY = -5,        /* loop already running, task or coroutine already running */
    ASYNC_EDEADLOCK = -6,    /* nothing is ready, no timer, no event source: it would wait forever */
    ASYNC_ESTOPPED = -7,     /* the loop was stopped before the awaited future completed */
    ASYNC_ELAST_CORE = -7
};

/* async_strerror(ASYNC_ETIMEOUT) -> "timeout". Library codes only. */
ASYNC_API const char *async_strerror(int err) {
    switch (err) {
    case ASYNC_OK: return "success";
    case ASYNC_ECANCELLED: return "cancelled";
    case ASYNC_ETIMEOUT: return "timeout";
    case ASYNC_EINVALSTATE: return "invalid state";
    case ASYNC_EMISUSE: return "API misuse";
    case ASYNC_EBUSY: return "busy (already running)";
    case ASYNC_EDEADLOCK: return "deadlock: nothing left that could make progress";
    case ASYNC_ESTOPPED: return "loop stopped";
    default: return err > 0 ? "user or system error" : "unknown error";
    }
}

typedef ASYNC_TIME_T async_time;
typedef struct async_ctx async_ctx;
typedef struct async_loop async_loop;
typedef struct async_future async_future;
typedef struct async_task async_task;
typedef struct async_timer async_timer;
typedef struct async_handle async_handle;
typedef struct async_callback async_callback;

/* The context a coroutine runs in: its driver's value slot, state and error.
 * A task's context is the head of its future; a bare coroutine's is its own. */
struct async_ctx {
    async_value value; /* sent in / yielded out / returned / awaited result */
    uint8_t state;     /* future state (ASYNC__PENDING, ...) */
    uint8_t flags;     /* ASYNC__F_* */
    int16_t err;       /* error thrown in on resume, or finished with */
};

/* A coroutine function. Write it with ASYNC_FN, or by hand with exactly these
 * parameter names: async_status fn(async_ctx *async_ctx_, void *self). */
typedef async_status (*async_fn)(async_ctx *ctx, void *frame);

/* ======================================================================
 * 4. Frames and coroutines
 * ====================================================================== */

/* The header every frame struct starts with. Zero it (or let the awaiting code
 * reset it) before the first resume; the rest of the frame is yours. */
typedef struct async_frame {
#if ASYNC_CONFIG_LABELS
    void *state; /* resume label, or one of the small ASYNC__S_* values */
#else
    uint_least16_t state; /* resume line, or ASYNC__S_* */
#endif
    int16_t err;   /* error this frame is unwinding with (in FINALLY) or ended with */
    uint8_t flags; /* ASYNC__IN_FINALLY, ASYNC__RETURNED */
} async_frame;

#if ASYNC_CONFIG_LABELS
#define ASYNC__HSET(h, s) ((h)->state = (void *)(uintptr_t)(s))
#define ASYNC__HIS(h, s) ((h)->state == (void *)(uintptr_t)(s))
#else
#define ASYNC__HSET(h, s) ((h)->state = (s))
#define ASYNC__HIS(h, s) ((h)->state == (s))
#endif
#define ASYNC__S_START 0
#define ASYNC__S_FINALLY 1
#define ASYNC__S_DONE 2
#define ASYNC__IN_FINALLY 1u
#define ASYNC__RETURNED 2u

/* Context flags. */
#define ASYNC__F_TASK 0x01u        /* the context is a task's */
#define ASYNC__F_TIMER 0x02u       /* the future is a timer's */
#define ASYNC__F_RUNNING 0x04u     /* the coroutine is executing right now */
#define ASYNC__F_AWAITING 0x08u    /* parked on the future in value.p */
#define ASYNC__F_MUST_CANCEL 0x10u /* deliver a cancellation at the next step */
#define ASYNC__F_ARMED 0x20u       /* timer: in the loop's heap */
#define ASYNC__F_RETRIEVED 0x40u   /* the error was read by someone */

/* Future states; distinctive values so that zeroed memory reads as "never initialised". */
#define ASYNC__PENDING 0x50u
#define ASYNC__DONE 0x5Du
#define ASYNC__CANCELLED 0x5Cu

/* ASYNC_FN(name, frame_type) { body } — define a coroutine function whose frame
 * is reachable as `self` (typed). Prefix with `static` for internal linkage.
 *   static ASYNC_FN(triple, struct triple) { ASYNC_BEGIN(); ASYNC_RETURN(async_int(self->val * 3)); ASYNC_END(); }
 * Hazard: locals of the body do not survive a suspension; keep them in *self. */
#define ASYNC_FN(name, frame_type)                                                        \
    async_status name(async_ctx *async_ctx_, void *async_vself_);                         \
    static async_status ASYNC__CAT(name, _async_body)(async_ctx *async_ctx_, frame_type *self); \
    async_status name(async_ctx *async_ctx_, void *async_vself_) {                        \
        return ASYNC__CAT(name, _async_body)(async_ctx_, (frame_type *)async_vself_);     \
    }                                                                                     \
    static async_status ASYNC__CAT(name, _async_body)(async_ctx *async_ctx_, frame_type *self)

/* ASYNC_DECLARE(name); — prototype of a coroutine defined in another file. */
#define ASYNC_DECLARE(name) async_status name(async_ctx *async_ctx_, void *async_vself_)

ASYNC_API void async_frame_reset(void *frame) {
    async_frame *h = (async_frame *)frame;
    ASYNC__HSET(h, ASYNC__S_START);
    h->err = 0;
    h->flags = 0;
}

/* Internal: where a task is suspended (for the dump). */
#if ASYNC_CONFIG_TASK_INFO
ASYNC_API void async__note_where(async_ctx *ctx, const char *where);
#define ASYNC__NOTE_WHERE() async__note_where(async_ctx_, ASYNC__WHERE)
#else
#define ASYNC__NOTE_WHERE() ((void)0)
#endif

/* Internal: coroutine-level trace events (ASYNC_CONFIG_TRACE). */
#if ASYNC_CONFIG_TRACE
ASYNC_API void async__trace_co(async_ctx *ctx, int ev, const char *fn);
#define ASYNC__TRACE_CO(ev) async__trace_co(async_ctx_, (ev), __func__)
#else
#define ASYNC__TRACE_CO(ev) ((void)0)
#endif

#if ASYNC_CONFIG_LABELS
#define ASYNC__LBL ASYNC__CAT(async__resume_, __LINE__)
#define ASYNC__DISPATCH                                                         \
    if (0) async_hdr_->state = __extension__ &&async__dispatch; /* for clang */ \
    if ((uintptr_t)async_hdr_->state > ASYNC__S_DONE) {                        \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpedantic\"") \
        goto *async_hdr_->state;                                               \
        _Pragma("GCC diagnostic pop")                                          \
    }                                                                          \
    switch ((int)(uintptr_t)async_hdr_->state)
#define ASYNC__SUSPEND(status)                                                       \
    do {                                                                             \
        async_hdr_->state = __extension__ &&ASYNC__LBL;                              \
        ASYNC__NOTE_WHERE();                                                         \
        return (status);                                                             \
        ASYNC__LBL:;                                                                 \
    } while (0)
#define ASYNC__RESUME_HERE()                                                         \
    async_hdr_->state = __extension__ &&ASYNC__LBL;                                  \
    ASYNC__LBL:
#else
#define ASYNC__DISPATCH switch (async_hdr_->state)
/* The sizeof rejects, at compile time, a resume point past line 65535. */
#define ASYNC__SUSPEND(status)                                                       \
    do {                                                                             \
        (void)sizeof(char[(__LINE__) < 65536 ? 1 : -1]);                             \
        async_hdr_->state = __LINE__;                                                \
        ASYNC__NOTE_WHERE();                                                         \
        return (status);                                                             \
        case __LINE__:;                                                              \
    } while (0)
#define ASYNC__RESUME_HERE()                                                         \
    (void)sizeof(char[(__LINE__) < 65536 ? 1 : -1]);                                 \
    async_hdr_->state = __LINE__;                                                    \
    goto ASYNC__CAT(async__resume_, __LINE__);                                       \
    case __LINE__:                                                                   \
    ASYNC__CAT(async__resume_, __LINE__):
#endif

/* Internal helpers of the macros. */
ASYNC_API int async__raise(async_ctx *ctx, async_frame *h) {
    h->err = ctx->err;
    ctx->err = 0;
    if (h->flags & ASYNC__IN_FINALLY) { /* raised in FINALLY (or before start): end now */
        ctx->err = h->err;
        ASYNC__HSET(h, ASYNC__S_DONE);
        h->flags = 0;
        return 1;
    }
    ASYNC__HSET(h, ASYNC__S_FINALLY);
    return 0;
}

ASYNC_API async_status async__finish(async_ctx *ctx, async_frame *h) {
    if (ASYNC__UNLIKELY(ASYNC__HIS(h, ASYNC__S_DONE))) {
        ASYNC_MISUSE("coroutine resumed after it finished (reset its frame to run it again)");
        ctx->err = ASYNC_EMISUSE;
        return ASYNC_FAILED;
    }
    if (!(h->flags & ASYNC__RETURNED)) ctx->value = async_none();
    ASYNC__HSET(h, ASYNC__S_DONE);
    h->flags = 0;
    if (h->err) {
        ctx->err = h->err;
        return ASYNC_FAILED;
    }
    return ASYNC_DONE;
}

ASYNC_API async_status async__broke(async_ctx *ctx) {
    ASYNC_MISUSE("`break` left a coroutine body (it belongs to the resume switch)");
    ctx->err = ASYNC_EMISUSE;
    return ASYNC_FAILED;
}

/* ASYNC_BEGIN(); — opens a coroutine body. Must be the first statement.
 * Hazards: one resume point (AWAIT/YIELD/SLEEP) per source line; in the default
 * switch mode no resume point inside a `switch` of your own; locals are not kept. */
#define ASYNC_BEGIN()                                                           \
    async_frame *const async_hdr_ = (async_frame *)(void *)(self);              \
    if (0) {                                                                    \
        goto async__return;                                                     \
    async__raise:                                                               \
        if (async__raise(async_ctx_, async_hdr_)) return ASYNC_FAILED;          \
        goto async__dispatch;                                                   \
    async__return:                                                              \
        if (async_hdr_->flags & ASYNC__IN_FINALLY) {                            \
            async_hdr_->err = 0; /* Python: return in finally drops the error */ \
            goto async__end;                                                    \
        }                                                                       \
        ASYNC__HSET(async_hdr_, ASYNC__S_FINALLY);                                  \
    }                                                                           \
    async__dispatch:                                                            \
    ASYNC__DISPATCH {                                                           \
    case ASYNC__S_START:                                                        \
        if (async_ctx_->err) { /* thrown in before it started: body never runs */ \
            async_hdr_->flags |= ASYNC__IN_FINALLY;                             \
            goto async__raise;                                                  \
        }                                                                       \
        ASYNC__TRACE_CO(ASYNC_TRACE_CORO_BEGIN)

/* ASYNC_FINALLY(); — optional, once, at the top level of the body, before
 * ASYNC_END(). The code after it runs on normal completion, on ASYNC_RETURN and
 * when an error (cancellation included) unwinds the body: stackless try/finally.
 * There ASYNC_ERROR is the error in flight (0 if none); set it to 0 to swallow it.
 *   ASYNC_FINALLY();
 *   close_resource(self);
 *   if (ASYNC_ERROR == ASYNC_ECANCELLED) ASYNC_ERROR = 0;   // cancelled: end normally
 * Hazard: an AWAIT in FINALLY overwrites a pending ASYNC_RETURN value. */
#define ASYNC_FINALLY()                                                         \
        goto async__finally;                                                    \
    case ASYNC__S_FINALLY:                                                      \
    async__finally:                                                             \
        async_hdr_->flags |= ASYNC__IN_FINALLY

/* ASYNC_END(); — closes the body; returns DONE, or FAILED with the error. */
#define ASYNC_END()                                                             \
        goto async__end;                                                        \
    default:                                                                    \
    async__end:                                                                 \
        return async__finish(async_ctx_, async_hdr_);                           \
    }                                                                           \
    return async__broke(async_ctx_)

/* The error in flight inside FINALLY (an lvalue: assign 0 to swallow it). */
#define ASYNC_ERROR (async_hdr_->err)
/* The value delivered by the last AWAIT (its result) or YIELD (the value sent in). */
#define ASYNC_VALUE (async_ctx_->value)

/* ASYNC_RETURN(v); — finish with value v (an async_value), running FINALLY first.
 * Inside FINALLY it ends the coroutine at once and, as in Python, discards the
 * error in flight.
 *   ASYNC_RETURN(async_int(23));      // Python: return 23 */
#define ASYNC_RETURN(v)                                                         \
    do {                                                                        \
        async_ctx_->value = (v);                                                \
        async_hdr_->flags |= ASYNC__RETURNED;                                   \
        goto async__return;                                                     \
    } while (0)

/* ASYNC_RAISE(err); — raise an error (nonzero): unwinds through FINALLY to the awaiter.
 *   if (n < 0) ASYNC_RAISE(EINVAL); */
#define ASYNC_RAISE(e)                                                          \
    do {                                                                        \
        async_ctx_->err = (int16_t)(e);                                         \
        if (!async_ctx_->err) async_ctx_->err = ASYNC_EMISUSE;                  \
        goto async__raise;                                                      \
    } while (0)

/* ASYNC_YIELD(v); — suspend, handing v to whoever called send (Python `yield v`);
 * afterwards ASYNC_VALUE is the value sent in. In a task, a yield gives the loop a
 * turn: the task goes to the back of the ready queue (asyncio.sleep(0)).
 *   ASYNC_YIELD(async_int(7));
 *   got = ASYNC_VALUE.i; */
#define ASYNC_YIELD(v)                                                          \
    do {                                                                        \
        async_ctx_->value = (v);                                                \
        ASYNC__SUSPEND(ASYNC_YIELDED);                                          \
        if (async_ctx_->err) goto async__raise;                                 \
    } while (0)

/* ASYNC_SLEEP0(); — asyncio.sleep(0): let every other ready task run once. */
#define ASYNC_SLEEP0() ASYNC_YIELD(async_none())

ASYNC_API int async__await_begin(async_ctx *ctx, async_future *f);
ASYNC_API int async__await_end(async_ctx *ctx);

/* ASYNC_AWAIT(fut); — wait for a future or a task (`&task->fut`); then
 * ASYNC_VALUE is its result. A done future continues at once, without a trip
 * through the loop. Its error (or cancellation) is raised here.
 *   ASYNC_AWAIT(&self->child_task.fut);
 *   total += ASYNC_VALUE.i; */
#define ASYNC_AWAIT(fut)                                                        \
    do {                                                                        \
        if (async__await_begin(async_ctx_, (fut))) {                            \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_SUSPEND);                         \
            ASYNC__SUSPEND(ASYNC_AWAITING);                                     \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_RESUME);                          \
        }                                                                       \
        if (async__await_end(async_ctx_)) goto async__raise;                    \
    } while (0)

/* ASYNC_AWAIT_CATCH(fut, err); — like ASYNC_AWAIT but stores the error in the
 * lvalue err (0 on success) instead of raising it: try/except around one await.
 *   ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
 *   if (self->err == ASYNC_ETIMEOUT) ... */
#define ASYNC_AWAIT_CATCH(fut, errv)                                            \
    do {                                                                        \
        if (async__await_begin(async_ctx_, (fut))) {                            \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_SUSPEND);                         \
            ASYNC__SUSPEND(ASYNC_AWAITING);                                     \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_RESUME);                          \
        }                                                                       \
        if (async__await_end(async_ctx_)) {                                     \
            (errv) = async_ctx_->err;                                           \
            async_ctx_->err = 0;                                                \
        } else                                                                  \
            (errv) = 0;                                                         \
    } while (0)

/* ASYNC_AWAIT_CO(fn, child_frame); — run a child coroutine inline (Python `await
 * coro()`): no trip through the loop unless the child suspends, and its
 * suspensions percolate up. Its return value is ASYNC_VALUE afterwards (typed
 * results: read them from the child's frame); its error is raised here.
 *   self->t.val = 5;
 *   ASYNC_AWAIT_CO(triple, &self->t);
 * Hazard: the child frame is reset on entry; fn and child_frame are evaluated at
 * every resume: pass a function name and `&self->member`, nothing with side effects. */
#define ASYNC_AWAIT_CO(fn, child)                                               \
    do {                                                                        \
        async_frame_reset(child);                                               \
        ASYNC__RESUME_HERE() {                                                  \
            async_status async_s_ = (fn)(async_ctx_, (child));                  \
            if (async_s_ >= ASYNC_YIELDED) return async_s_;                     \
            if (async_s_ == ASYNC_FAILED) goto async__raise;                    \
        }                                                                       \
    } while (0)

/* ASYNC_AWAIT_CO_CATCH(fn, child_frame, err); — ASYNC_AWAIT_CO that stores the
 * child's error in the lvalue err (0 on success) instead of raising it. */
#define ASYNC_AWAIT_CO_CATCH(fn, child, errv)                                   \
    do {                                                                        \
        async_frame_reset(child);                                               \
        ASYNC__RESUME_HERE() {                                                  \
            async_status async_s_ = (fn)(async_ctx_, (child));                  \
            if (async_s_ >= ASYNC_YIELDED) return async_s_;                     \
            (errv) = async_s_ == ASYNC_FAILED ? async_ctx_->err : 0;            \
            async_ctx_->err = 0;                                                \
        }                                                                       \
    } while (0)

/* ======================================================================
 * 5. The send protocol: a coroutine object driven by hand
 * ====================================================================== */

/* A coroutine object: a function and its frame. Creating one runs nothing. */
typedef struct async_coro {
    async_ctx ctx; /* value in/out, error, flags */
    async_fn fn;   /* the coroutine function */
    void *frame;   /* its frame (caller's memory) */
} async_coro;

/* async_coro_init(&co, fn, &frame); — make a coroutine object (Python: `co = main()`).
 * Resets the frame header; runs nothing. */
ASYNC_API void async_coro_init(async_coro *co, async_fn fn, void *frame) {
    co->ctx.value = async_none();
    co->ctx.state = ASYNC__PENDING;
    co->ctx.flags = 0;
    co->ctx.err = 0;
    co->fn = fn;
    co->frame = frame;
    async_frame_reset(frame);
}

/* The checks come before anything is written to co->ctx: a re-entrant send
 * must not clobber the value or error of the coroutine that is executing. */
ASYNC_API async_status async__resume(async_coro *co, const async_value *v, int err) {
    async_status s;
    if (ASYNC__UNLIKELY(co->ctx.flags & ASYNC__F_RUNNING)) {
        ASYNC_MISUSE("send to a coroutine that is already executing");
        return ASYNC_FAILED;
    }
    if (ASYNC__UNLIKELY(co->ctx.state != ASYNC__PENDING)) {
        ASYNC_MISUSE("send to a finished (or never initialised) coroutine");
        co->ctx.err = ASYNC_EMISUSE;
        return ASYNC_FAILED;
    }
    if (v && !(co->ctx.flags & ASYNC__F_AWAITING)) co->ctx.value = *v;
    co->ctx.err = (int16_t)err;
    co->ctx.flags = (uint8_t)((co->ctx.flags & ~ASYNC__F_AWAITING) | ASYNC__F_RUNNING);
    s = co->fn(&co->ctx, co->frame);
    co->ctx.flags &= (uint8_t)~ASYNC__F_RUNNING;
    if (s <= ASYNC_FAILED) co->ctx.state = ASYNC__DONE;
    else if (s == ASYNC_AWAITING) co->ctx.flags |= ASYNC__F_AWAITING;
    return s;
}

/* async_send(&co, v) — start or resume a coroutine with value v (Python
 * coroutine.send). Returns ASYNC_YIELDED (co.ctx.value is the yielded value),
 * ASYNC_AWAITING (it awaits the pending future co.ctx.value.p; v is ignored on
 * the next send, which should come once that future is done), ASYNC_DONE
 * (co.ctx.value is the return value: StopIteration.value) or ASYNC_FAILED
 * (co.ctx.err). Sending to a finished coroutine is misuse.
 *   if (async_send(&co, async_none()) == ASYNC_YIELDED) printf("%ld\n", (long)co.ctx.value.i); */
ASYNC_API async_status async_send(async_coro *co, async_value v) { return async__resume(co, &v, 0); }

/* async_throw(&co, err) — raise err at the coroutine's suspension point
 * (Python coroutine.throw). A coroutine that has not started ends at once. */
ASYNC_API async_status async_throw(async_coro *co, int err) {
    return async__resume(co, NULL, err ? err : ASYNC_EMISUSE);
}

/* ======================================================================
 * 6. Futures
 * ====================================================================== */

/* A ready-queue entry: something the loop calls. Tasks and callbacks embed one. */
typedef void (*async_handle_fn)(async_handle *h);
struct async_handle {
    async_handle *next; /* ready queue or a future's waiter list */
    async_handle_fn fn; /* what the loop calls; NULL = cancelled */
};

/* A future: pending -> done (result or error) or cancelled. Waiters (tasks and
 * done callbacks) are woken in registration order, from the loop. */
struct async_future {
    async_ctx c;            /* value = result, err = error, state, flags */
    async_loop *loop;       /* the loop that runs its waiters */
    async_handle *waiters;  /* tail of a circular list of handles */
};

typedef void (*async_callback_fn)(async_future *fut, void *arg);
/* A done callback or a call_soon entry, in caller memory. */
struct async_callback {
    async_handle h;        /* queue link */
    async_future *fut;     /* the future it watches (NULL for call_soon) */
    async_callback_fn fn;  /* called from the loop */
    void *arg;             /* its argument */
};

/* async_future_init(&fut, loop); — a pending future bound to a loop. */
ASYNC_API void async_future_init(async_future *f, async_loop *loop) {
    f->c.value = async_none();
    f->c.state = ASYNC__PENDING;
    f->c.flags = 0;
    f->c.err = 0;
    f->loop = loop;
    f->waiters = NULL;
}

ASYNC_API int async_future_done(const async_future *f) {
    return f->c.state == ASYNC__DONE || f->c.state == ASYNC__CANCELLED;
}
ASYNC_API int async_future_cancelled(const async_future *f) { return f->c.state == ASYNC__CANCELLED; }
/* The error of a done future (ASYNC_ECANCELLED if cancelled; ASYNC_EINVALSTATE if pending). */
ASYNC_API int async_future_error(async_future *f) {
    if (f->c.state == ASYNC__CANCELLED) return ASYNC_ECANCELLED;
    if (f->c.state != ASYNC__DONE) return ASYNC_EINVALSTATE;
    f->c.flags |= ASYNC__F_RETRIEVED;
    return f->c.err;
}
/* The result of a done future (meaningful when async_future_error() is 0). */
ASYNC_API async_value async_future_result(const async_future *f) { return f->c.value; }

ASYNC_API void async__ready_push(async_loop *loop, async_handle *h);
ASYNC_API void async__ready_splice(async_loop *loop, async_handle *tail);

ASYNC_API void async__future_wake(async_future *f) {
    async_handle *tail = f->waiters;
    if (!tail) return;
    f->waiters = NULL;
    if (ASYNC__UNLIKELY(!f->loop)) {
        ASYNC_MISUSE("future with waiters has no loop (async_future_init(fut, loop))");
        return;
    }
    async__ready_splice(f->loop, tail);
}

ASYNC_API int async__future_check(const async_future *f) {
    if (ASYNC__UNLIKELY(!f)) {
        ASYNC_MISUSE("NULL future");
        return ASYNC_EMISUSE;
    }
    if (ASYNC__UNLIKELY(f->c.state != ASYNC__PENDING && f->c.state != ASYNC__DONE &&
                        f->c.state != ASYNC__CANCELLED)) {
        ASYNC_MISUSE("future used before async_future_init (or task never created)");
        return ASYNC_EMISUSE;
    }
    return 0;
}

/* async_future_set_result(&fut, v) — complete with a result; waiters run from
 * the loop, never inside this call. Returns ASYNC_EINVALSTATE if already done. */
ASYNC_API int async_future_set_result(async_future *f, async_value v) {
    if (async__future_check(f)) return ASYNC_EMISUSE;
    if (f->c.state != ASYNC__PENDING || (f->c.flags & ASYNC__F_TASK)) return ASYNC_EINVALSTATE;
    f->c.value = v;
    f->c.state = ASYNC__DONE;
    async__future_wake(f);
    return 0;
}

/* async_future_set_error(&fut, err) — complete with an error (nonzero). */
ASYNC_API int async_future_set_error(async_future *f, int err) {
    if (async__future_check(f)) return ASYNC_EMISUSE;
    if (f->c.state != ASYNC__PENDING || (f->c.flags & ASYNC__F_TASK)) return ASYNC_EINVALSTATE;
    f->c.err = (int16_t)(err ? err : ASYNC_EMISUSE);
    f->c.state = ASYNC__DONE;
    async__future_wake(f);
    return 0;
}

ASYNC_API int async__task_cancel_fut(async_future *f);
ASYNC_API void async__timer_disarm(async_timer *t);

/* async_future_cancel(&fut) — cancel a pending future: 1 if it is now cancelled
 * (or, for a task, cancellation was requested), 0 if it was already done. */
ASYNC_API int async_future_cancel(async_future *f) {
    if (async__future_check(f)) return 0;
    if (f->c.state != ASYNC__PENDING) return 0;
    if (f->c.flags & ASYNC__F_TASK) return async__task_cancel_fut(f);
    if (f->c.flags & ASYNC__F_TIMER) async__timer_disarm((async_timer *)(void *)f);
    f->c.state = ASYNC__CANCELLED;
    f->c.err = ASYNC_ECANCELLED;
    async__future_wake(f);
    return 1;
}

ASYNC_API void async__waiter_add(async_future *f, async_handle *h) {
    if (f->waiters) {
        h->next = f->waiters->next;
        f->waiters->next = h;
    } else
        h->next = h;
    f->waiters = h;
}

ASYNC_API int async__waiter_remove(async_future *f, async_handle *h) {
    async_handle *prev = f->waiters, *cur;
    if (!prev) return 0;
    do {
        cur = prev->next;
        if (cur == h) {
            if (cur == prev) f->waiters = NULL;
            else {
                prev->next = cur->next;
                if (f->waiters == cur) f->waiters = prev;
            }
            h->next = NULL;
            return 1;
        }
        prev = cur;
    } while (prev != f->waiters);
    return 0;
}

ASYNC_API void async__callback_run(async_handle *h) {
    async_callback *cb = (async_callback *)(void *)h;
    cb->fn(cb->fut, cb->arg);
}

/* async_future_add_done_callback(&fut, &cb, fn, arg); — call fn(fut, arg) from the
 * loop once fut is done (at once, via the loop, if it already is). cb is caller
 * memory that must stay valid until the call. */
ASYNC_API void async_future_add_done_callback(async_future *f, async_callback *cb, async_callback_fn fn,
                                              void *arg) {
    cb->h.fn = async__callback_run;
    cb->h.next = NULL;
    cb->fut = f;
    cb->fn = fn;
    cb->arg = arg;
    if (async__future_check(f)) return;
    if (f->c.state == ASYNC__PENDING) async__waiter_add(f, &cb->h);
    else if (f->loop) async__ready_push(f->loop, &cb->h);
    else ASYNC_MISUSE("done callback on a future that has no loop");
}

/* async_future_remove_done_callback(&fut, &cb) — 1 if it was registered and is removed. */
ASYNC_API int async_future_remove_done_callback(async_future *f, async_callback *cb) {
    return async__waiter_remove(f, &cb->h);
}

/* ======================================================================
 * 7. Tasks
 * ====================================================================== */

/* A task: a future that drives a coroutine on a loop. Await it with
 * ASYNC_AWAIT(&task.fut). All its memory is the caller's. */
struct async_task {
    async_future fut; /* result, error, state; first, so a task is a future */
    async_handle h;   /* its turn in the ready queue / a waiter list */
    async_fn fn;      /* root coroutine */
    void *frame;      /* its frame */
#if ASYNC_CONFIG_TASK_INFO
    const char *name;          /* for the dump */
    const char *where;         /* "file.c:42" where it last suspended */
    async_task *next_live;     /* the loop's list of live tasks */
    async_task *prev_live;
#endif
};

/* Handlers the loop calls; also the hook for the control-flow trace. */
typedef enum async_trace_event {
    ASYNC_TRACE_STEP_BEGIN, /* the loop is about to resume a task */
    ASYNC_TRACE_STEP_END,   /* the task's step returned to the loop */
    ASYNC_TRACE_ITERATION,  /* the loop starts an iteration */
    /* Only with ASYNC_CONFIG_TRACE; async_trace_coro() / async_trace_future() say which: */
    ASYNC_TRACE_CORO_BEGIN,    /* a coroutine body starts from the top (not a resume) */
    ASYNC_TRACE_AWAIT_SUSPEND, /* an await found its future pending: the task suspends */
    ASYNC_TRACE_AWAIT_RESUME   /* that await resumes: its future is done */
} async_trace_event;
typedef void (*async_trace_fn)(async_loop *loop, async_trace_event ev, async_task *t, async_status s,
                               void *ud);

/* Backend interface: what time it is, and block until a deadline or an event. */
typedef async_time (*async_now_fn)(void *data);
/* Block until *deadline (NULL: no deadline) or until an event has made something
 * ready; may return early. Return 0, or an error to make the loop stop (e.g.
 * ASYNC_EDEADLOCK when nothing could ever happen). */
typedef int (*async_wait_fn)(void *data, async_loop *loop, const async_time *deadline);

/* The scheduler: ready queue and timers. One per thread; caller memory. */
struct async_loop {
    async_handle *ready_head; /* FIFO of handles to run */
    async_handle *ready_tail;
    async_timer *timers;      /* pairing heap, earliest first */
    async_time now;           /* time at the start of this iteration */
    uint32_t timer_seq;       /* FIFO order among equal deadlines */
    async_now_fn now_fn;      /* backend: clock */
    async_wait_fn wait_fn;    /* backend: block */
    void *backend;            /* backend data */
    async_task *current;      /* task being stepped, or NULL */
    uint8_t running;          /* inside run_* */
    uint8_t stopping;         /* stop() called */
    async_time vnow;          /* virtual clock's time (virtual backend) */
    async_trace_fn trace;     /* optional control-flow hook */
    void *trace_ud;
#if ASYNC_CONFIG_TASK_INFO
    async_task *live;         /* every task not yet done */
    unsigned long nlive;
#endif
#if ASYNC_CONFIG_TRACE
    const char *trace_coro;     /* coroutine events: the body's C function name */
    async_future *trace_future; /* await events: the awaited future */
#endif
};

ASYNC_API void async__task_step(async_handle *h);

#if ASYNC_CONFIG_TRACE
ASYNC_API void async__trace_co(async_ctx *ctx, int ev, const char *fn) {
    async_task *t;
    async_loop *loop;
    if (!(ctx->flags & ASYNC__F_TASK)) return; /* a bare coroutine has no loop */
    t = (async_task *)(void *)ctx;
    loop = t->fut.loop;
    if (!loop->trace) return;
    loop->trace_coro = fn;
    loop->trace_future = ev == ASYNC_TRACE_CORO_BEGIN ? NULL : (async_future *)ctx->value.p;
    loop->trace(loop, (async_trace_event)ev, t, ASYNC_DONE, loop->trace_ud);
}
/* Inside a trace hook, for the coroutine events: the C function of the body
 * that reported it (for ASYNC_FN(name, ...) that is "name_async_body"), and
 * for await events the future awaited (a task's: (async_task *)fut).
 *   if (ev == ASYNC_TRACE_AWAIT_SUSPEND) log("waits on %p", (void *)async_trace_future(loop)); */
ASYNC_API const char *async_trace_coro(const async_loop *loop) { return loop->trace_coro; }
ASYNC_API async_future *async_trace_future(const async_loop *loop) { return loop->trace_future; }
#endif

#if ASYNC_CONFIG_TASK_INFO
ASYNC_API void async__note_where(async_ctx *ctx, const char *where) {
    if (ctx->flags & ASYNC__F_TASK) ((async_task *)(void *)ctx)->where = where;
}
#endif

/* async_task_create(loop, &task, fn, &frame, "name") — wrap a coroutine in a
 * task; it first runs on a later loop iteration, never inside this call.
 * Returns 0, or ASYNC_EBUSY if that task is still running (misuse).
 *   async_task_create(&loop, &t, worker, &wf, "worker"); */
ASYNC_API int async_task_create(async_loop *loop, async_task *t, async_fn fn, void *frame, const char *name) {
#if ASYNC_CONFIG_TASK_INFO
    async_task *p;
    /* A fresh task is usually uninitialised memory (harmless: only the live
     * list decides that it is running); the opaque pointer keeps GCC -O2 -Wall
     * from flagging `async_task t; async_task_create(.., &t, ..)`. */
    const async_future *vf = &t->fut;
    ASYNC__OPAQUE(vf);
    if (vf->c.state == ASYNC__PENDING && vf->loop == loop)
        for (p = loop->live; p; p = p->next_live)
            if (p == t) {
                ASYNC_MISUSE("async_task_create on a task that is still running");
                return ASYNC_EBUSY;
            }
#endif
    async_future_init(&t->fut, loop);
    t->fut.c.flags = ASYNC__F_TASK;
    t->fn = fn;
    t->frame = frame;
    async_frame_reset(frame);
    t->h.fn = async__task_step;
    t->h.next = NULL;
#if ASYNC_CONFIG_TASK_INFO
    t->name = name ? name : "task";
    t->where = "not started";
    t->prev_live = NULL;
    t->next_live = loop->live;
    if (loop->live) loop->live->prev_live = t;
    loop->live = t;
    loop->nlive++;
#else
    (void)name;
#endif
    async__ready_push(loop, &t->h);
    return 0;
}

/* async_task_cancel(&task) — request cancellation (asyncio Task.cancel): an
 * ASYNC_ECANCELLED error is raised at the task's current await point (a task not
 * yet started never runs its body). The future it awaits is cancelled too.
 * Returns 1 if requested, 0 if the task is already done. */
/* Works on the task's future only: async_future_cancel calls it on a plain
 * async_future *, and a cast to async_task * there makes GCC 12 -O2 report
 * -Warray-bounds (the task is larger than a local future) in user code. */
ASYNC_API int async__task_cancel_fut(async_future *f) {
    if (async__future_check(f) || f->c.state != ASYNC__PENDING) return 0;
    if (f->c.flags & ASYNC__F_AWAITING) {
        if (async_future_cancel((async_future *)f->c.value.p)) return 1;
    }
    f->c.flags |= ASYNC__F_MUST_CANCEL;
    return 1;
}
ASYNC_API int async_task_cancel(async_task *t) { return async__task_cancel_fut(&t->fut); }

/* The task a coroutine runs in, and its loop (NULL for a bare coroutine driven
 * by async_send). Inside a body: ASYNC_TASK and ASYNC_LOOP.
 *   async_task_create(ASYNC_LOOP, &self->child, worker, &self->wf, "child"); */
ASYNC_API async_task *async_ctx_task(async_ctx *ctx) {
    return (ctx->flags & ASYNC__F_TASK) ? (async_task *)(void *)ctx : NULL;
}
ASYNC_API async_loop *async_ctx_loop(async_ctx *ctx) {
    return (ctx->flags & ASYNC__F_TASK) ? ((async_task *)(void *)ctx)->fut.loop : NULL;
}
#define ASYNC_TASK async_ctx_task(async_ctx_)
#define ASYNC_LOOP async_ctx_loop(async_ctx_)

/* Python Task.get_name(), and where it is suspended ("file.c:42"). */
ASYNC_API const char *async_task_name(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    return t->name;
#else
    (void)t;
    return "task";
#endif
}
ASYNC_API const char *async_task_where(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    return t->fut.c.state == ASYNC__PENDING ? t->where : "finished";
#else
    (void)t;
    return "?";
#endif
}
/* The future a parked task waits on, or NULL (ready, running or done). */
ASYNC_API async_future *async_task_waiting_on(const async_task *t) {
    return (t->fut.c.state == ASYNC__PENDING && (t->fut.c.flags & ASYNC__F_AWAITING))
               ? (async_future *)t->fut.c.value.p
               : NULL;
}

ASYNC_API void async__task_finish(async_task *t, async_status s) {
    if (s == ASYNC_FAILED && t->fut.c.err == ASYNC_ECANCELLED) t->fut.c.state = ASYNC__CANCELLED;
    else {
        t->fut.c.state = ASYNC__DONE;
        if (s == ASYNC_DONE) t->fut.c.err = 0;
    }
    t->fut.c.flags &= (uint8_t) ~(ASYNC__F_MUST_CANCEL | ASYNC__F_AWAITING);
#if ASYNC_CONFIG_TASK_INFO
    {
        async_loop *loop = t->fut.loop;
        if (t->prev_live) t->prev_live->next_live = t->next_live;
        else loop->live = t->next_live;
        if (t->next_live) t->next_live->prev_live = t->prev_live;
        t->next_live = t->prev_live = NULL;
        loop->nlive--;
    }
#endif
    async__future_wake(&t->fut);
}

/* One step of a task: Task.__step of asyncio. */
ASYNC_API void async__task_step(async_handle *h) {
    async_task *t = (async_task *)(void *)((char *)h - offsetof(async_task, h));
    async_loop *loop = t->fut.loop;
    async_future *w;
    async_status s;
    uint8_t fl = t->fut.c.flags;
    if (ASYNC__UNLIKELY(t->fut.c.state != ASYNC__PENDING)) return;
    if (fl & ASYNC__F_MUST_CANCEL) t->fut.c.err = ASYNC_ECANCELLED;
    t->fut.c.flags = (uint8_t)((fl & ~(ASYNC__F_MUST_CANCEL | ASYNC__F_AWAITING)) | ASYNC__F_RUNNING);
    loop->current = t;
    if (ASYNC__UNLIKELY(loop->trace != NULL)) loop->trace(loop, ASYNC_TRACE_STEP_BEGIN, t, ASYNC_DONE, loop->trace_ud);
    s = t->fn(&t->fut.c, t->frame);
    loop->current = NULL;
    t->fut.c.flags &= (uint8_t)~ASYNC__F_RUNNING;
    if (ASYNC__UNLIKELY(loop->trace != NULL)) loop->trace(loop, ASYNC_TRACE_STEP_END, t, s, loop->trace_ud);
    if (s == ASYNC_AWAITING) {
        w = (async_future *)t->fut.c.value.p;
        if (ASYNC__UNLIKELY(w == &t->fut)) { /* awaiting itself: raise at the await */
            ASYNC_MISUSE("a task awaits itself");
            t->fut.c.err = ASYNC_EMISUSE;
            t->fut.c.flags |= ASYNC__F_AWAITING; /* so the resume reads the same slot */
            async__ready_push(loop, h);
            return;
        }
        t->fut.c.flags |= ASYNC__F_AWAITING;
        async__waiter_add(w, h);
        if (t->fut.c.flags & ASYNC__F_MUST_CANCEL) { /* cancelled itself during the step */
            if (async_future_cancel(w)) t->fut.c.flags &= (uint8_t)~ASYNC__F_MUST_CANCEL;
        }
    } else if (s == ASYNC_YIELDED)
        async__ready_push(loop, h);
    else
        async__task_finish(t, s);
}

/* Internal, for ASYNC_AWAIT. Returns 1 if the caller must suspend. */
ASYNC_API int async__await_begin(async_ctx *ctx, async_future *f) {
    ctx->value.p = f;
    if (async__future_check(f)) { /* reported once: await_end raises it */
        ctx->err = ASYNC_EMISUSE;
        return 0;
    }
    return f->c.state == ASYNC__PENDING;
}

ASYNC_API int async__await_end(async_ctx *ctx) {
    async_future *f = (async_future *)ctx->value.p;
    if (ctx->err) return 1; /* thrown in (cancellation) while parked */
    if (async__future_check(f)) {
        ctx->err = ASYNC_EMISUSE;
        return 1;
    }
    if (ASYNC__UNLIKELY(f->c.state == ASYNC__PENDING)) {
        ASYNC_MISUSE("coroutine resumed while its awaited future is still pending");
        ctx->err = ASYNC_EINVALSTATE;
        return 1;
    }
    if (f->c.state == ASYNC__CANCELLED) {
        ctx->err = ASYNC_ECANCELLED;
        return 1;
    }
    f->c.flags |= ASYNC__F_RETRIEVED;
    if (f->c.err) {
        ctx->err = f->c.err;
        return 1;
    }
    ctx->value = f->c.value;
    return 0;
}

/* ======================================================================
 * 8. Timers and the loop
 * ====================================================================== */

/* A timer: a future that the loop completes (result none) at its deadline.
 * Await it, or add done callbacks. Caller memory; cancel it before reusing it. */
struct async_timer {
    async_future fut;      /* completed at the deadline; first member */
    async_timer *child;    /* pairing heap links */
    async_timer *sibling;
    async_timer *prev;     /* parent (if first child) or left sibling */
    async_time deadline;   /* in backend ticks */
    uint32_t seq;          /* insertion order, for FIFO among equal deadlines */
};

ASYNC_API int async__time_before(async_time a, async_time b) { return (ASYNC_STIME_T)(a - b) < 0; }

ASYNC_API int async__timer_less(const async_timer *a, const async_timer *b) {
    ASYNC_STIME_T d = (ASYNC_STIME_T)(a->deadline - b->deadline);
    return d < 0 || (d == 0 && (int32_t)(a->seq - b->seq) < 0);
}

ASYNC_API async_timer *async__heap_meld(async_timer *a, async_timer *b) {
    async_timer *t;
    if (!a) return b;
    if (!b) return a;
    if (async__timer_less(b, a)) {
        t = a;
        a = b;
        b = t;
    }
    b->prev = a;
    b->sibling = a->child;
    if (a->child) a->child->prev = b;
    a->child = b;
    return a;
}

/* Two-pass pairing, iterative: no recursion however many timers. */
ASYNC_API async_timer *async__heap_merge_pairs(async_timer *first) {
    async_timer *pairs = NULL, *a = first, *b, *next, *m, *res = NULL;
    while (a) {
        b = a->sibling;
        if (b) {
            next = b->sibling;
            a->sibling = b->sibling = NULL;
            m = async__heap_meld(a, b);
        } else {
            next = NULL;
            a->sibling = NULL;
            m = a;
        }
        m->prev = NULL;
        m->sibling = pairs;
        pairs = m;
        a = next;
    }
    while (pairs) {
        next = pairs->sibling;
        pairs->sibling = NULL;
        res = async__heap_meld(res, pairs);
        pairs = next;
    }
    if (res) res->prev = NULL;
    return res;
}

ASYNC_API void async__timer_disarm(async_timer *t) {
    async_loop *loop = t->fut.loop;
    if (!(t->fut.c.flags & ASYNC__F_ARMED)) return;
    t->fut.c.flags &= (uint8_t)~ASYNC__F_ARMED;
    if (loop->timers == t) {
        loop->timers = async__heap_merge_pairs(t->child);
    } else {
        if (t->prev->child == t) t->prev->child = t->sibling;
        else t->prev->sibling = t->sibling;
        if (t->sibling) t->sibling->prev = t->prev;
        loop->timers = async__heap_meld(loop->timers, async__heap_merge_pairs(t->child));
        if (loop->timers) loop->timers->prev = NULL;
    }
    t->child = t->sibling = t->prev = NULL;
}

/* async_timer_init(&t, loop); — an idle timer. */
ASYNC_API void async_timer_init(async_timer *t, async_loop *loop) {
    async_future_init(&t->fut, loop);
    t->fut.c.flags = ASYNC__F_TIMER;
    t->fut.c.state = ASYNC__DONE; /* idle: not pending until started */
    t->child = t->sibling = t->prev = NULL;
    t->deadline = 0;
    t->seq = 0;
}

/* async_timer_start_at(&t, when) — (re)arm the timer for an absolute time in
 * loop ticks; its future becomes pending. ASYNC_EBUSY if it is still armed. */
ASYNC_API int async_timer_start_at(async_timer *t, async_time when) {
    async_loop *loop = t->fut.loop;
    if (ASYNC__UNLIKELY(t->fut.c.flags & ASYNC__F_ARMED)) {
        ASYNC_MISUSE("timer started while still armed (cancel it first)");
        return ASYNC_EBUSY;
    }
    if (ASYNC__UNLIKELY(t->fut.waiters != NULL)) {
        ASYNC_MISUSE("timer restarted while something still waits on it");
        return ASYNC_EBUSY;
    }
    t->fut.c.state = ASYNC__PENDING;
    t->fut.c.err = 0;
    t->fut.c.value = async_none();
    t->fut.c.flags = ASYNC__F_TIMER | ASYNC__F_ARMED;
    t->deadline = when;
    t->seq = loop->timer_seq++;
    t->child = t->sibling = t->prev = NULL;
    loop->timers = async__heap_meld(loop->timers, t);
    loop->timers->prev = NULL;
    return 0;
}

/* async_timer_start(&t, delay) — arm the timer `delay` ticks after the time of
 * the current loop iteration (libev's ev_now semantics). */
ASYNC_API int async_timer_start(async_timer *t, async_time delay) {
    return async_timer_start_at(t, t->fut.loop->now + delay);
}

/* async_timer_cancel(&t) — disarm; its future becomes cancelled (1) or was done (0). */
ASYNC_API int async_timer_cancel(async_timer *t) { return async_future_cancel(&t->fut); }

/* Ticks from seconds / milliseconds. */
#if ASYNC_CONFIG_FLOAT
ASYNC_API async_time async_seconds(double s) {
    return s <= 0 ? 0 : (async_time)(s * (double)ASYNC_TICKS_PER_SEC + 0.5);
}
#endif
ASYNC_API async_time async_ms(unsigned long ms) {
    return (async_time)((async_time)ms * (async_time)ASYNC_TICKS_PER_SEC / 1000u);
}

ASYNC_API async_future *async__sleep_start(async_ctx *ctx, async_timer *t, async_time ticks) {
    async_loop *loop;
    if (ASYNC__UNLIKELY(!(ctx->flags & ASYNC__F_TASK))) {
        ASYNC_MISUSE("sleep outside a task (no loop to run the timer)");
        t->fut.c.state = ASYNC__DONE;
        t->fut.c.err = ASYNC_EMISUSE;
        return &t->fut;
    }
    loop = ((async_task *)(void *)ctx)->fut.loop;
    async_timer_init(t, loop);
    async_timer_start(t, ticks);
    return &t->fut;
}

/* ASYNC_SLEEP(&self->timer, seconds); — asyncio.sleep in a task; the timer is
 * storage in the frame (one per concurrent sleep). Cancellable.
 *   ASYNC_SLEEP(&self->t, 0.5); */
#if ASYNC_CONFIG_FLOAT
#define ASYNC_SLEEP(timer, seconds) ASYNC_SLEEP_TICKS(timer, async_seconds(seconds))
#endif
/* ASYNC_SLEEP_TICKS(&self->timer, ticks); — the same, in backend ticks (no floats). */
#define ASYNC_SLEEP_TICKS(timer, ticks) ASYNC_AWAIT(async__sleep_start(async_ctx_, (timer), (ticks)))

ASYNC_API void async__ready_push(async_loop *loop, async_handle *h) {
    h->next = NULL;
    if (loop->ready_tail) loop->ready_tail->next = h;
    else loop->ready_head = h;
    loop->ready_tail = h;
}

/* Append a circular waiter list (given by its tail) to the ready queue, in order. */
ASYNC_API void async__ready_splice(async_loop *loop, async_handle *tail) {
    async_handle *head = tail->next;
    tail->next = NULL;
    if (loop->ready_tail) loop->ready_tail->next = head;
    else loop->ready_head = head;
    loop->ready_tail = tail;
}

/* async_call_soon(loop, &cb, fn, arg); — call fn(NULL, arg) on the next
 * iteration (after what is already queued). */
ASYNC_API void async_call_soon(async_loop *loop, async_callback *cb, async_callback_fn fn, void *arg) {
    cb->h.fn = async__callback_run;
    cb->fut = NULL;
    cb->fn = fn;
    cb->arg = arg;
    async__ready_push(loop, &cb->h);
}

/* Cancel a call_soon that has not run yet (asyncio Handle.cancel). */
ASYNC_API void async_callback_cancel(async_callback *cb) { cb->h.fn = NULL; }

ASYNC_API void async__later_run(async_handle *h) {
    async_callback *cb = (async_callback *)(void *)h;
    if (!async_future_cancelled(cb->fut)) cb->fn(cb->fut, cb->arg);
}

/* async_call_later(loop, &timer, &cb, delay, fn, arg); — call fn(&timer.fut, arg)
 * `delay` ticks from now; async_timer_cancel(&timer) cancels the call. */
ASYNC_API int async_call_later(async_loop *loop, async_timer *t, async_callback *cb, async_time delay,
                               async_callback_fn fn, void *arg) {
    int r;
    async_timer_init(t, loop);
    r = async_timer_start(t, delay);
    if (r) return r;
    async_future_add_done_callback(&t->fut, cb, fn, arg);
    cb->h.fn = async__later_run;
    return 0;
}

/* async_call_at(loop, &timer, &cb, when, fn, arg); — the same at an absolute time. */
ASYNC_API int async_call_at(async_loop *loop, async_timer *t, async_callback *cb, async_time when,
                            async_callback_fn fn, void *arg) {
    int r;
    async_timer_init(t, loop);
    r = async_timer_start_at(t, when);
    if (r) return r;
    async_future_add_done_callback(&t->fut, cb, fn, arg);
    cb->h.fn = async__later_run;
    return 0;
}

/* async_loop_init(&loop, now, wait, data); — a loop on any backend (section 9
 * has two ready-made ones). */
ASYNC_API void async_loop_init(async_loop *loop, async_now_fn now, async_wait_fn wait, void *data) {
    loop->ready_head = loop->ready_tail = NULL;
    loop->timers = NULL;
    loop->timer_seq = 0;
    loop->now_fn = now;
    loop->wait_fn = wait;
    loop->backend = data;
    loop->current = NULL;
    loop->running = 0;
    loop->stopping = 0;
    loop->vnow = 0;
    loop->trace = NULL;
    loop->trace_ud = NULL;
#if ASYNC_CONFIG_TRACE
    loop->trace_coro = NULL;
    loop->trace_future = NULL;
#endif
#if ASYNC_CONFIG_TASK_INFO
    loop->live = NULL;
    loop->nlive = 0;
#endif
    loop->now = now ? now(data) : 0;
}

/* The loop's monotonic clock, in ticks (asyncio loop.time()). */
ASYNC_API async_time async_loop_time(async_loop *loop) { return loop->now_fn(loop->backend); }

/* The task the loop is stepping (asyncio.current_task()), or NULL. */
ASYNC_API async_task *async_current_task(async_loop *loop) { return loop->current; }

/* async_loop_set_trace(loop, fn, ud); — observe every task step (control-flow trace). */
ASYNC_API void async_loop_set_trace(async_loop *loop, async_trace_fn fn, void *ud) {
    loop->trace = fn;
    loop->trace_ud = ud;
}

/* One iteration: wait for the earliest deadline (not at all if something is
 * ready), move expired timers' waiters to the ready queue, then run exactly the
 * handles queued by then. Returns 0 or the backend's error. */
ASYNC_API int async_loop_run_once(async_loop *loop) {
    async_handle *h, *end;
    async_time deadline = loop->now;
    int r, last;
    if (loop->ready_head) deadline = loop->now;
    else if (loop->timers) deadline = loop->timers->deadline;
    r = loop->wait_fn(loop->backend, loop, (loop->ready_head || loop->timers) ? &deadline : NULL);
    if (r) return r;
    loop->now = loop->now_fn(loop->backend);
    if (ASYNC__UNLIKELY(loop->trace != NULL)) loop->trace(loop, ASYNC_TRACE_ITERATION, NULL, ASYNC_DONE, loop->trace_ud);
    while (loop->timers && !async__time_before(loop->now, loop->timers->deadline)) {
        async_timer *t = loop->timers;
        async__timer_disarm(t);
        t->fut.c.state = ASYNC__DONE;
        async__future_wake(&t->fut);
    }
    end = loop->ready_tail;
    if (!end) return 0;
    do {
        h = loop->ready_head;
        loop->ready_head = h->next;
        if (!loop->ready_head) loop->ready_tail = NULL;
        last = h == end;
        h->next = NULL;
        if (h->fn) h->fn(h);
    } while (!last);
    return 0;
}

/* async_loop_stop(loop); — make run_forever return after the current batch. */
ASYNC_API void async_loop_stop(async_loop *loop) { loop->stopping = 1; }

/* async_loop_run_forever(loop) — run until async_loop_stop(); returns 0, or the
 * backend's error (ASYNC_EDEADLOCK: nothing left to wait for). Running a loop
 * inside itself is misuse (ASYNC_EBUSY). */
ASYNC_API int async_loop_run_forever(async_loop *loop) {
    int r = 0;
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("loop is already running (run called from inside the loop)");
        return ASYNC_EBUSY;
    }
    loop->running = 1;
    loop->stopping = 0;
    while (!loop->stopping && !(r = async_loop_run_once(loop))) {
    }
    loop->running = 0;
    loop->stopping = 0;
    return r;
}

/* async_loop_run_until_complete(loop, &fut) — run until fut is done; returns its
 * error (0 on success; result in async_future_result), ASYNC_ESTOPPED, the
 * backend's error (ASYNC_EDEADLOCK), or ASYNC_EBUSY if the loop is running. */
ASYNC_API int async_loop_run_until_complete(async_loop *loop, async_future *f) {
    int r = 0;
    if (async__future_check(f)) return ASYNC_EMISUSE;
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("loop is already running (run called from inside the loop)");
        return ASYNC_EBUSY;
    }
    loop->running = 1;
    loop->stopping = 0;
    while (f->c.state == ASYNC__PENDING && !loop->stopping && !(r = async_loop_run_once(loop))) {
    }
    loop->running = 0;
    loop->stopping = 0;
    if (r) return r;
    if (f->c.state == ASYNC__PENDING) return ASYNC_ESTOPPED;
    return async_future_error(f);
}

/* async_loop_cancel_all(loop) — cancel every live task and run the loop until
 * they have finished (what asyncio.run does on the way out). Needs
 * ASYNC_CONFIG_TASK_INFO. Returns how many were still alive. */
ASYNC_API unsigned long async_loop_cancel_all(async_loop *loop) {
#if ASYNC_CONFIG_TASK_INFO
    unsigned long n = loop->nlive, rounds = 0;
    async_task *t;
    while (loop->nlive && rounds++ < 1000) {
        for (t = loop->live; t; t = t->next_live) async_task_cancel(t);
        loop->running = 1;
        if (async_loop_run_once(loop)) {
            loop->running = 0;
            break;
        }
        loop->running = 0;
    }
    return n;
#else
    (void)loop;
    return 0;
#endif
}

/* async_run(loop, &task, main, &frame) — asyncio.run: run main as a task until
 * it completes, then cancel what is left. Returns main's error (0 on success);
 * its result is async_future_result(&task.fut).
 *   async_loop loop; async_loop_init_virtual(&loop);
 *   int err = async_run(&loop, &t, main_co, &mf); */
ASYNC_API int async_run(async_loop *loop, async_task *t, async_fn fn, void *frame) {
    int r;
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("async_run inside a running loop");
        return ASYNC_EBUSY;
    }
    r = async_task_create(loop, t, fn, frame, "main");
    if (r) return r;
    r = async_loop_run_until_complete(loop, &t->fut);
    async_loop_cancel_all(loop);
    return r;
}

/* The task dump: one line per live task with its state, where it is suspended
 * and what it waits on, written through w(ud, text) in pieces. */
typedef void (*async_write_fn)(void *ud, const char *text);

ASYNC_API void async__write_hex(async_write_fn w, void *ud, uintptr_t x) {
    char buf[2 + 2 * sizeof(uintptr_t) + 1];
    int i = (int)sizeof(buf) - 1;
    buf[i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[x & 15u];
        x >>= 4;
    } while (x && i > 2);
    buf[--i] = 'x';
    buf[--i] = '0';
    w(ud, buf + i);
}

/* async_loop_dump(loop, w, ud); — e.g. with w = fputs-like writer:
 *   task worker: waiting at demo.c:42 on future 0x7ffd... */
ASYNC_API void async_loop_dump(async_loop *loop, async_write_fn w, void *ud) {
#if ASYNC_CONFIG_TASK_INFO
    async_task *t;
    for (t = loop->live; t; t = t->next_live) {
        async_future *on = async_task_waiting_on(t);
        w(ud, "task ");
        w(ud, t->name);
        if (t == loop->current) w(ud, ": running");
        else if (on) w(ud, ": waiting at ");
        else w(ud, ": ready at ");
        if (t != loop->current) w(ud, t->where);
        if (on) {
            if (on->c.flags & ASYNC__F_TASK) {
                w(ud, " on task ");
                w(ud, ((async_task *)(void *)on)->name);
            } else if (on->c.flags & ASYNC__F_TIMER) {
                w(ud, " on a timer");
            } else {
                w(ud, " on future ");
                async__write_hex(w, ud, (uintptr_t)(void *)on);
            }
        }
        if (t->fut.c.flags & ASYNC__F_MUST_CANCEL) w(ud, " (cancelling)");
        w(ud, "\n");
    }
#else
    (void)loop;
    w(ud, "task dump needs ASYNC_CONFIG_TASK_INFO\n");
#endif
}

/* ======================================================================
 * 9. Backends
 * ====================================================================== */

/* Virtual clock: time jumps straight to the next deadline, so a program that
 * sleeps 12 simulated hours runs in microseconds, deterministically. When
 * nothing is ready and no timer is armed the loop stops with ASYNC_EDEADLOCK
 * (on a real clock it would hang). async_loop_time() is the simulated time.
 *   async_loop loop; async_loop_init_virtual(&loop); */
ASYNC_API async_time async__vclock_now(void *data) { return ((async_loop *)data)->vnow; }
ASYNC_API int async__vclock_wait(void *data, async_loop *loop, const async_time *deadline) {
    (void)loop;
    if (!deadline) return ASYNC_EDEADLOCK;
    if (async__time_before(((async_loop *)data)->vnow, *deadline)) ((async_loop *)data)->vnow = *deadline;
    return 0;
}
ASYNC_API void async_loop_init_virtual(async_loop *loop) {
    async_loop_init(loop, async__vclock_now, async__vclock_wait, loop);
}

/* Bare metal: you supply a tick counter and an idle hook (e.g. `wfi`) that
 * returns when an interrupt may have made something ready or the deadline came.
 *   static const async_bare board = { systick_now, cpu_idle };
 *   async_loop_init_bare(&loop, &board); */
typedef struct async_bare {
    async_time (*ticks)(void);                                  /* monotonic tick count */
    void (*idle)(const async_time *deadline);                   /* sleep until an interrupt (NULL: no deadline) */
} async_bare;
ASYNC_API async_time async__bare_now(void *data) { return ((const async_bare *)data)->ticks(); }
ASYNC_API int async__bare_wait(void *data, async_loop *loop, const async_time *deadline) {
    const async_bare *b = (const async_bare *)data;
    if (loop->ready_head) return 0;
    if (deadline && !async__time_before(b->ticks(), *deadline)) return 0;
    b->idle(deadline);
    return 0;
}
ASYNC_API void async_loop_init_bare(async_loop *loop, const async_bare *bare) {
    async_loop_init(loop, async__bare_now, async__bare_wait, (void *)(uintptr_t)bare);
}

/* ======================================================================
 * 10. Interrupts: waking the loop from an ISR or a signal handler
 * ====================================================================== */

/* Nothing in sections 4-9 may be called from an interrupt handler: the loop's
 * queues are not protected. An ISR (or a POSIX signal handler) calls only
 * async_isr_raise(), which bumps two volatile bytes; the loop drains them in
 * every iteration and completes the signal's future there, so the awaiting
 * task wakes in loop context.
 *   The hub wraps the loop's backend (any backend: bare, virtual, your own):
 * its wait drains the raised signals before and after waiting, and returns at
 * once if that made something ready. Each signal must have one producer (one
 * ISR, or ISRs that cannot preempt each other). Counts are modulo 256: at most
 * 255 raises between two loop iterations are counted exactly.
 *   The race between "nothing pending" and going to sleep is the idle hook's
 * to close: check async_isr_pending() with interrupts masked and sleep in the
 * same masked window, which still wakes on a pending interrupt:
 *   Cortex-M:  cpsid i; if (!async_isr_pending(&hub)) wfi; cpsie i
 *   AVR:       cli(); if (!pending) { sleep_enable(); sei(); sleep_cpu(); } sei();
 *   POSIX:     sigprocmask(SIG_BLOCK); if (!pending) sigsuspend(&unblocked); ...
 *   static async_isr_hub hub;  static async_isr_signal button;
 *   async_isr_hub_init(&hub, &loop);  async_isr_signal_init(&button, &hub);
 *   ISR(INT0_vect) { async_isr_raise(&button); }
 *   ... in a task:  ASYNC_AWAIT(async_isr_next(&button));  presses = ASYNC_VALUE.i; */
typedef struct async_isr_hub async_isr_hub;
typedef struct async_isr_signal async_isr_signal;

struct async_isr_signal {
    async_future fut;         /* done, with the number of raises, once the loop saw them */
    volatile uint8_t raised;  /* raises so far (mod 256); written only by the ISR */
    uint8_t seen;             /* raises already delivered; written only by the loop */
    async_isr_hub *hub;       /* the hub it belongs to */
    async_isr_signal *next;   /* the hub's list of signals */
};

struct async_isr_hub {
    volatile uint8_t flag;      /* some signal was raised since the last drain */
    async_isr_signal *signals;  /* every registered signal */
    async_loop *loop;           /* the loop whose backend it wraps */
    async_now_fn now_fn;        /* the wrapped backend */
    async_wait_fn wait_fn;
    void *backend;
};

/* async_isr_raise(&sig); — the one ISR-safe call: count a raise and mark the
 * hub. Never touches the loop, so any interrupt may call it at any time. */
ASYNC_API void async_isr_raise(async_isr_signal *s) {
    s->raised = (uint8_t)(s->raised + 1u);
    s->hub->flag = 1;
}

/* async_isr_pending(&hub) — nonzero if a raise has not been drained yet. For
 * idle hooks: read it with interrupts masked, then sleep (see above). */
ASYNC_API int async_isr_pending(const async_isr_hub *hub) { return hub->flag != 0; }

/* Deliver undelivered raises to the signal's armed (pending) future, when
 * something waits on it (a task or a done callback) or when forced by
 * async_isr_next; otherwise they keep counting for the next consumer. */
ASYNC_API void async__isr_deliver(async_isr_signal *s, int force) {
    uint8_t n = s->raised, count = (uint8_t)(n - s->seen);
    if (!count || s->fut.c.state != ASYNC__PENDING || !(force || s->fut.waiters)) return;
    s->seen = n;
    async_future_set_result(&s->fut, async_int(count));
}

/* Clear the hub's flag first, then scan: a raise that lands during the scan
 * sets the flag again, so it is caught now or by the next drain, never lost. */
ASYNC_API void async__isr_drain(async_isr_hub *hub) {
    async_isr_signal *s;
    if (!hub->flag) return;
    hub->flag = 0;
    for (s = hub->signals; s; s = s->next) async__isr_deliver(s, 0);
}

ASYNC_API async_time async__isr_now(void *data) {
    async_isr_hub *hub = (async_isr_hub *)data;
    return hub->now_fn(hub->backend);
}
ASYNC_API int async__isr_wait(void *data, async_loop *loop, const async_time *deadline) {
    async_isr_hub *hub = (async_isr_hub *)data;
    int r;
    async__isr_drain(hub);
    if (loop->ready_head) return 0;
    r = hub->wait_fn(hub->backend, loop, deadline);
    async__isr_drain(hub);
    return r;
}

/* async_isr_hub_init(&hub, &loop); — put the hub in front of the loop's
 * backend (call after the loop's init, before running it). */
ASYNC_API void async_isr_hub_init(async_isr_hub *hub, async_loop *loop) {
    hub->flag = 0;
    hub->signals = NULL;
    hub->loop = loop;
    hub->now_fn = loop->now_fn;
    hub->wait_fn = loop->wait_fn;
    hub->backend = loop->backend;
    loop->now_fn = async__isr_now;
    loop->wait_fn = async__isr_wait;
    loop->backend = hub;
}

/* async_isr_signal_init(&sig, &hub); — register a signal (before enabling the
 * interrupt that raises it). Its future is armed: the first raise completes it
 * once something waits on it (async_isr_next, or a done callback on sig.fut). */
ASYNC_API void async_isr_signal_init(async_isr_signal *s, async_isr_hub *hub) {
    async_future_init(&s->fut, hub->loop);
    s->raised = 0;
    s->seen = 0;
    s->hub = hub;
    s->next = hub->signals;
    hub->signals = s;
}

/* async_isr_next(&sig) — the future to await for the raise(s) not consumed
 * yet: done at once if some came in since the last one (none is lost, even
 * when nobody was waiting), else armed for the next. Its result is how many
 * raises it covers. Hazard: one consuming task per signal (each call after
 * the future is done re-arms it).
 *   ASYNC_AWAIT(async_isr_next(&self->button));
 *   presses += ASYNC_VALUE.i; */
ASYNC_API async_future *async_isr_next(async_isr_signal *s) {
    if (s->fut.c.state != ASYNC__PENDING) async_future_init(&s->fut, s->hub->loop);
    async__isr_deliver(s, 1);
    return &s->fut;
}

/* ======================================================================
 * 11. Short names (define ASYNC_NO_SHORT_NAMES to keep the namespace clean)
 * ====================================================================== */
#ifndef ASYNC_NO_SHORT_NAMES
#define AWAIT(fut) ASYNC_AWAIT(fut)
#define AWAIT_CO(fn, frame) ASYNC_AWAIT_CO(fn, frame)
#define YIELD(v) ASYNC_YIELD(v)
#endif

#endif /* ASYNC_H */
