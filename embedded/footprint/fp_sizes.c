/* fp_sizes.c — sizeof of the core's structures on the target, read back from
 * the object file with nm (the symbol's size is the sizeof): no need to run
 * anything on the target. They fill the "Bytes per object" table of
 * embedded/README.md and the layout block by async_task in async.h (section 8). */
#include "async.h"

const unsigned char fp_sizeof_frame_header[sizeof(async_frame)] = {0};
const unsigned char fp_sizeof_ctx[sizeof(async_ctx)] = {0};
const unsigned char fp_sizeof_future[sizeof(async_future)] = {0};
const unsigned char fp_sizeof_handle[sizeof(async_handle)] = {0};
const unsigned char fp_sizeof_task[sizeof(async_task)] = {0};
const unsigned char fp_sizeof_timer[sizeof(async_timer)] = {0};
const unsigned char fp_sizeof_callback[sizeof(async_callback)] = {0};
const unsigned char fp_sizeof_coro[sizeof(async_coro)] = {0};
const unsigned char fp_sizeof_loop[sizeof(async_loop)] = {0};
const unsigned char fp_sizeof_value[sizeof(async_value)] = {0};
