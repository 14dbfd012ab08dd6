/* tickless.c — tickless idle on RISC-V (ports/riscv, ASYNC_PORT_TICKLESS):
 * the clock is read from the free-running mtime, and each time the loop has
 * nothing to run, its idle hook programs one timer interrupt at the deadline
 * the loop passes it and sleeps in wfi. Five 40 ms sleeps cost five timer
 * interrupts (a periodic 1 ms tick would take about 200). Real time: QEMU's
 * mtime follows the host clock, so the elapsed time is only bounded below. */
#include "board.h"

#define SLEEPS 5
#define SLEEP_MS 40u

struct sleeper { async_frame hdr; async_timer t; int i; };
static ASYNC_FN(sleeper, struct sleeper) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < SLEEPS; self->i++) ASYNC_SLEEP_TICKS(&self->t, async_ms(SLEEP_MS));
    ASYNC_END();
}

static async_loop loop;
static async_task task;
static struct sleeper frame;

int main(void) {
    async_time t0;
    uint32_t irqs0, irqs;
    unsigned long ms;
    int err;
    port_init();
    if (async_port_init(&loop, ASYNC_PORT_TICKLESS)) port_exit(1);
    t0 = async_port_now();
    irqs0 = async_port_timer_irqs();
    err = async_run(&loop, &task, sleeper, &frame);
    irqs = async_port_timer_irqs() - irqs0;
    ms = (unsigned long)(async_time)(async_port_now() - t0) / (ASYNC_TICKS_PER_SEC / 1000u);
    port_printf("tickless: %d sleeps of %u ms, status %d\n", SLEEPS, SLEEP_MS, err);
    port_printf("tickless: at least %u ms elapsed: %s\n", SLEEPS * SLEEP_MS, ms >= SLEEPS * SLEEP_MS ? "yes" : "no");
    port_printf("tickless: %lu timer interrupts\n", (unsigned long)irqs);
    async_port_stop();
    port_exit(err ? 1 : 0);
    return 0;
}
