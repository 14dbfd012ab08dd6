/* fpw_1.c — worker 1 (fpw_worker.h). */
#define FPW_ID 1
#include "fpw_worker.h"
