/* async_port.h — the scheduler's clock and idle on a microcontroller, one port
 * per CPU family (ports/README.md): the tick, the critical sections (async.h's
 * ASYNC_CRITICAL_ENTER/EXIT) and the sleep between events. Compile the one
 * ports/<cpu>/async_port.c of your CPU with your program and call:
 *   static async_loop loop;
 *   async_port_init(&loop, ASYNC_PORT_PERIODIC);   // loop + hub + timer interrupt
 *   async_isr_signal_init(&button, async_port_hub());
 *   async_run(&loop, &main_task, main_fn, &frame);
 * Build with the board's clock: -DASYNC_TIME_T=uint32_t -DASYNC_STIME_T=int32_t
 * -DASYNC_TICKS_PER_SEC=1000 (the freestanding defaults of async.h). */
#ifndef ASYNC_PORT_H
#define ASYNC_PORT_H
#include "async.h"

/* How the clock advances.
 *   ASYNC_PORT_PERIODIC  a timer interrupt every tick (1/ASYNC_TICKS_PER_SEC s)
 *   ASYNC_PORT_TICKLESS  no periodic interrupt: the clock is read from a free-
 *                        running counter, and the idle hook programs one
 *                        interrupt at the deadline the loop waits for (RISC-V
 *                        mtime/mtimecmp; elsewhere ASYNC_EMISUSE)
 *   ASYNC_PORT_WARP      the tests' mode: while the loop idles towards a
 *                        deadline the next interrupt jumps the clock there, and
 *                        it stands still while tasks run, as the host's virtual
 *                        clock does (ASYNC_VIRTUAL_TIME=1) */
enum { ASYNC_PORT_PERIODIC = 0, ASYNC_PORT_WARP = 1, ASYNC_PORT_TICKLESS = 2 };

/* async_port_init(&loop, mode) — init the loop on the port's clock with the
 * port's ISR hub in front of it, and start the timer. 0, or ASYNC_EMISUSE for
 * a mode the port lacks. Enables interrupts. */
int async_port_init(async_loop *loop, int mode);

/* async_port_hub() — the hub of every ISR-to-loop signal (async.h section 11). */
async_isr_hub *async_port_hub(void);

/* async_port_now() — the clock, read in a critical section (a 32-bit read is
 * not atomic on AVR). */
async_time async_port_now(void);

/* async_port_timer_irqs() — timer interrupts taken so far: how a tickless
 * program shows it slept in one piece. */
uint32_t async_port_timer_irqs(void);

/* async_port_riscv_timer_isr() — RISC-V only: the board's trap handler calls
 * it for a machine timer interrupt (the vector is the board's). */
void async_port_riscv_timer_isr(void);

/* async_port_stop() — stop the timer interrupt (before exit or deep sleep). */
void async_port_stop(void);
#endif
