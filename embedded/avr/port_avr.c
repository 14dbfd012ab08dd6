/* port_avr.c — examples/port.h on an ATmega328P at 16 MHz (simavr): console
 * on USART0, the scheduler's clock from Timer1 compare-match interrupts, idle
 * in the SLEEP instruction (board_clock.h). avr-libc supplies the C runtime
 * start-up and the vector table (its crt for the part, as every AVR program
 * uses); everything else here is ours. */
#include <avr/io.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include "board.h"

#define BOARD_CPU_HZ 16000000UL

#define BOARD_IRQ_OFF() cli()
#define BOARD_IRQ_ON() sei()
/* `sei` takes effect after the next instruction, so `sei; sleep` cannot lose
 * an interrupt that became pending in between: it wakes the sleep. */
#define BOARD_SLEEP()       \
    do {                    \
        sleep_enable();     \
        sei();              \
        sleep_cpu();        \
        cli();              \
        sleep_disable();    \
    } while (0)
#include "board_clock.h"

ISR(TIMER1_COMPA_vect) { board_clock_tick(); }

static void board__putc(char c) {
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UDR0 = (uint8_t)c;
}

void port_init(void) {
    /* 1 Mbaud (U2X: 16 MHz / (8 * (1 + 1))), 8N1, transmit and receive. */
    UBRR0H = 0;
    UBRR0L = 1;
    UCSR0A = _BV(U2X0);
    UCSR0B = _BV(TXEN0) | _BV(RXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
}

/* Bytes go out as they are: simavr's UART console shows a line at each '\n'
 * (a '\r' would show up as a dot). */
void port_write(const char *s) {
    while (*s) board__putc(*s++);
}

/* Stop: wait for the last byte to leave, then sleep with interrupts off,
 * which simavr treats as the end of the program. A failure says so first. */
/* Free RAM between .bss and the stack is painted at start-up (.init3: after
 * avr-libc has set the stack pointer and r1, before .data and .bss are set
 * up, which do not reach this area), so that board_stack_peak() can tell how
 * deep the stack ever went. */
#define BOARD_STACK_PAINT 0xA5u
extern uint8_t __heap_start;
void board__paint_stack(void) __attribute__((naked, used, section(".init3")));
void board__paint_stack(void) {
    uint8_t *p = &__heap_start;
    while (p < (uint8_t *)SP - 4) *p++ = BOARD_STACK_PAINT;
}

unsigned long board_stack_peak(void) {
    uint8_t *p = &__heap_start;
    while (p <= (uint8_t *)RAMEND && *p == BOARD_STACK_PAINT) p++;
    return (unsigned long)((uint8_t *)RAMEND + 1 - p);
}

void port_exit(int status) {
    port_printf("board: peak stack %lu B\n", board_stack_peak());
    if (status) port_printf("board: exit status %d\n", status);
    while (!(UCSR0A & _BV(TXC0)) && (UCSR0B & _BV(TXEN0))) {
    }
    cli();
    sleep_enable();
    for (;;) sleep_cpu();
}

/* Timer1 in CTC mode: 1 ms ticks (real mode; prescaler 64, 250 counts) or
 * 100 us ticks (warp mode; prescaler 8, 200 counts). */
static void board__timer_start(int warp) {
    TCCR1A = 0;
    TCNT1 = 0;
    OCR1A = warp ? (uint16_t)(BOARD_CPU_HZ / 8 / 10000 - 1) : (uint16_t)(BOARD_CPU_HZ / 64 / ASYNC_TICKS_PER_SEC - 1);
    TIMSK1 = _BV(OCIE1A);
    TCCR1B = warp ? (_BV(WGM12) | _BV(CS11)) : (_BV(WGM12) | _BV(CS11) | _BV(CS10));
    sei();
}

int port_loop_init(async_loop *loop) {
    board_loop_init(loop, 1);
    board__timer_start(1);
    return 1;
}

void board_loop_init_real(async_loop *loop) {
    board_loop_init(loop, 0);
    board__timer_start(0);
}

async_isr_hub *board_isr_hub(void) { return &board_hub; }

void port_loop_close(async_loop *loop) {
    (void)loop;
    TCCR1B = 0;
    TIMSK1 = 0;
}

double port_elapsed(async_loop *loop, async_time since) {
    return (double)(async_time)(async_loop_time(loop) - since) / (double)ASYNC_TICKS_PER_SEC;
}
