/*
 * postel — DATA and BDAT codec: message content on the wire.
 *
 *   postel_data_decoder   server side: the bytes after the 354 reply
 *                         (dot-unstuffing, end of data) or the octets of
 *                         BDAT chunks; content out as zero-copy spans.
 *   postel_data_encoder   client side: content in, dot-stuffed DATA bytes
 *                         out (RFC 5321 §4.5.2), ending with "." CRLF.
 *   postel_bdat_encoder   client side: content in, "BDAT n [LAST]" CRLF
 *                         headers and raw chunk octets out (RFC 3030).
 *
 * Security rules that have no switch (SMTP smuggling, CVE-2023-51764/5/6):
 * the end of data is only CRLF "." CRLF (RFC 5321 §4.1.1.4), also at the
 * very start (an empty message). A bare LF or a bare CR is never a line
 * end for finding the end of data or a stuffed dot: `\n.\n`, `\n.\r\n`,
 * `\r.\r`, `\r\n.\n`, `\r\n.\r` and `\r.\r\n` are content. The decoder
 * never buffers a line: memory is the context struct, whatever arrives.
 *
 * No allocation, no I/O; every context is caller-allocated, its fields are
 * private, and it may be copied only between calls.
 *
 * Speed: the decoder finds CR, LF and NUL with SIMD (AVX2 chosen at run
 * time, SSE2, or a byte loop) and runs a hand-written boundary machine
 * only there, instead of a per-byte Ragel machine: under one instruction
 * per byte on ordinary mail against about 14 for a byte-at-a-time
 * machine (src/data.c, bench/bench_data.c).
 */
#ifndef POSTEL_DATA_H
#define POSTEL_DATA_H

#include "common.h"
#include "violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default maximum text line length, CRLF included and a stuffed dot not
 * counted (RFC 5321 §4.5.3.1.6). */
#define POSTEL_DATA_MAX_LINE_DEFAULT 1000u

/** Message body type declared with MAIL FROM BODY= (RFC 6152, RFC 3030). */
typedef enum postel_data_body {
	POSTEL_DATA_BODY_7BIT = 0,       /**< no BODY= or BODY=7BIT */
	POSTEL_DATA_BODY_8BITMIME = 1,   /**< RFC 6152: 8-bit octets allowed */
	POSTEL_DATA_BODY_BINARYMIME = 2  /**< RFC 3030 §3: BDAT only */
} postel_data_body;

/* ======================================================================
 * Decoder (server side)
 * ====================================================================== */

/**
 * Decoder settings; copied at init. A zeroed struct is the strict default:
 * lenient 0, line limit 1000, no size limit, 7BIT body.
 */
typedef struct postel_data_config {
	/** POSTEL_LENIENT_DATA_* bits (common.h); other bits are ignored. */
	uint32_t lenient;
	/** Maximum line length incl. CRLF; 0 means
	 * POSTEL_DATA_MAX_LINE_DEFAULT. Values below 3 are raised to 3. */
	uint32_t max_line;
	/** Maximum message size in content octets (RFC 1870); 0: none. */
	uint64_t max_size;
	/** Declared body type (8-bit octets are a violation in 7BIT). */
	postel_data_body body;
} postel_data_config;

/**
 * What the server should answer at the end of the message (or of a BDAT
 * chunk). The first matching reason wins, in this order:
 *   SIZE        552 5.3.4  RFC 1870 §6.2 / RFC 3463 X.3.4
 *   LINE_ENDS   554 5.6.0  bare CR/LF, RFC 5321 §2.3.8 (unless repaired)
 *   LONG_LINES  554 5.6.0  RFC 5321 §4.5.3.1.6 (unless lenient)
 *   NUL         554 5.6.0  RFC 5322 §3.5 (unless lenient)
 *   EIGHT_BIT   554 5.6.0  RFC 5321 §2.4 "MAY ... reject" (unless lenient
 *                          or BODY=8BITMIME / BINARYMIME)
 * 554 ("transaction failed", RFC 5321 §4.2.2) rather than 550 (a mailbox
 * or policy refusal) because the content itself is malformed; X.6.0 is
 * RFC 3463's "other or undefined media error". The session goes on.
 */
typedef enum postel_data_verdict {
	POSTEL_DATA_ACCEPT = 0,            /**< 250 2.0.0 */
	POSTEL_DATA_REJECT_SIZE = 1,       /**< 552 5.3.4 */
	POSTEL_DATA_REJECT_LINE_ENDS = 2,  /**< 554 5.6.0 */
	POSTEL_DATA_REJECT_LONG_LINES = 3, /**< 554 5.6.0 */
	POSTEL_DATA_REJECT_NUL = 4,        /**< 554 5.6.0 */
	POSTEL_DATA_REJECT_8BIT = 5        /**< 554 5.6.0 */
} postel_data_verdict;

/** Occurrences of one kind of deviation. */
typedef struct postel_data_tally {
	uint64_t count; /**< how many (octets, or lines for long lines) */
	uint64_t first; /**< wire offset of the first one (see `received`) */
} postel_data_tally;

/**
 * Running totals of a message, current after every postel_data_decode()
 * call (counting what was consumed so far; the verdict says what would be
 * answered if the message ended there); final at POSTEL_DATA_END. Offsets
 * are wire
 * offsets: octets counted from the first byte after the 354 reply (DATA)
 * or over the chunk octets only (BDAT).
 */
typedef struct postel_data_result {
	/** Content octets (RFC 1870 §4 sense: after unstuffing, with repaired
	 * line ends, without the final "." CRLF). Counted on after the limit
	 * is passed, even though that content is no longer delivered. */
	uint64_t size;
	/** Octets consumed from the wire, stuffing and "." CRLF included. */
	uint64_t received;
	/** Line ends seen (CRLF, and bare CR / bare LF). DATA only. */
	uint64_t lines;
	/** Longest line seen, incl. its line end, a stuffed dot not counted.
	 * A line runs to the next CR or LF. DATA only. */
	uint64_t longest_line;
	postel_data_tally bare_lf;   /**< LF not preceded by CR */
	postel_data_tally bare_cr;   /**< CR not followed by LF */
	postel_data_tally nul;       /**< NUL octets */
	postel_data_tally eight_bit; /**< octets >= 0x80 (any body type) */
	postel_data_tally long_line; /**< lines over config max_line */
	/** Lines "." next to a bare line end (`\n.\r\n`, `\r\n.\n`, ...):
	 * what a sloppy parser takes for the end of data (the smuggling
	 * signature). Content here; reported, not a reason on its own. */
	postel_data_tally fake_end;
	/** Message passed config max_size (RFC 1870); `first` is the wire
	 * offset of the first content octet over the limit. */
	postel_data_tally oversize;
	/** Every kind of violation seen, once each (POSTEL_V_DATA_*). */
	postel_violation_list violations;
	/** What to answer; see postel_data_verdict_reply(). */
	postel_data_verdict verdict;
} postel_data_result;

/** Event types returned by postel_data_decode(). */
typedef enum postel_data_event_type {
	/** Nothing to report: give more bytes (the unconsumed ones first). */
	POSTEL_DATA_NEED_MORE = 0,
	/** `content` is a run of message content: a span into `buf`, or a
	 * static "\r\n" for a repaired line end. Spans are partial: a line can
	 * arrive in many events, and one event can hold many lines. */
	POSTEL_DATA_CONTENT = 1,
	/** The content just passed config max_size (once per message, at the
	 * octet that passes it; content up to the limit was delivered). From
	 * now on content is dropped; the end is still found (RFC 1870 §6.2:
	 * the verdict is 552 5.3.4). */
	POSTEL_DATA_SIZE_EXCEEDED = 2,
	/** BDAT: a chunk without LAST was fully consumed; answer it now with
	 * postel_data_verdict_reply(result->verdict) (250 or a failure). */
	POSTEL_DATA_CHUNK_END = 3,
	/** End of the message: CRLF "." CRLF (DATA), or the LAST chunk
	 * (BDAT). `consumed` stops right after it: what follows is the next
	 * command (RFC 2920 pipelining). `result` holds the verdict. */
	POSTEL_DATA_END = 4
} postel_data_event_type;

/** One event; filled by every postel_data_decode() call. */
typedef struct postel_data_event {
	postel_data_event_type type;
	/** CONTENT: the content octets (never empty). Valid until `buf`
	 * changes or moves (with static "\r\n": forever). */
	postel_span content;
	/** CONTENT: content offset (value of result->size before it);
	 * SIZE_EXCEEDED: the configured limit. */
	uint64_t offset;
	/** CHUNK_END / END (and SIZE_EXCEEDED): the totals so far; points into
	 * the decoder, valid until its next non-const call. NULL otherwise. */
	const postel_data_result *result;
} postel_data_event;

/** Decoder context; caller-allocated; fields are private. */
typedef struct postel_data_decoder {
	/* private: */
	postel_data_result r_;
	uint64_t max_size_;
	uint64_t line_;       /* octets of the current line consumed so far */
	uint64_t chunk_left_; /* BDAT: octets left in the current chunk */
	uint32_t lenient_;
	uint32_t max_line_;
	uint8_t body_;
	uint8_t mode_;  /* DATA / BDAT */
	uint8_t state_; /* see src/data.c */
	uint8_t bol_;   /* at the start of a line (after CRLF or at start) */
	uint8_t last_;  /* BDAT: current chunk is LAST */
	uint8_t over_;  /* size limit passed (SIZE_EXCEEDED reported) */
	uint8_t in_call_;
	uint8_t impl_;  /* scanner: see src/data.c */
	uint8_t dirty_; /* verdict to refresh */
} postel_data_decoder;

/**
 * Prepare `d` for one message sent with DATA: call after the 354 reply.
 * `config` may be NULL (strict defaults); it is copied.
 * Returns POSTEL_OK; POSTEL_E_ARGUMENT when `d` is NULL or the body is
 * BINARYMIME (RFC 3030 §3: BINARYMIME cannot be used with DATA; the server
 * must have answered DATA with 503).
 */
POSTEL_EXTERN postel_status
postel_data_decoder_init(postel_data_decoder *d,
			 const postel_data_config *config);

/**
 * Prepare `d` for one message sent with BDAT chunks (RFC 3030): call at the
 * first BDAT of a transaction, then postel_data_bdat_chunk() for it and
 * every following BDAT. Returns POSTEL_OK or POSTEL_E_ARGUMENT (d NULL).
 */
POSTEL_EXTERN postel_status
postel_data_decoder_init_bdat(postel_data_decoder *d,
			      const postel_data_config *config);

/**
 * Announce the next BDAT chunk: `size` octets (already parsed with an
 * overflow check; any uint64_t is accepted, a chunk over the message limit
 * is still consumed and dropped, RFC 3030 §2) and whether it is LAST.
 * Precondition: a BDAT decoder between chunks (after init_bdat or a
 * CHUNK_END); otherwise POSTEL_E_STATE. Returns POSTEL_OK.
 */
POSTEL_EXTERN postel_status postel_data_bdat_chunk(postel_data_decoder *d,
						   uint64_t size, int last);

/**
 * Decode: `buf` holds the bytes not consumed by the previous call followed
 * by new bytes (they may have moved: the decoder keeps no pointer across
 * calls). Fills `ev` with exactly one event and `*consumed` with how many
 * bytes at the front of `buf` are done with (a skipped stuffed dot counts
 * as consumed). Bytes not consumed must be offered again, first, in the
 * next call: at most 2 octets are held back this way ("." or ".\r" at the
 * start of a line, "\r" at the end of `buf`).
 *
 * Returns POSTEL_OK with CONTENT, SIZE_EXCEEDED, CHUNK_END or END;
 * POSTEL_NEED_MORE with ev->type NEED_MORE when nothing more can be said
 * from `buf` (consumed may still be > 0: dropped or skipped octets);
 * POSTEL_E_STATE after END, or for a BDAT decoder between chunks;
 * POSTEL_E_ARGUMENT for NULL pointers (buf may be NULL when len is 0).
 * Invalidates the spans of the previous event.
 */
POSTEL_EXTERN postel_status postel_data_decode(postel_data_decoder *d,
					       const char *buf, size_t len,
					       postel_data_event *ev,
					       size_t *consumed);

/** Running totals (final after END). Never NULL for an initialised d. */
static inline const postel_data_result *
postel_data_decoder_result(const postel_data_decoder *d)
{
	return &d->r_;
}

/**
 * The reply for a verdict: `*code` (250, 552, 554), `*enhanced` (RFC 3463
 * "2.0.0", "5.3.4", "5.6.0") and a short English `*text`. Any output
 * pointer may be NULL. Strings are static.
 */
POSTEL_EXTERN void postel_data_verdict_reply(postel_data_verdict v,
					     unsigned *code,
					     const char **enhanced,
					     const char **text);

/** Stable short name of a verdict ("accept", "reject-size", ...). */
POSTEL_EXTERN const char *postel_data_verdict_name(postel_data_verdict v);

/* ======================================================================
 * Encoder (client side, DATA)
 * ====================================================================== */

/** Encoder flags. */
enum postel_data_encoder_flag {
	/** Refuse bare CR / bare LF in the content (POSTEL_INVALID) instead
	 * of converting them to CRLF (RFC 5321 §2.3.8). */
	POSTEL_DATA_ENC_REFUSE_BARE = 1u << 0
};

typedef struct postel_data_encoder_config {
	uint32_t flags;        /**< POSTEL_DATA_ENC_* */
	postel_data_body body; /**< BINARYMIME is refused (BDAT only) */
} postel_data_encoder_config;

/** Encoder context; caller-allocated; fields are private. */
typedef struct postel_data_encoder {
	/* private: */
	uint64_t in_total_;  /* content octets consumed */
	uint64_t out_total_; /* octets produced */
	uint32_t flags_;
	uint8_t bol_;    /* next content octet starts a line */
	uint8_t cr_;     /* a CR was consumed; its LF (or not) is next */
	uint8_t state_;  /* see src/data.c */
	uint8_t pend_n_; /* octets of pend_ still to write */
	uint8_t pend_off_;
	uint8_t in_call_;
	uint8_t impl_;   /* copier: see src/data.c */
	char pend_[6];
} postel_data_encoder;

/**
 * Prepare `e` for one message (call after the 354 reply, or before, the
 * encoder does no I/O). `config` may be NULL (convert bare line ends).
 * Returns POSTEL_OK; POSTEL_E_ARGUMENT for NULL `e` or a BINARYMIME body
 * (RFC 3030 §3).
 */
POSTEL_EXTERN postel_status
postel_data_encoder_init(postel_data_encoder *e,
			 const postel_data_encoder_config *config);

/**
 * Encode content: consumes from `in` (any split of the content; nothing is
 * held back, a trailing CR is remembered), writes dot-stuffed CRLF-clean
 * bytes to `out`. `*in_used` and `*out_used` say how much was consumed
 * and produced (always set). A partial write resumes exactly on the next
 * call: offer the unconsumed input again.
 * Returns POSTEL_OK (all of `in` consumed), POSTEL_OUTPUT_FULL (`out` is
 * full; call again with room), POSTEL_INVALID (REFUSE_BARE and a bare CR
 * or LF: `*in_used` stops at the octet after the bare CR or at the bare
 * LF; sticky until init), POSTEL_E_STATE after postel_data_encode_end()
 * finished, POSTEL_E_ARGUMENT for NULL pointers (with a nonzero length).
 */
POSTEL_EXTERN postel_status postel_data_encode(postel_data_encoder *e,
					       const char *in, size_t in_len,
					       char *out, size_t out_cap,
					       size_t *in_used,
					       size_t *out_used);

/**
 * End the content: writes a CRLF if the content did not end with one (and
 * is not empty), then "." CRLF (RFC 5321 §4.1.1.4). Returns POSTEL_OK when
 * all is written (later calls write nothing and return POSTEL_OK),
 * POSTEL_OUTPUT_FULL to be called again with room, POSTEL_INVALID as in
 * postel_data_encode() (a trailing bare CR with REFUSE_BARE).
 */
POSTEL_EXTERN postel_status postel_data_encode_end(postel_data_encoder *e,
						   char *out, size_t out_cap,
						   size_t *out_used);

/** Content octets consumed so far. */
static inline uint64_t
postel_data_encoder_consumed(const postel_data_encoder *e)
{
	return e->in_total_;
}

/** Octets produced so far (what goes on the wire). */
static inline uint64_t
postel_data_encoder_produced(const postel_data_encoder *e)
{
	return e->out_total_;
}

/* ======================================================================
 * BDAT framing (client side, RFC 3030)
 * ====================================================================== */

/** Default chunk size of postel_bdat_encoder_init() with 0. */
#define POSTEL_BDAT_CHUNK_DEFAULT 65536u
/** Longest BDAT header: "BDAT 18446744073709551615 LAST\r\n". */
#define POSTEL_BDAT_HEADER_MAX 32u

/**
 * Write the command "BDAT <size>\r\n" or "BDAT <size> LAST\r\n" to `out`.
 * Returns its length, or 0 (nothing written) when `cap` is too small.
 */
POSTEL_EXTERN size_t postel_bdat_header(char *out, size_t cap, uint64_t size,
					int last);

/** BDAT framer context; caller-allocated; fields are private. */
typedef struct postel_bdat_encoder {
	/* private: */
	uint64_t chunk_;     /* configured chunk size */
	uint64_t left_;      /* content octets still due in the current chunk */
	uint64_t chunks_;    /* BDAT commands produced */
	uint64_t in_total_;
	uint8_t state_;
	uint8_t last_;       /* current chunk is LAST */
	uint8_t hdr_n_, hdr_off_;
	uint8_t in_call_;
	char hdr_[POSTEL_BDAT_HEADER_MAX];
} postel_bdat_encoder;

/**
 * Prepare `b` for one message. `chunk_size` 0 means
 * POSTEL_BDAT_CHUNK_DEFAULT. Any body type may be sent with BDAT
 * (RFC 3030 §2). Returns POSTEL_OK or POSTEL_E_ARGUMENT (b NULL).
 */
POSTEL_EXTERN postel_status postel_bdat_encoder_init(postel_bdat_encoder *b,
						     uint64_t chunk_size);

/**
 * Frame content into BDAT chunks: writes "BDAT n [LAST]" CRLF then the n
 * raw content octets, for as many chunks as input and room allow. A chunk
 * holds min(chunk size, input available when it starts) octets, so offer
 * large inputs. `last` says that `in` holds the rest of the content: the
 * chunk that takes its end carries LAST ("BDAT 0 LAST" when all content
 * was sent in earlier chunks or there is none). Content is not altered
 * (RFC 3030: the sender canonicalises). A partial write resumes exactly:
 * offer the unconsumed input again.
 * Returns POSTEL_OK (all input consumed; with `last`, LAST is fully
 * written and later calls return POSTEL_OK writing nothing),
 * POSTEL_OUTPUT_FULL (call again with room), POSTEL_E_ARGUMENT (NULL with
 * a nonzero length).
 */
POSTEL_EXTERN postel_status postel_bdat_encode(postel_bdat_encoder *b,
					       const char *in, size_t in_len,
					       int last, char *out,
					       size_t out_cap, size_t *in_used,
					       size_t *out_used);

/** BDAT commands produced so far (each gets its own reply, RFC 3030 §2). */
static inline uint64_t postel_bdat_encoder_chunks(const postel_bdat_encoder *b)
{
	return b->chunks_;
}

/** Nonzero once the LAST chunk has been completely written. */
static inline int postel_bdat_encoder_done(const postel_bdat_encoder *b)
{
	return b->state_ == 3;
}

#ifdef __cplusplus
}
#endif
#endif
