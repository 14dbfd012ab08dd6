/* async_port_clock.h — the part of every port that does not depend on the
 * CPU: the clock the timer interrupt drives, and the loop backend around it.
 * Included once by each ports/<cpu>/async_port.c, which first defines
 *   ASYNC_PORT__SLEEP()    called inside a critical section entered with
 *                          interrupts enabled: sleep until an interrupt is
 *                          pending, let it run, return masked again
 *   ASYNC_PORT__ARM(d)     optional (tickless): program one timer interrupt at
 *                          tick d, inside the same critical section
 * and calls async_port__tick() from its timer interrupt.
 * The idle path checks async_isr_pending() and sleeps in one masked window,
 * and the CPU's sleep wakes on an interrupt that is pending while masked, so
 * an interrupt between the check and the sleep cannot be lost. */
#ifndef ASYNC_PORT_CLOCK_H
#define ASYNC_PORT_CLOCK_H
#include "async_port.h"

static volatile async_time async_port__ticks;    /* the clock (periodic, warp), written by the ISR */
static volatile async_time async_port__deadline; /* what the idle loop waits for */
static volatile uint8_t async_port__waiting;     /* 0 running, 1 idle without deadline, 2 idle with one */
static volatile uint32_t async_port__irqs;       /* timer interrupts taken */
static uint8_t async_port__mode;
static async_isr_hub async_port__hub;
static async_isr_signal async_port__tick_sig; /* raised when the awaited deadline is reached */

#ifndef ASYNC_PORT__NOW_TICKLESS
#define ASYNC_PORT__NOW_TICKLESS() async_port__ticks
#endif

/* The timer interrupt's work. */
static void async_port__tick(void) {
    async_port__irqs = async_port__irqs + 1u;
    if (async_port__mode == ASYNC_PORT_PERIODIC) async_port__ticks = async_port__ticks + 1u;
    else if (async_port__mode == ASYNC_PORT_WARP && async_port__waiting == 2) async_port__ticks = async_port__deadline;
    if (async_port__waiting == 2 &&
        !async_time_before(async_port__mode == ASYNC_PORT_TICKLESS ? ASYNC_PORT__NOW_TICKLESS() : async_port__ticks,
                           async_port__deadline)) {
        async_port__waiting = 0; /* one raise per wait is enough */
        async_isr_raise(&async_port__tick_sig);
    }
}

async_time async_port_now(void) {
    async_time t;
    async_critical_state st;
    if (async_port__mode == ASYNC_PORT_TICKLESS) return ASYNC_PORT__NOW_TICKLESS();
    ASYNC_CRITICAL_ENTER(st);
    t = async_port__ticks;
    ASYNC_CRITICAL_EXIT(st);
    return t;
}

async_isr_hub *async_port_hub(void) { return &async_port__hub; }
uint32_t async_port_timer_irqs(void) { return async_port__irqs; }

static async_time async_port__backend_now(void *data) {
    (void)data;
    return async_port_now();
}

/* The backend's wait (behind the hub, which drains signals before and after). */
static int async_port__backend_wait(void *data, async_loop *loop, const async_time *deadline) {
    async_critical_state st;
    (void)data;
    if (loop->ready_head) return 0;
    if (deadline && !async_time_before(async_port_now(), *deadline)) return 0;
    /* In warp mode nothing but the clock can make progress: no deadline means
     * the program would wait forever, which the virtual clock reports too. */
    if (async_port__mode == ASYNC_PORT_WARP && !deadline) return ASYNC_EDEADLOCK;
    ASYNC_CRITICAL_ENTER(st);
    if (deadline) {
        async_port__deadline = *deadline;
        async_port__waiting = 2;
#ifdef ASYNC_PORT__ARM
        if (async_port__mode == ASYNC_PORT_TICKLESS) ASYNC_PORT__ARM(*deadline);
#endif
    } else
        async_port__waiting = 1;
    while (!async_isr_pending(&async_port__hub)) ASYNC_PORT__SLEEP();
    async_port__waiting = 0;
    ASYNC_CRITICAL_EXIT(st);
    return 0;
}

static void async_port__loop_init(async_loop *loop, int mode) {
    async_port__mode = (uint8_t)mode;
    async_loop_init(loop, async_port__backend_now, async_port__backend_wait, NULL);
    async_isr_hub_init(&async_port__hub, loop);
    async_isr_signal_init(&async_port__tick_sig, &async_port__hub);
}
#endif
