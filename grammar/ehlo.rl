/*
 * Syntax checks for EHLO reply parameters, built from the machines of
 * common.rl: the server's Domain or address literal (RFC 5321
 * §4.1.1.1), ehlo-keyword (the same shape as esmtp-keyword), SASL
 * mechanism names (RFC 4422 §3.1) and the FUTURERELEASE date-time (RFC
 * 4865 §3, RFC 3339 §5.6). Each is a whole-span match; src/ehlo.c does
 * the rest in C.
 */
#include "ehlo_int.h"

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"

%%{
machine ehlo_domain;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";
main := domain | address_literal;
write data noerror noentry;
}%%

%%{
machine ehlo_keyword;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";
main := esmtp_keyword;
write data noerror noentry;
}%%

%%{
machine ehlo_mech;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";
main := sasl_mech;
write data noerror noentry;
}%%

%%{
machine ehlo_datetime;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";
main := date_time;
write data noerror noentry;
}%%

#define EHLO_SPAN_P(s) ((const unsigned char *)(s).p)

int postel__ehlo_is_domain(postel_span s)
{
	const unsigned char *p = EHLO_SPAN_P(s), *pe = p + s.n;
	int cs;
	if (s.n == 0)
		return 0;
	%% machine ehlo_domain; write init; write exec;
	return p == pe && cs >= ehlo_domain_first_final;
}

int postel__ehlo_is_keyword(postel_span s)
{
	const unsigned char *p = EHLO_SPAN_P(s), *pe = p + s.n;
	int cs;
	if (s.n == 0)
		return 0;
	%% machine ehlo_keyword; write init; write exec;
	return p == pe && cs >= ehlo_keyword_first_final;
}

int postel__ehlo_is_mech(postel_span s)
{
	const unsigned char *p = EHLO_SPAN_P(s), *pe = p + s.n;
	int cs;
	if (s.n == 0)
		return 0;
	%% machine ehlo_mech; write init; write exec;
	return p == pe && cs >= ehlo_mech_first_final;
}

int postel__ehlo_is_datetime(postel_span s)
{
	const unsigned char *p = EHLO_SPAN_P(s), *pe = p + s.n;
	int cs;
	if (s.n == 0)
		return 0;
	%% machine ehlo_datetime; write init; write exec;
	return p == pe && cs >= ehlo_datetime_first_final;
}
