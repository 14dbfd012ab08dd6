/* fp3_impl.c — the file that emits the bodies for fp3's one-copy build. */
#define ASYNC_IMPLEMENTATION
#include "async.h"
