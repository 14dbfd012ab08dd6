/* where.c — task info on AVR: the resume point's record and the file name
 * live in program memory, so async_task_where formats them with lpm reads.
 * Prints where a task is suspended, then the task dump, then "finished". */
#include "board.h"

struct waiter { async_frame hdr; async_timer t; unsigned line; };
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    self->line = __LINE__; ASYNC_SLEEP_TICKS(&self->t, async_ms(10)); /* one line: what where must say */
    ASYNC_END();
}

static void put(void *ud, const char *s) {
    (void)ud;
    port_write(s);
}

static async_loop loop;
static async_task task;
static struct waiter frame;

int main(void) {
    char buf[ASYNC_WHERE_SIZE];
    port_init();
    port_loop_init(&loop);
    async_task_init(&task);
    async_task_create(&loop, &task, waiter, &frame, "waiter");
    port_printf("where: %s\n", async_task_where(&task, buf, sizeof buf));
    async_loop_run_once(&loop);
    port_printf("where: %s (line %u, expected %u)\n", async_task_where(&task, buf, sizeof buf),
                async_task_where_line(&task), frame.line);
    async_loop_dump(&loop, put, NULL);
    async_loop_run_until_complete(&loop, &task.fut);
    port_printf("where: %s\n", async_task_where(&task, buf, sizeof buf));
    port_exit(0);
    return 0;
}
