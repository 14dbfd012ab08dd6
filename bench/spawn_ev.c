/* spawn on the host runtime's libev loop (every iteration polls epoll). */
#define BENCH_LIBEV 1
#include "spawn.c"
