/* rock.c — send, yield and StopIteration, by hand (seed 004, "coroutine.send(),
 * await, yield & StopIteration").
 *
 * A rock is the smallest awaitable there is: it yields 7 to whoever drives the
 * coroutine, and returns whatever value is sent back in. main() awaits it, so
 * the rock's yield percolates up through main() to our driver below. No loop is
 * involved: we play the event loop's part ourselves with async_send(). */
#include "port.h"

/* Python: class Rock: def __await__(self): value_sent_in = yield 7 ... */
struct rock { async_frame hdr; };
static ASYNC_FN(rock_await, struct rock) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(7)); /* suspend; 7 goes to the caller of send */
    port_printf("Rock.__await__ resuming with value: %ld.\n", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(ASYNC_VALUE); /* the value sent in is the await's result */
    ASYNC_END();
}

/* Python: async def main(): ... value_from_rock = await rock; return 23 */
struct main_frame { async_frame hdr; struct rock rock; };
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    port_printf("Beginning coroutine main().\n");
    port_printf("Awaiting rock...\n");
    ASYNC_AWAIT_CO(rock_await, &self->rock); /* await rock: its yield passes through us */
    port_printf("Coroutine received value: %ld from rock.\n", (long)ASYNC_VALUE.i);
    ASYNC_RETURN(async_int(23));
    ASYNC_END();
}

int main(void) {
    static struct main_frame frame; /* zeroed: its tasks and timers start idle */
    async_coro coroutine;
    async_status s;
    port_init();
    async_coro_init(&coroutine, main_co, &frame); /* coroutine = main(): runs nothing yet */

    s = async_send(&coroutine, async_none()); /* intermediate_result = coroutine.send(None) */
    if (s != ASYNC_YIELDED) port_exit(1);
    port_printf("Coroutine paused and returned intermediate value: %ld.\n", (long)coroutine.ctx.value.i);

    port_printf("Resuming coroutine and sending in value: 42.\n");
    s = async_send(&coroutine, async_int(42)); /* coroutine.send(42) */
    if (s != ASYNC_DONE) port_exit(1);         /* DONE is Python's StopIteration ... */
    /* ... and the return value travels with it, as StopIteration.value does. */
    port_printf("Coroutine main() finished and provided value: %ld.\n", (long)coroutine.ctx.value.i);
    port_exit(0);
    return 0;
}
