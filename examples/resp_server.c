/* resp_server.c — a Redis-protocol (RESP2) server on the streams API: PING,
 * ECHO, SET, GET, DEL, QUIT (and an empty COMMAND reply for redis-cli), in
 * multibulk form ("*3\r\n$3\r\nSET\r\n...") and inline form ("PING\r\n").
 * Every size is bounded: arguments per command, bytes per argument, keys and
 * bytes in the store; bad input gets "-ERR Protocol error" and the
 * connection is closed. Pipelined commands are answered from the buffer.
 * SIGTERM or SIGINT shut it down gracefully.
 *   resp_server [-p port]      then: redis-cli -p PORT ping */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "src/async_rt.h"

#define MAX_ARGS 16
#define MAX_LINE 1024              /* an inline command, a "*n" or "$n" line */
#define MAX_ARG (512 * 1024)       /* one bulk argument */
#define MAX_KEYS 1000000
#define MAX_STORE (256L << 20)     /* bytes of keys and values */

/* ------------------------------------------------------------ the store */
typedef struct entry {
    struct entry *next;
    size_t klen, vlen;
    char data[]; /* key, then value */
} entry;
#define NBUCKETS 65536
static entry *buckets[NBUCKETS];
static size_t nkeys, store_bytes;
static unsigned long commands;

static unsigned hash(const char *k, size_t n) {
    unsigned h = 2166136261u;
    while (n--) h = (h ^ (unsigned char)*k++) * 16777619u;
    return h % NBUCKETS;
}
static entry **find(const char *k, size_t n) {
    entry **p = &buckets[hash(k, n)];
    for (; *p; p = &(*p)->next)
        if ((*p)->klen == n && memcmp((*p)->data, k, n) == 0) break;
    return p;
}
static int del(const char *k, size_t n) {
    entry **p = find(k, n), *e = *p;
    if (!e) return 0;
    *p = e->next;
    nkeys--;
    store_bytes -= e->klen + e->vlen;
    free(e);
    return 1;
}
/* 0, or -1 when the store is full. */
static int set(const char *k, size_t kn, const char *v, size_t vn) {
    entry *e;
    int had = del(k, kn);
    (void)had;
    if (nkeys >= MAX_KEYS || store_bytes + kn + vn > (size_t)MAX_STORE) return -1;
    e = (entry *)malloc(sizeof *e + kn + vn);
    if (!e) return -1;
    e->klen = kn;
    e->vlen = vn;
    memcpy(e->data, k, kn);
    memcpy(e->data + kn, v, vn);
    e->next = buckets[hash(k, kn)];
    buckets[hash(k, kn)] = e;
    nkeys++;
    store_bytes += kn + vn;
    return 0;
}
static void store_free(void) {
    size_t i;
    for (i = 0; i < NBUCKETS; i++)
        while (buckets[i]) del(buckets[i]->data, buckets[i]->klen);
}

/* ------------------------------------------------------------ a connection */
struct conn {
    async_client_frame base;
    char line[MAX_LINE + 1];
    char *args;                  /* the arguments, back to back (malloc'd, grows) */
    size_t cap, used;
    size_t off[MAX_ARGS], len[MAX_ARGS];
    long nargs, i, blen;
    int err, quit;
};

/* Room for n more bytes of arguments; 0 or -1. */
static int reserve(struct conn *c, size_t n) {
    char *p;
    size_t cap = c->cap ? c->cap : 256;
    if (c->used + n <= c->cap) return 0;
    while (cap < c->used + n) cap *= 2;
    p = (char *)realloc(c->args, cap);
    if (!p) return -1;
    c->args = p;
    c->cap = cap;
    return 0;
}

static void reply(struct conn *c, const char *s) { async_stream_write(c->base.stream, s, strlen(s)); }
/* One write per reply when it is small: each write may be a send(). */
static void reply_bulk(struct conn *c, const char *p, size_t n) {
    char buf[512];
    int k = snprintf(buf, sizeof buf, "$%zu\r\n", n);
    if ((size_t)k + n + 2 <= sizeof buf) {
        memcpy(buf + k, p, n);
        memcpy(buf + k + n, "\r\n", 2);
        async_stream_write(c->base.stream, buf, (size_t)k + n + 2);
        return;
    }
    async_stream_write(c->base.stream, buf, (size_t)k);
    async_stream_write(c->base.stream, p, n);
    async_stream_write(c->base.stream, "\r\n", 2);
}

#define ARG(c, k) ((c)->args + (c)->off[k])
static int is(struct conn *c, const char *name) {
    return c->len[0] == strlen(name) && strncasecmp(ARG(c, 0), name, c->len[0]) == 0;
}

static void execute(struct conn *c) {
    char buf[160];
    commands++;
    if (is(c, "PING") && c->nargs <= 2) {
        if (c->nargs == 2) reply_bulk(c, ARG(c, 1), c->len[1]);
        else reply(c, "+PONG\r\n");
    } else if (is(c, "ECHO") && c->nargs == 2) {
        reply_bulk(c, ARG(c, 1), c->len[1]);
    } else if (is(c, "SET") && c->nargs == 3) {
        reply(c, set(ARG(c, 1), c->len[1], ARG(c, 2), c->len[2]) ? "-OOM the store is full\r\n" : "+OK\r\n");
    } else if (is(c, "GET") && c->nargs == 2) {
        entry *e = *find(ARG(c, 1), c->len[1]);
        if (e) reply_bulk(c, e->data + e->klen, e->vlen);
        else reply(c, "$-1\r\n");
    } else if (is(c, "DEL") && c->nargs >= 2) {
        long k, n = 0;
        for (k = 1; k < c->nargs; k++) n += del(ARG(c, k), c->len[k]);
        snprintf(buf, sizeof buf, ":%ld\r\n", n);
        reply(c, buf);
    } else if (is(c, "COMMAND")) {
        reply(c, "*0\r\n");
    } else if (is(c, "QUIT")) {
        reply(c, "+OK\r\n");
        c->quit = 1;
    } else if (is(c, "PING") || is(c, "ECHO") || is(c, "SET") || is(c, "GET") || is(c, "DEL")) {
        snprintf(buf, sizeof buf, "-ERR wrong number of arguments for '%.*s' command\r\n", (int)c->len[0], ARG(c, 0));
        reply(c, buf);
    } else {
        snprintf(buf, sizeof buf, "-ERR unknown command '%.*s'\r\n", c->len[0] > 64 ? 64 : (int)c->len[0], ARG(c, 0));
        reply(c, buf);
    }
}

/* An inline command: words separated by blanks. 0, or -1 if too many. */
static int split_inline(struct conn *c, size_t n) {
    size_t k = 0;
    c->nargs = 0;
    c->used = 0;
    while (k < n) {
        size_t start;
        while (k < n && isspace((unsigned char)c->line[k])) k++;
        if (k == n) break;
        if (c->nargs == MAX_ARGS) return -1;
        start = k;
        while (k < n && !isspace((unsigned char)c->line[k])) k++;
        if (reserve(c, k - start)) return -1;
        memcpy(c->args + c->used, c->line + start, k - start);
        c->off[c->nargs] = c->used;
        c->len[c->nargs++] = k - start;
        c->used += k - start;
    }
    return 0;
}

/* "*12\r\n" / "$5\r\n": the number, or -1 if the line is not that. */
static long header_number(const char *line, size_t n, char kind, long max) {
    char *e;
    long v;
    if (n < 4 || line[0] != kind || line[n - 2] != '\r') return -1;
    v = strtol(line + 1, &e, 10);
    if (e != line + n - 2 || v < 0 || v > max) return -1;
    return v;
}

static ASYNC_FN_AT(conn_handler, struct conn, base.hdr) {
    ASYNC_BEGIN();
    while (!self->quit) {
        if (async_client_set_idle(&self->base, 1)) break;
        ASYNC_AWAIT_CATCH(async_stream_readline(self->base.stream, self->line, MAX_LINE), self->err);
        if (self->err == ASYNC_RT_ELIMIT) {
            reply(self, "-ERR Protocol error: too big inline request\r\n");
            break;
        }
        if (self->err) ASYNC_RAISE(self->err);
        if (ASYNC_VALUE.i == 0) break; /* the client went away */
        async_client_set_idle(&self->base, 0);
        if (self->line[0] != '*') { /* inline */
            if (split_inline(self, (size_t)ASYNC_VALUE.i)) {
                reply(self, "-ERR Protocol error: too many arguments\r\n");
                break;
            }
            if (!self->nargs) continue;
        } else {
            self->nargs = header_number(self->line, (size_t)ASYNC_VALUE.i, '*', MAX_ARGS);
            if (self->nargs < 0) {
                reply(self, "-ERR Protocol error: invalid multibulk length\r\n");
                break;
            }
            self->used = 0;
            for (self->i = 0; self->i < self->nargs; self->i++) {
                ASYNC_AWAIT_CATCH(async_stream_readline(self->base.stream, self->line, MAX_LINE), self->err);
                if (self->err && self->err != ASYNC_RT_ELIMIT) ASYNC_RAISE(self->err);
                self->blen = self->err ? -1 : header_number(self->line, (size_t)ASYNC_VALUE.i, '$', MAX_ARG);
                if (self->blen < 0 || reserve(self, (size_t)self->blen + 2)) {
                    reply(self, "-ERR Protocol error: invalid bulk length\r\n");
                    ASYNC_RETURN(async_none());
                }
                ASYNC_AWAIT_CATCH(async_stream_readexactly(self->base.stream, self->args + self->used,
                                                           (size_t)self->blen + 2),
                                  self->err);
                if (self->err) ASYNC_RETURN(async_none()); /* vanished mid-command */
                if (memcmp(self->args + self->used + self->blen, "\r\n", 2) != 0) {
                    reply(self, "-ERR Protocol error: expected '\\r\\n'\r\n");
                    ASYNC_RETURN(async_none());
                }
                self->off[self->i] = self->used;
                self->len[self->i] = (size_t)self->blen;
                self->used += (size_t)self->blen + 2;
            }
            if (!self->nargs) continue;
        }
        execute(self);
        ASYNC_AWAIT(async_stream_drain(self->base.stream)); /* backpressure */
    }
    ASYNC_FINALLY();
    free(self->args);
    self->args = NULL;
    ASYNC_END();
}

/* ------------------------------------------------------------ main */
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
    if (self->lfd < 0) ASYNC_RAISE(-self->lfd);
    if (async_start_server(&self->srv, ASYNC_LOOP, self->lfd, conn_handler, sizeof(struct conn), NULL))
        ASYNC_RAISE(ASYNC_RT_ECLOSED);
    async_event_init(&self->stop);
    async_add_signal_handler(ASYNC_LOOP, &self->term, SIGTERM, on_signal, &self->stop);
    async_add_signal_handler(ASYNC_LOOP, &self->intr, SIGINT, on_signal, &self->stop);
    printf("listening on 127.0.0.1 port %d\n", async_sock_port(self->lfd));
    fflush(stdout);
    ASYNC_EVENT_WAIT(&self->op, &self->stop);
    printf("shutting down: %lu connections open\n", self->srv.nclients);
    ASYNC_AWAIT(async_server_shutdown(&self->srv, 5.0, 1.0));
    printf("ran %lu commands on %lu connections; %lu keys\n", commands, self->srv.accepted, (unsigned long)nkeys);
    async_remove_signal_handler(&self->term);
    async_remove_signal_handler(&self->intr);
    ASYNC_END();
}

int main(int argc, char **argv) {
    struct main_frame mf;
    int err;
    memset(&mf, 0, sizeof mf);
    if (argc > 2 && strcmp(argv[1], "-p") == 0) mf.port = atoi(argv[2]);
    err = async_rt_run(main_co, &mf, NULL);
    store_free();
    if (err) fprintf(stderr, "resp_server: %s\n", async_rt_strerror(err));
    return err ? 1 : 0;
}
