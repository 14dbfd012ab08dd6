/* consumer.c — a program of an installed or packaged async.h: the runtime's
 * loop runs a task that sleeps 1 ms; prints "consumer: ok". Built by the
 * install and CMake checks (tests/packaging.mk, src/rules.mk). */
#include <stdio.h>
#include <async/async_rt.h>

struct napper { async_frame hdr; async_timer t; };
static ASYNC_FN(napper_co, struct napper) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(1));
    ASYNC_RETURN(async_int(7));
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task task;
    struct napper frame;
    int rc;
    if (async_rt_loop_init(&loop)) return 1;
    async_task_init(&task); /* stack memory: it could read as a running task */
    async_task_create(&loop, &task, napper_co, &frame, "napper");
    rc = async_loop_run_until_complete(&loop, &task.fut);
    if (rc == 0 && async_future_result(&task.fut).i == 7) printf("consumer: ok\n");
    async_rt_loop_close(&loop);
    return rc;
}
