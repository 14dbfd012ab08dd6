/* fp3_consumer.c — sums the items until the queue is shut down. */
#include "fp3.h"

ASYNC_FN(fp3_consumer_co, struct fp3_consumer) {
    ASYNC_BEGIN();
    for (;;) {
        self->op.obj = self->q;
        ASYNC_AWAIT_CO_CATCH(async_queue_get_co, &self->op, self->err);
        if (self->err) break;
        self->sum += ASYNC_VALUE.i;
        async_queue_task_done(self->q);
    }
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}
