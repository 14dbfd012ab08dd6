/* ports/riscv/async_port.c — the async.h port for RISC-V harts in machine
 * mode with a CLINT (ports/README.md): the machine timer (mtime/mtimecmp) is
 * the tick, mstatus.MIE the critical section, `wfi` the idle. Periodic, warp
 * or tickless: mtime runs free, so in tickless mode the clock is read from
 * it and the idle hook programs a single interrupt at the loop's deadline.
 * The trap handler is the board's: it calls async_port_riscv_timer_isr()
 * for a machine timer interrupt (mcause 0x80000007 on RV32).
 * ASYNC_PORT_CLINT (base address, 0x02000000) and ASYNC_PORT_MTIME_HZ (the
 * rate of mtime, 10000000 on QEMU's virt) describe the chip. */
#include "async_port.h"

#ifndef ASYNC_PORT_CLINT
#define ASYNC_PORT_CLINT 0x02000000u
#endif
#ifndef ASYNC_PORT_MTIME_HZ
#define ASYNC_PORT_MTIME_HZ 10000000u
#endif
#define ASYNC_PORT__MTIMECMP_LO (*(volatile uint32_t *)(ASYNC_PORT_CLINT + 0x4000u))
#define ASYNC_PORT__MTIMECMP_HI (*(volatile uint32_t *)(ASYNC_PORT_CLINT + 0x4004u))
#define ASYNC_PORT__MTIME_LO (*(volatile uint32_t *)(ASYNC_PORT_CLINT + 0xBFF8u))
#define ASYNC_PORT__MTIME_HI (*(volatile uint32_t *)(ASYNC_PORT_CLINT + 0xBFFCu))
/* mtime counts per tick of the scheduler's clock */
#define ASYNC_PORT__PER_TICK ((uint32_t)(ASYNC_PORT_MTIME_HZ / ASYNC_TICKS_PER_SEC))

#if defined(__riscv_zicsr)
#define ASYNC_PORT__CSR(insns) insns
#else
#define ASYNC_PORT__CSR(insns) ".option push\n\t.option arch, +zicsr\n\t" insns "\n\t.option pop"
#endif

static uint64_t async_port__mtime(void) {
    uint32_t hi, lo;
    do {
        hi = ASYNC_PORT__MTIME_HI;
        lo = ASYNC_PORT__MTIME_LO;
    } while (hi != ASYNC_PORT__MTIME_HI);
    return ((uint64_t)hi << 32) | lo;
}

static void async_port__set_cmp(uint64_t when) {
    ASYNC_PORT__MTIMECMP_HI = 0xFFFFFFFFu; /* no spurious match while the halves change */
    ASYNC_PORT__MTIMECMP_LO = (uint32_t)when;
    ASYNC_PORT__MTIMECMP_HI = (uint32_t)(when >> 32);
}

/* Tickless: the clock is mtime in ticks, and the one interrupt of a wait is
 * programmed at the first mtime of the deadline's tick. */
#define ASYNC_PORT__NOW_TICKLESS() ((async_time)(async_port__mtime() / ASYNC_PORT__PER_TICK))
static void async_port__arm(async_time deadline) {
    uint64_t now = async_port__mtime() / ASYNC_PORT__PER_TICK;
    async_time ahead = (async_time)(deadline - (async_time)now);
    async_port__set_cmp((now + ahead) * ASYNC_PORT__PER_TICK);
}
#define ASYNC_PORT__ARM(d) async_port__arm(d)

/* wfi wakes when an enabled interrupt is pending, even with mstatus.MIE clear. */
#define ASYNC_PORT__SLEEP() \
    __asm__ volatile(ASYNC_PORT__CSR("wfi\n\tcsrsi mstatus, 8\n\tcsrci mstatus, 8") ::: "memory")
#include "async_port_clock.h"

static uint32_t async_port__period; /* mtime counts per interrupt (periodic, warp) */
static uint64_t async_port__next;   /* next compare value */

void async_port_riscv_timer_isr(void);
void async_port_riscv_timer_isr(void) {
    if (async_port__mode == ASYNC_PORT_TICKLESS) {
        async_port__set_cmp(UINT64_MAX); /* until the next wait arms it */
    } else {
        async_port__next += async_port__period;
        async_port__set_cmp(async_port__next);
    }
    async_port__tick();
}

/* Periodic: an interrupt every tick; warp: every 100 us; tickless: only at
 * the deadlines the loop sleeps for. */
int async_port_init(async_loop *loop, int mode) {
    async_port__loop_init(loop, mode);
    if (mode == ASYNC_PORT_TICKLESS) {
        async_port__set_cmp(UINT64_MAX);
    } else {
        async_port__period = mode == ASYNC_PORT_WARP ? ASYNC_PORT_MTIME_HZ / 10000u : ASYNC_PORT__PER_TICK;
        async_port__next = async_port__mtime() + async_port__period;
        async_port__set_cmp(async_port__next);
    }
    __asm__ volatile(ASYNC_PORT__CSR("csrs mie, %0") ::"r"(0x80u)); /* MTIE */
    __asm__ volatile(ASYNC_PORT__CSR("csrsi mstatus, 8") ::: "memory");
    return 0;
}

void async_port_stop(void) { __asm__ volatile(ASYNC_PORT__CSR("csrc mie, %0") ::"r"(0x80u)); }
