/* port.h — the little an example needs from the machine it runs on, so the same
 * example source runs on a Linux host and on a microcontroller.
 *   host:      examples/port_host.c (libev loop, or the virtual clock when
 *              ASYNC_VIRTUAL_TIME=1 is set in the environment)
 *   embedded:  embedded/<board>/port_*.c (SysTick/timer tick, semihosting/UART)
 * port_printf is examples/port_fmt.c on every target (no libc needed). */
#ifndef ASYNC_EXAMPLES_PORT_H
#define ASYNC_EXAMPLES_PORT_H
#include "async.h"

/* Board or process set-up; call first in main(). */
void port_init(void);
/* Write a NUL-terminated string to the console. */
void port_write(const char *s);
/* printf subset: %d %i %u %ld %lu %lld %llu %x %lx %s %c %p %%, width and '-'/'0' flags,
 * and %.Nf for doubles where ASYNC_CONFIG_FLOAT is on. */
void port_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Initialise the loop the example runs on: real time by default, virtual time
 * where the platform or the environment asks for it (ASYNC_VIRTUAL_TIME=1).
 * Returns 1 if the clock is virtual, 0 if real. */
int port_loop_init(async_loop *loop);
/* Release what port_loop_init acquired. */
void port_loop_close(async_loop *loop);
/* Seconds elapsed on the loop's clock, for "took N s" lines. */
double port_elapsed(async_loop *loop, async_time since);
/* Milliseconds elapsed on the loop's clock since `since`, without floating
 * point (every target can print it): port_printf("%lu.%03lu s", ms / 1000, ms % 1000).
 * Defined here, inline, so that no board has to implement it. */
static inline unsigned long port_elapsed_ms(async_loop *loop, async_time since) {
    return (unsigned long)((async_loop_time(loop) - since) / (ASYNC_TICKS_PER_SEC / 1000));
}
/* End the program with this exit status (on a board: report it and stop). */
void port_exit(int status);
#endif
