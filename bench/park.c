/* park: memory per task suspended on a future. N tasks (10^6) each await one
 * shared future; a task is the async_task plus the smallest useful frame (the
 * frame header; the future is a global). Reported two ways: sizeof (what the
 * program must allocate) and RSS growth / N (what the machine really paid,
 * allocator and page rounding included). Built twice: park (task info on, the
 * default) and park_noinfo (ASYNC_CONFIG_TASK_INFO=0: no name, position, list). */
#include "bench.h"
#include "async.h"

/* The goals: 64 B with task info, 48 B without. async.h states the
 * layout by async_task (section 8) for every target. */
#if ASYNC_CONFIG_TASK_INFO
#define PARK_NAME "park"
#define PARK_GOAL "goal <= 64 B"
#else
#define PARK_NAME "park (TASK_INFO=0)"
#define PARK_GOAL "goal <= 48 B"
#endif

static async_future gate; /* every task waits on it */

struct parked {
    async_frame hdr;
};
static ASYNC_FN(parked, struct parked) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(&gate);
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 1));
    ASYNC_END();
}

/* What a program keeps per parked task: the task and its frame, side by side. */
struct slot {
    async_task t;
    struct parked f;
};

int main(void) {
    async_loop loop;
    long i, n = bench_n(1000000), rss0, rss1, acc = 0;
    struct slot *s;
    char buf[200];
    async_loop_init_virtual(&loop);
    async_future_init(&gate, &loop);
    rss0 = bench_rss_bytes();
    s = (struct slot *)calloc((size_t)n, sizeof *s); /* calloc: async_task_create reads the state first */
    if (!s) bench_fail("park: out of memory");
    for (i = 0; i < n; i++) async_task_create(&loop, &s[i].t, parked, &s[i].f, "parked");
    if (async_loop_run_once(&loop)) bench_fail("park: loop error");
    for (i = 0; i < n; i++)
        if (async_task_waiting_on(&s[i].t) != &gate) bench_fail("park: a task is not parked on the future");
    rss1 = bench_rss_bytes();
    async_future_set_result(&gate, async_int(41));
    if (async_loop_run_until_complete(&loop, &s[n - 1].t.fut)) bench_fail("park: last task failed");
    for (i = 0; i < n; i++) {
        if (async_future_error(&s[i].t.fut)) bench_fail("park: a task failed");
        acc += (long)async_future_result(&s[i].t.fut).i;
    }
    if (acc != 42 * n) bench_fail("park: wrong results");
    bench_row(PARK_NAME " (sizeof)", "ours", (double)sizeof(struct slot), "B", "lower", PARK_GOAL);
    bench_row(PARK_NAME " (RSS)", "ours", (double)(rss1 - rss0) / (double)n, "B", "lower", PARK_GOAL);
    snprintf(buf, sizeof buf, "%s N=%ld; sizeof async_task %u B + frame %u B (async_frame %u, async_future %u, async_handle %u)",
             PARK_NAME, n, (unsigned)sizeof(async_task), (unsigned)sizeof(struct parked), (unsigned)sizeof(async_frame),
             (unsigned)sizeof(async_future), (unsigned)sizeof(async_handle));
    bench_note(buf);
    free(s);
    return 0;
}
