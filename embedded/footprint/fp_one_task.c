/* fp_one_task.c — the smallest useful program on async.h: a loop on the
 * bare-metal backend and one task that sleeps once (so the timer heap, the
 * ready queue, futures and task steps are all linked in). The tick source is
 * a volatile counter and idle does nothing, so what it adds to fp_empty.c is
 * the core. */
#include "async.h"
#include "fp_stubs.h"

static volatile async_time fp_ticks;
static async_time fp_now(void) { return fp_ticks; }
static void fp_idle(const async_time *deadline) {
    if (deadline) fp_ticks = *deadline; /* a tick interrupt would do this */
}

struct sleeper { async_frame hdr; async_timer t; };
static ASYNC_FN(sleeper, struct sleeper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, 10);
    ASYNC_RETURN(async_int(1));
    ASYNC_END();
}

static const async_bare fp_board = {fp_now, fp_idle};
static async_loop loop;
static async_task task;
static struct sleeper frame;

int main(void) {
    async_loop_init_bare(&loop, &fp_board);
    async_task_create(&loop, &task, sleeper, &frame, "sleeper");
    return async_loop_run_until_complete(&loop, &task.fut);
}
