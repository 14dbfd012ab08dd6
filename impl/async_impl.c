/* async_impl.c — the one file that emits async.h's bodies, for the packages
 * that build one copy of the code (CMake async::onecopy, Zephyr, ESP-IDF, the
 * Pico SDK library): every other file of the program is built with
 * ASYNC_CONFIG_INLINE=0 and the same ASYNC_CONFIG_* values. */
#define ASYNC_IMPLEMENTATION
#include <async/async.h>
