/* async_h.h — async.h for Arduino (the library's top-level header, which is how
 * the IDE finds a library): the scheduler's clock is millis(), 1 ms ticks in
 * 32 bits, misuse traps, then <async/async.h>. Define ASYNC_* before it to
 * change them.
 *   #include <async_h.h>
 *   static async_time ticks(void) { return millis(); } */
#ifndef ASYNC_H_ARDUINO_H
#define ASYNC_H_ARDUINO_H
#include <stdint.h>
#ifndef ASYNC_TIME_T
#define ASYNC_TIME_T uint32_t
#define ASYNC_STIME_T int32_t
#endif
#ifndef ASYNC_TICKS_PER_SEC
#define ASYNC_TICKS_PER_SEC 1000
#endif
/* The Arduino cores are hosted, but a board's stderr goes nowhere and printing
 * a misuse would link stdio in: misuse traps instead, as on bare metal. To see
 * it, define ASYNC_MISUSE(msg) before this header (e.g. print msg on Serial). */
#ifndef ASYNC_FREESTANDING
#define ASYNC_FREESTANDING
#endif
#include "async/async.h"
#endif
