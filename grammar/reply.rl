/*
 * SMTP reply lines (RFC 5321 §4.2):
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *   textstring = 1*(%d09 / %d32-126)
 *
 * The machine only frames lines: three digits, an optional "-" or SP and
 * text, the line end. At each line end the eol action hands the line to
 * postel__reply_line (src/reply_int.h, src/reply.c), which checks the
 * code range, continuation codes, enhanced status codes and text in C,
 * and stops the machine (fbreak) after the last line of a reply. Text octets
 * outside textstring are recorded (the line stays framed); a CR not
 * followed by LF, a non-digit in the code, or a fourth octet that is not
 * "-", SP or the line end is an error.
 *
 * Runs of plain text are skipped eight octets at a time (reply_skip_plain), so
 * the per-octet state machine sees only the code, the separator, the
 * line end and unusual octets.
 *
 * Dependencies: none (no common.rl machine is needed to frame replies).
 */
#include "reply_int.h"

#if defined(__SSE2__) && defined(__GNUC__) && !defined(POSTEL_NO_SIMD)
#include <emmintrin.h>
#endif

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"

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

%%{
	machine reply;
	alphtype unsigned char;

	action skip { fexec reply_skip_plain(p + 1, pe); }
	# A whole "ddd-" or "ddd " in view: take it in one step and skip the
	# plain text after it (the same transitions the states below make).
	action head {
		if (pe - p >= 4 && (unsigned)(p[1] - '0') <= 9 &&
		    (unsigned)(p[2] - '0') <= 9 &&
		    (p[3] == '-' || p[3] == ' ')) {
			fexec reply_skip_plain(p + 4, pe);
			fgoto text;
		}
	}
	action nul { lf |= POSTEL__RL_NUL; }
	action ctl { lf |= POSTEL__RL_CTL; }
	action hi { lf |= POSTEL__RL_8BIT; }
	action bare_lf { lf |= POSTEL__RL_BARE_LF; }
	action eol {
		raw = (size_t)(p + 1 - ls);
		if (raw > max_line) {
			ended = REPLY_END_TOO_LONG;
			fbreak;
		}
		reply_line_end(rp, b, ls, raw, lf, nl, &enh);
		if (ls[3] != '-') {
			nl++;
			ended = REPLY_END_LAST;
			fbreak;
		}
		nl++;
		ls = p + 1;
		lf = 0;
		if (nl >= max_lines) {
			ended = REPLY_END_TOO_MANY;
			fbreak;
		}
	}

	plain = 0x09 | 0x20..0x7e;
	ctl = 0x01..0x08 | 0x0b | 0x0c | 0x0e..0x1f | 0x7f;
	tchar = plain @skip | 0x00 @nul | ctl @ctl | 0x80..0xff @hi;
	eol = '\r' '\n' @eol | '\n' @bare_lf @eol;
	line = digit >head digit digit
	       ( [\- ] @skip text: ( tchar* eol ) | eol );

	main := line*;
}%%

%% write data nofinal noentry;

int postel__reply_scan_start(void)
{
	return reply_start;
}

/* An enhanced-code field at t[*i..n): 1-3 digits without a leading zero
 * (RFC 3463 §2); its value, or -1 for anything else. */
static inline int reply_enh_digits(const unsigned char *t, size_t n, size_t *i)
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
 * postel__reply_line_slow. Stores the line's text span.
 */
static inline void reply_line_end(postel_reply_parser *rp,
				  const unsigned char *b,
				  const unsigned char *l, size_t raw,
				  unsigned lf, size_t n, size_t *enh)
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
		*enh = rp->enh_len_;
	} else if (lf || *enh || l[0] != b[0] || l[1] != b[1] || l[2] != b[2])
		postel__reply_line_slow(rp, b, l, t, lf, n);
	if (n < rp->lines_cap_)
		rp->lines_[n] = t;
}

enum { REPLY_END_NONE, REPLY_END_LAST, REPLY_END_TOO_LONG, REPLY_END_TOO_MANY };

/*
 * The streaming driver (contract in include/postel/reply.h). State kept
 * between calls: the Ragel state, the offsets of the scan position and
 * of the current line, the events of the current line. Nothing already
 * scanned is scanned again. The scan runs to min(len, max_reply); the
 * line limit is checked at each line end, where the scan stops, and on
 * an error (an error past the limit is reported as the limit, as if the
 * scan had stopped there), so the outcome never depends on the split.
 */
postel_status postel_reply_parse(postel_reply_parser *rp, const char *buf,
				 size_t len, postel_reply *r, size_t *consumed)
{
	const unsigned char *b = (const unsigned char *)buf, *p, *pe;
	const unsigned char *ls;
	size_t stale = 0, max_line, max_lines, raw, at, nl, enh;
	postel_status st;
	unsigned lf;
	int cs, ended = REPLY_END_NONE;

	if (!rp || !r || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	*consumed = 0;
	if (rp->fatal_ != POSTEL_OK) {
		r->violations = rp->vl_;
		return rp->fatal_;
	}
	if (len < rp->pos_)
		return POSTEL_E_ARGUMENT;
	if (rp->pos_ == 0) {
		rp->lines_ = r->lines;
		rp->lines_cap_ = r->lines ? r->num_lines : 0;
	} else {
		if (r->lines != rp->lines_ ||
		    (r->lines ? r->num_lines : 0) != rp->lines_cap_)
			return POSTEL_E_ARGUMENT;
		/* lines stored by earlier calls point into old bytes */
		stale = rp->nlines_ < rp->lines_cap_ ? rp->nlines_
						     : rp->lines_cap_;
	}
	if (len == rp->pos_)
		return POSTEL_NEED_MORE; /* nothing new (buf may be NULL) */
	POSTEL__ENTER(rp->busy_);
	max_line = rp->cfg_.max_line;
	max_lines = rp->cfg_.max_lines;
	p = b + rp->pos_;
	pe = b + (len < rp->cfg_.max_reply ? len : rp->cfg_.max_reply);
	cs = rp->cs_;
	lf = rp->lflags_;
	ls = b + rp->line_start_;
	nl = rp->nlines_;
	enh = rp->enh_len_;
	%% write exec;
	at = (size_t)(p - b);
	rp->nlines_ = nl;
	rp->line_start_ = ended == REPLY_END_LAST ? at : (size_t)(ls - b);
	if (cs == reply_error) {
		if (at - rp->line_start_ >= max_line)
			st = postel__reply_fail(
				rp, POSTEL_E_LIMIT,
				POSTEL_V_REPLY_LINE_TOO_LONG, r);
		else if (at > rp->line_start_ && b[at - 1] == '\r')
			st = postel__reply_fail(rp, POSTEL_E_PROTOCOL,
						POSTEL_V_BARE_CR, r);
		else
			st = postel__reply_fail(rp, POSTEL_E_PROTOCOL,
						POSTEL_V_REPLY_SYNTAX, r);
	} else if (ended == REPLY_END_LAST) {
		rp->pos_ = at;
		st = postel__reply_finish(rp, buf, r, consumed, stale);
		POSTEL__LEAVE(rp->busy_);
		return st;
	} else if (ended == REPLY_END_TOO_LONG ||
		   (ended == REPLY_END_NONE &&
		    at - rp->line_start_ >= max_line)) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_LINE_TOO_LONG, r);
	} else if (ended == REPLY_END_TOO_MANY) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_TOO_MANY_LINES, r);
	} else if (at >= rp->cfg_.max_reply) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_TOO_LONG, r);
	} else
		st = POSTEL_NEED_MORE;
	rp->pos_ = at;
	rp->cs_ = cs;
	rp->lflags_ = lf;
	POSTEL__LEAVE(rp->busy_);
	return st;
}
