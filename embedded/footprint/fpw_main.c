/* fpw_main.c — the three workers of fpw_worker.h on one queue, on the
 * bare-metal backend (as fp_one_task.c); the first one's result ends it. */
#include "fpw.h"
#include "fp_stubs.h"

static volatile async_time fp_ticks;
static async_time fp_now(void) { return fp_ticks; }
static void fp_idle(const async_time *deadline) {
    if (deadline) fp_ticks = *deadline;
}

static const async_bare fp_board = {fp_now, fp_idle};
static async_value items[4];
static async_queue q;
static async_loop loop;
static async_task tasks[3];
static struct fpw_worker frames[3];

int main(void) {
    async_loop_init_bare(&loop, &fp_board);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, items, 4, 0);
    frames[0].q = frames[1].q = frames[2].q = &q;
    async_queue_put_nowait(&q, async_int(1));
    async_task_create(&loop, &tasks[0], fpw_worker1, &frames[0], "w1");
    async_task_create(&loop, &tasks[1], fpw_worker2, &frames[1], "w2");
    async_task_create(&loop, &tasks[2], fpw_worker3, &frames[2], "w3");
    return async_loop_run_until_complete(&loop, &tasks[0].fut);
}
