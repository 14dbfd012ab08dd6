/* fp3_main.c — the loop on the bare-metal backend (as fp_one_task.c), the
 * queue, and a main task that awaits the consumer with wait_for. */
#include "fp3.h"
#include "fp_stubs.h"

static volatile async_time fp_ticks;
static async_time fp_now(void) { return fp_ticks; }
static void fp_idle(const async_time *deadline) {
    if (deadline) fp_ticks = *deadline;
}

static async_value items[4];
static async_queue q;
static async_task producer, consumer;
static struct fp3_producer pframe;
static struct fp3_consumer cframe;

struct fp3_main { async_frame hdr; async_waitset ws; int err; };
static ASYNC_FN(fp3_main_co, struct fp3_main) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &producer, fp3_producer_co, &pframe, "producer");
    async_task_create(ASYNC_LOOP, &consumer, fp3_consumer_co, &cframe, "consumer");
    ASYNC_WAIT_FOR(&self->ws, &consumer.fut, 100);
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_END();
}

static const async_bare fp_board = {fp_now, fp_idle};
static async_loop loop;
static async_task task;
static struct fp3_main frame;

int main(void) {
    async_loop_init_bare(&loop, &fp_board);
    async_queue_init(&q, ASYNC_QUEUE_FIFO, items, 4, 0);
    pframe.q = cframe.q = &q;
    async_task_create(&loop, &task, fp3_main_co, &frame, "main");
    return async_loop_run_until_complete(&loop, &task.fut);
}
