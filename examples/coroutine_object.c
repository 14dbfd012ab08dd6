/* coroutine_object.c — a coroutine function and a coroutine object (seed 004,
 * "Asynchronous Functions & Coroutines").
 *
 * Calling a regular function runs its body. "Calling" a coroutine function
 * only makes a coroutine object: in C, initialising its frame with
 * async_coro_init(). Nothing in the body runs until something starts it:
 * here a send by hand, or a task on a loop. */
#include "port.h"

/* A regular function: calling it runs it. */
static void hello_printer(void) {
    port_printf("Hi, I am a lowly, simple printer, though I have all I "
                "need in life --\nfresh paper & a loving octopus-wife.\n");
}

/* async def special_fella(magic_number: int) */
struct special_fella { async_frame hdr; int magic_number; };
static ASYNC_FN(special_fella, struct special_fella) {
    ASYNC_BEGIN();
    port_printf("I am a super special function. Far cooler than that printer. "
                "By the way, my lucky number is: %d.\n", self->magic_number);
    ASYNC_END();
}

int main(void) {
    struct special_fella frame;
    async_coro co;
    port_init();

    hello_printer(); /* >>> hello_printer() */

    /* >>> special_fella(magic_number=3): a coroutine object, nothing printed. */
    frame.magic_number = 3;
    async_coro_init(&co, special_fella, &frame);
    port_printf("<coroutine object special_fella: created, body not started>\n");

    /* Only starting it runs the body (a task would do this from the loop). */
    port_printf("starting it with send(None):\n");
    if (async_send(&co, async_none()) != ASYNC_DONE) port_exit(1);
    port_printf("<coroutine object special_fella: finished>\n");
    port_exit(0);
    return 0;
}
