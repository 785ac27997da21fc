/*
 * command.rl — SMTP command lines (RFC 5321 §4.1.1, ESMTP parameters) and
 * SASL response lines (RFC 4954 §4): the scanners and the streaming
 * driver (hot path). API, cold paths and tables: src/command.c.
 *
 * The grammar lives in common.rl (action-free); here it only gets marks
 * (offsets from the start of the line, so the caller's buffer may move
 * between calls), flags and violations. Limits are enforced in C.
 *
 * Lines of the common shapes that arrive whole (argument-less verbs,
 * HELO/EHLO/LHLO with a domain, MAIL/RCPT with a plain path and the
 * usual parameters, no violation) are recognized by bare_line() and
 * fast_line() without the scanner: a strict subset of the grammar's
 * language, with the scanner's result. Everything else, and every line
 * that arrives in pieces, goes through the scanner, so the split tests
 * and the fuzz harness (which feeds each input whole and in pieces)
 * compare the two on every input.
 */
#include "command_int.h"

#include <stddef.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-const-variable"

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
static BIG_INLINE void path_close(postel_command_parser *P,
				    postel_command *C,
				    const unsigned char *base, uint32_t end);

/* Octet classes for the skip actions. */
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
 * of its class (the scanner takes that octet and skips again), so atext
 * is approximated by letters and digits: a cheap test that covers what
 * addresses are made of.
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
 * this test is the cheapest (the scanner goes on from the octet where it
 * stopped). */
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
 * the class is skipped too. p - 1 is an octet of the class. The scanner
 * is then in the same state as after any octet of the class inside a
 * label or an atom, past any number of labels or atoms (RFC 5321 §4.1.2:
 * Domain = sub-domain *("." sub-domain), Dot-string = Atom *("." Atom)).
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

static ALWAYS_INLINE void helo_end(postel_command_parser *P,
				   postel_command *C);
static void chunk_end(postel_command_parser *P, postel_command *C,
		      const unsigned char *base);

%%{
machine command;
alphtype unsigned char;
variable stack P->stack_;
variable top P->top_;

# RFC 6531 §3.3: octets >= 0x80 where UTF-8 may appear are flagged; the
# line is checked for UTF-8 (or refused without SMTPUTF8) at its end.
u8 = 0x80..0xff @{ F(8BIT); };

include common "common.rl";

action vs { MS(S_VAL); } # K() has set the zone
action ve { ME(S_VAL); }

eol = "\r"? "\n" @{ P->pflags_ |= PF_DONE; fbreak; };
spx = " " ( " "+ %{ V(EXTRA_SPACE); } )?;
# RFC 5321 §4.1.1: "SMTP receivers SHOULD tolerate trailing white space
# before the terminating <CRLF>": accepted in every mode, reported.
ws_tail = ( [ \t]+ %{ V(TRAILING_SPACE); } )?;

# ---- addresses (RFC 5321 §4.1.2, §4.1.3) ----
# Runs of letters/digits inside a label, of atext inside an atom and of
# xchars inside xtext are self-loops of the scanner: after the first octet
# of a run, the `skip` actions jump over the rest of it in C (class table)
# instead of taking one scanner transition per octet; in a domain or a
# dot-string the run goes on across "." (skip_dotted()). They sit only on
# transitions that carry no other action.
action skip_atext { p = SKIP(p + 1, pe, CL_ATEXT) - 1; }
action skip_label { p = SKIP_DOTTED(p + 1, pe, CL_ALNUM) - 1; }
action skip_atom { p = SKIP_DOTTED(p + 1, pe, CL_ATEXT) - 1; }
action skip_xchar { p = SKIP(p + 1, pe, CL_XCHAR) - 1; }
action skip_digit { p = SKIP(p + 1, pe, CL_DIGIT) - 1; }

label_f = let_dig_u ( "-"* ( alnum @skip_label | u8 ) )*;
domain_f = label_f ( "." label_f )*;
atom_f = atext ( atext_ascii @skip_atom | u8 )*;
dot_string_f = atom_f ( "." atom_f )*;
# (ENVID and ORCPT only: printable once decoded)
xtext_f = ( xchar @skip_xchar | hexchar_print )*;
xtext1_f = ( xchar | hexchar_print ) xtext_f;

# The address literal is scanned by its own machine, called from every
# place a domain may be one (one copy of the IPv6 forms).
literal_m := ( ipv4_literal
	     | ipv6_literal %{ F(LITERAL_IPV6); }
	     | general_literal %{ F(LITERAL_GENERAL); } ) "]" @{ fret; };
literal = "[" @{ F(ADDRESS_LITERAL); Z(Z_LITERAL); fcall literal_m; };
dom_m = ( domain_f >{ Z(Z_DOMAIN); } | literal )
	>{ MS(S_DOMAIN); } %{ ME(S_DOMAIN); };
lp_m = ( dot_string_f
       | quoted_string >{ F(QUOTED_LOCAL); }
       | ( dot_string_loose - dot_string ) %{ V(LOCAL_PART_DOTS); } )
       >{ MS(S_LOCAL); Z(Z_LOCAL); } %{ ME(S_LOCAL); };
route_m = a_d_l >{ MS(S_ROUTE); Z(Z_DOMAIN); }
	  %{ ME(S_ROUTE); F(SOURCE_ROUTE); };
# One path machine for MAIL and RCPT: "<", route, local part, domain and
# ">" are each optional here; path_close() (C) checks what was there
# against the verb: "<>" only for MAIL, "<Postmaster>" only for RCPT, a
# bare mailbox only as a lenient tolerance. The octet after the path is
# left for after_path.
# (path_rest is entered with the zone Z_PATH already set)
path_body = ( "<" >{ P->pflags_ |= PF_OPEN; } )?
	    ( ( route_m ":" )? lp_m ( "@" @{ Z(Z_DOMAIN); } dom_m )? )?
	    ( ">" >{ P->pflags_ |= PF_CLOSE; Z(Z_PATH); } )?;
colon_sp = ( " "+ %{ V(SPACE_AFTER_COLON); } )?;

# ---- MAIL/RCPT parameters: a typed value grammar per keyword (a value
# outside it stops the scan: the line is refused with the parameter's
# violation) ----
xtext1 = ( xchar | hexchar )+;
size_v = digit ( digit @skip_digit )*;
body_v = "7BIT"i %{ P->val_ = POSTEL_BODY_7BIT; }
       | "8BITMIME"i %{ P->val_ = POSTEL_BODY_8BITMIME; }
       | "BINARYMIME"i %{ P->val_ = POSTEL_BODY_BINARYMIME; };
ret_v = "FULL"i %{ P->val_ = POSTEL_RET_FULL; }
      | "HDRS"i %{ P->val_ = POSTEL_RET_HDRS; };
auth_v = "<>" %{ P->val_ = 1; } | xtext1;
notify_el = "NEVER"i %{ P->val_ |= POSTEL_NOTIFY_NEVER; }
	  | "SUCCESS"i %{ P->val_ |= POSTEL_NOTIFY_SUCCESS; }
	  | "FAILURE"i %{ P->val_ |= POSTEL_NOTIFY_FAILURE; }
	  | "DELAY"i %{ P->val_ |= POSTEL_NOTIFY_DELAY; };
notify_v = notify_el ( "," notify_el )*;
orcpt_v = atext_ascii ( atext_ascii @skip_atext )* ";" >{ MS(S_SEMI); }
	  xtext_f;
mtpri_v = "-"? [1-9] | "0";
by_v = [+\-]? digit{1,9} ";" [NnRr] [Tt]?;
holdfor_v = [1-9] digit{0,8};
rrvs_v = date_time ( ";" [CcRr] )?;
mtrk_v = ( base64 - zlen ) ( ":" digit{1,9} )?;

# A parameter is its keyword, looked up in C when it ends (kw_kind():
# whole words, case folded), then, after "=", the value machine of that
# keyword; after the value, next_param. kw_fast() takes a whole known
# keyword in one step where it can. The octet after a value is only
# checked here: next_param reads it again (fhold).
action kw_s {
	size_t n;
	int k = kw_fast(p, (size_t)(pe - p), &n);
	if (k) {
		/* a whole known keyword and the octet after it: what kw_e
		 * would do there, in one step */
		K(k);
		p += n;
		if ((*p) == '=') {
			/* and a whole enumerated value: what the value
			 * machine would do, in one step */
			const unsigned char *e = value_fast(p + 1, pe, k,
							    &P->val_);
			if (e) {
				P->ms_[S_VAL] = OFF + 1;
				span_end(P, C, base, S_VAL, (uint32_t)(e - base));
				if (k == K_BODY)
					param_value(P, C, base, K_BODY);
				else if (k == K_NOTIFY)
					param_value(P, C, base, K_NOTIFY);
				else
					param_value(P, C, base, K_RET);
				p = e - 1;
				fgoto next_param;
			}
			fgoto *value_entry[k];
		}
		param_novalue(P, C, k);
		fhold; fgoto next_param;
	}
	/* octet by octet: kw_e looks the keyword up */
	MS(S_KW);
	Z(Z_PARAM);
}
action kw_e {
	K(kw_kind(base + P->ms_[S_KW], OFF - P->ms_[S_KW]));
	if ((*p) == '=')
		fgoto *value_entry[P->kind_];
	param_novalue(P, C, P->kind_);
	fhold; fgoto next_param;
}
action pn { fhold; fgoto next_param; }
param = ( alnum ( alnum | "-" )* ) >kw_s %kw_e [= \t\r\n];
vend = [ \t\r\n];

v_size := size_v >vs %ve %{ param_value(P, C, base, K_SIZE); } %pn vend;
v_body := body_v >vs %ve %{ param_value(P, C, base, K_BODY); } %pn vend;
v_ret := ret_v >vs %ve %{ param_value(P, C, base, K_RET); } %pn vend;
v_envid := xtext1_f >vs %ve %{ param_value(P, C, base, K_ENVID); } %pn vend;
v_auth := auth_v >vs %ve %{ param_value(P, C, base, K_AUTH); } %pn vend;
v_smtputf8 := esmtp_value >vs %ve %{ param_value(P, C, base, K_SMTPUTF8); }
	      %pn vend;
v_requiretls := esmtp_value >vs %ve
		%{ param_value(P, C, base, K_REQUIRETLS); } %pn vend;
v_mtpri := mtpri_v >vs %ve %{ param_value(P, C, base, K_MT_PRIORITY); }
	   %pn vend;
v_by := by_v >vs %ve %{ param_value(P, C, base, K_BY); } %pn vend;
v_holdfor := holdfor_v >vs %ve %{ param_value(P, C, base, K_HOLDFOR); }
	     %pn vend;
v_holduntil := date_time >vs %ve %{ param_value(P, C, base, K_HOLDUNTIL); }
	       %pn vend;
v_mtrk := mtrk_v >vs %ve %{ param_value(P, C, base, K_MTRK); } %pn vend;
v_notify := notify_v >vs %ve %{ param_value(P, C, base, K_NOTIFY); }
	    %pn vend;
v_orcpt := orcpt_v >vs %ve %{ param_value(P, C, base, K_ORCPT); } %pn vend;
v_rrvs := rrvs_v >vs %ve %{ param_value(P, C, base, K_RRVS); } %pn vend;
v_other := esmtp_value >vs %ve %{ param_value(P, C, base, K_OTHER); }
	   %pn vend;

# Between parameters (RFC 5321 §4.1.2: SP-separated), or the line end;
# the arguments end where the last parameter does.
next_param := spx param | ( ws_tail eol ) >{ ME(S_ARG); };

# ---- commands (RFC 5321 §4.1.1 and the extensions' RFCs) ----
# HELO/EHLO/LHLO: a domain or an address literal; other words are lenient
# (one word; "[" starts a literal, which must be valid). HELO takes the
# literal too: the ABNF of §4.1.1.1 has `helo = "HELO" SP Domain CRLF`,
# but its text says of "these commands" (EHLO and HELO) that a client
# without a meaningful name "SHOULD send an address literal", and a
# receiver that refused it would refuse a client following that text.
# Accepted in every mode, reported as helo-address-literal (helo_end()).
ehlo_loose = ( 33..90 | 92..126 | u8 ) ( 33..126 | u8 )*;
ehlo_arg = ( ( domain_f | literal ) >{ MS(S_DOMAIN); }
	     %{ ME(S_DOMAIN); P->pflags_ |= PF_OK; }
	   | ehlo_loose )
	   >{ MS(S_ARG); Z(Z_HELO); } %{ ME(S_ARG); helo_end(P, C); };
ehlo_rest := spx >{ Z(Z_ARG0); } ehlo_arg ws_tail eol;
mail_rest := " " @{ Z(Z_MAILKW); } "FROM:"i @{ Z(Z_PATH); fgoto path_rest; };
rcpt_rest := " " @{ Z(Z_MAILKW); } "TO:"i @{ Z(Z_PATH); fgoto path_rest; };
path_rest := colon_sp ( ( path_body - zlen ) >{ MS(S_PATH); MS(S_ARG); }
	     %{ path_close(P, C, base, OFF); fhold; fgoto after_path; } )
	     [ \t\r\n];
after_path := spx >{ Z(Z_PARAM); } param >{ MS(S_PARAMS); } | ws_tail eol;

string_m = string >{ MS(S_ARG); Z(Z_STRING); } %{ ME(S_ARG); Z(Z_TAIL); };
utf8_arg = spx "SMTPUTF8"i %{ F(SMTPUTF8_ARG); };
# VRFY/EXPN: the ABNF's String (§4.1.1.6, §4.1.1.7; UTF-8 under SMTPUTF8,
# RFC 6531 §3.7.4.2), a user name that is a local mailbox's Dot-string
# ("MUST include at least recognition of local mailboxes as user names",
# §3.5.1) and the "local-part@domain" form hosts "SHOULD accept" (§3.5.1;
# its argument "cannot be further restricted"). Other words, `<...>`
# among them, are not a String: 501.
vrfy_str = local_part ( "@" ( domain | address_literal ) )?;
vrfy_m = vrfy_str >{ MS(S_ARG); Z(Z_STRING); } %{ ME(S_ARG); Z(Z_TAIL); };
vrfy_rest := spx >{ Z(Z_ARG0); } vrfy_m utf8_arg? ws_tail eol;
help_rest := ( spx >{ Z(Z_ARG0); } string_m )? ws_tail eol;
# RFC 5321 §4.1.1.9: a NOOP parameter string is ignored: any text. It
# ends at its last octet that is not white space: what follows is
# trailing white space (ME(S_ARG) fires after each word; the last wins).
noop_text = ( 32..126 | "\t" | u8 )* ( 33..126 | u8 );
noop_rest := ( " " ( noop_text >{ MS(S_ARG); } %{ ME(S_ARG); } )? )?
	     ws_tail eol;
# DATA RSET QUIT STARTTLS take no argument (RFC 5321 §4.1.1, RFC 3207 §4)
bare_rest := ws_tail eol;

mech_m = sasl_mech >{ MS(S_MECH); MS(S_ARG); Z(Z_MECH); }
	 %{ ME(S_MECH); ME(S_ARG); Z(Z_TAIL); };
ir_m = ( "=" %{ F(AUTH_EMPTY); } | ( base64 - zlen ) )
       >{ MS(S_IR); Z(Z_IR); } %{ ME(S_IR); Z(Z_TAIL); };
auth_rest := spx >{ Z(Z_ARG0); } mech_m ( spx >{ Z(Z_IR); } ir_m )?
	     ws_tail eol;

chunk_m = digit+ >{ MS(S_ARG); Z(Z_CHUNK); }
	  %{ ME(S_ARG); chunk_end(P, C, base); Z(Z_TAIL); };
bdat_rest := spx >{ Z(Z_ARG0); } chunk_m ( spx "LAST"i %{ F(BDAT_LAST); } )? ws_tail eol;

etrn_node = ( ( "@" @{ C->etrn_option = '@'; } )?
	      domain_ascii >{ MS(S_DOMAIN); } %{ ME(S_DOMAIN); }
	    | "#" @{ C->etrn_option = '#'; } ( 33..126 )+ )
	    >{ MS(S_ARG); Z(Z_ETRN); } %{ ME(S_ARG); Z(Z_TAIL); };
etrn_rest := spx >{ Z(Z_ARG0); } etrn_node ws_tail eol;

# The verb; verb_fast() does the same for whole verbs in one step.
main := "HELO"i @{ VERB(HELO); fgoto ehlo_rest; }
      | "EHLO"i @{ VERB(EHLO); fgoto ehlo_rest; }
      | "LHLO"i @{ VERB(LHLO); fgoto ehlo_rest; }
      | "MAIL"i @{ VERB(MAIL); fgoto mail_rest; }
      | "RCPT"i @{ VERB(RCPT); fgoto rcpt_rest; }
      | "DATA"i @{ VERB(DATA); fgoto bare_rest; }
      | "BDAT"i @{ VERB(BDAT); fgoto bdat_rest; }
      | "RSET"i @{ VERB(RSET); fgoto bare_rest; }
      | "VRFY"i @{ VERB(VRFY); fgoto vrfy_rest; }
      | "EXPN"i @{ VERB(EXPN); fgoto vrfy_rest; }
      | "HELP"i @{ VERB(HELP); fgoto help_rest; }
      | "NOOP"i @{ VERB(NOOP); fgoto noop_rest; }
      | "QUIT"i @{ VERB(QUIT); fgoto bare_rest; }
      | "STARTTLS"i @{ VERB(STARTTLS); fgoto bare_rest; }
      | "AUTH"i @{ VERB(AUTH); fgoto auth_rest; }
      | "ETRN"i @{ VERB(ETRN); fgoto etrn_rest; };

write data noerror;
}%%

%%{
machine sasl;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";

# RFC 4954 §4: a response is base64 (possibly empty) or "*" (cancel)
main := ( "*" %{ P->pflags_ |= PF_OK; } | base64 ) "\r"? "\n"
	@{ P->pflags_ |= PF_DONE; fbreak; };

write data noerror noentry;
}%%

#define W4(a, b, c, d)                                                         \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |           \
	 (uint32_t)(d) << 24)

/* The value machine of each parameter kind (K_*). */
static const int value_entry[K_COUNT_] = {
	command_en_v_other, command_en_v_size, command_en_v_body,
	command_en_v_ret, command_en_v_envid, command_en_v_auth,
	command_en_v_smtputf8, command_en_v_requiretls, command_en_v_mtpri,
	command_en_v_by, command_en_v_holdfor, command_en_v_holduntil,
	command_en_v_mtrk, command_en_v_notify, command_en_v_orcpt,
	command_en_v_rrvs,
};

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

int postel__cmd_kind(const unsigned char *kw, size_t n)
{
	return kw_kind(kw, n);
}

/*
 * Fast keyword dispatch, as verb_fast() for verbs: at the first octet of
 * a parameter, a known keyword (four octets as one word, case folded,
 * then the rest) followed by "=", SP, HT, CR or LF, is taken whole: its
 * kind, *n its length. 0 when that is not what is here (or not all of
 * it yet): the keyword machine and kw_kind() then do the same octet by
 * octet.
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

/*
 * Fast verb dispatch: a whole verb in one step (the four octets as one
 * word, case folded with 0x20: only letters change), then the scanner
 * continues in the verb's rest machine, exactly where `main` would have
 * gone. Returns 0 when the line does not start with a whole known verb.
 */
static int verb_fast(postel_command_parser *P, postel_command *C,
		     const unsigned char *b, size_t len)
{
	uint32_t w = W4(b[0], b[1], b[2], b[3]) | 0x20202020u, n = 4;
	postel_verb v;
	int en;
	switch (w) {
	case W4('h', 'e', 'l', 'o'): v = POSTEL_VERB_HELO; en = command_en_ehlo_rest; break;
	case W4('e', 'h', 'l', 'o'): v = POSTEL_VERB_EHLO; en = command_en_ehlo_rest; break;
	case W4('l', 'h', 'l', 'o'): v = POSTEL_VERB_LHLO; en = command_en_ehlo_rest; break;
	case W4('m', 'a', 'i', 'l'): v = POSTEL_VERB_MAIL; en = command_en_mail_rest; break;
	case W4('r', 'c', 'p', 't'): v = POSTEL_VERB_RCPT; en = command_en_rcpt_rest; break;
	case W4('d', 'a', 't', 'a'): v = POSTEL_VERB_DATA; en = command_en_bare_rest; break;
	case W4('b', 'd', 'a', 't'): v = POSTEL_VERB_BDAT; en = command_en_bdat_rest; break;
	case W4('r', 's', 'e', 't'): v = POSTEL_VERB_RSET; en = command_en_bare_rest; break;
	case W4('v', 'r', 'f', 'y'): v = POSTEL_VERB_VRFY; en = command_en_vrfy_rest; break;
	case W4('e', 'x', 'p', 'n'): v = POSTEL_VERB_EXPN; en = command_en_vrfy_rest; break;
	case W4('h', 'e', 'l', 'p'): v = POSTEL_VERB_HELP; en = command_en_help_rest; break;
	case W4('n', 'o', 'o', 'p'): v = POSTEL_VERB_NOOP; en = command_en_noop_rest; break;
	case W4('q', 'u', 'i', 't'): v = POSTEL_VERB_QUIT; en = command_en_bare_rest; break;
	case W4('a', 'u', 't', 'h'): v = POSTEL_VERB_AUTH; en = command_en_auth_rest; break;
	case W4('e', 't', 'r', 'n'): v = POSTEL_VERB_ETRN; en = command_en_etrn_rest; break;
	case W4('s', 't', 'a', 'r'):
		if (len < 8 || (W4(b[4], b[5], b[6], b[7]) | 0x20202020u) !=
				       W4('t', 't', 'l', 's'))
			return 0;
		v = POSTEL_VERB_STARTTLS;
		en = command_en_bare_rest;
		n = 8;
		break;
	default: return 0;
	}
	C->verb = v;
	span_end(P, C, b, S_VERB, n);
	P->zone_ = Z_AFTER_VERB;
	/* " FROM:" / " TO:" too (case folded the same way; the octets
	 * folded are letters only, ' ' and ':' are compared as they are) */
	if (v == POSTEL_VERB_MAIL && len >= 10 &&
	    (W4(b[5], b[6], b[7], b[8]) | 0x20202020u) ==
		    W4('f', 'r', 'o', 'm') &&
	    b[4] == ' ' && b[9] == ':') {
		en = command_en_path_rest;
		n = 10;
		P->zone_ = Z_PATH;
	} else if (v == POSTEL_VERB_RCPT && len >= 8 &&
		   (((uint32_t)b[5] | (uint32_t)b[6] << 8) | 0x2020u) ==
			   ('t' | 'o' << 8) &&
		   b[4] == ' ' && b[7] == ':') {
		en = command_en_path_rest;
		n = 8;
		P->zone_ = Z_PATH;
	}
	P->cs_ = en;
	P->off_ = n;
	P->lim_ = verb_limit(P, v);
	return 1;
}

static void line_begin(postel_command_parser *P)
{
	int cs;
	if (P->sasl_) {
		%% machine sasl; write init;
	} else {
		%% machine command; write init;
	}
	P->cs_ = cs;
	P->off_ = 0;
	P->set_ = 0;
	P->ms_[S_PARAMS] = 0;
	P->zone_ = P->sasl_ ? Z_SASL : Z_VERB;
	P->kind_ = 0;
	P->pflags_ = 0;
	P->lim_ = P->sasl_ ? P->config.max_auth_line : P->config.max_line;
	P->mode_ = M_SCAN;
}

/* Run a scanner over [p, pe); returns where it stopped. */
static BIG_INLINE const unsigned char *scan_cmd(postel_command_parser *P,
				     postel_command *C,
				     const unsigned char *base,
				     const unsigned char *p,
				     const unsigned char *pe)
{
	int cs = P->cs_;
	%% machine command; write exec;
	P->cs_ = cs;
	return p;
}

static const unsigned char *scan_sasl(postel_command_parser *P,
				      const unsigned char *p,
				      const unsigned char *pe)
{
	int cs = P->cs_;
	%% machine sasl; write exec;
	P->cs_ = cs;
	return p;
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
			if (!sasl && P->off_ == 0 && end >= 4)
				verb_fast(P, C, base, end);
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

postel_status postel_command_parse(postel_command_parser *P, const char *buf,
				   size_t len, postel_command *C,
				   size_t *consumed)
{
	if (!P || !C || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	if (P->mode_ == M_IDLE) {
		/* lines whole in buf of the common shapes: no scanner */
		const unsigned char *b = (const unsigned char *)buf;
		size_t line;
		P->sasl_ = 0;
		if (len >= 8 && b[4] == ' ')
			return parse_common(P, buf, len, C, consumed);
		if ((line = bare_line(P, C, b, len)) != 0) {
			*consumed = line;
			return POSTEL_OK;
		}
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
		size_t e = P->err_at_;
		unsigned char b = base[e];
		postel_violation v = POSTEL_V_SASL_BAD_BASE64;
		if (b == 0)
			v = POSTEL_V_NUL_OCTET;
		else if ((b == '\r' && e + 2 != line) ||
			 (e > 0 && base[e - 1] == '\r'))
			v = POSTEL_V_BARE_CR;
		else if ((b < 0x20 && b != '\n' && b != '\r' && b != '\t') ||
			 b == 0x7f)
			v = POSTEL_V_CONTROL_CHAR;
		postel__vlist_add(&R->violations, v);
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

/* ---- actions' helpers ---- */

/*
 * End of a MAIL/RCPT path (RFC 5321 §4.1.1.2, §4.1.1.3, §4.1.2): "<>"
 * only for MAIL, "<Postmaster>" (any case, no route, not quoted) only for
 * RCPT, a mailbox without angle brackets only as a tolerance, a source
 * route only inside brackets.
 */
static BIG_INLINE void path_close(postel_command_parser *P,
				    postel_command *C,
				    const unsigned char *base, uint32_t end)
{
	unsigned open = P->pflags_ & PF_OPEN, close = P->pflags_ & PF_CLOSE;
	uint32_t set = P->set_;
	int local = (set >> S_LOCAL) & 1, dom = (set >> S_DOMAIN) & 1;
	span_end(P, C, base, S_PATH, end);
	span_end(P, C, base, S_ARG, end);
	if (!open != !close)
		V(BAD_PATH);
	else if (!open) {
		if (local && dom && !(set & (1u << S_ROUTE)))
			V(NO_ANGLE_BRACKETS);
		else
			V(BAD_PATH);
	} else if (!local) {
		if (C->verb == POSTEL_VERB_MAIL)
			F(NULL_PATH);
		else
			V(BAD_PATH);
	} else if (!dom) {
		const unsigned char *p = base + P->ms_[S_LOCAL];
		static const char pm[] = "POSTMASTER";
		uint32_t n = P->me_[S_LOCAL] - P->ms_[S_LOCAL];
		int ok = C->verb == POSTEL_VERB_RCPT && n == 10 &&
			 !(set & (1u << S_ROUTE)) &&
			 !(C->flags & POSTEL_CMD_QUOTED_LOCAL);
		for (uint32_t i = 0; ok && i < n; i++)
			ok = (p[i] & ~0x20) == (unsigned char)pm[i];
		if (ok)
			F(POSTMASTER);
		else
			V(BAD_PATH);
	}
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
