/* tour.c — a guided tour of the examples, in the order of the tutorial.
 *
 *   tour            run every example, announcing each chapter
 *   tour --step     wait for Enter before each example
 *   tour --list     print the plan and check that every example is built
 *
 * Short examples run in real time, so that you feel the 3 s against the 5 s;
 * long ones (and the ones that only measure orders) run on the virtual clock
 * (ASYNC_VIRTUAL_TIME=1), where sleeping costs nothing. Each says which. The
 * examples are found next to the tour's own executable. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

struct stop { const char *chapter; const char *example; int virtual_time; };

/* Tutorial order (tutorial/README.md); virtual_time 1 where real time would be
 * long, or where the previous example already made the same wait felt. */
static const struct stop tour[] = {
    {"01 What \"async\" means", "greet", 0},
    {"02 I/O-bound and CPU-bound work", "io_vs_cpu", 0},
    {"03 Concurrency, parallelism and multitasking", "chess", 1},
    {"04 The event loop", "event_loop", 0},
    {"05 Coroutine functions and coroutine objects", "coroutine_object", 0},
    {"05 Coroutine functions and coroutine objects", "styles", 0},
    {"06 Tasks and await", "await_coro_vs_task", 0},
    {"07 send, yield and StopIteration", "rock", 0},
    {"08 Futures", "futures", 0},
    {"09 A homemade sleep", "homemade_sleep", 1},
    {"10 The control flow of a small program", "control_flow", 0},
    {"11 Sequential, gather, create_task, fire and forget", "sequential", 0},
    {"11 Sequential, gather, create_task, fire and forget", "gather", 0},
    {"11 Sequential, gather, create_task, fire and forget", "create_task", 1},
    {"11 Sequential, gather, create_task, fire and forget", "dont_wait", 1},
    {"12 Non-blocking network I/O", "nonblocking", 0},
    {"12 Non-blocking network I/O", "network_io", 0},
    {"13 Pitfalls: blocking calls and greedy coroutines", "blocking", 0},
    {"13 Pitfalls: blocking calls and greedy coroutines", "starvation", 0},
    {"14 Which concurrency to choose", "concurrency_table", 0},
    {"17 Errors, cancellation and timeouts", "errors", 0},
};
#define NSTOPS (sizeof tour / sizeof tour[0])

static int run(const char *path, int virtual_time) {
    int status;
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (virtual_time) setenv("ASYNC_VIRTUAL_TIME", "1", 1);
        execl(path, path, (char *)NULL);
        perror(path);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
    char dir[4096], path[4200];
    const char *slash = strrchr(argv[0], '/');
    const char *last = "";
    int step = 0, list = 0, failed = 0, missing = 0, ran = 0;
    unsigned i;
    for (i = 1; i < (unsigned)argc; i++) {
        if (!strcmp(argv[i], "--step")) step = 1;
        else if (!strcmp(argv[i], "--list")) list = 1;
        else {
            fprintf(stderr, "usage: %s [--step | --list]\n", argv[0]);
            return 2;
        }
    }
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - argv[0]), argv[0]);
    else snprintf(dir, sizeof dir, ".");
    /* A virtual-time request for the whole tour (the tests) applies to all. */
    if (getenv("ASYNC_VIRTUAL_TIME") && !strcmp(getenv("ASYNC_VIRTUAL_TIME"), "1")) last = "(all virtual)";
    printf("A tour of the examples, in the order of tutorial/README.md %s\n", last);
    last = "";
    for (i = 0; i < NSTOPS; i++) {
        const struct stop *s = &tour[i];
        snprintf(path, sizeof path, "%s/%s", dir, s->example);
        if (access(path, X_OK) != 0) {
            printf("missing: %s (not built)\n", path);
            missing++;
            continue;
        }
        if (strcmp(last, s->chapter)) printf("\n=== Chapter %s ===\n", s->chapter);
        last = s->chapter;
        printf("--- %s (%s) ---\n", s->example, s->virtual_time ? "virtual time: sleeps are instant" : "real time");
        if (list) continue;
        if (step) {
            int c;
            printf("[press Enter to run it]");
            fflush(stdout);
            while ((c = getchar()) != EOF && c != '\n') {
            }
        }
        if (run(path, s->virtual_time)) {
            printf("!!! %s failed\n", s->example);
            failed++;
        }
        ran++;
    }
    if (list) printf("\ntour: %u examples planned, %d missing\n", (unsigned)NSTOPS, missing);
    else printf("\ntour: %d examples ran, %d failed, %d missing\n", ran, failed, missing);
    return failed || missing ? 1 : 0;
}
