/* rt_net.c — raw non-blocking socket operations: echo over TCP v4, v6 and Unix
 * with accept/recv/sendall, UDP, connect refused, connect timeout, fd
 * readiness, name resolution on the pool, cancellation of a pending recv. */
#include "rt_common.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Server task: accept one connection, echo until EOF. */
struct sock_server { async_frame hdr; int lfd, cfd; async_sockop op; char buf[2048]; long n; };
static ASYNC_FN(sock_server, struct sock_server) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_sock_accept(&self->op, ASYNC_LOOP, self->lfd));
    self->cfd = (int)ASYNC_VALUE.i;
    for (;;) {
        ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->cfd, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) break;
        self->n = (long)ASYNC_VALUE.i;
        ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->cfd, self->buf, (size_t)self->n));
    }
    ASYNC_FINALLY();
    if (self->cfd > 0) close(self->cfd);
    ASYNC_END();
}

struct echo_main {
    async_frame hdr;
    const char *host;
    async_task srv;
    struct sock_server sf;
    async_sockop op;
    struct sockaddr_storage ss;
    int fd, len, i;
    char out[1024], in[1024];
    long got;
};
static ASYNC_FN(sock_echo_main, struct echo_main) {
    ASYNC_BEGIN();
    self->sf.lfd = self->host[0] == '/' ? async_listen_unix(self->host, 8) : async_listen_tcp(self->host, 0, 8);
    assert_true(self->sf.lfd >= 0);
    async_task_create(ASYNC_LOOP, &self->srv, sock_server, &self->sf, "server");
    self->len = async_sockaddr(&self->ss, self->host, self->host[0] == '/' ? 0 : async_sock_port(self->sf.lfd));
    assert_true(self->len > 0);
    self->fd = async_socket(self->ss.ss_family, SOCK_STREAM, 0);
    assert_true(self->fd >= 0);
    ASYNC_AWAIT(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&self->ss, (socklen_t)self->len, 2.0));
    for (self->i = 0; self->i < 50; self->i++) {
        memset(self->out, 'a' + self->i % 26, sizeof self->out);
        ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->fd, self->out, sizeof self->out));
        for (self->got = 0; self->got < (long)sizeof self->in;) {
            ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->in + self->got, sizeof self->in - (size_t)self->got));
            assert_true(ASYNC_VALUE.i > 0);
            self->got += (long)ASYNC_VALUE.i;
        }
        assert_memory_equal(self->in, self->out, sizeof self->in);
    }
    close(self->fd);
    ASYNC_AWAIT(&self->srv.fut); /* it sees EOF and ends */
    close(self->sf.lfd);
    ASYNC_END();
}
static void run_echo(const char *host) {
    struct echo_main *m = calloc(1, sizeof *m);
    m->host = host;
    assert_int_equal(rt_run(sock_echo_main, m), 0);
    free(m);
}
static void test_sock_echo_v4(void **st) { (void)st; run_echo("127.0.0.1"); }
static void test_sock_echo_v6(void **st) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    (void)st;
    if (fd < 0) skip();
    close(fd);
    run_echo("::1");
}
static void test_sock_echo_unix(void **st) {
    char path[64];
    (void)st;
    snprintf(path, sizeof path, "/tmp/rt_net_%d.sock", (int)getpid());
    run_echo(path);
    unlink(path);
}

/* UDP: a datagram there and back, sender address reported. */
struct udp_main { async_frame hdr; int a, b; async_sockop op; struct sockaddr_storage ss; int len; char buf[64]; };
static ASYNC_FN(udp_main, struct udp_main) {
    ASYNC_BEGIN();
    self->a = async_socket(AF_INET, SOCK_DGRAM, 0);
    self->b = async_socket(AF_INET, SOCK_DGRAM, 0);
    self->len = async_sockaddr(&self->ss, "127.0.0.1", 0);
    assert_int_equal(bind(self->a, (struct sockaddr *)&self->ss, (socklen_t)self->len), 0);
    assert_int_equal(bind(self->b, (struct sockaddr *)&self->ss, (socklen_t)self->len), 0);
    self->len = async_sockaddr(&self->ss, "127.0.0.1", async_sock_port(self->b));
    ASYNC_AWAIT(async_sock_sendto(&self->op, ASYNC_LOOP, self->a, "ping", 4, (struct sockaddr *)&self->ss, (socklen_t)self->len));
    assert_int_equal(ASYNC_VALUE.i, 4);
    ASYNC_AWAIT(async_sock_recvfrom(&self->op, ASYNC_LOOP, self->b, self->buf, sizeof self->buf));
    assert_int_equal(ASYNC_VALUE.i, 4);
    assert_memory_equal(self->buf, "ping", 4);
    assert_int_equal(ntohs(((struct sockaddr_in *)&self->op.addr)->sin_port), async_sock_port(self->a));
    /* reply to the sender's address */
    self->ss = self->op.addr;
    self->len = (int)self->op.addrlen;
    ASYNC_AWAIT(async_sock_sendto(&self->op, ASYNC_LOOP, self->b, "pong", 4, (struct sockaddr *)&self->ss, (socklen_t)self->len));
    ASYNC_AWAIT(async_sock_recvfrom(&self->op, ASYNC_LOOP, self->a, self->buf, sizeof self->buf));
    assert_memory_equal(self->buf, "pong", 4);
    close(self->a);
    close(self->b);
    ASYNC_END();
}
static void test_udp(void **st) {
    struct udp_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(udp_main, &m), 0);
}

/* Connect refused (nothing listens) and connect timeout (a listener with a
 * full backlog that never accepts: the SYN is dropped, connect stays pending). */
struct conn_main {
    async_frame hdr;
    async_sockop op;
    struct sockaddr_storage ss;
    int fd, lfd, len, err, fill[16], nfill;
    double t0;
    async_connect c;
    async_stream s;
    char port[16];
};
static ASYNC_FN(conn_main, struct conn_main) {
    ASYNC_BEGIN();
    /* a port that nobody listens on: bind, read the port, close */
    self->lfd = async_listen_tcp("127.0.0.1", 0, 1);
    self->len = async_sockaddr(&self->ss, "127.0.0.1", async_sock_port(self->lfd));
    close(self->lfd);
    self->fd = async_socket(AF_INET, SOCK_STREAM, 0);
    ASYNC_AWAIT_CATCH(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&self->ss, (socklen_t)self->len, 2.0), self->err);
    assert_int_equal(self->err, ECONNREFUSED);
    close(self->fd);
    /* the same through open_connection: the message is the errno text */
    snprintf(self->port, sizeof self->port, "%d", ntohs(((struct sockaddr_in *)&self->ss)->sin_port));
    ASYNC_AWAIT_CATCH(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0), self->err);
    assert_int_equal(self->err, ECONNREFUSED);
    assert_string_equal(async_rt_strerror(self->err), strerror(ECONNREFUSED));
    /* timeout: backlog 0 and a few connections fill the accept queue */
    self->lfd = async_listen_tcp("127.0.0.1", 0, 1);
    listen(self->lfd, 0);
    self->len = async_sockaddr(&self->ss, "127.0.0.1", async_sock_port(self->lfd));
    for (self->nfill = 0; self->nfill < 16; self->nfill++) {
        self->fill[self->nfill] = async_socket(AF_INET, SOCK_STREAM, 0);
        connect(self->fill[self->nfill], (struct sockaddr *)&self->ss, (socklen_t)self->len);
    }
    self->fd = async_socket(AF_INET, SOCK_STREAM, 0);
    self->t0 = rt_wall();
    ASYNC_AWAIT_CATCH(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&self->ss, (socklen_t)self->len, 0.2), self->err);
    assert_int_equal(self->err, ASYNC_ETIMEOUT);
    assert_true(rt_wall() - self->t0 >= 0.19 && rt_wall() - self->t0 < 5.0); /* loose: valgrind, loaded CI */
    close(self->fd);
    while (self->nfill) close(self->fill[--self->nfill]);
    close(self->lfd);
    ASYNC_END();
}
static void test_connect_errors(void **st) {
    struct conn_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(conn_main, &m), 0);
}

/* Readiness, resolution, and cancelling a pending recv (its watcher stops). */
struct misc_main {
    async_frame hdr;
    int sv[2], err;
    async_sockop op;
    async_resolve r;
    async_task t;
    struct misc_recv { async_frame hdr; int fd; async_sockop op; char b[8]; } rf;
    async_timer tm;
};
static ASYNC_FN(misc_recv, struct misc_recv) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->b, sizeof self->b));
    ASYNC_END();
}
static ASYNC_FN(misc_main, struct misc_main) {
    ASYNC_BEGIN();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, self->sv), 0);
    ASYNC_AWAIT(async_wait_writable(&self->op, ASYNC_LOOP, self->sv[0]));
    assert_int_equal(write(self->sv[1], "x", 1), 1);
    ASYNC_AWAIT(async_wait_readable(&self->op, ASYNC_LOOP, self->sv[0]));
    assert_int_equal(ASYNC_VALUE.i, self->sv[0]);
    {
        char c;
        assert_int_equal(read(self->sv[0], &c, 1), 1);
    }
    ASYNC_AWAIT(async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL));
    assert_non_null(self->r.res);
    async_resolve_free(&self->r);
    ASYNC_AWAIT_CATCH(async_getaddrinfo(&self->r, ASYNC_LOOP, "no-such-host.invalid", "80", NULL), self->err);
    assert_int_equal(self->err, ASYNC_RT_ERESOLVE);
    assert_int_not_equal(self->r.gai_err, 0);
    /* cancel a recv that would wait forever: nothing stays active, so the
     * loop's deadlock detection still works afterwards */
    self->rf.fd = self->sv[0];
    async_task_create(ASYNC_LOOP, &self->t, misc_recv, &self->rf, "recv");
    ASYNC_SLEEP(&self->tm, 0.01);
    async_task_cancel(&self->t);
    ASYNC_AWAIT_CATCH(&self->t.fut, self->err);
    assert_int_equal(self->err, ASYNC_ECANCELLED);
    assert_false(ev_is_active(&self->rf.op.w));
    close(self->sv[0]);
    close(self->sv[1]);
    ASYNC_END();
}
static void test_misc(void **st) {
    struct misc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(misc_main, &m), 0);
}

/* On the virtual clock, I/O fails with a clear error instead of misbehaving. */
struct virt_main { async_frame hdr; async_sockop op; int err; char b[4]; };
static ASYNC_FN(virt_main, struct virt_main) {
    ASYNC_BEGIN();
    ASYNC_AWAIT_CATCH(async_sock_recv(&self->op, ASYNC_LOOP, 0, self->b, 4), self->err);
    assert_int_equal(self->err, ASYNC_RT_ENOBACKEND);
    ASYNC_END();
}
static void test_virtual_env(void **st) {
    async_loop loop;
    async_task t;
    struct virt_main m;
    (void)st;
    memset(&t, 0, sizeof t); /* async_task_create reads the old state */
    memset(&m, 0, sizeof m);
    setenv("ASYNC_VIRTUAL_TIME", "1", 1);
    assert_int_equal(async_rt_loop_init_env(&loop), 1);
    unsetenv("ASYNC_VIRTUAL_TIME");
    assert_int_equal(async_run(&loop, &t, virt_main, &m), 0);
    async_rt_loop_close(&loop);
    assert_non_null(strstr(async_rt_strerror(ASYNC_RT_ENOBACKEND), "virtual"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_sock_echo_v4), RT_TEST(test_sock_echo_v6), RT_TEST(test_sock_echo_unix),
        RT_TEST(test_udp),          RT_TEST(test_connect_errors), RT_TEST(test_misc),
        RT_TEST(test_virtual_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
