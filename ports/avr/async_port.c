/* ports/avr/async_port.c — the async.h port for 8-bit AVR (ATmega328P and
 * kin with a 16-bit Timer1; ports/README.md): Timer1 compare match A is the
 * tick, SREG the critical section, SLEEP (idle mode) the idle. F_CPU is the
 * CPU clock, as everywhere in avr-libc. */
#include <avr/io.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include "async_port.h"

/* `sei` takes effect after the next instruction, so `sei; sleep` cannot lose
 * an interrupt that became pending in between: it wakes the sleep. The nop
 * costs nothing on the chip; simavr before its fix of issue 376 (a 2-cycle
 * latency after sei) would run the cli before an interrupt already pending at
 * the sei, and sleep forever: the loop's timing alone decided whether it hung. */
#define ASYNC_PORT__SLEEP()              \
    do {                                 \
        sleep_enable();                  \
        sei();                           \
        sleep_cpu();                     \
        __asm__ __volatile__("nop" ::: "memory"); \
        cli();                           \
        sleep_disable();                 \
    } while (0)
#include "async_port_clock.h"

#ifndef F_CPU
#error "ports/avr: define F_CPU, the CPU clock in Hz (e.g. -DF_CPU=16000000UL)"
#endif

ISR(TIMER1_COMPA_vect) { async_port__tick(); }

/* Timer1 in CTC mode: a tick every 1/ASYNC_TICKS_PER_SEC s (prescaler 64), or
 * every 100 us in warp mode (prescaler 8). */
int async_port_init(async_loop *loop, int mode) {
    int warp = mode == ASYNC_PORT_WARP;
    if (mode != ASYNC_PORT_PERIODIC && !warp) {
        ASYNC_MISUSE("async_port_init: this AVR port has no tickless mode");
        return ASYNC_EMISUSE;
    }
    async_port__loop_init(loop, mode);
    TCCR1A = 0;
    TCNT1 = 0;
    OCR1A = warp ? (uint16_t)(F_CPU / 8 / 10000 - 1) : (uint16_t)(F_CPU / 64 / ASYNC_TICKS_PER_SEC - 1);
    TIMSK1 = _BV(OCIE1A);
    TCCR1B = warp ? (_BV(WGM12) | _BV(CS11)) : (_BV(WGM12) | _BV(CS11) | _BV(CS10));
    sei();
    return 0;
}

void async_port_stop(void) {
    TCCR1B = 0;
    TIMSK1 = 0;
}
