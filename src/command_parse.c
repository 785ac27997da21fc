/*
 * postel — the command parser's driver (hot path): line framing and
 * limits, the scanners of grammar/command.rl (included here), and the
 * whole-line fast paths, which a grammar-only build (meson
 * -Dgrammar_only=true) leaves out. API and cold paths: src/command.c.
 *
 * Lines of the common shapes that arrive whole (argument-less verbs,
 * HELO/EHLO/LHLO with a domain, MAIL/RCPT with a plain path and the
 * usual parameters, no violation) are recognized by bare_line() and
 * fast_line() without the scanner: a strict subset of the grammar's
 * language, with the scanner's result. Everything else, and every line
 * that arrives in pieces, goes through the scanner, so the split tests
 * and the fuzz harness (which feeds each input whole and in pieces, and
 * compares this build with a grammar-only one) compare the two on every
 * input.
 */
#include "command_scan.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "command_machine.h"
#pragma GCC diagnostic pop

postel_verb postel__cmd_line_verb(const unsigned char *line, size_t n)
{
	if (n >= 4) {
		switch (fold4(line, 4)) {
		case W4('m', 'a', 'i', 'l'): return POSTEL_VERB_MAIL;
		case W4('r', 'c', 'p', 't'): return POSTEL_VERB_RCPT;
		case W4('a', 'u', 't', 'h'): return POSTEL_VERB_AUTH;
		default: break;
		}
	}
	return POSTEL_VERB_UNKNOWN;
}

uint32_t postel__cmd_line_limit(const postel_command_parser *P,
				const unsigned char *line, size_t n)
{
	return verb_limit(P, postel__cmd_line_verb(line, n));
}

int postel__cmd_kind(const unsigned char *kw, size_t n)
{
	return kw_kind(kw, n);
}

static void line_begin(postel_command_parser *P)
{
	P->cs_ = cmd_scan_start(P);
	P->off_ = 0;
	P->set_ = 0;
	P->ms_[S_PARAMS] = 0;
	P->zone_ = P->sasl_ ? Z_SASL : Z_VERB;
	P->kind_ = 0;
	P->pflags_ = 0;
	P->lim_ = P->sasl_ ? P->config.max_auth_line : P->config.max_line;
	P->mode_ = M_SCAN;
}

static int line_done(const postel_command_parser *P)
{
	return P->pflags_ & PF_DONE;
}

enum { LINE_NEED, LINE_OK, LINE_BAD, LINE_LONG };

/*
 * Find the end of the current line, scanning each octet once. Returns
 * LINE_NEED (no line end yet; *consumed bytes dropped), LINE_OK (scanner
 * accepted the line), LINE_BAD (scanner failed at P->err_at_) or LINE_LONG
 * (over-long line, its end has arrived); *line is the line length in buf.
 * The limit is the verb's as soon as the verb is known (RFC 5321
 * §4.5.3.1.4, RFC 1869 §4.1.2, RFC 4954 §4); before, the plain one.
 */
static ALWAYS_INLINE int find_line(postel_command_parser *P,
				   postel_command *C,
				   const unsigned char *base, size_t len,
				   size_t *line, size_t *consumed,
				   const int sasl)
{
	const unsigned char *nl;
	int r;
	*consumed = 0;
	for (;;) {
		size_t end = len < P->lim_ ? len : P->lim_;
		if (P->mode_ == M_SCAN) {
			if (P->off_ < end) {
				const unsigned char *q =
					sasl ? scan_sasl(P, base + P->off_,
							     base + end)
						 : scan_cmd(P, C, base,
							    base + P->off_,
							    base + end);
				P->off_ = (uint32_t)(q - base);
				if (line_done(P)) {
					*line = P->off_;
					r = LINE_OK;
					break;
				}
				if (P->cs_ == 0) {
					P->err_at_ = P->off_;
					P->mode_ = M_SKIP;
				}
			}
		}
		if (P->mode_ == M_SKIP && P->off_ < end) {
			nl = memchr(base + P->off_, '\n', end - P->off_);
			if (nl) {
				*line = (size_t)(nl - base) + 1;
				r = LINE_BAD;
				break;
			}
			P->off_ = (uint32_t)end;
		}
		/* no line end in the first off_ octets */
		if (!sasl)
			P->lim_ = verb_limit(P, C->verb);
		if (P->off_ < P->lim_) {
			if (P->off_ < len)
				continue; /* the limit grew with the verb */
			return LINE_NEED;
		}
		/* over-long: never buffered, discarded up to its line end */
		P->mode_ = M_DISCARD;
		nl = memchr(base + P->off_, '\n', len - P->off_);
		if (nl) {
			*consumed = *line = (size_t)(nl - base) + 1;
			return LINE_LONG;
		}
		*consumed = len;
		return LINE_NEED;
	}
	/* a whole line, but longer than its verb allows (lim_ is the verb's
	 * limit from the verb on) */
	if (!sasl && *line > P->lim_) {
		*consumed = *line;
		return LINE_LONG;
	}
	return r;
}

/* Discarding an over-long line: drop everything up to its line end. */
static int discard(size_t len, const unsigned char *base, size_t *line,
		   size_t *consumed)
{
	const unsigned char *nl = memchr(base, '\n', len);
	if (nl) {
		*consumed = *line = (size_t)(nl - base) + 1;
		return LINE_LONG;
	}
	*consumed = len;
	return LINE_NEED;
}

/* The command's spans from the marks alone: slot i is (&C->verb_text)[i]
 * (lines that took several calls, refused lines). */
static void rebuild_spans(const postel_command_parser *P, postel_command *C,
			  const char *buf)
{
	uint32_t set = P->set_ & ((1u << S_NSPAN_) - 1);
	postel_span *sp = &C->verb_text;
	memset(&C->mailbox, 0,
	       offsetof(postel_command, initial_response) +
		       sizeof C->initial_response -
		       offsetof(postel_command, mailbox));
	while (set) {
#if defined(__GNUC__)
		size_t i = (size_t)__builtin_ctz(set);
#else
		size_t i = 0;
		while (!(set & (1u << i)))
			i++;
#endif
		uint32_t s = P->ms_[i];
		set &= set - 1;
		sp[i].p = buf + s;
		sp[i].n = P->me_[i] - s;
	}
}

/* MAIL/RCPT: Local-part "@" Domain, once both are marked. */
static ALWAYS_INLINE void set_mailbox(const postel_command_parser *P,
				      postel_command *C, const char *buf)
{
	if ((P->set_ & (1u << S_LOCAL)) && (P->set_ & (1u << S_DOMAIN)) &&
	    !(C->flags & POSTEL_CMD_POSTMASTER)) {
		C->mailbox.p = buf + P->ms_[S_LOCAL];
		C->mailbox.n = P->me_[S_DOMAIN] - P->ms_[S_LOCAL];
	}
}

/* Everything but the caller's fields and the typed values, once per
 * line. */
static ALWAYS_INLINE void command_clear(postel_command *C)
{
	enum { N = offsetof(postel_command, size) -
		   offsetof(postel_command, verb) };
	_Static_assert(N <= 384, "postel__zero: more stores needed");
	postel__zero(&C->verb, N);
}

/* Checks on a line the scanner accepted: limits (RFC 5321 §4.5.3.1),
 * 8-bit octets (RFC 6531), unknown parameters (§4.1.1.11). */
static void accepted_checks(postel_command_parser *P, postel_command *C,
			    const unsigned char *base, size_t line)
{
	const postel_command_config *cfg = &P->config;
	int utf8 = 0;
	/* spans are final here; absent ones have length 0 */
	if (C->flags & POSTEL_CMD_8BIT) {
		if (!(cfg->options & POSTEL_CMD_OPT_SMTPUTF8))
			V(EIGHT_BIT);
		else if (!postel__utf8_valid(base, line))
			V(INVALID_UTF8);
		else
			utf8 = 1;
	}
	/* a label can only be too long in a domain of more than 63 octets */
	if (C->domain.n > 63 || C->route.n ||
	    (C->flags & (POSTEL_CMD_8BIT | POSTEL_CMD_LITERAL_GENERAL)))
		postel__cmd_address_checks(P, C, utf8);
	if (C->local_part.n > cfg->max_local_part)
		V(LOCAL_PART_TOO_LONG);
	if (C->domain.n > cfg->max_domain)
		V(DOMAIN_TOO_LONG);
	if (C->path.n > cfg->max_path)
		V(PATH_TOO_LONG);
	if (C->n_ext)
		postel__cmd_collect_params(P, C, base, line);
}

#if !defined(POSTEL_GRAMMAR_ONLY)
/* ---- whole-line fast paths ---- */

/* Octet classes for the skips of the fast paths. */
enum { CL_ALNUM = 1, CL_ATEXT = 2, CL_XCHAR = 4, CL_DIGIT = 8 };
#define CL_A (CL_ALNUM | CL_ATEXT | CL_XCHAR)
#define CL_D (CL_A | CL_DIGIT)
#define CL_P (CL_ATEXT | CL_XCHAR)
static const uint8_t cls[256] = {
	/* RFC 5322 atext punctuation: ! # $ % & ' * + - / = ? ^ _ ` { | } ~
	 * xchar: 33-126 except "+" and "=" (RFC 3461 §4) */
	['!'] = CL_P, ['"'] = CL_XCHAR, ['#'] = CL_P, ['$'] = CL_P,
	['%'] = CL_P, ['&'] = CL_P, ['\''] = CL_P, ['('] = CL_XCHAR,
	[')'] = CL_XCHAR, ['*'] = CL_P, ['+'] = CL_ATEXT, [','] = CL_XCHAR,
	['-'] = CL_P, ['.'] = CL_XCHAR, ['/'] = CL_P,
	['0'] = CL_D, ['1'] = CL_D, ['2'] = CL_D, ['3'] = CL_D, ['4'] = CL_D,
	['5'] = CL_D, ['6'] = CL_D, ['7'] = CL_D, ['8'] = CL_D, ['9'] = CL_D,
	[':'] = CL_XCHAR, [';'] = CL_XCHAR, ['<'] = CL_XCHAR, ['='] = CL_ATEXT,
	['>'] = CL_XCHAR, ['?'] = CL_P, ['@'] = CL_XCHAR,
	['A'] = CL_A, ['B'] = CL_A, ['C'] = CL_A, ['D'] = CL_A, ['E'] = CL_A,
	['F'] = CL_A, ['G'] = CL_A, ['H'] = CL_A, ['I'] = CL_A, ['J'] = CL_A,
	['K'] = CL_A, ['L'] = CL_A, ['M'] = CL_A, ['N'] = CL_A, ['O'] = CL_A,
	['P'] = CL_A, ['Q'] = CL_A, ['R'] = CL_A, ['S'] = CL_A, ['T'] = CL_A,
	['U'] = CL_A, ['V'] = CL_A, ['W'] = CL_A, ['X'] = CL_A, ['Y'] = CL_A,
	['Z'] = CL_A, ['['] = CL_XCHAR, ['\\'] = CL_XCHAR, [']'] = CL_XCHAR,
	['^'] = CL_P, ['_'] = CL_P, ['`'] = CL_P,
	['a'] = CL_A, ['b'] = CL_A, ['c'] = CL_A, ['d'] = CL_A, ['e'] = CL_A,
	['f'] = CL_A, ['g'] = CL_A, ['h'] = CL_A, ['i'] = CL_A, ['j'] = CL_A,
	['k'] = CL_A, ['l'] = CL_A, ['m'] = CL_A, ['n'] = CL_A, ['o'] = CL_A,
	['p'] = CL_A, ['q'] = CL_A, ['r'] = CL_A, ['s'] = CL_A, ['t'] = CL_A,
	['u'] = CL_A, ['v'] = CL_A, ['w'] = CL_A, ['x'] = CL_A, ['y'] = CL_A,
	['z'] = CL_A, ['{'] = CL_P, ['|'] = CL_P, ['}'] = CL_P, ['~'] = CL_P,
};

/* First octet at or after p (before pe) outside class m. */
static inline const unsigned char *skip_run(const unsigned char *p,
					    const unsigned char *pe, unsigned m)
{
	while (p < pe && (cls[*p] & m))
		p++;
	return p;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* lo <= x < lo + n exactly when x + 128 - lo, as a signed octet, is below
 * -128 + n. */
#define RANGE(x, lo, n)                                                        \
	_mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(128 - (lo)))),     \
		       _mm_set1_epi8((char)(-128 + (n))))
#define EQ(x, c) _mm_cmpeq_epi8(x, _mm_set1_epi8((char)(c)))

/*
 * Mask of the octets of v in class m. A skip may stop early at any octet
 * of its class (the fast path takes that octet and skips again), so
 * atext is approximated by letters and digits: a cheap test that covers
 * what addresses are made of.
 */
static ALWAYS_INLINE unsigned class16(__m128i x, unsigned m)
{
	__m128i in;
	if (m == CL_DIGIT)
		in = RANGE(x, '0', 10);
	else if (m == CL_XCHAR) /* 33-126 except "+" and "=" */
		in = _mm_andnot_si128(_mm_or_si128(EQ(x, '+'), EQ(x, '=')),
				      RANGE(x, 33, 94));
	else /* CL_ALNUM, CL_ATEXT */
		in = _mm_or_si128(RANGE(x, '0', 10),
				  RANGE(_mm_or_si128(x, _mm_set1_epi8(0x20)),
					'a', 26));
	return (unsigned)_mm_movemask_epi8(in);
}

#define LOAD16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))

/* Runs longer than 16 octets (ORCPT addresses, long atoms). In line: as
 * a call (GCC's choice once the fast paths grew) it costs the RCPT lines
 * of `bench command` 18 Ir each, and the object is smaller this way.
 * Atoms (CL_ATEXT) are tested as digits here: a skip may stop early, and
 * this test is the cheapest (the fast path goes on from the octet where
 * it stopped). */
static ALWAYS_INLINE const unsigned char *
skip_long(const unsigned char *p, const unsigned char *pe, unsigned m)
{
	while (pe - p >= 16) {
		unsigned in = m == CL_ALNUM ? class16(LOAD16(p), CL_ALNUM)
			    : m == CL_XCHAR ? class16(LOAD16(p), CL_XCHAR)
					    : class16(LOAD16(p), CL_DIGIT);
		if (in != 0xffffu)
			return p + __builtin_ctz(~in);
		p += 16;
	}
	return skip_run(p, pe, m);
}

/* The first 16 octets in line, with no loop around them. Fewer than 16
 * left before pe (the end of a line): the 16 octets that end at pe, when
 * the line has them (base is its start), with the ones before p shifted
 * out. */
static ALWAYS_INLINE const unsigned char *
skip_run_simd(const unsigned char *base, const unsigned char *p,
	      const unsigned char *pe, unsigned m)
{
	if (pe - p >= 16) {
		unsigned in = class16(LOAD16(p), m);
		if (in != 0xffffu)
			return p + __builtin_ctz(~in);
		return skip_long(p + 16, pe, m);
	}
	if (pe - base >= 16) {
		/* bits 16 - (pe - p) and up are 0: ~in stops there */
		unsigned in = class16(LOAD16(pe - 16), m) >>
			      (16 - (unsigned)(pe - p));
		return p + __builtin_ctz(~in);
	}
	return skip_run(p, pe, m);
}
#define SKIP(p, pe, m) skip_run_simd(base, p, pe, m)

/*
 * As skip_run_simd(), inside a domain or a dot-string (m is CL_ALNUM or
 * CL_ATEXT, taken as letters and digits): a "." between two octets of
 * the class is skipped too. p - 1 is an octet of the class: past any
 * number of labels or atoms, the fast path is still inside one (RFC 5321
 * §4.1.2: Domain = sub-domain *("." sub-domain), Dot-string = Atom *("."
 * Atom)).
 */
static ALWAYS_INLINE const unsigned char *
skip_dotted(const unsigned char *base, const unsigned char *p,
	    const unsigned char *pe, unsigned m)
{
	__m128i x;
	unsigned in, dot, sh = 0;
	if (pe - p >= 16)
		x = LOAD16(p);
	else if (pe - base >= 16) {
		x = LOAD16(pe - 16);
		sh = 16 - (unsigned)(pe - p);
	} else
		return skip_run(p, pe, m);
	/* bits 16 - sh and up are 0: no octet of the class there */
	in = class16(x, CL_ALNUM) >> sh;
	dot = (unsigned)_mm_movemask_epi8(EQ(x, '.')) >> sh;
	in |= dot & (in >> 1) & ((in << 1) | 1);
	in = ~in & 0xffffu;
	if (in)
		return p + __builtin_ctz(in);
	/* 16 octets of the class (the last is no "."): more of the run */
	return skip_long(p + 16, pe, m);
}
#define SKIP_DOTTED(p, pe, m) skip_dotted(base, p, pe, m)
#else
#define SKIP(p, pe, m) skip_run(p, pe, m)
#define SKIP_DOTTED(p, pe, m) skip_run(p, pe, m)
#endif

/*
 * Fast keyword dispatch (fast_params()): at the first octet of a
 * parameter, a known keyword (four octets as one word, case folded,
 * then the rest) followed by "=", SP, HT, CR or LF, is taken whole: its
 * kind, *n its length. 0 when that is not what is here (or not all of
 * it yet): fast_line() then leaves the line to the machine.
 */
static BIG_INLINE int kw_fast(const unsigned char *p, size_t avail,
				 size_t *n)
{
	int k;
	size_t m;
	unsigned char c;
	/* each case reads no further than avail allows: four octets and the
	 * one after them here, longer keywords test for their own length */
	if (avail < 5)
		return 0;
	/* the rest of the keyword: letters folded, digits and "-" exact (CR
	 * folds to "-", 0x18 to "8") */
#define REST(i, a, b, c, d) (fold4(p + (i), 4) == W4(a, b, c, d))
	switch (fold4(p, 4)) {
	case W4('s', 'i', 'z', 'e'): k = K_SIZE, m = 4; break;
	case W4('b', 'o', 'd', 'y'): k = K_BODY, m = 4; break;
	case W4('a', 'u', 't', 'h'): k = K_AUTH, m = 4; break;
	case W4('m', 't', 'r', 'k'): k = K_MTRK, m = 4; break;
	case W4('r', 'r', 'v', 's'): k = K_RRVS, m = 4; break;
	case W4('e', 'n', 'v', 'i'):
		if (avail < 6 || (p[4] | 0x20) != 'd')
			return 0;
		k = K_ENVID, m = 5;
		break;
	case W4('o', 'r', 'c', 'p'):
		if (avail < 6 || (p[4] | 0x20) != 't')
			return 0;
		k = K_ORCPT, m = 5;
		break;
	case W4('n', 'o', 't', 'i'):
		if (avail < 8 || !REST(4, 'f', 'y', p[6] | 0x20, p[7] | 0x20))
			return 0;
		k = K_NOTIFY, m = 6;
		break;
	case W4('s', 'm', 't', 'p'):
		if (avail < 9 || !REST(4, 'u', 't', 'f', '8') || p[7] != '8')
			return 0;
		k = K_SMTPUTF8, m = 8;
		break;
	case W4('r', 'e', 'q', 'u'):
		if (avail < 12 || !REST(4, 'i', 'r', 'e', 't') ||
		    !REST(8, 'l', 's', p[10] | 0x20, p[11] | 0x20))
			return 0;
		k = K_REQUIRETLS, m = 10;
		break;
	case W4('m', 't', '-', 'p'):
		if (avail < 12 || p[2] != '-' || !REST(4, 'r', 'i', 'o', 'r') ||
		    !REST(8, 'i', 't', 'y', p[11] | 0x20))
			return 0;
		k = K_MT_PRIORITY, m = 11;
		break;
	case W4('h', 'o', 'l', 'd'):
		if (avail < 8)
			return 0;
		if (REST(4, 'f', 'o', 'r', p[7] | 0x20))
			k = K_HOLDFOR, m = 7;
		else if (avail >= 10 && REST(4, 'u', 'n', 't', 'i') &&
			 (p[8] | 0x20) == 'l')
			k = K_HOLDUNTIL, m = 9;
		else
			return 0;
		break;
	default: return 0;
	}
#undef REST
	c = p[m];
	if (c != '=' && c != ' ' && c != '\r' && c != '\n' && c != '\t')
		return 0;
	*n = m;
	return k;
}

static ALWAYS_INLINE int is_vend(unsigned char c)
{
	return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

/*
 * Fast value dispatch, as kw_fast() for keywords: at the first octet after
 * "=" of BODY, RET or NOTIFY (RFC 6152 §2, RFC 3030 §3, RFC 3461 §4.1,
 * §4.3), a whole value of the grammar followed by SP, HT, CR or LF is
 * taken at once: *val its decoded value (P->val_ as the value machine
 * sets it). Returns the end of the value; NULL when that is not what is
 * here (or not all of it yet): the value machine then does the same
 * octet by octet, or reports the error.
 */
static BIG_INLINE const unsigned char *value_fast(const unsigned char *v,
						  const unsigned char *pe,
						  int k, uint8_t *val)
{
	size_t m;
	uint8_t x = 0, bit;
	if (k != K_BODY && k != K_RET && k != K_NOTIFY)
		return NULL;
	for (;;) {
		size_t avail = (size_t)(pe - v);
		uint32_t w;
		if (avail < 5) /* four octets and the one after them */
			return NULL;
		w = fold4(v, 4);
		/* digits are compared exactly: folding maps 0x17 to "7" */
		if (k == K_BODY) {
			if (w == W4('7', 'b', 'i', 't') && v[0] == '7')
				m = 4, bit = POSTEL_BODY_7BIT;
			else if (w == W4('8', 'b', 'i', 't') && v[0] == '8' &&
				 avail >= 9 &&
				 fold4(v + 4, 4) == W4('m', 'i', 'm', 'e'))
				m = 8, bit = POSTEL_BODY_8BITMIME;
			else if (w == W4('b', 'i', 'n', 'a') && avail >= 11 &&
				 fold4(v + 4, 4) == W4('r', 'y', 'm', 'i') &&
				 (v[8] | 0x20) == 'm' && (v[9] | 0x20) == 'e')
				m = 10, bit = POSTEL_BODY_BINARYMIME;
			else
				return NULL;
			x = bit;
		} else if (k == K_RET) {
			if (w == W4('f', 'u', 'l', 'l'))
				x = POSTEL_RET_FULL;
			else if (w == W4('h', 'd', 'r', 's'))
				x = POSTEL_RET_HDRS;
			else
				return NULL;
			m = 4;
		} else {
			if (avail < 6) /* five octets and the one after */
				return NULL;
			if (w == W4('n', 'e', 'v', 'e') && (v[4] | 0x20) == 'r')
				m = 5, bit = POSTEL_NOTIFY_NEVER;
			else if (w == W4('d', 'e', 'l', 'a') &&
				 (v[4] | 0x20) == 'y')
				m = 5, bit = POSTEL_NOTIFY_DELAY;
			else if (avail >= 8 && w == W4('s', 'u', 'c', 'c') &&
				 fold4(v + 4, 4) == W4('e', 's', 's', v[7] | 0x20))
				m = 7, bit = POSTEL_NOTIFY_SUCCESS;
			else if (avail >= 8 && w == W4('f', 'a', 'i', 'l') &&
				 fold4(v + 4, 4) == W4('u', 'r', 'e', v[7] | 0x20))
				m = 7, bit = POSTEL_NOTIFY_FAILURE;
			else
				return NULL;
			x |= bit;
			if (v[m] == ',') { /* notify-list-element (RFC 3461) */
				v += m + 1;
				continue;
			}
		}
		if (!is_vend(v[m]))
			return NULL;
		*val = x;
		return v + m;
	}
}

/*
 * The common lines, whole in one call, without the scanner: HELO, EHLO and
 * LHLO with a domain; MAIL and RCPT with a path of a dot-string and a
 * domain (or MAIL's "<>") and the usual parameters (SIZE, BODY, RET,
 * ENVID, AUTH, SMTPUTF8, REQUIRETLS, NOTIFY, ORCPT), single spaces, CRLF,
 * within every limit: lines the scanner accepts without a violation. The
 * result is the one the scanner gives them. Returns the line length; 0
 * for any other line, which the scanner then takes from its first octet,
 * so no result depends on this path. The split tests hold the two to
 * the same results: a line cut anywhere goes through the scanner.
 */

/* End of a Domain of ASCII sub-domains (RFC 5321 §4.1.2: Let-dig
 * [Ldh-str], "-" only inside) that starts at p; NULL when none starts
 * there. The octet at the end is not looked at. */
static ALWAYS_INLINE const unsigned char *
fast_domain(const unsigned char *base, const unsigned char *p,
	    const unsigned char *pe)
{
	(void)base; /* used by the SIMD skips only */
	for (;;) {
		if (p >= pe || !(cls[*p] & CL_ALNUM))
			return NULL;
		p = SKIP_DOTTED(p + 1, pe, CL_ALNUM);
		if (p < pe && *p == '-') {
			while (p + 1 < pe && p[1] == '-')
				p++;
		} else if (p >= pe || *p != '.')
			return p;
		p++; /* a letter or digit must follow "-" or "." */
	}
}

/* End of a Dot-string (RFC 5321 §4.1.2, ASCII atext) that starts at p;
 * NULL when none starts there. */
static ALWAYS_INLINE const unsigned char *
fast_dot_string(const unsigned char *base, const unsigned char *p,
		const unsigned char *pe)
{
	(void)base; /* used by the SIMD skips only */
	for (;;) {
		if (p >= pe || !(cls[*p] & CL_ATEXT))
			return NULL;
		/* letters and digits (with dots between) in one step */
		p = SKIP_DOTTED(p + 1, pe, CL_ATEXT);
		if (p < pe && *p == '.')
			p++; /* an atom must follow */
		else if (p >= pe || !(cls[*p] & CL_ATEXT))
			return p;
	}
}

#if defined(__SSE2__)
/* Masks of the 32 octets from p of class16()'s letters and digits, of
 * "." and of "-" (fewer octets before pe: the 16 that end at pe fill the
 * rest, the masks are 0 from pe on). */
static ALWAYS_INLINE void classify32(const unsigned char *p,
				     const unsigned char *pe, uint32_t *alnum,
				     uint32_t *dot, uint32_t *hyphen)
{
	__m128i lo = LOAD16(p), hi;
	unsigned sh = 16;
	if (pe - p >= 32)
		hi = LOAD16(p + 16);
	else {
		hi = LOAD16(pe - 16);
		sh = (unsigned)(pe - p) - 16;
	}
	*alnum = class16(lo, CL_ALNUM) | (uint32_t)class16(hi, CL_ALNUM) << sh;
	*dot = (uint32_t)_mm_movemask_epi8(EQ(lo, '.')) |
	       (uint32_t)_mm_movemask_epi8(EQ(hi, '.')) << sh;
	*hyphen = (uint32_t)_mm_movemask_epi8(EQ(lo, '-')) |
		  (uint32_t)_mm_movemask_epi8(EQ(hi, '-')) << sh;
}

/*
 * The mailbox of a path, Local-part "@" Domain ">" (RFC 5321 §4.1.2),
 * from masks of up to 32 octets at once: a Dot-string of letters and
 * digits, a Domain of letters, digits, inner hyphens and dots. Returns
 * the ">" (*at the "@"); NULL when the mailbox is not of that form or
 * does not end in those octets: fast_dot_string() and fast_domain()
 * then take it.
 */
static ALWAYS_INLINE const unsigned char *
fast_mailbox32(const unsigned char *p, const unsigned char *pe,
	       const unsigned char **at)
{
	uint32_t a, dot, hy, ldh, in, local, d, e;
	if (pe - p < 16)
		return NULL;
	classify32(p, pe, &a, &dot, &hy);
	/* a "." between letters or digits; bit i - 1 of x << 1 is bit i */
	dot &= (a << 1) & (a >> 1);
	in = a | dot;
	if (!~in)
		return NULL;
	local = (uint32_t)__builtin_ctz(~in);
	if (local == 0 || local >= 31 || (ptrdiff_t)local >= pe - p ||
	    p[local] != '@')
		return NULL;
	d = local + 1;
	e = d + (uint32_t)__builtin_ctz(~(in >> d));
	if ((uint64_t)hy >> e & 1) { /* e <= 32 */
		/* Ldh-str: a "-" between letters, digits or hyphens */
		ldh = a | hy;
		hy &= (ldh << 1) & (ldh >> 1);
		e = d + (uint32_t)__builtin_ctz(~((in | hy) >> d));
	}
	/* the domain starts with a letter or digit; the run ends within the
	 * masks, at ">" (so a letter or digit ends it too) */
	if (!(a >> d & 1) || e >= 32 || (ptrdiff_t)e >= pe - p || p[e] != '>')
		return NULL;
	*at = p + local;
	return p + e;
}
#else
static ALWAYS_INLINE const unsigned char *
fast_mailbox32(const unsigned char *p, const unsigned char *pe,
	       const unsigned char **at)
{
	(void)p, (void)pe, (void)at;
	return NULL;
}
#endif

static ALWAYS_INLINE int is_hex_upper(unsigned char c)
{
	return (unsigned)(c - '0') < 10 || (unsigned)(c - 'A') < 6;
}

/* End of xtext (RFC 3461 §4: xchar / "+" 2HEXCHAR) from p; with dsn
 * (ENVID, ORCPT) only hexchars that decode to HT, SP or %x21-7E (RFC
 * 3461 §4.2, §4.4): the scanner refuses the others. */
static ALWAYS_INLINE const unsigned char *
fast_xtext(const unsigned char *base, const unsigned char *p,
	   const unsigned char *pe, int dsn)
{
	(void)base; /* used by the SIMD skips only */
	for (;;) {
		p = SKIP(p, pe, CL_XCHAR);
		if (pe - p < 3 || *p != '+' || !is_hex_upper(p[1]) ||
		    !is_hex_upper(p[2]))
			return p;
		if (dsn && (p[1] < '2' || p[1] > '7' ||
			    (p[1] == '7' && p[2] == 'F')) &&
		    !(p[1] == '0' && p[2] == '9'))
			return p;
		p += 3;
	}
}

static ALWAYS_INLINE void fast_span(postel_span *sp, const unsigned char *s,
				    const unsigned char *e)
{
	sp->p = (const char *)s;
	sp->n = (size_t)(e - s);
}

/* MAIL/RCPT parameters from p (after the path) to the CR of the line
 * end; NULL for anything fast_line() does not take. */
static ALWAYS_INLINE const unsigned char *
fast_params(postel_command *C, const unsigned char *base,
	    const unsigned char *p, const unsigned char *pe, uint32_t allowed)
{
	for (;;) {
		const unsigned char *s, *e;
		size_t n;
		uint32_t bit;
		uint8_t val = 0;
		int k;
		if (p >= pe)
			return NULL;
		if (*p == '\r')
			return p;
		if (*p != ' ')
			return NULL;
		p++;
		k = kw_fast(p, (size_t)(pe - p), &n);
		bit = k ? 1u << (k - 1) : 0;
		if (!(bit & allowed) || (C->params & bit))
			return NULL; /* unknown, not here, or twice */
		p += n;
		C->params |= bit;
		if (k == K_SMTPUTF8 || k == K_REQUIRETLS) {
			if (*p == '=')
				return NULL; /* they take no value */
			continue;
		}
		if (*p != '=')
			return NULL;
		s = ++p;
		switch (k) {
		case K_SIZE: /* RFC 1870: 1*20DIGIT; 20 may overflow */
			p = SKIP(p, pe, CL_DIGIT);
			n = (size_t)(p - s);
			if (n == 0 || n >= 20)
				return NULL;
			C->size = short_size(base, p, n);
			break;
		case K_BODY:
		case K_RET:
		case K_NOTIFY:
			p = value_fast(p, pe, k, &val);
			if (!p)
				return NULL;
			if (k == K_BODY)
				C->body = val;
			else if (k == K_RET)
				C->ret = val;
			else if ((val & POSTEL_NOTIFY_NEVER) &&
				 val != POSTEL_NOTIFY_NEVER)
				return NULL; /* RFC 3461 §4.1 */
			else
				C->notify = val;
			break;
		case K_ENVID:
		case K_AUTH:
			p = fast_xtext(base, p, pe, k == K_ENVID);
			if (p == s)
				return NULL; /* xtext1 */
			if (k == K_ENVID) {
				fast_span(&C->envid, s, p);
				break;
			}
			fast_span(&C->auth, s, p);
			if (p - s == 2 && s[0] == '<' && s[1] == '>')
				F(AUTH_PARAM_NULL);
			break;
		case K_ORCPT: /* addr-type ";" xtext (RFC 3461 §4.2) */
			if (p >= pe || !(cls[*p] & CL_ATEXT))
				return NULL;
			do
				p = SKIP(p + 1, pe, CL_ATEXT);
			while (p < pe && (cls[*p] & CL_ATEXT));
			if (p >= pe || *p != ';')
				return NULL;
			e = fast_xtext(base, p + 1, pe, 1);
			fast_span(&C->orcpt_type, s, p);
			fast_span(&C->orcpt_addr, p + 1, e);
			p = e;
			break;
		default: return NULL;
		}
	}
}

static BIG_INLINE size_t fast_line(const postel_command_parser *P,
				   postel_command *C,
				   const unsigned char *base, size_t len,
				   const postel_verb v)
{
	const postel_command_config *cfg = &P->config;
	const unsigned char *pe, *p, *arg, *lp = NULL, *at = NULL, *dom, *end;
	uint32_t lim;
	if (len < 8 || base[4] != ' ')
		return 0;
	lim = verb_limit(P, v);
	pe = base + (len < lim ? len : lim);
	if (v != POSTEL_VERB_MAIL && v != POSTEL_VERB_RCPT) {
		/* RFC 5321 §4.1.1.1: the domain; LHLO as EHLO (RFC 2033) */
		dom = base + 5;
		p = fast_domain(base, dom, pe);
		if (!p || pe - p < 2 || p[0] != '\r' || p[1] != '\n' ||
		    (size_t)(p - dom) > cfg->max_domain ||
		    (size_t)(p - dom) > 63) /* labels: accepted_checks() */
			return 0;
		command_clear(C);
		C->verb = v;
		fast_span(&C->verb_text, base, base + 4);
		fast_span(&C->arg, dom, p);
		fast_span(&C->domain, dom, p);
		fast_span(&C->line, base, p + 2);
		return (size_t)(p + 2 - base);
	}
	/* RFC 5321 §4.1.1.2, §4.1.1.3: "FROM:" / "TO:" in any case */
	if (pe - base < 14)
		return 0;
	if (v == POSTEL_VERB_MAIL) {
		if (fold4(base + 5, 4) != W4('f', 'r', 'o', 'm') ||
		    ((uint32_t)base[9] | (uint32_t)base[10] << 8) !=
			    W4(':', '<', 0, 0))
			return 0;
		arg = base + 10;
	} else {
		/* "TO:<" as one word, only the letters folded */
		if ((W4(base[5], base[6], base[7], base[8]) | 0x2020u) !=
		    W4('t', 'o', ':', '<'))
			return 0;
		arg = base + 8;
	}
	p = arg + 1; /* after "<" */
	if (*p == '>' && v == POSTEL_VERB_MAIL) {
		p++; /* the null reverse-path */
	} else {
		lp = p;
		p = fast_mailbox32(lp, pe, &at);
		if (!p) {
			at = fast_dot_string(base, lp, pe);
			if (!at || at >= pe || *at != '@')
				return 0;
			p = fast_domain(base, at + 1, pe);
		}
		if (!p || p >= pe || *p != '>' ||
		    (size_t)(at - lp) > cfg->max_local_part ||
		    (size_t)(p - at - 1) > cfg->max_domain ||
		    (size_t)(p - at - 1) > 63) /* labels: accepted_checks() */
			return 0;
		p++;
	}
	if ((size_t)(p - arg) > cfg->max_path)
		return 0;
	command_clear(C);
	end = p; /* of the path */
	p = fast_params(C, base, p, pe,
			cfg->params & (v == POSTEL_VERB_MAIL ? POSTEL_PARAM_MAIL
							     : POSTEL_PARAM_RCPT));
	if (!p || pe - p < 2 || p[1] != '\n')
		return 0;
	C->verb = v;
	fast_span(&C->verb_text, base, base + 4);
	fast_span(&C->arg, arg, p);
	fast_span(&C->path, arg, end);
	if (lp) {
		fast_span(&C->local_part, lp, at);
		fast_span(&C->domain, at + 1, end - 1);
		fast_span(&C->mailbox, lp, end - 1);
	} else
		C->flags |= POSTEL_CMD_NULL_PATH;
	fast_span(&C->line, base, p + 2);
	return (size_t)(p + 2 - base);
}

/* The argument-less "DATA", "QUIT", "RSET", "NOOP", "HELP" and
 * "STARTTLS" with CRLF (any case), whole at the start of b: the result the
 * scanner gives them, without it. Returns the line length; 0 for any
 * other line. */
static ALWAYS_INLINE size_t bare_line(const postel_command_parser *P,
				      postel_command *C,
				      const unsigned char *b, size_t len)
{
	postel_verb v;
	size_t n = 4;
	if (len < 6)
		return 0;
	switch (fold4(b, 4)) {
	case W4('d', 'a', 't', 'a'): v = POSTEL_VERB_DATA; break;
	case W4('q', 'u', 'i', 't'): v = POSTEL_VERB_QUIT; break;
	case W4('r', 's', 'e', 't'): v = POSTEL_VERB_RSET; break;
	case W4('n', 'o', 'o', 'p'): v = POSTEL_VERB_NOOP; break;
	case W4('h', 'e', 'l', 'p'): v = POSTEL_VERB_HELP; break;
	case W4('s', 't', 'a', 'r'):
		if (len < 10 || fold4(b + 4, 4) != W4('t', 't', 'l', 's'))
			return 0;
		v = POSTEL_VERB_STARTTLS;
		n = 8;
		break;
	default: return 0;
	}
	if (b[n] != '\r' || b[n + 1] != '\n' || n + 2 > P->config.max_line)
		return 0;
	command_clear(C);
	C->verb = v;
	C->verb_text.p = (const char *)b;
	C->verb_text.n = n;
	C->line.p = (const char *)b;
	C->line.n = n + 2;
	return n + 2;
}
#endif

/* Every line the fast paths do not take: through the scanner, in as many
 * calls as it takes (out of line: the common lines need none of its
 * registers). */
static postel_status parse_scan(postel_command_parser *P, const char *buf,
				size_t len, postel_command *C,
				size_t *consumed)
{
	const unsigned char *base = (const unsigned char *)buf;
	size_t line = 0;
	int r, fresh = P->mode_ == M_IDLE;
	if (fresh) {
		line_begin(P);
		command_clear(C);
	}
	if (P->mode_ == M_DISCARD)
		r = discard(len, base, &line, consumed);
	else
		r = find_line(P, C, base, len, &line, consumed, 0);
	if (r == LINE_NEED)
		return POSTEL_NEED_MORE;
	P->mode_ = M_IDLE;
	if (r == LINE_LONG) {
		postel_verb v = C->verb;
		command_clear(C);
		C->verb = v;
		if (v == POSTEL_VERB_AUTH)
			V(AUTH_LINE_TOO_LONG);
		else
			V(LINE_TOO_LONG);
		C->error = POSTEL_CMD_E_LINE_TOO_LONG;
		return POSTEL_INVALID;
	}
	*consumed = line;
	if (r == LINE_BAD) {
		C->n_ext = 0; /* unknown parameters: accepted lines only */
		postel__cmd_syntax_error(P, C, base, line);
		rebuild_spans(P, C, buf);
	} else {
		if (!fresh)
			rebuild_spans(P, C, buf);
		accepted_checks(P, C, base, line);
	}
	set_mailbox(P, C, buf);
	if (line < 2 || base[line - 2] != '\r')
		V(BARE_LF);
	C->line.p = buf;
	C->line.n = line;
	if (C->violations.n == 0)
		return POSTEL_OK;
	postel__cmd_decide(&C->violations, &C->error, C->verb,
			   P->config.lenient);
	return C->error == POSTEL_CMD_OK ? POSTEL_OK : POSTEL_INVALID;
}

#if !defined(POSTEL_GRAMMAR_ONLY)
/* HELO, EHLO, LHLO, MAIL and RCPT: fast_line(), else the scanner. One
 * function per verb (each with fast_line() made for it), entered by a
 * jump: the argument-less lines then need no frame at all. */
#define PARSE_COMMON(name, verb)                                               \
	static POSTEL__NOINLINE postel_status name(                            \
		postel_command_parser *P, const char *buf, size_t len,         \
		postel_command *C, size_t *consumed)                           \
	{                                                                      \
		size_t line = fast_line(P, C, (const unsigned char *)buf, len, \
					verb);                                 \
		if (line) {                                                    \
			*consumed = line;                                      \
			return POSTEL_OK;                                      \
		}                                                              \
		return parse_scan(P, buf, len, C, consumed);                   \
	}
PARSE_COMMON(parse_ehlo, POSTEL_VERB_EHLO)
PARSE_COMMON(parse_helo, POSTEL_VERB_HELO)
PARSE_COMMON(parse_lhlo, POSTEL_VERB_LHLO)
PARSE_COMMON(parse_mail, POSTEL_VERB_MAIL)
PARSE_COMMON(parse_rcpt, POSTEL_VERB_RCPT)
#undef PARSE_COMMON

/* A line with SP after four octets: the verb's own function (a jump, and
 * no frame here either). */
static POSTEL__NOINLINE postel_status
parse_common(postel_command_parser *P, const char *buf, size_t len,
	     postel_command *C, size_t *consumed)
{
	switch (fold4((const unsigned char *)buf, 4)) {
	case W4('e', 'h', 'l', 'o'): return parse_ehlo(P, buf, len, C, consumed);
	case W4('h', 'e', 'l', 'o'): return parse_helo(P, buf, len, C, consumed);
	case W4('l', 'h', 'l', 'o'): return parse_lhlo(P, buf, len, C, consumed);
	case W4('m', 'a', 'i', 'l'): return parse_mail(P, buf, len, C, consumed);
	case W4('r', 'c', 'p', 't'): return parse_rcpt(P, buf, len, C, consumed);
	default: return parse_scan(P, buf, len, C, consumed);
	}
}
#endif

postel_status postel_command_parse(postel_command_parser *P, const char *buf,
				   size_t len, postel_command *C,
				   size_t *consumed)
{
	if (!P || !C || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	if (P->mode_ == M_IDLE) {
		P->sasl_ = 0;
#if !defined(POSTEL_GRAMMAR_ONLY)
		/* lines whole in buf of the common shapes: no scanner */
		const unsigned char *b = (const unsigned char *)buf;
		size_t line;
		if (len >= 8 && b[4] == ' ')
			return parse_common(P, buf, len, C, consumed);
		if ((line = bare_line(P, C, b, len)) != 0) {
			*consumed = line;
			return POSTEL_OK;
		}
#endif
	} else if (P->sasl_)
		return POSTEL_E_STATE; /* a SASL line is not finished */
	return parse_scan(P, buf, len, C, consumed);
}

postel_status postel_command_parse_sasl(postel_command_parser *P,
					const char *buf, size_t len,
					postel_sasl_response *R,
					size_t *consumed)
{
	const unsigned char *base = (const unsigned char *)buf;
	size_t line = 0;
	int r;
	if (!P || !R || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	if (P->mode_ != M_IDLE && !P->sasl_)
		return POSTEL_E_STATE; /* a command line is not finished */
	if (P->mode_ == M_IDLE) {
		P->sasl_ = 1;
		line_begin(P);
	}
	if (P->mode_ == M_DISCARD)
		r = discard(len, base, &line, consumed);
	else
		r = find_line(P, NULL, base, len, &line, consumed, 1);
	if (r == LINE_NEED)
		return POSTEL_NEED_MORE;
	P->mode_ = M_IDLE;
	memset(R, 0, sizeof *R);
	if (r == LINE_LONG) {
		postel__vlist_add(&R->violations, POSTEL_V_AUTH_LINE_TOO_LONG);
		R->error = POSTEL_CMD_E_LINE_TOO_LONG;
		return POSTEL_INVALID;
	}
	*consumed = line;
	R->line.p = buf;
	R->line.n = line;
	size_t eol = (line >= 2 && base[line - 2] == '\r') ? 2 : 1;
	if (eol == 1)
		postel__vlist_add(&R->violations, POSTEL_V_BARE_LF);
	if (r == LINE_BAD) {
		postel_violation v =
			postel__cmd_octet_violation(base, P->err_at_, line);
		postel__vlist_add(&R->violations,
				  v != POSTEL_V_NONE ? v
						     : POSTEL_V_SASL_BAD_BASE64);
	} else {
		R->data.p = buf;
		R->data.n = line - eol;
		if (P->pflags_ & PF_OK) {
			R->cancel = 1;
			R->data.n = 0;
		}
	}
	if (R->violations.n == 0)
		return POSTEL_OK;
	postel__cmd_decide(&R->violations, &R->error, POSTEL_VERB_AUTH,
			   P->config.lenient);
	return R->error == POSTEL_CMD_OK ? POSTEL_OK : POSTEL_INVALID;
}
