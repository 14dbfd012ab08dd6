/* <async/async.h> in a source tree: the header is ../../async.h (installed, it
 * is this file). Put <tree>/include on the include path, as the packages do. */
#include "../../async.h"
