/* control_flow.c — who has control, step by step, in a tiny program (seed 004,
 * "Analyzing an example program's control flow").
 *
 *   async def triple(val): return val * 3
 *   async def main():
 *       triple_task = asyncio.Task(coro=triple(val=5))
 *       tripled_val = await triple_task
 *       return tripled_val + 2
 *
 * The numbered list below is not written by hand: every line comes from the
 * library's trace hook. The loop reports each iteration and each task step;
 * built with ASYNC_CONFIG_TRACE=1, coroutines also report when a body starts
 * and when an await suspends or resumes. The hook turns those events into the
 * seed's picture: program -> event-loop -> task.step -> coroutine -> awaited
 * object, and back. */
#define ASYNC_CONFIG_TRACE 1 /* before async.h: coroutine-level trace events */
#include "port.h"

/* async def triple(val: int) */
struct triple { async_frame hdr; int val; };
static ASYNC_FN(triple, struct triple) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(self->val * 3));
    ASYNC_END();
}

/* async def main() */
struct main_frame { async_frame hdr; async_task triple_task; struct triple t; };
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    self->t.val = 5;
    async_task_create(ASYNC_LOOP, &self->triple_task, triple, &self->t, "triple_task");
    ASYNC_AWAIT(&self->triple_task.fut); /* tripled_val = await triple_task */
    ASYNC_RETURN(async_int(ASYNC_VALUE.i + 2));
    ASYNC_END();
}

/* ---- the trace hook: events in, numbered lines out ---- */

static int step_no;

static void line(int depth, const char *what, const char *suffix) {
    port_printf("%-3d", ++step_no);
    while (depth--) port_write("    ");
    port_printf("%s%s\n", what, suffix);
}

/* Cut suffix off the end of name (length *n) if it is there. */
static void cut(char *name, unsigned *n, const char *suffix) {
    unsigned k = 0, i;
    while (suffix[k]) k++;
    if (*n <= k) return;
    for (i = 0; i < k; i++)
        if (name[*n - k + i] != suffix[i]) return;
    *n -= k;
    name[*n] = 0;
}

/* "main_co_async_body" -> "main": the C function of a body, as the seed names it
 * (ASYNC_FN appends _async_body; our coroutines called main are main_co). */
static void coro_line(int depth, const char *fn) {
    char name[32];
    unsigned n = 0;
    while (fn[n] && n < sizeof name - 1) { name[n] = fn[n]; n++; }
    name[n] = 0;
    cut(name, &n, "_async_body");
    cut(name, &n, "_co");
    line(depth, name, "()");
}

static void trace(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    async_task *awaited;
    (void)s;
    (void)ud;
    if (step_no == 0) line(0, "program", ""); /* control starts in the program */
    switch (ev) {
    case ASYNC_TRACE_ITERATION: line(1, "event-loop", ""); break;
    case ASYNC_TRACE_STEP_BEGIN: /* fall through: the step is entered and left */
    case ASYNC_TRACE_STEP_END: line(2, async_task_name(t), ".step"); break;
    case ASYNC_TRACE_CORO_BEGIN: coro_line(3, async_trace_coro(loop)); break;
    case ASYNC_TRACE_AWAIT_SUSPEND: /* into the awaited object, whose yield ... */
    case ASYNC_TRACE_AWAIT_RESUME:  /* (or result) passes back through the coroutine */
        awaited = async_ctx_task(&async_trace_future(loop)->c);
        line(4, awaited ? async_task_name(awaited) : "future", ".__await__");
        coro_line(3, async_trace_coro(loop));
        break;
    default: break; /* ASYNC_TRACE_RETRIEVED: not a hand-off */
    }
}

/* main_task's done callback: after it, nothing is left; stop run_forever. */
static void stop_loop(async_future *fut, void *loop) {
    (void)fut;
    async_loop_stop((async_loop *)loop);
}

int main(void) {
    async_loop loop;
    async_task main_task;
    async_callback when_done;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    async_task_init(&main_task);
    port_init();
    /* No sleeps here, so no clock is needed: the core's virtual loop, which this
     * file initialises itself (its trace fields exist with ASYNC_CONFIG_TRACE). */
    async_loop_init_virtual(&loop);                  /* loop = asyncio.new_event_loop() */
    async_loop_set_trace(&loop, trace, NULL);
    async_task_create(&loop, &main_task, main_co, &m, "main_task"); /* main_task = Task(main()) */
    async_future_add_done_callback(&main_task.fut, &when_done, stop_loop, &loop);
    async_loop_run_forever(&loop);                   /* loop.run_forever() */
    async_loop_set_trace(&loop, NULL, NULL);
    port_printf("main_task's result: %ld\n", (long)async_future_result(&main_task.fut).i);
    port_exit(async_future_error(&main_task.fut) ? 1 : 0);
    return 0;
}
