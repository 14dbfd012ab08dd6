/* fpw_3.c — worker 3 (fpw_worker.h). */
#define FPW_ID 3
#include "fpw_worker.h"
