/* async.h — stackless coroutines for C with Python asyncio's model.
 * Version 0.1.0. MIT licence (see LICENSE). Header-only, freestanding C99, no malloc.
 *
 * HOW TO USE
 *   #include "async.h"      in every file; nothing to define, nothing to link
 *   (or one copy of the code for a multi-file firmware: ASYNC_CONFIG_INLINE).
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
 *   1. Configuration            ASYNC_CONFIG_* knobs (ASYNC_CONFIG_INLINE: one copy), ASYNC_MISUSE hook
 *   2. Platform selection       the only #if block that depends on the compiler;
 *                               ASYNC_BARRIER, ASYNC_CRITICAL_ENTER/EXIT per CPU
 *   3. Values, statuses, errors async_value, async_status, the ASYNC_E* table
 *   4. Resume points            the continuation mechanism: switch on __LINE__ or label addresses
 *   5. Frames and coroutines    ASYNC_FN, ASYNC_BEGIN/END, YIELD, AWAIT, RETURN, FINALLY,
 *                               try blocks (ASYNC_TRY/EXCEPT/TRY_FINALLY/END_TRY)
 *   6. The send protocol        async_coro, async_send, async_throw
 *   7. Futures                  async_future, callbacks, async_op
 *   8. Tasks                    async_task, cancellation, the task dump
 *   9. Timers and the loop      async_timer, async_loop, sleep, call_soon/later, run,
 *                               latency and the fairness budget, exception handler, close
 *   10. Backends                virtual clock, bare-metal tick + idle
 *   11. Interrupts              async_isr_raise from an ISR, drained by the loop;
 *                               async_isr_queue (ISR-safe SPSC items)
 *   12. Combinators, synchronization and queues
 *                               gather, wait, wait_for, as_completed, gather and shield
 *                               futures, timeout scopes and blocks, shield, TaskGroup (and
 *                               its errors); Lock, Event, Condition, Semaphore,
 *                               BoundedSemaphore, Barrier; Queue, LifoQueue, PriorityQueue
 *   13. Short names             AWAIT, YIELD, ... unless ASYNC_NO_SHORT_NAMES
 *   14. Implementation          the function bodies (every file, or only the
 *                               ASYNC_IMPLEMENTATION one with ASYNC_CONFIG_INLINE=0)
 *
 * ERROR HANDLING, IN ONE PLACE
 *   Runtime conditions are error codes: 0 is success, the library's own codes are
 *   the negative ASYNC_E* constants, positive values are yours (errno values on
 *   hosts). Inside a coroutine an error propagates through AWAIT like an exception:
 *   ASYNC_TRY / ASYNC_EXCEPT(code) / ASYNC_TRY_FINALLY / ASYNC_END_TRY catch it
 *   where it is awaited (Python's try statement; the frame starts with
 *   ASYNC_TRY_FRAME(depth)), the function-level ASYNC_FINALLY section sees what
 *   is left, and an error nobody handles ends the coroutine with it.
 *   ASYNC_TIMEOUT(&to, d) { ... } ASYNC_END_TIMEOUT(&to) is asyncio.timeout;
 *   async_task_cancel_msg / ASYNC_CANCEL_MESSAGE / async_task_cancelling /
 *   async_task_uncancel are 3.11's cancel(msg), cancelling(), uncancel().
 *   What stays C-shaped: codes instead of exception objects (no traceback, no
 *   chaining; a cancel message is a const char * not copied); the nesting depth
 *   of try blocks is declared per frame; a try block is left by its end, a
 *   return or an error, never by break/continue/goto; some results are counts
 *   where asyncio returns None or a bool (notify() returns how many it woke).
 *   Programming errors (misuse) also call ASYNC_MISUSE(msg) with a message
 *   naming the misuse, then return or raise an error code (ASYNC_EMISUSE,
 *   ASYNC_EBUSY), so behaviour is never undefined. (tutorial/17-errors-*.md)
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

/* How the functions are emitted.
 * 1 (default): every function is static inline in each file that includes
 *   the header: nothing to define, nothing to link; right for one-file programs.
 * 0: one copy of the code. The header only declares the functions; exactly one
 *   file of the program defines ASYNC_IMPLEMENTATION before including it (which
 *   alone selects this mode for that file) and gets the bodies. The few helpers
 *   every coroutine calls stay inline. Set it for the whole project (-D or a
 *   config header): a program in this mode fails to link until one file emits
 *   the bodies, and a file built with other ASYNC_CONFIG_* values than that one
 *   fails to link too (async_abi_<options>). Its ASYNC_MISUSE is the one the
 *   bodies report to.
 *     // async_impl.c
 *     #define ASYNC_IMPLEMENTATION
 *     #include "async.h"            // every other file: -DASYNC_CONFIG_INLINE=0 */
#if !defined(ASYNC_CONFIG_INLINE) && defined(ASYNC_IMPLEMENTATION)
#define ASYNC_CONFIG_INLINE 0
#endif
#ifndef ASYNC_CONFIG_INLINE
#define ASYNC_CONFIG_INLINE 1
#endif

/* Freestanding (a microcontroller): ASYNC_FREESTANDING, or a compiler that
 * says it is not hosted (-ffreestanding). It changes three defaults below
 * (32-bit ticks, 1 kHz, no double) and the misuse hook (a trap). */
#if defined(ASYNC_FREESTANDING) || !(defined(__STDC_HOSTED__) && __STDC_HOSTED__)
#define ASYNC__FREESTANDING 1
#else
#define ASYNC__FREESTANDING 0
#endif

/* Resume points: 0 = switch on __LINE__ (portable; no `switch` of your own may
 * contain a resume point), 1 = GCC/Clang label addresses (your own `switch`
 * statements may then contain AWAIT/YIELD). */
#ifndef ASYNC_CONFIG_LABELS
#define ASYNC_CONFIG_LABELS 0
#endif

/* 1: async_value has a double member and sleep takes seconds as a double.
 * 0: integers and pointers only (saves soft-float code on 8-bit MCUs).
 * Default: 1 on hosts, 0 freestanding (sleep in ticks: ASYNC_SLEEP_TICKS). */
#ifndef ASYNC_CONFIG_FLOAT
#define ASYNC_CONFIG_FLOAT (!ASYNC__FREESTANDING)
#endif

/* 1: tasks carry a name, the source position where they are suspended and a link
 * in the loop's list of live tasks (async_loop_dump). Costs 4 pointers a task
 * (the position's is in async_ctx, so futures and coroutine objects pay it too).
 * The position is a pointer to a constant record per resume point (file name
 * and 16-bit line), in flash on every MCU (AVR: the __flash space, file name
 * included), formatted on demand by async_task_where. */
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

/* The loop's fairness budget: after each full iteration (backend wait or
 * poll, clock read, timers due, one batch), run_forever / run_until_complete /
 * async_run run the tasks that futures woke in further batches back to back,
 * with no backend call, no clock read and no timer pass, until nothing is
 * ready, a timer is due, a task yields (sleep(0) still polls) or this many
 * handles (task steps and callbacks) have run in them (section 9,
 * "Latency", has the full list). It bounds what a CPU-bound set
 * of tasks waking each other does to I/O, thread-safe calls, timers coming
 * due on a real clock and the time async_timer_start counts from. 0: every
 * batch is a full iteration (asyncio's loop). Per loop: async_loop_set_budget.
 * At most 32767.
 *   -DASYNC_CONFIG_LOOP_BUDGET=0      // poll before every batch */
#ifndef ASYNC_CONFIG_LOOP_BUDGET
#if ASYNC__FREESTANDING
#define ASYNC_CONFIG_LOOP_BUDGET 16
#else
#define ASYNC_CONFIG_LOOP_BUDGET 64
#endif
#endif
#if ASYNC_CONFIG_LOOP_BUDGET < 0 || ASYNC_CONFIG_LOOP_BUDGET > 32767
#error "ASYNC_CONFIG_LOOP_BUDGET must be 0..32767 (handles run between two full loop iterations)"
#endif

/* 1: a resume goes straight to the innermost suspended coroutine of a chain
 * of ASYNC_AWAIT_CO (the leaf), so that resuming costs the same at any
 * nesting depth; the frames above it run again only when the leaf finishes
 * (once per child, to take its result). It costs two pointers in every task
 * (the leaf and its function) and four in every async_coro (also the
 * function and frame a send calls, so that a send tests nothing to choose),
 * no byte in a frame, and a little code per ASYNC_AWAIT_CO. 0: every resume re-enters each frame of the
 * chain from its root, a call per level. Behaviour is the same either way.
 * Default: 1 on hosts; 0 freestanding, where chains are shallow and a task's
 * bytes count more than a few instructions per level. Use the same value in
 * every file that shares tasks or coroutine objects (it changes their size). */
#ifndef ASYNC_CONFIG_DIRECT_RESUME
#define ASYNC_CONFIG_DIRECT_RESUME (!ASYNC__FREESTANDING)
#endif

/* Clock type: unsigned ticks, compared modulo wrap-around, and its signed twin.
 * Default: 64 bits on hosts; 32 bits freestanding, where a 64-bit compare
 * costs code on every timer operation (at 1 kHz it wraps after 49 days,
 * which the modular compare handles). */
#ifndef ASYNC_TIME_T
#if ASYNC__FREESTANDING
#define ASYNC_TIME_T uint32_t
#define ASYNC_STIME_T int32_t
#else
#define ASYNC_TIME_T uint64_t
#define ASYNC_STIME_T int64_t
#endif
#endif
#ifndef ASYNC_STIME_T
#error "ASYNC_TIME_T needs ASYNC_STIME_T, its signed twin (e.g. uint32_t and int32_t)"
#endif
/* Ticks per second of the clock the backend reports: ns on hosts, ms
 * freestanding (the ports' tick, ports/README.md). */
#ifndef ASYNC_TICKS_PER_SEC
#if ASYNC__FREESTANDING
#define ASYNC_TICKS_PER_SEC 1000
#else
#define ASYNC_TICKS_PER_SEC 1000000000
#endif
#endif

/* Timers: levels of timing wheel in front of the timer heap (section 9).
 * 0: the pairing heap alone: insert O(1), cancel and expiry O(log n), where n
 *   is every armed timer. Nothing added to async_loop.
 * 1..7: a hierarchical wheel of 64 slots a level holds the timers beyond the
 *   earliest slot, unordered; the heap holds only the earliest slot's timers,
 *   which give the order. Insert and cancel O(1); a timer moves down a level
 *   at most once per level, and an expiry costs O(log k) for the k timers of
 *   one slot. Level l's slots are 2^(ASYNC_CONFIG_TIMER_SHIFT + 6 l) ticks wide;
 *   with 4 levels of ns ticks the wheel spans 4.9 hours, and a longer timer is
 *   looked at again once per span. async_loop grows by 64 pointers + 8 bytes a
 *   level and two words (4 levels on x86-64: 2,096 bytes); async_timer grows by
 *   a byte, which 64-bit hosts have in its padding (32-bit: up to 4). A level
 *   that the clock is too narrow for (a 16-bit clock has room for 2) is unused.
 * Default: 4 on hosts, 0 freestanding (an AVR has 2 KB of RAM; 2 levels on a
 * Cortex-M cost 536 bytes). Every file that shares a loop must agree. */
#ifndef ASYNC_CONFIG_TIMER_WHEEL
#if ASYNC__FREESTANDING
#define ASYNC_CONFIG_TIMER_WHEEL 0
#else
#define ASYNC_CONFIG_TIMER_WHEEL 4
#endif
#endif
/* log2 of the wheel's level-0 slot width in ticks: about a millisecond, so
 * that the heap holds at most a millisecond's worth of deadlines. */
#ifndef ASYNC_CONFIG_TIMER_SHIFT
#if ASYNC_TICKS_PER_SEC >= 1000000000
#define ASYNC_CONFIG_TIMER_SHIFT 20
#elif ASYNC_TICKS_PER_SEC >= 1000000
#define ASYNC_CONFIG_TIMER_SHIFT 10
#elif ASYNC_TICKS_PER_SEC >= 32000
#define ASYNC_CONFIG_TIMER_SHIFT 5
#else
#define ASYNC_CONFIG_TIMER_SHIFT 0
#endif
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
/* Hide a value from the optimiser (the label-address resume points use it to
 * keep GCC 12's -Wdangling-pointer off a saved label). */
#define ASYNC__OPAQUE(p) __asm__("" : "+r"(p))
/* A rare path kept out of line, so the hot path around it stays as it was. */
#define ASYNC__COLD __attribute__((cold, noinline))
/* Out of line, not rare: the callers' hot path keeps its registers. */
#define ASYNC__NOINLINE __attribute__((noinline))
/* A declaration that shadows another on purpose (-Wshadow stays quiet). */
#define ASYNC__SHADOWING(decl)                                                  \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"") \
    decl _Pragma("GCC diagnostic pop")
/* The index of the lowest set bit of a nonzero uint64_t (the timer wheel). */
#define ASYNC__CTZ64(x) ((unsigned)__builtin_ctzll(x))
#else
#define ASYNC__UNUSED
#define ASYNC__LIKELY(x) (x)
#define ASYNC__UNLIKELY(x) (x)
#define ASYNC__TRAP() for (;;) {}
#define ASYNC__OPAQUE(p) ((void)0)
#define ASYNC__COLD
#define ASYNC__NOINLINE
#define ASYNC__SHADOWING(decl) decl
#define ASYNC__CTZ64(x) async__ctz64(x)
#endif
#if ASYNC_CONFIG_LABELS && !(defined(__GNUC__) || defined(__clang__))
#error "ASYNC_CONFIG_LABELS needs GCC or Clang (label addresses)"
#endif
/* ASYNC_API: the linkage of the library's functions (ASYNC_CONFIG_INLINE);
 * ASYNC__INLINE: the small helpers that are inline in both modes. */
#define ASYNC__INLINE static inline ASYNC__UNUSED
#if ASYNC_CONFIG_INLINE
#define ASYNC_API ASYNC__INLINE
#define ASYNC__COLD_API static ASYNC__UNUSED ASYNC__COLD
#define ASYNC__NOINLINE_API static ASYNC__UNUSED ASYNC__NOINLINE
#define ASYNC__BODIES 1
#else
#define ASYNC_API extern
#define ASYNC__COLD_API extern ASYNC__COLD
#define ASYNC__NOINLINE_API extern ASYNC__NOINLINE
#ifdef ASYNC_IMPLEMENTATION
#define ASYNC__BODIES 1
#else
#define ASYNC__BODIES 0
#endif
#endif

#if !ASYNC__FREESTANDING
#include <stdio.h>
#include <stdlib.h>
ASYNC__INLINE void async__misuse_default(const char *msg) {
    fprintf(stderr, "async.h: misuse: %s\n", msg);
    abort();
}
/* Hosts: the loop calls the virtual clock directly (inlined) when it runs on
 * it; boards keep that code out of flash (+158 B on AVR). The same for the
 * task step: hosts have a second copy for a loop with a trace hook, so that
 * the plain one tests no hook; boards keep one that tests it. */
#define ASYNC__VCLOCK_INLINE 1
#define ASYNC__STEP_TRACED_COPY 1
#else
ASYNC__INLINE void async__misuse_default(const char *msg) { (void)msg; ASYNC__TRAP(); }
#define ASYNC__VCLOCK_INLINE 0
#define ASYNC__STEP_TRACED_COPY 0
#endif

/* ASYNC_BARRIER(): a compiler barrier. Nothing is cached in registers across
 * it and no memory access moves past it; it emits no instruction. Enough
 * between an ISR and the code it interrupts on one core (the library's model:
 * single core, the ISR and the loop on the same CPU); not a fence between
 * cores, which need their own. Without GCC/Clang it is empty, and only the
 * volatile accesses keep their order.
 *   q->buf[i] = c; ASYNC_BARRIER(); q->head = i + 1;  // item, then its index */
#ifndef ASYNC_BARRIER
#if defined(__GNUC__) || defined(__clang__)
#define ASYNC_BARRIER() __asm__ __volatile__("" ::: "memory")
#else
#define ASYNC_BARRIER() ((void)0)
#endif
#endif

/* Critical sections: ASYNC_CRITICAL_ENTER(st) masks interrupts and saves in st
 * (an async_critical_state) whether they were masked; ASYNC_CRITICAL_EXIT(st)
 * restores exactly that, so sections nest and one entered from an ISR or with
 * interrupts already off leaves them off. Both are statements and compiler
 * barriers.
 * Defaults, by CPU (GCC/Clang):
 *   ARMv6-M/v7-M/v8-M  PRIMASK (mrs; cpsid i ... msr primask)
 *   ARMv7-M+ with ASYNC_CONFIG_CRITICAL_BASEPRI=n: BASEPRI raised to n
 *                      (msr basepri_max): interrupts of priority value < n
 *                      stay live (they must not call the library at all)
 *   AVR                SREG (in; cli ... out), the I bit restored
 *   RISC-V             mstatus.MIE (csrrci ... csrs), machine mode only
 *   anything else      no-op plus a compiler barrier: hosts, where the
 *                      "interrupt" is a signal handler, which the idle path
 *                      masks with sigprocmask itself
 * Override both, and ASYNC_CRITICAL_STATE (the saved state's type), before
 * including async.h for another CPU, an RTOS, or a multi-core part (a spin
 * lock as well). Hazards: keep the section short (it delays every interrupt);
 * exit in the same function that entered, on every path; the library is not
 * SMP-safe whatever these do.
 *   async_critical_state st;
 *   ASYNC_CRITICAL_ENTER(st);  t = ticks32;  ASYNC_CRITICAL_EXIT(st); */
#if !defined(ASYNC_CRITICAL_ENTER) && (defined(__GNUC__) || defined(__clang__))
#if defined(__ARM_ARCH) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#if defined(ASYNC_CONFIG_CRITICAL_BASEPRI) && __ARM_ARCH >= 7
#define ASYNC_CRITICAL_STATE uint32_t
#define ASYNC_CRITICAL_ENTER(st)                                                              \
    __asm__ __volatile__("mrs %0, basepri\n\tmsr basepri_max, %1\n\tisb"                     \
                         : "=&r"(st) : "r"((uint32_t)(ASYNC_CONFIG_CRITICAL_BASEPRI)) : "memory")
#define ASYNC_CRITICAL_EXIT(st) __asm__ __volatile__("msr basepri, %0" ::"r"(st) : "memory")
#else
#define ASYNC_CRITICAL_STATE uint32_t
#define ASYNC_CRITICAL_ENTER(st) __asm__ __volatile__("mrs %0, primask\n\tcpsid i" : "=r"(st)::"memory")
#define ASYNC_CRITICAL_EXIT(st) __asm__ __volatile__("msr primask, %0" ::"r"(st) : "memory")
#endif
#elif defined(__AVR__)
#define ASYNC_CRITICAL_STATE uint8_t
#define ASYNC_CRITICAL_ENTER(st) __asm__ __volatile__("in %0, __SREG__\n\tcli" : "=r"(st)::"memory")
#define ASYNC_CRITICAL_EXIT(st) __asm__ __volatile__("out __SREG__, %0" ::"r"(st) : "memory")
#elif defined(__riscv)
#if defined(__riscv_zicsr)
#define ASYNC__RV_CSR(insns) insns
#else /* -march without _zicsr: name it for the assembler */
#define ASYNC__RV_CSR(insns) ".option push\n\t.option arch, +zicsr\n\t" insns "\n\t.option pop"
#endif
#define ASYNC_CRITICAL_STATE unsigned long
#define ASYNC_CRITICAL_ENTER(st) __asm__ __volatile__(ASYNC__RV_CSR("csrrci %0, mstatus, 8") : "=r"(st)::"memory")
#define ASYNC_CRITICAL_EXIT(st) __asm__ __volatile__(ASYNC__RV_CSR("csrs mstatus, %0") ::"r"((st) & 8ul) : "memory")
#endif
#endif
#ifndef ASYNC_CRITICAL_ENTER
#define ASYNC_CRITICAL_STATE unsigned char
#define ASYNC_CRITICAL_ENTER(st) \
    do {                         \
        (st) = 0;                \
        ASYNC_BARRIER();         \
    } while (0)
#define ASYNC_CRITICAL_EXIT(st) \
    do {                        \
        (void)(st);             \
        ASYNC_BARRIER();        \
    } while (0)
#endif
#ifndef ASYNC_CRITICAL_STATE
#error "an overridden ASYNC_CRITICAL_ENTER needs ASYNC_CRITICAL_STATE, the type of its saved state"
#endif
typedef ASYNC_CRITICAL_STATE async_critical_state;

#define ASYNC__CAT2(a, b) a##b
#define ASYNC__CAT(a, b) ASYNC__CAT2(a, b)
#define ASYNC__STR2(x) #x
#define ASYNC__STR(x) ASYNC__STR2(x)

/* The options that change the layout of the structs, spelled in a symbol
 * name: a file that disagrees with the code it links to fails to link, and
 * the undefined symbol names the option (also used by src/async_rt.h). */
#if ASYNC_CONFIG_TASK_INFO
#define ASYNC__ABI_I TASK_INFO_1
#else
#define ASYNC__ABI_I TASK_INFO_0
#endif
#if ASYNC_CONFIG_FLOAT
#define ASYNC__ABI_F FLOAT_1
#else
#define ASYNC__ABI_F FLOAT_0
#endif
#if ASYNC_CONFIG_LABELS
#define ASYNC__ABI_L LABELS_1
#else
#define ASYNC__ABI_L LABELS_0
#endif
#if ASYNC_CONFIG_TRACE
#define ASYNC__ABI_T TRACE_1
#else
#define ASYNC__ABI_T TRACE_0
#endif
#if ASYNC_CONFIG_DIRECT_RESUME
#define ASYNC__ABI_D DIRECT_RESUME_1
#else
#define ASYNC__ABI_D DIRECT_RESUME_0
#endif
#if ASYNC_CONFIG_TIMER_WHEEL == 0
#define ASYNC__ABI_W TIMER_WHEEL_0
#elif ASYNC_CONFIG_TIMER_WHEEL == 1
#define ASYNC__ABI_W TIMER_WHEEL_1
#elif ASYNC_CONFIG_TIMER_WHEEL == 2
#define ASYNC__ABI_W TIMER_WHEEL_2
#elif ASYNC_CONFIG_TIMER_WHEEL == 3
#define ASYNC__ABI_W TIMER_WHEEL_3
#elif ASYNC_CONFIG_TIMER_WHEEL == 4
#define ASYNC__ABI_W TIMER_WHEEL_4
#elif ASYNC_CONFIG_TIMER_WHEEL == 5
#define ASYNC__ABI_W TIMER_WHEEL_5
#elif ASYNC_CONFIG_TIMER_WHEEL == 6
#define ASYNC__ABI_W TIMER_WHEEL_6
#elif ASYNC_CONFIG_TIMER_WHEEL == 7
#define ASYNC__ABI_W TIMER_WHEEL_7
#else
#error "ASYNC_CONFIG_TIMER_WHEEL is a number of levels, 0 to 7"
#endif
#define ASYNC__ABI3(p, i, f, l, t, d, w) p##i##_##f##_##l##_##t##_##d##_##w
#define ASYNC__ABI2(p, i, f, l, t, d, w) ASYNC__ABI3(p, i, f, l, t, d, w)
#define ASYNC__ABI_NAME(prefix) \
    ASYNC__ABI2(prefix, ASYNC__ABI_I, ASYNC__ABI_F, ASYNC__ABI_L, ASYNC__ABI_T, ASYNC__ABI_D, ASYNC__ABI_W)

#if defined(__cplusplus) && !ASYNC_CONFIG_INLINE
extern "C" { /* one copy: the same symbols for C and C++ files */
#endif
#if !ASYNC_CONFIG_INLINE
extern const char ASYNC__ABI_NAME(async_abi_);
#ifdef ASYNC_IMPLEMENTATION
const char ASYNC__ABI_NAME(async_abi_) = 1;
#elif defined(__GNUC__) || defined(__clang__)
static const char *const async__abi_ref __attribute__((used)) = &ASYNC__ABI_NAME(async_abi_);
#endif
#endif

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
ASYNC__INLINE async_value async_none(void) { async_value v; v.p = NULL; v.i = 0; return v; }
ASYNC__INLINE async_value async_int(intptr_t i) { async_value v = async_none(); v.i = i; return v; }
ASYNC__INLINE async_value async_ptr(void *p) { async_value v = async_none(); v.p = p; return v; }
#if ASYNC_CONFIG_FLOAT
ASYNC__INLINE async_value async_dbl(double d) { async_value v; v.d = d; return v; }
#endif

/* What one call of a coroutine function (one send) reports. */
typedef enum async_status {
    ASYNC_DONE = 0,    /* finished: the return value is in ctx->value (StopIteration.value) */
    ASYNC_FAILED = 1,  /* finished with the error in ctx->err (an exception escaped) */
    ASYNC_YIELDED = 2, /* suspended at YIELD: the yielded value is in ctx->value */
    ASYNC_AWAITING = 3 /* suspended on a pending future, which is ctx->value.p */
} async_status;

/* The library's error codes (negative; positive codes are the user's/errno):
 * one table, X(name, value, message) with what each stands for, that makes
 * both the enum and async_strerror's messages. */
#define ASYNC__ERROR_TABLE(X)                                                                        \
    X(ASYNC_ECANCELLED, -1, "cancelled")     /* asyncio.CancelledError */                            \
    X(ASYNC_ETIMEOUT, -2, "timeout")         /* TimeoutError */                                      \
    X(ASYNC_EINVALSTATE, -3, "invalid state") /* InvalidStateError: future done twice, result of a pending one */ \
    X(ASYNC_EMISUSE, -4, "API misuse")       /* the API was misused (ASYNC_MISUSE was called) */      \
    X(ASYNC_EBUSY, -5, "busy (already running)") /* loop, task or coroutine already running */        \
    X(ASYNC_EDEADLOCK, -6, "deadlock: nothing left that could make progress") /* it would wait forever */ \
    X(ASYNC_ESTOPPED, -7, "loop stopped")    /* the loop was stopped before the awaited future completed */ \
    X(ASYNC_EFULL, -8, "queue full")         /* asyncio.QueueFull: put_nowait on a full queue */       \
    X(ASYNC_EEMPTY, -9, "queue empty")       /* asyncio.QueueEmpty: get_nowait on an empty queue */    \
    X(ASYNC_ESHUTDOWN, -10, "shut down")     /* asyncio.QueueShutDown; a failed TaskGroup refusing new tasks */ \
    X(ASYNC_EBROKEN, -11, "broken barrier")  /* asyncio.BrokenBarrierError: barrier aborted or reset */ \
    X(ASYNC_EINVAL, -12, "invalid argument") /* ValueError: e.g. wait() on no futures */
#define ASYNC__ERROR_ENUM(name, value, msg) name = value,
enum {
    ASYNC_OK = 0,
    ASYNC__ERROR_TABLE(ASYNC__ERROR_ENUM)
    ASYNC_ELAST_CORE = -12 /* the lowest of the table */
};

/* The range of an error code. async_ctx and async_frame keep errors in 16 bits
 * (an int would grow every frame on hosts and cost 8-bit MCUs wider moves):
 * the library's codes, the runtime's (ASYNC_RT_*) and errno values all fit. A code outside ASYNC_ERR_MIN..ASYNC_ERR_MAX, or 0, given to
 * ASYNC_RAISE, async_future_set_error or async_throw is misuse: ASYNC_MISUSE,
 * then the error becomes ASYNC_EMISUSE (never a wrapped value).
 *   ASYNC_RAISE(EIO);            // kept exactly
 *   ASYNC_RAISE(70000);          // misuse: raises ASYNC_EMISUSE */
#define ASYNC_ERR_MAX 32767
#define ASYNC_ERR_MIN (-32767)

/* Internal: an error code as stored, or ASYNC_EMISUSE after ASYNC_MISUSE. */
ASYNC_API int16_t async__err(int err);

/* async_strerror(ASYNC_ETIMEOUT) -> "timeout". Library codes only. */
ASYNC_API const char *async_strerror(int err);

/* Where a coroutine is suspended: one constant record per resume point, made
 * by the resume point itself; read it through async_task_where*. On AVR it
 * and the file name are in program memory (progmem, read with lpm, in the
 * low 64 KB where avr-gcc places it): no RAM per resume point. */
#if defined(__AVR__) && (defined(__GNUC__) || defined(__clang__))
#define ASYNC__PROGMEM __attribute__((__progmem__))
#define ASYNC__FLASH_FILE 1 /* the file name is a per-coroutine progmem array */
ASYNC__INLINE uint8_t async__flash_byte(const void *p) {
    uint8_t r;
    __asm__("lpm %0, Z" : "=r"(r) : "z"(p));
    return r;
}
/* A 16-bit word (a line, or a pointer: AVR's are 16 bits) in program memory. */
ASYNC__INLINE uint16_t async__flash_word(const void *p) {
    return (uint16_t)(async__flash_byte(p) | (unsigned)async__flash_byte((const uint8_t *)p + 1) << 8);
}
#else
#define ASYNC__PROGMEM
#define ASYNC__FLASH_FILE 0
ASYNC__INLINE uint8_t async__flash_byte(const void *p) { return *(const uint8_t *)p; }
#endif
#if ASYNC_CONFIG_TASK_INFO
typedef struct async_where {
    const char *file; /* __FILE__ (on AVR, an address in program memory) */
    uint16_t line;    /* __LINE__ (modulo 65536) */
} async_where;
#endif

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
    /* (The resume position a coroutine notes at each suspension is not here,
     * where every future and timer would carry it, but in async_task and
     * async_coro, at the same offset from this context: ASYNC__WHERE_OFFSET.) */
};

/* A coroutine function. Write it with ASYNC_FN, or by hand with exactly these
 * parameter names: async_status fn(async_ctx *async_ctx_, void *self).
 * By hand, it returns ASYNC_AWAITING with ctx->value.p set to the future it
 * waits on, every time: a resume with an error (async_throw, a task's
 * cancellation) overwrites that slot, so a body that swallows the error and
 * goes on waiting must set it again (in a task, left as it is it names the
 * task itself: misuse, "a task awaits itself"). */
typedef async_status (*async_fn)(async_ctx *ctx, void *frame);

/* Internal (ASYNC_CONFIG_DIRECT_RESUME): a driver's innermost suspended
 * coroutine, which its next resume calls directly (a task's leaf, an
 * async_coro's run record), or a site's note of one (the loop's leaf_seen,
 * an async_coro's leaf). */
typedef struct async__leaf {
    async_fn fn;
    void *frame;
} async__leaf;

/* ======================================================================
 * 4. Resume points: the continuation mechanism
 *    A frame's state is where its coroutine resumes. Two implementations,
 *    as protothreads keeps lc-switch.h and lc-addrlabels.h: the line number
 *    as a case of the body's switch (portable C), or a label address (GCC and
 *    Clang; resume points may then sit inside the user's own switch). The
 *    small values below them are the states a body starts, unwinds and ends in.
 * ====================================================================== */

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
/* Two values no frame stores (resume points sit on lower lines): cases that
 * ASYNC_FINALLY and ASYNC_END add, so that a FINALLY that ASYNC_END cannot
 * see does not compile. */
#define ASYNC__S_FINALLY_MARK 65534

/* ASYNC__DISPATCH opens the body's resume switch; ASYNC__SUSPEND(status)
 * saves a resume point and returns status; ASYNC__RESUME_HERE() marks a point
 * the next resume re-enters (a child coroutine's call). They use the body's
 * async_hdr_ (see ASYNC_BEGIN). */
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
        /* (the asm hides the label from GCC 12's -Wdangling-pointer) */             \
        async_hdr_->state = __extension__({ void *async_l_ = &&ASYNC__LBL;            \
                                            ASYNC__OPAQUE(async_l_); async_l_; });   \
        ASYNC__NOTE_WHERE();                                                         \
        return (status);                                                             \
        ASYNC__LBL:;                                                                 \
    } while (0)
#define ASYNC__RESUME_HERE()                                                         \
    async_hdr_->state = __extension__ &&ASYNC__LBL;                                  \
    ASYNC__LBL:
#else
#define ASYNC__DISPATCH switch (async_hdr_->state)
/* The sizeof rejects, at compile time, a resume point past line 65533 or on
 * lines 1 and 2 (their numbers are the states FINALLY and done). */
#define ASYNC__LINE_CHECK() (void)sizeof(char[(__LINE__) > ASYNC__S_DONE && (__LINE__) < ASYNC__S_FINALLY_MARK ? 1 : -1])
#define ASYNC__SUSPEND(status)                                                       \
    do {                                                                             \
        ASYNC__LINE_CHECK();                                                         \
        async_hdr_->state = __LINE__;                                                \
        ASYNC__NOTE_WHERE();                                                         \
        return (status);                                                             \
        case __LINE__:;                                                              \
    } while (0)
#define ASYNC__RESUME_HERE()                                                         \
    ASYNC__LINE_CHECK();                                                             \
    async_hdr_->state = __LINE__;                                                    \
    goto ASYNC__CAT(async__resume_, __LINE__);                                       \
    case __LINE__:                                                                   \
    ASYNC__CAT(async__resume_, __LINE__):
#endif

/* ======================================================================
 * 5. Frames and coroutines
 * ====================================================================== */

/* A resume point as a frame stores it (the type of async_frame.state). */
#if ASYNC_CONFIG_LABELS
typedef void *async__point;
#else
typedef uint_least16_t async__point;
#endif

/* Where a task counts its cancel requests: in the padding of its root frame's
 * header, except where that header has no padding (8-bit AVR: alignment 1),
 * where one byte in the task is cheaper than one in every frame. */
#if defined(__AVR__)
#define ASYNC__CANCELS_IN_TASK 1
#else
#define ASYNC__CANCELS_IN_TASK 0
#endif

/* The header every frame struct starts with. Zero it (or let the awaiting code
 * reset it) before the first resume; the rest of the frame is yours. */
typedef struct async_frame {
#if ASYNC_CONFIG_LABELS
    void *state; /* resume label, or one of the small ASYNC__S_* values */
#elif defined(__x86_64__) || defined(__i386__)
    /* resume line, or ASYNC__S_*: 32 bits on x86, where a suspension's
     * store of a 16-bit constant takes compilers two instructions (they
     * avoid the length-changing prefix) and of a 32-bit one, one. The
     * header is 8 bytes instead of 6, which most frames pay anyway: the
     * member after it is aligned to 4 or 8. */
    uint32_t state;
#else
    uint_least16_t state; /* resume line, or ASYNC__S_* */
#endif
    int16_t err;   /* error this frame is unwinding with (in FINALLY) or ended with */
    uint8_t flags; /* ASYNC__IN_FINALLY, ASYNC__RETURNED, ASYNC__IN_TRY, ASYNC__RETURNING */
#if !ASYNC__CANCELS_IN_TASK
    /* In a task's root frame: its pending cancel requests (async_task_cancelling).
     * It fills the header's padding, so that the count costs a task no byte
     * (the embedded footprint's task budget); unused in other frames. */
    uint8_t cancels;
#endif
} async_frame;

#define ASYNC__IN_FINALLY 1u
#define ASYNC__RETURNED 2u
#define ASYNC__IN_TRY 4u    /* a try block is active: its slots follow the header (ASYNC_TRY_FRAME) */
#define ASYNC__RETURNING 8u /* a return on its way through the try blocks' finally parts */
/* Suspended at an ASYNC_AWAIT_CO that passed its child's suspension up: the
 * driver's leaf is below this frame, reached through such sites only (a
 * coroutine written by hand that calls a child itself never sets it, so the
 * leaf recorded under it is replaced by its own frame). Cleared when the
 * site's child has finished. In a finished frame (S_DONE): a direct resume
 * finished it, its parent's site has yet to take the result. */
#define ASYNC__ON_SITE 16u

/* Internal: where an error or a return re-enters a frame's innermost try
 * block, its ASYNC_TRY. Loads only, no call: the bodies without try blocks,
 * which have this on their raise and return paths, keep their code as it was. */
ASYNC__INLINE async__point async__try_at(const async_frame *h);

/* Context flags. */
#define ASYNC__F_TASK 0x01u        /* the context is a task's */
#define ASYNC__F_TIMER 0x02u       /* the future is a timer's */
#define ASYNC__F_RUNNING 0x04u     /* the coroutine is executing right now */
/* Hosts: a plain future run_until_complete waits for: its completion ends
 * the short iterations (section 9; a task's finish compares loop->until).
 * RUNNING's bit, which only an async_coro's own context uses. Boards test
 * the future before each short batch instead, in less code: 0 there. */
#if ASYNC__STEP_TRACED_COPY
#define ASYNC__F_UNTIL ASYNC__F_RUNNING
#else
#define ASYNC__F_UNTIL 0u
#endif
/* A task whose step's end hook (a trace hook's STEP_END) runs: value.p holds
 * no awaited future yet. AWAITING's bit, which only an async_coro uses. */
#define ASYNC__F_IN_HOOK ASYNC__F_AWAITING
/* A task whose yield is a sleep(0): its resume reads the timer in value.p,
 * which the step keeps there (a bare yield's it resets). ARMED's bit, which
 * only a timer uses. */
#define ASYNC__F_SLEEP0 ASYNC__F_ARMED
#define ASYNC__F_AWAITING 0x08u    /* an async_coro: parked on the future in value.p */
#define ASYNC__F_MUST_CANCEL 0x10u /* deliver a cancellation at the next step */
#define ASYNC__F_ARMED 0x20u       /* timer: in the loop's heap */
#define ASYNC__F_RETRIEVED 0x40u   /* the error was read by someone */
#define ASYNC__F_OP 0x80u          /* the future heads an async_op: cancel calls its hook */

/* Future states; distinctive values so that zeroed memory reads as "never
 * initialised". A future that finished with an error (c.err) is FAILED, not
 * DONE: an await of a done future tests its state alone. The three finished
 * states are consecutive (ASYNC__FINISHED). */
#define ASYNC__PENDING 0x50u
#define ASYNC__CANCELLED 0x5Cu
#define ASYNC__DONE 0x5Du
#define ASYNC__FAILED 0x5Eu
#define ASYNC__FINISHED(state) ((unsigned)((state) - ASYNC__CANCELLED) <= ASYNC__FAILED - ASYNC__CANCELLED)

/* Internal: never defined nor called; its type is what ASYNC_FN checks hdr against. */
async_frame *async__frame_type(void);

/* ASYNC_FN(name, frame_type) { body } — define a coroutine function whose frame
 * is reachable as `self` (typed). Prefix with `static` for internal linkage.
 * The frame type's first member must be `async_frame hdr` (the convention every
 * frame follows): anything else is a compile error here, as is, later, handing
 * the coroutine a frame of another type through ASYNC_AWAIT_CO,
 * ASYNC_AWAIT_CO_CATCH, ASYNC_TASK_CREATE or ASYNC_CORO_INIT. Both checks are
 * compile-time only (sizeof), so they cost nothing at run time.
 *   struct triple { async_frame hdr; int val; };
 *   static ASYNC_FN(triple, struct triple) { ASYNC_BEGIN(); ASYNC_RETURN(async_int(self->val * 3)); ASYNC_END(); }
 * Hazard: locals of the body do not survive a suspension; keep them in *self.
 * In C++ the frame type must be standard-layout (the check uses offsetof).
 * (It also declares name##_async_frame_type(), never defined nor called: its
 * return type carries the frame type to those macros.) */
#define ASYNC_FN(name, frame_type) ASYNC_FN_AT(name, frame_type, hdr)

/* ASYNC_FN_AT(name, frame_type, hdr_member) { body } — ASYNC_FN for a frame whose
 * async_frame is further down a first member: hdr_member is its path, which
 * must still be at offset 0 (checked like ASYNC_FN's hdr).
 *   struct client { async_client_frame base; char buf[64]; };   // base.hdr first
 *   static ASYNC_FN_AT(echo, struct client, base.hdr) { ... } */
#define ASYNC_FN_AT(name, frame_type, hdr_member)                                         \
    async_status name(async_ctx *async_ctx_, void *async_vself_);                         \
    frame_type *ASYNC__CAT(name, _async_frame_type)(void);                                \
    static async_status ASYNC__CAT(name, _async_body)(async_ctx *async_ctx_, frame_type *self); \
    async_status name(async_ctx *async_ctx_, void *async_vself_) {                        \
        typedef char async_frame_hdr_must_be_the_first_member[offsetof(frame_type, hdr_member) == 0 ? 1 : -1]; \
        (void)sizeof(async_frame_hdr_must_be_the_first_member);                           \
        (void)sizeof(&((frame_type *)async_vself_)->hdr_member - async__frame_type()); /* an async_frame */ \
        return ASYNC__CAT(name, _async_body)(async_ctx_, (frame_type *)async_vself_);     \
    }                                                                                     \
    static async_status ASYNC__CAT(name, _async_body)(async_ctx *async_ctx_, frame_type *self)

/* ASYNC_DECLARE(name, frame_type); — prototype of a coroutine defined in another
 * file (with ASYNC_FN), or of one written by hand as
 * `async_status name(async_ctx *async_ctx_, void *async_vself_)`, so that the
 * macros that take a coroutine and its frame can check the frame's type.
 *   ASYNC_DECLARE(fetch_co, struct fetch);
 *   ASYNC_AWAIT_CO(fetch_co, &self->fetch); */
#define ASYNC_DECLARE(name, frame_type)                                                   \
    async_status name(async_ctx *async_ctx_, void *async_vself_);                         \
    frame_type *ASYNC__CAT(name, _async_frame_type)(void)

/* Internal: `frame` must point to fn's frame type (a hard error otherwise: no
 * pointer arithmetic between unrelated types, in C as in C++). */
#define ASYNC__FRAME_CHECK(fn, frame) ((void)sizeof((frame) - ASYNC__CAT(fn, _async_frame_type)()))

/* The header's own coroutines (section 11), for the same check. */
struct async_wait_op;
struct async_cond_op;
struct async_waitset;
struct async_taskgroup;
struct async_wait_op *async_lock_acquire_co_async_frame_type(void);
struct async_wait_op *async_event_wait_co_async_frame_type(void);
struct async_cond_op *async_cond_wait_co_async_frame_type(void);
struct async_wait_op *async_sem_acquire_co_async_frame_type(void);
struct async_wait_op *async_barrier_wait_co_async_frame_type(void);
struct async_wait_op *async_queue_put_co_async_frame_type(void);
struct async_wait_op *async_queue_get_co_async_frame_type(void);
struct async_wait_op *async_queue_join_co_async_frame_type(void);
struct async_waitset *async_waitset_co_async_frame_type(void);
struct async_waitset *async_as_completed_next_co_async_frame_type(void);
struct async_taskgroup *async_taskgroup_exit_co_async_frame_type(void);

ASYNC__INLINE void async_frame_reset(void *frame) {
    async_frame *h = (async_frame *)frame;
    ASYNC__HSET(h, ASYNC__S_START);
    h->err = 0;
    h->flags = 0;
#if !ASYNC__CANCELS_IN_TASK
    /* (a task's count is set after this; other frames do not use it): the
     * whole header is then one store where it is 8 bytes */
    h->cancels = 0;
#endif
}

/* Internal: where a task is suspended (for the dump): the address of this
 * resume point's constant record, one store as cheap as a string's. */
#if ASYNC_CONFIG_TASK_INFO
#if ASYNC__FLASH_FILE
#define ASYNC__WHERE_FILE async_file_
#define ASYNC__BEGIN_FILE static const char async_file_[] ASYNC__PROGMEM ASYNC__UNUSED = __FILE__;
#else
#define ASYNC__WHERE_FILE __FILE__
#define ASYNC__BEGIN_FILE
#endif
#define ASYNC__NOTE_WHERE()                                                                   \
    {                                                                                         \
        static const async_where async_where_ ASYNC__PROGMEM = {ASYNC__WHERE_FILE, (uint16_t)__LINE__}; \
        ASYNC__WHERE(async_ctx_) = &async_where_;                                             \
    }
#else
#define ASYNC__BEGIN_FILE
#define ASYNC__NOTE_WHERE() ((void)0)
#endif

/* Internal: coroutine-level trace events (ASYNC_CONFIG_TRACE). */
#if ASYNC_CONFIG_TRACE
ASYNC_API void async__trace_co(async_ctx *ctx, int ev, const char *fn);
#define ASYNC__TRACE_CO(ev) async__trace_co(async_ctx_, (ev), __func__)
#else
#define ASYNC__TRACE_CO(ev) ((void)0)
#endif


/* Internal helpers of the macros. */
ASYNC_API int async__raise(async_ctx *ctx, async_frame *h);


ASYNC_API async_status async__finish(async_ctx *ctx, async_frame *h);

/* The resume switch found no case for the saved resume point: the coroutine
 * finished already (resumed after its end), the point sits inside a `switch`
 * of the user's (switch mode), or the frame is corrupt. */
ASYNC_API async_status async__lost(async_ctx *ctx, async_frame *h);

ASYNC_API async_status async__broke(async_ctx *ctx);

/* ASYNC_BEGIN(); — opens a coroutine body. Must be the first statement.
 * Hazards: one resume point (AWAIT/YIELD/SLEEP) per source line; in the default
 * switch mode no resume point inside a `switch` of your own; locals are not kept. */
#define ASYNC_BEGIN()                                                           \
    async_frame *const async_hdr_ = (async_frame *)(void *)(self);              \
    enum { async_has_finally_ = 0 }; /* ASYNC_FINALLY's own shadows it */       \
    ASYNC__BEGIN_FILE                                                           \
    if (0) {                                                                    \
        goto async__return;                                                     \
    async__raise:                                                               \
        {                                                                       \
            int async_r_ = async__raise(async_ctx_, async_hdr_);                \
            if (ASYNC__LIKELY(async_r_ == 0)) goto async__unwind;               \
            if (async_r_ == 1) return ASYNC_FAILED;                             \
            goto async__to_try;                                                 \
        }                                                                       \
    async__return:                                                              \
        if (ASYNC__UNLIKELY(async_hdr_->flags & (ASYNC__IN_FINALLY | ASYNC__IN_TRY))) { \
            if (async_hdr_->flags & ASYNC__IN_TRY) { /* try blocks first */     \
                async_hdr_->flags |= ASYNC__RETURNING;                          \
            async__to_try: /* an error too: re-enter the innermost ASYNC_TRY */ \
                ASYNC__HSET(async_hdr_, async__try_at(async_hdr_));             \
                goto async__dispatch;                                           \
            }                                                                   \
            async_hdr_->err = 0; /* Python: return in finally drops the error */ \
            goto async__end;                                                    \
        }                                                                       \
        goto async__unwind;                                                     \
    }                                                                           \
    async__dispatch:                                                            \
    ASYNC__DISPATCH {                                                           \
    default: /* the start, not a case: a resume's case is the first compared */ \
    async__default:                                                             \
        if (ASYNC__UNLIKELY(!ASYNC__HIS(async_hdr_, ASYNC__S_START))) {         \
            /* a return or raise on its way out (no FINALLY section); else */  \
            /* lost, or resumed once done */                                    \
            if (ASYNC__HIS(async_hdr_, ASYNC__S_FINALLY)) goto async__end;      \
            return async__lost(async_ctx_, async_hdr_);                         \
        }                                                                       \
        if (async_ctx_->err) { /* thrown in before it started: body never runs */ \
            async_hdr_->flags |= ASYNC__IN_FINALLY;                             \
            goto async__raise;                                                  \
        }                                                                       \
        ASYNC__TRACE_CO(ASYNC_TRACE_CORO_BEGIN)

/* ASYNC_FINALLY(); — optional, once, at the top level of the body, before
 * ASYNC_END(). The code after it runs on normal completion, on ASYNC_RETURN and
 * when an error (cancellation included) unwinds the body: stackless try/finally
 * around the whole body (try blocks inside it: ASYNC_TRY, below).
 * There ASYNC_ERROR is the error in flight (0 if none); set it to 0 to swallow it.
 *   ASYNC_FINALLY();
 *   close_resource(self);
 *   if (ASYNC_ERROR == ASYNC_ECANCELLED) ASYNC_ERROR = 0;   // cancelled: end normally
 * Hazards: an AWAIT in FINALLY overwrites a pending ASYNC_RETURN value; it
 * must sit at the top level of the body, in no block of its own (a return or
 * an error finds it by a constant it declares there, which ASYNC_END reads):
 * elsewhere it does not compile ("duplicate case value" at ASYNC_END). */
#define ASYNC_FINALLY()                                                         \
        goto async__finally;                                                    \
    case ASYNC__S_FINALLY:                                                      \
    if (0) {                                                                    \
    case ASYNC__S_FINALLY_MARK: /* for ASYNC_END's check; as the default */    \
        goto async__default;                                                    \
    }                                                                           \
    async__finally:                                                             \
        async_hdr_->flags |= ASYNC__IN_FINALLY;                                 \
        ASYNC__SHADOWING(enum { async_has_finally_ = 1 };) /* for ASYNC_END */  \
        (void)async_has_finally_

/* ASYNC_END(); — closes the body; returns DONE, or FAILED with the error. */
#define ASYNC_END()                                                             \
        goto async__end;                                                        \
    /* no state but a corrupt one: a FINALLY in a block of its own is hidden \
     * from here, and its mark repeats this case (an error: "duplicate case    \
     * value"; it must be at the body's top level). As the default, it costs   \
     * no compare. */                                                          \
    case ASYNC__S_FINALLY_MARK + async_has_finally_:                            \
        goto async__default; /* (a frame holding it is corrupt: the default says so) */ \
    async__end:                                                                 \
        return async__finish(async_ctx_, async_hdr_);                           \
    async__unwind: /* a return or an error leaves: through FINALLY if there is one */ \
        if (async_has_finally_) {                                               \
            ASYNC__HSET(async_hdr_, ASYNC__S_FINALLY);                          \
            goto async__dispatch;                                               \
        }                                                                       \
        goto async__end;                                                        \
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
 *   if (n < 0) ASYNC_RAISE(EINVAL);
 * Hazard: 0 or a code outside ASYNC_ERR_MIN..ASYNC_ERR_MAX is misuse (raises ASYNC_EMISUSE). */
#define ASYNC_RAISE(e)                                                          \
    do {                                                                        \
        async_ctx_->err = async__err(e);                                        \
        goto async__raise;                                                      \
    } while (0)

/* ASYNC_YIELD(v); — suspend, handing v to whoever called send (Python `yield v`);
 * afterwards ASYNC_VALUE is the value sent in. In a task, a yield gives the loop a
 * turn: the task goes to the back of the ready queue (asyncio.sleep(0)), v is
 * dropped and ASYNC_VALUE is none afterwards (asyncio resumes a bare yield
 * with None).
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

ASYNC__INLINE int async__await_begin(async_ctx *ctx, async_future *f);
ASYNC__INLINE int async__await_done(async_ctx *ctx);

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
        if (async__await_done(async_ctx_)) goto async__raise;                   \
    } while (0)

/* ASYNC_AWAIT_CATCH(fut, err); — like ASYNC_AWAIT but stores the error in the
 * lvalue err (0 on success) instead of raising it: try/except around one await
 * (around several, or around library awaits: ASYNC_TRY).
 *   ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
 *   if (self->err == ASYNC_ETIMEOUT) ... */
#define ASYNC_AWAIT_CATCH(fut, errv)                                            \
    do {                                                                        \
        if (async__await_begin(async_ctx_, (fut))) {                            \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_SUSPEND);                         \
            ASYNC__SUSPEND(ASYNC_AWAITING);                                     \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_RESUME);                          \
        }                                                                       \
        if (async__await_done(async_ctx_)) {                                    \
            (errv) = async_ctx_->err;                                           \
            async_ctx_->err = 0;                                                \
        } else                                                                  \
            (errv) = 0;                                                         \
    } while (0)

#if ASYNC_CONFIG_DIRECT_RESUME
ASYNC__COLD_API void async__co_up(async_ctx *ctx, async_frame *self, async_fn fn, void *child);
/* Internal: an ASYNC_AWAIT_CO site's call of its child. A child a direct
 * resume finished (S_DONE, ASYNC__ON_SITE): take its result, once, instead
 * of calling it again; one finished anyhow else is called, so that resuming
 * it is reported as before. */
ASYNC__INLINE async_status async__co_call(async_ctx *ctx, async_frame *self, async_fn fn, void *child) {
    async_frame *k = (async_frame *)child;
    async_status s;
    if (ASYNC__UNLIKELY(ASYNC__HIS(k, ASYNC__S_DONE) && (k->flags & ASYNC__ON_SITE))) {
        k->flags = 0;
        s = k->err ? ASYNC_FAILED : ASYNC_DONE;
    } else {
        s = fn(ctx, child);
        if (s >= ASYNC_YIELDED) {
            async__co_up(ctx, self, fn, child);
            return s;
        }
    }
    self->flags &= (uint8_t)~ASYNC__ON_SITE; /* (set if it was passed up before) */
    return s;
}
#define ASYNC__CO_CALL(fn, child) async__co_call(async_ctx_, async_hdr_, (fn), (child))
#else
#define ASYNC__CO_CALL(fn, child) (fn)(async_ctx_, (child))
#endif

/* ASYNC_AWAIT_CO(fn, child_frame); — run a child coroutine inline (Python `await
 * coro()`): no trip through the loop unless the child suspends, and its
 * suspensions percolate up. Its return value is ASYNC_VALUE afterwards (typed
 * results: read them from the child's frame); its error is raised here.
 *   self->t.val = 5;
 *   ASYNC_AWAIT_CO(triple, &self->t);
 * fn must be the coroutine's name (from ASYNC_FN or ASYNC_DECLARE): a child
 * frame of another type than fn's is a compile error.
 * With ASYNC_CONFIG_DIRECT_RESUME (hosts' default) a resume calls the innermost
 * suspended coroutine of a chain of these directly, whatever the depth; this
 * site runs again when its child has finished, to take its result. A
 * coroutine written by hand that calls a child itself is always resumed
 * itself (it may act on every resume), as is everything above it.
 * Hazard: the child frame is reset on entry; fn and child_frame are evaluated at
 * every resume: pass a function name and `&self->member`, nothing with side
 * effects; a child frame belongs to this site until the child has finished
 * (do not drive it, or reset it, from anywhere else meanwhile). */
#define ASYNC_AWAIT_CO(fn, child) ASYNC__AWAIT_CALL(ASYNC__CO_CALL(fn, child), fn, child)

/* Internal: the await of a child coroutine, whose call (resumed at every
 * resume of this site) is the expression `call`. */
#define ASYNC__AWAIT_CALL(call, fn, child)                                      \
    do {                                                                        \
        ASYNC__FRAME_CHECK(fn, child);                                          \
        async_frame_reset(child);                                               \
        ASYNC__RESUME_HERE() {                                                  \
            async_status async_s_ = (call);                                     \
            if (async_s_ >= ASYNC_YIELDED) return async_s_;                     \
            if (async_s_ == ASYNC_FAILED) goto async__raise;                    \
        }                                                                       \
    } while (0)
#define ASYNC__AWAIT_CALL_CATCH(call, fn, child, errv)                          \
    do {                                                                        \
        ASYNC__FRAME_CHECK(fn, child);                                          \
        async_frame_reset(child);                                               \
        ASYNC__RESUME_HERE() {                                                  \
            async_status async_s_ = (call);                                     \
            if (async_s_ >= ASYNC_YIELDED) return async_s_;                     \
            (errv) = async_s_ == ASYNC_FAILED ? async_ctx_->err : 0;            \
            async_ctx_->err = 0;                                                \
        }                                                                       \
    } while (0)

/* ASYNC_AWAIT_CO_CATCH(fn, child_frame, err); — ASYNC_AWAIT_CO that stores the
 * child's error in the lvalue err (0 on success) instead of raising it. */
#define ASYNC_AWAIT_CO_CATCH(fn, child, errv) ASYNC__AWAIT_CALL_CATCH(ASYNC__CO_CALL(fn, child), fn, child, errv)

/* Internal: ASYNC_AWAIT_CO and _CATCH for the library's own operations (lock,
 * queue, event, gather, TaskGroup exit, ...), which never await a coroutine
 * of the user's: a plain call of the child, as without
 * ASYNC_CONFIG_DIRECT_RESUME. The frame that awaits one is then the leaf a
 * resume calls (one level more, still none per depth), and the operation's
 * function never has its address taken, so a program that awaits it from
 * one place keeps it inline. */
#define ASYNC__AWAIT_OP(fn, child) ASYNC__AWAIT_CALL((fn)(async_ctx_, (child)), fn, child)
#define ASYNC__AWAIT_OP_CATCH(fn, child, errv) ASYNC__AWAIT_CALL_CATCH((fn)(async_ctx_, (child)), fn, child, errv)

/* --------------------------------------------------------- try blocks */


/* One active try block: where a raise re-enters it, and its error. */
typedef struct async_try_slot {
    async__point at; /* the ASYNC_TRY's own resume point */
    int16_t err;     /* caught (in EXCEPT), pending (in FINALLY) */
    uint8_t phase;   /* ASYNC__T_*; ASYNC__T_RET: a return waits for the finally block */
} async_try_slot;

#define ASYNC__T_BODY 0u
#define ASYNC__T_RAISED 1u  /* an error looks for a matching EXCEPT */
#define ASYNC__T_EXCEPT 2u
#define ASYNC__T_FINALLY 3u
#define ASYNC__T_RET 0x80u

/* ASYNC_TRY_FRAME(n); — replaces `async_frame hdr;` as the first member of a
 * frame whose body uses try blocks nested at most n deep (a timeout block
 * counts as one). Only such frames pay for try blocks (a depth byte and n
 * slots: a resume point, an error, a phase); async_frame stays as it is.
 *   struct fetch { ASYNC_TRY_FRAME(2); async_timer t; int tries; };
 * Hazard: keep it first (the runtime finds the slots right after the header);
 * nesting deeper than n is misuse (ASYNC_EMISUSE is raised at that ASYNC_TRY). */
#define ASYNC_TRY_FRAME(n)                                                      \
    async_frame hdr;                                                            \
    struct {                                                                    \
        uint8_t depth;                                                          \
        async_try_slot slot[n];                                                 \
    } async_try_

/* Internal: the layout every ASYNC_TRY_FRAME shares, for the runtime. */
typedef struct async__try_stack {
    uint8_t depth;
    async_try_slot slot[1];
} async__try_stack;
#define ASYNC__TRY_STACK(h) ((async__try_stack *)(void *)((char *)(h) + sizeof(async_frame)))
ASYNC__INLINE async__point async__try_at(const async_frame *h) {
    const async__try_stack *ts = (const async__try_stack *)(const void *)((const char *)h + sizeof(async_frame));
    return ((const async_try_slot *)(const void *)((const char *)ts + offsetof(async__try_stack, slot)))[ts->depth - 1].at;
}

ASYNC_API int async__try_push(async_ctx *ctx, async_frame *h, async__point at, unsigned cap);
ASYNC_API void async__try_finally(async_frame *h);
ASYNC_API int async__try_end(async_ctx *ctx, async_frame *h);
/* An error or a return arrived at the ASYNC_TRY: 0 go on into the block's
 * parts, 1 raise on (ctx->err), 2 return on. */
ASYNC_API int async__try_arrive(async_ctx *ctx, async_frame *h);

#define ASYNC__TRY_TOP (self->async_try_.slot[self->async_try_.depth - 1])
#define ASYNC__TRY_CAP ((unsigned)(sizeof(self->async_try_.slot) / sizeof(self->async_try_.slot[0])))

#if ASYNC_CONFIG_LABELS
#define ASYNC__TRY_PUSH()                                                       \
    if (async__try_push(async_ctx_, async_hdr_,                                 \
                        __extension__({ void *async_l_ = &&ASYNC__LBL;          \
                                        ASYNC__OPAQUE(async_l_); async_l_; }),  \
                        ASYNC__TRY_CAP))                                        \
        goto async__raise;                                                      \
    ASYNC__LBL:
#else
#define ASYNC__TRY_PUSH()                                                       \
    ASYNC__LINE_CHECK();                                                       \
    if (async__try_push(async_ctx_, async_hdr_, __LINE__, ASYNC__TRY_CAP))     \
        goto async__raise;                                                      \
    goto ASYNC__CAT(async__try_, __LINE__);                                     \
    case __LINE__:                                                              \
    ASYNC__CAT(async__try_, __LINE__):
#endif

/* ASYNC_TRY { ... } [ASYNC_EXCEPT(code) { ... }]... [ASYNC_TRY_FINALLY { ... }]
 * ASYNC_END_TRY; — Python's try/except/finally inside a body, around any
 * number of awaits, nestable, in loops. Every error raised in the try part
 * (an await's error, a cancellation, ASYNC_RAISE, a child's error) goes to the
 * first matching EXCEPT: ASYNC_EXCEPT(code) one code, ASYNC_EXCEPT_IF(cond) a
 * set (cond reads ASYNC_CAUGHT), ASYNC_EXCEPT_ANY all. An error no EXCEPT
 * matches, or one raised in an EXCEPT, passes on after the finally block to
 * the enclosing try, then to the function-level ASYNC_FINALLY and the awaiter.
 * ASYNC_RETURN inside runs the finally blocks, innermost first, then returns.
 *   ASYNC_TRY {
 *       ASYNC_AWAIT(&self->reply);
 *   } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {
 *       self->timeouts++;             // handled: go on after ASYNC_END_TRY
 *   } ASYNC_TRY_FINALLY {
 *       close_it(self);
 *   } ASYNC_END_TRY;
 * The frame needs ASYNC_TRY_FRAME(depth). Hazards: ASYNC_TRY is a resume point
 * (its own line; switch mode: not inside a switch of yours); leave a try
 * block only by its end, ASYNC_RETURN or an error, never by break, continue
 * or goto; an await in a finally block overwrites a pending return value. */
#define ASYNC_TRY                                                               \
    ASYNC__TRY_PUSH()                                                           \
    if (ASYNC__UNLIKELY(async_ctx_->err || (async_hdr_->flags & ASYNC__RETURNING))) { \
        int async_t_ = async__try_arrive(async_ctx_, async_hdr_);               \
        if (async_t_ == 1) goto async__raise;                                   \
        if (async_t_ == 2) goto async__return;                                  \
    }                                                                           \
    if (ASYNC__TRY_TOP.phase == ASYNC__T_BODY)

/* ASYNC_EXCEPT_IF(cond) { ... } — handle the error if cond (which may read
 * ASYNC_CAUGHT) holds; handled, it is gone, as in `except E:`.
 *   } ASYNC_EXCEPT_IF(ASYNC_CAUGHT == EPIPE || ASYNC_CAUGHT == ECONNRESET) { */
#define ASYNC_EXCEPT_IF(cond)                                                   \
    else if (ASYNC__TRY_TOP.phase == ASYNC__T_RAISED && (cond) &&               \
             (ASYNC__TRY_TOP.phase = ASYNC__T_EXCEPT) != 0)

/* ASYNC_EXCEPT(code) { ... } — handle one error code.
 *   } ASYNC_EXCEPT(ASYNC_ECANCELLED) { log("cancelled: %s", ASYNC_CANCEL_MESSAGE); ASYNC_RERAISE(); } */
#define ASYNC_EXCEPT(code) ASYNC_EXCEPT_IF(ASYNC_CAUGHT == (code))

/* ASYNC_EXCEPT_ANY { ... } — handle every error (`except BaseException:`;
 * re-raise a cancellation you do not mean to swallow). */
#define ASYNC_EXCEPT_ANY ASYNC_EXCEPT_IF(1)

/* ASYNC_CAUGHT — in an EXCEPT (and its condition), the error being handled;
 * in a finally block, the error that will pass on after it (0 if none: an
 * lvalue, set it to 0 to swallow, or change it). Innermost try block's.
 *   } ASYNC_EXCEPT_ANY { self->last_err = ASYNC_CAUGHT; } */
#define ASYNC_CAUGHT (ASYNC__TRY_TOP.err)

/* ASYNC_RERAISE(); — in an EXCEPT: raise the error being handled again. */
#define ASYNC_RERAISE() ASYNC_RAISE(ASYNC_CAUGHT)

/* ASYNC_TRY_FINALLY { ... } — the try block's finally part: runs when the try
 * part or an EXCEPT ends, normally, by ASYNC_RETURN or by an error (which
 * passes on after it, see ASYNC_CAUGHT). It may await. (The function-level
 * ASYNC_FINALLY() is another thing: once, at the end of a body.)
 *   } ASYNC_TRY_FINALLY { async_lock_release(&self->lock); } ASYNC_END_TRY; */
#define ASYNC_TRY_FINALLY                                                       \
    async__try_finally(async_hdr_);

/* ASYNC_END_TRY; — closes a try block: goes on, or carries on the pending
 * error or return. */
#define ASYNC_END_TRY                                                           \
    do {                                                                        \
        int async_t_ = async__try_end(async_ctx_, async_hdr_);                  \
        if (async_t_ == 1) goto async__raise;                                   \
        if (async_t_ == 2) goto async__return;                                  \
    } while (0)

/* ======================================================================
 * 6. The send protocol: a coroutine object driven by hand
 * ====================================================================== */

/* A coroutine object: a function and its frame. Creating one runs nothing. */
typedef struct async_coro {
    async_ctx ctx; /* value in/out, error, flags */
    async_fn fn;   /* the coroutine function */
    void *frame;   /* its frame (caller's memory) */
#if ASYNC_CONFIG_TASK_INFO
    /* where it last suspended (NULL: not started); at the offset of
     * async_task.where, so that a suspension stores it with no test of
     * whether its context is a task's */
    const async_where *where;
#endif
#if ASYNC_CONFIG_DIRECT_RESUME
    /* While a send runs: the coroutine the lowest site that passed a child's
     * suspension up recorded (ASYNC_CONFIG_DIRECT_RESUME), taken into run
     * when the site in the frame the send called passes it up too. */
    async__leaf leaf;
    /* What a send calls: fn and frame, or the innermost suspended coroutine
     * of a chain of ASYNC_AWAIT_CO under them, so that a send tests nothing
     * to choose (a task's step tests the root's ASYNC__ON_SITE instead). */
    async__leaf run;
#endif
} async_coro;

#if ASYNC_CONFIG_TASK_INFO
/* Internal: where a running coroutine's context keeps its resume position,
 * the same in a task and in a coroutine object (checked by async_task). */
#define ASYNC__WHERE_OFFSET offsetof(async_coro, where)
#define ASYNC__WHERE(ctx) (*(const async_where **)(void *)((char *)(ctx) + ASYNC__WHERE_OFFSET))
#endif

#if ASYNC_CONFIG_DIRECT_RESUME
ASYNC__COLD_API void async__leaf_done(async_ctx *ctx, void *frame, async_status st);
ASYNC__NOINLINE_API async_status async__task_leaf_done(struct async_task *t, async_status s);
ASYNC__NOINLINE_API async_status async__coro_leaf_done(struct async_coro *co, async_status s);
/* Internal: a task step's call of its coroutine: s = the status. The task's
 * leaf record is what a step calls: its root coroutine, or the innermost
 * coroutine of the chain under it that passed its suspension up through
 * ASYNC_AWAIT_CO sites alone (recorded by the site in the frame the step
 * called, so a coroutine written by hand that was called stays the one
 * called). A leaf that finished is marked done and the root runs to its
 * parent, whose ASYNC_AWAIT_CO takes the result (async__task_leaf_done, out
 * of line): ASYNC__TASK_LEAF_ENDED, tested where the step finds the call
 * finished (the finishing path only), says so. */
#define ASYNC__TASK_RUN(s, t) ((s) = (t)->leaf.fn(&(t)->fut.c, (t)->leaf.frame))
#define ASYNC__TASK_LEAF_ENDED(t) ((t)->leaf.frame != (t)->frame)
#else
#define ASYNC__TASK_RUN(s, t) ((s) = (t)->h.fn(&(t)->fut.c, (t)->frame))
#endif

/* async_coro_init(&co, fn, &frame); — make a coroutine object (Python: `co = main()`).
 * Resets the frame header; runs nothing. */
ASYNC_API void async_coro_init(async_coro *co, async_fn fn, void *frame);

/* ASYNC_CORO_INIT(&co, fn, &frame); — async_coro_init, with the frame's type
 * checked against fn's at compile time (fn: a name from ASYNC_FN/ASYNC_DECLARE).
 *   ASYNC_CORO_INIT(&co, countdown, &f);
 * ASYNC_TASK_CREATE(loop, &task, fn, &frame, "name") — async_task_create
 * (section 7), checked the same way; returns what async_task_create returns.
 *   ASYNC_TASK_CREATE(&loop, &t, countdown, &f, "countdown");
 * Hazard: the plain functions take a void *frame and cannot check it. */
#define ASYNC_CORO_INIT(co, fn, frame) (ASYNC__FRAME_CHECK(fn, frame), async_coro_init((co), (fn), (frame)))
#define ASYNC_TASK_CREATE(loop, task, fn, frame, name)                          \
    (ASYNC__FRAME_CHECK(fn, frame), async_task_create((loop), (task), (fn), (frame), (name)))

/* The checks come before anything is written to co->ctx: a re-entrant send
 * must not clobber the value or error of the coroutine that is executing. */
ASYNC_API async_status async__resume(async_coro *co, const async_value *v, int err);
ASYNC__COLD_API int async__resume_check(async_coro *co);

/* async_send(&co, v) — start or resume a coroutine with value v (Python
 * coroutine.send). Returns ASYNC_YIELDED (co.ctx.value is the yielded value),
 * ASYNC_AWAITING (it awaits the pending future co.ctx.value.p; v is ignored on
 * the next send, which should come once that future is done), ASYNC_DONE
 * (co.ctx.value is the return value: StopIteration.value) or ASYNC_FAILED
 * (co.ctx.err). Sending to a finished coroutine is misuse.
 *   if (async_send(&co, async_none()) == ASYNC_YIELDED) printf("%ld\n", (long)co.ctx.value.i); */
ASYNC__INLINE async_status async_send(async_coro *co, async_value v) { return async__resume(co, &v, 0); }

/* async_throw(&co, err) — raise err at the coroutine's suspension point
 * (Python coroutine.throw). A coroutine that has not started ends at once.
 * At an await the error is raised even if the awaited future has completed
 * meanwhile (a coroutine written by hand: ctx->value.p then no longer points
 * to that future; test ctx->err first).
 * err 0 or outside ASYNC_ERR_MIN..ASYNC_ERR_MAX is misuse: ASYNC_EMISUSE is thrown.
 *   if (async_throw(&co, ASYNC_ECANCELLED) == ASYNC_FAILED) ...  // not caught */
ASYNC__INLINE async_status async_throw(async_coro *co, int err) {
    return async__resume(co, NULL, async__err(err));
}

/* ======================================================================
 * 7. Futures
 * ====================================================================== */

/* A ready-queue entry: something the loop calls. Tasks and callbacks embed one. */
typedef void (*async_handle_fn)(async_handle *h);
struct async_handle {
    async_handle *next; /* ready queue (NULL-terminated) or a waiter list (circular) */
    /* A task's root coroutine, which the loop steps: the task needs no slot
     * of its own for it. NULL: the handle is an async_callback's, which says
     * in cb->run what the loop calls (NULL is the one function pointer value
     * that is the same in every translation unit). */
    async_fn fn;
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
    async_handle h;        /* queue link; h.fn is NULL (not a task) */
    async_handle_fn run;   /* what the loop calls while it is linked; NULL once it ran or was removed */
    async_handle *prev;    /* the handle before it (NULL: first, or not known) */
    async_future *fut;     /* the future it watches (NULL for call_soon) */
    async_callback_fn fn;  /* called from the loop */
    void *arg;             /* its argument */
};

/* async_future_init(&fut, loop); — a pending future bound to a loop. */
ASYNC_API void async_future_init(async_future *f, async_loop *loop);

ASYNC__INLINE int async_future_done(const async_future *f) { return ASYNC__FINISHED(f->c.state); }
ASYNC__INLINE int async_future_cancelled(const async_future *f) { return f->c.state == ASYNC__CANCELLED; }
ASYNC__COLD_API void async__retrieved(async_future *f);
/* The error of a done future (ASYNC_ECANCELLED if cancelled; ASYNC_EINVALSTATE if pending). */
ASYNC_API int async_future_error(async_future *f);
/* Internal: async_future_error for the combinators' done callbacks. What they
 * watch had them as waiters when it finished, so nothing needs telling, and
 * their hot path keeps no call. */
ASYNC_API int async__future_err(async_future *f);
/* The result of a done future (meaningful when async_future_error() is 0). */
ASYNC__INLINE async_value async_future_result(const async_future *f) { return f->c.value; }

ASYNC_API void async__ready_push(async_loop *loop, async_handle *h);
ASYNC_API void async__ready_splice(async_loop *loop, async_handle *tail);

/* A future completed: its waiters go to the ready queue; the one
 * run_until_complete waits for also ends the short iterations. _plain: for
 * a future known not to be that one (not ASYNC__F_UNTIL). */
ASYNC_API void async__future_wake(async_future *f);
ASYNC_API void async__future_wake_plain(async_future *f);

ASYNC_API int async__future_check(const async_future *f);

/* async_future_set_result(&fut, v) — complete with a result; waiters run from
 * the loop, never inside this call. Returns ASYNC_EINVALSTATE if already done. */
/* Complete a future the library knows is a pending plain future, which no
 * run_until_complete waits for (the library's own wait operations'). */
ASYNC_API void async__future_resolve(async_future *f, async_value v);
ASYNC_API int async_future_set_result(async_future *f, async_value v);

/* async_future_set_error(&fut, err) — complete with an error (nonzero, within
 * ASYNC_ERR_MIN..ASYNC_ERR_MAX). Any other err is misuse: the future still
 * completes, with ASYNC_EMISUSE (its waiters must not hang), and the call
 * returns ASYNC_EMISUSE.
 *   async_future_set_error(&self->reply, ETIMEDOUT); */
ASYNC_API int async_future_set_error(async_future *f, int err);

ASYNC_API int async__task_cancel_fut(async_future *f, const char *msg);
ASYNC_API void async__timer_disarm(async_timer *t);

/* An operation: a future tied to something outside the core that completes it
 * (an fd watcher, a worker-pool job, a child process). Cancelling the future
 * calls the operation's hook synchronously, before anything else can run, so
 * that when an await returns because of cancellation the operation is already
 * unregistered and the caller may free its buffers at once. This is the one
 * way the runtime (src/) ties every operation to its future.
 * The hook returns ASYNC_OP_CANCELLED (0): the core then marks the future
 * cancelled and wakes its waiters; or ASYNC_OP_REQUESTED / ASYNC_OP_REFUSED:
 * the operation took the request over (asyncio's gather cancels its children
 * and completes later) and the future stays pending; async_future_cancel
 * returns 1 for REQUESTED, 0 for REFUSED.
 *   static int read_cancel(async_op *op) { stop_watching(owner_of(op)); return ASYNC_OP_CANCELLED; }
 *   async_op_init(&s->rd, loop, read_cancel);   return &s->rd.fut;
 * Hazards: the hook runs inside async_future_cancel (from a task cancel, a
 * timeout, a shutdown) while the future is still pending: it must not complete
 * or free the future; it may free what the operation owns. async_future_init
 * on op->fut drops the tie. */
typedef struct async_op async_op;
typedef int (*async_op_cancel_fn)(async_op *op);
#define ASYNC_OP_CANCELLED 0
#define ASYNC_OP_REQUESTED 1
#define ASYNC_OP_REFUSED (-1)
struct async_op {
    async_future fut;          /* first: an operation is a future */
    async_op_cancel_fn cancel; /* called when fut is cancelled while pending */
};

/* async_op_init(&op, loop, hook); — a pending operation future bound to loop;
 * hook (not NULL) runs if it is cancelled before the operation completes it. */
ASYNC_API void async_op_init(async_op *op, async_loop *loop, async_op_cancel_fn cancel);

/* Out of line from async_future_cancel's point of view: the cast is only
 * reached for futures that async_op_init made. */
ASYNC_API int async__op_cancelled(async_future *f);

/* async_future_cancel(&fut) — cancel a pending future: 1 if it is now cancelled
 * (or, for a task, cancellation was requested), 0 if it was already done. */
ASYNC_API int async_future_cancel(async_future *f);

/* async_future_cancel_msg(&fut, "why") — cancel with a message (Future.cancel(msg));
 * async_future_cancel_message(&fut) — that message once fut is cancelled, else
 * NULL. A plain future keeps it in its (unused) result slot, so no future pays
 * for the feature; a task keeps it in the task. Not copied: pass a literal.
 *   async_future_cancel_msg(&self->reply, "peer gone");
 *   if (async_future_cancelled(&f)) puts(async_future_cancel_message(&f)); */
ASYNC_API int async_future_cancel_msg(async_future *f, const char *msg);
ASYNC_API const char *async_future_cancel_message(const async_future *f);
ASYNC__COLD_API const char *async__task_msg(const async_future *f);

ASYNC_API void async__waiter_add(async_future *f, async_handle *h);

/* Callbacks (not tasks: they never leave the ready queue early, and stay
 * small) keep a link to the handle before them, so that a callback leaves
 * the ready queue in O(1); it is valid unless the callback is the queue's
 * head. */
ASYNC__INLINE void async__set_prev(async_handle *h, async_handle *prev) {
    if (!h->fn) ((async_callback *)(void *)h)->prev = prev;
}

ASYNC_API int async__waiter_remove(async_future *f, async_handle *h);

ASYNC_API void async__ready_unlink(async_loop *loop, async_callback *cb);
ASYNC_API void async__ready_push_cb(async_loop *loop, async_callback *cb);

/* A callback's run while it is linked; NULL once it ran or was removed. */
ASYNC_API void async__callback_run(async_handle *h);
ASYNC__INLINE void async__callback_nop(async_handle *h) { ((async_callback *)(void *)h)->run = NULL; } /* cancelled while queued */

/* async_future_add_done_callback(&fut, &cb, fn, arg); — call fn(fut, arg) from the
 * loop once fut is done (at once, via the loop, if it already is). cb is caller
 * memory that must stay valid until the call (or its removal).
 * Hazard: cb must not still be registered or queued: remove it first. */
ASYNC_API void async_future_add_done_callback(async_future *f, async_callback *cb, async_callback_fn fn,
                                              void *arg);

/* async_future_remove_done_callback(&fut, &cb) — 1 if cb was still to be
 * called (registered, or fut is done and the call is queued in the loop) and
 * now never will be; 0 if it already ran or was removed. Leaving the ready
 * queue is O(1); leaving a pending future's list, linear in its waiters.
 * Afterwards cb may be reused or freed at once.
 * Hazard: cb must have been added (to some future) before.
 *   if (async_future_remove_done_callback(&t.fut, &cb)) async_timer_cancel(&t); */
ASYNC_API int async_future_remove_done_callback(async_future *f, async_callback *cb);

/* ======================================================================
 * 8. Tasks
 * ====================================================================== */

#if ASYNC_CONFIG_TASK_INFO
/* Internal: a link of the loop's list of live tasks. The list is circular
 * through a sentinel link in the loop, so that linking a task at creation and
 * unlinking it when it finishes touch only the task and its two neighbours
 * (the loop's sentinel at either end), with no test of either end
 * (async__live_first/next walk it). The neighbours are the live tasks created
 * just before and just after it: in a batch, the tasks touched before and
 * next anyway. The unlink is not deferred: the caller may free or reuse a
 * task's memory the moment it is done, so a done task must not stay where a
 * walk would reach it. */
typedef struct async__live {
    struct async__live *next; /* newer to older: the newest task follows the sentinel */
    struct async__live *prev;
} async__live;
#endif

/* A task: a future that drives a coroutine on a loop. Await it with
 * ASYNC_AWAIT(&task.fut). All its memory is the caller's. */
struct async_task {
    async_future fut; /* result, error, state; first, so a task is a future */
#if ASYNC_CONFIG_TASK_INFO
    /* where it is suspended (NULL: not started): right after the future,
     * which is a context and two pointers, like async_coro's ctx, fn, frame,
     * so that it sits at async_coro.where's offset (ASYNC__WHERE_OFFSET) */
    const async_where *where;
#endif
    async_handle h;   /* its turn in the ready queue / a waiter list; h.fn: its root coroutine */
    void *frame;      /* the root coroutine's frame */
#if ASYNC__CANCELS_IN_TASK
    uint8_t cancels; /* see async_frame.cancels */
#endif
#if ASYNC_CONFIG_TASK_INFO
    const char *cancel_msg;    /* the latest cancel request's message (diagnostics, like the name) */
    const char *name;          /* for the dump */
    async__live live;          /* the loop's list of live tasks (stale once the task is done) */
#endif
#if ASYNC_CONFIG_DIRECT_RESUME
    async__leaf leaf; /* what a step calls: the root coroutine, or the innermost suspended one under it (ASYNC_CONFIG_DIRECT_RESUME) */
#endif
};

/* The layout. With P a pointer's size (8 B on x86-64, 4 on Cortex-M and
 * RV32, 2 on AVR) and V async_value's (8 on hosts, 4 freestanding on 32-bit,
 * 2 on AVR; 8 anywhere with ASYNC_CONFIG_FLOAT=1):
 *   async_ctx     V + state, flags, err (4 B), padded to V's alignment
 *   async_future  ctx + loop + waiters (2P)
 *   async_handle  next + fn (2P): a task's root coroutine, or NULL for a callback
 *   async_task    future + handle + frame (P); with task info also where,
 *                 cancel_msg, name, the live list's link (5P); on AVR also
 *                 the cancel count (1 B; elsewhere it fills the padding of
 *                 the root frame's header); with ASYNC_CONFIG_DIRECT_RESUME
 *                 (hosts) also the leaf record (2P)
 *   async_coro    ctx + fn + frame (2P); where (P) with task info, the leaf
 *                 record (2P) with direct resume
 * A parked task costs the task plus its root frame (at least the header).
 * In bytes (sizeof; lean = ASYNC_CONFIG_TASK_INFO=0 ASYNC_CONFIG_FLOAT=0,
 * frame = the header; the check embedded-footprint compares these lines with
 * the build on each target, `make embedded-readme` rewrites them;
 * embedded/README.md adds RV32 and the loop, bench/park the bytes per parked
 * task measured on the host):
 * layout:begin
 *   target      config    ctx future handle task timer callback coro frame
 *   ATmega328P  default     6     10      4   27    24       14   12     5
 *   ATmega328P  lean        6     10      4   17    24       14   10     5
 *   Cortex-M3   default     8     16      8   48    36       28   20     6
 *   Cortex-M3   lean        8     16      8   28    36       28   16     6
 *   x86-64      default    16     32     16  112    72       56   72     8
 *   x86-64      lean       16     32     16   72    72       56   64     8
 * layout:end
 * The frame pointer stays although a frame that follows its task would not
 * need one: async_task_create takes the frame anywhere, and TaskGroup's
 * children and the runtime's own tasks keep theirs elsewhere. A build-wide
 * "frame follows the task" mode would have to refuse them; a per-task one,
 * test which kind each step resumes. */

#if ASYNC_CONFIG_TASK_INFO
/* ASYNC__NOTE_WHERE stores through ASYNC__WHERE_OFFSET into either struct. */
typedef char async__where_offset_check[offsetof(async_task, where) == ASYNC__WHERE_OFFSET ? 1 : -1];
#endif

/* Handlers the loop calls; also the hook for the control-flow trace. */
typedef enum async_trace_event {
    ASYNC_TRACE_STEP_BEGIN, /* the loop is about to resume a task */
    ASYNC_TRACE_STEP_END,   /* the task's step returned to the loop */
    ASYNC_TRACE_ITERATION,  /* the loop starts an iteration */
    /* Only with ASYNC_CONFIG_TRACE; async_trace_coro() / async_trace_future() say which: */
    ASYNC_TRACE_CORO_BEGIN,    /* a coroutine body starts from the top (not a resume) */
    ASYNC_TRACE_AWAIT_SUSPEND, /* an await found its future pending: the task suspends */
    ASYNC_TRACE_AWAIT_RESUME,  /* that await resumes: its future is done */
    /* Always: async_future_error read a failed task's error; t is that task
     * (an await that raises it leaves loop->retrieved instead). */
    ASYNC_TRACE_RETRIEVED
} async_trace_event;
/* The loop's exception handler: err and a message saying where it came from
 * (asyncio's context["message"]); async_current_task(loop) tells the task, if any. */
typedef void (*async_exception_fn)(async_loop *loop, int err, const char *message, void *ud);

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
    async_handle *ready_head; /* FIFO of handles to run (NULL: none) */
    /* where the next one is linked: the last one's next, or &ready_head if
     * none (a push and a waiter list's splice then test nothing) */
    async_handle **ready_link;
    async_handle *batch_end;  /* last handle of the batch being run, or NULL */
    async_timer *timers;      /* pairing heap, earliest first; NULL: no timer armed */
    async_time now;           /* time at the start of this iteration */
    uint32_t timer_seq;       /* FIFO order among equal deadlines */
    async_now_fn now_fn;      /* backend: clock */
    async_wait_fn wait_fn;    /* backend: block */
    void *backend;            /* backend data */
    async_task *current;      /* task being stepped, or NULL */
    uint8_t running;          /* inside run_* */
    uint8_t stopping;         /* stop() called */
    uint8_t closed;           /* async_loop_close() called */
    uint8_t in_handler;       /* the exception handler is running */
    /* The handles the short iterations may still run: each full iteration
     * sets it to the budget before its wait, a poll request
     * (async_loop_want_poll, stop, a yield, set_trace, a timer armed due, an
     * ISR) zeroes it, each short batch counts it down (one decrement and
     * sign test: a negative count ends them). Two stores can undo an ISR's
     * zero: the budget's, before the wait, which drains the ISR hub after
     * it; and the count-down's (a load and a store, on every CPU), which
     * leaves at most the budget's rest. No ISR event waits longer than a
     * budget. */
    volatile int16_t poll_left;
    uint16_t budget;          /* handles between full iterations (async_loop_set_budget) */
#if ASYNC__STEP_TRACED_COPY
    async_future *until;      /* the task future run_until_complete waits for, or NULL */
#endif
    async_time vnow;          /* virtual clock's time (virtual backend) */
    async_trace_fn trace;     /* optional control-flow hook */
    void *trace_ud;
    async_exception_fn exc_fn; /* async_loop_set_exception_handler; NULL: the default */
    void *exc_ud;
    /* The failed task whose error an await last raised, for a trace hook to
     * read at its next event (debug mode): an await cannot call out without
     * slowing every coroutine, so it only leaves this note, which the next
     * such await overwrites. Identity only. */
    async_future *retrieved;
#if ASYNC_CONFIG_DIRECT_RESUME
    /* The innermost child the sites of the running task's step saw suspend:
     * it becomes the task's leaf when the site in the frame the step called
     * takes it (async__co_up). Here, not in the task: one step at a time. */
    async__leaf leaf_seen;
#endif
#if ASYNC_CONFIG_TASK_INFO
    async__live live;         /* sentinel of the list of every task not yet done */
#endif
#if ASYNC_CONFIG_TRACE
    const char *trace_coro;     /* coroutine events: the body's C function name */
    async_future *trace_future; /* await events: the awaited future */
#endif
#if ASYNC_CONFIG_TIMER_WHEEL
    /* The timers later than the heap's, section 9 (ASYNC_CONFIG_TIMER_WHEEL). */
    async_time wheel_time;    /* start of the level-0 slot the heap stands for */
    unsigned long wheel_count; /* timers in the wheel */
    uint64_t wheel_used[ASYNC_CONFIG_TIMER_WHEEL]; /* bit i: slot i of a level holds timers */
    async_timer *wheel[ASYNC_CONFIG_TIMER_WHEEL][64]; /* rings of timers (sibling, prev) */
#endif
};

#if ASYNC_CONFIG_TASK_INFO
/* Internal: the loop's live tasks, newest first (the dump, cancel_all, the
 * runtime's debug reports): async__live_first, then async__live_next until
 * NULL. The list must not change under the walk (a cancel request does not
 * change it; a step that finishes a task does).
 *   for (t = async__live_first(loop); t; t = async__live_next(loop, t)) ... */
ASYNC__INLINE async_task *async__live_task(const async_loop *loop, const async__live *l) {
    return l == &loop->live ? NULL : (async_task *)(void *)((char *)(uintptr_t)l - offsetof(async_task, live));
}
ASYNC__INLINE async_task *async__live_first(const async_loop *loop) { return async__live_task(loop, loop->live.next); }
ASYNC__INLINE async_task *async__live_next(const async_loop *loop, const async_task *t) {
    return async__live_task(loop, t->live.next);
}
#endif

/* Out of line: async_future_error is inlined into coroutines, and a call on
 * their path would make every one of them save registers. */
ASYNC__COLD_API void async__retrieved(async_future *f);

#if ASYNC_CONFIG_TRACE
ASYNC_API void async__trace_co(async_ctx *ctx, int ev, const char *fn);
/* Inside a trace hook, for the coroutine events: the C function of the body
 * that reported it (for ASYNC_FN(name, ...) that is "name_async_body"), and
 * for await events the future awaited (a task's: (async_task *)fut).
 *   if (ev == ASYNC_TRACE_AWAIT_SUSPEND) log("waits on %p", (void *)async_trace_future(loop)); */
ASYNC__INLINE const char *async_trace_coro(const async_loop *loop) { return loop->trace_coro; }
ASYNC__INLINE async_future *async_trace_future(const async_loop *loop) { return loop->trace_future; }
#endif

/* async_task_init(&task); — an idle task: not running, never created. Do this
 * (or zero the memory: `static async_task t;`, memset, a zeroed frame) once
 * before the first async_task_create, which looks at the task to refuse
 * re-creating one that is still running.
 *   async_task t; async_task_init(&t);
 *   async_task_create(&loop, &t, worker, &wf, "worker"); */
ASYNC_API void async_task_init(async_task *t);

/* async_task_create(loop, &task, fn, &frame, "name") — wrap a coroutine in a
 * task; it first runs on a later loop iteration, never inside this call.
 * Returns 0, or ASYNC_EBUSY if that task is still running, ASYNC_EINVAL if fn
 * is NULL (misuse both).
 * Hazard: the task must be idle memory: zeroed, async_task_init'ed, or a task
 * that has finished; uninitialised memory may read as a running task.
 *   async_task_init(&t);
 *   async_task_create(&loop, &t, worker, &wf, "worker"); */
ASYNC_API int async_task_create(async_loop *loop, async_task *t, async_fn fn, void *frame, const char *name);

/* async_task_cancel(&task) — request cancellation (asyncio Task.cancel): an
 * ASYNC_ECANCELLED error is raised at the task's current await point (a task not
 * yet started never runs its body). The future it awaits is cancelled too.
 * Returns 1 if requested, 0 if the task is already done. */
/* Works on the task's future only: async_future_cancel calls it on a plain
 * async_future *, and a cast to async_task * there makes GCC 12 -O2 report
 * -Warray-bounds (the task is larger than a local future) in user code. */
ASYNC__COLD_API void async__task_note_cancel(async_future *f, const char *msg);
ASYNC_API int async__task_cancel_fut(async_future *f, const char *msg);
ASYNC__INLINE int async_task_cancel(async_task *t) { return async__task_cancel_fut(&t->fut, NULL); }

/* async_task_cancel_msg(&task, "why") — async_task_cancel with a message
 * (Task.cancel(msg)): the code that catches the cancellation reads it with
 * ASYNC_CANCEL_MESSAGE, and once the task has ended cancelled,
 * async_future_cancel_message(&task.fut) returns it. The string is not
 * copied: it must outlive those reads (a literal). Each request counts
 * (async_task_cancelling); the latest message wins. A task keeps the message
 * with its debug information (ASYNC_CONFIG_TASK_INFO; without it a task's
 * message reads NULL, a plain future's still works).
 *   async_task_cancel_msg(&self->worker, "shutting down"); */
ASYNC__INLINE int async_task_cancel_msg(async_task *t, const char *msg) { return async__task_cancel_fut(&t->fut, msg); }

/* async_task_cancelling(&task) — how many cancel requests are pending
 * (Task.cancelling()): each cancel adds one, async_task_uncancel takes one
 * back. Timeout blocks and TaskGroup use it to tell their own cancellation
 * from one that came from outside.
 *   if (async_task_cancelling(ASYNC_TASK) == 0) ... // nobody else wants us gone
 * async_task_uncancel(&task) — withdraw one request (Task.uncancel()),
 * returns the count left; at 0 a cancellation not yet delivered is dropped.
 * Hazard: only the code that requested a cancellation should withdraw it. */
ASYNC_API unsigned async_task_cancelling(const async_task *t);
ASYNC_API unsigned async_task_uncancel(async_task *t);
ASYNC__INLINE uint8_t *async__task_cancels(async_task *t) {
#if ASYNC__CANCELS_IN_TASK
    return &t->cancels;
#else
    return &((async_frame *)t->frame)->cancels;
#endif
}
/* (The count lives in the padding byte of the task's root frame header, so a
 * task is no bigger for it, except on 8-bit AVR; a finished task reports 0.) */

/* ASYNC_CANCEL_MESSAGE — inside a task's body, the message of the latest
 * cancellation (NULL if none came with one), e.g. in an
 * ASYNC_EXCEPT(ASYNC_ECANCELLED) handler. For a future cancelled with a
 * message that the task awaited, that future's message. A task keeps its
 * message with its debug info: with ASYNC_CONFIG_TASK_INFO=0 this is NULL
 * (a plain future's own message, async_future_cancel_message, stays).
 *   } ASYNC_EXCEPT(ASYNC_ECANCELLED) { log("stopping: %s", ASYNC_CANCEL_MESSAGE); ASYNC_RERAISE(); } */
ASYNC_API const char *async_task_cancel_message(const async_task *t);
#define ASYNC_CANCEL_MESSAGE async_task_cancel_message(ASYNC_TASK)

/* The task a coroutine runs in, and its loop (NULL for a bare coroutine driven
 * by async_send). Inside a body: ASYNC_TASK and ASYNC_LOOP.
 *   async_task_create(ASYNC_LOOP, &self->child, worker, &self->wf, "child"); */
ASYNC__INLINE async_task *async_ctx_task(async_ctx *ctx) {
    return (ctx->flags & ASYNC__F_TASK) ? (async_task *)(void *)ctx : NULL;
}
ASYNC__INLINE async_loop *async_ctx_loop(async_ctx *ctx) {
    return (ctx->flags & ASYNC__F_TASK) ? ((async_task *)(void *)ctx)->fut.loop : NULL;
}
#define ASYNC_TASK async_ctx_task(async_ctx_)
#define ASYNC_LOOP async_ctx_loop(async_ctx_)

/* Python Task.get_name(). */
ASYNC_API const char *async_task_name(const async_task *t);

/* async_task_where(t, buf, size) — where the task is suspended, formatted
 * into buf: "file.c:42", "not started" or "finished"; truncated to fit and
 * always terminated (size > 0); returns buf. ASYNC_WHERE_SIZE is a size that
 * fits any sane path. Formatting costs a copy: to compare positions cheaply,
 * use async_task_where_line (and _file, which on AVR is a flash address).
 *   char where[ASYNC_WHERE_SIZE];
 *   printf("%s\n", async_task_where(&t, where, sizeof where)); */
#define ASYNC_WHERE_SIZE 128
ASYNC_API char *async_task_where(const async_task *t, char *buf, size_t size);

/* async_task_where_line(t) — the line it is suspended at; 0 if it has not
 * started or is done. async_task_where_file(t) — that line's file (NULL then;
 * on AVR an address in program memory: read it with pgm_read_byte). */
ASYNC_API unsigned async_task_where_line(const async_task *t);
ASYNC_API const char *async_task_where_file(const async_task *t);
/* The future a parked task waits on, or NULL (ready, running or done). */
ASYNC_API async_future *async_task_waiting_on(const async_task *t);

ASYNC_API void async__task_finish(async_task *t, async_status s);

/* One step of a task: Task.__step of asyncio; the loop calls the traced one
 * while a trace hook is installed. */
ASYNC_API void async__task_step(async_loop *loop, async_handle *h);
#if ASYNC__STEP_TRACED_COPY
ASYNC__COLD_API void async__task_step_traced(async_loop *loop, async_handle *h);
#else
#define async__task_step_traced async__task_step /* one copy: it tests the hook itself */
#endif
ASYNC__COLD_API void async__task_self_await(async_task *t);
ASYNC__COLD_API void async__task_cancel_parked(async_task *t, async_future *w);
ASYNC__COLD_API void async__task_cancel_deliver(async_task *t);
#if ASYNC__STEP_TRACED_COPY
ASYNC__COLD_API void async__task_park_slow(async_task *t, async_future *w);
#endif

/* Internal, for ASYNC_AWAIT. Returns 1 if the caller must suspend. */
ASYNC__COLD_API void async__await_null(async_ctx *ctx);
/* A future that is not pending goes on to async__await_end, whose slow path
 * tells done from never initialised (and reports that there, once). */
ASYNC__INLINE int async__await_begin(async_ctx *ctx, async_future *f) {
    ctx->value.p = f;
    if (ASYNC__UNLIKELY(!f)) {
        async__await_null(ctx); /* reported once: await_end raises it */
        return 0;
    }
    return f->c.state == ASYNC__PENDING;
}

/* The common case first, in one test: nothing thrown in, the future done
 * without an error; then errors, cancellation and misuse. */
ASYNC_API int async__await_end(async_ctx *ctx);
ASYNC_API int async__await_slow(async_ctx *ctx);

/* Internal: what a resume with an error thrown in (async_throw, a task's
 * cancellation) does to the awaited future's slot, so that async__await_done
 * need not test ctx->err: the slot then holds the context itself, which is
 * pending while it runs (a task's future, an async_coro's context: only its
 * state byte is read, at the same offset), so the fast test fails and the
 * slow path finds the error. (With ASYNC_CONFIG_TRACE the slot keeps the
 * future, for the AWAIT_RESUME event's async_trace_future, and the await
 * tests ctx->err; a coroutine written by hand must not count on either: see
 * async_fn.) */
#if ASYNC_CONFIG_TRACE
#define ASYNC__THROWN_AWAIT(ctx) ((void)0)
#else
#define ASYNC__THROWN_AWAIT(ctx) ((ctx)->value.p = (void *)(ctx))
#endif

/* Internal: the end of ASYNC_AWAIT and ASYNC_AWAIT_CATCH, where the future
 * is done unless a throw or misuse resumed it (see ASYNC__THROWN_AWAIT): one
 * test of the future's state and error, with no test of ctx->err. */
ASYNC__INLINE int async__await_done(async_ctx *ctx) {
#if ASYNC_CONFIG_TRACE
    return async__await_end(ctx);
#else
    async_future *f = (async_future *)ctx->value.p;
    if (ASYNC__LIKELY(f->c.state == ASYNC__DONE)) { /* (a failed one is FAILED) */
        ctx->value = f->c.value;
        return 0;
    }
    return async__await_slow(ctx);
#endif
}
ASYNC__COLD_API void async__task_cancelled_by(async_ctx *ctx, const async_future *f);

/* ======================================================================
 * 9. Timers and the loop
 * ====================================================================== */

/* A timer: a future that the loop completes (result none) at its deadline.
 * Await it, or add done callbacks. Caller memory; cancel it before reusing it.
 *
 * When timers fire: at the first loop iteration whose time (loop->now, read
 * once per iteration) is not before the deadline, never earlier; all timers
 * that fire in one iteration are completed in deadline order, equal deadlines
 * in the order they were armed (FIFO); deadlines compare modulo wrap-around
 * (async_time_before), so they hold within ASYNC_MAX_DELAY of the loop's time.
 * Where they wait: loop->timers is a pairing heap, earliest first. With
 * ASYNC_CONFIG_TIMER_WHEEL levels (hosts), the heap holds only the timers of
 * the earliest occupied level-0 slot of a hierarchical timing wheel (about a
 * millisecond of deadlines) and the timers armed before it; every later timer
 * sits unordered in a wheel slot (O(1) arm and cancel), and moves down a level
 * or into the heap when its slot comes round. The heap is never empty while
 * the wheel holds a timer, so its root is always the earliest timer. */
struct async_timer {
    async_future fut;      /* completed at the deadline; first member */
    async_timer *child;    /* pairing heap links; in a wheel slot: the timer itself */
    async_timer *sibling;  /* in a wheel slot: the next in its ring */
    async_timer *prev;     /* parent (if first child) or left sibling; in a wheel slot: the previous */
    async_time deadline;   /* in backend ticks */
    uint32_t seq;          /* insertion order, for FIFO among equal deadlines */
#if ASYNC_CONFIG_TIMER_WHEEL
    uint8_t level;         /* in a wheel slot: its level (in the padding on 64-bit hosts) */
#endif
};

/* The longest delay in ticks: half the clock's range, since deadlines compare
 * modulo wrap-around (a later one would read as past). */
#define ASYNC_MAX_DELAY ((async_time)((async_time)~(async_time)0 >> 1))

/* async_time_before(a, b) — 1 if tick a comes before tick b, compared modulo
 * wrap-around (valid while they are less than half the clock's range apart):
 * what a backend's wait function uses to tell whether a deadline is due.
 *   if (!async_time_before(board_now(), *deadline)) return 0;   // due: do not sleep */
ASYNC__INLINE int async_time_before(async_time a, async_time b) { return (ASYNC_STIME_T)(a - b) < 0; }

ASYNC_API int async__timer_less(const async_timer *a, const async_timer *b);

ASYNC_API async_timer *async__heap_meld(async_timer *a, async_timer *b);

/* Two-pass pairing, iterative: no recursion however many timers. */
ASYNC_API async_timer *async__heap_merge_pairs(async_timer *first);

ASYNC_API void async__timer_disarm(async_timer *t);

/* 1 if a timer is armed, *deadline the earliest one's (the backend waits for it). */
ASYNC_API int async__timer_next(const async_loop *loop, async_time *deadline);

/* Complete every timer due at loop->now, in (deadline, arming) order. */
ASYNC_API void async__timers_expire(async_loop *loop);

#if ASYNC_CONFIG_TIMER_WHEEL
/* async__timers_expire's work, once a timer is due: out of line, as the wheel's
 * cases inlined into run_once cost every iteration registers, timers or not. */
ASYNC__NOINLINE_API void async__timers_fire(async_loop *loop);

/* Arm t (deadline and seq set): into the heap, or a wheel slot if later. */
ASYNC_API void async__timer_insert(async_loop *loop, async_timer *t);

/* The levels the clock has room for: a level's slot numbers must wrap with the
 * clock, and a whole level span must stay within half its range. */
#define ASYNC__WHEEL_ROOM (((int)sizeof(async_time) * 8 - 1 - ASYNC_CONFIG_TIMER_SHIFT) / 6)
#define ASYNC__WHEEL_LEVELS                                                     \
    (ASYNC__WHEEL_ROOM < ASYNC_CONFIG_TIMER_WHEEL ? (ASYNC__WHEEL_ROOM > 0 ? ASYNC__WHEEL_ROOM : 0) \
                                                  : ASYNC_CONFIG_TIMER_WHEEL)
#define ASYNC__WHEEL_SHIFT(l) (ASYNC_CONFIG_TIMER_SHIFT + 6 * (l))

ASYNC_API unsigned async__ctz64(uint64_t x);

/* Put t in the heap if it is due before the end of the wheel's current slot,
 * else in the slot of the lowest level that reaches it (the top one if none:
 * it is looked at again, early, when that slot comes round). */
ASYNC_API void async__wheel_place(async_loop *loop, async_timer *t);

ASYNC_API void async__wheel_unlink(async_loop *loop, async_timer *t);

/* Empty slot i of level l and place its timers again, from the wheel's new time. */
ASYNC_API void async__wheel_cascade(async_loop *loop, unsigned l, unsigned i);

/* The heap is empty: move the wheel on to its next occupied slot(s), down the
 * levels, until some timers reach the heap. */
ASYNC_API void async__wheel_pull(async_loop *loop);

/* Only the top level holds timers, and its slots came round twice with
 * nothing for the levels below: move the wheel on to the earliest timer's top
 * slot at once (a virtual clock would otherwise walk a span at a time). */
ASYNC__COLD_API void async__wheel_leap(async_loop *loop);

/* A timer is armed before the slot the wheel has moved on to: bring the wheel
 * back to the loop's time and the heap's timers back into it. */
ASYNC__COLD_API void async__wheel_rewind(async_loop *loop);

ASYNC_API int async__wheel_holds(const async_loop *loop, const async_timer *t);
#endif

/* async_timer_init(&t, loop); — an idle timer. */
ASYNC_API void async_timer_init(async_timer *t, async_loop *loop);

/* async_timer_start_at(&t, when) — (re)arm the timer for an absolute time in
 * loop ticks; its future becomes pending. ASYNC_EBUSY if it is still armed. */
ASYNC_API int async_timer_start_at(async_timer *t, async_time when);

/* async_timer_start(&t, delay) — arm the timer `delay` ticks after the time of
 * the current loop iteration (libev's ev_now semantics). */
ASYNC_API int async_timer_start(async_timer *t, async_time delay);

/* async_timer_cancel(&t) — disarm; its future becomes cancelled (1) or was done (0). */
ASYNC__INLINE int async_timer_cancel(async_timer *t) { return async_future_cancel(&t->fut); }


/* async_seconds(1.5), async_ms(1500) — a delay in ticks, rounded to the nearest
 * tick (seconds) or truncated (ms); longer delays saturate at ASYNC_MAX_DELAY
 * instead of wrapping, and a negative or NaN number of seconds is 0.
 *   ASYNC_SLEEP_TICKS(&self->t, async_ms(4294968));   // 72 minutes, even on 32 bits
 * Hazard: on a 16-bit 1 kHz clock ASYNC_MAX_DELAY is about half a minute:
 * longer waits must loop. */
#if ASYNC_CONFIG_FLOAT
ASYNC_API async_time async_seconds(double s);
#endif
ASYNC_API async_time async_ms(unsigned long ms);

/* 1 if t is in loop's heap or wheel: its flags say armed and the links from it
 * up to the root hold (each step checked from the parent's side), or round its
 * wheel ring to a slot of this loop, so that memory a timer of an earlier loop
 * left behind is not taken for an armed timer. */
ASYNC_API int async__timer_in_heap(const async_loop *loop, const async_timer *t);

ASYNC_API async_future *async__sleep_start(async_ctx *ctx, async_timer *t, async_time ticks, async_value v);

/* A sleep(0)'s timer: done at once, and the sleep still yields once. */
#define ASYNC__F_YIELD ASYNC__F_AWAITING

/* A sleep suspends on its pending timer, or yields once for a delay of 0. */
ASYNC__INLINE int async__sleep_begin(async_ctx *ctx, async_future *f) {
    ctx->value.p = f;
    return f->c.state == ASYNC__PENDING || (f->c.flags & ASYNC__F_YIELD);
}
ASYNC__INLINE async_status async__sleep_how(const async_ctx *ctx) {
    return ((const async_future *)ctx->value.p)->c.state == ASYNC__PENDING ? ASYNC_AWAITING : ASYNC_YIELDED;
}

/* One resume point for both ways, so that a sleep is one statement. */
#define ASYNC__SLEEP(timer, ticks, v)                                           \
    do {                                                                        \
        if (async__sleep_begin(async_ctx_, async__sleep_start(async_ctx_, (timer), (ticks), (v)))) { \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_SUSPEND);                         \
            ASYNC__SUSPEND(async__sleep_how(async_ctx_));                       \
            ASYNC__TRACE_CO(ASYNC_TRACE_AWAIT_RESUME);                          \
        }                                                                       \
    } while (0)

/* ASYNC_SLEEP(&self->timer, seconds); — asyncio.sleep in a task; the timer is
 * storage in the frame (one per concurrent sleep). Cancellable. A delay of 0
 * (or less: async_seconds gives 0) is asyncio's sleep(0): a bare yield to the
 * back of the ready queue, no timer armed. ASYNC_VALUE is none afterwards.
 * Hazard: the timer must be zeroed or async_timer_init'ed before its first
 * sleep (a zeroed frame does it); sleeping on a timer that is still armed
 * (shared by two tasks) is misuse: the sleep raises ASYNC_EBUSY.
 *   ASYNC_SLEEP(&self->t, 0.5); */
#if ASYNC_CONFIG_FLOAT
#define ASYNC_SLEEP(timer, seconds) ASYNC_SLEEP_TICKS(timer, async_seconds(seconds))
/* ASYNC_SLEEP_RESULT(&self->timer, seconds, v); — asyncio.sleep(delay, result):
 * the same, then ASYNC_VALUE is v.
 *   ASYNC_SLEEP_RESULT(&self->t, 0.1, async_int(42));   // ASYNC_VALUE.i == 42 */
#define ASYNC_SLEEP_RESULT(timer, seconds, v) ASYNC_SLEEP_TICKS_RESULT(timer, async_seconds(seconds), v)
#endif
/* ASYNC_SLEEP_TICKS(&self->timer, ticks); — the same, in backend ticks (no floats). */
#define ASYNC_SLEEP_TICKS(timer, ticks) ASYNC_SLEEP_TICKS_RESULT(timer, ticks, async_none())
/* ASYNC_SLEEP_TICKS_RESULT(&self->timer, ticks, v); — ASYNC_SLEEP_RESULT in ticks.
 *   ASYNC_SLEEP_TICKS_RESULT(&self->t, async_ms(5), async_ptr(msg)); */
#define ASYNC_SLEEP_TICKS_RESULT(timer, ticks, v)                               \
    do {                                                                        \
        ASYNC__SLEEP(timer, ticks, v);                                          \
        if (async__await_end(async_ctx_)) goto async__raise;                    \
    } while (0)
/* ASYNC_SLEEP_TICKS_CATCH(&self->timer, ticks, err); — the same, storing the
 * error (ASYNC_ECANCELLED when cut short) in the lvalue err instead of raising.
 *   ASYNC_SLEEP_TICKS_CATCH(&self->t, async_ms(10), self->err);
 *   self->err = async_timeout_exit(&self->to, self->err); */
#define ASYNC_SLEEP_TICKS_CATCH(timer, ticks, errv)                             \
    do {                                                                        \
        ASYNC__SLEEP(timer, ticks, async_none());                               \
        if (async__await_end(async_ctx_)) {                                     \
            (errv) = async_ctx_->err;                                           \
            async_ctx_->err = 0;                                                \
        } else                                                                  \
            (errv) = 0;                                                         \
    } while (0)

ASYNC_API void async__ready_push(async_loop *loop, async_handle *h);

ASYNC_API void async__ready_push_cb(async_loop *loop, async_callback *cb);

/* Append a circular waiter list (given by its tail) to the ready queue, in
 * order. Its first member's prev link is left NULL (not known): unlinking
 * that callback, if not at the head, looks for its predecessor. */
ASYNC_API void async__ready_splice(async_loop *loop, async_handle *tail);

ASYNC_API void async__ready_unlink(async_loop *loop, async_callback *cb);

/* async_call_soon(loop, &cb, fn, arg); — call fn(NULL, arg) on the next
 * iteration (after what is already queued). */
ASYNC_API void async_call_soon(async_loop *loop, async_callback *cb, async_callback_fn fn, void *arg);

/* Cancel a call_soon that has not run yet (asyncio Handle.cancel). */
ASYNC__INLINE void async_callback_cancel(async_callback *cb) { cb->run = async__callback_nop; }

ASYNC_API void async__later_run(async_handle *h);

/* async_call_later(loop, &timer, &cb, delay, fn, arg); — call fn(&timer.fut, arg)
 * `delay` ticks from now; async_timer_cancel(&timer) cancels the call. */
ASYNC_API int async_call_later(async_loop *loop, async_timer *t, async_callback *cb, async_time delay,
                               async_callback_fn fn, void *arg);

/* async_call_at(loop, &timer, &cb, when, fn, arg); — the same at an absolute time. */
ASYNC_API int async_call_at(async_loop *loop, async_timer *t, async_callback *cb, async_time when,
                            async_callback_fn fn, void *arg);

/* async_loop_init(&loop, now, wait, data); — a loop on any backend (section 9
 * has two ready-made ones). */
ASYNC_API void async_loop_init(async_loop *loop, async_now_fn now, async_wait_fn wait, void *data);

/* The loop's monotonic clock, in ticks (asyncio loop.time()). */
ASYNC__INLINE async_time async_loop_time(async_loop *loop) { return loop->now_fn(loop->backend); }

/* The task the loop is stepping (asyncio.current_task()), or NULL. */
ASYNC__INLINE async_task *async_current_task(async_loop *loop) { return loop->current; }

/* async_loop_set_trace(loop, fn, ud); — observe every task step (control-flow trace). */
ASYNC_API void async_loop_set_trace(async_loop *loop, async_trace_fn fn, void *ud);

/* async_loop_set_exception_handler(loop, fn, ud); — asyncio's
 * loop.set_exception_handler: fn(loop, err, message, ud) gets every error a
 * callback reports with async_loop_report_error; NULL restores the default.
 *   static void on_err(async_loop *l, int err, const char *msg, void *ud) { log(err, msg); }
 *   async_loop_set_exception_handler(&loop, on_err, NULL); */
ASYNC_API void async_loop_set_exception_handler(async_loop *loop, async_exception_fn fn, void *ud);

/* async_loop_default_exception_handler(loop, err, message, ud) — the default:
 * hosted, one line on stderr ("async.h: error -2 (timeout): message");
 * freestanding, nothing. A custom handler may call it to log as well. */
ASYNC_API void async_loop_default_exception_handler(async_loop *loop, int err, const char *message, void *ud);

/* async_loop_report_error(loop, err, "message") — asyncio's
 * call_exception_handler, for code with no awaiter to raise to (a done
 * callback, a call_soon / call_later callback, a hook): the handler runs at
 * once, inside this call, and the loop carries on. Returns 0, or ASYNC_EMISUSE
 * for err 0 (no error to report: misuse, reported as ASYNC_EMISUSE).
 * Hazard: an error the handler itself reports goes to the default handler
 * (no recursion). message must live as long as the handler keeps it.
 *   static void on_done(async_future *f, void *arg) {
 *       if (write_log(arg) < 0) async_loop_report_error(f->loop, EIO, "log writer"); } */
ASYNC_API int async_loop_report_error(async_loop *loop, int err, const char *message);

/* async_loop_run_once(loop) — one full iteration: wait for the earliest
 * deadline (not at all if something is ready: the backend only polls), read
 * the clock, move expired timers' waiters to the ready queue, then run exactly
 * the handles queued by then (one batch). Returns 0 or the backend's error.
 * For a superloop of your own; it never takes the short iterations below.
 *   for (;;) { async_loop_run_once(&loop); poll_the_rest(); } */
ASYNC__INLINE async_time async__vclock_now(void *data);
ASYNC_API int async__vclock_wait(void *data, async_loop *loop, const async_time *deadline);
ASYNC__COLD_API int async__loop_closed(void);
/* A closed loop's backend wait: refuses, so that run_once pays no test for it. */
ASYNC__COLD_API int async__closed_wait(void *data, async_loop *loop, const async_time *deadline);
ASYNC_API int async_loop_run_once(async_loop *loop);
#if ASYNC__STEP_TRACED_COPY
ASYNC__NOINLINE_API unsigned async__loop_batch_many(async_loop *loop);
ASYNC__NOINLINE_API void async__loop_run_short(async_loop *loop, const async_future *f);
#endif

/* Latency. run_forever, run_until_complete and async_run follow each full
 * iteration with short ones while tasks are ready: the next batch only, no
 * backend call, no clock read, no timer pass. They stop at an empty ready
 * queue; a timer due at the iteration's time (loop->now, what the last full
 * iteration read); stop(); the awaited future done; a task's yield
 * (ASYNC_YIELD, sleep(0): asyncio's way to let the loop poll, which it still
 * does at once); a trace hook set (a traced run takes a full iteration every
 * batch: the hook sees each one); an undrained ISR raise (section 11); a
 * backend's async_loop_want_poll (the runtime's when a stream has buffered
 * output: its writes leave at the next batch, as before); or the budget, once
 * the short batches ran ASYNC_CONFIG_LOOP_BUDGET handles. On the virtual
 * clock that gives the same order as full iterations (nothing else can make
 * a task ready there), and an ISR is still seen at the next batch.
 *   Elsewhere, under a CPU-bound set of ready tasks that wake each other
 * through futures without yielding, an I/O event, a call_soon_threadsafe or
 * a timer coming due on the real clock waits at most one batch, plus the
 * budget, plus the short batch that used it up: two tasks handing a future
 * back and forth forever see a socket read or a thread's call arrive within
 * budget + 3 handoffs (tests/rt_budget.c). Meanwhile loop->now (what
 * async_timer_start counts from) is as old as that.
 *   async_loop_set_budget(&loop, 0);   // poll before every batch, as asyncio */

/* async_loop_set_budget(loop, handles); — this loop's fairness budget
 * (default ASYNC_CONFIG_LOOP_BUDGET, at most 32767: larger saturates): fewer
 * polls under load against a longer worst-case I/O latency; 0 polls before
 * every batch. Takes effect at the next full iteration. */
ASYNC__INLINE void async_loop_set_budget(async_loop *loop, unsigned handles) {
    loop->budget = (uint16_t)(handles > 32767u ? 32767u : handles);
}

/* async_loop_want_poll(loop); — for a backend, or code running in the loop:
 * end the short iterations, so that the next batch comes after a full
 * iteration (a backend wait or poll). The runtime calls it when a stream
 * buffers output for its flush before the poll.
 *   async_loop_want_poll(loop);   // e.g. output queued that the poll sends */
ASYNC__INLINE void async_loop_want_poll(async_loop *loop) { loop->poll_left = 0; }

/* async_loop_stop(loop); — make run_forever return after the current batch.
 * Called while the loop is not running, the next run does one iteration and
 * returns (asyncio's loop.stop() before run_forever()). */
ASYNC__INLINE void async_loop_stop(async_loop *loop) {
    loop->stopping = 1;
    loop->poll_left = 0;
}

/* async_loop_is_running(loop) — 1 inside run_forever / run_until_complete /
 * async_run (asyncio's loop.is_running()). */
ASYNC__INLINE int async_loop_is_running(const async_loop *loop) { return loop->running != 0; }

/* async_loop_is_closed(loop) — 1 once async_loop_close returned 0. */
ASYNC__INLINE int async_loop_is_closed(const async_loop *loop) { return loop->closed != 0; }

/* async_loop_close(loop) — asyncio's loop.close(): the loop refuses to run
 * from now on (run_* are misuse and return ASYNC_EMISUSE) until
 * async_loop_init makes it a new loop. Closing twice does nothing. Closing a
 * running loop is misuse (asyncio's RuntimeError): ASYNC_EBUSY, still open.
 * It runs nothing and cancels nothing: unlike asyncio, which drops its pending
 * handles, the callbacks still queued and the timers still armed stay linked
 * where they are (caller memory: nothing is freed) and never run. To finish
 * the tasks first, cancel them: async_loop_cancel_all, or async_run's way out.
 * The runtime's async_rt_loop_close calls it.
 *   async_loop_cancel_all(&loop);
 *   async_loop_close(&loop); */
ASYNC_API int async_loop_close(async_loop *loop);

/* async_loop_run_forever(loop) — run until async_loop_stop(); returns 0, or the
 * backend's error (ASYNC_EDEADLOCK: nothing left to wait for). Running a loop
 * inside itself is misuse (ASYNC_EBUSY). */
ASYNC_API int async_loop_run_forever(async_loop *loop);

/* async_loop_run_until_complete(loop, &fut) — run until fut is done; returns its
 * error (0 on success; result in async_future_result), ASYNC_ESTOPPED, the
 * backend's error (ASYNC_EDEADLOCK), or ASYNC_EBUSY if the loop is running. */
ASYNC_API int async_loop_run_until_complete(async_loop *loop, async_future *f);

/* async_loop_cancel_all(loop) — cancel every live task and run the loop until
 * they have finished (what asyncio.run does on the way out). Needs
 * ASYNC_CONFIG_TASK_INFO. Returns how many were still alive. */
ASYNC_API unsigned long async_loop_cancel_all(async_loop *loop);

/* async_run(loop, &task, main, &frame) — asyncio.run: run main as a task until
 * it completes, then cancel what is left. Returns main's error (0 on success);
 * its result is async_future_result(&task.fut).
 *   async_loop loop; async_loop_init_virtual(&loop);
 *   int err = async_run(&loop, &t, main_co, &mf); */
ASYNC_API int async_run(async_loop *loop, async_task *t, async_fn fn, void *frame);

/* The task dump: one line per live task with its state, where it is suspended
 * and what it waits on, written through w(ud, text) in pieces. */
typedef void (*async_write_fn)(void *ud, const char *text);

ASYNC_API void async__write_hex(async_write_fn w, void *ud, uintptr_t x);

/* async_loop_dump(loop, w, ud); — e.g. with w = fputs-like writer:
 *   task worker: waiting at demo.c:42 on future 0x7ffd... */
ASYNC_API void async_loop_dump(async_loop *loop, async_write_fn w, void *ud);

/* ======================================================================
 * 10. Backends
 * ====================================================================== */

/* Virtual clock: time jumps straight to the next deadline, so a program that
 * sleeps 12 simulated hours runs in microseconds, deterministically. When
 * nothing is ready and no timer is armed the loop stops with ASYNC_EDEADLOCK
 * (on a real clock it would hang). async_loop_time() is the simulated time.
 *   async_loop loop; async_loop_init_virtual(&loop); */
ASYNC__INLINE async_time async__vclock_now(void *data) { return ((async_loop *)data)->vnow; }
ASYNC_API int async__vclock_wait(void *data, async_loop *loop, const async_time *deadline);
ASYNC__INLINE void async_loop_init_virtual(async_loop *loop) {
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
ASYNC__INLINE async_time async__bare_now(void *data) { return ((const async_bare *)data)->ticks(); }
ASYNC_API int async__bare_wait(void *data, async_loop *loop, const async_time *deadline);
ASYNC__INLINE void async_loop_init_bare(async_loop *loop, const async_bare *bare) {
    async_loop_init(loop, async__bare_now, async__bare_wait, (void *)(uintptr_t)bare);
}

/* ======================================================================
 * 11. Interrupts: waking the loop from an ISR or a signal handler
 * ====================================================================== */

/* Nothing in sections 4-9 may be called from an interrupt handler: the loop's
 * queues are not protected. An ISR (or a POSIX signal handler) calls only
 * async_isr_raise(), which bumps three volatile bytes; the loop drains them in
 * every full iteration (the raise makes the next batch follow one) and
 * completes the signal's future there, so the awaiting task wakes in loop
 * context.
 *   The hub wraps the loop's backend (any backend: bare, virtual, your own):
 * its wait drains the raised signals before and after waiting, and returns at
 * once if that made something ready. Each signal must have one producer (one
 * ISR, or ISRs that cannot preempt each other). Counts are modulo 256: at most
 * 255 raises between two loop iterations are counted exactly.
 *   Single core: the ISR and the loop run on one CPU. The ISR writes only
 * its signal's count, the hub's flag and the loop's poll_left count, to 0
 * (which the loop resets before each drain: a raise after that ends the
 * short iterations, one before it is drained; the loop's count-down, a load
 * and a store, can undo that zero, and then runs at most the budget's rest
 * first), the loop only the rest, each with
 * compiler barriers (ASYNC_BARRIER) where the order matters, so no critical
 * section is needed on either side; another core raising needs a fence.
 *   The race between "nothing pending" and going to sleep is the idle hook's
 * to close: check async_isr_pending() with interrupts masked and sleep in the
 * same masked window, which still wakes on a pending interrupt (the ports in
 * ports/ do it with ASYNC_CRITICAL_ENTER/EXIT):
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
 * hub and zero the loop's poll_left. Touches nothing else of the loop, so
 * any interrupt may call it at any time. */
ASYNC_API void async_isr_raise(async_isr_signal *s);

/* async_isr_pending(&hub) — nonzero if a raise has not been drained yet. For
 * idle hooks: read it with interrupts masked, then sleep (see above). */
ASYNC__INLINE int async_isr_pending(const async_isr_hub *hub) { return hub->flag != 0; }

/* Deliver undelivered raises to the signal's armed (pending) future, when
 * something waits on it (a task or a done callback) or when forced by
 * async_isr_next; otherwise they keep counting for the next consumer. */
ASYNC_API void async__isr_deliver(async_isr_signal *s, int force);

/* ASYNC_ISR_DRAIN_POINT(hub, sig): a test-only injection point, expanded in
 * the drain right after each signal has been looked at. Empty by default; a
 * test defines it before including async.h to play an interrupt landing in
 * the middle of the drain (tests/test_isr.c checks that such a raise is never
 * lost); with ASYNC_CONFIG_INLINE=0, in the ASYNC_IMPLEMENTATION file. Hazard:
 * it runs in loop context, so it must only do what an ISR may.
 *   #define ASYNC_ISR_DRAIN_POINT(hub, sig) my_fake_isr(hub, sig) */
#ifndef ASYNC_ISR_DRAIN_POINT
#define ASYNC_ISR_DRAIN_POINT(hub, sig) ((void)0)
#endif

/* Clear the hub's flag first, then scan: a raise that lands during the scan
 * sets the flag again, so it is caught now or by the next drain, never lost. */
ASYNC_API void async__isr_drain(async_isr_hub *hub);

ASYNC_API async_time async__isr_now(void *data);
ASYNC_API int async__isr_wait(void *data, async_loop *loop, const async_time *deadline);

/* async_isr_hub_init(&hub, &loop); — put the hub in front of the loop's
 * backend (call after the loop's init, before running it). */
ASYNC_API void async_isr_hub_init(async_isr_hub *hub, async_loop *loop);

/* async_isr_signal_init(&sig, &hub); — register a signal (before enabling the
 * interrupt that raises it). Its future is armed: the first raise completes it
 * once something waits on it (async_isr_next, or a done callback on sig.fut). */
ASYNC_API void async_isr_signal_init(async_isr_signal *s, async_isr_hub *hub);

/* async_isr_next(&sig) — the future to await for the raise(s) not consumed
 * yet: done at once if some came in since the last one (none is lost, even
 * when nobody was waiting), else armed for the next. Its result is how many
 * raises it covers. Hazard: one consuming task per signal (each call after
 * the future is done re-arms it).
 *   ASYNC_AWAIT(async_isr_next(&self->button));
 *   presses += ASYNC_VALUE.i; */
ASYNC_API async_future *async_isr_next(async_isr_signal *s);

/* An ISR-safe single-producer/single-consumer queue of fixed-size items in
 * caller memory: an ISR puts, the loop gets. The indices run free modulo 256
 * (one byte each, so every access is atomic on 8-bit CPUs too); the producer
 * writes only head, the consumer only tail, and each copies the item before
 * publishing its index (ASYNC_BARRIER), so neither side masks interrupts.
 * Each put raises the queue's signal: a task awaits async_isr_queue_wait()
 * and then gets until ASYNC_EEMPTY. Hazards: one producer (one ISR, or ISRs
 * that cannot preempt each other) and one consumer; single core (section 11). */
typedef struct async_isr_queue {
    async_isr_signal sig;   /* raised by every put */
    unsigned char *buf;     /* capacity * item_size bytes */
    uint8_t item_size;      /* bytes per item */
    uint8_t mask;           /* capacity - 1 */
    volatile uint8_t head;  /* items put so far (mod 256); written by the producer */
    volatile uint8_t tail;  /* items got so far (mod 256); written by the consumer */
    volatile uint8_t dropped; /* puts refused because full (mod 256); producer */
} async_isr_queue;

/* async_isr_queue_init(&q, &hub, buf, item_size, capacity) — capacity is a
 * power of two from 1 to 128, item_size 1 to 255; anything else is misuse
 * (ASYNC_EMISUSE). Call it before enabling the producing interrupt.
 *   static unsigned char rx_buf[32];  static async_isr_queue rx;
 *   async_isr_queue_init(&rx, &hub, rx_buf, 1, sizeof rx_buf); */
ASYNC_API int async_isr_queue_init(async_isr_queue *q, async_isr_hub *hub, void *buf, size_t item_size,
                                   size_t capacity);

/* async_isr_queue_put(&q, &item) — ISR side: copy one item in and raise the
 * queue's signal; ASYNC_EFULL (and q.dropped counts it) if it is full.
 *   ISR(USART_RX_vect) { uint8_t c = UDR0; async_isr_queue_put(&rx, &c); } */
ASYNC_API int async_isr_queue_put(async_isr_queue *q, const void *item);

/* async_isr_queue_get(&q, &item) — loop side: copy the oldest item out;
 * ASYNC_EEMPTY if there is none.
 *   while (async_isr_queue_get(&rx, &c) == 0) handle(c); */
ASYNC_API int async_isr_queue_get(async_isr_queue *q, void *item);

/* async_isr_queue_count(&q) — items waiting (a snapshot: the ISR may add). */
ASYNC__INLINE unsigned async_isr_queue_count(const async_isr_queue *q) {
    return (uint8_t)(q->head - q->tail);
}

/* async_isr_queue_wait(&q) — the future to await for puts not consumed yet
 * (async_isr_next on the queue's signal): done at once if something was put
 * since the last wait. It may complete with the queue already emptied by a
 * get that came after the put: get until ASYNC_EEMPTY, then wait again.
 *   for (;;) { while (async_isr_queue_get(&self->q, &c) == 0) ...;
 *              ASYNC_AWAIT(async_isr_queue_wait(&self->q)); } */
ASYNC__INLINE async_future *async_isr_queue_wait(async_isr_queue *q) { return async_isr_next(&q->sig); }

/* ======================================================================
 * 12. Combinators, synchronization and queues
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
 * The op frames and waitsets need no init: each use sets them up. A timeout
 * scope needs async_timeout_init (or zeroed memory) once.
 *
 * Hazards common to the combinators: the futures, the slot arrays and the op
 * frames must stay valid until the operation returns; when it returns, none of
 * its callbacks is left registered or queued, so they may be reused at once.
 */

#define ASYNC__MAGIC_LOCK 0x4C6Bu
#define ASYNC__MAGIC_EVENT 0x4576u
#define ASYNC__MAGIC_COND 0x436Eu
#define ASYNC__MAGIC_SEM 0x536Du
#define ASYNC__MAGIC_BARRIER 0x4272u
#define ASYNC__MAGIC_QUEUE 0x5175u
#define ASYNC__MAGIC_TG 0x5467u

/* "No deadline": pass it where a timeout is a delay in ticks (wait, wait_for,
 * as_completed, async_timeout_after, ASYNC_WITH_TIMEOUT). It is not a delay
 * any conversion yields (they stop at ASYNC_MAX_DELAY), and never a deadline:
 * an absolute tick value is always a real one (the clock reaches every value),
 * so absolute calls have their own "none" (async_timeout_reschedule_none).
 *   ASYNC_WAIT(&self->ws, self->futs, self->slots, 3, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT); */
#define ASYNC_NO_TIMEOUT ((async_time) ~(async_time)0)

/* Internal: define one of the library's coroutines, with ASYNC_API linkage.
 * In a one-copy file without the bodies the body still follows the macro: it
 * becomes an unreferenced inline twin, never emitted, and `name` is only declared. */
#if ASYNC__BODIES
#define ASYNC__CO(name) ASYNC_API async_status name(async_ctx *async_ctx_, void *async_vself_)
#else
#define ASYNC__CO(name)                                                         \
    ASYNC_API async_status name(async_ctx *async_ctx_, void *async_vself_);     \
    ASYNC__INLINE async_status ASYNC__CAT(async__co_unused_, name)(async_ctx *async_ctx_, void *async_vself_)
#endif

ASYNC_API int async__bad(const char *msg);

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

ASYNC__INLINE void async__wl_init(async_wlist *l) { l->head = l->tail = NULL; }

/* Start waiting: a fresh pending future on the task's loop, at the list's tail. */
ASYNC_API void async__wl_park(async_wlist *l, async_waiter *w, async_loop *loop);

ASYNC_API void async__wl_remove(async_wlist *l, async_waiter *w);

/* Wake the oldest waiter still pending (it stays listed: asyncio's deques). */
ASYNC_API int async__wl_wake_first_pending(async_wlist *l);

/* Pop waiters until one is pending, wake it (asyncio Queue._wakeup_next). */
ASYNC_API void async__wl_pop_wake(async_wlist *l);

/* Wake up to n pending waiters (n < 0: all); returns how many. */
ASYNC_API int async__wl_wake_n(async_wlist *l, int n);

ASYNC_API async_loop *async__need_loop(async_ctx *ctx);

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
ASYNC_API void async_lock_init(async_lock *l);

ASYNC__INLINE int async__lock_check(const async_lock *l) {
    return l->magic == ASYNC__MAGIC_LOCK ? 0 : async__bad("lock used before async_lock_init");
}

/* 1 if the lock is held. */
ASYNC__INLINE int async_lock_locked(const async_lock *l) { return !async__lock_check(l) && l->locked; }

ASYNC_API int async__lock_free_for_newcomer(const async_lock *l);

/* async_lock_release(&lock) — unlock and wake the first waiter. Releasing an
 * unlocked lock is misuse (asyncio's RuntimeError): ASYNC_EMISUSE. */
ASYNC_API int async_lock_release(async_lock *l);

/* async_lock_try_acquire(&lock) — 1 if taken without waiting, else 0. */
ASYNC_API int async_lock_try_acquire(async_lock *l);

ASYNC__CO(async_lock_acquire_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_lock *l = (async_lock *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__lock_check(l)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (async__lock_free_for_newcomer(l)) { /* the common case: no wait, no clean-up */
        l->locked = 1;
        ASYNC_RETURN(async_int(1));
    }
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&l->waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
    /* the clean-up of a wait, after it succeeded or failed (a cancellation) */
    l = (async_lock *)self->obj;
    if (!self->err) l->locked = 1;
    if (l->magic == ASYNC__MAGIC_LOCK) { /* else the misuse is already reported */
        async__wl_remove(&l->waiters, &self->w);
        /* Cancelled (maybe after release woke us): pass the turn on. */
        if (self->err && !l->locked && l->waiters.head && l->waiters.head->fut.c.state == ASYNC__PENDING)
            async_future_set_result(&l->waiters.head->fut, async_int(1));
    }
    if (self->err) ASYNC_RAISE(self->err);
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
        ASYNC__AWAIT_OP(async_lock_acquire_co, (op));                           \
    } while (0)

/* ------------------------------------------------------------------ Event */

/* asyncio.Event: wait() returns at once while set; set() wakes every waiter. */
typedef struct async_event {
    async_wlist waiters;
    uint8_t flag;
    uint16_t magic;
} async_event;

/* async_event_init(&ev); — a clear event. */
ASYNC_API void async_event_init(async_event *e);
ASYNC__INLINE int async__event_check(const async_event *e) {
    return e->magic == ASYNC__MAGIC_EVENT ? 0 : async__bad("event used before async_event_init");
}
/* async_event_set(&ev) — set it and wake all waiters (in FIFO order). */
ASYNC_API int async_event_set(async_event *e);
/* async_event_clear(&ev) — clear it (waiters already woken still return). */
ASYNC_API int async_event_clear(async_event *e);
/* 1 if set. */
ASYNC__INLINE int async_event_is_set(const async_event *e) { return !async__event_check(e) && e->flag; }

ASYNC__CO(async_event_wait_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_event *e = (async_event *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (!e || async__event_check(e)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (e->flag) ASYNC_RETURN(async_int(1));
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&e->waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT_CATCH(&self->w.fut, self->err);
    /* the wait's clean-up here, not in a FINALLY that the set case would pay */
    if (self->w.linked) async__wl_remove(&((async_event *)self->obj)->waiters, &self->w);
    if (self->err) ASYNC_RAISE(self->err);
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}

/* ASYNC_EVENT_WAIT(&self->op, &ev); — `await ev.wait()`: ASYNC_VALUE.i is 1
 * (asyncio's True), whether it had to wait or not.
 *   ASYNC_EVENT_WAIT(&self->op, &ready); */
#define ASYNC_EVENT_WAIT(op, ev)                                                \
    do {                                                                        \
        (op)->obj = (ev);                                                       \
        ASYNC__AWAIT_OP(async_event_wait_co, (op));                             \
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
ASYNC_API void async_cond_init(async_cond *c, async_lock *lock);
ASYNC__INLINE int async__cond_check(const async_cond *c) {
    return c->magic == ASYNC__MAGIC_COND ? 0 : async__bad("condition used before async_cond_init");
}
/* The condition's lock: acquire it with ASYNC_LOCK_ACQUIRE, release with async_cond_release. */
ASYNC__INLINE async_lock *async_cond_lock(async_cond *c) { return async__cond_check(c) ? &c->own : c->lock; }
ASYNC__INLINE int async_cond_release(async_cond *c) {
    return async__cond_check(c) ? ASYNC_EMISUSE : async_lock_release(c->lock);
}

/* async_cond_notify(&c, n) — wake up to n waiters (FIFO). The lock must be held
 * (misuse otherwise, asyncio's RuntimeError). Returns how many were woken. */
ASYNC_API int async_cond_notify(async_cond *c, int n);
/* async_cond_notify_all(&c) — wake every waiter. */
ASYNC_API int async_cond_notify_all(async_cond *c);

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
            ASYNC__AWAIT_OP_CATCH(async_lock_acquire_co, &self->acq, self->err2);
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
        ASYNC__AWAIT_OP(async_cond_wait_co, (cop));                             \
    } while (0)

/* ASYNC_COND_WAIT_FOR(&self->cop, &cond, pred, arg); — `await cond.wait_for(pred)`:
 * waits until pred(arg) is nonzero (checked with the lock held, first at once).
 *   ASYNC_COND_WAIT_FOR(&self->cop, &c, has_items, &box); */
#define ASYNC_COND_WAIT_FOR(cop, c, predfn, parg)                               \
    do {                                                                        \
        (cop)->cond = (c);                                                      \
        (cop)->pred = (predfn);                                                 \
        (cop)->arg = (parg);                                                    \
        ASYNC__AWAIT_OP(async_cond_wait_co, (cop));                             \
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
ASYNC_API void async_sem_init(async_sem *s, long value);
ASYNC_API void async_bounded_sem_init(async_sem *s, long value);
ASYNC__INLINE int async__sem_check(const async_sem *s) {
    return s->magic == ASYNC__MAGIC_SEM ? 0 : async__bad("semaphore used before async_sem_init");
}
/* 1 if acquire would wait (no slot, or others already waiting: FIFO). */
ASYNC_API int async_sem_locked(const async_sem *s);
ASYNC__INLINE long async_sem_value(const async_sem *s) { return async__sem_check(s) ? 0 : s->value; }

ASYNC_API int async__sem_wake_next(async_sem *s);

/* async_sem_release(&s) — give a slot back (to the oldest waiter if any).
 * Over-releasing a bounded semaphore is misuse (asyncio's ValueError). */
ASYNC_API int async_sem_release(async_sem *s);

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
        ASYNC__AWAIT_OP(async_sem_acquire_co, (op));                            \
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
ASYNC_API int async_barrier_init(async_barrier *b, unsigned parties);
ASYNC__INLINE int async__barrier_check(const async_barrier *b) {
    return b->magic == ASYNC__MAGIC_BARRIER ? 0 : async__bad("barrier used before async_barrier_init");
}
/* Parties waiting now (asyncio n_waiting), and whether it is broken. */
ASYNC__INLINE unsigned async_barrier_n_waiting(const async_barrier *b) {
    return (!async__barrier_check(b) && b->state == ASYNC__B_FILLING) ? b->count : 0;
}
ASYNC__INLINE int async_barrier_broken(const async_barrier *b) {
    return !async__barrier_check(b) && b->state == ASYNC__B_BROKEN;
}
/* async_barrier_abort(&b) — break it: every waiter gets ASYNC_EBROKEN. */
ASYNC_API int async_barrier_abort(async_barrier *b);
/* async_barrier_reset(&b) — current waiters get ASYNC_EBROKEN; then it is empty again. */
ASYNC_API int async_barrier_reset(async_barrier *b);

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
        ASYNC__AWAIT_OP(async_barrier_wait_co, (op));                           \
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

ASYNC__INLINE int async__queue_less_i(async_value a, async_value b) { return a.i < b.i; }

/* async_queue_init(&q, kind, buf, capacity, maxsize) — maxsize 0 = capacity.
 *   static async_value items[64]; async_queue q;
 *   async_queue_init(&q, ASYNC_QUEUE_FIFO, items, 64, 0); */
ASYNC_API int async_queue_init(async_queue *q, async_queue_kind kind, async_value *buf, size_t cap,
                               size_t maxsize);
/* async_queue_set_less(&q, less) — the order of a priority queue (default: .i ascending). */
ASYNC__INLINE void async_queue_set_less(async_queue *q, async_less_fn less) {
    q->less = less ? less : async__queue_less_i;
}
ASYNC__INLINE int async__queue_check(const async_queue *q) {
    return q->magic == ASYNC__MAGIC_QUEUE ? 0 : async__bad("queue used before async_queue_init");
}
ASYNC__INLINE size_t async_queue_size(const async_queue *q) { return async__queue_check(q) ? 0 : q->count; }
ASYNC__INLINE int async_queue_empty(const async_queue *q) { return async_queue_size(q) == 0; }
ASYNC__INLINE int async_queue_full(const async_queue *q) {
    return !async__queue_check(q) && q->count >= q->maxsize;
}

ASYNC_API void async__queue_push(async_queue *q, async_value v);

ASYNC_API async_value async__queue_pop(async_queue *q);
/* An item into a checked queue that is not shut down nor full: waiters told. */
ASYNC_API void async__queue_put(async_queue *q, async_value v);

/* async_queue_put_nowait(&q, v) — 0, ASYNC_EFULL, or ASYNC_ESHUTDOWN. */
ASYNC_API int async_queue_put_nowait(async_queue *q, async_value v);

/* async_queue_get_nowait(&q, &v) — 0, ASYNC_EEMPTY, or ASYNC_ESHUTDOWN (shut down and empty). */
ASYNC_API int async_queue_get_nowait(async_queue *q, async_value *out);

/* async_queue_task_done(&q) — one item fully processed; once per item got.
 * Calling it more often than items were put is misuse (asyncio's ValueError). */
ASYNC_API int async_queue_task_done(async_queue *q);

/* async_queue_shutdown(&q, immediate) — asyncio 3.13 Queue.shutdown: puts fail
 * with ASYNC_ESHUTDOWN from now on; gets fail once the queue is empty. immediate:
 * the items left are dropped (counted as done for join). Every blocked put and
 * get is woken to see it. */
ASYNC_API int async_queue_shutdown(async_queue *q, int immediate);

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
    if (q->shut) ASYNC_RAISE(ASYNC_ESHUTDOWN);
    async__queue_put(q, self->item); /* checked above, and not full */
    ASYNC_END();
}

/* join: the wait on q->finished, with asyncio's result (None). */
ASYNC__CO(async_queue_join_co) {
    async_wait_op *self = (async_wait_op *)async_vself_;
    async_queue *q = (async_queue *)self->obj;
    ASYNC_BEGIN();
    self->w.linked = 0;
    if (async__queue_check(q)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (q->finished.flag) ASYNC_RETURN(async_none());
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    async__wl_park(&q->finished.waiters, &self->w, ASYNC_LOOP);
    ASYNC_AWAIT(&self->w.fut);
    ASYNC_RETURN(async_none());
    ASYNC_FINALLY();
    if (self->w.linked) async__wl_remove(&((async_queue *)self->obj)->finished.waiters, &self->w);
    ASYNC_END();
}

/* ASYNC_QUEUE_PUT(&self->op, &q, v); — `await q.put(v)`: waits while full;
 * raises ASYNC_ESHUTDOWN once the queue is shut down.
 * ASYNC_QUEUE_GET(&self->op, &q); — `await q.get()`: the item is ASYNC_VALUE
 * (and self->op.item); raises ASYNC_ESHUTDOWN when shut down and empty.
 * ASYNC_QUEUE_JOIN(&self->op, &q); — `await q.join()`: until every item put has
 * been task_done'd; ASYNC_VALUE is none (asyncio's None).
 *   ASYNC_QUEUE_GET(&self->op, &jobs);
 *   handle(ASYNC_VALUE.p); async_queue_task_done(&jobs); */
#define ASYNC_QUEUE_PUT(op, q, v)                                               \
    do {                                                                        \
        (op)->obj = (q);                                                        \
        (op)->item = (v);                                                       \
        ASYNC__AWAIT_OP(async_queue_put_co, (op));                              \
    } while (0)
#define ASYNC_QUEUE_GET(op, q)                                                  \
    do {                                                                        \
        (op)->obj = (q);                                                        \
        ASYNC__AWAIT_OP(async_queue_get_co, (op));                              \
    } while (0)
#define ASYNC_QUEUE_JOIN(op, q)                                                 \
    do {                                                                        \
        (op)->obj = (q);                                                        \
        ASYNC__AWAIT_OP(async_queue_join_co, (op));                             \
    } while (0)

/* ------------------------------------------- gather, wait, as_completed, ... */

typedef struct async_waitset async_waitset;

/* One watched future's done callback (caller storage: one per future). */
typedef struct async_slot {
    async_callback cb;
    async_waitset *ws;
    struct async_slot *next_done; /* as_completed: completion order */
    uint8_t state;                /* 1 while its callback is still to run */
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
    size_t n, ndone, nyielded;
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

ASYNC_API void async__ws_poke(async_waitset *ws);

ASYNC_API void async__ws_child_done(async_future *f, void *arg);

ASYNC_API void async__ws_timer_done(async_future *f, void *arg);

/* A callback already queued when the operation ends is unlinked from the
 * ready queue by the unwatch: none outlives the operation. */
ASYNC_API void async__slot_watch(async_waitset *ws, async_slot *s, async_future *f, async_callback_fn fn);

ASYNC_API void async__slot_unwatch(async_slot *s, async_future *f);

ASYNC__INLINE async_future *async__ws_fut(async_waitset *ws, size_t i) { return ws->one ? ws->one : ws->futs[i]; }
ASYNC__INLINE async_slot *async__ws_slot(async_waitset *ws, size_t i) { return ws->one ? &ws->one_slot : &ws->slots[i]; }

ASYNC_API int async__ws_start(async_waitset *ws, async_loop *loop);

ASYNC_API void async__ws_stop(async_waitset *ws);

/* Park on ws->wake until the callbacks say the condition is met. */
#define ASYNC__WS_PARK(ws)                                                      \
    do {                                                                        \
        async_future_init(&(ws)->wake, ASYNC_LOOP);                             \
        ASYNC_AWAIT_CATCH(&(ws)->wake, (ws)->e);                                \
    } while (0)

ASYNC_API void async__ws_cancel_children(async_waitset *ws);

/* gather / wait / shield / wait_for. */
ASYNC__CO(async_waitset_co) {
    async_waitset *self = (async_waitset *)async_vself_;
    ASYNC_BEGIN();
    self->active = 0;
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (self->kind == ASYNC__WS_WAIT && self->n == 0) ASYNC_RAISE(ASYNC_EINVAL);
    if (async__ws_start(self, ASYNC_LOOP)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (self->n == 0) self->met = 1;
    while (!self->met || (self->kind == ASYNC__WS_WAITFOR && !async_future_done(self->one))) {
        ASYNC__WS_PARK(self);
        if (self->e) { /* the awaiting task is being cancelled */
            self->cancelled = 1;
            /* gather and wait_for cancel what they watch and wait for it, if the
             * cancellation reached them while waiting (asyncio: outer.cancel()
             * of a gather that is already done does nothing); wait and shield
             * never cancel what they watch. */
            if ((self->kind == ASYNC__WS_GATHER || self->kind == ASYNC__WS_WAITFOR) &&
                async_future_cancelled(&self->wake) && !self->met)
                async__ws_cancel_children(self);
            else
                break;
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
        self->err = async__future_err(self->one);
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
                               size_t n, int mode, async_time timeout);
ASYNC_API void async__ws_setup_one(async_waitset *ws, int kind, async_future *f, async_time timeout);

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
        ASYNC__AWAIT_OP(async_waitset_co, (ws));                                \
    } while (0)

/* ASYNC_WAIT(&self->ws, futs, slots, n, mode, timeout_ticks); — asyncio.wait:
 * mode ASYNC_FIRST_COMPLETED / ASYNC_FIRST_EXCEPTION / ASYNC_ALL_COMPLETED,
 * timeout in ticks or ASYNC_NO_TIMEOUT. ASYNC_VALUE.i is how many are done; test
 * each with async_future_done(). Never cancels them, never raises a timeout.
 * No futures (n == 0) raises ASYNC_EINVAL (asyncio's ValueError).
 *   ASYNC_WAIT(&self->ws, self->futs, self->slots, 2, ASYNC_FIRST_COMPLETED, async_ms(50)); */
#define ASYNC_WAIT(ws, futv, slotv, n, mode, timeout)                           \
    do {                                                                        \
        async__ws_setup((ws), ASYNC__WS_WAIT, (futv), (slotv), (n), (mode), (timeout)); \
        ASYNC__AWAIT_OP(async_waitset_co, (ws));                                \
    } while (0)

/* ASYNC_SHIELD(&self->ws, fut); — asyncio.shield: await fut, but cancelling the
 * awaiting task does not cancel fut (the await raises ASYNC_ECANCELLED and fut
 * keeps running).
 *   ASYNC_SHIELD(&self->ws, &self->save_task.fut); */
#define ASYNC_SHIELD(ws, fut)                                                   \
    do {                                                                        \
        async__ws_setup_one((ws), ASYNC__WS_SHIELD, (fut), ASYNC_NO_TIMEOUT);   \
        ASYNC__AWAIT_OP(async_waitset_co, (ws));                                \
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
        ASYNC__AWAIT_OP(async_waitset_co, (ws));                                \
    } while (0)

/* async_as_completed_init(&ws, futs, slots, n, timeout) then, n times,
 * ASYNC_AS_COMPLETED_NEXT(&ws): ASYNC_VALUE.p is the next future to finish
 * (completion order; NULL once all n were returned). After the timeout
 * (ticks from the first NEXT; ASYNC_NO_TIMEOUT for none) NEXT raises
 * ASYNC_ETIMEOUT. Stopping early: async_as_completed_close(&ws).
 *   async_as_completed_init(&self->ws, self->futs, self->slots, 3, ASYNC_NO_TIMEOUT);
 *   for (self->i = 0; self->i < 3; self->i++) { ASYNC_AS_COMPLETED_NEXT(&self->ws); use(ASYNC_VALUE.p); } */
ASYNC_API void async_as_completed_init(async_waitset *ws, async_future *const *futs, async_slot *slots,
                                       size_t n, async_time timeout);
/* async_as_completed_close(&ws) — unregister from the futures not yet returned. */
ASYNC__INLINE void async_as_completed_close(async_waitset *ws) {
    if (ws->active) async__ws_stop(ws);
}

ASYNC__CO(async_as_completed_next_co) {
    async_waitset *self = (async_waitset *)async_vself_;
    async_slot *s;
    ASYNC_BEGIN();
    if (!async__need_loop(async_ctx_)) ASYNC_RAISE(ASYNC_EMISUSE);
    if (!self->started) {
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

#define ASYNC_AS_COMPLETED_NEXT(ws) ASYNC__AWAIT_OP(async_as_completed_next_co, (ws))

/* ------------------------------------------ gather and shield as futures */

/* asyncio.gather as a future (_GatheringFuture): start it, keep it, query it,
 * await it from any number of tasks, cancel it, with no wrapper task. */
typedef struct async_gather {
    async_op op;               /* first: &g.op.fut is the gather's future */
    async_future *const *futs;
    async_callback *cbs;       /* one per child */
    size_t n, ndone;
    uint8_t flags, cancel_requested;
} async_gather;

/* async_gather_start(&g, loop, futs, cbs, n, flags) — the future of
 * asyncio.gather(*futs) (cbs: async_callback[n], one per child). It completes
 * when every child has, value n (the results are the children's own:
 * async_future_result(futs[i])); without ASYNC_RETURN_EXCEPTIONS, at the
 * first child error or cancellation, with that error (the others keep
 * running). n == 0: done at once, value 0. CANCEL, as 3.11: async_future_cancel
 * on it (a task awaiting it being cancelled, a timeout, wait_for, or you)
 * cancels every child not done, returns 1 if any was, and leaves the gather
 * pending until the children's cancellations complete it: it is then done,
 * not cancelled (async_future_cancelled is 0), with error ASYNC_ECANCELLED; a
 * task awaiting it waits for the children, as asyncio's does.
 * Hazard: g, futs and cbs must stay valid until every child is done, or until
 * async_gather_close(&g); never start it again while it is attached.
 *   async_future *g = async_gather_start(&self->g, ASYNC_LOOP, self->futs, self->cbs, 3, 0);
 *   ASYNC_AWAIT(g);   // or keep it: async_future_done(g), async_future_cancel(g) */
ASYNC_API async_future *async_gather_start(async_gather *g, async_loop *loop, async_future *const *futs,
                                           async_callback *cbs, size_t n, int flags);

/* The gather's future (what async_gather_start returned). */
ASYNC__INLINE async_future *async_gather_future(async_gather *g) { return &g->op.fut; }

/* async_gather_close(&g) — detach from the children still running (after the
 * gather completed early), so that g and cbs may be reused or freed. */
ASYNC_API void async_gather_close(async_gather *g);

/* What async_future_cancel does to a gather's future instead of cancelling it. */
ASYNC_API int async__gather_hook(async_op *op);
ASYNC_API int async__gather_cancel(async_gather *g);
ASYNC_API void async__gather_child_done(async_future *f, void *arg);

/* asyncio.shield as a future: an outer future that follows inner, which
 * cancelling the outer leaves alone. */
typedef struct async_shield {
    async_op op; /* first: the outer future */
    async_future *inner;
    async_callback cb;
} async_shield;

/* async_shield_start(&s, loop, inner) — the future of asyncio.shield(inner):
 * it takes inner's outcome (result, error, or cancellation) when inner
 * completes; cancelling it cancels only it (inner keeps running, the outer is
 * detached from inner at once, and s may go). inner already done: returns
 * inner itself, as asyncio does.
 *   async_future *o = async_shield_start(&self->sh, ASYNC_LOOP, &self->save.fut);
 *   ASYNC_AWAIT_CATCH(o, self->err);   // cancelled: the save goes on */
ASYNC_API async_future *async_shield_start(async_shield *s, async_loop *loop, async_future *inner);

/* The shield's outer future (unless async_shield_start returned inner). */
ASYNC__INLINE async_future *async_shield_future(async_shield *s) { return &s->op.fut; }

ASYNC_API int async__shield_hook(async_op *op);
ASYNC_API void async__shield_inner_done(async_future *f, void *arg);

/* --------------------------------------------------------- timeout scopes */

#define ASYNC__TO_ENTERED 1
#define ASYNC__TO_EXPIRING 2
#define ASYNC__TO_EXPIRED 3
#define ASYNC__TO_EXITED 4

/* asyncio.timeout(): a deadline around a stretch of a coroutine. At the deadline
 * the task is cancelled; async_timeout_exit turns that cancellation (and only
 * that one) into ASYNC_ETIMEOUT. Write it as a block, ASYNC_TIMEOUT (below),
 * or by hand: the stretch must then catch its errors so that exit sees them;
 * ASYNC_WITH_TIMEOUT does this around a child coroutine. Nested scopes work:
 * an outer deadline passes through an inner scope as a cancellation. As in
 * 3.11 the scope counts cancel requests (async_task_cancelling): a cancel from
 * outside that is still pending at exit stays a cancellation. A deadline
 * already due at entry cancels at once: the first await raises.
 * Initialise the struct once before its first use (async_timeout_init, or zero
 * it): entering it looks at its state to refuse entering it twice. */
typedef struct async_timeout {
    async_timer timer;
    async_callback cb;
    uint8_t state, armed, fired;
    uint8_t cancelling; /* the task's async_task_cancelling() at entry */
    async_task *task;
    int err; /* for ASYNC_WITH_TIMEOUT */
} async_timeout;

/* async_timeout_init(&to); — an idle scope (the same as zeroed memory).
 *   async_timeout_init(&self->to);
 *   ASYNC_WITH_TIMEOUT(&self->to, async_ms(100), fetch, &self->fetch); */
ASYNC_API void async_timeout_init(async_timeout *to);

/* Runs only while the scope is armed: disarming unlinks it even from the ready queue. */
ASYNC_API void async__timeout_fire(async_future *f, void *arg);

ASYNC_API void async__timeout_arm(async_timeout *to, async_time when);

ASYNC_API void async__timeout_disarm(async_timeout *to);

/* async_timeout_at(&to, task, when) / async_timeout_after(&to, task, delay) —
 * enter a scope for `task` (ASYNC_TASK) with an absolute deadline in loop ticks
 * (every value is a deadline), or `delay` ticks from now (at most
 * ASYNC_MAX_DELAY); async_timeout_after with ASYNC_NO_TIMEOUT: no deadline (yet).
 *   async_timeout_after(&self->to, ASYNC_TASK, async_ms(50));
 *   ASYNC_AWAIT_CATCH(&self->job.fut, self->err);
 *   self->err = async_timeout_exit(&self->to, self->err); */
ASYNC_API int async__timeout_enter(async_timeout *to, async_task *task, int has_deadline, async_time when);
ASYNC__INLINE int async_timeout_at(async_timeout *to, async_task *task, async_time when) {
    return async__timeout_enter(to, task, 1, when);
}
ASYNC_API int async_timeout_after(async_timeout *to, async_task *task, async_time delay);

/* async_timeout_reschedule(&to, when) — move the deadline to `when` (absolute
 * ticks) while the scope is active and has not expired;
 * async_timeout_reschedule_none(&to) — remove it (Python reschedule(None)).
 *   async_timeout_reschedule(&self->to, async_loop_time(ASYNC_LOOP) + async_ms(20)); */
ASYNC_API int async_timeout_reschedule(async_timeout *to, async_time when);
ASYNC_API int async_timeout_reschedule_none(async_timeout *to);
/* async_timeout_when(&to, &when) — 1 and the deadline in *when if the scope
 * has one (also once it has expired), 0 if it has none (Python when() is None).
 *   if (async_timeout_when(&self->to, &self->when)) ...;
 * async_timeout_expired(&to) — 1 if the deadline has passed (asyncio expired()). */
ASYNC_API int async_timeout_when(const async_timeout *to, async_time *when);
ASYNC__INLINE int async_timeout_expired(const async_timeout *to) {
    return to->fired;
}

/* async_timeout_exit(&to, err) — leave the scope with the stretch's error
 * (0 if none); returns it, with the scope's own cancellation made ASYNC_ETIMEOUT. */
ASYNC_API int async_timeout_exit(async_timeout *to, int err);

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

/* ASYNC_TIMEOUT(&self->to, delay_ticks) { ... } ASYNC_END_TIMEOUT(&self->to); —
 * `async with asyncio.timeout(delay):` around any number of awaits, in a
 * loop, nested; ASYNC_TIMEOUT_AT(&self->to, when) for an absolute deadline
 * (asyncio.timeout_at), ASYNC_NO_TIMEOUT for none yet (reschedule it inside
 * with async_timeout_reschedule). At the deadline the awaits inside are
 * cancelled and the block raises ASYNC_ETIMEOUT at its end; any other error,
 * an outside cancellation included, passes through as it is; ASYNC_RETURN
 * inside leaves it cleanly. Catch the timeout with a try block around it.
 *   ASYNC_TRY {
 *       ASYNC_TIMEOUT(&self->to, async_ms(50)) {
 *           ASYNC_AWAIT(&self->a);  ASYNC_AWAIT(&self->b);
 *       } ASYNC_END_TIMEOUT(&self->to);
 *   } ASYNC_EXCEPT(ASYNC_ETIMEOUT) { self->late++; } ASYNC_END_TRY;
 * It is a try block: the frame needs ASYNC_TRY_FRAME with a slot for it.
 * Hazard: ASYNC_TIMEOUT is a resume point (its own line). */
#define ASYNC_TIMEOUT(to, delay)                                                \
    if (async_timeout_after((to), ASYNC_TASK, (delay))) ASYNC_RAISE(ASYNC_EMISUSE); \
    ASYNC_TRY
#define ASYNC_TIMEOUT_AT(to, when)                                              \
    if (async_timeout_at((to), ASYNC_TASK, (when))) ASYNC_RAISE(ASYNC_EMISUSE); \
    ASYNC_TRY
/* The scope's exit is the block's finally part: every way out passes it. */
#define ASYNC_END_TIMEOUT(to)                                                   \
    ASYNC_TRY_FINALLY {                                                         \
        ASYNC_CAUGHT = (int16_t)async_timeout_exit((to), ASYNC_CAUGHT);         \
    }                                                                           \
    ASYNC_END_TRY

/* -------------------------------------------------------------- TaskGroup */

typedef struct async_taskgroup async_taskgroup;

/* A task spawned in a group: the task plus the group's bookkeeping. */
typedef struct async_tg_task {
    async_task task; /* first: &child.task.fut is awaitable as usual */
    async_callback cb;
    async_taskgroup *tg;
    struct async_tg_task *next;
    struct async_tg_task *next_failed; /* the group's failures, in completion order */
} async_tg_task;

/* asyncio.TaskGroup. The first child failure cancels the other children and the
 * body of the group (the parent task, at its next await); exit waits for every
 * child; new tasks are refused (ASYNC_ESHUTDOWN) after a failure. The errors,
 * asyncio's ExceptionGroup: every child that failed (with anything but a
 * cancellation, including children that fail while handling the group's
 * cancellation) in completion order, then the body's own error (not a
 * cancellation), as asyncio appends it last; `nerrors` counts them and
 * async_taskgroup_errors lists them. In C the exit raises one code, the first
 * of that list (an error code, not a group of exceptions); with no error, a
 * cancellation from outside is re-raised. The struct is also the frame of its
 * exit coroutine. */
struct async_taskgroup {
    async_frame hdr;
    async_task *parent;
    async_tg_task *children, *last; /* every child spawned, in spawn order */
    async_tg_task *failed, *failed_last; /* the failed ones, in completion order */
    async_future wake;
    unsigned pending, nerrors;
    int first_err, body_err, e;
    uint8_t entered, exiting, aborting, parent_cancel_requested, propagate_cancel;
    uint16_t magic;
};

/* async_taskgroup_enter(&tg, ASYNC_TASK) — open the group in the running task. */
ASYNC_API int async_taskgroup_enter(async_taskgroup *tg, async_task *parent);

ASYNC_API void async__tg_abort(async_taskgroup *tg);

ASYNC_API void async__tg_child_done(async_future *f, void *arg);

/* async_taskgroup_spawn(&tg, &child, fn, &frame, "name") — tg.create_task: 0,
 * or ASYNC_ESHUTDOWN once a child failed or the group is exiting with none left. */
ASYNC_API int async_taskgroup_spawn(async_taskgroup *tg, async_tg_task *c, async_fn fn, void *frame,
                                    const char *name);

ASYNC__CO(async_taskgroup_exit_co) {
    async_taskgroup *self = (async_taskgroup *)async_vself_;
    ASYNC_BEGIN();
    if (self->magic != ASYNC__MAGIC_TG || !self->entered) {
        ASYNC_MISUSE("TaskGroup exit without async_taskgroup_enter");
        ASYNC_RAISE(ASYNC_EMISUSE);
    }
    self->exiting = 1;
    self->propagate_cancel = self->body_err == ASYNC_ECANCELLED;
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
    /* asyncio: the group withdraws its own cancel of the parent (uncancel);
     * a cancellation is propagated only if one from outside remains. */
    if (self->parent_cancel_requested && async_task_uncancel(self->parent) == 0) self->propagate_cancel = 0;
    if (self->body_err && self->body_err != ASYNC_ECANCELLED) {
        self->nerrors++;
        if (!self->first_err) self->first_err = self->body_err;
    }
    if (self->first_err) ASYNC_RAISE(self->first_err);
    if (self->propagate_cancel) ASYNC_RAISE(ASYNC_ECANCELLED);
    ASYNC_END();
}

/* async_taskgroup_errors(&tg, errs, cap) — the group's errors (see above): the
 * count, with the first cap of them stored in errs[] in order (the rest are
 * counted, not stored; errs may be NULL with cap 0). Complete once the exit
 * has returned; during the body, the children's so far. The failed children
 * must still be valid memory (they hold the errors). Before
 * async_taskgroup_enter: misuse, 0.
 *   int errs[8]; size_t n = async_taskgroup_errors(&self->tg, errs, 8);
 *   for (i = 0; i < n && i < 8; i++) log_error(errs[i]); */
ASYNC_API size_t async_taskgroup_errors(async_taskgroup *tg, int *errs, size_t cap);

/* ASYNC_TASKGROUP_EXIT(&self->tg, body_err); — end of the `async with` block:
 * body_err is the error the body ended with (0 if none; catch it with a try
 * block or the *_CATCH awaits). Waits for every child; raises the group's error
 * (catch that where it is awaited with a try block around the exit).
 *   async_taskgroup_enter(&self->tg, ASYNC_TASK);
 *   async_taskgroup_spawn(&self->tg, &self->kids[0], worker, &self->wf[0], "w0");
 *   ASYNC_AWAIT_CATCH(&self->other.fut, self->err);
 *   ASYNC_TASKGROUP_EXIT(&self->tg, self->err); */
#define ASYNC_TASKGROUP_EXIT(tg, errv)                                          \
    do {                                                                        \
        (tg)->body_err = (errv);                                                \
        ASYNC__AWAIT_OP(async_taskgroup_exit_co, (tg));                         \
    } while (0)

/* ======================================================================
 * 13. Short names (define ASYNC_NO_SHORT_NAMES to keep the namespace clean)
 * ====================================================================== */
#ifndef ASYNC_NO_SHORT_NAMES
#define AWAIT(fut) ASYNC_AWAIT(fut)
#define AWAIT_CO(fn, frame) ASYNC_AWAIT_CO(fn, frame)
#define YIELD(v) ASYNC_YIELD(v)
#endif

/* ======================================================================
 * 14. Implementation: the bodies of the functions declared above, in the
 *     order of their sections (every file with ASYNC_CONFIG_INLINE=1; only
 *     the ASYNC_IMPLEMENTATION file with 0).
 * ====================================================================== */
#if ASYNC__BODIES
ASYNC_API int16_t async__err(int err) {
    if (ASYNC__LIKELY(err != 0 && err >= ASYNC_ERR_MIN && err <= ASYNC_ERR_MAX)) return (int16_t)err;
    ASYNC_MISUSE(err ? "error code out of range (an error must fit in -32767..32767)"
                     : "error code 0 raised or set (an error must be nonzero)");
    return ASYNC_EMISUSE;
}

ASYNC_API const char *async_strerror(int err) {
#define ASYNC__ERROR_CASE(name, value, msg) case name: return msg;
    switch (err) {
    case ASYNC_OK: return "success";
    ASYNC__ERROR_TABLE(ASYNC__ERROR_CASE)
    default: return err > 0 ? "user or system error" : "unknown error";
    }
#undef ASYNC__ERROR_CASE
}

ASYNC_API int async__try_push(async_ctx *ctx, async_frame *h, async__point at, unsigned cap) {
    async__try_stack *ts = ASYNC__TRY_STACK(h);
    async_try_slot *s;
    if (!(h->flags & ASYNC__IN_TRY)) ts->depth = 0; /* the frame's first: depth is not yet set */
    if (ts->depth >= cap) {
        ASYNC_MISUSE("try blocks nested deeper than the frame's ASYNC_TRY_FRAME(n)");
        ctx->err = ASYNC_EMISUSE;
        return 1;
    }
    /* not ts->slot[depth]: the array is declared with one element here */
    s = (async_try_slot *)(void *)((char *)ts + offsetof(async__try_stack, slot)) + ts->depth;
    s->at = at;
    s->err = 0;
    s->phase = ASYNC__T_BODY;
    ts->depth++;
    h->flags |= ASYNC__IN_TRY;
    return 0;
}

ASYNC__INLINE async_try_slot *async__try_top(async_frame *h) {
    async__try_stack *ts = ASYNC__TRY_STACK(h);
    return (async_try_slot *)(void *)((char *)ts + offsetof(async__try_stack, slot)) + (ts->depth - 1);
}

/* Drops the innermost try block; 0 when none is left. */
ASYNC__INLINE int async__try_pop(async_frame *h) {
    async__try_stack *ts = ASYNC__TRY_STACK(h);
    if (--ts->depth) return 1;
    h->flags &= (uint8_t)~ASYNC__IN_TRY;
    return 0;
}

ASYNC_API void async__try_finally(async_frame *h) {
    async_try_slot *s = async__try_top(h);
    if ((s->phase & ~ASYNC__T_RET) == ASYNC__T_FINALLY) return; /* sent here by a raise or return */
    if (s->phase != ASYNC__T_RAISED) s->err = 0;                /* nothing left unhandled */
    s->phase = ASYNC__T_FINALLY;
}

ASYNC_API int async__try_end(async_ctx *ctx, async_frame *h) {
    async_try_slot *s;
    int err, ret;
    async__try_finally(h);
    s = async__try_top(h);
    err = s->err;
    ret = s->phase & ASYNC__T_RET;
    async__try_pop(h);
    if (err) {
        ctx->err = (int16_t)err;
        return 1;
    }
    return ret ? 2 : 0;
}

ASYNC_API int async__try_arrive(async_ctx *ctx, async_frame *h) {
    async_try_slot *s = async__try_top(h);
    if (ctx->err) {
        h->flags &= (uint8_t)~(ASYNC__RETURNED | ASYNC__RETURNING); /* an error ends a pending return */
        if (s->phase == ASYNC__T_BODY) s->phase = ASYNC__T_RAISED;
        else if (s->phase == ASYNC__T_EXCEPT) s->phase = ASYNC__T_FINALLY;
        else { /* raised in its finally block: this one is over */
            async__try_pop(h);
            return 1;
        }
        s->err = ctx->err;
        ctx->err = 0;
        return 0;
    }
    if ((s->phase & ~ASYNC__T_RET) == ASYNC__T_FINALLY) { /* Python: return in finally drops its error */
        if (!async__try_pop(h)) h->flags &= (uint8_t)~ASYNC__RETURNING;
        return 2;
    }
    h->flags &= (uint8_t)~ASYNC__RETURNING;
    s->phase = ASYNC__T_FINALLY | ASYNC__T_RET;
    s->err = 0;
    return 0;
}

ASYNC_API int async__raise(async_ctx *ctx, async_frame *h) {
    if (h->flags & (ASYNC__IN_FINALLY | ASYNC__IN_TRY)) {
        if (h->flags & ASYNC__IN_TRY) return 2; /* the innermost try block takes it */
        /* raised in FINALLY (or before start): end now */
        h->err = ctx->err;
        ASYNC__HSET(h, ASYNC__S_DONE);
        h->flags = 0;
        return 1;
    }
    h->err = ctx->err;
    ctx->err = 0;
    ASYNC__HSET(h, ASYNC__S_FINALLY);
    return 0;
}

ASYNC_API async_status async__finish(async_ctx *ctx, async_frame *h) {
    if (!(h->flags & ASYNC__RETURNED)) ctx->value = async_none();
    ASYNC__HSET(h, ASYNC__S_DONE);
    h->flags = 0;
    if (h->err) {
        ctx->err = h->err;
        return ASYNC_FAILED;
    }
    return ASYNC_DONE;
}

ASYNC_API async_status async__lost(async_ctx *ctx, async_frame *h) {
    if (ASYNC__HIS(h, ASYNC__S_DONE)) { /* the frame stays finished */
        ASYNC_MISUSE("coroutine resumed after it finished (reset its frame to run it again)");
        ctx->err = ASYNC_EMISUSE;
        return ASYNC_FAILED;
    }
    ASYNC_MISUSE("resume point not found: AWAIT/YIELD inside your own `switch` "
                 "(needs ASYNC_CONFIG_LABELS=1) or a corrupt frame");
    ASYNC__HSET(h, ASYNC__S_DONE);
    h->flags = 0;
    ctx->err = ASYNC_EMISUSE;
    return ASYNC_FAILED;
}

ASYNC_API async_status async__broke(async_ctx *ctx) {
    ASYNC_MISUSE("`break` left a coroutine body (it belongs to the resume switch)");
    ctx->err = ASYNC_EMISUSE;
    return ASYNC_FAILED;
}

ASYNC_API void async_coro_init(async_coro *co, async_fn fn, void *frame) {
    co->ctx.value = async_none();
    co->ctx.state = ASYNC__PENDING;
    co->ctx.flags = 0;
    co->ctx.err = 0;
#if ASYNC_CONFIG_TASK_INFO
    co->where = NULL;
#endif
    co->fn = fn;
    co->frame = frame;
#if ASYNC_CONFIG_DIRECT_RESUME
    co->leaf.fn = NULL; /* (never read before a site records it; set for the compilers' sake) */
    co->leaf.frame = NULL;
    co->run.fn = fn;
    co->run.frame = frame;
#endif
    async_frame_reset(frame);
}

#if ASYNC_CONFIG_DIRECT_RESUME
ASYNC__COLD_API void async__co_up(async_ctx *ctx, async_frame *self, async_fn fn, void *child) {
    /* the first site on the way up records its child, unless the child
     * passed the suspension up through a site of its own (it recorded one) */
    if (!(((const async_frame *)child)->flags & ASYNC__ON_SITE)) {
        /* a context is a task's or an async_coro's: nothing else runs coroutines */
        async__leaf *l = (ctx->flags & ASYNC__F_TASK) ? &((async_task *)(void *)ctx)->fut.loop->leaf_seen
                                                      : &((async_coro *)(void *)ctx)->leaf;
        l->fn = fn;
        l->frame = child;
    }
    self->flags |= ASYNC__ON_SITE;
    /* A send's (a step's) next call: valid once the frame it called passes it
     * up, through sites only from it down (a coroutine written by hand in
     * between had the site above it record it instead); one written by
     * hand that was called passes nothing up, and stays what is called. */
    if (ctx->flags & ASYNC__F_TASK) {
        async_task *t = (async_task *)(void *)ctx;
        if (self == t->leaf.frame) t->leaf = t->fut.loop->leaf_seen;
    } else if (self == ((async_coro *)(void *)ctx)->run.frame)
        ((async_coro *)(void *)ctx)->run = ((async_coro *)(void *)ctx)->leaf;
}

/* A send's leaf finished: marked done, and the root runs to its parent,
 * whose ASYNC_AWAIT_CO takes the result (and may record a new leaf). */
ASYNC__NOINLINE_API async_status async__coro_leaf_done(async_coro *co, async_status s) {
    async__leaf_done(&co->ctx, co->run.frame, s);
    co->run.fn = co->fn;
    co->run.frame = co->frame;
    return co->fn(&co->ctx, co->frame);
}

ASYNC__COLD_API void async__leaf_done(async_ctx *ctx, void *frame, async_status st) {
    /* what its parent's site reads (a coroutine written by hand does not
     * mark its frame done itself) */
    async_frame *h = (async_frame *)frame;
    ASYNC__HSET(h, ASYNC__S_DONE);
    h->err = st == ASYNC_FAILED ? ctx->err : 0;
    h->flags = ASYNC__ON_SITE; /* its result waits for its parent's site */
}

/* ASYNC__TASK_RUN's finished leaf: the root takes over again. */
ASYNC__NOINLINE_API async_status async__task_leaf_done(async_task *t, async_status s) {
    async__leaf_done(&t->fut.c, t->leaf.frame, s);
    t->leaf.fn = t->h.fn;
    t->leaf.frame = t->frame;
    return t->h.fn(&t->fut.c, t->frame);
}
#endif

/* Off the hot path: a send to a coroutine that is running, finished, never
 * initialised, or parked on a future (then the value sent is ignored). 1: refused. */
ASYNC__COLD_API int async__resume_check(async_coro *co) {
    if (co->ctx.flags & ASYNC__F_RUNNING) {
        ASYNC_MISUSE("send to a coroutine that is already executing");
        return 1;
    }
    if (co->ctx.state != ASYNC__PENDING) {
        ASYNC_MISUSE("send to a finished (or never initialised) coroutine");
        co->ctx.err = ASYNC_EMISUSE;
        return 1;
    }
    return 0;
}

/* The address of a context's state, which follows async_value and so is at
 * least 2-aligned, said so to the compiler: strict-alignment CPUs (Cortex-M0)
 * then read state and flags with one halfword load instead of a memcpy call.
 * (Not on AVR, where nothing is aligned.) */
#if defined(__AVR__)
#define ASYNC__ALIGNED2(p) ((const void *)(p))
#else
#define ASYNC__ALIGNED2(p) __builtin_assume_aligned((p), 2)
#endif

/* Pending, and the flags under mask equal to want: state and flags read as
 * one 16-bit word where the compiler allows it (GCC, Clang), two bytes
 * elsewhere. A send, set_result and the task step test so. */
ASYNC__INLINE int async__pending_with(const async_ctx *c, unsigned mask, unsigned want) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__)
    uint16_t w;
    (void)sizeof(char[offsetof(async_ctx, flags) == offsetof(async_ctx, state) + 1 ? 1 : -1]);
    __builtin_memcpy(&w, ASYNC__ALIGNED2(&c->state), sizeof w);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (w & (0xFFu | mask << 8)) == (ASYNC__PENDING | want << 8);
#else
    return (w & (0xFF00u | mask)) == (ASYNC__PENDING << 8 | want);
#endif
#else
    return c->state == ASYNC__PENDING && (c->flags & mask) == want;
#endif
}

ASYNC_API async_status async__resume(async_coro *co, const async_value *v, int err) {
    async_status s;
    /* Only this function changes a bare coroutine's flags (RUNNING during the
     * call, AWAITING while parked): pending with no flag is the one state a
     * send goes straight through, and a single test finds it. */
    if (ASYNC__UNLIKELY(!async__pending_with(&co->ctx, 0xFFu, 0))) { /* pending, no flag */
        if (async__resume_check(co)) return ASYNC_FAILED;
    } else if (v)
        co->ctx.value = *v;
    if (err) ASYNC__THROWN_AWAIT(&co->ctx); /* (async_throw; a send passes 0) */
    co->ctx.state = ASYNC__PENDING; /* unchanged: the three stores merge into one */
    co->ctx.flags = ASYNC__F_RUNNING;
    co->ctx.err = (int16_t)err;
#if ASYNC_CONFIG_DIRECT_RESUME
    s = co->run.fn(&co->ctx, co->run.frame);
#else
    s = co->fn(&co->ctx, co->frame);
#endif
    if (ASYNC__LIKELY(s == ASYNC_YIELDED)) /* a generator's send: the caller tests s too */
        co->ctx.flags = 0;
    else {
#if ASYNC_CONFIG_DIRECT_RESUME
        if (s <= ASYNC_FAILED && co->run.frame != co->frame) s = async__coro_leaf_done(co, s);
        if (s == ASYNC_YIELDED) {
            co->ctx.flags = 0;
            return s;
        }
#endif
        co->ctx.flags = (uint8_t)(s == ASYNC_AWAITING ? ASYNC__F_AWAITING : 0);
        if (s <= ASYNC_FAILED) co->ctx.state = ASYNC__DONE;
    }
    return s;
}

ASYNC_API void async_future_init(async_future *f, async_loop *loop) {
    f->c.value = async_none();
    f->c.state = ASYNC__PENDING;
    f->c.flags = 0;
    f->c.err = 0;
    f->loop = loop;
    f->waiters = NULL;
}

/* DONE or FAILED: consecutive. */
#define ASYNC__ENDED(state) ((unsigned)((state) - ASYNC__DONE) <= ASYNC__FAILED - ASYNC__DONE)

ASYNC_API int async_future_error(async_future *f) {
    if (f->c.state == ASYNC__CANCELLED) return ASYNC_ECANCELLED;
    if (!ASYNC__ENDED(f->c.state)) return ASYNC_EINVALSTATE;
    f->c.flags |= ASYNC__F_RETRIEVED;
    if (f->c.err && (f->c.flags & ASYNC__F_TASK)) async__retrieved(f);
    return f->c.err;
}

ASYNC_API int async__future_err(async_future *f) {
    if (f->c.state == ASYNC__CANCELLED) return ASYNC_ECANCELLED;
    if (!ASYNC__ENDED(f->c.state)) return ASYNC_EINVALSTATE;
    f->c.flags |= ASYNC__F_RETRIEVED;
    return f->c.err;
}

ASYNC_API void async__future_wake(async_future *f) {
    if (ASYNC__UNLIKELY(f->c.flags & ASYNC__F_UNTIL)) f->loop->poll_left = 0;
    async__future_wake_plain(f);
}

ASYNC_API void async__future_wake_plain(async_future *f) {
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
    if (ASYNC__LIKELY(f->c.state == ASYNC__PENDING)) return 0; /* (tested first) */
    if (ASYNC__UNLIKELY(!ASYNC__FINISHED(f->c.state))) {
        ASYNC_MISUSE("future used before async_future_init (or task never created)");
        return ASYNC_EMISUSE;
    }
    return 0;
}

ASYNC_API void async__future_resolve(async_future *f, async_value v) {
    f->c.value = v;
    f->c.state = ASYNC__DONE;
    async__future_wake_plain(f);
}

/* Pending, not a task's (whose future its coroutine completes) and not the
 * one run_until_complete waits for (the slow path's): state and flags read
 * as one 16-bit word where the compiler allows it, so that one compare
 * tests all three. */
ASYNC__INLINE int async__future_settable(const async_future *f) {
    return async__pending_with(&f->c, ASYNC__F_TASK | ASYNC__F_UNTIL, 0);
}

/* (The slow path calls nothing that returns: inlined into a coroutine, a
 * call would make the whole body save registers.) */
ASYNC_API int async_future_set_result(async_future *f, async_value v) {
    if (ASYNC__UNLIKELY(!f || !async__future_settable(f))) {
        if (f && async__pending_with(&f->c, ASYNC__F_TASK, 0)) /* UNTIL: the loop has f->loop */
            f->loop->poll_left = 0;
        else
            return async__future_check(f) ? ASYNC_EMISUSE : ASYNC_EINVALSTATE;
    }
    async__future_resolve(f, v);
    return 0;
}

ASYNC_API int async_future_set_error(async_future *f, int err) {
    if (async__future_check(f)) return ASYNC_EMISUSE;
    if (f->c.state != ASYNC__PENDING || (f->c.flags & ASYNC__F_TASK)) return ASYNC_EINVALSTATE;
    f->c.err = async__err(err); /* never 0 */
    f->c.state = ASYNC__FAILED;
    async__future_wake(f);
    return f->c.err == ASYNC_EMISUSE && err != ASYNC_EMISUSE ? ASYNC_EMISUSE : 0;
}

ASYNC_API void async_op_init(async_op *op, async_loop *loop, async_op_cancel_fn cancel) {
    async_future_init(&op->fut, loop);
    op->cancel = cancel;
    if (cancel) op->fut.c.flags = ASYNC__F_OP;
    else ASYNC_MISUSE("async_op_init without a cancel hook (use async_future_init)");
}

ASYNC_API int async__op_cancelled(async_future *f) {
    async_op *op = (async_op *)(void *)f;
    return op->cancel(op);
}

ASYNC_API int async_future_cancel(async_future *f) { return async_future_cancel_msg(f, NULL); }

ASYNC_API int async_future_cancel_msg(async_future *f, const char *msg) {
    if (async__future_check(f)) return 0;
    if (f->c.state != ASYNC__PENDING) return 0;
    if (f->c.flags & ASYNC__F_TASK) return async__task_cancel_fut(f, msg);
    if (f->c.flags & ASYNC__F_TIMER) async__timer_disarm((async_timer *)(void *)f);
    if (f->c.flags & ASYNC__F_OP) { /* unregister before anyone wakes */
        int r = async__op_cancelled(f);
        if (r != ASYNC_OP_CANCELLED) return r > 0;
    }
    f->c.state = ASYNC__CANCELLED;
    f->c.err = ASYNC_ECANCELLED;
    f->c.value.p = (void *)(uintptr_t)msg; /* a cancelled future has no result */
    async__future_wake(f);
    return 1;
}

ASYNC_API void async__waiter_add(async_future *f, async_handle *h) {
    if (ASYNC__UNLIKELY(f->waiters != NULL)) { /* one waiter is the common case */
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
                int first = prev == f->waiters, last = cur == f->waiters;
                prev->next = cur->next;
                if (last) f->waiters = prev;
                else async__set_prev(cur->next, first ? NULL : prev); /* the list's first keeps NULL */
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
    cb->run = NULL;
    cb->fn(cb->fut, cb->arg);
}

ASYNC_API void async_future_add_done_callback(async_future *f, async_callback *cb, async_callback_fn fn,
                                              void *arg) {
    cb->run = async__callback_run;
    cb->h.fn = NULL;
    cb->h.next = NULL;
    cb->fut = f;
    cb->fn = fn;
    cb->arg = arg;
    if (async__future_check(f)) {
        cb->run = NULL;
        return;
    }
    if (f->c.state == ASYNC__PENDING) {
        cb->prev = f->waiters; /* the list's last, if any */
        async__waiter_add(f, &cb->h);
    } else if (f->loop) {
        async__ready_push_cb(f->loop, cb);
    } else {
        cb->run = NULL;
        ASYNC_MISUSE("done callback on a future that has no loop");
    }
}

ASYNC_API int async_future_remove_done_callback(async_future *f, async_callback *cb) {
    if (cb->fut != f || !f->loop || !cb->run) return 0; /* ran, or was removed */
    if (async__waiter_remove(f, &cb->h)) {
        cb->run = NULL;
        return 1;
    }
    async__ready_unlink(f->loop, cb); /* still to run, not waiting: it is queued */
    return 1;
}

ASYNC__COLD_API void async__retrieved(async_future *f) {
    async_loop *loop = f->loop;
    if (loop && loop->trace)
        loop->trace(loop, ASYNC_TRACE_RETRIEVED, (async_task *)(void *)f, ASYNC_FAILED, loop->trace_ud);
}

#if (ASYNC_CONFIG_TRACE)
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

#endif

/* A pending task awaits value.p from the end of a step that parked it to the
 * start of its next step (asyncio's _fut_waiter), with no flag to keep: its
 * creation and its bare yields leave none there (asyncio: a bare yield
 * resumes with None), a sleep(0) its timer marked ASYNC__F_YIELD, a step
 * that ended otherwise finished it. Not while it runs, nor while its step's
 * end hook runs (ASYNC__F_IN_HOOK), nor once it was found awaiting itself
 * (misuse: value.p is its own future). */
ASYNC__INLINE int async__task_parked(const async_future *f) {
    const async_future *w = (const async_future *)f->c.value.p;
    return w != NULL && w != f && !(f->c.flags & ASYNC__F_IN_HOOK) &&
           f->loop->current != (const async_task *)(const void *)f &&
           /* (a task in its hook carries YIELD's bit too: the timer's) */
           (w->c.flags & (ASYNC__F_YIELD | ASYNC__F_TIMER)) != (ASYNC__F_YIELD | ASYNC__F_TIMER);
}

ASYNC_API void async_task_init(async_task *t) {
    async_future_init(&t->fut, NULL);
    t->fut.c.state = ASYNC__DONE;
    t->fut.c.flags = ASYNC__F_TASK;
    t->h.next = NULL;
    t->h.fn = NULL;
    t->frame = NULL;
#if ASYNC_CONFIG_DIRECT_RESUME
    t->leaf.fn = NULL; /* (set by async_task_create) */
    t->leaf.frame = NULL;
#endif
#if ASYNC_CONFIG_TASK_INFO
    t->where = NULL;
    t->name = "task";
    t->cancel_msg = NULL;
    t->live.next = t->live.prev = NULL;
#endif
}

ASYNC_API int async_task_create(async_loop *loop, async_task *t, async_fn fn, void *frame, const char *name) {
    if (ASYNC__UNLIKELY(t->fut.c.state == ASYNC__PENDING && (t->fut.c.flags & ASYNC__F_TASK))) {
        ASYNC_MISUSE("async_task_create on a task that is still running");
        return ASYNC_EBUSY;
    }
    if (ASYNC__UNLIKELY(!fn)) { /* queued, its handle would read as a callback's */
        ASYNC_MISUSE("async_task_create with a NULL coroutine");
        return ASYNC_EINVAL;
    }
    /* async_future_init's work: memory that does not read as a running task
     * may still be a stack slot or a recycled buffer, not a finished task;
     * and a body (one written by hand) may read its value before it writes it */
    t->fut.c.value = async_none();
    t->fut.waiters = NULL;
    t->fut.c.state = ASYNC__PENDING;
    t->fut.c.flags = ASYNC__F_TASK;
    t->fut.c.err = 0;
    t->fut.loop = loop;
    t->h.fn = fn; /* never NULL for a task: a NULL fn marks a callback's handle */
    t->frame = frame;
    async_frame_reset(frame);
#if ASYNC_CONFIG_DIRECT_RESUME
    t->leaf.fn = fn; /* what a step calls: the root until a site passes a child up */
    t->leaf.frame = frame;
#endif
    *async__task_cancels(t) = 0;
#if ASYNC_CONFIG_TASK_INFO
    t->name = name ? name : "task";
    t->cancel_msg = NULL;
    t->where = NULL;
    {
        async__live *first = loop->live.next;
        t->live.next = first;
        t->live.prev = &loop->live;
        first->prev = &t->live;
        loop->live.next = &t->live;
    }
#else
    (void)name;
#endif
    async__ready_push(loop, &t->h);
    return 0;
}

/* Out of line and cold: its cast to the task stays away from code that
 * inlines async_future_cancel on a plain future (GCC's -Warray-bounds). */
ASYNC__COLD_API void async__task_note_cancel(async_future *f, const char *msg) {
    async_task *t = (async_task *)(void *)f;
    uint8_t *n = async__task_cancels(t);
    if (*n != UINT8_MAX) ++*n;
#if ASYNC_CONFIG_TASK_INFO
    t->cancel_msg = msg;
#else
    (void)msg;
#endif
}

ASYNC_API int async__task_cancel_fut(async_future *f, const char *msg) {
    if (async__future_check(f) || f->c.state != ASYNC__PENDING) return 0;
    async__task_note_cancel(f, msg);
    if (async__task_parked(f)) {
        if (async_future_cancel_msg((async_future *)f->c.value.p, msg)) return 1;
    }
    f->c.flags |= ASYNC__F_MUST_CANCEL;
    return 1;
}

/* Cold and out of line for the same reason as async__task_note_cancel. */
ASYNC__COLD_API const char *async__task_msg(const async_future *f) {
    return async_task_cancel_message((const async_task *)(const void *)f);
}

ASYNC_API unsigned async_task_cancelling(const async_task *t) {
    /* a finished task's frame may be gone */
    return t->fut.c.state == ASYNC__PENDING ? *async__task_cancels((async_task *)(uintptr_t)t) : 0u;
}

ASYNC_API unsigned async_task_uncancel(async_task *t) {
    uint8_t *n;
    if (t->fut.c.state != ASYNC__PENDING) return 0;
    n = async__task_cancels(t);
    if (*n && !--*n) /* as 3.13: nothing left to deliver */
        t->fut.c.flags &= (uint8_t)~ASYNC__F_MUST_CANCEL;
    return *n;
}

ASYNC_API const char *async_task_cancel_message(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    return t ? t->cancel_msg : NULL;
#else
    (void)t;
    return NULL;
#endif
}

ASYNC_API const char *async_future_cancel_message(const async_future *f) {
    if (f->c.state != ASYNC__CANCELLED) return NULL;
    if (f->c.flags & ASYNC__F_TASK) return async__task_msg(f);
    return (const char *)f->c.value.p;
}

ASYNC_API const char *async_task_name(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    return t->name;
#else
    (void)t;
    return "task";
#endif
}

ASYNC_API char *async_task_where(const async_task *t, char *buf, size_t size) {
    const char *s = "?";
    size_t n = 0;
    if (!size) return buf;
#if ASYNC_CONFIG_TASK_INFO
    if (t->fut.c.state != ASYNC__PENDING) s = "finished";
    else if (!t->where) s = "not started";
    else {
        const char *f = async_task_where_file(t);
        char digits[5], c;
        unsigned line = async_task_where_line(t), k = 0;
        while ((c = (char)async__flash_byte(f++)) != 0 && n + 1 < size) buf[n++] = c;
        if (n + 1 < size) buf[n++] = ':';
        do {
            digits[k++] = (char)('0' + line % 10u);
            line /= 10u;
        } while (line);
        while (k && n + 1 < size) buf[n++] = digits[--k];
        buf[n] = 0;
        return buf;
    }
#else
    (void)t;
#endif
    while (*s && n + 1 < size) buf[n++] = *s++;
    buf[n] = 0;
    return buf;
}

ASYNC_API unsigned async_task_where_line(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    const async_where *w = t->where;
    if (t->fut.c.state != ASYNC__PENDING || !w) return 0;
#if ASYNC__FLASH_FILE
    return async__flash_word(&w->line);
#else
    return w->line;
#endif
#else
    (void)t;
    return 0;
#endif
}

ASYNC_API const char *async_task_where_file(const async_task *t) {
#if ASYNC_CONFIG_TASK_INFO
    const async_where *w = t->where;
    if (t->fut.c.state != ASYNC__PENDING || !w) return NULL;
#if ASYNC__FLASH_FILE
    return (const char *)(uintptr_t)async__flash_word(&w->file);
#else
    return w->file;
#endif
#else
    (void)t;
    return NULL;
#endif
}

ASYNC_API async_future *async_task_waiting_on(const async_task *t) {
    return (t->fut.c.state == ASYNC__PENDING && async__task_parked(&t->fut))
               ? (async_future *)t->fut.c.value.p
               : NULL;
}

ASYNC_API void async__task_finish(async_task *t, async_status s) {
    async_handle *w = t->fut.waiters;
    uint8_t fl = (uint8_t)(t->fut.c.flags & ~(ASYNC__F_MUST_CANCEL | ASYNC__F_SLEEP0));
    if (ASYNC__LIKELY(s == ASYNC_DONE)) {
        t->fut.c.state = ASYNC__DONE;
        t->fut.c.flags = fl;
        t->fut.c.err = 0;
    } else {
        t->fut.c.state = t->fut.c.err == ASYNC_ECANCELLED ? ASYNC__CANCELLED
                         : t->fut.c.err                    ? ASYNC__FAILED
                                                           : ASYNC__DONE; /* (FAILED, no error: written by hand) */
        t->fut.c.flags = fl;
    }
#if ASYNC_CONFIG_TASK_INFO
    /* the links stay stale: nothing walks a done task's (the next create relinks it) */
    t->live.prev->next = t->live.next;
    t->live.next->prev = t->live.prev;
#endif
#if ASYNC__STEP_TRACED_COPY
    if (ASYNC__UNLIKELY(&t->fut == t->fut.loop->until)) t->fut.loop->poll_left = 0;
#endif
    /* async__future_wake without its test of the loop: a task always has one */
    if (w) {
        t->fut.waiters = NULL;
        async__ready_splice(t->fut.loop, w);
    }
}

ASYNC__COLD_API void async__task_self_await(async_task *t) {
    ASYNC_MISUSE("a task awaits itself");
    t->fut.c.err = ASYNC_EMISUSE; /* raised at the await: its resume reads the same slot */
    async__ready_push(t->fut.loop, &t->h);
}

/* The cancellation a step delivers: thrown in at the task's resume point. */
ASYNC__COLD_API void async__task_cancel_deliver(async_task *t) {
    t->fut.c.err = ASYNC_ECANCELLED;
    ASYNC__THROWN_AWAIT(&t->fut.c);
    t->fut.c.flags &= (uint8_t)~ASYNC__F_MUST_CANCEL;
}

ASYNC__COLD_API void async__task_cancel_parked(async_task *t, async_future *w) {
    /* cancelled itself during the step: the request goes to what it awaits */
    if (async_future_cancel(w)) t->fut.c.flags &= (uint8_t)~ASYNC__F_MUST_CANCEL;
}

#if ASYNC__STEP_TRACED_COPY
/* The hosts' park when the task awaits itself or cancelled itself during
 * the step: off its path, which tests both at once. */
ASYNC__COLD_API void async__task_park_slow(async_task *t, async_future *w) {
    if (w == &t->fut) {
        async__task_self_await(t);
        return;
    }
    async__waiter_add(w, &t->h);
    async__task_cancel_parked(t, w);
}
#endif

/* A task its step resumes as it is: pending, no cancellation to deliver, no
 * flag but TASK. Hosts read state
 * and flags as one 16-bit word (async__pending_with); boards say 0, which leaves
 * them the step's slow entry, its two byte tests, in less code (a word read
 * may not be aligned there, and costs a memcpy on Cortex-M0). */
ASYNC__INLINE int async__task_plain(const async_ctx *c) {
#if ASYNC__STEP_TRACED_COPY
    return async__pending_with(c, 0xFFu, ASYNC__F_TASK);
#else
    (void)c;
    return 0;
#endif
}

/* Task.__step of asyncio, inlined into its entries: the plain one passes
 * trace NULL, so that the hook's tests leave the hot path; the loop picks the
 * traced one while a hook is installed. loop: the loop stepping it. keep:
 * the short iterations' copy, which leaves loop->current set when the task
 * parks: it is stale only while loop code runs, up to the next step, which
 * sets it, or the next callback or the end of the short run, which clear it
 * (a park that can call out, below, clears it first). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((always_inline))
#endif
ASYNC__INLINE void async__task_step_in(async_loop *loop, async_handle *h, async_trace_fn trace, int keep) {
    async_task *t = (async_task *)(void *)((char *)h - offsetof(async_task, h));
    async_status s;
    uint8_t fl;
    int requeued = 0; /* (traced only) AWAITING on what the hook completed */
    if (ASYNC__UNLIKELY(!async__task_plain(&t->fut.c))) {
        fl = t->fut.c.flags;
        if (t->fut.c.state != ASYNC__PENDING) return;
        if (fl & ASYNC__F_MUST_CANCEL) async__task_cancel_deliver(t);
    }
    loop->current = t;
    if (trace) trace(loop, ASYNC_TRACE_STEP_BEGIN, t, ASYNC_DONE, loop->trace_ud);
    ASYNC__TASK_RUN(s, t);
#if ASYNC_CONFIG_DIRECT_RESUME
    /* the hook sees the step's own status (the plain step tests it only on
     * the finishing path, below) */
    if (trace && s <= ASYNC_FAILED && ASYNC__TASK_LEAF_ENDED(t)) s = async__task_leaf_done(t, s);
finished_leaf:
#endif
    if (!keep) loop->current = NULL;
    /* a hook installed during a step reports from the next one (paired events);
     * it sees the step over and the task not yet parked: value.p is no
     * future it awaits yet (or its yielded value, or its result), so a
     * cancel from the hook must not go there (ASYNC__F_IN_HOOK) */
    if (trace && loop->trace) {
        t->fut.c.flags |= ASYNC__F_IN_HOOK;
        loop->trace(loop, ASYNC_TRACE_STEP_END, t, s, loop->trace_ud);
        t->fut.c.flags &= (uint8_t)~ASYNC__F_IN_HOOK;
        /* the hook completed what the task is about to wait on: no wake-up
         * would come, so it goes back to the ready queue (its await reads
         * the result on resume) */
        if (s == ASYNC_AWAITING && ((async_future *)t->fut.c.value.p)->c.state != ASYNC__PENDING) {
            s = ASYNC_YIELDED;
            requeued = 1;
        }
    }
    /* the flags read after the call: a cancel during the step may have set MUST_CANCEL */
    if (ASYNC__LIKELY(s == ASYNC_AWAITING)) {
        async_future *w = (async_future *)t->fut.c.value.p;
#if ASYNC__STEP_TRACED_COPY
        /* hosts: the two rare cases in one test, and AWAITING set last */
        if (ASYNC__UNLIKELY((t->fut.c.flags & ASYNC__F_MUST_CANCEL) || w == &t->fut)) {
            loop->current = NULL;
            async__task_park_slow(t, w);
            return;
        }
        async__waiter_add(w, h);
#else
        /* boards: the smaller code (no keep: loop->current is NULL already) */
        fl = t->fut.c.flags;
        if (ASYNC__UNLIKELY(w == &t->fut)) {
            async__task_self_await(t);
            return;
        }
        async__waiter_add(w, h);
        if (ASYNC__UNLIKELY(fl & ASYNC__F_MUST_CANCEL)) async__task_cancel_parked(t, w);
#endif
        return;
    }
    if (keep) loop->current = NULL;
    if (s == ASYNC_YIELDED) {
        /* asyncio: a bare yield resumes with None (and so parks on nothing);
         * a sleep(0) resumes with its timer, which parks on nothing either */
        fl = t->fut.c.flags;
        if (ASYNC__UNLIKELY(fl & ASYNC__F_SLEEP0)) t->fut.c.flags = (uint8_t)(fl & ~ASYNC__F_SLEEP0);
        else if (!requeued) t->fut.c.value = async_none();
        async__ready_push(t->fut.loop, h);
        t->fut.loop->poll_left = 0; /* a yield (sleep(0)) gives I/O its turn, as in asyncio */
    } else {
#if ASYNC_CONFIG_DIRECT_RESUME
        if (ASYNC__UNLIKELY(ASYNC__TASK_LEAF_ENDED(t))) { /* the root runs on to its parent's site */
            loop->current = t;
            s = async__task_leaf_done(t, s);
            goto finished_leaf;
        }
#endif
        fl = t->fut.c.flags;
        if (s == ASYNC_DONE && (fl & ASYNC__F_MUST_CANCEL)) {
            /* asyncio's Task.__step: cancelled (by itself) right before it
             * returned, with no suspension left to deliver it: ends cancelled */
            t->fut.c.err = ASYNC_ECANCELLED;
            s = ASYNC_FAILED;
        }
        async__task_finish(t, s);
    }
}

#if ASYNC__STEP_TRACED_COPY
ASYNC_API void async__task_step(async_loop *loop, async_handle *h) { async__task_step_in(loop, h, NULL, 0); }

ASYNC__COLD_API void async__task_step_traced(async_loop *loop, async_handle *h) {
    async__task_step_in(loop, h, loop->trace, 0);
}
#else
ASYNC_API void async__task_step(async_loop *loop, async_handle *h) { async__task_step_in(loop, h, loop->trace, 0); }
#endif

/* The task meets a cancelled future: that future's message is the one it
 * catches (asyncio: the CancelledError comes from the future). */
ASYNC__COLD_API void async__task_cancelled_by(async_ctx *ctx, const async_future *f) {
#if ASYNC_CONFIG_TASK_INFO
    /* one without a message keeps the task's (a self-cancel reaches its await so) */
    const char *msg = async_future_cancel_message(f);
    if (msg) ((async_task *)(void *)ctx)->cancel_msg = msg;
#else
    (void)ctx;
    (void)f;
#endif
}

ASYNC__COLD_API void async__await_null(async_ctx *ctx) {
    ASYNC_MISUSE("NULL future");
    ctx->err = ASYNC_EMISUSE;
    ASYNC__THROWN_AWAIT(ctx); /* what async__await_done reads instead of NULL */
}

ASYNC_API int async__await_end(async_ctx *ctx) {
    async_future *f = (async_future *)ctx->value.p;
    /* ctx->err is set for a NULL future: f is read only without it */
    if (ASYNC__LIKELY(!ctx->err && f->c.state == ASYNC__DONE)) {
        ctx->value = f->c.value;
        return 0;
    }
    return async__await_slow(ctx);
}

ASYNC_API int async__await_slow(async_ctx *ctx) {
    async_future *f = (async_future *)ctx->value.p;
    if (ctx->err) return 1; /* thrown in (cancellation) while parked, or a NULL future */
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
        if (ctx->flags & ASYNC__F_TASK) async__task_cancelled_by(ctx, f);
        ctx->err = ASYNC_ECANCELLED;
        return 1;
    }
    /* done with an error: only an error's retrieval matters */
    f->c.flags |= ASYNC__F_RETRIEVED;
    if (f->c.flags & ASYNC__F_TASK) f->loop->retrieved = f;
    ctx->err = f->c.err;
    return 1;
}

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
#if ASYNC_CONFIG_TIMER_WHEEL
    if (t->child == t) {
        async__wheel_unlink(loop, t);
        t->child = t->sibling = t->prev = NULL;
        return;
    }
#endif
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
#if ASYNC_CONFIG_TIMER_WHEEL
    if (!loop->timers && loop->wheel_count) async__wheel_pull(loop);
#endif
}

ASYNC_API int async__timer_next(const async_loop *loop, async_time *deadline) {
    if (!loop->timers) return 0;
    *deadline = loop->timers->deadline;
    return 1;
}

ASYNC_API void async__timers_expire(async_loop *loop) {
#if ASYNC_CONFIG_TIMER_WHEEL
    if (loop->timers && !async_time_before(loop->now, loop->timers->deadline)) async__timers_fire(loop);
#else
    async_timer *t;
    while ((t = loop->timers) != NULL && !async_time_before(loop->now, t->deadline)) {
        async__timer_disarm(t);
        t->fut.c.state = ASYNC__DONE;
        async__future_wake(&t->fut);
    }
#endif
}

#if ASYNC_CONFIG_TIMER_WHEEL
ASYNC__NOINLINE_API void async__timers_fire(async_loop *loop) {
    async_timer *t;
    while ((t = loop->timers) != NULL && !async_time_before(loop->now, t->deadline)) {
        /* async__timer_disarm for the heap's root */
        t->fut.c.flags &= (uint8_t)~ASYNC__F_ARMED;
        loop->timers = async__heap_merge_pairs(t->child);
        t->child = t->sibling = NULL;
        if (!loop->timers && loop->wheel_count) async__wheel_pull(loop);
        t->fut.c.state = ASYNC__DONE;
        async__future_wake(&t->fut);
    }
}
#endif

#if ASYNC_CONFIG_TIMER_WHEEL
ASYNC_API unsigned async__ctz64(uint64_t x) {
    unsigned n = 0;
    for (; !(x & 1u); x >>= 1) n++;
    return n;
}

ASYNC_API void async__wheel_place(async_loop *loop, async_timer *t) {
    async_time delta = (async_time)(t->deadline - loop->wheel_time);
    async_timer **slot, *h;
    unsigned l = 0, i;
    /* A deadline ASYNC_MAX_DELAY ahead of the loop's time, with the wheel's
     * slot starting before that time, is more than half the clock's range
     * from it: the difference reads as negative, but the timer is the latest
     * of all (the top level's; it is looked at again on the way). */
    if (ASYNC__UNLIKELY((ASYNC_STIME_T)delta < 0) && !async_time_before(t->deadline, loop->now) &&
        async_time_before(loop->wheel_time, loop->now))
        delta = ASYNC_MAX_DELAY;
    /* Due in the wheel's current slot, or before it (a deadline in the past). */
    if (ASYNC__WHEEL_LEVELS == 0 || (ASYNC_STIME_T)delta < 0 || !(delta >> ASYNC_CONFIG_TIMER_SHIFT)) {
        t->child = t->sibling = t->prev = NULL;
        loop->timers = async__heap_meld(loop->timers, t);
        loop->timers->prev = NULL;
        return;
    }
    /* Within 64 slots of level l, so its slot comes round before the deadline. */
    while (l + 1 < (unsigned)ASYNC__WHEEL_LEVELS && (async_time)(delta >> ASYNC__WHEEL_SHIFT(l)) >= (async_time)64u) l++;
    i = (unsigned)(t->deadline >> ASYNC__WHEEL_SHIFT(l)) & 63u;
    slot = &loop->wheel[l][i];
    t->child = t;
    t->level = (uint8_t)l;
    if ((h = *slot) != NULL) { /* at the tail of the ring */
        t->sibling = h;
        t->prev = h->prev;
        h->prev->sibling = t;
        h->prev = t;
    } else {
        t->sibling = t->prev = t;
        *slot = t;
        loop->wheel_used[l] |= (uint64_t)1 << i;
    }
    loop->wheel_count++;
}

ASYNC_API void async__wheel_unlink(async_loop *loop, async_timer *t) {
    unsigned l = t->level, i = (unsigned)(t->deadline >> ASYNC__WHEEL_SHIFT(l)) & 63u;
    loop->wheel_count--;
    if (loop->wheel[l][i] == t) { /* a ring's head: its slot moves on */
        if (t->sibling == t) {
            loop->wheel[l][i] = NULL;
            loop->wheel_used[l] &= ~((uint64_t)1 << i);
            return;
        }
        loop->wheel[l][i] = t->sibling;
    }
    t->prev->sibling = t->sibling;
    t->sibling->prev = t->prev;
}

ASYNC_API void async__wheel_cascade(async_loop *loop, unsigned l, unsigned i) {
    async_timer *t = loop->wheel[l][i], *next;
    loop->wheel[l][i] = NULL;
    loop->wheel_used[l] &= ~((uint64_t)1 << i);
    t->prev->sibling = NULL;
    for (; t; t = next) {
        next = t->sibling;
        loop->wheel_count--;
        async__wheel_place(loop, t);
    }
}

ASYNC__COLD_API void async__wheel_leap(async_loop *loop) {
    const unsigned top = (unsigned)ASYNC__WHEEL_LEVELS - 1u;
    async_timer *t, *h;
    async_time first = 0, w;
    unsigned i;
    int found = 0;
    for (i = 0; i < 64; i++) {
        if (!(loop->wheel_used[top] >> i & 1u)) continue;
        h = t = loop->wheel[top][i];
        do {
            if (!found || async_time_before(t->deadline, first)) first = t->deadline;
            found = 1;
            t = t->sibling;
        } while (t != h);
    }
    w = (async_time)(first & (async_time) ~(async_time)(((async_time)1 << ASYNC__WHEEL_SHIFT(top)) - 1u));
    if (async_time_before(loop->wheel_time, w)) loop->wheel_time = w;
    for (i = 0; i < 64; i++)
        if (loop->wheel_used[top] >> i & 1u) async__wheel_cascade(loop, top, i);
}

ASYNC_API void async__wheel_pull(async_loop *loop) {
    unsigned fruitless = 0;
    while (!loop->timers && loop->wheel_count) {
        async_time w = loop->wheel_time, next = w, b;
        unsigned l, c;
        int found = 0;
        if (fruitless >= 2) {
            async__wheel_leap(loop);
            fruitless = 0;
            continue;
        }
        /* When each level's next occupied slot comes round: the first slot in
         * ring order after the level's current one (a level's current slot
         * comes round again only 64 slots later). */
        for (l = 0; l < (unsigned)ASYNC__WHEEL_LEVELS; l++) {
            uint64_t m = loop->wheel_used[l];
            async_time at;
            if (!m) continue;
            b = (async_time)(w >> ASYNC__WHEEL_SHIFT(l));
            c = ((unsigned)b + 1u) & 63u;
            if (c) m = (m >> c) | (m << (64u - c));
            at = (async_time)((async_time)(b + 1u + ASYNC__CTZ64(m)) << ASYNC__WHEEL_SHIFT(l));
            if (!found || (async_time)(at - w) < (async_time)(next - w)) next = at;
            found = 1;
        }
        /* Every slot that starts there comes round: top level first, whose
         * timers may fall into a lower level's slot that starts there too. */
        loop->wheel_time = next;
        for (l = (unsigned)ASYNC__WHEEL_LEVELS; l-- > 0;) {
            unsigned i;
            if ((async_time)(next & (async_time)(((async_time)1 << ASYNC__WHEEL_SHIFT(l)) - 1u))) continue;
            i = (unsigned)(next >> ASYNC__WHEEL_SHIFT(l)) & 63u;
            if (loop->wheel_used[l] >> i & 1u) async__wheel_cascade(loop, l, i);
        }
        /* Nothing came down from the top level: what is left lies beyond the
         * wheel's span, and would come round once a span, span after span. */
        for (l = 0; l + 1 < (unsigned)ASYNC__WHEEL_LEVELS && !loop->wheel_used[l]; l++) {
        }
        fruitless = !loop->timers && l + 1 >= (unsigned)ASYNC__WHEEL_LEVELS ? fruitless + 1 : 0;
    }
}

ASYNC__COLD_API void async__wheel_rewind(async_loop *loop) {
    async_timer *work = loop->timers, *n, *c, *last;
    loop->timers = NULL;
    loop->wheel_time = (async_time)(loop->now & (async_time) ~(async_time)(((async_time)1 << ASYNC_CONFIG_TIMER_SHIFT) - 1u));
    /* Every heap node, depth first: a node's children go in front of the rest. */
    while (work) {
        n = work;
        work = n->sibling;
        if ((c = n->child) != NULL) {
            for (last = c; last->sibling; last = last->sibling) {
            }
            last->sibling = work;
            work = c;
        }
        async__wheel_place(loop, n);
    }
}

ASYNC_API int async__wheel_holds(const async_loop *loop, const async_timer *t) {
    const async_timer *n = t, *s;
    unsigned l;
    do { /* round the ring, each step checked from the next one's side */
        s = n->sibling;
        if (!s || s->prev != n || s->child != s) return 0;
        if ((l = n->level) < (unsigned)ASYNC__WHEEL_LEVELS &&
            loop->wheel[l][(unsigned)(n->deadline >> ASYNC__WHEEL_SHIFT(l)) & 63u] == n)
            return 1;
        n = s;
    } while (n != t);
    return 0;
}

ASYNC_API void async__timer_insert(async_loop *loop, async_timer *t) {
    async_time slot0 = (async_time) ~(async_time)(((async_time)1 << ASYNC_CONFIG_TIMER_SHIFT) - 1u);
    if (!loop->timers) { /* nothing armed: the heap stands for this timer's slot */
        loop->wheel_time = (async_time)(t->deadline & slot0);
        t->child = t->sibling = t->prev = NULL;
        loop->timers = t;
        return;
    }
    if (ASYNC__UNLIKELY(async_time_before(t->deadline, loop->wheel_time)) &&
             async_time_before((async_time)(loop->now & slot0), loop->wheel_time))
        async__wheel_rewind(loop);
    async__wheel_place(loop, t);
    if (!loop->timers) async__wheel_pull(loop);
}
#endif

ASYNC_API void async_timer_init(async_timer *t, async_loop *loop) {
    async_future_init(&t->fut, loop);
    t->fut.c.flags = ASYNC__F_TIMER;
    t->fut.c.state = ASYNC__DONE; /* idle: not pending until started */
    t->child = t->sibling = t->prev = NULL;
    t->deadline = 0;
    t->seq = 0;
#if ASYNC_CONFIG_TIMER_WHEEL
    t->level = 0;
#endif
}

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
#if ASYNC_CONFIG_TIMER_WHEEL
    async__timer_insert(loop, t);
#else
    t->child = t->sibling = t->prev = NULL;
    loop->timers = async__heap_meld(loop->timers, t);
    loop->timers->prev = NULL;
#endif
    /* due at once: the loop's short iterations, which do not look at the
     * timers, end at the next batch (see async__loop_run_short) */
    if (!async_time_before(loop->now, when)) loop->poll_left = 0;
    return 0;
}

ASYNC_API int async_timer_start(async_timer *t, async_time delay) {
    /* a longer delay would wrap to a deadline in the past */
    if (ASYNC__UNLIKELY(delay > ASYNC_MAX_DELAY)) delay = ASYNC_MAX_DELAY;
    return async_timer_start_at(t, t->fut.loop->now + delay);
}

#if (ASYNC_CONFIG_FLOAT)
ASYNC_API async_time async_seconds(double s) {
    double t;
    if (!(s > 0)) return 0; /* NaN too */
    t = s * (double)ASYNC_TICKS_PER_SEC + 0.5;
    /* (double)ASYNC_MAX_DELAY may round up to 2^63: then t below it still fits */
    if (t >= (double)ASYNC_MAX_DELAY) return ASYNC_MAX_DELAY;
    return (async_time)t;
}

#endif

ASYNC_API async_time async_ms(unsigned long ms) {
#if ASYNC_TICKS_PER_SEC % 1000 == 0
    /* Comparisons of unsigned types of different widths preserve values. */
    const async_time k = (async_time)(ASYNC_TICKS_PER_SEC / 1000);
    if (ms > ASYNC_MAX_DELAY / k) return ASYNC_MAX_DELAY;
    return (async_time)((async_time)ms * k);
#else
    /* Whole seconds, then the rest: ms * ticks would overflow first. */
    unsigned long sec = ms / 1000u, frac;
    async_time t;
    if (sec > ASYNC_MAX_DELAY / (async_time)ASYNC_TICKS_PER_SEC) return ASYNC_MAX_DELAY;
    t = (async_time)((async_time)sec * (async_time)ASYNC_TICKS_PER_SEC);
    frac = (unsigned long)(ms % 1000u) * (unsigned long)ASYNC_TICKS_PER_SEC / 1000u;
    if (frac > (unsigned long)(ASYNC_MAX_DELAY - t)) return ASYNC_MAX_DELAY;
    return (async_time)(t + (async_time)frac);
#endif
}

ASYNC_API int async__timer_in_heap(const async_loop *loop, const async_timer *t) {
    const async_timer *p;
    if (!(t->fut.c.flags & ASYNC__F_ARMED) || t->fut.c.state != ASYNC__PENDING || t->fut.loop != loop) return 0;
#if ASYNC_CONFIG_TIMER_WHEEL
    if (t->child == t) return async__wheel_holds(loop, t);
#endif
    for (; (p = t->prev) != NULL; t = p)
        if (p->child != t && p->sibling != t) return 0;
    return t == loop->timers;
}

ASYNC_API async_future *async__sleep_start(async_ctx *ctx, async_timer *t, async_time ticks, async_value v) {
    /* done, so that the await raises ctx->err at once; never written */
    static const async_future refused = {{{0}, ASYNC__DONE, 0, 0}, NULL, NULL};
    async_loop *loop;
    if (ASYNC__UNLIKELY(!(ctx->flags & ASYNC__F_TASK))) {
        ASYNC_MISUSE("sleep outside a task (no loop to run the timer)");
        async_future_init(&t->fut, NULL); /* no garbage flags for the await to read */
        t->fut.c.state = ASYNC__FAILED;
        t->fut.c.err = ASYNC_EMISUSE;
        return &t->fut;
    }
    loop = ((async_task *)(void *)ctx)->fut.loop;
    /* Re-initialising it would put it in the heap twice. */
    if (ASYNC__UNLIKELY(async__timer_in_heap(loop, t))) {
        ASYNC_MISUSE("sleep on a timer that is still armed (two tasks share it, or its frame is reused)");
        ctx->err = ASYNC_EBUSY;
        return (async_future *)(uintptr_t)&refused;
    }
    async_timer_init(t, loop);
    if (ticks == 0) { /* sleep(0): no timer, the task goes to the back of the queue */
        t->fut.c.value = v;
        t->fut.c.flags |= ASYNC__F_YIELD;
        ctx->flags |= ASYNC__F_SLEEP0; /* the step keeps value.p: the await reads v there */
        return &t->fut;
    }
    async_timer_start(t, ticks);
    t->fut.c.value = v; /* the loop completes a timer without touching its value */
    return &t->fut;
}

/* The ready queue's last handle (it is not empty): its next is what
 * ready_link points to, a handle's first member. */
ASYNC__INLINE async_handle *async__ready_last(const async_loop *loop) {
    (void)sizeof(char[offsetof(async_handle, next) == 0 ? 1 : -1]);
    return (async_handle *)(void *)loop->ready_link;
}

ASYNC_API void async__ready_push(async_loop *loop, async_handle *h) {
    h->next = NULL;
    *loop->ready_link = h;
    loop->ready_link = &h->next;
}

ASYNC_API void async__ready_push_cb(async_loop *loop, async_callback *cb) {
    cb->prev = loop->ready_head ? async__ready_last(loop) : NULL;
    async__ready_push(loop, &cb->h);
}

ASYNC_API void async__ready_splice(async_loop *loop, async_handle *tail) {
    async_handle *head = tail->next;
    tail->next = NULL;
    *loop->ready_link = head;
    loop->ready_link = &tail->next;
}

ASYNC_API void async__ready_unlink(async_loop *loop, async_callback *cb) {
    async_handle *h = &cb->h, *prev = NULL;
    if (loop->ready_head == h) loop->ready_head = h->next;
    else {
        prev = cb->prev;
        if (!prev) /* first of a spliced waiter list */
            for (prev = loop->ready_head; prev->next != h; prev = prev->next) {
            }
        prev->next = h->next;
    }
    if (loop->ready_link == &h->next) loop->ready_link = prev ? &prev->next : &loop->ready_head;
    if (loop->batch_end == h) loop->batch_end = prev; /* NULL: nothing of the batch is left */
    if (h->next) async__set_prev(h->next, prev);
    h->next = NULL;
    cb->run = NULL;
}

ASYNC_API void async_call_soon(async_loop *loop, async_callback *cb, async_callback_fn fn, void *arg) {
    cb->run = async__callback_run;
    cb->h.fn = NULL;
    cb->fut = NULL;
    cb->fn = fn;
    cb->arg = arg;
    async__ready_push_cb(loop, cb);
}

ASYNC_API void async__later_run(async_handle *h) {
    async_callback *cb = (async_callback *)(void *)h;
    cb->run = NULL;
    if (!async_future_cancelled(cb->fut)) cb->fn(cb->fut, cb->arg);
}

ASYNC_API int async_call_later(async_loop *loop, async_timer *t, async_callback *cb, async_time delay,
                               async_callback_fn fn, void *arg) {
    int r;
    async_timer_init(t, loop);
    r = async_timer_start(t, delay);
    if (r) return r;
    async_future_add_done_callback(&t->fut, cb, fn, arg);
    cb->run = async__later_run;
    return 0;
}

ASYNC_API int async_call_at(async_loop *loop, async_timer *t, async_callback *cb, async_time when,
                            async_callback_fn fn, void *arg) {
    int r;
    async_timer_init(t, loop);
    r = async_timer_start_at(t, when);
    if (r) return r;
    async_future_add_done_callback(&t->fut, cb, fn, arg);
    cb->run = async__later_run;
    return 0;
}

ASYNC_API void async_loop_init(async_loop *loop, async_now_fn now, async_wait_fn wait, void *data) {
    loop->ready_head = loop->batch_end = NULL;
    loop->ready_link = &loop->ready_head;
#if ASYNC__STEP_TRACED_COPY
    loop->until = NULL;
#endif
    loop->timers = NULL;
    loop->timer_seq = 0;
    loop->now_fn = now;
    loop->wait_fn = wait;
    loop->backend = data;
    loop->current = NULL;
    loop->running = 0;
    loop->stopping = 0;
    loop->closed = 0;
    loop->in_handler = 0;
    loop->poll_left = 0;
    loop->budget = ASYNC_CONFIG_LOOP_BUDGET;
    loop->vnow = 0;
    loop->trace = NULL;
    loop->trace_ud = NULL;
    loop->exc_fn = NULL;
    loop->exc_ud = NULL;
    loop->retrieved = NULL;
#if ASYNC_CONFIG_TRACE
    loop->trace_coro = NULL;
    loop->trace_future = NULL;
#endif
#if ASYNC_CONFIG_TASK_INFO
    loop->live.next = loop->live.prev = &loop->live;
#endif
    loop->now = now ? now(data) : 0;
#if ASYNC_CONFIG_TIMER_WHEEL
    {
        unsigned l, i;
        loop->wheel_time = 0; /* set when the first timer is armed */
        loop->wheel_count = 0;
        for (l = 0; l < ASYNC_CONFIG_TIMER_WHEEL; l++) {
            loop->wheel_used[l] = 0;
            for (i = 0; i < 64; i++) loop->wheel[l][i] = NULL;
        }
    }
#endif
}

ASYNC_API void async_loop_set_trace(async_loop *loop, async_trace_fn fn, void *ud) {
    loop->trace = fn;
    loop->trace_ud = ud;
    loop->poll_left = 0; /* a hook sees every iteration: no short ones from the next batch */
}

ASYNC_API void async_loop_set_exception_handler(async_loop *loop, async_exception_fn fn, void *ud) {
    loop->exc_fn = fn;
    loop->exc_ud = ud;
}

ASYNC_API void async_loop_default_exception_handler(async_loop *loop, int err, const char *message, void *ud) {
    (void)loop;
    (void)ud;
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__ && !defined(ASYNC_FREESTANDING)
    fprintf(stderr, "async.h: error %d (%s): %s\n", err, async_strerror(err), message ? message : "");
#else
    (void)err;
    (void)message;
#endif
}

ASYNC_API int async_loop_report_error(async_loop *loop, int err, const char *message) {
    int e = async__err(err);
    if (loop->exc_fn && !loop->in_handler) {
        loop->in_handler = 1;
        loop->exc_fn(loop, e, message, loop->exc_ud);
        loop->in_handler = 0;
    } else
        async_loop_default_exception_handler(loop, e, message, NULL);
    return e == ASYNC_EMISUSE && err != ASYNC_EMISUSE ? ASYNC_EMISUSE : 0;
}

ASYNC_API int async_loop_close(async_loop *loop) {
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("async_loop_close on a running loop (stop it, and close after run returns)");
        return ASYNC_EBUSY;
    }
    loop->closed = 1;
    loop->wait_fn = async__closed_wait;
    return 0;
}

ASYNC__COLD_API int async__loop_closed(void) {
    ASYNC_MISUSE("the loop is closed (asyncio: Event loop is closed)");
    return ASYNC_EMISUSE;
}

ASYNC__COLD_API int async__closed_wait(void *data, async_loop *loop, const async_time *deadline) {
    (void)data;
    (void)loop;
    (void)deadline;
    return async__loop_closed();
}

/* Hosts inline the step into each of the loop's paths, boards keep one copy. */
#if ASYNC__STEP_TRACED_COPY && (defined(__GNUC__) || defined(__clang__))
#define ASYNC__LOOP_INLINE __attribute__((always_inline)) ASYNC__INLINE
#else
#define ASYNC__LOOP_INLINE ASYNC__INLINE
#endif

/* A task's handle holds its coroutine (fn set); a callback's says NULL and
 * keeps what the loop calls in async_callback.run. */
ASYNC__LOOP_INLINE void async__handle_run(async_loop *loop, async_handle *h) {
    if (ASYNC__UNLIKELY(h->fn == NULL)) ((async_callback *)(void *)h)->run(h);
#if ASYNC__STEP_TRACED_COPY
    else if (ASYNC__LIKELY(loop->trace == NULL)) async__task_step_in(loop, h, NULL, 0);
#else
    else if (ASYNC__LIKELY(loop->trace == NULL)) async__task_step(loop, h);
#endif
    else async__task_step_traced(loop, h);
}

/* One batch: exactly what is queued now; a handle unlinked meanwhile moves
 * batch_end. Returns how many handles ran (the budget's count). */
ASYNC__LOOP_INLINE unsigned async__loop_batch(async_loop *loop) {
    async_handle *h = loop->ready_head, *next;
    unsigned n = 0;
    if (!h) return 0;
    if (!h->next) { /* one handle (the last one's next is NULL): no batch_end to keep */
        loop->ready_head = NULL;
        loop->ready_link = &loop->ready_head;
        async__handle_run(loop, h);
        return 1;
    }
    loop->batch_end = async__ready_last(loop);
    do {
        h = loop->ready_head;
        next = h->next;
        loop->ready_head = next;
        if (!next) loop->ready_link = &loop->ready_head;
        if (h == loop->batch_end) loop->batch_end = NULL;
        h->next = NULL;
        n++;
        async__handle_run(loop, h);
    } while (loop->batch_end);
    return n;
}

#if ASYNC__STEP_TRACED_COPY
/* The short iterations' batches of more than one handle: out of line. */
ASYNC__NOINLINE_API unsigned async__loop_batch_many(async_loop *loop) { return async__loop_batch(loop); }
#endif

/* One full iteration, past run_once's misuse check (run_* cannot fail it). */
ASYNC__LOOP_INLINE int async__loop_iter(async_loop *loop) {
    async_time deadline = loop->now;
    const async_time *until = &deadline; /* NULL: nothing to wait for but events */
    int r;
    if (!loop->ready_head && !async__timer_next(loop, &deadline)) until = NULL;
    loop->poll_left = (int16_t)loop->budget;
    if (ASYNC__VCLOCK_INLINE && loop->wait_fn == async__vclock_wait) { /* inlined: the virtual clock's wait is the loop's hot path in tests and benches */
        r = async__vclock_wait(loop->backend, loop, until);
        if (r) return r;
        loop->now = async__vclock_now(loop->backend);
    } else {
        r = loop->wait_fn(loop->backend, loop, until);
        if (r) return r;
        loop->now = loop->now_fn(loop->backend);
    }
    if (ASYNC__UNLIKELY(loop->trace != NULL)) loop->trace(loop, ASYNC_TRACE_ITERATION, NULL, ASYNC_DONE, loop->trace_ud);
    async__timers_expire(loop);
    (void)async__loop_batch(loop);
    return 0;
}

ASYNC_API int async_loop_run_once(async_loop *loop) {
    if (ASYNC__UNLIKELY(loop->current != NULL)) { /* would step tasks under the running one */
        ASYNC_MISUSE("async_loop_run_once called from inside a task (await instead)");
        return ASYNC_EBUSY;
    }
    return async__loop_iter(loop);
}

/* The short iterations after a full one (section 9, "Latency"): what a full
 * iteration would do when its wait returns at once, minus the clock read and
 * the timer pass. Both would find nothing: loop->now stays, and a timer comes
 * due at it only if armed with a deadline at or before it, which
 * async_timer_start_at turns into a poll request. Everything else that must
 * end them (stop(), a yield, a trace hook, an ISR raise, a backend, the
 * completion of the future run_until_complete waits for, on hosts) zeroes
 * poll_left, which each full iteration resets before it waits (so before
 * the hub drains). Boards test that future (f) before each short batch. */
#if ASYNC__STEP_TRACED_COPY
#define ASYNC__RUN_PENDING(f) ((void)(f), 1)
#else
#define ASYNC__RUN_PENDING(f) (!(f) || (f)->c.state == ASYNC__PENDING)
#endif
/* A short batch ran more handles than its first: count them too (a poll
 * requested meanwhile stays requested). */
ASYNC__INLINE void async__poll_count(async_loop *loop, unsigned more) {
    int left = loop->poll_left;
    loop->poll_left = (int16_t)(left <= 0 || (unsigned)left <= more ? 0 : left - (int)more);
}
#if ASYNC__STEP_TRACED_COPY
ASYNC__NOINLINE_API /* hosts: out of line, with the registers to itself */
#else
ASYNC__INLINE
#endif
void async__loop_run_short(async_loop *loop, const async_future *f) {
    async_handle *h;
    /* the test counts the batch's first handle */
    while ((h = loop->ready_head) != NULL && ASYNC__RUN_PENDING(f) && --loop->poll_left >= 0) {
#if ASYNC__STEP_TRACED_COPY
        if (!h->next) { /* one handle (the last one's next is NULL), which no hook can see */
            loop->ready_head = NULL;
            loop->ready_link = &loop->ready_head;
            if (ASYNC__LIKELY(h->fn != NULL)) async__task_step_in(loop, h, NULL, 1);
            else {
                loop->current = NULL;
                ((async_callback *)(void *)h)->run(h);
            }
            continue;
        }
        loop->current = NULL;
        async__poll_count(loop, async__loop_batch_many(loop) - 1u);
#else
        async__poll_count(loop, async__loop_batch(loop) - 1u);
#endif
    }
#if ASYNC__STEP_TRACED_COPY
    loop->current = NULL;
#endif
}
#undef ASYNC__RUN_PENDING

/* run_forever (f NULL) and run_until_complete, past their misuse checks.
 * Hosts mark f meanwhile (loop->until for a task's, ASYNC__F_UNTIL for
 * another): its completion then ends the short iterations, which test
 * nothing of it; a future of no loop or another loop (whose completion
 * might not know this one) gets full iterations only. */
ASYNC__INLINE int async__loop_run(async_loop *loop, async_future *f) {
    int r = 0, shorts = 1;
#if ASYNC__STEP_TRACED_COPY
    int marked = 0; /* (a run of another loop from a task of this one must not unmark f) */
#endif
    loop->running = 1;
#if ASYNC__STEP_TRACED_COPY
    if (f) {
        if (f->loop != loop) shorts = 0;
        else if (f->c.flags & ASYNC__F_TASK) loop->until = f; /* its finish compares it */
        else if (!(f->c.flags & ASYNC__F_UNTIL)) {
            f->c.flags |= ASYNC__F_UNTIL;
            marked = 1;
        }
    }
#endif
    if (!f || f->c.state == ASYNC__PENDING)
        do { /* at least one iteration, even after an early stop() */
            if ((r = async__loop_iter(loop)) || loop->stopping) break;
            /* a poll wanted (after a yield, say) or a hook set (set_trace
             * wants a poll too; one set meanwhile ends them as well): none */
            if (loop->poll_left > 0 && !loop->trace && shorts) async__loop_run_short(loop, f);
        } while (!loop->stopping && (!f || f->c.state == ASYNC__PENDING));
#if ASYNC__STEP_TRACED_COPY
    if (marked) f->c.flags &= (uint8_t)~ASYNC__F_UNTIL;
    loop->until = NULL;
#endif
    loop->running = 0;
    loop->stopping = 0;
    return r;
}

/* run_forever's and run_until_complete's refusals: 0, or the error. */
ASYNC__INLINE int async__loop_refuses_run(const async_loop *loop) {
    if (ASYNC__UNLIKELY(loop->closed)) return async__loop_closed();
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("loop is already running (run called from inside the loop)");
        return ASYNC_EBUSY;
    }
    if (ASYNC__UNLIKELY(loop->current != NULL)) { /* a superloop's task: would step tasks under it */
        ASYNC_MISUSE("loop run from inside one of its tasks (await instead)");
        return ASYNC_EBUSY;
    }
    return 0;
}

ASYNC_API int async_loop_run_forever(async_loop *loop) {
    int r = async__loop_refuses_run(loop);
    return r ? r : async__loop_run(loop, NULL);
}

ASYNC_API int async_loop_run_until_complete(async_loop *loop, async_future *f) {
    int r;
    if (async__future_check(f)) return ASYNC_EMISUSE;
    if ((r = async__loop_refuses_run(loop)) != 0) return r;
    r = async__loop_run(loop, f);
    if (r) return r;
    if (f->c.state == ASYNC__PENDING) return ASYNC_ESTOPPED;
    return async_future_error(f);
}

ASYNC_API unsigned long async_loop_cancel_all(async_loop *loop) {
#if ASYNC_CONFIG_TASK_INFO
    unsigned long n = 0, rounds = 0;
    async_task *t;
    for (t = async__live_first(loop); t; t = async__live_next(loop, t)) n++;
    while (loop->live.next != &loop->live && rounds++ < 1000) {
        for (t = async__live_first(loop); t; t = async__live_next(loop, t)) async_task_cancel(t);
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

ASYNC_API int async_run(async_loop *loop, async_task *t, async_fn fn, void *frame) {
    int r;
    if (ASYNC__UNLIKELY(loop->running)) {
        ASYNC_MISUSE("async_run inside a running loop");
        return ASYNC_EBUSY;
    }
    if (ASYNC__UNLIKELY(loop->current != NULL)) { /* a superloop's task: would step tasks under it */
        ASYNC_MISUSE("async_run called from inside a task (await instead)");
        return ASYNC_EBUSY;
    }
    r = async_task_create(loop, t, fn, frame, "main");
    if (r) return r;
    r = async_loop_run_until_complete(loop, &t->fut);
    async_loop_cancel_all(loop);
    return r;
}

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

ASYNC_API void async_loop_dump(async_loop *loop, async_write_fn w, void *ud) {
#if ASYNC_CONFIG_TASK_INFO
    async_task *t;
    for (t = async__live_first(loop); t; t = async__live_next(loop, t)) {
        async_future *on = async_task_waiting_on(t);
        w(ud, "task ");
        w(ud, t->name);
        if (t == loop->current) w(ud, ": running");
        else if (on) w(ud, ": waiting at ");
        else w(ud, ": ready at ");
        if (t != loop->current) {
            char where[ASYNC_WHERE_SIZE];
            w(ud, async_task_where(t, where, sizeof where));
        }
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

ASYNC_API int async__vclock_wait(void *data, async_loop *loop, const async_time *deadline) {
    (void)loop;
    if (!deadline) return ASYNC_EDEADLOCK;
    if (async_time_before(((async_loop *)data)->vnow, *deadline)) ((async_loop *)data)->vnow = *deadline;
    return 0;
}

ASYNC_API int async__bare_wait(void *data, async_loop *loop, const async_time *deadline) {
    const async_bare *b = (const async_bare *)data;
    if (loop->ready_head) return 0;
    if (deadline && !async_time_before(b->ticks(), *deadline)) return 0;
    b->idle(deadline);
    return 0;
}

ASYNC_API void async_isr_raise(async_isr_signal *s) {
    ASYNC_BARRIER(); /* what the ISR wrote for the loop lands before the raise */
    s->raised = (uint8_t)(s->raised + 1u);
    s->hub->flag = 1;
    s->hub->loop->poll_left = 0; /* the loop's next batch drains it (a read torn by this write
                                * gives at most the old count: the read after sees 0) */
    ASYNC_BARRIER();
}

ASYNC_API void async__isr_deliver(async_isr_signal *s, int force) {
    uint8_t n = s->raised, count = (uint8_t)(n - s->seen);
    if (!count || s->fut.c.state != ASYNC__PENDING || !(force || s->fut.waiters)) return;
    s->seen = n;
    async_future_set_result(&s->fut, async_int(count));
}

ASYNC_API void async__isr_drain(async_isr_hub *hub) {
    async_isr_signal *s;
    if (!hub->flag) return;
    hub->flag = 0;
    ASYNC_BARRIER(); /* no read of a count may move above the clear */
    for (s = hub->signals; s; s = s->next) {
        async__isr_deliver(s, 0);
        ASYNC_ISR_DRAIN_POINT(hub, s);
    }
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

ASYNC_API void async_isr_signal_init(async_isr_signal *s, async_isr_hub *hub) {
    async_future_init(&s->fut, hub->loop);
    s->raised = 0;
    s->seen = 0;
    s->hub = hub;
    s->next = hub->signals;
    hub->signals = s;
}

ASYNC_API async_future *async_isr_next(async_isr_signal *s) {
    if (s->fut.c.state != ASYNC__PENDING) async_future_init(&s->fut, s->hub->loop);
    async__isr_deliver(s, 1);
    return &s->fut;
}

ASYNC_API int async_isr_queue_init(async_isr_queue *q, async_isr_hub *hub, void *buf, size_t item_size,
                                   size_t capacity) {
    if (!buf || item_size < 1 || item_size > 255 || capacity < 1 || capacity > 128 || (capacity & (capacity - 1)))
        return async__bad("async_isr_queue_init: needs a buffer, an item size of 1..255 and a capacity "
                          "that is a power of two from 1 to 128");
    async_isr_signal_init(&q->sig, hub);
    q->buf = (unsigned char *)buf;
    q->item_size = (uint8_t)item_size;
    q->mask = (uint8_t)(capacity - 1u);
    q->head = q->tail = q->dropped = 0;
    return 0;
}

ASYNC_API int async_isr_queue_put(async_isr_queue *q, const void *item) {
    uint8_t h = q->head, n = q->item_size;
    unsigned char *d = q->buf + (size_t)(h & q->mask) * n;
    const unsigned char *src = (const unsigned char *)item;
    if ((uint8_t)(h - q->tail) > q->mask) {
        q->dropped = (uint8_t)(q->dropped + 1u);
        return ASYNC_EFULL;
    }
    while (n--) *d++ = *src++;
    ASYNC_BARRIER(); /* the item, then the index that publishes it */
    q->head = (uint8_t)(h + 1u);
    async_isr_raise(&q->sig);
    return 0;
}

ASYNC_API int async_isr_queue_get(async_isr_queue *q, void *item) {
    uint8_t t = q->tail, n = q->item_size;
    const unsigned char *src;
    unsigned char *d = (unsigned char *)item;
    if (q->head == t) return ASYNC_EEMPTY;
    ASYNC_BARRIER(); /* read the item only after its index */
    src = q->buf + (size_t)(t & q->mask) * n;
    while (n--) *d++ = *src++;
    ASYNC_BARRIER(); /* the copy, then the index that frees the slot */
    q->tail = (uint8_t)(t + 1u);
    return 0;
}

ASYNC_API int async__bad(const char *msg) {
    ASYNC_MISUSE(msg);
    return ASYNC_EMISUSE;
}

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

ASYNC_API int async__wl_wake_first_pending(async_wlist *l) {
    async_waiter *w;
    for (w = l->head; w; w = w->next)
        if (w->fut.c.state == ASYNC__PENDING) {
            async_future_set_result(&w->fut, async_int(1));
            return 1;
        }
    return 0;
}

ASYNC_API void async__wl_pop_wake(async_wlist *l) {
    async_waiter *w;
    while ((w = l->head) != NULL) {
        async__wl_remove(l, w);
        if (w->fut.c.state == ASYNC__PENDING) {
            async__future_resolve(&w->fut, async_none());
            return;
        }
    }
}

ASYNC_API int async__wl_wake_n(async_wlist *l, int n) {
    async_waiter *w;
    int k = 0;
    for (w = l->head; w && (n < 0 || k < n); w = w->next)
        if (w->fut.c.state == ASYNC__PENDING) {
            async__future_resolve(&w->fut, async_int(1));
            k++;
        }
    return k;
}

ASYNC_API async_loop *async__need_loop(async_ctx *ctx) {
    async_loop *loop = async_ctx_loop(ctx);
    if (!loop) ASYNC_MISUSE("a waiting operation outside a task (no loop to park on)");
    return loop;
}

ASYNC_API void async_lock_init(async_lock *l) {
    async__wl_init(&l->waiters);
    l->locked = 0;
    l->magic = ASYNC__MAGIC_LOCK;
}

ASYNC_API int async__lock_free_for_newcomer(const async_lock *l) {
    const async_waiter *w;
    if (l->locked) return 0;
    for (w = l->waiters.head; w; w = w->next)
        if (w->fut.c.state != ASYNC__CANCELLED) return 0;
    return 1;
}

ASYNC_API int async_lock_release(async_lock *l) {
    if (async__lock_check(l)) return ASYNC_EMISUSE;
    if (!l->locked) return async__bad("release of a lock that is not locked");
    l->locked = 0;
    if (l->waiters.head && l->waiters.head->fut.c.state == ASYNC__PENDING)
        async_future_set_result(&l->waiters.head->fut, async_int(1));
    return 0;
}

ASYNC_API int async_lock_try_acquire(async_lock *l) {
    if (async__lock_check(l) || !async__lock_free_for_newcomer(l)) return 0;
    l->locked = 1;
    return 1;
}

ASYNC_API void async_event_init(async_event *e) {
    async__wl_init(&e->waiters);
    e->flag = 0;
    e->magic = ASYNC__MAGIC_EVENT;
}

ASYNC_API int async_event_set(async_event *e) {
    if (async__event_check(e)) return ASYNC_EMISUSE;
    if (!e->flag) {
        e->flag = 1;
        async__wl_wake_n(&e->waiters, -1);
    }
    return 0;
}

ASYNC_API int async_event_clear(async_event *e) {
    if (async__event_check(e)) return ASYNC_EMISUSE;
    e->flag = 0;
    return 0;
}

ASYNC_API void async_cond_init(async_cond *c, async_lock *lock) {
    async_lock_init(&c->own);
    c->lock = lock ? lock : &c->own;
    async__wl_init(&c->waiters);
    c->magic = ASYNC__MAGIC_COND;
}

ASYNC_API int async_cond_notify(async_cond *c, int n) {
    if (async__cond_check(c)) return ASYNC_EMISUSE;
    if (!c->lock->locked) return async__bad("notify on a condition whose lock is not held");
    return n > 0 ? async__wl_wake_n(&c->waiters, n) : 0;
}

ASYNC_API int async_cond_notify_all(async_cond *c) {
    if (async__cond_check(c)) return ASYNC_EMISUSE;
    if (!c->lock->locked) return async__bad("notify_all on a condition whose lock is not held");
    return async__wl_wake_n(&c->waiters, -1);
}

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

ASYNC_API int async_sem_locked(const async_sem *s) {
    const async_waiter *w;
    if (async__sem_check(s)) return 1;
    if (s->value == 0) return 1;
    for (w = s->waiters.head; w; w = w->next)
        if (w->fut.c.state != ASYNC__CANCELLED) return 1;
    return 0;
}

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

ASYNC_API int async_sem_release(async_sem *s) {
    if (async__sem_check(s)) return ASYNC_EMISUSE;
    if (s->bound && s->value >= s->bound) return async__bad("BoundedSemaphore released too many times");
    s->value++;
    async__sem_wake_next(s);
    return 0;
}

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

ASYNC_API int async_barrier_abort(async_barrier *b) {
    if (async__barrier_check(b)) return ASYNC_EMISUSE;
    b->state = ASYNC__B_BROKEN;
    async__wl_wake_n(&b->waiters, -1);
    return 0;
}

ASYNC_API int async_barrier_reset(async_barrier *b) {
    if (async__barrier_check(b)) return ASYNC_EMISUSE;
    b->state = b->count > 0 ? ASYNC__B_RESETTING : ASYNC__B_FILLING;
    async__wl_wake_n(&b->waiters, -1);
    return 0;
}

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

ASYNC_API void async__queue_put(async_queue *q, async_value v) {
    async__queue_push(q, v);
    q->unfinished++;
    q->finished.flag = 0;
    async__wl_pop_wake(&q->getters);
}

ASYNC_API int async_queue_put_nowait(async_queue *q, async_value v) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (q->shut) return ASYNC_ESHUTDOWN;
    if (q->count >= q->maxsize) return ASYNC_EFULL;
    async__queue_put(q, v);
    return 0;
}

ASYNC_API int async_queue_get_nowait(async_queue *q, async_value *out) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (!q->count) return q->shut ? ASYNC_ESHUTDOWN : ASYNC_EEMPTY;
    *out = async__queue_pop(q);
    async__wl_pop_wake(&q->putters);
    return 0;
}

ASYNC_API int async_queue_task_done(async_queue *q) {
    if (async__queue_check(q)) return ASYNC_EMISUSE;
    if (!q->unfinished) return async__bad("queue task_done() called too many times");
    if (--q->unfinished == 0) async_event_set(&q->finished);
    return 0;
}

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

ASYNC_API void async__ws_poke(async_waitset *ws) {
    ws->met = 1;
    if (ws->wake.c.state == ASYNC__PENDING) async_future_set_result(&ws->wake, async_none());
}

ASYNC_API void async__ws_child_done(async_future *f, void *arg) {
    async_slot *s = (async_slot *)arg;
    async_waitset *ws = s->ws;
    int err;
    s->state = 0;
    ws->ndone++;
    err = async__future_err(f);
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
    (void)f;
    async_slot *s = (async_slot *)arg;
    async_waitset *ws = s->ws;
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

ASYNC_API void async__slot_watch(async_waitset *ws, async_slot *s, async_future *f, async_callback_fn fn) {
    s->ws = ws;
    s->state = 1;
    async_future_add_done_callback(f, &s->cb, fn, s);
}

ASYNC_API void async__slot_unwatch(async_slot *s, async_future *f) {
    if (!s->state) return;
    s->state = 0;
    async_future_remove_done_callback(f, &s->cb);
}

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
    if (ws->kind == ASYNC__WS_WAITFOR && ws->timeout == 0) { /* 3.11: the awaitable never starts */
        if (!async_future_done(ws->one)) {
            ws->timed_out = 1;
            async_future_cancel(ws->one);
        }
    } else if (ws->timeout != ASYNC_NO_TIMEOUT) {
        async_timer_init(&ws->timer, loop);
        async_timer_start(&ws->timer, ws->timeout);
        async__slot_watch(ws, &ws->tslot, &ws->timer.fut, async__ws_timer_done);
    }
    return 0;
}

ASYNC_API void async__ws_stop(async_waitset *ws) {
    size_t i;
    for (i = 0; i < ws->n; i++) async__slot_unwatch(async__ws_slot(ws, i), async__ws_fut(ws, i));
    if (ws->tslot.state) {
        async__slot_unwatch(&ws->tslot, &ws->timer.fut);
        async_timer_cancel(&ws->timer);
    }
    ws->active = 0;
}

ASYNC_API void async__ws_cancel_children(async_waitset *ws) {
    size_t i;
    for (i = 0; i < ws->n; i++)
        if (!async_future_done(async__ws_fut(ws, i))) async_future_cancel(async__ws_fut(ws, i));
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

ASYNC_API void async_as_completed_init(async_waitset *ws, async_future *const *futs, async_slot *slots,
                                       size_t n, async_time timeout) {
    async__ws_setup(ws, ASYNC__WS_ASC, futs, slots, n, 0, timeout);
    ws->started = 0;
    ws->active = 0;
}

ASYNC_API async_future *async_gather_start(async_gather *g, async_loop *loop, async_future *const *futs,
                                           async_callback *cbs, size_t n, int flags) {
    size_t i;
    async_op_init(&g->op, loop, async__gather_hook);
    g->futs = futs;
    g->cbs = cbs;
    g->n = n;
    g->ndone = 0;
    g->flags = (uint8_t)flags;
    g->cancel_requested = 0;
    if (n == 0) async_future_set_result(&g->op.fut, async_int(0));
    for (i = 0; i < n; i++) async_future_add_done_callback(futs[i], &cbs[i], async__gather_child_done, g);
    return &g->op.fut;
}

ASYNC_API void async_gather_close(async_gather *g) {
    size_t i;
    for (i = 0; i < g->n; i++) async_future_remove_done_callback(g->futs[i], &g->cbs[i]);
}

/* asyncio's _GatheringFuture.cancel: the children, not the gather */
ASYNC_API int async__gather_hook(async_op *op) {
    return async__gather_cancel((async_gather *)(void *)op) ? ASYNC_OP_REQUESTED : ASYNC_OP_REFUSED;
}

ASYNC_API int async__gather_cancel(async_gather *g) {
    size_t i;
    int any = 0;
    for (i = 0; i < g->n; i++)
        if (async_future_cancel(g->futs[i])) any = 1;
    if (any) g->cancel_requested = 1;
    return any;
}

ASYNC_API void async__gather_child_done(async_future *f, void *arg) {
    async_gather *g = (async_gather *)arg;
    async_future *outer = &g->op.fut;
    int err;
    g->ndone++;
    err = async__future_err(f); /* read: a child's error is never "unretrieved" */
    if (outer->c.state != ASYNC__PENDING) return;
    if (!(g->flags & ASYNC_RETURN_EXCEPTIONS) && err) {
        async_future_set_error(outer, err);
        return;
    }
    if (g->ndone < g->n) return;
    if (g->cancel_requested) async_future_set_error(outer, ASYNC_ECANCELLED);
    else async_future_set_result(outer, async_int((intptr_t)g->n));
}

ASYNC_API async_future *async_shield_start(async_shield *s, async_loop *loop, async_future *inner) {
    if (async__future_check(inner) || inner->c.state != ASYNC__PENDING) return inner;
    async_op_init(&s->op, loop, async__shield_hook);
    s->inner = inner;
    async_future_add_done_callback(inner, &s->cb, async__shield_inner_done, s);
    return &s->op.fut;
}

ASYNC_API int async__shield_hook(async_op *op) {
    async_shield *s = (async_shield *)(void *)op;
    async_future_remove_done_callback(s->inner, &s->cb);
    return ASYNC_OP_CANCELLED;
}

ASYNC_API void async__shield_inner_done(async_future *f, void *arg) {
    async_shield *s = (async_shield *)arg;
    int err = async__future_err(f);
    if (s->op.fut.c.state != ASYNC__PENDING) return;
    if (err == ASYNC_ECANCELLED && async_future_cancelled(f)) async_future_cancel(&s->op.fut);
    else if (err) async_future_set_error(&s->op.fut, err);
    else async_future_set_result(&s->op.fut, f->c.value);
}

ASYNC_API void async_timeout_init(async_timeout *to) {
    to->state = to->armed = to->fired = 0;
    to->task = NULL;
    to->err = 0;
}

ASYNC_API void async__timeout_fire(async_future *f, void *arg) {
    async_timeout *to = (async_timeout *)arg;
    async_task *t = to->task;
    (void)f;
    to->armed = 0;
    to->fired = 1;
    to->state = ASYNC__TO_EXPIRING;
    async_task_cancel(t); /* one request more: exit withdraws it (uncancel) */
}

ASYNC_API void async__timeout_arm(async_timeout *to, async_time when) {
    async_timer_init(&to->timer, to->task->fut.loop);
    async_timer_start_at(&to->timer, when);
    to->armed = 1;
    async_future_add_done_callback(&to->timer.fut, &to->cb, async__timeout_fire, to);
}

ASYNC_API void async__timeout_disarm(async_timeout *to) {
    if (!to->armed) return;
    to->armed = 0;
    async_future_remove_done_callback(&to->timer.fut, &to->cb);
    async_timer_cancel(&to->timer);
}

ASYNC_API int async__timeout_enter(async_timeout *to, async_task *task, int has_deadline, async_time when) {
    if (!task) return async__bad("timeout scope outside a task");
    if (to->state == ASYNC__TO_ENTERED || to->state == ASYNC__TO_EXPIRING) {
        if (to->task == task && task->fut.c.state == ASYNC__PENDING)
            return async__bad("timeout scope entered twice");
        async__timeout_disarm(to); /* left without exit by a task that has ended */
    }
    to->task = task;
    to->state = ASYNC__TO_ENTERED;
    to->armed = to->fired = 0;
    to->cancelling = (uint8_t)async_task_cancelling(task);
    to->err = 0;
    if (has_deadline && when <= task->fut.loop->now) {
        /* already due: cancel now, so that the first await raises (a timer
         * would fire behind a task that only yields) */
        to->timer.deadline = when;
        async__timeout_fire(NULL, to);
    } else if (has_deadline)
        async__timeout_arm(to, when);
    return 0;
}

ASYNC_API int async_timeout_after(async_timeout *to, async_task *task, async_time delay) {
    if (!task) return async__bad("timeout scope outside a task");
    if (delay == ASYNC_NO_TIMEOUT) return async__timeout_enter(to, task, 0, 0);
    if (delay > ASYNC_MAX_DELAY) delay = ASYNC_MAX_DELAY;
    return async__timeout_enter(to, task, 1, (async_time)(task->fut.loop->now + delay));
}

ASYNC_API int async_timeout_reschedule(async_timeout *to, async_time when) {
    if (to->state != ASYNC__TO_ENTERED) return async__bad("reschedule of a timeout scope that is not active");
    async__timeout_disarm(to);
    async__timeout_arm(to, when);
    return 0;
}

ASYNC_API int async_timeout_reschedule_none(async_timeout *to) {
    if (to->state != ASYNC__TO_ENTERED) return async__bad("reschedule of a timeout scope that is not active");
    async__timeout_disarm(to);
    return 0;
}

ASYNC_API int async_timeout_when(const async_timeout *to, async_time *when) {
    if (!to->armed && !to->fired) return 0;
    *when = to->timer.deadline;
    return 1;
}

ASYNC_API int async_timeout_exit(async_timeout *to, int err) {
    if (to->state != ASYNC__TO_ENTERED && to->state != ASYNC__TO_EXPIRING && to->state != ASYNC__TO_EXPIRED)
        return async__bad("timeout scope exited without being entered");
    async__timeout_disarm(to);
    /* 3.11: only if no other request is left is the cancellation the scope's */
    if (to->state == ASYNC__TO_EXPIRING && async_task_uncancel(to->task) <= to->cancelling &&
        err == ASYNC_ECANCELLED)
        err = ASYNC_ETIMEOUT;
    to->state = ASYNC__TO_EXITED;
    to->err = err;
    return err;
}

ASYNC_API int async_taskgroup_enter(async_taskgroup *tg, async_task *parent) {
    if (!parent) return async__bad("TaskGroup entered outside a task");
    tg->parent = parent;
    tg->children = tg->last = NULL;
    tg->failed = tg->failed_last = NULL;
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
    err = async__future_err(f);
    if (!err) return;
    tg->nerrors++;
    if (!tg->first_err) tg->first_err = err;
    c->next_failed = NULL;
    if (tg->failed_last) tg->failed_last->next_failed = c;
    else tg->failed = c;
    tg->failed_last = c;
    if (!tg->aborting && !tg->parent_cancel_requested) {
        async__tg_abort(tg);
        tg->parent_cancel_requested = 1;
        async_task_cancel(tg->parent);
    }
}

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

ASYNC_API size_t async_taskgroup_errors(async_taskgroup *tg, int *errs, size_t cap) {
    async_tg_task *c;
    size_t n = 0;
    if (tg->magic != ASYNC__MAGIC_TG) {
        ASYNC_MISUSE("TaskGroup errors read before async_taskgroup_enter");
        return 0;
    }
    for (c = tg->failed; c; c = c->next_failed, n++)
        if (n < cap) errs[n] = async__future_err(&c->task.fut);
    if (tg->exiting && !tg->entered && tg->body_err && tg->body_err != ASYNC_ECANCELLED) {
        if (n < cap) errs[n] = tg->body_err;
        n++;
    }
    return n;
}
#endif /* ASYNC__BODIES */

#if defined(__cplusplus) && !ASYNC_CONFIG_INLINE
}
#endif
#endif /* ASYNC_H */
