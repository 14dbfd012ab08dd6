/* ports/cortexm/async_port.c — the async.h port for Cortex-M0/M0+/M3/M4/M7/M33
 * (ports/README.md): SysTick is the tick, PRIMASK (or BASEPRI, with
 * -DASYNC_CONFIG_CRITICAL_BASEPRI=n on ARMv7-M+) the critical section, `wfi`
 * the idle. Needs -DASYNC_PORT_CPU_HZ=<SysTick's clock>; the vector table
 * must point SysTick's entry at SysTick_Handler. */
#include "async_port.h"

/* wfi wakes on a pending interrupt even while PRIMASK masks it; the handler
 * then runs in the short unmasked window. It does not wake on one that
 * BASEPRI masks, so with BASEPRI the sleep swaps to PRIMASK around the wfi
 * (as QP's ports do), with the caller's BASEPRI (all enabled) in between. */
#if defined(ASYNC_CONFIG_CRITICAL_BASEPRI) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
#define ASYNC_PORT__SLEEP()                                                                          \
    __asm__ volatile("cpsid i\n\tmsr basepri, %0\n\tisb\n\twfi\n\tcpsie i\n\tisb\n\tcpsid i\n\t"             \
                     "msr basepri_max, %1\n\tcpsie i" ::"r"((uint32_t)0), "r"((uint32_t)(ASYNC_CONFIG_CRITICAL_BASEPRI)) \
                     : "memory")
#else
#define ASYNC_PORT__SLEEP() __asm__ volatile("wfi\n\tcpsie i\n\tisb\n\tcpsid i" ::: "memory")
#endif
#include "async_port_clock.h"

#ifndef ASYNC_PORT_CPU_HZ
#error "ports/cortexm: define ASYNC_PORT_CPU_HZ, the clock SysTick counts (e.g. -DASYNC_PORT_CPU_HZ=25000000)"
#endif

#define ASYNC_PORT__SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define ASYNC_PORT__SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define ASYNC_PORT__SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define ASYNC_PORT__SHPR3 (*(volatile uint32_t *)0xE000ED20u) /* SysTick's priority: bits 31..24 */

void SysTick_Handler(void);
void SysTick_Handler(void) { async_port__tick(); }

/* A tick every 1/ASYNC_TICKS_PER_SEC s, or every 100 us in warp mode (a tick
 * there only moves the clock to the awaited deadline: its period is just
 * the latency of each jump). */
int async_port_init(async_loop *loop, int mode) {
    if (mode != ASYNC_PORT_PERIODIC && mode != ASYNC_PORT_WARP)
    {
        ASYNC_MISUSE("async_port_init: this Cortex-M port has no tickless mode (SysTick)");
        return ASYNC_EMISUSE;
    }
    async_port__loop_init(loop, mode);
    ASYNC_PORT__SYST_CSR = 0;
    /* the lowest priority, so that a BASEPRI critical section masks the tick */
    ASYNC_PORT__SHPR3 = (ASYNC_PORT__SHPR3 & 0x00FFFFFFu) | 0xFF000000u;
    ASYNC_PORT__SYST_RVR =
        (mode == ASYNC_PORT_WARP ? ASYNC_PORT_CPU_HZ / 10000u : ASYNC_PORT_CPU_HZ / ASYNC_TICKS_PER_SEC) - 1u;
    ASYNC_PORT__SYST_CVR = 0;
    ASYNC_PORT__SYST_CSR = 7u; /* enable, interrupt, core clock */
    __asm__ volatile("cpsie i" ::: "memory");
    return 0;
}

void async_port_stop(void) { ASYNC_PORT__SYST_CSR = 0; }
