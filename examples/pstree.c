/* pstree.c — what is every task waiting for? async_rt_pstree prints the
 * await tree (like Python 3.14's `python -m asyncio pstree`): each task,
 * where it is suspended, what it awaits, and below it the task it awaits.
 * Here a crawler awaits a page fetch, which awaits a name lookup, while a
 * heartbeat ticks; a monitor task prints the tree in the middle of it. */
#include <stdio.h>
#include "src/async_rt.h"

struct lookup { async_frame hdr; async_timer t; };
static ASYNC_FN(lookup, struct lookup) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 0.3); /* a slow DNS server */
    ASYNC_END();
}

struct fetch { async_frame hdr; async_task dns; struct lookup lf; };
static ASYNC_FN(fetch, struct fetch) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->dns, lookup, &self->lf, "lookup example.org");
    ASYNC_AWAIT(&self->dns.fut);
    ASYNC_END();
}

struct crawl { async_frame hdr; async_task page; struct fetch ff; };
static ASYNC_FN(crawl, struct crawl) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->page, fetch, &self->ff, "fetch /index.html");
    ASYNC_AWAIT(&self->page.fut);
    ASYNC_END();
}

struct heartbeat { async_frame hdr; async_timer t; int i; };
static ASYNC_FN(heartbeat, struct heartbeat) {
    ASYNC_BEGIN();
    for (self->i = 0; self->i < 4; self->i++) ASYNC_SLEEP(&self->t, 0.1);
    ASYNC_END();
}

static void out(void *ud, const char *s) { fputs(s, (FILE *)ud); }

struct monitor { async_frame hdr; async_timer t; };
static ASYNC_FN(monitor, struct monitor) {
    ASYNC_BEGIN();
    ASYNC_SLEEP(&self->t, 0.15);
    async_rt_pstree(ASYNC_LOOP, out, stdout);
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_task crawler, beat, mon;
    struct crawl cf;
    struct heartbeat hf;
    struct monitor mf;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->crawler, crawl, &self->cf, "crawler");
    async_task_create(ASYNC_LOOP, &self->beat, heartbeat, &self->hf, "heartbeat");
    async_task_create(ASYNC_LOOP, &self->mon, monitor, &self->mf, "monitor");
    ASYNC_AWAIT(&self->crawler.fut);
    ASYNC_AWAIT(&self->beat.fut);
    ASYNC_AWAIT(&self->mon.fut);
    ASYNC_END();
}

int main(void) {
    struct main_frame mf = {0};
    return async_rt_run(main_co, &mf, NULL) ? 1 : 0;
}
