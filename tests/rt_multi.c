/* rt_multi.c — one server on two loops on two threads (async_serve_multi):
 * clients served by both, a stop that closes the clients still connected and
 * joins, no leaks; errors come back from the start call. */
#include "rt_common.h"
#include <netinet/in.h>
#include <sys/socket.h>

struct mecho {
    async_client_frame base;
    char line[128];
};
static ASYNC_FN_AT(mecho, struct mecho, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_readline_view(self->base.stream));
        if (ASYNC_VALUE.i == 0) break;
        if (async_stream_write(self->base.stream, async_stream_view(self->base.stream), (size_t)ASYNC_VALUE.i)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}

static int g_setup_mask;
static void msetup(async_server *srv, unsigned index, void *arg) {
    assert_ptr_equal(arg, &g_setup_mask);
    assert_non_null(srv->loop);
    __atomic_fetch_or(&g_setup_mask, 1 << index, __ATOMIC_SEQ_CST);
}

static int connect_port(int port) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

#define NCLIENTS 32
static void test_two_loops(void **st) {
    async_multi_config cfg;
    async_multi *m;
    int fds[NCLIENTS], i, port, idle;
    char buf[64];
    (void)st;
    memset(&cfg, 0, sizeof cfg);
    cfg.loops = 2;
    cfg.host = "127.0.0.1";
    cfg.handler = mecho;
    cfg.frame_size = sizeof(struct mecho);
    cfg.arg = &g_setup_mask;
    cfg.setup = msetup;
    alarm(20);
    assert_int_equal(async_serve_multi(&m, &cfg), 0);
    assert_int_equal(async_multi_count(m), 2);
    port = async_multi_port(m);
    assert_true(port > 0);
    for (i = 0; i < NCLIENTS; i++) {
        int n = snprintf(buf, sizeof buf, "hello %d\n", i);
        fds[i] = connect_port(port);
        assert_int_equal(write(fds[i], buf, (size_t)n), n);
        assert_int_equal(read(fds[i], buf + 32, sizeof buf - 32), n);
        assert_memory_equal(buf, buf + 32, (size_t)n);
    }
    for (i = 0; i < NCLIENTS - 1; i++) close(fds[i]);
    idle = fds[NCLIENTS - 1]; /* still connected at the stop */
    async_multi_stop(m);
    assert_int_equal(read(idle, buf, sizeof buf), 0); /* closed by the stop */
    close(idle);
    assert_int_equal(g_setup_mask, 3);
    assert_true(async_multi_server(m, 0)->accepted > 0); /* both loops served */
    assert_true(async_multi_server(m, 1)->accepted > 0);
    assert_int_equal(async_multi_server(m, 0)->accepted + async_multi_server(m, 1)->accepted, NCLIENTS);
    assert_null(async_multi_server(m, 2));
    async_multi_destroy(m);
    alarm(0);
}

/* A graceful stop lets the request in flight finish on its loop. */
struct slow_once {
    async_client_frame base;
    char line[64];
    async_timer t;
};
static ASYNC_FN_AT(slow_once, struct slow_once, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
    if (async_stream_write(self->base.stream, "got\n", 4)) ASYNC_RETURN(async_none());
    ASYNC_AWAIT(async_stream_drain(self->base.stream));
    ASYNC_SLEEP(&self->t, 0.1);
    if (async_stream_write(self->base.stream, "done\n", 5) == 0) ASYNC_AWAIT(async_stream_drain(self->base.stream));
    ASYNC_END();
}
static void test_graceful_stop(void **st) {
    async_multi_config cfg;
    async_multi *m;
    char buf[16];
    int fd, n = 0, r;
    (void)st;
    memset(&cfg, 0, sizeof cfg);
    cfg.loops = 2;
    cfg.host = "127.0.0.1";
    cfg.handler = slow_once;
    cfg.frame_size = sizeof(struct slow_once);
    cfg.grace_s = 15.0; /* far more than the handler needs: it finishes first */
    cfg.flush_s = 15.0;
    alarm(20);
    assert_int_equal(async_serve_multi(&m, &cfg), 0);
    fd = connect_port(async_multi_port(m));
    assert_int_equal(write(fd, "req\n", 4), 4);
    assert_int_equal(read(fd, buf, 4), 4); /* "got": the handler is mid-request */
    async_multi_stop(m); /* returns once every loop has shut down */
    while ((r = (int)read(fd, buf + n, sizeof buf - (size_t)n)) > 0) n += r;
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "done\n", 5);
    close(fd);
    async_multi_destroy(m);
    alarm(0);
}

static void test_start_error(void **st) {
    async_multi_config cfg;
    async_multi *m = (async_multi *)&cfg;
    (void)st;
    memset(&cfg, 0, sizeof cfg);
    cfg.loops = 2;
    cfg.host = "not-an-address";
    cfg.handler = mecho;
    cfg.frame_size = sizeof(struct mecho);
    assert_int_equal(async_serve_multi(&m, &cfg), EINVAL);
    assert_null(m);
    async_multi_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_two_loops),
        RT_TEST(test_graceful_stop),
        RT_TEST(test_start_error),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
