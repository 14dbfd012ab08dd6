/* port_avr.c — examples/port.h on an ATmega328P at 16 MHz (simavr): console
 * on USART0, the scheduler's clock (Timer1 compare match), critical sections
 * and idle (SLEEP) are ports/avr. avr-libc supplies the C runtime
 * start-up and the vector table (its crt for the part, as every AVR program
 * uses); everything else here is ours. */
#include <avr/io.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include "board.h"

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

int port_loop_init(async_loop *loop) { return async_port_init(loop, ASYNC_PORT_WARP) == 0; }

void board_loop_init_real(async_loop *loop) { async_port_init(loop, ASYNC_PORT_PERIODIC); }

async_isr_hub *board_isr_hub(void) { return async_port_hub(); }

void port_loop_close(async_loop *loop) {
    (void)loop;
    async_port_stop();
}

double port_elapsed(async_loop *loop, async_time since) {
    return (double)(async_time)(async_loop_time(loop) - since) / (double)ASYNC_TICKS_PER_SEC;
}
