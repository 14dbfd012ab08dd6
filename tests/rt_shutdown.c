/* rt_shutdown.c — streams and servers under cancellation and shutdown:
 * asyncio.run-style shutdown with connection handlers blocked in drain (every
 * client freed, every fd closed, the listener too), and a stream scenario
 * (connect, write, drain, readline, close) cancelled after k loop iterations
 * for every k until it completes, with fds and memory checked each time. */
#include "rt_common.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char blob[65536];

/* Writes until the peer, which never reads, makes it block in drain. */
struct flood_client {
    async_client_frame base;
};
static ASYNC_FN_AT(flood_handler, struct flood_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        if (async_stream_write(self->base.stream, blob, sizeof blob)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}

#define NCLIENTS 20
struct flood_main {
    async_frame hdr;
    async_server srv;
    async_timer t;
    int lfd, i, peers[NCLIENTS];
};
static ASYNC_FN(flood_main, struct flood_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 64);
    assert_true(self->lfd >= 0);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, flood_handler, sizeof(struct flood_client), NULL), 0);
    for (self->i = 0; self->i < NCLIENTS; self->i++) {
        struct sockaddr_in a;
        int rcv = 4096;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((unsigned short)async_sock_port(self->lfd));
        self->peers[self->i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(self->peers[self->i] >= 0);
        setsockopt(self->peers[self->i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        assert_int_equal(connect(self->peers[self->i], (struct sockaddr *)&a, sizeof a), 0); /* the backlog takes it */
    }
    /* until every handler is parked in drain (bounded) */
    for (self->i = 0; self->i < 500; self->i++) {
        ASYNC_SLEEP(&self->t, 0.01);
        if (self->srv.nclients == NCLIENTS) break;
    }
    assert_int_equal(self->srv.nclients, NCLIENTS);
    ASYNC_SLEEP(&self->t, 0.05); /* let the writers fill the kernel buffers */
    ASYNC_END(); /* returns with the server open and its handlers blocked */
}
static void test_shutdown_clients_in_drain(void **st) {
    struct flood_main *m = (struct flood_main *)calloc(1, sizeof *m);
    int base = rt_count_fds(), i;
    (void)st;
    assert_int_equal(rt_run(flood_main, m), 0);
    assert_int_equal(m->srv.nclients, 0);            /* every client freed */
    assert_int_equal(fcntl(m->lfd, F_GETFD), -1);    /* the listener closed */
    assert_int_equal(rt_count_fds(), base + NCLIENTS);  /* only our peers are left */
    for (i = 0; i < NCLIENTS; i++) close(m->peers[i]);
    assert_int_equal(rt_count_fds(), base);
    free(m);
}

/* The scenario: connect, write more than the kernel takes, drain, readline
 * the reply, write more, close and wait until flushed. The server's handler
 * reads to the newline, replies, then reads to EOF. */
#define SCEN_BYTES 200000
struct reply_client {
    async_client_frame base;
    char buf[4096];
};
static ASYNC_FN_AT(reply_handler, struct reply_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) ASYNC_RETURN(async_none());
        if (self->buf[ASYNC_VALUE.i - 1] == '\n') break;
    }
    /* the reply in two parts, a few iterations apart: the client's readline waits */
    if (async_stream_write(self->base.stream, "po", 2)) ASYNC_RETURN(async_none());
    ASYNC_AWAIT(async_stream_drain(self->base.stream));
    ASYNC_SLEEP0();
    ASYNC_SLEEP0();
    ASYNC_SLEEP0();
    if (async_stream_write(self->base.stream, "ng\n", 3)) ASYNC_RETURN(async_none());
    ASYNC_AWAIT(async_stream_drain(self->base.stream));
    for (;;) {
        ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) break;
    }
    ASYNC_END();
}

struct scen {
    async_frame hdr;
    const char *port;
    async_connect c;
    async_stream s;
    char *out;
    char line[16];
    int stage, i;
};
static ASYNC_FN(scen_co, struct scen) {
    ASYNC_BEGIN();
    if (self->port[0] == '/') ASYNC_AWAIT(async_open_unix_connection(&self->c, ASYNC_LOOP, &self->s, self->port, 2.0));
    else ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "127.0.0.1", self->port, 2.0));
    self->stage = 1;
    {
        int snd = 4096;
        setsockopt(self->s.fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    }
    async_stream_set_write_limits(&self->s, 0, 0);
    self->out = (char *)malloc(SCEN_BYTES);
    assert_non_null(self->out);
    memset(self->out, 'x', SCEN_BYTES - 1);
    self->out[SCEN_BYTES - 1] = '\n';
    assert_int_equal(async_stream_write(&self->s, self->out, SCEN_BYTES), 0);
    ASYNC_AWAIT(async_stream_drain(&self->s));
    self->stage = 2;
    ASYNC_AWAIT(async_stream_readline(&self->s, self->line, sizeof self->line));
    assert_int_equal(ASYNC_VALUE.i, 5);
    assert_memory_equal(self->line, "pong\n", 5);
    self->stage = 3;
    assert_int_equal(async_stream_write(&self->s, self->out, SCEN_BYTES), 0);
    async_stream_close(&self->s); /* flushing: wait_closed waits */
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    self->stage = 4;
    ASYNC_FINALLY();
    free(self->out); /* the stream copied what it could not send */
    async_stream_destroy(&self->s); /* also after a cancel: closes what is open */
    ASYNC_END();
}

struct every_main {
    async_frame hdr;
    async_server srv;
    async_task task;
    struct scen sc;
    async_timer t;
    char port[64];
    int k, i, err, base, stages[5];
};
static ASYNC_FN(every_main, struct every_main) {
    ASYNC_BEGIN();
    {
        /* Unix by default; RT_SCEN_TCP=1 goes through the resolver (thread pool) */
        int lfd;
        if (getenv("RT_SCEN_TCP")) {
            lfd = async_listen_tcp("127.0.0.1", 0, 16);
            assert_true(lfd >= 0);
            snprintf(self->port, sizeof self->port, "%d", async_sock_port(lfd));
        } else {
            snprintf(self->port, sizeof self->port, "/tmp/rt_shutdown_%d.sock", (int)getpid());
            lfd = async_listen_unix(self->port, 16);
            assert_true(lfd >= 0);
        }
        assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, lfd, reply_handler, sizeof(struct reply_client), NULL), 0);
    }
    self->base = rt_count_fds();
    for (self->k = 0; self->k < 100000; self->k++) {
        memset(&self->sc, 0, sizeof self->sc);
        self->sc.port = self->port;
        async_task_create(ASYNC_LOOP, &self->task, scen_co, &self->sc, "scenario");
        for (self->i = 0; self->i < self->k && !async_future_done(&self->task.fut); self->i++) ASYNC_SLEEP0();
        async_task_cancel(&self->task);
        ASYNC_AWAIT_CATCH(&self->task.fut, self->err);
        self->stages[self->sc.stage]++;
        if (self->err == 0) assert_int_equal(self->sc.stage, 4);
        else assert_int_equal(self->err, ASYNC_ECANCELLED);
        /* the server's side sees our close (or reset) and finishes */
        for (self->i = 0; self->i < 400 && self->srv.nclients; self->i++) ASYNC_SLEEP(&self->t, 0.005);
        /* a resolver job cut short still runs on its worker (getaddrinfo's own sockets) */
        for (self->i = 0; self->i < 400 && rt_count_fds() != self->base; self->i++) ASYNC_SLEEP(&self->t, 0.005);
        if (getenv("RT_VERBOSE") && rt_count_fds() != self->base)
            fprintf(stderr, "k=%d stage %d err %d: fds %d, expected %d\n", self->k, self->sc.stage, self->err,
                    rt_count_fds(), self->base);
        assert_int_equal(self->srv.nclients, 0);
        assert_int_equal(rt_count_fds(), self->base);
        if (self->err == 0) break; /* k was enough to complete it */
    }
    if (getenv("RT_VERBOSE"))
        fprintf(stderr, "k=%d stages %d %d %d %d %d\n", self->k, self->stages[0], self->stages[1], self->stages[2],
                self->stages[3], self->stages[4]);
    /* every await point was cut at least once */
    assert_true(self->stages[0] > 0 && self->stages[1] > 0 && self->stages[2] > 0 && self->stages[3] > 0);
    assert_int_equal(self->stages[4], 1);
    async_server_close(&self->srv);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    if (self->port[0] == '/') unlink(self->port);
    ASYNC_END();
}
static void test_cancel_every_await(void **st) {
    struct every_main *m = (struct every_main *)calloc(1, sizeof *m);
    int base = rt_count_fds();
    (void)st;
    assert_int_equal(rt_run(every_main, m), 0);
    assert_int_equal(rt_count_fds(), base);
    free(m);
}

/* Closing a loop that nobody shut down (no async_run): the server's live
 * handler is cancelled and freed, a stream still flushing towards its close
 * is closed, an open one is detached and closed by its destroy. */
struct idle_client {
    async_client_frame base;
    char buf[64];
};
static ASYNC_FN_AT(idle_handler, struct idle_client, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
    ASYNC_END();
}
struct wait_frame { async_frame hdr; async_server *srv; async_timer t; int i; };
static ASYNC_FN(wait_client, struct wait_frame) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 500 && self->srv->nclients == 0; self->i++) ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_END();
}
static void test_loop_close_without_run(void **st) {
    async_loop loop;
    async_server srv;
    async_stream flushing, open;
    async_task t;
    struct wait_frame wf;
    int base = rt_count_fds(), lfd, peer, sv[2], sv2[2], snd = 4096;
    struct sockaddr_in a;
    (void)st;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    lfd = async_listen_tcp("127.0.0.1", 0, 4);
    assert_true(lfd >= 0);
    assert_int_equal(async_start_server(&srv, &loop, lfd, idle_handler, sizeof(struct idle_client), NULL), 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)async_sock_port(lfd));
    peer = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(peer, (struct sockaddr *)&a, sizeof a), 0);
    /* a stream whose peer never reads, closed with output still buffered */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    assert_int_equal(async_stream_open_fd(&flushing, &loop, sv[0]), 0);
    assert_int_equal(async_stream_write(&flushing, blob, sizeof blob), 0);
    assert_true(async_stream_write_buffered(&flushing) > 0);
    async_stream_close(&flushing);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    assert_int_equal(async_stream_open_fd(&open, &loop, sv2[0]), 0);
    memset(&t, 0, sizeof t);
    memset(&wf, 0, sizeof wf);
    wf.srv = &srv;
    alarm(20);
    assert_int_equal(async_task_create(&loop, &t, wait_client, &wf, "wait"), 0);
    assert_int_equal(async_loop_run_until_complete(&loop, &t.fut), 0);
    alarm(0);
    assert_int_equal(srv.nclients, 1);
    async_rt_loop_close(&loop); /* the handler is still parked in its read */
    assert_int_equal(srv.nclients, 0);
    assert_int_equal(fcntl(lfd, F_GETFD), -1);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1); /* the flushing stream: closed */
    assert_true(fcntl(sv2[0], F_GETFD) >= 0);    /* the open one: its owner's */
    async_stream_destroy(&flushing);
    async_stream_destroy(&open);
    assert_int_equal(fcntl(sv2[0], F_GETFD), -1);
    close(peer);
    close(sv[1]);
    close(sv2[1]);
    assert_int_equal(rt_count_fds(), base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_shutdown_clients_in_drain),
        RT_TEST(test_cancel_every_await),
        RT_TEST(test_loop_close_without_run),
    };
    if (getenv("RT_FILTER")) cmocka_set_test_filter(getenv("RT_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
