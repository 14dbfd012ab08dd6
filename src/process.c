/* process.c — create_subprocess_exec: fork/exec with pipes (a missing program
 * is an ENOENT from the call, not a child that exits 127), exit
 * notification through a pidfd watched by libev (no SIGCHLD handler that could
 * reap other people's children), communicate() as an internal task. The
 * watcher is the wait operation: cancelling the wait stops it, the next wait
 * starts it again. */
#include "rt_private.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static int reap(async_process *p) {
    int st;
    pid_t r;
    do r = waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) return 0;
    if (r < 0) p->returncode = -127; /* somebody else reaped it: status unknown */
    else if (WIFEXITED(st)) p->returncode = WEXITSTATUS(st);
    else if (WIFSIGNALED(st)) p->returncode = -WTERMSIG(st);
    else return 0; /* stopped/continued: not an exit */
    p->exited = 1;
    return 1;
}

static void watch_stop(async_process *p) {
    async__rt *rt = async__rt_of(p->loop);
    if (!rt) return;
    ev_io_stop(rt->ev, &p->w);
    ev_timer_stop(rt->ev, &p->poll);
}

static void exited(async_process *p) {
    watch_stop(p);
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    async__complete(&p->wait_op.fut, 0, async_int(p->returncode));
}

static void pidfd_cb(struct ev_loop *ev, ev_io *w, int revents) {
    async_process *p = (async_process *)w->data;
    (void)ev;
    (void)revents;
    if (reap(p)) exited(p);
}

static void poll_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    async_process *p = (async_process *)w->data;
    (void)ev;
    (void)revents;
    if (reap(p)) exited(p);
}

static int wait_cancelled(async_op *op) {
    watch_stop((async_process *)(void *)((char *)op - offsetof(async_process, wait_op)));
    return ASYNC_OP_CANCELLED;
}

/* Start (or restart, after a cancelled wait) watching for the exit. */
static void watch_start(async_process *p) {
    async__rt *rt = async__rt_of(p->loop);
    async_op_init(&p->wait_op, p->loop, wait_cancelled);
    if (p->pidfd >= 0) {
        ev_io_init(&p->w, pidfd_cb, p->pidfd, EV_READ);
        p->w.data = p;
        ev_io_start(rt->ev, &p->w);
    } else { /* old kernel: poll for the exit every 10 ms */
        ev_timer_init(&p->poll, poll_cb, 0.01, 0.01);
        p->poll.data = p;
        ev_timer_start(rt->ev, &p->poll);
    }
}

int async_subprocess_exec(async_process *p, async_loop *loop, const char *const argv[], int flags) {
    async__rt *rt = async__rt_of(loop);
    int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int e = 0, i;
    pid_t pid;
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (!argv || !argv[0]) return EINVAL;
    memset(p, 0, sizeof *p);
    p->loop = loop;
    p->pidfd = -1;
    p->in.fd = p->out.fd = p->err.fd = -1;
    for (i = 0; i < 3; i++) {
        if (!(flags & (1 << i))) continue;
        if (pipe2(fds[i], O_CLOEXEC) < 0) {
            e = errno;
            goto fail;
        }
    }
    /* fork + exec with a close-on-exec pipe that carries exec's errno back:
     * a missing program is ENOENT from this call, on any libc or tool. */
    {
        int ep[2], child_err = 0;
        ssize_t n;
        if (pipe2(ep, O_CLOEXEC) < 0) {
            e = errno;
            goto fail;
        }
        pid = fork();
        if (pid < 0) {
            e = errno;
            close(ep[0]);
            close(ep[1]);
            goto fail;
        }
        if (pid == 0) { /* child: only async-signal-safe calls from here */
            int err;
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGPIPE, SIG_DFL);
            if (fds[0][0] >= 0) dup2(fds[0][0], 0);
            if (fds[1][1] >= 0) dup2(fds[1][1], 1);
            if (fds[2][1] >= 0) dup2(fds[2][1], 2);
            else if ((flags & ASYNC_STDERR_TO_STDOUT) && fds[1][1] >= 0) dup2(fds[1][1], 2);
            execvp(argv[0], (char *const *)(uintptr_t)argv);
            err = errno;
            if (write(ep[1], &err, sizeof err) < 0) _exit(127);
            _exit(127);
        }
        close(ep[1]);
        do n = read(ep[0], &child_err, sizeof child_err);
        while (n < 0 && errno == EINTR);
        close(ep[0]);
        if (n == (ssize_t)sizeof child_err) { /* exec failed: reap the child, report why */
            int st;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            e = child_err;
            goto fail;
        }
    }
    p->pid = pid;
    if (fds[0][0] >= 0) close(fds[0][0]);
    if (fds[1][1] >= 0) close(fds[1][1]);
    if (fds[2][1] >= 0) close(fds[2][1]);
    if (fds[0][1] >= 0) async_stream_open_fd(&p->in, loop, fds[0][1]);
    if (fds[1][0] >= 0) async_stream_open_fd(&p->out, loop, fds[1][0]);
    if (fds[2][0] >= 0) async_stream_open_fd(&p->err, loop, fds[2][0]);
#ifdef SYS_pidfd_open
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    if (p->pidfd >= 0) fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
    watch_start(p);
    return 0;
fail:
    for (i = 0; i < 3; i++) {
        if (fds[i][0] >= 0) close(fds[i][0]);
        if (fds[i][1] >= 0) close(fds[i][1]);
    }
    return e;
}

async_future *async_process_wait(async_process *p) {
    if (!p->loop) return async__error_future(ESRCH);
    if (p->wait_op.fut.c.state != ASYNC__CANCELLED) return &p->wait_op.fut; /* pending or exited */
    /* the last wait was cancelled: watch again */
    if (p->exited) return async__done_now(&p->wait_op.fut, p->loop, 0, async_int(p->returncode));
    watch_start(p);
    if (reap(p)) exited(p);
    return &p->wait_op.fut;
}

int async_process_kill(async_process *p, int signum) {
    if (!p->pid || p->exited) return ESRCH;
    return kill(p->pid, signum) < 0 ? errno : 0;
}

typedef struct async__communicate_frame comm_frame;

static ASYNC_FN(communicate_co, comm_frame) {
    ASYNC_BEGIN();
    /* Reading both pipes runs in their watchers while we await one after the
     * other, so a child that fills stderr before closing stdout cannot block. */
    self->out = self->p->out.loop ? async_stream_read_all(&self->p->out, self->max) : NULL;
    self->err = self->p->err.loop ? async_stream_read_all(&self->p->err, self->max) : NULL;
    if (self->out) ASYNC_AWAIT(self->out);
    if (self->err) ASYNC_AWAIT(self->err);
    ASYNC_AWAIT(async_process_wait(self->p));
    ASYNC_RETURN(ASYNC_VALUE);
    ASYNC_FINALLY();
    /* cancelled or failed halfway: the other read must not outlive us */
    if (self->out) async_future_cancel(self->out);
    if (self->err) async_future_cancel(self->err);
    ASYNC_END();
}

async_future *async_process_communicate(async_process *p, const void *input, size_t len, size_t max) {
    if (!p->loop) return async__error_future(ESRCH);
    if (p->in.loop) {
        if (len) {
            int e = async_stream_write(&p->in, input, len);
            if (e && e != EPIPE) return async__error_future(e); /* EPIPE: the child did not want it */
        }
        async_stream_close(&p->in); /* flushes in the background, then EOF for the child */
    }
    p->cf.p = p;
    p->cf.max = max ? max : (size_t)16 << 20;
    async_task_create(p->loop, &p->ctask, communicate_co, &p->cf, "communicate");
    return &p->ctask.fut;
}

void async_process_destroy(async_process *p) {
    async__rt *rt = async__rt_of(p->loop);
    if (!rt) return;
    if (!p->exited) watch_stop(p);
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    async_stream_destroy(&p->in);
    async_stream_destroy(&p->out);
    async_stream_destroy(&p->err);
}
