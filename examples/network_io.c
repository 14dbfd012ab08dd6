/* network_io.c — a server request and local computation, serially and with
 * coroutines (seed 004, "Barebones network I/O example").
 *
 * The server, a separate process, sums many samples of a Gaussian, and like
 * any server across a network it answers late: we add 0.6 s of latency, so
 * that the demonstration does not depend on a free CPU core for the server. Locally we sum many uniform samples, which takes a while
 * too.
 *   serial: ask the server and idle until it answers; then compute locally.
 *   async:  two tasks. server_request sends the request and awaits the reply;
 *           uniform_sum computes in chunks and yields to the loop after each
 *           chunk, so that the loop can notice the reply. The local work
 *           proceeds while the server works: the total is about the longer of
 *           the two, not their sum.
 * The same seeds give the same totals in both runs, so the answers can be
 * compared, not only the times.
 *   network_io            run both clients against a server it starts
 *   network_io --server   be the server (prints its port, serves 2 requests) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "src/async_rt.h"

#define N_GAUSS 4000000L     /* samples the server sums */
#define LATENCY_MS 600       /* and the network / queueing delay it adds */
#define N_UNIFORM 120000000L /* samples we sum locally */
#define CHUNKS 40            /* async uniform_sum yields after each 1/40 of the work */
#define REPORT 10            /* and reports every 10th pause */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: a small, seeded generator, uniform in [0, 1). */
static double uniform(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* "26999999" -> "26,999,999" */
static const char *commas(long n, char *buf) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%ld", n), i, j = 0;
    for (i = 0; i < len; i++) {
        buf[j++] = tmp[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1) buf[j++] = ',';
    }
    buf[j] = 0;
    return buf;
}

/* ---------------- the server (a separate process) ---------------- */
static double gaussian_sum(long n) {
    uint64_t s = 42;
    double total = 0;
    long i;
    for (i = 0; i < n; i += 2) { /* Box-Muller: two normal samples per pair of uniforms */
        double u1 = 1.0 - uniform(&s), u2 = uniform(&s), r = sqrt(-2.0 * log(u1));
        total += r * cos(2 * 3.14159265358979323846 * u2) + r * sin(2 * 3.14159265358979323846 * u2);
    }
    return total;
}

static int serve(void) {
    int lfd = async_listen_tcp("127.0.0.1", 0, 4), served;
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK); /* a plain blocking server */
    printf("%d\n", async_sock_port(lfd));
    fflush(stdout);
    for (served = 0; served < 2; served++) {
        char req[32], reply[64];
        long n;
        int c;
        do c = accept(lfd, NULL, NULL); while (c < 0 && errno == EINTR);
        n = (long)recv(c, req, sizeof req - 1, MSG_WAITALL);
        req[n > 0 ? n : 0] = 0;
        {
            struct timespec lat;
            lat.tv_sec = LATENCY_MS / 1000;
            lat.tv_nsec = LATENCY_MS % 1000 * 1000000L;
            nanosleep(&lat, NULL); /* the network and the server's queue */
        }
        n = snprintf(reply, sizeof reply, "%.2f", gaussian_sum(atol(req)));
        send(c, reply, (size_t)n, 0);
        close(c);
    }
    return 0;
}

/* ---------------- serial client ---------------- */
static double serial(int port, double *server_total, double *local_total) {
    struct sockaddr_in sa;
    char req[32], reply[64];
    double t0 = now_s(), t;
    uint64_t s = 7;
    long i, n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    printf("Beginning server_request.\n");
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) { perror("connect"); exit(1); }
    memset(req, ' ', sizeof req);
    snprintf(req, sizeof req, "%ld", N_GAUSS);
    send(fd, req, sizeof req - 1, 0);
    n = (long)recv(fd, reply, sizeof reply - 1, MSG_WAITALL); /* idles until the server answers */
    reply[n > 0 ? n : 0] = 0;
    close(fd);
    *server_total = atof(reply);
    printf("====== Done server_request. total: %.2f. Ran for: %.2fs. ======\n", *server_total, now_s() - t0);
    printf("Beginning uniform_sum.\n");
    t = now_s();
    *local_total = 0;
    for (i = 0; i < N_UNIFORM; i++) *local_total += uniform(&s);
    printf("====== Done uniform_sum. total: %.2f. Ran for: %.2fs. ======\n", *local_total, now_s() - t);
    t = now_s() - t0;
    printf("Total time elapsed: %.2fs.\n", t);
    return t;
}

/* ---------------- async client ---------------- */
struct uniform_sum { async_frame hdr; long i, chunk_end, pauses; uint64_t s; double total, start; };
static ASYNC_FN(uniform_sum, struct uniform_sum) {
    ASYNC_BEGIN();
    printf("Beginning uniform_sum.\n");
    self->s = 7;
    self->total = 0;
    self->pauses = 0;
    self->start = now_s();
    for (self->i = 0; self->i < N_UNIFORM;) {
        self->chunk_end = self->i + N_UNIFORM / CHUNKS;
        for (; self->i < self->chunk_end; self->i++) self->total += uniform(&self->s);
        if (self->i < N_UNIFORM) {
            self->pauses++;
            if (self->pauses % REPORT == 0) {
                char b[32];
                printf("Pausing uniform_sum at sample_num: %s. time_elapsed: %.2fs.\n", commas(self->i - 1, b),
                       now_s() - self->start);
            }
            ASYNC_SLEEP0(); /* await YieldToEventLoop(): let the loop look at the socket */
            if (self->pauses % REPORT == 0) printf("Resuming uniform_sum.\n");
        }
    }
    printf("====== Done uniform_sum. total: %.2f. Ran for: %.2fs. (%ld pauses) ======\n", self->total,
           now_s() - self->start, self->pauses);
    ASYNC_END();
}

struct server_request { async_frame hdr; int port, fd; async_sockop op; char req[32], reply[64]; double total, start; };
static ASYNC_FN(server_request, struct server_request) {
    ASYNC_BEGIN();
    printf("Beginning server_request.\n");
    self->start = now_s();
    self->fd = async_socket(AF_INET, SOCK_STREAM, 0); /* non-blocking */
    {
        struct sockaddr_storage ss;
        int len = async_sockaddr(&ss, "127.0.0.1", self->port);
        ASYNC_AWAIT(async_sock_connect(&self->op, ASYNC_LOOP, self->fd, (struct sockaddr *)&ss, (socklen_t)len, 5.0));
    }
    memset(self->req, ' ', sizeof self->req);
    snprintf(self->req, sizeof self->req, "%ld", N_GAUSS);
    ASYNC_AWAIT(async_sock_sendall(&self->op, ASYNC_LOOP, self->fd, self->req, sizeof self->req - 1));
    printf("Pausing server_request.\n");
    ASYNC_AWAIT(async_sock_recv(&self->op, ASYNC_LOOP, self->fd, self->reply, sizeof self->reply - 1));
    printf("Resuming server_request.\n");
    self->reply[ASYNC_VALUE.i] = 0;
    close(self->fd);
    self->total = atof(self->reply);
    printf("====== Done server_request. total: %.2f. Ran for: %.2fs. ======\n", self->total, now_s() - self->start);
    ASYNC_END();
}

struct main_frame {
    async_frame hdr;
    async_process server;
    char line[32];
    int port;
    double serial_s, async_s, t0, serial_server, serial_local;
    async_task tu, ts;
    struct uniform_sum u;
    struct server_request r;
};
static ASYNC_FN(main_co, struct main_frame) {
    ASYNC_BEGIN();
    {
        static const char *const argv[] = {"/proc/self/exe", "--server", NULL};
        int err = async_subprocess_exec(&self->server, ASYNC_LOOP, argv, ASYNC_PIPE_STDOUT);
        if (err) ASYNC_RAISE(err);
    }
    ASYNC_AWAIT(async_stream_readline(&self->server.out, self->line, sizeof self->line));
    self->port = atoi(self->line);
    printf("the sum server runs as process %ld\n", (long)self->server.pid);

    printf("--- serial ---\n");
    self->serial_s = serial(self->port, &self->serial_server, &self->serial_local);

    printf("--- async ---\n");
    self->t0 = now_s();
    self->r.port = self->port;
    /* The request first, so that the server starts working as soon as possible. */
    async_task_create(ASYNC_LOOP, &self->ts, server_request, &self->r, "server_request");
    async_task_create(ASYNC_LOOP, &self->tu, uniform_sum, &self->u, "uniform_sum");
    ASYNC_AWAIT(&self->tu.fut);
    ASYNC_AWAIT(&self->ts.fut);
    self->async_s = now_s() - self->t0;
    printf("Total time elapsed: %.2fs.\n", self->async_s);

    ASYNC_AWAIT(async_process_wait(&self->server));
    async_process_destroy(&self->server);
    printf("same totals: %s\n", self->serial_server == self->r.total && self->serial_local == self->u.total ? "yes" : "no");
    printf("elapsed: serial %.2f s, async %.2f s\n", self->serial_s, self->async_s);
    ASYNC_END();
}

int main(int argc, char **argv) {
    async_loop loop;
    async_task main_task;
    static struct main_frame m;
    int err;
    async_task_init(&main_task);
    if (argc > 1 && !strcmp(argv[1], "--server")) return serve();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (async_rt_loop_init(&loop)) return 1;
    err = async_run(&loop, &main_task, main_co, &m);
    async_rt_loop_close(&loop);
    if (err) printf("error: %s\n", async_rt_strerror(err));
    return err ? 1 : 0;
}
