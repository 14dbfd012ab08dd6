/* <async/async_rt.h> in a source tree: the core first (src/async_rt.h then
 * needs no path to it), then ../../src/async_rt.h. Installed, it is that file. */
#include "async.h"
#include "../../src/async_rt.h"
