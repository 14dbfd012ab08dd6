/* fpw_2.c — worker 2 (fpw_worker.h). */
#define FPW_ID 2
#include "fpw_worker.h"
