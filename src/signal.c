/* signal.c — add_signal_handler / remove_signal_handler on ev_signal. The
 * watcher belongs to the handler, not to a wait: a cancelled wait has nothing
 * to unregister, and deliveries after it are counted for the next wait. */
#include "rt_private.h"
#include <errno.h>
#include <signal.h>

static void sig_cb(struct ev_loop *ev, ev_signal *w, int revents) {
    async_signal *s = (async_signal *)w->data;
    (void)ev;
    (void)revents;
    if (s->fn) s->fn(s->signum, s->arg);
    if (!s->active) return; /* the callback removed the handler */
    if (s->op.fut.c.state == ASYNC__PENDING) async_future_set_result(&s->op.fut, async_int(s->signum));
    else s->count++;
}

int async_add_signal_handler(async_loop *loop, async_signal *s, int signum, void (*fn)(int, void *), void *arg) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (signum <= 0 || signum >= NSIG || signum == SIGKILL || signum == SIGSTOP) return EINVAL;
    s->loop = loop;
    s->fn = fn;
    s->arg = arg;
    s->signum = signum;
    s->count = 0;
    s->active = 1;
    async__done_now(&s->op.fut, loop, 0, async_none()); /* nobody waits until async_signal_wait */
    ev_signal_init(&s->w, sig_cb, signum);
    s->w.data = s;
    ev_signal_start(rt->ev, &s->w);
    return 0;
}

int async_remove_signal_handler(async_signal *s) {
    async__rt *rt = async__rt_of(s->loop);
    if (!s->active || !rt) return 0;
    s->active = 0;
    ev_signal_stop(rt->ev, &s->w);
    signal(s->signum, SIG_DFL);
    if (s->op.fut.c.state == ASYNC__PENDING) async_future_cancel(&s->op.fut);
    return 1;
}

static int wait_cancelled(async_op *op) {
    (void)op; /* the watcher stays with the handler: sig_cb counts what comes */
    return ASYNC_OP_CANCELLED;
}

async_future *async_signal_wait(async_signal *s) {
    if (!s->active) return async__done_now(&s->op.fut, s->loop, ASYNC_RT_ECLOSED, async_none());
    if (s->op.fut.c.state == ASYNC__PENDING) {
        ASYNC_MISUSE("async_signal_wait: another coroutine already waits on this handler");
        return async__error_future(ASYNC_EBUSY);
    }
    if (s->count) {
        s->count--;
        return async__done_now(&s->op.fut, s->loop, 0, async_int(s->signum));
    }
    async_op_init(&s->op, s->loop, wait_cancelled);
    return &s->op.fut;
}
