/* sim_blinky.c — the test bench of blinky.c: an ATmega328P at 16 MHz in
 * simavr (libsimavr), with a scripted world around it:
 *   - a push button on PD2 (active low) pressed and released with contact
 *     bounce, and once cleanly;
 *   - bytes typed into the UART at 1 per ms: "hello\n", later "wor" ... "ld\n";
 *   - the LED on PB5 watched: every change is logged.
 * It prints one trace, in simulated time order: the stimuli ("bench"), the
 * LED ("led") and the lines the firmware prints on its UART ("mcu"). Times
 * are milliseconds of the firmware's loop clock: the bench locks onto it at
 * the first Timer1 tick and applies each stimulus half-way between two ticks,
 * so that a few hundred cycles more or less in the core or the start-up code
 * do not move an event to another millisecond; LED changes are rounded to
 * 10 ms for the same reason (the firmware's own lines carry its loop clock,
 * which is exact). The run fails
 * if the firmware has not stopped after 5 simulated seconds.
 *   sim_blinky build/.../blinky.elf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_io.h>
#include <simavr/avr_ioport.h>
#include <simavr/avr_uart.h>
#include <simavr/sim_interrupts.h>

#define MHZ 16u
#define CYCLES_PER_MS (MHZ * 1000u)

typedef struct { unsigned us; char kind; int value; const char *note; } event;
/* The script: time in microseconds, 'b' = button level (0 pressed), 'u' = a
 * UART string typed 1 char per ms. */
static const event script[] = {
    {300000, 'u', 0, "hello\n"},
    {700000, 'b', 0, "button pressed, bouncing"},
    {700200, 'b', 1, NULL},
    {700500, 'b', 0, NULL},
    {701100, 'b', 1, NULL},
    {701600, 'b', 0, NULL},
    {1400000, 'b', 1, "button released, bouncing"},
    {1400300, 'b', 0, NULL},
    {1400800, 'b', 1, NULL},
    {1600000, 'u', 0, "wor"},
    {2100000, 'u', 0, "ld\n"}, /* off the LED's 250 ms grid: two independent events in one printed ms would print in either order */
    {2200000, 'b', 0, "button pressed cleanly"},
    {2450000, 'b', 1, "button released cleanly"},
};
#define NSCRIPT (sizeof script / sizeof script[0])

static avr_t *avr;
static avr_cycle_count_t base; /* the cycle at which the loop clock read 0 */
static int locked;             /* base is known (the first tick came) */
static avr_irq_t *button_irq, *uart_in_irq;
static unsigned next_event;
static const char *typing; /* the rest of a string being typed */
static char line[256];
static size_t line_len;

/* simavr sleeps in real time while the MCU sleeps; a test need not wait. */
static void no_sleep(avr_t *a, avr_cycle_count_t how_long) {
    (void)a;
    (void)how_long;
}

static double ms(avr_cycle_count_t c) { return locked && c > base ? (double)(c - base) / CYCLES_PER_MS : 0; }
/* The cycle of script time `us`: half a tick after that loop-clock tick. */
static avr_cycle_count_t at(unsigned us) { return base + (avr_cycle_count_t)(us + 500u) * MHZ; }

static avr_cycle_count_t type_next(avr_t *a, avr_cycle_count_t when, void *param) {
    (void)a;
    (void)param;
    if (!typing || !*typing) return 0;
    avr_raise_irq(uart_in_irq, (uint8_t)*typing++);
    return *typing ? when + CYCLES_PER_MS : 0;
}

static void show(const char *s) {
    for (; *s; s++) {
        if (*s == '\n') fputs("\\n", stdout);
        else putchar(*s);
    }
}

static avr_cycle_count_t run_script(avr_t *a, avr_cycle_count_t when, void *param) {
    (void)param;
    while (next_event < NSCRIPT && at(script[next_event].us) <= when) {
        const event *e = &script[next_event++];
        if (e->kind == 'b') {
            if (e->note) printf("%5u ms  bench: %s\n", e->us / 1000, e->note);
            avr_raise_irq(button_irq, (uint32_t)e->value);
        } else {
            printf("%5u ms  bench: typing \"", e->us / 1000);
            show(e->note);
            printf("\"\n");
            typing = e->note;
            type_next(a, when, NULL);
            if (*typing) avr_cycle_timer_register(a, CYCLES_PER_MS, type_next, NULL);
        }
    }
    return next_event < NSCRIPT ? at(script[next_event].us) : 0;
}

/* The first Timer1 compare interrupt is loop-clock tick 1: lock on it. */
static void on_tick_pending(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)param;
    if (!value || locked) return;
    locked = 1;
    base = avr->cycle - CYCLES_PER_MS;
    avr_cycle_timer_register(avr, at(script[0].us) - avr->cycle, run_script, NULL);
}

static void on_led(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)param;
    printf("%5lu ms  led: %s\n", (unsigned long)(ms(avr->cycle) + 5) / 10 * 10, value ? "on" : "off");
}

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)param;
    if (value == '\n') {
        line[line_len] = 0;
        /* The port's peak-stack line is for the footprint report, not the trace. */
        if (!strncmp(line, "board: peak stack", 17)) fprintf(stderr, "%s\n", line);
        else printf("mcu: %s\n", line);
        line_len = 0;
    } else if (line_len < sizeof line - 1)
        line[line_len++] = (char)value;
}

int main(int argc, char **argv) {
    elf_firmware_t fw;
    uint32_t xoff = 0;
    int state;
    memset(&fw, 0, sizeof fw);
    if (argc != 2 || elf_read_firmware(argv[1], &fw)) {
        fprintf(stderr, "usage: sim_blinky firmware.elf\n");
        return 2;
    }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) return 2;
    avr_init(avr);
    avr->frequency = MHZ * 1000000u;
    avr->log = 0;
    avr_load_firmware(avr, &fw);
    avr->frequency = MHZ * 1000000u;
    avr->sleep = no_sleep;
    /* No console echo from simavr's own UART logger: we print the lines. */
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &xoff);
    xoff &= ~AVR_UART_FLAG_STDIO;
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &xoff);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 5), on_led, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_out, NULL);
    uart_in_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    button_irq = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2);
    avr_raise_irq(button_irq, 1); /* released */
    avr_irq_register_notify(avr_get_interrupt_irq(avr, 11 /* TIMER1_COMPA */) + AVR_INT_IRQ_PENDING, on_tick_pending,
                            NULL);
    do {
        state = avr_run(avr);
    } while (state != cpu_Done && state != cpu_Crashed && avr->cycle < 5000u * CYCLES_PER_MS);
    if (line_len) printf("mcu (no newline): %.*s\n", (int)line_len, line);
    if (state != cpu_Done) {
        printf("FAIL: firmware %s at %.3f ms\n", state == cpu_Crashed ? "crashed" : "still running", ms(avr->cycle));
        return 1;
    }
    printf("%5lu ms  bench: firmware stopped\n", (unsigned long)(ms(avr->cycle) + 5) / 10 * 10);
    return 0;
}
