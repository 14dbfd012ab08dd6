/* main.c — runs producer and consumer on the virtual clock and prints what
 * happened: the expected output is in expected.txt. */
#include <stdio.h>
#include "oc.h"

void oc_report(const char *who, intptr_t item) {
    printf("%s consumer got %d\n", who, (int)item);
}

int main(void) {
    static async_value items[2];
    static async_queue q;
    static struct producer p;
    static struct consumer c;
    static async_loop loop;
    static async_task tp, tc;
    async_loop_init_virtual(&loop);
    if (async_queue_init(&q, ASYNC_QUEUE_FIFO, items, 2, 0)) return 1;
    p.q = &q;
    p.n = 5;
    c.q = &q;
    async_task_create(&loop, &tp, producer_co, &p, "producer");
    async_task_create(&loop, &tc, consumer_co, &c, "consumer");
    if (async_loop_run_until_complete(&loop, &tc.fut)) return 2;
    printf("produced %d, consumed %d, sum %d, at tick %d\n", (int)async_future_result(&tp.fut).i, c.got,
           (int)async_future_result(&tc.fut).i, (int)async_loop_time(&loop));
    return 0;
}
