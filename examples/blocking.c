/* blocking.c — one blocking call stalls every task (seed 002, "pitfalls").
 *
 * A ticker task wants to tick every 100 ms. A worker needs to wait half a
 * second, three ways:
 *   1. a blocking call (nanosleep, like time.sleep or a blocking recv): the
 *      whole thread sleeps, the loop with it, and the ticker misses its ticks;
 *   2. the async version (ASYNC_SLEEP): the worker waits at an await, the loop
 *      keeps running, the ticker keeps ticking;
 *   3. a blocking call we cannot avoid (a library without an async version),
 *      moved to the thread pool with async_to_thread: it blocks a pool thread,
 *      not the loop.
 * The number shown is how many ticks the ticker got in while the worker waited. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include "src/async_rt.h"

static void blocking_sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = ms % 1000 * 1000000L;
    nanosleep(&ts, NULL);
}

/* For the pool: the same blocking call, as a work function. */
static int blocking_work(void *arg, async_value *result) {
    blocking_sleep_ms(*(long *)arg);
    *result = async_none();
    return 0;
}

/* The ticker: every 100 ms until told to stop; counts its ticks. */
struct ticker { async_frame hdr; int stop; unsigned long ticks; async_timer t; };
static ASYNC_FN(ticker, struct ticker) {
    ASYNC_BEGIN();
    self->ticks = 0;
    while (!self->stop) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(100));
        self->ticks++;
    }
    ASYNC_END();
}

struct worker { async_frame hdr; int how; long ms; const struct ticker *tk; unsigned long ticks; async_timer t; async_work w; };
static ASYNC_FN(worker, struct worker) {
    ASYNC_BEGIN();
    self->ms = 500;
    self->ticks = self->tk->ticks;
    if (self->how == 1) {
        blocking_sleep_ms(self->ms); /* blocks the thread: nothing else runs */
    } else if (self->how == 2) {
        ASYNC_SLEEP_TICKS(&self->t, async_ms(500)); /* await asyncio.sleep(0.5) */
    } else {
        ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, blocking_work, &self->ms)); /* await asyncio.to_thread(...) */
    }
    self->ticks = self->tk->ticks - self->ticks; /* ticks while it waited */
    ASYNC_END();
}

struct main_frame { async_frame hdr; int how; async_task tt, tw; struct ticker t; struct worker w; async_timer pause; };
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    self->t.stop = 0;
    self->w.how = self->how;
    self->w.tk = &self->t;
    async_task_create(ASYNC_LOOP, &self->tt, ticker, &self->t, "ticker");
    ASYNC_SLEEP_TICKS(&self->pause, async_ms(250)); /* let the ticker get going */
    async_task_create(ASYNC_LOOP, &self->tw, worker, &self->w, "worker");
    ASYNC_AWAIT(&self->tw.fut);
    ASYNC_SLEEP_TICKS(&self->pause, async_ms(250));
    self->t.stop = 1;
    ASYNC_AWAIT(&self->tt.fut);
    ASYNC_END();
}

static unsigned long run(int how) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    async_task_init(&main_task);
    m.how = how;
    if (async_rt_loop_init(&loop)) return 0;
    if (async_run(&loop, &main_task, main_co, &m)) printf("error\n");
    async_rt_loop_close(&loop);
    return m.w.ticks;
}

int main(void) {
    static const char *const names[] = {"", "blocking call in a task   ", "await asyncio.sleep       ",
                                        "blocking call on the pool "};
    unsigned long ticks[4];
    int how;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("a ticker ticks every 100 ms; a worker waits 500 ms\n");
    for (how = 1; how <= 3; how++) {
        ticks[how] = run(how);
        printf("%s ticks while the worker waited: %lu\n", names[how], ticks[how]);
    }
    printf("the blocking call held the loop (%lu ticks); the others let it run\n", ticks[1]);
    return 0;
}
