/*
 * postel — the server engine (include/postel/server.h).
 *
 * Shape. All protocol work happens in postel_server_next(): it takes the
 * next unit of input (a command line, a SASL line, a run of content), and
 * either answers it itself (the replies the RFCs fix) or returns an event.
 * The other calls only move bytes (recv_ack, send_ack) or record an answer
 * (accept / reject / reply), so the state is always derived from a few
 * fields: what the engine waits for (input, output room, a flush, the TLS
 * handshake, an answer) and whether output is pending.
 *
 * Command lines are handed to the command parser (command.c) only when
 * complete (the engine finds the LF with memchr), so the parse result can
 * live in the application's event and the engine stays small: the parser
 * and the parsed command never persist across calls. Content goes through
 * the DATA/BDAT decoder (data.c), which persists for a message.
 *
 * Input buffer: [0, ipos) processed, [ipos, iend) not yet, [iend, incap)
 * free. Compaction (moving [ipos, iend) to the front) happens only when
 * the engine runs out of input, i.e. after every span it handed out died.
 * Output buffer: [opos, oend) pending; compacted by send_ack.
 */
#include "internal.h"
#include "postel/data.h"
#include "postel/server.h"
#include "command_int.h"
#include "syntax_int.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define SRV_SSE2 1
#endif

/* The per-command paths are a few dozen instructions; these keep the rare
 * branches out of them (and the small helpers in). */
#define SRV_INLINE static POSTEL__ALWAYS_INLINE
#define SRV_OUTLINE static POSTEL__NOINLINE
#define SRV_COLD static POSTEL__COLD

/* ---------------------------------------------------------------------- */
/* Engine state                                                           */
/* ---------------------------------------------------------------------- */

enum phase {
	P_CONNECT = 0, /* CONNECT event not pulled yet */
	P_CMD,         /* reading command lines */
	P_SASL,        /* reading a SASL response line */
	P_DATA,        /* DATA content (decoder) */
	P_BDAT,        /* BDAT chunk content (decoder) */
	P_SKIP,        /* discarding a refused BDAT chunk */
	P_MSG,         /* end of message: MESSAGE events / replies */
	P_INJECT,      /* STARTTLS accepted: report discarded input */
	P_TLS,         /* waiting for the TLS handshake */
	P_CLOSED       /* nothing more (init failed, or closed) */
};

enum wait {
	W_NONE = 0, /* can work */
	W_INPUT,    /* needs more input */
	W_ROOM,     /* needs output room (>= reserve) */
	W_FLUSH     /* a reply that must not be buffered is pending
		     * (RFC 2920 §3.2 (5), (6)) */
};

enum tx_bdat { BDAT_NONE = 0, BDAT_ON = 1, BDAT_FAILED = 2 };

/* What a pending decision is about is pend (an event type); the facts the
 * answer needs are kept here. */
typedef struct session {
	uint8_t phase;
	/* What holds work up, also read as one word (busy): nonzero when an
	 * answer, output or input is awaited, the session closes or a call
	 * is in progress, so that next() tests one word. */
	union {
		struct {
			uint8_t wait;
			uint8_t pend;    /* event type awaiting an answer */
			uint8_t closing; /* no more processing; CLOSED once
					  * output left */
			uint8_t in_call;
		};
		uint32_t busy;
	};
	uint8_t helo_kind;  /* 0 none, 1 HELO, 2 EHLO/LHLO */
	uint8_t refused;    /* 0; 1: 554 greeting (503 mode); 2: 521 mode */
	uint8_t gated;      /* refused, or a policy gate set: see gated() */
	uint8_t tls;
	uint8_t authed;
	uint8_t tx;         /* a mail transaction is open */
	uint8_t tx_body;    /* postel_body of the transaction */
	uint8_t tx_utf8;    /* SMTPUTF8 parameter given */
	uint8_t tx_bdat;    /* enum tx_bdat */
	uint8_t early;      /* input came before the greeting was sent */
	uint8_t discarding; /* dropping an over-long line (2: of an AUTH
			     * exchange) */
	uint8_t talk_seen;  /* early talk / unsolicited pipelining reported */
	uint8_t msg_told;   /* P_MSG: the failure MESSAGE event was given */
	uint8_t pend_esmtp; /* HELO decision: EHLO/LHLO */
	uint8_t pend_body;  /* MAIL decision: BODY */
	uint8_t pend_utf8;  /* MAIL decision: SMTPUTF8 */
	uint8_t last;       /* BDAT chunk is LAST */
	uint8_t helo_n;
	uint8_t pipe;       /* PIPELINING in force (parser_update()) */
	uint16_t skip_reply; /* P_SKIP: index into fixed[] to send after */
	uint32_t scan;      /* bytes after ipos already searched for LF */
	uint32_t errors;    /* protocol error replies sent */
	uint32_t rcpts;     /* accepted recipients in the transaction */
	uint32_t txs;       /* transactions accepted in the session */
	uint32_t msg_i;     /* P_MSG: replies given */
	uint32_t auth_step;
	uint32_t pend_off;  /* HELO decision: argument offset in the input */
	uint32_t pend_len;  /* ... and length */
	uint32_t inject_n;  /* P_INJECT: bytes discarded */
	uint32_t greet_left; /* greeting bytes not yet sent */
	uint32_t verdict;   /* P_MSG: postel_data_verdict */
	uint64_t skip_left; /* P_SKIP: octets still to discard */
	uint64_t chunk;     /* current BDAT chunk size */
	postel_status err;
	postel_violation_list msg_v; /* P_MSG: content violations */
} session;

/* A default accept line (accept_lines[]). */
struct acc_line {
	const char *p; /* zero-padded to LINE_PAD (dflt[].line) */
	size_t n;
};

typedef struct srv {
	/* configuration (copied at init) */
	const char *host;
	const char *mechs;
	const char *const *extra;
	uint64_t max_size;
	uint32_t ext, flags, lenient;
	uint32_t max_rcpt, max_tx, max_errors, max_data_line;
	uint32_t lim_line, lim_mail, lim_rcpt, lim_auth; /* capped by incap */
	uint16_t host_n, extra_n, mechs_n;
	uint16_t reserve; /* output room needed before a command */
	uint16_t ehlo_n[2]; /* EHLO reply length without / with TLS */
	uint32_t kw[2];     /* EHLO keywords offered without / with TLS */
	uint32_t kw_end[2]; /* ... those that end a copy (put_ehlo) */
	uint32_t params[2]; /* parser params after EHLO, without / with TLS */
	uint32_t options;   /* parser options after EHLO */
	uint32_t enh_form[2]; /* events whose default [accept, reject]
			       * line has the enhanced code (put_default) */
	char rcptmax[10];   /* max_rcpt in decimal (LIMITS RCPTMAX=) */
	uint8_t rcptmax_n;
	/* buffers */
	unsigned char *in, *out;
	uint32_t incap, ipos, iend;
	uint32_t outcap, opos, oend;
	session ss;
	/* Not cleared at init (each is set up before it is read): the
	 * decoder at DATA/BDAT, acc first thing, the parser by its init, the
	 * HELO name up to helo_n. */
	postel_data_decoder dec;
	const struct acc_line *acc; /* accept_lines[] for the config */
	/* the parser, configured for the session's state (parser_update) */
	postel_command_parser parser;
	char helo[255];
} srv;

/* The public struct is opaque storage (server.h); the engine must fit. */
typedef char postel__srv_fits[sizeof(srv) <= sizeof(postel_server) ? 1 : -1];
typedef char postel__srv_align[_Alignof(srv) <= _Alignof(postel_server) ? 1
									 : -1];

static srv *S(postel_server *p)
{
	return (srv *)(void *)p;
}

static const srv *CS(const postel_server *p)
{
	return (const srv *)(const void *)p;
}

/* Replies never exceed one line of RFC 5321 §4.5.3.1.5 unless they are
 * multi-line app replies or the EHLO reply; this is the output room kept
 * free before a command is processed (one reply + a 421). */
#define RESERVE_MIN 1024u
#define REPLY_LINE_MAX 512u

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */
/* ---------------------------------------------------------------------- */

static size_t out_room(const srv *s)
{
	return s->outcap - s->oend;
}

static int out_pending(const srv *s)
{
	return s->oend > s->opos;
}

/* Bounded appender over the output buffer; counts what does not fit. */
typedef struct ob {
	unsigned char *p;
	size_t cap, n;
} ob;

static void ob_put(ob *o, const void *src, size_t n)
{
	if (o->n + n <= o->cap)
		memcpy(o->p + o->n, src, n);
	o->n += n;
}

static void ob_str(ob *o, const char *str)
{
	ob_put(o, str, strlen(str));
}

/* Decimal digits of `v` at the end of `b`; returns where they start. */
static char *u64_digits(char b[20], uint64_t v)
{
	char *q = b + 20;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return q;
}

static void ob_code(ob *o, unsigned code, char sep)
{
	char b[4];
	b[0] = (char)('0' + code / 100);
	b[1] = (char)('0' + code / 10 % 10);
	b[2] = (char)('0' + code % 10);
	b[3] = sep;
	ob_put(o, b, 4);
}

static ob ob_out(srv *s)
{
	ob o;
	o.p = s->out + s->oend;
	o.cap = out_room(s);
	o.n = 0;
	return o;
}

/* Commit what `o` wrote; 0 when it did not fit (nothing is committed). */
static int ob_commit(srv *s, const ob *o)
{
	if (o->n > o->cap)
		return 0;
	s->oend += (uint32_t)o->n;
	return 1;
}

static int upper_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* ---- base64 (RFC 4648 §4), for SASL (RFC 4954 §4) ---- */
static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void ob_b64(ob *o, const unsigned char *p, size_t n)
{
	char q[4];
	while (n >= 3) {
		q[0] = b64chars[p[0] >> 2];
		q[1] = b64chars[((p[0] & 3) << 4) | (p[1] >> 4)];
		q[2] = b64chars[((p[1] & 15) << 2) | (p[2] >> 6)];
		q[3] = b64chars[p[2] & 63];
		ob_put(o, q, 4);
		p += 3;
		n -= 3;
	}
	if (n) {
		q[0] = b64chars[p[0] >> 2];
		q[1] = b64chars[((p[0] & 3) << 4) | (n > 1 ? p[1] >> 4 : 0)];
		q[2] = n > 1 ? b64chars[(p[1] & 15) << 2] : '=';
		q[3] = '=';
		ob_put(o, q, 4);
	}
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 in place (the output never outruns the input). The
 * parser has checked the syntax; this still refuses anything off the
 * alphabet, a length not a multiple of 4 and '=' anywhere but the end
 * (RFC 4954 §4). Returns the decoded length or -1. */
static long b64_decode_inplace(unsigned char *p, size_t n)
{
	size_t o = 0;
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = p[i + (size_t)k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -1;
			v[k] = b64val(c);
			if (v[k] < 0)
				return -1;
		}
		unsigned w = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 |
					v[3]);
		p[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			p[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			p[o++] = (unsigned char)w;
	}
	return (long)o;
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                */
/* ---------------------------------------------------------------------- */

/* Enhanced status codes go on every 2xx/4xx/5xx reply when offered, except
 * the greeting and replies to HELO/EHLO (RFC 2034 §3 (4), §4); LMTP always
 * offers them (RFC 2033 §5). */
static int enh_on(const srv *s)
{
	return (s->ext & POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES) != 0;
}

enum reply_flag {
	R_NOENH = 1u << 0, /* greeting or HELO/EHLO reply: no enhanced code */
	R_HOST = 1u << 1,  /* greeting-type: hostname first (§4.3.1) */
	R_FLUSH = 1u << 2, /* must not be buffered (RFC 2920 §3.2 (5)) */
	R_CLOSE = 1u << 3  /* the session closes after it */
};

/* Format one reply into `o`: `text` lines separated by '\n' (already
 * validated), each prefixed by the code, '-' or ' ', the enhanced code
 * and, on the first line, the hostname. */
static void fmt_reply(const srv *s, ob *o, unsigned code, const char *enh,
		      const char *text, size_t tn, unsigned fl)
{
	int use_enh = enh && enh[0] && !(fl & R_NOENH) && enh_on(s) &&
		      code / 100 != 3;
	size_t i = 0;
	int first = 1;
	for (;;) {
		size_t e = i;
		while (e < tn && text[e] != '\n')
			e++;
		int more = e < tn, any = 0;
		ob_code(o, code, more ? '-' : ' ');
		if (use_enh) {
			ob_str(o, enh);
			any = 1;
		}
		if (first && (fl & R_HOST)) {
			if (any)
				ob_put(o, " ", 1);
			ob_put(o, s->host, s->host_n);
			any = 1;
		}
		if (e > i) {
			if (any)
				ob_put(o, " ", 1);
			ob_put(o, text + i, e - i);
		}
		ob_put(o, "\r\n", 2);
		if (!more)
			break;
		i = e + 1;
		first = 0;
	}
}

SRV_INLINE void count_error(srv *s, unsigned code);

/* Write a one-line reply: code, then the enhanced code (when on), the
 * hostname (greeting-type replies) and the text, joined by single spaces,
 * CRLF. Returns 0 (nothing written) when it does not fit. */
static int put_line(srv *s, unsigned code, const char *enh, size_t en,
		    const char *text, size_t tn, unsigned fl)
{
	int use_enh = en && !(fl & R_NOENH) && enh_on(s) && code / 100 != 3;
	int host = (fl & R_HOST) != 0;
	size_t need = 6 + (use_enh ? en + 1 : 0) +
		      (host ? (size_t)s->host_n + 1 : 0) + tn;
	if (need > out_room(s))
		return 0;
	unsigned char *p = s->out + s->oend, *q = p + 4;
	p[0] = (unsigned char)('0' + code / 100);
	p[1] = (unsigned char)('0' + code / 10 % 10);
	p[2] = (unsigned char)('0' + code % 10);
	p[3] = ' ';
	if (use_enh) {
		memcpy(q, enh, en);
		q += en;
		*q++ = ' ';
	}
	if (host) {
		memcpy(q, s->host, s->host_n);
		q += s->host_n;
		*q++ = ' ';
	}
	if (tn) {
		memcpy(q, text, tn);
		q += tn;
	} else if (q > p + 4) {
		q--; /* no space before the line end */
	}
	*q++ = '\r';
	*q++ = '\n';
	s->oend += (uint32_t)(q - p);
	return 1;
}

/* Write a reply the engine decides (one line). Returns 0 when it did not
 * fit (the caller checked the reserve, so this only happens for misuse). */
static int reply_n(srv *s, unsigned code, const char *enh, size_t en,
		   const char *text, size_t tn, unsigned fl)
{
	if (!put_line(s, code, enh, en, text, tn, fl))
		return 0;
	if (fl & R_CLOSE)
		s->ss.closing = 1;
	if ((fl & R_FLUSH) && !s->ss.closing)
		s->ss.wait = W_FLUSH;
	count_error(s, code);
	return 1;
}

static int reply(srv *s, unsigned code, const char *enh, const char *text,
		 unsigned fl)
{
	return reply_n(s, code, enh, enh ? strlen(enh) : 0, text, strlen(text),
		       fl);
}

/* A reply whose code, enhanced code and text are literals: both forms of
 * the line are built at compile time; writing it is one copy. */
static int reply_lit(srv *s, unsigned code, const char *with, size_t wn,
		     const char *without, size_t won, unsigned fl)
{
	const char *line = enh_on(s) ? with : without;
	size_t n = enh_on(s) ? wn : won;
	if (n > out_room(s))
		return 0;
	memcpy(s->out + s->oend, line, n);
	s->oend += (uint32_t)n;
	if (fl & R_CLOSE)
		s->ss.closing = 1;
	if ((fl & R_FLUSH) && !s->ss.closing)
		s->ss.wait = W_FLUSH;
	count_error(s, code);
	return 1;
}

#define REPLY(s, code, enh, text, fl)                                          \
	reply_lit(s, code, #code " " enh " " text "\r\n",                       \
		  sizeof(#code " " enh " " text "\r\n") - 1,                     \
		  #code " " text "\r\n", sizeof(#code " " text "\r\n") - 1, fl)

/* Too many errors: 421 and close (RFC 5321 §3.8: 421 may answer any
 * command when the server must close). */
SRV_COLD void too_many_errors(srv *s)
{
	put_line(s, 421, "4.7.0", 5, "Error: too many errors", 22, R_HOST);
	s->ss.closing = 1;
	s->ss.err = POSTEL_E_PROTOCOL;
}

#ifdef SRV_SSE2
SRV_INLINE void copy16(unsigned char *d, const char *src)
{
	_mm_storeu_si128((__m128i *)(void *)d,
			 _mm_loadu_si128((const __m128i *)(const void *)src));
}
#endif

/* Copy a few dozen octets (the hostname, a literal): moves of 16, 8, 4
 * octets, the last one ending at n, in line instead of a library call (or
 * the string instruction compilers emit for a literal of a few dozen
 * octets); never reads or writes outside [0, n). */
SRV_INLINE void copy_short(unsigned char *d, const void *src, size_t n)
{
	const char *p = src;
#ifdef SRV_SSE2
	if (n >= 16) {
		for (size_t i = 0; i + 16 < n; i += 16)
			copy16(d + i, p + i);
		copy16(d + n - 16, p + n - 16);
		return;
	}
#else
	if (n > 16) {
		memcpy(d, p, n);
		return;
	}
#endif
	if (n >= 8) { /* two overlapping words: up to 16 octets */
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = (unsigned char)p[i];
	}
}

/* A greeting-type line (RFC 5321 §4.3.1: the hostname first) whose parts
 * around the hostname are literals: two fixed-size copies and the
 * hostname's. Returns its length, 0 (nothing written) when it does not
 * fit. */
SRV_INLINE size_t put_host_line(srv *s, const char *pre, size_t pn,
				const char *post, size_t tn)
{
	size_t n = pn + s->host_n + tn;
	if (n > out_room(s))
		return 0;
	unsigned char *q = s->out + s->oend;
	copy_short(q, pre, pn);
	copy_short(q + pn, s->host, s->host_n);
	copy_short(q + pn + s->host_n, post, tn);
	s->oend += (uint32_t)n;
	return n;
}

/* HOST_LINE(s, 221, "2.0.0", "Bye"): "221 2.0.0 <host> Bye" CRLF, the
 * enhanced code only when on (RFC 2034 §3 (4) keeps it off the greeting:
 * enh "" there). */
#define HOST_PART(code, enh, text)                                             \
	#code " " enh, sizeof(#code " " enh) - 1, " " text "\r\n",             \
		sizeof(" " text "\r\n") - 1
#define HOST_LINE(s, code, enh, text)                                          \
	(enh_on(s) && sizeof(enh) > 1                                          \
		 ? put_host_line(s, HOST_PART(code, enh " ", text))            \
		 : put_host_line(s, HOST_PART(code, "", text)))

/* RFC 5321 §4.2.2 "any command" errors counted towards max_errors: the
 * replies that say the client broke the protocol (500-504, 553, 555; bit
 * i of the mask: code 500 + i). */
#define ERROR_CODES (0x1full | 1ull << 53 | 1ull << 55)
SRV_INLINE void count_error(srv *s, unsigned code)
{
	unsigned k = code - 500;
	if (k > 55 || !(ERROR_CODES >> k & 1))
		return;
	if (++s->ss.errors < s->max_errors || s->ss.closing)
		return;
	too_many_errors(s);
}

/* ---------------------------------------------------------------------- */
/* EHLO reply                                                             */
/* ---------------------------------------------------------------------- */

static int auth_offered(const srv *s, int tls)
{
	return (s->ext & POSTEL_SERVER_EXT_AUTH) && s->mechs_n &&
	       (tls || !(s->flags & POSTEL_SERVER_AUTH_TLS_ONLY));
}

/* EHLO keywords in the order they are advertised, each with its
 * extension, the parameters that follow it and the RFC that defines it. */
enum kw_param { KP_NONE, KP_SIZE, KP_AUTH, KP_LIMITS };
#define KEYWORDS(X)                                                            \
	X(PIPELINING, "PIPELINING", KP_NONE)        /* RFC 2920 §2 */        \
	X(SIZE, "SIZE", KP_SIZE)                    /* RFC 1870 §4 */        \
	X(ETRN, "ETRN", KP_NONE)                    /* RFC 1985 §4 */        \
	X(STARTTLS, "STARTTLS", KP_NONE)            /* RFC 3207 §4 */        \
	X(AUTH, "AUTH", KP_AUTH)                    /* RFC 4954 §3 */        \
	X(ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES",                        \
	  KP_NONE)                                  /* RFC 2034 §3 */        \
	X(8BITMIME, "8BITMIME", KP_NONE)            /* RFC 6152 §2 */        \
	X(BINARYMIME, "BINARYMIME", KP_NONE)        /* RFC 3030 §3 */        \
	X(CHUNKING, "CHUNKING", KP_NONE)            /* RFC 3030 §2 */        \
	X(DSN, "DSN", KP_NONE)                      /* RFC 3461 §4 */        \
	X(SMTPUTF8, "SMTPUTF8", KP_NONE)            /* RFC 6531 §3.1 */      \
	X(REQUIRETLS, "REQUIRETLS", KP_NONE)        /* RFC 8689 §4 */        \
	X(LIMITS, "LIMITS", KP_LIMITS)              /* RFC 9422 */           \
	X(MT_PRIORITY, "MT-PRIORITY", KP_NONE)      /* RFC 6710 §3 */        \
	X(DELIVERBY, "DELIVERBY", KP_NONE)          /* RFC 2852 §4 */        \
	X(RRVS, "RRVS", KP_NONE)                    /* RFC 7293 §3 */        \
	X(MTRK, "MTRK", KP_NONE)                    /* RFC 3885 §3 */        \
	X(EXPN, "EXPN", KP_NONE)                    /* RFC 5321 §3.5.2 */    \
	X(HELP, "HELP", KP_NONE)

/* All the keyword lines ("250-" keyword CRLF) back to back, so that
 * keywords offered one after the other go out in one copy; the layout
 * struct gives each line's offset at compile time. */
#define KW_LINE(id, name, par) "250-" name "\r\n"
#define KW_FIELD(id, name, par) char id_##id[sizeof(KW_LINE(id, name, par)) - 1];
static const char kw_pool[] = KEYWORDS(KW_LINE);
struct kw_layout {
	KEYWORDS(KW_FIELD)
};
#define KW_INDEX(id, name, par) KWI_##id,
enum kw_index { KEYWORDS(KW_INDEX) };
#define KW(id, name, par)                                                      \
	{offsetof(struct kw_layout, id_##id),                                  \
	 sizeof(KW_LINE(id, name, par)) - 1, par},
static const struct keyword {
	uint16_t off;  /* of the line in kw_pool */
	uint8_t len;   /* of the line */
	uint8_t param; /* enum kw_param */
} keywords[] = {KEYWORDS(KW)};

/* The keywords[] bit of a keyword (its POSTEL_SERVER_EXT_ name). */
#define KW_BIT(id) (1u << KWI_##id)

/* Offered keywords followed by parameters (bit i: keywords[i]). */
static uint32_t kw_with_params(const srv *s)
{
	return KW_BIT(AUTH) | KW_BIT(LIMITS) |
	       (s->max_size ? KW_BIT(SIZE) : 0);
}

/* The EHLO keywords offered (bit i: keywords[i]) without and under TLS:
 * STARTTLS never under TLS (RFC 3207 §4.2), REQUIRETLS only under TLS
 * (RFC 8689 §4), AUTH as configured. */
#define KW_OFFERED(id, name, par)                                              \
	| (s->ext & POSTEL_SERVER_EXT_##id ? KW_BIT(id) : 0)
static void offered_keywords(srv *s)
{
	uint32_t m = 0 KEYWORDS(KW_OFFERED);
	s->kw[0] = m & ~KW_BIT(REQUIRETLS);
	s->kw[1] = m & ~KW_BIT(STARTTLS);
	for (int tls = 0; tls < 2; tls++) {
		if (!auth_offered(s, tls))
			s->kw[tls] &= ~KW_BIT(AUTH);
		/* the lines of offered keywords one after the other go out in
		 * one copy, up to a gap or a keyword with parameters */
		uint32_t k = s->kw[tls];
		s->kw_end[tls] = (k & ~(k >> 1)) | (k & kw_with_params(s));
	}
}

/* The MAIL/RCPT parameters and parser options of an EHLO session (`tls`:
 * under TLS): only those of extensions offered and negotiated are
 * recognized, so the parser answers 555 for the others (RFC 5321
 * §4.1.1.11). Before EHLO (or after HELO) none are. */
static uint32_t esmtp_params(const srv *s, int tls)
{
	uint32_t x = s->ext, pm = 0;
	if (x & POSTEL_SERVER_EXT_SIZE)
		pm |= POSTEL_PARAM_SIZE;
	if (x & (POSTEL_SERVER_EXT_8BITMIME | POSTEL_SERVER_EXT_BINARYMIME))
		pm |= POSTEL_PARAM_BODY;
	if (x & POSTEL_SERVER_EXT_DSN)
		pm |= POSTEL_PARAM_RET | POSTEL_PARAM_ENVID |
		      POSTEL_PARAM_NOTIFY | POSTEL_PARAM_ORCPT;
	if (auth_offered(s, tls))
		pm |= POSTEL_PARAM_AUTH;
	if (x & POSTEL_SERVER_EXT_SMTPUTF8)
		pm |= POSTEL_PARAM_SMTPUTF8;
	if ((x & POSTEL_SERVER_EXT_REQUIRETLS) && tls)
		pm |= POSTEL_PARAM_REQUIRETLS;
	if (x & POSTEL_SERVER_EXT_MT_PRIORITY)
		pm |= POSTEL_PARAM_MT_PRIORITY;
	if (x & POSTEL_SERVER_EXT_DELIVERBY)
		pm |= POSTEL_PARAM_BY;
	if (x & POSTEL_SERVER_EXT_RRVS)
		pm |= POSTEL_PARAM_RRVS;
	if (x & POSTEL_SERVER_EXT_MTRK)
		pm |= POSTEL_PARAM_MTRK;
	return pm;
}

static uint32_t esmtp_options(const srv *s)
{
	uint32_t o = 0;
	if (s->ext & POSTEL_SERVER_EXT_SMTPUTF8)
		o |= POSTEL_CMD_OPT_SMTPUTF8;
	if (s->extra_n)
		o |= POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS;
	return o;
}

/* Set the parser up for the session's state (EHLO, TLS); called where
 * either changes. The parser is initialised once (init); its config may
 * change between lines (command.h), so only the two words that depend on
 * the state are set. Whether PIPELINING is in force (RFC 2920 §3.1: it
 * was offered in the EHLO reply) is kept with them: every line asks. */
static void parser_update(srv *s)
{
	int esmtp = s->ss.helo_kind == 2;
	s->parser.config.params = esmtp ? s->params[s->ss.tls] : 0;
	s->parser.config.options = esmtp ? s->options : 0;
	s->ss.pipe = esmtp && (s->ext & POSTEL_SERVER_EXT_PIPELINING);
}

/* Length of the parameters after a keyword (with the leading space). */
static size_t kw_param_len(const srv *s, unsigned kp)
{
	char b[20];
	size_t n = 0;
	switch (kp) {
	case KP_SIZE:
		if (s->max_size)
			n = 1 + (size_t)(b + 20 - u64_digits(b, s->max_size));
		break;
	case KP_AUTH:
		n = 1 + (size_t)s->mechs_n;
		break;
	case KP_LIMITS:
		n = 9 + (size_t)s->rcptmax_n;
		if (s->max_tx)
			n += 9 + (size_t)(b + 20 - u64_digits(b, s->max_tx));
		break;
	default:
		break;
	}
	return n;
}

/* Length of the EHLO lines of the keywords in `m` (bit i: keywords[i]). */
static size_t kw_size(const srv *s, uint32_t m)
{
	size_t n = 0;
	/* a run of adjacent keywords has its lines adjacent in kw_pool */
	for (uint32_t r = m; r;) {
		unsigned i = postel__ctz32(r);
		uint32_t run = r & ~(r + (r & (0u - r)));
		r &= ~run;
		const struct keyword *z =
			&keywords[i + postel__ctz32(~(run >> i)) - 1];
		n += (size_t)(z->off + z->len - keywords[i].off);
	}
	for (uint32_t p = m & (KW_BIT(SIZE) | KW_BIT(AUTH) | KW_BIT(LIMITS)); p;
	     p &= p - 1)
		n += kw_param_len(s, keywords[postel__ctz32(p)].param);
	return n;
}

/* Length of the EHLO/LHLO reply put_ehlo() writes with no greeting text
 * (the text adds its length and a space), without and under TLS (the
 * keyword sets differ by a few); computed at init. */
static void ehlo_size(const srv *s, size_t n[2])
{
	n[0] = 4 + (size_t)s->host_n + 2 + kw_size(s, s->kw[0]);
	for (size_t i = 0; i < s->extra_n; i++)
		n[0] += 4 + strlen(s->extra[i]) + 2;
	n[1] = n[0] + kw_size(s, s->kw[1] & ~s->kw[0]) -
	       kw_size(s, s->kw[0] & ~s->kw[1]);
}

static unsigned char *put_u64(unsigned char *q, uint64_t v)
{
	char b[20];
	char *d = u64_digits(b, v);
	size_t n = (size_t)(b + 20 - d);
	memcpy(q, d, n);
	return q + n;
}

/* The EHLO/LHLO reply (RFC 5321 §4.1.1.1 ehlo-ok-rsp): greeting line,
 * then one line per offered extension. `text` is the application's
 * greeting text (may be empty). The caller checked that
 * ehlo_size() + tn + 1 octets are free at `out`; returns the length. */
static size_t put_ehlo(const srv *s, unsigned char *out, int tls,
		       const char *text, size_t tn)
{
	unsigned char *q = out, *last = out;
	/* "250-" Domain [ SP ehlo-greet ] */
	memcpy(q, "250-", 4);
	copy_short(q + 4, s->host, s->host_n);
	q += 4 + s->host_n;
	if (tn) {
		*q++ = ' ';
		memcpy(q, text, tn);
		q += tn;
	}
	*q++ = '\r';
	*q++ = '\n';
	uint32_t pm = kw_with_params(s);
	for (uint32_t m = s->kw[tls], e = s->kw_end[tls]; m; e &= e - 1) {
		/* the run of offered keywords from the lowest one to the
		 * first that ends a copy (offered_keywords()) */
		unsigned i = postel__ctz32(m), j = postel__ctz32(e);
		m &= ~((2u << j) - 1u);
		const struct keyword *z = &keywords[j];
		size_t a = keywords[i].off, n = z->off + z->len - a;
		copy_short(q, kw_pool + a, n);
		q += n;
		last = q - z->len;
		if (!(pm >> j & 1))
			continue;
		q -= 2; /* the parameters go before the CRLF */
		if (z->param == KP_SIZE) {
			*q++ = ' ';
			q = put_u64(q, s->max_size);
		} else if (z->param == KP_AUTH) {
			*q++ = ' ';
			memcpy(q, s->mechs, s->mechs_n);
			q += s->mechs_n;
		} else {
			/* RFC 9422 limit-name=value pairs */
			memcpy(q, " RCPTMAX=", 9);
			memcpy(q + 9, s->rcptmax, s->rcptmax_n);
			q += 9 + s->rcptmax_n;
			if (s->max_tx) {
				memcpy(q, " MAILMAX=", 9);
				q = put_u64(q + 9, s->max_tx);
			}
		}
		*q++ = '\r';
		*q++ = '\n';
	}
	for (size_t i = 0; i < s->extra_n; i++) {
		size_t en = strlen(s->extra[i]);
		last = q;
		memcpy(q, "250-", 4);
		memcpy(q + 4, s->extra[i], en);
		q += 4 + en;
		*q++ = '\r';
		*q++ = '\n';
	}
	last[3] = ' '; /* the last line: "250 " */
	return (size_t)(q - out);
}

/* ---------------------------------------------------------------------- */
/* Configuration and init                                                 */
/* ---------------------------------------------------------------------- */

void postel_server_config_default(postel_server_config *c)
{
	if (!c)
		return;
	memset(c, 0, sizeof *c);
	c->max_recipients = 100; /* RFC 5321 §4.5.3.1.8 minimum */
	c->max_errors = 20;
	c->max_line = POSTEL_CMD_MAX_LINE;
	c->max_auth_line = POSTEL_CMD_MAX_AUTH_LINE;
	c->max_data_line = POSTEL_DATA_MAX_LINE_DEFAULT;
}

static uint32_t cap32(uint32_t v, uint32_t dflt, size_t cap)
{
	if (v == 0)
		v = dflt;
	if (v > POSTEL_CMD_LIMIT_MAX)
		v = POSTEL_CMD_LIMIT_MAX;
	if (v > cap)
		v = (uint32_t)cap;
	return v;
}

static void session_start(srv *s)
{
	/* a zero session copied in a few block moves (memset of this size
	 * is a string instruction) */
	static const session clear;
	s->ss = clear;
	postel_command_parser_reset(&s->parser);
	s->ss.phase = P_CONNECT;
	s->ss.tls = (s->flags & POSTEL_SERVER_TLS) != 0;
	s->ss.gated = (s->flags & (POSTEL_SERVER_TLS_REQUIRED |
				   POSTEL_SERVER_AUTH_REQUIRED)) != 0;
	s->ipos = s->iend = 0;
	s->opos = s->oend = 0;
	/* parser_update() before any HELO: no ESMTP parameters */
	s->parser.config.params = 0;
	s->parser.config.options = 0;
}

static void default_forms(srv *s);
static const struct acc_line accept_lines[2][POSTEL_SERVER_EV_VIOLATION + 1];

postel_status postel_server_init(postel_server *ps,
				 const postel_server_config *c, void *inbuf,
				 size_t incap, void *outbuf, size_t outcap)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	memset(s, 0, offsetof(srv, dec));
	s->acc = accept_lines[0]; /* accept() reads it in any state */
	s->ss.phase = P_CLOSED;
	s->ss.err = POSTEL_E_ARGUMENT;
	if (!c || !inbuf || !outbuf || incap < POSTEL_SERVER_MIN_INBUF ||
	    outcap < POSTEL_SERVER_MIN_OUTBUF)
		return POSTEL_E_ARGUMENT;
	if (incap > UINT32_MAX / 2)
		incap = UINT32_MAX / 2;
	if (outcap > UINT32_MAX / 2)
		outcap = UINT32_MAX / 2;
	size_t hn = c->hostname ? strlen(c->hostname) : 0;
	/* RFC 5321 §4.1.1.1: the greeting and EHLO reply name a Domain or
	 * address literal */
	if (hn == 0 || hn > 255 ||
	    !postel__syntax_domain(postel__span(c->hostname, hn)))
		return POSTEL_E_ARGUMENT;
	s->ext = c->extensions;
	s->flags = c->flags;
	if (s->flags & POSTEL_SERVER_LMTP) /* RFC 2033 §5: both required */
		s->ext |= POSTEL_SERVER_EXT_PIPELINING |
			  POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES;
	/* RFC 3030 §3 (3): BINARYMIME only with CHUNKING */
	if ((s->ext & POSTEL_SERVER_EXT_BINARYMIME) &&
	    !(s->ext & POSTEL_SERVER_EXT_CHUNKING))
		return POSTEL_E_ARGUMENT;
	if (s->ext & POSTEL_SERVER_EXT_AUTH) {
		size_t mn = c->auth_mechanisms ? strlen(c->auth_mechanisms) : 0;
		if (mn == 0 || mn > 400 ||
		    !postel__syntax_sasl_mech_list(
			    postel__span(c->auth_mechanisms, mn)))
			return POSTEL_E_ARGUMENT;
		s->mechs = c->auth_mechanisms;
		s->mechs_n = (uint16_t)mn;
	}
	if (c->extra_n > 32 || (c->extra_n && !c->extra))
		return POSTEL_E_ARGUMENT;
	for (size_t i = 0; i < c->extra_n; i++) {
		const char *e = c->extra[i];
		size_t en = e ? strlen(e) : 0;
		if (en == 0 || en > 500 ||
		    !postel__syntax_ehlo_line(postel__span(e, en)))
			return POSTEL_E_ARGUMENT;
	}
	s->host = c->hostname;
	s->host_n = (uint16_t)hn;
	s->extra = c->extra;
	s->extra_n = (uint16_t)c->extra_n;
	s->lenient = c->lenient;
	s->max_size = c->max_size;
	s->max_rcpt = c->max_recipients ? c->max_recipients : 100;
	{
		char b[20], *d = u64_digits(b, s->max_rcpt);
		s->rcptmax_n = (uint8_t)(b + 20 - d);
		memcpy(s->rcptmax, d, s->rcptmax_n);
	}
	s->max_tx = c->max_transactions;
	s->max_errors = c->max_errors ? c->max_errors : 20;
	s->max_data_line = c->max_data_line;
	s->lim_line = cap32(c->max_line, POSTEL_CMD_MAX_LINE, incap);
	s->lim_mail = cap32(c->max_line > POSTEL_CMD_MAX_MAIL_LINE
				    ? c->max_line
				    : POSTEL_CMD_MAX_MAIL_LINE,
			    POSTEL_CMD_MAX_MAIL_LINE, incap);
	s->lim_rcpt = cap32(c->max_line > POSTEL_CMD_MAX_RCPT_LINE
				    ? c->max_line
				    : POSTEL_CMD_MAX_RCPT_LINE,
			    POSTEL_CMD_MAX_RCPT_LINE, incap);
	s->lim_auth = cap32(c->max_auth_line, POSTEL_CMD_MAX_AUTH_LINE, incap);
	s->in = inbuf;
	s->incap = (uint32_t)incap;
	s->out = outbuf;
	s->outcap = (uint32_t)outcap;

	/* The longest EHLO reply this config produces must fit (before or
	 * after TLS); it is the output room kept before every command. */
	size_t need = RESERVE_MIN;
	size_t n[2];
	offered_keywords(s);
	ehlo_size(s, n);
	for (int tls = 0; tls < 2; tls++) {
		s->ehlo_n[tls] =
			(uint16_t)(n[tls] < UINT16_MAX ? n[tls] : UINT16_MAX);
		if (n[tls] > need)
			need = n[tls];
	}
	if (need > outcap || need > UINT16_MAX) {
		s->ss.err = POSTEL_E_LIMIT;
		s->host = NULL; /* unusable: reset() refuses it too */
		return POSTEL_E_LIMIT;
	}
	s->reserve = (uint16_t)need;

	postel_command_config cc;
	postel_command_config_default(&cc);
	cc.lenient = s->lenient;
	cc.options = 0;
	cc.params = 0;
	cc.max_line = s->lim_line;
	cc.max_mail_line = s->lim_mail;
	cc.max_rcpt_line = s->lim_rcpt;
	cc.max_auth_line = s->lim_auth;
	postel_command_parser_init(&s->parser, &cc);
	s->params[0] = esmtp_params(s, 0);
	s->params[1] = esmtp_params(s, 1);
	s->options = esmtp_options(s);
	default_forms(s);
	session_start(s);
	return POSTEL_OK;
}

postel_status postel_server_reset(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	if (!s->host)
		return POSTEL_E_ARGUMENT; /* init failed */
	session_start(s);
	return POSTEL_OK;
}

/* ---------------------------------------------------------------------- */
/* State and byte flows                                                   */
/* ---------------------------------------------------------------------- */

unsigned postel_server_state(const postel_server *ps)
{
	const srv *s = CS(ps);
	const session *ss = &s->ss;
	unsigned out = out_pending(s) ? POSTEL_WRITE : 0;
	if (!ss->pend && !ss->closing && ss->phase < P_TLS)
		goto waits; /* the usual case: only the wait decides */
	if (ss->phase == P_CLOSED || ss->closing)
		return out && s->host ? POSTEL_WRITE : POSTEL_CLOSED;
	if (ss->phase == P_TLS) /* the handshake waits for the output */
		return (ss->pend ? POSTEL_DECIDE : 0) | out |
		       (out ? 0 : POSTEL_TLS);
	if (ss->pend)
		return POSTEL_DECIDE | out;
waits:
	/* DECIDE when there is work (ready()); batching (RFC 2920 §3.2
	 * (2), (7)): no WRITE while there is */
	switch (ss->wait) {
	case W_FLUSH:
		return out ? POSTEL_WRITE : POSTEL_DECIDE;
	case W_INPUT:
		return out | (s->iend < s->incap ? POSTEL_READ : 0);
	case W_ROOM:
		return out_room(s) >= s->reserve ? POSTEL_DECIDE : out;
	default: /* W_NONE */
		return POSTEL_DECIDE;
	}
}

unsigned char *postel_server_recv_buf(const postel_server *ps, size_t *len)
{
	const srv *s = CS(ps);
	size_t n = 0;
	if (s->ss.phase != P_CLOSED && s->ss.phase != P_TLS &&
	    s->ss.phase != P_INJECT && !s->ss.closing)
		n = s->incap - s->iend;
	if (len)
		*len = n;
	return n ? s->in + s->iend : NULL;
}

postel_status postel_server_recv_ack(postel_server *ps, size_t len)
{
	srv *s = S(ps);
	if (s->ss.phase == P_CLOSED || s->ss.closing)
		return len ? POSTEL_E_CLOSED : POSTEL_OK;
	/* the room recv_buf() gives (none while TLS starts) */
	if (len > (s->ss.phase == P_TLS || s->ss.phase == P_INJECT
			   ? 0
			   : (size_t)(s->incap - s->iend)))
		return POSTEL_E_ARGUMENT;
	if (len == 0)
		return POSTEL_OK;
	s->iend += (uint32_t)len;
	/* RFC 5321 §4.3.1: the client SHOULD wait for the greeting */
	if (s->ss.phase == P_CONNECT || s->ss.greet_left || s->ss.pend ==
						    POSTEL_SERVER_EV_CONNECT)
		s->ss.early = 1;
	if (s->ss.wait == W_INPUT)
		s->ss.wait = W_NONE;
	return POSTEL_OK;
}

const unsigned char *postel_server_send_buf(const postel_server *ps,
					    size_t *len)
{
	const srv *s = CS(ps);
	size_t n = s->oend - s->opos;
	if (len)
		*len = n;
	return n ? s->out + s->opos : NULL;
}

/* Part of the pending output was sent (kept out of send_ack(), whose
 * usual case, all sent, then needs no frame). */
SRV_OUTLINE postel_status sent_part(srv *s, size_t len)
{
	session *ss = &s->ss;
	s->opos += (uint32_t)len;
	if (ss->greet_left)
		ss->greet_left -= len < ss->greet_left ? (uint32_t)len
						       : ss->greet_left;
	if (s->opos > 0 && out_room(s) < s->reserve) {
		memmove(s->out, s->out + s->opos, s->oend - s->opos);
		s->oend -= s->opos;
		s->opos = 0;
	}
	if (ss->wait == W_ROOM && out_room(s) >= s->reserve)
		ss->wait = W_NONE;
	return POSTEL_OK;
}

postel_status postel_server_send_ack(postel_server *ps, size_t len)
{
	srv *s = S(ps);
	session *ss = &s->ss;
	size_t pending = s->oend - s->opos;
	if (len >= pending) {
		if (len > pending)
			return POSTEL_E_ARGUMENT;
		/* all sent (the greeting, first out, too): room is whole
		 * again, nothing waits for output */
		s->opos = s->oend = 0;
		ss->greet_left = 0;
		if (ss->wait == W_ROOM || ss->wait == W_FLUSH)
			ss->wait = W_NONE;
		if (ss->closing)
			ss->phase = P_CLOSED;
		return POSTEL_OK;
	}
	return sent_part(s, len);
}

/* Out of input: keep the unprocessed bytes at the front. Every span
 * handed out is dead by now (we are inside a non-const call). */
static int need_input(srv *s)
{
	if (s->ipos) {
		size_t n = s->iend - s->ipos;
		if (n)
			memmove(s->in, s->in + s->ipos, n);
		s->iend = (uint32_t)n;
		s->ipos = 0;
	}
	s->ss.wait = W_INPUT;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                 */
/* ---------------------------------------------------------------------- */

/* All but cmd, line and violations (a command line sets all three). */
SRV_INLINE void ev_clear_rest(postel_server_event *ev,
			      postel_server_event_type t)
{
	ev->type = t;
	ev->decide = 0;
	ev->esmtp = 0;
	ev->has_data = 0;
	ev->arg = postel__span(NULL, 0);
	ev->data = postel__span(NULL, 0);
	ev->size = 0;
	ev->index = 0;
	ev->count = 0;
	ev->verdict = 0;
	ev->code = 0;
}

static void ev_clear(postel_server_event *ev, postel_server_event_type t)
{
	ev_clear_rest(ev, t);
	ev->cmd = NULL;
	ev->line = postel__span(NULL, 0);
	ev->violations.n = 0;
	ev->violations.lost = 0;
}

static int decide(srv *s, postel_server_event *ev, postel_server_event_type t)
{
	ev->type = t;
	ev->decide = 1;
	s->ss.pend = (uint8_t)t;
	return 1;
}

const char *postel_server_event_name(postel_server_event_type t)
{
	static const char *const names[] = {
		"none",    "connect", "helo",       "mail",     "rcpt",
		"data",    "content", "chunk",      "message",  "auth",
		"auth-abort", "starttls", "vrfy",   "expn",     "etrn",
		"help",    "unknown", "reset",      "violation"};
	if ((unsigned)t < sizeof names / sizeof *names)
		return names[t];
	return "unknown-event";
}

/* ---------------------------------------------------------------------- */
/* Command lines                                                          */
/* ---------------------------------------------------------------------- */

static int pipelining(const srv *s)
{
	return s->ss.pipe;
}

/* Line limit for a line starting with `p` (n bytes so far): the verb
 * decides (RFC 5321 §4.5.3.1.4, RFC 1869 §4.1.2, RFC 4954 §4). Only the
 * verb is looked at; the parser checks the same limits on the line. */
static uint32_t line_limit(const srv *s, const unsigned char *p, size_t n)
{
	/* a SASL response has no verb (RFC 4954 §4) */
	if (s->ss.phase == P_SASL)
		return s->lim_auth;
	return postel__cmd_line_limit(&s->parser, p, n);
}

/* An over-long line of the authentication exchange (RFC 4954 §4): a SASL
 * response, or an AUTH command (p: the n octets of the line known). */
static int auth_exchange(const srv *s, const unsigned char *p, size_t n)
{
	return s->ss.phase == P_SASL ||
	       postel__cmd_line_verb(p, n) == POSTEL_VERB_AUTH;
}

/* Reply texts the engine uses more than once. */
#define T_SEQ_HELO "Error: send HELO/EHLO first"
#define T_SEQ_EHLO "Error: send EHLO first"
#define T_SEQ_MAIL "Error: need MAIL command"
#define T_SEQ_RCPT "Error: need RCPT command"

/* Refuse a command the engine answers itself: the reply, and a VIOLATION
 * event when the line carries violations (`v` added to them). */
static int refuse(srv *s, postel_server_event *ev, unsigned code,
		  const char *enh, const char *text, postel_violation v)
{
	if (v)
		postel__vlist_add(&ev->violations, v);
	reply(s, code, enh, text, 0);
	if (ev->violations.n) {
		ev->type = POSTEL_SERVER_EV_VIOLATION;
		return 1;
	}
	return 2;
}

/* A command line that needs no decision was answered: give its
 * violations, if any, as a VIOLATION event. */
static int answered(postel_server_event *ev)
{
	if (ev->violations.n) {
		ev->type = POSTEL_SERVER_EV_VIOLATION;
		return 1;
	}
	return 2;
}

static void tx_end(srv *s)
{
	s->ss.tx = 0;
	s->ss.rcpts = 0;
	s->ss.tx_body = 0;
	s->ss.tx_utf8 = 0;
	s->ss.tx_bdat = BDAT_NONE;
}

static int has_8bit(const postel_command *c, postel_span sp)
{
	if (!(c->flags & POSTEL_CMD_8BIT)) /* the parser saw none */
		return 0;
	for (size_t i = 0; i < sp.n; i++)
		if ((unsigned char)sp.p[i] >= 0x80)
			return 1;
	return 0;
}

/* MAIL/RCPT parameters postel does not decode are accepted only when an
 * extra EHLO keyword of the config names them. */
static int ext_params_ok(const srv *s, const postel_command *c)
{
	if (c->n_ext > c->ext_cap)
		return 0;
	for (size_t i = 0; i < c->n_ext; i++) {
		postel_span k = c->ext[i].keyword;
		int ok = 0;
		for (size_t j = 0; j < s->extra_n && !ok; j++) {
			const char *e = s->extra[j];
			size_t en = 0;
			while (e[en] && e[en] != ' ')
				en++;
			ok = upper_eq(k.p, k.n, e, en);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static postel_span mailbox_arg(const postel_command *c)
{
	if (c->mailbox.n)
		return c->mailbox;
	if (c->flags & POSTEL_CMD_POSTMASTER)
		return c->local_part;
	return postel__span(c->mailbox.p, 0);
}

/* Start a BDAT chunk whose octets must be discarded, then answered with
 * the refusal (RFC 3030 §2: "accept and discard the associated message
 * data before sending the appropriate 5XX or 4XX code"). */
enum fixed_reply {
	F_NONE = 0,
	F_BDAT_NOT_OFFERED,
	F_SEQ_EHLO,
	F_SEQ_MAIL,
	F_SEQ_RCPT,
	F_BDAT_FAILED,
	F_AUTH_REQUIRED,
	F_TLS_REQUIRED,
	F_REFUSED_503,
	F_REFUSED_521
};

static const struct {
	unsigned code;
	const char *enh, *text;
} fixed[] = {
	{0, NULL, NULL},
	/* RFC 5321 §4.2.4: recognized, not implemented (not offered) */
	{502, "5.5.1", "Error: command not implemented"},
	{503, "5.5.1", T_SEQ_EHLO},
	{503, "5.5.1", T_SEQ_MAIL},
	{503, "5.5.1", T_SEQ_RCPT},
	/* RFC 3030 §2: after a failed chunk the transaction must be reset */
	{503, "5.5.1", "Error: previous chunk failed, send RSET"},
	/* RFC 4954 §6 */
	{530, "5.7.0", "Authentication required"},
	/* RFC 3207 §4 */
	{530, "5.7.0", "Must issue a STARTTLS command first"},
	/* RFC 5321 §3.1 */
	{503, "5.5.1", "Error: session refused, send QUIT"},
	/* RFC 7504 §3 */
	{521, "5.3.2", "Server does not accept mail"},
};

static int skip_chunk(srv *s, postel_server_event *ev, enum fixed_reply f,
		      postel_violation v)
{
	if (v)
		postel__vlist_add(&ev->violations, v);
	s->ss.skip_left = ev->command.chunk_size;
	s->ss.skip_reply = (uint16_t)f;
	s->ss.phase = P_SKIP;
	return answered(ev);
}

static int fixed_reply(srv *s, postel_server_event *ev, enum fixed_reply f,
		       postel_violation v)
{
	return refuse(s, ev, fixed[f].code, fixed[f].enh, fixed[f].text, v);
}

/* Commands that RFC 4954 §6 and RFC 3207 §4 let through before
 * authentication / TLS when the config requires them. */
static enum fixed_reply policy_gate(const srv *s, postel_verb v)
{
	if (!(s->flags &
	      (POSTEL_SERVER_TLS_REQUIRED | POSTEL_SERVER_AUTH_REQUIRED)))
		return F_NONE; /* the usual config: one test */
	if ((s->flags & POSTEL_SERVER_TLS_REQUIRED) && !s->ss.tls) {
		/* RFC 3207 §4: 530 to every command other than NOOP, EHLO,
		 * STARTTLS or QUIT (LHLO is LMTP's EHLO) */
		if (v != POSTEL_VERB_NOOP && v != POSTEL_VERB_EHLO &&
		    v != POSTEL_VERB_LHLO && v != POSTEL_VERB_STARTTLS &&
		    v != POSTEL_VERB_QUIT)
			return F_TLS_REQUIRED;
	}
	if ((s->flags & POSTEL_SERVER_AUTH_REQUIRED) && !s->ss.authed) {
		/* RFC 4954 §6: any command other than AUTH, EHLO, HELO, NOOP,
		 * RSET or QUIT (and STARTTLS, which leads to AUTH) */
		switch (v) {
		case POSTEL_VERB_AUTH: case POSTEL_VERB_EHLO:
		case POSTEL_VERB_HELO: case POSTEL_VERB_LHLO:
		case POSTEL_VERB_NOOP: case POSTEL_VERB_RSET:
		case POSTEL_VERB_QUIT: case POSTEL_VERB_STARTTLS:
		case POSTEL_VERB_UNKNOWN:
			break;
		default:
			return F_AUTH_REQUIRED;
		}
	}
	return F_NONE;
}

static int cmd_mail(srv *s, postel_server_event *ev, postel_command *c)
{
	session *ss = &s->ss;
	if (ss->helo_kind == 0) {
		/* RFC 5321 §4.1.4: a client MUST greet before MAIL */
		if (!(s->lenient & POSTEL_LENIENT_NO_HELO))
			return refuse(s, ev, 503, "5.5.1", T_SEQ_HELO,
				      POSTEL_V_NO_HELO);
		postel__vlist_add(&ev->violations, POSTEL_V_NO_HELO);
	}
	if (ss->tx) /* RFC 5321 §4.1.4: no MAIL inside a transaction */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: nested MAIL command",
			      POSTEL_V_BAD_SEQUENCE);
	if (s->max_tx && ss->txs >= s->max_tx) /* RFC 9422 MAILMAX */
		return refuse(s, ev, 452, "4.5.3",
			      "Error: too many transactions in this session",
			      0);
	if (c->params & POSTEL_PARAM_BODY) {
		/* BODY values of extensions not offered: RFC 5321 §4.1.1.11
		 * (555); BINARYMIME needs CHUNKING (RFC 3030 §3) */
		if ((c->body == POSTEL_BODY_8BITMIME &&
		     !(s->ext & POSTEL_SERVER_EXT_8BITMIME)) ||
		    (c->body == POSTEL_BODY_BINARYMIME &&
		     !(s->ext & POSTEL_SERVER_EXT_BINARYMIME)))
			return refuse(s, ev, 555, "5.5.4",
				      "Error: BODY value not offered",
				      POSTEL_V_PARAM_NOT_OFFERED);
	}
	if (c->n_ext && !ext_params_ok(s, c)) /* RFC 5321 §4.1.1.11 */
		return refuse(s, ev, 555, "5.5.4",
			      "Error: parameter not recognized",
			      POSTEL_V_PARAM_NOT_OFFERED);
	if ((c->params & POSTEL_PARAM_SIZE) && s->max_size &&
	    c->size > s->max_size) /* RFC 1870 §6.1 (2) */
		return refuse(s, ev, 552, "5.3.4",
			      "Error: message size exceeds fixed limit",
			      POSTEL_V_SIZE_OVER_LIMIT);
	if (!(c->params & POSTEL_PARAM_SMTPUTF8) && has_8bit(c, c->path))
		/* RFC 6531 §3.5: a non-ASCII MAIL address is 550 X.6.7 */
		return refuse(s, ev, 550, "5.6.7",
			      "Error: non-ASCII address needs SMTPUTF8",
			      POSTEL_V_UTF8_ADDRESS);
	ss->pend_body = c->params & POSTEL_PARAM_BODY ? c->body : 0;
	ss->pend_utf8 = (c->params & POSTEL_PARAM_SMTPUTF8) != 0;
	ev->arg = mailbox_arg(c);
	return decide(s, ev, POSTEL_SERVER_EV_MAIL);
}

static int cmd_rcpt(srv *s, postel_server_event *ev, postel_command *c)
{
	session *ss = &s->ss;
	if (!ss->tx) /* RFC 5321 §3.3, §4.1.4 */
		return refuse(s, ev, 503, "5.5.1", T_SEQ_MAIL,
			      POSTEL_V_BAD_SEQUENCE);
	if (ss->tx_bdat) /* recipients are before the content (§3.3) */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: RCPT after message data",
			      POSTEL_V_BAD_SEQUENCE);
	if (c->n_ext && !ext_params_ok(s, c)) /* RFC 5321 §4.1.1.11 */
		return refuse(s, ev, 555, "5.5.4",
			      "Error: parameter not recognized",
			      POSTEL_V_PARAM_NOT_OFFERED);
	if (ss->rcpts >= s->max_rcpt) /* RFC 5321 §4.5.3.1.10 */
		return refuse(s, ev, 452, "4.5.3", "Error: too many recipients",
			      0);
	if (!ss->tx_utf8 && has_8bit(c, c->path))
		/* RFC 6531 §3.5: a non-ASCII RCPT address is 553 X.6.7 */
		return refuse(s, ev, 553, "5.6.7",
			      "Error: non-ASCII address needs SMTPUTF8",
			      POSTEL_V_UTF8_ADDRESS);
	ev->arg = mailbox_arg(c);
	ev->index = ss->rcpts;
	return decide(s, ev, POSTEL_SERVER_EV_RCPT);
}

static int cmd_data(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	if (!ss->tx) /* RFC 5321 §3.3 */
		return refuse(s, ev, 503, "5.5.1", T_SEQ_MAIL,
			      POSTEL_V_BAD_SEQUENCE);
	if (ss->tx_bdat) /* RFC 3030 §2: DATA after BDAT is 503 */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: DATA after BDAT, send RSET",
			      POSTEL_V_BDAT_DATA_MIX);
	if (ss->tx_body == POSTEL_BODY_BINARYMIME) /* RFC 3030 §3 */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: BINARYMIME needs BDAT",
			      POSTEL_V_BINARYMIME_DATA);
	if (ss->rcpts == 0) /* RFC 5321 §3.3, RFC 2920 §3.2 (3) */
		return refuse(s, ev, 503, "5.5.1", T_SEQ_RCPT,
			      POSTEL_V_BAD_SEQUENCE);
	return decide(s, ev, POSTEL_SERVER_EV_DATA);
}

static postel_data_body data_body(uint8_t b)
{
	return b == POSTEL_BODY_8BITMIME     ? POSTEL_DATA_BODY_8BITMIME
	       : b == POSTEL_BODY_BINARYMIME ? POSTEL_DATA_BODY_BINARYMIME
					     : POSTEL_DATA_BODY_7BIT;
}

static void data_config(const srv *s, postel_data_config *dc)
{
	dc->lenient = s->lenient;
	dc->max_line = s->max_data_line;
	dc->max_size = s->max_size;
	dc->body = data_body(s->ss.tx_body);
}

static int cmd_bdat(srv *s, postel_server_event *ev, postel_command *c)
{
	session *ss = &s->ss;
	enum fixed_reply f = policy_gate(s, POSTEL_VERB_BDAT);
	/* Every refused BDAT still has its octets consumed (RFC 3030 §2), so
	 * chunk data is never read as commands. */
	if (!(s->ext & POSTEL_SERVER_EXT_CHUNKING))
		return skip_chunk(s, ev, F_BDAT_NOT_OFFERED,
				  POSTEL_V_COMMAND_NOT_OFFERED);
	if (ss->helo_kind != 2)
		return skip_chunk(s, ev, F_SEQ_EHLO, POSTEL_V_BAD_SEQUENCE);
	if (f)
		return skip_chunk(s, ev, f, 0);
	if (!ss->tx)
		return skip_chunk(s, ev, F_SEQ_MAIL, POSTEL_V_BAD_SEQUENCE);
	if (ss->rcpts == 0)
		return skip_chunk(s, ev, F_SEQ_RCPT, POSTEL_V_BAD_SEQUENCE);
	if (ss->tx_bdat == BDAT_FAILED)
		return skip_chunk(s, ev, F_BDAT_FAILED, POSTEL_V_BAD_SEQUENCE);
	if (ss->tx_bdat == BDAT_NONE) {
		postel_data_config dc;
		data_config(s, &dc);
		postel_data_decoder_init_bdat(&s->dec, &dc);
		ss->tx_bdat = BDAT_ON;
	}
	ss->last = (c->flags & POSTEL_CMD_BDAT_LAST) != 0;
	ss->chunk = c->chunk_size;
	postel_data_bdat_chunk(&s->dec, c->chunk_size, ss->last);
	ss->phase = P_BDAT;
	return answered(ev);
}

static int cmd_auth(srv *s, postel_server_event *ev, postel_command *c)
{
	session *ss = &s->ss;
	if (!auth_offered(s, ss->tls)) /* RFC 5321 §4.2.4 */
		return fixed_reply(s, ev, F_BDAT_NOT_OFFERED,
				   POSTEL_V_COMMAND_NOT_OFFERED);
	if (ss->helo_kind != 2)
		return refuse(s, ev, 503, "5.5.1", T_SEQ_EHLO,
			      POSTEL_V_BAD_SEQUENCE);
	if (ss->authed) /* RFC 4954 §4: only one successful AUTH */
		return refuse(s, ev, 503, "5.5.1", "Error: already authenticated",
			      POSTEL_V_BAD_SEQUENCE);
	if (ss->tx) /* RFC 4954 §4: not during a mail transaction */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: AUTH not permitted during a mail "
			      "transaction",
			      POSTEL_V_BAD_SEQUENCE);
	/* RFC 4954 §4: a mechanism not offered is 504 (5.5.4) */
	int known = 0;
	for (size_t i = 0; i < s->mechs_n && !known;) {
		size_t j = i;
		while (j < s->mechs_n && s->mechs[j] != ' ')
			j++;
		known = upper_eq(c->mechanism.p, c->mechanism.n, s->mechs + i,
				 j - i);
		i = j + 1;
	}
	if (!known)
		return refuse(s, ev, 504, "5.5.4",
			      "Error: unrecognized authentication type", 0);
	ev->arg = c->mechanism;
	if (c->initial_response.p) {
		ev->has_data = 1;
		if (c->flags & POSTEL_CMD_AUTH_EMPTY) {
			/* "=": present and empty (RFC 4954 §4) */
			ev->data = postel__span(c->initial_response.p, 0);
		} else {
			unsigned char *p = (unsigned char *)(uintptr_t)
						   c->initial_response.p;
			long k = b64_decode_inplace(p, c->initial_response.n);
			if (k < 0) /* RFC 4954 §4: 501 5.5.2 */
				return refuse(s, ev, 501, "5.5.2",
					      "Error: cannot decode response",
					      POSTEL_V_SASL_BAD_BASE64);
			ev->data = postel__span((const char *)p, (size_t)k);
		}
	}
	ss->auth_step = 0;
	ev->index = 0;
	return decide(s, ev, POSTEL_SERVER_EV_AUTH);
}

static int cmd_starttls(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	if (ss->tls) /* RFC 3207 §4.2: not offered after TLS */
		return refuse(s, ev, 503, "5.5.1", "Error: TLS already active",
			      POSTEL_V_BAD_SEQUENCE);
	if (!(s->ext & POSTEL_SERVER_EXT_STARTTLS)) /* RFC 5321 §4.2.4 */
		return fixed_reply(s, ev, F_BDAT_NOT_OFFERED,
				   POSTEL_V_COMMAND_NOT_OFFERED);
	if (ss->helo_kind != 2)
		return refuse(s, ev, 503, "5.5.1", T_SEQ_EHLO,
			      POSTEL_V_BAD_SEQUENCE);
	if (ss->tx) /* the transaction would be lost (RFC 3207 §4.2) */
		return refuse(s, ev, 503, "5.5.1",
			      "Error: MAIL transaction in progress",
			      POSTEL_V_BAD_SEQUENCE);
	return decide(s, ev, POSTEL_SERVER_EV_STARTTLS);
}

/* A refused session or a policy gate (ss->gated): the answer to a
 * command line that does not go on to its verb (1 with an event, 2), or
 * 0 when it does. */
SRV_OUTLINE int gated(srv *s, postel_server_event *ev, const postel_command *c,
		      postel_status pst)
{
	session *ss = &s->ss;
	postel_verb v = c->verb;
	/* RFC 5321 §3.1 / RFC 7504 §3: after a 554 (521) greeting, every
	 * command but QUIT gets 503 (521) */
	if (ss->refused && !(pst == POSTEL_OK && v == POSTEL_VERB_QUIT))
		return fixed_reply(s, ev,
				   ss->refused == 1 ? F_REFUSED_503
						    : F_REFUSED_521,
				   0);
	if (pst != POSTEL_OK)
		return 0;
	enum fixed_reply gate = policy_gate(s, v);
	if (gate && v != POSTEL_VERB_BDAT)
		return fixed_reply(s, ev, gate, 0);
	return 0;
}

/* Dispatch one complete, parsed command line. Returns 1 with an event,
 * 2 to go on. */
static int command(srv *s, postel_server_event *ev, postel_command *c,
		   postel_status pst)
{
	session *ss = &s->ss;
	postel_verb v = c->verb;
	int lmtp;

	int r;
	if (ss->gated && (r = gated(s, ev, c, pst)) != 0)
		return r;
	if (pst != POSTEL_OK) {
		if (c->error == POSTEL_CMD_E_UNKNOWN) {
			/* RFC 5321 §4.2.4: the application may implement
			 * private commands; the default is 500 */
			ev->arg = c->verb_text;
			return decide(s, ev, POSTEL_SERVER_EV_UNKNOWN);
		}
		unsigned code;
		const char *enh, *text;
		postel_command_error_reply(c->error, v, &code, &enh, &text);
		if (c->error == POSTEL_CMD_E_UTF8 && v == POSTEL_VERB_MAIL)
			code = 550; /* RFC 6531 §3.5: MAIL gets 550 X.6.7 */
		/* RFC 2034 §3 (4): no enhanced code on HELO/EHLO replies.
		 * A BDAT line that does not parse has no trustworthy size:
		 * what follows is read as commands (RFC 3030 §2 "lexical
		 * parsers MUST be prepared to ... reject lines of arbitrary
		 * octets"). */
		reply(s, code, enh, text,
		      (v == POSTEL_VERB_HELO || v == POSTEL_VERB_EHLO ||
		       v == POSTEL_VERB_LHLO)
			      ? R_NOENH
			      : 0);
		ev->type = POSTEL_SERVER_EV_VIOLATION;
		return 1;
	}

	switch (v) {
	case POSTEL_VERB_HELO:
	case POSTEL_VERB_EHLO:
	case POSTEL_VERB_LHLO:
		lmtp = (s->flags & POSTEL_SERVER_LMTP) != 0;
		if (lmtp != (v == POSTEL_VERB_LHLO)) {
			/* RFC 2033 §4.1: HELO and EHLO are not present in
			 * LMTP (500 recommended); LHLO is not an SMTP
			 * command (RFC 5321 §4.2.4: 500) */
			return refuse(s, ev, 500, lmtp ? "5.5.1" : "5.5.2",
				      lmtp ? "Error: use LHLO"
					   : "Error: command not recognized",
				      POSTEL_V_UNKNOWN_VERB);
		}
		/* RFC 5321 §4.1.4: HELO/EHLO clear any transaction */
		tx_end(s);
		ss->pend_esmtp = v != POSTEL_VERB_HELO;
		ev->esmtp = ss->pend_esmtp;
		ev->arg = c->arg;
		ss->pend_off = (uint32_t)((const unsigned char *)c->arg.p -
					  s->in);
		ss->pend_len = (uint32_t)c->arg.n;
		return decide(s, ev, POSTEL_SERVER_EV_HELO);
	case POSTEL_VERB_MAIL:
		return cmd_mail(s, ev, c);
	case POSTEL_VERB_RCPT:
		return cmd_rcpt(s, ev, c);
	case POSTEL_VERB_DATA:
		return cmd_data(s, ev);
	case POSTEL_VERB_BDAT:
		return cmd_bdat(s, ev, c);
	case POSTEL_VERB_RSET: /* RFC 5321 §4.1.1.5 */
		REPLY(s, 250, "2.0.0", "Ok", 0);
		if (ss->tx) {
			tx_end(s);
			ev->type = POSTEL_SERVER_EV_RESET;
			return 1;
		}
		return answered(ev);
	case POSTEL_VERB_NOOP: /* RFC 5321 §4.1.1.9 */
		REPLY(s, 250, "2.0.0", "Ok", R_FLUSH);
		return answered(ev);
	case POSTEL_VERB_QUIT: /* RFC 5321 §4.1.1.10 */
		if (HOST_LINE(s, 221, "2.0.0",
			      "Service closing transmission channel"))
			ss->closing = 1;
		return answered(ev);
	case POSTEL_VERB_VRFY:
		ev->arg = c->arg;
		return decide(s, ev, POSTEL_SERVER_EV_VRFY);
	case POSTEL_VERB_EXPN:
		ev->arg = c->arg;
		return decide(s, ev, POSTEL_SERVER_EV_EXPN);
	case POSTEL_VERB_HELP:
		ev->arg = c->arg;
		return decide(s, ev, POSTEL_SERVER_EV_HELP);
	case POSTEL_VERB_ETRN:
		if (!(s->ext & POSTEL_SERVER_EXT_ETRN)) /* RFC 5321 §4.2.4 */
			return fixed_reply(s, ev, F_BDAT_NOT_OFFERED,
					   POSTEL_V_COMMAND_NOT_OFFERED);
		if (ss->helo_kind != 2)
			return refuse(s, ev, 503, "5.5.1", T_SEQ_EHLO,
				      POSTEL_V_BAD_SEQUENCE);
		ev->arg = c->arg;
		return decide(s, ev, POSTEL_SERVER_EV_ETRN);
	case POSTEL_VERB_STARTTLS:
		return cmd_starttls(s, ev);
	case POSTEL_VERB_AUTH:
		return cmd_auth(s, ev, c);
	default:
		ev->arg = c->verb_text;
		return decide(s, ev, POSTEL_SERVER_EV_UNKNOWN);
	}
}

/* Input that arrived before it was allowed: before the greeting was sent
 * (RFC 5321 §4.3.1), or a second command before the reply to the first
 * without PIPELINING (RFC 2920 §3.1). Strict: 554 5.5.0 and close, as
 * Postfix's early-talker check; lenient: reported once. Returns 1 with a
 * VIOLATION event, 0 when nothing is wrong. */
static int early_talk(srv *s, postel_server_event *ev, postel_violation v)
{
	session *ss = &s->ss;
	if (ss->talk_seen && (s->lenient & POSTEL_LENIENT_EARLY_TALKER))
		return 0;
	ss->talk_seen = 1;
	ev_clear(ev, POSTEL_SERVER_EV_VIOLATION);
	postel__vlist_add(&ev->violations, v);
	ev->data = postel__span((const char *)s->in + s->ipos,
				s->iend - s->ipos);
	if (!(s->lenient & POSTEL_LENIENT_EARLY_TALKER)) {
		reply(s, 554, "5.5.0",
		      "Error: SMTP protocol synchronization", R_HOST | R_CLOSE);
		ss->err = POSTEL_E_PROTOCOL;
	}
	return 1;
}

/* The first LF in [p, end), or NULL. Command lines are a few dozen
 * octets: 16 at a time in line, never reading outside [lo, end) (the last
 * block overlaps the one before, whose octets hold no LF; a short rest
 * reads the received octets before p, [lo, p), too), instead of a library
 * call for every line. */
SRV_INLINE const unsigned char *find_lf(const unsigned char *lo,
					const unsigned char *p,
					const unsigned char *end)
{
#ifdef SRV_SSE2
	if (end - p < 16 && end - lo >= 16) {
		/* the last line of the input, shorter than a block */
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			_mm_loadu_si128(
				(const __m128i *)(const void *)(end - 16)),
			_mm_set1_epi8('\n')));
		m >>= 16 - (end - p);
		return m ? p + postel__ctz32(m) : NULL;
	}
	if (end - p >= 16) {
		const __m128i lf = _mm_set1_epi8('\n');
		unsigned m;
		for (;;) {
			const __m128i *b = (const __m128i *)(const void *)p;
			m = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(_mm_loadu_si128(b), lf));
			if (m)
				return p + postel__ctz32(m);
			p += 16;
			if (end - p < 16)
				break;
		}
		if (p == end)
			return NULL;
		p = end - 16;
		m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)p), lf));
		return m ? p + postel__ctz32(m) : NULL;
	}
#endif
	(void)lo; /* read by the SIMD scan only */
	return memchr(p, '\n', (size_t)(end - p));
}

/* Drop the rest of an over-long line: 0 when more input is needed, -1
 * when it ended (its bytes are gone). */
SRV_COLD long discard_line(srv *s)
{
	const unsigned char *p = s->in + s->ipos;
	const unsigned char *lf = memchr(p, '\n', s->iend - s->ipos);
	if (!lf) {
		s->ipos = s->iend;
		return 0;
	}
	s->ipos += (uint32_t)(lf - p + 1);
	s->ss.discarding = 0;
	return -1;
}

/* No line end in [ipos, iend) (not discarding): more input is needed;
 * an over-long line starts to be dropped as it comes. */
SRV_OUTLINE int no_line(srv *s)
{
	session *ss = &s->ss;
	const unsigned char *p = s->in + s->ipos;
	size_t n = s->iend - s->ipos;
	/* the line is at least n + 1 octets long */
	if (n + 1 > line_limit(s, p, n)) {
		ss->discarding = (uint8_t)(1 + auth_exchange(s, p, n));
		ss->scan = 0;
		s->ipos = s->iend;
	} else {
		ss->scan = (uint32_t)n;
	}
	return need_input(s);
}

/* An over-long line (its octets are gone): the parser's reply for it,
 * RFC 5321 §4.5.3.1.9 "500 Line too long" (5.5.2), RFC 4954 §4 500 5.5.6
 * in an authentication exchange, so that the answer is the same whether
 * the engine or the parser finds the line too long. */
SRV_COLD int line_too_long(srv *s, postel_server_event *ev, int auth)
{
	session *ss = &s->ss;
	unsigned code;
	const char *enh, *text;
	ev_clear(ev, POSTEL_SERVER_EV_VIOLATION);
	postel__vlist_add(&ev->violations, auth ? POSTEL_V_AUTH_LINE_TOO_LONG
						: POSTEL_V_LINE_TOO_LONG);
	postel_command_error_reply(POSTEL_CMD_E_LINE_TOO_LONG,
				   auth ? POSTEL_VERB_AUTH
					: POSTEL_VERB_UNKNOWN,
				   &code, &enh, &text);
	if (ss->phase == P_SASL) {
		ss->phase = P_CMD;
		ev->type = POSTEL_SERVER_EV_AUTH_ABORT;
		reply(s, code, enh, text, R_FLUSH);
		return 1;
	}
	reply(s, code, enh, text, 0);
	return 1;
}

static int do_line(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	if (out_room(s) < s->reserve) {
		ss->wait = W_ROOM;
		return 0;
	}
	long len;
	if (ss->early || ss->discarding) { /* rare: one test for both */
		if (ss->early) {
			ss->early = 0;
			if (early_talk(s, ev, POSTEL_V_EARLY_TALKER))
				return 1;
		}
		if (ss->discarding) {
			int auth = ss->discarding == 2;
			len = discard_line(s);
			return len == 0 ? need_input(s)
					: line_too_long(s, ev, auth);
		}
	}
	/* the next complete line: [ipos, lf] */
	const unsigned char *p = s->in + s->ipos;
	const unsigned char *lf = find_lf(s->in, p + ss->scan, s->in + s->iend);
	if (!lf)
		return no_line(s);
	ss->scan = 0;
	size_t le = (size_t)(lf - p); /* without the LF */
	len = (long)le + 1;
	s->ipos += (uint32_t)len;
	if ((uint32_t)len > s->lim_line &&
	    (uint32_t)len > line_limit(s, p, (size_t)len))
		/* the same answer as for a line dropped while it arrived, so
		 * the result does not depend on how the bytes came in */
		return line_too_long(s, ev, auth_exchange(s, p, (size_t)len));
	ev_clear_rest(ev, POSTEL_SERVER_EV_VIOLATION); /* cmd: below */
	const char *line = (const char *)p;
	if (le && line[le - 1] == '\r')
		le--;
	ev->line = postel__span(line, le);

	size_t used; /* (written by the parser, not needed here) */

	if (ss->phase == P_SASL) {
		postel_sasl_response r;
		ev->cmd = NULL;
		postel_status st = postel_command_parse_sasl(
			&s->parser, line, (size_t)len, &r, &used);
		ev->violations = r.violations;
		if (st == POSTEL_OK && r.cancel) {
			/* RFC 4954 §4: "*" cancels; the server MUST reply
			 * 501 */
			ss->phase = P_CMD;
			ev->type = POSTEL_SERVER_EV_AUTH_ABORT;
			REPLY(s, 501, "5.7.0", "Authentication aborted",
			      R_FLUSH);
			return 1;
		}
		long k = st == POSTEL_OK ? b64_decode_inplace(
						   (unsigned char *)(uintptr_t)
							   r.data.p,
						   r.data.n)
					 : -1;
		if (k < 0) {
			/* RFC 4954 §4: undecodable response: 501 5.5.2 */
			if (!ev->violations.n)
				postel__vlist_add(&ev->violations,
						  POSTEL_V_SASL_BAD_BASE64);
			ss->phase = P_CMD;
			ev->type = POSTEL_SERVER_EV_AUTH_ABORT;
			REPLY(s, 501, "5.5.2", "Error: cannot decode response",
			      R_FLUSH);
			return 1;
		}
		ev->has_data = 1;
		ev->data = postel__span(r.data.p, (size_t)k);
		ev->index = ++ss->auth_step;
		return decide(s, ev, POSTEL_SERVER_EV_AUTH);
	}

	postel_command *c = &ev->command;
	c->ext = ev->ext;
	c->ext_cap = POSTEL_SERVER_EXT_PARAMS;
	postel_status st = postel_command_parse(&s->parser, line, (size_t)len, c,
						&used);
	if (st != POSTEL_OK && st != POSTEL_INVALID) {
		/* a complete line always parses; keep the contract anyway */
		c->error = POSTEL_CMD_E_SYNTAX;
		c->verb = POSTEL_VERB_UNKNOWN;
		st = POSTEL_INVALID;
	}
	ev->cmd = c;
	ev->violations = c->violations;

	/* RFC 2920 §3.1 / RFC 5321 §4.3.1: without PIPELINING the client
	 * waits for each reply; EHLO/LHLO itself may announce it */
	if (!pipelining(s) && s->iend > s->ipos &&
	    !((s->ext & POSTEL_SERVER_EXT_PIPELINING) &&
	      (c->verb == POSTEL_VERB_EHLO || c->verb == POSTEL_VERB_LHLO)) &&
	    !(c->verb == POSTEL_VERB_BDAT && st == POSTEL_OK) &&
	    c->verb != POSTEL_VERB_QUIT) {
		int lenient = (s->lenient & POSTEL_LENIENT_EARLY_TALKER) != 0;
		if (!ss->talk_seen || !lenient) {
			ss->talk_seen = 1;
			postel__vlist_add(&ev->violations,
					  POSTEL_V_UNSOLICITED_PIPELINING);
			if (!lenient) {
				reply(s, 554, "5.5.0",
				      "Error: SMTP protocol synchronization",
				      R_HOST | R_CLOSE);
				ss->err = POSTEL_E_PROTOCOL;
				ev->type = POSTEL_SERVER_EV_VIOLATION;
				return 1;
			}
		}
	}
	return command(s, ev, c, st);
}

/* ---------------------------------------------------------------------- */
/* Content and end of message                                             */
/* ---------------------------------------------------------------------- */

/* The decoder lists a message's violations in the order it met them,
 * which depends on how the content arrived (the size limit can pass
 * before or after a bare LF); events carry them sorted, so they do not. */
static void vlist_sort(postel_violation_list *v)
{
	for (unsigned i = 1; i < v->n; i++)
		for (unsigned j = i; j > 0 && v->id[j - 1] > v->id[j]; j--) {
			uint16_t t = v->id[j];
			v->id[j] = v->id[j - 1];
			v->id[j - 1] = t;
		}
}

static int do_content(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	for (;;) {
		postel_data_event de;
		size_t used = 0;
		postel_data_decode(&s->dec, (const char *)s->in + s->ipos,
				   s->iend - s->ipos, &de, &used);
		s->ipos += (uint32_t)used;
		switch (de.type) {
		case POSTEL_DATA_CONTENT:
			ev_clear(ev, POSTEL_SERVER_EV_CONTENT);
			ev->data = de.content;
			ev->size = de.offset;
			return 1;
		case POSTEL_DATA_SIZE_EXCEEDED:
			continue; /* content is dropped from now on */
		case POSTEL_DATA_NEED_MORE:
			return need_input(s);
		case POSTEL_DATA_CHUNK_END: {
			/* RFC 3030 §2: each chunk gets its reply */
			ss->phase = P_CMD;
			ev_clear(ev, POSTEL_SERVER_EV_CHUNK);
			ev->size = ss->chunk;
			ev->violations = de.result->violations;
			vlist_sort(&ev->violations);
			if (de.result->verdict == POSTEL_DATA_ACCEPT)
				return decide(s, ev, POSTEL_SERVER_EV_CHUNK);
			unsigned code;
			const char *enh, *text;
			postel_data_verdict_reply(de.result->verdict, &code,
						  &enh, &text);
			ev->verdict = de.result->verdict;
			ev->code = code;
			reply(s, code, enh, text, 0);
			ss->tx_bdat = BDAT_FAILED;
			return 1;
		}
		case POSTEL_DATA_END:
		default:
			ss->phase = P_MSG;
			ss->msg_i = 0;
			ss->msg_told = 0;
			ss->verdict = de.result ? de.result->verdict : 0;
			ss->msg_v = de.result ? de.result->violations
					      : ss->msg_v;
			vlist_sort(&ss->msg_v);
			ss->chunk = de.result ? de.result->size : 0;
			/* RFC 2920 §3.1: without PIPELINING the client waits
			 * for the reply to the final dot */
			if (s->iend > s->ipos && !pipelining(s)) {
				int lenient = (s->lenient &
					       POSTEL_LENIENT_EARLY_TALKER) != 0;
				if (!ss->talk_seen || !lenient) {
					ss->talk_seen = 1;
					postel__vlist_add(
						&ss->msg_v,
						POSTEL_V_UNSOLICITED_PIPELINING);
				}
			}
			return 2;
		}
	}
}

static uint32_t msg_count(const srv *s)
{
	/* RFC 2033 §4.2: one reply per accepted recipient */
	return (s->flags & POSTEL_SERVER_LMTP) ? s->ss.rcpts : 1;
}

static int do_msg(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	uint32_t count = msg_count(s);
	if (out_room(s) < s->reserve) {
		ss->wait = W_ROOM;
		return 0;
	}
	if (ss->msg_i >= count) {
		tx_end(s);
		ss->phase = P_CMD;
		return 2;
	}
	ev_clear(ev, POSTEL_SERVER_EV_MESSAGE);
	ev->size = ss->chunk;
	ev->count = count;
	ev->index = ss->msg_i;
	ev->verdict = ss->verdict;
	if (ss->msg_i == 0)
		ev->violations = ss->msg_v;
	if (ss->verdict == POSTEL_DATA_ACCEPT)
		return decide(s, ev, POSTEL_SERVER_EV_MESSAGE);
	/* The content is unacceptable (size over the limit, bare line ends
	 * ...): the engine answers, for every recipient in LMTP. */
	unsigned code;
	const char *enh, *text;
	postel_data_verdict_reply((postel_data_verdict)ss->verdict, &code,
				  &enh, &text);
	reply(s, code, enh, text, 0);
	ss->msg_i++;
	if (ss->msg_told)
		return 2;
	ss->msg_told = 1;
	ev->code = code;
	return 1;
}

static int do_skip(srv *s)
{
	session *ss = &s->ss;
	size_t n = s->iend - s->ipos;
	if (ss->skip_left) {
		if ((uint64_t)n > ss->skip_left)
			n = (size_t)ss->skip_left;
		s->ipos += (uint32_t)n;
		ss->skip_left -= n;
		if (ss->skip_left)
			return need_input(s);
	}
	if (out_room(s) < s->reserve) {
		ss->wait = W_ROOM;
		return 0;
	}
	enum fixed_reply f = (enum fixed_reply)ss->skip_reply;
	ss->phase = P_CMD;
	reply(s, fixed[f].code, fixed[f].enh, fixed[f].text, 0);
	return 2;
}

/* ---------------------------------------------------------------------- */
/* next                                                                   */
/* ---------------------------------------------------------------------- */

/* Whether there is work now (no answer, output or input awaited); what
 * was awaited is over when there is. */
SRV_INLINE int ready(srv *s)
{
	session *ss = &s->ss;
	if (ss->pend || ss->closing)
		return 0;
	switch (ss->wait) {
	case W_NONE: return 1;
	case W_ROOM:
		if (out_room(s) < s->reserve)
			return 0;
		break;
	case W_FLUSH:
		if (out_pending(s))
			return 0;
		break;
	default: return 0;
	}
	if (ss->phase == P_CLOSED || ss->phase == P_TLS)
		return 0;
	ss->wait = W_NONE;
	return 1;
}

/* The work of next() once ready(). */
SRV_INLINE int work(srv *s, postel_server_event *ev)
{
	session *ss = &s->ss;
	for (;;) {
		int r;
		switch (ss->phase) {
		case P_CONNECT:
			ev_clear(ev, POSTEL_SERVER_EV_CONNECT);
			return decide(s, ev, POSTEL_SERVER_EV_CONNECT);
		case P_CMD:
		case P_SASL:
			r = do_line(s, ev);
			break;
		case P_DATA:
		case P_BDAT:
			r = do_content(s, ev);
			break;
		case P_SKIP:
			r = do_skip(s);
			break;
		case P_MSG:
			r = do_msg(s, ev);
			break;
		case P_INJECT:
			/* RFC 3207 §4 / CVE-2011-0411: what followed STARTTLS
			 * is dropped, never read after the handshake */
			ev_clear(ev, POSTEL_SERVER_EV_VIOLATION);
			postel__vlist_add(&ev->violations,
					  POSTEL_V_STARTTLS_INJECTION);
			ev->data = postel__span((const char *)s->in + s->iend -
							ss->inject_n,
						ss->inject_n);
			ss->phase = P_TLS;
			return 1;
		default:
			return 0;
		}
		if (r != 2 || !ready(s))
			return r == 2 ? 0 : r;
	}
}

/* Kept out of postel_server_next() so that a call with nothing to do
 * does not set up its frame; in_call is known clear here. */
SRV_OUTLINE int step(srv *s, postel_server_event *ev)
{
#ifndef NDEBUG
	s->ss.in_call = 1; /* the guard of internal.h */
#endif
	int r = work(s, ev);
	POSTEL__LEAVE(s->ss.in_call);
	return r;
}

/* next() when something holds work up (busy): return before any work is
 * set up unless ready() says it is over. */
SRV_OUTLINE int next_held(srv *s, postel_server_event *ev)
{
	if (!ready(s))
		return 0;
	assert(!s->ss.in_call); /* no call on an engine from inside one */
	return step(s, ev);
}

int postel_server_next(postel_server *ps, postel_server_event *ev)
{
	if (!ps || !ev)
		return 0;
	srv *s = S(ps);
	if (s->ss.busy)
		return next_held(s, ev);
	return step(s, ev);
}

/* ---------------------------------------------------------------------- */
/* Answers                                                                */
/* ---------------------------------------------------------------------- */

/* Room for the longest default line (VRFY's), in 16-octet blocks. */
#define LINE_PAD 80

typedef struct defaults {
	unsigned ok_code;
	const char *ok_enh, *ok_text;
	unsigned no_code;
	const char *no_enh, *no_text;
	uint8_t ok_en, ok_tn, no_en, no_tn;
	/* the whole default lines [accept, reject][without, with the
	 * enhanced code], zero-padded to whole 16-octet blocks (which one
	 * is sent: ACC_UE) */
	char line[2][2][LINE_PAD];
	uint8_t ln[2][2];
} defaults;

/* Whether the line with the enhanced code is the one sent when
 * ENHANCEDSTATUSCODES is on: when there is one, not for 3xx (RFC 2034
 * §4). */
#define ACC_UE(code, enh) (sizeof(enh "") > 1 && (code) / 100 != 3)

/* Literal strings with their lengths (NULL enhanced codes: length 0). */
#define D_LINE(c, t) #c " " t "\r\n"
#define D_LINE_ENH(c, e, t) #c " " e " " t "\r\n"
#define D(oc, oe, ot, nc, ne, nt)                                              \
	{oc,                                                                   \
	 oe,                                                                   \
	 ot,                                                                   \
	 nc,                                                                   \
	 ne,                                                                   \
	 nt,                                                                   \
	 sizeof(oe "") - 1,                                                    \
	 sizeof(ot) - 1,                                                       \
	 sizeof(ne "") - 1,                                                    \
	 sizeof(nt) - 1,                                                       \
	 {{D_LINE(oc, ot), D_LINE_ENH(oc, oe, ot)},                            \
	  {D_LINE(nc, nt), D_LINE_ENH(nc, ne, nt)}},                           \
	 {{sizeof(D_LINE(oc, ot)) - 1, sizeof(D_LINE_ENH(oc, oe, ot)) - 1},    \
	  {sizeof(D_LINE(nc, nt)) - 1, sizeof(D_LINE_ENH(nc, ne, nt)) - 1}}}

/* The default replies, one X(event, accept code, enhanced code, text,
 * reject code, enhanced code, text) each. */
#define DEFAULTS(X)                                                            \
	/* RFC 5321 §3.1, §4.2.3 (the hostname is put first) */               \
	X(CONNECT, 220, "", "ESMTP", 554, "", "No SMTP service here")          \
	/* RFC 5321 §4.1.1.1 (no enhanced codes: RFC 2034 §3 (4)) */          \
	X(HELO, 250, "", "", 550, "", "Error: access denied")                  \
	/* RFC 3463: X.1.0 other address status, X.7.1 not authorized */      \
	X(MAIL, 250, "2.1.0", "Ok", 550, "5.7.1", "Error: sender rejected")    \
	/* X.1.5 destination address valid, X.1.1 bad mailbox */             \
	X(RCPT, 250, "2.1.5", "Ok", 550, "5.1.1",                              \
	  "Error: recipient rejected")                                         \
	/* RFC 5321 §4.2.2 354; 554 transaction failed */                     \
	X(DATA, 354, "", "End data with <CR><LF>.<CR><LF>", 554, "5.5.0",      \
	  "Error: transaction failed")                                         \
	/* RFC 3030 §4.1: "250 <n> octets received" */                        \
	X(CHUNK, 250, "2.0.0", "octets received", 554, "5.0.0",                \
	  "Error: transaction failed")                                         \
	/* RFC 5321 §4.2.5 */                                                 \
	X(MESSAGE, 250, "2.0.0", "Ok: queued", 554, "5.0.0",                   \
	  "Error: transaction failed")                                         \
	/* RFC 4954 §6 */                                                     \
	X(AUTH, 235, "2.7.0", "Authentication successful", 535, "5.7.8",       \
	  "Authentication credentials invalid")                                \
	/* RFC 3207 §4 */                                                     \
	X(STARTTLS, 220, "2.0.0", "Ready to start TLS", 454, "4.7.0",          \
	  "TLS not available due to temporary reason")                         \
	/* RFC 5321 §3.5.3 */                                                 \
	X(VRFY, 252, "2.5.0",                                                  \
	  "Cannot VRFY user, but will accept message and attempt delivery",    \
	  550, "5.1.1", "Error: user unknown")                                 \
	X(EXPN, 252, "2.5.0", "Cannot EXPN list", 502, "5.5.1",                \
	  "Error: command not implemented")                                    \
	/* RFC 1985 §5 */                                                     \
	X(ETRN, 250, "2.0.0", "Queuing started", 458, "4.0.0",                 \
	  "Unable to queue messages")                                          \
	/* RFC 5321 §4.1.1.8 */                                               \
	X(HELP, 214, "2.0.0",                                                  \
	  "See RFC 5321 (https://www.rfc-editor.org/rfc/rfc5321)", 502,        \
	  "5.5.1", "Error: HELP not available")                                \
	/* RFC 5321 §4.2.4: 500 for an unrecognized command; RFC 3463 §3.6   \
	 * X.5.2 "... or the command is unrecognized" */                     \
	X(UNKNOWN, 500, "5.5.2", "Error: command not recognized", 500,         \
	  "5.5.2", "Error: command not recognized")

#define D_ENTRY(ev, oc, oe, ot, nc, ne, nt)                                    \
	[POSTEL_SERVER_EV_##ev] = D(oc, oe, ot, nc, ne, nt),
static const defaults dflt[] = {DEFAULTS(D_ENTRY)};

/* Events whose default replies are fixed lines (the greeting and HELO
 * replies carry the hostname, the chunk reply its size). */
#define STATIC_DEFAULTS                                                        \
	(~0u & ~(1u << POSTEL_SERVER_EV_CONNECT | 1u << POSTEL_SERVER_EV_HELO |  \
		 1u << POSTEL_SERVER_EV_CHUNK))

/* Static events whose default accept line is positive (all but
 * UNKNOWN's 500). */
#define POSITIVE_DEFAULTS                                                      \
	(STATIC_DEFAULTS & ~1u & ~(1u << POSTEL_SERVER_EV_UNKNOWN))

/* The default accept line of each event, [without, with
 * ENHANCEDSTATUSCODES] (ACC_UE), so that accept() looks it up in one
 * step; length 0 for the events whose accept line is not a static
 * positive one (accept_other). */
#define ACC_N(ev, n)                                                           \
	((POSITIVE_DEFAULTS >> POSTEL_SERVER_EV_##ev & 1) ? (n) : 0)
#define ACC_PLAIN(ev, oc, oe, ot, nc, ne, nt)                                  \
	[POSTEL_SERVER_EV_##ev] = {dflt[POSTEL_SERVER_EV_##ev].line[0][0],      \
				   ACC_N(ev, sizeof(D_LINE(oc, ot)) - 1)},
#define ACC_ENH(ev, oc, oe, ot, nc, ne, nt)                                    \
	[POSTEL_SERVER_EV_##ev] = {                                            \
		dflt[POSTEL_SERVER_EV_##ev].line[0][ACC_UE(oc, oe)],          \
		ACC_N(ev, ACC_UE(oc, oe) ? sizeof(D_LINE_ENH(oc, oe, ot)) - 1  \
					 : sizeof(D_LINE(oc, ot)) - 1)},
static const struct acc_line accept_lines[2][POSTEL_SERVER_EV_VIOLATION + 1] = {
	{DEFAULTS(ACC_PLAIN)}, {DEFAULTS(ACC_ENH)}};


/* Events whose default [accept, reject] line has the enhanced code under
 * ENHANCEDSTATUSCODES (ACC_UE), known at compile time. */
#define ENH_OK(ev, oc, oe, ot, nc, ne, nt)                                     \
	| (ACC_UE(oc, oe) ? 1u << POSTEL_SERVER_EV_##ev : 0u)
#define ENH_NO(ev, oc, oe, ot, nc, ne, nt)                                     \
	| (ACC_UE(nc, ne) ? 1u << POSTEL_SERVER_EV_##ev : 0u)

/* enh_form is zero and acc accept_lines[0] from init (no enhanced
 * codes) */
static void default_forms(srv *s)
{
	if (!enh_on(s))
		return;
	s->acc = accept_lines[1];
	s->enh_form[0] = 0u DEFAULTS(ENH_OK);
	s->enh_form[1] = 0u DEFAULTS(ENH_NO);
}

/* Positive codes each decision allows (RFC 5321 §4.3.2 and the
 * extensions' RFCs). */
static int positive_ok(postel_server_event_type t, unsigned code)
{
	switch (t) {
	case POSTEL_SERVER_EV_CONNECT:
	case POSTEL_SERVER_EV_STARTTLS:
		return code == 220;
	case POSTEL_SERVER_EV_HELO:
	case POSTEL_SERVER_EV_MAIL:
	case POSTEL_SERVER_EV_CHUNK:
	case POSTEL_SERVER_EV_MESSAGE:
		return code == 250;
	case POSTEL_SERVER_EV_RCPT:
		return code == 250 || code == 251;
	case POSTEL_SERVER_EV_DATA:
		return code == 354;
	case POSTEL_SERVER_EV_AUTH:
		return code == 235;
	case POSTEL_SERVER_EV_VRFY:
		return code >= 250 && code <= 252;
	case POSTEL_SERVER_EV_EXPN:
		return code == 250 || code == 252;
	case POSTEL_SERVER_EV_ETRN:
		return code >= 250 && code <= 253; /* RFC 1985 §5 */
	case POSTEL_SERVER_EV_HELP:
		return code == 211 || code == 214;
	case POSTEL_SERVER_EV_UNKNOWN:
		return code >= 200 && code <= 299;
	default:
		return 0;
	}
}

/* RFC 5321 §4.2: codes 2yz-5yz with y 0-5; RFC 3463 enhanced code
 * class.subject.detail, class matching the reply. */
static int valid_negative(unsigned code)
{
	return code >= 400 && code <= 599 && code / 10 % 10 <= 5;
}

static int valid_enh(const char *e, unsigned code)
{
	if (!e)
		return 1;
	if (e[0] != (char)('0' + code / 100) || e[1] != '.')
		return 0;
	size_t i = 2;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;
		while (e[i] >= '0' && e[i] <= '9' && d < 4) {
			i++;
			d++;
		}
		if (d == 0 || d > 3)
			return 0;
		if (part == 0 && e[i++] != '.')
			return 0;
	}
	return e[i] == '\0';
}

/* Text: printable ASCII and tab, lines split at '\n', each within the
 * reply line limit with its prefix (RFC 5321 §4.2, §4.5.3.1.5). */
static int valid_text(const char *t, size_t n, size_t prefix, int multi)
{
	size_t ll = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\n') {
			if (!multi || i + 1 == n)
				return 0;
			ll = 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return 0;
		if (++ll + prefix + 2 > REPLY_LINE_MAX)
			return 0;
	}
	return 1;
}

/* DATA accepted: the decoder starts on the transaction's body type. */
SRV_OUTLINE void data_start(srv *s)
{
	postel_data_config dc;
	data_config(s, &dc);
	postel_data_decoder_init(&s->dec, &dc);
	s->ss.phase = P_DATA;
}

/* The effects of an answer on the session (the reply is already out). */
SRV_INLINE void apply(srv *s, postel_server_event_type t, unsigned code)
{
	session *ss = &s->ss;
	int ok = code < 400;
	switch (t) {
	case POSTEL_SERVER_EV_CONNECT:
		ss->phase = P_CMD;
		ss->wait = s->iend > s->ipos ? W_NONE : W_INPUT;
		if (code == 554 || code == 521) {
			/* RFC 5321 §3.1, RFC 7504 §3 */
			ss->refused = code == 554 ? 1 : 2;
			ss->gated = 1;
		}
		break;
	case POSTEL_SERVER_EV_HELO:
		if (ok) {
			ss->helo_kind = ss->pend_esmtp ? 2 : 1;
		} else {
			ss->helo_kind = 0;
			ss->helo_n = 0;
		}
		parser_update(s);
		break;
	case POSTEL_SERVER_EV_MAIL:
		if (ok) {
			ss->tx = 1;
			ss->tx_body = ss->pend_body;
			ss->tx_utf8 = ss->pend_utf8;
			ss->rcpts = 0;
			ss->tx_bdat = BDAT_NONE;
			ss->txs++;
		}
		break;
	case POSTEL_SERVER_EV_RCPT:
		if (ok)
			ss->rcpts++;
		break;
	case POSTEL_SERVER_EV_DATA:
		if (ok)
			data_start(s);
		break;
	case POSTEL_SERVER_EV_CHUNK:
		if (!ok) /* RFC 3030 §2: the transaction has failed */
			ss->tx_bdat = BDAT_FAILED;
		break;
	case POSTEL_SERVER_EV_MESSAGE:
		ss->msg_i++;
		break;
	case POSTEL_SERVER_EV_AUTH:
		ss->phase = P_CMD;
		if (ok)
			ss->authed = 1;
		break;
	case POSTEL_SERVER_EV_STARTTLS:
		if (ok) {
			/* RFC 3207 §4.2 / CVE-2011-0411: input after the
			 * STARTTLS line is discarded, never processed after
			 * the handshake */
			ss->inject_n = s->iend - s->ipos;
			s->ipos = s->iend;
			ss->phase = ss->inject_n ? P_INJECT : P_TLS;
		}
		break;
	default:
		break;
	}
}

/* RFC 2920 §3.2 (5), (6): replies to EHLO, DATA, VRFY, EXPN, NOOP and
 * unknown commands (and STARTTLS, AUTH, HELP, ETRN: group enders, and the
 * greeting) are sent without waiting. */
#define FLUSH_EVENTS                                                           \
	(1u << POSTEL_SERVER_EV_HELO | 1u << POSTEL_SERVER_EV_DATA |           \
	 1u << POSTEL_SERVER_EV_VRFY | 1u << POSTEL_SERVER_EV_EXPN |           \
	 1u << POSTEL_SERVER_EV_UNKNOWN | 1u << POSTEL_SERVER_EV_STARTTLS |    \
	 1u << POSTEL_SERVER_EV_AUTH | 1u << POSTEL_SERVER_EV_HELP |           \
	 1u << POSTEL_SERVER_EV_ETRN | 1u << POSTEL_SERVER_EV_CONNECT)

/* The reply to the pending decision is out: apply its effects. */
SRV_INLINE postel_status answered_with(srv *s, postel_server_event_type t,
				       unsigned code)
{
	session *ss = &s->ss;
	ss->pend = 0;
	apply(s, t, code);
	if ((FLUSH_EVENTS >> t & 1) && ss->wait == W_NONE)
		ss->wait = W_FLUSH;
	if (code >= 421) { /* positive replies need neither */
		if (code == 421) /* RFC 5321 §3.8: 421 closes */
			ss->closing = 1;
		count_error(s, code);
	}
	return POSTEL_OK;
}

/* Write the reply to the pending decision `t` (code, enhanced code and
 * text already checked; `multi`: the text has several lines) and apply
 * it. */
SRV_INLINE postel_status emit(srv *s, postel_server_event_type t,
			      unsigned code, const char *enh, size_t en,
			      const char *text, size_t tn, int multi)
{
	session *ss = &s->ss;
	int neg = code >= 400;
	int helo = t == POSTEL_SERVER_EV_HELO;
	unsigned fl = 0;
	if (t == POSTEL_SERVER_EV_CONNECT || helo)
		fl |= R_NOENH; /* RFC 2034 §3 (4) */
	if (t == POSTEL_SERVER_EV_CONNECT || code == 421 || (helo && !neg))
		fl |= R_HOST; /* RFC 5321 §4.3.1: greeting-type replies; the
			       * HELO reply's Domain (§4.1.1.1) */
	uint32_t at = s->oend;
	if (helo && !neg && ss->pend_esmtp) {
		if (s->ehlo_n[ss->tls] + tn + 1 > out_room(s))
			return POSTEL_E_LIMIT;
		size_t n = put_ehlo(s, s->out + s->oend, ss->tls, text, tn);
		assert(n == s->ehlo_n[ss->tls] + (tn ? tn + 1 : 0));
		s->oend += (uint32_t)n;
	} else if (!multi) {
		if (!put_line(s, code, enh, en, text, tn, fl))
			return POSTEL_E_LIMIT;
	} else {
		ob o = ob_out(s);
		fmt_reply(s, &o, code, enh, text, tn, fl);
		if (!ob_commit(s, &o))
			return POSTEL_E_LIMIT;
	}
	if (t == POSTEL_SERVER_EV_CONNECT)
		ss->greet_left = s->oend - at;
	if (helo && !neg) {
		/* copy the client's name (RFC 5321 §4.4 From-domain) */
		size_t an = ss->pend_len < sizeof s->helo ? ss->pend_len
							   : sizeof s->helo;
		memcpy(s->helo, s->in + ss->pend_off, an);
		ss->helo_n = (uint8_t)an;
	}
	return answered_with(s, t, code);
}

static postel_status answer(srv *s, unsigned code, const char *enh,
			    const char *text, int negative);

/* The default reply of the pending decision (accept, or reject with code
 * 0): a static line when it is one (answer_default); the greeting and
 * HELO replies are put together without the checks an application's
 * reply needs (answer_built, out of the static path). */
SRV_OUTLINE postel_status answer_built(srv *s, unsigned t, int negative)
{
	if (negative || !t || t == POSTEL_SERVER_EV_CHUNK)
		return answer(s, 0, NULL, NULL, negative);
	if (t == POSTEL_SERVER_EV_HELO)
		return emit(s, POSTEL_SERVER_EV_HELO, 250, "", 0, "", 0, 0);
	/* RFC 5321 §4.2, RFC 2033 §4.1 */
	size_t n = s->flags & POSTEL_SERVER_LMTP
			   ? put_host_line(s, HOST_PART(220, "", "LMTP"))
			   : put_host_line(s, HOST_PART(220, "", "ESMTP"));
	if (!n)
		return POSTEL_E_LIMIT;
	s->ss.greet_left = (uint32_t)n;
	return answered_with(s, POSTEL_SERVER_EV_CONNECT, 220);
}

/* Copy a default line (dflt[].line, zero-padded to LINE_PAD) to `q`,
 * which has LINE_PAD octets of room: whole blocks (a library call or
 * string instruction costs more for a few dozen octets); what lands past
 * the line is free room. */
SRV_INLINE void copy_line(unsigned char *q, const char *src, size_t ln)
{
#ifdef SRV_SSE2
	copy16(q, src);
	if (ln > 16) {
		copy16(q + 16, src + 16);
		if (ln > 32) {
			copy16(q + 32, src + 32);
			copy16(q + 48, src + 48);
			copy16(q + 64, src + 64);
		}
	}
#else
	memcpy(q, src, ln);
#endif
}

/* Write the default line of the static event `t` (accept or reject);
 * 0 (nothing written) when it does not fit. */
SRV_INLINE int put_default(srv *s, unsigned t, int negative)
{
	const defaults *d = &dflt[t];
	unsigned ue = s->enh_form[negative] >> t & 1;
	size_t ln = d->ln[negative][ue];
	if (ln > out_room(s))
		return 0;
	unsigned char *q = s->out + s->oend;
	const char *src = d->line[negative][ue];
	if (out_room(s) >= LINE_PAD)
		copy_line(q, src, ln);
	else
		memcpy(q, src, ln);
	s->oend += (uint32_t)ln;
	return 1;
}

SRV_INLINE postel_status answer_default(srv *s, int negative)
{
	unsigned t = s->ss.pend;
	if (!(STATIC_DEFAULTS >> t & 1) || !t)
		return answer_built(s, t, negative);
	if (!put_default(s, t, negative))
		return POSTEL_E_LIMIT;
	return answered_with(s, (postel_server_event_type)t,
			     negative ? dflt[t].no_code : dflt[t].ok_code);
}

static postel_status answer(srv *s, unsigned code, const char *enh,
			    const char *text, int negative)
{
	session *ss = &s->ss;
	if (!ss->pend)
		return POSTEL_E_STATE;
	postel_server_event_type t = (postel_server_event_type)ss->pend;
	const defaults *d = &dflt[t];
	if (code == 0 && !enh && !text && (STATIC_DEFAULTS >> t & 1))
		return answer_default(s, negative);
	if (negative) {
		if (code == 0)
			code = d->no_code;
		if (!valid_negative(code))
			return POSTEL_E_ARGUMENT;
		if (t == POSTEL_SERVER_EV_CONNECT && code != 554 &&
		    code != 521 && code != 421)
			return POSTEL_E_ARGUMENT; /* RFC 5321 §3.1, RFC 7504 */
	} else if (code == 0) {
		code = d->ok_code;
	} else if (!positive_ok(t, code)) {
		return POSTEL_E_ARGUMENT;
	}
	int neg = code >= 400;
	if (!valid_enh(enh, code))
		return POSTEL_E_ARGUMENT;
	int dflt_text = text == NULL;
	if (!enh) {
		if (neg && code == d->no_code)
			enh = d->no_enh;
		else if (!neg && code == d->ok_code)
			enh = d->ok_enh;
		else
			enh = code >= 500 ? "5.0.0"
			      : code >= 400 ? "4.0.0"
					    : "2.0.0";
	}
	size_t en = strlen(enh);
	char num[48];
	size_t tn;
	if (dflt_text) {
		/* the engine's texts: one line each, valid by construction */
		text = neg ? (code == d->no_code ? d->no_text : "Error")
			   : d->ok_text;
		if (t == POSTEL_SERVER_EV_CONNECT && code == 521)
			text = "Server does not accept mail"; /* RFC 7504 §3 */
		if (code == 421) /* RFC 5321 §4.2.3 */
			text = "Service not available, closing transmission "
			       "channel";
		if (t == POSTEL_SERVER_EV_CONNECT && !neg &&
		    (s->flags & POSTEL_SERVER_LMTP))
			text = "LMTP"; /* RFC 2033 §4.1 */
		tn = strlen(text);
		if (t == POSTEL_SERVER_EV_CHUNK && !neg) {
			/* RFC 3030 §4 example: "250 <n> octets received" */
			char b[20], *dg = u64_digits(b, ss->chunk);
			size_t dn = (size_t)(b + 20 - dg);
			memcpy(num, dg, dn);
			num[dn] = ' ';
			memcpy(num + dn + 1, text, tn);
			text = num;
			tn += dn + 1;
		}
	} else {
		int helo = t == POSTEL_SERVER_EV_HELO;
		int host = t == POSTEL_SERVER_EV_CONNECT || code == 421;
		tn = strlen(text);
		size_t prefix = 4 + (en ? en + 1 : 0) +
				(host ? s->host_n + 1u : 0);
		if (!valid_text(text, tn, prefix, !helo && !host))
			return POSTEL_E_ARGUMENT;
	}
	return emit(s, t, code, enh, en, text, tn,
		    !dflt_text && memchr(text, '\n', tn));
}

/* accept() of a static event off its fast path */
SRV_OUTLINE postel_status accept_other(srv *s, unsigned t)
{
	if (!(POSITIVE_DEFAULTS >> t & 1))
		return answer_default(s, 0);
	if (!put_default(s, t, 0))
		return POSTEL_E_LIMIT;
	return answered_with(s, (postel_server_event_type)t, 200);
}

postel_status postel_server_accept(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	unsigned t = s->ss.pend;
	const struct acc_line *a = &s->acc[t];
	size_t ln = a->n;
	if (!ln || out_room(s) < LINE_PAD)
		return (STATIC_DEFAULTS >> t & 1) && t ? accept_other(s, t)
						       : answer_built(s, t, 0);
	copy_line(s->out + s->oend, a->p, ln);
	s->oend += (uint32_t)ln;
	/* the code itself does not matter past this point, only that it is
	 * positive (apply(), no error count) */
	return answered_with(s, (postel_server_event_type)t, 200);
}

postel_status postel_server_reject(postel_server *ps, unsigned code,
				   const char *enhanced, const char *text)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	return answer(S(ps), code, enhanced, text, 1);
}

postel_status postel_server_reply(postel_server *ps, unsigned code,
				  const char *enhanced, const char *text)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	return answer(S(ps), code, enhanced, text, code >= 400);
}

postel_status postel_server_auth_challenge(postel_server *ps,
					   const void *data, size_t n)
{
	if (!ps || (!data && n))
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	if (s->ss.pend != POSTEL_SERVER_EV_AUTH)
		return POSTEL_E_STATE;
	/* RFC 4954 §4: "334" SP base64, nothing else ("334 " when empty) */
	ob o = ob_out(s);
	ob_code(&o, 334, ' ');
	ob_b64(&o, data, n);
	ob_put(&o, "\r\n", 2);
	if (!ob_commit(s, &o))
		return POSTEL_E_LIMIT;
	s->ss.pend = 0;
	s->ss.phase = P_SASL;
	s->ss.wait = W_FLUSH;
	return POSTEL_OK;
}

/* ---------------------------------------------------------------------- */
/* Session end, TLS, time                                                 */
/* ---------------------------------------------------------------------- */

postel_status postel_server_eof(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	if (s->ss.phase == P_CLOSED)
		return POSTEL_OK;
	if (!s->ss.closing)
		s->ss.err = POSTEL_E_CLOSED;
	s->ss.closing = 1;
	s->ss.pend = 0;
	if (!out_pending(s))
		s->ss.phase = P_CLOSED;
	return POSTEL_OK;
}

static void close_with(srv *s, const char *enh, const char *text,
		       postel_status err)
{
	if (s->ss.phase == P_CLOSED || s->ss.closing)
		return;
	s->ss.pend = 0;
	ob o = ob_out(s);
	fmt_reply(s, &o, 421, enh, text, strlen(text), R_HOST);
	ob_commit(s, &o); /* if it does not fit, the peer is not reading */
	s->ss.closing = 1;
	s->ss.err = err;
	if (!out_pending(s))
		s->ss.phase = P_CLOSED;
}

postel_status postel_server_timed_out(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	/* RFC 5321 §4.5.3.2.7, X.4.2 (RFC 3463): timeout */
	close_with(S(ps), "4.4.2", "Error: timeout exceeded", POSTEL_E_LIMIT);
	return POSTEL_OK;
}

postel_status postel_server_shutdown(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	/* RFC 5321 §3.8, X.3.2 (RFC 3463): system not accepting messages */
	close_with(S(ps), "4.3.2", "Service shutting down", POSTEL_OK);
	return POSTEL_OK;
}

postel_status postel_server_tls_started(postel_server *ps)
{
	if (!ps)
		return POSTEL_E_ARGUMENT;
	srv *s = S(ps);
	session *ss = &s->ss;
	if (ss->phase != P_TLS || ss->closing)
		return POSTEL_E_STATE;
	/* RFC 3207 §4.2: back to the state after the greeting; forget the
	 * EHLO argument, AUTH and any transaction */
	tx_end(s);
	ss->helo_kind = 0;
	ss->helo_n = 0;
	ss->authed = 0;
	ss->tls = 1;
	parser_update(s);
	ss->discarding = 0;
	ss->scan = 0;
	ss->inject_n = 0;
	s->ipos = s->iend = 0;
	ss->phase = P_CMD;
	ss->wait = W_INPUT;
	return POSTEL_OK;
}

postel_timeout postel_server_timeout(const postel_server *ps)
{
	const srv *s = CS(ps);
	const session *ss = &s->ss;
	if (ss->phase == P_CLOSED || ss->pend || ss->phase == P_CONNECT)
		return POSTEL_TIMEOUT_NONE;
	if (ss->closing && !out_pending(s))
		return POSTEL_TIMEOUT_NONE;
	/* RFC 5321 §4.5.3.2.7: the server waits for a command or data, or
	 * for the client to take its replies */
	return POSTEL_TIMEOUT_SERVER;
}

postel_status postel_server_last_error(const postel_server *ps)
{
	return CS(ps)->ss.err;
}

unsigned postel_server_session(const postel_server *ps)
{
	const srv *s = CS(ps);
	const session *ss = &s->ss;
	unsigned f = 0;
	if (s->flags & POSTEL_SERVER_LMTP)
		f |= POSTEL_SESSION_LMTP;
	if (ss->helo_kind == 2)
		f |= POSTEL_SESSION_ESMTP;
	if (ss->helo_kind)
		f |= POSTEL_SESSION_HELO;
	if (ss->tls)
		f |= POSTEL_SESSION_TLS;
	if (ss->authed)
		f |= POSTEL_SESSION_AUTH;
	if (ss->tx) {
		f |= POSTEL_SESSION_MAIL;
		if (ss->tx_utf8)
			f |= POSTEL_SESSION_SMTPUTF8;
		if (ss->tx_body == POSTEL_BODY_BINARYMIME)
			f |= POSTEL_SESSION_BINARYMIME;
		if (ss->tx_body == POSTEL_BODY_8BITMIME)
			f |= POSTEL_SESSION_8BITMIME;
	}
	return f;
}

postel_span postel_server_helo(const postel_server *ps)
{
	const srv *s = CS(ps);
	return postel__span(s->helo, s->ss.helo_n);
}

const char *postel_server_hostname(const postel_server *ps)
{
	return CS(ps)->host;
}

uint32_t postel_server_recipients(const postel_server *ps)
{
	return CS(ps)->ss.rcpts;
}

int postel_server_pipelining(const postel_server *ps)
{
	return pipelining(CS(ps));
}
