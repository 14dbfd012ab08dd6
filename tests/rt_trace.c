/* rt_trace.c — the debug views: the await tree (async_rt_pstree) of a known
 * program, printed exactly (line and fd numbers aside), and the JSON trace
 * (async_rt_trace_json, ASYNC_TRACE_JSON): valid JSON (python3 -m json.tool)
 * holding the events the program must produce. */
#include "rt_common.h"
#include <netinet/in.h>
#include <sys/socket.h>

static char tree[4096];
static void out(void *ud, const char *s) {
    (void)ud;
    strncat(tree, s, sizeof tree - strlen(tree) - 1);
}

/* ":123" -> ":N" and "fd 7" -> "fd N", so the tree compares exactly. */
static void normalize(char *s) {
    char *r = s, *w = s;
    while (*r) {
        int digits = (r[0] == ':' || (r > s && r[-1] == ' ' && r - s >= 3 && memcmp(r - 3, "fd ", 3) == 0)) &&
                     ((r[0] == ':' ? r[1] : r[0]) >= '0' && (r[0] == ':' ? r[1] : r[0]) <= '9');
        if (digits) {
            if (r[0] == ':') *w++ = *r++;
            if (*r == '-') r++;
            while (*r >= '0' && *r <= '9') r++;
            *w++ = 'N';
        } else if (r[0] == '-' && r[1] >= '0' && r[1] <= '9' && r - s >= 3 && memcmp(r - 3, "fd ", 3) == 0) {
            r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

struct client { async_client_frame base; char line[64]; };
static ASYNC_FN_AT(client_handler, struct client, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_readline(self->base.stream, self->line, sizeof self->line));
    ASYNC_END();
}

struct child { async_frame hdr; async_timer t; };
static ASYNC_FN(child_co, struct child) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 30);
    ASYNC_END();
}
struct parent { async_frame hdr; async_task child; struct child cf; };
static ASYNC_FN(parent_co, struct parent) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->child, child_co, &self->cf, "child");
    ASYNC_AWAIT(&self->child.fut);
    ASYNC_END();
}
struct waiter { async_frame hdr; async_server *srv; };
static ASYNC_FN(waiter_co, struct waiter) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_server_wait_closed(self->srv));
    ASYNC_END();
}

struct tree_main {
    async_frame hdr;
    async_server srv;
    async_task parent, waiter;
    struct parent pf;
    struct waiter wf;
    async_timer t;
    int lfd, peer, i;
};
static ASYNC_FN(tree_main, struct tree_main) {
    ASYNC_BEGIN();
    self->lfd = async_listen_tcp("127.0.0.1", 0, 4);
    assert_int_equal(async_start_server(&self->srv, ASYNC_LOOP, self->lfd, client_handler, sizeof(struct client), NULL), 0);
    async_task_create(ASYNC_LOOP, &self->parent, parent_co, &self->pf, "parent");
    self->wf.srv = &self->srv;
    async_task_create(ASYNC_LOOP, &self->waiter, waiter_co, &self->wf, "waiter");
    {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((unsigned short)async_sock_port(self->lfd));
        self->peer = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(self->peer, (struct sockaddr *)&a, sizeof a), 0);
    }
    for (self->i = 0; self->i < 500 && !self->srv.nclients; self->i++) ASYNC_SLEEP(&self->t, 0.01);
    ASYNC_SLEEP(&self->t, 0.01); /* the client has parked in its read */
    tree[0] = 0;
    async_rt_pstree(ASYNC_LOOP, out, NULL);
    async_task_cancel(&self->parent);
    async_server_close_clients(&self->srv);
    ASYNC_AWAIT(&self->waiter.fut);
    ASYNC_AWAIT_CATCH(&self->parent.fut, self->i);
    close(self->peer);
    ASYNC_END();
}

static void test_pstree(void **st) {
    struct tree_main *m = (struct tree_main *)calloc(1, sizeof *m);
    (void)st;
    assert_int_equal(rt_run(tree_main, m), 0);
    normalize(tree);
    assert_string_equal(tree,
        "task main: running\n"
        "task parent: waiting at tests/rt_trace.c:N on task child\n"
        "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 task child: waiting at tests/rt_trace.c:N on a timer\n"
        "task waiter: waiting at tests/rt_trace.c:N on server close (1 client)\n"
        "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 server fd N: 1 client\n"
        "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 task client: waiting at tests/rt_trace.c:N on read on fd N\n");
    free(m);
}

/* Workers: one sleeps, one reads a socketpair the main task writes to. */
struct worker { async_frame hdr; async_stream *s; async_timer t; char buf[16]; };
static ASYNC_FN(sleeper_co, struct worker) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 0.05);
    ASYNC_END();
}
static ASYNC_FN(reader_co, struct worker) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_readline(self->s, self->buf, sizeof self->buf));
    ASYNC_END();
}
struct trace_main {
    async_frame hdr;
    async_task a, b;
    struct worker af, bf;
    async_stream s;
    async_timer t;
    int sv[2];
};
static ASYNC_FN(trace_main, struct trace_main) {
    ASYNC_BEGIN();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv), 0);
    assert_int_equal(async_stream_open_fd(&self->s, ASYNC_LOOP, self->sv[0]), 0);
    self->bf.s = &self->s;
    async_task_create(ASYNC_LOOP, &self->a, sleeper_co, &self->af, "sleeper");
    async_task_create(ASYNC_LOOP, &self->b, reader_co, &self->bf, "reader \"quoted\"");
    ASYNC_SLEEP(&self->t, 0.02);
    assert_int_equal(write(self->sv[1], "hi\n", 3), 3);
    ASYNC_AWAIT(&self->b.fut);
    ASYNC_AWAIT(&self->a.fut);
    async_stream_destroy(&self->s);
    close(self->sv[1]);
    ASYNC_END();
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = (char *)calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void test_trace_json(void **st) {
    struct trace_main *m = (struct trace_main *)calloc(1, sizeof *m);
    char path[64], cmd[160], *j;
    (void)st;
    snprintf(path, sizeof path, "/tmp/rt_trace_%d.json", (int)getpid());
    setenv("ASYNC_TRACE_JSON", path, 1);
    assert_int_equal(rt_run(trace_main, m), 0); /* the loop's close completes the file */
    unsetenv("ASYNC_TRACE_JSON");
    snprintf(cmd, sizeof cmd, "python3 -m json.tool %s >/dev/null", path);
    assert_int_equal(system(cmd), 0);
    j = slurp(path);
    assert_non_null(strstr(j, "\"name\":\"main #1\""));           /* a track per task */
    assert_non_null(strstr(j, "\"name\":\"sleeper #"));
    assert_non_null(strstr(j, "\"name\":\"reader \\\"quoted\\\" #")); /* names escaped */
    assert_non_null(strstr(j, "\"cat\":\"step\",\"name\":\"sleeper\""));
    assert_non_null(strstr(j, "\"name\":\"await a timer\""));
    assert_non_null(strstr(j, "\"name\":\"await read on fd "));
    assert_non_null(strstr(j, "\"name\":\"await task reader \\\"quoted\\\"\""));
    assert_non_null(strstr(j, "\"cat\":\"io\",\"name\":\"poll\""));  /* the loop slept */
    assert_non_null(strstr(j, "\"ph\":\"s\",\"pid\":1,\"tid\":0,"));  /* a poll woke a task */
    assert_non_null(strstr(j, "\"id\":\"p"));
    assert_non_null(strstr(j, "\"ph\":\"s\""));                      /* reader woke main */
    assert_non_null(strstr(j, "\"ph\":\"f\",\"pid\":1,\"tid\":1,"));
    assert_non_null(strstr(j, "\"to\":\"returned\""));
    assert_non_null(strstr(j, "],\"displayTimeUnit\":\"ms\"}"));
    free(j);
    unlink(path);
    free(m);
}

/* A full trace stops at ASYNC_TRACE_JSON_MAX events and says so. */
static void test_trace_json_bounded(void **st) {
    struct trace_main *m = (struct trace_main *)calloc(1, sizeof *m);
    char path[64], cmd[160], *j;
    (void)st;
    snprintf(path, sizeof path, "/tmp/rt_trace_max_%d.json", (int)getpid());
    setenv("ASYNC_TRACE_JSON", path, 1);
    setenv("ASYNC_TRACE_JSON_MAX", "5", 1);
    assert_int_equal(rt_run(trace_main, m), 0);
    unsetenv("ASYNC_TRACE_JSON");
    unsetenv("ASYNC_TRACE_JSON_MAX");
    snprintf(cmd, sizeof cmd, "python3 -m json.tool %s >/dev/null", path);
    assert_int_equal(system(cmd), 0);
    j = slurp(path);
    assert_non_null(strstr(j, "trace truncated"));
    assert_null(strstr(j, "\"name\":\"await a timer\""));
    free(j);
    unlink(path);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_pstree),
        RT_TEST(test_trace_json),
        RT_TEST(test_trace_json_bounded),
    };
    if (getenv("RT_FILTER")) cmocka_set_test_filter(getenv("RT_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
