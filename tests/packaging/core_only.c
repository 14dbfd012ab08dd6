/* core_only.c — the header-only core through a package (no runtime): a task on
 * the virtual clock; prints "core: ok". */
#include <stdio.h>
#include <async/async.h>

struct napper { async_frame hdr; async_timer t; };
static ASYNC_FN(napper_co, struct napper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, 5);
    ASYNC_RETURN(async_int(5));
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task task;
    struct napper frame;
    async_loop_init_virtual(&loop);
    async_task_init(&task); /* stack memory: it could read as a running task */
    async_task_create(&loop, &task, napper_co, &frame, "napper");
    if (async_loop_run_until_complete(&loop, &task.fut) || async_loop_time(&loop) != 5) return 1;
    printf("core: ok\n");
    return 0;
}
