/*
 * postel — whole-span syntax checks: the generated machines of
 * grammar/syntax.rl (declared in syntax_int.h).
 */
#include "syntax_int.h"

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include "syntax_machine.h"
