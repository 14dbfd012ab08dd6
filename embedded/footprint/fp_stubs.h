/* fp_stubs.h — the least a footprint program needs from its board besides the
 * start-up code: handlers the vector table names, and an exit. Everything is
 * an idle loop, so that the only code that differs between fp_empty.c and
 * fp_one_task.c is async.h's. */
#ifndef EMBEDDED_FP_STUBS_H
#define EMBEDDED_FP_STUBS_H
#if defined(__arm__) || defined(__riscv)
void board_exit(int status);
void board_exit(int status) {
    (void)status;
    for (;;) {
    }
}
#endif
#if defined(__arm__)
void board_fault(void);
void board_fault(void) {
    for (;;) {
    }
}
void SysTick_Handler(void);
void SysTick_Handler(void) {}
#endif
#endif
