/* homemade_sleep.c — asyncio.sleep rebuilt from a future and a watcher task
 * (seed 004, "A homemade asyncio.sleep"), and the simpler variant without a
 * future.
 *
 * async_sleep() creates a future, starts a watcher task that completes the
 * future once the wake-up time has passed, and awaits the future. Meanwhile
 * the loop runs everything else: here three worker tasks.
 *
 * The seed's watcher looks at the clock, and if it is too early yields to the
 * loop (sleep(0)) and looks again. We let it nap 10 ms between looks instead:
 * on a virtual clock time only moves when every task is waiting for a timer,
 * so a watcher that only ever yields would watch a clock that never moves (and
 * on a real clock it would spin a core at 100 % for 3 s). */
#include "port.h"

static async_time start; /* the loop's time when main started, for "at time" */

/* Print the loop's time since start as HH:MM:SS, like the seed's strftime. */
static void print_time(async_loop *loop) {
    unsigned long s = port_elapsed_ms(loop, start) / 1000;
    port_printf("%02lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

/* class YieldToEventLoop, as a 10 ms nap (see above). */
#define YIELD_TO_EVENT_LOOP(timer) ASYNC_SLEEP_TICKS((timer), async_ms(10))

/* async def _sleep_watcher(future, time_to_wake) */
struct watcher { async_frame hdr; async_future *future; async_time time_to_wake; async_timer nap; };
static ASYNC_FN(sleep_watcher, struct watcher) {
    ASYNC_BEGIN();
    for (;;) {
        if ((ASYNC_STIME_T)(async_loop_time(ASYNC_LOOP) - self->time_to_wake) >= 0) {
            async_future_set_result(self->future, async_none()); /* marks the future done */
            break;
        }
        YIELD_TO_EVENT_LOOP(&self->nap);
    }
    ASYNC_END();
}

/* async def async_sleep(seconds) */
struct async_sleep { async_frame hdr; unsigned long ms; async_future future; async_task watcher_task; struct watcher w; };
static ASYNC_FN(async_sleep, struct async_sleep) {
    ASYNC_BEGIN();
    async_future_init(&self->future, ASYNC_LOOP);
    self->w.future = &self->future;
    self->w.time_to_wake = async_loop_time(ASYNC_LOOP) + async_ms(self->ms);
    async_task_create(ASYNC_LOOP, &self->watcher_task, sleep_watcher, &self->w, "watcher");
    ASYNC_AWAIT(&self->future); /* block until the future is marked as done */
    ASYNC_END();
}

/* async def simpler_async_sleep(seconds): the same, without a future. */
struct simpler_sleep { async_frame hdr; unsigned long ms; async_time time_to_wake; async_timer nap; };
static ASYNC_FN(simpler_async_sleep, struct simpler_sleep) {
    ASYNC_BEGIN();
    self->time_to_wake = async_loop_time(ASYNC_LOOP) + async_ms(self->ms);
    while ((ASYNC_STIME_T)(async_loop_time(ASYNC_LOOP) - self->time_to_wake) < 0)
        YIELD_TO_EVENT_LOOP(&self->nap);
    ASYNC_END();
}

struct empty { async_frame hdr; };
static ASYNC_FN(other_work, struct empty) {
    ASYNC_BEGIN();
    port_printf("I am worker. Work work.\n");
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    int i;
    async_task work_tasks[3];
    struct empty work_frames[3];
    async_task sleep_task;
    struct async_sleep s;
    struct simpler_sleep s2;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    /* A few other tasks, so there is something to do while sleeping. */
    for (self->i = 0; self->i < 3; self->i++)
        async_task_create(ASYNC_LOOP, &self->work_tasks[self->i], other_work, &self->work_frames[self->i], "worker");
    port_printf("Beginning asynchronous sleep at time: ");
    print_time(ASYNC_LOOP);
    port_printf(".\n");
    self->s.ms = 3000;
    async_task_create(ASYNC_LOOP, &self->sleep_task, async_sleep, &self->s, "async_sleep");
    ASYNC_AWAIT(&self->sleep_task.fut); /* await asyncio.Task(async_sleep(3)) */
    port_printf("Done asynchronous sleep at time: ");
    print_time(ASYNC_LOOP);
    port_printf(".\n");
    for (self->i = 0; self->i < 3; self->i++) /* await asyncio.gather(*work_tasks) */
        ASYNC_AWAIT(&self->work_tasks[self->i].fut);

    port_printf("Beginning simpler asynchronous sleep at time: ");
    print_time(ASYNC_LOOP);
    port_printf(".\n");
    self->s2.ms = 3000;
    ASYNC_AWAIT_CO(simpler_async_sleep, &self->s2);
    port_printf("Done simpler asynchronous sleep at time: ");
    print_time(ASYNC_LOOP);
    port_printf(".\n");
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    unsigned long ms;
    int err;
    async_task_init(&main_task);
    port_init();
    port_loop_init(&loop);
    start = async_loop_time(&loop);
    err = async_run(&loop, &main_task, main_co, &m);
    ms = port_elapsed_ms(&loop, start);
    port_printf("elapsed: %lu.%03lu s\n", ms / 1000, ms % 1000);
    port_loop_close(&loop);
    port_exit(err ? 1 : 0);
    return 0;
}
