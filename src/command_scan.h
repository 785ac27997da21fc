/*
 * postel — the command scanner's side of the driver: what the actions of
 * grammar/command.rl write into (marks, flags, violations) and the
 * helpers they call. Included by src/command_parse.c before the
 * generated machine. Never installed.
 */
#ifndef POSTEL_COMMAND_SCAN_H
#define POSTEL_COMMAND_SCAN_H

#include "command_int.h"

#include <stddef.h>
#include <string.h>

#define W4(a, b, c, d)                                                         \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |           \
	 (uint32_t)(d) << 24)

/* One-liners used by the actions. `P` parser, `C` command, `base` start of
 * the line, `p` current octet. */
#define OFF ((uint32_t)(p - base))
#define MS(i) (P->ms_[i] = OFF)
#define ME(i) span_end(P, C, base, (i), OFF)
#define V(id) postel__vlist_add(&C->violations, POSTEL_V_##id)
#define F(f) (C->flags |= POSTEL_CMD_##f)
#define Z(z) (P->zone_ = (uint8_t)(z))
#define VERB(v)                                                                \
	(C->verb = POSTEL_VERB_##v, span_end(P, C, base, S_VERB, OFF + 1),     \
	 P->zone_ = Z_AFTER_VERB,                                              \
	 P->lim_ = verb_limit(P, POSTEL_VERB_##v))
#define K(k)                                                                   \
	(P->kind_ = (k), P->val_ = 0, P->zone_ = Z_VALUE)

/* Small helpers are always inlined. BIG_INLINE (the scanner into
 * postel_command_parse(), the parameter and path helpers into the
 * scanner) saves calls and spills on every line; GCC compiles this file
 * a third slower with it, clang (with or without ASan) two to three
 * times slower, so under clang those stay calls. */
#define ALWAYS_INLINE POSTEL__ALWAYS_INLINE
#if defined(__GNUC__) && !defined(__clang__)
#define BIG_INLINE ALWAYS_INLINE
#else
#define BIG_INLINE
#endif

/*
 * End mark of span slot i (start in P->ms_[i]). Slots that are spans of
 * the command are written into it at once, as pointers into this call's
 * bytes: on a line that came in one call they are final; a line that took
 * several calls (the bytes may have moved) is rebuilt from the marks at
 * its end (rebuild_spans()).
 */
static ALWAYS_INLINE void span_end(postel_command_parser *P, postel_command *C,
				   const unsigned char *base, unsigned i,
				   uint32_t off)
{
	P->me_[i] = off;
	if (i < S_NSPAN_) { /* the other slots' marks are never tested */
		P->set_ |= 1u << i;
		postel_span *sp = &C->verb_text + i;
		sp->p = (const char *)base + P->ms_[i];
		sp->n = off - P->ms_[i];
	}
}

static BIG_INLINE void param_value(postel_command_parser *P,
				     postel_command *C,
				     const unsigned char *base, const unsigned k);
static ALWAYS_INLINE void param_novalue(postel_command_parser *P,
					postel_command *C, unsigned k);


static ALWAYS_INLINE void helo_end(postel_command_parser *P,
				   postel_command *C);
static void chunk_end(postel_command_parser *P, postel_command *C,
		      const unsigned char *base);

/* Up to 4 octets of k, case folded (OR 0x20: letters change, digits and
 * "-" do not), as one little-endian word. */
static ALWAYS_INLINE uint32_t fold4(const unsigned char *k, size_t m)
{
	uint32_t w = 0;
	if (m >= 4)
		return W4(k[0], k[1], k[2], k[3]) | 0x20202020u;
	for (size_t j = 0; j < m; j++)
		w |= (uint32_t)(k[j] | 0x20) << (8 * j);
	return w;
}

/* k (n octets) is the lower-case keyword `name` of n octets */
static ALWAYS_INLINE int kw_is(const unsigned char *k, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i += 4)
		if (fold4(k + i, n - i) != fold4((const unsigned char *)name + i,
						n - i))
			return 0;
	return 1;
}

/* Whole keywords, by length: a few word compares (RFC 5321 §2.4: case
 * does not matter). */
static ALWAYS_INLINE int kw_kind(const unsigned char *k, size_t n)
{
#define KW_IF(name, kind)                                                      \
	if (kw_is(k, name, sizeof name - 1))                                   \
		return kind;
	switch (n) {
	case 2: KW_IF("by", K_BY) break;
	case 3: KW_IF("ret", K_RET) break;
	case 4:
		KW_IF("size", K_SIZE) KW_IF("body", K_BODY) KW_IF("auth", K_AUTH)
		KW_IF("mtrk", K_MTRK) KW_IF("rrvs", K_RRVS) break;
	case 5: KW_IF("envid", K_ENVID) KW_IF("orcpt", K_ORCPT) break;
	case 6: KW_IF("notify", K_NOTIFY) break;
	case 7: KW_IF("holdfor", K_HOLDFOR) break;
	case 8: KW_IF("smtputf8", K_SMTPUTF8) break;
	case 9: KW_IF("holduntil", K_HOLDUNTIL) break;
	case 10: KW_IF("requiretls", K_REQUIRETLS) break;
	case 11: KW_IF("mt-priority", K_MT_PRIORITY) break;
	default: break;
	}
#undef KW_IF
	return K_OTHER;
}

/* The limit that applies once the verb is known (RFC 5321 §4.5.3.1.4,
 * RFC 1869 §4.1.2, RFC 4954 §4). */
static ALWAYS_INLINE uint32_t verb_limit(const postel_command_parser *P,
					 postel_verb v)
{
	switch (v) {
	case POSTEL_VERB_MAIL: return P->config.max_mail_line;
	case POSTEL_VERB_RCPT: return P->config.max_rcpt_line;
	case POSTEL_VERB_AUTH: return P->config.max_auth_line;
	default: return P->config.max_line;
	}
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DIGITS8 1
/* 1 to 8 digits that end at e, with at least 8 octets of the line before
 * e: those 8 octets as one word, the ones before the digits masked out
 * (they read as leading zeros), then pairs, quads and halves combined
 * with three multiplies instead of a multiply per digit. */
static ALWAYS_INLINE uint32_t digits8(const unsigned char *e, size_t n)
{
	uint64_t x;
	memcpy(&x, e - 8, 8);
	x &= (0x0f0f0f0f0f0f0f0fu << (8 * (8 - n)));
	x = (x * 2561) >> 8;
	x = ((x & 0x00ff00ff00ff00ffu) * 6553601) >> 16;
	return (uint32_t)(((x & 0x0000ffff0000ffffu) * 42949672960001u) >> 32);
}
#endif

static uint64_t small_num64(const unsigned char *s, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

/* A SIZE value of 1 to 19 digits (below 10^19: no overflow) that ends at
 * e; base is the start of its line. */
static ALWAYS_INLINE uint64_t short_size(const unsigned char *base,
					 const unsigned char *e, size_t n)
{
#if defined(DIGITS8)
	if (n <= 8 && e - base >= 8)
		return digits8(e, n);
#else
	(void)base;
#endif
	return small_num64(e - n, n);
}

/* ---- actions' helpers ---- */

/* End of a MAIL/RCPT path: its span and the arguments' (what the path
 * was, the grammar has said: mail_path, rcpt_path). */
static ALWAYS_INLINE void path_end(postel_command_parser *P, postel_command *C,
				   const unsigned char *base, uint32_t end)
{
	span_end(P, C, base, S_PATH, end);
	span_end(P, C, base, S_ARG, end);
}

static ALWAYS_INLINE void helo_end(postel_command_parser *P,
				   postel_command *C)
{
	if (P->pflags_ & PF_OK) {
		/* RFC 5321 §4.1.1.1: text allows it, the helo ABNF not */
		if (C->verb == POSTEL_VERB_HELO &&
		    (C->flags & POSTEL_CMD_ADDRESS_LITERAL))
			V(HELO_ADDRESS_LITERAL);
	} else {
		V(BAD_HELO_ARGUMENT);
		P->set_ &= ~(1u << S_DOMAIN);
		C->domain = postel__span(NULL, 0);
		C->flags &= ~(uint32_t)(POSTEL_CMD_ADDRESS_LITERAL |
					POSTEL_CMD_LITERAL_IPV6 |
					POSTEL_CMD_LITERAL_GENERAL);
	}
	P->zone_ = Z_TAIL;
}

static void chunk_end(postel_command_parser *P, postel_command *C,
		      const unsigned char *base)
{
	if (postel__parse_u64((const char *)base + P->ms_[S_ARG],
			      P->me_[S_ARG] - P->ms_[S_ARG], &C->chunk_size)) {
		C->chunk_size = 0;
		V(CHUNK_SIZE_OVERFLOW);
	}
}

/* Small decimal (the grammar guarantees digits, at most 9). */
static uint32_t small_num(const unsigned char *s, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint32_t)(s[i] - '0');
	return v;
}

static const uint8_t kind_bad[K_COUNT_] = {
	0, POSTEL_V_BAD_SIZE, POSTEL_V_BAD_BODY, POSTEL_V_BAD_RET,
	POSTEL_V_BAD_ENVID, POSTEL_V_BAD_AUTH_PARAM, POSTEL_V_BAD_SMTPUTF8,
	POSTEL_V_BAD_REQUIRETLS, POSTEL_V_BAD_MT_PRIORITY, POSTEL_V_BAD_BY,
	POSTEL_V_BAD_HOLDFOR, POSTEL_V_BAD_HOLDUNTIL, POSTEL_V_BAD_MTRK,
	POSTEL_V_BAD_NOTIFY, POSTEL_V_BAD_ORCPT, POSTEL_V_BAD_RRVS,
};

static ALWAYS_INLINE void set_span(postel_command_parser *P,
				   postel_command *C,
				   const unsigned char *base, unsigned slot,
				   uint32_t s, uint32_t e)
{
	P->ms_[slot] = s;
	span_end(P, C, base, slot, e);
}

/*
 * A MAIL/RCPT parameter that has ended: recognized? allowed on this verb
 * (RFC 5321 §4.1.1.11)? a duplicate (RFC 3461 §4)? Returns its bit when it
 * is to be decoded.
 */
static ALWAYS_INLINE uint32_t param_new(postel_command_parser *P,
					postel_command *C, unsigned k)
{
	uint32_t bit = k ? 1u << (k - 1) : 0;
	if (!(bit & P->config.params)) {
		C->n_ext++;
		return 0;
	}
	if (!(bit & (C->verb == POSTEL_VERB_MAIL ? POSTEL_PARAM_MAIL
						 : POSTEL_PARAM_RCPT))) {
		V(PARAM_WRONG_COMMAND);
		return 0;
	}
	if (C->params & bit) {
		V(DUPLICATE_PARAM);
		return 0;
	}
	return bit;
}

/* A parameter without "=value": only SMTPUTF8 and REQUIRETLS take none. */
static ALWAYS_INLINE void param_novalue(postel_command_parser *P,
					postel_command *C, unsigned k)
{
	uint32_t bit = param_new(P, C, k);
	if (!bit)
		return;
	if (k == K_SMTPUTF8 || k == K_REQUIRETLS)
		C->params |= bit;
	else
		postel__vlist_add(&C->violations, (postel_violation)kind_bad[k]);
}

/* A parameter with a value its grammar accepted (k is a constant at each
 * call): decode it into the command. */
static BIG_INLINE void param_value(postel_command_parser *P,
				     postel_command *C,
				     const unsigned char *base, const unsigned k)
{
	uint32_t bit = param_new(P, C, k);
	uint32_t vs = P->ms_[S_VAL], ve = P->me_[S_VAL];
	const unsigned char *v = base + vs;
	size_t vn = ve - vs;
	int bad = k == K_SMTPUTF8 || k == K_REQUIRETLS;
	if (!bit)
		return;
	if (!bad) {
		switch (k) {
		case K_SIZE:
			if (vn > 20) /* size-value ::= 1*20DIGIT */
				bad = 1;
			else if (vn < 20)
				C->size = short_size(base, base + ve, vn);
			else if (postel__parse_u64((const char *)v, vn, &C->size)) {
				V(SIZE_OVERFLOW);
				return;
			}
			break;
		case K_BODY: C->body = P->val_; break;
		case K_RET: C->ret = P->val_; break;
		case K_ENVID: set_span(P, C, base, S_ENVID, vs, ve); break;
		case K_AUTH:
			set_span(P, C, base, S_AUTHP, vs, ve);
			if (P->val_)
				F(AUTH_PARAM_NULL);
			break;
		case K_MT_PRIORITY:
			C->mt_priority = (int8_t)(v[0] == '-' ? -(v[1] - '0')
							      : v[0] - '0');
			break;
		case K_BY: {
			/* by-time ";" by-mode [by-trace] (RFC 2852 §4) */
			size_t i = (v[0] == '+' || v[0] == '-') ? 1 : 0;
			size_t semi = (size_t)((const unsigned char *)
					       memchr(v, ';', vn) - v);
			int32_t t = (int32_t)small_num(v + i, semi - i);
			C->by_time = v[0] == '-' ? -t : t;
			C->by_mode = (uint8_t)(v[semi + 1] & ~0x20);
			C->by_trace = semi + 2 < vn;
			/* R needs a positive by-time */
			if (C->by_mode == 'R' && C->by_time <= 0)
				bad = 1;
			break;
		}
		case K_HOLDFOR:
			C->holdfor = small_num(v, vn);
			break;
		case K_HOLDUNTIL: set_span(P, C, base, S_HOLDUNTIL, vs, ve); break;
		case K_MTRK: {
			const unsigned char *c = memchr(v, ':', vn);
			size_t cn = c ? (size_t)(c - v) : vn;
			set_span(P, C, base, S_MTRK, vs, vs + (uint32_t)cn);
			C->mtrk_timeout = c ? small_num(c + 1, vn - cn - 1) : 0;
			break;
		}
		case K_NOTIFY:
			/* NEVER stays alone (RFC 3461 §4.1): a refused
			 * combination is not stored either */
			if ((P->val_ & POSTEL_NOTIFY_NEVER) &&
			    P->val_ != POSTEL_NOTIFY_NEVER) {
				V(NOTIFY_NEVER_COMBINED);
				return;
			}
			C->notify = P->val_;
			break;
		case K_ORCPT: {
			uint32_t semi = P->ms_[S_SEMI];
			set_span(P, C, base, S_ORCPT_TYPE, vs, semi);
			set_span(P, C, base, S_ORCPT_ADDR, semi + 1, ve);
			break;
		}
		case K_RRVS:
			C->rrvs_action = 0;
			if (vn > 2 && v[vn - 2] == ';') {
				C->rrvs_action = (uint8_t)(v[vn - 1] & ~0x20);
				ve -= 2;
			}
			set_span(P, C, base, S_RRVS, vs, ve);
			break;
		default: break;
		}
	}
	if (bad) {
		postel__vlist_add(&C->violations, (postel_violation)kind_bad[k]);
		return;
	}
	if ((k == K_HOLDFOR && (C->params & POSTEL_PARAM_HOLDUNTIL)) ||
	    (k == K_HOLDUNTIL && (C->params & POSTEL_PARAM_HOLDFOR)))
		V(HOLD_BOTH); /* RFC 4865 §4.1: one hold-param only */
	C->params |= bit;
}


#endif
