/*
 * postel — EHLO reply → capability set (RFC 5321 §4.1.1.1, the SMTP
 * service extensions in the IANA registry).
 *
 *     ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
 *                 / ( "250-" Domain [ SP ehlo-greet ] CRLF
 *                     *( "250-" ehlo-line CRLF )
 *                     "250" SP ehlo-line CRLF )
 *     ehlo-line   = ehlo-keyword *( SP ehlo-param )
 *
 * postel_ehlo_parse() reads a complete 250 reply (from postel_reply_parse)
 * and fills a postel_ehlo: a bitmask of known extensions, their typed
 * values, the AUTH mechanisms and every unknown keyword with its
 * parameters. Keywords and mechanism names are matched case-insensitively.
 * Zero-copy: spans point into the reply's bytes.
 */
#ifndef POSTEL_EHLO_H
#define POSTEL_EHLO_H

#include "common.h"
#include "reply.h"
#include "violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Known extensions, one bit each in postel_ehlo.caps. Append-only. */
enum postel_ehlo_cap {
	POSTEL_EHLO_PIPELINING = 1u << 0,    /**< RFC 2920 */
	POSTEL_EHLO_SIZE = 1u << 1,          /**< RFC 1870 */
	POSTEL_EHLO_8BITMIME = 1u << 2,      /**< RFC 6152 */
	POSTEL_EHLO_BINARYMIME = 1u << 3,    /**< RFC 3030 */
	POSTEL_EHLO_CHUNKING = 1u << 4,      /**< RFC 3030 */
	POSTEL_EHLO_DSN = 1u << 5,           /**< RFC 3461 */
	POSTEL_EHLO_ENHANCEDSTATUSCODES = 1u << 6, /**< RFC 2034 */
	POSTEL_EHLO_STARTTLS = 1u << 7,      /**< RFC 3207 */
	POSTEL_EHLO_AUTH = 1u << 8,          /**< RFC 4954 (AUTH and AUTH=) */
	POSTEL_EHLO_SMTPUTF8 = 1u << 9,      /**< RFC 6531 */
	POSTEL_EHLO_REQUIRETLS = 1u << 10,   /**< RFC 8689 */
	POSTEL_EHLO_MT_PRIORITY = 1u << 11,  /**< RFC 6710 */
	POSTEL_EHLO_DELIVERBY = 1u << 12,    /**< RFC 2852 */
	POSTEL_EHLO_FUTURERELEASE = 1u << 13, /**< RFC 4865 */
	POSTEL_EHLO_LIMITS = 1u << 14,       /**< RFC 9422 */
	POSTEL_EHLO_RRVS = 1u << 15,         /**< RFC 7293 */
	POSTEL_EHLO_MTRK = 1u << 16,         /**< RFC 3885 */
	POSTEL_EHLO_ETRN = 1u << 17          /**< RFC 1985 */
};

/** An extension postel does not know: its keyword and the rest of its
 * line after the SP that follows the keyword (empty when none). */
typedef struct postel_ehlo_ext {
	postel_span keyword;
	postel_span params;
} postel_ehlo_ext;

/**
 * Capability set. Before postel_ehlo_parse() the caller sets the two
 * arrays and their capacities (`mechs`/`num_mechs`, `unknown`/
 * `num_unknown`; either may be NULL with capacity 0); everything else is
 * output.
 */
typedef struct postel_ehlo {
	/** POSTEL_EHLO_* bits of the extensions offered. */
	uint32_t caps;
	/** First line: the server's domain (or address literal) and the
	 * greeting text after it (RFC 5321 §4.1.1.1). */
	postel_span domain, greeting;
	/** SIZE value (RFC 1870 §4); 0 when absent, 0 or malformed: no
	 * declared limit. */
	uint64_t size;
	/** In: array for AUTH mechanism names. Out: the distinct names of
	 * every AUTH and AUTH= line, in order of appearance, first
	 * min(mech_count, capacity) of them. */
	postel_span *mechs;
	/** In: capacity of `mechs`. Out: how many were stored. */
	size_t num_mechs;
	/** Out: distinct mechanisms offered (may exceed num_mechs). */
	size_t mech_count;
	/** MT-PRIORITY Priority Assignment Policy name (RFC 6710 §3), e.g.
	 * "MIXER"; empty when not disclosed. */
	postel_span mt_priority_policy;
	/** DELIVERBY min-by-time in seconds (RFC 2852 §4); 0 when absent. */
	uint64_t deliverby_min;
	/** FUTURERELEASE max-future-release-interval in seconds and
	 * max-future-release-date-time (RFC 4865 §3); 0 / empty when
	 * absent or malformed. */
	uint64_t futurerelease_interval;
	postel_span futurerelease_datetime;
	/** LIMITS (RFC 9422): RCPTMAX, MAILMAX, RCPTDOMAINMAX; 0 when not
	 * given or malformed (unknown names and bad values are ignored). */
	uint64_t limit_rcptmax, limit_mailmax, limit_rcptdomainmax;
	/** In: array for unknown extensions. Out: first
	 * min(unknown_count, capacity) of them. */
	postel_ehlo_ext *unknown;
	/** In: capacity of `unknown`. Out: how many were stored. */
	size_t num_unknown;
	/** Out: unknown extensions in the reply (may exceed num_unknown). */
	size_t unknown_count;
	/** Out: deviations found (EHLO_*). */
	postel_violation_list violations;
} postel_ehlo;

/**
 * Read the capabilities of a complete EHLO (or LHLO, or HELO) reply.
 *
 * Preconditions: `r` came from postel_reply_parse() with POSTEL_OK or
 * POSTEL_INVALID, its code is 250, its bytes are still in place and every
 * line was stored (`r->num_lines == r->line_count`).
 *
 * `lenient`: POSTEL_LENIENT_* bits; POSTEL_LENIENT_EHLO_SYNTAX decides
 * whether a malformed line or extension parameter is only reported.
 *
 * Returns POSTEL_OK (violations, if any, were accepted), POSTEL_INVALID
 * (a violation no flag accepts; `e` still holds everything readable), or
 * POSTEL_E_ARGUMENT when a precondition fails (`e` is then zeroed except
 * its arrays). Unknown LIMITS names and malformed LIMITS values are
 * ignored without a violation (RFC 9422).
 */
POSTEL_EXTERN postel_status postel_ehlo_parse(postel_ehlo *e,
					      const postel_reply *r,
					      uint32_t lenient);

/** Nonzero when the extension bit `cap` was offered. */
static inline int postel_ehlo_has(const postel_ehlo *e, uint32_t cap)
{
	return (e->caps & cap) != 0;
}

/**
 * Nonzero when AUTH mechanism `name` (NUL-terminated, any case) was
 * offered (RFC 4954 §3). Only the stored mechanisms are searched.
 */
POSTEL_EXTERN int postel_ehlo_has_mech(const postel_ehlo *e, const char *name);

/** Name of one POSTEL_EHLO_* bit ("PIPELINING"), or NULL. */
POSTEL_EXTERN const char *postel_ehlo_cap_name(uint32_t cap);

#ifdef __cplusplus
}
#endif
#endif
