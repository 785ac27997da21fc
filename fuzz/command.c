/*
 * Fuzz target for the command parser (and the SASL line parser).
 *
 * Input: 4 setup octets, then the byte stream a client sends.
 *   [0] lenient bits 0-7
 *   [1] bit 0 SMTPUTF8, bit 1 pass unknown parameters, bit 2 tiny limits,
 *       bit 3 SASL lines only, bit 4 alternate command / SASL lines,
 *       bits 5-7 drop parameters from the recognized set
 *   [2] [3] where the stream is cut for the second run, and the chunk size
 *       of the third
 * The stream is parsed whole, then cut in two, then fed in small chunks;
 * then whole and in small chunks again by the same driver built from the
 * grammar alone (-DPOSTEL_GRAMMAR_ONLY: no fast path, no skip; its
 * functions are named postel_ref_*). The five runs must agree exactly
 * (split invariance, accelerations equal to the grammar), or the harness
 * aborts. Every result is also checked for internal consistency.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postel/command.h"

#define MAX_UNITS 4096

/* The grammar-only build of the driver (fuzz/meson.build). */
postel_status postel_ref_command_parse(postel_command_parser *p,
				       const char *buf, size_t len,
				       postel_command *c, size_t *consumed);
postel_status postel_ref_command_parse_sasl(postel_command_parser *p,
					    const char *buf, size_t len,
					    postel_sasl_response *r,
					    size_t *consumed);

/* What one complete line gave, independent of where the bytes sat. */
typedef struct unit {
	int32_t span[24][2]; /* offset from the line start, length; -1 */
	uint64_t size, chunk;
	uint32_t flags, params, mtrk_timeout, holdfor;
	int32_t by_time;
	uint16_t vid[POSTEL_VIOLATION_LIST_MAX];
	uint8_t st, verb, error, nv, lost, body, ret, notify, by_mode,
		by_trace, rrvs_action, etrn_option, cancel, sasl;
	int8_t mt_priority;
	uint32_t n_ext;
} unit;

typedef struct run {
	unit u[MAX_UNITS];
	size_t n;
} run;

static run runs[5];

static void put_span(unit *u, int i, postel_span s, const char *line,
		     size_t len)
{
	if (!s.p) {
		if (s.n != 0)
			abort();
		u->span[i][0] = u->span[i][1] = -1;
		return;
	}
	/* spans stay inside the line */
	if (s.p < line || s.p + s.n > line + len)
		abort();
	u->span[i][0] = (int32_t)(s.p - line);
	u->span[i][1] = (int32_t)s.n;
}

static void check_status(postel_status st, int err, size_t used, size_t have)
{
	if (used > have)
		abort();
	if (st == POSTEL_OK && err != POSTEL_CMD_OK)
		abort();
	if (st == POSTEL_INVALID && err == POSTEL_CMD_OK)
		abort();
	if (st != POSTEL_OK && st != POSTEL_INVALID && st != POSTEL_NEED_MORE)
		abort();
	if (st != POSTEL_NEED_MORE && used == 0)
		abort();
}

static void record_cmd(unit *u, postel_status st, const postel_command *c,
		       const char *line, size_t len)
{
	memset(u, 0, sizeof *u);
	u->st = (uint8_t)st;
	u->verb = (uint8_t)c->verb;
	u->error = (uint8_t)c->error;
	u->flags = c->flags;
	u->params = c->params;
	u->nv = c->violations.n;
	u->lost = c->violations.lost;
	memcpy(u->vid, c->violations.id, sizeof u->vid);
	const postel_span *s[] = {
		&c->line, &c->verb_text, &c->arg, &c->path, &c->route,
		&c->mailbox, &c->local_part, &c->domain, &c->envid,
		&c->orcpt_type, &c->orcpt_addr, &c->auth, &c->holduntil,
		&c->rrvs, &c->mtrk, &c->mechanism, &c->initial_response,
	};
	for (int i = 0; i < (int)(sizeof s / sizeof s[0]); i++)
		put_span(u, i, *s[i], line, len);
	if (c->error == POSTEL_CMD_E_LINE_TOO_LONG)
		u->span[0][0] = u->span[0][1] = 0; /* only the tail is here */
	for (size_t i = 0; i < c->n_ext && i < c->ext_cap && i < 3; i++) {
		put_span(u, 17 + 2 * (int)i, c->ext[i].keyword, line, len);
		put_span(u, 18 + 2 * (int)i, c->ext[i].value, line, len);
	}
	u->n_ext = (uint32_t)c->n_ext;
	if (st != POSTEL_OK)
		return;
	/* typed values only mean something for accepted lines */
	u->size = c->params & POSTEL_PARAM_SIZE ? c->size : 0;
	u->chunk = c->verb == POSTEL_VERB_BDAT ? c->chunk_size : 0;
	u->body = c->params & POSTEL_PARAM_BODY ? c->body : 0;
	u->ret = c->params & POSTEL_PARAM_RET ? c->ret : 0;
	u->notify = c->params & POSTEL_PARAM_NOTIFY ? c->notify : 0;
	if (c->params & POSTEL_PARAM_MT_PRIORITY) {
		u->mt_priority = c->mt_priority;
		if (c->mt_priority < -9 || c->mt_priority > 9)
			abort();
	}
	if (c->params & POSTEL_PARAM_BY) {
		u->by_time = c->by_time;
		u->by_mode = c->by_mode;
		u->by_trace = c->by_trace;
		if (c->by_mode != 'N' && c->by_mode != 'R')
			abort();
	}
	u->holdfor = c->params & POSTEL_PARAM_HOLDFOR ? c->holdfor : 0;
	u->mtrk_timeout = c->params & POSTEL_PARAM_MTRK ? c->mtrk_timeout : 0;
	u->rrvs_action = c->params & POSTEL_PARAM_RRVS ? c->rrvs_action : 0;
	u->etrn_option = c->etrn_option;
	if ((c->notify & POSTEL_NOTIFY_NEVER) &&
	    c->notify != POSTEL_NOTIFY_NEVER)
		abort();
}

static void record_sasl(unit *u, postel_status st,
			const postel_sasl_response *r, const char *line,
			size_t len)
{
	memset(u, 0, sizeof *u);
	u->sasl = 1;
	u->st = (uint8_t)st;
	u->error = (uint8_t)r->error;
	u->cancel = r->cancel;
	u->nv = r->violations.n;
	memcpy(u->vid, r->violations.id, sizeof u->vid);
	put_span(u, 1, r->data, line, len);
}

typedef struct setup {
	postel_command_config cfg;
	int sasl_only, alternate;
} setup;

/* Feed `in` in pieces ending at `cuts` (0 = whole), recording into `r`. */
static void feed(const setup *su, const uint8_t *in, size_t n, size_t cut,
		 size_t chunk, int ref, run *r)
{
	postel_command_parser p;
	postel_command c;
	postel_esmtp_param ext[3];
	char *pending = malloc(n ? n : 1);
	size_t have = 0, pos = 0, lines = 0;
	if (!pending)
		abort();
	postel_command_parser_init(&p, &su->cfg);
	memset(&c, 0, sizeof c);
	c.ext = ext;
	c.ext_cap = 3;
	r->n = 0;
	while (pos < n || have) {
		size_t step = n - pos;
		if (cut && pos < cut)
			step = cut - pos;
		else if (chunk && step > chunk)
			step = chunk;
		memcpy(pending + have, in + pos, step);
		have += step;
		pos += step;
		for (;;) {
			size_t used = 0;
			postel_status st;
			int sasl = su->sasl_only || (su->alternate && (lines & 1));
			/* a fresh copy each call: the bytes move */
			char *buf = malloc(have ? have : 1);
			if (!buf)
				abort();
			memcpy(buf, pending, have);
			if (sasl) {
				postel_sasl_response sr;
				st = (ref ? postel_ref_command_parse_sasl
					  : postel_command_parse_sasl)(
					&p, buf, have, &sr, &used);
				check_status(st, sr.error, used, have);
				if (st != POSTEL_NEED_MORE && r->n < MAX_UNITS)
					record_sasl(&r->u[r->n++], st, &sr,
						    buf, used);
			} else {
				st = (ref ? postel_ref_command_parse
					  : postel_command_parse)(&p, buf, have,
								  &c, &used);
				check_status(st, c.error, used, have);
				if (st != POSTEL_NEED_MORE && r->n < MAX_UNITS)
					record_cmd(&r->u[r->n++], st, &c, buf,
						   used);
			}
			free(buf);
			memmove(pending, pending + used, have - used);
			have -= used;
			if (st == POSTEL_NEED_MORE) {
				break;
			}
			lines++;
			if (!have)
				break;
		}
		if (pos == n)
			break;
	}
	free(pending);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup su;
	if (size < 4)
		return 0;
	memset(&su, 0, sizeof su);
	postel_command_config_default(&su.cfg);
	su.cfg.lenient = data[0];
	if (data[1] & 1)
		su.cfg.options |= POSTEL_CMD_OPT_SMTPUTF8;
	if (data[1] & 2)
		su.cfg.options |= POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS;
	if (data[1] & 4) {
		su.cfg.max_line = 24;
		su.cfg.max_mail_line = 40;
		su.cfg.max_rcpt_line = 32;
		su.cfg.max_auth_line = 28;
		su.cfg.max_local_part = 6;
		su.cfg.max_domain = 9;
		su.cfg.max_path = 12;
	}
	su.sasl_only = (data[1] & 8) != 0;
	su.alternate = (data[1] & 16) != 0;
	su.cfg.params &= ~((uint32_t)(data[1] >> 5) * 0x0491u);
	const uint8_t *in = data + 4;
	size_t n = size - 4;
	size_t cut = n ? 1 + ((size_t)data[2] << 8 | data[3]) % n : 0;
	size_t chunk = 1 + data[3] % 7;
	feed(&su, in, n, 0, 0, 0, &runs[0]);
	feed(&su, in, n, cut, 0, 0, &runs[1]);
	feed(&su, in, n, 0, chunk, 0, &runs[2]);
	feed(&su, in, n, 0, 0, 1, &runs[3]);
	feed(&su, in, n, 0, chunk, 1, &runs[4]);
	for (int k = 1; k < 5; k++) {
		if (runs[k].n != runs[0].n)
			abort();
		if (memcmp(runs[k].u, runs[0].u,
			   runs[0].n * sizeof runs[0].u[0]) != 0)
			abort();
	}
	return 0;
}
