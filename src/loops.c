/* loops.c — one server on several cores: N loops on N threads, each with its
 * own listening socket on the same port (SO_REUSEPORT: the kernel spreads the
 * connections), the same handler, started and stopped with one call. */
#include "rt_private.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct multi_loop multi_loop;
struct multi_frame {
    async_frame hdr;
    multi_loop *ml;
};
struct multi_loop {
    async_multi *m;
    unsigned index;
    int lfd, err;
    int running;          /* the thread was created */
    int exited;           /* under m->lock: no stop call may reach the loop now */
    pthread_t th;
    async_loop loop;
    async_task task;
    struct multi_frame frame;
    async_server srv;
    async_future stop;
    async_tscall tc;
};
struct async_multi {
    async_multi_config cfg;
    unsigned n;
    int port;
    pthread_mutex_t lock;
    multi_loop *loops;
};

static ASYNC_FN(multi_main, struct multi_frame) {
    multi_loop *ml = self->ml;
    const async_multi_config *cfg = &ml->m->cfg;
    ASYNC_BEGIN();
    ml->err = async_start_server(&ml->srv, ASYNC_LOOP, ml->lfd, cfg->handler, cfg->frame_size, cfg->arg);
    if (ml->err) ASYNC_RAISE(ml->err);
    ml->lfd = -1; /* the server's */
    if (cfg->setup) cfg->setup(&ml->srv, ml->index, cfg->arg);
    ASYNC_AWAIT(&ml->stop);
    if (cfg->grace_s > 0 || cfg->flush_s > 0) {
        ASYNC_AWAIT(async_server_shutdown(&ml->srv, cfg->grace_s, cfg->flush_s));
    } else {
        async_server_close_clients(&ml->srv);
        ASYNC_AWAIT(async_server_wait_closed(&ml->srv));
    }
    ASYNC_END();
}

static void *multi_thread(void *arg) {
    multi_loop *ml = (multi_loop *)arg;
    async_run(&ml->loop, &ml->task, multi_main, &ml->frame);
    pthread_mutex_lock(&ml->m->lock);
    ml->exited = 1;
    pthread_mutex_unlock(&ml->m->lock);
    async_rt_loop_close(&ml->loop);
    return NULL;
}

static void multi_stop_cb(void *arg) {
    multi_loop *ml = (multi_loop *)arg;
    if (ml->stop.c.state == ASYNC__PENDING) async_future_set_result(&ml->stop, async_none());
}

static int listen_shared(const async_multi_config *cfg, int port) {
    struct sockaddr_storage ss;
    int one = 1, e, fd;
    int len = async_sockaddr(&ss, cfg->host ? cfg->host : "0.0.0.0", port);
    if (len < 0) return len;
    fd = async_socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return fd;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(fd, (const struct sockaddr *)&ss, (socklen_t)len) < 0 ||
        listen(fd, cfg->backlog > 0 ? cfg->backlog : 1024) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int async_serve_multi(async_multi **out, const async_multi_config *cfg) {
    async_multi *m;
    unsigned i;
    int e = 0;
    *out = NULL;
    if (!cfg->handler || cfg->frame_size < sizeof(async_client_frame)) {
        ASYNC_MISUSE("async_serve_multi: a handler whose frame starts with async_client_frame is required");
        return ASYNC_EMISUSE;
    }
    m = (async_multi *)calloc(1, sizeof *m);
    if (!m) return ASYNC_RT_ENOMEM;
    m->cfg = *cfg;
    m->n = cfg->loops;
    if (!m->n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        m->n = c > 0 ? (unsigned)c : 1;
    }
    m->port = cfg->port;
    m->loops = (multi_loop *)calloc(m->n, sizeof *m->loops);
    if (!m->loops || pthread_mutex_init(&m->lock, NULL)) {
        free(m->loops);
        free(m);
        return ASYNC_RT_ENOMEM;
    }
    for (i = 0; i < m->n; i++) m->loops[i].lfd = -1;
    /* every socket and loop exists before any thread runs: errors come back here */
    for (i = 0; i < m->n && !e; i++) {
        multi_loop *ml = &m->loops[i];
        ml->m = m;
        ml->index = i;
        ml->frame.ml = ml;
        ml->lfd = listen_shared(cfg, m->port);
        if (ml->lfd < 0) {
            e = -ml->lfd;
            break;
        }
        if (!m->port) m->port = async_sock_port(ml->lfd); /* port 0: the others share the first one's */
        e = async_rt_loop_init(&ml->loop);
        if (e) {
            close(ml->lfd);
            ml->lfd = -1;
            break;
        }
        ml->running = 1; /* a loop to close */
        async_future_init(&ml->stop, &ml->loop);
    }
    for (i = 0; i < m->n && !e; i++) {
        multi_loop *ml = &m->loops[i];
        if (pthread_create(&ml->th, NULL, multi_thread, ml)) e = EAGAIN;
        else ml->running = 2;
    }
    if (e) {
        *out = m;
        async_multi_stop(m);
        async_multi_destroy(m);
        *out = NULL;
        return e;
    }
    *out = m;
    return 0;
}

int async_multi_port(const async_multi *m) { return m->port; }
unsigned async_multi_count(const async_multi *m) { return m->n; }
async_server *async_multi_server(async_multi *m, unsigned i) { return i < m->n ? &m->loops[i].srv : NULL; }

void async_multi_stop(async_multi *m) {
    unsigned i;
    if (!m) return;
    for (i = 0; i < m->n; i++) {
        multi_loop *ml = &m->loops[i];
        if (ml->running != 2) continue;
        pthread_mutex_lock(&m->lock);
        if (!ml->exited) async_call_soon_threadsafe(&ml->loop, &ml->tc, multi_stop_cb, ml);
        pthread_mutex_unlock(&m->lock);
    }
    for (i = 0; i < m->n; i++) {
        multi_loop *ml = &m->loops[i];
        if (ml->running == 2) pthread_join(ml->th, NULL);
        else if (ml->running == 1) async_rt_loop_close(&ml->loop); /* never started */
        if (ml->lfd >= 0) close(ml->lfd);
        ml->lfd = -1;
        ml->running = 0;
    }
}

void async_multi_destroy(async_multi *m) {
    if (!m) return;
    async_multi_stop(m);
    pthread_mutex_destroy(&m->lock);
    free(m->loops);
    free(m);
}
