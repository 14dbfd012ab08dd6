/* startup.c — reset and vector table for Cortex-M0/M3/M4 (bare metal, no libc).
 * The reset handler copies .data, zeroes .bss, calls main() and hands its
 * status to board_exit(); every fault goes to board_fault(), which reports
 * through semihosting and stops the emulator (a crash never hangs a test). */
#include <stdint.h>

extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[];
extern char _stack_top[];
int main(void);
void Reset_Handler(void);
void SysTick_Handler(void);
void board_fault(void);
void board_exit(int status);

/* Free RAM between .bss and the stack is painted with this word, so that
 * board_stack_peak() can tell how deep the stack ever went. */
#define BOARD_STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void) {
    uint32_t *src = _data_load, *dst = _data_start, here;
    uint32_t *below_here = (uint32_t *)((uintptr_t)&here - 64u); /* this frame's own stack stays */
    while (dst < _data_end) *dst++ = *src++;
    for (dst = _bss_start; dst < _bss_end; dst++) *dst = 0;
    for (; dst < below_here; dst++) *dst = BOARD_STACK_PAINT;
    board_exit(main());
}

/* Bytes of stack used at the deepest point so far (the painted words that
 * were overwritten, from the top of RAM down). */
unsigned long board_stack_peak(void);
unsigned long board_stack_peak(void) {
    uint32_t *p = _bss_end;
    while (p < (uint32_t *)(void *)_stack_top && *p == BOARD_STACK_PAINT) p++;
    return (unsigned long)((char *)_stack_top - (char *)p);
}

/* The table the core reads at reset: the initial stack pointer, then the
 * handlers of the system exceptions 1..15 (15 is SysTick). External
 * interrupts are not used. A struct, because the first entry is data. */
typedef void (*board_vector)(void);
struct board_vectors {
    void *sp;                   /* 0: initial stack pointer */
    board_vector handler[15];   /* 1..15 */
};
__attribute__((section(".vectors"), used)) static const struct board_vectors board_vectors = {
    _stack_top,
    {
        Reset_Handler, /* 1: reset */
        board_fault,   /* 2: NMI */
        board_fault,   /* 3: HardFault */
        board_fault,   /* 4: MemManage (M3/M4) */
        board_fault,   /* 5: BusFault */
        board_fault,   /* 6: UsageFault */
        0, 0, 0, 0,    /* 7-10: reserved */
        board_fault,   /* 11: SVCall */
        board_fault,   /* 12: DebugMon */
        0,             /* 13: reserved */
        board_fault,   /* 14: PendSV */
        SysTick_Handler /* 15: SysTick */
    }
};
