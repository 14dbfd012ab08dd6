/* fp_sizes.c — sizeof of the core's structures on the target, read back from
 * the object file with nm (the symbol's size is the sizeof): no need to run
 * anything on the target. */
#include "async.h"

const unsigned char fp_sizeof_frame_header[sizeof(async_frame)] = {0};
const unsigned char fp_sizeof_task[sizeof(async_task)] = {0};
const unsigned char fp_sizeof_future[sizeof(async_future)] = {0};
const unsigned char fp_sizeof_timer[sizeof(async_timer)] = {0};
const unsigned char fp_sizeof_loop[sizeof(async_loop)] = {0};
const unsigned char fp_sizeof_value[sizeof(async_value)] = {0};
