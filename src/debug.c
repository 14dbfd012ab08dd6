/* debug.c — debug mode: slow steps (a greedy coroutine), tasks still pending
 * at loop close, errors nobody retrieved; the Chrome / Perfetto JSON trace;
 * the await tree (pstree). Built on the core's trace hook. */
#include "rt_private.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void async__rt_warn(async__rt *rt, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rt && rt->sink) rt->sink(rt->sink_ud, line);
    else fprintf(stderr, "async debug: %s\n", line);
}

/* An await raised a failed task's error since the last event: forget it. */
static void debug_take_retrieved(async__rt *rt) {
    if (!rt->loop->retrieved) return;
    async__debug_forget(rt, (async_task *)(void *)rt->loop->retrieved);
    rt->loop->retrieved = NULL;
}

static void json_trace(async__rt *rt, async_trace_event ev, async_task *t, async_status s);

/* A resume point's record as "file.c:42" (NULL: the task had not started):
 * the step traces keep the record, and format only what they print. */
static const char *where_str(const async_where *w, char *buf, size_t size) {
    if (!w) return "not started";
    snprintf(buf, size, "%s:%u", w->file, (unsigned)w->line);
    return buf;
}

static void debug_trace(async_loop *loop, async_trace_event ev, async_task *t, async_status s, void *ud) {
    async__rt *rt = (async__rt *)ud;
    (void)loop;
    if (rt->tj && ev != ASYNC_TRACE_RETRIEVED) json_trace(rt, ev, t, s);
    if (rt->slow <= 0) return;
    if (ev == ASYNC_TRACE_RETRIEVED) { /* async_future_error on t */
        async__debug_forget(rt, t);
        return;
    }
    debug_take_retrieved(rt);
    if (ev == ASYNC_TRACE_STEP_BEGIN) {
        rt->step_where = t->where;
        rt->step_start = async__mono_ns();
    } else if (ev == ASYNC_TRACE_STEP_END) {
        double held = (double)(async__mono_ns() - rt->step_start) / 1e9;
        char from[ASYNC_WHERE_SIZE], to[ASYNC_WHERE_SIZE];
        if (held > rt->slow)
            async__rt_warn(rt, "slow step: task '%s' held the loop for %.1f ms (resumed at %s, %s %s)",
                           async_task_name(t), held * 1e3, where_str(rt->step_where, from, sizeof from),
                           s >= ASYNC_YIELDED ? "suspended at" : "finished",
                           s >= ASYNC_YIELDED ? async_task_where(t, to, sizeof to) : "");
        /* A task that failed while nothing awaited it: reported at close from
         * this copy unless its error is read before (ASYNC_TRACE_RETRIEVED),
         * since by then the task may be freed. */
        if (s == ASYNC_FAILED && t->fut.c.err != ASYNC_ECANCELLED && !t->fut.waiters) {
            struct async__failed *r;
            if (rt->nfailed == rt->capfailed) {
                size_t cap = rt->capfailed ? rt->capfailed * 2 : 16;
                struct async__failed *p = (struct async__failed *)realloc(rt->failed, cap * sizeof *p);
                if (!p) return;
                rt->failed = p;
                rt->capfailed = cap;
            }
            r = &rt->failed[rt->nfailed++];
            r->t = t;
            r->err = t->fut.c.err;
            snprintf(r->name, sizeof r->name, "%s", async_task_name(t));
        }
    }
}

/* One hook serves debug mode and the JSON trace. */
static void trace_update(async__rt *rt) {
    int on = rt->slow > 0 || rt->tj;
    async_loop_set_trace(rt->loop, on ? debug_trace : NULL, on ? rt : NULL);
}

void async_rt_set_debug(async_loop *loop, double slow_seconds) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return;
    rt->slow = slow_seconds > 0 ? slow_seconds : 0;
    trace_update(rt);
}

void async_rt_set_debug_sink(async_loop *loop, void (*fn)(void *ud, const char *line), void *ud) {
    async__rt *rt = async__rt_of(loop);
    if (!rt) return;
    rt->sink = fn;
    rt->sink_ud = ud;
}

void async__debug_init_env(async__rt *rt) {
    const char *v = getenv("ASYNC_DEBUG"), *slow = getenv("ASYNC_DEBUG_SLOW"), *json = getenv("ASYNC_TRACE_JSON");
    if (v && *v && *v != '0') async_rt_set_debug(rt->loop, slow ? atof(slow) : 0.1);
    if (json && *json && async_rt_trace_json(rt->loop, json))
        async__rt_warn(rt, "ASYNC_TRACE_JSON: cannot write %s", json);
}

void async__debug_forget(async__rt *rt, async_task *t) {
    size_t i;
    for (i = 0; i < rt->nfailed; i++)
        if (rt->failed[i].t == t) rt->failed[i--] = rt->failed[--rt->nfailed];
}

void async__debug_close(async__rt *rt) {
    size_t i;
    if (rt->tj) async_rt_trace_json(rt->loop, NULL);
    if (rt->slow <= 0) return;
    debug_take_retrieved(rt);
    for (i = 0; i < rt->nfailed; i++) {
        struct async__failed *r = &rt->failed[i];
        async__rt_warn(rt, "task '%s' failed with error %d (%s) and its error was never retrieved", r->name,
                       r->err, async_rt_strerror(r->err));
    }
    rt->nfailed = 0;
#if ASYNC_CONFIG_TASK_INFO
    {
        async_task *t;
        char where[ASYNC_WHERE_SIZE];
        for (t = async__live_first(rt->loop); t; t = async__live_next(rt->loop, t))
            async__rt_warn(rt, "task '%s' destroyed while pending (suspended at %s)", async_task_name(t),
                           async_task_where(t, where, sizeof where));
    }
#endif
}

/* ---------------------------------------------------------------------------
 * What a future is, in words. */
void async__describe_future(async__rt *rt, async_future *f, char *buf, size_t n) {
    async_server *srv;
    if (f->c.flags & ASYNC__F_TASK) snprintf(buf, n, "task %s", async_task_name((async_task *)(void *)f));
    else if (f->c.flags & ASYNC__F_TIMER) snprintf(buf, n, "a timer");
    else if (!rt || !async__streams_describe(rt, f, buf, n, &srv)) snprintf(buf, n, "future %p", (void *)f);
}

/* ---------------------------------------------------------------------------
 * The JSON trace: one track per task (its steps, and the awaits between
 * them named after what they wait on), a loop track with the polls, and
 * flow arrows from a task's last step to the steps of the tasks it woke. */
typedef struct tj_task {
    async_task *t;
    unsigned id;
    int dead, waiting;
    unsigned wake_from;      /* the task awaited, if it was a task */
    async_time wait_start;
    char wait[64];
} tj_task;

struct async__tj {
    FILE *f;
    unsigned long nevents, max;
    async_time t0, step_start;
    const async_where *step_from;
    tj_task *tab;
    size_t cap, n;
    unsigned next_id;
    async_time poll_start, poll_end; /* the last poll recorded */
    unsigned long polls, poll_flowed; /* its number; the last one an arrow starts from */
};

static double tj_us(struct async__tj *tj, async_time t) { return (double)(t - tj->t0) / 1e3; }

static void tj_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* Starts an event (the separator, the common fields); 0 when the trace is full. */
static int tj_event(struct async__tj *tj, const char *ph, unsigned tid, async_time ts) {
    if (tj->nevents >= tj->max) return 0;
    if (++tj->nevents == tj->max) {
        fprintf(tj->f, ",\n{\"ph\":\"i\",\"s\":\"g\",\"name\":\"trace truncated (ASYNC_TRACE_JSON_MAX)\",\"pid\":1,"
                       "\"tid\":0,\"ts\":%.3f}", tj_us(tj, ts));
        return 0;
    }
    fprintf(tj->f, ",\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%u,\"ts\":%.3f", ph, tid, tj_us(tj, ts));
    return 1;
}

static tj_task *tj_lookup(async__rt *rt, struct async__tj *tj, async_task *t) {
    size_t i, mask;
    tj_task *e;
    if (tj->n * 2 >= tj->cap) { /* grow (open addressing, pointer keys) */
        size_t cap = tj->cap ? tj->cap * 2 : 256, k;
        tj_task *tab = (tj_task *)calloc(cap, sizeof *tab);
        if (!tab) return NULL;
        for (k = 0; k < tj->cap; k++)
            if (tj->tab[k].t) {
                i = ((uintptr_t)tj->tab[k].t >> 4) & (cap - 1);
                while (tab[i].t) i = (i + 1) & (cap - 1);
                tab[i] = tj->tab[k];
            }
        free(tj->tab);
        tj->tab = tab;
        tj->cap = cap;
    }
    mask = tj->cap - 1;
    for (i = ((uintptr_t)t >> 4) & mask; tj->tab[i].t && tj->tab[i].t != t; i = (i + 1) & mask) {}
    e = &tj->tab[i];
    if (!e->t) tj->n++;
    if (!e->t || e->dead) { /* first seen (or a new task in a finished one's memory) */
        memset(e, 0, sizeof *e);
        e->t = t;
        e->id = ++tj->next_id;
        if (tj_event(tj, "M", e->id, tj->t0)) {
            fprintf(tj->f, ",\"name\":\"thread_name\",\"args\":{\"name\":");
            {
                char name[96];
                snprintf(name, sizeof name, "%s #%u", async_task_name(t), e->id);
                tj_str(tj->f, name);
            }
            fprintf(tj->f, "}}");
        }
        if (tj_event(tj, "M", e->id, tj->t0)) fprintf(tj->f, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}", e->id);
    }
    (void)rt;
    return e;
}

static void json_trace(async__rt *rt, async_trace_event ev, async_task *t, async_status s) {
    struct async__tj *tj = rt->tj;
    async_time now;
    tj_task *e;
    char wbuf[ASYNC_WHERE_SIZE];
    if (ev != ASYNC_TRACE_STEP_BEGIN && ev != ASYNC_TRACE_STEP_END) return;
    now = async__mono_ns();
    e = tj_lookup(rt, tj, t);
    if (!e) return;
    if (ev == ASYNC_TRACE_STEP_BEGIN) {
        if (e->waiting) {
            if (tj_event(tj, "X", e->id, e->wait_start)) {
                fprintf(tj->f, ",\"dur\":%.3f,\"cat\":\"await\",\"name\":", tj_us(tj, now) - tj_us(tj, e->wait_start));
                tj_str(tj->f, e->wait);
                fprintf(tj->f, "}");
            }
            if (e->wake_from && tj_event(tj, "f", e->id, now))
                fprintf(tj->f, ",\"bp\":\"e\",\"id\":%u,\"cat\":\"wake\",\"name\":\"wake\"}", e->wake_from);
            else if (!e->wake_from && tj->polls && tj->poll_end > e->wait_start) {
                /* woken by I/O or a timer: the arrow starts at the poll that saw it */
                if (tj->poll_flowed != tj->polls && tj_event(tj, "s", 0, tj->poll_start))
                    fprintf(tj->f, ",\"id\":\"p%lu\",\"cat\":\"wake\",\"name\":\"wake\"}", tj->polls);
                tj->poll_flowed = tj->polls;
                if (tj_event(tj, "f", e->id, now))
                    fprintf(tj->f, ",\"bp\":\"e\",\"id\":\"p%lu\",\"cat\":\"wake\",\"name\":\"wake\"}", tj->polls);
            }
            e->waiting = 0;
            e->wake_from = 0;
        }
        tj->step_start = now;
        tj->step_from = t->where;
        return;
    }
    if (tj_event(tj, "X", e->id, tj->step_start)) {
        fprintf(tj->f, ",\"dur\":%.3f,\"cat\":\"step\",\"name\":", tj_us(tj, now) - tj_us(tj, tj->step_start));
        tj_str(tj->f, async_task_name(t));
        fprintf(tj->f, ",\"args\":{\"from\":");
        tj_str(tj->f, where_str(tj->step_from, wbuf, sizeof wbuf));
        fprintf(tj->f, ",\"to\":");
        if (s == ASYNC_DONE) tj_str(tj->f, "returned");
        else if (s == ASYNC_FAILED) tj_str(tj->f, async_rt_strerror(t->fut.c.err));
        else tj_str(tj->f, where_str(t->where, wbuf, sizeof wbuf));
        fprintf(tj->f, "}}");
    }
    if (s == ASYNC_AWAITING) {
        async_future *on = (async_future *)t->fut.c.value.p;
        char what[56];
        async__describe_future(rt, on, what, sizeof what);
        snprintf(e->wait, sizeof e->wait, "await %s", what);
        e->waiting = 1;
        e->wait_start = now;
        if (on->c.flags & ASYNC__F_TASK) {
            tj_task *b = tj_lookup(rt, tj, (async_task *)(void *)on);
            if (b) e->wake_from = b->id;
        }
    } else if (s == ASYNC_DONE || s == ASYNC_FAILED) {
        if (t->fut.waiters && tj_event(tj, "s", e->id, tj->step_start))
            fprintf(tj->f, ",\"id\":%u,\"cat\":\"wake\",\"name\":\"wake\"}", e->id);
        e->dead = 1;
    }
}

void async__trace_poll(async__rt *rt, async_time t0) {
    struct async__tj *tj = rt->tj;
    async_time now = async__mono_ns();
    if (now - t0 < 20000) return; /* a poll that found something at once is noise */
    if (tj_event(tj, "X", 0, t0)) fprintf(tj->f, ",\"dur\":%.3f,\"cat\":\"io\",\"name\":\"poll\"}", tj_us(tj, now) - tj_us(tj, t0));
    tj->poll_start = t0;
    tj->poll_end = now;
    tj->polls++;
}

int async_rt_trace_json(async_loop *loop, const char *path) {
    async__rt *rt = async__rt_of(loop);
    struct async__tj *tj;
    const char *max = getenv("ASYNC_TRACE_JSON_MAX");
    if (!rt) return ASYNC_RT_ENOBACKEND;
    if (rt->tj) { /* finish the current trace */
        tj = rt->tj;
        fprintf(tj->f, "\n],\"displayTimeUnit\":\"ms\"}\n");
        fclose(tj->f);
        free(tj->tab);
        free(tj);
        rt->tj = NULL;
        trace_update(rt);
    }
    if (!path) return 0;
    tj = (struct async__tj *)calloc(1, sizeof *tj);
    if (!tj) return ASYNC_RT_ENOMEM;
    tj->f = fopen(path, "w");
    if (!tj->f) {
        int e = errno;
        free(tj);
        return e ? e : EIO;
    }
    tj->max = max && atol(max) > 0 ? (unsigned long)atol(max) : 1000000ul;
    tj->t0 = async__mono_ns();
    fprintf(tj->f, "{\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"async loop\"}},\n"
                   "{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":\"loop (polls)\"}}");
    rt->tj = tj;
    trace_update(rt);
    return 0;
}

/* ---------------------------------------------------------------------------
 * The await tree: each task, what it awaits, and below it the task it awaits
 * (or the clients of the server it awaits). Roots: what nobody awaits. */
typedef struct tree {
    async__rt *rt; /* NULL on another backend: no streams or servers then */
    async_loop *loop;
    async_write_fn w;
    void *ud;
    char prefix[256];
} tree;

static void tree_task(tree *tr, async_task *t, int last, int depth);

struct each_ud { tree *tr; async_task **v; size_t n, cap; };
static void collect(async_task *t, void *ud) {
    struct each_ud *e = (struct each_ud *)ud;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        async_task **v = (async_task **)realloc(e->v, cap * sizeof *v);
        if (!v) return;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = t;
}

static void tree_line(tree *tr, int last, int depth, const char *text) {
    if (depth) {
        tr->w(tr->ud, tr->prefix);
        tr->w(tr->ud, last ? "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 " : "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 ");
    }
    tr->w(tr->ud, text);
    tr->w(tr->ud, "\n");
}

/* Children are printed with the prefix extended by "│   " or "    ". */
static size_t tree_push(tree *tr, int last, int depth) {
    size_t len = strlen(tr->prefix);
    if (depth && len + 8 < sizeof tr->prefix) strcat(tr->prefix, last ? "    " : "\xe2\x94\x82   ");
    return len;
}

static void tree_server(tree *tr, async_server *srv, int last, int depth) {
    char line[160];
    struct each_ud e;
    size_t i, len;
    memset(&e, 0, sizeof e);
    snprintf(line, sizeof line, "server fd %d: %lu client%s%s", srv->fd, srv->nclients, srv->nclients == 1 ? "" : "s",
             srv->phase ? " (shutting down)" : srv->closing ? " (closed)" : "");
    tree_line(tr, last, depth, line);
    async__server_each_client(srv, collect, &e);
    len = tree_push(tr, last, depth);
    for (i = 0; i < e.n; i++) tree_task(tr, e.v[i], i + 1 == e.n, depth + 1);
    tr->prefix[len] = 0;
    free(e.v);
}

static void tree_task(tree *tr, async_task *t, int last, int depth) {
    char line[256], what[96], where[ASYNC_WHERE_SIZE];
    async_future *on = async_task_waiting_on(t);
    async_server *srv = NULL;
    size_t len;
    if (on) {
        if (tr->rt && !(on->c.flags & (ASYNC__F_TASK | ASYNC__F_TIMER)))
            async__streams_describe(tr->rt, on, what, sizeof what, &srv);
        async__describe_future(tr->rt, on, what, sizeof what);
        snprintf(line, sizeof line, "task %s: waiting at %s on %s", async_task_name(t),
                 async_task_where(t, where, sizeof where), what);
    } else if (t == tr->loop->current) {
        snprintf(line, sizeof line, "task %s: running", async_task_name(t));
    } else {
        snprintf(line, sizeof line, "task %s: ready at %s", async_task_name(t), async_task_where(t, where, sizeof where));
    }
    if (t->fut.c.flags & ASYNC__F_MUST_CANCEL) strncat(line, " (cancelling)", sizeof line - strlen(line) - 1);
    tree_line(tr, last, depth, line);
    if (depth > 32) return;
    len = tree_push(tr, last, depth);
    if (on && (on->c.flags & ASYNC__F_TASK)) tree_task(tr, (async_task *)(void *)on, 1, depth + 1);
    else if (srv) tree_server(tr, srv, 1, depth + 1);
    tr->prefix[len] = 0;
}

#if ASYNC_CONFIG_TASK_INFO
/* 1 if a live task awaits f (a task's future, or a server's). */
static int awaited(async_loop *loop, async_future *f) {
    async_task *u;
    for (u = async__live_first(loop); u; u = async__live_next(loop, u))
        if (async_task_waiting_on(u) == f) return 1;
    return 0;
}
static int in_server(async__rt *rt, async_task *t, async_server **out) {
    async_server *srv;
    if (!rt) return 0;
    for (srv = rt->servers; srv; srv = srv->rt_next) {
        struct each_ud e;
        size_t i;
        int hit = 0;
        memset(&e, 0, sizeof e);
        async__server_each_client(srv, collect, &e);
        for (i = 0; i < e.n && !hit; i++) hit = e.v[i] == t;
        free(e.v);
        if (hit) {
            *out = srv;
            return 1;
        }
    }
    return 0;
}
#endif

void async_rt_pstree(async_loop *loop, async_write_fn w, void *ud) {
#if ASYNC_CONFIG_TASK_INFO
    tree tr;
    async_task *t, **roots = NULL;
    async_server *srv;
    size_t n = 0, cap = 0, i;
    tr.rt = async__rt_of(loop);
    tr.loop = loop;
    tr.w = w;
    tr.ud = ud;
    tr.prefix[0] = 0;
    /* Roots, in creation order (the live list is newest first). */
    for (t = async__live_first(loop); t; t = async__live_next(loop, t)) {
        if (awaited(loop, &t->fut)) continue;
        if (in_server(tr.rt, t, &srv)) continue;
        if (n == cap) {
            async_task **v = (async_task **)realloc(roots, (cap = cap ? cap * 2 : 16) * sizeof *v);
            if (!v) break;
            roots = v;
        }
        roots[n++] = t;
    }
    for (i = n; i-- > 0;) tree_task(&tr, roots[i], 1, 0);
    free(roots);
    for (srv = tr.rt ? tr.rt->servers : NULL; srv; srv = srv->rt_next) /* servers nobody awaits */
        if (!awaited(loop, &srv->closed)) tree_server(&tr, srv, 1, 0);
#else
    (void)loop;
    w(ud, "pstree needs ASYNC_CONFIG_TASK_INFO\n");
#endif
}
