/* Whole-span syntax checks (grammar/syntax.rl): the one definition of each
 * rule that the client, the trace writer, the server's configuration and
 * the EHLO parser use. */
#include <check.h>
#include <string.h>

#include "syntax_int.h"

typedef struct row {
	int (*check)(postel_span);
	const char *name, *in;
	int ok;
} row;

#define R(f, in, ok) {postel__syntax_##f, #f, in, ok}

static const row rows[] = {
	/* RFC 5321 §4.1.2 Domain, §4.1.3 address-literal */
	R(domain, "mx.example.org", 1),
	R(domain, "localhost", 1),
	R(domain, "[192.0.2.1]", 1),
	R(domain, "[IPv6:2001:db8::1]", 1),
	R(domain, "mx_1.example.org", 0),
	R(domain, "-mx.example.org", 0),
	R(domain, "mx.example.org.", 0),
	R(domain, "mx example", 0),
	R(domain, "", 0),
	/* esmtp-keyword */
	R(esmtp_keyword, "SIZE", 1),
	R(esmtp_keyword, "X-FOO", 1),
	R(esmtp_keyword, "-X", 0),
	R(esmtp_keyword, "A_B", 0),
	/* esmtp-value, ASCII */
	R(esmtp_value_ascii, "1000", 1),
	R(esmtp_value_ascii, "a=b", 0),
	R(esmtp_value_ascii, "a b", 0),
	R(esmtp_value_ascii, "\xc3\xa9", 0),
	/* sasl-mech (RFC 4422 §3.1) and the AUTH keyword's list */
	R(sasl_mech, "SCRAM-SHA-256", 1),
	R(sasl_mech, "ABCDEFGHIJKLMNOPQRSTU", 0), /* 21 characters */
	R(sasl_mech_list, "PLAIN LOGIN", 1),
	R(sasl_mech_list, "PLAIN  LOGIN", 0),
	R(sasl_mech_list, "PLAIN ", 0),
	/* ehlo-line (RFC 5321 §4.1.1.1) */
	R(ehlo_line, "XCLIENT NAME ADDR", 1),
	R(ehlo_line, "SIZE", 1),
	R(ehlo_line, "XCLIENT  NAME", 0),
	R(ehlo_line, "X\r\nY", 0),
	/* RFC 3339 §5.6 date-time */
	R(datetime, "2026-12-07T23:00:00Z", 1),
	R(datetime, "2026-13-07T23:00:00Z", 0),
	/* Mailbox as relayed: qtextSMTP takes "<" and ">", stray dots as the
	 * lenient preset does, no controls, "Postmaster" for RCPT only */
	R(reverse_mailbox, "a@example.org", 1),
	R(reverse_mailbox, "\"<x>\"@example.org", 1),
	R(reverse_mailbox, "\"a b\"@[192.0.2.1]", 1),
	R(reverse_mailbox, "a..b.@example.org", 1),
	R(reverse_mailbox, "\xc3\xa9@\xc3\xa9" "cole.example", 1),
	R(reverse_mailbox, "a>b@example.org", 0),
	R(reverse_mailbox, "a@example.org>", 0),
	R(reverse_mailbox, "\"a\r\n\"@example.org", 0),
	R(reverse_mailbox, "Postmaster", 0),
	R(reverse_mailbox, "@a.example:b@example.org", 0),
	R(forward_mailbox, "Postmaster", 1),
	R(forward_mailbox, "postmaster", 1),
	R(forward_mailbox, "a@example.org", 1),
	R(forward_mailbox, "Postmasters", 0),
};

START_TEST(table)
{
	const row *r = &rows[_i];
	postel_span s = {r->in, strlen(r->in)};
	ck_assert_msg(!r->check(s) == !r->ok, "%s(\"%s\") should be %d",
		      r->name, r->in, r->ok);
}
END_TEST

Suite *suite_syntax(void)
{
	Suite *s = suite_create("syntax");
	TCase *tc = tcase_create("unit");
	tcase_add_loop_test(tc, table, 0, (int)(sizeof rows / sizeof rows[0]));
	suite_add_tcase(s, tc);
	return s;
}
