/* http_server.c — an HTTP/1.1 server on the streams API: keep-alive,
 * pipelining (requests already buffered are answered without a trip to the
 * kernel), bounded request heads (431), a 400 on malformed input, an idle
 * timeout, and a graceful shutdown on SIGTERM or SIGINT.
 *   http_server [-p port] [-i idle_seconds] [-g grace_seconds]
 * It prints the URL it listens on (port 0, the default, picks a free one),
 * serves "Hello, World!" at / until a signal, then stops accepting, lets
 * requests in flight finish, and exits 0.
 *   curl http://127.0.0.1:PORT/ */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "src/async_rt.h"

#define MAX_HEAD 8192          /* request line and headers together */
#define MAX_BODY (1 << 20)     /* request bodies are read and discarded */

static double idle_s = 10, grace_s = 5;
static unsigned long requests, bad_requests;

static const char hello[] = "HTTP/1.1 200 OK\r\nServer: async.h\r\nContent-Type: text/plain\r\n"
                            "Content-Length: 13\r\n\r\nHello, World!";

/* One connection: a keep-alive loop of requests. The lines are parsed in
 * place, in the stream's buffer (views): the frame holds no line buffer. */
struct conn {
    async_client_frame base;
    async_timeout idle;
    async_future *f;
    int err, timed;
    size_t head;           /* bytes of this request's head so far */
    long body;             /* Content-Length */
    int keep, get, head_only, status;
    char path[256];
    char sink[512];        /* a body is read into it and dropped */
};

/* The request line (with its newline): 0, or the status to answer with. */
static int parse_request_line(struct conn *c, const char *line, size_t n) {
    const char *end = line + n, *sp1, *sp2, *ver;
    if (n < 2 || end[-1] != '\n') return 400;
    end -= end[-2] == '\r' ? 2 : 1;
    sp1 = (const char *)memchr(line, ' ', (size_t)(end - line));
    sp2 = sp1 ? (const char *)memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || (size_t)(sp2 - sp1 - 1) >= sizeof c->path) return 400;
    ver = sp2 + 1;
    if (end - ver != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1')) return 400;
    c->keep = ver[7] == '1';
    memcpy(c->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    c->path[sp2 - sp1 - 1] = 0;
    c->get = (sp1 - line == 3 && memcmp(line, "GET", 3) == 0);
    c->head_only = (sp1 - line == 4 && memcmp(line, "HEAD", 4) == 0);
    return 0;
}

static int is_token(const char *p, size_t n, const char *word) {
    return n == strlen(word) && strncasecmp(p, word, n) == 0;
}

/* One header line (without its line end): 0, or the status to answer with. */
static int parse_header(struct conn *c, const char *h, size_t n) {
    const char *colon = (const char *)memchr(h, ':', n), *v, *end = h + n;
    size_t klen;
    if (!colon || colon == h) return 400;
    klen = (size_t)(colon - h);
    for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++) {}
    if (is_token(h, klen, "Connection")) {
        if (is_token(v, (size_t)(end - v), "close")) c->keep = 0;
        else if (is_token(v, (size_t)(end - v), "keep-alive")) c->keep = 1;
    } else if (is_token(h, klen, "Content-Length")) {
        if (v == end) return 400;
        for (c->body = 0; v < end; v++) {
            if (*v < '0' || *v > '9') return 400;
            c->body = c->body * 10 + (*v - '0');
            if (c->body > MAX_BODY) return 413;
        }
    } else if (is_token(h, klen, "Transfer-Encoding")) {
        return 501;
    }
    return 0;
}

static void answer_error(struct conn *c, int status) {
    const char *reason = status == 400 ? "Bad Request" : status == 413 ? "Content Too Large"
                       : status == 431 ? "Request Header Fields Too Large" : "Not Implemented";
    char buf[160];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                     status, reason);
    bad_requests++;
    async_stream_write(c->base.stream, buf, (size_t)n);
}

static ASYNC_FN_AT(conn_handler, struct conn, base.hdr) {
    ASYNC_BEGIN();
    self->base.stream->limit = MAX_HEAD; /* a longer line: ASYNC_RT_ELIMIT, a 431 */
    for (;;) {
        /* Idle between requests: a graceful shutdown may cancel us here. */
        if (async_client_set_idle(&self->base, 1)) break;
        self->head = 0;
        self->body = 0;
        self->status = 0;
        /* The request line: at once if it is buffered (pipelining), else
         * wait at most idle_s seconds (a timeout scope, armed only then). */
        self->f = async_stream_readline_view(self->base.stream);
        self->timed = !async_future_done(self->f);
        if (self->timed) async_timeout_after(&self->idle, ASYNC_TASK, async_seconds(idle_s));
        ASYNC_AWAIT_CATCH(self->f, self->err);
        if (self->timed) self->err = async_timeout_exit(&self->idle, self->err);
        if (self->err == ASYNC_ETIMEOUT) break;     /* idle too long: close */
        if (self->err == ASYNC_RT_ELIMIT) self->status = 431;
        else if (self->err) ASYNC_RAISE(self->err); /* cancelled (shutdown), reset */
        else if (ASYNC_VALUE.i == 0) break;         /* the client closed the connection */
        async_client_set_idle(&self->base, 0);
        if (!self->status) {
            self->head = (size_t)ASYNC_VALUE.i;
            self->status = parse_request_line(self, async_stream_view(self->base.stream), (size_t)ASYNC_VALUE.i);
        }
        /* The headers, up to the empty line. */
        while (!self->status) {
            ASYNC_AWAIT_CATCH(async_stream_readline_view(self->base.stream), self->err);
            if (self->err == ASYNC_RT_ELIMIT) {
                self->status = 431;
                break;
            }
            if (self->err) ASYNC_RAISE(self->err);
            { /* the line, in the stream's buffer until the next read */
                const char *h = async_stream_view(self->base.stream);
                size_t n = (size_t)ASYNC_VALUE.i;
                if (n == 0 || h[n - 1] != '\n') ASYNC_RETURN(async_none()); /* gone */
                self->head += n;
                n -= n >= 2 && h[n - 2] == '\r' ? 2 : 1;
                if (self->head > MAX_HEAD) self->status = 431;
                else if (n == 0) break; /* the empty line: the head is complete */
                else self->status = parse_header(self, h, n);
            }
        }
        if (self->status) {
            answer_error(self, self->status);
            break; /* the server flushes the answer, then closes */
        }
        /* A body is read and dropped, in pieces. */
        while (self->body > 0) {
            ASYNC_AWAIT_CATCH(async_stream_readexactly(self->base.stream, self->sink,
                                                       self->body < (long)sizeof self->sink ? (size_t)self->body
                                                                                            : sizeof self->sink),
                              self->err);
            if (self->err) ASYNC_RETURN(async_none()); /* the client vanished mid-body */
            self->body -= ASYNC_VALUE.i;
        }
        requests++;
        if (!self->get && !self->head_only) {
            static const char r405[] = "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n";
            async_stream_write(self->base.stream, r405, sizeof r405 - 1);
        } else if (strcmp(self->path, "/") == 0) {
            async_stream_write(self->base.stream, hello, sizeof hello - 1 - (self->head_only ? 13 : 0));
        } else {
            static const char r404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
            async_stream_write(self->base.stream, r404, sizeof r404 - 1 - (self->head_only ? 10 : 0));
        }
        if (!self->keep) break;
        /* Backpressure: a client that sends requests but does not read the
         * answers is not allowed to fill our memory. */
        ASYNC_AWAIT(async_stream_drain(self->base.stream));
    }
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_server srv;
    async_signal term, intr;
    async_event stop;
    async_wait_op op;
    int port, lfd;
};

static void on_signal(int signum, void *arg) {
    (void)signum;
    async_event_set((async_event *)arg);
}

static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", self->port, 1024);
    if (self->lfd < 0) {
        fprintf(stderr, "listen: %s\n", async_rt_strerror(-self->lfd));
        ASYNC_RAISE(-self->lfd);
    }
    if (async_start_server(&self->srv, ASYNC_LOOP, self->lfd, conn_handler, sizeof(struct conn), NULL))
        ASYNC_RAISE(ASYNC_RT_ECLOSED);
    async_event_init(&self->stop);
    async_add_signal_handler(ASYNC_LOOP, &self->term, SIGTERM, on_signal, &self->stop);
    async_add_signal_handler(ASYNC_LOOP, &self->intr, SIGINT, on_signal, &self->stop);
    printf("listening on http://127.0.0.1:%d/\n", async_sock_port(self->lfd));
    fflush(stdout);

    ASYNC_EVENT_WAIT(&self->op, &self->stop);
    printf("shutting down: %lu connections open\n", self->srv.nclients);
    ASYNC_AWAIT(async_server_shutdown(&self->srv, grace_s, 1.0));
    printf("served %lu requests (%lu refused) on %lu connections; %lu cancelled at shutdown\n", requests,
           bad_requests, self->srv.accepted, self->srv.shutdown_cancelled);
    async_remove_signal_handler(&self->term);
    async_remove_signal_handler(&self->intr);
    ASYNC_END();
}

int main(int argc, char **argv) {
    struct main_frame mf;
    int i, err;
    memset(&mf, 0, sizeof mf);
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-p") == 0) mf.port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-i") == 0) idle_s = atof(argv[i + 1]);
        else if (strcmp(argv[i], "-g") == 0) grace_s = atof(argv[i + 1]);
    }
    err = async_rt_run(main_co, &mf, NULL);
    if (err) fprintf(stderr, "http_server: %s\n", async_rt_strerror(err));
    return err ? 1 : 0;
}
