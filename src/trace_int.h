/*
 * Trace internals: path syntax generated from grammar/trace.rl (the
 * machines of grammar/common.rl). Never installed.
 */
#ifndef POSTEL_TRACE_INT_H
#define POSTEL_TRACE_INT_H

#include "internal.h"

/* A path as the server engine passes it on: an RFC 5321 §4.1.2 Mailbox,
 * optionally behind a source route; `forward` also takes RCPT's bare
 * "Postmaster" (§4.1.1.3). UTF-8 is not validated here. */
int postel__trace_is_path(postel_span s, int forward);

#endif
