/* config.c — libasync's side of the configuration check (async_rt.h): the
 * symbol spelling its ASYNC_CONFIG_* values, and the comparison of what a
 * symbol name cannot spell. */
#include "rt_private.h"
#include <stdio.h>

const char ASYNC__RT_ABI_SYMBOL = 1;

static void differs(const char *file, const char *what, unsigned long long mine, unsigned long long lib) {
    static char msg[512];
    snprintf(msg, sizeof msg,
             "%s was compiled with %s = %llu, libasync with %llu: compile every file that includes "
             "async_rt.h with libasync's configuration of async.h",
             file, what, mine, lib);
    async__rt_misuse(msg);
}

void async__rt_config_check(const struct async__rt_config *c) {
    static const struct async__rt_config lib = ASYNC__RT_CONFIG_INIT("libasync");
    /* The options first, so the message names the cause, not a symptom. */
    if (c->task_info != lib.task_info) differs(c->file, "ASYNC_CONFIG_TASK_INFO", c->task_info, lib.task_info);
    else if (c->flt != lib.flt) differs(c->file, "ASYNC_CONFIG_FLOAT", c->flt, lib.flt);
    else if (c->labels != lib.labels) differs(c->file, "ASYNC_CONFIG_LABELS", c->labels, lib.labels);
    else if (c->trace != lib.trace) differs(c->file, "ASYNC_CONFIG_TRACE", c->trace, lib.trace);
    else if (c->time_size != lib.time_size)
        differs(c->file, "ASYNC_TIME_T (bytes)", c->time_size, lib.time_size);
    else if (c->ticks_per_sec != lib.ticks_per_sec)
        differs(c->file, "ASYNC_TICKS_PER_SEC", c->ticks_per_sec, lib.ticks_per_sec);
    else if (c->value_size != lib.value_size || c->ctx_size != lib.ctx_size || c->frame_size != lib.frame_size ||
             c->task_size != lib.task_size || c->loop_size != lib.loop_size || c->timer_size != lib.timer_size)
        differs(c->file, "struct layout (sizeof async_task)", c->task_size, lib.task_size);
}
