/*
 * postel — the server engine: a whole SMTP, ESMTP or LMTP server session
 * (RFC 5321, its service extensions, RFC 2033), from received bytes to
 * reply bytes, as a pure state machine.
 *
 * The engine owns the protocol: it parses commands (postel/command.h),
 * decodes DATA and BDAT content (postel/data.h), enforces sequencing,
 * limits and the RFC-fixed replies, advertises extensions, and formats
 * every reply. The application owns I/O, TLS, clocks and policy: the
 * engine asks it for decisions through pulled events and never calls it.
 *
 * Driving loop (see engine.h for the state bits; write before reading):
 *
 *   postel_server s;
 *   postel_server_config c;
 *   postel_server_config_default(&c);
 *   c.hostname = "mx.example.org";
 *   c.extensions = POSTEL_SERVER_EXT_DEFAULT;
 *   if (postel_server_init(&s, &c, in, sizeof in, out, sizeof out) != 0)
 *       ... config or buffers unusable ...
 *   for (;;) {
 *       unsigned st = postel_server_state(&s);
 *       if (st & POSTEL_CLOSED) break;
 *       if (st & POSTEL_WRITE) {
 *           p = postel_server_send_buf(&s, &n); n = write(fd, p, n);
 *           postel_server_send_ack(&s, n); continue;
 *       }
 *       if (st & POSTEL_DECIDE) {
 *           while (postel_server_next(&s, &ev))
 *               if (ev.decide) postel_server_accept(&s);   (or later)
 *           continue;
 *       }
 *       if (st & POSTEL_TLS) { handshake(); postel_server_tls_started(&s);
 *                              continue; }
 *       if (st & POSTEL_READ) {
 *           p = postel_server_recv_buf(&s, &n); n = read(fd, p, n);
 *           if (n == 0) postel_server_eof(&s);
 *           else postel_server_recv_ack(&s, n);
 *       }
 *   }
 *
 * Lifetimes. The config struct is copied at init, but the strings it
 * points to (hostname, AUTH mechanisms, extra keywords) are referenced, not
 * copied: they must stay valid and unchanged while the engine is in use
 * (static strings or the application's configuration, typically). Spans
 * in an event point into the engine's input buffer (or into the engine)
 * and stay valid until the next non-const call on the engine; any
 * non-const call may move unprocessed input to the front of the buffer.
 * Const calls (state, send_buf, recv_buf, timeout, the session getters)
 * change nothing.
 *
 * Pipelining (RFC 2920). Commands already received are processed in
 * order and answered in order; replies are batched: WRITE is raised only
 * when the engine has nothing left to do without the peer or the
 * application (it needs input, its output buffer is full, TLS must start,
 * or the session closes), so one write carries a pipelined group's
 * replies. While an event waits (DECIDE) nothing further is consumed;
 * input already received is processed after the answer.
 */
#ifndef POSTEL_SERVER_H
#define POSTEL_SERVER_H

#include "postel/command.h"
#include "postel/common.h"
#include "postel/engine.h"
#include "postel/violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Configuration
 * ====================================================================== */

/**
 * Service extensions the server offers (advertised in the EHLO/LHLO reply
 * and enforced: a parameter or command of an extension not offered in this
 * session is refused as the RFCs say).
 */
enum postel_server_ext {
	POSTEL_SERVER_EXT_PIPELINING = 1u << 0,  /**< RFC 2920 */
	POSTEL_SERVER_EXT_SIZE = 1u << 1,        /**< RFC 1870: "SIZE n" */
	POSTEL_SERVER_EXT_8BITMIME = 1u << 2,    /**< RFC 6152 */
	POSTEL_SERVER_EXT_BINARYMIME = 1u << 3,  /**< RFC 3030 §3; needs
						  * CHUNKING */
	POSTEL_SERVER_EXT_CHUNKING = 1u << 4,    /**< RFC 3030 §2: BDAT */
	POSTEL_SERVER_EXT_DSN = 1u << 5,         /**< RFC 3461: RET ENVID
						  * NOTIFY ORCPT */
	POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES = 1u << 6, /**< RFC 2034 */
	POSTEL_SERVER_EXT_STARTTLS = 1u << 7,    /**< RFC 3207; never after
						  * TLS */
	POSTEL_SERVER_EXT_AUTH = 1u << 8,        /**< RFC 4954; needs
						  * auth_mechanisms */
	POSTEL_SERVER_EXT_SMTPUTF8 = 1u << 9,    /**< RFC 6531 */
	POSTEL_SERVER_EXT_REQUIRETLS = 1u << 10, /**< RFC 8689; only under
						  * TLS */
	POSTEL_SERVER_EXT_LIMITS = 1u << 11,     /**< RFC 9422: RCPTMAX
						  * (and MAILMAX) */
	POSTEL_SERVER_EXT_ETRN = 1u << 12,       /**< RFC 1985 */
	POSTEL_SERVER_EXT_MT_PRIORITY = 1u << 13, /**< RFC 6710 */
	POSTEL_SERVER_EXT_DELIVERBY = 1u << 14,  /**< RFC 2852 */
	POSTEL_SERVER_EXT_RRVS = 1u << 15,       /**< RFC 7293 */
	POSTEL_SERVER_EXT_MTRK = 1u << 16,       /**< RFC 3885; needs DSN */
	POSTEL_SERVER_EXT_EXPN = 1u << 17,       /**< advertise "EXPN"
						  * (RFC 5321 §3.5.2) */
	POSTEL_SERVER_EXT_HELP = 1u << 18        /**< advertise "HELP" */
};

/** What `postel sink` offers: every extension postel implements that
 * needs no credentials or certificate. */
#define POSTEL_SERVER_EXT_DEFAULT                                             \
	(POSTEL_SERVER_EXT_PIPELINING | POSTEL_SERVER_EXT_SIZE |              \
	 POSTEL_SERVER_EXT_8BITMIME | POSTEL_SERVER_EXT_BINARYMIME |          \
	 POSTEL_SERVER_EXT_CHUNKING | POSTEL_SERVER_EXT_DSN |                 \
	 POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES | POSTEL_SERVER_EXT_SMTPUTF8 | \
	 POSTEL_SERVER_EXT_LIMITS)

/** Session options (postel_server_config.flags). */
enum postel_server_flag {
	/** LMTP (RFC 2033): LHLO instead of HELO/EHLO, one final reply per
	 * accepted recipient. PIPELINING and ENHANCEDSTATUSCODES are always
	 * offered (RFC 2033 §4.1 / §5). */
	POSTEL_SERVER_LMTP = 1u << 0,
	/** The connection is already under TLS (implicit TLS, RFC 8314 §3):
	 * no STARTTLS, the "S" of ESMTPS in the trace. */
	POSTEL_SERVER_TLS = 1u << 1,
	/** Offer AUTH only under TLS (RFC 4954 §4: plaintext passwords need
	 * a protected session). */
	POSTEL_SERVER_AUTH_TLS_ONLY = 1u << 2,
	/** Refuse MAIL before a successful AUTH: 530 5.7.0 (RFC 4954 §6). */
	POSTEL_SERVER_AUTH_REQUIRED = 1u << 3,
	/** Refuse MAIL before STARTTLS: 530 5.7.0 (RFC 3207 §4). */
	POSTEL_SERVER_TLS_REQUIRED = 1u << 4
};

/**
 * Engine settings. Fill with postel_server_config_default(), then set
 * what differs. Copied at init; the strings are referenced (see the file
 * comment).
 */
typedef struct postel_server_config {
	/** Our domain (RFC 5321 §4.1.2 Domain or §4.1.3 address literal,
	 * as the grammar defines them): first word of the greeting, the
	 * EHLO reply, 221 and 421. Required; at most 255 octets. */
	const char *hostname;
	/** POSTEL_SERVER_EXT_* to offer. */
	uint32_t extensions;
	/** POSTEL_SERVER_* options. */
	uint32_t flags;
	/** POSTEL_LENIENT_* tolerances (common.h): command, data and
	 * server bits apply. */
	uint32_t lenient;
	/** Most recipients per transaction; more get 452 4.5.3 (RFC 5321
	 * §4.5.3.1.10). Advertised as LIMITS RCPTMAX. Default 100, the
	 * minimum of §4.5.3.1.8 (smaller values are allowed but violate
	 * it). */
	uint32_t max_recipients;
	/** Most transactions per session (LIMITS MAILMAX, RFC 9422); 0: no
	 * limit and not advertised. A MAIL past it gets 452 4.5.3 (the
	 * client may go on in a new session). */
	uint32_t max_transactions;
	/** Protocol error replies (500-504, 553, 555: the client's mistakes,
	 * not policy refusals) after which the engine sends 421 4.7.0 and
	 * closes. Default 20. */
	uint32_t max_errors;
	/** Longest command line in octets incl. CRLF (RFC 5321 §4.5.3.1.4).
	 * Default 512. MAIL and RCPT lines may be longer by what their
	 * parameters add (RFC 1869 §4.1.2; POSTEL_CMD_MAX_MAIL_LINE,
	 * POSTEL_CMD_MAX_RCPT_LINE). Longer lines get 500 5.5.2 and are
	 * never buffered. Every line limit is capped by the input buffer
	 * size. */
	uint32_t max_line;
	/** Longest AUTH command or SASL response line (RFC 4954 §4).
	 * Default 12288; longer ones get 500 5.5.6. */
	uint32_t max_auth_line;
	/** Longest message text line (RFC 5321 §4.5.3.1.6); default 1000. */
	uint32_t max_data_line;
	/** Message size limit in octets (RFC 1870), advertised as "SIZE n";
	 * 0: no limit (bare "SIZE", RFC 1870 §4). A declared SIZE= over it
	 * gets 552 5.3.4 at MAIL, content over it 552 5.3.4 at the end. */
	uint64_t max_size;
	/** Mechanism names (RFC 4422 §3.1 sasl-mech) for EXT_AUTH, separated
	 * by single spaces ("PLAIN LOGIN"); AUTH with another mechanism
	 * gets 504 5.5.4. */
	const char *auth_mechanisms;
	/** Extra EHLO lines (RFC 5321 §4.1.1.1 ehlo-line: keyword and
	 * parameters, e.g. "XCLIENT NAME"), each at most 500 octets. MAIL/RCPT parameters
	 * whose keyword is the first word of an extra line reach the
	 * application (in cmd->ext) instead of getting 555. */
	const char *const *extra;
	size_t extra_n;
} postel_server_config;

/** Fill `c` with the defaults: no hostname (must be set), no extensions,
 * strict, the limits documented per field. */
POSTEL_EXTERN void postel_server_config_default(postel_server_config *c);

/* ======================================================================
 * Events
 * ====================================================================== */

/**
 * Events pulled with postel_server_next(). Those marked "decide" set
 * ev.decide and block the engine (state DECIDE) until the application
 * answers with postel_server_accept(), _reject(), _reply() or (AUTH)
 * _auth_challenge(); the defaults below are what accept / reject send
 * with code 0. "notify" events need no answer: the next call to
 * postel_server_next() goes on.
 */
typedef enum postel_server_event_type {
	POSTEL_SERVER_EV_NONE = 0,
	/** decide: a client connected (always the first event). accept:
	 * "220 <host> ESMTP" (LMTP: "LMTP"). reject: 554 "No SMTP service
	 * here" (RFC 5321 §3.1: then 503 5.5.1 to everything but QUIT); 521
	 * (RFC 7504 §3: then 521 5.3.2 to everything but QUIT); 421 (closes
	 * once sent). Only 220, 554, 521 and 421 are allowed. The engine
	 * puts the hostname first (§4.3.1); no enhanced code (RFC 2034 §3). */
	POSTEL_SERVER_EV_CONNECT = 1,
	/** decide: HELO, EHLO or LHLO (`esmtp` says EHLO/LHLO; `arg` is the
	 * client's domain or address literal). Any open transaction has
	 * been dropped already (RFC 5321 §4.1.4). accept: "250 <host>" and,
	 * for EHLO/LHLO, the extension list (RFC 5321 §4.1.1.1); a 250
	 * reply's text goes after the hostname on the first line. reject:
	 * 550 "Error: access denied" (the session is then not greeted). No
	 * enhanced codes on these replies (RFC 2034 §3). */
	POSTEL_SERVER_EV_HELO = 2,
	/** decide: MAIL FROM with a valid reverse-path and parameters the
	 * session allows (`cmd` has them all: SIZE, BODY, DSN, AUTH=,
	 * SMTPUTF8, REQUIRETLS, ...; parameters of the config's extra
	 * keywords in cmd->ext). `arg` is the mailbox (empty for <>).
	 * accept: 250 2.1.0 (opens the transaction); reject: 550 5.7.1. */
	POSTEL_SERVER_EV_MAIL = 3,
	/** decide: RCPT TO (`cmd`, `arg` as for MAIL; "Postmaster" for
	 * <Postmaster>). accept: 250 2.1.5 (or reply 251); reject: 550
	 * 5.1.1 (556 for a domain that accepts no mail, RFC 7504 §4).
	 * `index`: recipients accepted so far. */
	POSTEL_SERVER_EV_RCPT = 4,
	/** decide: DATA with at least one accepted recipient. accept: 354;
	 * reject: 554 5.5.0 (the transaction stays open). */
	POSTEL_SERVER_EV_DATA = 5,
	/** notify: message content (DATA, unstuffed; or BDAT octets), `data`
	 * a span into the input buffer (or a static CRLF for a repaired line
	 * end). Partial: a message arrives in many CONTENT events; their
	 * concatenation is the content (without the final "." CRLF).
	 * `size`: content octets before this span. */
	POSTEL_SERVER_EV_CONTENT = 6,
	/** decide: a BDAT chunk without LAST was received (RFC 3030 §2).
	 * `size`: chunk octets; accept: "250 2.0.0 <n> octets received";
	 * reject fails the transaction (later chunks are read and discarded
	 * and get 503 until RSET). When the engine refuses the chunk itself
	 * (the message passed max_size: `code` 552) it is notify. */
	POSTEL_SERVER_EV_CHUNK = 7,
	/** End of message (CRLF.CRLF, or the BDAT LAST chunk). `size`:
	 * content octets. `verdict` (postel_data_verdict): 0 when the
	 * content is acceptable; then decide: accept "250 2.0.0" (reject
	 * 554 5.0.0...). In LMTP (RFC 2033 §4.2) one MESSAGE event per
	 * accepted recipient, `index` 0..`count`-1 in RCPT order, each
	 * answered with that recipient's reply. With a nonzero verdict
	 * (size over limit, bare CR/LF, ...) it is notify: the engine sends
	 * `code` (552 5.3.4, 554 5.6.0) itself (to every recipient in
	 * LMTP) and the message must be discarded. `violations`: what the
	 * content broke (data-bare-lf, data-fake-end, ...), on the first
	 * MESSAGE event of a message. The transaction ends after the last
	 * MESSAGE event (RFC 5321 §4.1.1.4). */
	POSTEL_SERVER_EV_MESSAGE = 8,
	/** decide: SASL step (RFC 4954). step 0 is the AUTH command: `arg`
	 * the mechanism (one of auth_mechanisms, upper or lower case as
	 * sent), `data` the decoded initial response if `has_data` ("="
	 * gives an empty one). Later steps: `data` the decoded client
	 * response. Answer with postel_server_auth_challenge() (334 +
	 * base64) for another step, accept (235 2.7.0: authenticated) or
	 * reject (535 5.7.8, RFC 4954 §6). `data` points into the input
	 * buffer (decoded in place). */
	POSTEL_SERVER_EV_AUTH = 9,
	/** notify: the SASL exchange ended without a decision: the client
	 * cancelled with "*" (the engine answered 501 5.7.0), sent a
	 * response that is not base64 (501 5.5.2) or a line longer than
	 * max_auth_line (500 5.5.6), RFC 4954 §4. */
	POSTEL_SERVER_EV_AUTH_ABORT = 10,
	/** decide: STARTTLS (offered, after EHLO, not under TLS, no
	 * parameters, outside a transaction; otherwise the engine answers
	 * 502/503/501). accept: "220 2.0.0 Ready to start TLS", then state
	 * TLS once it is sent; whatever the client sent after the STARTTLS
	 * line is discarded and reported (a VIOLATION event). reject: 454
	 * 4.7.0 (RFC 3207 §4). */
	POSTEL_SERVER_EV_STARTTLS = 11,
	/** decide: VRFY `arg`. accept: 252 2.5.0 (RFC 5321 §3.5.3); reply
	 * 250/251 for real answers; reject: 550 5.1.1. */
	POSTEL_SERVER_EV_VRFY = 12,
	/** decide: EXPN `arg`. accept: 252 2.5.0; reject: 502 5.5.1. */
	POSTEL_SERVER_EV_EXPN = 13,
	/** decide: ETRN `arg` (RFC 1985, when offered). accept: 250 2.0.0
	 * "Queuing started"; reject: 458 4.0.0 (RFC 1985 §5). */
	POSTEL_SERVER_EV_ETRN = 14,
	/** decide: HELP [`arg`]. accept: 214 2.0.0 with a pointer to RFC
	 * 5321; reply 214 with your own text (lines split at '\n'). */
	POSTEL_SERVER_EV_HELP = 15,
	/** decide: a command line with an unknown verb (`arg` is the verb;
	 * `violations` has unknown-verb). accept and reject: 500 5.5.2
	 * "command not recognized" (RFC 5321 §4.2.4); reply a 2xx code to
	 * implement a private command (XCLIENT, ...). */
	POSTEL_SERVER_EV_UNKNOWN = 16,
	/** notify: RSET dropped an open mail transaction (RFC 5321
	 * §4.1.1.5): discard what was kept for it. (A transaction also ends
	 * at a HELO event and when the session closes.) */
	POSTEL_SERVER_EV_RESET = 17,
	/** notify: the client deviated from the RFCs and no other event
	 * carries it: a command the engine answered itself (`cmd`, `line`:
	 * syntax errors 500/501/553/555, bad sequence 503, parameters not
	 * offered, line too long 500 5.5.2, ...; docs/replies.md), input before the greeting
	 * or unsolicited pipelining (`data`: the early bytes), bytes after
	 * STARTTLS (`data`: the discarded bytes). `violations` says what. */
	POSTEL_SERVER_EV_VIOLATION = 18
} postel_server_event_type;

/** Room for MAIL/RCPT parameters postel does not decode (cmd->ext). */
#define POSTEL_SERVER_EXT_PARAMS 8

/**
 * One event; filled by postel_server_next() into the application's
 * memory. The parsed command lives inside the event (`command`, with
 * `cmd` pointing at it), so the event must not be copied while `cmd` is
 * used (copy the fields instead). Every span points into the engine's
 * input buffer (or the engine) and is valid until the next non-const call
 * on the engine.
 */
typedef struct postel_server_event {
	postel_server_event_type type;
	/** Nonzero when the engine waits for an answer. */
	int decide;
	/** HELO: nonzero for EHLO and LHLO. */
	int esmtp;
	/** AUTH: nonzero when `data` holds a response (always at steps > 0;
	 * at step 0 when an initial response was given, "=" included). */
	int has_data;
	/** The parsed command line (postel/command.h) for HELO, MAIL, RCPT,
	 * DATA, STARTTLS, AUTH (step 0), VRFY, EXPN, ETRN, HELP, UNKNOWN and
	 * the VIOLATION event of a refused command; NULL otherwise. For
	 * AUTH, the initial response in it has been overwritten by its
	 * decoding (`data`). */
	const postel_command *cmd;
	/** The command line without its line end (same cases as `cmd`). */
	postel_span line;
	/** Main argument: HELO domain; MAIL/RCPT mailbox ("local@domain",
	 * empty for <>, "Postmaster" for <Postmaster>); AUTH mechanism;
	 * VRFY/EXPN/HELP string; ETRN node; UNKNOWN verb. */
	postel_span arg;
	/** CONTENT: content octets; AUTH: decoded SASL data; VIOLATION:
	 * the bytes concerned (may be empty). */
	postel_span data;
	/** CONTENT: content octets before `data`; CHUNK: octets of this
	 * chunk; MESSAGE: content octets of the message. */
	uint64_t size;
	/** RCPT: recipients accepted so far in the transaction; MESSAGE:
	 * LMTP recipient index; AUTH: step (0 = the AUTH command). */
	uint32_t index;
	/** MESSAGE: number of MESSAGE events for this message (accepted
	 * recipients in LMTP, 1 in SMTP). */
	uint32_t count;
	/** MESSAGE: postel_data_verdict (0: acceptable). */
	unsigned verdict;
	/** MESSAGE with a nonzero verdict, CHUNK that failed: the reply code
	 * the engine sent. */
	unsigned code;
	/** Violations of the unit this event concerns: the command line (the
	 * parser's lenient-accepted ones and the engine's), the message
	 * content (MESSAGE), or the session (VIOLATION). */
	postel_violation_list violations;
	/* storage for `cmd` (read through `cmd`): */
	postel_command command;
	postel_esmtp_param ext[POSTEL_SERVER_EXT_PARAMS];
} postel_server_event;

/** Stable short name of an event type ("mail", "content", ...). */
POSTEL_EXTERN const char *
postel_server_event_name(postel_server_event_type t);

/* ======================================================================
 * The engine
 * ====================================================================== */

/** Smallest buffers postel_server_init() accepts. The input buffer must
 * hold one command line (plus what is pipelined behind it); the output
 * buffer the longest reply (the EHLO reply, checked at init). Good sizes:
 * 4 KiB in (16 KiB with AUTH: RFC 4954 §4 lines), 4 KiB out. */
#define POSTEL_SERVER_MIN_INBUF 512u
#define POSTEL_SERVER_MIN_OUTBUF 1024u

/** Session properties (postel_server_session()), also what the trace
 * needs (trace.h: RFC 3848 / RFC 6531 §4.3 "with" keywords). */
enum postel_server_session_flag {
	POSTEL_SESSION_ESMTP = 1u << 0,    /**< EHLO (or LHLO) greeted */
	POSTEL_SESSION_LMTP = 1u << 1,     /**< LMTP (RFC 2033) */
	POSTEL_SESSION_TLS = 1u << 2,      /**< under TLS */
	POSTEL_SESSION_AUTH = 1u << 3,     /**< AUTH succeeded */
	POSTEL_SESSION_SMTPUTF8 = 1u << 4, /**< current transaction has the
					    * SMTPUTF8 MAIL parameter */
	POSTEL_SESSION_HELO = 1u << 5,     /**< HELO/EHLO/LHLO accepted */
	POSTEL_SESSION_MAIL = 1u << 6,     /**< a transaction is open */
	POSTEL_SESSION_BINARYMIME = 1u << 7, /**< transaction is BODY=
					      * BINARYMIME */
	POSTEL_SESSION_8BITMIME = 1u << 8    /**< transaction is BODY=
					      * 8BITMIME */
};

/** Size of postel_server in octets (buffers apart). */
#define POSTEL_SERVER_SIZE 1024u

/**
 * Engine context; caller-allocated. Its contents are private and opaque:
 * a fixed size, so that the engine's internals can change without
 * changing the ABI (src/server.c checks at compile time that they fit).
 * It may be copied only between calls, never while events are pending
 * (their spans point into it).
 */
typedef struct postel_server {
	union {
		uint64_t u64_[POSTEL_SERVER_SIZE / 8];
		void *ptr_;
		double dbl_;
	} opaque_;
} postel_server;

/**
 * Initialise `s` for a new connection (the CONNECT event comes first).
 * `config` is copied (not its strings). `inbuf`/`outbuf` are the engine's
 * buffers for its whole life.
 * Returns POSTEL_OK; POSTEL_E_ARGUMENT for NULL pointers, a missing or
 * malformed hostname, BINARYMIME without CHUNKING, AUTH without
 * mechanisms or with malformed ones, an extra line that is not an
 * ehlo-line,
 * incap < POSTEL_SERVER_MIN_INBUF or outcap < POSTEL_SERVER_MIN_OUTBUF;
 * POSTEL_E_LIMIT when the longest EHLO reply this config can produce
 * does not fit in `outcap`. On error `s` is unusable (state CLOSED).
 */
POSTEL_EXTERN postel_status postel_server_init(postel_server *s,
					       const postel_server_config *config,
					       void *inbuf, size_t incap,
					       void *outbuf, size_t outcap);

/** Start over for a new connection with the same config and buffers
 * (clears sticky errors). Returns POSTEL_OK or POSTEL_E_ARGUMENT. */
POSTEL_EXTERN postel_status postel_server_reset(postel_server *s);

/**
 * POSTEL_READ | WRITE | DECIDE | TLS | CLOSED (engine.h), derived from the
 * buffers and the session; never changes anything.
 *   DECIDE  call postel_server_next(): an event is pending, or received
 *           input waits to be processed (processing happens only there);
 *   WRITE   replies wait to be sent and the engine has nothing else to do
 *           first (batching, RFC 2920 §3.2), or a reply must go out now
 *           (EHLO, DATA, NOOP, ...: RFC 2920 §3.2 (5)), or the output
 *           buffer is full;
 *   TLS     STARTTLS was accepted and its 220 sent: run the handshake;
 *   READ    the engine needs more input;
 *   CLOSED  the session is over and all output was sent (CLOSED is never
 *           raised with other bits).
 */
POSTEL_EXTERN unsigned postel_server_state(const postel_server *s);

/** Room for received bytes: the pointer and `*len` (0 when no input can
 * be taken now: TLS, CLOSED, or the buffer is full). Input may be taken
 * while READ is not raised (e.g. while a decision is pending); it is
 * processed in order later. Changes nothing. */
POSTEL_EXTERN unsigned char *postel_server_recv_buf(const postel_server *s,
						    size_t *len);

/** `len` bytes were written at postel_server_recv_buf(). They are
 * processed by the next postel_server_next() calls (state DECIDE). Input
 * taken before the greeting was sent is an early talker (RFC 5321
 * §4.3.1). Returns POSTEL_OK; POSTEL_E_ARGUMENT when `len` exceeds the
 * room; POSTEL_E_CLOSED after the session ended (bytes ignored). */
POSTEL_EXTERN postel_status postel_server_recv_ack(postel_server *s,
						   size_t len);

/** Bytes to send to the client and `*len` (0 when none). Valid until
 * postel_server_send_ack(). Changes nothing. Bytes may be taken even
 * when WRITE is not raised (it only says when batching is over). */
POSTEL_EXTERN const unsigned char *
postel_server_send_buf(const postel_server *s, size_t *len);

/** `len` bytes of postel_server_send_buf() were sent. Returns POSTEL_OK
 * or POSTEL_E_ARGUMENT when `len` exceeds what was pending. */
POSTEL_EXTERN postel_status postel_server_send_ack(postel_server *s,
						   size_t len);

/**
 * Pull the next event into `*ev`. Returns 1 with an event, 0 when there
 * is none (the engine needs input, output room, the TLS handshake, or an
 * answer to the event already pulled). A "decide" event (ev->decide)
 * keeps the engine in DECIDE until answered; a "notify" event is done
 * with at the next call. Invalidates the spans of the previous event.
 */
POSTEL_EXTERN int postel_server_next(postel_server *s,
				     postel_server_event *ev);

/** Answer the pending decision with its default positive reply (see
 * each event type). Returns POSTEL_OK; POSTEL_E_STATE when no decision
 * is pending. Invalidates the event's spans. Like every answer, it only
 * queues the reply: the next postel_server_next() goes on. */
POSTEL_EXTERN postel_status postel_server_accept(postel_server *s);

/**
 * Refuse the pending decision. `code`: a 4xx or 5xx reply code, or 0 for
 * the event's default refusal; `enhanced`: an RFC 3463 "c.s.d" code whose
 * class matches `code`, or NULL for the engine's choice (sent only when
 * ENHANCEDSTATUSCODES is offered, RFC 2034 §4); `text`: printable text,
 * lines separated by '\n' for a multi-line reply, or NULL for the
 * default. 421 closes the session after it is sent (RFC 5321 §3.8).
 * Returns POSTEL_OK; POSTEL_E_STATE when no decision is pending;
 * POSTEL_E_ARGUMENT for a bad code, enhanced code or text (CR, LF-only
 * lines, control characters, lines over 512 octets incl. code and CRLF, RFC 5321
 * §4.5.3.1.5); POSTEL_E_LIMIT when the reply does not fit the free output
 * room (at least 1024 octets are always free when a decision is
 * pending). Nothing changes on error.
 */
POSTEL_EXTERN postel_status postel_server_reject(postel_server *s,
						 unsigned code,
						 const char *enhanced,
						 const char *text);

/**
 * Answer the pending decision with any reply the event allows: 2xx for
 * most events (HELO: 250 only; VRFY: 250/251/252; HELP: 211/214), 354 for
 * DATA, 220 for CONNECT and STARTTLS, 235 for AUTH, or 4xx/5xx as with
 * postel_server_reject(). A 2xx/3xx code counts as acceptance (the MAIL
 * opens the transaction, the RCPT is a recipient, ...). `code` 0 is
 * postel_server_accept(). Arguments and returns as for _reject().
 */
POSTEL_EXTERN postel_status postel_server_reply(postel_server *s,
						unsigned code,
						const char *enhanced,
						const char *text);

/** AUTH only: continue the SASL exchange with a challenge: the engine
 * sends "334 " and the base64 of `data` (RFC 4954 §4; n = 0 gives
 * "334 "), reads the client's response line and raises the next AUTH
 * event. Returns POSTEL_OK, POSTEL_E_STATE (no AUTH decision pending),
 * POSTEL_E_LIMIT (does not fit the free output room). */
POSTEL_EXTERN postel_status postel_server_auth_challenge(postel_server *s,
							 const void *data,
							 size_t n);

/** The client closed its side. A message in progress is dropped (RESET
 * event); the session ends (last error POSTEL_E_CLOSED, unless QUIT
 * came first). Returns POSTEL_OK. */
POSTEL_EXTERN postel_status postel_server_eof(postel_server *s);

/** The TLS handshake that POSTEL_TLS asked for completed. Resets the
 * session to its state after the greeting (RFC 3207 §4.2: HELO name,
 * AUTH and transaction forgotten); input after STARTTLS was already
 * discarded. Returns POSTEL_OK or POSTEL_E_STATE when TLS was not
 * pending. */
POSTEL_EXTERN postel_status postel_server_tls_started(postel_server *s);

/** The RFC 5321 §4.5.3.2 timer that applies now: POSTEL_TIMEOUT_SERVER
 * while the engine waits for the client (§4.5.3.2.7: at least 5 minutes
 * for a command or data), POSTEL_TIMEOUT_NONE while it waits for the
 * application or is closed. Changes nothing. */
POSTEL_EXTERN postel_timeout postel_server_timeout(const postel_server *s);

/** The timer of postel_server_timeout() fired: the engine sends
 * "421 4.4.2 <host> timeout" and closes (last error POSTEL_E_LIMIT).
 * Returns POSTEL_OK. */
POSTEL_EXTERN postel_status postel_server_timed_out(postel_server *s);

/** The application shuts the session down (server stopping): sends
 * "421 4.3.2 <host> Service shutting down" (RFC 5321 §3.8) and closes
 * (a message in progress is dropped). A pending decision is dropped.
 * Returns POSTEL_OK. */
POSTEL_EXTERN postel_status postel_server_shutdown(postel_server *s);

/** Why the session closed or failed: POSTEL_OK while running and after
 * QUIT or a 421 the application chose; POSTEL_E_CLOSED (client closed
 * without QUIT), POSTEL_E_PROTOCOL (early talker in strict mode, too
 * many errors), POSTEL_E_LIMIT (timeout). Sticky until reset. */
POSTEL_EXTERN postel_status postel_server_last_error(const postel_server *s);

/** POSTEL_SESSION_* bits of the session now. */
POSTEL_EXTERN unsigned postel_server_session(const postel_server *s);

/** The client's HELO/EHLO/LHLO argument (copied into the engine; valid
 * until the next HELO, TLS start or reset); empty before one. */
POSTEL_EXTERN postel_span postel_server_helo(const postel_server *s);

/** The configured hostname. */
POSTEL_EXTERN const char *postel_server_hostname(const postel_server *s);

/** Recipients accepted in the current transaction. */
POSTEL_EXTERN uint32_t postel_server_recipients(const postel_server *s);

/** Nonzero when PIPELINING (RFC 2920) is in effect: offered and the
 * client greeted with EHLO (or LHLO). Without it a client must wait for
 * each reply; input that arrives early is reported (EARLY_TALKER /
 * UNSOLICITED_PIPELINING) and, in strict mode, ends the session with 554
 * 5.5.0. */
POSTEL_EXTERN int postel_server_pipelining(const postel_server *s);

#ifdef __cplusplus
}
#endif

#endif
