/* startup.c — reset code for the RV32 build (bare metal, -nostdlib): set the
 * stack and global pointers, copy .data, zero .bss, run main(), hand its
 * status to board_exit(). */
#include <stdint.h>

extern uint32_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[];
int main(void);
void board_exit(int status);
void board_start(void);

/* The first instructions: registers only, so it must be assembly. */
__asm__(".section .text.start,\"ax\",@progbits\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la gp, __global_pointer$\n"
        ".option pop\n"
        "    la sp, _stack_top\n"
        "    j board_start\n"
        ".previous\n");

extern char _stack_top[];
/* Free RAM between .bss and the stack is painted with this word, so that
 * board_stack_peak() can tell how deep the stack ever went. */
#define BOARD_STACK_PAINT 0xA5A5A5A5u

void board_start(void) {
    uint32_t *src = _data_load, *dst = _data_start, here;
    uint32_t *below_here = (uint32_t *)((uintptr_t)&here - 64u); /* this frame's own stack stays */
    while (dst < _data_end) *dst++ = *src++;
    for (dst = _bss_start; dst < _bss_end; dst++) *dst = 0;
    for (; dst < below_here; dst++) *dst = BOARD_STACK_PAINT;
    board_exit(main());
}

/* Bytes of stack used at the deepest point so far. */
unsigned long board_stack_peak(void);
unsigned long board_stack_peak(void) {
    uint32_t *p = _bss_end;
    while (p < (uint32_t *)(void *)_stack_top && *p == BOARD_STACK_PAINT) p++;
    return (unsigned long)((char *)_stack_top - (char *)p);
}
