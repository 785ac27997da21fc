/*
 * postel — trace header fields (RFC 5321 §4.4, RFC 3848, RFC 6531 §4.3).
 */
#include "postel/trace.h"
#include "syntax_int.h"

const char *postel_trace_protocol(unsigned session)
{
	/* RFC 3848 §2 and RFC 6531 §4.3: [UTF8] (E)SMTP | LMTP [S] [A].
	 * Indexed by utf8 << 3 | lmtp << 2 | tls << 1 | auth. */
	static const char *const names[16] = {
		"ESMTP",    "ESMTPA",    "ESMTPS",    "ESMTPSA",
		"LMTP",     "LMTPA",     "LMTPS",     "LMTPSA",
		"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA",
		"UTF8LMTP", "UTF8LMTPA", "UTF8LMTPS", "UTF8LMTPSA",
	};
	unsigned lmtp = (session & POSTEL_SESSION_LMTP) != 0;
	/* A HELO session speaks plain SMTP (RFC 5321 §4.4 / RFC 3848 §2:
	 * the extended keywords need EHLO). LMTP always greets with LHLO. */
	if (!lmtp && !(session & POSTEL_SESSION_ESMTP))
		return "SMTP";
	unsigned i = ((session & POSTEL_SESSION_SMTPUTF8) ? 8u : 0u) |
		     (lmtp ? 4u : 0u) |
		     ((session & POSTEL_SESSION_TLS) ? 2u : 0u) |
		     ((session & POSTEL_SESSION_AUTH) ? 1u : 0u);
	return names[i];
}

void postel_trace_from_server(postel_trace *t, const postel_server *s)
{
	memset(t, 0, sizeof *t);
	t->helo = postel_server_helo(s);
	t->session = postel_server_session(s);
	t->by = postel_server_hostname(s);
}

/* ---- a bounded appender: counts what it could not write ---- */
typedef struct out {
	char *p;
	size_t cap, n;
} out;

static void trace_put(out *o, const char *s, size_t n)
{
	if (o->n < o->cap) {
		size_t k = o->cap - o->n < n ? o->cap - o->n : n;
		memcpy(o->p + o->n, s, k);
	}
	o->n += n;
}

static void puts_(out *o, const char *s)
{
	trace_put(o, s, strlen(s));
}

/* Well-formed UTF-8 (RFC 6531 §3.3; ASCII is). */
static int ok_utf8(postel_span s)
{
	return postel__utf8_valid((const unsigned char *)s.p, s.n);
}

/* The client's HELO argument as From-domain (RFC 5321 §4.4
 * Extended-Domain): a Domain or address literal by the grammar
 * (grammar/syntax.rl), else it is written as "unknown", so client bytes
 * never shape the field. */
static int ok_domain(postel_span d)
{
	return d.n <= 255 && postel__syntax_domain(d) && ok_utf8(d);
}

/* Longest value of a caller string: keeps every folded line of the field
 * under the 998 octets of RFC 5322 §2.1.1. */
#define TRACE_MAX_STRING 200u

/* Printable ASCII without space; `forbid` lists more forbidden bytes. */
static int ok_token(const char *s, const char *forbid)
{
	if (!s || !*s || strlen(s) > TRACE_MAX_STRING)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr(forbid, c))
			return 0;
	}
	return 1;
}

/* Comment text: printable ASCII and spaces, no parentheses or backslash
 * (RFC 5322 §3.2.2 ctext without quoted-pair or nesting). */
static int ok_comment(const char *s)
{
	if (!s || !*s || strlen(s) > TRACE_MAX_STRING)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '\\')
			return 0;
	}
	return 1;
}

/* A path as the server engine hands it on, or empty for the null
 * reverse-path (RFC 5321 §4.5.5): the Mailbox of grammar/syntax.rl, so a
 * quoted local part may hold "<" and ">" (qtextSMTP, §4.1.2), in
 * well-formed UTF-8 (RFC 6531 §3.3). */
static int ok_path(postel_span p, int forward)
{
	if (p.n == 0)
		return !forward;
	return (forward ? postel__syntax_forward_mailbox(p)
			: postel__syntax_reverse_mailbox(p)) &&
	       ok_utf8(p);
}

/* RFC 5322 date-time: printable ASCII, single spaces; at least one
 * digit. Its grammar is the caller's business; only what could break the
 * field is refused. */
static int ok_date(const char *s)
{
	int digit = 0;
	if (!s || !*s || strlen(s) > TRACE_MAX_STRING)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			return 0;
		digit |= c >= '0' && c <= '9';
	}
	return digit;
}

static postel_status finish(out *o, size_t *len)
{
	if (len)
		*len = o->n;
	return o->n <= o->cap ? POSTEL_OK : POSTEL_OUTPUT_FULL;
}

postel_status postel_trace_received(const postel_trace *t, char *buf,
				    size_t cap, size_t *len)
{
	if (len)
		*len = 0;
	if (!t || (!buf && cap) || !ok_token(t->by, "()<>;\\\"") ||
	    !ok_date(t->date))
		return POSTEL_E_ARGUMENT;
	if ((t->helo.n && !t->helo.p) || (t->for_path.n && !t->for_path.p))
		return POSTEL_E_ARGUMENT;
	if (t->client_host && !ok_token(t->client_host, "()<>;[]\\\""))
		return POSTEL_E_ARGUMENT;
	if (t->client_addr && !ok_token(t->client_addr, "()<>;[]\\\""))
		return POSTEL_E_ARGUMENT;
	if (t->by_comment && !ok_comment(t->by_comment))
		return POSTEL_E_ARGUMENT;
	if ((t->via && !ok_token(t->via, "()<>;@,:[]\\\"")) ||
	    (t->with && !ok_token(t->with, "()<>;@,:[]\\\"")) ||
	    (t->id && !ok_token(t->id, "();\\\"")))
		return POSTEL_E_ARGUMENT;
	if ((t->for_path.n && !ok_path(t->for_path, 1)) || t->for_path.n > 256)
		return POSTEL_E_ARGUMENT;

	out o = {buf, cap, 0};
	/* Time-stamp-line = "Received:" FWS Stamp CRLF (RFC 5321 §4.4) */
	puts_(&o, "Received: from ");
	if (ok_domain(t->helo))
		trace_put(&o, t->helo.p, t->helo.n);
	else
		puts_(&o, "unknown");
	/* Extended-Domain: Domain FWS "(" TCP-info ")" */
	if (t->client_addr) {
		puts_(&o, " (");
		if (t->client_host) {
			puts_(&o, t->client_host);
			puts_(&o, " ");
		}
		puts_(&o, "[");
		puts_(&o, t->client_addr);
		puts_(&o, "])");
	}
	/* By-domain = CFWS "BY" FWS Extended-Domain; folded before it */
	puts_(&o, "\r\n\tby ");
	puts_(&o, t->by);
	if (t->by_comment) {
		puts_(&o, " (");
		puts_(&o, t->by_comment);
		puts_(&o, ")");
	}
	if (t->via) {
		puts_(&o, " via ");
		puts_(&o, t->via);
	}
	puts_(&o, " with ");
	puts_(&o, t->with ? t->with : postel_trace_protocol(t->session));
	if (t->id) {
		puts_(&o, " id ");
		puts_(&o, t->id);
	}
	/* For = CFWS "FOR" FWS ( Path / Mailbox ): exactly one path */
	if (t->for_path.n) {
		puts_(&o, "\r\n\tfor <");
		trace_put(&o, t->for_path.p, t->for_path.n);
		puts_(&o, ">;");
	} else {
		puts_(&o, ";");
	}
	/* [CFWS] ";" FWS date-time */
	puts_(&o, "\r\n\t");
	puts_(&o, t->date);
	puts_(&o, "\r\n");
	return finish(&o, len);
}

postel_status postel_trace_return_path(postel_span path, char *buf,
				       size_t cap, size_t *len)
{
	if (len)
		*len = 0;
	if ((!buf && cap) || (path.n && !path.p) || !ok_path(path, 0) ||
	    path.n > 256)
		return POSTEL_E_ARGUMENT;
	out o = {buf, cap, 0};
	/* Return-path-line = "Return-Path:" FWS Reverse-path CRLF */
	puts_(&o, "Return-Path: <");
	trace_put(&o, path.p, path.n);
	puts_(&o, ">\r\n");
	return finish(&o, len);
}
