/* nonblocking.c — a non-blocking socket and the operating system's readiness
 * notification (seed 001, "How single-threaded concurrency works").
 *
 * A blocking recv() on a socket with no data stops the whole thread until data
 * comes. In non-blocking mode recv() returns at once with EAGAIN ("would
 * block") instead, and we ask the OS to tell us when the socket becomes
 * readable: epoll on Linux (kqueue on BSD/macOS, IOCP on Windows), here through
 * libev. While the OS watches the socket, our task is parked and the loop runs
 * other tasks. When data arrives the loop wakes the task, and recv() now
 * succeeds. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "src/async_rt.h"

/* The peer: answers "pong" half a second after we connected. */
struct peer { async_frame hdr; int fd; async_timer t; async_sockop op; };
static ASYNC_FN(peer, struct peer) {
    ASYNC_BEGIN();
    ASYNC_SLEEP_TICKS(&self->t, async_ms(500));
    printf("peer: sends \"pong\"\n");
    ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->fd, "pong", 4));
    ASYNC_END();
}

/* Somebody else who needs the loop while the client waits. */
struct other { async_frame hdr; };
static ASYNC_FN(other, struct other) {
    ASYNC_BEGIN();
    printf("other task: runs while the client waits for data\n");
    ASYNC_END();
}

struct client {
    async_frame hdr;
    int lfd, fd, conn;
    async_sockop op;
    async_task peer_task, other_task;
    struct peer p;
    struct other o;
    char buf[16];
};
static ASYNC_FN(client, struct client) {
    long n;
    ASYNC_BEGIN();
    /* A listening socket and a connection to it, both on loopback. */
    self->lfd = async_listen_tcp("127.0.0.1", 0, 1);
    self->fd = async_socket(AF_INET, SOCK_STREAM, 0); /* non-blocking from the start */
    {
        struct sockaddr_storage ss;
        int len = async_sockaddr(&ss, "127.0.0.1", async_sock_port(self->lfd));
        ASYNC_AWAIT(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&ss, (socklen_t)len, 5.0));
    }
    ASYNC_AWAIT(async_sock_accept(&self->op, ASYNC_LOOP, self->lfd));
    self->conn = (int)ASYNC_VALUE.i;
    printf("client: connected (non-blocking socket)\n");
    self->p.fd = self->conn;
    async_task_create(ASYNC_LOOP, &self->peer_task, peer, &self->p, "peer");

    /* Try to read now: there is nothing yet, and recv says so at once. */
    n = (long)recv(self->fd, self->buf, sizeof self->buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        printf("client: recv() -> EAGAIN at once: no data yet, and no waiting\n");

    /* Ask the OS to tell us when the socket is readable, and park until then. */
    printf("client: asks epoll (via libev) to watch the socket; the task parks\n");
    async_task_create(ASYNC_LOOP, &self->other_task, other, &self->o, "other");
    ASYNC_AWAIT(async_wait_readable(&self->op, ASYNC_LOOP, self->fd));
    printf("client: the OS says the socket is readable\n");
    n = (long)recv(self->fd, self->buf, sizeof self->buf, 0);
    printf("client: recv() -> %ld bytes: \"%.*s\"\n", n, (int)(n > 0 ? n : 0), self->buf);
    ASYNC_AWAIT(&self->peer_task.fut);
    close(self->fd);
    close(self->conn);
    close(self->lfd);
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task main_task;
    struct client c;
    int err;
    async_task_init(&main_task);
    memset(&c, 0, sizeof c); /* the tasks in the frame: async_task_create reads their old state */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (async_rt_loop_init(&loop)) return 1; /* a real libev loop: epoll underneath */
    err = async_run(&loop, &main_task, client, &c);
    async_rt_loop_close(&loop);
    if (err) printf("error: %s\n", async_rt_strerror(err));
    return err ? 1 : 0;
}
