/* producer.c — puts 1..n on the queue (waiting while it is full), then shuts it down. */
#include "oc.h"

ASYNC_FN(producer_co, struct producer) {
    ASYNC_BEGIN();
    for (self->i = 1; self->i <= self->n; self->i++) ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->i));
    async_queue_shutdown(self->q, 0);
    ASYNC_RETURN(async_int(self->n));
    ASYNC_END();
}
