/*
 * Syntax checks for the paths written into trace fields (RFC 5321 §4.4):
 * the Reverse-path of Return-Path and the Path or Mailbox of Received's
 * "for" clause. Built from the machines of common.rl; src/trace.c calls
 * them on whole spans.
 */
#include "trace_int.h"

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"

%%{
machine trace_common;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";

# What the server engine hands on as a path: a Mailbox (RFC 5321 §4.1.2),
# perhaps behind a source route. A quoted local part may hold "<" and ">"
# (qtextSMTP); stray dots are what the lenient preset accepts
# (POSTEL_LENIENT_LOCAL_PART_DOTS). Nothing here can end the field early:
# no controls, and brackets only inside the quotes.
trace_mailbox = ( a_d_l ":" )? ( dot_string_loose | quoted_string ) "@"
		( domain | address_literal );
}%%

%%{
machine trace_reverse;
include trace_common;
main := trace_mailbox;
write data noerror noentry;
}%%

%%{
machine trace_forward;
include trace_common;
# RCPT TO:<Postmaster> hands on "Postmaster" (RFC 5321 §4.1.1.3).
main := trace_mailbox | "Postmaster"i;
write data noerror noentry;
}%%

/* One function a machine: -G2 labels are per function. */
static int is_reverse(const unsigned char *p, const unsigned char *pe)
{
	int cs;
	%% machine trace_reverse; write init; write exec;
	return p == pe && cs >= trace_reverse_first_final;
}

static int is_forward(const unsigned char *p, const unsigned char *pe)
{
	int cs;
	%% machine trace_forward; write init; write exec;
	return p == pe && cs >= trace_forward_first_final;
}

int postel__trace_is_path(postel_span s, int forward)
{
	const unsigned char *p = (const unsigned char *)s.p;
	if (s.n == 0)
		return 0;
	return forward ? is_forward(p, p + s.n) : is_reverse(p, p + s.n);
}
