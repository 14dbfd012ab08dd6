/* chess.c — the simultaneous exhibition (seed 002): one master plays 24
 * opponents. The master needs 5 s per move, each opponent 55 s; a game is 30
 * moves each.
 *
 * Synchronous: the master plays one board to the end, then the next: 24 games
 * x 30 moves x (5 + 55) s = 12 hours. Asynchronous: the master moves on board 1,
 * walks to board 2 while opponent 1 thinks, and so on; by the time he is back
 * at board 1, its opponent has long answered. One round of 24 boards takes
 * 24 x 5 s = 120 s, so 30 rounds take one hour (plus the last reply).
 *
 * The master is the CPU: his 5 s are work only he can do, one board at a time.
 * The opponents' 55 s are waiting, from the master's point of view: each is a
 * timer that completes on its own. Both versions run on the core's virtual
 * clock, which jumps to the next deadline, so 13 hours of play take a blink.
 * The frames are small (24 timers) so that this also runs on a 2 KB AVR. */
#include "port.h"

#define BOARDS 24
#define MOVES 30
#define MASTER_MS 5000UL    /* the master's time per move */
#define OPPONENT_MS 55000UL /* each opponent's time per move */

static void print_duration(unsigned long ms) {
    unsigned long s = ms / 1000;
    port_printf("%lu h %02lu min %02lu s", s / 3600, s / 60 % 60, s % 60);
}

/* Synchronous: one game after the other. */
struct sync_frame { async_frame hdr; int board, move; async_timer t; };
static ASYNC_FN(sync_simul, struct sync_frame) {
    ASYNC_BEGIN();
    for (self->board = 0; self->board < BOARDS; self->board++)
        for (self->move = 0; self->move < MOVES; self->move++) {
            ASYNC_SLEEP_TICKS(&self->t, async_ms(MASTER_MS));   /* the master thinks and moves */
            ASYNC_SLEEP_TICKS(&self->t, async_ms(OPPONENT_MS)); /* and waits for the reply */
        }
    ASYNC_END();
}

/* Asynchronous: a round of moves over all boards, 30 times. */
struct exhibition { async_frame hdr; int board, move; async_timer master, reply[BOARDS]; };
static ASYNC_FN(async_simul, struct exhibition) {
    ASYNC_BEGIN();
    for (self->board = 0; self->board < BOARDS; self->board++)
        async_timer_init(&self->reply[self->board], ASYNC_LOOP); /* idle = "your move, master" */
    for (self->move = 0; self->move < MOVES; self->move++)
        for (self->board = 0; self->board < BOARDS; self->board++) {
            ASYNC_AWAIT(&self->reply[self->board].fut);             /* has this opponent answered? */
            ASYNC_SLEEP_TICKS(&self->master, async_ms(MASTER_MS)); /* the master moves */
            /* The opponent starts thinking; the master walks on without waiting. */
            async_timer_start(&self->reply[self->board], async_ms(OPPONENT_MS));
        }
    for (self->board = 0; self->board < BOARDS; self->board++) /* the last replies */
        ASYNC_AWAIT(&self->reply[self->board].fut);
    ASYNC_END();
}

static unsigned long play(async_fn simul, void *frame) {
    async_loop loop;
    async_task main_task;
    async_time start;
    async_task_init(&main_task);
    async_loop_init_virtual(&loop); /* always virtual: 13 h of real waiting helps nobody */
    start = async_loop_time(&loop);
    if (async_run(&loop, &main_task, simul, frame)) port_exit(1);
    return port_elapsed_ms(&loop, start);
}

int main(void) {
    struct sync_frame s;
    struct exhibition a;
    unsigned long sync_ms, async_ms_;
    port_init();
    port_printf("1 master vs %d opponents, %d moves a game; master %lu s a move, opponents %lu s\n", BOARDS,
                MOVES, MASTER_MS / 1000, OPPONENT_MS / 1000);
    sync_ms = play(sync_simul, &s);
    port_printf("synchronous, one game after the other: ");
    print_duration(sync_ms);
    port_printf("\n");
    async_ms_ = play(async_simul, &a);
    port_printf("asynchronous, move on while they think: ");
    print_duration(async_ms_);
    port_printf("\n");
    port_printf("elapsed (virtual time): sync %lu s, async %lu s: async is %lu times faster\n", sync_ms / 1000,
                async_ms_ / 1000, sync_ms / async_ms_);
    port_exit(0);
    return 0;
}
