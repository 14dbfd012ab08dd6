/* blinky.c — the embedded example: three coroutines on an ATmega328P, woken
 * by interrupts through async.h's ISR signals and queue (section 11).
 *   blink    toggles the LED on PB5 (Arduino pin 13) every 250 ms
 *   button   a push button on PD2 (INT0, active low, pull-up): every edge
 *            interrupt raises a signal; the coroutine debounces (the level
 *            must hold for 20 ms) and reports presses and releases, with how
 *            many edges the contact bounce produced
 *   lines    reads lines from the UART (the RX interrupt puts each byte in
 *            an async_isr_queue); each line must come within 1 s, else it
 *            reports a timeout (asyncio.wait_for: the reader task is cancelled)
 * main runs them for 2.8 s of real time (1 ms ticks from Timer1), then prints
 * totals. The output is its trace; embedded/avr/sim_blinky.c runs it in
 * simavr with a scripted button and UART input and checks it. */
#include <avr/io.h>
#include <avr/interrupt.h>
#include "board.h"

#define DEMO_MS 2800u /* well before the last line timeout (about 3 s) */
#define BLINK_MS 250u
#define DEBOUNCE_MS 20u
#define LINE_TIMEOUT_MS 1000u

static async_isr_signal button_sig;

/* The received bytes: the RX interrupt puts, the reader gets (a full queue
 * drops the byte). */
static unsigned char rx_buf[32];
static async_isr_queue rx;

ISR(USART_RX_vect) {
    uint8_t c = UDR0;
    async_isr_queue_put(&rx, &c);
}

ISR(INT0_vect) { async_isr_raise(&button_sig); }

static unsigned long now_ms(async_ctx *ctx) {
    return (unsigned long)(async_loop_time(async_ctx_loop(ctx)) / (ASYNC_TICKS_PER_SEC / 1000u));
}
#define NOW_MS() now_ms(async_ctx_)

/* ---- blink --------------------------------------------------------------- */
struct blink { async_frame hdr; async_timer t; unsigned toggles; };
static ASYNC_FN(blink, struct blink) {
    ASYNC_BEGIN();
    for (;;) {
        PINB = _BV(PINB5); /* writing 1 to PINx toggles the output */
        self->toggles++;
        ASYNC_SLEEP_TICKS(&self->t, async_ms(BLINK_MS));
    }
    ASYNC_END();
}

/* ---- button -------------------------------------------------------------- */
struct button { async_frame hdr; async_timer t; uint8_t stable; unsigned edges, presses; };
static ASYNC_FN(button, struct button) {
    ASYNC_BEGIN();
    self->stable = 1; /* released (pull-up) */
    for (;;) {
        ASYNC_AWAIT(async_isr_next(&button_sig)); /* an edge (or several) */
        self->edges += (unsigned)ASYNC_VALUE.i;
        ASYNC_SLEEP_TICKS(&self->t, async_ms(DEBOUNCE_MS));
        /* Take the edges of the bounce that came during the wait, without
         * waiting; then the level that held through it decides. */
        {
            async_future *more = async_isr_next(&button_sig);
            if (async_future_done(more)) self->edges += (unsigned)async_future_result(more).i;
        }
        if (((PIND >> PIND2) & 1u) != self->stable) {
            self->stable ^= 1u;
            if (!self->stable) self->presses++;
            port_printf("%5lu ms  button %s (%u edge%s)\n", NOW_MS(), self->stable ? "released" : "pressed",
                        self->edges, self->edges == 1 ? "" : "s");
            self->edges = 0;
        }
    }
    ASYNC_END();
}

/* ---- lines --------------------------------------------------------------- */
struct reader { async_frame hdr; char buf[24]; uint8_t n; };
/* Read up to '\n' (a partial line survives a timeout: the next reader goes on). */
static ASYNC_FN(read_line, struct reader) {
    unsigned char c;
    ASYNC_BEGIN();
    for (;;) {
        while (async_isr_queue_get(&rx, &c) == 0) {
            if (c == '\n') {
                self->buf[self->n] = 0;
                ASYNC_RETURN(async_int(self->n));
            }
            if (self->n < sizeof self->buf - 1) self->buf[self->n++] = (char)c;
        }
        ASYNC_AWAIT(async_isr_queue_wait(&rx));
    }
    ASYNC_END();
}

struct lines {
    async_frame hdr;
    async_task reader_task;
    struct reader rd;
    async_timer t;
    async_callback cb;
    int err;
    uint8_t timed_out; /* the timer, not someone else, cancelled the reader */
    unsigned count, timeouts;
};

/* The timer's done callback. Only a cancellation it really requested is a
 * timeout: if the reader had already ended (or is being cancelled because
 * our own task is), async_task_cancel says 0. */
static void on_line_timeout(async_future *timer, void *arg) {
    struct lines *l = (struct lines *)arg;
    if (!async_future_cancelled(timer) && async_task_cancel(&l->reader_task)) l->timed_out = 1;
}

static ASYNC_FN(lines, struct lines) {
    ASYNC_BEGIN();
    for (;;) {
        /* wait_for(read_line(), 1 s): the reader is a task, a timer cancels it. */
        async_task_create(ASYNC_LOOP, &self->reader_task, read_line, &self->rd, "read_line");
        self->timed_out = 0;
        async_timer_init(&self->t, ASYNC_LOOP);
        async_timer_start(&self->t, async_ms(LINE_TIMEOUT_MS));
        async_future_add_done_callback(&self->t.fut, &self->cb, on_line_timeout, self);
        ASYNC_AWAIT_CATCH(&self->reader_task.fut, self->err);
        /* Unless the timer fired (its callback then ran in the iteration it
         * expired, before we resumed), unhook the callback before cancelling
         * the timer, so that nothing stale stays queued for the next round. */
        if (async_future_remove_done_callback(&self->t.fut, &self->cb)) async_timer_cancel(&self->t);
        if (self->err && !self->timed_out) ASYNC_RAISE(self->err); /* we are cancelled */
        if (self->err) {
            self->timeouts++;
            port_printf("%5lu ms  uart: no line within %u ms\n", NOW_MS(), LINE_TIMEOUT_MS);
        } else {
            self->count++;
            port_printf("%5lu ms  uart: line \"%s\"\n", NOW_MS(), self->rd.buf);
            self->rd.n = 0;
        }
    }
    ASYNC_END();
}

/* ---- main ---------------------------------------------------------------- */
struct demo {
    async_frame hdr;
    async_timer t;
    async_task tasks[3];
    struct blink b;
    struct button bt;
    struct lines ln;
};
static ASYNC_FN(demo, struct demo) {
    ASYNC_BEGIN();
    port_printf("%5lu ms  blinky: LED every %u ms, button on INT0, lines on the UART\n", NOW_MS(), BLINK_MS);
    async_task_create(ASYNC_LOOP, &self->tasks[0], blink, &self->b, "blink");
    async_task_create(ASYNC_LOOP, &self->tasks[1], button, &self->bt, "button");
    async_task_create(ASYNC_LOOP, &self->tasks[2], lines, &self->ln, "lines");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(DEMO_MS));
    port_printf("%5lu ms  done: %u LED toggles, %u presses, %u lines, %u timeout(s)\n", NOW_MS(), self->b.toggles,
                self->bt.presses, self->ln.count, self->ln.timeouts);
    ASYNC_END();
}

static async_loop loop;
static async_task main_task;
static struct demo demo_frame;

int main(void) {
    int err;
    port_init();
    DDRB |= _BV(DDB5);    /* LED output */
    PORTD |= _BV(PORTD2); /* button input with pull-up */
    board_loop_init_real(&loop);
    async_isr_signal_init(&button_sig, board_isr_hub());
    async_isr_queue_init(&rx, board_isr_hub(), rx_buf, 1, sizeof rx_buf);
    EICRA = _BV(ISC00); /* INT0 on any edge */
    EIMSK = _BV(INT0);
    UCSR0B |= _BV(RXCIE0);
    err = async_run(&loop, &main_task, demo, &demo_frame); /* then cancels the three */
    port_loop_close(&loop);
    port_exit(err ? 1 : 0);
    return 0;
}
