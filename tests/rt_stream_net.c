/* rt_stream_net.c — streams for network services: writes coalesce until the
 * loop polls (one send per stream per iteration) with drain still the
 * backpressure; the buffered-input count; read buffer sizing, growth, limit
 * and shrink; zero-copy readline/readuntil views; the reader table at EOF and
 * on error; the per-server error hook. */
#include "rt_common.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

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

/* 16 responses written in one step leave in one send when the loop polls. */
struct coalesce_main {
    async_frame hdr;
    int peer, i, before;
    async_stream s;
    async_timer t;
    char buf[4096];
};
static ASYNC_FN(coalesce_main, struct coalesce_main) {
    ASYNC_BEGIN();
    assert_int_equal(pair(ASYNC_LOOP, &self->s, &self->peer), 0);
    self->before = g_sends;
    for (self->i = 0; self->i < 16; self->i++) assert_int_equal(async_stream_write(&self->s, "response\n", 9), 0);
    assert_int_equal(g_sends, self->before); /* nothing sent yet */
    assert_int_equal(async_stream_write_buffered(&self->s), 16 * 9);
    ASYNC_AWAIT(async_stream_drain(&self->s)); /* below high water: done at once */
    ASYNC_SLEEP(&self->t, 0);
    assert_int_equal(g_sends, self->before + 1);
    assert_int_equal(async_stream_write_buffered(&self->s), 0);
    assert_int_equal(read(self->peer, self->buf, sizeof self->buf), 16 * 9);
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
static ASYNC_FN(pl_handler, struct pl_client) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
        if (ASYNC_VALUE.i == 0) break;
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

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_coalesce),
        RT_TEST(test_pipelined_server),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
