/* greet.c — what "async" means (seed 000): greet two servers, first one after
 * the other with blocking sockets, then both at once with coroutines.
 *
 * The servers are local (127.0.0.1) and slow on purpose: each echoes the
 * greeting back after a delay, 1 s for the first and 2 s for the second. They
 * run in a child process, so that the blocking client really blocks on the
 * network and not on itself.
 *   blocking: greet(1) then greet(2) — the second starts when the first is
 *             done: 1 s + 2 s = 3 s, spent waiting;
 *   async:    both greets are tasks on one loop, gathered: each waits at its
 *             await while the other one runs: max(1 s, 2 s) = 2 s. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "src/async_rt.h"

static const unsigned long delay_ms[2] = {1000, 2000};

/* ---- the slow echo servers (child process) ---- */
struct client { async_client_frame base; char buf[64]; long n; async_timer t; };
static ASYNC_FN_AT(slow_echo, struct client, base.hdr) {
    ASYNC_BEGIN();
    ASYNC_AWAIT(async_stream_read(self->base.stream, self->buf, sizeof self->buf));
    self->n = (long)ASYNC_VALUE.i;
    ASYNC_SLEEP_TICKS(&self->t, async_ms(*(const unsigned long *)self->base.arg)); /* "thinking" */
    async_stream_write(self->base.stream, self->buf, (size_t)self->n);
    ASYNC_AWAIT(async_stream_drain(self->base.stream));
    ASYNC_END();
}

static void run_servers(int fd0, int fd1) {
    async_loop loop;
    async_server srv[2];
    if (async_rt_loop_init(&loop)) _exit(1);
    async_start_server(&srv[0], &loop, fd0, slow_echo, sizeof(struct client), (void *)&delay_ms[0]);
    async_start_server(&srv[1], &loop, fd1, slow_echo, sizeof(struct client), (void *)&delay_ms[1]);
    async_loop_run_forever(&loop); /* until the parent kills us */
    _exit(0);
}

/* ---- helpers ---- */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static void print_reply(const char *buf, long n) {
    printf("Reply: b'%.*s'\n", (int)n, buf); /* print('Reply:', repr(reply)) */
}

/* ---- the blocking greet: every call waits, and nobody else runs meanwhile ---- */
static void greet_blocking(const char *host, int port) {
    struct sockaddr_in sa;
    char reply[1024];
    long n;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("connect"); _exit(1); }
    send(s, "Hello, world", 12, 0);
    n = (long)recv(s, reply, sizeof reply, 0); /* waits here: the whole program waits */
    close(s);
    print_reply(reply, n);
}

/* ---- the async greet: the same steps, each wait an await ---- */
struct greet { async_frame hdr; const char *host; char port[8]; async_connect c; async_stream s; char reply[1024]; long n; };
static ASYNC_FN(greet, struct greet) {
    ASYNC_BEGIN();
    /* reader, writer = await asyncio.open_connection(host, port) */
    ASYNC_AWAIT(async_open_connection(&self->c, ASYNC_LOOP, &self->s, self->host, self->port, 5.0));
    async_stream_write(&self->s, "Hello, world", 12);
    ASYNC_AWAIT(async_stream_read(&self->s, self->reply, sizeof self->reply)); /* others run meanwhile */
    self->n = (long)ASYNC_VALUE.i;
    async_stream_close(&self->s);
    ASYNC_AWAIT(async_stream_wait_closed(&self->s));
    async_stream_destroy(&self->s);
    print_reply(self->reply, self->n);
    ASYNC_END();
}

/* async def main(): await asyncio.gather(greet(host1, port1), greet(host2, port2)) */
struct main_frame {
    async_frame hdr;
    async_task t[2];
    struct greet g[2];
    async_future *futs[2]; /* what gather waits for */
    async_slot slots[2];   /* gather's bookkeeping */
    async_waitset ws;      /* gather's frame */
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    async_task_create(ASYNC_LOOP, &self->t[0], greet, &self->g[0], "greet 1");
    async_task_create(ASYNC_LOOP, &self->t[1], greet, &self->g[1], "greet 2");
    self->futs[0] = &self->t[0].fut;
    self->futs[1] = &self->t[1].fut;
    ASYNC_GATHER(&self->ws, self->futs, self->slots, 2, 0);
    ASYNC_END();
}

int main(void) {
    int fd[2], port[2], i, err;
    pid_t servers;
    double t0, sync_s, async_s;
    async_loop loop;
    async_task main_task;
    static struct main_frame m; /* zeroed: its tasks and timers start idle */
    async_task_init(&main_task);

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < 2; i++) {
        fd[i] = async_listen_tcp("127.0.0.1", 0, 16); /* port 0: any free port */
        port[i] = async_sock_port(fd[i]);
    }
    fflush(stdout);
    servers = fork();
    if (servers == 0) run_servers(fd[0], fd[1]);
    close(fd[0]);
    close(fd[1]);
    printf("two local servers echo a greeting after %lu s and %lu s\n", delay_ms[0] / 1000, delay_ms[1] / 1000);

    printf("blocking, one after the other:\n");
    t0 = now_s();
    greet_blocking("127.0.0.1", port[0]);
    greet_blocking("127.0.0.1", port[1]);
    sync_s = now_s() - t0;
    printf("blocking total: %.2f s\n", sync_s);

    printf("async, both at once (gather):\n");
    if (async_rt_loop_init(&loop)) return 1; /* real sockets need the real loop */
    for (i = 0; i < 2; i++) {
        m.g[i].host = "127.0.0.1";
        snprintf(m.g[i].port, sizeof m.g[i].port, "%d", port[i]);
    }
    t0 = now_s();
    err = async_run(&loop, &main_task, main_co, &m); /* asyncio.run(main()) */
    async_s = now_s() - t0;
    async_rt_loop_close(&loop);
    printf("async total: %.2f s\n", async_s);

    kill(servers, SIGTERM);
    waitpid(servers, NULL, 0);
    if (err) { printf("error: %s\n", async_rt_strerror(err)); return 1; }
    printf("elapsed: blocking %.2f s (about the sum), async %.2f s (about the longest)\n", sync_s, async_s);
    return 0;
}
