/* tests/test_isr.c — async.h section 11: waking the loop from an interrupt.
 * An ISR may only call async_isr_raise(); the loop drains raises into the
 * signal's future. Here interrupts are simulated twice: by calls from loop
 * callbacks or backends at chosen moments (deterministic, virtual clock), and
 * by a real POSIX signal handler fired by a timer every millisecond while the
 * loop sleeps in pselect() (the host's "wfi"), which checks the race between
 * "nothing pending" and going to sleep the way a board's idle hook must. */
/* The drain's injection point: "an interrupt" that lands right after the
 * drain looked at a chosen signal (test_raise_during_drain_is_not_lost). */
struct async_isr_signal;
static void drain_point(struct async_isr_signal *s);
#define ASYNC_ISR_DRAIN_POINT(hub, sig) drain_point(sig)
#include "test_support.h"
#include <signal.h>
#include <sys/select.h>

/* A task that awaits a signal `want` times in total (counting raises) and
 * records each wake-up with the count it covered and the loop's time. */
struct waiter {
    async_frame hdr;
    async_isr_signal *sig;
    long want, got;
};
static ASYNC_FN(waiter, struct waiter) {
    ASYNC_BEGIN();
    while (self->got < self->want) {
        ASYNC_AWAIT(async_isr_next(self->sig));
        self->got += ASYNC_VALUE.i;
        rec("%ld@%lu", (long)ASYNC_VALUE.i, (unsigned long)(async_loop_time(ASYNC_LOOP) / 1000000u));
    }
    ASYNC_RETURN(async_int(self->got));
    ASYNC_END();
}

static void raise_cb(async_future *f, void *arg) {
    (void)f;
    async_isr_raise((async_isr_signal *)arg);
}

/* A raise from "an interrupt" at t=1 s wakes the task awaiting the signal; the
 * loop would otherwise have deadlocked (nothing else to wait for). */
static void test_raise_wakes_awaiting_task(void **state) {
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig;
    async_task t;
    async_timer tm;
    async_callback cb;
    struct waiter w = {{0}, NULL, 1, 0};
    async_task_init(&t);
    (void)state;
    async_loop_init_virtual(&loop);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    w.sig = &sig;
    async_task_create(&loop, &t, waiter, &w, "waiter");
    async_call_later(&loop, &tm, &cb, async_ms(1000), raise_cb, &sig);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(async_future_result(&t.fut).i, 1);
    assert_rec("1@1000");
    assert_false(async_isr_pending(&hub));
}

/* Raises that arrive before anyone awaits, or while the consumer is busy, are
 * counted and delivered at the next await; none is lost, none is doubled. */
static void test_counts_accumulate_until_rearmed(void **state) {
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig, other;
    async_task t;
    async_timer tm1, tm2;
    async_callback cb1, cb2;
    struct waiter w = {{0}, NULL, 6, 0};
    async_task_init(&t);
    (void)state;
    async_loop_init_virtual(&loop);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    async_isr_signal_init(&other, &hub);
    w.sig = &sig;
    async_isr_raise(&sig);
    async_isr_raise(&sig);
    async_isr_raise(&sig); /* three before the task exists */
    assert_true(async_isr_pending(&hub));
    async_isr_raise(&other); /* nobody awaits this one: it must not disturb sig */
    async_task_create(&loop, &t, waiter, &w, "waiter");
    async_call_later(&loop, &tm1, &cb1, async_ms(2000), raise_cb, &sig);
    async_call_later(&loop, &tm2, &cb2, async_ms(2000), raise_cb, &sig);
    /* The last two raises are simulated by timers; then we add one more by
     * hand while no timer is left, from a third timer at 3 s. */
    {
        async_timer tm3;
        async_callback cb3;
        async_call_later(&loop, &tm3, &cb3, async_ms(3000), raise_cb, &sig);
        assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    }
    assert_int_equal(w.got, 6);
    assert_rec("3@0 2@2000 1@3000");
    /* other's raise is still undelivered: a re-arm delivers it at once. */
    assert_true(async_future_done(async_isr_next(&other)));
    assert_int_equal(async_future_result(&other.fut).i, 1);
    assert_false(async_future_done(async_isr_next(&other)));
}

/* Cancelling the task that awaits a signal cancels that future; the next
 * async_isr_next re-arms it and a later raise is delivered normally. */
static void test_cancel_then_rearm(void **state) {
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig;
    async_task t, t2;
    async_timer tm;
    async_callback cb;
    struct waiter w = {{0}, NULL, 1, 0}, w2 = {{0}, NULL, 1, 0};
    async_task_init(&t);
    async_task_init(&t2);
    (void)state;
    async_loop_init_virtual(&loop);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    w.sig = w2.sig = &sig;
    async_task_create(&loop, &t, waiter, &w, "waiter");
    test_run_iterations(&loop, NULL, 1);
    assert_ptr_equal(async_task_waiting_on(&t), &sig.fut);
    async_task_cancel(&t);
    test_run_iterations(&loop, &t.fut, 5);
    assert_true(async_future_cancelled(&t.fut));
    assert_true(async_future_cancelled(&sig.fut));
    async_task_create(&loop, &t2, waiter, &w2, "waiter2");
    async_call_later(&loop, &tm, &cb, async_ms(500), raise_cb, &sig);
    assert_int_equal(async_loop_run_until_complete(&loop, &t2.fut), 0);
    assert_int_equal(w2.got, 1);
    assert_rec("1@500");
}

/* The race the idle hook must close: an interrupt lands after the hub's
 * drain but before the CPU sleeps. Here a bare-metal backend's idle hook plays
 * both parts: the "interrupt" fires first, then the hook checks
 * async_isr_pending (with interrupts masked, on a real board) and must not
 * sleep. A hook that slept anyway would count as a lost wake-up. */
static async_isr_signal *race_sig;
static async_isr_hub *race_hub;
static async_time race_ticks;
static int race_slept, race_idles;
static async_time race_now(void) { return race_ticks; }
static void race_idle(const async_time *deadline) {
    race_idles++;
    if (race_idles == 1) async_isr_raise(race_sig); /* the interrupt, just before wfi */
    if (!async_isr_pending(race_hub)) {             /* what a board checks before wfi */
        race_slept++;                               /* "sleep" until the deadline */
        if (deadline) race_ticks = *deadline;
    }
}
static void test_raise_before_sleep_is_not_lost(void **state) {
    static const async_bare board = {race_now, race_idle};
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig;
    async_task t;
    async_timer guard;
    struct waiter w = {{0}, NULL, 1, 0};
    async_task_init(&t);
    (void)state;
    race_ticks = 0;
    race_slept = race_idles = 0;
    async_loop_init_bare(&loop, &board);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    race_sig = &sig;
    race_hub = &hub;
    w.sig = &sig;
    async_timer_init(&guard, &loop);
    async_timer_start(&guard, async_ms(5000)); /* a deadline, so idle has one */
    async_task_create(&loop, &t, waiter, &w, "waiter");
    assert_int_equal(test_run_iterations(&loop, &t.fut, 10) < 10, 1);
    assert_int_equal(w.got, 1);
    assert_int_equal(race_slept, 0);
    assert_rec("1@0");
}

/* The hub's ordering: the drain clears its flag before it scans, so a raise
 * that lands in the middle of the scan, on a signal already looked at, leaves
 * the flag set and the idle hook does not sleep on it. (Clearing the flag
 * after the scan instead loses that wake-up: the task would sleep until the
 * 10 s timer's raise.) */
static async_isr_signal *drain_target;
static int drain_fires;
static void drain_point(async_isr_signal *s) {
    if (s == drain_target && drain_fires == 0) {
        drain_fires++;
        async_isr_raise(s);
    }
}
static void test_raise_during_drain_is_not_lost(void **state) {
    static const async_bare board = {race_now, race_idle};
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig, other;
    async_task t;
    async_timer tm;
    async_callback cb;
    struct waiter w = {{0}, NULL, 1, 0};
    async_task_init(&t);
    (void)state;
    race_ticks = 0;
    race_slept = 0;
    race_idles = 1; /* race_idle raises nothing itself */
    async_loop_init_bare(&loop, &board);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    async_isr_signal_init(&other, &hub);
    race_sig = &sig;
    race_hub = &hub;
    w.sig = &sig;
    async_task_create(&loop, &t, waiter, &w, "waiter");
    async_call_later(&loop, &tm, &cb, async_ms(10000), raise_cb, &sig);
    assert_int_equal(test_run_iterations(&loop, NULL, 1), 1); /* the task awaits sig */
    async_isr_raise(&other); /* so the next drain scans */
    drain_target = &sig;
    drain_fires = 0;
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    drain_target = NULL;
    assert_int_equal(drain_fires, 1);
    assert_int_equal(race_slept, 0);
    assert_rec("1@0");
    async_timer_cancel(&tm);
}

/* The SPSC item queue: puts from "the ISR" (timer callbacks), gets in a task;
 * order kept across the wrap of the one-byte indices, full reported and
 * counted, nothing lost or doubled. */
struct rx_item { uint8_t seq; uint16_t payload; };
static async_isr_queue rxq;
static struct rx_item rx_buf[4];
static int rx_next;
static void put_burst(async_future *f, void *arg) {
    int i, n = (int)(intptr_t)arg;
    (void)f;
    for (i = 0; i < n; i++) {
        struct rx_item it;
        it.seq = (uint8_t)rx_next;
        it.payload = (uint16_t)(rx_next * 3);
        if (async_isr_queue_put(&rxq, &it) == 0) rx_next++;
    }
}
struct consumer { async_frame hdr; int got; int bad; };
static ASYNC_FN(consumer, struct consumer) {
    struct rx_item it;
    ASYNC_BEGIN();
    while (self->got < 300) {
        while (async_isr_queue_get(&rxq, &it) == 0) {
            if (it.seq != (uint8_t)self->got || it.payload != (uint16_t)(self->got * 3)) self->bad++;
            self->got++;
        }
        ASYNC_AWAIT(async_isr_queue_wait(&rxq));
    }
    ASYNC_RETURN(async_int(self->got));
    ASYNC_END();
}
static void test_isr_queue(void **state) {
    async_loop loop;
    async_isr_hub hub;
    async_task t;
    async_timer tm[100];
    async_callback cb[100];
    struct consumer c = {{0}, 0, 0};
    struct rx_item it;
    int i;
    unsigned char odd[3];
    (void)state;
    async_task_init(&t);
    async_loop_init_virtual(&loop);
    async_isr_hub_init(&hub, &loop);
    assert_int_equal(async_isr_queue_init(&rxq, &hub, odd, 1, 3), ASYNC_EMISUSE);
    expect_misuse("power of two");
    assert_int_equal(async_isr_queue_init(&rxq, &hub, rx_buf, sizeof rx_buf[0], 4), 0);
    assert_int_equal(async_isr_queue_get(&rxq, &it), ASYNC_EEMPTY);
    rx_next = 0;
    put_burst(NULL, (void *)(intptr_t)6); /* only 4 fit */
    assert_int_equal(rx_next, 4);
    assert_int_equal(rxq.dropped, 2);
    assert_int_equal(async_isr_queue_count(&rxq), 4);
    async_task_create(&loop, &t, consumer, &c, "consumer");
    for (i = 0; i < 100; i++) /* bursts of 3, one per ms: 4 + 99 * 3 > 300 */
        async_call_later(&loop, &tm[i], &cb[i], async_ms(i + 1), put_burst, (void *)(intptr_t)3);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    assert_int_equal(c.bad, 0);
    assert_true(c.got >= 300);
    for (i = 0; i < 100; i++) async_timer_cancel(&tm[i]);
    expect_no_misuse();
}

/* The critical-section hooks nest (saved state per level); on a host they
 * are compiler barriers around a volatile read, usable wherever a board's are. */
static volatile uint32_t crit_ticks = 7;
static void test_critical_sections_nest(void **state) {
    async_critical_state outer, inner;
    uint32_t t;
    (void)state;
    ASYNC_CRITICAL_ENTER(outer);
    ASYNC_CRITICAL_ENTER(inner);
    t = crit_ticks;
    ASYNC_CRITICAL_EXIT(inner);
    crit_ticks = t + 1u;
    ASYNC_CRITICAL_EXIT(outer);
    assert_int_equal(crit_ticks, 8);
}

/* ---- A real asynchronous interrupt: a POSIX signal from a timer ---------- */
static async_isr_signal *tick_sig;
static volatile sig_atomic_t tick_fired;
static void on_sigusr1(int signo) {
    (void)signo;
    tick_fired++;
    async_isr_raise(tick_sig);
}

/* Backend: the monotonic clock in ns; idle is pselect() with SIGUSR1 blocked
 * around the pending check and atomically unblocked during the sleep — the
 * POSIX twin of `cpsid i; check; wfi; cpsie i`. */
static sigset_t blocked_set, open_set;
static async_isr_hub *sig_hub;
static int sig_sleeps;
static async_time sig_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (async_time)ts.tv_sec * 1000000000u + (async_time)ts.tv_nsec;
}
static void sig_idle(const async_time *deadline) {
    sigset_t old;
    sigprocmask(SIG_BLOCK, &blocked_set, &old);
    if (!async_isr_pending(sig_hub)) {
        struct timespec ts = {1, 0}; /* no deadline: a signal will come */
        if (deadline) {
            async_time now = sig_now(), d = async_time_before(now, *deadline) ? *deadline - now : 0;
            ts.tv_sec = (time_t)(d / 1000000000u);
            ts.tv_nsec = (long)(d % 1000000000u);
        }
        sig_sleeps++;
        pselect(0, NULL, NULL, NULL, &ts, &open_set);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_signal_handler_wakes_loop(void **state) {
    static const async_bare board = {sig_now, sig_idle};
    async_loop loop;
    async_isr_hub hub;
    async_isr_signal sig;
    async_task t;
    struct waiter w = {{0}, NULL, 200, 0};
    struct sigaction sa;
    struct itimerspec its;
    timer_t timer;
    struct sigevent sev;
    long pending;
    async_task_init(&t);
    (void)state;
    async_loop_init_bare(&loop, &board);
    async_isr_hub_init(&hub, &loop);
    async_isr_signal_init(&sig, &hub);
    tick_sig = &sig;
    sig_hub = &hub;
    tick_fired = 0;
    sig_sleeps = 0;
    w.sig = &sig;
    sigemptyset(&blocked_set);
    sigaddset(&blocked_set, SIGUSR1);
    sigprocmask(SIG_BLOCK, NULL, &open_set);
    sigdelset(&open_set, SIGUSR1);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 1000000;
    its.it_interval = its.it_value;
    assert_int_equal(timer_settime(timer, 0, &its, NULL), 0);
    rec_reset();
    async_task_create(&loop, &t, waiter, &w, "waiter");
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    timer_delete(timer);
    sigprocmask(SIG_BLOCK, &blocked_set, NULL);
    /* Every handler call is either delivered to the task or still pending. */
    pending = (long)(uint8_t)(sig.raised - sig.seen);
    assert_true(w.got >= 200);
    assert_int_equal(w.got + pending, (long)tick_fired);
    assert_true(sig_sleeps > 0); /* it really slept between interrupts */
    sigprocmask(SIG_UNBLOCK, &blocked_set, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_raise_wakes_awaiting_task),
        TEST(test_counts_accumulate_until_rearmed),
        TEST(test_cancel_then_rearm),
        TEST(test_raise_before_sleep_is_not_lost),
        TEST(test_raise_during_drain_is_not_lost),
        TEST(test_isr_queue),
        TEST(test_critical_sections_nest),
        TEST(test_signal_handler_wakes_loop),
    };
    return TEST_RUN(tests);
}
