/* board.h — what a board port (embedded/<board>/port_*.c) offers beyond
 * examples/port.h, for programs written for the board itself (blinky.c);
 * the clock, hub and idle are the CPU's port (ports/async_port.h). */
#ifndef EMBEDDED_BOARD_H
#define EMBEDDED_BOARD_H
#include "port.h"
#include "async_port.h"

/* A loop on the board's real-time clock: ASYNC_TICKS_PER_SEC ticks a second
 * counted by the timer interrupt (port_loop_init gives the warp clock). */
void board_loop_init_real(async_loop *loop);
/* The hub in front of that loop: register your ISRs' signals on it.
 *   async_isr_signal_init(&button, board_isr_hub()); */
async_isr_hub *board_isr_hub(void);
/* Bytes of stack used at the deepest point so far (the start-up code paints
 * the free RAM; port_exit prints "board: peak stack N B" as its last line). */
unsigned long board_stack_peak(void);
#endif
