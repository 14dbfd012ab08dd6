/* consumer.c — gets items until the queue is shut down and empty, sleeping a
 * tick after each (so the producer fills the queue and waits). */
#include "oc.h"

#ifdef __cplusplus
extern "C" {
#endif
ASYNC_FN(consumer_co, struct consumer) {
    ASYNC_BEGIN();
    for (;;) {
        self->op.obj = self->q;
        ASYNC_AWAIT_CO_CATCH(async_queue_get_co, &self->op, self->err);
        if (self->err) break;
        self->sum += ASYNC_VALUE.i;
        self->got++;
        oc_report(
#ifdef __cplusplus
            "c++",
#else
            "c",
#endif
            ASYNC_VALUE.i);
        async_queue_task_done(self->q);
        ASYNC_SLEEP_TICKS(&self->t, 1);
    }
    if (self->err != ASYNC_ESHUTDOWN) ASYNC_RAISE(self->err);
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}
#ifdef __cplusplus
}
#endif
