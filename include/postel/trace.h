/*
 * postel — trace header fields: the `Received:` and `Return-Path:` lines
 * an SMTP server prepends to a message it accepts (RFC 5321 §4.4).
 *
 * Pure formatting into a caller buffer: the caller supplies the date
 * (there is no clock in the core) and what only the connection knows (the
 * client's address and reverse-DNS name); the server engine supplies the
 * rest (postel_trace_from_server()). Every string is checked, so no
 * client-supplied byte can break out of its clause or inject a header
 * field (CR and LF are always refused).
 */
#ifndef POSTEL_TRACE_H
#define POSTEL_TRACE_H

#include "postel/common.h"
#include "postel/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The `with` protocol keyword for a session (POSTEL_SESSION_* bits,
 * postel_server_session()): RFC 3848 SMTP, ESMTP, ESMTPA, ESMTPS,
 * ESMTPSA, LMTP, LMTPA, LMTPS, LMTPSA, and with SMTPUTF8 (RFC 6531
 * §4.3) UTF8SMTP, UTF8SMTPA, UTF8SMTPS, UTF8SMTPSA, UTF8LMTP,
 * UTF8LMTPA, UTF8LMTPS, UTF8LMTPSA. A HELO session is "SMTP" (SMTPUTF8 and
 * AUTH need EHLO). Static string, never NULL.
 */
POSTEL_EXTERN const char *postel_trace_protocol(unsigned session);

/** What a `Received:` line says (RFC 5321 §4.4 Stamp). */
typedef struct postel_trace {
	/** From-domain: the name the client gave in EHLO/HELO/LHLO. Written
	 * as given when it is a plausible domain or address literal
	 * (letters, digits, "-", ".", ":", "[", "]", "_", UTF-8), else as
	 * "unknown" (the client's bytes never reach the header). */
	postel_span helo;
	/** TCP-info: the client's reverse-DNS name (NULL: none). */
	const char *client_host;
	/** TCP-info: the client's IP address as text, "192.0.2.1" or
	 * "IPv6:2001:db8::1" (RFC 5321 §4.1.3), written in brackets (NULL:
	 * none; then client_host is not written either). */
	const char *client_addr;
	/** By-domain: our hostname. Required. */
	const char *by;
	/** Comment after the By-domain, e.g. the software ("postel");
	 * NULL: none. Printable ASCII without parentheses or backslash. */
	const char *by_comment;
	/** Via link ("TCP"); NULL: no Via clause. An atom. */
	const char *via;
	/** With protocol; NULL: postel_trace_protocol(session). An atom. */
	const char *with;
	/** POSTEL_SESSION_* bits for `with`. */
	unsigned session;
	/** ID clause (the queue id); NULL: none. An atom or msg-id
	 * (printable ASCII, no spaces). */
	const char *id;
	/** For clause: exactly one forward-path without brackets (RFC 5321
	 * §4.4 "MUST contain exactly one <path>"); empty: no For clause. */
	postel_span for_path;
	/** RFC 5322 §3.3 date-time, e.g. "Tue, 2 Jan 2024 10:00:00 +0100"
	 * (with a numeric zone, §4.4). Required. */
	const char *date;
} postel_trace;

/**
 * Fill `t` from the server session: helo, session bits and `by` (the
 * configured hostname); every other field is cleared (NULL / empty).
 * The helo span points into `s` (valid as postel_server_helo()).
 */
POSTEL_EXTERN void postel_trace_from_server(postel_trace *t,
					    const postel_server *s);

/**
 * Format the `Received:` field, folded (RFC 5322 §2.2.3) before "by",
 * before "for" and before the date, CRLF-terminated, into `out`:
 *
 *   Received: from helo (host [addr])
 *   	by by (comment) via TCP with ESMTPS id ID
 *   	for <path>; date
 *
 * `*len` (may be NULL) gets the length written (not NUL-terminated).
 * Returns POSTEL_OK; POSTEL_E_ARGUMENT for NULL required fields or a
 * string with forbidden bytes (CR, LF, controls, characters its clause
 * cannot hold); POSTEL_OUTPUT_FULL when `cap` is too small (nothing
 * useful is written; *len gets the length needed).
 */
POSTEL_EXTERN postel_status postel_trace_received(const postel_trace *t,
						  char *out, size_t cap,
						  size_t *len);

/**
 * Format `Return-Path: <reverse-path>` CRLF (RFC 5321 §4.4): `path` is the
 * MAIL FROM path without brackets, empty for the null path `<>`. Returns
 * as postel_trace_received(); CR, LF, controls, '<' and '>' in the path
 * are refused.
 */
POSTEL_EXTERN postel_status postel_trace_return_path(postel_span path,
						     char *out, size_t cap,
						     size_t *len);

#ifdef __cplusplus
}
#endif
#endif
