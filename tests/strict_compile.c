/* Compiled, not run: every public macro of async.h in one coroutine, so that the
 * strict checks (C99, C11, C++, label mode, freestanding) see all of them expand. */
#include "async.h"

struct leaf { async_frame hdr; int n; };
static ASYNC_FN(leaf_co, struct leaf) {
    ASYNC_BEGIN();
    ASYNC_YIELD(async_int(self->n));
    if (ASYNC_VALUE.i < 0) ASYNC_RAISE(5);
    ASYNC_SLEEP0();
    ASYNC_RETURN(async_int(self->n * 2));
    ASYNC_END();
}

struct everything {
    async_frame hdr;
    struct leaf leaf;
    async_future fut;
    async_timer timer;
    int err;
    intptr_t sum;
};
ASYNC_DECLARE(everything_co);
ASYNC_FN(everything_co, struct everything) {
    ASYNC_BEGIN();
    self->leaf.n = 1;
    ASYNC_AWAIT_CO(leaf_co, &self->leaf);
    self->sum = ASYNC_VALUE.i;
    ASYNC_AWAIT_CO_CATCH(leaf_co, &self->leaf, self->err);
    ASYNC_AWAIT(&self->fut);
    ASYNC_AWAIT_CATCH(&self->fut, self->err);
    ASYNC_SLEEP_TICKS(&self->timer, 10);
#if ASYNC_CONFIG_FLOAT
    ASYNC_SLEEP(&self->timer, 0.5);
#endif
#ifndef ASYNC_NO_SHORT_NAMES
    AWAIT(&self->fut);
    AWAIT_CO(leaf_co, &self->leaf);
    YIELD(async_none());
#endif
    ASYNC_FINALLY();
    if (ASYNC_ERROR == ASYNC_ECANCELLED) ASYNC_ERROR = 0;
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}

/* A plain C switch inside a coroutine body, without resume points inside it. */
struct sw { async_frame hdr; int k; };
static ASYNC_FN(switch_co, struct sw) {
    ASYNC_BEGIN();
    switch (self->k) {
    case 1: self->k = 2; break;
    default: self->k = 0; break;
    }
    ASYNC_YIELD(async_int(self->k));
    ASYNC_END();
}

int async_strict_probe(void);
int async_strict_probe(void) {
    async_loop loop;
    async_task t;
    struct everything e;
    struct sw s;
    async_coro co;
    async_loop_init_virtual(&loop);
    async_future_init(&e.fut, &loop);
    async_task_create(&loop, &t, everything_co, &e, "probe");
    async_coro_init(&co, switch_co, &s);
    s.k = 1;
    (void)async_send(&co, async_none());
    return async_run(&loop, &t, everything_co, &e);
}
