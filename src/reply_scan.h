/*
 * The reply scanner's side of the driver: the state the actions of
 * grammar/reply.rl work on, what they call, and the accelerations that a
 * grammar-only build (meson -Dgrammar_only=true) leaves out. Included by
 * src/reply.c before the generated scanner. Never installed.
 */
#ifndef POSTEL_REPLY_SCAN_H
#define POSTEL_REPLY_SCAN_H

#include "reply_int.h"

#if !defined(POSTEL_GRAMMAR_ONLY) && defined(__SSE2__) &&                      \
	defined(__GNUC__) && !defined(POSTEL_NO_SIMD)
#include <emmintrin.h>
#endif

/* ---- accelerations: each takes a run the machine would take octet by
 * octet, and stops where the machine has something to do ---- */
#if defined(POSTEL_GRAMMAR_ONLY)
static inline const unsigned char *reply_skip_plain(const unsigned char *q,
						    const unsigned char *pe)
{
	(void)pe;
	return q;
}
#else
#define REPLY_K01 0x0101010101010101ull
#define REPLY_K20 0x2020202020202020ull
#define REPLY_K80 0x8080808080808080ull

/* First octet at or after `q` that is not in 0x20-0x7e, or `pe`.
 * SSE2 (every x86-64) compares 16 octets at a time: as signed bytes,
 * 0x80-0xff and 0x00-0x1f are both below 0x20, and 0x7f is tested alone.
 * Elsewhere eight at a time in a 64-bit word: the test is exact for the
 * lowest flagged octet (borrows and carries only run upwards from a
 * flagged octet), so on little-endian machines the count of trailing
 * zero bits finds it. The last few octets go one by one. Define
 * POSTEL_NO_SIMD to test the portable path. */
static inline const unsigned char *reply_skip_plain(const unsigned char *q,
						    const unsigned char *pe)
{
#if defined(__SSE2__) && defined(__GNUC__) && !defined(POSTEL_NO_SIMD)
	while (pe - q >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
		int m = _mm_movemask_epi8(
			_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
				     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))));
		if (m)
			return q + __builtin_ctz((unsigned)m);
		q += 16;
	}
#endif
	while (pe - q >= 8) {
		uint64_t x, m;
		memcpy(&x, q, 8);
		m = (((x - REPLY_K20) & ~x) | (x + REPLY_K01) | x) & REPLY_K80;
		if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(POSTEL_NO_SIMD)
			return q + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		q += 8;
	}
	while (q < pe && *q >= 0x20 && *q <= 0x7e)
		q++;
	return q;
}
#endif

/* A whole "ddd-" or "ddd " in view at the first digit of a line: the
 * machine's next three transitions, taken at once (0 in a grammar-only
 * build, or when they are not all there yet). */
static inline int reply_head(const unsigned char *p, const unsigned char *pe)
{
#if defined(POSTEL_GRAMMAR_ONLY)
	(void)p;
	(void)pe;
	return 0;
#else
	return pe - p >= 4 && (unsigned)(p[1] - '0') <= 9 &&
	       (unsigned)(p[2] - '0') <= 9 && (p[3] == '-' || p[3] == ' ');
#endif
}

/* ---- the line checks the eol action runs ---- */
/* An enhanced-code field at t[*i..n): 1-3 digits without a leading zero
 * (RFC 3463 §2); its value, or -1 for anything else. */
static inline int reply_enh_digits(const unsigned char *t,
						 size_t n, size_t *i)
{
	size_t j = *i;
	int v;
	if (j >= n || (unsigned)(t[j] - '0') > 9)
		return -1;
	v = t[j++] - '0';
	if (j < n && (unsigned)(t[j] - '0') <= 9) {
		if (v == 0)
			return -1;
		v = v * 10 + (t[j++] - '0');
		if (j < n && (unsigned)(t[j] - '0') <= 9) {
			v = v * 10 + (t[j++] - '0');
			if (j < n && (unsigned)(t[j] - '0') <= 9)
				return -1;
		}
	}
	*i = j;
	return v;
}

/*
 * One complete line `l` of `raw` octets, the n-th of its reply, with
 * events `lf`; `*enh` is the length of the reply's enhanced status code.
 * The common cases stay here: a first line with a code in range and
 * either no enhanced status code or a well-formed one of the reply's
 * class; a clean line with the first line's code and no enhanced code to
 * compare. Everything else (and every violation) is in
 * postel__reply_line_slow. Stores the line's text span; returns the
 * length of the reply's enhanced status code (`enh` so far).
 */
static POSTEL__ALWAYS_INLINE size_t reply_line_end(postel_reply_parser *rp,
				    const unsigned char *b,
				    const unsigned char *l, size_t raw,
				    unsigned lf, size_t n, size_t enh)
{
	postel_span t = postel__reply_text(l, raw,
					   (lf & POSTEL__RL_BARE_LF) ? 1u : 2u);
	if (n == 0) {
		const unsigned char *e = (const unsigned char *)t.p;
		rp->code_ = (unsigned)(l[0] - '0') * 100 +
			    (unsigned)(l[1] - '0') * 10 +
			    (unsigned)(l[2] - '0');
		if (lf || l[0] < '2' || l[0] > '5' || l[1] > '5')
			postel__reply_line_slow(rp, b, l, t, lf, n);
		else if (t.n >= 5 && e[1] == '.' && e[0] == l[0] &&
			 (e[0] == '2' || e[0] == '4' || e[0] == '5')) {
			/* RFC 3463 §2 status-code, RFC 2034 §4 */
			size_t i = 2;
			int subj = reply_enh_digits(e, t.n, &i), det = -1;
			if (subj >= 0 && i < t.n && e[i] == '.') {
				i++;
				det = reply_enh_digits(e, t.n, &i);
			}
			if (det >= 0 && (i == t.n || e[i] == ' ')) {
				rp->enh_class_ = (unsigned char)(e[0] - '0');
				rp->enh_subject_ = (unsigned short)subj;
				rp->enh_detail_ = (unsigned short)det;
				rp->enh_len_ = (unsigned char)i;
			} else
				postel__reply_line_slow(rp, b, l, t, lf, n);
		} else if (t.n >= 5 && e[1] == '.')
			postel__reply_line_slow(rp, b, l, t, lf, n);
		enh = rp->enh_len_;
	} else if (lf || enh || l[0] != b[0] || l[1] != b[1] || l[2] != b[2])
		postel__reply_line_slow(rp, b, l, t, lf, n);
	if (n < rp->lines_cap_)
		rp->lines_[n] = t;
	return enh;
}

/* What the scanner works on between the driver's calls. */
typedef struct reply_scan {
	postel_reply_parser *rp;
	const unsigned char *b;  /* the reply's first octet */
	const unsigned char *ls; /* the current line's first octet */
	size_t max_line, max_lines;
	size_t nl;   /* lines ended */
	size_t enh;  /* length of the reply's enhanced status code */
	unsigned lf; /* events of the current line (POSTEL__RL_*) */
	int cs;      /* Ragel state */
	int ended;   /* REPLY_END_* */
} reply_scan;

enum { REPLY_END_NONE, REPLY_END_LAST, REPLY_END_TOO_LONG, REPLY_END_TOO_MANY };

/* A line ends at p (its LF): check it; 1 stops the scan (the reply or a
 * limit is reached). */
static inline int reply_eol(reply_scan *s, const unsigned char *p)
{
	size_t raw = (size_t)(p + 1 - s->ls);
	if (raw > s->max_line) {
		s->ended = REPLY_END_TOO_LONG;
		return 1;
	}
	s->enh = reply_line_end(s->rp, s->b, s->ls, raw, s->lf, s->nl, s->enh);
	s->nl++;
	if (s->ls[3] != '-') {
		s->ended = REPLY_END_LAST;
		return 1;
	}
	s->ls = p + 1;
	s->lf = 0;
	if (s->nl >= s->max_lines) {
		s->ended = REPLY_END_TOO_MANY;
		return 1;
	}
	return 0;
}

#endif
