/* net.c — fd readiness, non-blocking socket operations, listen helpers and
 * address resolution. An operation is tried at once; only on EAGAIN does it
 * start an ev_io watcher (and an ev_timer for a connect timeout). The future
 * is an async_op: completion stops the watchers before completing, and a
 * cancel stops them inside the cancel, so no callback is left that could
 * touch the op or its buffer. */
#define _GNU_SOURCE
#include "rt_private.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

enum { OP_READABLE, OP_WRITABLE, OP_CONNECT, OP_ACCEPT, OP_RECV, OP_SEND, OP_RECVFROM, OP_SENDTO };

static int again(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

/* One attempt: 1 = finished (err / result set), 0 = would block. */
static int op_try(async_sockop *op, int *err, async_value *res) {
    ssize_t n;
    *err = 0;
    switch (op->kind) {
    case OP_READABLE:
    case OP_WRITABLE:
        *res = async_int(op->fd);
        return 1;
    case OP_CONNECT: {
        int e = 0;
        socklen_t l = sizeof e;
        if (getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) e = errno;
        if (e == EINPROGRESS || e == EALREADY) return 0;
        *err = e;
        *res = async_int(0);
        return 1;
    }
    case OP_ACCEPT: {
        int fd;
        for (;;) {
            op->addrlen = sizeof op->addr;
            fd = accept4(op->fd, (struct sockaddr *)&op->addr, &op->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) break;
            /* the peer gave up before we accepted: try the next one */
            if (errno == ECONNABORTED || errno == EPROTO || errno == EINTR) continue;
            if (again(errno)) return 0;
            *err = errno;
            return 1;
        }
        *res = async_int(fd);
        return 1;
    }
    case OP_RECV:
    case OP_RECVFROM:
        do {
            if (op->kind == OP_RECV) n = recv(op->fd, op->buf, op->len, 0);
            else {
                op->addrlen = sizeof op->addr;
                n = recvfrom(op->fd, op->buf, op->len, 0, (struct sockaddr *)&op->addr, &op->addrlen);
            }
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (again(errno)) return 0;
            *err = errno;
            return 1;
        }
        *res = async_int((intptr_t)n);
        return 1;
    case OP_SEND:
        while (op->done < op->len) {
            n = send(op->fd, op->buf + op->done, op->len - op->done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (again(errno)) return 0;
                *err = errno;
                return 1;
            }
            op->done += (size_t)n;
        }
        *res = async_int((intptr_t)op->len);
        return 1;
    case OP_SENDTO:
        do n = sendto(op->fd, op->buf, op->len, MSG_NOSIGNAL, (struct sockaddr *)&op->addr, op->addrlen);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (again(errno)) return 0;
            *err = errno;
            return 1;
        }
        *res = async_int((intptr_t)n);
        return 1;
    }
    *err = EINVAL;
    return 1;
}

static void op_stop(async_sockop *op) {
    async__rt *rt = async__rt_of(op->loop);
    if (!rt) return;
    ev_io_stop(rt->ev, &op->w);
    ev_timer_stop(rt->ev, &op->tw);
}

static void op_io_cb(struct ev_loop *ev, ev_io *w, int revents) {
    async_sockop *op = (async_sockop *)w->data;
    int err;
    async_value res;
    (void)ev;
    (void)revents;
    if (!op_try(op, &err, &res)) return;
    op_stop(op);
    async__complete(&op->op.fut, err, res);
}

static void op_timeout_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    async_sockop *op = (async_sockop *)w->data;
    (void)ev;
    (void)revents;
    op_stop(op);
    async__complete(&op->op.fut, ASYNC_ETIMEOUT, async_none());
}

static int op_cancelled(async_op *o) {
    async_sockop *op = (async_sockop *)(void *)o;
    op_stop(op);
    op->buf = NULL; /* the caller may free it now */
    return ASYNC_OP_CANCELLED;
}

static async_future *op_start(async_sockop *op, async_loop *loop, int fd, int kind, double timeout) {
    async__rt *rt = async__rt_of(loop);
    int err, events;
    async_value res;
    if (!rt) return async__error_future(ASYNC_RT_ENOBACKEND);
    if (op->loop == loop && op->op.fut.c.state == ASYNC__PENDING && ev_is_active(&op->w)) {
        ASYNC_MISUSE("socket operation started on an async_sockop that is still pending");
        return async__error_future(ASYNC_EBUSY);
    }
    op->loop = loop;
    op->fd = fd;
    op->kind = kind;
    if (fd < 0) return async__done_now(&op->op.fut, loop, EBADF, async_none());
    if (kind != OP_READABLE && kind != OP_WRITABLE && kind != OP_CONNECT && op_try(op, &err, &res))
        return async__done_now(&op->op.fut, loop, err, res);
    async_op_init(&op->op, loop, op_cancelled);
    events = (kind == OP_READABLE || kind == OP_ACCEPT || kind == OP_RECV || kind == OP_RECVFROM) ? EV_READ : EV_WRITE;
    ev_io_init(&op->w, op_io_cb, fd, events);
    op->w.data = op;
    ev_io_start(rt->ev, &op->w);
    ev_timer_init(&op->tw, op_timeout_cb, timeout, 0.);
    op->tw.data = op;
    if (timeout > 0) {
        ev_now_update(rt->ev); /* from now, not from the loop's last wake-up */
        ev_timer_start(rt->ev, &op->tw);
    }
    return &op->op.fut;
}

async_future *async_wait_readable(async_sockop *op, async_loop *loop, int fd) {
    return op_start(op, loop, fd, OP_READABLE, 0);
}
async_future *async_wait_writable(async_sockop *op, async_loop *loop, int fd) {
    return op_start(op, loop, fd, OP_WRITABLE, 0);
}

int async_socket(int family, int type, int protocol) {
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    return fd < 0 ? -errno : fd;
}

async_future *async_sock_connect(async_sockop *op, async_loop *loop, int fd, const struct sockaddr *addr,
                                 socklen_t addrlen, double timeout_s) {
    if (!async__rt_of(loop)) return async__error_future(ASYNC_RT_ENOBACKEND);
    for (;;) {
        if (connect(fd, addr, addrlen) == 0) return async__done_now(&op->op.fut, loop, 0, async_int(0));
        if (errno == EINTR) continue;
        break;
    }
    if (errno != EINPROGRESS) return async__done_now(&op->op.fut, loop, errno, async_none());
    return op_start(op, loop, fd, OP_CONNECT, timeout_s);
}

async_future *async_sock_accept(async_sockop *op, async_loop *loop, int fd) {
    return op_start(op, loop, fd, OP_ACCEPT, 0);
}

async_future *async_sock_recv(async_sockop *op, async_loop *loop, int fd, void *buf, size_t len) {
    op->buf = (char *)buf;
    op->len = len;
    return op_start(op, loop, fd, OP_RECV, 0);
}

async_future *async_sock_sendall(async_sockop *op, async_loop *loop, int fd, const void *buf, size_t len) {
    op->buf = (char *)(uintptr_t)buf;
    op->len = len;
    op->done = 0;
    return op_start(op, loop, fd, OP_SEND, 0);
}

async_future *async_sock_recvfrom(async_sockop *op, async_loop *loop, int fd, void *buf, size_t len) {
    op->buf = (char *)buf;
    op->len = len;
    return op_start(op, loop, fd, OP_RECVFROM, 0);
}

async_future *async_sock_sendto(async_sockop *op, async_loop *loop, int fd, const void *buf, size_t len,
                                const struct sockaddr *addr, socklen_t addrlen) {
    if (addrlen > sizeof op->addr) return async__error_future(EINVAL);
    op->buf = (char *)(uintptr_t)buf;
    op->len = len;
    memcpy(&op->addr, addr, addrlen);
    op->addrlen = addrlen;
    return op_start(op, loop, fd, OP_SENDTO, 0);
}

int async_sockaddr(struct sockaddr_storage *ss, const char *host, int port) {
    memset(ss, 0, sizeof *ss);
    if (host && host[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strlen(host);
        if (n >= sizeof un->sun_path) return -ENAMETOOLONG;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, host, n + 1);
        return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    if (port < 0 || port > 65535) return -EINVAL;
    {
        struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host ? host : "0.0.0.0", &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons((uint16_t)port);
            return (int)sizeof *in4;
        }
        memset(ss, 0, sizeof *ss);
        if (host && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            return (int)sizeof *in6;
        }
    }
    return -EINVAL;
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t len, int backlog) {
    int one = 1, e;
    int fd = async_socket(ss->ss_family, SOCK_STREAM, 0);
    if (fd < 0) return fd;
    if (ss->ss_family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6) {
        int zero = 0; /* "::" also takes IPv4 when the system allows it */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, backlog > 0 ? backlog : 128) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int async_listen_tcp(const char *numeric_host, int port, int backlog) {
    struct sockaddr_storage ss;
    int len, fd;
    if (!numeric_host) {
        len = async_sockaddr(&ss, "::", port);
        fd = listen_on(&ss, (socklen_t)len, backlog);
        if (fd >= 0) return fd;
        numeric_host = "0.0.0.0";
    }
    if (numeric_host[0] == '/') return -EINVAL;
    len = async_sockaddr(&ss, numeric_host, port);
    if (len < 0) return len;
    return listen_on(&ss, (socklen_t)len, backlog);
}

int async_listen_unix(const char *path, int backlog) {
    struct sockaddr_storage ss;
    int len;
    if (!path || path[0] != '/') return -EINVAL; /* absolute paths only: no cwd surprises */
    len = async_sockaddr(&ss, path, 0);
    if (len < 0) return len;
    unlink(path); /* a stale socket file from an earlier run */
    return listen_on(&ss, (socklen_t)len, backlog);
}

int async_sock_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0) return -errno;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

/* Address resolution: getaddrinfo on a pool worker. */
typedef struct resolve_job {
    async__job job;
    char *host, *service;
    struct addrinfo hints;
    int has_hints;
    struct addrinfo *res;
    int gai_err;
    async_resolve *r; /* NULL once the lookup was cancelled */
} resolve_job;

static int resolve_work(void *arg, async_value *result) {
    resolve_job *rj = (resolve_job *)arg;
    rj->gai_err = getaddrinfo(rj->host, rj->service, rj->has_hints ? &rj->hints : NULL, &rj->res);
    if (rj->gai_err) {
        rj->res = NULL;
        return rj->gai_err == EAI_SYSTEM && errno ? errno : ASYNC_RT_ERESOLVE;
    }
    *result = async_ptr(rj->res);
    return 0;
}

/* Loop thread. The job struct is the first member: freeing the job frees the copies' owner. */
static void resolve_finish(async__job *j) {
    resolve_job *rj = (resolve_job *)(void *)j;
    if (j->owner && rj->r) {
        rj->r->res = rj->res;
        rj->r->gai_err = rj->gai_err;
    } else if (rj->res)
        freeaddrinfo(rj->res);
    free(rj->host);
    free(rj->service);
}

static int resolve_cancelled(async_op *op) {
    async_resolve *r = (async_resolve *)(void *)op;
    resolve_job *rj = (resolve_job *)r->priv;
    r->priv = NULL;
    if (!rj || !async__rt_of(op->fut.loop)) return ASYNC_OP_CANCELLED; /* closed: the pool freed the job */
    rj->r = NULL;
    async__pool_cancel(&rj->job);
    return ASYNC_OP_CANCELLED;
}

static char *dup_or_null(const char *s) {
    char *d;
    size_t n;
    if (!s) return NULL;
    n = strlen(s) + 1;
    d = (char *)malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

async_future *async_getaddrinfo(async_resolve *r, async_loop *loop, const char *host, const char *service,
                                const struct addrinfo *hints) {
    async__rt *rt = async__rt_of(loop);
    resolve_job *rj;
    int e;
    if (!rt) return async__error_future(ASYNC_RT_ENOBACKEND);
    if (r->op.fut.c.state == ASYNC__PENDING && r->op.fut.loop == loop && r->priv) {
        ASYNC_MISUSE("async_getaddrinfo: this async_resolve is still pending");
        return async__error_future(ASYNC_EBUSY);
    }
    r->res = NULL;
    r->gai_err = 0;
    rj = (resolve_job *)calloc(1, sizeof *rj);
    if (!rj) return async__done_now(&r->op.fut, loop, ASYNC_RT_ENOMEM, async_none());
    rj->host = dup_or_null(host);
    rj->service = dup_or_null(service);
    if ((host && !rj->host) || (service && !rj->service)) {
        free(rj->host);
        free(rj->service);
        free(rj);
        return async__done_now(&r->op.fut, loop, ASYNC_RT_ENOMEM, async_none());
    }
    if (hints) {
        rj->hints = *hints;
        rj->has_hints = 1;
    }
    rj->r = r;
    async_op_init(&r->op, loop, resolve_cancelled);
    rj->job.fn = resolve_work;
    rj->job.arg = rj;
    rj->job.owner = &r->op.fut;
    rj->job.owner_slot = &r->priv;
    rj->job.finish = resolve_finish;
    r->priv = rj;
    e = async__pool_submit(rt, &rj->job);
    if (e) {
        r->priv = NULL;
        free(rj->host);
        free(rj->service);
        free(rj);
        async_future_set_error(&r->op.fut, e);
    }
    return &r->op.fut;
}

void async_resolve_free(async_resolve *r) {
    if (r->res) freeaddrinfo(r->res);
    r->res = NULL;
}
