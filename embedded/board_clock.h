/* board_clock.h — the scheduler's clock on every board, driven by a periodic
 * timer interrupt (SysTick, AVR Timer1, RISC-V mtimecmp), and the loop backend
 * around it. Included once by each embedded/<board>/port_*.c, which first
 * defines three macros for its CPU:
 *   BOARD_IRQ_OFF()   mask interrupts
 *   BOARD_IRQ_ON()    unmask interrupts
 *   BOARD_SLEEP()     called masked: sleep until an interrupt is pending, let
 *                     it run, return masked (Cortex-M: wfi; cpsie i; cpsid i)
 * and calls board_clock_tick() from its timer ISR.
 *
 * Two clock modes:
 *   real   every tick adds 1 (ASYNC_TICKS_PER_SEC ticks a second): the clock
 *          of a real product, used by the blinky demo.
 *   warp   the examples' runs. The tick interrupt still drives the clock, but
 *          while the loop idles waiting for a deadline, the next tick moves
 *          the clock straight to that deadline, and while tasks run it does
 *          not move. This is the semantics of the host's virtual clock
 *          (ASYNC_VIRTUAL_TIME=1), so "elapsed" lines match the host's output
 *          to the millisecond and a 12-hour chess simulation takes a second,
 *          while the code path is the real one: timer ISR -> async_isr_raise
 *          -> wfi returns -> the hub drains -> the timer heap fires.
 * In both modes the ISR wakes the loop only through async_isr_raise (async.h
 * section 10), when the deadline the loop sleeps for is reached; the idle hook
 * sleeps in a loop until async_isr_pending, checked with interrupts masked, so
 * a tick between the check and the sleep cannot be lost. */
#ifndef EMBEDDED_BOARD_CLOCK_H
#define EMBEDDED_BOARD_CLOCK_H
#include "async.h"

static volatile async_time board__ticks;    /* the clock, written by the ISR */
static volatile async_time board__deadline; /* what the idle loop waits for */
static volatile uint8_t board__waiting;     /* 0 running, 1 idle without deadline, 2 idle with one */
static uint8_t board__warp;                 /* 1: warp mode (see above) */
static async_isr_hub board_hub;             /* every ISR-to-loop signal goes through it */
static async_isr_signal board__tick_sig;    /* raised when the awaited deadline is reached */

/* The timer ISR's work. */
static void board_clock_tick(void) {
    if (!board__warp) board__ticks = board__ticks + 1u;
    else if (board__waiting == 2) board__ticks = board__deadline;
    if (board__waiting == 2 && !async_time_before(board__ticks, board__deadline)) {
        board__waiting = 0; /* one raise per wait is enough */
        async_isr_raise(&board__tick_sig);
    }
}

static async_time board_clock_now(void) {
    async_time t;
    BOARD_IRQ_OFF(); /* a 32-bit read is not atomic on AVR */
    t = board__ticks;
    BOARD_IRQ_ON();
    return t;
}

static async_time board__backend_now(void *data) {
    (void)data;
    return board_clock_now();
}

/* The backend's wait (behind the hub, which drains signals before and after). */
static int board__backend_wait(void *data, async_loop *loop, const async_time *deadline) {
    (void)data;
    if (loop->ready_head) return 0;
    if (deadline && !async_time_before(board_clock_now(), *deadline)) return 0;
    /* In warp mode nothing but the clock can make progress: no deadline means
     * the program would wait forever, which the virtual clock reports too. */
    if (board__warp && !deadline) return ASYNC_EDEADLOCK;
    BOARD_IRQ_OFF();
    if (deadline) {
        board__deadline = *deadline;
        board__waiting = 2;
    } else
        board__waiting = 1;
    while (!async_isr_pending(&board_hub)) BOARD_SLEEP();
    board__waiting = 0;
    BOARD_IRQ_ON();
    return 0;
}

/* board_loop_init(&loop, warp) — a loop on this clock, with board_hub in front
 * of it (register more signals with async_isr_signal_init(&sig, &board_hub)). */
static void board_loop_init(async_loop *loop, int warp) {
    board__warp = (uint8_t)(warp != 0);
    async_loop_init(loop, board__backend_now, board__backend_wait, NULL);
    async_isr_hub_init(&board_hub, loop);
    async_isr_signal_init(&board__tick_sig, &board_hub);
}
#endif
