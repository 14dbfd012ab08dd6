/* port_cortexm.c — examples/port.h on Cortex-M0/M3/M4, as emulated by QEMU's
 * MPS2 boards: console through ARM semihosting (SYS_WRITE0, SYS_EXIT); the
 * scheduler's clock (SysTick), critical sections and idle (`wfi`) are
 * ports/cortexm, built with -DASYNC_PORT_CPU_HZ=25000000 (the core clock of
 * QEMU's mps2-an385/an386). */
#include <stdint.h>
#include "board.h"

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

/* The examples always run on the warp clock: same output as the host's
 * ASYNC_VIRTUAL_TIME=1 run (ports/async_port.h). */
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
