/* port_rv32.c — examples/port.h on an RV32IMAC hart of QEMU's `virt` machine:
 * console on its 16550 UART, exit through the SiFive test device (QEMU exits
 * with the status); the scheduler's clock (CLINT mtime/mtimecmp, 10 MHz),
 * critical sections and idle (`wfi`) are ports/riscv, whose timer interrupt
 * this board's trap handler forwards. */
#include <stdint.h>
#include "board.h"

#define UART_THR (*(volatile uint8_t *)0x10000000u)
#define UART_LSR (*(volatile uint8_t *)0x10000005u)
#define TEST_DEVICE (*(volatile uint32_t *)0x00100000u)

/* CSR instructions are the Zicsr extension, which the assembler wants named
 * while -march stays the rv32imac (whose multilib libgcc we link). */
#define RV_CSR(insns) ".option push\n\t.option arch, +zicsr\n\t" insns "\n\t.option pop"

void port_exit(int status);

/* Every trap comes here (mtvec, direct mode): the machine timer is the tick;
 * anything else is a fault. */
__attribute__((interrupt("machine"), aligned(4))) void board_trap(void);
void board_trap(void) {
    uint32_t cause;
    __asm__ volatile(RV_CSR("csrr %0, mcause") : "=r"(cause));
    if (cause == 0x80000007u) {
        async_port_riscv_timer_isr();
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
