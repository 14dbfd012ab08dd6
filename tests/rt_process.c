/* rt_process.c — subprocesses: output through pipes, exit codes, death by a
 * signal, communicate with stdin, a missing program; and signals: SIGINT
 * handled by a coroutine, remove_signal_handler. */
#include "rt_common.h"

struct proc_main {
    async_frame hdr;
    async_process p;
    char line[128];
    int err;
    async_signal sig;
    async_timer t;
};

static ASYNC_FN(output_main, struct proc_main) {
    static const char *const argv[] = {"sh", "-c", "echo hello; echo world; exit 3", NULL};
    ASYNC_BEGIN();
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, ASYNC_PIPE_STDOUT), 0);
    ASYNC_AWAIT(async_stream_readline(&self->p.out, self->line, sizeof self->line));
    assert_int_equal(ASYNC_VALUE.i, 6);
    assert_memory_equal(self->line, "hello\n", 6);
    ASYNC_AWAIT(async_stream_readline(&self->p.out, self->line, sizeof self->line));
    assert_memory_equal(self->line, "world\n", 6);
    ASYNC_AWAIT(async_stream_readline(&self->p.out, self->line, sizeof self->line));
    assert_int_equal(ASYNC_VALUE.i, 0); /* EOF */
    ASYNC_AWAIT(async_process_wait(&self->p));
    assert_int_equal(ASYNC_VALUE.i, 3);
    assert_int_equal(self->p.returncode, 3);
    async_process_destroy(&self->p);
    ASYNC_END();
}
static void test_output_exit(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(output_main, &m), 0);
}

static ASYNC_FN(communicate_main, struct proc_main) {
    static const char *const argv[] = {"sh", "-c", "tr a-z A-Z; echo oops >&2", NULL};
    ASYNC_BEGIN();
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, ASYNC_PIPE_STDIN | ASYNC_PIPE_STDOUT | ASYNC_PIPE_STDERR), 0);
    ASYNC_AWAIT(async_process_communicate(&self->p, "shout\n", 6, 0));
    assert_int_equal(ASYNC_VALUE.i, 0);
    assert_string_equal(self->p.out.all, "SHOUT\n");
    assert_string_equal(self->p.err.all, "oops\n");
    async_process_destroy(&self->p);
    ASYNC_END();
}
static void test_communicate(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(communicate_main, &m), 0);
}

/* A lot of output on both pipes: communicate must not deadlock. */
static ASYNC_FN(big_main, struct proc_main) {
    static const char *const argv[] = {"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2", NULL};
    ASYNC_BEGIN();
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, ASYNC_PIPE_STDOUT | ASYNC_PIPE_STDERR), 0);
    ASYNC_AWAIT(async_process_communicate(&self->p, NULL, 0, 1 << 20));
    assert_int_equal(self->p.out.all_len, 300000);
    assert_int_equal(self->p.err.all_len, 200000);
    async_process_destroy(&self->p);
    ASYNC_END();
}
static void test_big_output(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(big_main, &m), 0);
}

static ASYNC_FN(kill_main, struct proc_main) {
    static const char *const argv[] = {"sleep", "10", NULL};
    static const char *const missing[] = {"/nonexistent/program", NULL};
    ASYNC_BEGIN();
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, missing, 0), ENOENT);
    assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, 0), 0);
    assert_int_equal(async_process_kill(&self->p, SIGTERM), 0);
    ASYNC_AWAIT(async_process_wait(&self->p));
    assert_int_equal(ASYNC_VALUE.i, -SIGTERM);
    async_process_destroy(&self->p);
    ASYNC_END();
}
static void test_kill_and_missing(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(kill_main, &m), 0);
}

/* SIGINT handled by a coroutine: the main task waits for it and stops cleanly. */
static int g_cb;
static void on_sig(int signum, void *arg) {
    (void)arg;
    g_cb = signum;
}
static ASYNC_FN(sigint_main, struct proc_main) {
    ASYNC_BEGIN();
    assert_int_equal(async_add_signal_handler(ASYNC_LOOP, &self->sig, SIGINT, on_sig, NULL), 0);
    kill(getpid(), SIGINT);
    ASYNC_AWAIT(async_signal_wait(&self->sig));
    assert_int_equal(ASYNC_VALUE.i, SIGINT);
    assert_int_equal(g_cb, SIGINT);
    /* two deliveries before anyone waits: both counted */
    kill(getpid(), SIGINT);
    ASYNC_SLEEP(&self->t, 0.02);
    kill(getpid(), SIGINT);
    ASYNC_SLEEP(&self->t, 0.02);
    ASYNC_AWAIT(async_signal_wait(&self->sig));
    ASYNC_AWAIT(async_signal_wait(&self->sig));
    assert_int_equal(async_remove_signal_handler(&self->sig), 1);
    assert_int_equal(async_remove_signal_handler(&self->sig), 0);
    ASYNC_AWAIT_CATCH(async_signal_wait(&self->sig), self->err);
    assert_int_equal(self->err, ASYNC_RT_ECLOSED);
    ASYNC_END();
}
static void test_sigint(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(sigint_main, &m), 0);
}

/* A signal from a child process, while the loop is blocked in epoll. */
static ASYNC_FN(sigterm_main, struct proc_main) {
    ASYNC_BEGIN();
    assert_int_equal(async_add_signal_handler(ASYNC_LOOP, &self->sig, SIGUSR1, NULL, NULL), 0);
    {
        char cmd[64];
        static const char *argv[] = {"sh", "-c", NULL, NULL};
        snprintf(cmd, sizeof cmd, "sleep 0.05; kill -USR1 %d", (int)getpid());
        argv[2] = cmd;
        assert_int_equal(async_subprocess_exec(&self->p, ASYNC_LOOP, argv, 0), 0);
    }
    ASYNC_AWAIT(async_signal_wait(&self->sig));
    assert_int_equal(ASYNC_VALUE.i, SIGUSR1);
    ASYNC_AWAIT(async_process_wait(&self->p));
    assert_int_equal(ASYNC_VALUE.i, 0);
    async_process_destroy(&self->p);
    async_remove_signal_handler(&self->sig);
    ASYNC_END();
}
static void test_signal_from_child(void **st) {
    struct proc_main m;
    (void)st;
    memset(&m, 0, sizeof m);
    assert_int_equal(rt_run(sigterm_main, &m), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RT_TEST(test_output_exit), RT_TEST(test_communicate), RT_TEST(test_big_output),
        RT_TEST(test_kill_and_missing), RT_TEST(test_sigint), RT_TEST(test_signal_from_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
