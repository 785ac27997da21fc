/*
 * postel — command parser internals shared by the driver
 * (src/command_parse.c, with grammar/command.rl) and src/command.c (API,
 * cold paths).
 * Never installed.
 */
#ifndef POSTEL_COMMAND_INT_H
#define POSTEL_COMMAND_INT_H

#include "internal.h"
#include "postel/command.h"

/* Span slots: offsets of marked spans in parser->ms_/me_. Slots
 * S_VERB..S_IR are the spans of postel_command from verb_text on, in the
 * same order; one of them counts as set when its bit is in parser->set_
 * (set by its end mark). The other slots have no bit. */
enum {
	S_VERB, S_ARG, S_PATH, S_ROUTE, S_LOCAL, S_DOMAIN,
	S_ENVID, S_ORCPT_TYPE, S_ORCPT_ADDR, S_AUTHP, S_HOLDUNTIL, S_RRVS,
	S_MTRK, S_MECH, S_IR,
	S_NSPAN_,        /* slots above are materialized into the command */
	S_VAL = S_NSPAN_, /* value of the parameter being scanned */
	S_PARAMS,        /* start of the first parameter */
	S_SEMI,          /* ORCPT= value: its ";" (the value's own mark, so
			  * a repeated ORCPT never touches the slots of the
			  * one already decoded) */
	S_NSLOT_
};

/* parser->mode_ */
enum { M_IDLE, M_SCAN, M_SKIP, M_DISCARD };

/* parser->zone_: what the scanner was looking at; on a syntax error it
 * names the violation. */
enum {
	Z_VERB, Z_AFTER_VERB, Z_MAILKW, Z_PATH, Z_LOCAL, Z_DOMAIN, Z_LITERAL,
	Z_PARAM, Z_VALUE, Z_STRING, Z_HELO, Z_MECH, Z_IR, Z_CHUNK, Z_ETRN,
	Z_TAIL, Z_SASL, Z_ARG0
};

/* parser->kind_: MAIL/RCPT parameter being scanned (bit = 1 << (k-1)) */
enum {
	K_OTHER, K_SIZE, K_BODY, K_RET, K_ENVID, K_AUTH, K_SMTPUTF8,
	K_REQUIRETLS, K_MT_PRIORITY, K_BY, K_HOLDFOR, K_HOLDUNTIL, K_MTRK,
	K_NOTIFY, K_ORCPT, K_RRVS, K_COUNT_
};

/* parser->pflags_ */
enum {
	PF_OK = 1,     /* strict form matched (lenient alternatives) */
	PF_DONE = 2    /* the line end was scanned */
};

/* Cold helpers (src/command.c). */
/* The violation an octet at base[e] of a line of line_len octets is by
 * itself (NUL, bare CR, another control), or POSTEL_V_NONE. */
postel_violation postel__cmd_octet_violation(const unsigned char *base,
					     size_t e, size_t line_len);
void postel__cmd_syntax_error(postel_command_parser *p, postel_command *c,
			      const unsigned char *base, size_t line_len);
void postel__cmd_collect_params(postel_command_parser *p, postel_command *c,
				const unsigned char *base, size_t line_len);
/* Addresses of an accepted line (utf8: the line is well-formed UTF-8
 * under SMTPUTF8): DNS label length, address literal tags, U-label code
 * points, C1 controls in local parts; sets POSTEL_CMD_IDNA_UNCHECKED. */
void postel__cmd_address_checks(postel_command_parser *p, postel_command *c,
				int utf8);
/* The verb of a line whose limit differs from the plain one (MAIL, RCPT,
 * AUTH) from its first n octets, else POSTEL_VERB_UNKNOWN. */
postel_verb postel__cmd_line_verb(const unsigned char *line, size_t n);
/* The longest command line (CRLF included) that may start with the n
 * octets at p: its verb's limit once the four octets of the verb are
 * there (RFC 5321 §4.5.3.1.4, RFC 1869 §4.1.2, RFC 4954 §4), else the
 * plain one. The one table of line limits, for the parser and the server
 * engine alike. */
uint32_t postel__cmd_line_limit(const postel_command_parser *p,
				const unsigned char *line, size_t n);
/* K_* of an esmtp-keyword (letters, digits, "-"; RFC 5321 §4.1.2). */
int postel__cmd_kind(const unsigned char *kw, size_t n);
postel_command_error postel__cmd_error_of(postel_violation v,
					  postel_verb verb);
int postel__cmd_tolerated(postel_violation v, uint32_t lenient);
void postel__cmd_decide(postel_violation_list *vl, postel_command_error *err,
			postel_verb verb, uint32_t lenient);

#endif
