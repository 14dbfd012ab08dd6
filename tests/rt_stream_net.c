/* rt_stream_net.c — streams for network services: writes coalesce until the
 * loop polls (one send per stream per iteration) with drain still the
 * backpressure; the buffered-input count; read buffer sizing, growth, limit
 * and shrink; zero-copy readline/readuntil views; the reader table at EOF and
 * on error; the per-server error hook. */
#include "rt_common.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>

/* Every send() of the process, the library's included (static link). */
static int g_sends;
ssize_t send(int fd, const void *buf, size_t n, int flags) {
    g_sends++;
    return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

static __attribute__((unused)) void peer_send(int fd, const char *s) { assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s)); }

static int pair(async_loop *loop, async_stream *s, int *peer) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    *peer = sv[1];
    return async_stream_open_fd(s, loop, sv[0]);
}

/* 16 responses written in one step leave in one send when the loop polls
 * (the first may go straight out: the stream had no batch before). */
struct coalesce_main {
    async_frame hdr;
    int peer, i, round, before;
    async_stream s;
    async_timer t;
    char buf[4096];
};
static ASYNC_FN(coalesce_main, struct coalesce_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    for (self->round = 0; self->round < 3; self->round++) {
        self->before = g_sends;
        for (self->i = 0; self->i < 16; self->i++) assert_int_equal(async_stream_write(&self->s, "response\n", 9), 0);
        assert_true(g_sends - self->before <= (self->round ? 0 : 1)); /* the rest is not sent yet */
        assert_true(async_stream_write_buffered(&self->s) >= (size_t)(self->round ? 16 : 15) * 9);
        ASYNC_AWAIT(async_stream_drain(&self->s)); /* below high water: done at once */
        ASYNC_SLEEP(&self->t, 0);
        assert_int_equal(g_sends - self->before, self->round ? 1 : 2);
        assert_int_equal(async_stream_write_buffered(&self->s), 0);
        assert_int_equal(read(self->peer, self->buf, sizeof self->buf), 16 * 9);
    }
    /* back to one write per iteration: it goes straight out again */
    assert_int_equal(async_stream_write(&self->s, "one\n", 4), 0);
    ASYNC_SLEEP(&self->t, 0);
    self->before = g_sends;
    assert_int_equal(async_stream_write(&self->s, "two\n", 4), 0);
    assert_int_equal(g_sends - self->before, 1);
    assert_int_equal(async_stream_write_buffered(&self->s), 0);
    ASYNC_SLEEP(&self->t, 0);
    assert_int_equal(read(self->peer, self->buf, sizeof self->buf), 8);
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_coalesce(void **st) {
    struct coalesce_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(coalesce_main, &m), 0);
}

/* A request/response loop over TCP with 16 pipelined requests per batch: the
 * server answers each batch with one send. */
struct pl_client {
    async_client_frame base;
    char line[128];
};
static ASYNC_FN_AT(pl_handler, struct pl_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
        if (ASYNC_VALUE.i == 0) break;
        assert_true(self->base.stream->rcap <= 512); /* the server's read buffer size */
        if (async_stream_write(self->base.stream, self->line, (size_t)ASYNC_VALUE.i)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}
struct pl_main {
    async_frame hdr;
    async_server srv;
    async_connect c;
    async_stream s;
    char port[16], batch[16 * 8 + 1], back[16 * 8];
    int lfd, round, sends;
};
static ASYNC_FN(pl_main, struct pl_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 16);
    assert_true(self->lfd >= 0);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, pl_handler, sizeof(struct pl_client), NULL), 0);
    async_server_set_read_buffer(&self->srv, 512);
    snprintf(self->port, sizeof self->port, "%d", async_sock_port(self->lfd));
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0));
    {
        int i;
        for (i = 0; i < 16; i++) memcpy(self->batch + 8 * i, "GET /x\r\n", 8);
    }
    self->sends = g_sends;
    for (self->round = 0; self->round < 20; self->round++) {
        assert_int_equal(async_stream_write(&self->s, self->batch, 16 * 8), 0);
        ASYNC_AWAIT(async_stream_readexactly(&self->s, self->back, sizeof self->back));
        assert_memory_equal(self->back, self->batch, sizeof self->back);
    }
    /* per round: the client's send and the server's answers; a batch may
     * arrive in two reads on a loaded box, hence the slack */
    assert_true(g_sends - self->sends <= 20 * 4);
    async_stream_destroy(&self->s);
    async_server_close(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    ASYNC_END();
}
static void test_pipelined_server(void **st) {
    struct pl_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(pl_main, &m), 0);
}

/* Drain is still the backpressure: with a peer that does not read, the writer
 * buffers at most high water plus one write before drain blocks. */
struct bp_main {
    async_frame hdr;
    int peer, blocked;
    async_stream s;
    async_timer t;
    async_timeout to;
    size_t max;
    long sent, got;
    char chunk[1000], buf[65536];
};
static ASYNC_FN(bp_main, struct bp_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    async_stream_set_write_limits(&self->s, 8192, 2048);
    memset(self->chunk, 'c', sizeof self->chunk);
    while (self->sent < 2000000) {
        assert_int_equal(async_stream_write(&self->s, self->chunk, sizeof self->chunk), 0);
        self->sent += (long)sizeof self->chunk;
        if (async_stream_write_buffered(&self->s) > self->max) self->max = async_stream_write_buffered(&self->s);
        async_timeout_after(&self->to, ASYNC_TASK, async_ms(50));
        ASYNC_AWAIT_CATCH(async_stream_drain(&self->s), self->blocked);
        self->blocked = async_timeout_exit(&self->to, self->blocked);
        if (self->blocked) break; /* the kernel's buffers are full and nobody reads */
    }
    assert_int_equal(self->blocked, ASYNC_ETIMEOUT);
    assert_true(self->max <= 8192 + sizeof self->chunk);
    assert_true(self->sent < 2000000);
    /* the peer reads: drain completes, every byte arrives */
    fcntl(self->peer, F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t n = read(self->peer, self->buf, sizeof self->buf);
        if (n > 0) self->got += n;
        else if (async_stream_write_buffered(&self->s) == 0 && self->got == self->sent) break;
        ASYNC_SLEEP(&self->t, 0.001);
    }
    ASYNC_AWAIT(async_stream_drain(&self->s));
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_drain_backpressure(void **st) {
    struct bp_main *m = calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(bp_main, m), 0);
    free(m);
}

/* read_buffered: what a read takes without waiting; views and the count. */
struct view_main {
    async_frame hdr;
    int peer, err;
    async_stream s;
    async_timer t;
    char buf[64];
    const char *v;
};
static ASYNC_FN(view_main, struct view_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    assert_int_equal(async_stream_read_buffered(&self->s), 0);
    peer_send(self->peer, "GET /a\r\nGET /b\r\nGET /c\r\n");
    ASYNC_AWAIT(async_stream_readline_view(&self->s));
    assert_int_equal(ASYNC_VALUE.i, 8);
    self->v = async_stream_view(&self->s);
    assert_memory_equal(self->v, "GET /a\r\n", 8);
    assert_int_equal(async_stream_read_buffered(&self->s), 16);
    ASYNC_SLEEP(&self->t, 0.01); /* the loop runs: the view stays valid */
    assert_memory_equal(self->v, "GET /a\r\n", 8);
    ASYNC_AWAIT(async_stream_readuntil_view(&self->s, "\r\n", 2));
    assert_int_equal(ASYNC_VALUE.i, 8);
    assert_memory_equal(async_stream_view(&self->s), "GET /b\r\n", 8);
    assert_int_equal(async_stream_read_buffered(&self->s), 8);
    ASYNC_AWAIT(async_stream_read(&self->s, self->buf, 3)); /* releases the view */
    assert_memory_equal(self->buf, "GET", 3);
    assert_int_equal(async_stream_read_buffered(&self->s), 5);
    ASYNC_AWAIT(async_stream_readline_view(&self->s));
    assert_int_equal(ASYNC_VALUE.i, 5);
    assert_memory_equal(async_stream_view(&self->s), " /c\r\n", 5);
    assert_int_equal(async_stream_read_buffered(&self->s), 0);
    /* a record over the limit: ELIMIT, the line dropped (readline) */
    self->s.limit = 16;
    peer_send(self->peer, "0123456789abcdefghij\nok\n");
    ASYNC_AWAIT_CATCH(async_stream_readline_view(&self->s), self->err);
    assert_int_equal(self->err, ASYNC_RT_ELIMIT);
    self->s.limit = ASYNC_STREAM_LIMIT;
    ASYNC_AWAIT(async_stream_readline_view(&self->s)); /* the long line went through its \n */
    assert_int_equal(ASYNC_VALUE.i, 3);
    assert_memory_equal(async_stream_view(&self->s), "ok\n", 3);
    /* EOF mid-record: readuntil_view raises incomplete, the view holds the tail */
    peer_send(self->peer, "tail");
    shutdown(self->peer, SHUT_WR);
    ASYNC_AWAIT_CATCH(async_stream_readuntil_view(&self->s, "\r\n", 2), self->err);
    assert_int_equal(self->err, ASYNC_RT_EINCOMPLETE);
    assert_int_equal(self->s.partial, 4);
    assert_memory_equal(async_stream_view(&self->s), "tail", 4);
    assert_true(async_stream_at_eof(&self->s)); /* nothing left to read but the view */
    ASYNC_AWAIT(async_stream_readline_view(&self->s));
    assert_int_equal(ASYNC_VALUE.i, 0);
    assert_true(async_stream_at_eof(&self->s));
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_views(void **st) {
    struct view_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(view_main, &m), 0);
}

/* A held view stops the reader once the space behind it is full; the next
 * read call releases it and reading resumes. */
struct viewfull_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_timer t;
    char big[20000];
    long got;
};
static ASYNC_FN(viewfull_main, struct viewfull_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    async_stream_set_read_buffer(&self->s, 256);
    fcntl(self->peer, F_SETFL, O_NONBLOCK);
    peer_send(self->peer, "hello\n");
    ASYNC_AWAIT(async_stream_readline_view(&self->s));
    memset(self->big, 'b', sizeof self->big);
    assert_int_equal(write(self->peer, self->big, sizeof self->big), (ssize_t)sizeof self->big);
    ASYNC_SLEEP(&self->t, 0.02);
    assert_int_equal(self->s.rcap, 256); /* not grown, not moved */
    assert_memory_equal(async_stream_view(&self->s), "hello\n", 6);
    while (self->got < (long)sizeof self->big) {
        ASYNC_AWAIT(async_stream_read(&self->s, self->big, sizeof self->big));
        assert_true(ASYNC_VALUE.i > 0);
        self->got += ASYNC_VALUE.i;
    }
    async_stream_destroy(&self->s);
    close(self->peer);
    ASYNC_END();
}
static void test_view_holds_buffer(void **st) {
    struct viewfull_main *m = calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(viewfull_main, m), 0);
    free(m);
}

/* The read buffer: starts at the set size, grows while the kernel has more,
 * stays within limit + a read chunk, and shrinks back after the burst. */
struct grow_main {
    async_frame hdr;
    int peer;
    async_stream s;
    async_timer t;
    size_t maxcap;
    long got;
    char big[300000];
};
static ASYNC_FN(grow_main, struct grow_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    async_stream_set_read_buffer(&self->s, 512);
    peer_send(self->peer, "x\n");
    ASYNC_AWAIT(async_stream_readline(&self->s, self->big, 10));
    assert_int_equal(self->s.rcap, 512);
    peer_send(self->peer, "abc");
    ASYNC_SLEEP(&self->t, 0.01);
    assert_int_equal(self->s.rcap, 512);
    assert_int_equal(async_stream_read_buffered(&self->s), 3);
    {
        int big = 1 << 20;
        setsockopt(self->peer, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        fcntl(self->peer, F_SETFL, O_NONBLOCK);
        memset(self->big, 'y', sizeof self->big);
        while (write(self->peer, self->big, sizeof self->big) > 0) {
        }
    }
    ASYNC_SLEEP(&self->t, 0.05); /* nobody reads: the buffer fills to the limit */
    assert_true(self->s.rcap > 512);
    assert_true(self->s.rcap <= self->s.limit + 65536);
    assert_true(async_stream_read_buffered(&self->s) >= self->s.limit);
    close(self->peer);
    for (;;) {
        ASYNC_AWAIT(async_stream_read(&self->s, self->big, sizeof self->big));
        if (self->s.rcap > self->maxcap) self->maxcap = self->s.rcap;
        if (ASYNC_VALUE.i == 0) break;
        self->got += ASYNC_VALUE.i;
    }
    assert_true(self->got > 0);
    assert_true(self->maxcap <= self->s.limit + 65536);
    assert_true(self->s.rcap <= 512); /* burst over: back to the set size */
    async_stream_destroy(&self->s);
    ASYNC_END();
}
static void test_read_buffer_growth(void **st) {
    struct grow_main *m = calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(grow_main, m), 0);
    free(m);
}

/* The reader table of async_rt.h, row by row: each call at EOF with nothing
 * buffered, at EOF mid-record, and on a reset after buffered bytes. */
enum { K_READ, K_EXACT, K_UNTIL, K_LINE, K_ALL, K_LINE_V, K_UNTIL_V, K_N };
enum { SC_EOF, SC_MID, SC_RESET, SC_N };
struct table_row { int err; long value; size_t partial; };
static const struct table_row g_table[K_N][SC_N] = {
    /*             EOF, nothing           EOF mid-record ("abc")          reset after "abc" */
    [K_READ] =    {{0, 0, 0},              {0, 3, 0},                      {0, 3, 0}}, /* then raises */
    [K_EXACT] =   {{ASYNC_RT_EINCOMPLETE, 0, 0}, {ASYNC_RT_EINCOMPLETE, 3, 3}, {ECONNRESET, 3, 3}},
    [K_UNTIL] =   {{ASYNC_RT_EINCOMPLETE, 0, 0}, {ASYNC_RT_EINCOMPLETE, 3, 3}, {ECONNRESET, 3, 3}},
    [K_LINE] =    {{0, 0, 0},              {0, 3, 3},                      {ECONNRESET, 3, 3}},
    [K_ALL] =     {{0, 0, 0},              {0, 3, 0},                      {ECONNRESET, 3, 3}}, /* s->all_len */
    [K_LINE_V] =  {{0, 0, 0},              {0, 3, 3},                      {ECONNRESET, 3, 3}},
    [K_UNTIL_V] = {{ASYNC_RT_EINCOMPLETE, 0, 0}, {ASYNC_RT_EINCOMPLETE, 3, 3}, {ECONNRESET, 3, 3}},
};
static void tcp_pair(int sv[2]) {
    int lfd = async_listen_tcp("127.0.0.1", 0, 4);
    struct sockaddr_in sa;
    assert_true(lfd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)async_sock_port(lfd));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv[1] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(sv[1], (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(lfd, F_SETFL, 0);
    sv[0] = accept(lfd, NULL, NULL);
    assert_true(sv[0] >= 0);
    close(lfd);
}
static async_future *table_call(async_stream *s, int k, char *buf) {
    switch (k) {
    case K_READ: return async_stream_read(s, buf, 10);
    case K_EXACT: return async_stream_readexactly(s, buf, 10);
    case K_UNTIL: return async_stream_readuntil(s, buf, 10, "\n", 1);
    case K_LINE: return async_stream_readline(s, buf, 10);
    case K_ALL: return async_stream_read_all(s, 100);
    case K_LINE_V: return async_stream_readline_view(s);
    default: return async_stream_readuntil_view(s, "\n", 1);
    }
}
struct table_main {
    async_frame hdr;
    int k, sc, err, sv[2];
    long value;
    async_stream s;
    async_timer t;
    char buf[16];
};
#define row (&g_table[self->k][self->sc]) /* not a local: it would not survive the awaits */
static ASYNC_FN(table_main, struct table_main) {
    ASYNC_BEGIN();
    for (self->k = 0; self->k < K_N; self->k++)
        for (self->sc = 0; self->sc < SC_N; self->sc++) {
            if (self->sc == SC_RESET) tcp_pair(self->sv);
            else assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv), 0);
            assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, self->sv[0]), 0);
            if (self->sc != SC_EOF) peer_send(self->sv[1], "abc");
            if (self->sc == SC_RESET) {
                ASYNC_SLEEP(&self->t, 0.01); /* "abc" is in the stream's buffer */
                {
                    struct linger lg = {1, 0}; /* after the await: a local does not survive one */
                    setsockopt(self->sv[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                }
            } else
                shutdown(self->sv[1], SHUT_WR);
            close(self->sv[1]);
            ASYNC_SLEEP(&self->t, 0.01);
            self->err = 0;
            self->value = -1;
            ASYNC_AWAIT_CATCH(table_call(&self->s, self->k, self->buf), self->err);
            if (!self->err) self->value = ASYNC_VALUE.i;
            else if (self->k == K_ALL) self->value = (long)self->s.all_len;
            else self->value = (long)self->s.partial;
            print_message("row %d column %d: err %d value %ld\n", self->k, self->sc, self->err, self->value);
            assert_int_equal(self->err, row->err);
            assert_int_equal(self->value, row->err ? (long)row->partial : row->value);
            if (row->value && self->k != K_ALL)
                assert_memory_equal(self->k >= K_LINE_V ? async_stream_view(&self->s) : self->buf, "abc", 3);
            if (self->k == K_ALL && row->value) assert_memory_equal(self->s.all, "abc", 3);
            if (self->k == K_READ && self->sc == SC_RESET) {
                ASYNC_AWAIT_CATCH(async_stream_read(&self->s, self->buf, 10), self->err);
                assert_int_equal(self->err, ECONNRESET);
            }
            async_stream_close(&self->s);
            ASYNC_AWAIT_CATCH(table_call(&self->s, self->k, self->buf), self->err);
            assert_int_equal(self->err, ASYNC_RT_ECLOSED);
            async_stream_destroy(&self->s);
        }
    ASYNC_END();
}
#undef row
static void test_reader_table(void **st) {
    struct table_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(table_main, &m), 0);
}

/* The error hook: a client that vanishes mid-request reaches the hook, not
 * stderr; without a hook the default still prints. */
struct eh_client {
    async_client_frame base;
    char buf[100];
};
static ASYNC_FN_AT(eh_handler, struct eh_client, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_readexactly(self->base.stream, self->buf, sizeof self->buf));
    ASYNC_END();
}
static int g_hook_calls, g_hook_err;
static void eh_hook(async_server *srv, async_client_frame *client, int err) {
    assert_non_null(client->stream);
    assert_ptr_equal(client->server, srv);
    g_hook_calls++;
    g_hook_err = err;
}
struct eh_main {
    async_frame hdr;
    int lfd, hook, i;
    async_server srv;
    async_connect c;
    async_stream s;
    async_timer t;
    char port[16];
};
static ASYNC_FN(eh_main, struct eh_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 16);
    assert_true(self->lfd >= 0);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, eh_handler, sizeof(struct eh_client), NULL), 0);
    if (self->hook) async_server_set_error_handler(&self->srv, eh_hook);
    snprintf(self->port, sizeof self->port, "%d", async_sock_port(self->lfd));
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0));
    assert_int_equal(async_stream_write(&self->s, "GET / HT", 8), 0);
    async_stream_close(&self->s); /* mid-request */
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    async_stream_destroy(&self->s);
    for (self->i = 0; self->i < 200 && self->srv.nclients + (self->srv.accepted == 0); self->i++) ASYNC_SLEEP(&self->t, 0.005);
    assert_int_equal(self->srv.nclients, 0);
    async_server_close(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    ASYNC_END();
}
static void capture_stderr(int on, char *out, size_t cap) {
    static int saved = -1, fd = -1;
    if (on) {
        char path[] = "/tmp/rt_stream_net_XXXXXX";
        fflush(stderr);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        saved = dup(2);
        dup2(fd, 2);
    } else {
        ssize_t n;
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        n = pread(fd, out, cap - 1, 0);
        out[n > 0 ? n : 0] = 0;
        close(fd);
    }
}
static void test_error_hook(void **st) {
    struct eh_main m;
    char err[512];
    (void)st;
    memset(&m, 0, sizeof m);
    m.hook = 1;
    g_hook_calls = 0;
    capture_stderr(1, NULL, 0);
    assert_int_equal(rt_run(eh_main, &m), 0);
    capture_stderr(0, err, sizeof err);
    assert_int_equal(g_hook_calls, 1);
    assert_int_equal(g_hook_err, ASYNC_RT_EINCOMPLETE);
    assert_string_equal(err, "");
    memset(&m, 0, sizeof m); /* the default */
    capture_stderr(1, NULL, 0);
    assert_int_equal(rt_run(eh_main, &m), 0);
    capture_stderr(0, err, sizeof err);
    assert_non_null(strstr(err, "client handler failed: incomplete read"));
}

/* Bytes written in the last step before the loop closes still leave. */
struct last_main {
    async_frame hdr;
    int peer;
    async_stream s;
};
static ASYNC_FN(last_main, struct last_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    assert_int_equal(async_stream_write(&self->s, "bye\n", 4), 0);
    ASYNC_END(); /* no await: the loop closes next */
}
static void test_written_before_close(void **st) {
    struct last_main m;
    char buf[16];
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(last_main, &m), 0);
    async_stream_destroy(&m.s);
    assert_int_equal(read(m.peer, buf, sizeof buf), 4);
    assert_memory_equal(buf, "bye\n", 4);
    close(m.peer);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_coalesce),
        RT_TEST(test_pipelined_server),
        RT_TEST(test_drain_backpressure),
        RT_TEST(test_views),
        RT_TEST(test_view_holds_buffer),
        RT_TEST(test_read_buffer_growth),
        RT_TEST(test_reader_table),
        RT_TEST(test_error_hook),
        RT_TEST(test_written_before_close),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
