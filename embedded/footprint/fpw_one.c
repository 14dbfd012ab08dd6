/* fpw_one.c — fpw's four files as one translation unit (all inline). */
#include "fpw_main.c"
#include "fpw_1.c"
#include "fpw_2.c"
#include "fpw_3.c"
