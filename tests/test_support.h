/* tests/test_support.h — shared helpers of the cmocka test programs.
 *
 * Include it FIRST in every tests/test_*.c (before any system header and
 * before async.h): it selects POSIX, includes cmocka, routes ASYNC_MISUSE into
 * a recorder (so a test can prove that a misuse was reported without the
 * default abort()), then includes async.h and, with -DTEST_BACKEND_EV, the
 * libev runtime's header.
 *
 *   #include "test_support.h"
 *   static void test_x(void **state) {
 *       async_loop loop; (void)state;
 *       test_loop_init(&loop);
 *       ...
 *       assert_int_equal(async_send(&co, async_none()), ASYNC_FAILED);
 *       expect_misuse("finished");        // exactly one misuse, message contains "finished"
 *       test_loop_close(&loop);
 *   }
 *   int main(void) { const struct CMUnitTest t[] = { TEST(test_x) }; return TEST_RUN(t); }
 *
 * Everything here is `static`: each test program is one translation unit.
 */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, alarm */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __cplusplus
extern "C" { /* cmocka 1.1 declares its functions without C linkage */
#endif
#include <cmocka.h>
#ifdef __cplusplus
}
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TEST_UNUSED __attribute__((unused))
#else
#define TEST_UNUSED
#endif

/* ---- Misuse recorder ------------------------------------------------------
 * async.h calls ASYNC_MISUSE(msg) on a programming error and then returns an
 * error code; here it only counts and remembers the message. */
static TEST_UNUSED int test_misuse_count;         /* misuses since the last reset */
static TEST_UNUSED const char *test_misuse_last;  /* message of the latest one */

static TEST_UNUSED void test__misuse(const char *msg) {
    test_misuse_count++;
    test_misuse_last = msg;
}
#define ASYNC_MISUSE(msg) test__misuse(msg)

static TEST_UNUSED void test_misuse_reset(void) {
    test_misuse_count = 0;
    test_misuse_last = NULL;
}

static TEST_UNUSED void test__expect_misuse(const char *sub, const char *file, int line) {
    if (test_misuse_count != 1 || !test_misuse_last || !strstr(test_misuse_last, sub)) {
        print_error("expected exactly one misuse containing \"%s\", got %d (last: \"%s\")\n", sub,
                    test_misuse_count, test_misuse_last ? test_misuse_last : "(none)");
        test_misuse_reset();
        _fail(file, line);
    }
    test_misuse_reset();
}
/* expect_misuse("substring"); — exactly one misuse happened since the last
 * check and its message contains the substring; resets the recorder. */
#define expect_misuse(sub) test__expect_misuse((sub), __FILE__, __LINE__)

static TEST_UNUSED void test__expect_no_misuse(const char *file, int line) {
    if (test_misuse_count != 0) {
        print_error("unexpected misuse (%d): \"%s\"\n", test_misuse_count,
                    test_misuse_last ? test_misuse_last : "?");
        test_misuse_reset();
        _fail(file, line);
    }
}
/* expect_no_misuse(); — nothing was reported as misuse. */
#define expect_no_misuse() test__expect_no_misuse(__FILE__, __LINE__)

#include "async.h"

/* ---- Loop backend ---------------------------------------------------------
 * Virtual clock by default; -DTEST_BACKEND_EV runs the same tests on the libev
 * runtime. TEST_VIRTUAL says which, so a test can skip() what only makes sense
 * in virtual time (exact clock values, deadlock detection). */
#ifdef TEST_BACKEND_EV
#include "src/async_rt.h"
#define TEST_VIRTUAL 0
static TEST_UNUSED int test_loop_init(async_loop *loop) {
    int r = async_rt_loop_init(loop);
    assert_int_equal(r, 0);
    return r;
}
static TEST_UNUSED void test_loop_close(async_loop *loop) { (void)async_rt_loop_close(loop); }
#else
#define TEST_VIRTUAL 1
static TEST_UNUSED int test_loop_init(async_loop *loop) {
    async_loop_init_virtual(loop);
    return 0;
}
static TEST_UNUSED void test_loop_close(async_loop *loop) { (void)loop; }
#endif

/* Skip the current test unless the loop runs on the virtual clock. */
#define TEST_NEED_VIRTUAL()                                                     \
    do {                                                                        \
        if (!TEST_VIRTUAL) skip();                                              \
    } while (0)

/* Skip the current test in a build without ASYNC_CONFIG_TASK_INFO (names,
 * positions, the dump, cancel_all). */
#define TEST_NEED_INFO()                                                        \
    do {                                                                        \
        if (!ASYNC_CONFIG_TASK_INFO) skip();                                    \
    } while (0)

/* ---- Text buffers and the ordering recorder ---------------------------------
 * test_buf collects output (printf-style, or as an async_write_fn for
 * async_loop_dump). The recorder is one global buffer of space-separated
 * events: rec("a%d", 1); rec("b"); assert_rec("a1 b"). */
typedef struct test_buf {
    char s[8192]; /* NUL-terminated text */
    size_t n;     /* its length */
} test_buf;

static TEST_UNUSED void test_buf_reset(test_buf *b) {
    b->n = 0;
    b->s[0] = 0;
}

static TEST_UNUSED void test_buf_vprintf(test_buf *b, const char *fmt, va_list ap) {
    int k;
    if (b->n >= sizeof(b->s) - 1) return;
    k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    if (k > 0) b->n += (size_t)k;
    if (b->n > sizeof(b->s) - 1) b->n = sizeof(b->s) - 1;
}

static TEST_UNUSED void test_buf_printf(test_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    test_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* An async_write_fn: async_loop_dump(&loop, test_buf_write, &buf). */
static TEST_UNUSED void test_buf_write(void *ud, const char *text) { test_buf_printf((test_buf *)ud, "%s", text); }

static TEST_UNUSED test_buf test_rec;

static TEST_UNUSED void rec_reset(void) { test_buf_reset(&test_rec); }

/* rec("a%d", i); — append one event to the recorder. */
static TEST_UNUSED void rec(const char *fmt, ...) {
    va_list ap;
    if (test_rec.n) test_buf_printf(&test_rec, " ");
    va_start(ap, fmt);
    test_buf_vprintf(&test_rec, fmt, ap);
    va_end(ap);
}

/* assert_rec("a1 b a2"); — the events so far, in order. */
#define assert_rec(expected) assert_string_equal(test_rec.s, (expected))

/* ---- Time and running ------------------------------------------------------ */

/* Wall-clock seconds (monotonic), to measure how long something really took. */
static TEST_UNUSED double test_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run the loop at most n iterations or until fut is done; returns the number
 * of iterations used. A stuck coroutine fails the test instead of hanging. */
static TEST_UNUSED int test_run_iterations(async_loop *loop, async_future *fut, int n) {
    int i;
    for (i = 0; i < n && !(fut && async_future_done(fut)); i++) {
        loop->running = 1;
        if (async_loop_run_once(loop)) {
            loop->running = 0;
            break;
        }
        loop->running = 0;
    }
    return i;
}

/* Per-test setup/teardown: fresh recorder, no misuse left unchecked. */
static TEST_UNUSED int test_setup(void **state) {
    (void)state;
    test_misuse_reset();
    rec_reset();
    return 0;
}
static TEST_UNUSED int test_teardown(void **state) {
    int n = test_misuse_count;
    (void)state;
    if (n) fprintf(stderr, "teardown: %d unchecked misuse(s), last: %s\n", n, test_misuse_last);
    test_misuse_reset();
    return n ? -1 : 0;
}

/* TEST(fn) — a cmocka test entry with the setup/teardown above. */
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

/* Seconds before the watchdog fires: 20, or $TEST_WATCHDOG (valgrind runs). */
static TEST_UNUSED unsigned test__watchdog(void) {
    const char *s = getenv("TEST_WATCHDOG");
    return s && atoi(s) > 0 ? (unsigned)atoi(s) : 20u;
}

/* TEST_RUN(array) — run the group; a watchdog alarm turns a hang into a
 * failure (SIGALRM ends the program with a non-zero status). */
#define TEST_RUN(tests) (alarm(test__watchdog()), cmocka_run_group_tests(tests, NULL, NULL))

#endif /* TEST_SUPPORT_H */
