/*
 * postel — DATA and BDAT codec (include/postel/data.h).
 *
 * Decoder design. Almost every byte of a message is plain content; only
 * CR, LF and NUL (and, for counting, octets >= 0x80) need a look. The
 * decoder therefore has two parts:
 *
 *  1. a scanner (scan_*) that finds the next CR, LF or NUL from a
 *     position, counting 8-bit octets on the way: 32 or 16 octets per
 *     step with AVX2 or SSE2, a table-driven byte loop elsewhere;
 *  2. a hand-written boundary state machine run only at those bytes and
 *     at the start of a line. Its whole state is one bit (at the start of
 *     a line or not) plus counters, because it never consumes a byte whose
 *     meaning depends on bytes not yet seen: a lone "\r" at the end of the
 *     buffer, or "." / ".\r" at the start of a line, stays unconsumed and
 *     comes back first in the next call (the streaming contract of the
 *     split driver, test/support/support.h). Two octets at most are held.
 *
 * Why no Ragel here: a Ragel machine runs per byte, 9-12 instructions per
 * byte for this grammar (bench: data-decode-bytewise runs the same rules
 * byte by byte), while the rules need at most 3 octets of look-ahead past
 * a line end and one bit of state. The scanner plus this small machine
 * stays under one instruction per byte on real mail (bench/bench_data.c).
 *
 * Rules (RFC 5321 §4.1.1.4, §4.5.2, §2.3.8):
 *  - a line starts at the start of data and after CRLF, never after a bare
 *    CR or bare LF (repaired or not);
 *  - at the start of a line, "." CRLF is the end of data; "." followed by
 *    anything else is a stuffed dot, skipped (not copied);
 *  - CRLF is content (the last one belongs to the last line);
 *  - a CR not followed by LF, and an LF not preceded by CR, are bare: they
 *    are counted and, with POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS, replaced
 *    by a static "\r\n" span;
 *  - a line (for the length limit) runs to the next CR or LF; its length
 *    counts the line end as 2 octets and not a stuffed dot (§4.5.3.1.6).
 */
#include "internal.h"
#include "postel/data.h"

#include <string.h>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define POSTEL__HAVE_SSE2 1
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&       \
	!defined(POSTEL_NO_AVX2)
#include <immintrin.h>
#define POSTEL__HAVE_AVX2 1
#endif

/* Scanner implementations; postel__data_impl (tests, bench) forces one. */
enum { IMPL_AUTO = 0, IMPL_SCALAR = 1, IMPL_SSE2 = 2, IMPL_AVX2 = 3 };
int postel__data_impl = IMPL_AUTO;

enum { MODE_DATA = 0, MODE_BDAT = 1 };
enum {
	ST_DATA = 0,       /* DATA: receiving content */
	ST_BDAT_IDLE = 1,  /* BDAT: between chunks */
	ST_BDAT_CHUNK = 2, /* BDAT: inside a chunk */
	ST_DONE = 3        /* END reported */
};
enum { OVER_NO = 0, OVER_PENDING = 1, OVER_REPORTED = 2 };

static const char crlf_static[2] = {'\r', '\n'};

/* ---------------------------------------------------------------------- */
/* scanners: first CR, LF or NUL in [p, end), 8-bit octets before it */

/* 1 for CR, LF, NUL */
static const unsigned char stop_class[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1,
};

static inline unsigned popcount32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_popcount(x);
#else
	unsigned n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
#endif
}

static inline unsigned ctz32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_ctz(x);
#else
	unsigned n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

static const unsigned char *scan_scalar(const unsigned char *p,
					const unsigned char *end,
					uint64_t *n8)
{
	uint64_t h = 0;
	while (p < end && !stop_class[*p]) {
		h += *p >> 7;
		p++;
	}
	*n8 += h;
	return p;
}

#ifdef POSTEL__HAVE_SSE2
static const unsigned char *scan_sse2(const unsigned char *p,
				      const unsigned char *end, uint64_t *n8)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i zero = _mm_setzero_si128();
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i t = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, cr),
				     _mm_cmpeq_epi8(v, lf)),
			_mm_cmpeq_epi8(v, zero));
		uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(t, v));
		if (m) {
			uint32_t s = (uint32_t)_mm_movemask_epi8(t);
			uint32_t h = (uint32_t)_mm_movemask_epi8(v);
			if (s) {
				unsigned k = ctz32(s);
				*n8 += popcount32(h & ((1u << k) - 1));
				return p + k;
			}
			*n8 += popcount32(h);
		}
		p += 16;
	}
	return scan_scalar(p, end, n8);
}
#endif

#ifdef POSTEL__HAVE_AVX2
/* vpshufb: low nibble -> the one stop byte with that low nibble; octets
 * with the high bit set give 0, which never equals them. */
__attribute__((target("avx2,popcnt,bmi"))) static const unsigned char *
scan_avx2(const unsigned char *p, const unsigned char *end, uint64_t *n8)
{
	const __m256i lut = _mm256_setr_epi8(
		0, -1, -1, -1, -1, -1, -1, -1, -1, -1, '\n', -1, -1, '\r', -1,
		-1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, '\n', -1, -1, '\r',
		-1, -1);
	while (end - p >= 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i t = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(lut, v), v);
		uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(t, v));
		if (m) {
			uint32_t s = (uint32_t)_mm256_movemask_epi8(t);
			uint32_t h = (uint32_t)_mm256_movemask_epi8(v);
			if (s) {
				unsigned k = (unsigned)__builtin_ctz(s);
				*n8 += (unsigned)__builtin_popcount(
					h & ((1u << k) - 1));
				return p + k;
			}
			*n8 += (unsigned)__builtin_popcount(h);
		}
		p += 32;
	}
#ifdef POSTEL__HAVE_SSE2
	return scan_sse2(p, end, n8);
#else
	return scan_scalar(p, end, n8);
#endif
}
#endif

static uint8_t pick_impl(void)
{
	int want = postel__data_impl;
	if (want == IMPL_SCALAR)
		return IMPL_SCALAR;
#ifdef POSTEL__HAVE_AVX2
	if (want == IMPL_AUTO || want == IMPL_AVX2) {
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2"))
			return IMPL_AVX2;
	}
#endif
#ifdef POSTEL__HAVE_SSE2
	return IMPL_SSE2;
#else
	return IMPL_SCALAR;
#endif
}

static inline const unsigned char *scan(uint8_t impl, const unsigned char *p,
					const unsigned char *end, uint64_t *n8)
{
#ifdef POSTEL__HAVE_AVX2
	if (impl == IMPL_AVX2)
		return scan_avx2(p, end, n8);
#endif
#ifdef POSTEL__HAVE_SSE2
	if (impl == IMPL_SSE2)
		return scan_sse2(p, end, n8);
#endif
	(void)impl;
	return scan_scalar(p, end, n8);
}

/* ---------------------------------------------------------------------- */
/* decoder */

/* Count `n` occurrences at wire offset `at`; the verdict is refreshed at
 * the end of the call (postel_data_decode). */
static void tally(postel_data_decoder *d, postel_data_tally *t, uint64_t at,
		  uint64_t n)
{
	if (t->count == 0)
		t->first = at;
	t->count += n;
	d->dirty_ = 1;
}

static void verdict(postel_data_decoder *d)
{
	postel_data_result *r = &d->r_;
	uint32_t len = d->lenient_;
	postel_violation_list *vl = &r->violations;
	postel__vlist_clear(vl); /* rebuilt in a fixed order */
	if (r->bare_lf.count)
		postel__vlist_add(vl, POSTEL_V_DATA_BARE_LF);
	if (r->bare_cr.count)
		postel__vlist_add(vl, POSTEL_V_DATA_BARE_CR);
	if (r->nul.count)
		postel__vlist_add(vl, POSTEL_V_DATA_NUL);
	if (r->eight_bit.count && d->body_ == POSTEL_DATA_BODY_7BIT)
		postel__vlist_add(vl, POSTEL_V_DATA_8BIT);
	if (r->long_line.count)
		postel__vlist_add(vl, POSTEL_V_DATA_LINE_TOO_LONG);
	if (r->fake_end.count)
		postel__vlist_add(vl, POSTEL_V_DATA_FAKE_END);
	if (r->oversize.count)
		postel__vlist_add(vl, POSTEL_V_DATA_SIZE_EXCEEDED);

	if (r->oversize.count)
		r->verdict = POSTEL_DATA_REJECT_SIZE;
	else if ((r->bare_lf.count || r->bare_cr.count) &&
		 !(len & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS))
		r->verdict = POSTEL_DATA_REJECT_LINE_ENDS;
	else if (r->long_line.count && !(len & POSTEL_LENIENT_DATA_LONG_LINES))
		r->verdict = POSTEL_DATA_REJECT_LONG_LINES;
	else if (r->nul.count && !(len & POSTEL_LENIENT_DATA_NUL))
		r->verdict = POSTEL_DATA_REJECT_NUL;
	else if (r->eight_bit.count && d->body_ == POSTEL_DATA_BODY_7BIT &&
		 !(len & POSTEL_LENIENT_DATA_8BIT))
		r->verdict = POSTEL_DATA_REJECT_8BIT;
	else
		r->verdict = POSTEL_DATA_ACCEPT;
}

static void decoder_setup(postel_data_decoder *d, const postel_data_config *c,
			  uint8_t mode)
{
	memset(d, 0, sizeof *d);
	if (c) {
		d->lenient_ = c->lenient;
		d->max_line_ = c->max_line;
		d->max_size_ = c->max_size;
		d->body_ = (uint8_t)c->body;
	}
	if (d->max_line_ == 0)
		d->max_line_ = POSTEL_DATA_MAX_LINE_DEFAULT;
	if (d->max_line_ < 3)
		d->max_line_ = 3;
	d->mode_ = mode;
	d->state_ = mode == MODE_DATA ? ST_DATA : ST_BDAT_IDLE;
	d->bol_ = 1;
	d->impl_ = pick_impl();
}

postel_status postel_data_decoder_init(postel_data_decoder *d,
				       const postel_data_config *config)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	if (config && config->body == POSTEL_DATA_BODY_BINARYMIME)
		return POSTEL_E_ARGUMENT;
	decoder_setup(d, config, MODE_DATA);
	return POSTEL_OK;
}

postel_status postel_data_decoder_init_bdat(postel_data_decoder *d,
					    const postel_data_config *config)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	decoder_setup(d, config, MODE_BDAT);
	return POSTEL_OK;
}

postel_status postel_data_bdat_chunk(postel_data_decoder *d, uint64_t size,
				     int last)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	if (d->mode_ != MODE_BDAT || d->state_ != ST_BDAT_IDLE)
		return POSTEL_E_STATE;
	d->chunk_left_ = size;
	d->last_ = last ? 1 : 0;
	d->state_ = ST_BDAT_CHUNK;
	return POSTEL_OK;
}

/* Content [p, p+n) at wire offset `at` (the bare octet it replaces when
 * `repaired`) is ready. Returns 1 when it makes an
 * event (ev filled), 0 when it was dropped (over the size limit). */
static int deliver(postel_data_decoder *d, const char *p, size_t n,
		   uint64_t at, int repaired, postel_data_event *ev)
{
	postel_data_result *r = &d->r_;
	uint64_t before = r->size;
	r->size += n;
	if (r->size < before)
		r->size = UINT64_MAX;
	if (d->over_ != OVER_NO)
		return 0;
	if (d->max_size_ && r->size > d->max_size_) {
		uint64_t keep = d->max_size_ - before;
		/* a repaired CRLF stands for one wire octet */
		tally(d, &r->oversize, repaired ? at : at + keep, 1);
		d->over_ = OVER_PENDING;
		if (keep == 0) {
			d->over_ = OVER_REPORTED;
			ev->type = POSTEL_DATA_SIZE_EXCEEDED;
			ev->offset = d->max_size_;
			verdict(d);
			ev->result = r;
			return 1;
		}
		n = (size_t)keep;
	}
	ev->type = POSTEL_DATA_CONTENT;
	ev->content = postel__span(p, n);
	ev->offset = before;
	return 1;
}

static void end_line(postel_data_decoder *d, uint64_t len, uint64_t at)
{
	postel_data_result *r = &d->r_;
	r->lines++;
	if (len > r->longest_line)
		r->longest_line = len;
	if (len > d->max_line_)
		tally(d, &r->long_line, at, 1);
}

/* wire offset of the first octet >= 0x80 in [p, end) (there is one) */
static uint64_t first8(const unsigned char *p, const unsigned char *base,
		       uint64_t at)
{
	while (*p < 0x80)
		p++;
	return at + (uint64_t)(p - base);
}

static postel_status decode_data(postel_data_decoder *d,
				 const unsigned char *buf, size_t len,
				 postel_data_event *ev, size_t *consumed)
{
	postel_data_result *r = &d->r_;
	const unsigned char *const end = buf + len;
	const unsigned char *pos = buf; /* next byte to look at */
	const unsigned char *s = buf;   /* start of undelivered content */
	const uint64_t at0 = r->received;
	const int repair =
		(d->lenient_ & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS) != 0;
	uint64_t line = d->line_;

#define AT(ptr) (at0 + (uint64_t)((ptr) - buf))
	/* Deliver [from, to) having consumed up to `cons`; returns from the
	 * call with the event, or falls through when there is none (empty,
	 * or dropped over the size limit). */
#define EMIT_AT(from, to, cons, at, rep)                                       \
	do {                                                                   \
		d->line_ = line;                                               \
		r->received = AT(cons);                                        \
		*consumed = (size_t)((cons) - buf);                            \
		if ((to) > (from) &&                                           \
		    deliver(d, (const char *)(from), (size_t)((to) - (from)),  \
			    at, rep, ev))                                      \
			return POSTEL_OK;                                      \
	} while (0)
#define EMIT(from, to, cons) EMIT_AT(from, to, cons, AT(from), 0)
#define HOLD(at)                                                               \
	do {                                                                   \
		EMIT(s, at, at);                                               \
		ev->type = POSTEL_DATA_NEED_MORE;                              \
		return POSTEL_NEED_MORE;                                       \
	} while (0)

	for (;;) {
		if (d->bol_) {
			if (pos == end)
				HOLD(pos);
			if (*pos == '.') {
				if (end - pos < 2)
					HOLD(pos);
				if (pos[1] == '\r') {
					if (end - pos < 3)
						HOLD(pos);
					if (pos[2] == '\n') {
						/* CRLF "." CRLF: end of data */
						EMIT(s, pos, pos);
						d->line_ = 0;
						r->received = AT(pos + 3);
						d->state_ = ST_DONE;
						verdict(d);
						ev->type = POSTEL_DATA_END;
						ev->result = r;
						*consumed = (size_t)(pos + 3 - buf);
						return POSTEL_OK;
					}
					/* ".\r" + other: a "." line ended by a
					 * bare CR */
					tally(d, &r->fake_end, AT(pos), 1);
				} else if (pos[1] == '\n') {
					tally(d, &r->fake_end, AT(pos), 1);
				}
				/* stuffed dot (§4.5.2): skipped */
				d->bol_ = 0;
				line = 0;
				EMIT(s, pos, pos + 1);
				s = ++pos;
			} else {
				d->bol_ = 0;
			}
		}
		/* inside a line */
		{
			uint64_t n8 = 0;
			const unsigned char *q = scan(d->impl_, pos, end, &n8);
			if (n8)
				tally(d, &r->eight_bit,
				      r->eight_bit.count ? 0
							 : first8(pos, buf, at0),
				      n8);
			line += (uint64_t)(q - pos);
			pos = q;
		}
		if (pos == end)
			HOLD(pos);
		if (*pos == 0) {
			tally(d, &r->nul, AT(pos), 1);
			pos++;
			line++;
			continue;
		}
		if (*pos == '\r') {
			if (end - pos < 2)
				HOLD(pos); /* CR or CRLF? */
			if (pos[1] == '\n') {
				end_line(d, line + 2, AT(pos));
				line = 0;
				pos += 2;
				d->bol_ = 1;
				continue;
			}
		}
		/* a bare CR or bare LF; a fake end when "." CR/LF follows */
		if (end - pos < 2 || (pos[1] == '.' && end - pos < 3))
			HOLD(pos);
		if (repair) {
			EMIT(s, pos, pos);
			s = pos;
		}
		if (pos[1] == '.' && (pos[2] == '\r' || pos[2] == '\n'))
			tally(d, &r->fake_end, AT(pos + 1), 1);
		tally(d, *pos == '\r' ? &r->bare_cr : &r->bare_lf, AT(pos), 1);
		end_line(d, line + 2, AT(pos));
		line = 0;
		pos++;
		if (repair) {
			/* replace the bare octet by CRLF (s == pos - 1) */
			EMIT_AT(crlf_static, crlf_static + 2, pos, AT(pos - 1), 1);
			s = pos;
		}
	}
#undef HOLD
#undef EMIT
#undef EMIT_AT
#undef AT
}

static postel_status decode_bdat(postel_data_decoder *d, const char *buf,
				 size_t len, postel_data_event *ev,
				 size_t *consumed)
{
	postel_data_result *r = &d->r_;
	for (;;) {
		if (d->chunk_left_ == 0) {
			verdict(d);
			ev->result = r;
			if (d->last_) {
				d->state_ = ST_DONE;
				ev->type = POSTEL_DATA_END;
			} else {
				d->state_ = ST_BDAT_IDLE;
				ev->type = POSTEL_DATA_CHUNK_END;
			}
			return POSTEL_OK;
		}
		if (len == 0) {
			ev->type = POSTEL_DATA_NEED_MORE;
			return POSTEL_NEED_MORE;
		}
		size_t n = len;
		if ((uint64_t)n > d->chunk_left_)
			n = (size_t)d->chunk_left_;
		uint64_t at = r->received;
		d->chunk_left_ -= n;
		r->received += n;
		*consumed += n;
		if (deliver(d, buf, n, at, 0, ev))
			return POSTEL_OK;
		buf += n;
		len -= n;
	}
}

postel_status postel_data_decode(postel_data_decoder *d, const char *buf,
				 size_t len, postel_data_event *ev,
				 size_t *consumed)
{
	postel_status st;
	if (!d || !ev || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	*consumed = 0;
	ev->type = POSTEL_DATA_NEED_MORE;
	ev->content = postel__span(NULL, 0);
	ev->offset = 0;
	ev->result = NULL;
	if (d->state_ == ST_DONE || d->state_ == ST_BDAT_IDLE)
		return POSTEL_E_STATE;
	POSTEL__ENTER(d->in_call_);
	if (d->over_ == OVER_PENDING) {
		d->over_ = OVER_REPORTED;
		verdict(d);
		ev->type = POSTEL_DATA_SIZE_EXCEEDED;
		ev->offset = d->max_size_;
		ev->result = &d->r_;
		st = POSTEL_OK;
	} else if (d->mode_ == MODE_BDAT) {
		st = decode_bdat(d, buf, len, ev, consumed);
	} else {
		st = decode_data(d, (const unsigned char *)buf, len, ev,
				 consumed);
	}
	if (d->dirty_) {
		d->dirty_ = 0;
		verdict(d);
	}
	POSTEL__LEAVE(d->in_call_);
	return st;
}

static const struct {
	const char *name, *enh, *text;
	unsigned code;
} verdicts[] = {
	[POSTEL_DATA_ACCEPT] = {"accept", "2.0.0", "message accepted", 250},
	[POSTEL_DATA_REJECT_SIZE] = {"reject-size", "5.3.4",
				     "message size exceeds fixed maximum "
				     "message size",
				     552},
	[POSTEL_DATA_REJECT_LINE_ENDS] = {"reject-line-ends", "5.6.0",
					  "bare CR or LF in message content",
					  554},
	[POSTEL_DATA_REJECT_LONG_LINES] = {"reject-long-lines", "5.6.0",
					   "message has lines over the "
					   "line length limit",
					   554},
	[POSTEL_DATA_REJECT_NUL] = {"reject-nul", "5.6.0",
				    "NUL octet in message content", 554},
	[POSTEL_DATA_REJECT_8BIT] = {"reject-8bit", "5.6.0",
				     "8-bit octets without BODY=8BITMIME", 554},
};

void postel_data_verdict_reply(postel_data_verdict v, unsigned *code,
			       const char **enhanced, const char **text)
{
	size_t i = (size_t)v;
	if (i >= sizeof verdicts / sizeof verdicts[0])
		i = POSTEL_DATA_REJECT_LINE_ENDS; /* never: fail closed */
	if (code)
		*code = verdicts[i].code;
	if (enhanced)
		*enhanced = verdicts[i].enh;
	if (text)
		*text = verdicts[i].text;
}

const char *postel_data_verdict_name(postel_data_verdict v)
{
	size_t i = (size_t)v;
	if (i >= sizeof verdicts / sizeof verdicts[0])
		return "unknown";
	return verdicts[i].name;
}

/* ---------------------------------------------------------------------- */
/* encoder */

enum { ENC_RUN = 0, ENC_ENDING = 1, ENC_DONE = 2, ENC_FAILED = 3 };

/* Copy in[0..n) to out while no CR or LF; returns octets copied. May
 * write up to n octets of `out` beyond the returned count. */
static size_t copy_plain(const unsigned char *in, unsigned char *out,
			 size_t n)
{
	size_t k = 0;
#ifdef POSTEL__HAVE_SSE2
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	while (n - k >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + k));
		uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
		_mm_storeu_si128((__m128i *)(void *)(out + k), v);
		if (m)
			return k + ctz32(m);
		k += 16;
	}
#endif
	while (k < n && in[k] != '\r' && in[k] != '\n') {
		out[k] = in[k];
		k++;
	}
	return k;
}

/* Write `n` octets (n <= 5): what does not fit waits in pend_. */
static void put(postel_data_encoder *e, const char *src, size_t n, char *out,
		size_t cap, size_t *o)
{
	size_t room = cap - *o;
	size_t k = n < room ? n : room;
	memcpy(out + *o, src, k);
	*o += k;
	if (k < n) {
		memcpy(e->pend_, src + k, n - k);
		e->pend_n_ = (uint8_t)(n - k);
		e->pend_off_ = 0;
	}
}

/* Write pending octets; nonzero when some are still pending. */
static int flush_pend(postel_data_encoder *e, char *out, size_t cap, size_t *o)
{
	size_t left = (size_t)(e->pend_n_ - e->pend_off_);
	size_t room = cap - *o;
	size_t k = left < room ? left : room;
	memcpy(out + *o, e->pend_ + e->pend_off_, k);
	*o += k;
	e->pend_off_ = (uint8_t)(e->pend_off_ + k);
	if (e->pend_off_ == e->pend_n_) {
		e->pend_n_ = e->pend_off_ = 0;
		return 0;
	}
	return 1;
}

postel_status postel_data_encoder_init(postel_data_encoder *e,
				       const postel_data_encoder_config *config)
{
	if (!e)
		return POSTEL_E_ARGUMENT;
	if (config && config->body == POSTEL_DATA_BODY_BINARYMIME)
		return POSTEL_E_ARGUMENT;
	memset(e, 0, sizeof *e);
	e->flags_ = config ? config->flags : 0;
	e->bol_ = 1;
	e->state_ = ENC_RUN;
	return POSTEL_OK;
}

static postel_status encode_run(postel_data_encoder *e,
				const unsigned char *in, size_t in_len,
				char *out, size_t cap, size_t *iu, size_t *ou)
{
	const int refuse = (e->flags_ & POSTEL_DATA_ENC_REFUSE_BARE) != 0;
	size_t i = 0, o = *ou;
	postel_status st = POSTEL_OK;

	for (;;) {
		if (e->pend_n_) {
			if (flush_pend(e, out, cap, &o)) {
				st = POSTEL_OUTPUT_FULL;
				break;
			}
		}
		if (i == in_len)
			break;
		if (e->cr_) {
			if (in[i] == '\n') {
				i++;
			} else if (refuse) {
				e->state_ = ENC_FAILED;
				st = POSTEL_INVALID;
				break;
			}
			e->cr_ = 0;
			e->bol_ = 1;
			put(e, "\r\n", 2, out, cap, &o);
			continue;
		}
		if (e->bol_) {
			e->bol_ = 0;
			if (in[i] == '.') {
				/* RFC 5321 §4.5.2: double a leading dot */
				i++;
				put(e, "..", 2, out, cap, &o);
				continue;
			}
		}
		if (o == cap) {
			st = POSTEL_OUTPUT_FULL;
			break;
		}
		{
			size_t n = in_len - i, room = cap - o;
			size_t k = copy_plain(in + i, (unsigned char *)out + o,
					      n < room ? n : room);
			i += k;
			o += k;
		}
		if (i == in_len)
			break;
		if (o == cap) {
			st = POSTEL_OUTPUT_FULL;
			break;
		}
		if (in[i] == '\r') {
			if (i + 1 < in_len && in[i + 1] == '\n' && cap - o >= 2) {
				out[o] = '\r';
				out[o + 1] = '\n';
				o += 2;
				i += 2;
				e->bol_ = 1;
				continue;
			}
			e->cr_ = 1; /* its LF, or not, comes next */
			i++;
			continue;
		}
		/* bare LF */
		if (refuse) {
			e->state_ = ENC_FAILED;
			st = POSTEL_INVALID;
			break;
		}
		i++;
		e->bol_ = 1;
		put(e, "\r\n", 2, out, cap, &o);
	}
	e->in_total_ += i;
	e->out_total_ += o - *ou;
	*iu = i;
	*ou = o;
	return st;
}

postel_status postel_data_encode(postel_data_encoder *e, const char *in,
				 size_t in_len, char *out, size_t out_cap,
				 size_t *in_used, size_t *out_used)
{
	postel_status st;
	if (in_used)
		*in_used = 0;
	if (out_used)
		*out_used = 0;
	if (!e || !in_used || !out_used || (!in && in_len) ||
	    (!out && out_cap))
		return POSTEL_E_ARGUMENT;
	if (e->state_ == ENC_FAILED)
		return POSTEL_INVALID;
	if (e->state_ != ENC_RUN)
		return POSTEL_E_STATE;
	POSTEL__ENTER(e->in_call_);
	st = encode_run(e, (const unsigned char *)in, in_len, out, out_cap,
			in_used, out_used);
	POSTEL__LEAVE(e->in_call_);
	return st;
}

postel_status postel_data_encode_end(postel_data_encoder *e, char *out,
				     size_t out_cap, size_t *out_used)
{
	size_t o = 0;
	if (out_used)
		*out_used = 0;
	if (!e || !out_used || (!out && out_cap))
		return POSTEL_E_ARGUMENT;
	if (e->state_ == ENC_FAILED)
		return POSTEL_INVALID;
	if (e->state_ == ENC_DONE)
		return POSTEL_OK;
	if (e->pend_n_ && flush_pend(e, out, out_cap, &o))
		goto full;
	if (e->state_ == ENC_RUN) {
		char tail[5];
		size_t n = 0;
		if (e->cr_) {
			if (e->flags_ & POSTEL_DATA_ENC_REFUSE_BARE) {
				e->state_ = ENC_FAILED;
				*out_used = o;
				e->out_total_ += o;
				return POSTEL_INVALID;
			}
			e->cr_ = 0;
			e->bol_ = 1;
			tail[n++] = '\r';
			tail[n++] = '\n';
		}
		if (!e->bol_) {
			tail[n++] = '\r';
			tail[n++] = '\n';
		}
		tail[n++] = '.';
		tail[n++] = '\r';
		tail[n++] = '\n';
		e->state_ = ENC_ENDING;
		put(e, tail, n, out, out_cap, &o);
		if (e->pend_n_)
			goto full;
	}
	e->state_ = ENC_DONE;
	*out_used = o;
	e->out_total_ += o;
	return POSTEL_OK;
full:
	*out_used = o;
	e->out_total_ += o;
	return POSTEL_OUTPUT_FULL;
}

/* ---------------------------------------------------------------------- */
/* BDAT framing (client) */

enum { BD_BETWEEN = 0, BD_CHUNK = 1, BD_DONE = 3 };

size_t postel_bdat_header(char *out, size_t cap, uint64_t size, int last)
{
	char num[20];
	size_t nd = 0, len;
	do {
		num[nd++] = (char)('0' + size % 10);
		size /= 10;
	} while (size);
	len = 5 + nd + (last ? 5 : 0) + 2;
	if (!out || cap < len)
		return 0;
	memcpy(out, "BDAT ", 5);
	for (size_t k = 0; k < nd; k++)
		out[5 + k] = num[nd - 1 - k];
	if (last)
		memcpy(out + 5 + nd, " LAST", 5);
	memcpy(out + len - 2, "\r\n", 2);
	return len;
}

postel_status postel_bdat_encoder_init(postel_bdat_encoder *b,
				       uint64_t chunk_size)
{
	if (!b)
		return POSTEL_E_ARGUMENT;
	memset(b, 0, sizeof *b);
	b->chunk_ = chunk_size ? chunk_size : POSTEL_BDAT_CHUNK_DEFAULT;
	b->state_ = BD_BETWEEN;
	return POSTEL_OK;
}

postel_status postel_bdat_encode(postel_bdat_encoder *b, const char *in,
				 size_t in_len, int last, char *out,
				 size_t out_cap, size_t *in_used,
				 size_t *out_used)
{
	size_t i = 0, o = 0;
	postel_status st = POSTEL_OK;
	if (in_used)
		*in_used = 0;
	if (out_used)
		*out_used = 0;
	if (!b || !in_used || !out_used || (!in && in_len) ||
	    (!out && out_cap))
		return POSTEL_E_ARGUMENT;
	if (b->state_ == BD_DONE)
		return POSTEL_OK;
	POSTEL__ENTER(b->in_call_);
	for (;;) {
		if (b->state_ == BD_CHUNK) {
			size_t hl = (size_t)(b->hdr_n_ - b->hdr_off_);
			if (hl) {
				size_t k = hl < out_cap - o ? hl : out_cap - o;
				memcpy(out + o, b->hdr_ + b->hdr_off_, k);
				o += k;
				b->hdr_off_ = (uint8_t)(b->hdr_off_ + k);
				if (k < hl) {
					st = POSTEL_OUTPUT_FULL;
					break;
				}
			}
			if (b->left_) {
				size_t n = in_len - i;
				if (n > out_cap - o)
					n = out_cap - o;
				if ((uint64_t)n > b->left_)
					n = (size_t)b->left_;
				memcpy(out + o, in + i, n);
				o += n;
				i += n;
				b->left_ -= n;
			}
			if (b->left_ == 0) {
				b->state_ = b->last_ ? BD_DONE : BD_BETWEEN;
				if (b->last_)
					break;
				continue;
			}
			st = i == in_len ? POSTEL_OK : POSTEL_OUTPUT_FULL;
			break;
		}
		/* between chunks */
		{
			size_t avail = in_len - i;
			uint64_t n;
			if (avail == 0 && !last)
				break;
			if (last && (uint64_t)avail <= b->chunk_) {
				n = avail;
				b->last_ = 1;
			} else {
				n = (uint64_t)avail < b->chunk_ ? avail
								 : b->chunk_;
				b->last_ = 0;
			}
			b->hdr_n_ = (uint8_t)postel_bdat_header(
				b->hdr_, sizeof b->hdr_, n, b->last_);
			b->hdr_off_ = 0;
			b->left_ = n;
			b->chunks_++;
			b->state_ = BD_CHUNK;
		}
	}
	b->in_total_ += i;
	*in_used = i;
	*out_used = o;
	POSTEL__LEAVE(b->in_call_);
	return st;
}
