/* servers.c — the example servers under real load generators, against raw
 * libev servers written here, in the same run:
 *   http keep-alive / http pipelined x16   wrk (a Lua script pipelines 16 requests)
 *     ours          examples/http_server (streams API, the way the tutorial teaches)
 *     libev-plain   parse what was read, answer every complete request, one write
 *   resp SET+GET / resp pipelined x16      redis-benchmark (-P 16)
 *     ours          examples/resp_server
 *     libev-plain   the same loop for RESP2 multibulk
 * Each server runs in its own process on one thread; requests per second.
 * Targets (issue 10): pipelined >= 0.8x libev-plain; not pipelined: parity. */
#define _GNU_SOURCE /* accept4, before bench.h */
#include "bench.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ev.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "build/examples"
#endif

/* ------------------------------------------------- the raw libev servers */
struct rconn {
    ev_io rw, ww;
    int fd, resp;
    char *in, *out;
    size_t inlen, incap, outlen, outoff, outcap;
};

static char *store_val;
static size_t store_len;

static void out_add(struct rconn *c, const char *p, size_t n) {
    if (c->outlen + n > c->outcap) {
        while (c->outlen + n > c->outcap) c->outcap = c->outcap ? c->outcap * 2 : 16384;
        c->out = (char *)realloc(c->out, c->outcap);
        if (!c->out) abort();
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

static void rconn_free(struct ev_loop *ev, struct rconn *c) {
    ev_io_stop(ev, &c->rw);
    ev_io_stop(ev, &c->ww);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static const char hello[] = "HTTP/1.1 200 OK\r\nServer: libev\r\nContent-Type: text/plain\r\n"
                            "Content-Length: 13\r\n\r\nHello, World!";

/* Complete requests at the front of the buffer: answered; returns bytes used, -1 on bad input. */
static long http_parse(struct rconn *c) {
    size_t used = 0;
    for (;;) {
        char *end = (char *)memmem(c->in + used, c->inlen - used, "\r\n\r\n", 4);
        if (!end) return c->inlen - used > 8192 ? -1 : (long)used;
        out_add(c, hello, sizeof hello - 1);
        used = (size_t)(end - c->in) + 4;
    }
}

/* One RESP2 multibulk command: its length, 0 if incomplete, -1 if bad. */
static long resp_one(struct rconn *c, size_t at) {
    char *p = c->in + at, *end = c->in + c->inlen, *e;
    const char *arg[4];
    long n, i, len[4];
    if (p == end) return 0;
    if (*p != '*') return -1;
    n = strtol(p + 1, &e, 10);
    if (n < 1 || n > 4) return -1;
    if (!(p = (char *)memchr(p, '\n', (size_t)(end - p)))) return 0;
    p++;
    for (i = 0; i < n; i++) {
        if (p >= end) return 0;
        if (*p != '$') return -1;
        len[i] = strtol(p + 1, &e, 10);
        if (!(p = (char *)memchr(p, '\n', (size_t)(end - p)))) return 0;
        p++;
        if (end - p < len[i] + 2) return 0;
        arg[i] = p;
        p += len[i] + 2;
    }
    if (len[0] == 3 && !strncasecmp(arg[0], "SET", 3) && n == 3) {
        free(store_val);
        store_val = (char *)malloc((size_t)len[2] + 1);
        memcpy(store_val, arg[2], (size_t)len[2]);
        store_len = (size_t)len[2];
        out_add(c, "+OK\r\n", 5);
    } else if (len[0] == 3 && !strncasecmp(arg[0], "GET", 3) && n == 2) {
        char hdr[32];
        if (!store_val) out_add(c, "$-1\r\n", 5);
        else {
            out_add(c, hdr, (size_t)snprintf(hdr, sizeof hdr, "$%zu\r\n", store_len));
            out_add(c, store_val, store_len);
            out_add(c, "\r\n", 2);
        }
    } else if (len[0] == 4 && !strncasecmp(arg[0], "PING", 4)) {
        out_add(c, "+PONG\r\n", 7);
    } else {
        out_add(c, "*0\r\n", 4); /* CONFIG GET and the like */
    }
    return p - (c->in + at);
}
static long resp_parse(struct rconn *c) {
    size_t used = 0;
    for (;;) {
        long k = resp_one(c, used);
        if (k < 0) return -1;
        if (k == 0) return (long)used;
        used += (size_t)k;
    }
}

static void rconn_flush(struct ev_loop *ev, struct rconn *c) {
    while (c->outoff < c->outlen) {
        ssize_t k = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN) break;
            rconn_free(ev, c);
            return;
        }
        c->outoff += (size_t)k;
    }
    if (c->outoff == c->outlen) {
        c->outoff = c->outlen = 0;
        ev_io_stop(ev, &c->ww);
        ev_io_start(ev, &c->rw);
    } else { /* backpressure: stop reading until the output has gone */
        ev_io_stop(ev, &c->rw);
        ev_io_start(ev, &c->ww);
    }
}

static void rconn_write_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)revents;
    rconn_flush(ev, (struct rconn *)w->data);
}

static void rconn_read_cb(struct ev_loop *ev, ev_io *w, int revents) {
    struct rconn *c = (struct rconn *)w->data;
    ssize_t n;
    long used;
    (void)revents;
    if (c->incap - c->inlen < 4096) {
        c->incap = c->incap ? c->incap * 2 : 16384;
        c->in = (char *)realloc(c->in, c->incap);
        if (!c->in) abort();
    }
    n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        rconn_free(ev, c);
        return;
    }
    c->inlen += (size_t)n;
    used = c->resp ? resp_parse(c) : http_parse(c);
    if (used < 0) {
        rconn_free(ev, c);
        return;
    }
    memmove(c->in, c->in + used, c->inlen - (size_t)used);
    c->inlen -= (size_t)used;
    if (c->outlen) rconn_flush(ev, c);
}

static int raw_resp;
static void raw_accept_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        struct rconn *c;
        if (fd < 0) return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = (struct rconn *)calloc(1, sizeof *c);
        c->fd = fd;
        c->resp = raw_resp;
        ev_io_init(&c->rw, rconn_read_cb, fd, EV_READ);
        ev_io_init(&c->ww, rconn_write_cb, fd, EV_WRITE);
        c->rw.data = c->ww.data = c;
        ev_io_start(ev, &c->rw);
    }
}

static void raw_stop_cb(struct ev_loop *ev, ev_signal *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(ev, EVBREAK_ALL);
}

static int raw_server(int resp) {
    struct ev_loop *ev = ev_loop_new(EVFLAG_AUTO);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    ev_io acc;
    ev_signal term;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    raw_resp = resp;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024)) return 1;
    getsockname(fd, (struct sockaddr *)&a, &al);
    printf("listening on 127.0.0.1 port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    ev_io_init(&acc, raw_accept_cb, fd, EV_READ);
    ev_io_start(ev, &acc);
    ev_signal_init(&term, raw_stop_cb, SIGTERM);
    ev_signal_start(ev, &term);
    ev_run(ev, 0);
    return 0;
}

/* ------------------------------------------------------------ the driver */
struct server { pid_t pid; int port; };

/* A failing run (bench_fail exits) must not leave a server behind. */
static pid_t running = -1;
static void kill_running(void) {
    if (running > 0) kill(running, SIGKILL);
}

static int start_server(struct server *s, const char *what) {
    int p[2];
    char line[128], *num;
    FILE *f;
    if (pipe(p)) return -1;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (!strcmp(what, "raw-http")) _exit(raw_server(0));
        if (!strcmp(what, "raw-resp")) _exit(raw_server(1));
        execl(what, what, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    running = s->pid;
    f = fdopen(p[0], "r");
    if (!f || !fgets(line, sizeof line, f)) return -1;
    fclose(f);
    num = line + strlen(line);
    while (num > line && (num[-1] < '0' || num[-1] > '9')) num--;
    while (num > line && num[-1] >= '0' && num[-1] <= '9') num--;
    s->port = atoi(num);
    return s->port > 0 ? 0 : -1;
}

static int stop_server(struct server *s) {
    int st = 0;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &st, 0);
    running = -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The last number after `key` in a command's output, or -1. */
static double run_and_find(const char *cmd, const char *key) {
    FILE *p = popen(cmd, "r");
    char line[1024];
    double v = -1;
    if (!p) return -1;
    while (fgets(line, sizeof line, p)) {
        char *k = strstr(line, key);
        if (k) v = atof(k + strlen(key));
    }
    if (pclose(p) != 0) return -1;
    return v;
}

static int have(const char *tool) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static const char *lua_path = "/tmp/async-bench-pipeline.lua";
static void write_lua(void) {
    FILE *f = fopen(lua_path, "w");
    if (!f) bench_fail("cannot write the wrk script");
    fprintf(f, "init = function(args)\n  local r = {}\n  for i = 1, 16 do r[i] = wrk.format(nil, \"/\") end\n"
               "  req = table.concat(r)\nend\nrequest = function() return req end\n");
    fclose(f);
}

static void http_rows(void) {
    const char *servers[2] = {EXAMPLES_DIR "/http_server", "raw-http"}, *who[2] = {"ours", "libev-plain"};
    int i, secs = bench_quick() ? 1 : 3;
    char cmd[512];
    write_lua();
    for (i = 0; i < 2; i++) {
        struct server s;
        double plain, piped;
        if (start_server(&s, servers[i])) bench_fail("http server did not start");
        snprintf(cmd, sizeof cmd, "wrk -t1 -c50 -d%ds http://127.0.0.1:%d/ 2>&1", secs, s.port);
        plain = run_and_find(cmd, "Requests/sec:");
        snprintf(cmd, sizeof cmd, "wrk -t1 -c50 -d%ds -s %s http://127.0.0.1:%d/ 2>&1", secs, lua_path, s.port);
        piped = run_and_find(cmd, "Requests/sec:");
        if (stop_server(&s)) bench_fail("http server: no clean exit on SIGTERM");
        if (plain <= 0 || piped <= 0) bench_fail("wrk failed");
        bench_row("http keep-alive c=50", who[i], plain, "req/s", "higher", "parity with libev-plain");
        bench_row("http pipelined x16 c=50", who[i], piped, "req/s", "higher", ">= 0.8x libev-plain (goal 0.95x)");
    }
    unlink(lua_path);
}

static void resp_rows(void) {
    const char *servers[2] = {EXAMPLES_DIR "/resp_server", "raw-resp"}, *who[2] = {"ours", "libev-plain"};
    int i, n = bench_quick() ? 20000 : 100000;
    char cmd[512];
    for (i = 0; i < 2; i++) {
        struct server s;
        double set, get, pset, pget;
        if (start_server(&s, servers[i])) bench_fail("resp server did not start");
        snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -c 50 -n %d -t set -q --csv 2>/dev/null | tail -1 | tr -d '\"' | sed 's/^/x,/'", s.port, n);
        set = run_and_find(cmd, "x,SET,");
        snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -c 50 -n %d -t get -q --csv 2>/dev/null | tail -1 | tr -d '\"' | sed 's/^/x,/'", s.port, n);
        get = run_and_find(cmd, "x,GET,");
        snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -c 50 -n %d -P 16 -t set -q --csv 2>/dev/null | tail -1 | tr -d '\"' | sed 's/^/x,/'", s.port, n * 4);
        pset = run_and_find(cmd, "x,SET,");
        snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -c 50 -n %d -P 16 -t get -q --csv 2>/dev/null | tail -1 | tr -d '\"' | sed 's/^/x,/'", s.port, n * 4);
        pget = run_and_find(cmd, "x,GET,");
        if (stop_server(&s)) bench_fail("resp server: no clean exit on SIGTERM");
        if (set <= 0 || get <= 0 || pset <= 0 || pget <= 0) bench_fail("redis-benchmark failed");
        bench_row("resp SET c=50", who[i], set, "req/s", "higher", "parity with libev-plain");
        bench_row("resp GET c=50", who[i], get, "req/s", "higher", "parity with libev-plain");
        bench_row("resp SET pipelined x16", who[i], pset, "req/s", "higher", ">= 0.8x libev-plain (goal 0.95x)");
        bench_row("resp GET pipelined x16", who[i], pget, "req/s", "higher", ">= 0.8x libev-plain (goal 0.95x)");
    }
}

int main(int argc, char **argv) {
    int any = 0;
    if (argc > 1 && !strcmp(argv[1], "--raw-http")) return raw_server(0);
    if (argc > 1 && !strcmp(argv[1], "--raw-resp")) return raw_server(1);
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_running);
    if (have("wrk")) {
        http_rows();
        any = 1;
    } else
        bench_note("wrk not installed: no HTTP rows (apt-get install wrk)");
    if (have("redis-benchmark")) {
        resp_rows();
        any = 1;
    } else
        bench_note("redis-benchmark not installed: no RESP rows (apt-get install redis-tools)");
    if (!any) bench_row("servers (no load generator)", "ours", 0, "req/s", "higher", "install wrk, redis-tools");
    return 0;
}
