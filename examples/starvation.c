/* starvation.c — a greedy coroutine starves everybody else; sleep(0) fixes it
 * (seeds 002 "pitfalls" and 004 "Event Loop").
 *
 * The loop can only switch tasks where a task lets go of it: at an await. A
 * task that crunches numbers for a long time without awaiting holds the loop
 * the whole time; every other task — here a ticker that wants to tick once per
 * loop turn — waits. The fix is to let go now and then: ASYNC_SLEEP0() is
 * asyncio.sleep(0), "go to the back of the queue; let everybody else run once".
 * We show the order of events, which is the same on every machine; the time
 * it costs depends on how long a chunk takes. */
#include "port.h"

#define CHUNKS 5

static int chunks_done;      /* by the cruncher, so far */
static int longest_gap;      /* most chunks crunched between two ticks */

/* The ticker: ticks, then gives the loop back, five times. */
struct ticker { async_frame hdr; int i, last; };
static ASYNC_FN(ticker, struct ticker) {
    ASYNC_BEGIN();
    for (self->i = 1; self->i <= 5; self->i++) {
        if (chunks_done - self->last > longest_gap) longest_gap = chunks_done - self->last;
        self->last = chunks_done;
        port_printf("  ticker: tick %d\n", self->i);
        ASYNC_SLEEP0();
    }
    ASYNC_END();
}

/* The cruncher: CHUNKS chunks of arithmetic; if polite, sleep(0) after each. */
struct cruncher { async_frame hdr; int polite, chunk; uint32_t sum; };
static ASYNC_FN(cruncher, struct cruncher) {
    unsigned k; /* a plain local: no await happens while it is in use */
    ASYNC_BEGIN();
    for (self->chunk = 1; self->chunk <= CHUNKS; self->chunk++) {
        for (k = 0; k < 5000u; k++) self->sum += k % 7u; /* CPU-bound work (small: AVR runs it too) */
        chunks_done++;
        port_printf("  cruncher: chunk %d done\n", self->chunk);
        if (self->polite) ASYNC_SLEEP0(); /* await asyncio.sleep(0) */
    }
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_task tt, tc;
    struct ticker t;
    struct cruncher c;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    self->t.last = 0;
    chunks_done = longest_gap = 0;
    async_task_create(ASYNC_LOOP, &self->tt, ticker, &self->t, "ticker");
    async_task_create(ASYNC_LOOP, &self->tc, cruncher, &self->c, "cruncher");
    ASYNC_AWAIT(&self->tt.fut);
    ASYNC_AWAIT(&self->tc.fut);
    ASYNC_END();
}

static int run(int polite) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    int err;
    async_task_init(&main_task);
    port_loop_init(&loop);
    m.c.polite = polite;
    m.c.sum = 0;
    err = async_run(&loop, &main_task, main_co, &m);
    port_loop_close(&loop);
    port_printf("  longest wait of the ticker: %d chunk(s) of somebody else's work\n", longest_gap);
    return err;
}

int main(void) {
    int err;
    port_init();
    port_printf("greedy cruncher (never awaits):\n");
    err = run(0);
    port_printf("polite cruncher (sleep(0) after each chunk):\n");
    err |= run(1);
    port_exit(err ? 1 : 0);
    return 0;
}
