/*
 * postel — violations: every deviation from the RFCs postel can detect.
 *
 * One X-macro list generates the enum, the names, the RFC sections and the
 * fatality flags. Numbers are stable: entries are only ever appended inside
 * their module's range, never renumbered or removed.
 *
 *   X(ID, number, "short-name", "RFC section", fatal)
 *
 * `fatal` is 1 when the offending unit (command, message, reply) is always
 * refused, whatever the lenient flags say; 0 when a lenient flag may accept
 * it (it is still reported), or when it is always accepted because the RFC
 * tells the receiver to tolerate it (trailing-space, helo-address-literal).
 *
 * Ranges: 1-99 lines and octets; 100-199 command syntax; 200-299 DATA/BDAT
 * content; 300-399 replies and EHLO capabilities; 400-499 server session;
 * 500-599 client session.
 */
#ifndef POSTEL_VIOLATION_H
#define POSTEL_VIOLATION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* clang-format off */
#define POSTEL_VIOLATIONS_LINE(X) \
	X(BARE_LF,            1, "bare-lf",            "RFC 5321 §2.3.8", 0) \
	X(BARE_CR,            2, "bare-cr",            "RFC 5321 §2.3.8", 0) \
	X(NUL_OCTET,          3, "nul-octet",          "RFC 5321 §4.1.1.4", 0) \
	X(EIGHT_BIT,          4, "8bit-octet",         "RFC 5321 §2.4", 0) \
	X(LINE_TOO_LONG,      5, "line-too-long",      "RFC 5321 §4.5.3.1.4", 1) \
	X(CONTROL_CHAR,       6, "control-char",       "RFC 5321 §4.1.2", 0)

/* command syntax, 100-199 (src/command.c) */
#define POSTEL_VIOLATIONS_COMMAND(X) \
	X(UNKNOWN_VERB,     100, "unknown-verb",       "RFC 5321 §4.2.4", 1) \
	X(MISSING_ARGUMENT, 101, "missing-argument",   "RFC 5321 §4.1.1", 1) \
	X(UNEXPECTED_ARGUMENT, 102, "unexpected-argument", "RFC 5321 §4.1.1", 1) \
	X(COMMAND_SYNTAX,   103, "command-syntax",     "RFC 5321 §4.1.1", 1) \
	X(BAD_DOMAIN,       104, "bad-domain",         "RFC 5321 §4.1.2", 1) \
	X(BAD_ADDRESS_LITERAL, 105, "bad-address-literal", "RFC 5321 §4.1.3", 1) \
	X(BAD_LOCAL_PART,   106, "bad-local-part",     "RFC 5321 §4.1.2", 1) \
	X(BAD_PATH,         107, "bad-path",           "RFC 5321 §4.1.2", 1) \
	X(BAD_STRING,       108, "bad-string",         "RFC 5321 §4.1.2", 1) \
	X(SPACE_AFTER_COLON, 109, "space-after-colon", "RFC 5321 §3.3", 0) \
	X(NO_ANGLE_BRACKETS, 110, "no-angle-brackets", "RFC 5321 §4.1.2", 0) \
	X(EXTRA_SPACE,      111, "extra-space",        "RFC 5321 §4.1.1", 0) \
	X(BAD_HELO_ARGUMENT, 112, "bad-helo-argument", "RFC 5321 §4.1.1.1", 0) \
	X(LOCAL_PART_DOTS,  113, "local-part-dots",    "RFC 5321 §4.1.2", 0) \
	X(LOCAL_PART_TOO_LONG, 114, "local-part-too-long", "RFC 5321 §4.5.3.1.1", 0) \
	X(DOMAIN_TOO_LONG,  115, "domain-too-long",    "RFC 5321 §4.5.3.1.2", 1) \
	X(PATH_TOO_LONG,    116, "path-too-long",      "RFC 5321 §4.5.3.1.3", 1) \
	X(AUTH_LINE_TOO_LONG, 117, "auth-line-too-long", "RFC 4954 §4", 1) \
	X(INVALID_UTF8,     118, "invalid-utf8",       "RFC 6531 §3.3", 1) \
	X(PARAM_SYNTAX,     119, "param-syntax",       "RFC 5321 §4.1.2", 1) \
	X(UNKNOWN_PARAM,    120, "unknown-param",      "RFC 5321 §4.1.1.11", 1) \
	X(PARAM_WRONG_COMMAND, 121, "param-wrong-command", "RFC 5321 §4.1.1.11", 1) \
	X(DUPLICATE_PARAM,  122, "duplicate-param",    "RFC 3461 §4", 1) \
	X(BAD_SIZE,         123, "bad-size",           "RFC 1870 §6", 1) \
	X(SIZE_OVERFLOW,    124, "size-overflow",      "RFC 1870 §6", 1) \
	X(BAD_BODY,         125, "bad-body",           "RFC 6152 §2", 1) \
	X(BAD_RET,          126, "bad-ret",            "RFC 3461 §4.3", 1) \
	X(BAD_ENVID,        127, "bad-envid",          "RFC 3461 §4.4", 1) \
	X(BAD_NOTIFY,       128, "bad-notify",         "RFC 3461 §4.1", 1) \
	X(NOTIFY_NEVER_COMBINED, 129, "notify-never-combined", "RFC 3461 §4.1", 1) \
	X(BAD_ORCPT,        130, "bad-orcpt",          "RFC 3461 §4.2", 1) \
	X(BAD_AUTH_PARAM,   131, "bad-auth-param",     "RFC 4954 §5", 1) \
	X(BAD_SMTPUTF8,     132, "bad-smtputf8",       "RFC 6531 §3.4", 1) \
	X(BAD_REQUIRETLS,   133, "bad-requiretls",     "RFC 8689 §2", 1) \
	X(BAD_MT_PRIORITY,  134, "bad-mt-priority",    "RFC 6710 §3", 1) \
	X(BAD_BY,           135, "bad-by",             "RFC 2852 §4", 1) \
	X(BAD_HOLDFOR,      136, "bad-holdfor",        "RFC 4865 §3", 1) \
	X(BAD_HOLDUNTIL,    137, "bad-holduntil",      "RFC 4865 §3", 1) \
	X(HOLD_BOTH,        138, "hold-both",          "RFC 4865 §4.1", 1) \
	X(BAD_RRVS,         139, "bad-rrvs",           "RFC 7293 §3.1", 1) \
	X(BAD_MTRK,         140, "bad-mtrk",           "RFC 3885 §3.1", 1) \
	X(BAD_CHUNK_SIZE,   141, "bad-chunk-size",     "RFC 3030 §2", 1) \
	X(CHUNK_SIZE_OVERFLOW, 142, "chunk-size-overflow", "RFC 3030 §2", 1) \
	X(BAD_AUTH_MECHANISM, 143, "bad-auth-mechanism", "RFC 4422 §3.1", 1) \
	X(BAD_INITIAL_RESPONSE, 144, "bad-initial-response", "RFC 4954 §4", 1) \
	X(BAD_ETRN_NODE,    145, "bad-etrn-node",      "RFC 1985 §5", 1) \
	X(SASL_BAD_BASE64,  146, "sasl-bad-base64",    "RFC 4954 §4", 1) \
	X(TRAILING_SPACE,   147, "trailing-space",     "RFC 5321 §4.1.1", 0) \
	X(HELO_ADDRESS_LITERAL, 148, "helo-address-literal", "RFC 5321 §4.1.1.1", 0) \
	X(LABEL_TOO_LONG,   149, "label-too-long",     "RFC 1035 §2.3.4", 1) \
	X(LITERAL_TAG_UNREGISTERED, 150, "literal-tag-unregistered", "RFC 5321 §4.1.3", 1) \
	X(BAD_U_LABEL,      151, "bad-u-label",        "RFC 6531 §3.3", 1) \
	X(LOCAL_PART_CONTROL, 152, "local-part-control", "RFC 6530 §10.1", 1)

/* DATA / BDAT content, 200-299 (src/data.c) */
#define POSTEL_VIOLATIONS_DATA(X) \
	X(DATA_BARE_LF,     200, "data-bare-lf",       "RFC 5321 §2.3.8", 0) \
	X(DATA_BARE_CR,     201, "data-bare-cr",       "RFC 5321 §2.3.8", 0) \
	X(DATA_NUL,         202, "data-nul",           "RFC 5322 §3.5", 0) \
	X(DATA_8BIT,        203, "data-8bit",          "RFC 5321 §2.4", 0) \
	X(DATA_LINE_TOO_LONG, 204, "data-line-too-long", "RFC 5321 §4.5.3.1.6", 0) \
	X(DATA_FAKE_END,    205, "data-fake-end",      "RFC 5321 §4.1.1.4", 0) \
	X(DATA_SIZE_EXCEEDED, 206, "data-size-exceeded", "RFC 1870 §6.2", 1)

/* replies and EHLO capabilities, 300-399 (src/reply.c) */
#define POSTEL_VIOLATIONS_REPLY(X) \
	X(REPLY_BAD_CODE,   300, "reply-bad-code",     "RFC 5321 §4.2", 1) \
	X(REPLY_SYNTAX,     301, "reply-syntax",       "RFC 5321 §4.2", 1) \
	X(REPLY_CODE_MISMATCH, 302, "reply-code-mismatch", "RFC 5321 §4.2.1", 1) \
	X(REPLY_LINE_TOO_LONG, 303, "reply-line-too-long", "RFC 5321 §4.5.3.1.5", 1) \
	X(REPLY_TOO_MANY_LINES, 304, "reply-too-many-lines", "RFC 5321 §4.5.3.1", 1) \
	X(REPLY_TOO_LONG,   305, "reply-too-long",     "RFC 5321 §4.5.3.1", 1) \
	X(REPLY_BAD_UTF8,   306, "reply-bad-utf8",     "RFC 6531 §3.7.4", 0) \
	X(REPLY_ENH_SYNTAX, 307, "reply-enhanced-syntax", "RFC 3463 §2", 0) \
	X(REPLY_ENH_MISMATCH, 308, "reply-enhanced-mismatch", "RFC 2034 §4", 0) \
	X(REPLY_ENH_INCONSISTENT, 309, "reply-enhanced-inconsistent", "RFC 2034 §4", 0) \
	X(EHLO_SYNTAX,      320, "ehlo-syntax",        "RFC 5321 §4.1.1.1", 0) \
	X(EHLO_DOMAIN,      321, "ehlo-domain",        "RFC 5321 §4.1.1.1", 0) \
	X(EHLO_SIZE,        322, "ehlo-size",          "RFC 1870 §4", 0) \
	X(EHLO_AUTH,        323, "ehlo-auth",          "RFC 4954 §3", 0) \
	X(EHLO_MT_PRIORITY, 324, "ehlo-mt-priority",   "RFC 6710 §7", 0) \
	X(EHLO_DELIVERBY,   325, "ehlo-deliverby",     "RFC 2852 §2", 0) \
	X(EHLO_FUTURERELEASE, 326, "ehlo-futurerelease", "RFC 4865 §3", 0) \
	X(EHLO_UNEXPECTED_PARAM, 327, "ehlo-unexpected-param", "RFC 5321 §4.1.1.1", 0) \
	X(EHLO_DUPLICATE,   328, "ehlo-duplicate",     "RFC 5321 §4.1.1.1", 0)

/* server session, 400-499 (src/server.c) */
#define POSTEL_VIOLATIONS_SERVER(X) \
	X(EARLY_TALKER,     400, "early-talker",       "RFC 5321 §4.3.1", 0) \
	X(UNSOLICITED_PIPELINING, 401, "unsolicited-pipelining", "RFC 2920 §3.1", 0) \
	X(STARTTLS_INJECTION, 402, "starttls-injection", "RFC 3207 §4", 1) \
	X(BAD_SEQUENCE,     403, "bad-sequence",       "RFC 5321 §4.1.4", 1) \
	X(NO_HELO,          404, "no-helo",            "RFC 5321 §4.1.4", 0) \
	X(PARAM_NOT_OFFERED, 405, "param-not-offered", "RFC 5321 §4.1.1.11", 1) \
	X(COMMAND_NOT_OFFERED, 406, "command-not-offered", "RFC 5321 §4.2.4", 1) \
	X(BINARYMIME_DATA,  407, "binarymime-data",    "RFC 3030 §3", 1) \
	X(BDAT_DATA_MIX,    408, "bdat-data-mix",      "RFC 3030 §2", 1) \
	X(UTF8_ADDRESS,     409, "utf8-address",       "RFC 6531 §3.5", 1) \
	X(SIZE_OVER_LIMIT,  410, "size-over-limit",    "RFC 1870 §6.1", 1)

/* client session, 500-599 (src/client.c) */
#define POSTEL_VIOLATIONS_CLIENT(X) \
	X(UNEXPECTED_REPLY, 500, "unexpected-reply",   "RFC 5321 §4.3.2", 1) \
	X(REPLY_CODE_UNLISTED, 501, "reply-code-unlisted", "RFC 5321 §4.3.2", 0) \
	X(UNSOLICITED_REPLY, 502, "unsolicited-reply", "RFC 2920 §3.1", 1) \
	X(STARTTLS_REPLY_INJECTION, 503, "starttls-reply-injection", "RFC 3207 §4.2", 1) \
	X(STARTTLS_AFTER_TLS, 504, "starttls-after-tls", "RFC 3207 §4.2", 0) \
	X(AUTH_BAD_CHALLENGE, 505, "auth-bad-challenge", "RFC 4954 §4", 1) \
	X(DATA_WITHOUT_RCPT, 506, "data-without-rcpt",  "RFC 2920 §3.2", 0) \
	X(CONNECTION_LOST,  507, "connection-lost",    "RFC 5321 §3.8", 0)
/* clang-format on */

#define POSTEL_VIOLATIONS(X)                                                   \
	POSTEL_VIOLATIONS_LINE(X)                                              \
	POSTEL_VIOLATIONS_COMMAND(X)                                           \
	POSTEL_VIOLATIONS_DATA(X)                                              \
	POSTEL_VIOLATIONS_REPLY(X)                                             \
	POSTEL_VIOLATIONS_SERVER(X) POSTEL_VIOLATIONS_CLIENT(X)

typedef enum postel_violation {
	POSTEL_V_NONE = 0,
#define POSTEL_X_(id, num, name, rfc, fatal) POSTEL_V_##id = num,
	POSTEL_VIOLATIONS(POSTEL_X_)
#undef POSTEL_X_
	POSTEL_V_MAX_ = 1000
} postel_violation;

/** Stable short name ("bare-lf"); "unknown" for a value not in the list. */
POSTEL_EXTERN const char *postel_violation_name(postel_violation v);
/** The RFC section the violation breaks ("RFC 5321 §2.3.8"); "" if unknown. */
POSTEL_EXTERN const char *postel_violation_rfc(postel_violation v);
/** 1 when the offending unit is always refused, 0 when lenient flags may
 * accept it, -1 for a value not in the list. */
POSTEL_EXTERN int postel_violation_is_fatal(postel_violation v);
/** The violation whose short name is `name` (length `n`), or POSTEL_V_NONE. */
POSTEL_EXTERN postel_violation postel_violation_by_name(const char *name,
							size_t n);

/**
 * A small bounded list of violations attached to one parsed unit (a
 * command line, a reply, a message). When more occur than fit, the first
 * ones are kept and `lost` counts the rest.
 */
#define POSTEL_VIOLATION_LIST_MAX 8
typedef struct postel_violation_list {
	uint16_t id[POSTEL_VIOLATION_LIST_MAX];
	uint8_t n;
	uint8_t lost;
} postel_violation_list;

/** Nonzero when `list` holds `v`. */
static inline int postel_violation_list_has(const postel_violation_list *list,
					    postel_violation v)
{
	for (unsigned i = 0; i < list->n; i++)
		if (list->id[i] == (uint16_t)v)
			return 1;
	return 0;
}

#ifdef __cplusplus
}
#endif
#endif
