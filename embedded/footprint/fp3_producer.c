/* fp3_producer.c — puts ten items, a tick apart, then shuts the queue down. */
#include "fp3.h"

ASYNC_FN(fp3_producer_co, struct fp3_producer) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 10; self->i++) {
        ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->i));
        ASYNC_SLEEP_TICKS(&self->t, 1);
    }
    async_queue_shutdown(self->q, 0);
    ASYNC_END();
}
