/* proto: the C peer for pingpong and spawn ("c-proto"): the smallest stackless
 * scheduler we can write, protothread style, to show what a task switch costs
 * without any of async.h's guarantees. A task is a function pointer plus a
 * switch-resumed state (the line it suspended at); the scheduler is a ring of
 * ready tasks run in FIFO order; a one-shot event holds a value and at most one
 * waiter. No cancellation, no errors, no timers, no checks: the floor, not a
 * competitor. Written for this repository (no code taken from elsewhere).
 *
 * The workloads do what bench/pingpong.c and bench/spawn.c do: pingpong re-arms
 * an event per side and round trip (two completions, two task steps); spawn is
 * `acc += await spawn(child(i))`, one child at a time (child step, parent step). */
#include "bench.h"

struct pt;
typedef void (*pt_fn)(struct pt *);
struct pt {
    pt_fn fn;
    int line; /* resume point: 0 at the start, -1 when finished */
};

/* Resume points: a switch on the line the task last suspended at. */
#define PT_BEGIN(t) switch ((t)->line) { case 0:
#define PT_END(t) } (t)->line = -1
#define PT_SUSPEND(t)                                                                                          \
    do {                                                                                                       \
        (t)->line = __LINE__;                                                                                  \
        return;                                                                                                \
    case __LINE__:;                                                                                            \
    } while (0)

/* The ready ring: a power of two of task pointers, FIFO. */
#define RING 64
static struct pt *ring[RING];
static unsigned ring_head, ring_tail;

static void pt_ready(struct pt *t) {
    if (ring_tail - ring_head == RING) bench_fail("proto: ready ring full");
    ring[ring_tail++ % RING] = t;
}
static void pt_run(void) {
    while (ring_head != ring_tail) {
        struct pt *t = ring[ring_head++ % RING];
        t->fn(t);
    }
}

/* A one-shot event: set once, wakes its waiter. */
struct pt_event {
    int set;
    long value;
    struct pt *waiter;
};
static void pt_event_init(struct pt_event *e) {
    e->set = 0;
    e->waiter = NULL;
}
static void pt_event_set(struct pt_event *e, long v) {
    e->set = 1;
    e->value = v;
    if (e->waiter) {
        pt_ready(e->waiter);
        e->waiter = NULL;
    }
}
/* Wait until e is set (suspends at most once). */
#define PT_WAIT(t, e)                                                                                          \
    do {                                                                                                       \
        if (!(e)->set) {                                                                                       \
            (e)->waiter = (t);                                                                                 \
            PT_SUSPEND(t);                                                                                     \
        }                                                                                                      \
    } while (0)

/* ---- pingpong ---- */
struct pp_shared {
    struct pt_event ping, pong;
    long n;
};
struct pp_player {
    struct pt pt;
    struct pp_shared *s;
    long i, acc;
};
static __attribute__((noinline)) void pinger(struct pt *t) {
    struct pp_player *p = (struct pp_player *)t;
    PT_BEGIN(t);
    for (p->i = 0; p->i < p->s->n; p->i++) {
        pt_event_init(&p->s->ping);
        pt_event_set(&p->s->pong, p->i);
        PT_WAIT(t, &p->s->ping);
        p->acc += p->s->ping.value;
    }
    PT_END(t);
}
static __attribute__((noinline)) void ponger(struct pt *t) {
    struct pp_player *p = (struct pp_player *)t;
    PT_BEGIN(t);
    for (p->i = 0; p->i < p->s->n; p->i++) {
        PT_WAIT(t, &p->s->pong);
        pt_event_init(&p->s->pong);
        pt_event_set(&p->s->ping, p->s->pong.value + 1);
    }
    PT_END(t);
}
static void run_pingpong(void *ctx, long n) {
    struct pp_shared s;
    struct pp_player a, b;
    (void)ctx;
    s.n = n;
    pt_event_init(&s.pong);
    a.s = b.s = &s;
    a.acc = b.acc = 0;
    a.pt.fn = pinger;
    b.pt.fn = ponger;
    a.pt.line = b.pt.line = 0;
    pt_ready(&b.pt);
    pt_ready(&a.pt);
    pt_run();
    if (a.pt.line != -1 || b.pt.line != -1) bench_fail("proto pingpong: a player did not finish");
    if (a.acc != n + n * (n - 1) / 2) bench_fail("proto pingpong: wrong sum");
}

/* ---- spawn ---- */
struct sp_child {
    struct pt pt;
    long x;
    struct pt_event done; /* the child's result */
};
static __attribute__((noinline)) void child(struct pt *t) {
    struct sp_child *c = (struct sp_child *)t;
    PT_BEGIN(t);
    pt_event_set(&c->done, c->x * 2);
    PT_END(t);
}
struct sp_parent {
    struct pt pt;
    long i, n, acc;
    struct sp_child c;
};
static __attribute__((noinline)) void parent(struct pt *t) {
    struct sp_parent *p = (struct sp_parent *)t;
    PT_BEGIN(t);
    for (p->i = 0; p->i < p->n; p->i++) {
        p->c.pt.fn = child; /* spawn: the child runs on the scheduler's next turn */
        p->c.pt.line = 0;
        p->c.x = p->i;
        pt_event_init(&p->c.done);
        pt_ready(&p->c.pt);
        PT_WAIT(t, &p->c.done);
        p->acc += p->c.done.value;
    }
    PT_END(t);
}
static void run_spawn(void *ctx, long n) {
    struct sp_parent p;
    (void)ctx;
    p.n = n;
    p.acc = 0;
    p.pt.fn = parent;
    p.pt.line = 0;
    pt_ready(&p.pt);
    pt_run();
    if (p.pt.line != -1) bench_fail("proto spawn: parent did not finish");
    if (p.acc != n * (n - 1)) bench_fail("proto spawn: wrong sum");
}

int main(void) {
    bench_time_row("pingpong", "c-proto", run_pingpong, NULL, bench_n(10000000), 5, "");
    bench_time_row("spawn", "c-proto", run_spawn, NULL, bench_n(10000000), 5, "");
    return 0;
}
