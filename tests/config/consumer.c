/* A program using libasync, built by the rt-config check with configurations
 * that differ from libasync's: it must be refused, never run into a crash. */
#include "src/async_rt.h"
#include <stdio.h>
#include <string.h>

struct nap { async_frame hdr; async_timer t; };
static ASYNC_FN(nap, struct nap) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
    ASYNC_RETURN(async_int(7));
    ASYNC_END();
}

int main(void) {
    struct nap n;
    async_value v;
    memset(&n, 0, sizeof n);
    if (async_rt_run(nap, &n, &v) || v.i != 7) return 1;
    puts("ok");
    return 0;
}
