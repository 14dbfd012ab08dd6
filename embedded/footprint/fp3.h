/* fp3.h — the footprint report's producer/consumer (core + queue + wait_for)
 * in three files, fp3_main.c, fp3_producer.c, fp3_consumer.c, built three ways
 * (embedded/footprint/rules.mk): one file (fp3_one.c includes the three),
 * three files all-inline (the default), three files with one copy of the code
 * (ASYNC_CONFIG_INLINE=0 in each + fp_impl.c). */
#ifndef FP3_H
#define FP3_H
#include "async.h"

struct fp3_producer { async_frame hdr; async_queue *q; int i; async_wait_op op; async_timer t; };
struct fp3_consumer { async_frame hdr; async_queue *q; intptr_t sum; int err; async_wait_op op; };
ASYNC_DECLARE(fp3_producer_co, struct fp3_producer);
ASYNC_DECLARE(fp3_consumer_co, struct fp3_consumer);
#endif
