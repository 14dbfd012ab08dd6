/* echo.c — TCP echo throughput: 1 KiB messages, 100 connections, loopback.
 * Every server runs in its own process on one loop thread; one client process
 * (this one, a plain epoll loop) keeps each connection in ping-pong and counts
 * round trips for a fixed time. The same client measures every server:
 *   ours-streams  async_start_server + reader/writer (read, write, drain)
 *   ours-raw      async_sock_accept / async_sock_recv / async_sock_sendall tasks
 *   libev-plain   a plain libev callback server (the reference, written here)
 *   asyncio / uvloop / node   bench/peers/echo_server.{py,js}, when installed
 * Target: ours-streams >= 95 % of libev-plain.
 * Also: pipelined line requests (16 per batch: a readline / write / drain
 * loop, as for HTTP or RESP; libev-plain answers a batch with one write), the
 * streams server on 2 loops (async_serve_multi), and the server's RSS with
 * 1000 connections open. */
#define _GNU_SOURCE /* accept4; before bench.h, which includes system headers */
#include "bench.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "async_rt.h"

#define MSG 1024
#define CONNS 100

/* ---------------------------------------------------------------- servers */

/* libev-plain: read what is there, write it back (buffering the rare partial write). */
struct plain_conn { ev_io rw, ww; char buf[65536]; size_t pend, off; };
static void plain_write_cb(struct ev_loop *ev, ev_io *w, int revents);
static void plain_close(struct ev_loop *ev, struct plain_conn *c) {
    ev_io_stop(ev, &c->rw);
    ev_io_stop(ev, &c->ww);
    close(c->rw.fd);
    free(c);
}
static void plain_read_cb(struct ev_loop *ev, ev_io *w, int revents) {
    struct plain_conn *c = (struct plain_conn *)w->data;
    ssize_t n = read(w->fd, c->buf, sizeof c->buf), k;
    (void)revents;
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        plain_close(ev, c);
        return;
    }
    k = write(w->fd, c->buf, (size_t)n);
    if (k < 0) k = 0;
    if (k < n) { /* kernel full: stop reading until flushed */
        c->off = (size_t)k;
        c->pend = (size_t)n;
        ev_io_stop(ev, &c->rw);
        ev_io_start(ev, &c->ww);
    }
}
static void plain_write_cb(struct ev_loop *ev, ev_io *w, int revents) {
    struct plain_conn *c = (struct plain_conn *)w->data;
    ssize_t k = write(w->fd, c->buf + c->off, c->pend - c->off);
    (void)revents;
    if (k < 0) {
        if (errno == EAGAIN) return;
        plain_close(ev, c);
        return;
    }
    c->off += (size_t)k;
    if (c->off == c->pend) {
        ev_io_stop(ev, &c->ww);
        ev_io_start(ev, &c->rw);
    }
}
static void plain_accept_cb(struct ev_loop *ev, ev_io *w, int revents) {
    int fd, one = 1;
    (void)revents;
    while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct plain_conn *c = (struct plain_conn *)malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ev_io_init(&c->rw, plain_read_cb, fd, EV_READ);
        ev_io_init(&c->ww, plain_write_cb, fd, EV_WRITE);
        c->rw.data = c->ww.data = c;
        ev_io_start(ev, &c->rw);
    }
}
static void serve_plain(int lfd) {
    struct ev_loop *ev = ev_loop_new(EVFLAG_AUTO);
    ev_io w;
    ev_io_init(&w, plain_accept_cb, lfd, EV_READ);
    ev_io_start(ev, &w);
    ev_run(ev, 0);
}

/* ours-streams */
struct stream_client { async_client_frame base; char buf[65536]; };
static ASYNC_FN_AT(stream_echo, struct stream_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) break;
        if (async_stream_write(self->base.stream, self->buf, (size_t)ASYNC_VALUE.i)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}
struct stream_main { async_frame hdr; int lfd; async_server srv; async_future forever; };
static ASYNC_FN(stream_main, struct stream_main) {
    ASYNC_BEGIN();
    if (async_start_server(&self->srv, ASYNC_LOOP, self->lfd, stream_echo, sizeof(struct stream_client), NULL)) ASYNC_RAISE(EINVAL);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    ASYNC_END();
}
static void serve_streams(int lfd) {
    struct stream_main m;
    memset(&m, 0, sizeof m);
    m.lfd = lfd;
    async_rt_run(stream_main, &m, NULL);
}

/* ours-lines: a request per line, answered as it is read (pipelining) */
struct line_client { async_client_frame base; char line[256]; };
static ASYNC_FN_AT(line_echo, struct line_client, base.hdr) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
        if (ASYNC_VALUE.i == 0) break;
        if (async_stream_write(self->base.stream, self->line, (size_t)ASYNC_VALUE.i)) break;
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}
struct line_main { async_frame hdr; int lfd; async_server srv; };
static ASYNC_FN(line_main, struct line_main) {
    ASYNC_BEGIN();
    if (async_start_server(&self->srv, ASYNC_LOOP, self->lfd, line_echo, sizeof(struct line_client), NULL)) ASYNC_RAISE(EINVAL);
    ASYNC_AWAIT(async_server_wait_closed(&self->srv));
    ASYNC_END();
}
static void serve_lines(int lfd) {
    struct line_main m;
    memset(&m, 0, sizeof m);
    m.lfd = lfd;
    async_rt_run(line_main, &m, NULL);
}

/* ours-streams on 2 loops: lfd is only bound (SO_REUSEPORT, not listening),
 * holding the port for async_serve_multi's sockets */
static void serve_multi(int lfd) {
    async_multi_config cfg;
    async_multi *m;
    memset(&cfg, 0, sizeof cfg);
    cfg.loops = 2;
    cfg.host = "127.0.0.1";
    cfg.port = async_sock_port(lfd);
    cfg.handler = stream_echo;
    cfg.frame_size = sizeof(struct stream_client);
    if (async_serve_multi(&m, &cfg)) _exit(1); /* the client retries its connects until the loops listen */
    close(lfd);
    for (;;) pause();
}

/* ours-raw: one task per connection on the raw socket API */
struct raw_conn { async_frame hdr; async_task task; async_sockop op; int fd; char buf[65536]; };
static ASYNC_FN(raw_echo, struct raw_conn) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->buf, sizeof self->buf));
        if (ASYNC_VALUE.i == 0) break;
        ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->fd, self->buf, (size_t)ASYNC_VALUE.i));
    }
    ASYNC_FINALLY();
    close(self->fd);
    ASYNC_END();
}
struct raw_main { async_frame hdr; int lfd; async_sockop op; struct raw_conn *c; };
static ASYNC_FN(raw_main, struct raw_main) {
    ASYNC_BEGIN();
    for (;;) {
        ASYNC_AWAIT(async_sock_accept(&self->op, ASYNC_LOOP, self->lfd));
        self->c = (struct raw_conn *)calloc(1, sizeof *self->c); /* lives until the process is killed */
        if (!self->c) ASYNC_RAISE(ENOMEM);
        self->c->fd = (int)ASYNC_VALUE.i;
        {
            int one = 1;
            setsockopt(self->c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        async_task_create(ASYNC_LOOP, &self->c->task, raw_echo, self->c, "conn");
    }
    ASYNC_END();
}
static void serve_raw(int lfd) {
    struct raw_main m;
    memset(&m, 0, sizeof m);
    m.lfd = lfd;
    async_rt_run(raw_main, &m, NULL);
}

/* ----------------------------------------------------------------- client */

struct cconn { int fd; size_t got; };
static char out_msg[MSG];
static size_t g_len = MSG; /* bytes of a request batch (out_msg) */
static long g_per = 1;     /* requests in a batch */

/* Drive CONNS connections in ping-pong for `secs` (after a short warm-up);
 * returns round trips per second, or -1 on error. */
static double run_client(int port, double secs) {
    struct cconn c[CONNS];
    struct epoll_event ev, evs[CONNS];
    struct sockaddr_in sa;
    char in[65536];
    int ep = epoll_create1(EPOLL_CLOEXEC), i;
    long count = 0, counting = 0;
    double t0, t_start = 0, t_end;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < CONNS; i++) {
        int one = 1, tries = 0;
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        while (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            if (++tries > 200) return -1; /* server never came up */
            usleep(10000);
            close(c[i].fd);
            c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        }
        setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        c[i].got = 0;
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        if (write(c[i].fd, out_msg, g_len) != (ssize_t)g_len) return -1;
    }
    t0 = bench_now_ns() / 1e9;
    t_end = t0 + 0.3 + secs;
    for (;;) {
        int n = epoll_wait(ep, evs, CONNS, 1000), k;
        double now = bench_now_ns() / 1e9;
        if (n <= 0) { /* a server that stops answering */
            fprintf(stderr, "echo client: no answer for 1 s (%s)\n", n < 0 ? strerror(errno) : "timeout");
            return -1;
        }
        if (!counting && now >= t0 + 0.3) {
            counting = 1;
            count = 0;
            t_start = now;
        }
        if (now >= t_end) {
            double rate = (double)count / (now - t_start);
            for (i = 0; i < CONNS; i++) close(c[i].fd);
            close(ep);
            return rate;
        }
        for (k = 0; k < n; k++) {
            struct cconn *cc = &c[evs[k].data.u32];
            ssize_t r = read(cc->fd, in, sizeof in);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                fprintf(stderr, "echo client: connection %s\n", r < 0 ? strerror(errno) : "closed by the server");
                return -1;
            }
            if (memcmp(in, out_msg + cc->got % g_len, (size_t)r > g_len - cc->got ? g_len - cc->got : (size_t)r)) bench_fail("echo: wrong bytes echoed");
            cc->got += (size_t)r;
            if (cc->got >= g_len) {
                cc->got -= g_len;
                count += g_per;
                if (write(cc->fd, out_msg, g_len) != (ssize_t)g_len) return -1;
            }
        }
    }
}

static int listen_any(int *port) {
    int fd = async_listen_tcp("127.0.0.1", 0, 1024);
    if (fd < 0) bench_fail("echo: listen");
    *port = async_sock_port(fd);
    return fd;
}

/* Server CPU time (user + system) per request of the last measurement, in ns:
 * less sensitive than req/s to other load on the machine. */
static double g_cpu_ns;

static double cpu_ns_per_req(const struct rusage *ru, double rate, double secs) {
    double cpu = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
                 ru->ru_stime.tv_usec / 1e6;
    return rate > 0 ? cpu * 1e9 / (rate * (secs + 0.3)) : -1; /* warm-up included, as in the CPU time */
}

/* A socket bound to a free loopback port with SO_REUSEPORT, not listening. */
static int bind_shared(int *port) {
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        bench_fail("echo: bind");
    *port = async_sock_port(fd);
    return fd;
}

/* Fork a server process running serve(lfd), measure it, kill it. */
static double measure_ours(void (*serve)(int), double secs) {
    int port, lfd = serve == serve_multi ? bind_shared(&port) : listen_any(&port), st;
    double rate;
    struct rusage ru;
    pid_t pid = fork();
    if (pid == 0) {
        serve(lfd);
        _exit(0);
    }
    close(lfd);
    rate = run_client(port, secs);
    kill(pid, SIGKILL);
    wait4(pid, &st, 0, &ru);
    g_cpu_ns = cpu_ns_per_req(&ru, rate, secs);
    return rate;
}

/* The server's RSS with `conns` connections open, each after one request. */
static long measure_rss(void (*serve)(int), int conns) {
    int port, lfd = listen_any(&port), i, st;
    int *fds = (int *)malloc(sizeof(int) * (size_t)conns);
    struct sockaddr_in sa;
    long rss = -1;
    char path[64], line[256], buf[256];
    FILE *f;
    pid_t pid = fork();
    if (pid == 0) {
        serve(lfd);
        _exit(0);
    }
    close(lfd);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < conns; i++) {
        static const char req[] = "GET /index.html HTTP/1.1 keep-alive\n";
        size_t got = 0;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0 ||
            write(fds[i], req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
            bench_fail("echo rss: connect");
        while (got < sizeof req - 1) {
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0) bench_fail("echo rss: no answer");
            got += (size_t)r;
        }
    }
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) rss = atol(line + 6) * 1024;
    if (f) fclose(f);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    for (i = 0; i < conns; i++) close(fds[i]);
    free(fds);
    return rss;
}

/* A peer server: `argv...` prints its port on the first line of stdout. */
static double measure_peer(const char *const argv[], const char *env, double secs) {
    int pfd[2], st, port = 0;
    double rate;
    char line[32] = {0};
    ssize_t n;
    pid_t pid;
    if (pipe(pfd) < 0) return -1;
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        if (env) putenv((char *)(uintptr_t)env);
        execvp(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(pfd[1]);
    /* the pipe stays open until the end: a peer may write the newline separately */
    n = read(pfd[0], line, sizeof line - 1);
    if (n > 0) port = atoi(line);
    rate = port > 0 ? run_client(port, secs) : -1;
    kill(pid, SIGKILL);
    close(pfd[0]);
    waitpid(pid, &st, 0);
    return rate;
}

/* 16 requests of 32 bytes in one batch */
static void pipeline_msg(void) {
    int i;
    for (i = 0; i < 16; i++) memcpy(out_msg + 32 * i, "GET /plaintext HTTP/1.1 pipe-16\n", 32);
    g_len = 16 * 32;
    g_per = 16;
}

static int have(const char *cmd) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s >/dev/null 2>&1", cmd);
    return system(buf) == 0;
}

int main(void) {
    double secs = bench_quick() ? 0.3 : 1.0, plain, streams, raw, r, plain_cpu, streams_cpu, raw_cpu;
    char note[256];
    const char *target = ">= 95% of libev-plain";
    signal(SIGPIPE, SIG_IGN);
    memset(out_msg, 'e', sizeof out_msg);
    if (getenv("BENCH_ECHO_SERVE")) { /* serve by hand, e.g. to profile: prints the port */
        const char *v = getenv("BENCH_ECHO_SERVE");
        int port, lfd = listen_any(&port);
        printf("%d\n", port);
        fflush(stdout);
        if (!strcmp(v, "plain")) serve_plain(lfd);
        else if (!strcmp(v, "raw")) serve_raw(lfd);
        else if (!strcmp(v, "lines")) serve_lines(lfd);
        else if (!strcmp(v, "multi")) serve_multi(lfd);
        else serve_streams(lfd);
        return 0;
    }
    if (getenv("BENCH_ECHO_RSS")) { /* only the memory figure, by hand */
        int conns = atoi(getenv("BENCH_ECHO_RSS"));
        printf("ours %ld B, libev-plain %ld B at %d connections\n", measure_rss(serve_lines, conns),
               measure_rss(serve_plain, conns), conns);
        return 0;
    }
    if (getenv("BENCH_ECHO_PIPELINE")) pipeline_msg();
    if (getenv("BENCH_ECHO_PORT")) { /* measure a server started by hand */
        printf("%g req/s\n", run_client(atoi(getenv("BENCH_ECHO_PORT")), secs));
        return 0;
    }
    { /* interleaved rounds, median of each: the machine's load drifts */
        double p[5], s[5], w[5], pc[5], sc[5], wc[5];
        int i, rounds = bench_quick() ? 1 : 5;
        for (i = 0; i < rounds; i++) {
            p[i] = measure_ours(serve_plain, secs);
            pc[i] = g_cpu_ns;
            s[i] = measure_ours(serve_streams, secs);
            sc[i] = g_cpu_ns;
            w[i] = measure_ours(serve_raw, secs);
            wc[i] = g_cpu_ns;
            if (p[i] <= 0 || s[i] <= 0 || w[i] <= 0) bench_fail("echo: a server did not answer");
        }
        plain = bench_median(p, rounds);
        streams = bench_median(s, rounds);
        raw = bench_median(w, rounds);
        plain_cpu = bench_median(pc, rounds);
        streams_cpu = bench_median(sc, rounds);
        raw_cpu = bench_median(wc, rounds);
    }
    bench_row("echo 1KiB x100", "ours", streams, "req/s", "higher", target);
    bench_row("echo 1KiB x100 (raw sockets)", "ours", raw, "req/s", "higher", "");
    bench_row("echo 1KiB x100", "libev-plain", plain, "req/s", "higher", "");
    bench_row("echo 1KiB x100 (raw sockets)", "libev-plain", plain, "req/s", "higher", "");
    bench_row("echo server CPU per request", "ours", streams_cpu, "ns", "lower", "");
    bench_row("echo server CPU per request (raw sockets)", "ours", raw_cpu, "ns", "lower", "");
    bench_row("echo server CPU per request", "libev-plain", plain_cpu, "ns", "lower", "");
    snprintf(note, sizeof note,
             "echo: ours-streams = %.1f%% of libev-plain req/s (%.1f%% by server CPU per request), ours-raw = %.1f%% "
             "(%.1f%%); target >= 95%%",
             100 * streams / plain, 100 * plain_cpu / streams_cpu, 100 * raw / plain, 100 * plain_cpu / raw_cpu);
    bench_note(note);
    { /* pipelining: 16 line requests per batch */
        double p[5], s[5], pc[5], sc[5];
        int i, rounds = bench_quick() ? 1 : 3;
        pipeline_msg();
        for (i = 0; i < rounds; i++) {
            p[i] = measure_ours(serve_plain, secs);
            pc[i] = g_cpu_ns;
            s[i] = measure_ours(serve_lines, secs);
            sc[i] = g_cpu_ns;
            if (p[i] <= 0 || s[i] <= 0) bench_fail("echo: a pipelined server did not answer");
        }
        plain = bench_median(p, rounds);
        streams = bench_median(s, rounds);
        plain_cpu = bench_median(pc, rounds);
        streams_cpu = bench_median(sc, rounds);
        bench_row("echo pipelined 16x32B x100", "ours", streams, "req/s", "higher", ">= 0.8x libev-plain (goal 0.95x)");
        bench_row("echo pipelined 16x32B x100", "libev-plain", plain, "req/s", "higher", "");
        bench_row("echo pipelined server CPU per request", "ours", streams_cpu, "ns", "lower", "");
        bench_row("echo pipelined server CPU per request", "libev-plain", plain_cpu, "ns", "lower", "");
        snprintf(note, sizeof note,
                 "echo pipelined (readline/write/drain per request): ours = %.2fx libev-plain req/s, %.2fx by server CPU per request",
                 streams / plain, plain_cpu / streams_cpu);
        bench_note(note);
        g_len = MSG;
        g_per = 1;
        memset(out_msg, 'e', sizeof out_msg);
    }
    { /* several cores: the streams server on 2 loops against 1 */
        double one[5], two[5], oc[5], tc[5];
        int i, rounds = bench_quick() ? 1 : 3;
        for (i = 0; i < rounds; i++) {
            one[i] = measure_ours(serve_streams, secs);
            oc[i] = g_cpu_ns;
            two[i] = measure_ours(serve_multi, secs);
            tc[i] = g_cpu_ns;
            if (one[i] <= 0 || two[i] <= 0) bench_fail("echo: a multi-loop server did not answer");
        }
        bench_row("echo 1KiB x100, 1 loop", "ours", bench_median(one, rounds), "req/s", "higher", "");
        bench_row("echo 1KiB x100, 2 loops", "ours", bench_median(two, rounds), "req/s", "higher",
                  ">= 1.7x 1 loop (with a free core per loop)");
        bench_row("echo server CPU per request, 2 loops", "ours", bench_median(tc, rounds), "ns", "lower", "");
        snprintf(note, sizeof note,
                 "echo 2 loops = %.2fx 1 loop req/s (the load generator shares the %ld cores); server CPU per request %.0f ns vs %.0f ns",
                 bench_median(two, rounds) / bench_median(one, rounds), sysconf(_SC_NPROCESSORS_ONLN),
                 bench_median(tc, rounds), bench_median(oc, rounds));
        bench_note(note);
    }
    { /* memory: 1000 connections open */
        int conns = bench_quick() ? 100 : 1000;
        long ours = measure_rss(serve_lines, conns), plain_rss = measure_rss(serve_plain, conns);
        char wl[64];
        snprintf(wl, sizeof wl, "echo server RSS, %d connections", conns);
        bench_row(wl, "ours", (double)ours, "B", "lower", "<= 1.3x libev-plain");
        bench_row(wl, "libev-plain", (double)plain_rss, "B", "lower", "");
    }
    if (have("python3 -c 'import asyncio'")) {
        static const char *const argv[] = {"python3", "bench/peers/echo_server.py", NULL};
        r = measure_peer(argv, "BENCH_LOOP=asyncio", secs);
        if (r > 0) bench_row("echo 1KiB x100", "asyncio", r, "req/s", "higher", "");
        if (have("python3 -c 'import uvloop'")) {
            r = measure_peer(argv, "BENCH_LOOP=uvloop", secs);
            if (r > 0) bench_row("echo 1KiB x100", "uvloop", r, "req/s", "higher", "");
        }
    }
    if (have("node --version")) {
        static const char *const argv[] = {"node", "bench/peers/echo_server.js", NULL};
        r = measure_peer(argv, NULL, secs);
        if (r > 0) bench_row("echo 1KiB x100", "node", r, "req/s", "higher", "");
    }
    return 0;
}
