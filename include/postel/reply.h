/*
 * postel — streaming SMTP reply parser (RFC 5321 §4.2).
 *
 * A reply is one or more lines
 *
 *     Reply-code "-" [ textstring ] CRLF     (every line but the last)
 *     Reply-code [ SP textstring ] CRLF      (the last line)
 *
 * The parser reads replies from a stream that arrives in pieces. It is
 * zero-copy (results are spans into the caller's bytes), bounded (line,
 * line-count and octet limits end the parse; nothing is ever buffered
 * inside the parser) and split-invariant (any division of the input gives
 * the same results).
 *
 * Streaming contract (the same for every postel parser):
 *   - Each call gets `buf` = the bytes not yet consumed followed by the new
 *     bytes. The bytes may have MOVED since the previous call (the caller
 *     may compact its buffer); the parser keeps offsets, never pointers,
 *     and never rescans what it has already read.
 *   - Until a reply is complete nothing is consumed (`*consumed` = 0): the
 *     whole reply must stay in the caller's buffer, because the results
 *     point into it. A caller whose buffer holds at least `max_reply`
 *     octets never deadlocks: the parser fails with POSTEL_E_LIMIT first.
 *   - A call returns after at most one complete reply; bytes after it
 *     (pipelined replies, RFC 2920) are left for the next call.
 *
 *     postel_reply_parser rp;
 *     postel_span lines[64];
 *     postel_reply r;
 *     postel_reply_parser_init(&rp, NULL);
 *     for (;;) {
 *         size_t used;
 *         r.lines = lines;
 *         r.num_lines = 64;
 *         postel_status st = postel_reply_parse(&rp, buf, len, &r, &used);
 *         if (st == POSTEL_NEED_MORE) { read more into buf; continue; }
 *         if (postel_status_is_fatal(st)) { close the session; break; }
 *         handle(&r, st);          (POSTEL_OK or POSTEL_INVALID)
 *         drop `used` bytes from the front of buf;
 *     }
 */
#ifndef POSTEL_REPLY_H
#define POSTEL_REPLY_H

#include "common.h"
#include "violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default reply-line limit, reply code and CRLF included
 * (RFC 5321 §4.5.3.1.5). */
#define POSTEL_REPLY_MAX_LINE 512
/** Default limit on the lines of one reply. An EHLO reply with every
 * registered extension has about 30 lines. */
#define POSTEL_REPLY_MAX_LINES 64
/** Default limit on the octets of one reply (all lines, line ends
 * included). */
#define POSTEL_REPLY_MAX_REPLY 8192

/**
 * Parser settings. Copied at init. A field left 0 takes its default.
 */
typedef struct postel_reply_config {
	/** Longest line in octets, code and line end included; default
	 * POSTEL_REPLY_MAX_LINE. At least 5 ("250\r\n"). */
	size_t max_line;
	/** Most lines in one reply; default POSTEL_REPLY_MAX_LINES. */
	size_t max_lines;
	/** Most octets in one reply; default POSTEL_REPLY_MAX_REPLY. */
	size_t max_reply;
	/** POSTEL_LENIENT_* bits; this parser reads POSTEL_LENIENT_REPLY_*.
	 * postel_reply_config_default() sets POSTEL_LENIENT. */
	uint32_t lenient;
	/** Nonzero: well-formed UTF-8 in reply text is allowed (RFC 6531
	 * §3.7.4: 251/551 replies to an SMTPUTF8 transaction, VRFY/EXPN
	 * with SMTPUTF8). Zero: any octet above 127 is a violation. Can be
	 * changed between replies with postel_reply_parser_set_utf8(). */
	int utf8;
} postel_reply_config;

/** Fill `cfg` with the defaults (limits above, lenient = POSTEL_LENIENT,
 * utf8 off). */
POSTEL_EXTERN void postel_reply_config_default(postel_reply_config *cfg);

/**
 * One parsed reply. Spans point into the `buf` given to the call that
 * completed the reply and stay valid as long as those bytes do.
 *
 * In: `lines` (an array of `num_lines` spans, may be NULL when
 * `num_lines` is 0) must be set before every call; it is used as working
 * storage while a reply is incomplete, so the same array must be passed
 * until the reply completes (a different one fails with E_ARGUMENT).
 * Everything else is output, written only when the call returns OK or
 * INVALID (the violation list is also written on a fatal status).
 */
typedef struct postel_reply {
	/** In: caller's array for the text of each line. Out: the first
	 * min(line_count, capacity) lines; each span is the text after the
	 * code and its "-" or SP separator, without the line end (empty for
	 * a bare code, `p` then points just after the code). */
	postel_span *lines;
	/** In: capacity of `lines`. Out: how many spans were stored. */
	size_t num_lines;
	/** Out: number of lines in the reply (may exceed num_lines). */
	size_t line_count;
	/** Out: the reply code as a number, e.g. 250 (the first line's code;
	 * 000-999 when the digits are out of range, see REPLY_BAD_CODE). */
	unsigned code;
	/** Out: the three digits of the code, each 0-9. */
	unsigned char digit[3];
	/** Out: enhanced status code class (2, 4 or 5) when present on the
	 * first line (RFC 3463 §2, RFC 2034 §4), else 0. */
	unsigned char enh_class;
	/** Out: enhanced status code subject and detail (0-999). */
	unsigned short enh_subject, enh_detail;
	/** Out: the enhanced status code text ("2.1.0"), empty when absent. */
	postel_span enhanced;
	/** Out: the whole reply, every line with its code and line end. */
	postel_span raw;
	/** Out: what the reply broke (each id once). With POSTEL_OK these
	 * were all accepted by lenient flags. */
	postel_violation_list violations;
} postel_reply;

/**
 * Parser state. Caller-allocated; every field is private.
 */
typedef struct postel_reply_parser {
	/* private: */
	postel_reply_config cfg_;
	postel_violation_list vl_;
	postel_span *lines_;    /* array in use for the current reply */
	size_t lines_cap_;
	size_t pos_;            /* octets of the current reply scanned */
	size_t line_start_;     /* offset of the current line */
	size_t nlines_;         /* complete lines of the current reply */
	int cs_;                /* Ragel state */
	postel_status fatal_;   /* sticky fatal status, or POSTEL_OK */
	unsigned code_;         /* first line's code */
	unsigned lflags_;       /* events of the current line */
	unsigned rflags_;       /* events of the current reply */
	unsigned short enh_subject_, enh_detail_;
	unsigned char enh_class_, enh_len_;
	unsigned char busy_;
} postel_reply_parser;

/**
 * Initialise `p` with a copy of `cfg` (NULL: defaults).
 * Returns POSTEL_OK, or POSTEL_E_ARGUMENT when `cfg->max_line` is
 * nonzero and below 5 (then `p` is initialised with the defaults and
 * stays failed).
 */
POSTEL_EXTERN postel_status postel_reply_parser_init(
	postel_reply_parser *p, const postel_reply_config *cfg);

/** Forget any partial reply and a sticky failure; keep the config. */
POSTEL_EXTERN void postel_reply_parser_reset(postel_reply_parser *p);

/**
 * Allow (on != 0) or refuse UTF-8 text from the next reply on
 * (RFC 6531 §3.7.4). Returns POSTEL_E_STATE when a reply is partly read
 * (nothing changes then), else POSTEL_OK.
 */
POSTEL_EXTERN postel_status postel_reply_parser_set_utf8(
	postel_reply_parser *p, int on);

/** Nonzero while a reply is partly read (some of its octets scanned). */
POSTEL_EXTERN int postel_reply_parser_busy(const postel_reply_parser *p);

/**
 * Parse the next reply from `buf` (`len` octets: unconsumed + new bytes).
 *
 * Returns:
 *  - POSTEL_OK: a complete reply is in `*r`; `*consumed` is its length.
 *    Violations in `r->violations`, if any, were accepted by lenient
 *    flags (e.g. POSTEL_LENIENT_REPLY_BARE_LF).
 *  - POSTEL_INVALID: a complete, correctly framed reply that breaks a
 *    rule no flag accepts (code out of range, a continuation line with a
 *    different code, NUL or refused octets in the text, ...). `*r` is
 *    filled, `*consumed` is its length, the stream stays in step: the
 *    next call reads the next reply. A client should not act on it.
 *  - POSTEL_NEED_MORE: no complete reply yet; `*consumed` is 0; call
 *    again with the same bytes followed by more.
 *  - POSTEL_E_PROTOCOL: the bytes are not a reply (a line that does not
 *    start with three digits and "-", SP or the line end, a bare CR);
 *    sticky until postel_reply_parser_reset().
 *  - POSTEL_E_LIMIT: a line longer than max_line, a reply with more than
 *    max_lines lines or max_reply octets; sticky.
 *  - POSTEL_E_ARGUMENT: `len` is smaller than the octets already scanned,
 *    or `r->lines` changed while a reply was partly read (nothing
 *    changes then).
 *  On a fatal status `*consumed` is 0 and `r->violations` says why.
 *
 * Violations: REPLY_BAD_CODE (§4.2), REPLY_CODE_MISMATCH (§4.2.1),
 * REPLY_SYNTAX, BARE_LF / BARE_CR (§2.3.8), NUL_OCTET, CONTROL_CHAR,
 * EIGHT_BIT, REPLY_BAD_UTF8 (RFC 6531 §3.7.4), REPLY_LINE_TOO_LONG
 * (§4.5.3.1.5), REPLY_TOO_MANY_LINES, REPLY_TOO_LONG,
 * REPLY_ENH_SYNTAX / REPLY_ENH_MISMATCH / REPLY_ENH_INCONSISTENT
 * (RFC 3463 §2, RFC 2034 §4).
 *
 * Accepted without a violation, as RFC 5321 §4.2 asks of clients: a bare
 * code ("250" CRLF), a code and SP with no text, a continuation line
 * with no text ("250-" CRLF). Text is textstring (HT, SP, 0x21-0x7e);
 * other octets keep the line framed and are violations (NUL always
 * refused; controls, 8-bit and malformed UTF-8 accepted only by their
 * lenient flags). A reply ends at the first line whose fourth octet is
 * not "-", whatever its code.
 *
 * Touches nothing of earlier replies: their spans stay valid as long as
 * their bytes do. Must not be called from inside another call on the
 * same parser.
 */
POSTEL_EXTERN postel_status postel_reply_parse(postel_reply_parser *p,
					       const char *buf, size_t len,
					       postel_reply *r,
					       size_t *consumed);

/**
 * The text of `line` without the reply's enhanced status code and the
 * SP after it, when the line starts with it (RFC 2034 §4); otherwise
 * `line` unchanged.
 */
POSTEL_EXTERN postel_span postel_reply_strip_enhanced(const postel_reply *r,
						      postel_span line);

/** Reply code classes: the first digit (RFC 5321 §4.2.1). */
static inline int postel_reply_is_positive(const postel_reply *r)
{
	return r->digit[0] == 2;
}
static inline int postel_reply_is_intermediate(const postel_reply *r)
{
	return r->digit[0] == 3;
}
static inline int postel_reply_is_transient(const postel_reply *r)
{
	return r->digit[0] == 4;
}
static inline int postel_reply_is_permanent(const postel_reply *r)
{
	return r->digit[0] == 5;
}

#ifdef __cplusplus
}
#endif
#endif
