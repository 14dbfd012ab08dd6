/* fp_impl.c — the file that emits the bodies for the one-copy builds of fp3 and fpw. */
#define ASYNC_IMPLEMENTATION
#include "async.h"
