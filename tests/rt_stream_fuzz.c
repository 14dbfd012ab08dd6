/* rt_stream_fuzz.c — the stream readers against a model of asyncio's
 * StreamReader (with this library's limit rule: a record must fit in
 * min(cap, limit)). Each case, from its seed: a random input over a small
 * alphabet (lines, separators), a random limit, a random chunking fed through
 * a socketpair one chunk at a time while a read waits, EOF at the end or not
 * at all, and a random sequence of read / readexactly / readuntil / readline
 * and the two views, some cancelled while pending. Every result (count, error, bytes, partial) is
 * compared with the model's.
 * FUZZ_SECONDS (default 1) bounds the run; FUZZ_SEED picks the first seed;
 * `make fuzz` runs it longer. A failure prints the seed to replay. */
#include "rt_common.h"
#include <sys/ioctl.h>
#include <sys/socket.h>

enum { OP_READ, OP_EXACT, OP_UNTIL, OP_LINE, OP_UNTIL_V, OP_LINE_V };
/* A view is its copying read with no cap of its own (the limit bounds it). */
static int model_op(int op) { return op == OP_UNTIL_V ? OP_UNTIL : op == OP_LINE_V ? OP_LINE : op; }
#define MAXIN 400
#define MAXCAP 120

static uint64_t rng;
static unsigned rnd(unsigned n) { /* xorshift64*, uniform enough for this */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (unsigned)((rng * 2685821657736338717ull) >> 33) % n;
}

/* The model: what asyncio's reader would do with the bytes it has. */
struct model {
    char b[MAXIN];
    size_t n; /* buffered */
    int eof;
};
struct result {
    int pending, err;
    size_t value, partial;
    char data[MAXCAP];
};
static void take(struct model *m, size_t k) {
    memmove(m->b, m->b + k, m->n - k);
    m->n -= k;
}
static const char *find(const char *h, size_t hn, const char *sep, size_t sn) {
    size_t i;
    for (i = 0; i + sn <= hn; i++)
        if (!memcmp(h + i, sep, sn)) return h + i;
    return NULL;
}
/* Decide the op on what is buffered; r->pending if it needs more bytes. */
static void model_try(struct model *m, int op, size_t n, const char *sep, size_t seplen, size_t limit,
                      struct result *r) {
    memset(r, 0, sizeof *r);
    switch (op) {
    case OP_READ:
        if (m->n) {
            r->value = m->n < n ? m->n : n;
            memcpy(r->data, m->b, r->value);
            take(m, r->value);
        } else if (!m->eof && n)
            r->pending = 1;
        return;
    case OP_EXACT:
        if (m->n >= n) {
            r->value = n;
            memcpy(r->data, m->b, n);
            take(m, n);
        } else if (m->eof) { /* IncompleteReadError(partial) */
            r->err = ASYNC_RT_EINCOMPLETE;
            r->value = r->partial = m->n;
            memcpy(r->data, m->b, m->n);
            take(m, m->n);
        } else
            r->pending = 1;
        return;
    default: {
        size_t lim = n < limit ? n : limit;
        const char *hit = find(m->b, m->n, sep, seplen);
        if (hit) {
            size_t k = (size_t)(hit - m->b) + seplen;
            if (k > lim) { /* LimitOverrunError; readline drops the line */
                r->err = ASYNC_RT_ELIMIT;
                if (op == OP_LINE) take(m, k);
                return;
            }
            r->value = k;
            memcpy(r->data, m->b, k);
            take(m, k);
        } else if (m->n >= lim) {
            r->err = ASYNC_RT_ELIMIT;
            if (op == OP_LINE) take(m, m->n);
        } else if (m->eof) {
            if (op == OP_UNTIL) {
                r->err = ASYNC_RT_EINCOMPLETE;
                r->partial = m->n;
            }
            r->value = m->n;
            memcpy(r->data, m->b, m->n);
            take(m, m->n);
        } else
            r->pending = 1;
        return;
    }
    }
}

struct fuzz_main {
    async_frame hdr;
    async_stream s;
    int peer, eof_at_end, nops, opi, op, err, i;
    char in[MAXIN];
    size_t inlen, fed, chunk, n, limit, seplen;
    const char *sep;
    struct model m;
    struct result want;
    async_future *f;
    char buf[MAXCAP];
    uint64_t seed;
    unsigned long cases, ops, cancels;
};

static const char *const seps[] = {"\n", "\r\n", ";", "ab", "\n\n"};

static void fail_case(struct fuzz_main *self, const char *what) {
    fprintf(stderr, "fuzz: seed %llu, op %d (%d, n=%zu, sep=%zu bytes, limit=%zu): %s\n",
            (unsigned long long)self->seed, self->opi, self->op, self->n, self->seplen, self->limit, what);
    fail();
}

/* Has the stream read everything the peer sent? */
static int ingested(struct fuzz_main *self) {
    int q = 0;
    return ioctl(self->s.fd, FIONREAD, &q) == 0 && q == 0;
}

static ASYNC_FN(fuzz_case, struct fuzz_main) {
    ASYNC_BEGIN();
    rng = self->seed * 0x9E3779B97F4A7C15ull + 1;
    {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        self->peer = sv[1];
        assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, sv[0]), 0);
    }
    {
        static const char alpha[] = "aab\n\r;x";
        size_t i;
        self->inlen = rnd(MAXIN);
        for (i = 0; i < self->inlen; i++) self->in[i] = alpha[rnd(sizeof alpha - 1)];
    }
    self->limit = 1 + rnd(64);
    self->s.limit = self->limit;
    self->eof_at_end = rnd(4) != 0;
    self->nops = 1 + (int)rnd(40);
    self->fed = 0;
    memset(&self->m, 0, sizeof self->m);
    for (self->opi = 0; self->opi < self->nops; self->opi++) {
        /* sometimes a chunk arrives between reads (right after a cancel, a
         * ghost read would take it); only while the reader is not paused at
         * its limit, so it takes the chunk whole, as the model does */
        if (self->fed < self->inlen && self->m.n + self->s.vlen < self->limit && rnd(3) == 0) { /* a held view counts */
            self->chunk = 1 + rnd(40);
            if (self->chunk > self->inlen - self->fed) self->chunk = self->inlen - self->fed;
            assert_int_equal(write(self->peer, self->in + self->fed, self->chunk), (ssize_t)self->chunk);
            memcpy(self->m.b + self->m.n, self->in + self->fed, self->chunk);
            self->m.n += self->chunk;
            self->fed += self->chunk;
            for (self->i = 0; self->i < 10000 && !ingested(self); self->i++) ASYNC_SLEEP0();
            if (self->i == 10000) fail_case(self, "the idle stream does not read");
        }
        self->op = (int)rnd(6);
        self->sep = "\n";
        self->seplen = 1;
        switch (self->op) {
        case OP_READ: self->n = rnd(50); self->f = async_stream_read(&self->s, self->buf, self->n); break;
        case OP_EXACT: self->n = rnd(100); self->f = async_stream_readexactly(&self->s, self->buf, self->n); break;
        case OP_UNTIL:
            self->sep = seps[rnd(sizeof seps / sizeof *seps)];
            self->seplen = strlen(self->sep);
            self->n = 1 + rnd(MAXCAP);
            self->f = async_stream_readuntil(&self->s, self->buf, self->n, self->sep, self->seplen);
            break;
        case OP_UNTIL_V:
            self->sep = seps[rnd(sizeof seps / sizeof *seps)];
            self->seplen = strlen(self->sep);
            self->n = MAXCAP;
            self->f = async_stream_readuntil_view(&self->s, self->sep, self->seplen);
            break;
        case OP_LINE_V: self->n = MAXCAP; self->f = async_stream_readline_view(&self->s); break;
        default: self->n = 1 + rnd(MAXCAP); self->f = async_stream_readline(&self->s, self->buf, self->n); break;
        }
        self->ops++;
        for (;;) {
            model_try(&self->m, model_op(self->op), self->n, self->sep, self->seplen, self->limit, &self->want);
            if (!self->want.pending) break;
            if (async_future_done(self->f)) fail_case(self, "done, the model waits");
            if (rnd(10) == 0 || (self->fed == self->inlen && (!self->eof_at_end || self->m.eof))) {
                /* cancelled while pending: consumes nothing */
                async_future_cancel(self->f);
                self->cancels++;
                break;
            }
            if (self->fed < self->inlen) {
                self->chunk = 1 + rnd(40);
                if (self->chunk > self->inlen - self->fed) self->chunk = self->inlen - self->fed;
                assert_int_equal(write(self->peer, self->in + self->fed, self->chunk), (ssize_t)self->chunk);
                memcpy(self->m.b + self->m.n, self->in + self->fed, self->chunk);
                self->m.n += self->chunk;
                self->fed += self->chunk;
                for (self->i = 0; self->i < 10000 && !async_future_done(self->f) && !ingested(self); self->i++)
                    ASYNC_SLEEP0();
                if (self->i == 10000) fail_case(self, "the stream does not read");
            } else {
                shutdown(self->peer, SHUT_WR);
                self->m.eof = 1;
                for (self->i = 0; self->i < 10000 && !async_future_done(self->f); self->i++) ASYNC_SLEEP0();
            }
        }
        if (self->want.pending) {
            if (!async_future_cancelled(self->f)) fail_case(self, "not cancelled");
            continue;
        }
        if (!async_future_done(self->f)) fail_case(self, "pending, the model has a result");
        ASYNC_AWAIT_CATCH(self->f, self->err);
        if (self->err != self->want.err) {
            fprintf(stderr, "fuzz: error %d, model %d\n", self->err, self->want.err);
            fail_case(self, "error differs");
        }
        if (!self->err && (size_t)ASYNC_VALUE.i != self->want.value) {
            fprintf(stderr, "fuzz: value %ld, model %zu\n", (long)ASYNC_VALUE.i, self->want.value);
            fail_case(self, "count differs");
        }
        if (self->err == ASYNC_RT_EINCOMPLETE && self->s.partial != self->want.partial)
            fail_case(self, "partial differs");
        if (memcmp(self->op >= OP_UNTIL_V ? async_stream_view(&self->s) : self->buf, self->want.data,
                   self->err ? self->want.partial : self->want.value))
            fail_case(self, "bytes differ");
    }
    async_stream_destroy(&self->s);
    close(self->peer);
    self->cases++;
    ASYNC_END();
}

static void test_fuzz_readers(void **st) {
    struct fuzz_main *m = (struct fuzz_main *)calloc(1, sizeof *m);
    const char *sec = getenv("FUZZ_SECONDS"), *seed = getenv("FUZZ_SEED");
    double limit = sec ? atof(sec) : 1.0, t0 = rt_wall();
    async_loop loop;
    (void)st;
    assert_int_equal(async_rt_loop_init(&loop), 0);
    m->seed = seed ? strtoull(seed, NULL, 10) : 1;
    do {
        async_task t;
        memset(&t, 0, sizeof t);
        memset(&m->s, 0, sizeof m->s);
        alarm(20);
        assert_int_equal(async_run(&loop, &t, fuzz_case, m), 0);
        alarm(0);
        m->seed++;
    } while (rt_wall() - t0 < limit && (!seed || sec));
    async_rt_loop_close(&loop);
    fprintf(stderr, "fuzz: %lu cases, %lu reads (%lu cancelled) in %.1f s, seeds to %llu\n", m->cases, m->ops,
            m->cancels, rt_wall() - t0, (unsigned long long)m->seed - 1);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_fuzz_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
