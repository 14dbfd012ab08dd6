/* fp_empty.c — the baseline of the footprint report: start-up code and an
 * empty main. fp_one_task.c minus this is what async.h costs. */
#include "fp_stubs.h"

int main(void) { return 0; }
