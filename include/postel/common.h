/*
 * postel — common types: export macro, spans, status codes, lenient flags.
 *
 * Every other postel header includes this one. See postel.h for the
 * conventions that hold across the whole API.
 */
#ifndef POSTEL_COMMON_H
#define POSTEL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the public API. The library is built with -fvisibility=hidden;
 * only what carries POSTEL_EXTERN is exported. Define POSTEL_STATIC when
 * vendoring the sources (or the amalgamation) into another program. */
#if defined(POSTEL_STATIC)
#  define POSTEL_EXTERN
#elif defined(_WIN32)
#  if defined(POSTEL_BUILDING)
#    define POSTEL_EXTERN __declspec(dllexport)
#  else
#    define POSTEL_EXTERN __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define POSTEL_EXTERN __attribute__((visibility("default")))
#else
#  define POSTEL_EXTERN
#endif

/**
 * A run of bytes inside memory the caller (or an engine's input buffer)
 * owns. Never NUL-terminated; `p` may be NULL only when `n` is 0.
 * Results of standalone parsers point into the bytes given to the parser;
 * results of engines point into the engine's input buffer and stay valid
 * until the next non-const call on that engine.
 */
typedef struct postel_span {
	const char *p;
	size_t n;
} postel_span;

/**
 * Status of an API call. Values are explicit and append-only.
 * Values below POSTEL_STATUS_FATAL_MIN are normal outcomes; values at or
 * above it are fatal for the object that returned them: it stays failed
 * (sticky) until it is reset.
 */
#define POSTEL_STATUS_MAP(X)                                                   \
	X(OK, 0, "ok", "success")                                              \
	X(NEED_MORE, 1, "need-more", "more input is needed")                   \
	X(OUTPUT_FULL, 2, "output-full", "the output buffer is full")          \
	X(INVALID, 3, "invalid",                                               \
	  "the input unit was rejected; see its violations")                   \
	X(E_ARGUMENT, 64, "bad-argument", "invalid argument (API misuse)")     \
	X(E_STATE, 65, "bad-state",                                            \
	  "call not allowed in the current state (API misuse)")                \
	X(E_LIMIT, 66, "limit", "a hard limit was exceeded")                   \
	X(E_PROTOCOL, 67, "protocol", "the peer broke the protocol")           \
	X(E_CLOSED, 68, "closed", "the session is closed")

typedef enum postel_status {
#define POSTEL_X_(name, num, str, text) POSTEL_##name = num,
	POSTEL_STATUS_MAP(POSTEL_X_)
#undef POSTEL_X_
	POSTEL_STATUS_FATAL_MIN = 64
} postel_status;

/** Short stable name of a status ("need-more"), or "unknown". */
POSTEL_EXTERN const char *postel_status_name(postel_status s);
/** One-line English description of a status. */
POSTEL_EXTERN const char *postel_status_text(postel_status s);
/** Nonzero when the status is fatal (sticky until reset). */
static inline int postel_status_is_fatal(postel_status s)
{
	return (int)s >= (int)POSTEL_STATUS_FATAL_MIN;
}

/**
 * Lenient switches. Each one names a tolerance of real-world peers; a set
 * bit accepts the deviation (it is still reported as a violation), a clear
 * bit refuses it with the reply the RFC names. POSTEL_STRICT is 0;
 * POSTEL_LENIENT is the preset MTAs use. What is unsafe has no switch:
 * end of data is only CRLF.CRLF, bytes pipelined after STARTTLS are always
 * discarded, over-long lines are never buffered.
 *
 * Bits 0-7: command lines (all in use); 8-15: DATA/BDAT content; 16-23:
 * replies and client; 24-31: server session. Append-only. What RFC 5321
 * tells a receiver to tolerate (trailing white space, HELO with an
 * address literal) has no bit: it is accepted in every mode, reported.
 */
enum postel_lenient_flag {
	/** `MAIL FROM: <a@b>`: space after the colon (RFC 5321 §4.1.2 has
	 * none). Widespread; harmless. */
	POSTEL_LENIENT_SPACE_AFTER_COLON = 1u << 0,
	/** `MAIL FROM:a@b`: path without angle brackets (§4.1.2). Risk: the
	 * end of the address is guessed (up to the first space). */
	POSTEL_LENIENT_NO_ANGLE_BRACKETS = 1u << 1,
	/** Command line ended by a bare LF (§2.3.8). Risk: peers that disagree
	 * on line ends can be made to see different commands. */
	POSTEL_LENIENT_BARE_LF_COMMAND = 1u << 2,
	/** Runs of spaces between arguments (§4.1.1 has exactly one SP).
	 * Harmless. Trailing spaces or tabs before CRLF need no switch: §4.1.1
	 * says receivers SHOULD tolerate them, so they are always accepted
	 * (reported as trailing-space). */
	POSTEL_LENIENT_EXTRA_SPACE = 1u << 3,
	/** 8-bit octets in a command line without SMTPUTF8 (RFC 6531 §3.3).
	 * Risk: addresses whose encoding is unknown. */
	POSTEL_LENIENT_8BIT_COMMAND = 1u << 4,
	/** HELO/EHLO/LHLO argument that is not a Domain (or address
	 * literal), e.g. `EHLO my_pc`, `EHLO host.example.` (§4.1.1.1). In
	 * the preset: Postfix accepts any name, and the name only informs
	 * (§4.1.4: a failed check of it MUST NOT refuse mail). Risk: the
	 * client name cannot be checked; it is still one word without
	 * spaces, and a malformed address literal is still refused. */
	POSTEL_LENIENT_HELO_SYNTAX = 1u << 5,
	/** Unquoted local part with leading, trailing or doubled dots
	 * (`a..b@c`, `a.@c`; §4.1.2 Dot-string), sent by some mobile
	 * carriers; in the preset, as Postfix accepts them. Risk: such
	 * addresses may be treated differently by the next hop. */
	POSTEL_LENIENT_LOCAL_PART_DOTS = 1u << 6,
	/** Local part longer than max_local_part (64, §4.5.3.1.1). §4.5.3.1
	 * asks for implementations without such limits where possible; in
	 * the preset, as Postfix sets none. The path limit
	 * (max_path, §4.5.3.1.3) still bounds it. Risk: a next hop that
	 * enforces 64 refuses the address after it was accepted. */
	POSTEL_LENIENT_LONG_LOCAL_PART = 1u << 7,
	/** Bare LF / bare CR inside message content are repaired to CRLF
	 * instead of failing the message (§2.3.8). Never used to find the end
	 * of data. Risk: the repaired message differs from what was sent. */
	POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS = 1u << 8,
	/** Content lines longer than the limit (§4.5.3.1.6) are accepted.
	 * Memory stays bounded either way. */
	POSTEL_LENIENT_DATA_LONG_LINES = 1u << 9,
	/** NUL octets in message content are accepted (RFC 5322 §3.5 has
	 * none). Risk: consumers that use C strings truncate the message. */
	POSTEL_LENIENT_DATA_NUL = 1u << 10,
	/** Octets >= 0x80 in a message without BODY=8BITMIME (RFC 5321 §2.4
	 * lets the server reject it). Common in practice. Risk: the content's
	 * charset is unknown and a 7-bit-only next hop garbles it. */
	POSTEL_LENIENT_DATA_8BIT = 1u << 11,
	/** Replies whose lines end with a bare LF (§2.3.8). Risk: a reply
	 * framed differently by a proxy and by the client. A bare CR is
	 * never accepted. */
	POSTEL_LENIENT_REPLY_BARE_LF = 1u << 16,
	/** Octets above 127 in reply text that is not allowed to carry UTF-8
	 * (RFC 6531 §3.7.4), or malformed UTF-8 where it is. Risk: text of
	 * unknown encoding reaches logs and users. */
	POSTEL_LENIENT_REPLY_8BIT = 1u << 17,
	/** Control characters other than HT (and DEL) in reply text (RFC
	 * 5321 §4.2 textstring). Risk: terminal escapes reach logs. NUL is
	 * never accepted. */
	POSTEL_LENIENT_REPLY_CONTROL = 1u << 18,
	/** Enhanced status codes that are malformed, disagree with the reply
	 * code, or differ between the lines of a reply (RFC 3463 §2, RFC
	 * 2034 §4). Harmless: the reply code decides. */
	POSTEL_LENIENT_REPLY_ENHANCED = 1u << 19,
	/** EHLO reply lines or extension parameters that break their syntax
	 * are skipped (a malformed SIZE reads as no declared limit) and
	 * reported, instead of failing the EHLO reply. Risk: an extension
	 * the server meant to offer is missed. */
	POSTEL_LENIENT_EHLO_SYNTAX = 1u << 20,
	/** Client input sent before the greeting or, without PIPELINING,
	 * before the reply to the previous command (RFC 2920 §3.1, Postfix's
	 * early-talker check). Strict closes with 554. */
	POSTEL_LENIENT_EARLY_TALKER = 1u << 24,
	/** A mail transaction without HELO/EHLO first (RFC 5321 §4.1.4:
	 * the client MUST greet). Risk: the trace has no From-domain. */
	POSTEL_LENIENT_NO_HELO = 1u << 25
};

#define POSTEL_STRICT 0u
#define POSTEL_LENIENT                                                        \
	(POSTEL_LENIENT_SPACE_AFTER_COLON | POSTEL_LENIENT_NO_ANGLE_BRACKETS | \
	 POSTEL_LENIENT_EXTRA_SPACE | POSTEL_LENIENT_REPLY_BARE_LF |           \
	 POSTEL_LENIENT_EARLY_TALKER | POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS |  \
	 POSTEL_LENIENT_DATA_LONG_LINES | POSTEL_LENIENT_DATA_8BIT |           \
	 POSTEL_LENIENT_REPLY_8BIT | POSTEL_LENIENT_REPLY_ENHANCED |           \
	 POSTEL_LENIENT_EHLO_SYNTAX | POSTEL_LENIENT_NO_HELO |                 \
	 POSTEL_LENIENT_HELO_SYNTAX | POSTEL_LENIENT_LOCAL_PART_DOTS |         \
	 POSTEL_LENIENT_LONG_LOCAL_PART)

#ifdef __cplusplus
}
#endif
#endif
