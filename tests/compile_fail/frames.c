/* Frame misuse that must not compile (check compile-fail in tests/rules.mk):
 * built once per BAD_* macro, each must fail, even without -Werror and as C++;
 * built with none, it must compile cleanly (the control). */
#include "async.h"

struct leaf { async_frame hdr; int n; };
struct other { async_frame hdr; long big[8]; };
static ASYNC_FN(leaf_co, struct leaf) {
    ASYNC_BEGIN();
    ASYNC_RETURN(async_int(self->n));
    ASYNC_END();
}

#ifdef BAD_FIRST /* the header is not the first member: the coroutine would overwrite x */
struct late { int x; async_frame hdr; };
#else
struct late { async_frame hdr; int x; };
#endif
static ASYNC_FN(late_co, struct late) {
    ASYNC_BEGIN();
    self->x = 1;
    ASYNC_END();
}

#ifdef BAD_HDR_TYPE /* a member named hdr that is not an async_frame */
struct fake { long hdr; int x; };
#else
struct fake { async_frame hdr; int x; };
#endif
static ASYNC_FN(fake_co, struct fake) {
    ASYNC_BEGIN();
    self->x = 1;
    ASYNC_END();
}

struct parent { async_frame hdr; struct leaf leaf; struct other other; int err; };
static ASYNC_FN(parent_co, struct parent) {
    ASYNC_BEGIN();
#ifdef BAD_AWAIT_CO
    ASYNC_AWAIT_CO(leaf_co, &self->other);
#else
    ASYNC_AWAIT_CO(leaf_co, &self->leaf);
#endif
#ifdef BAD_AWAIT_CO_CATCH
    ASYNC_AWAIT_CO_CATCH(leaf_co, &self->other, self->err);
#else
    ASYNC_AWAIT_CO_CATCH(leaf_co, &self->leaf, self->err);
#endif
    ASYNC_END();
}

#ifdef BAD_TRY_FRAME /* a try block in a frame without ASYNC_TRY_FRAME: no slots for it */
struct tryer { async_frame hdr; int err; };
#else
struct tryer { ASYNC_TRY_FRAME(1); int err; };
#endif
static ASYNC_FN(tryer_co, struct tryer) {
    ASYNC_BEGIN();
    ASYNC_TRY {
        ASYNC_SLEEP0();
    } ASYNC_EXCEPT_ANY {
        self->err = ASYNC_CAUGHT;
    } ASYNC_END_TRY;
    ASYNC_END();
}

/* A FINALLY inside a block of its own would be skipped by a return or an
 * error (ASYNC_END finds it by a constant declared in its scope). */
struct closer { async_frame hdr; int open; };
static ASYNC_FN(closer_co, struct closer) {
    ASYNC_BEGIN();
    ASYNC_SLEEP0();
#ifdef BAD_FINALLY_BLOCK
    if (self->open) {
        ASYNC_FINALLY();
        self->open = 0;
    }
#else
    ASYNC_FINALLY();
    self->open = 0;
#endif
    ASYNC_END();
}

int main(void) {
    async_loop loop;
    async_task t;
    async_coro co;
    struct leaf l;
    struct other o;
    struct parent p;
    void *untyped = &l;
    (void)o;
    (void)untyped;
    async_loop_init_virtual(&loop);
#ifdef BAD_TASK_CREATE
    ASYNC_TASK_CREATE(&loop, &t, leaf_co, &o, "leaf");
#elif defined(BAD_VOID_FRAME)
    ASYNC_TASK_CREATE(&loop, &t, leaf_co, untyped, "leaf");
#else
    ASYNC_TASK_CREATE(&loop, &t, leaf_co, &l, "leaf");
#endif
#ifdef BAD_CORO_INIT
    ASYNC_CORO_INIT(&co, parent_co, &l);
#else
    ASYNC_CORO_INIT(&co, parent_co, &p);
#endif
    (void)async_send(&co, async_none());
    (void)late_co;
    (void)fake_co;
    (void)tryer_co;
    (void)closer_co;
    return async_loop_run_until_complete(&loop, &t.fut);
}
