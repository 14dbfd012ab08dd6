/* async_rt.h — the host runtime for async.h on Linux: a libev backend for the
 * core's loop, sockets, streams, a thread pool, subprocesses, signals, debug mode.
 * Link with libasync (`pkg-config --cflags --libs async`), which needs libev.
 *
 * MODEL
 *   Every I/O operation returns an `async_future *` that lives inside an object
 *   the caller owns (a stream, a socket-op struct in the coroutine's frame), so
 *   a coroutine writes
 *       ASYNC_AWAIT(async_stream_readline(self->s, self->line, sizeof self->line));
 *       n = ASYNC_VALUE.i;                         // bytes, 0 at EOF
 *   Errors are raised at the await like exceptions: positive codes are errno
 *   values (ECONNREFUSED, EPIPE, ...), negative ones are the core's ASYNC_E* or
 *   the runtime's ASYNC_RT_E* below. async_rt_strerror() names them all.
 *   One object runs one operation at a time (one pending read and one pending
 *   write per stream); starting a second one while the first is pending is
 *   misuse (ASYNC_EBUSY raised at the await).
 *   Cancelling the awaiting task cancels the operation and stops its watcher.
 *
 * THREADS
 *   A loop belongs to the thread that runs it. The only functions callable from
 *   other threads are async_call_soon_threadsafe() and async_rt_wakeup().
 *   Several cores: one loop per thread; async_serve_multi (section 6) runs a
 *   server on N of them.
 *
 * CONTENTS
 *   1. Errors              ASYNC_RT_E*, async_rt_strerror
 *   2. Loop                async_rt_loop_init(_env), close, run, keepalive, threadsafe calls
 *   3. Signals             add/remove handler, await a signal
 *   4. Sockets             fd readiness, connect/accept/recv/sendall/recvfrom/sendto, listen helpers
 *   5. Address resolution  getaddrinfo on the thread pool
 *   6. Streams             open_connection / start_server (graceful shutdown), reader and writer
 *                          methods, views, the reader table at EOF / on error, error hook, N loops
 *   7. Thread pool         to_thread / run_in_executor
 *   8. Subprocesses        exec with pipes, wait, communicate
 *   9. Debug mode          slow steps, tasks destroyed while pending, errors never retrieved,
 *                          a Perfetto / Chrome JSON trace, the await tree (pstree)
 */
#ifndef ASYNC_RT_H
#define ASYNC_RT_H

/* Installed, async.h is next to this file; in a source tree <async/async_rt.h>
 * includes it first (include/async/async_rt.h). */
#ifndef ASYNC_H
#include "async.h"
#endif
#include <ev.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------------
 * Configuration check. libasync and every file that includes this header
 * must agree on async.h's configuration: ASYNC_CONFIG_TASK_INFO, _FLOAT,
 * _LABELS, _TRACE, _DIRECT_RESUME and _TIMER_WHEEL, ASYNC_TIME_T and ASYNC_TICKS_PER_SEC change the layout
 * of the structs both sides touch (async_ctx, async_frame, async_value,
 * async_task, async_loop, async_timer). A mismatch is refused twice over:
 *   at link time: each such file references a symbol whose name spells its
 *     ASYNC_CONFIG_* values; libasync defines only its own. The linker's
 *       undefined reference to `async_rt_abi_TASK_INFO_0_FLOAT_1_LABELS_0_TRACE_0_DIRECT_RESUME_1_TIMER_WHEEL_4'
 *     means this file was built with ASYNC_CONFIG_TASK_INFO=0, which libasync
 *     was not (it is built with async.h's defaults);
 *   at program start, for what a name cannot spell (the clock's type and
 *     rate, the struct sizes): a constructor in each such file compares them
 *     with libasync's and, on a difference, names the option and aborts.
 * ---------------------------------------------------------------------- */
#define ASYNC__RT_ABI_SYMBOL ASYNC__ABI_NAME(async_rt_abi_) /* async.h spells the options */
extern const char ASYNC__RT_ABI_SYMBOL;

struct async__rt_config {
    const char *file;
    unsigned char task_info, flt, labels, trace, time_size;
    unsigned long long ticks_per_sec;
    unsigned short value_size, ctx_size, frame_size, task_size, loop_size, timer_size;
};
#define ASYNC__RT_CONFIG_INIT(file)                                                                 \
    {(file), ASYNC_CONFIG_TASK_INFO != 0, ASYNC_CONFIG_FLOAT != 0, ASYNC_CONFIG_LABELS != 0,       \
     ASYNC_CONFIG_TRACE != 0, sizeof(async_time), (unsigned long long)ASYNC_TICKS_PER_SEC,          \
     sizeof(async_value), sizeof(async_ctx), sizeof(async_frame), sizeof(async_task),              \
     sizeof(async_loop), sizeof(async_timer)}
/* Compares a file's configuration with libasync's; names the difference and aborts. */
void async__rt_config_check(const struct async__rt_config *c);

#if defined(__GNUC__) || defined(__clang__)
static const char *const async__rt_abi_ref __attribute__((used)) = &ASYNC__RT_ABI_SYMBOL;
__attribute__((constructor, used)) static void async__rt_config_here(void) {
    static const struct async__rt_config c = ASYNC__RT_CONFIG_INIT(__BASE_FILE__);
    async__rt_config_check(&c);
}
#endif

/* ======================================================================
 * 1. Errors
 * ====================================================================== */
enum {
    ASYNC_RT_ENOBACKEND = -32,  /* the loop is not a libev loop (virtual clock): no I/O on it */
    ASYNC_RT_EINCOMPLETE = -33, /* IncompleteReadError: EOF before n bytes / the separator */
    ASYNC_RT_ELIMIT = -34,      /* LimitOverrunError: no separator within the buffer limit */
    ASYNC_RT_ECLOSED = -35,     /* the stream, server or pool was closed */
    ASYNC_RT_ERESOLVE = -36,    /* name resolution failed (details: async_resolve.gai_err) */
    ASYNC_RT_ENOMEM = -37       /* out of memory (a runtime malloc failed) */
};

/* async_rt_strerror(err) — a message for any error a runtime call can report:
 * the core's ASYNC_E*, the runtime's ASYNC_RT_E* and errno values (strerror).
 *   fprintf(stderr, "connect: %s\n", async_rt_strerror(err)); */
const char *async_rt_strerror(int err);

/* async_rt_set_misuse_handler(fn) — what the runtime library does on API misuse
 * (it then reports ASYNC_EBUSY / ASYNC_EMISUSE): fn(message); NULL restores the
 * default (print to stderr and abort, like the core). The core's inline code
 * compiled into *your* files uses your ASYNC_MISUSE as usual. */
void async_rt_set_misuse_handler(void (*fn)(const char *msg));

/* ======================================================================
 * 2. Loop
 * ====================================================================== */

/* async_rt_loop_init(&loop) — a core loop on a fresh libev loop (epoll), with
 * ASYNC_TICKS_PER_SEC = 1e9 (CLOCK_MONOTONIC). Returns 0 or ASYNC_RT_ENOMEM.
 * When nothing is ready, no timer is armed and no watcher could fire, the
 * loop reports ASYNC_EDEADLOCK instead of hanging (asyncio would hang).
 *   async_loop loop; if (async_rt_loop_init(&loop)) abort(); */
int async_rt_loop_init(async_loop *loop);

/* async_rt_loop_init_env(&loop) — the same, except with ASYNC_VIRTUAL_TIME=1 in
 * the environment it sets up the core's virtual clock instead (socket and
 * stream calls then fail with ASYNC_RT_ENOBACKEND). Returns 1 if virtual,
 * 0 if real, negative on error. Close either kind with async_rt_loop_close(). */
int async_rt_loop_init_env(async_loop *loop);

/* async_rt_loop_close(&loop); — close every server still open (listening fd
 * closed, clients cancelled, their streams aborted and freed) and every stream
 * still flushing towards a close, run the callbacks already queued (bounded),
 * detach the other open streams (async_stream_destroy closes their fds later),
 * shut the thread pool down (queued work and name lookups are dropped unstarted,
 * running ones are waited for; their futures, if nobody awaited them, stay
 * pending and are never touched again: cancelling one later is safe, and so is
 * freeing it), report debug findings, free the backend, and close the core loop
 * (async_loop_close: it refuses to run until initialised again). The loop must
 * not be running; tasks still alive are reported in debug mode (asyncio's
 * "Task was destroyed but it is pending").
 *   async_rt_loop_close(&loop); async_stream_destroy(&s); (fd closed here) */
void async_rt_loop_close(async_loop *loop);

/* async_rt_run(main, &frame, &result) — asyncio.run(main()): a new loop
 * (env-aware), main as a task, cancel what is left, close. Returns main's error
 * (0 on success) and stores its result in *result (if non-NULL).
 *   struct main_frame mf = {0}; int err = async_rt_run(main_co, &mf, NULL); */
int async_rt_run(async_fn main, void *frame, async_value *result);

/* async_rt_is_libev(&loop) — 1 if the loop runs on this runtime's libev backend. */
int async_rt_is_libev(async_loop *loop);

/* async_rt_ev(&loop) — the underlying libev loop (NULL if not a libev loop), to
 * add your own libev watchers (they run inside the core loop's wait). */
struct ev_loop *async_rt_ev(async_loop *loop);

/* async_rt_keepalive(&loop, +1 / -1); — tell the loop that an event source it
 * cannot see (another thread that will call async_call_soon_threadsafe) is
 * still alive, so an empty loop waits instead of reporting ASYNC_EDEADLOCK. */
void async_rt_keepalive(async_loop *loop, int delta);

/* A thread-safe call: caller memory, valid until fn has run. */
typedef struct async_tscall {
    struct async_tscall *next;
    void (*fn)(void *arg);
    void *arg;
} async_tscall;

/* async_call_soon_threadsafe(&loop, &c, fn, arg) — from any thread: run
 * fn(arg) on the loop's thread at its next iteration (wakes it via ev_async).
 * Returns 0, or ASYNC_RT_ENOBACKEND. fn typically completes a future:
 *   static void done(void *a) { async_future_set_result(a, async_int(1)); }
 *   async_call_soon_threadsafe(loop, &job->c, done, &job->fut);   // worker thread */
int async_call_soon_threadsafe(async_loop *loop, async_tscall *c, void (*fn)(void *arg), void *arg);

/* ======================================================================
 * 3. Signals (add_signal_handler / remove_signal_handler)
 * ====================================================================== */
typedef struct async_signal {
    ev_signal w;                      /* private */
    async_loop *loop;
    async_op op;                      /* op.fut: completed (value: signum) by the next delivery */
    unsigned long count;              /* deliveries nobody has awaited yet */
    void (*fn)(int signum, void *arg); /* optional callback, on the loop thread */
    void *arg;
    int signum;
    int active;
} async_signal;

/* async_add_signal_handler(&loop, &s, SIGINT, fn_or_NULL, arg) — handle signum
 * on this loop (the process-wide disposition is taken over while active; one
 * loop per signal). fn(signum, arg) runs on the loop thread for each delivery;
 * coroutines await deliveries with async_signal_wait(). Returns 0 or an errno.
 * A registered handler keeps the loop alive (no ASYNC_EDEADLOCK). */
int async_add_signal_handler(async_loop *loop, async_signal *s, int signum, void (*fn)(int, void *), void *arg);

/* async_remove_signal_handler(&s) — restore the default disposition; a pending
 * async_signal_wait is cancelled. Returns 1 if it was registered, else 0. */
int async_remove_signal_handler(async_signal *s);

/* async_signal_wait(&s) — a future done (value.i = signum) at the next delivery,
 * or at once if deliveries arrived since the last wait (each is consumed once).
 * Cancelling the wait leaves the handler registered: a delivery after the
 * cancel is counted for the next wait, none is lost.
 *   ASYNC_AWAIT(async_signal_wait(&self->sigint));   // clean stop on Ctrl-C */
async_future *async_signal_wait(async_signal *s);

/* ======================================================================
 * 4. Sockets: fd readiness and non-blocking socket operations
 * ====================================================================== */

/* One socket operation in flight: caller memory (usually the coroutine frame).
 * Reuse it for the next operation once the previous one is done. When its
 * await returns because of a cancel (task cancel, timeout, wait_for), the
 * watcher is already stopped: buf and the async_sockop may be freed at once,
 * and data that arrives afterwards stays in the socket for the next call. */
typedef struct async_sockop {
    async_op op;               /* op.fut is the awaitable */
    ev_io w;                   /* private */
    ev_timer tw;               /* private: connect timeout */
    async_loop *loop;
    int fd, kind;
    char *buf;
    size_t len, done;
    struct sockaddr_storage addr; /* accept / recvfrom: the peer's address */
    socklen_t addrlen;
} async_sockop;

/* async_wait_readable(&op, loop, fd) / async_wait_writable(...) — futures done
 * when fd is readable / writable (add_reader / add_writer as awaitables).
 *   ASYNC_AWAIT(async_wait_readable(&self->op, ASYNC_LOOP, fd)); */
async_future *async_wait_readable(async_sockop *op, async_loop *loop, int fd);
async_future *async_wait_writable(async_sockop *op, async_loop *loop, int fd);

/* async_socket(family, type, protocol) — a non-blocking, close-on-exec socket:
 * fd >= 0, or -errno. */
int async_socket(int family, int type, int protocol);

/* async_sock_connect(&op, loop, fd, addr, addrlen, timeout_s) — connect a
 * non-blocking socket. Raises ECONNREFUSED etc., or ASYNC_ETIMEOUT after
 * timeout_s seconds (<= 0: no timeout), measured from the call on the loop's
 * clock (the error never comes early; under load it may come late).
 *   ASYNC_AWAIT(async_sock_connect(&self->op, ASYNC_LOOP, fd, sa, len, 2.0)); */
async_future *async_sock_connect(async_sockop *op, async_loop *loop, int fd, const struct sockaddr *addr,
                                 socklen_t addrlen, double timeout_s);

/* async_sock_accept(&op, loop, listen_fd) — value.i is the new connection's fd
 * (non-blocking, close-on-exec); the peer address is in op.addr / op.addrlen.
 * EMFILE/ENFILE are raised (the listening socket stays usable). */
async_future *async_sock_accept(async_sockop *op, async_loop *loop, int fd);

/* async_sock_recv(&op, loop, fd, buf, len) — value.i bytes received, 0 at EOF.
 * Raises ECONNRESET etc. */
async_future *async_sock_recv(async_sockop *op, async_loop *loop, int fd, void *buf, size_t len);

/* async_sock_sendall(&op, loop, fd, buf, len) — send everything (value.i = len);
 * raises EPIPE/ECONNRESET. Never raises SIGPIPE (MSG_NOSIGNAL). */
async_future *async_sock_sendall(async_sockop *op, async_loop *loop, int fd, const void *buf, size_t len);

/* UDP: async_sock_recvfrom — value.i bytes, sender in op.addr; async_sock_sendto
 * — one datagram (value.i = bytes sent). */
async_future *async_sock_recvfrom(async_sockop *op, async_loop *loop, int fd, void *buf, size_t len);
async_future *async_sock_sendto(async_sockop *op, async_loop *loop, int fd, const void *buf, size_t len,
                                const struct sockaddr *addr, socklen_t addrlen);

/* async_listen_tcp("127.0.0.1", port, backlog) — a listening, non-blocking TCP
 * socket on a numeric address (v4 or v6; NULL = "::" dual-stack if possible,
 * else 0.0.0.0). port 0 picks a free port: read it with async_sock_port().
 * Returns fd or -errno. async_listen_unix(path, backlog) for a Unix socket
 * (an existing socket file at path is replaced). */
int async_listen_tcp(const char *numeric_host, int port, int backlog);
int async_listen_unix(const char *path, int backlog);
/* The local port of a bound socket, or -errno. */
int async_sock_port(int fd);
/* Fill *ss from a numeric host ("127.0.0.1", "::1") and port; or a Unix path
 * when host starts with '/' (port ignored). Returns the length, or -errno. */
int async_sockaddr(struct sockaddr_storage *ss, const char *numeric_host, int port);

/* ======================================================================
 * 5. Address resolution (getaddrinfo on the thread pool; never blocks the loop)
 * ====================================================================== */
typedef struct async_resolve {
    async_op op;             /* op.fut: value.p = res (struct addrinfo *) */
    struct addrinfo *res;    /* free with async_resolve_free */
    int gai_err;             /* getaddrinfo's code when ASYNC_RT_ERESOLVE is raised */
    void *priv;              /* private: the pool job while it is out */
} async_resolve;

/* async_getaddrinfo(&r, loop, host, service, &hints_or_NULL) — raises
 * ASYNC_RT_ERESOLVE (gai_strerror(r.gai_err) has the reason). host, service
 * and hints are copied. Cancelled, it returns at once and r may be freed: a
 * lookup already running on a worker is detached and its list freed when
 * it comes back. A second lookup on r while one is pending is misuse
 * (ASYNC_EBUSY raised at the await).
 *   ASYNC_AWAIT(async_getaddrinfo(&self->r, ASYNC_LOOP, "localhost", "80", NULL)); */
async_future *async_getaddrinfo(async_resolve *r, async_loop *loop, const char *host, const char *service,
                                const struct addrinfo *hints);
void async_resolve_free(async_resolve *r);

/* ======================================================================
 * 6. Streams (asyncio StreamReader / StreamWriter, one object per connection)
 * ====================================================================== */
#define ASYNC_STREAM_LIMIT 65536 /* default reader limit (asyncio's 64 KiB) */

typedef struct async_stream async_stream;
struct async_stream {
    /* Cancelling an await on either unregisters the operation (async_op). */
    async_op rd;            /* private: the pending read operation */
    async_op wr;            /* private: the pending drain */
    async_future closed;    /* done when the fd is closed (wait_closed) */
    async_loop *loop;
    ev_io rw, ww;           /* private */
    int fd;
    int flags;              /* private */
    int err;                /* sticky error (reset, ...) */
    size_t limit;           /* reader limit (readuntil/readline overrun, buffering) */
    size_t high_water, low_water; /* writer flow control */
    /* reader buffer */
    char *rbuf;
    size_t rhead, rlen, rcap;
    /* pending read */
    int rop;
    char *rdst;
    size_t rn, rgot;
    const char *sep;
    size_t seplen;
    /* writer buffer */
    char *wbuf;
    size_t whead, wlen, wcap;
    /* read-to-EOF result */
    char *all;
    size_t all_len;
    size_t partial;         /* readexactly/readuntil: bytes delivered with ASYNC_RT_EINCOMPLETE */
    async_stream *rt_next, *rt_prev; /* private: the loop's open streams (closed with it) */
    async_stream *wd_next, *wd_prev; /* private: the loop's streams with writes to flush */
    size_t rbuf_size;       /* private: the read buffer's first (and idle) size */
    const char *view;       /* private: the last view read (async_stream_view) */
    size_t vlen;            /* private: its length, consumed at the next read */
    int rview;              /* private: the pending read hands back a view */
    unsigned wwrites, witer; /* private: writes in the loop iteration witer */
};

/* async_stream_open_fd(&s, loop, fd) — a stream on a connected fd (socket or
 * pipe; made non-blocking). Returns 0 or an error. The stream owns the fd. */
int async_stream_open_fd(async_stream *s, async_loop *loop, int fd);

/* Connecting: an internal task resolves (thread pool) and connects, trying each
 * address in turn. The async_connect is caller memory, like a frame.
 * Cancelling the await cancels the task and waits for it: the half-made
 * socket is closed. The stream is reset at the call, so async_stream_destroy(s)
 * is safe on every path out (a cancel can land just after the connect did).
 *   ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, "localhost", "8888", 5.0));
 *   ASYNC_AWAIT(async_open_unix_connection(&self->c, ASYNC_LOOP, &self->s, "/tmp/sock", 5.0)); */
typedef struct async_connect {
    async_task task;
    struct async__connect_frame {
        async_frame hdr;
        async_stream *s;
        async_loop *loop;
        const char *host, *service;
        double timeout;
        async_resolve r;
        struct addrinfo *ai;
        async_sockop op;
        int fd, err;
        struct sockaddr_storage ss;
        socklen_t sslen;
    } f; /* private */
} async_connect;
async_future *async_open_connection(async_connect *c, async_loop *loop, async_stream *s, const char *host,
                                    const char *service, double timeout_s);
async_future *async_open_unix_connection(async_connect *c, async_loop *loop, async_stream *s, const char *path,
                                         double timeout_s);

/* Reader. Each returns the stream's read future; value.i is the byte count.
 * async_stream_read(s, buf, n): up to n bytes, 0 at EOF (read(n)).
 * async_stream_readexactly(s, buf, n): exactly n, or ASYNC_RT_EINCOMPLETE with
 *   the partial data in buf and its length in s->partial. The bytes are taken
 *   from the stream only when all n are there (the buffer grows to n if n is
 *   above s->limit).
 * async_stream_readuntil(s, buf, cap, sep, seplen): through the separator
 *   (included); ASYNC_RT_ELIMIT if it is not within min(cap, s->limit) bytes
 *   (the data stays buffered: read it with read / readexactly),
 *   ASYNC_RT_EINCOMPLETE at EOF before it (partial data in buf, length
 *   s->partial). sep is the caller's memory, read until the future is done.
 * async_stream_readline(s, buf, cap): readuntil "\n", except that EOF returns
 *   the last unterminated line (or 0 bytes) instead of raising, and that an
 *   ASYNC_RT_ELIMIT drops the over-long line first (asyncio): through its "\n"
 *   if that is buffered, else the whole buffer, so the rest of that line comes
 *   back as the next line.
 * async_stream_read_all(s, max): read to EOF into a malloc'd buffer (s->all,
 *   length s->all_len = value.i; free with async_stream_free_all); more than
 *   max bytes raises ASYNC_RT_ELIMIT.
 * Cancellation (task cancel, timeout, wait_for, shutdown): the read is
 * unregistered before the awaiter resumes and consumes nothing, so buf may be
 * freed at once and the data is there for the next read (what a cancelled
 * read_all gathered goes back in front of the buffer). One read at a time
 * per stream.
 *   ASYNC_AWAIT(async_stream_readline(self->s, self->line, sizeof self->line)); */
async_future *async_stream_read(async_stream *s, void *buf, size_t n);
async_future *async_stream_readexactly(async_stream *s, void *buf, size_t n);
async_future *async_stream_readuntil(async_stream *s, void *buf, size_t cap, const void *sep, size_t seplen);
async_future *async_stream_readline(async_stream *s, void *buf, size_t cap);
async_future *async_stream_read_all(async_stream *s, size_t max);
void async_stream_free_all(async_stream *s);
/* 1 once EOF was seen and the buffer is empty (StreamReader.at_eof). */
int async_stream_at_eof(const async_stream *s);

/* Zero-copy reads for parsers. async_stream_readline_view(s) and
 * async_stream_readuntil_view(s, sep, seplen) are readline / readuntil with
 * no caller buffer: value.i is the length and async_stream_view(s) points at
 * the bytes inside the stream's buffer (the separator included, not
 * NUL-terminated). Records up to s->limit bytes; EOF, overrun and error as
 * for readline / readuntil (an incomplete readuntil's partial bytes are the
 * view). Hazard: the view is valid only until the next read call on the
 * stream (any reader method, a view too) or its destroy; while it is held,
 * the stream reads at most what fits behind it.
 *   ASYNC_AWAIT(async_stream_readline_view(self->s));
 *   if (ASYNC_VALUE.i == 0) break;                 // EOF
 *   parse(async_stream_view(self->s), (size_t)ASYNC_VALUE.i); */
async_future *async_stream_readline_view(async_stream *s);
async_future *async_stream_readuntil_view(async_stream *s, const void *sep, size_t seplen);
const char *async_stream_view(const async_stream *s);

/* async_stream_read_buffered(s) — input bytes already in the stream's buffer:
 * a read of up to that many completes without waiting, so a parser can take
 * every pipelined request at hand before it answers (the answers coalesce
 * anyway; see the writer). The bytes of a held view are not counted.
 *   if (async_stream_read_buffered(self->s) == 0) ... (the batch is done) */
size_t async_stream_read_buffered(const async_stream *s);

/* async_stream_set_read_buffer(s, size) — the read buffer's first size
 * (default 4 KiB, at least 64, at most s->limit). It is allocated at the
 * first read, doubles while the kernel has more than fits (up to s->limit
 * plus one read chunk: a peer cannot make it grow further), and goes back to
 * this size once a burst has been consumed. A server sets it for each of its
 * clients with async_server_set_read_buffer.
 *   async_stream_set_read_buffer(&self->s, 512);   // many idle connections */
void async_stream_set_read_buffer(async_stream *s, size_t size);

/* What each reader call does at EOF and on a read error (ECONNRESET, ...):
 *   call               EOF, nothing buffered   EOF mid-record                error (after the buffered data)
 *   read               0                       the bytes there are           raises the errno
 *   readexactly        raises EINCOMPLETE,     raises EINCOMPLETE,           raises the errno, partial = bytes
 *                      partial = 0             partial = bytes (in buf)      (in buf)
 *   readuntil          raises EINCOMPLETE,     raises EINCOMPLETE,           raises the errno, partial = bytes
 *                      partial = 0             partial = bytes (in buf)
 *   readline           0                       the unterminated tail         raises the errno, partial = bytes
 *   read_all           0 (s->all_len = 0)      all bytes (no error)          raises the errno (s->all_len kept)
 *   *_view             as readuntil / readline, the bytes in async_stream_view
 *   any, after close   raises ASYNC_RT_ECLOSED
 * Over the limit: readuntil raises ELIMIT and keeps the data; readline raises
 * ELIMIT and drops the line; read_all past max raises ELIMIT. A peer that
 * vanishes without FIN or RST shows up only as a timeout: bound the reads
 * (async_wait_for / a timeout scope). */

/* Writer. async_stream_write(s, data, n): never blocks. The writes of one
 * loop iteration (pipelined answers, a header and a body) are buffered
 * (copied) and leave in one send per stream when the loop is about to poll.
 * Sent at once instead, from the caller's memory: the first write of an
 * iteration on a stream that was written once per iteration lately
 * (request / answer), a write of 16 KiB or more with nothing buffered, and
 * the buffer once it reaches high water; what the kernel does not take is
 * buffered. Returns 0, or the stream's
 * error (EPIPE, ..., ASYNC_RT_ECLOSED); an error found while flushing is
 * raised by the next drain and returned by the next write. Hazard: the
 * bytes leave only when the loop runs again (awaiting anything does that).
 * async_stream_drain(s): a future done
 * when the buffer is at or below the low-water mark (at once if at or below
 * high water) — this is the backpressure: awaiting drain after writes keeps
 * memory bounded. A cancelled drain leaves the buffered bytes to be sent.
 *   async_stream_write(self->s, buf, n); ASYNC_AWAIT(async_stream_drain(self->s)); */
int async_stream_write(async_stream *s, const void *data, size_t n);
async_future *async_stream_drain(async_stream *s);
/* Bytes buffered in the writer, not yet taken by the kernel. */
size_t async_stream_write_buffered(const async_stream *s);
/* async_stream_set_write_limits(s, high, low) — flow-control marks (defaults 64 KiB / 16 KiB). */
void async_stream_set_write_limits(async_stream *s, size_t high, size_t low);
/* Shut the write side down once the buffer is flushed (half-close). 0 or error. */
int async_stream_write_eof(async_stream *s);
/* async_stream_close(s); — flush what is buffered (in the background), then
 * close the fd. A pending read is failed with ASYNC_RT_ECLOSED. Idempotent.
 * Closing the loop closes a stream still flushing (its output is dropped). */
void async_stream_close(async_stream *s);
/* async_stream_abort(s); — close at once, dropping buffered output. */
void async_stream_abort(async_stream *s);
/* async_stream_wait_closed(s) — the future done when the fd has been closed. */
async_future *async_stream_wait_closed(async_stream *s);
/* async_stream_destroy(s); — close the fd if still open (dropping buffered
 * output) and free the buffers; also after the loop was closed (the loop's
 * close detaches its streams, leaving their fds to this). No read or drain may
 * be pending on it. Not for a stream of a server's client (the server frees it).
 *   async_stream_close(&self->s); ASYNC_AWAIT(async_stream_wait_closed(&self->s));
 *   async_stream_destroy(&self->s); */
void async_stream_destroy(async_stream *s);

/* Servers (start_server). Each accepted connection gets a task running
 * handler on a malloc'd frame of frame_size bytes that starts with
 * async_client_frame; the server closes the stream and frees the frame when
 * the handler finishes. An error escaping the handler goes to the server's
 * error handler (async_server_set_error_handler; by default printed on
 * stderr, except the peer closing or resetting the connection).
 *   struct client { async_client_frame base; char buf[1024]; };
 *   static ASYNC_FN_AT(echo, struct client, base.hdr) { ... self->base.stream ... }
 *   async_start_server(&srv, loop, fd, echo, sizeof(struct client), NULL); */
typedef struct async_server async_server;
typedef struct async_client_frame {
    async_frame hdr;
    async_stream *stream; /* the connection */
    async_server *server;
    void *arg;            /* the server's arg */
} async_client_frame;

struct async_server {
    async_loop *loop;
    ev_io w;                /* private */
    ev_timer retry;         /* private: EMFILE back-off */
    int fd;
    async_fn handler;
    size_t frame_size;
    void *arg;
    void *clients;          /* private list */
    unsigned long nclients, accepted, accept_errors;
    int closing;
    async_future closed;    /* done when closed and every client is gone */
    async_server *rt_next, *rt_prev; /* private: the loop's live servers */
    /* graceful shutdown (async_server_shutdown) */
    ev_timer phase_timer;   /* private */
    double flush_s;         /* private */
    int phase;              /* private: 0 none, 1 grace, 2 flush, 3 aborted */
    unsigned long nhandlers; /* private: client handlers still running */
    unsigned long shutdown_cancelled, shutdown_aborted; /* handlers cancelled, streams cut off */
    void (*on_error)(async_server *srv, async_client_frame *client, int err); /* private */
    size_t rbuf_size;       /* private: read buffer size of each client (0: default) */
};

/* async_start_server(&srv, loop, listen_fd, handler, frame_size, arg) — start
 * accepting on a listening fd (async_listen_tcp / async_listen_unix); the
 * server owns the fd. On EMFILE/ENFILE it keeps running: accepting pauses
 * 100 ms and resumes. Returns 0 or an error. */
int async_start_server(async_server *srv, async_loop *loop, int listen_fd, async_fn handler, size_t frame_size,
                       void *arg);
/* async_server_close(&srv); — stop accepting and close the listening fd; live
 * clients continue. async_server_close_clients(&srv); also cancels them and
 * aborts their streams. Closing the loop (async_rt_loop_close, the end of
 * async_rt_run) does the latter for every server still open and frees its
 * clients, even those blocked in drain. */
void async_server_close(async_server *srv);
void async_server_close_clients(async_server *srv);
/* Done when the server is closed and all its clients have finished. */
async_future *async_server_wait_closed(async_server *srv);

/* async_server_shutdown(&srv, grace_s, flush_s) — graceful shutdown, the
 * future to await: stop accepting and close the listening fd at once; cancel
 * at once the clients marked idle (async_client_set_idle) with no input
 * buffered; give the other handlers grace_s seconds to finish, then cancel
 * those still running; then give the output still buffered flush_s seconds
 * (counted from the end of the grace, or from when the last handler finished
 * if sooner) to reach the peers, then abort those streams. The future is
 * srv's closed future: done when every client's fd is closed and its frame
 * freed. srv->shutdown_cancelled / shutdown_aborted count what had to be cut.
 * Hazard: a handler that ignores its cancel (shielded, or catching
 * ASYNC_ECANCELLED and carrying on) keeps the future pending; its stream is
 * still aborted at the flush deadline, so its I/O fails with ASYNC_RT_ECLOSED.
 * Calling it again, or after async_server_close, starts the same sequence
 * only once (later calls return the same future).
 *   ASYNC_AWAIT(async_signal_wait(&self->sigterm));
 *   ASYNC_AWAIT(async_server_shutdown(&self->srv, 5.0, 2.0)); */
async_future *async_server_shutdown(async_server *srv, double grace_s, double flush_s);

/* async_client_set_idle(&self->base, idle) — a keep-alive handler marks
 * itself idle (1) while it waits for the next request and busy (0) once the
 * request has started, so that a graceful shutdown cancels it at once
 * instead of waiting out the grace (an idle client with bytes already
 * buffered counts as busy). Returns 1 if the server is shutting down: the
 * handler should then finish instead of waiting for another request.
 *   for (;;) {
 *       if (async_client_set_idle(&self->base, 1)) break;  // no new requests
 *       ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
 *       async_client_set_idle(&self->base, 0); ... answer ...
 *   } */
int async_client_set_idle(async_client_frame *client, int idle);

/* async_server_set_error_handler(&srv, fn); — fn(srv, client, err) is called
 * on the loop thread with each error that escapes a handler (not a
 * cancellation), before the server closes that client's stream and frees its
 * frame (client is valid during the call; client->stream may still be
 * written to: the bytes are flushed before the close). NULL restores the
 * default: print "client handler failed" on stderr unless err is the peer
 * closing or resetting (ASYNC_RT_ECLOSED, ECONNRESET, EPIPE).
 *   static void quiet(async_server *s, async_client_frame *c, int err) { (void)s; (void)c; count_error(err); }
 *   async_server_set_error_handler(&self->srv, quiet); */
void async_server_set_error_handler(async_server *srv, void (*fn)(async_server *srv, async_client_frame *client, int err));
/* async_server_set_read_buffer(&srv, size); — async_stream_set_read_buffer
 * for every client accepted from now on (small for many idle keep-alive
 * connections; the buffers still grow for a burst and shrink back).
 *   async_start_server(&self->srv, ASYNC_LOOP, fd, handler, sizeof(struct client), NULL);
 *   async_server_set_read_buffer(&self->srv, 1024); */
void async_server_set_read_buffer(async_server *srv, size_t size);

/* Several cores: one server on N loops on N threads. Each loop has its own
 * listening socket on the same address and port (SO_REUSEPORT: the kernel
 * spreads new connections over them) and runs the same handler; a connection
 * stays on the loop that accepted it. async_serve_multi returns once every
 * socket is bound and every thread started (port 0 picks one port for all:
 * async_multi_port). async_multi_stop(m) shuts every server down (gracefully
 * with cfg.grace_s / cfg.flush_s, as async_server_shutdown; at once when both
 * are 0: its clients cancelled), closes each loop and joins the threads;
 * async_multi_destroy(m)
 * (stops if needed) frees the handle; the servers' counters (accepted, ...)
 * can be read between the two.
 * Across loops: a handler runs on its loop's thread (ASYNC_LOOP is that
 * loop); nothing of one loop (futures, streams, queues) may be touched from
 * another. Hand work to another loop with async_call_soon_threadsafe(loop,
 * ...) (async_multi_server(m, i)->loop before the stop) and guard shared
 * data with your own locks. setup runs on each loop's thread once its server
 * is started (e.g. async_server_set_error_handler). Past one machine, run
 * several processes behind a load balancer: loops do not span hosts.
 *   async_multi_config cfg = {0}; async_multi *m;
 *   cfg.loops = 2; cfg.host = "0.0.0.0"; cfg.port = 8080;
 *   cfg.handler = echo; cfg.frame_size = sizeof(struct client);
 *   if (async_serve_multi(&m, &cfg) == 0) { wait_for_sigterm(); async_multi_destroy(m); } */
typedef struct async_multi async_multi;
typedef struct async_multi_config {
    unsigned loops;         /* 0: one per online CPU */
    const char *host;       /* numeric; NULL: 0.0.0.0 */
    int port;               /* 0: any (the same one for every loop) */
    int backlog;            /* 0: 1024 */
    async_fn handler;       /* as for async_start_server */
    size_t frame_size;
    void *arg;              /* shared by every loop: guard what it points at */
    void (*setup)(async_server *srv, unsigned index, void *arg); /* optional */
    double grace_s, flush_s; /* stop: async_server_shutdown's deadlines on every
                                loop (both 0: close the clients at once) */
} async_multi_config;
int async_serve_multi(async_multi **m, const async_multi_config *cfg);
int async_multi_port(const async_multi *m);
unsigned async_multi_count(const async_multi *m);
async_server *async_multi_server(async_multi *m, unsigned i);
void async_multi_stop(async_multi *m);
void async_multi_destroy(async_multi *m);

/* ======================================================================
 * 7. Thread pool (to_thread / run_in_executor)
 * ====================================================================== */

/* Work run on a pool thread: return 0 and set *result, or return an error
 * (errno value) which is raised at the await. */
typedef int (*async_work_fn)(void *arg, async_value *result);

typedef struct async_work {
    async_op op; /* op.fut is the awaitable */
    void *job;   /* private: the pool job while it is out */
} async_work;

/* async_to_thread(&w, loop, fn, arg) — run fn(arg) on the loop's pool; the
 * future w.op.fut gets its result. Cancelling it (the awaiting task's cancel,
 * a timeout, wait_for) drops queued work; work already running is detached:
 * w may be freed once the await returns, but fn keeps running, so arg must
 * stay valid until fn returns (or until async_rt_loop_close, which waits for
 * it), and a result fn allocated for a detached job is dropped unless it
 * was started with async_to_thread_ex (below).
 *   ASYNC_AWAIT(async_to_thread(&self->w, ASYNC_LOOP, crunch, &self->input)); */
async_future *async_to_thread(async_work *w, async_loop *loop, async_work_fn fn, void *arg);

/* async_to_thread_ex(&w, loop, fn, arg, discard) — async_to_thread for work
 * whose result owns memory: when the job was detached (its await cancelled
 * while fn ran, or the loop closed first), discard(result) runs on the loop
 * thread once fn has returned successfully, so what fn allocated is not lost.
 * discard must not touch w or the cancelled frame (they may be freed).
 *   static void drop(async_value v) { free(v.p); }
 *   ASYNC_AWAIT(async_to_thread_ex(&self->w, ASYNC_LOOP, load, self->path, drop)); */
async_future *async_to_thread_ex(async_work *w, async_loop *loop, async_work_fn fn, void *arg,
                                 void (*discard)(async_value result));
#define async_run_in_executor async_to_thread

/* async_rt_set_pool_size(&loop, n) — workers of the loop's pool (default: the
 * number of CPUs, at least 2; started lazily). Returns 0, or ASYNC_EBUSY if
 * the pool has already started. */
int async_rt_set_pool_size(async_loop *loop, unsigned n);

/* ======================================================================
 * 8. Subprocesses (create_subprocess_exec)
 * ====================================================================== */
#define ASYNC_PIPE_STDIN 1
#define ASYNC_PIPE_STDOUT 2
#define ASYNC_PIPE_STDERR 4
#define ASYNC_STDERR_TO_STDOUT 8 /* stderr goes into the stdout pipe */

typedef struct async_process async_process;
struct async_process {
    async_loop *loop;
    pid_t pid;
    int returncode;       /* exit status, or -signal (asyncio's returncode) once exited */
    int exited;
    async_stream in, out, err; /* pipes requested with ASYNC_PIPE_*; in.fd < 0 if not */
    async_op wait_op;      /* private: the exit wait (value.i = returncode) */
    ev_io w;               /* private: pidfd watcher */
    int pidfd;
    /* communicate */
    ev_timer poll;         /* private: exit polling when pidfds are unavailable */
    async_task ctask;
    struct async__communicate_frame {
        async_frame hdr;
        async_process *p;
        size_t max;
        async_future *out, *err; /* the pending reads */
    } cf; /* private */
};

/* async_subprocess_exec(&p, loop, argv, flags) — start argv[0] (PATH search)
 * with the requested pipes (ASYNC_PIPE_*): p.in / p.out / p.err are streams.
 * Returns 0, or an errno (ENOENT if the program does not exist). */
int async_subprocess_exec(async_process *p, async_loop *loop, const char *const argv[], int flags);
/* async_process_wait(&p) — done with value.i = returncode (0, exit code, -signal).
 * Cancelling the wait stops watching the child (it keeps running); a later
 * wait watches again and still gets its exit status.
 *   ASYNC_AWAIT(async_process_wait(&self->p)); rc = ASYNC_VALUE.i; */
async_future *async_process_wait(async_process *p);
/* async_process_communicate(&p, input, len, max) — write input and close stdin,
 * read stdout and stderr to EOF (each at most max bytes: p.out.all /
 * p.out.all_len, p.err.all ...), then wait; value.i = returncode. */
async_future *async_process_communicate(async_process *p, const void *input, size_t len, size_t max);
/* Send a signal (0 or errno). */
int async_process_kill(async_process *p, int signum);
/* Free the pipes' buffers and the pidfd after the process has exited. */
void async_process_destroy(async_process *p);

/* ======================================================================
 * 9. Debug mode
 * ====================================================================== */

/* async_rt_set_debug(&loop, slow_seconds) — warn on stderr (or the sink below)
 * when one task step holds the loop longer than slow_seconds (naming the task
 * and the source lines it ran between), at loop close for each task that
 * failed while nothing awaited it and whose error nobody read since (an await
 * or async_future_error; the report comes from a copy of its name and error
 * taken when it failed, so the task may be freed by then), and when the loop
 * is closed with tasks still pending. slow_seconds <= 0 turns it off.
 * ASYNC_DEBUG=1 in the environment turns it on at loop init with 0.1 s
 * (ASYNC_DEBUG_SLOW=0.05 to change).
 *   async_rt_set_debug(&loop, 0.05);   // warn about steps longer than 50 ms */
void async_rt_set_debug(async_loop *loop, double slow_seconds);
/* Where warnings go: fn(ud, one_line_without_newline); NULL = stderr. */
void async_rt_set_debug_sink(async_loop *loop, void (*fn)(void *ud, const char *line), void *ud);

/* async_rt_trace_json(&loop, "trace.json") — from now on, write what the loop
 * does as Chrome / Perfetto trace-event JSON (open it in ui.perfetto.dev or
 * chrome://tracing): one track per task with its steps (from where to where
 * it ran) and, between them, its awaits named after what they wait on
 * ("await read on fd 7", "await task worker", "await a timer"); a loop track
 * with the polls that blocked; arrows to the step a task resumes in, from
 * the last step of the task it awaited or from the poll that saw its I/O or
 * timer. The file is complete once tracing stops:
 * async_rt_trace_json(&loop, NULL), another path, or loop close.
 * ASYNC_TRACE_JSON=path in the environment starts it at loop init.
 * Returns 0, an errno if the file cannot be written, or ASYNC_RT_ENOBACKEND.
 * Hazard: a busy server writes tens of bytes per step; the trace stops at
 * ASYNC_TRACE_JSON_MAX events (environment; default a million), marked so.
 *   ASYNC_TRACE_JSON=/tmp/t.json ./server      (then load /tmp/t.json) */
int async_rt_trace_json(async_loop *loop, const char *path);

/* async_rt_pstree(&loop, w, ud); — print the await tree (Python 3.14's
 * `python -m asyncio pstree`): each live task with where it is suspended and
 * what it awaits; below it the task it awaits, or, for a server's shutdown
 * or closed future, the server and its client tasks. Roots are the tasks and
 * servers nobody awaits, oldest first. w is a fputs-like writer (as for
 * async_loop_dump); needs ASYNC_CONFIG_TASK_INFO. Works on any loop (the
 * virtual clock too); streams and servers are named on a libev loop only. Hazard: what a gather,
 * wait or task group waits on is not followed: such a task shows the
 * future it parks on.
 *   static void out(void *ud, const char *s) { fputs(s, (FILE *)ud); }
 *   async_rt_pstree(ASYNC_LOOP, out, stderr);
 *   // task main: waiting at srv.c:80 on server close (2 clients)
 *   // └── server fd -1: 2 clients (shutting down)
 *   //     ├── task client: waiting at srv.c:41 on read on fd 7 */
void async_rt_pstree(async_loop *loop, async_write_fn w, void *ud);

#ifdef __cplusplus
}
#endif
#endif /* ASYNC_RT_H */
