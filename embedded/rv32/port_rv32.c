/* port_rv32.c — examples/port.h on an RV32IMAC hart of QEMU's `virt` machine:
 * console on its 16550 UART, the scheduler's clock from machine-timer
 * interrupts (CLINT mtime/mtimecmp, 10 MHz), idle in `wfi` (board_clock.h),
 * exit through the SiFive test device (QEMU exits with the status). */
#include <stdint.h>
#include "board.h"

#define BOARD_TIMEBASE_HZ 10000000u /* CLINT mtime rate on virt */
#define UART_THR (*(volatile uint8_t *)0x10000000u)
#define UART_LSR (*(volatile uint8_t *)0x10000005u)
#define CLINT_MTIMECMP_LO (*(volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200BFF8u)
#define CLINT_MTIME_HI (*(volatile uint32_t *)0x0200BFFCu)
#define TEST_DEVICE (*(volatile uint32_t *)0x00100000u)

/* CSR instructions are the Zicsr extension, which the assembler wants named
 * while -march stays the rv32imac (whose multilib libgcc we link). */
#define RV_CSR(insns) ".option push\n\t.option arch, +zicsr\n\t" insns "\n\t.option pop"
#define BOARD_IRQ_OFF() __asm__ volatile(RV_CSR("csrci mstatus, 8") ::: "memory")
#define BOARD_IRQ_ON() __asm__ volatile(RV_CSR("csrsi mstatus, 8") ::: "memory")
/* wfi wakes when an enabled interrupt is pending, even with mstatus.MIE clear. */
#define BOARD_SLEEP() __asm__ volatile(RV_CSR("wfi\n\tcsrsi mstatus, 8\n\tcsrci mstatus, 8") ::: "memory")
#include "board_clock.h"

static uint32_t board__period; /* mtime counts per tick */
static uint64_t board__next;   /* next compare value */

static void board__set_cmp(uint64_t when) {
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu; /* no spurious match while the halves change */
    CLINT_MTIMECMP_LO = (uint32_t)when;
    CLINT_MTIMECMP_HI = (uint32_t)(when >> 32);
}

static uint64_t board__mtime(void) {
    uint32_t hi, lo;
    do {
        hi = CLINT_MTIME_HI;
        lo = CLINT_MTIME_LO;
    } while (hi != CLINT_MTIME_HI);
    return ((uint64_t)hi << 32) | lo;
}

void port_exit(int status);

/* Every trap comes here (mtvec, direct mode): the machine timer is the tick;
 * anything else is a fault. */
__attribute__((interrupt("machine"), aligned(4))) void board_trap(void);
void board_trap(void) {
    uint32_t cause;
    __asm__ volatile(RV_CSR("csrr %0, mcause") : "=r"(cause));
    if (cause == 0x80000007u) {
        board__next += board__period;
        board__set_cmp(board__next);
        board_clock_tick();
    } else {
        port_write("board: fault\n");
        port_exit(1);
    }
}

void port_init(void) { __asm__ volatile(RV_CSR("csrw mtvec, %0") ::"r"((uintptr_t)board_trap)); }

void port_write(const char *s) {
    for (; *s; s++) {
        while (!(UART_LSR & 0x20u)) {
        }
        UART_THR = (uint8_t)*s;
    }
}

void port_exit(int status) {
    port_printf("board: peak stack %lu B\n", board_stack_peak());
    for (;;) TEST_DEVICE = status ? ((uint32_t)status << 16) | 0x3333u : 0x5555u;
}

void board_exit(int status);
void board_exit(int status) { port_exit(status); }

/* Ticks of 100 us in warp mode, 1/ASYNC_TICKS_PER_SEC s in real mode. */
static void board__timer_start(int warp) {
    board__period = warp ? BOARD_TIMEBASE_HZ / 10000u : BOARD_TIMEBASE_HZ / ASYNC_TICKS_PER_SEC;
    board__next = board__mtime() + board__period;
    board__set_cmp(board__next);
    __asm__ volatile(RV_CSR("csrs mie, %0") ::"r"(0x80u)); /* MTIE */
    BOARD_IRQ_ON();
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
    __asm__ volatile(RV_CSR("csrc mie, %0") ::"r"(0x80u));
}

double port_elapsed(async_loop *loop, async_time since) {
    return (double)(async_time)(async_loop_time(loop) - since) / (double)ASYNC_TICKS_PER_SEC;
}
