/* errors.c — errors, cancellation and timeouts the asyncio way (chapter 17).
 *
 * A worker fetches four jobs, each under `async with asyncio.timeout(1)`, and
 * catches what goes wrong where it awaits: a timeout, a failed fetch. Then it
 * waits for more work until main cancels it with a message, which it reads,
 * cleans up after and re-raises; main sees the task end cancelled. */
#include "port.h"

#define E_RESET 104 /* our own error code: positive codes are the user's */

struct job { const char *name; unsigned long ms; };
static const struct job jobs[] = {{"fast", 200}, {"slow", 3000}, {"bad", 100}, {"fast2", 500}};
#define NJOBS (sizeof jobs / sizeof jobs[0])

static async_time t0;
static unsigned long now_ms(async_loop *loop) {
    return (unsigned long)((async_loop_time(loop) - t0) / (ASYNC_TICKS_PER_SEC / 1000));
}

/* async def fetch(job): await asyncio.sleep(job.delay); raise or return */
struct fetch { async_frame hdr; async_timer t; const struct job *job; };
static ASYNC_FN(fetch, struct fetch) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(self->job->ms));
    if (self->job->name[0] == 'b') ASYNC_RAISE(E_RESET); /* raise ConnectionResetError */
    ASYNC_RETURN(async_ptr((void *)(uintptr_t)self->job->name));
    ASYNC_END();
}

struct worker {
    ASYNC_TRY_FRAME(2); /* try blocks nested two deep: a try around a timeout block */
    async_timeout to;
    async_timer idle;
    struct fetch f;
    const char *got;
    unsigned i, handled;
};
static ASYNC_FN(worker, struct worker) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < NJOBS; self->i++) {
        self->f.job = &jobs[self->i];
        ASYNC_TRY {
            ASYNC_TIMEOUT(&self->to, async_ms(1000)) {      /* async with asyncio.timeout(1): */
                ASYNC_AWAIT_CO(fetch, &self->f);            /*     got = await fetch(job) */
                self->got = (const char *)ASYNC_VALUE.p;
            } ASYNC_END_TIMEOUT(&self->to);
            port_printf("%5lu ms  got %s\n", now_ms(ASYNC_LOOP), self->got);
        } ASYNC_EXCEPT(ASYNC_ETIMEOUT) {                    /* except TimeoutError: */
            port_printf("%5lu ms  %s: timed out\n", now_ms(ASYNC_LOOP), self->f.job->name);
        } ASYNC_EXCEPT(E_RESET) {                           /* except ConnectionResetError: */
            port_printf("%5lu ms  %s: connection reset\n", now_ms(ASYNC_LOOP), self->f.job->name);
        } ASYNC_TRY_FINALLY {                               /* finally: */
            self->handled++;
        } ASYNC_END_TRY;
    }
    port_printf("%5lu ms  worker: %u jobs handled, waiting for more\n", now_ms(ASYNC_LOOP), self->handled);
    ASYNC_TRY {
        ASYNC_SLEEP_TICKS(&self->idle, async_ms(3600000UL));
    } ASYNC_EXCEPT(ASYNC_ECANCELLED) {                      /* except CancelledError as e: */
        port_printf("%5lu ms  worker: cancelled (%s), cleaning up\n", now_ms(ASYNC_LOOP),
                    ASYNC_CANCEL_MESSAGE);
        ASYNC_RERAISE();                                    /*     raise */
    } ASYNC_END_TRY;
    ASYNC_END();
}

struct main_frame {
    ASYNC_TRY_FRAME(1);
    async_task wt;
    struct worker w;
    async_timer t;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->wt, worker, &self->w, "worker");
    ASYNC_SLEEP_TICKS(&self->t, async_ms(2500));
    async_task_cancel_msg(&self->wt, "shutting down");      /* task.cancel("shutting down") */
    ASYNC_TRY {
        ASYNC_AWAIT(&self->wt.fut);
    } ASYNC_EXCEPT(ASYNC_ECANCELLED) {
        port_printf("%5lu ms  main: worker cancelled: %s\n", now_ms(ASYNC_LOOP),
                    async_future_cancel_message(&self->wt.fut));
    } ASYNC_END_TRY;
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks, timers and scopes start idle */
    int err;
    async_task_init(&main_task);
    port_init();
    port_loop_init(&loop);
    t0 = async_loop_time(&loop);
    err = async_run(&loop, &main_task, main_co, &m);
    port_loop_close(&loop);
    port_exit(err ? 1 : 0);
    return 0;
}
