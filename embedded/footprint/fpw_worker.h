/* fpw_worker.h — one worker of the footprint report's second three-file
 * program: the three files fpw_1.c, fpw_2.c, fpw_3.c each define one
 * from this same code (FPW_ID picks its name and constants, so that the
 * compiler cannot fold them into one), so all three use the same
 * parts of the library (queue get/put, sleep); fpw_main.c runs them. */
#include "fpw.h"

#define FPW_CAT2(a, b) a##b
#define FPW_CAT(a, b) FPW_CAT2(a, b)
#define FPW_NAME FPW_CAT(fpw_worker, FPW_ID)

ASYNC_FN(FPW_NAME, struct fpw_worker) {
    ASYNC_BEGIN();
    for (;;) {
        self->op.obj = self->q;
        ASYNC_AWAIT_CO_CATCH(async_queue_get_co, &self->op, self->err);
        if (self->err) break;
        self->sum += ASYNC_VALUE.i;
        async_queue_task_done(self->q);
        if (self->sum < 100 * FPW_ID) ASYNC_QUEUE_PUT(&self->op, self->q, async_int(self->sum));
        ASYNC_SLEEP_TICKS(&self->t, FPW_ID);
    }
    ASYNC_RETURN(async_int(self->sum));
    ASYNC_END();
}
#undef FPW_ID
#undef FPW_NAME
