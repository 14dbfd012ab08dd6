/* park without task info: the same benchmark as park.c, smaller tasks. */
#define ASYNC_CONFIG_TASK_INFO 0
#include "park.c"
