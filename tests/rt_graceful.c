/* rt_graceful.c — async_server_shutdown: a handler mid-request finishes
 * within the grace, an idle keep-alive client is cancelled at once, a stuck
 * one and one that never marks itself idle are cancelled when the grace ends,
 * a slow reader's buffered output is flushed until the flush deadline and
 * then cut off; every fd is closed and every client freed. Only orders,
 * counts and lower bounds on time are asserted. */
#include "rt_common.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BIG (4 << 20)
static char big[BIG];

struct shared {
    async_event go;   /* lets the "slow" request finish */
    int started;      /* requests being handled */
    char log[128];    /* who finished, in order */
    async_time finished_at[8];
    int nfinished;
};

/* One line per request: "slow" waits for the test, "stuck" never finishes,
 * "big" answers more than the peer will read, "raw" waits for a second line
 * without marking itself idle. Between requests the handler is idle. */
struct worker {
    async_client_frame base;
    struct shared *sh;
    char line[64];
    char tag;
    async_timer t;
    async_wait_op op;
};
static ASYNC_FN_AT(worker, struct worker, base.hdr) {
    ASYNC_BEGIN();
    self->sh = (struct shared *)self->base.arg;
    self->tag = 'i';
    for (;;) {
        if (async_client_set_idle(&self->base, 1)) break;
        ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
        if (ASYNC_VALUE.i == 0) break;
        async_client_set_idle(&self->base, 0);
        self->tag = self->line[0];
        self->sh->started++;
        if (self->tag == 's' && self->line[1] == 'l') {
            ASYNC_EVENT_WAIT(&self->op, &self->sh->go);
            assert_int_equal(async_stream_write(self->base.stream, "done\n", 5), 0);
        } else if (self->tag == 's') {
            ASYNC_SLEEP(&self->t, 60);
        } else if (self->tag == 'b') {
            int small = 4096;
            setsockopt(self->base.stream->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
            assert_int_equal(async_stream_write(self->base.stream, big, BIG), 0);
            break; /* returns with most of it buffered */
        } else if (self->tag == 'r') {
            ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
        }
    }
    ASYNC_FINALLY();
    {
        size_t n = strlen(self->sh->log);
        self->sh->log[n] = self->tag == 's' && self->line[1] == 't' ? 'S' : self->tag;
        self->sh->log[n + 1] = ASYNC_ERROR == ASYNC_ECANCELLED ? 'x' : '.';
        self->sh->finished_at[self->sh->nfinished++] = async_loop_time(ASYNC_LOOP);
    }
    ASYNC_END();
}

static int peer(int port, const char *req, int rcvbuf) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (req) assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    return fd;
}

/* Everything the peer receives until EOF or reset. */
static size_t drain_peer(int fd, char *buf, size_t cap) {
    size_t got = 0;
    char tmp[65536];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0) break;
        if (buf && got + (size_t)n < cap) memcpy(buf + got, tmp, (size_t)n);
        got += (size_t)n;
    }
    return got;
}

#define GRACE 1.0
#define FLUSH 0.3
enum { P_SLOW, P_IDLE, P_STUCK, P_BIG, P_RAW, NPEERS };
struct main_frame {
    async_frame hdr;
    async_server srv;
    struct shared sh;
    async_timer t;
    int lfd, i, peers[NPEERS], fds_before, fds_after;
    async_time t0;
};
static ASYNC_FN(graceful_main, struct main_frame) {
    ASYNC_BEGIN();
    async_event_init(&self->sh.go);
    self->fds_before = rt_count_fds();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 16);
    assert_true(self->lfd >= 0);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, worker, sizeof(struct worker), &self->sh), 0);
    {
        int port = async_sock_port(self->lfd);
        self->peers[P_SLOW] = peer(port, "slow\n", 0);
        self->peers[P_IDLE] = peer(port, NULL, 0);
        self->peers[P_STUCK] = peer(port, "stuck\n", 0);
        self->peers[P_BIG] = peer(port, "big\n", 4096);
        self->peers[P_RAW] = peer(port, "raw\n", 0);
    }
    for (self->i = 0; self->i < 500 && (self->srv.nclients < NPEERS || self->sh.started < NPEERS - 1); self->i++)
        ASYNC_SLEEP(&self->t, 0.01);
    assert_int_equal(self->srv.nclients, NPEERS);
    assert_int_equal(self->sh.started, NPEERS - 1);
    assert_int_equal(self->sh.nfinished, 1); /* big returned at once, its output buffered */

    self->t0 = async_loop_time(ASYNC_LOOP);
    async_server_shutdown(&self->srv, GRACE, FLUSH);
    assert_int_equal(fcntl(self->lfd, F_GETFD), -1); /* no new connections */
    async_event_set(&self->sh.go);                   /* the request in flight completes */
    ASYNC_AWAIT(async_server_shutdown(&self->srv, GRACE, FLUSH));
    assert_int_equal(self->srv.nclients, 0);
    self->fds_after = rt_count_fds();
    ASYNC_END();
}

static void test_graceful_shutdown(void **st) {
    struct main_frame *m = (struct main_frame *)calloc(1, sizeof *m);
    char buf[64];
    size_t n;
    int base = rt_count_fds(), i;
    (void)st;
    assert_int_equal(rt_run(graceful_main, m), 0);
    assert_int_equal(m->fds_after, m->fds_before + NPEERS); /* only the test's peers are left */
    /* b returned first; the idle one was cancelled at once, slow finished
     * normally; stuck and raw were cancelled when the grace ended. */
    assert_int_equal(strncmp(m->sh.log, "b.ix", 4), 0);
    assert_int_equal(strncmp(m->sh.log + 4, "s.", 2), 0);
    assert_true(strstr(m->sh.log + 6, "Sx") && strstr(m->sh.log + 6, "rx"));
    assert_int_equal(strlen(m->sh.log), 10);
    for (i = 3; i < 5; i++) /* never before the grace is over */
        assert_true(m->sh.finished_at[i] - m->t0 >= (async_time)(GRACE * 1e9));
    assert_int_equal(m->srv.shutdown_cancelled, 3); /* idle, stuck, raw */
    assert_int_equal(m->srv.shutdown_aborted, 1);   /* big's slow reader */
    n = drain_peer(m->peers[P_SLOW], buf, sizeof buf);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "done\n", 5);
    assert_int_equal(drain_peer(m->peers[P_IDLE], NULL, 0), 0);
    assert_int_equal(drain_peer(m->peers[P_STUCK], NULL, 0), 0);
    n = drain_peer(m->peers[P_BIG], NULL, 0); /* some of it arrived, not all */
    assert_true(n < BIG);
    for (i = 0; i < NPEERS; i++) close(m->peers[i]);
    assert_int_equal(rt_count_fds(), base);
    free(m);
}

/* A server with no clients: the shutdown is done at once, and shutting
 * down twice returns the same future. */
struct empty_frame {
    async_frame hdr;
    async_server srv;
    int lfd;
};
static ASYNC_FN(empty_main, struct empty_frame) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 4);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, worker, sizeof(struct worker), NULL), 0);
    assert_ptr_equal(async_server_shutdown(&self->srv, 5, 5), async_server_shutdown(&self->srv, 1, 1));
    assert_true(async_future_done(async_server_shutdown(&self->srv, 5, 5)));
    ASYNC_AWAIT(async_server_shutdown(&self->srv, 5, 5));
    ASYNC_END();
}
static void test_shutdown_without_clients(void **st) {
    struct empty_frame f;
    int base = rt_count_fds();
    (void)st;
    memset(&f, 0, sizeof f);
    assert_int_equal(rt_run(empty_main, &f), 0);
    assert_int_equal(rt_count_fds(), base);
}

/* The loop closes while a shutdown waits out its grace: the stuck client is
 * cancelled and freed by the close, the grace timer stopped, nothing leaks. */
struct abandon_frame {
    async_frame hdr;
    async_server srv;
    struct shared sh;
    async_timer t;
    int lfd, peer, i, fds_before;
};
static ASYNC_FN(abandon_main, struct abandon_frame) {
    ASYNC_BEGIN();
    async_event_init(&self->sh.go);
    self->lfd = async_listen_tcp("127.0.0.1", 0, 4);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, worker, sizeof(struct worker), &self->sh), 0);
    self->peer = peer(async_sock_port(self->lfd), "stuck\n", 0);
    for (self->i = 0; self->i < 500 && self->sh.started < 1; self->i++) ASYNC_SLEEP(&self->t, 0.01);
    assert_int_equal(self->sh.started, 1);
    async_server_shutdown(&self->srv, 30, 30);
    ASYNC_SLEEP(&self->t, 0.01);
    assert_int_equal(self->srv.nclients, 1); /* still in its grace */
    ASYNC_END();                             /* returns without awaiting it */
}
static void test_loop_close_during_shutdown(void **st) {
    struct abandon_frame *m = (struct abandon_frame *)calloc(1, sizeof *m);
    int base = rt_count_fds();
    (void)st;
    assert_int_equal(rt_run(abandon_main, m), 0);
    assert_int_equal(m->srv.nclients, 0);
    assert_string_equal(m->sh.log, "Sx");
    close(m->peer);
    assert_int_equal(rt_count_fds(), base);
    free(m);
}

/* async_client_set_idle on a frame that is not a server's client: a clear misuse. */
static char misuse_msg[160];
static void catch_misuse(const char *msg) { snprintf(misuse_msg, sizeof misuse_msg, "%s", msg); }
static void test_set_idle_misuse(void **st) {
    async_client_frame fake;
    async_stream s;
    (void)st;
    memset(&fake, 0, sizeof fake);
    async_rt_set_misuse_handler(catch_misuse);
    assert_int_equal(async_client_set_idle(&fake, 1), 0);
    assert_non_null(strstr(misuse_msg, "not the frame of a server's client"));
    misuse_msg[0] = 0;
    fake.server = (async_server *)&fake; /* looks filled in, but the stream is not the client's */
    fake.stream = &s;
    assert_int_equal(async_client_set_idle(&fake, 1), 0);
    assert_non_null(strstr(misuse_msg, "not the frame of a server's client"));
    async_rt_set_misuse_handler(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_graceful_shutdown),
        RT_TEST(test_shutdown_without_clients),
        RT_TEST(test_set_idle_misuse),
        RT_TEST(test_loop_close_during_shutdown),
    };
    signal(SIGPIPE, SIG_IGN);
    if (getenv("RT_FILTER")) cmocka_set_test_filter(getenv("RT_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
