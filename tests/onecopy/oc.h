/* oc.h — the three-file program of the one-copy check (tests/onecopy.mk):
 * a producer (producer.c) and a consumer (consumer.c, also built as C++)
 * share a queue; main.c runs them. Every file sees the same configuration. */
#ifndef OC_H
#define OC_H
#include "async.h"

#ifdef __cplusplus
extern "C" {
#endif

struct producer { async_frame hdr; async_queue *q; int i, n; async_wait_op op; };
struct consumer { async_frame hdr; async_queue *q; intptr_t sum; int got, err; async_wait_op op; async_timer t; };
ASYNC_DECLARE(producer_co, struct producer);
ASYNC_DECLARE(consumer_co, struct consumer);
/* What the consumer reports for each item (main.c prints it). */
void oc_report(const char *who, intptr_t item);

#ifdef __cplusplus
}
#endif
#endif
