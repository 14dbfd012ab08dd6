/* fp3_one.c — fp3's three files as one translation unit (all inline). */
#include "fp3_main.c"
#include "fp3_producer.c"
#include "fp3_consumer.c"
