/*
 * postel — client engine: an SMTP/LMTP client session as a pure state
 * machine (see include/postel/client.h for the contract).
 *
 * Shape: replies are matched to the commands waiting for them by
 * counting (RFC 2920 §3.1); the commands waiting are a small ring of
 * (command, count) runs. Replies are read lazily in postel_client_next(),
 * one at a time, only when a command waits and no decision is open, so
 * the events depend only on the byte stream and the application's
 * answers, never on how the bytes were divided into reads.
 */
#include "postel/client.h"
#include "syntax_int.h"

/* ---- small enums ------------------------------------------------------ */

enum client_phase {
	PH_GREETING, /* waiting for the 220 */
	PH_HELLO,    /* EHLO / HELO / LHLO sent */
	PH_STARTTLS, /* STARTTLS sent */
	PH_TLS,      /* the caller runs the handshake */
	PH_IDLE,     /* session ready: transactions, AUTH, RSET, NOOP */
	PH_AUTH,     /* AUTH exchange under way */
	PH_QUIT,     /* QUIT sent */
	PH_CLOSED
};

/* what the application is asked for */
enum want { CW_NONE, CW_READY, CW_RCPT, CW_CONTENT, CW_CHALLENGE };

/* transaction stages */
enum stage {
	T_NONE,
	T_ENVELOPE,  /* MAIL given; recipients being given */
	T_DATA_WAIT, /* DATA sent, waiting for 354 */
	T_CONTENT,   /* content wanted */
	T_FINAL,     /* content sent; waiting for the final reply(ies) */
	T_ABORT      /* failed: waiting for the replies still due */
};

#define MAIL_PENDING 0
#define MAIL_OK 1
#define MAIL_FAILED 2

#define QCAP ((uint8_t)(sizeof(((postel_client *)0)->q_) / \
			sizeof(((postel_client *)0)->q_[0])))
#define EVCAP ((uint8_t)(sizeof(((postel_client *)0)->ev_) / \
			 sizeof(((postel_client *)0)->ev_[0])))

/* ---- names ------------------------------------------------------------ */

const char *postel_client_refusal_name(postel_client_refusal r)
{
	switch (r) {
#define X(id, name, rfc) case POSTEL_CLIENT_REFUSE_##id: return name;
	POSTEL_CLIENT_REFUSALS(X)
#undef X
	default: return "unknown";
	}
}

const char *postel_client_refusal_rfc(postel_client_refusal r)
{
	switch (r) {
#define X(id, name, rfc) case POSTEL_CLIENT_REFUSE_##id: return rfc;
	POSTEL_CLIENT_REFUSALS(X)
#undef X
	default: return "";
	}
}

const char *postel_client_cmd_name(postel_client_cmd c)
{
	static const char *const n[] = {
		"none", "greeting", "ehlo", "helo", "lhlo", "starttls", "auth",
		"mail", "rcpt", "data", "dot", "bdat", "bdat-last", "rset",
		"noop", "quit"};
	return (unsigned)c < sizeof n / sizeof n[0] ? n[c] : "unknown";
}

const char *postel_client_event_name(postel_client_event_type t)
{
	static const char *const n[] = {
		"none", "reply", "ready", "need-rcpt", "need-content",
		"auth-challenge", "violation", "refused", "transaction-end"};
	return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "unknown";
}

/* ---- reply codes per command (RFC 5321 §4.3.2 and the extensions) ---- */

/* Classes (first digits) a command's reply may have; anything else is
 * UNEXPECTED_REPLY and ends the session. */
static unsigned classes(postel_client_cmd cmd)
{
	switch (cmd) {
	case POSTEL_CLIENT_CMD_AUTH:
		return 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5;
	case POSTEL_CLIENT_CMD_DATA: /* 250 to DATA: content would be read
				      * as commands */
		return 1u << 3 | 1u << 4 | 1u << 5;
	default:
		return 1u << 2 | 1u << 4 | 1u << 5;
	}
}

static int in_list(unsigned code, const unsigned short *l)
{
	for (; *l; l++)
		if (*l == code)
			return 1;
	return 0;
}

/* Codes RFC 5321 §4.3.2 lists for a command (with 500, 501 and 421,
 * which any command may get), plus the codes the extensions define:
 * RFC 3207 §4 (STARTTLS), RFC 4954 §6 (AUTH, 530), RFC 7504 §3 (521,
 * 556), RFC 3030 §2 (BDAT). A code outside the list is reported
 * (REPLY_CODE_UNLISTED) and read by its first digit, as §4.3.2 says. */
static int listed(postel_client_cmd cmd, unsigned code)
{
	static const unsigned short greet[] = {220, 554, 521, 0};
	static const unsigned short hello[] = {250, 504, 550, 502, 0};
	static const unsigned short tls[] = {220, 454, 502, 0};
	static const unsigned short auth[] = {235, 334, 432, 454, 534, 535,
					      538, 504, 503, 502, 0};
	static const unsigned short mail[] = {250, 552, 451, 452, 550, 553,
					      503, 455, 555, 530, 0};
	static const unsigned short rcpt[] = {250, 251, 550, 551, 552, 553,
					      450, 451, 452, 503, 455, 555,
					      530, 556, 0};
	static const unsigned short data[] = {354, 503, 554, 530, 0};
	static const unsigned short dot[] = {250, 552, 554, 451, 452, 450,
					     550, 0};
	static const unsigned short bdat[] = {250, 552, 554, 451, 452, 450,
					      550, 503, 502, 0};
	static const unsigned short ok[] = {250, 0};
	static const unsigned short quit[] = {221, 0};
	const unsigned short *l = ok;
	if (code == 421 || code == 500 || code == 501)
		return 1;
	switch (cmd) {
	case POSTEL_CLIENT_CMD_GREETING: l = greet; break;
	case POSTEL_CLIENT_CMD_EHLO:
	case POSTEL_CLIENT_CMD_HELO:
	case POSTEL_CLIENT_CMD_LHLO: l = hello; break;
	case POSTEL_CLIENT_CMD_STARTTLS: l = tls; break;
	case POSTEL_CLIENT_CMD_AUTH: l = auth; break;
	case POSTEL_CLIENT_CMD_MAIL: l = mail; break;
	case POSTEL_CLIENT_CMD_RCPT: l = rcpt; break;
	case POSTEL_CLIENT_CMD_DATA: l = data; break;
	case POSTEL_CLIENT_CMD_DOT: l = dot; break;
	case POSTEL_CLIENT_CMD_BDAT:
	case POSTEL_CLIENT_CMD_BDAT_LAST: l = bdat; break;
	case POSTEL_CLIENT_CMD_QUIT: l = quit; break;
	default: break;
	}
	if (cmd == POSTEL_CLIENT_CMD_GREETING && code == 421)
		return 1;
	return in_list(code, l);
}

/* ---- small helpers ---------------------------------------------------- */

static int client_pipelining(const postel_client *c)
{
	return (c->caps_ & POSTEL_EHLO_PIPELINING) &&
	       !(c->flags_ & POSTEL_CLIENT_NO_PIPELINING);
}

static int chunking(const postel_client *c)
{
	return (c->caps_ & POSTEL_EHLO_CHUNKING) &&
	       !(c->flags_ & POSTEL_CLIENT_NO_CHUNKING);
}

static uint32_t queued(const postel_client *c)
{
	uint32_t n = 0;
	for (uint8_t i = 0; i < c->qn_; i++)
		n += c->q_[(c->qh_ + i) % QCAP].n;
	return n;
}

/* Octets still to be sent: the output buffer and a referenced chunk. */
static size_t unsent(const postel_client *c)
{
	return c->out_w_ - c->out_r_ + c->ext_n_;
}

static void drop_output(postel_client *c)
{
	c->out_r_ = c->out_w_ = 0;
	c->ext_n_ = c->ext_at_ = 0;
	c->ext_p_ = NULL;
}

static postel_client_cmd head(const postel_client *c)
{
	return c->qn_ ? (postel_client_cmd)c->q_[c->qh_].cmd
		      : POSTEL_CLIENT_CMD_NONE;
}

static int has_queued(const postel_client *c, postel_client_cmd cmd)
{
	for (uint8_t i = 0; i < c->qn_; i++)
		if (c->q_[(c->qh_ + i) % QCAP].cmd == cmd)
			return 1;
	return 0;
}

/* Note one more command waiting for `n` replies (runs of the same command
 * merge). Returns -1 when the ring is full (cannot happen: at most MAIL,
 * RCPT, DATA/BDAT, BDAT_LAST/DOT, RSET, QUIT are ever queued). */
static int enqueue(postel_client *c, postel_client_cmd cmd, uint32_t n)
{
	if (c->qn_) {
		uint8_t last = (uint8_t)((c->qh_ + c->qn_ - 1) % QCAP);
		if (c->q_[last].cmd == cmd && cmd != POSTEL_CLIENT_CMD_DOT &&
		    cmd != POSTEL_CLIENT_CMD_BDAT_LAST) {
			c->q_[last].n += n;
			return 0;
		}
	}
	if (c->qn_ == QCAP)
		return -1;
	uint8_t at = (uint8_t)((c->qh_ + c->qn_) % QCAP);
	c->q_[at].cmd = (uint8_t)cmd;
	c->q_[at].n = n;
	c->qn_++;
	return 0;
}

static void dequeue(postel_client *c)
{
	if (!c->qn_)
		return;
	if (c->q_[c->qh_].n > 1) {
		c->q_[c->qh_].n--;
		return;
	}
	c->qh_ = (uint8_t)((c->qh_ + 1) % QCAP);
	c->qn_--;
}

static void push_ev(postel_client *c, postel_client_event_type type,
		    postel_client_cmd cmd)
{
	if (c->evn_ == EVCAP)
		return; /* bounded by construction; never loses in practice */
	uint8_t at = (uint8_t)((c->evh_ + c->evn_) % EVCAP);
	memset(&c->ev_[at], 0, sizeof c->ev_[at]);
	c->ev_[at].type = (uint8_t)type;
	c->ev_[at].cmd = (uint8_t)cmd;
	c->evn_++;
}

/* the event just pushed */
#define LAST_EV(c) ((c)->ev_[((c)->evh_ + (c)->evn_ - 1) % EVCAP])

static void push_violation(postel_client *c, postel_violation v,
			   postel_client_cmd cmd)
{
	push_ev(c, POSTEL_CLIENT_VIOLATION, cmd);
	LAST_EV(c).violation = (uint16_t)v;
}

static void push_vlist(postel_client *c, const postel_violation_list *l,
		       postel_client_cmd cmd)
{
	for (unsigned i = 0; i < l->n; i++)
		push_violation(c, (postel_violation)l->id[i], cmd);
}

/* ---- output ----------------------------------------------------------- */

/* A command being composed at the end of the output buffer. `n` keeps
 * counting past the room so the full length is known. */
typedef struct wbuf {
	char *p;
	size_t n, cap;
} wbuf;

static void w_bytes(wbuf *w, const char *s, size_t n)
{
	if (n && w->n < w->cap)
		memcpy(w->p + w->n, s, n <= w->cap - w->n ? n : w->cap - w->n);
	w->n += n;
}

static void w_str(wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_u64(wbuf *w, uint64_t v)
{
	char d[20];
	size_t i = sizeof d;
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	w_bytes(w, d + i, sizeof d - i);
}

/* xtext (RFC 3461 §4): "+" HEX for "+", "=", and octets outside 33-126 */
static void w_xtext(wbuf *w, postel_span s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < s.n; i++) {
		unsigned char b = (unsigned char)s.p[i];
		if (b < 33 || b > 126 || b == '+' || b == '=') {
			char e[3] = {'+', hex[b >> 4], hex[b & 15]};
			w_bytes(w, e, 3);
		} else {
			w_bytes(w, (const char *)&s.p[i], 1);
		}
	}
}

static void w_b64(wbuf *w, const char *p, size_t n)
{
	size_t len = postel__b64_len(n);
	if (w->n <= w->cap && len <= w->cap - w->n)
		postel__b64_encode((const unsigned char *)p, n, w->p + w->n);
	w->n += len;
}

static wbuf w_begin(postel_client *c)
{
	wbuf w;
	w.p = c->out_ + c->out_w_;
	w.cap = c->out_cap_ - c->out_w_;
	w.n = 0;
	return w;
}

/* Commit a composed command: POSTEL_OK, POSTEL_OUTPUT_FULL (no room now),
 * POSTEL_INVALID (longer than `limit` or than the whole buffer). */
static postel_status w_commit(postel_client *c, const wbuf *w, size_t limit)
{
	if (w->n > limit || w->n > c->out_cap_) {
		c->refusal_ = POSTEL_CLIENT_REFUSE_LINE_TOO_LONG;
		return POSTEL_INVALID;
	}
	if (w->n > w->cap)
		return POSTEL_OUTPUT_FULL;
	c->out_w_ += w->n;
	return POSTEL_OK;
}

/* A short command the engine sends on its own (EHLO, QUIT, RSET, ".").
 * They always fit: the engine sends them only with room to spare or on
 * an empty buffer (POSTEL_CLIENT_MIN_OUTBUF). Returns 0 or -1. */
static int send_line(postel_client *c, const char *verb, const char *arg,
		     size_t arg_n)
{
	wbuf w = w_begin(c);
	w_str(&w, verb);
	if (arg) {
		w_bytes(&w, " ", 1);
		w_bytes(&w, arg, arg_n);
	}
	w_bytes(&w, "\r\n", 2);
	return w_commit(c, &w, SIZE_MAX) == POSTEL_OK ? 0 : -1;
}

/* ---- session ends ----------------------------------------------------- */

/* Sticky failure; the session ends. QUIT goes out first when `quit` and
 * the server would read it as a command (not inside DATA content or an
 * AUTH exchange, RFC 4954 §4). */
static void fail(postel_client *c, postel_status st, const char *text,
		 int quit)
{
	if (c->phase_ == PH_CLOSED || c->closing_)
		return;
	if (c->err_ == POSTEL_OK) {
		c->err_ = st;
		c->err_text_ = text;
	}
	c->want_ = CW_NONE;
	c->hold_ = 0;
	if (c->phase_ == PH_AUTH || c->phase_ == PH_TLS || c->eof_ ||
	    c->quit_sent_ || (c->t_.active && !c->t_.bdat &&
			      c->t_.stage == T_CONTENT))
		quit = 0;
	if (quit && send_line(c, "QUIT", NULL, 0) == 0)
		c->quit_sent_ = 1;
	c->closing_ = 1;
	c->qn_ = 0;
	c->t_.active = 0;
}

/* Send QUIT and wait for its reply; `st`/`text` become the last error
 * once the session is over (POSTEL_OK for an orderly end). */
static void quit(postel_client *c, postel_status st, const char *text)
{
	if (send_line(c, "QUIT", NULL, 0) != 0) {
		fail(c, st == POSTEL_OK ? POSTEL_E_LIMIT : st,
		     "no room for QUIT", 0);
		return;
	}
	c->quit_sent_ = 1;
	c->quit_err_ = st;
	c->quit_text_ = text;
	enqueue(c, POSTEL_CLIENT_CMD_QUIT, 1);
	c->phase_ = PH_QUIT;
	c->want_ = CW_NONE;
}

static void closed(postel_client *c, postel_status st, const char *text)
{
	if (c->err_ == POSTEL_OK && st != POSTEL_OK) {
		c->err_ = st;
		c->err_text_ = text;
	}
	c->phase_ = PH_CLOSED;
	c->want_ = CW_NONE;
	c->qn_ = 0;
	c->t_.active = 0;
}

/* ---- init ------------------------------------------------------------- */

static void parser_setup(postel_client *c, int auth)
{
	postel_reply_config rc;
	postel_reply_config_default(&rc);
	rc.lenient = c->lenient_;
	rc.max_lines = POSTEL_CLIENT_REPLY_LINES;
	rc.max_line = auth ? POSTEL_CLIENT_AUTH_LINE_MAX : c->max_line_;
	rc.max_reply = auth ? POSTEL_CLIENT_AUTH_LINE_MAX : c->max_reply_;
	if (rc.max_reply < rc.max_line)
		rc.max_reply = rc.max_line;
	if (rc.max_line > c->in_cap_)
		rc.max_line = c->in_cap_;
	if (rc.max_reply > c->in_cap_)
		rc.max_reply = c->in_cap_;
	rc.utf8 = c->t_.smtputf8;
	postel_reply_parser_init(&c->rp_, &rc);
	c->auth_parser_ = (uint8_t)auth;
}

static void client_session_start(postel_client *c)
{
	c->in_len_ = c->in_drop_ = 0;
	drop_output(c);
	c->caps_ = 0;
	c->size_max_ = c->rcpt_max_ = 0;
	c->qh_ = c->qn_ = 0;
	c->phase_ = PH_GREETING;
	c->want_ = CW_NONE;
	c->delivered_ = c->hold_ = 0;
	c->tls_on_ = c->authed_ = c->auth_step_ = 0;
	c->need_input_ = 1;
	c->eof_ = c->closing_ = c->quit_sent_ = 0;
	c->tail_reported_ = 0;
	c->tls_junk_ = 0;
	memset(&c->t_, 0, sizeof c->t_);
	c->evh_ = c->evn_ = 0;
	c->challenge_ = postel__span(NULL, 0);
	c->err_ = POSTEL_OK;
	c->err_text_ = "";
	c->quit_err_ = POSTEL_OK;
	c->quit_text_ = "";
	c->refusal_ = POSTEL_CLIENT_REFUSE_NONE;
	c->in_call_ = 0;
	parser_setup(c, 0);
	enqueue(c, POSTEL_CLIENT_CMD_GREETING, 1);
}

postel_status postel_client_init(postel_client *c,
				 const postel_client_config *config,
				 char *inbuf, size_t incap, char *outbuf,
				 size_t outcap)
{
	if (!c)
		return POSTEL_E_ARGUMENT;
	memset(c, 0, sizeof *c);
	c->in_ = inbuf;
	c->in_cap_ = inbuf ? incap : 0;
	c->out_ = outbuf;
	c->out_cap_ = outbuf ? outcap : 0;
	c->max_line_ = POSTEL_REPLY_MAX_LINE;
	c->max_reply_ = POSTEL_REPLY_MAX_REPLY;
	int bad = !config || !inbuf || !outbuf ||
		  incap < POSTEL_CLIENT_MIN_INBUF ||
		  outcap < POSTEL_CLIENT_MIN_OUTBUF;
	size_t helo_len = 0;
	if (!bad) {
		/* helo_len 0: a NUL-terminated name (client.h) */
		helo_len = config->helo && config->helo_len == 0
				   ? strlen(config->helo)
				   : config->helo_len;
		/* RFC 5321 §4.1.1.1: a Domain or address literal, ASCII
		 * (the name is sent before any SMTPUTF8 is known) */
		bad = !config->helo || helo_len == 0 ||
		      helo_len > POSTEL_CLIENT_HELO_MAX ||
		      config->starttls > POSTEL_CLIENT_TLS_REQUIRE;
		for (size_t i = 0; !bad && i < helo_len; i++)
			bad = (unsigned char)config->helo[i] >= 0x80;
		bad = bad || !postel__syntax_domain(
				     postel__span(config->helo, helo_len));
	}
	if (bad) {
		client_session_start(c);
		closed(c, POSTEL_E_ARGUMENT, "bad configuration or buffers");
		return POSTEL_E_ARGUMENT;
	}
	c->flags_ = config->flags;
	c->lenient_ = config->lenient;
	c->tls_policy_ = (uint8_t)config->starttls;
	c->helo_len_ = (uint8_t)helo_len;
	memcpy(c->helo_, config->helo, helo_len);
	c->bdat_chunk_ = config->bdat_chunk;
	if (config->max_reply_line)
		c->max_line_ = config->max_reply_line < 5
				       ? 5
				       : config->max_reply_line;
	if (config->max_reply)
		c->max_reply_ = config->max_reply;
	c->pipe_max_ = config->pipeline_max ? config->pipeline_max
					    : POSTEL_CLIENT_PIPELINE_DEFAULT;
	client_session_start(c);
	return POSTEL_OK;
}

void postel_client_reset(postel_client *c)
{
	if (!c->in_ || !c->out_ || c->helo_len_ == 0) {
		client_session_start(c);
		closed(c, POSTEL_E_ARGUMENT, "bad configuration or buffers");
		return;
	}
	client_session_start(c);
}

/* ---- decisions -------------------------------------------------------- */

/* Room for a recipient or content right now (pipelining keeps filling
 * the output buffer; the caller is told to come back after it drains). */
static enum want open_want(const postel_client *c)
{
	if (c->phase_ == PH_CLOSED || c->closing_ || c->phase_ == PH_TLS ||
	    c->hold_)
		return CW_NONE;
	if (c->want_ == CW_CHALLENGE)
		return CW_CHALLENGE;
	if (c->phase_ != PH_IDLE)
		return CW_NONE;
	if (!c->t_.active)
		return c->qn_ == 0 ? CW_READY : CW_NONE;
	switch (c->t_.stage) {
	case T_ENVELOPE:
		if (client_pipelining(c))
			return queued(c) < c->pipe_max_ ? CW_RCPT : CW_NONE;
		return c->qn_ == 0 && c->t_.mail == MAIL_OK ? CW_RCPT : CW_NONE;
	case T_CONTENT:
		if (c->ext_n_) /* a referenced chunk is still being sent */
			return CW_NONE;
		if (c->t_.bdat && !client_pipelining(c) && c->qn_ != 0)
			return CW_NONE;
		if (c->t_.bdat && client_pipelining(c) && queued(c) >= c->pipe_max_)
			return CW_NONE;
		return CW_CONTENT;
	default:
		return CW_NONE;
	}
}

/* An answer was given to the open decision: the next one is delivered
 * afresh. */
static void client_answered(postel_client *c)
{
	c->delivered_ = 0;
	if (c->want_ == CW_CHALLENGE)
		c->want_ = CW_NONE;
}

/* The answer was "no room": deliver the decision again once the output
 * has drained (at once when nothing waits to be written). */
static void come_back(postel_client *c)
{
	c->delivered_ = 0;
	if (unsent(c))
		c->hold_ = 1;
}

/* ---- transactions ----------------------------------------------------- */

static void txn_end(postel_client *c, int with_reply)
{
	push_ev(c, POSTEL_CLIENT_TRANSACTION_END, POSTEL_CLIENT_CMD_NONE);
	LAST_EV(c).rcpt = c->t_.given;
	LAST_EV(c).accepted = c->t_.delivered;
	LAST_EV(c).with_reply = (uint8_t)with_reply;
	int rset = c->t_.rset ||
		   (c->t_.mail == MAIL_OK && c->t_.stage == T_ABORT);
	int utf8 = c->t_.smtputf8;
	memset(&c->t_, 0, sizeof c->t_);
	if (utf8)
		postel_reply_parser_set_utf8(&c->rp_, 0);
	/* RFC 3030 §2: after a failed BDAT "A RSET command MUST be issued";
	 * and a MAIL that was accepted must be undone before the next. */
	if (rset && c->phase_ == PH_IDLE && !c->closing_) {
		if (send_line(c, "RSET", NULL, 0) == 0)
			enqueue(c, POSTEL_CLIENT_CMD_RSET, 1);
	}
}

/* A failed transaction waits for the replies still due, then ends. */
static void txn_settle(postel_client *c)
{
	if (!c->t_.active || c->t_.stage != T_ABORT)
		return;
	if (has_queued(c, POSTEL_CLIENT_CMD_MAIL) ||
	    has_queued(c, POSTEL_CLIENT_CMD_RCPT) ||
	    has_queued(c, POSTEL_CLIENT_CMD_DATA) ||
	    has_queued(c, POSTEL_CLIENT_CMD_BDAT) ||
	    has_queued(c, POSTEL_CLIENT_CMD_BDAT_LAST) ||
	    has_queued(c, POSTEL_CLIENT_CMD_DOT))
		return;
	txn_end(c, 0);
}

static void txn_abort(postel_client *c)
{
	c->t_.stage = T_ABORT;
	c->want_ = CW_NONE;
	c->hold_ = 0;
	c->delivered_ = 0;
	txn_settle(c);
}

/* ---- replies ---------------------------------------------------------- */

static void send_hello(postel_client *c)
{
	const char *verb = "EHLO";
	postel_client_cmd cmd = POSTEL_CLIENT_CMD_EHLO;
	if (c->flags_ & POSTEL_CLIENT_LMTP) {
		verb = "LHLO";
		cmd = POSTEL_CLIENT_CMD_LHLO;
	} else if (c->flags_ & POSTEL_CLIENT_HELO_ONLY) {
		verb = "HELO";
		cmd = POSTEL_CLIENT_CMD_HELO;
	}
	send_line(c, verb, c->helo_, c->helo_len_);
	enqueue(c, cmd, 1);
	c->phase_ = PH_HELLO;
}

/* After the hello: STARTTLS per policy, else ready. */
static void after_hello(postel_client *c)
{
	if (!c->tls_on_ && c->tls_policy_ != POSTEL_CLIENT_TLS_NEVER) {
		if (c->caps_ & POSTEL_EHLO_STARTTLS) {
			send_line(c, "STARTTLS", NULL, 0);
			enqueue(c, POSTEL_CLIENT_CMD_STARTTLS, 1);
			c->phase_ = PH_STARTTLS;
			return;
		}
		if (c->tls_policy_ == POSTEL_CLIENT_TLS_REQUIRE) {
			c->refusal_ = POSTEL_CLIENT_REFUSE_TLS_REQUIRED;
			push_ev(c, POSTEL_CLIENT_REFUSED, POSTEL_CLIENT_CMD_NONE);
			LAST_EV(c).refusal = POSTEL_CLIENT_REFUSE_TLS_REQUIRED;
			quit(c, POSTEL_E_CLOSED,
			     "STARTTLS is required but the server does not "
			     "offer it");
			return;
		}
	}
	c->phase_ = PH_IDLE;
}

static void take_caps(postel_client *c, postel_client_cmd cmd)
{
	postel_ehlo *e = &c->ehlo_;
	memset(e, 0, sizeof *e);
	e->mechs = c->mechs_;
	e->num_mechs = POSTEL_CLIENT_EHLO_MECHS;
	e->unknown = c->unknown_;
	e->num_unknown = POSTEL_CLIENT_EHLO_UNKNOWN;
	postel_status st = postel_ehlo_parse(e, &c->reply_, c->lenient_);
	push_vlist(c, &e->violations, cmd);
	if (st == POSTEL_E_ARGUMENT) { /* more lines than we store: none */
		memset(e, 0, sizeof *e);
		c->caps_ = 0;
		return;
	}
	if (c->tls_on_ && (e->caps & POSTEL_EHLO_STARTTLS)) {
		/* RFC 3207 §4.2: not offered after TLS; never used again */
		push_violation(c, POSTEL_V_STARTTLS_AFTER_TLS, cmd);
		e->caps &= ~(uint32_t)POSTEL_EHLO_STARTTLS;
	}
	c->caps_ = e->caps;
	c->size_max_ = (e->caps & POSTEL_EHLO_SIZE) ? e->size : 0;
	c->rcpt_max_ = (e->caps & POSTEL_EHLO_LIMITS) ? e->limit_rcptmax : 0;
	c->ehlo_ok_ = (uint8_t)(st == POSTEL_OK);
}

static void reply_event(postel_client *c, postel_client_cmd cmd,
			uint32_t rcpt, int ehlo)
{
	push_ev(c, POSTEL_CLIENT_REPLY, cmd);
	LAST_EV(c).with_reply = 1;
	LAST_EV(c).with_ehlo = (uint8_t)ehlo;
	LAST_EV(c).rcpt = rcpt;
}

static int lmtp_ok(const postel_client *c, uint32_t i)
{
	return i < POSTEL_CLIENT_LMTP_RCPT_MAX &&
	       (c->t_.lmtp_ok[i / 8] >> (i % 8) & 1);
}

/* How many final replies the DOT / BDAT_LAST at the head gets: one per
 * accepted recipient in LMTP (RFC 2033 §4.2), else one. */
static uint32_t finals_due(const postel_client *c)
{
	if ((c->flags_ & POSTEL_CLIENT_LMTP) && c->t_.ok > 0 && !c->t_.failed)
		return c->t_.ok;
	return 1;
}

static void on_final(postel_client *c, postel_client_cmd cmd, int cls)
{
	uint32_t due = finals_due(c);
	uint32_t idx = 0;
	if ((c->flags_ & POSTEL_CLIENT_LMTP) && due == c->t_.ok &&
	    c->t_.ok > 0) {
		idx = c->t_.cursor;
		while (idx < c->t_.given && !lmtp_ok(c, idx))
			idx++;
		c->t_.cursor = idx + 1;
	}
	reply_event(c, cmd, idx, 0);
	if (cls == 2 && !c->t_.failed && c->t_.ok > 0)
		c->t_.delivered += (c->flags_ & POSTEL_CLIENT_LMTP) ? 1
								    : c->t_.ok;
	/* RFC 3030 §2: a failed BDAT leaves the state indeterminate: RSET
	 * (in LMTP the replies are per recipient and the transaction is
	 * over) */
	if (cmd == POSTEL_CLIENT_CMD_BDAT_LAST && cls != 2 &&
	    !(c->flags_ & POSTEL_CLIENT_LMTP))
		c->t_.rset = 1;
	if (++c->t_.finals < due)
		return;
	dequeue(c);
	/* no RSET after a final reply (the transaction is over) unless a
	 * BDAT failed (RFC 3030 §2) */
	c->t_.stage = T_FINAL;
	txn_end(c, 1);
}

/* What a reply to the command at the head of the queue does, once its
 * REPLY event is queued and the command dequeued. */
static void on_hello(postel_client *c, postel_client_cmd cmd, unsigned cls)
{
	const postel_reply *r = &c->reply_;
	if (cls == 2 && cmd != POSTEL_CLIENT_CMD_HELO && !c->ehlo_ok_) {
		fail(c, POSTEL_E_PROTOCOL, "malformed EHLO reply", 1);
	} else if (cls == 2) {
		after_hello(c);
	} else if (cmd == POSTEL_CLIENT_CMD_EHLO &&
		   (r->code == 500 || r->code == 502)) {
		/* RFC 5321 §3.2: an old server; fall back to HELO */
		send_line(c, "HELO", c->helo_, c->helo_len_);
		enqueue(c, POSTEL_CLIENT_CMD_HELO, 1);
	} else {
		quit(c, POSTEL_E_CLOSED, "the server refused the hello");
	}
}

static void on_starttls(postel_client *c, unsigned cls)
{
	if (cls == 2) {
		/* RFC 3207 §4.2: what follows the 220 in clear text is
		 * never read; counted and reported at tls_started() */
		c->tls_junk_ += c->in_len_ - c->in_drop_;
		c->in_len_ = c->in_drop_;
		c->phase_ = PH_TLS;
	} else if (c->tls_policy_ == POSTEL_CLIENT_TLS_REQUIRE) {
		c->refusal_ = POSTEL_CLIENT_REFUSE_TLS_REQUIRED;
		push_ev(c, POSTEL_CLIENT_REFUSED, POSTEL_CLIENT_CMD_NONE);
		LAST_EV(c).refusal = POSTEL_CLIENT_REFUSE_TLS_REQUIRED;
		quit(c, POSTEL_E_CLOSED,
		     "STARTTLS is required but the server refused it");
	} else {
		c->phase_ = PH_IDLE;
	}
}

/* 334: RFC 4954 §4, the challenge is only base64; one that does not
 * decode is cancelled with "*". */
static void on_challenge(postel_client *c)
{
	const postel_reply *r = &c->reply_;
	long n = -1;
	postel_span t = postel__span(NULL, 0);
	if (r->code == 334 && r->line_count == 1 && r->num_lines == 1) {
		t = r->lines[0];
		n = postel__b64_decode(t.p, t.n, c->in_ + (t.p - c->in_));
	}
	if (n < 0) {
		push_violation(c, POSTEL_V_AUTH_BAD_CHALLENGE,
			       POSTEL_CLIENT_CMD_AUTH);
		reply_event(c, POSTEL_CLIENT_CMD_AUTH, 0, 0);
		send_line(c, "*", NULL, 0);
		enqueue(c, POSTEL_CLIENT_CMD_AUTH, 1);
		return;
	}
	c->challenge_ = postel__span(t.p, (size_t)n);
	push_ev(c, POSTEL_CLIENT_AUTH_CHALLENGE, POSTEL_CLIENT_CMD_AUTH);
	LAST_EV(c).with_reply = 1;
	LAST_EV(c).step = c->auth_step_++;
	c->want_ = CW_CHALLENGE;
	c->delivered_ = 1; /* the event is the delivery */
}

/* 354: the content may go, unless nobody is left to send it to. */
static void on_data(postel_client *c, unsigned cls)
{
	if (cls != 3) {
		txn_abort(c);
		return;
	}
	if (c->t_.ok == 0 || c->t_.mail != MAIL_OK) {
		/* RFC 2920 §3.1: DATA accepted without recipients: send a
		 * single dot (§3.2 (3); RFC 2033 §4.2 says 503) */
		push_violation(c, POSTEL_V_DATA_WITHOUT_RCPT,
			       POSTEL_CLIENT_CMD_DATA);
		c->t_.failed = 1;
		send_line(c, ".", NULL, 0);
		enqueue(c, POSTEL_CLIENT_CMD_DOT, 1);
		c->t_.stage = T_FINAL;
		return;
	}
	postel_data_encoder_config ec;
	ec.flags = POSTEL_DATA_ENC_REFUSE_BARE;
	ec.body = (postel_data_body)c->t_.body;
	postel_data_encoder_init(&c->enc_.data, &ec);
	c->t_.stage = T_CONTENT;
}

/* A complete reply for the command at the head of the queue. */
static void on_reply(postel_client *c, postel_status pst)
{
	postel_client_cmd cmd = head(c);
	const postel_reply *r = &c->reply_;
	unsigned cls = r->digit[0];
	uint32_t idx = cmd == POSTEL_CLIENT_CMD_RCPT ? c->t_.replied : 0;
	push_vlist(c, &r->violations, cmd);
	if (pst == POSTEL_INVALID || cls > 5 || !(classes(cmd) >> cls & 1)) {
		if (pst != POSTEL_INVALID)
			push_violation(c, POSTEL_V_UNEXPECTED_REPLY, cmd);
		reply_event(c, cmd, idx, 0);
		if (cmd == POSTEL_CLIENT_CMD_QUIT)
			closed(c, POSTEL_E_PROTOCOL, "bad reply to QUIT");
		else
			fail(c, POSTEL_E_PROTOCOL,
			     pst == POSTEL_INVALID
				     ? "malformed reply"
				     : "reply code of the wrong class for the "
				       "command",
			     1);
		return;
	}
	if (!listed(cmd, r->code))
		push_violation(c, POSTEL_V_REPLY_CODE_UNLISTED, cmd);
	/* RFC 5321 §3.8: 421 to any command, then the server closes */
	if (r->code == 421 && cmd != POSTEL_CLIENT_CMD_QUIT) {
		reply_event(c, cmd, idx, 0);
		closed(c, POSTEL_E_CLOSED,
		       "the server is closing the connection (421)");
		return;
	}
	if ((cmd == POSTEL_CLIENT_CMD_DOT ||
	     cmd == POSTEL_CLIENT_CMD_BDAT_LAST) && c->t_.stage != T_ABORT) {
		on_final(c, cmd, (int)cls);
		return;
	}
	dequeue(c);
	if (cmd == POSTEL_CLIENT_CMD_AUTH && cls == 3) {
		on_challenge(c);
		return;
	}
	int caps = cls == 2 && (cmd == POSTEL_CLIENT_CMD_EHLO ||
				cmd == POSTEL_CLIENT_CMD_LHLO);
	if (caps)
		take_caps(c, cmd);
	else if (cmd == POSTEL_CLIENT_CMD_EHLO || cmd == POSTEL_CLIENT_CMD_LHLO ||
		 cmd == POSTEL_CLIENT_CMD_HELO)
		c->caps_ = 0, c->size_max_ = 0, c->rcpt_max_ = 0;
	reply_event(c, cmd, idx, caps);
	switch (cmd) {
	case POSTEL_CLIENT_CMD_GREETING:
		if (cls == 2)
			send_hello(c);
		else /* RFC 5321 §3.1: after 554 the client sends QUIT */
			quit(c, POSTEL_E_CLOSED,
			     "the server refused the session");
		break;
	case POSTEL_CLIENT_CMD_EHLO:
	case POSTEL_CLIENT_CMD_LHLO:
	case POSTEL_CLIENT_CMD_HELO:
		on_hello(c, cmd, cls);
		break;
	case POSTEL_CLIENT_CMD_STARTTLS:
		on_starttls(c, cls);
		break;
	case POSTEL_CLIENT_CMD_AUTH:
		if (cls == 2)
			c->authed_ = 1;
		c->phase_ = PH_IDLE;
		parser_setup(c, 0);
		break;
	case POSTEL_CLIENT_CMD_MAIL:
		c->t_.mail = cls == 2 ? MAIL_OK : MAIL_FAILED;
		if (cls != 2 && !c->t_.pipelined)
			txn_abort(c);
		else
			txn_settle(c);
		break;
	case POSTEL_CLIENT_CMD_RCPT:
		c->t_.replied++;
		if (cls == 2) {
			c->t_.ok++;
			if (idx < POSTEL_CLIENT_LMTP_RCPT_MAX)
				c->t_.lmtp_ok[idx / 8] |=
					(uint8_t)(1u << (idx % 8));
		}
		txn_settle(c);
		break;
	case POSTEL_CLIENT_CMD_DATA:
		on_data(c, cls);
		break;
	case POSTEL_CLIENT_CMD_BDAT:
		if (cls != 2) {
			/* RFC 3030 §2: no more chunks; RSET afterwards */
			c->t_.failed = 1;
			c->t_.rset = 1;
			txn_abort(c);
		}
		break;
	case POSTEL_CLIENT_CMD_DOT:
	case POSTEL_CLIENT_CMD_BDAT_LAST: /* a failed BDAT transaction */
		txn_settle(c);
		break;
	case POSTEL_CLIENT_CMD_RSET:
		if (cls != 2)
			quit(c, POSTEL_E_PROTOCOL,
			     "the server refused RSET; its state is unknown");
		break;
	case POSTEL_CLIENT_CMD_QUIT:
		c->after_quit_ = 1;
		closed(c, c->quit_err_, c->quit_text_);
		break;
	default:
		break;
	}
}

/* Drop the bytes of the last reply and move the rest to the front; only
 * when no event still points into them. */
static void compact_in(postel_client *c)
{
	if (c->evn_ || c->in_drop_ == 0)
		return;
	if (c->in_drop_ < c->in_len_)
		memmove(c->in_, c->in_ + c->in_drop_, c->in_len_ - c->in_drop_);
	c->in_len_ -= c->in_drop_;
	c->in_drop_ = 0;
	c->challenge_ = postel__span(NULL, 0);
}

/* Read one reply if one is due and complete. Returns 1 when something
 * happened (events may be queued), 0 when more input is needed. */
static int read_reply(postel_client *c)
{
	size_t used = 0;
	compact_in(c);
	if (c->in_drop_)
		return 0;
	int auth = head(c) == POSTEL_CLIENT_CMD_AUTH;
	if (auth != c->auth_parser_ && !postel_reply_parser_busy(&c->rp_))
		parser_setup(c, auth);
	c->reply_.lines = c->lines_;
	c->reply_.num_lines = POSTEL_CLIENT_REPLY_LINES;
	postel_status st = postel_reply_parse(&c->rp_, c->in_, c->in_len_,
					      &c->reply_, &used);
	if (st == POSTEL_NEED_MORE) {
		c->need_input_ = 1;
		return 0;
	}
	if (postel_status_is_fatal(st)) {
		push_vlist(c, &c->reply_.violations, head(c));
		fail(c, st == POSTEL_E_LIMIT ? POSTEL_E_LIMIT : POSTEL_E_PROTOCOL,
		     st == POSTEL_E_LIMIT ? "reply over a limit"
					  : "bytes that are not a reply",
		     1);
		return 1;
	}
	c->in_drop_ = used;
	on_reply(c, st);
	return 1;
}

/* End of input with replies due (RFC 5321 §3.8). */
static void on_eof(postel_client *c)
{
	if (head(c) == POSTEL_CLIENT_CMD_QUIT) {
		c->after_quit_ = 1;
		closed(c, c->quit_err_, c->quit_text_);
		return;
	}
	push_violation(c, POSTEL_V_CONNECTION_LOST, head(c));
	closed(c, POSTEL_E_CLOSED, "the server closed the connection");
}

int postel_client_next(postel_client *c, postel_client_event *ev)
{
	int got = 0;
	POSTEL__ENTER(c->in_call_);
	memset(ev, 0, sizeof *ev);
	for (;;) {
		if (c->evn_) {
			const uint8_t h = c->evh_;
			ev->type = (postel_client_event_type)c->ev_[h].type;
			ev->cmd = (postel_client_cmd)c->ev_[h].cmd;
			ev->rcpt = c->ev_[h].rcpt;
			ev->accepted = c->ev_[h].accepted;
			ev->step = c->ev_[h].step;
			ev->size = c->ev_[h].size;
			ev->violation = (postel_violation)c->ev_[h].violation;
			ev->refusal = (postel_client_refusal)c->ev_[h].refusal;
			if (c->ev_[h].with_reply)
				ev->reply = &c->reply_;
			if (c->ev_[h].with_ehlo)
				ev->ehlo = &c->ehlo_;
			if (ev->type == POSTEL_CLIENT_AUTH_CHALLENGE)
				ev->challenge = c->challenge_;
			c->evh_ = (uint8_t)((h + 1) % EVCAP);
			c->evn_--;
			got = 1;
			break;
		}
		enum want w = open_want(c);
		if (w != CW_NONE) {
			if (c->delivered_ && c->want_ == w)
				break; /* waiting for the answer */
			c->want_ = (uint8_t)w;
			c->delivered_ = 1;
			ev->type = w == CW_READY ? POSTEL_CLIENT_READY
				   : w == CW_RCPT ? POSTEL_CLIENT_NEED_RCPT
						 : POSTEL_CLIENT_NEED_CONTENT;
			ev->rcpt = c->t_.given;
			ev->size = c->t_.content;
			got = 1;
			break;
		}
		if (c->phase_ == PH_CLOSED) {
			/* RFC 2920 §3.1: nothing may follow the reply to QUIT */
			if (c->after_quit_ && !c->tail_reported_ &&
			    (c->in_len_ > c->in_drop_ || c->tls_junk_)) {
				c->tail_reported_ = 1;
				push_violation(c, POSTEL_V_UNSOLICITED_REPLY,
					       POSTEL_CLIENT_CMD_QUIT);
				continue;
			}
			break;
		}
		/* a reply is read once its command is out: never before
		 * the bytes that ask for it were taken by send_ack */
		if (c->closing_ || c->phase_ == PH_TLS || c->qn_ == 0 ||
		    unsent(c))
			break;
		if (!c->need_input_ && read_reply(c))
			continue;
		if (c->eof_ && c->need_input_) {
			on_eof(c);
			continue;
		}
		break;
	}
	POSTEL__LEAVE(c->in_call_);
	return got;
}

/* ---- byte flows ------------------------------------------------------- */

unsigned postel_client_state(const postel_client *c)
{
	unsigned st = 0;
	int out = unsent(c) > 0;
	if (out)
		st |= POSTEL_WRITE;
	enum want w = open_want(c);
	if (c->evn_ || w != CW_NONE)
		st |= POSTEL_DECIDE;
	if (c->phase_ == PH_CLOSED || c->closing_) {
		if (!out && !c->evn_)
			st |= POSTEL_CLOSED;
		return st;
	}
	if (c->phase_ == PH_TLS) {
		if (!out)
			st |= POSTEL_TLS;
		return st;
	}
	if (c->qn_ && w == CW_NONE) {
		if ((!c->need_input_ || c->eof_) && !out)
			st |= POSTEL_DECIDE; /* bytes to read: call next */
		else if (c->in_len_ < c->in_cap_)
			st |= POSTEL_READ;
	}
	return st;
}

char *postel_client_recv_buf(const postel_client *c, size_t *n)
{
	if (c->phase_ == PH_TLS || c->phase_ == PH_CLOSED || c->closing_) {
		/* discarded: room for the whole buffer after the held
		 * bytes */
		*n = c->in_cap_ - c->in_len_;
		return c->in_ + c->in_len_;
	}
	*n = c->eof_ ? 0 : c->in_cap_ - c->in_len_;
	return c->in_ + c->in_len_;
}

postel_status postel_client_recv_ack(postel_client *c, size_t n)
{
	size_t room;
	postel_client_recv_buf(c, &room);
	if (n > room)
		return POSTEL_E_ARGUMENT;
	if (n == 0)
		return POSTEL_OK;
	if (c->phase_ == PH_TLS) {
		c->tls_junk_ += n; /* RFC 3207 §4.2: never read */
		return POSTEL_OK;
	}
	if (c->phase_ == PH_CLOSED || c->closing_) {
		if (c->after_quit_ && c->phase_ == PH_CLOSED)
			c->tls_junk_ += n; /* reported by next() */
		return POSTEL_OK;
	}
	c->in_len_ += n;
	c->need_input_ = 0;
	return POSTEL_OK;
}

/* The output is the buffer with a referenced chunk (zero-copy BDAT)
 * inserted at offset ext_at_: buffer up to there, the chunk, the rest. */
const char *postel_client_send_buf(const postel_client *c, size_t *n)
{
	if (c->ext_n_ && c->out_r_ == c->ext_at_) {
		*n = c->ext_n_;
		return c->ext_p_;
	}
	*n = (c->ext_n_ ? c->ext_at_ : c->out_w_) - c->out_r_;
	return *n ? c->out_ + c->out_r_ : NULL;
}

postel_status postel_client_send_ack(postel_client *c, size_t n)
{
	size_t k;
	postel_client_send_buf(c, &k);
	if (n > k)
		return POSTEL_E_ARGUMENT;
	if (c->ext_n_ && c->out_r_ == c->ext_at_) {
		c->ext_p_ += n;
		c->ext_n_ -= n;
	} else {
		c->out_r_ += n;
	}
	if (c->out_r_ == c->out_w_ && !c->ext_n_) {
		c->out_r_ = c->out_w_ = c->ext_at_ = 0;
		c->hold_ = 0;
	} else if (c->out_r_ > 0 && (!c->ext_n_ || c->out_r_ == c->ext_at_)) {
		memmove(c->out_, c->out_ + c->out_r_, c->out_w_ - c->out_r_);
		c->out_w_ -= c->out_r_;
		c->ext_at_ = c->ext_n_ ? c->ext_at_ - c->out_r_ : 0;
		c->out_r_ = 0;
	}
	if (c->closing_ && !unsent(c))
		closed(c, POSTEL_OK, "");
	return POSTEL_OK;
}

postel_status postel_client_eof(postel_client *c)
{
	if (c->phase_ == PH_CLOSED)
		return POSTEL_OK;
	c->eof_ = 1;
	if (c->phase_ == PH_TLS) {
		closed(c, POSTEL_E_CLOSED,
		       "the server closed the connection before TLS");
		return POSTEL_OK;
	}
	if (c->qn_ == 0 && !c->closing_) {
		/* idle: the server went away without 421 (RFC 5321 §3.8) */
		push_violation(c, POSTEL_V_CONNECTION_LOST,
			       POSTEL_CLIENT_CMD_NONE);
		closed(c, POSTEL_E_CLOSED, "the server closed the connection");
	}
	return POSTEL_OK;
}

postel_status postel_client_tls_started(postel_client *c)
{
	if (c->phase_ != PH_TLS)
		return POSTEL_E_STATE;
	c->tls_on_ = 1;
	/* RFC 3207 §4.2: forget everything learnt from the server */
	c->caps_ = 0;
	c->size_max_ = c->rcpt_max_ = 0;
	c->in_len_ = c->in_drop_ = 0;
	c->need_input_ = 1;
	parser_setup(c, 0);
	if (c->tls_junk_) {
		push_violation(c, POSTEL_V_STARTTLS_REPLY_INJECTION,
			       POSTEL_CLIENT_CMD_STARTTLS);
		LAST_EV(c).size = c->tls_junk_;
		c->tls_junk_ = 0;
	}
	send_hello(c);
	return POSTEL_OK;
}

int postel_client_tls_active(const postel_client *c)
{
	return c->tls_on_;
}

postel_timeout postel_client_timeout(const postel_client *c)
{
	if (c->phase_ == PH_CLOSED || c->closing_)
		return POSTEL_TIMEOUT_NONE;
	if (c->phase_ == PH_TLS)
		return POSTEL_TIMEOUT_COMMAND;
	/* §4.5.3.2.5: content (and its end) still being sent */
	if (c->t_.active && unsent(c) &&
	    (c->t_.stage == T_CONTENT || c->t_.stage == T_FINAL))
		return POSTEL_TIMEOUT_DATA_BLOCK;
	switch (head(c)) {
	case POSTEL_CLIENT_CMD_NONE: return POSTEL_TIMEOUT_NONE;
	case POSTEL_CLIENT_CMD_GREETING: return POSTEL_TIMEOUT_GREETING;
	case POSTEL_CLIENT_CMD_MAIL: return POSTEL_TIMEOUT_MAIL;
	case POSTEL_CLIENT_CMD_RCPT: return POSTEL_TIMEOUT_RCPT;
	case POSTEL_CLIENT_CMD_DATA: return POSTEL_TIMEOUT_DATA_INIT;
	case POSTEL_CLIENT_CMD_DOT:
	case POSTEL_CLIENT_CMD_BDAT:
	case POSTEL_CLIENT_CMD_BDAT_LAST: return POSTEL_TIMEOUT_DATA_TERM;
	default: return POSTEL_TIMEOUT_COMMAND;
	}
}

postel_status postel_client_timed_out(postel_client *c)
{
	if (c->phase_ != PH_CLOSED)
		closed(c, POSTEL_E_CLOSED,
		       "timeout waiting for the server (RFC 5321 §4.5.3.2)");
	drop_output(c);
	return POSTEL_OK;
}

postel_status postel_client_last_error(const postel_client *c)
{
	return c->err_;
}

const char *postel_client_last_error_text(const postel_client *c)
{
	return c->err_text_ ? c->err_text_ : "";
}

postel_client_refusal postel_client_refused(const postel_client *c)
{
	return c->refusal_;
}

uint32_t postel_client_caps(const postel_client *c)
{
	return c->caps_;
}

uint64_t postel_client_size_limit(const postel_client *c)
{
	return c->size_max_;
}

/* ---- answers ---------------------------------------------------------- */

/* API misuse: sticky (BearSSL style). */
static postel_status misuse(postel_client *c)
{
	closed(c, POSTEL_E_STATE, "call not allowed in this state");
	drop_output(c);
	c->evn_ = 0;
	return POSTEL_E_STATE;
}

static postel_status client_refuse(postel_client *c, postel_client_refusal r)
{
	c->refusal_ = r;
	return POSTEL_INVALID;
}

static int want_is(const postel_client *c, enum want w)
{
	return c->err_ < POSTEL_STATUS_FATAL_MIN && open_want(c) == w;
}

/* A path (RFC 5321 §4.1.2) as given by the application, without the
 * brackets: a Mailbox by the grammar (grammar/syntax.rl: what the server
 * engine takes in, so a relay can pass it on), RCPT's bare "Postmaster"
 * when `forward`, in well-formed UTF-8 (RFC 6531 §3.3), at most 254
 * octets (256 with the brackets, §4.5.3.1.3); empty (the null path) only
 * as a reverse path. Returns -1 if unusable, else 1 when it has UTF-8
 * (needs SMTPUTF8), 0 otherwise. */
static int check_path(postel_span a, int forward)
{
	if (a.n == 0)
		return forward ? -1 : 0;
	if (a.n > 254 ||
	    !(forward ? postel__syntax_forward_mailbox(a)
		      : postel__syntax_reverse_mailbox(a)) ||
	    !postel__utf8_valid((const unsigned char *)a.p, a.n))
		return -1;
	for (size_t i = 0; i < a.n; i++)
		if ((unsigned char)a.p[i] >= 0x80)
			return 1;
	return 0;
}

/* esmtp-param (RFC 5321 §4.1.2) by the grammar, ASCII values only: a
 * UTF-8 value would need SMTPUTF8 (RFC 6531 §3.3), which the engine's
 * own parameters do not. */
static int param_ok(const postel_client_param *p)
{
	return p->keyword.n <= 64 && postel__syntax_esmtp_keyword(p->keyword) &&
	       (p->value.n == 0 || postel__syntax_esmtp_value_ascii(p->value));
}

/* The extension a parameter keyword belongs to; 0 for keywords the
 * engine does not know (sent as given). */
static uint32_t param_cap(postel_span kw)
{
	static const struct {
		const char *kw;
		uint32_t cap;
	} map[] = {
		{"SIZE", POSTEL_EHLO_SIZE},
		{"BODY", POSTEL_EHLO_8BITMIME},
		{"SMTPUTF8", POSTEL_EHLO_SMTPUTF8},
		{"REQUIRETLS", POSTEL_EHLO_REQUIRETLS},
		{"RET", POSTEL_EHLO_DSN},
		{"ENVID", POSTEL_EHLO_DSN},
		{"NOTIFY", POSTEL_EHLO_DSN},
		{"ORCPT", POSTEL_EHLO_DSN},
		{"AUTH", POSTEL_EHLO_AUTH},
		{"MT-PRIORITY", POSTEL_EHLO_MT_PRIORITY},
		{"BY", POSTEL_EHLO_DELIVERBY},
		{"HOLDFOR", POSTEL_EHLO_FUTURERELEASE},
		{"HOLDUNTIL", POSTEL_EHLO_FUTURERELEASE},
		{"RRVS", POSTEL_EHLO_RRVS},
		{"MTRK", POSTEL_EHLO_MTRK},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (postel__span_ieq(kw, map[i].kw))
			return map[i].cap;
	return 0;
}

static postel_status add_params(postel_client *c, wbuf *w,
				const postel_client_param *p, size_t n)
{
	if (n && !p)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
	for (size_t i = 0; i < n; i++) {
		if (!param_ok(&p[i]))
			return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
		uint32_t cap = param_cap(p[i].keyword);
		if (cap && !(c->caps_ & cap))
			return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
		w_bytes(w, " ", 1);
		w_bytes(w, p[i].keyword.p, p[i].keyword.n);
		if (p[i].value.n) {
			w_bytes(w, "=", 1);
			w_bytes(w, p[i].value.p, p[i].value.n);
		}
	}
	return POSTEL_OK;
}

postel_status postel_client_mail(postel_client *c, const postel_client_mail_opts *m)
{
	if (!want_is(c, CW_READY))
		return misuse(c);
	if (!m || (m->from.n && !m->from.p) || (m->envid.n && !m->envid.p) ||
	    (m->auth.n && !m->auth.p))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
	int utf8 = check_path(m->from, 0);
	if (utf8 < 0)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_ADDRESS);
	int smtputf8 = m->smtputf8 || utf8;
	/* RFC 6531 §3.4 */
	if (smtputf8 && !(c->caps_ & POSTEL_EHLO_SMTPUTF8))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_SMTPUTF8);
	/* RFC 1870 §6: do not send what is over the declared limit */
	if (c->size_max_ && m->size > c->size_max_)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_SIZE);
	if (m->body == POSTEL_DATA_BODY_8BITMIME &&
	    !(c->caps_ & POSTEL_EHLO_8BITMIME))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_8BITMIME);
	/* RFC 3030 §3: BINARYMIME needs both, and BDAT */
	if (m->body == POSTEL_DATA_BODY_BINARYMIME &&
	    (!(c->caps_ & POSTEL_EHLO_BINARYMIME) || !chunking(c)))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_BINARYMIME);
	if ((unsigned)m->body > POSTEL_DATA_BODY_BINARYMIME ||
	    (unsigned)m->ret > POSTEL_CLIENT_RET_HDRS || m->envid.n > 100)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
	/* RFC 8689 §4.2: only to a server that offers it, over TLS */
	if (m->requiretls &&
	    (!(c->caps_ & POSTEL_EHLO_REQUIRETLS) || !c->tls_on_))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_REQUIRETLS);

	wbuf w = w_begin(c);
	w_str(&w, "MAIL FROM:<");
	w_bytes(&w, m->from.p, m->from.n);
	w_str(&w, ">");
	if (m->size && (c->caps_ & POSTEL_EHLO_SIZE)) {
		w_str(&w, " SIZE=");
		w_u64(&w, m->size);
	}
	if (m->body == POSTEL_DATA_BODY_8BITMIME)
		w_str(&w, " BODY=8BITMIME");
	else if (m->body == POSTEL_DATA_BODY_BINARYMIME)
		w_str(&w, " BODY=BINARYMIME");
	if (smtputf8)
		w_str(&w, " SMTPUTF8");
	if (m->requiretls)
		w_str(&w, " REQUIRETLS");
	/* RFC 3461 §6.1 (a): DSN parameters only to a DSN server */
	if (c->caps_ & POSTEL_EHLO_DSN) {
		if (m->ret == POSTEL_CLIENT_RET_FULL)
			w_str(&w, " RET=FULL");
		else if (m->ret == POSTEL_CLIENT_RET_HDRS)
			w_str(&w, " RET=HDRS");
		if (m->envid.n) {
			w_str(&w, " ENVID=");
			w_xtext(&w, m->envid);
		}
	}
	/* RFC 4954 §5 */
	if (m->auth_set && (c->caps_ & POSTEL_EHLO_AUTH)) {
		w_str(&w, " AUTH=");
		if (m->auth.n)
			w_xtext(&w, m->auth);
		else
			w_str(&w, "<>");
	}
	postel_status st = add_params(c, &w, m->params, m->num_params);
	if (st != POSTEL_OK)
		return st;
	w_str(&w, "\r\n");
	/* 512 + the RFC 1869 §4.1.2 allowances of the MAIL parameters */
	st = w_commit(c, &w, 1288);
	if (st == POSTEL_OUTPUT_FULL)
		come_back(c);
	if (st != POSTEL_OK)
		return st;
	client_answered(c);
	c->refusal_ = POSTEL_CLIENT_REFUSE_NONE;
	memset(&c->t_, 0, sizeof c->t_);
	c->t_.active = 1;
	c->t_.stage = T_ENVELOPE;
	c->t_.pipelined = (uint8_t)client_pipelining(c);
	c->t_.smtputf8 = (uint8_t)smtputf8;
	c->t_.body = (uint8_t)m->body;
	c->t_.size = m->size;
	if (smtputf8) /* RFC 6531 §3.7.4: UTF-8 replies from now on */
		postel_reply_parser_set_utf8(&c->rp_, 1);
	enqueue(c, POSTEL_CLIENT_CMD_MAIL, 1);
	return POSTEL_OK;
}

postel_status postel_client_rcpt(postel_client *c, const char *to, size_t n,
				 const postel_client_rcpt_opts *o)
{
	if (c->err_ >= POSTEL_STATUS_FATAL_MIN || !c->t_.active ||
	    c->t_.stage != T_ENVELOPE)
		return misuse(c);
	if (!want_is(c, CW_RCPT)) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	if (n && !to)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_ADDRESS);
	postel_span a = postel__span(to, n);
	int utf8 = check_path(a, 1);
	if (utf8 < 0)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_ADDRESS);
	if (utf8 && !c->t_.smtputf8)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_SMTPUTF8);
	if ((c->rcpt_max_ && c->t_.given >= c->rcpt_max_) ||
	    ((c->flags_ & POSTEL_CLIENT_LMTP) &&
	     c->t_.given >= POSTEL_CLIENT_LMTP_RCPT_MAX) ||
	    c->t_.given == UINT32_MAX)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_RCPTMAX);
	wbuf w = w_begin(c);
	w_str(&w, "RCPT TO:<");
	w_bytes(&w, to, n);
	w_str(&w, ">");
	if (o) {
		unsigned nt = o->notify;
		if ((nt & POSTEL_CLIENT_NOTIFY_NEVER && nt != POSTEL_CLIENT_NOTIFY_NEVER) ||
		    nt > 15 || (o->orcpt.n && !o->orcpt.p) || o->orcpt.n > 500)
			return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
		if ((c->caps_ & POSTEL_EHLO_DSN) && nt) {
			static const char *const names[] = {
				"NEVER", "SUCCESS", "FAILURE", "DELAY"};
			const char *sep = " NOTIFY=";
			for (unsigned b = 0; b < 4; b++)
				if (nt >> b & 1) {
					w_str(&w, sep);
					w_str(&w, names[b]);
					sep = ",";
				}
		}
		if ((c->caps_ & POSTEL_EHLO_DSN) && o->orcpt.n) {
			w_str(&w, " ORCPT=rfc822;");
			w_xtext(&w, o->orcpt);
		}
		postel_status st = add_params(c, &w, o->params, o->num_params);
		if (st != POSTEL_OK)
			return st;
	}
	w_str(&w, "\r\n");
	/* 512 + NOTIFY/ORCPT and RRVS allowances (RFC 1869 §4.1.2) */
	postel_status st = w_commit(c, &w, 1052);
	if (st == POSTEL_OUTPUT_FULL)
		come_back(c);
	if (st != POSTEL_OK)
		return st;
	client_answered(c);
	c->refusal_ = POSTEL_CLIENT_REFUSE_NONE;
	c->t_.given++;
	enqueue(c, POSTEL_CLIENT_CMD_RCPT, 1);
	return POSTEL_OK;
}

postel_status postel_client_data(postel_client *c)
{
	if (c->err_ >= POSTEL_STATUS_FATAL_MIN || !c->t_.active ||
	    c->t_.stage != T_ENVELOPE)
		return misuse(c);
	if (!want_is(c, CW_RCPT)) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	int bdat = chunking(c);
	if (c->t_.given == 0 || (!c->t_.pipelined && c->t_.ok == 0)) {
		/* nobody to send to: end the transaction (RSET when the
		 * MAIL was accepted) */
		client_answered(c);
		txn_abort(c);
		return POSTEL_OK;
	}
	if (!bdat) {
		if (send_line(c, "DATA", NULL, 0) != 0) {
			come_back(c);
			return POSTEL_OUTPUT_FULL;
		}
		enqueue(c, POSTEL_CLIENT_CMD_DATA, 1);
		c->t_.stage = T_DATA_WAIT;
	} else {
		postel_bdat_encoder_init(&c->enc_.bdat,
					 c->bdat_chunk_ ? c->bdat_chunk_
							: UINT64_MAX);
		c->t_.bdat = 1;
		c->t_.stage = T_CONTENT;
	}
	client_answered(c);
	return POSTEL_OK;
}

/* How many octets of `p` may go out: text bodies need CRLF line ends
 * (RFC 5321 §2.3.8) and a 7BIT body needs 7-bit octets (RFC 6152 §3).
 * `*r` says what stopped the scan. */
static size_t scan_content(const postel_client *c, const char *p, size_t n,
			   int last, postel_client_refusal *r)
{
	int cr = c->t_.cr;
	int seven = c->t_.body == POSTEL_DATA_BODY_7BIT;
	*r = POSTEL_CLIENT_REFUSE_NONE;
	if (c->t_.body == POSTEL_DATA_BODY_BINARYMIME)
		return n;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];
		if (cr) {
			if (b != '\n') {
				*r = POSTEL_CLIENT_REFUSE_BARE_LINE_END;
				return i;
			}
			cr = 0;
		} else if (b == '\r') {
			cr = 1;
		} else if (b == '\n') {
			*r = POSTEL_CLIENT_REFUSE_BARE_LINE_END;
			return i;
		} else if (b >= 0x80 && seven) {
			*r = POSTEL_CLIENT_REFUSE_8BITMIME;
			return i;
		}
	}
	if (last && cr) {
		*r = POSTEL_CLIENT_REFUSE_BARE_LINE_END;
		return n ? n - 1 : 0;
	}
	return n;
}

/* Refused content: the message must not be completed. BDAT: RSET undoes
 * the chunks sent (RFC 3030 §2). DATA has no way back but closing the
 * connection before the final dot (RFC 5321 §4.1.1.4). */
static postel_status refuse_content(postel_client *c, postel_client_refusal r)
{
	c->refusal_ = r;
	if (c->t_.bdat) {
		c->t_.failed = 1;
		c->t_.rset = 1;
		txn_abort(c);
	} else {
		drop_output(c);
		closed(c, r == POSTEL_CLIENT_REFUSE_SIZE ? POSTEL_E_LIMIT
							 : POSTEL_E_ARGUMENT,
		       "message content refused; connection dropped to abort "
		       "the DATA transfer");
	}
	return POSTEL_INVALID;
}

postel_status postel_client_body(postel_client *c, const char *p, size_t n,
				 int last, size_t *used)
{
	size_t dummy;
	if (!used)
		used = &dummy;
	*used = 0;
	if (c->err_ >= POSTEL_STATUS_FATAL_MIN)
		return misuse(c);
	if (c->t_.active && c->t_.stage == T_ABORT)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_TRANSACTION_FAILED);
	if (!c->t_.active || c->t_.stage != T_CONTENT || (n && !p))
		return misuse(c);
	if (!want_is(c, CW_CONTENT)) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	client_answered(c);
	postel_client_refusal r;
	size_t k = scan_content(c, p, n, last, &r);
	/* RFC 1870 §6: never more than the server's SIZE */
	if (c->size_max_ && c->t_.content + k > c->size_max_) {
		k = (size_t)(c->size_max_ - c->t_.content);
		r = POSTEL_CLIENT_REFUSE_SIZE;
	}
	if (r != POSTEL_CLIENT_REFUSE_NONE) {
		*used = k;
		return refuse_content(c, r);
	}
	size_t took = 0;
	int done = 0;
	if (!c->t_.bdat) {
		size_t iu = 0, ou = 0;
		postel_status st = postel_data_encode(
			&c->enc_.data, p, n, c->out_ + c->out_w_,
			c->out_cap_ - c->out_w_, &iu, &ou);
		c->out_w_ += ou;
		took = iu;
		if (st == POSTEL_INVALID) { /* cannot happen after the scan */
			*used = took;
			return refuse_content(
				c, POSTEL_CLIENT_REFUSE_BARE_LINE_END);
		}
		if (took == n && last) {
			st = postel_data_encode_end(&c->enc_.data,
						    c->out_ + c->out_w_,
						    c->out_cap_ - c->out_w_, &ou);
			c->out_w_ += ou;
			done = st == POSTEL_OK;
			if (done) {
				enqueue(c, POSTEL_CLIENT_CMD_DOT, 1);
				c->t_.stage = T_FINAL;
			}
		}
	} else {
		/* one complete chunk per round: the header and all its
		 * octets fit in the buffer, so a chunk is never cut short
		 * and a failure can stop between chunks */
		for (;;) {
			size_t room = c->out_cap_ - c->out_w_;
			if (room < POSTEL_BDAT_HEADER_MAX + 1)
				break;
			size_t take = n - took;
			if (take > room - POSTEL_BDAT_HEADER_MAX)
				take = room - POSTEL_BDAT_HEADER_MAX;
			if (c->bdat_chunk_ && take > c->bdat_chunk_)
				take = (size_t)c->bdat_chunk_;
			int l = last && took + take == n;
			if (take == 0 && !l)
				break;
			uint64_t before = postel_bdat_encoder_chunks(
				&c->enc_.bdat);
			size_t iu = 0, ou = 0;
			postel_bdat_encode(&c->enc_.bdat, p + took, take, l,
					   c->out_ + c->out_w_, room, &iu, &ou);
			c->out_w_ += ou;
			took += iu;
			uint64_t made = postel_bdat_encoder_chunks(
						&c->enc_.bdat) - before;
			done = postel_bdat_encoder_done(&c->enc_.bdat);
			if (made && done)
				made--;
			if (made)
				enqueue(c, POSTEL_CLIENT_CMD_BDAT,
					(uint32_t)made);
			if (done) {
				enqueue(c, POSTEL_CLIENT_CMD_BDAT_LAST, 1);
				c->t_.stage = T_FINAL;
				break;
			}
			if (!client_pipelining(c) || queued(c) >= c->pipe_max_)
				break;
		}
	}
	if (took > 0)
		c->t_.cr = (uint8_t)(p[took - 1] == '\r');
	c->t_.content += took;
	*used = took;
	if (took == n && (!last || done))
		return POSTEL_OK;
	if (unsent(c) && c->out_cap_ - c->out_w_ <
					     POSTEL_BDAT_HEADER_MAX + 64)
		come_back(c);
	return POSTEL_OUTPUT_FULL;
}

postel_status postel_client_body_ref(postel_client *c, const char *p,
				     size_t n, int last, size_t *used)
{
	size_t dummy;
	if (!used)
		used = &dummy;
	*used = 0;
	if (!c->t_.bdat || c->err_ >= POSTEL_STATUS_FATAL_MIN ||
	    !c->t_.active || c->t_.stage != T_CONTENT)
		return postel_client_body(c, p, n, last, used);
	if (n && !p)
		return misuse(c);
	if (!want_is(c, CW_CONTENT) || c->ext_n_ ||
	    c->out_cap_ - c->out_w_ < POSTEL_BDAT_HEADER_MAX) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	client_answered(c);
	postel_client_refusal r;
	size_t k = n;
	if (c->bdat_chunk_ && k > c->bdat_chunk_)
		k = (size_t)c->bdat_chunk_;
	int l = last && k == n;
	size_t ok = scan_content(c, p, k, l, &r);
	if (c->size_max_ && c->t_.content + ok > c->size_max_) {
		ok = (size_t)(c->size_max_ - c->t_.content);
		r = POSTEL_CLIENT_REFUSE_SIZE;
	}
	if (r != POSTEL_CLIENT_REFUSE_NONE) {
		*used = ok;
		return refuse_content(c, r);
	}
	/* the header goes in the buffer, the octets stay where they are */
	c->out_w_ += postel_bdat_header(c->out_ + c->out_w_,
					c->out_cap_ - c->out_w_, k, l);
	if (k) {
		c->ext_p_ = p;
		c->ext_n_ = k;
		c->ext_at_ = c->out_w_;
		c->t_.cr = (uint8_t)(p[k - 1] == '\r');
	}
	c->t_.content += k;
	*used = k;
	enqueue(c, l ? POSTEL_CLIENT_CMD_BDAT_LAST : POSTEL_CLIENT_CMD_BDAT, 1);
	if (l) {
		c->t_.stage = T_FINAL;
		return POSTEL_OK;
	}
	if (k < n) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	return POSTEL_OK;
}

postel_status postel_client_auth(postel_client *c, const char *mech,
				 const char *ir, size_t ir_len)
{
	if (!want_is(c, CW_READY))
		return misuse(c);
	if (!(c->caps_ & POSTEL_EHLO_AUTH) || c->authed_)
		return client_refuse(c, POSTEL_CLIENT_REFUSE_AUTH);
	/* RFC 4422 §3.1 sasl-mech, by the grammar */
	size_t ml = mech ? strlen(mech) : 0;
	if (!postel__syntax_sasl_mech(postel__span(mech, ml)) ||
	    (ir_len && !ir))
		return client_refuse(c, POSTEL_CLIENT_REFUSE_PARAM);
	size_t limit = POSTEL_CLIENT_AUTH_LINE_MAX;
	if (limit > c->out_cap_)
		limit = c->out_cap_;
	wbuf w = w_begin(c);
	w_str(&w, "AUTH ");
	w_str(&w, mech);
	/* RFC 4954 §4: an initial response that would pass the line
	 * limit is not sent; the empty challenge asks for it */
	if (ir && 5 + ml + 1 + postel__b64_len(ir_len) + 2 <= limit) {
		w_str(&w, " ");
		if (ir_len)
			w_b64(&w, ir, ir_len);
		else
			w_str(&w, "=");
	}
	w_str(&w, "\r\n");
	postel_status st = w_commit(c, &w, limit);
	if (st == POSTEL_OUTPUT_FULL)
		come_back(c);
	if (st != POSTEL_OK)
		return st;
	client_answered(c);
	c->refusal_ = POSTEL_CLIENT_REFUSE_NONE;
	c->phase_ = PH_AUTH;
	c->auth_step_ = 0;
	enqueue(c, POSTEL_CLIENT_CMD_AUTH, 1);
	return POSTEL_OK;
}

static postel_status auth_line(postel_client *c, const char *p, size_t n,
			       int cancel)
{
	if (!want_is(c, CW_CHALLENGE) || (n && !p))
		return misuse(c);
	wbuf w = w_begin(c);
	if (cancel)
		w_str(&w, "*");
	else
		w_b64(&w, p, n);
	w_str(&w, "\r\n");
	postel_status st = w_commit(c, &w, POSTEL_CLIENT_AUTH_LINE_MAX);
	if (st == POSTEL_OUTPUT_FULL)
		come_back(c);
	if (st != POSTEL_OK)
		return st;
	client_answered(c);
	enqueue(c, POSTEL_CLIENT_CMD_AUTH, 1);
	return POSTEL_OK;
}

postel_status postel_client_auth_respond(postel_client *c, const char *p,
					 size_t n)
{
	return auth_line(c, p, n, 0);
}

postel_status postel_client_auth_cancel(postel_client *c)
{
	return auth_line(c, NULL, 0, 1);
}

static postel_status simple(postel_client *c, const char *verb,
			    postel_client_cmd cmd)
{
	if (!want_is(c, CW_READY))
		return misuse(c);
	if (send_line(c, verb, NULL, 0) != 0) {
		come_back(c);
		return POSTEL_OUTPUT_FULL;
	}
	client_answered(c);
	if (cmd == POSTEL_CLIENT_CMD_QUIT) {
		c->quit_sent_ = 1;
		c->quit_err_ = POSTEL_OK;
		c->quit_text_ = "";
		c->phase_ = PH_QUIT;
	}
	enqueue(c, cmd, 1);
	return POSTEL_OK;
}

postel_status postel_client_rset(postel_client *c)
{
	return simple(c, "RSET", POSTEL_CLIENT_CMD_RSET);
}

postel_status postel_client_noop(postel_client *c)
{
	return simple(c, "NOOP", POSTEL_CLIENT_CMD_NOOP);
}

postel_status postel_client_quit(postel_client *c)
{
	return simple(c, "QUIT", POSTEL_CLIENT_CMD_QUIT);
}

/* ---- SASL helpers ----------------------------------------------------- */

size_t postel_sasl_plain(char *out, size_t cap, const char *authzid,
			 const char *authcid, const char *passwd)
{
	if (!out || !authcid || !passwd)
		return 0;
	size_t z = authzid ? strlen(authzid) : 0;
	size_t u = strlen(authcid), p = strlen(passwd);
	if (u == 0 || p == 0 || z > 255 || u > 255 || p > 255 ||
	    z + u + p + 2 > cap)
		return 0;
	memcpy(out, authzid ? authzid : "", z);
	out[z] = '\0';
	memcpy(out + z + 1, authcid, u);
	out[z + 1 + u] = '\0';
	memcpy(out + z + 2 + u, passwd, p);
	return z + u + p + 2;
}

postel_span postel_sasl_login(uint32_t step, const char *user,
			      const char *passwd)
{
	if (step == 0 && user)
		return postel__span(user, strlen(user));
	if (step == 1 && passwd)
		return postel__span(passwd, strlen(passwd));
	return postel__span(NULL, 0);
}
