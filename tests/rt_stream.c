/* rt_stream.c — streams: echo over TCP v4, v6 and Unix sockets; every reader
 * method with partial reads, overruns and EOF in the middle; backpressure;
 * peer reset; half-close; EMFILE on accept with the server still running. */
#include "rt_common.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* An echo handler for async_start_server. */
struct echo_client {
    async_client_frame base;
    char buf[4096];
};
static ASYNC_FN_AT(echo_handler, struct echo_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) break;
        if (async_stream_write(self->base.stream, self->buf, (size_t)ASYNC_VALUE.i)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}

/* Echo: connect, send lines, read them back, close, server close. */
struct echo_main {
    async_frame hdr;
    const char *host;   /* "127.0.0.1", "::1" or a Unix path */
    char port[16];
    async_server srv;
    async_connect c;
    async_stream s;
    char line[256], msg[64];
    int i, lfd, n;
};
static ASYNC_FN(echo_main, struct echo_main) {
    ASYNC_BEGIN();
    if (self->host[0] == '/') self->lfd = async_listen_unix(self->host, 16);
    else self->lfd = async_listen_tcp(self->host, 0, 16);
    if (self->lfd < 0) ASYNC_RAISE(-self->lfd);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, echo_handler, sizeof(struct echo_client), NULL), 0);
    if (self->host[0] == '/') ASYNC_AWAIT(async_open_unix_connection(&self->c, ASYNC_LOOP, &self->s, self->host, 2.0));
    else {
        snprintf(self->port, sizeof self->port, "%d", async_sock_port(self->lfd));
        ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, self->host, self->port, 2.0));
    }
    for (self->i = 0; self->i < 100; self->i++) {
        self->n = snprintf(self->msg, sizeof self->msg, "hello %d\n", self->i);
        assert_int_equal(async_stream_write(&self->s, self->msg, (size_t)self->n), 0);
        ASYNC_AWAIT(async_stream_drain(&self->s));
        ASYNC_AWAIT(async_stream_readline(&self->s, self->line, sizeof self->line - 1));
        assert_int_equal(ASYNC_VALUE.i, self->n);
        self->line[self->n] = 0;
        assert_string_equal(self->line, self->msg);
    }
    assert_int_equal(self->srv.nclients, 1);
    async_stream_close(&self->s);
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    async_stream_destroy(&self->s);
    async_server_close(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv)); /* the client sees EOF and finishes */
    assert_int_equal(self->srv.nclients, 0);
    ASYNC_END();
}
static void test_echo_tcp4(void **st) {
    struct echo_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    m.host = "127.0.0.1";
    assert_int_equal(rt_run(echo_main, &m), 0);
}
static void test_echo_tcp6(void **st) {
    struct echo_main m;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    (void)st;
    if (fd < 0) skip(); /* no IPv6 in this sandbox */
    close(fd);
    memset(&m, 0, sizeof m);
    m.host = "::1";
    assert_int_equal(rt_run(echo_main, &m), 0);
}
static void test_echo_unix(void **st) {
    struct echo_main m;
    char path[64];
    (void)st;
    snprintf(path, sizeof path, "/tmp/rt_stream_%d.sock", (int)getpid());
    memset(&m, 0, sizeof m);
    m.host = path;
    assert_int_equal(rt_run(echo_main, &m), 0);
    unlink(path);
}

/* The reader methods, against a raw socketpair peer we control byte by byte. */
struct reader_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_timer t;
    char buf[256];
    int err;
};
static void peer_send(int fd, const char *s) { assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s)); }
static ASYNC_FN(reader_main, struct reader_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    /* read(n): whatever is there, up to n */
    peer_send(self->peer, "abcdef");
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 4));
    assert_int_equal(ASYNC_VALUE.i, 4);
    assert_memory_equal(self->buf, "abcd", 4);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 100));
    assert_int_equal(ASYNC_VALUE.i, 2);
    assert_memory_equal(self->buf, "ef", 2);
    /* readexactly across partial arrivals */
    peer_send(self->peer, "12");
    ASYNC_SLEEP(&self->t, 0.01);
    peer_send(self->peer, "345");
    ASYNC_AWAIT(async_stream_readexactly(&self->s, self->buf, 5));
    assert_int_equal(ASYNC_VALUE.i, 5);
    assert_memory_equal(self->buf, "12345", 5);
    /* readuntil with a multi-byte separator split across two sends */
    peer_send(self->peer, "key=value\r");
    ASYNC_SLEEP(&self->t, 0.01);
    peer_send(self->peer, "\nrest");
    ASYNC_AWAIT(async_stream_readuntil(&self->s, self->buf, sizeof self->buf, "\r\n", 2));
    assert_int_equal(ASYNC_VALUE.i, 11);
    assert_memory_equal(self->buf, "key=value\r\n", 11);
    /* readuntil overrun: no separator within the caller's capacity; data stays */
    ASYNC_AWAIT_CATCH(async_stream_readuntil(&self->s, self->buf, 4, "\n", 1), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 4));
    assert_int_equal(ASYNC_VALUE.i, 4);
    assert_memory_equal(self->buf, "rest", 4);
    /* readline, then EOF in the middle of a line: readline returns the tail */
    peer_send(self->peer, "line one\nline t");
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 9);
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 6);
    assert_memory_equal(self->buf, "line t", 6);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 10));
    assert_int_equal(ASYNC_VALUE.i, 0); /* EOF */
    assert_true(async_stream_at_eof(&self->s));
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_reader_methods(void **st) {
    struct reader_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(reader_main, &m), 0);
}

/* EOF in the middle of readexactly / readuntil: IncompleteRead with the partial data. */
struct eof_main {
    async_frame hdr;
    int peer;
    async_stream s;
    char buf[64];
    int err;
};
static ASYNC_FN(eof_main, struct eof_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    peer_send(self->peer, "abc");
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT_CATCH(async_stream_readexactly(&self->s, self->buf, 10), self->err);
    assert_int_equal(self->err, ASYNC_RT_EINCOMPLETE);
    assert_int_equal(self->s.partial, 3);
    assert_memory_equal(self->buf, "abc", 3);
    ASYNC_AWAIT_CATCH(async_stream_readuntil(&self->s, self->buf, sizeof self->buf, "\n", 1), self->err);
    assert_int_equal(self->err, ASYNC_RT_EINCOMPLETE);
    assert_int_equal(self->s.partial, 0);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_eof_middle(void **st) {
    struct eof_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(eof_main, &m), 0);
}

/* The reader limit: a peer sending an endless line cannot make us buffer more
 * than the limit (+ one read chunk); readline reports the overrun. */
struct limit_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_timer t;
    char buf[100000];
    int err;
};
static ASYNC_FN(limit_main, struct limit_main) {
    ASYNC_BEGIN();
    {
        int sv[2], big = 1 << 20;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        setsockopt(self->peer, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        fcntl(self->peer, F_SETFL, O_NONBLOCK);
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
        memset(self->buf, 'x', sizeof self->buf);
        while (write(self->peer, self->buf, sizeof self->buf) > 0) {
        }
    }
    ASYNC_SLEEP(&self->t, 0.05);
    assert_true(self->s.rlen <= self->s.limit + 65536);
    assert_true(self->s.rcap <= self->s.limit + 65536);
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->buf, sizeof self->buf), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_reader_limit(void **st) {
    struct limit_main *m = calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(limit_main, m), 0);
    free(m);
}

/* read_all: to EOF, and the max limit. */
struct all_main {
    async_frame hdr;
    int peer;
    async_stream s;
    int err;
};
static ASYNC_FN(all_main, struct all_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    peer_send(self->peer, "all of it");
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT(async_stream_read_all(&self->s, 1000));
    assert_int_equal(ASYNC_VALUE.i, 9);
    assert_string_equal(self->s.all, "all of it");
    async_stream_free_all(&self->s);
    async_stream_destroy(&self->s);
    close(self->peer);
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    peer_send(self->peer, "too much data");
    ASYNC_AWAIT_CATCH(async_stream_read_all(&self->s, 5), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_read_all(void **st) {
    struct all_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(all_main, &m), 0);
}

/* Backpressure: writing to a peer that does not read; drain blocks, the
 * writer's buffer stays under the high-water mark plus one write; once the
 * peer reads, drain completes. */
struct bp_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_task writer;
    struct bp_writer { async_frame hdr; async_stream *s; long written; size_t maxbuf; } w;
    async_timer t;
    char sink[65536];
    long drained;
};
static ASYNC_FN(bp_writer, struct bp_writer) {
    static char chunk[8192];
    ASYNC_BEGIN();
    for (;;) {
        assert_int_equal(async_stream_write(self->s, chunk, sizeof chunk), 0);
        self->written += (long)sizeof chunk;
        if (async_stream_write_buffered(self->s) > self->maxbuf) self->maxbuf = async_stream_write_buffered(self->s);
        ASYNC_AWAIT(async_stream_drain(self->s));
        if (self->written >= 8L << 20) break;
    }
    ASYNC_END();
}
static ASYNC_FN(bp_main, struct bp_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    self->w.s = &self->s;
    async_task_create(ASYNC_LOOP, &self->writer, bp_writer, &self->w, "writer");
    ASYNC_SLEEP(&self->t, 0.1);
    /* the peer reads nothing: the writer is parked in drain with bounded memory */
    assert_false(async_future_done(&self->writer.fut));
    assert_true(self->w.written < 8L << 20);
    assert_true(self->w.maxbuf <= self->s.high_water + 8192);
    fcntl(self->peer, F_SETFL, O_NONBLOCK);
    while (!async_future_done(&self->writer.fut)) { /* now the peer reads: the writer resumes */
        ssize_t n;
        while ((n = read(self->peer, self->sink, sizeof self->sink)) > 0) self->drained += n;
        ASYNC_SLEEP(&self->t, 0.001);
    }
    ASYNC_AWAIT(&self->writer.fut);
    assert_true(self->w.maxbuf <= self->s.high_water + 8192);
    async_stream_close(&self->s);
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    {
        ssize_t n;
        fcntl(self->peer, F_SETFL, 0);
        while ((n = read(self->peer, self->sink, sizeof self->sink)) > 0) self->drained += n;
    }
    assert_int_equal(self->drained, 8L << 20); /* close flushed everything */
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_backpressure(void **st) {
    struct bp_main *m = calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(bp_main, m), 0);
    free(m);
}

/* Peer reset: the reader gets ECONNRESET, the writer EPIPE/ECONNRESET. */
struct reset_main {
    async_frame hdr;
    int lfd, peer;
    async_connect c;
    async_stream s;
    async_sockop op;
    char port[16], buf[64];
    int err;
};
static ASYNC_FN(reset_main, struct reset_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 4);
    assert_true(self->lfd >= 0);
    snprintf(self->port, sizeof self->port, "%d", async_sock_port(self->lfd));
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0));
    ASYNC_AWAIT(async_sock_accept(&self->op, ASYNC_LOOP, self->lfd));
    self->peer = (int)ASYNC_VALUE.i;
    {
        struct linger lg = {1, 0}; /* close with RST */
        setsockopt(self->peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(self->peer);
    }
    ASYNC_AWAIT_CATCH(async_stream_read(&self->s, self->buf, sizeof self->buf), self->err);
    assert_int_equal(self->err, ECONNRESET);
    self->err = async_stream_write(&self->s, "x", 1);
    assert_true(self->err == EPIPE || self->err == ECONNRESET);
    ASYNC_AWAIT_CATCH(async_stream_drain(&self->s), self->err);
    assert_true(self->err == EPIPE || self->err == ECONNRESET);
    async_stream_destroy(&self->s);
    close(self->lfd);
    ASYNC_END();
}
static void test_peer_reset(void **st) {
    struct reset_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(reset_main, &m), 0);
}

/* Half-close: write_eof, the peer sees EOF yet can still answer. */
struct half_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_sockop op;
    char buf[64];
    int n;
};
static ASYNC_FN(half_main, struct half_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    assert_int_equal(async_stream_write(&self->s, "question", 8), 0);
    assert_int_equal(async_stream_write_eof(&self->s), 0);
    assert_int_equal(async_stream_write(&self->s, "more", 4), ASYNC_RT_ECLOSED);
    self->n = 0;
    for (;;) { /* the peer reads to EOF */
        ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->peer, self->buf + self->n, sizeof self->buf - (size_t)self->n));
        if (ASYNC_VALUE.i == 0) break;
        self->n += (int)ASYNC_VALUE.i;
    }
    assert_int_equal(self->n, 8);
    ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->peer, "answer", 6));
    close(self->peer);
    ASYNC_AWAIT(async_stream_read_all(&self->s, 100));
    assert_string_equal(self->s.all, "answer");
    async_stream_destroy(&self->s);
    ASYNC_END();
}
static void test_half_close(void **st) {
    struct half_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(half_main, &m), 0);
}

/* EMFILE on accept: with the fd table full the server keeps running, and
 * accepts again once descriptors are free. */
struct emfile_main {
    async_frame hdr;
    async_server srv;
    int lfd, port, fds[64], nfds, conn[8], ok;
    async_timer t;
    async_sockop op;
    struct rlimit old;
};
static ASYNC_FN(emfile_main, struct emfile_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 16);
    assert_true(self->lfd >= 0);
    self->port = async_sock_port(self->lfd);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, echo_handler, sizeof(struct echo_client), NULL), 0);
    { /* fill the fd table up to a low limit, keeping 2 spare for the client sockets */
        struct rlimit rl;
        int probe;
        getrlimit(RLIMIT_NOFILE, &self->old);
        probe = dup(0);
        close(probe);
        rl.rlim_cur = (rlim_t)probe + 4;
        rl.rlim_max = self->old.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
        while (self->nfds < 64 && (self->fds[self->nfds] = dup(0)) >= 0) self->nfds++;
        close(self->fds[--self->nfds]); /* one free: the client socket, nothing left for accept */
    }
    {
        struct sockaddr_storage ss;
        int len = async_sockaddr(&ss, "127.0.0.1", self->port);
        self->conn[0] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(self->conn[0] >= 0);
        assert_int_equal(connect(self->conn[0], (struct sockaddr *)&ss, (socklen_t)len), 0);
        fcntl(self->conn[0], F_SETFL, O_NONBLOCK); /* async_sock_* need non-blocking fds */
    }
    ASYNC_SLEEP(&self->t, 0.05);
    self->ok = self->srv.accept_errors >= 1 && self->srv.nclients == 0; /* EMFILE seen... */
    while (self->nfds) close(self->fds[--self->nfds]); /* ...fds come back: it accepts */
    setrlimit(RLIMIT_NOFILE, &self->old);
    assert_true(self->ok); /* checked once the fd table is usable again */
    ASYNC_SLEEP(&self->t, 0.25);
    assert_int_equal(self->srv.nclients, 1);
    assert_int_equal(write(self->conn[0], "ping", 4), 4);
    ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->conn[0], &self->port, 4));
    assert_int_equal(ASYNC_VALUE.i, 4);
    assert_memory_equal(&self->port, "ping", 4);
    close(self->conn[0]);
    async_server_close(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    ASYNC_END();
}
static void test_emfile(void **st) {
    struct emfile_main m;
    const char *pre = getenv("LD_PRELOAD");
    (void)st;
    if (pre && strstr(pre, "vgpreload")) skip(); /* valgrind keeps its own fds past RLIMIT_NOFILE */
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(emfile_main, &m), 0);
}

/* close_clients cancels live handlers; wait_closed completes. */
struct cc_main {
    async_frame hdr;
    async_server srv;
    async_connect c;
    async_stream s;
    char port[16];
    async_timer t;
    char buf[8];
};
static ASYNC_FN(cc_main, struct cc_main) {
    ASYNC_BEGIN();
    {
        int lfd = async_listen_tcp("127.0.0.1", 0, 16);
        assert_true(lfd >= 0);
        snprintf(self->port, sizeof self->port, "%d", async_sock_port(lfd));
        assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, lfd, echo_handler, sizeof(struct echo_client), NULL), 0);
    }
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "localhost", self->port, 2.0));
    ASYNC_SLEEP(&self->t, 0.02);
    assert_int_equal(self->srv.nclients, 1);
    async_server_close_clients(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    assert_int_equal(self->srv.nclients, 0);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 0); /* our side sees EOF */
    async_stream_destroy(&self->s);
    ASYNC_END();
}
static void test_close_clients(void **st) {
    struct cc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(cc_main, &m), 0);
}

/* Misuse: two reads pending on one stream; closed stream reads. */
struct blocked_read { async_frame hdr; async_stream *s; char b[8]; };
struct misuse_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_task reader;
    struct blocked_read rf;
    char b[8];
    int err;
};
static int g_misuse;
static void count_misuse(const char *msg) { (void)msg; g_misuse++; }
static ASYNC_FN(blocked_read, struct blocked_read) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_read(self->s, self->b, sizeof self->b));
    ASYNC_END();
}
static ASYNC_FN(misuse_main, struct misuse_main) {
    ASYNC_BEGIN();
    async_rt_set_misuse_handler(count_misuse);
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    self->rf.s = &self->s;
    async_task_create(ASYNC_LOOP, &self->reader, blocked_read, &self->rf, "reader");
    ASYNC_SLEEP0();
    ASYNC_AWAIT_CATCH(async_stream_read(&self->s, self->b, sizeof self->b), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_int_equal(g_misuse, 1);
    async_rt_set_misuse_handler(NULL);
    async_stream_close(&self->s);
    ASYNC_AWAIT_CATCH(&self->reader.fut, self->err);
    assert_int_equal(self->err, ASYNC_RT_ECLOSED); /* the pending read learns of the close */
    ASYNC_AWAIT_CATCH(async_stream_read(&self->s, self->b, sizeof self->b), self->err);
    assert_int_equal(self->err, ASYNC_RT_ECLOSED);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_misuse(void **st) {
    struct misuse_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(misuse_main, &m), 0);
}

/* Returning from main with a server and a live client: asyncio.run's shutdown
 * cancels the handler; the server's cleanup still frees everything (the
 * valgrind run of this test checks for leaks). */
struct leftover_main {
    async_frame hdr;
    async_server srv;
    async_connect c;
    async_stream s;
    char port[16];
    async_timer t;
};
static ASYNC_FN(leftover_main, struct leftover_main) {
    ASYNC_BEGIN();
    {
        int lfd = async_listen_tcp("127.0.0.1", 0, 16);
        assert_true(lfd >= 0);
        snprintf(self->port, sizeof self->port, "%d", async_sock_port(lfd));
        assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, lfd, echo_handler, sizeof(struct echo_client), NULL), 0);
    }
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0));
    ASYNC_SLEEP(&self->t, 0.02);
    assert_int_equal(self->srv.nclients, 1);
    async_stream_close(&self->s); /* our side; the server's client is the leftover */
    async_stream_destroy(&self->s);
    ASYNC_END();
}
static void test_leftover_server(void **st) {
    struct leftover_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(leftover_main, &m), 0);
    assert_int_equal(m.srv.nclients, 0); /* freed during shutdown */
}

/* Cancelled reads consume nothing and stay unregistered (asyncio): a readline
 * cut short by a timeout leaves the next line intact; a half-filled readexactly
 * that is cancelled leaves its bytes for the next read; the caller's buffer may
 * be freed right after the cancelled await (ASan/valgrind watch the bytes the
 * peer sends next). */
struct rx_frame { async_frame hdr; async_stream *s; char *buf; size_t n; int op; intptr_t got; };
static ASYNC_FN(rx_co, struct rx_frame) {
    ASYNC_BEGIN();
    if (self->op == 0) ASYNC_AWAIT(async_stream_readline(self->s, self->buf, self->n));
    else if (self->op == 1) ASYNC_AWAIT(async_stream_readexactly(self->s, self->buf, self->n));
    else if (self->op == 2) ASYNC_AWAIT(async_stream_readuntil(self->s, self->buf, self->n, "\r\n", 2));
    else ASYNC_AWAIT(async_stream_read(self->s, self->buf, self->n));
    self->got = ASYNC_VALUE.i;
    ASYNC_END();
}
struct wf_frame { async_frame hdr; async_waitset ws; async_stream *s; char *buf; };
static ASYNC_FN(wf_co, struct wf_frame) {
    ASYNC_BEGIN();
    ASYNC_WAIT_FOR(&self->ws, async_stream_readexactly(self->s, self->buf, 6), async_ms(20));
    ASYNC_END();
}
struct rcancel_main {
    async_frame hdr;
    struct wf_frame wf;
    int peer, op, err, part;
    async_stream s;
    async_timeout to;
    async_timer t;
    async_task reader;
    struct rx_frame rf;
    char buf[64];
};
static ASYNC_FN(rcancel_main, struct rcancel_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    if (self->part) goto ops;
    /* readline under a timeout scope that expires */
    async_timeout_after(&self->to, ASYNC_TASK, async_ms(20));
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->buf, sizeof self->buf), self->err);
    self->err = async_timeout_exit(&self->to, self->err);
    assert_int_equal(self->err, ASYNC_ETIMEOUT);
    peer_send(self->peer, "next line\n");
    ASYNC_SLEEP(&self->t, 0.02); /* the bytes reach the stream before the next read */
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 10);
    assert_memory_equal(self->buf, "next line\n", 10);
    /* readexactly half filled under wait_for, into a buffer freed at once */
    peer_send(self->peer, "abc");
    self->wf.s = &self->s;
    self->wf.buf = (char *)malloc(6);
    ASYNC_AWAIT_CO_CATCH(wf_co, &self->wf, self->err);
    assert_int_equal(self->err, ASYNC_ETIMEOUT);
    free(self->wf.buf);
    peer_send(self->peer, "defgh");
    ASYNC_SLEEP(&self->t, 0.02);
    ASYNC_AWAIT(async_stream_readexactly(&self->s, self->buf, 8));
    assert_memory_equal(self->buf, "abcdefgh", 8);
    goto done;
ops:
    /* readexactly half filled, then cancelled: its bytes stay in the stream */
    peer_send(self->peer, "abc");
    for (self->op = 0; self->op < 4; self->op++) {
        self->rf.s = &self->s;
        self->rf.op = self->op == 0 ? 1 : self->op == 1 ? 0 : self->op; /* exactly, line, until, read */
        self->rf.n = 6;
        self->rf.buf = (char *)malloc(self->rf.n);
        if (self->op == 3) { /* a plain read completes at once on buffered data: start it empty */
            ASYNC_AWAIT(async_stream_readexactly(&self->s, self->buf, 3));
            assert_memory_equal(self->buf, "abc", 3);
        }
        async_task_create(ASYNC_LOOP, &self->reader, rx_co, &self->rf, "reader");
        ASYNC_SLEEP(&self->t, 0.01);
        assert_false(async_future_done(&self->reader.fut));
        async_task_cancel(&self->reader);
        ASYNC_AWAIT_CATCH(&self->reader.fut, self->err);
        assert_int_equal(self->err, ASYNC_ECANCELLED);
        free(self->rf.buf); /* at once: the operation is unregistered */
        self->rf.buf = NULL;
        if (self->op == 3) peer_send(self->peer, "abc");
        peer_send(self->peer, "defgh");
        ASYNC_SLEEP(&self->t, 0.02); /* a ghost read would take (and write) these now */
        ASYNC_AWAIT(async_stream_readexactly(&self->s, self->buf, 8));
        assert_memory_equal(self->buf, "abcdefgh", 8);
        if (self->op < 3) peer_send(self->peer, "abc");
    }
done:
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_readline_timeout(void **st) {
    struct rcancel_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(rcancel_main, &m), 0);
}
/* read_all cancelled half way: what it gathered is read again. */
struct rall_frame { async_frame hdr; async_stream *s; };
static ASYNC_FN(rall_co, struct rall_frame) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_read_all(self->s, 1 << 20));
    ASYNC_END();
}
/* A second read started while one is pending is refused (misuse) and leaves
 * the pending one untouched: its separator, its read_all buffer. */
struct busy_main {
    async_frame hdr;
    int peer, err;
    async_stream s;
    async_timer t;
    async_task reader;
    struct rx_frame rf;
    struct rall_frame rall;
    char buf[16], b2[16];
};
static ASYNC_FN(busy_main, struct busy_main) {
    ASYNC_BEGIN();
    async_rt_set_misuse_handler(count_misuse);
    g_misuse = 0;
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    self->rf.s = &self->s;
    self->rf.buf = self->buf;
    self->rf.n = sizeof self->buf;
    self->rf.op = 2; /* readuntil "\r\n" */
    self->rall.s = &self->s;
    async_task_create(ASYNC_LOOP, &self->reader, rx_co, &self->rf, "reader");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->b2, sizeof self->b2), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    ASYNC_AWAIT_CATCH(async_stream_readuntil(&self->s, self->b2, sizeof self->b2, ";", 1), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_int_equal(g_misuse, 2);
    peer_send(self->peer, "a\nb;c\r\n");
    ASYNC_AWAIT(&self->reader.fut);
    assert_int_equal(self->rf.got, 7); /* still the pending read's own separator */
    assert_memory_equal(self->buf, "a\nb;c\r\n", 7);
    /* read_all pending with data gathered; a second read_all must not free it */
    peer_send(self->peer, "gathered");
    async_task_create(ASYNC_LOOP, &self->reader, rall_co, &self->rall, "reader");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_read_all(&self->s, 100), self->err);
    assert_int_equal(self->err, ASYNC_EBUSY);
    assert_int_equal(g_misuse, 3);
    async_rt_set_misuse_handler(NULL);
    peer_send(self->peer, " more");
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT(&self->reader.fut);
    assert_int_equal(self->s.all_len, 13);
    assert_string_equal(self->s.all, "gathered more");
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_busy_read_untouched(void **st) {
    struct busy_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(busy_main, &m), 0);
}

struct rall_main {
    async_frame hdr;
    int peer, err;
    async_stream s;
    async_timer t;
    async_task reader;
    struct rall_frame rf;
    char buf[16];
};
static ASYNC_FN(rall_main, struct rall_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    peer_send(self->peer, "first ");
    self->rf.s = &self->s;
    async_task_create(ASYNC_LOOP, &self->reader, rall_co, &self->rf, "reader");
    ASYNC_SLEEP(&self->t, 0.01);
    async_task_cancel(&self->reader);
    ASYNC_AWAIT_CATCH(&self->reader.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    peer_send(self->peer, "second");
    ASYNC_AWAIT(async_stream_readexactly(&self->s, self->buf, 3));
    assert_memory_equal(self->buf, "fir", 3);
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT(async_stream_read_all(&self->s, 100));
    assert_int_equal(ASYNC_VALUE.i, 9);
    assert_string_equal(self->s.all, "st second");
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_cancelled_read_all(void **st) {
    struct rall_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(rall_main, &m), 0);
}

static void test_cancelled_reads(void **st) {
    struct rcancel_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    m.part = 1;
    assert_int_equal(rt_run(rcancel_main, &m), 0);
}

/* readline after a limit overrun drops the over-long line (asyncio), so the
 * next readline gets the next line; readuntil leaves it buffered. */
struct overrun_main {
    async_frame hdr;
    int peer, err;
    async_stream s;
    async_timer t;
    char buf[64];
};
static ASYNC_FN(overrun_main, struct overrun_main) {
    ASYNC_BEGIN();
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    self->s.limit = 16;
    /* separator found beyond the limit: the line is dropped through it */
    peer_send(self->peer, "this line is far too long\nshort\n");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->buf, sizeof self->buf), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 6);
    assert_memory_equal(self->buf, "short\n", 6);
    /* the caller's capacity counts as the limit too */
    peer_send(self->peer, "0123456789\nok\n");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->buf, 4), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, 4));
    assert_int_equal(ASYNC_VALUE.i, 3);
    assert_memory_equal(self->buf, "ok\n", 3);
    /* no separator within the limit: the whole buffer is dropped */
    peer_send(self->peer, "xxxxxxxxxxxxxxxxxxxxxxxx");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_readline(&self->s, self->buf, sizeof self->buf), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    peer_send(self->peer, "\nafter\n");
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 1); /* what was left of the long line: asyncio does the same */
    ASYNC_AWAIT(async_stream_readline(&self->s, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 6);
    assert_memory_equal(self->buf, "after\n", 6);
    /* readuntil leaves the data */
    peer_send(self->peer, "a long record without end;x");
    ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_AWAIT_CATCH(async_stream_readuntil(&self->s, self->buf, sizeof self->buf, ";", 1), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 6));
    assert_memory_equal(self->buf, "a long", 6);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_readline_overrun(void **st) {
    struct overrun_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(overrun_main, &m), 0);
}

/* A stream outliving its loop: destroy still closes the fd. */
struct outlive_main { async_frame hdr; async_stream *s; int fd; };
static ASYNC_FN(outlive_main, struct outlive_main) {
    ASYNC_BEGIN();
    assert_int_equal(async_stream_open_fd(self->s, ASYNC_LOOP, self->fd), 0);
    ASYNC_END();
}
static void test_destroy_after_loop_close(void **st) {
    struct outlive_main m;
    async_stream *s = (async_stream *)calloc(1, sizeof *s);
    int sv[2];
    (void)st;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&m, 0, sizeof m);
    m.s = s;
    m.fd = sv[0];
    assert_int_equal(rt_run(outlive_main, &m), 0); /* the loop is gone now */
    async_stream_destroy(s);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1); /* closed */
    assert_int_equal(errno, EBADF);
    free(s);
    close(sv[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_echo_tcp4),   RT_TEST(test_echo_tcp6),    RT_TEST(test_echo_unix),
        RT_TEST(test_reader_methods), RT_TEST(test_eof_middle), RT_TEST(test_reader_limit),
        RT_TEST(test_read_all),    RT_TEST(test_backpressure), RT_TEST(test_peer_reset),
        RT_TEST(test_half_close),  RT_TEST(test_emfile),       RT_TEST(test_close_clients),
        RT_TEST(test_misuse),      RT_TEST(test_leftover_server),
        RT_TEST(test_readline_timeout), RT_TEST(test_cancelled_reads), RT_TEST(test_cancelled_read_all), RT_TEST(test_busy_read_untouched), RT_TEST(test_readline_overrun), RT_TEST(test_destroy_after_loop_close),
    };
    if (getenv("RT_FILTER")) cmocka_set_test_filter(getenv("RT_FILTER")); /* one test by name */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
