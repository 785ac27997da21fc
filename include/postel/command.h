/*
 * postel — SMTP command line parser (RFC 5321 §4.1, ESMTP extensions, LMTP).
 *
 * A small streaming parser: it turns one command line into a verb, a path
 * and typed parameters, zero-copy (every field is a span into the caller's
 * bytes), without allocation. Lines are bounded (RFC 5321 §4.5.3.1), so a
 * result is only ever produced for a complete line; a line that arrives in
 * pieces is scanned once (the scanner state is kept between calls, nothing
 * is rescanned).
 *
 * Streaming contract (the same for postel_command_parse() and
 * postel_command_parse_sasl()):
 *
 *   - `buf` holds the bytes of the current line not yet consumed, followed
 *     by any new bytes. The bytes may have moved since the previous call
 *     (the parser keeps offsets, never pointers), but must be the same
 *     bytes.
 *   - POSTEL_NEED_MORE: no complete line yet. `*consumed` is 0, except
 *     while an over-long line is being discarded: then it is the number of
 *     bytes dropped from the front of `buf` (the caller removes them).
 *   - POSTEL_OK: `buf` starts with a complete valid command line;
 *     `*consumed` is its length including the line end. `cmd` describes
 *     it; its spans point into `buf`.
 *   - POSTEL_INVALID: a complete line that is refused; `*consumed` is its
 *     length (of the part still in `buf` for an over-long line).
 *     cmd->violations says why and cmd->error which reply applies.
 *   - After OK or INVALID the next call starts a new line (pipelining,
 *     RFC 2920: call again with the bytes after `*consumed`).
 *   - Nothing after the returned line end is consumed or looked at.
 *
 * Strict and lenient: every tolerance of real-world clients is one
 * POSTEL_LENIENT_* bit (include/postel/common.h, bits 0-7). A deviation is
 * always reported as a violation in cmd->violations; it makes the line
 * INVALID unless its lenient bit is set. Unsafe deviations (NUL, bare CR,
 * over-long lines, invalid UTF-8) have no lenient bit.
 *
 * What RFC 5321 tells the receiver to tolerate is accepted in every mode,
 * strict included, and still reported:
 *   - trailing spaces and tabs before CRLF, on every verb (§4.1.1: "SMTP
 *     receivers SHOULD tolerate trailing white space"): trailing-space.
 *     They are never part of an argument (a quoted string keeps its own).
 *   - `HELO [192.0.2.1]`: helo-address-literal. The ABNF of §4.1.1.1 has
 *     `helo = "HELO" SP Domain CRLF`, but its text says of "these
 *     commands" (EHLO and HELO) that a client without a meaningful name
 *     "SHOULD send an address literal": a client that follows the text
 *     is not refused; the report marks where it leaves the ABNF. The
 *     literal must be valid (§4.1.3), as for EHLO.
 * VRFY and EXPN take a String (§4.1.1.6, §4.1.1.7), a local mailbox's
 * Dot-string, or the "local-part@domain" form hosts SHOULD accept
 * (§3.5.1), with UTF-8 under SMTPUTF8 (RFC 6531 §3.7.4.2); none of these
 * is a violation.
 */
#ifndef POSTEL_COMMAND_H
#define POSTEL_COMMAND_H

#include "common.h"
#include "violation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** SMTP verbs (case-insensitive on the wire, RFC 5321 §2.4). */
#define POSTEL_VERB_MAP(X)                                                     \
	X(UNKNOWN, 0, "UNKNOWN")                                               \
	X(HELO, 1, "HELO")     /* RFC 5321 §4.1.1.1 */                         \
	X(EHLO, 2, "EHLO")     /* RFC 5321 §4.1.1.1 */                         \
	X(LHLO, 3, "LHLO")     /* RFC 2033 §4.1 */                             \
	X(MAIL, 4, "MAIL")     /* RFC 5321 §4.1.1.2 */                         \
	X(RCPT, 5, "RCPT")     /* RFC 5321 §4.1.1.3 */                         \
	X(DATA, 6, "DATA")     /* RFC 5321 §4.1.1.4 */                         \
	X(BDAT, 7, "BDAT")     /* RFC 3030 §2 */                               \
	X(RSET, 8, "RSET")     /* RFC 5321 §4.1.1.5 */                         \
	X(VRFY, 9, "VRFY")     /* RFC 5321 §4.1.1.6, RFC 6531 §3.7.4.2 */      \
	X(EXPN, 10, "EXPN")    /* RFC 5321 §4.1.1.7, RFC 6531 §3.7.4.2 */      \
	X(HELP, 11, "HELP")    /* RFC 5321 §4.1.1.8 */                         \
	X(NOOP, 12, "NOOP")    /* RFC 5321 §4.1.1.9 */                         \
	X(QUIT, 13, "QUIT")    /* RFC 5321 §4.1.1.10 */                        \
	X(STARTTLS, 14, "STARTTLS") /* RFC 3207 §4 */                          \
	X(AUTH, 15, "AUTH")    /* RFC 4954 §4 */                               \
	X(ETRN, 16, "ETRN")    /* RFC 1985 §5 */

typedef enum postel_verb {
#define POSTEL_X_(id, num, name) POSTEL_VERB_##id = num,
	POSTEL_VERB_MAP(POSTEL_X_)
#undef POSTEL_X_
	POSTEL_VERB_COUNT_ = 17
} postel_verb;

/** Upper-case name of a verb ("MAIL"); "UNKNOWN" for anything else. */
POSTEL_EXTERN const char *postel_verb_name(postel_verb v);

/**
 * Which reply an INVALID line calls for (RFC 5321 §4.2, §4.5.3.1.9;
 * RFC 3463 enhanced codes). postel_command_error_reply() gives the code,
 * enhanced code and a text; docs/replies.md has the whole table and the
 * RFC sentence behind each row.
 */
typedef enum postel_command_error {
	POSTEL_CMD_OK = 0,           /**< valid (status POSTEL_OK) */
	POSTEL_CMD_E_UNKNOWN = 1,    /**< 500 5.5.2 command unrecognized */
	POSTEL_CMD_E_SYNTAX = 2,     /**< 500 5.5.2 garbled line (NUL, bare
				      *   CR, bare LF, control or 8-bit
				      *   octets) */
	POSTEL_CMD_E_ARGUMENT = 3,   /**< 501 5.5.4 (AUTH: 5.5.2) the
				      *   arguments do not match the
				      *   command's ABNF: paths that do
				      *   not parse (RFC 5321 §4.1.2),
				      *   parameter values */
	POSTEL_CMD_E_MAILBOX = 4,    /**< 553 5.1.7 (MAIL) / 5.1.3 (RCPT)
				      *   a mailbox that parses but is
				      *   not allowed (C1 controls in an
				      *   SMTPUTF8 local part) */
	POSTEL_CMD_E_PATH_TOO_LONG = 5, /**< 501 5.1.7 / 5.1.3 path, local
					 *   part or domain too long
					 *   (§4.5.3.1.9 "Path too long") */
	POSTEL_CMD_E_PARAM_UNKNOWN = 6, /**< 555 5.5.4 MAIL/RCPT parameter
					 *   not recognized (§4.1.1.11) */
	POSTEL_CMD_E_TOO_BIG = 7,    /**< 552 5.3.4 SIZE / BDAT size beyond
				      *   2^64-1 (RFC 1870 §6.1) */
	POSTEL_CMD_E_LINE_TOO_LONG = 8, /**< 500 5.5.2 line too long
					 *   (§4.5.3.1.9); 500 5.5.6 for
					 *   AUTH and SASL lines (RFC 4954
					 *   §4) */
	POSTEL_CMD_E_UTF8 = 9        /**< 553 5.6.7 non-ASCII address
				      *   without SMTPUTF8 (RFC 6531 §3.5);
				      *   500 5.5.2 elsewhere */
} postel_command_error;

/** Bits of postel_command.flags: facts about the line. */
enum postel_command_flag {
	POSTEL_CMD_NULL_PATH = 1u << 0,     /**< MAIL FROM:<> */
	POSTEL_CMD_POSTMASTER = 1u << 1,    /**< RCPT TO:<Postmaster> (any
					     *   case, no domain; §4.1.1.3) */
	POSTEL_CMD_SOURCE_ROUTE = 1u << 2,  /**< RFC 821 source route
					     *   `<@a,@b:u@c>`: accepted and
					     *   ignored (§4.1.2, App. C);
					     *   see `route` */
	POSTEL_CMD_ADDRESS_LITERAL = 1u << 3, /**< the domain (path or
					       *   HELO/EHLO/LHLO argument)
					       *   is an address literal
					       *   (HELO: reported as
					       *   helo-address-literal) */
	POSTEL_CMD_LITERAL_IPV6 = 1u << 4,  /**< ... of the IPv6 form */
	POSTEL_CMD_LITERAL_GENERAL = 1u << 5, /**< ... of the General form
					       *   (`[tag:content]`) */
	POSTEL_CMD_QUOTED_LOCAL = 1u << 6,  /**< local part is a
					     *   Quoted-string */
	POSTEL_CMD_8BIT = 1u << 7,          /**< octets >= 0x80 in the
					     *   line (UTF-8 when
					     *   POSTEL_CMD_OPT_SMTPUTF8) */
	POSTEL_CMD_SMTPUTF8_ARG = 1u << 8,  /**< VRFY/EXPN with the
					     *   SMTPUTF8 argument (RFC 6531
					     *   §3.7.4.2) */
	POSTEL_CMD_BDAT_LAST = 1u << 9,     /**< BDAT ... LAST */
	POSTEL_CMD_AUTH_EMPTY = 1u << 10,   /**< AUTH mech = : empty
					     *   initial response */
	POSTEL_CMD_AUTH_PARAM_NULL = 1u << 11, /**< MAIL ... AUTH=<> */
	/** The domain (or source route) has U-labels (octets >= 0x80,
	 * RFC 6531 §3.3) whose IDNA2008 validity (RFC 5890, RFC 5891 §5.4:
	 * the RFC 5892 tables, CONTEXTJ/CONTEXTO rules, Bidi, the A-label
	 * length) was NOT checked: the parser has no Unicode tables. It
	 * refuses only code points that are never valid in a U-label
	 * (controls, spaces, format characters, private use,
	 * noncharacters: bad-u-label). A caller that must not accept an
	 * invalid U-label checks the domain itself (e.g. with libidn2, as
	 * `postel sink --strict` does when built with it). */
	POSTEL_CMD_IDNA_UNCHECKED = 1u << 12
};

/**
 * MAIL/RCPT parameters postel decodes. A bit in postel_command.params says
 * the parameter is present; its typed fields are meaningful only then.
 * postel_command_config.params selects which ones are recognized (a
 * parameter of an extension the server did not announce is unknown).
 */
enum postel_param {
	POSTEL_PARAM_SIZE = 1u << 0,        /**< MAIL, RFC 1870 §6 */
	POSTEL_PARAM_BODY = 1u << 1,        /**< MAIL, RFC 6152 §2,
					     *   RFC 3030 §3 */
	POSTEL_PARAM_RET = 1u << 2,         /**< MAIL, RFC 3461 §4.3 */
	POSTEL_PARAM_ENVID = 1u << 3,       /**< MAIL, RFC 3461 §4.4 */
	POSTEL_PARAM_AUTH = 1u << 4,        /**< MAIL, RFC 4954 §5 */
	POSTEL_PARAM_SMTPUTF8 = 1u << 5,    /**< MAIL, RFC 6531 §3.4 */
	POSTEL_PARAM_REQUIRETLS = 1u << 6,  /**< MAIL, RFC 8689 §4 */
	POSTEL_PARAM_MT_PRIORITY = 1u << 7, /**< MAIL, RFC 6710 §3 */
	POSTEL_PARAM_BY = 1u << 8,          /**< MAIL, RFC 2852 §4 */
	POSTEL_PARAM_HOLDFOR = 1u << 9,     /**< MAIL, RFC 4865 §3 */
	POSTEL_PARAM_HOLDUNTIL = 1u << 10,  /**< MAIL, RFC 4865 §3 */
	POSTEL_PARAM_MTRK = 1u << 11,       /**< MAIL, RFC 3885 §3.1 */
	POSTEL_PARAM_NOTIFY = 1u << 12,     /**< RCPT, RFC 3461 §4.1 */
	POSTEL_PARAM_ORCPT = 1u << 13,      /**< RCPT, RFC 3461 §4.2 */
	POSTEL_PARAM_RRVS = 1u << 14        /**< RCPT, RFC 7293 §3.1 */
};
#define POSTEL_PARAM_MAIL 0x0fffu /**< parameters valid on MAIL */
#define POSTEL_PARAM_RCPT 0x7000u /**< parameters valid on RCPT */
#define POSTEL_PARAM_ALL 0x7fffu

/** BODY= values (RFC 6152 §2, RFC 3030 §3). */
typedef enum postel_body {
	POSTEL_BODY_NONE = 0,
	POSTEL_BODY_7BIT = 1,
	POSTEL_BODY_8BITMIME = 2,
	POSTEL_BODY_BINARYMIME = 3
} postel_body;

/** RET= values (RFC 3461 §4.3). */
typedef enum postel_ret {
	POSTEL_RET_NONE = 0,
	POSTEL_RET_FULL = 1,
	POSTEL_RET_HDRS = 2
} postel_ret;

/** NOTIFY= bits (RFC 3461 §4.1). NEVER is always alone. */
enum postel_notify {
	POSTEL_NOTIFY_NEVER = 1u << 0,
	POSTEL_NOTIFY_SUCCESS = 1u << 1,
	POSTEL_NOTIFY_FAILURE = 1u << 2,
	POSTEL_NOTIFY_DELAY = 1u << 3
};

/** An ESMTP parameter kept as text: `keyword[=value]`. `value.p` is NULL
 * when the parameter has no value. */
typedef struct postel_esmtp_param {
	postel_span keyword;
	postel_span value;
} postel_esmtp_param;

/**
 * One parsed command line. Filled by postel_command_parse(); spans point
 * into the `buf` of the call that returned OK or INVALID and are
 * {NULL, 0} when absent.
 *
 * Caller-owned inputs, never changed by the parser: `ext` and `ext_cap`
 * (an array for parameters postel does not decode, picohttpparser style).
 * Everything else is output. Pass the same `cmd` on every call of one line
 * (from the first NEED_MORE to the OK/INVALID): the parser writes decoded
 * values into it as the line streams in; its contents are unspecified until
 * OK or INVALID is returned.
 */
typedef struct postel_command {
	/* ---- caller-owned input ---- */
	postel_esmtp_param *ext; /**< array for unknown parameters (may be
				  *   NULL with ext_cap 0) */
	size_t ext_cap;          /**< its capacity */

	/* ---- output: always set ---- */
	postel_verb verb;           /**< UNKNOWN for an unrecognized verb */
	postel_command_error error; /**< POSTEL_CMD_OK when valid */
	uint32_t flags;             /**< POSTEL_CMD_* (postel_command_flag) */
	uint32_t params;            /**< POSTEL_PARAM_* present */
	postel_violation_list violations;
	uint8_t etrn_option;     /**< ETRN (RFC 1985 §5): '@' or '#' or 0 */
	size_t n_ext;            /**< unknown parameters on the line; the
				  *   first min(n_ext, ext_cap) are in ext[]
				  *   (n_ext > ext_cap: the array was too
				  *   small, nothing else is affected); 0
				  *   when the line is not MAIL/RCPT
				  *   syntax */

	/* ---- spans: {NULL, 0} when absent ---- */
	postel_span line;      /**< the whole line including its line end */
	postel_span mailbox;   /**< MAIL/RCPT: Local-part "@" Domain (absent
				*   for <> and <Postmaster>: then local_part
				*   says "Postmaster") */
	postel_span verb_text; /**< the verb as sent (also for unknown verbs:
				*   up to the first SP or line end) */
	/** The argument: HELO/EHLO/LHLO domain or address literal (brackets
	 * included), VRFY/EXPN/HELP/NOOP string (VRFY/EXPN: also a
	 * Dot-string or local-part@domain), ETRN node (option character
	 * included), AUTH mechanism, BDAT chunk size; for MAIL/RCPT the text
	 * after the colon. Trailing white space excluded. */
	postel_span arg;
	postel_span path;       /**< MAIL/RCPT path as sent, with angle
				 *   brackets ("<>" for the null path;
				 *   without brackets when lenient-accepted) */
	postel_span route;      /**< source route "@a,@b" without the ':' */
	postel_span local_part; /**< as sent (quotes and escapes kept) */
	postel_span domain;     /**< Domain or address literal (brackets
				 *   kept); also set for HELO/EHLO/LHLO and
				 *   ETRN domains */
	postel_span envid;       /**< ENVID= xtext, not decoded */
	postel_span orcpt_type;  /**< ORCPT= addr-type ("rfc822") */
	postel_span orcpt_addr;  /**< ORCPT= xtext after ';', not decoded */
	postel_span auth;        /**< AUTH= xtext ("<>" or "<mailbox>"),
				  *   not decoded */
	postel_span holduntil;   /**< HOLDUNTIL= RFC 3339 date-time */
	postel_span rrvs;        /**< RRVS= RFC 3339 date-time */
	postel_span mtrk;        /**< MTRK= certifier (base64) */
	postel_span mechanism;        /**< AUTH (RFC 4954 §4): SASL
				       *   mechanism as sent */
	postel_span initial_response; /**< AUTH: base64, or "=" (flag
				       *   POSTEL_CMD_AUTH_EMPTY) */

	/* ---- typed values: meaningful only when the POSTEL_PARAM_ bit is
	 * set (chunk_size: BDAT lines that are OK) ---- */
	uint64_t size;           /**< SIZE= (RFC 1870) */
	uint64_t chunk_size;     /**< BDAT chunk size (RFC 3030 §2); LAST is
				  *   a flag */
	int32_t by_time;         /**< BY= seconds, -999999999..999999999 */
	uint32_t holdfor;        /**< HOLDFOR= seconds, 1..999999999 */
	uint32_t mtrk_timeout;   /**< MTRK=...:timeout (0 when absent) */
	uint8_t body;            /**< postel_body */
	uint8_t ret;             /**< postel_ret */
	uint8_t notify;          /**< postel_notify bits */
	int8_t mt_priority;      /**< MT-PRIORITY= -9..9 (RFC 6710) */
	uint8_t by_mode;         /**< BY=: 'N' or 'R' (RFC 2852 §4) */
	uint8_t by_trace;        /**< BY=...T: 1 */
	uint8_t rrvs_action;     /**< RRVS=...;C or ;R: 'C' / 'R'; 0 when
				  *   absent (RFC 7293 §3.1) */
} postel_command;

/** Options of postel_command_config.options. */
enum postel_command_option {
	/** The server announced SMTPUTF8 (RFC 6531): UTF-8 is valid in
	 * mailboxes, domains (U-labels), ESMTP values and VRFY/EXPN strings.
	 * It must be well-formed (RFC 3629). Whether a MAIL transaction asked
	 * for SMTPUTF8 is the engine's business (POSTEL_CMD_8BIT and
	 * POSTEL_PARAM_SMTPUTF8 tell). Without this option an 8-bit octet is
	 * the violation EIGHT_BIT (lenient: POSTEL_LENIENT_8BIT_COMMAND). */
	POSTEL_CMD_OPT_SMTPUTF8 = 1u << 0,
	/** Unknown MAIL/RCPT parameters are not an error: they are only
	 * collected in cmd->ext for the caller to judge. Without it they make
	 * the line INVALID (555, RFC 5321 §4.1.1.11). */
	POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS = 1u << 1
};

/* Default limits (RFC 5321 §4.5.3.1; RFC 1869 §4.1.2; RFC 4954 §4). */
#define POSTEL_CMD_MAX_LINE 512u        /**< §4.5.3.1.4, incl. CRLF */
/** MAIL line: 512 + what each MAIL parameter's RFC adds: SIZE 26
 * (RFC 1870), BODY=BINARYMIME 16 (RFC 3030), DSN RET+ENVID 107
 * (RFC 3461 via RFC 3885 §3), AUTH 500 (RFC 4954), SMTPUTF8 10
 * (RFC 6531), REQUIRETLS 11 (RFC 8689), MT-PRIORITY 15 (RFC 6710),
 * BY 17 (RFC 2852), HOLDFOR/HOLDUNTIL 34 (RFC 4865), MTRK 40 (RFC 3885)
 * = 512 + 776. */
#define POSTEL_CMD_MAX_MAIL_LINE 1288u
/** RCPT line: 512 + NOTIFY+ORCPT 507 (RFC 3461 via RFC 3885 §3) + RRVS 33
 * (RFC 7293) = 512 + 540. */
#define POSTEL_CMD_MAX_RCPT_LINE 1052u
#define POSTEL_CMD_MAX_AUTH_LINE 12288u /**< RFC 4954 §4, AUTH and SASL */
#define POSTEL_CMD_MAX_LOCAL_PART 64u   /**< §4.5.3.1.1 */
#define POSTEL_CMD_MAX_DOMAIN 255u      /**< §4.5.3.1.2 */
#define POSTEL_CMD_MAX_PATH 256u        /**< §4.5.3.1.3, with brackets */
/** Largest value any line limit may take. */
#define POSTEL_CMD_LIMIT_MAX 65535u

/**
 * Parser configuration. postel_command_config_default() fills it; change
 * what you need. Limits are in octets, line limits include the line end;
 * a limit of 0 means the default. Each breach is a named violation.
 */
typedef struct postel_command_config {
	uint32_t lenient;   /**< POSTEL_LENIENT_* (bits 0-7 are read) */
	uint32_t options;   /**< postel_command_option bits */
	uint32_t params;    /**< POSTEL_PARAM_* recognized (default ALL) */
	uint32_t max_line;      /**< 512: every command line */
	uint32_t max_mail_line; /**< 1288: MAIL with parameters */
	uint32_t max_rcpt_line; /**< 1052: RCPT with parameters */
	uint32_t max_auth_line; /**< 12288: AUTH command, SASL responses */
	uint32_t max_local_part; /**< 64 */
	uint32_t max_domain;     /**< 255 */
	uint32_t max_path;       /**< 256 */
} postel_command_config;

/** Fill `cfg` with the defaults: lenient = POSTEL_LENIENT, no options,
 * all parameters recognized, the limits above. */
POSTEL_EXTERN void postel_command_config_default(postel_command_config *cfg);

/**
 * The parser: caller-allocated, no pointers to anything (it can be copied
 * or moved between calls). `config` is a copy; it may be changed between
 * lines (when the last call returned OK or INVALID), e.g. after EHLO.
 */
typedef struct postel_command_parser {
	postel_command_config config;
	/* private: */
	int cs_;            /* scanner state */
	uint32_t off_;      /* bytes of the line scanned so far */
	uint32_t lim_;      /* line limit in force */
	uint32_t err_at_;   /* offset where scanning failed */
	uint32_t set_;      /* marked spans */
	uint8_t mode_;      /* idle / scanning / skipping / discarding */
	uint8_t zone_;      /* part of the line being scanned */
	uint8_t kind_;      /* parameter being scanned */
	uint8_t sasl_;      /* the line is a SASL response */
	uint8_t pflags_;    /* scanner flags */
	uint8_t val_;       /* decoded value of the parameter */
	uint8_t pad_[2];
	int stack_[1];      /* scanner call stack (address literals) */
	int top_;
	uint32_t ms_[20];   /* span starts */
	uint32_t me_[20];   /* span ends */
} postel_command_parser;

/**
 * Initialize `p` with a copy of `cfg` (NULL: defaults). Values above
 * POSTEL_CMD_LIMIT_MAX are clamped, zeros replaced by the defaults.
 */
POSTEL_EXTERN void postel_command_parser_init(postel_command_parser *p,
					      const postel_command_config *cfg);

/** Forget a partially received line (e.g. after STARTTLS, RFC 3207 §4.2:
 * the caller discards its buffered bytes too). The config is kept. */
POSTEL_EXTERN void postel_command_parser_reset(postel_command_parser *p);

/**
 * Parse one command line from the front of `buf` (see the streaming
 * contract at the top of this file).
 *
 * @param p        parser (initialized)
 * @param buf      unconsumed bytes of the current line + new bytes; NULL
 *                 only when `len` is 0
 * @param len      number of bytes at `buf`
 * @param cmd      result; `ext`/`ext_cap` are read, the rest is written
 *                 (same object for every call of one line)
 * @param consumed bytes the caller must drop from the front of `buf`
 * @return POSTEL_NEED_MORE, POSTEL_OK or POSTEL_INVALID;
 *         POSTEL_E_ARGUMENT when a pointer is NULL, POSTEL_E_STATE while a
 *         SASL line is half parsed (nothing changes either way).
 *
 * Verbs are case-insensitive (RFC 5321 §2.4); the grammar is RFC 5321
 * §4.1.1-4.1.2 with the extensions' parameter grammars. Line limits depend
 * on the verb (config). An over-long line is never buffered: its bytes are
 * consumed (NEED_MORE with *consumed > 0) until its line end arrives, then
 * it is INVALID with LINE_TOO_LONG (or AUTH_LINE_TOO_LONG) and
 * cmd->error POSTEL_CMD_E_LINE_TOO_LONG; only `verb` is then meaningful.
 */
POSTEL_EXTERN postel_status postel_command_parse(postel_command_parser *p,
						 const char *buf, size_t len,
						 postel_command *cmd,
						 size_t *consumed);

/**
 * One client response line in an AUTH exchange (RFC 4954 §4): base64
 * (possibly empty) or "*" to cancel. Limit: config.max_auth_line.
 */
typedef struct postel_sasl_response {
	postel_span line;             /**< whole line incl. line end */
	postel_span data;             /**< the base64 text (may be empty) */
	uint8_t cancel;               /**< 1 for "*" */
	postel_command_error error;   /**< POSTEL_CMD_OK when valid */
	postel_violation_list violations;
} postel_sasl_response;

/**
 * Parse one SASL response line from the front of `buf`; same streaming
 * contract as postel_command_parse() (same parser object; a line must be
 * finished by the entry point that started it, else POSTEL_E_STATE, or
 * postel_command_parser_reset() forgets it). Bad base64 is
 * SASL_BAD_BASE64 (501 5.5.2, RFC 4954 §4); over-long lines are
 * AUTH_LINE_TOO_LONG (500 5.5.6).
 */
POSTEL_EXTERN postel_status postel_command_parse_sasl(postel_command_parser *p,
						      const char *buf,
						      size_t len,
						      postel_sasl_response *r,
						      size_t *consumed);

/**
 * The reply an INVALID result calls for: `code` (500, 501, 552, 553, 555),
 * `enhanced` ("5.5.2", RFC 3463) and a short English `text`. `verb` refines
 * mailbox errors (5.1.7 for MAIL, 5.1.3 for RCPT) and line length (5.5.6
 * for AUTH; pass POSTEL_VERB_AUTH for SASL lines). For POSTEL_CMD_OK it
 * gives 250 2.0.0 "OK". Any pointer may be NULL. The server engine takes
 * its replies to refused lines (over-long ones too) from here, except a
 * non-ASCII MAIL address, which RFC 6531 §3.5 answers with 550.
 */
POSTEL_EXTERN void postel_command_error_reply(postel_command_error err,
					      postel_verb verb,
					      unsigned *code,
					      const char **enhanced,
					      const char **text);

#ifdef __cplusplus
}
#endif
#endif
