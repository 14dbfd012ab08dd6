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

void board_start(void) {
    uint32_t *src = _data_load, *dst = _data_start;
    while (dst < _data_end) *dst++ = *src++;
    for (dst = _bss_start; dst < _bss_end; dst++) *dst = 0;
    board_exit(main());
}
