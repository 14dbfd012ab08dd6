/* port_cortexm.c — examples/port.h on Cortex-M0/M3/M4, as emulated by QEMU's
 * MPS2 boards: console through ARM semihosting (SYS_WRITE0, SYS_EXIT), the
 * scheduler's clock from SysTick interrupts, idle in `wfi` (board_clock.h). */
#include <stdint.h>
#include "board.h"

/* The core clock of QEMU's mps2-an385/an386 (SysTick counts it). */
#define BOARD_CPU_HZ 25000000u

#define BOARD_IRQ_OFF() __asm__ volatile("cpsid i" ::: "memory")
#define BOARD_IRQ_ON() __asm__ volatile("cpsie i" ::: "memory")
/* wfi wakes on a pending interrupt even while PRIMASK masks it; the handler
 * then runs in the short unmasked window. */
#define BOARD_SLEEP() __asm__ volatile("wfi\n\tcpsie i\n\tisb\n\tcpsid i" ::: "memory")
#include "board_clock.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

void SysTick_Handler(void);
void SysTick_Handler(void) { board_clock_tick(); }

/* ARM semihosting: operation in r0, argument in r1, `bkpt 0xAB` on M-profile. */
static int board__semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_Stopped_ApplicationExit 0x20026u /* exit status 0 */
#define ADP_Stopped_RunTimeErrorUnknown 0x20023u /* QEMU exits with status 1 */

void port_init(void) {}

void port_write(const char *s) { board__semihost(SYS_WRITE0, s); }

void port_exit(int status) {
    port_printf("board: peak stack %lu B\n", board_stack_peak());
    for (;;)
        board__semihost(SYS_EXIT, (const void *)(uintptr_t)(status ? ADP_Stopped_RunTimeErrorUnknown
                                                                    : ADP_Stopped_ApplicationExit));
}

void board_exit(int status);
void board_exit(int status) { port_exit(status); }

void board_fault(void);
void board_fault(void) {
    port_write("board: fault\n");
    port_exit(1);
}

/* SysTick every 1 ms (real mode), or every 100 us (warp mode: a tick only
 * moves the clock to the awaited deadline, so its period is just the latency
 * of each jump). */
static void board__systick_start(int warp) {
    SYST_CSR = 0;
    SYST_RVR = (warp ? BOARD_CPU_HZ / 10000u : BOARD_CPU_HZ / ASYNC_TICKS_PER_SEC) - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* enable, interrupt, core clock */
}

/* The examples always run on the warp clock: same output as the host's
 * ASYNC_VIRTUAL_TIME=1 run (board_clock.h). */
int port_loop_init(async_loop *loop) {
    board_loop_init(loop, 1);
    board__systick_start(1);
    return 1;
}

void board_loop_init_real(async_loop *loop) {
    board_loop_init(loop, 0);
    board__systick_start(0);
}

async_isr_hub *board_isr_hub(void) { return &board_hub; }

void port_loop_close(async_loop *loop) {
    (void)loop;
    SYST_CSR = 0;
}

double port_elapsed(async_loop *loop, async_time since) {
    return (double)(async_time)(async_loop_time(loop) - since) / (double)ASYNC_TICKS_PER_SEC;
}
