/*
 * Whole-span syntax checks generated from grammar/syntax.rl (the machines
 * of grammar/common.rl): the one definition of each rule for every check
 * outside the command and reply parsers. Never installed.
 */
#ifndef POSTEL_SYNTAX_INT_H
#define POSTEL_SYNTAX_INT_H

#include "internal.h"

/* RFC 5321 §4.1.2 Domain (U-labels of RFC 6531 §3.3 pass) or §4.1.3
 * address-literal. */
int postel__syntax_domain(postel_span s);
/* RFC 5321 §4.1.2 esmtp-keyword (also ehlo-keyword, §4.1.1.1). */
int postel__syntax_esmtp_keyword(postel_span s);
/* RFC 5321 §4.1.2 esmtp-value, ASCII only. */
int postel__syntax_esmtp_value_ascii(postel_span s);
/* RFC 4422 §3.1 sasl-mech (any case). */
int postel__syntax_sasl_mech(postel_span s);
/* SP-separated sasl-mech names (the AUTH EHLO line, RFC 4954 §3). */
int postel__syntax_sasl_mech_list(postel_span s);
/* RFC 5321 §4.1.1.1 ehlo-line: ehlo-keyword *( SP ehlo-param ). */
int postel__syntax_ehlo_line(postel_span s);
/* RFC 3339 §5.6 date-time (RFC 4865 §3). */
int postel__syntax_datetime(postel_span s);
/* A Mailbox (RFC 5321 §4.1.2) as the server engine hands it on and the
 * client sends it: stray dots in the Dot-string allowed (the lenient
 * preset takes them), quoted local parts with any qtextSMTP, UTF-8 octets
 * not validated. */
int postel__syntax_reverse_mailbox(postel_span s);
/* The same, or RCPT's bare "Postmaster" (RFC 5321 §4.1.1.3). */
int postel__syntax_forward_mailbox(postel_span s);

#endif
