/*
 * postel — client engine: a whole SMTP (RFC 5321) or LMTP (RFC 2033)
 * client session, from the server's bytes in to command bytes out.
 *
 * The engine is pure: no allocation, no I/O, no clocks, no callbacks. The
 * caller gives it two buffers at init and moves bytes (contract shared
 * with the server engine, see engine.h):
 *
 *     postel_client c;
 *     postel_client_event ev;
 *     postel_client_init(&c, &config, inbuf, sizeof inbuf, outbuf,
 *                        sizeof outbuf);
 *     for (;;) {
 *         if (postel_client_next(&c, &ev)) { handle(&ev); continue; }
 *         unsigned st = postel_client_state(&c);
 *         if (st & POSTEL_CLOSED) break;            (last_error says why)
 *         if (st & POSTEL_WRITE) { p = postel_client_send_buf(&c, &n);
 *             n = write(fd, p, n); postel_client_send_ack(&c, n); continue; }
 *         if (st & POSTEL_TLS) { handshake(); postel_client_tls_started(&c);
 *             continue; }
 *         if (st & POSTEL_READ) { p = postel_client_recv_buf(&c, &n);
 *             n = read(fd, p, n);
 *             if (n == 0) postel_client_eof(&c);
 *             else postel_client_recv_ack(&c, n); continue; }
 *         break;      (a decision is open: answer it, then loop again)
 *     }
 *
 * Unlike a server, a client produces output in answer to events, so the
 * loop pulls events first: the commands a pipelined group is made of are
 * all queued before the group is written, and the state is looked at
 * only once the events are drained (`handle` answers each decision; an
 * application that answers later leaves the loop and comes back).
 *
 * The session the engine runs:
 *   greeting (220; 421 or 554 end it, RFC 5321 §3.1) → EHLO (LHLO in LMTP
 *   mode), HELO when EHLO gets 500/502 (§3.2) → STARTTLS when the config
 *   asks for it and the server offers it (RFC 3207), then EHLO again
 *   (§4.2) → POSTEL_CLIENT_READY: the application may authenticate
 *   (postel_client_auth, RFC 4954), start a transaction
 *   (postel_client_mail), reset, send NOOP or quit. A transaction asks for
 *   its recipients (POSTEL_CLIENT_NEED_RCPT: postel_client_rcpt, then
 *   postel_client_data) and its content (POSTEL_CLIENT_NEED_CONTENT:
 *   postel_client_body), sent with DATA and the dot-stuffing encoder or
 *   with BDAT when CHUNKING is offered (RFC 3030). Several transactions
 *   may follow each other. With PIPELINING (RFC 2920) MAIL, the RCPTs and
 *   DATA (or the BDAT chunks) go out as one group and replies are matched
 *   in order; without it one command at a time.
 *
 * Replies are matched to commands by counting (RFC 2920 §3.1), lazily:
 * a reply is read only when a command waits for one and has been sent,
 * and decisions the application has to make come before buffered replies
 * are read. So the events do not depend on how the server's bytes were
 * divided into reads.
 * A reply that arrives before its command was sent is therefore taken as
 * that command's reply (the timing of replies is not observable); bytes
 * that can never be a reply are reported: after the reply to QUIT, and
 * bytes received between the 220 to STARTTLS and the TLS handshake, which
 * are discarded (never read as replies after the handshake).
 *
 * The engine refuses, before sending, what the server said it will not
 * take (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3030 BINARYMIME, RFC 6531
 * SMTPUTF8, RFC 8689 REQUIRETLS, RFC 9422 LIMITS): the call returns
 * POSTEL_INVALID and postel_client_refused() says why; nothing was sent.
 *
 * Every malformed or unexpected reply (a code of the wrong class for the
 * command, RFC 5321 §4.3.2; a reply the parser refuses; a reply line too
 * long) is a POSTEL_CLIENT_VIOLATION event and ends the session safely:
 * QUIT is sent when it can be (not inside message content or an AUTH
 * exchange), nothing else, then the state is CLOSED with last_error
 * POSTEL_E_PROTOCOL or POSTEL_E_LIMIT.
 *
 * Spans in events point into the engine's input buffer and stay valid
 * until the next non-const call on the engine. The input buffer is
 * compacted only in _recv_ack and _next; the output buffer only in
 * _send_ack. No call may be made on the engine from inside another.
 */
#ifndef POSTEL_CLIENT_H
#define POSTEL_CLIENT_H

#include "common.h"
#include "data.h"
#include "ehlo.h"
#include "engine.h"
#include "reply.h"
#include "violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What to do about STARTTLS (RFC 3207). */
typedef enum postel_client_tls {
	/** Never send STARTTLS. */
	POSTEL_CLIENT_TLS_NEVER = 0,
	/** STARTTLS when the server offers it; carry on in clear text when
	 * it does not or refuses it (4xx/5xx). */
	POSTEL_CLIENT_TLS_OPPORTUNISTIC = 1,
	/** STARTTLS or nothing: when the server does not offer it or refuses
	 * it, the engine reports the refusal TLS_REQUIRED, sends QUIT and
	 * closes. */
	POSTEL_CLIENT_TLS_REQUIRE = 2
} postel_client_tls;

/** postel_client_config.flags. */
enum postel_client_flag {
	/** LMTP (RFC 2033): LHLO instead of EHLO (no HELO fallback), and one
	 * final reply per accepted recipient after the content (§4.2). */
	POSTEL_CLIENT_LMTP = 1u << 0,
	/** Do not pipeline even when PIPELINING is offered. */
	POSTEL_CLIENT_NO_PIPELINING = 1u << 1,
	/** Use DATA even when CHUNKING is offered (BINARYMIME then refused). */
	POSTEL_CLIENT_NO_CHUNKING = 1u << 2,
	/** Say HELO, not EHLO (no extensions at all, RFC 5321 §4.1.1.1). */
	POSTEL_CLIENT_HELO_ONLY = 1u << 3
};

/** Longest EHLO/HELO/LHLO argument (a domain, RFC 5321 §4.5.3.1.2). */
#define POSTEL_CLIENT_HELO_MAX 255
/** Smallest buffers postel_client_init() accepts. */
#define POSTEL_CLIENT_MIN_INBUF 512
#define POSTEL_CLIENT_MIN_OUTBUF 1024
/** Reply lines the engine can hold for one reply (every line of an EHLO
 * reply must be stored to read its capabilities). */
#define POSTEL_CLIENT_REPLY_LINES 64
/** AUTH mechanisms and unknown EHLO keywords kept for the EHLO event. */
#define POSTEL_CLIENT_EHLO_MECHS 16
#define POSTEL_CLIENT_EHLO_UNKNOWN 16
/** Default most commands waiting for replies when pipelining. */
#define POSTEL_CLIENT_PIPELINE_DEFAULT 100
/** Most recipients of one LMTP transaction (their per-recipient final
 * replies are matched to them, RFC 2033 §4.2). */
#define POSTEL_CLIENT_LMTP_RCPT_MAX 1024
/** Longest AUTH command or response line, CRLF included (RFC 4954 §4). */
#define POSTEL_CLIENT_AUTH_LINE_MAX 12288

/**
 * Engine settings. Copied at init (the helo name too). A zeroed struct
 * with `helo` set is a valid configuration.
 */
typedef struct postel_client_config {
	/** The client's domain or address literal for EHLO/HELO/LHLO
	 * (RFC 5321 §4.1.1.1, by the grammar; ASCII); 1 to
	 * POSTEL_CLIENT_HELO_MAX octets. Required. */
	const char *helo;
	/** Length of `helo`; 0: `helo` is NUL-terminated (strlen). */
	size_t helo_len;
	/** POSTEL_CLIENT_* flags. */
	uint32_t flags;
	/** STARTTLS policy. */
	postel_client_tls starttls;
	/** POSTEL_LENIENT_* bits given to the reply and EHLO parsers. */
	uint32_t lenient;
	/** Longest reply line, CRLF included; 0: POSTEL_REPLY_MAX_LINE
	 * (512, RFC 5321 §4.5.3.1.5). AUTH challenges may be up to
	 * POSTEL_CLIENT_AUTH_LINE_MAX whatever this says (RFC 4954 §4).
	 * Limits are lowered to fit the input buffer. */
	size_t max_reply_line;
	/** Most octets of one reply; 0: POSTEL_REPLY_MAX_REPLY. */
	size_t max_reply;
	/** BDAT chunk size; 0: as much as the output buffer holds. */
	uint64_t bdat_chunk;
	/** Most commands waiting for replies when pipelining; 0:
	 * POSTEL_CLIENT_PIPELINE_DEFAULT. Keeps a group within what a
	 * blocking peer can take (RFC 2920 §3.1, deadlock note). */
	uint32_t pipeline_max;
} postel_client_config;

/**
 * Why the engine refused to send something (postel_client_refused(),
 * POSTEL_CLIENT_REFUSED events). X(ID, "name", "RFC section").
 */
#define POSTEL_CLIENT_REFUSALS(X)                                              \
	X(NONE, "none", "")                                                    \
	X(SIZE, "size", "RFC 1870 §6")                                         \
	X(8BITMIME, "8bitmime", "RFC 6152 §3")                                 \
	X(BINARYMIME, "binarymime", "RFC 3030 §3")                             \
	X(SMTPUTF8, "smtputf8", "RFC 6531 §3.4")                               \
	X(REQUIRETLS, "requiretls", "RFC 8689 §4.2")                           \
	X(PARAM, "param", "RFC 5321 §4.1.2")                                   \
	X(TLS_REQUIRED, "tls-required", "RFC 3207 §4")                         \
	X(RCPTMAX, "rcptmax", "RFC 9422 §4.2")                                 \
	X(ADDRESS, "address", "RFC 5321 §4.1.2")                               \
	X(LINE_TOO_LONG, "line-too-long", "RFC 5321 §4.5.3.1.4")              \
	X(BARE_LINE_END, "bare-line-end", "RFC 5321 §2.3.8")                   \
	X(AUTH, "auth", "RFC 4954 §3")                                         \
	X(TRANSACTION_FAILED, "transaction-failed", "RFC 3030 §2")

typedef enum postel_client_refusal {
#define POSTEL_X_(id, name, rfc) POSTEL_CLIENT_REFUSE_##id,
	POSTEL_CLIENT_REFUSALS(POSTEL_X_)
#undef POSTEL_X_
	POSTEL_CLIENT_REFUSE_MAX_
} postel_client_refusal;

/** Stable short name of a refusal ("size"), or "unknown". */
POSTEL_EXTERN const char *postel_client_refusal_name(postel_client_refusal r);
/** The RFC section behind a refusal, or "". */
POSTEL_EXTERN const char *postel_client_refusal_rfc(postel_client_refusal r);

/** The command a reply answers. */
typedef enum postel_client_cmd {
	POSTEL_CLIENT_CMD_NONE = 0,
	POSTEL_CLIENT_CMD_GREETING = 1, /**< the connection greeting */
	POSTEL_CLIENT_CMD_EHLO = 2,
	POSTEL_CLIENT_CMD_HELO = 3,
	POSTEL_CLIENT_CMD_LHLO = 4,
	POSTEL_CLIENT_CMD_STARTTLS = 5,
	POSTEL_CLIENT_CMD_AUTH = 6,     /**< AUTH and each response line */
	POSTEL_CLIENT_CMD_MAIL = 7,
	POSTEL_CLIENT_CMD_RCPT = 8,
	POSTEL_CLIENT_CMD_DATA = 9,     /**< the DATA command (354) */
	POSTEL_CLIENT_CMD_DOT = 10,     /**< end of DATA content: final */
	POSTEL_CLIENT_CMD_BDAT = 11,    /**< a BDAT chunk without LAST */
	POSTEL_CLIENT_CMD_BDAT_LAST = 12, /**< the LAST chunk: final */
	POSTEL_CLIENT_CMD_RSET = 13,
	POSTEL_CLIENT_CMD_NOOP = 14,
	POSTEL_CLIENT_CMD_QUIT = 15
} postel_client_cmd;

/** Stable lower-case name of a command ("mail", "bdat-last"). */
POSTEL_EXTERN const char *postel_client_cmd_name(postel_client_cmd c);

/** Event types. */
typedef enum postel_client_event_type {
	POSTEL_CLIENT_NONE = 0,
	/** A reply to `cmd`: `reply`. For RCPT, `rcpt` is the recipient's
	 * index (0-based, in the order given); for the final reply of an
	 * LMTP transaction (DOT, BDAT_LAST) `rcpt` is the index of the
	 * accepted recipient it is for (RFC 2033 §4.2). For a 250 to EHLO
	 * or LHLO `ehlo` holds the capabilities. */
	POSTEL_CLIENT_REPLY = 1,
	/** Decision: the session is idle. Answer with postel_client_mail(),
	 * _auth(), _rset(), _noop() or _quit(). */
	POSTEL_CLIENT_READY = 2,
	/** Decision: give a recipient with postel_client_rcpt(), or end the
	 * recipients with postel_client_data(). `rcpt`: recipients given. */
	POSTEL_CLIENT_NEED_RCPT = 3,
	/** Decision: give content with postel_client_body(). `size`: content
	 * octets given so far. */
	POSTEL_CLIENT_NEED_CONTENT = 4,
	/** Decision: a 334 challenge (`reply`), base64-decoded in
	 * `challenge`; `step` counts the challenges of this exchange from 0.
	 * Answer with postel_client_auth_respond() or _auth_cancel(). The
	 * challenge is decoded in place (zero copy): the text of `reply`
	 * now holds it, so only the reply's code and line count stand. */
	POSTEL_CLIENT_AUTH_CHALLENGE = 5,
	/** The server broke a rule: `violation`, while waiting for the reply
	 * to `cmd`; `size` counts discarded octets for STARTTLS_INJECTION. */
	POSTEL_CLIENT_VIOLATION = 6,
	/** The engine refused, on its own, to go on: `refusal` (e.g.
	 * TLS_REQUIRED, or SIZE while content was streaming). */
	POSTEL_CLIENT_REFUSED = 7,
	/** A transaction is over: `rcpt` recipients were given, `accepted`
	 * of them got a positive final reply (0 when the transaction
	 * failed). `reply` is the last reply of the transaction, if any. */
	POSTEL_CLIENT_TRANSACTION_END = 8
} postel_client_event_type;

/** Stable name of an event type ("reply", "need-rcpt"). */
POSTEL_EXTERN const char *
postel_client_event_name(postel_client_event_type t);

/** One event. Fields not listed for its type are zero / NULL. */
typedef struct postel_client_event {
	postel_client_event_type type;
	postel_client_cmd cmd;
	/** The reply (spans into the input buffer). */
	const postel_reply *reply;
	/** EHLO/LHLO capabilities (spans into the input buffer). */
	const postel_ehlo *ehlo;
	/** AUTH_CHALLENGE: the decoded challenge (in the input buffer). */
	postel_span challenge;
	uint32_t rcpt;
	uint32_t accepted;
	uint32_t step;
	uint64_t size;
	postel_violation violation;
	postel_client_refusal refusal;
} postel_client_event;

/** DSN RET (RFC 3461 §4.3). */
typedef enum postel_client_ret {
	POSTEL_CLIENT_RET_NONE = 0,
	POSTEL_CLIENT_RET_FULL = 1,
	POSTEL_CLIENT_RET_HDRS = 2
} postel_client_ret;

/** DSN NOTIFY bits (RFC 3461 §4.1); NEVER stands alone. */
enum postel_client_notify {
	POSTEL_CLIENT_NOTIFY_NEVER = 1u << 0,
	POSTEL_CLIENT_NOTIFY_SUCCESS = 1u << 1,
	POSTEL_CLIENT_NOTIFY_FAILURE = 1u << 2,
	POSTEL_CLIENT_NOTIFY_DELAY = 1u << 3
};

/**
 * A parameter the engine has no field for: "KEYWORD" or "KEYWORD=VALUE"
 * (RFC 5321 §4.1.2 esmtp-param). Known keywords need their extension to
 * be offered: BY (DELIVERBY), HOLDFOR/HOLDUNTIL (FUTURERELEASE),
 * MT-PRIORITY, RRVS, MTRK; unknown keywords are sent as given.
 */
typedef struct postel_client_param {
	postel_span keyword;
	postel_span value; /**< empty: the keyword alone */
} postel_client_param;

/**
 * A transaction's MAIL command. Zero everything but what you need.
 */
typedef struct postel_client_mail_opts {
	/** Reverse-path without angle brackets; empty: the null path <>. */
	postel_span from;
	/** Message size in octets (RFC 1870 §4), 0: not declared. Sent as
	 * SIZE= when SIZE is offered; refused (SIZE) when over the server's
	 * limit. Content is counted too: passing the limit while streaming
	 * aborts the message. */
	uint64_t size;
	/** BODY= (RFC 6152, RFC 3030). 8BITMIME needs 8BITMIME, BINARYMIME
	 * needs BINARYMIME and CHUNKING. 7BIT content with 8-bit octets is
	 * refused (8BITMIME). BODY=7BIT is sent when 8BITMIME is offered. */
	postel_data_body body;
	/** Nonzero: SMTPUTF8 (RFC 6531 §3.4), needed for UTF-8 addresses;
	 * set by the engine when `from` has UTF-8. */
	int smtputf8;
	/** Nonzero: REQUIRETLS (RFC 8689 §4.2); needs TLS and REQUIRETLS. */
	int requiretls;
	/** DSN (RFC 3461): RET and ENVID (raw: the engine xtext-encodes).
	 * Dropped when the server does not offer DSN (§6.1 (a)). */
	postel_client_ret ret;
	postel_span envid;
	/** AUTH= (RFC 4954 §5): raw mailbox, xtext-encoded by the engine;
	 * `auth_set` with an empty `auth` sends AUTH=<>. Sent only when the
	 * server offers AUTH. */
	int auth_set;
	postel_span auth;
	/** More parameters; see postel_client_param. */
	const postel_client_param *params;
	size_t num_params;
} postel_client_mail_opts;

/** Options of one RCPT command (NULL: none). */
typedef struct postel_client_rcpt_opts {
	/** DSN NOTIFY bits, 0: none; ORCPT (raw address, sent as
	 * "rfc822;" + xtext, RFC 3461 §4.2). Dropped without DSN. */
	unsigned notify;
	postel_span orcpt;
	const postel_client_param *params;
	size_t num_params;
} postel_client_rcpt_opts;

/**
 * Client engine context. Caller-allocated; every field is private (it is
 * defined here for sizing only).
 */
typedef struct postel_client {
	/* private: */
	/* config */
	uint32_t flags_, lenient_, pipe_max_;
	uint8_t tls_policy_, helo_len_;
	char helo_[POSTEL_CLIENT_HELO_MAX + 1];
	uint64_t bdat_chunk_;
	size_t max_line_, max_reply_;
	/* buffers */
	char *in_;
	size_t in_cap_, in_len_, in_drop_;
	char *out_;
	size_t out_cap_, out_r_, out_w_;
	const char *ext_p_; /* zero-copy BDAT chunk, sent at ext_at_ */
	size_t ext_n_, ext_at_;
	/* parsers */
	postel_reply_parser rp_;
	postel_reply reply_;
	postel_ehlo ehlo_;
	postel_span lines_[POSTEL_CLIENT_REPLY_LINES];
	postel_span mechs_[POSTEL_CLIENT_EHLO_MECHS];
	postel_ehlo_ext unknown_[POSTEL_CLIENT_EHLO_UNKNOWN];
	uint8_t auth_parser_, ehlo_ok_;
	/* what the server offered */
	uint32_t caps_;
	uint64_t size_max_, rcpt_max_;
	/* commands waiting for replies: a ring of (command, count) runs */
	struct {
		uint8_t cmd;
		uint32_t n;
	} q_[8];
	uint8_t qh_, qn_;
	/* session */
	uint8_t phase_, want_, delivered_, hold_;
	uint8_t tls_on_, authed_;
	uint8_t need_input_, eof_, closing_, quit_sent_;
	uint8_t after_quit_, tail_reported_, in_call_;
	uint32_t auth_step_;
	uint64_t tls_junk_;
	postel_status quit_err_;
	const char *quit_text_;
	/* the transaction */
	struct {
		uint8_t active, stage, mail, pipelined, bdat, failed, rset;
		uint8_t smtputf8, body, cr;
		uint32_t given, replied, ok, finals, delivered, cursor;
		uint64_t size, content;
		uint8_t lmtp_ok[POSTEL_CLIENT_LMTP_RCPT_MAX / 8];
	} t_;
	union {
		postel_data_encoder data;
		postel_bdat_encoder bdat;
	} enc_;
	/* events waiting to be pulled */
	struct {
		uint8_t type, cmd, refusal, with_reply, with_ehlo;
		uint16_t violation;
		uint32_t rcpt, accepted, step;
		uint64_t size;
	} ev_[24];
	uint8_t evh_, evn_;
	postel_span challenge_;
	/* failure */
	postel_status err_;
	const char *err_text_;
	postel_client_refusal refusal_;
} postel_client;

/**
 * Initialise `c` for one connection. `config` is copied. `inbuf` (at
 * least POSTEL_CLIENT_MIN_INBUF octets) receives the server's bytes;
 * `outbuf` (at least POSTEL_CLIENT_MIN_OUTBUF) holds the commands and
 * content to send; both stay the caller's and must outlive `c`. A
 * command or AUTH line that does not fit in an empty `outbuf` is refused
 * (LINE_TOO_LONG). The engine starts waiting for the greeting
 * (POSTEL_READ, timeout GREETING).
 * Returns POSTEL_OK, or POSTEL_E_ARGUMENT (NULL pointers, buffers too
 * small, a helo name that is empty, too long or not a Domain or address
 * literal); then `c` is failed (CLOSED) until re-initialised.
 */
POSTEL_EXTERN postel_status postel_client_init(postel_client *c,
					       const postel_client_config *config,
					       char *inbuf, size_t incap,
					       char *outbuf, size_t outcap);

/** Start over for a new connection, keeping the config and buffers;
 * clears a sticky failure. */
POSTEL_EXTERN void postel_client_reset(postel_client *c);

/**
 * POSTEL_READ | WRITE | DECIDE | TLS | CLOSED (engine.h). DECIDE means
 * "call postel_client_next()": an event waits, a decision is open, or
 * received bytes are not yet read. CLOSED comes only once everything to
 * send has been taken. Never changes the engine.
 */
POSTEL_EXTERN unsigned postel_client_state(const postel_client *c);

/**
 * Room for bytes from the server: returns where to put them and `*n`,
 * how many fit (0 when the engine takes none now). While the engine waits
 * for the TLS handshake, and after it is CLOSED, bytes given here are
 * discarded (and reported, see above). Never changes the engine.
 */
POSTEL_EXTERN char *postel_client_recv_buf(const postel_client *c, size_t *n);

/**
 * `n` bytes were written at postel_client_recv_buf(). Returns POSTEL_OK,
 * or POSTEL_E_ARGUMENT when `n` is more than the room offered. May
 * compact the input buffer: spans of earlier events become invalid.
 */
POSTEL_EXTERN postel_status postel_client_recv_ack(postel_client *c,
						   size_t n);

/** Bytes to send to the server and `*n` (NULL, 0 when none). Valid
 * until postel_client_send_ack(). Never changes the engine. */
POSTEL_EXTERN const char *postel_client_send_buf(const postel_client *c,
						 size_t *n);

/** `n` bytes of postel_client_send_buf() went out. POSTEL_E_ARGUMENT
 * when `n` is more than were offered. */
POSTEL_EXTERN postel_status postel_client_send_ack(postel_client *c,
						   size_t n);

/**
 * Pull the next event into `*ev`. Returns 1 with an event, 0 when there
 * is none now. Reads a buffered reply (at most one per call) only when a
 * command waits for one, everything queued has been taken by
 * postel_client_send_ack() (a reply is never read before its command went
 * out) and no decision is open. Invalidates the spans of the previous
 * event. A decision event is returned once; it stays open
 * until answered (state DECIDE). A decision answered with
 * POSTEL_OUTPUT_FULL is returned again once the output buffer has
 * drained.
 */
POSTEL_EXTERN int postel_client_next(postel_client *c,
				     postel_client_event *ev);

/**
 * The server closed the connection (read returned 0). Replies already
 * received are still read first. After QUIT this is the normal end;
 * otherwise the session ends with POSTEL_E_CLOSED (RFC 5321 §3.8: a
 * server closes only after QUIT, or after a 421 reply).
 */
POSTEL_EXTERN postel_status postel_client_eof(postel_client *c);

/**
 * The TLS handshake the engine asked for (state TLS) succeeded: the
 * session restarts (RFC 3207 §4.2: everything learnt from the server is
 * forgotten) and EHLO is sent again. Bytes that arrived between the 220
 * and now were discarded and are reported as a STARTTLS_INJECTION
 * violation. Returns POSTEL_E_STATE when no handshake was asked for.
 * When the handshake fails, just close the connection.
 */
POSTEL_EXTERN postel_status postel_client_tls_started(postel_client *c);

/** Nonzero once a TLS handshake has completed in this session. */
POSTEL_EXTERN int postel_client_tls_active(const postel_client *c);

/**
 * The RFC 5321 §4.5.3.2 timer that applies now: GREETING, MAIL, RCPT,
 * DATA_INIT (354), DATA_BLOCK (content waits to be sent), DATA_TERM (the
 * final reply, and BDAT replies), COMMAND (other replies), NONE (the
 * engine waits for the application, or is closed).
 */
POSTEL_EXTERN postel_timeout postel_client_timeout(const postel_client *c);

/** The caller's timer for postel_client_timeout() expired: the session
 * ends at once (CLOSED, POSTEL_E_CLOSED). */
POSTEL_EXTERN postel_status postel_client_timed_out(postel_client *c);

/**
 * Why the session ended, or the sticky failure: POSTEL_OK (still running,
 * or ended in order after QUIT), POSTEL_E_CLOSED (the server closed, sent
 * 421, or a timeout), POSTEL_E_PROTOCOL (a violation), POSTEL_E_LIMIT
 * (a reply over a limit, or content over the server's SIZE while
 * streaming DATA), POSTEL_E_ARGUMENT / POSTEL_E_STATE (API misuse).
 */
POSTEL_EXTERN postel_status postel_client_last_error(const postel_client *c);
/** One English sentence about last_error ("" while running fine). */
POSTEL_EXTERN const char *
postel_client_last_error_text(const postel_client *c);

/** The reason of the last refusal (POSTEL_INVALID from a call, or a
 * REFUSED event); NONE when there was none. */
POSTEL_EXTERN postel_client_refusal
postel_client_refused(const postel_client *c);

/** POSTEL_EHLO_* bits the server offered in its last EHLO/LHLO reply (0
 * after HELO or before). */
POSTEL_EXTERN uint32_t postel_client_caps(const postel_client *c);
/** Its SIZE limit (RFC 1870), 0: none declared. */
POSTEL_EXTERN uint64_t postel_client_size_limit(const postel_client *c);

/* ---- answers to decisions -------------------------------------------
 * Each returns POSTEL_OK (done: the command is queued), POSTEL_INVALID
 * (refused before sending: postel_client_refused() says why; the
 * decision stays open), POSTEL_OUTPUT_FULL (no room now: call again when
 * the decision comes back), or POSTEL_E_STATE when no such decision is
 * open (API misuse; sticky). */

/**
 * Start a transaction (at READY). Checks `m` against what the server
 * offered (refusals SIZE, 8BITMIME, BINARYMIME, SMTPUTF8, REQUIRETLS,
 * PARAM, ADDRESS, LINE_TOO_LONG) and sends MAIL FROM with the parameters
 * that apply (RFC 5321 §4.1.1.2). Then NEED_RCPT events follow.
 */
POSTEL_EXTERN postel_status postel_client_mail(postel_client *c,
					       const postel_client_mail_opts *m);

/**
 * One recipient (at NEED_RCPT): `to` without angle brackets (`n`
 * octets), options `o` (may be NULL). Refusals: ADDRESS, SMTPUTF8 (UTF-8
 * without SMTPUTF8 in the MAIL), RCPTMAX (LIMITS RCPTMAX, RFC 9422, or
 * POSTEL_CLIENT_LMTP_RCPT_MAX in LMTP mode), PARAM, LINE_TOO_LONG. Its
 * reply comes as a REPLY event with the recipient's index.
 */
POSTEL_EXTERN postel_status postel_client_rcpt(postel_client *c,
					       const char *to, size_t n,
					       const postel_client_rcpt_opts *o);

/**
 * No more recipients (at NEED_RCPT): DATA, or BDAT chunks, follow. With
 * no recipient given or accepted the transaction ends (RSET when the
 * server accepted the MAIL).
 */
POSTEL_EXTERN postel_status postel_client_data(postel_client *c);

/**
 * Message content (at NEED_CONTENT, and while it streams): `p`, `n`
 * octets, `last` nonzero when they are the rest of the message.
 * `*used` says how many were taken; offer the others again.
 * Text bodies (7BIT, 8BITMIME) must use CRLF line ends: a bare CR or LF
 * is refused (BARE_LINE_END; the send tool converts them first), as is
 * an 8-bit octet in a 7BIT body (8BITMIME). With DATA the content is
 * dot-stuffed (RFC 5321 §4.5.2) and ended with "." CRLF; with BDAT it
 * goes out unaltered in chunks (RFC 3030 §2).
 * Returns POSTEL_OK (all taken), POSTEL_OUTPUT_FULL (some taken: wait
 * for the next NEED_CONTENT), POSTEL_INVALID (refused: nothing of this
 * call is sent, `*used` is the offset of the offending octet, and the
 * transaction is aborted: with BDAT by RSET, with DATA by closing the
 * connection, the only way to stop a DATA message; refusal
 * TRANSACTION_FAILED when a pipelined BDAT failed meanwhile).
 */
POSTEL_EXTERN postel_status postel_client_body(postel_client *c,
					       const char *p, size_t n,
					       int last, size_t *used);

/**
 * Zero-copy content for BDAT (RFC 3030): like postel_client_body(), but
 * the octets are not copied: the engine puts "BDAT n [LAST]" in its
 * output buffer and then hands out `p` itself from
 * postel_client_send_buf(). One call makes at most one chunk (of at most
 * the configured chunk size); `p` must stay valid and unchanged until the
 * engine has sent it: until the next NEED_CONTENT or READY event, or the
 * end of the session.
 * With DATA (no CHUNKING), the content has to be dot-stuffed, so this is
 * postel_client_body() (a copy). Same returns and refusals.
 */
POSTEL_EXTERN postel_status postel_client_body_ref(postel_client *c,
						   const char *p, size_t n,
						   int last, size_t *used);

/**
 * Authenticate (at READY, once per session, RFC 4954): AUTH `mech`
 * (NUL-terminated SASL name) with an initial response `ir` of `ir_len`
 * octets (raw: the engine encodes it in base64; "=" when empty), or none
 * when `ir` is NULL. An initial response that would make the line longer
 * than POSTEL_CLIENT_AUTH_LINE_MAX (or the output buffer) is not sent
 * (§4): answer the empty challenge that follows with it. Refusals: AUTH
 * (not offered, or already authenticated), PARAM (bad mechanism name).
 */
POSTEL_EXTERN postel_status postel_client_auth(postel_client *c,
					       const char *mech,
					       const char *ir, size_t ir_len);

/** Answer an AUTH_CHALLENGE with `p`, `n` raw octets (base64-encoded by
 * the engine). Refusal: LINE_TOO_LONG. */
POSTEL_EXTERN postel_status postel_client_auth_respond(postel_client *c,
						       const char *p,
						       size_t n);

/** Cancel the exchange at an AUTH_CHALLENGE: "*" (RFC 4954 §4; the
 * server answers 501). */
POSTEL_EXTERN postel_status postel_client_auth_cancel(postel_client *c);

/** RSET, NOOP or QUIT (at READY). After the reply to QUIT (221) the
 * state is CLOSED with POSTEL_OK. */
POSTEL_EXTERN postel_status postel_client_rset(postel_client *c);
POSTEL_EXTERN postel_status postel_client_noop(postel_client *c);
POSTEL_EXTERN postel_status postel_client_quit(postel_client *c);

/* ---- SASL helpers ---------------------------------------------------- */

/**
 * PLAIN (RFC 4616 §2): writes authzid NUL authcid NUL passwd to `out`
 * (authzid may be NULL: empty). Returns the length, or 0 when it does
 * not fit in `cap` or a string holds a NUL (never possible with C
 * strings) or is empty (authcid, passwd). Use it as the initial response.
 */
POSTEL_EXTERN size_t postel_sasl_plain(char *out, size_t cap,
				       const char *authzid, const char *authcid,
				       const char *passwd);

/**
 * LOGIN (draft-murchison-sasl-login): the answer to challenge `step`
 * (0: the user name, 1: the password; a span of the given string), or an
 * empty span with p NULL for any later step (cancel then).
 */
POSTEL_EXTERN postel_span postel_sasl_login(uint32_t step, const char *user,
					    const char *passwd);

#ifdef __cplusplus
}
#endif
#endif
