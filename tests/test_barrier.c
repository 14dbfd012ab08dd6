/* asyncio.Barrier: arrival indices, reuse over rounds, abort and reset break
 * it (ASYNC_EBROKEN), a cancelled party stops being counted, misuse. */
#include "test_support.h"

struct party {
    async_frame hdr;
    async_barrier *b;
    const char *tag;
    int rounds, i;
    async_wait_op op;
};
static ASYNC_FN(party_co, struct party) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < self->rounds; self->i++) {
        ASYNC_BARRIER_WAIT(&self->op, self->b);
        rec("%s%ld", self->tag, (long)ASYNC_VALUE.i);
    }
    ASYNC_FINALLY();
    if (ASYNC_ERROR) rec("%s-err%d", self->tag, ASYNC_ERROR);
    ASYNC_END();
}

static async_task pt[4];
static struct party pf[4];
static void parties(async_loop *loop, async_barrier *b, int n, int rounds) {
    static const char *tags[] = {"a", "b", "c", "d"};
    int i;
    for (i = 0; i < n; i++) {
        memset(&pf[i], 0, sizeof pf[i]);
        pf[i].b = b;
        pf[i].tag = tags[i];
        pf[i].rounds = rounds;
        async_task_create(loop, &pt[i], party_co, &pf[i], tags[i]);
    }
}

static void test_rounds(void **state) {
    async_loop loop;
    async_barrier b;
    int i;
    (void)state;
    test_loop_init(&loop);
    assert_int_equal(async_barrier_init(&b, 3), 0);
    parties(&loop, &b, 3, 2);
    for (i = 0; i < 3; i++) assert_int_equal(async_loop_run_until_complete(&loop, &pt[i].fut), 0);
    assert_rec("c2 a0 b1 a2 b0 c1"); /* as CPython 3.11 */
    assert_int_equal(async_barrier_n_waiting(&b), 0);
    assert_false(async_barrier_broken(&b));
    test_loop_close(&loop);
}

static void test_abort_and_reset(void **state) {
    async_loop loop;
    async_barrier b;
    int i;
    (void)state;
    test_loop_init(&loop);
    async_barrier_init(&b, 3);
    parties(&loop, &b, 2, 1);
    test_run_iterations(&loop, NULL, 2);
    assert_int_equal(async_barrier_n_waiting(&b), 2);
    async_barrier_reset(&b);
    for (i = 0; i < 2; i++) assert_int_equal(async_loop_run_until_complete(&loop, &pt[i].fut), ASYNC_EBROKEN);
    assert_false(async_barrier_broken(&b)); /* reset: usable again */
    rec_reset();
    parties(&loop, &b, 3, 1);
    for (i = 0; i < 3; i++) assert_int_equal(async_loop_run_until_complete(&loop, &pt[i].fut), 0);
    assert_rec("c2 a0 b1");
    rec_reset();
    parties(&loop, &b, 2, 1);
    test_run_iterations(&loop, NULL, 2);
    async_barrier_abort(&b);
    for (i = 0; i < 2; i++) assert_int_equal(async_loop_run_until_complete(&loop, &pt[i].fut), ASYNC_EBROKEN);
    assert_true(async_barrier_broken(&b));
    parties(&loop, &b, 1, 1); /* broken for good */
    assert_int_equal(async_loop_run_until_complete(&loop, &pt[0].fut), ASYNC_EBROKEN);
    test_loop_close(&loop);
}

static void test_cancelled_party_not_counted(void **state) {
    async_loop loop;
    async_barrier b;
    int i;
    (void)state;
    test_loop_init(&loop);
    async_barrier_init(&b, 3);
    parties(&loop, &b, 2, 1);
    test_run_iterations(&loop, NULL, 2);
    async_task_cancel(&pt[0]);
    test_run_iterations(&loop, NULL, 2);
    assert_int_equal(async_barrier_n_waiting(&b), 1);
    assert_null(b.waiters.head->next); /* only b's waiter is left */
    memset(&pf[2], 0, sizeof pf[2]);
    pf[2].b = &b, pf[2].tag = "c", pf[2].rounds = 1;
    async_task_create(&loop, &pt[2], party_co, &pf[2], "c");
    memset(&pf[3], 0, sizeof pf[3]);
    pf[3].b = &b, pf[3].tag = "d", pf[3].rounds = 1;
    async_task_create(&loop, &pt[3], party_co, &pf[3], "d");
    for (i = 1; i < 4; i++) assert_int_equal(async_loop_run_until_complete(&loop, &pt[i].fut), 0);
    assert_rec("a-err-1 d2 b1 c1"); /* as CPython 3.11: indices are counts at arrival */
    test_loop_close(&loop);
}

static void test_misuse(void **state) {
    async_barrier b;
    (void)state;
    assert_int_equal(async_barrier_init(&b, 0), ASYNC_EMISUSE);
    expect_misuse("0 parties");
    assert_int_equal(async_barrier_abort(&b), ASYNC_EMISUSE);
    expect_misuse("before async_barrier_init");
}

int main(void) {
    const struct CMUnitTest tests[] = {TEST(test_rounds), TEST(test_abort_and_reset),
                                       TEST(test_cancelled_party_not_counted), TEST(test_misuse)};
    return TEST_RUN(tests);
}
