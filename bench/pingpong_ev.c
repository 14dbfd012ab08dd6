/* pingpong on the host runtime's libev loop (it polls epoll once per fairness budget). */
#define BENCH_LIBEV 1
#include "pingpong.c"
