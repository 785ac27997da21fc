/*
 * postel — DATA and BDAT codec (include/postel/data.h).
 *
 * Decoder design. Almost every byte of a message is plain content; only
 * CR, LF and NUL (and, for counting, octets >= 0x80) need a look. The
 * decoder therefore has two parts:
 *
 *  1. a scanner (scan_*) that finds the next CR, LF or NUL from a
 *     position, counting 8-bit octets on the way: 32 octets per step with
 *     AVX2 (one vpshufb table lookup + compare finds all three stop
 *     bytes), 16 with SSE2 (baseline on x86-64), a table-driven byte loop
 *     elsewhere. AVX2 is chosen at run time (__builtin_cpu_supports), so
 *     the library needs no -mavx2;
 *  2. a hand-written boundary state machine run only at those bytes and
 *     at the start of a line. Its whole state is one bit (at the start of
 *     a line or not) plus counters, because it never consumes a byte whose
 *     meaning depends on bytes not yet seen: a lone "\r" at the end of the
 *     buffer, or "." / ".\r" at the start of a line, stays unconsumed and
 *     comes back first in the next call (the streaming contract of the
 *     split driver, test/support/support.h). Two octets at most are held.
 *     Its common case, CRLF followed by anything but ".", stays inside the
 *     scanning loop.
 * The loops live in data_impl.inc, compiled once per instruction set so that
 * the scanner is inlined (and its constants stay in registers) in each.
 *
 * Why no Ragel here: a Ragel machine runs per byte; the same rules run
 * byte by byte cost 13.9 instructions per byte (callgrind, bench entry
 * data-decode-bytewise-mail), while the rules need at most 3 octets of
 * look-ahead past a line end and one bit of state. Scanner + small
 * machine: 0.80 instructions per byte on mail with 76-octet lines (the
 * memchr line loop: 0.56), 0.32 on 16 KiB lines; the worst case, every
 * line a stuffed dot, is one event per 4-octet line (about 60 per byte).
 * Figures: bench/bench_data.c, bench/callgrind.sh.
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
 *
 * BDAT content (RFC 3030) is opaque: chunk octets are counted and
 * delivered, never inspected, whatever the body type.
 *
 * Encoder: with AVX2 it copies whole 32-octet blocks (64 per step) whose
 * CRs are all followed by LF and whose CRLFs are not followed by '.',
 * checked with two more loads one and two octets on: the output equals the
 * input there, so a block costs a few vector operations whatever its line
 * ends (0.39 instructions per byte on mail, 0.36 on long lines). Otherwise
 * (SSE2, scalar, and around the octets that need work) it copies runs
 * free of CR and LF and writes CRLF / CRLF ".." inline; bare line ends
 * and the final "." CRLF go through a 5-octet pending buffer so that any
 * output room (even 1 octet) works.
 *
 * Without AVX2 the SSE2 paths cost 1.56 (decoder) and 1.31 (encoder)
 * instructions per byte on mail, the scalar ones about 10.
 */
#include "internal.h"
#include "postel/data.h"

#include <string.h>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define POSTEL__HAVE_SSE2 1
#endif
#if defined(POSTEL__HAVE_SSE2) && defined(__x86_64__) &&                     \
	(defined(__GNUC__) || defined(__clang__)) && !defined(POSTEL_NO_AVX2)
#include <immintrin.h>
#define POSTEL__HAVE_AVX2 1
#endif

/* Scanner implementations. postel__data_impl (internal, not exported)
 * lets tests and fuzzers force one; it is read only at init. */
enum { DATA_IMPL_AUTO = 0, DATA_IMPL_SCALAR = 1, DATA_IMPL_SSE2 = 2, DATA_IMPL_AVX2 = 3 };
int postel__data_impl = DATA_IMPL_AUTO;

enum { DATA_MODE_DATA = 0, DATA_MODE_BDAT = 1 };
enum {
	DATA_ST_DATA = 0,       /* DATA: receiving content */
	DATA_ST_BDAT_IDLE = 1,  /* BDAT: between chunks */
	DATA_ST_BDAT_CHUNK = 2, /* BDAT: inside a chunk */
	DATA_ST_DONE = 3        /* END reported */
};
enum { DATA_OVER_NO = 0, DATA_OVER_PENDING = 1, DATA_OVER_REPORTED = 2 };

static const char data_crlf_static[2] = {'\r', '\n'};

/* ---------------------------------------------------------------------- */
/* scanners: first CR, LF or NUL in [p, end), 8-bit octets before it;
 * copiers: copy while no CR or LF. Always inlined into the loops of
 * src/data_impl.inc. */

#define POSTEL__INLINE static POSTEL__ALWAYS_INLINE

/* two octets as one 16-bit load (any alignment, host order) */
POSTEL__INLINE uint16_t data_load16(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static const union {
	char c[2];
	uint16_t v;
} data_crlf16_u = {{'\r', '\n'}};
#define DATA_CRLF16 (data_crlf16_u.v)

/* 1 for CR, LF, NUL */
static const unsigned char data_stop_class[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1,
};

POSTEL__INLINE unsigned data_popcount32(uint32_t x)
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

POSTEL__INLINE const unsigned char *
data_scan_scalar(const unsigned char *p, const unsigned char *end, uint64_t *n8)
{
	uint64_t h = 0;
	while (p < end && !data_stop_class[*p]) {
		h += *p >> 7;
		p++;
	}
	*n8 += h;
	return p;
}

POSTEL__INLINE size_t data_copy_scalar(const unsigned char *in, unsigned char *out,
				  size_t n)
{
	size_t k = 0;
	while (k < n && in[k] != '\r' && in[k] != '\n') {
		out[k] = in[k];
		k++;
	}
	return k;
}

#ifdef POSTEL__HAVE_SSE2
POSTEL__INLINE const unsigned char *
data_scan_sse2(const unsigned char *p, const unsigned char *end, uint64_t *n8)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i zero = _mm_setzero_si128();
	if (end - p >= 16) {
		const unsigned char *last = end - 16;
		do {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i t = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, cr),
					     _mm_cmpeq_epi8(v, lf)),
				_mm_cmpeq_epi8(v, zero));
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(t, v));
			if (m) {
				/* stop octets are < 0x80: m != s iff 8-bit */
				uint32_t s = (uint32_t)_mm_movemask_epi8(t);
				if (m != s)
					*n8 += data_popcount32(
						(uint32_t)_mm_movemask_epi8(v) &
						(s ? (s & (0u - s)) - 1 : ~0u));
				if (s)
					return p + postel__ctz32(s);
			}
			p += 16;
		} while (p <= last);
	}
	return data_scan_scalar(p, end, n8);
}

/* May write up to n octets of `out` beyond the returned count. */
POSTEL__INLINE size_t data_copy_sse2(const unsigned char *in, unsigned char *out,
				size_t n)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	size_t k = 0;
	if (n >= 16) {
		const size_t last = n - 16;
		do {
			__m128i v = _mm_loadu_si128(
				(const __m128i *)(const void *)(in + k));
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(
				_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
			_mm_storeu_si128((__m128i *)(void *)(out + k), v);
			if (m)
				return k + postel__ctz32(m);
			k += 16;
		} while (k <= last);
	}
	return k + data_copy_scalar(in + k, out + k, n - k);
}
#endif

#ifdef POSTEL__HAVE_AVX2
#define POSTEL__AVX2 __attribute__((target("avx2,popcnt,bmi")))
/* vpshufb: low nibble -> the one stop byte with that low nibble; octets
 * with the high bit set give 0, which never equals them. */
POSTEL__INLINE POSTEL__AVX2 const unsigned char *
data_scan_avx2(const unsigned char *p, const unsigned char *end, uint64_t *n8)
{
	const __m256i lut = _mm256_setr_epi8(
		0, -1, -1, -1, -1, -1, -1, -1, -1, -1, '\n', -1, -1, '\r', -1,
		-1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, '\n', -1, -1, '\r',
		-1, -1);
	if (end - p >= 32) {
		const unsigned char *last = end - 32;
		do {
			__m256i v = _mm256_loadu_si256(
				(const __m256i *)(const void *)p);
			__m256i t = _mm256_cmpeq_epi8(
				_mm256_shuffle_epi8(lut, v), v);
			uint32_t m = (uint32_t)_mm256_movemask_epi8(
				_mm256_or_si256(t, v));
			if (m) {
				/* stop octets are < 0x80: m != s iff 8-bit */
				uint32_t s = (uint32_t)_mm256_movemask_epi8(t);
				if (m != s)
					*n8 += (unsigned)__builtin_popcount(
						(uint32_t)_mm256_movemask_epi8(v) &
						(s ? (s & (0u - s)) - 1 : ~0u));
				if (s)
					return p + __builtin_ctz(s);
			}
			p += 32;
		} while (p <= last);
	}
	return data_scan_sse2(p, end, n8);
}

/* Copy while the content needs no change: besides runs free of CR and LF,
 * whole 32-octet blocks whose CRs are all followed by LF, whose LFs all
 * follow a CR, and whose CRLFs are not followed by '.' (checked with two
 * more loads one and two octets on). Returns the octets copied: n, or a
 * position holding a CR or a bare LF (never the LF of a CRLF), as
 * data_copy_sse2. Needs in[0] not to be an LF. */
POSTEL__INLINE POSTEL__AVX2 size_t data_copy_avx2(const unsigned char *in,
					     unsigned char *out, size_t n)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	const __m256i dot = _mm256_set1_epi8('.');
	size_t k = 0;
	if (n >= 34 && in[0] != '\n') {
		const size_t last = n - 34;
		/* two blocks per step while they fit, when both are clean */
		while (k + 32 <= last) {
			const unsigned char *p = in + k;
			__m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
			__m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
			__m256i a2 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 2));
			__m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
			__m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 33));
			__m256i b2 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 34));
			__m256i ca = _mm256_cmpeq_epi8(a0, cr);
			__m256i cb = _mm256_cmpeq_epi8(b0, cr);
			__m256i bad = _mm256_or_si256(
				_mm256_or_si256(
					_mm256_xor_si256(ca, _mm256_cmpeq_epi8(a1, lf)),
					_mm256_and_si256(ca, _mm256_cmpeq_epi8(a2, dot))),
				_mm256_or_si256(
					_mm256_xor_si256(cb, _mm256_cmpeq_epi8(b1, lf)),
					_mm256_and_si256(cb, _mm256_cmpeq_epi8(b2, dot))));
			if (!_mm256_testz_si256(bad, bad))
				break; /* the single-block loop finds where */
			_mm256_storeu_si256((__m256i *)(void *)(out + k), a0);
			_mm256_storeu_si256((__m256i *)(void *)(out + k + 32), b0);
			k += 64;
		}
		if (k > last)
			goto tail;
		do {
			__m256i v0 = _mm256_loadu_si256(
				(const __m256i *)(const void *)(in + k));
			__m256i v1 = _mm256_loadu_si256(
				(const __m256i *)(const void *)(in + k + 1));
			__m256i v2 = _mm256_loadu_si256(
				(const __m256i *)(const void *)(in + k + 2));
			__m256i c = _mm256_cmpeq_epi8(v0, cr);
			__m256i bad = _mm256_or_si256(
				_mm256_xor_si256(c, _mm256_cmpeq_epi8(v1, lf)),
				_mm256_and_si256(c, _mm256_cmpeq_epi8(v2, dot)));
			uint32_t m = (uint32_t)_mm256_movemask_epi8(bad);
			_mm256_storeu_si256((__m256i *)(void *)(out + k), v0);
			if (m) {
				unsigned j = (unsigned)__builtin_ctz(m);
				/* a CR at j (bare, or CRLF "."), else a bare
				 * LF at j + 1; all before is copied */
				if (((uint32_t)_mm256_movemask_epi8(c) >> j) & 1)
					return k + j;
				return k + j + 1;
			}
			k += 32;
		} while (k <= last);
	tail:
		if (in[k - 1] == '\r')
			return k - 1; /* do not split a CRLF */
	}
	return k + data_copy_sse2(in + k, out + k, n - k);
}
#endif

static uint8_t data_pick_impl(void)
{
	int want = postel__data_impl;
	if (want == DATA_IMPL_SCALAR)
		return DATA_IMPL_SCALAR;
#ifdef POSTEL__HAVE_AVX2
	if (want == DATA_IMPL_AUTO || want == DATA_IMPL_AVX2) {
		/* no __builtin_cpu_init(): libgcc's constructor has filled the
		 * CPU model; called before it (from another constructor), the
		 * features read as absent and the SSE2 loop, as exact, runs */
		if (__builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("popcnt") &&
		    __builtin_cpu_supports("bmi"))
			return DATA_IMPL_AVX2;
	}
#endif
#ifdef POSTEL__HAVE_SSE2
	return DATA_IMPL_SSE2;
#else
	return DATA_IMPL_SCALAR;
#endif
}

/* ---------------------------------------------------------------------- */
/* decoder */

/* Count `n` occurrences at wire offset `at`; the data_verdict is refreshed at
 * the end of the call (postel_data_decode). */
static void data_tally(postel_data_decoder *d, postel_data_tally *t, uint64_t at,
		  uint64_t n)
{
	if (t->count == 0)
		t->first = at;
	t->count += n;
	d->dirty_ = 1;
}

static void data_verdict(postel_data_decoder *d)
{
	postel_data_result *r = &d->r_;
	uint32_t len = d->lenient_;
	postel_violation_list *vl = &r->violations;
	postel__vlist_clear(vl); /* rebuilt in a fixed order */
	if (!(r->bare_lf.count | r->bare_cr.count | r->nul.count |
	      r->eight_bit.count | r->long_line.count | r->fake_end.count |
	      r->oversize.count)) {
		r->verdict = POSTEL_DATA_ACCEPT; /* the usual message */
		return;
	}
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

static void data_decoder_setup(postel_data_decoder *d, const postel_data_config *c,
			  uint8_t mode)
{
	_Static_assert(sizeof *d <= 384, "postel__zero: more stores needed");
	postel__zero(d, sizeof *d);
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
	d->state_ = mode == DATA_MODE_DATA ? DATA_ST_DATA : DATA_ST_BDAT_IDLE;
	d->bol_ = 1;
	d->impl_ = data_pick_impl();
}

postel_status postel_data_decoder_init(postel_data_decoder *d,
				       const postel_data_config *config)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	if (config && config->body == POSTEL_DATA_BODY_BINARYMIME)
		return POSTEL_E_ARGUMENT;
	data_decoder_setup(d, config, DATA_MODE_DATA);
	return POSTEL_OK;
}

postel_status postel_data_decoder_init_bdat(postel_data_decoder *d,
					    const postel_data_config *config)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	data_decoder_setup(d, config, DATA_MODE_BDAT);
	return POSTEL_OK;
}

postel_status postel_data_bdat_chunk(postel_data_decoder *d, uint64_t size,
				     int last)
{
	if (!d)
		return POSTEL_E_ARGUMENT;
	if (d->mode_ != DATA_MODE_BDAT || d->state_ != DATA_ST_BDAT_IDLE)
		return POSTEL_E_STATE;
	d->chunk_left_ = size;
	d->last_ = last ? 1 : 0;
	d->state_ = DATA_ST_BDAT_CHUNK;
	return POSTEL_OK;
}

/* Content [p, p+n) at wire offset `at` (the bare octet it replaces when
 * `repaired`) is ready. Returns 1 when it makes an
 * event (ev filled), 0 when it was dropped (over the size limit). */
static int data_deliver(postel_data_decoder *d, const char *p, size_t n,
		   uint64_t at, int repaired, postel_data_event *ev)
{
	postel_data_result *r = &d->r_;
	uint64_t before = r->size;
	r->size += n;
	if (r->size < before)
		r->size = UINT64_MAX;
	if (d->over_ != DATA_OVER_NO)
		return 0;
	if (d->max_size_ && r->size > d->max_size_) {
		uint64_t keep = d->max_size_ - before;
		/* a repaired CRLF stands for one wire octet */
		data_tally(d, &r->oversize, repaired ? at : at + keep, 1);
		d->over_ = DATA_OVER_PENDING;
		if (keep == 0) {
			d->over_ = DATA_OVER_REPORTED;
			ev->type = POSTEL_DATA_SIZE_EXCEEDED;
			ev->offset = d->max_size_;
			data_verdict(d);
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

static void data_end_line(postel_data_decoder *d, uint64_t len, uint64_t at)
{
	postel_data_result *r = &d->r_;
	r->lines++;
	if (len > r->longest_line)
		r->longest_line = len;
	if (len > d->max_line_)
		data_tally(d, &r->long_line, at, 1);
}

/* wire offset of the first octet >= 0x80 in [p, end) (there is one) */
static uint64_t data_first8(const unsigned char *p, const unsigned char *base,
		       uint64_t at)
{
	while (*p < 0x80)
		p++;
	return at + (uint64_t)(p - base);
}

enum { DATA_ENC_RUN = 0, DATA_ENC_ENDING = 1, DATA_ENC_DONE = 2, DATA_ENC_FAILED = 3 };

/* Write `n` octets (n <= 5): what does not fit waits in pend_. */
static void data_put(postel_data_encoder *e, const char *src, size_t n, char *out,
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
static int data_flush_pend(postel_data_encoder *e, char *out, size_t cap, size_t *o)
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

/* 8-bit octets counted by a scan: the first one's offset is found again
 * when they are the first of the message (the scan counts, it does not
 * locate) */
static void data_count8(postel_data_decoder *d, const unsigned char *buf,
		   uint64_t at0, uint64_t n)
{
	postel_data_result *r = &d->r_;
	data_tally(d, &r->eight_bit, r->eight_bit.count ? 0 : data_first8(buf, buf, at0),
	      n);
}

/* the hot loops, once per scanner; out of line, so that the entry
 * points that dispatch to them need no frame of their own */
#define DI(name) name##_scalar
#define DI_ATTR POSTEL__NOINLINE
#define DI_SCAN data_scan_scalar
#define DI_COPY data_copy_scalar
#include "data_impl.inc"
#undef DI
#undef DI_ATTR
#undef DI_SCAN
#undef DI_COPY
#ifdef POSTEL__HAVE_SSE2
#define DI(name) name##_sse2
#define DI_ATTR POSTEL__NOINLINE
#define DI_SCAN data_scan_sse2
#define DI_COPY data_copy_sse2
#include "data_impl.inc"
#undef DI
#undef DI_ATTR
#undef DI_SCAN
#undef DI_COPY
#endif
#ifdef POSTEL__HAVE_AVX2
#define DI(name) name##_avx2
#define DI_ATTR POSTEL__AVX2
#define DI_SCAN data_scan_avx2
#define DI_COPY data_copy_avx2
#include "data_impl.inc"
#undef DI
#undef DI_ATTR
#undef DI_SCAN
#undef DI_COPY
#endif

static postel_status data_decode_data(postel_data_decoder *d, const char *buf,
				 size_t len, postel_data_event *ev,
				 size_t *consumed)
{
	const unsigned char *b = (const unsigned char *)buf;
	switch (d->impl_) {
#ifdef POSTEL__HAVE_AVX2
	case DATA_IMPL_AVX2: return data_decode_data_avx2(d, b, len, ev, consumed);
#endif
#ifdef POSTEL__HAVE_SSE2
	case DATA_IMPL_SSE2: return data_decode_data_sse2(d, b, len, ev, consumed);
#endif
	default: return data_decode_data_scalar(d, b, len, ev, consumed);
	}
}

static postel_status data_encode_run(postel_data_encoder *e, const char *in,
				size_t in_len, char *out, size_t cap,
				size_t *iu, size_t *ou)
{
	const unsigned char *b = (const unsigned char *)in;
	switch (e->impl_) {
#ifdef POSTEL__HAVE_AVX2
	case DATA_IMPL_AVX2: return data_encode_run_avx2(e, b, in_len, out, cap, iu, ou);
#endif
#ifdef POSTEL__HAVE_SSE2
	case DATA_IMPL_SSE2: return data_encode_run_sse2(e, b, in_len, out, cap, iu, ou);
#endif
	default: return data_encode_run_scalar(e, b, in_len, out, cap, iu, ou);
	}
}
static POSTEL__NOINLINE postel_status
data_decode_bdat(postel_data_decoder *d, const char *buf, size_t len,
		 postel_data_event *ev, size_t *consumed)
{
	postel_data_result *r = &d->r_;
	for (;;) {
		if (d->chunk_left_ == 0) {
			data_verdict(d);
			ev->result = r;
			if (d->last_) {
				d->state_ = DATA_ST_DONE;
				ev->type = POSTEL_DATA_END;
			} else {
				d->state_ = DATA_ST_BDAT_IDLE;
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
		if (data_deliver(d, buf, n, at, 0, ev))
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
	if (d->state_ == DATA_ST_DONE || d->state_ == DATA_ST_BDAT_IDLE)
		return POSTEL_E_STATE;
	if (!buf)
		buf = ""; /* len is 0: no pointer arithmetic on NULL (C11 6.5.6) */
	POSTEL__ENTER(d->in_call_);
	if (d->over_ == DATA_OVER_PENDING) {
		d->over_ = DATA_OVER_REPORTED;
		data_verdict(d);
		ev->type = POSTEL_DATA_SIZE_EXCEEDED;
		ev->offset = d->max_size_;
		ev->result = &d->r_;
		st = POSTEL_OK;
	} else if (d->mode_ == DATA_MODE_BDAT) {
		st = data_decode_bdat(d, buf, len, ev, consumed);
	} else {
		st = data_decode_data(d, buf, len, ev, consumed);
	}
	if (d->dirty_) {
		d->dirty_ = 0;
		data_verdict(d);
	}
	POSTEL__LEAVE(d->in_call_);
	return st;
}

static const struct {
	const char *name, *enh, *text;
	unsigned code;
} data_verdicts[] = {
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
	if (i >= sizeof data_verdicts / sizeof data_verdicts[0])
		i = POSTEL_DATA_REJECT_LINE_ENDS; /* never: fail closed */
	if (code)
		*code = data_verdicts[i].code;
	if (enhanced)
		*enhanced = data_verdicts[i].enh;
	if (text)
		*text = data_verdicts[i].text;
}

const char *postel_data_verdict_name(postel_data_verdict v)
{
	size_t i = (size_t)v;
	if (i >= sizeof data_verdicts / sizeof data_verdicts[0])
		return "unknown";
	return data_verdicts[i].name;
}

/* ---------------------------------------------------------------------- */
/* encoder */

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
	e->impl_ = data_pick_impl();
	e->state_ = DATA_ENC_RUN;
	return POSTEL_OK;
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
	if (e->state_ == DATA_ENC_FAILED)
		return POSTEL_INVALID;
	if (e->state_ != DATA_ENC_RUN)
		return POSTEL_E_STATE;
	POSTEL__ENTER(e->in_call_);
	st = data_encode_run(e, in, in_len, out, out_cap, in_used, out_used);
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
	if (e->state_ == DATA_ENC_FAILED)
		return POSTEL_INVALID;
	if (e->state_ == DATA_ENC_DONE)
		return POSTEL_OK;
	if (e->pend_n_ && data_flush_pend(e, out, out_cap, &o))
		goto full;
	if (e->state_ == DATA_ENC_RUN) {
		char tail[5];
		size_t n = 0;
		if (e->cr_) {
			if (e->flags_ & POSTEL_DATA_ENC_REFUSE_BARE) {
				e->state_ = DATA_ENC_FAILED;
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
		e->state_ = DATA_ENC_ENDING;
		data_put(e, tail, n, out, out_cap, &o);
		if (e->pend_n_)
			goto full;
	}
	e->state_ = DATA_ENC_DONE;
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

enum { DATA_BD_BETWEEN = 0, DATA_BD_CHUNK = 1, DATA_BD_DONE = 3 };

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
	b->state_ = DATA_BD_BETWEEN;
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
	if (b->state_ == DATA_BD_DONE)
		return POSTEL_OK;
	POSTEL__ENTER(b->in_call_);
	for (;;) {
		if (b->state_ == DATA_BD_CHUNK) {
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
				b->state_ = b->last_ ? DATA_BD_DONE : DATA_BD_BETWEEN;
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
			b->state_ = DATA_BD_CHUNK;
		}
	}
	b->in_total_ += i;
	*in_used = i;
	*out_used = o;
	POSTEL__LEAVE(b->in_call_);
	return st;
}
