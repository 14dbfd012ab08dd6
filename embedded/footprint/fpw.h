/* fpw.h — the worker frame of fpw_worker.h, shared by fpw_main.c. */
#ifndef FPW_H
#define FPW_H
#include "async.h"
struct fpw_worker { async_frame hdr; async_queue *q; async_wait_op op; async_timer t; int err; intptr_t sum; };
ASYNC_DECLARE(fpw_worker1, struct fpw_worker);
ASYNC_DECLARE(fpw_worker2, struct fpw_worker);
ASYNC_DECLARE(fpw_worker3, struct fpw_worker);
#endif
