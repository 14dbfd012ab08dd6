/* impl.c — the one file that emits async.h's bodies. */
#define ASYNC_IMPLEMENTATION
#include "async.h"
