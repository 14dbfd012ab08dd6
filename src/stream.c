/* stream.c — asyncio streams on libev: a reader with a bounded buffer filled by
 * a persistent read watcher (paused at the limit: a peer cannot make us buffer
 * more), a writer that writes through and buffers only what the kernel does
 * not take (drain waits for the low-water mark), open_connection, start_server. */
#include "rt_private.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define F_OPEN 0x01
#define F_EOF 0x02       /* the peer sent EOF (or the read side failed) */
#define F_READING 0x04   /* read watcher started */
#define F_CLOSING 0x08   /* close requested, flushing */
#define F_CLOSED 0x10    /* fd closed */
#define F_WEOF 0x20      /* write_eof requested */
#define F_WEOF_DONE 0x40 /* shutdown(SHUT_WR) done */
#define F_NOTSOCK 0x80   /* pipe or tty: write(), not send() */
#define F_LISTED 0x100   /* on the loop's list of open streams */
#define F_DIRTY 0x200    /* on the loop's list of streams to flush before it polls */
#define F_RFULL 0x400    /* the last read filled the buffer: grow it */
#define F_WMANY 0x800    /* the last iteration wrote more than once: buffer the first write too */

enum { RD_NONE, RD_READ, RD_EXACT, RD_UNTIL, RD_LINE, RD_ALL };

#define READ_CHUNK 65536
#define RBUF_DEFAULT 4096
/* A write this large with nothing buffered goes out at once, uncopied. */
#define WRITE_THROUGH 16384

static void stream_do_close(async_stream *s);

static async__rt *srt(async_stream *s) { return async__rt_of(s->loop); }


/* How much the reader buffers: the limit, or all of a longer readexactly
 * (its bytes are taken only once they are all there). */
static size_t rd_want(const async_stream *s) { return s->rop == RD_EXACT && s->rn > s->limit ? s->rn : s->limit; }

static void reading_update(async_stream *s) {
    async__rt *rt = srt(s);
    int want = (s->flags & F_OPEN) && !(s->flags & (F_EOF | F_CLOSING | F_CLOSED)) && s->rlen < rd_want(s);
    if (want && !(s->flags & F_READING)) {
        ev_io_start(rt->ev, &s->rw);
        s->flags |= F_READING;
    } else if (!want && (s->flags & F_READING)) {
        ev_io_stop(rt->ev, &s->rw);
        s->flags &= ~F_READING;
    }
}

/* memcpy that tolerates an empty (NULL) buffer when n is 0 */
static void copy_out(char *dst, const char *src, size_t n) {
    if (n) memcpy(dst, src, n);
}

static void consume(async_stream *s, size_t n) {
    s->rhead += n;
    s->rlen -= n;
    if (!s->rlen) {
        s->rhead = 0;
        if (s->rcap > s->rbuf_size && !(s->flags & F_RFULL)) { /* the burst is over: give the memory back */
            free(s->rbuf);
            s->rbuf = NULL;
            s->rcap = 0;
        }
    }
}

/* The bytes of the last view are the stream's until the next read call. */
static void view_release(async_stream *s) {
    if (s->vlen) consume(s, s->vlen);
    s->vlen = 0;
    s->view = NULL;
}

/* Hand n bytes at the buffer's head to the pending read: copied into the
 * caller's buffer, or left in place as the view. */
static inline void take(async_stream *s, size_t n) {
    if (s->rview) {
        s->view = s->rbuf + s->rhead;
        s->vlen = n;
        return;
    }
    copy_out(s->rdst, s->rbuf + s->rhead, n);
    consume(s, n);
}


static int rd_finish(async_stream *s, int err, intptr_t v) {
    s->rop = RD_NONE;
    s->rview = 0;
    s->rdst = NULL;
    s->sep = NULL; /* the caller's memory: not kept past the read */
    async__complete(&s->rd.fut, err, async_int(v));
    return 1;
}

/* readuntil leaves an over-long record buffered; readline drops n bytes of
 * it (through the separator, or all there is) so the next line can be read. */
static int rd_overrun(async_stream *s, size_t n) {
    if (s->rop == RD_LINE) consume(s, n);
    return rd_finish(s, ASYNC_RT_ELIMIT, 0);
}

/* The await on a pending read was cancelled: unregister the read. It has
 * consumed nothing, and the caller's buffer and separator are forgotten. */
static int rd_cancel(async_op *op) {
    async_stream *s = (async_stream *)(void *)((char *)op - offsetof(async_stream, rd));
    if (s->rop == RD_ALL && s->all_len) { /* what read_all gathered goes back in front */
        char *p = (char *)malloc(s->all_len + s->rlen);
        if (p) { /* else it stays in s->all */
            memcpy(p, s->all, s->all_len);
            copy_out(p + s->all_len, s->rbuf + s->rhead, s->rlen);
            free(s->rbuf);
            s->rbuf = p;
            s->rhead = 0;
            s->rlen += s->all_len;
            s->rcap = s->rlen;
            async_stream_free_all(s);
        }
    }
    s->rop = RD_NONE;
    s->rview = 0;
    s->rdst = NULL;
    s->sep = NULL;
    s->seplen = 0;
    if (s->loop && srt(s)) reading_update(s); /* a long readexactly may have held it open */
    return ASYNC_OP_CANCELLED;
}

/* A cancelled drain: what was written stays queued and is still sent. */
static int wr_cancel(async_op *op) { (void)op; return ASYNC_OP_CANCELLED; }

/* Try to complete the pending read from the buffer / EOF / error. 1 if done. */
static int rd_try(async_stream *s) {
    char *data = s->rbuf + s->rhead;
    size_t n;
    int eof = (s->flags & F_EOF) != 0;
    switch (s->rop) {
    case RD_READ:
        if (s->rlen) {
            n = s->rlen < s->rn ? s->rlen : s->rn;
            copy_out(s->rdst, data, n);
            consume(s, n);
            return rd_finish(s, 0, (intptr_t)n);
        }
        if (s->err) return rd_finish(s, s->err, 0);
        if (eof || s->rn == 0) return rd_finish(s, 0, 0);
        return 0;
    case RD_EXACT:
        if (s->rlen >= s->rn) {
            copy_out(s->rdst, data, s->rn);
            consume(s, s->rn);
            return rd_finish(s, 0, (intptr_t)s->rn);
        }
        if (s->err || eof) {
            n = s->rlen;
            copy_out(s->rdst, data, n);
            consume(s, n);
            s->partial = n;
            return rd_finish(s, s->err ? s->err : ASYNC_RT_EINCOMPLETE, (intptr_t)n);
        }
        return 0;
    case RD_UNTIL:
    case RD_LINE: {
        size_t lim = s->rn < s->limit ? s->rn : s->limit;
        size_t from = s->rgot > s->seplen ? s->rgot - s->seplen + 1 : 0;
        char *hit = s->rlen >= s->seplen && s->rlen > from
                        ? s->seplen == 1 ? (char *)memchr(data + from, s->sep[0], s->rlen - from)
                                         : (char *)memmem(data + from, s->rlen - from, s->sep, s->seplen)
                        : NULL;
        if (hit) {
            n = (size_t)(hit - data) + s->seplen;
            if (n > lim) return rd_overrun(s, n);
            take(s, n);
            return rd_finish(s, 0, (intptr_t)n);
        }
        s->rgot = s->rlen; /* searched this far */
        if (s->rlen >= lim) return rd_overrun(s, s->rlen);
        if (s->err || eof) {
            n = s->rlen;
            take(s, n);
            s->partial = n;
            if (s->err) return rd_finish(s, s->err, (intptr_t)n);
            if (s->rop == RD_LINE) return rd_finish(s, 0, (intptr_t)n); /* last line, unterminated */
            return rd_finish(s, ASYNC_RT_EINCOMPLETE, (intptr_t)n);
        }
        return 0;
    }
    case RD_ALL:
        if (s->rlen) {
            if (s->all_len + s->rlen > s->rn) return rd_finish(s, ASYNC_RT_ELIMIT, (intptr_t)s->all_len);
            if (s->all_len + s->rlen > s->rgot) {
                size_t cap = s->rgot ? s->rgot : 4096;
                char *p;
                while (cap < s->all_len + s->rlen) cap *= 2;
                if (cap > s->rn) cap = s->rn;
                p = (char *)realloc(s->all, cap + 1);
                if (!p) return rd_finish(s, ASYNC_RT_ENOMEM, (intptr_t)s->all_len);
                s->all = p;
                s->rgot = cap;
            }
            memcpy(s->all + s->all_len, data, s->rlen);
            s->all_len += s->rlen;
            s->all[s->all_len] = 0; /* convenient for text */
            consume(s, s->rlen);
        }
        if (s->err) return rd_finish(s, s->err, (intptr_t)s->all_len);
        if (eof) return rd_finish(s, 0, (intptr_t)s->all_len);
        return 0;
    }
    return 0;
}

static void rd_cb(struct ev_loop *ev, ev_io *w, int revents) {
    async_stream *s = (async_stream *)w->data;
    ssize_t n;
    size_t room;
    (void)ev;
    (void)revents;
    if (s->vlen) { /* a view points into the buffer: it stays where it is */
        if (s->rhead + s->rlen == s->rcap) {
            ev_io_stop(srt(s)->ev, &s->rw);
            s->flags &= ~F_READING; /* until the next read call releases the view */
            return;
        }
    } else if (s->rhead && (s->rhead + s->rlen == s->rcap || s->rcap - s->rhead - s->rlen < s->rcap / 4)) {
        memmove(s->rbuf, s->rbuf + s->rhead, s->rlen);
        s->rhead = 0;
    }
    if (!s->vlen && (s->rhead + s->rlen == s->rcap || (s->flags & F_RFULL))) {
        size_t cap = s->rcap ? s->rcap * 2 : s->rbuf_size;
        char *p;
        if (cap > rd_want(s) + READ_CHUNK) cap = rd_want(s) + READ_CHUNK;
        if (cap <= s->rcap && s->rhead + s->rlen == s->rcap) { /* full: the pending op will report the overrun */
            reading_update(s);
            return;
        }
        if (cap <= s->rcap) goto have_room;
        p = (char *)realloc(s->rbuf, cap);
        if (!p) {
            s->err = ASYNC_RT_ENOMEM;
            s->flags |= F_EOF;
            goto out;
        }
        s->rbuf = p;
        s->rcap = cap;
    }
have_room:
    room = s->rcap - s->rhead - s->rlen;
    n = read(s->fd, s->rbuf + s->rhead + s->rlen, room);
    s->flags &= ~F_RFULL;
    if (n > 0) {
        s->rlen += (size_t)n;
        if ((size_t)n == room) s->flags |= F_RFULL; /* the kernel may hold more */
    } else if (n == 0)
        s->flags |= F_EOF;
    else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    else {
        s->err = errno; /* ECONNRESET...: readers get it after the buffered data */
        s->flags |= F_EOF;
    }
out:
    if (s->rop != RD_NONE) rd_try(s);
    reading_update(s);
}

static void wr_fail(async_stream *s, int err) {
    if (!s->err) s->err = err;
    s->wlen = s->whead = 0;
    async__complete(&s->wr.fut, s->err, async_none());
}

/* Write as much as the kernel takes; 0 or errno. */
static int wr_some(async_stream *s, const char *p, size_t n, size_t *done) {
    ssize_t k;
    *done = 0;
    while (*done < n) {
        if (s->flags & F_NOTSOCK) k = write(s->fd, p + *done, n - *done);
        else k = send(s->fd, p + *done, n - *done, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == ENOTSOCK && !(s->flags & F_NOTSOCK)) {
                s->flags |= F_NOTSOCK;
                continue;
            }
            return errno;
        }
        *done += (size_t)k;
    }
    return 0;
}

static void wr_flushed(async_stream *s) {
    async__rt *rt = srt(s);
    ev_io_stop(rt->ev, &s->ww);
    if ((s->flags & F_WEOF) && !(s->flags & F_WEOF_DONE)) {
        s->flags |= F_WEOF_DONE;
        if (s->flags & F_NOTSOCK) { /* a pipe has no half-close: closing it is the EOF */
            if (!(s->flags & F_CLOSING)) {
                s->flags |= F_CLOSING;
                stream_do_close(s);
                return;
            }
        } else
            shutdown(s->fd, SHUT_WR);
    }
    if (s->flags & F_CLOSING) stream_do_close(s);
}

static void dirty_del(async_stream *s) {
    async__rt *rt;
    if (!(s->flags & F_DIRTY)) return;
    rt = srt(s);
    if (s->wd_prev) s->wd_prev->wd_next = s->wd_next;
    else rt->dirty = s->wd_next;
    if (s->wd_next) s->wd_next->wd_prev = s->wd_prev;
    s->wd_next = s->wd_prev = NULL;
    s->flags &= ~F_DIRTY;
}

/* Send what is buffered; what the kernel does not take waits for writability. */
static void wr_flush(async_stream *s) {
    size_t done;
    int e;
    dirty_del(s);
    e = wr_some(s, s->wbuf + s->whead, s->wlen, &done);
    s->whead += done;
    s->wlen -= done;
    if (!s->wlen) s->whead = 0;
    if (e) {
        wr_fail(s, e);
        ev_io_stop(srt(s)->ev, &s->ww);
        if (s->flags & F_CLOSING) stream_do_close(s);
        return;
    }
    if (s->wlen <= s->low_water) async__complete(&s->wr.fut, 0, async_none());
    if (!s->wlen) wr_flushed(s);
    else ev_io_start(srt(s)->ev, &s->ww);
}

static void wr_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)ev;
    (void)revents;
    wr_flush((async_stream *)w->data);
}

static void dirty_add(async__rt *rt, async_stream *s) {
    if (s->flags & F_DIRTY) return;
    s->wd_prev = NULL;
    s->wd_next = rt->dirty;
    if (rt->dirty) rt->dirty->wd_prev = s;
    rt->dirty = s;
    s->flags |= F_DIRTY;
    async_loop_want_poll(rt->loop); /* the flush before the poll sends it: at the next batch */
}

void async__streams_flush(async__rt *rt) {
    while (rt->dirty) wr_flush(rt->dirty);
}

static void list_add(async_stream *s) {
    async__rt *rt = srt(s);
    s->rt_prev = NULL;
    s->rt_next = rt->streams;
    if (rt->streams) rt->streams->rt_prev = s;
    rt->streams = s;
    s->flags |= F_LISTED;
}

static void list_del(async_stream *s) {
    async__rt *rt = srt(s);
    if (!(s->flags & F_LISTED)) return;
    if (s->rt_prev) s->rt_prev->rt_next = s->rt_next;
    else rt->streams = s->rt_next;
    if (s->rt_next) s->rt_next->rt_prev = s->rt_prev;
    s->rt_next = s->rt_prev = NULL;
    s->flags &= ~F_LISTED;
}

int async_stream_open_fd(async_stream *s, async_loop *loop, int fd) {
    async__rt *rt = async__rt_of(loop);
    int fl;
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (fd < 0) return EBADF;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0) return errno;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return errno;
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->fd = fd;
    s->flags = F_OPEN;
    s->limit = ASYNC_STREAM_LIMIT;
    s->rbuf_size = RBUF_DEFAULT;
    s->high_water = 65536;
    s->low_water = 16384;
    {
        int type;
        socklen_t l = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0) {
            struct sigaction sa;
            s->flags |= F_NOTSOCK;
            /* write() to a closed pipe raises SIGPIPE; like Python, ignore it
             * (unless the program installed its own handler) and get EPIPE. */
            if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
        }
    }
    async_future_init(&s->rd.fut, loop);
    s->rd.fut.c.state = ASYNC__DONE;
    async_future_init(&s->wr.fut, loop);
    s->wr.fut.c.state = ASYNC__DONE;
    async_future_init(&s->closed, loop);
    ev_io_init(&s->rw, rd_cb, fd, EV_READ);
    s->rw.data = s;
    ev_io_init(&s->ww, wr_cb, fd, EV_WRITE);
    s->ww.data = s;
    list_add(s);
    reading_update(s);
    return 0;
}

/* The read's parameters are set only once it is known no other read is pending. */
#define RD_VIEW 0x100 /* or'ed into rd_start's op: hand back a view */
static async_future *rd_start(async_stream *s, int op, void *buf, size_t n, const char *sep, size_t seplen) {
    if (!s->loop || !srt(s)) return async__error_future(ASYNC_RT_ENOBACKEND);
    if (s->rd.fut.c.state == ASYNC__PENDING) {
        ASYNC_MISUSE("stream read while another read on the same stream is pending");
        return async__error_future(ASYNC_EBUSY);
    }
    async_op_init(&s->rd, s->loop, rd_cancel);
    view_release(s);
    if (s->flags & (F_CLOSING | F_CLOSED)) {
        async_future_set_error(&s->rd.fut, ASYNC_RT_ECLOSED);
        return &s->rd.fut;
    }
    if (op == RD_ALL) async_stream_free_all(s);
    s->rview = (op & RD_VIEW) != 0;
    op &= ~RD_VIEW;
    s->rop = op;
    s->rdst = (char *)buf;
    s->sep = sep;
    s->seplen = seplen;
    s->rn = n;
    s->rgot = 0;
    s->partial = 0;
    if (!rd_try(s)) reading_update(s);
    else reading_update(s); /* consumed data may resume a paused reader */
    return &s->rd.fut;
}

async_future *async_stream_read(async_stream *s, void *buf, size_t n) {
    return rd_start(s, RD_READ, buf, n, NULL, 0);
}
async_future *async_stream_readexactly(async_stream *s, void *buf, size_t n) {
    return rd_start(s, RD_EXACT, buf, n, NULL, 0);
}
async_future *async_stream_readuntil(async_stream *s, void *buf, size_t cap, const void *sep, size_t seplen) {
    if (!seplen) return async__error_future(EINVAL);
    return rd_start(s, RD_UNTIL, buf, cap, (const char *)sep, seplen);
}
async_future *async_stream_readline(async_stream *s, void *buf, size_t cap) {
    return rd_start(s, RD_LINE, buf, cap, "\n", 1);
}
async_future *async_stream_read_all(async_stream *s, size_t max) { return rd_start(s, RD_ALL, NULL, max, NULL, 0); }
async_future *async_stream_readuntil_view(async_stream *s, const void *sep, size_t seplen) {
    if (!seplen) return async__error_future(EINVAL);
    return rd_start(s, RD_UNTIL | RD_VIEW, NULL, (size_t)-1, (const char *)sep, seplen);
}
async_future *async_stream_readline_view(async_stream *s) {
    return rd_start(s, RD_LINE | RD_VIEW, NULL, (size_t)-1, "\n", 1);
}
const char *async_stream_view(const async_stream *s) { return s->vlen ? s->view : ""; }
size_t async_stream_read_buffered(const async_stream *s) { return s->rlen - s->vlen; }
void async_stream_set_read_buffer(async_stream *s, size_t size) {
    s->rbuf_size = size < 64 ? 64 : size > s->limit ? s->limit : size;
}
void async_stream_free_all(async_stream *s) {
    free(s->all);
    s->all = NULL;
    s->all_len = 0;
}
int async_stream_at_eof(const async_stream *s) { return (s->flags & F_EOF) && s->rlen == s->vlen; }

int async_stream_write(async_stream *s, const void *data, size_t n) {
    size_t done = 0;
    int e;
    async__rt *rt;
    if (!s->loop || !(rt = srt(s))) return ASYNC_RT_ENOBACKEND;
    if (s->err) return s->err;
    if (s->flags & (F_CLOSING | F_CLOSED | F_WEOF)) return ASYNC_RT_ECLOSED;
    if (!n) return 0;
    /* The last iteration that wrote predicts this one: a stream written once
     * per iteration (request, answer, wait) sends its first write straight
     * from the caller's memory; one written several times (a pipelined
     * batch) buffers them all for one send. */
    if (s->witer != rt->iter) {
        if (s->wwrites > 1) s->flags |= F_WMANY;
        else s->flags &= ~F_WMANY;
        s->wwrites = 0;
        s->witer = rt->iter;
    }
    s->wwrites++;
    if (!s->wlen && (n >= WRITE_THROUGH || (s->wwrites == 1 && !(s->flags & F_WMANY)))) {
        e = wr_some(s, (const char *)data, n, &done);
        if (e) {
            wr_fail(s, e);
            return e;
        }
        if (done == n) return 0;
    }
    n -= done;
    data = (const char *)data + done;
    if (s->whead + s->wlen + n > s->wcap) {
        if (s->whead) {
            memmove(s->wbuf, s->wbuf + s->whead, s->wlen);
            s->whead = 0;
        }
        if (s->wlen + n > s->wcap) {
            size_t cap = s->wcap ? s->wcap : 16384;
            char *p;
            while (cap < s->wlen + n) cap *= 2;
            p = (char *)realloc(s->wbuf, cap);
            if (!p) return ASYNC_RT_ENOMEM;
            s->wbuf = p;
            s->wcap = cap;
        }
    }
    memcpy(s->wbuf + s->whead + s->wlen, data, n);
    s->wlen += n;
    if (ev_is_active(&s->ww)) return 0; /* the kernel is full: wr_cb sends it */
    if (done) { /* the kernel took part of it: it is full */
        ev_io_start(rt->ev, &s->ww);
        return 0;
    }
    if (s->wlen >= s->high_water) {
        wr_flush(s); /* enough for a send of its own */
        return 0;
    }
    dirty_add(rt, s);
    return 0;
}

async_future *async_stream_drain(async_stream *s) {
    if (!s->loop || !srt(s)) return async__error_future(ASYNC_RT_ENOBACKEND);
    if (s->wr.fut.c.state == ASYNC__PENDING) {
        ASYNC_MISUSE("stream drain while another drain on the same stream is pending");
        return async__error_future(ASYNC_EBUSY);
    }
    async_op_init(&s->wr, s->loop, wr_cancel);
    if (s->err) async_future_set_error(&s->wr.fut, s->err);
    else if (s->flags & F_CLOSED) async_future_set_error(&s->wr.fut, ASYNC_RT_ECLOSED);
    else if (s->wlen <= s->high_water) async_future_set_result(&s->wr.fut, async_none());
    return &s->wr.fut;
}

size_t async_stream_write_buffered(const async_stream *s) { return s->wlen; }

void async_stream_set_write_limits(async_stream *s, size_t high, size_t low) {
    s->high_water = high;
    s->low_water = low <= high ? low : high;
}

int async_stream_write_eof(async_stream *s) {
    if (!s->loop || !srt(s)) return ASYNC_RT_ENOBACKEND;
    if (s->flags & (F_CLOSING | F_CLOSED)) return ASYNC_RT_ECLOSED;
    if (s->flags & F_WEOF) return 0;
    s->flags |= F_WEOF;
    if (!s->wlen) wr_flushed(s);
    return 0;
}

static void stream_do_close(async_stream *s) {
    async__rt *rt = srt(s);
    if (s->flags & F_CLOSED) return;
    ev_io_stop(rt->ev, &s->rw);
    ev_io_stop(rt->ev, &s->ww);
    dirty_del(s);
    list_del(s);
    s->flags = (s->flags & ~F_READING) | F_CLOSED | F_CLOSING;
    close(s->fd);
    s->fd = -1;
    if (s->rop != RD_NONE) rd_finish(s, ASYNC_RT_ECLOSED, 0);
    async__complete(&s->wr.fut, s->err ? s->err : ASYNC_RT_ECLOSED, async_none());
    async__complete(&s->closed, 0, async_none());
}

void async_stream_close(async_stream *s) {
    if (!s->loop || !srt(s) || !(s->flags & F_OPEN) || (s->flags & (F_CLOSING | F_CLOSED))) return;
    s->flags |= F_CLOSING;
    reading_update(s);
    if (s->rop != RD_NONE) rd_finish(s, ASYNC_RT_ECLOSED, 0);
    if (s->wlen && !s->err && !ev_is_active(&s->ww)) {
        wr_flush(s); /* may close it (wr_flushed) */
        if (s->flags & F_CLOSED) return;
    }
    if (!s->wlen || s->err || srt(s)->draining) stream_do_close(s);
    /* else wr_cb closes once the buffer is flushed */
}

void async_stream_abort(async_stream *s) {
    if (!s->loop || !srt(s) || !(s->flags & F_OPEN) || (s->flags & F_CLOSED)) return;
    s->wlen = s->whead = 0;
    stream_do_close(s);
}

async_future *async_stream_wait_closed(async_stream *s) {
    if (!s->loop) return async__error_future(ASYNC_RT_ECLOSED);
    return &s->closed;
}

void async_stream_destroy(async_stream *s) {
    if ((s->flags & (F_OPEN | F_CLOSED)) == F_OPEN) {
        if (s->loop) async_stream_abort(s); /* still listed: its loop is open */
        else {                               /* detached by the loop's close */
            close(s->fd);
            s->fd = -1;
            s->flags |= F_CLOSED;
        }
    }
    free(s->rbuf);
    free(s->wbuf);
    free(s->all);
    s->rbuf = s->wbuf = s->all = NULL;
    s->rcap = s->wcap = s->rlen = s->wlen = 0;
}

/* ---------------------------------------------------------------------------
 * open_connection: an internal task resolves and connects. */
typedef struct async__connect_frame conn_frame;

static ASYNC_FN(connect_co, conn_frame) {
    ASYNC_BEGIN();
    self->fd = -1;
    self->ai = NULL;
    self->r.res = NULL;
    if (self->host && self->host[0] == '/') { /* Unix socket */
        int len = async_sockaddr(&self->ss, self->host, 0);
        if (len < 0) ASYNC_RAISE(-len);
        self->sslen = (socklen_t)len;
        self->fd = async_socket(AF_UNIX, SOCK_STREAM, 0);
        if (self->fd < 0) ASYNC_RAISE(-self->fd);
        ASYNC_AWAIT(async_sock_connect(&self->op, self->loop, self->fd, (struct sockaddr *)&self->ss, self->sslen,
                                       self->timeout));
    } else {
        {
            struct addrinfo hints;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_ADDRCONFIG;
            ASYNC_AWAIT(async_getaddrinfo(&self->r, self->loop, self->host, self->service, &hints));
        }
        self->err = ECONNREFUSED;
        for (self->ai = self->r.res; self->ai; self->ai = self->ai->ai_next) {
            self->fd = async_socket(self->ai->ai_family, SOCK_STREAM, 0);
            if (self->fd < 0) {
                self->err = -self->fd;
                continue;
            }
            ASYNC_AWAIT_CATCH(async_sock_connect(&self->op, self->loop, self->fd, self->ai->ai_addr,
                                                 self->ai->ai_addrlen, self->timeout),
                              self->err);
            if (!self->err) break;
            if (self->err == ASYNC_ECANCELLED) ASYNC_RAISE(ASYNC_ECANCELLED);
            close(self->fd);
            self->fd = -1;
        }
        if (self->fd < 0) ASYNC_RAISE(self->err);
    }
    {
        int one = 1;
        if (!self->host || self->host[0] != '/') setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        self->err = async_stream_open_fd(self->s, self->loop, self->fd);
        if (self->err) ASYNC_RAISE(self->err);
        self->fd = -1; /* the stream owns it */
    }
    ASYNC_FINALLY();
    if (self->fd >= 0) close(self->fd);
    async_resolve_free(&self->r);
    ASYNC_END();
}

static async_future *connect_start(async_connect *c, async_loop *loop, async_stream *s, const char *host,
                                   const char *service, double timeout_s, const char *name) {
    if (!async__rt_of(loop)) return async__error_future(ASYNC_RT_ENOBACKEND);
    memset(&c->f, 0, sizeof c->f);
    c->f.s = s;
    c->f.loop = loop;
    c->f.host = host;
    c->f.service = service;
    c->f.timeout = timeout_s;
    memset(s, 0, sizeof *s); /* not open until the task succeeds */
    async_task_create(loop, &c->task, connect_co, &c->f, name);
    return &c->task.fut;
}

async_future *async_open_connection(async_connect *c, async_loop *loop, async_stream *s, const char *host,
                                    const char *service, double timeout_s) {
    return connect_start(c, loop, s, host, service, timeout_s, "open_connection");
}

async_future *async_open_unix_connection(async_connect *c, async_loop *loop, async_stream *s, const char *path,
                                         double timeout_s) {
    if (!path || path[0] != '/') return async__error_future(EINVAL);
    return connect_start(c, loop, s, path, NULL, timeout_s, "open_unix_connection");
}

/* ---------------------------------------------------------------------------
 * Servers. Each client is one malloc'd block: task, stream, links, then the
 * handler's frame. */
typedef struct client {
    async_task task;
    async_stream stream;
    async_callback done_cb, closed_cb;
    struct client *next, *prev;
    async_server *srv;
    int idle; /* async_client_set_idle */
    union {
        async_client_frame base;
        double align_d;
        void *align_p;
        long long align_ll;
    } frame; /* followed by the rest of the handler's frame */
} client;

static void server_unlist(async_server *srv) {
    async__rt *rt = async__rt_of(srv->loop);
    if (!rt || (!srv->rt_prev && rt->servers != srv)) return;
    if (srv->rt_prev) srv->rt_prev->rt_next = srv->rt_next;
    else rt->servers = srv->rt_next;
    if (srv->rt_next) srv->rt_next->rt_prev = srv->rt_prev;
    srv->rt_next = srv->rt_prev = NULL;
}

static void phase_stop(async_server *srv) {
    async__rt *rt = async__rt_of(srv->loop);
    if (rt) ev_timer_stop(rt->ev, &srv->phase_timer);
}

static void server_maybe_closed(async_server *srv) {
    if (srv->closing && !srv->nclients) {
        phase_stop(srv);
        server_unlist(srv);
        async__complete(&srv->closed, 0, async_none());
    }
}

static void client_free(async_future *f, void *arg) {
    client *c = (client *)arg;
    async_server *srv = c->srv;
    (void)f;
    if (c->prev) c->prev->next = c->next;
    else srv->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nclients--;
    async_stream_destroy(&c->stream);
    free(c);
    server_maybe_closed(srv);
}

static void shutdown_flush(async_server *srv);
static void phase_cb(struct ev_loop *ev, ev_timer *w, int revents);

static void client_done(async_future *f, void *arg) {
    client *c = (client *)arg;
    int err = async_future_error(f);
    async__rt *rt = async__rt_of(c->srv->loop);
    if (rt) async__debug_forget(rt, &c->task);
    if (err && err != ASYNC_ECANCELLED) c->srv->on_error(c->srv, &c->frame.base, err);
    async_stream_close(&c->stream); /* flushes what the handler wrote, then closes */
    async_future_add_done_callback(&c->stream.closed, &c->closed_cb, client_free, c);
    c->srv->nhandlers--;
    if (c->srv->phase == 1 && !c->srv->nhandlers) shutdown_flush(c->srv);
}

static void error_default(async_server *srv, async_client_frame *client, int err) {
    (void)srv;
    (void)client;
    if (err != ASYNC_RT_ECLOSED && err != ECONNRESET && err != EPIPE)
        fprintf(stderr, "async server: client handler failed: %s\n", async_rt_strerror(err));
}

void async_server_set_error_handler(async_server *srv, void (*fn)(async_server *srv, async_client_frame *client, int err)) {
    srv->on_error = fn ? fn : error_default;
}

void async_server_set_read_buffer(async_server *srv, size_t size) { srv->rbuf_size = size; }

static void accept_cb(struct ev_loop *ev, ev_io *w, int revents) {
    async_server *srv = (async_server *)w->data;
    int i;
    (void)revents;
    for (i = 0; i < 64 && !srv->closing; i++) {
        client *c;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: pause accepting for a while
             * instead of spinning on a readable listening socket. */
            srv->accept_errors++;
            ev_io_stop(ev, &srv->w);
            ev_timer_set(&srv->retry, 0.1, 0.);
            ev_timer_start(ev, &srv->retry);
            return;
        }
        c = (client *)calloc(1, sizeof(client) - sizeof c->frame + (srv->frame_size > sizeof c->frame ? srv->frame_size : sizeof c->frame));
        if (!c) {
            close(fd);
            srv->accept_errors++;
            continue;
        }
        {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on Unix sockets */
        }
        if (async_stream_open_fd(&c->stream, srv->loop, fd)) {
            close(fd);
            free(c);
            srv->accept_errors++;
            continue;
        }
        if (srv->rbuf_size) async_stream_set_read_buffer(&c->stream, srv->rbuf_size);
        c->srv = srv;
        c->frame.base.stream = &c->stream;
        c->frame.base.server = srv;
        c->frame.base.arg = srv->arg;
        c->next = (client *)srv->clients;
        if (c->next) c->next->prev = c;
        srv->clients = c;
        srv->nclients++;
        srv->nhandlers++;
        srv->accepted++;
        async_task_create(srv->loop, &c->task, srv->handler, &c->frame, "client");
        async_future_add_done_callback(&c->task.fut, &c->done_cb, client_done, c);
    }
}

static void retry_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    async_server *srv = (async_server *)w->data;
    (void)revents;
    if (!srv->closing) ev_io_start(ev, &srv->w);
}

int async_start_server(async_server *srv, async_loop *loop, int listen_fd, async_fn handler, size_t frame_size,
                       void *arg) {
    async__rt *rt = async__rt_of(loop);
    int fl;
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (listen_fd < 0) return EBADF;
    if (frame_size < sizeof(async_client_frame)) {
        ASYNC_MISUSE("async_start_server: the handler's frame must start with async_client_frame");
        return ASYNC_EMISUSE;
    }
    fl = fcntl(listen_fd, F_GETFL);
    if (fl < 0) return errno;
    if (!(fl & O_NONBLOCK)) fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
    memset(srv, 0, sizeof *srv);
    srv->loop = loop;
    srv->fd = listen_fd;
    srv->handler = handler;
    srv->frame_size = frame_size;
    srv->arg = arg;
    srv->on_error = error_default;
    async_future_init(&srv->closed, loop);
    ev_io_init(&srv->w, accept_cb, listen_fd, EV_READ);
    srv->w.data = srv;
    ev_timer_init(&srv->retry, retry_cb, 0.1, 0.);
    srv->retry.data = srv;
    ev_timer_init(&srv->phase_timer, phase_cb, 0., 0.);
    srv->phase_timer.data = srv;
    ev_io_start(rt->ev, &srv->w);
    srv->rt_next = rt->servers;
    if (rt->servers) rt->servers->rt_prev = srv;
    rt->servers = srv;
    return 0;
}

void async_server_close(async_server *srv) {
    async__rt *rt;
    if (srv->closing) return; /* before the loop: it may be gone by now */
    rt = async__rt_of(srv->loop);
    if (!rt) return;
    srv->closing = 1;
    ev_io_stop(rt->ev, &srv->w);
    ev_timer_stop(rt->ev, &srv->retry);
    close(srv->fd);
    srv->fd = -1;
    server_maybe_closed(srv);
}

void async_server_close_clients(async_server *srv) {
    client *c;
    async_server_close(srv);
    phase_stop(srv);
    for (c = (client *)srv->clients; c; c = c->next) {
        async_task_cancel(&c->task);
        async_stream_abort(&c->stream);
    }
}

async_future *async_server_wait_closed(async_server *srv) { return &srv->closed; }

/* Graceful shutdown: grace (phase 1), then cancel and flush (phase 2), then
 * abort (phase 3); the closed future completes once the last client is freed. */
static void phase_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    async_server *srv = (async_server *)w->data;
    client *c;
    (void)ev;
    (void)revents;
    if (srv->phase == 1) {
        shutdown_flush(srv);
        return;
    }
    srv->phase = 3;
    for (c = (client *)srv->clients; c; c = c->next)
        if (!(c->stream.flags & F_CLOSED)) {
            srv->shutdown_aborted++;
            async_stream_abort(&c->stream);
        }
}

static void phase_arm(async_server *srv, double s) {
    async__rt *rt = async__rt_of(srv->loop);
    ev_timer_stop(rt->ev, &srv->phase_timer);
    ev_now_update(rt->ev); /* counted from libev's cached time: it must not end early */
    ev_timer_set(&srv->phase_timer, s > 0 ? s : 0., 0.);
    ev_timer_start(rt->ev, &srv->phase_timer);
}

static void shutdown_flush(async_server *srv) {
    client *c;
    srv->phase = 2;
    for (c = (client *)srv->clients; c; c = c->next)
        if (async_task_cancel(&c->task)) srv->shutdown_cancelled++;
    phase_arm(srv, srv->flush_s);
}

async_future *async_server_shutdown(async_server *srv, double grace_s, double flush_s) {
    client *c;
    if (!srv->loop || !async__rt_of(srv->loop)) return &srv->closed;
    if (srv->phase || srv->closed.c.state != ASYNC__PENDING) return &srv->closed;
    srv->flush_s = flush_s;
    srv->phase = 1;
    async_server_close(srv);
    if (srv->closed.c.state != ASYNC__PENDING) return &srv->closed; /* no clients */
    for (c = (client *)srv->clients; c; c = c->next)
        if (c->idle && !async_stream_read_buffered(&c->stream) && async_task_cancel(&c->task)) srv->shutdown_cancelled++;
    phase_arm(srv, grace_s);
    return &srv->closed;
}

int async_client_set_idle(async_client_frame *base, int idle) {
    client *c;
    if (!base || !base->server || base->stream != &((client *)(void *)((char *)base - offsetof(client, frame)))->stream) {
        ASYNC_MISUSE("async_client_set_idle: not the frame of a server's client (pass &self->base)");
        return 0;
    }
    c = (client *)(void *)((char *)base - offsetof(client, frame));
    c->idle = idle != 0;
    return c->srv->closing;
}

/* ---------------------------------------------------------------------------
 * Loop close: asyncio.run's shutdown has cancelled the tasks; what they left
 * open (servers, their clients blocked in drain, streams still flushing) is
 * closed now, so the callbacks that free it can run before the loop goes. */
void async__streams_close_begin(async__rt *rt) {
    async_server *srv, *snext;
    async_stream *s, *next;
    async__streams_flush(rt); /* what was written goes out before the closing */
    rt->draining = 1;
    for (srv = rt->servers; srv; srv = snext) {
        snext = srv->rt_next;
        async_server_close_clients(srv);
    }
    for (s = rt->streams; s; s = next) {
        next = s->rt_next;
        if (s->flags & F_CLOSING) stream_do_close(s);
    }
}

/* What is still open belongs to its owner: detach it from the dying loop
 * (async_stream_destroy closes the fd), forget the servers. */
void async__streams_close_end(async__rt *rt) {
    async_server *srv, *snext;
    async_stream *s, *next;
    async__streams_flush(rt); /* written during the last run: sent before the detach */
    for (s = rt->streams; s; s = next) {
        next = s->rt_next;
        if (s->flags & F_CLOSING) {
            stream_do_close(s);
            continue;
        }
        ev_io_stop(rt->ev, &s->rw);
        ev_io_stop(rt->ev, &s->ww);
        dirty_del(s);
        s->flags &= ~(F_READING | F_LISTED);
        s->rop = RD_NONE;
        s->rdst = NULL;
        s->rt_next = s->rt_prev = NULL;
        s->loop = NULL;
    }
    rt->streams = NULL;
    for (srv = rt->servers; srv; srv = snext) {
        snext = srv->rt_next;
        srv->rt_next = srv->rt_prev = NULL;
        srv->loop = NULL;
    }
    rt->servers = NULL;
}

/* ---------------------------------------------------------------------------
 * For the debug views (debug.c): name the futures of streams and servers. */
int async__streams_describe(async__rt *rt, async_future *f, char *buf, size_t n, async_server **srvp) {
    async_stream *s;
    async_server *srv;
    *srvp = NULL;
    for (srv = rt->servers; srv; srv = srv->rt_next)
        if (f == &srv->closed) {
            snprintf(buf, n, "server close (%lu client%s)", srv->nclients, srv->nclients == 1 ? "" : "s");
            *srvp = srv;
            return 1;
        }
    for (s = rt->streams; s; s = s->rt_next) {
        const char *what = f == &s->rd.fut ? "read" : f == &s->wr.fut ? "drain" : f == &s->closed ? "close" : NULL;
        if (what) {
            snprintf(buf, n, "%s on fd %d", what, s->fd);
            return 1;
        }
    }
    return 0;
}

void async__server_each_client(async_server *srv, void (*fn)(async_task *t, void *ud), void *ud) {
    client *c;
    for (c = (client *)srv->clients; c; c = c->next)
        if (c->task.fut.c.state == ASYNC__PENDING) fn(&c->task, ud);
}
