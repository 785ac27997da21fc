/*
 * Whole-span syntax checks built from the machines of common.rl, for every
 * check outside the command and reply parsers: EHLO reply parameters
 * (src/ehlo.c), the paths and parameters the client sends (src/client.c),
 * the server's own hostname (src/server.c) and the paths written into
 * trace fields (src/trace.c). One definition of Domain, Mailbox,
 * esmtp-keyword and the rest, here and in the parsers alike. Included by
 * src/syntax.c (syntax_machine.h).
 */
%%{
machine syntax_common;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";

# A Mailbox as the server engine hands it on and the client sends it:
# RFC 5321 §4.1.2, with the stray dots in a Dot-string that the lenient
# preset accepts (POSTEL_LENIENT_LOCAL_PART_DOTS), so a relay can pass on
# what it took in. A quoted local part may hold "<" and ">" (qtextSMTP);
# no controls anywhere, so such a path cannot end a header field or a
# command line early.
mailbox_relayed = ( dot_string_loose | quoted_string ) "@"
		  ( domain | address_literal );

# RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ),
# ehlo-param = 1*(%d33-126)
ehlo_param = ( 33..126 )+;
ehlo_line = esmtp_keyword ( SP ehlo_param )*;
# The AUTH keyword's parameters (RFC 4954 §3): SP-separated mechanisms
mech_list = sasl_mech ( SP sasl_mech )*;
}%%

%%{
machine syntax_domain;
include syntax_common;
main := domain | address_literal;
write data noerror noentry;
}%%

%%{
machine syntax_keyword;
include syntax_common;
main := esmtp_keyword;
write data noerror noentry;
}%%

%%{
machine syntax_value_ascii;
include syntax_common;
main := esmtp_value & ( 0..127 )*;
write data noerror noentry;
}%%

%%{
machine syntax_mech;
include syntax_common;
main := sasl_mech;
write data noerror noentry;
}%%

%%{
machine syntax_mech_list;
include syntax_common;
main := mech_list;
write data noerror noentry;
}%%

%%{
machine syntax_ehlo_line;
include syntax_common;
main := ehlo_line;
write data noerror noentry;
}%%

%%{
machine syntax_datetime;
include syntax_common;
main := date_time;
write data noerror noentry;
}%%

%%{
machine syntax_reverse;
include syntax_common;
main := mailbox_relayed;
write data noerror noentry;
}%%

%%{
machine syntax_forward;
include syntax_common;
# RCPT TO:<Postmaster> (RFC 5321 §4.1.1.3) has no domain
main := mailbox_relayed | "Postmaster"i;
write data noerror noentry;
}%%

/* One function a machine (-G2 labels are per function), each a
 * whole-span match; an empty span matches none. */
#define SYNTAX_SPAN_P(s) ((const unsigned char *)(s).p)

int postel__syntax_domain(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_domain; write init; write exec;
	return p == pe && cs >= syntax_domain_first_final;
}

int postel__syntax_esmtp_keyword(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_keyword; write init; write exec;
	return p == pe && cs >= syntax_keyword_first_final;
}

int postel__syntax_esmtp_value_ascii(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_value_ascii; write init; write exec;
	return p == pe && cs >= syntax_value_ascii_first_final;
}

int postel__syntax_sasl_mech(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_mech; write init; write exec;
	return p == pe && cs >= syntax_mech_first_final;
}

int postel__syntax_datetime(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_datetime; write init; write exec;
	return p == pe && cs >= syntax_datetime_first_final;
}

int postel__syntax_reverse_mailbox(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_reverse; write init; write exec;
	return p == pe && cs >= syntax_reverse_first_final;
}

int postel__syntax_forward_mailbox(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_forward; write init; write exec;
	return p == pe && cs >= syntax_forward_first_final;
}

int postel__syntax_sasl_mech_list(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_mech_list; write init; write exec;
	return p == pe && cs >= syntax_mech_list_first_final;
}

int postel__syntax_ehlo_line(postel_span s)
{
	const unsigned char *p, *pe;
	int cs;
	if (s.n == 0)
		return 0; /* before any arithmetic: p may be NULL */
	p = SYNTAX_SPAN_P(s);
	pe = p + s.n;
	%% machine syntax_ehlo_line; write init; write exec;
	return p == pe && cs >= syntax_ehlo_line_first_final;
}
