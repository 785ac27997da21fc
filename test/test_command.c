/*
 * Command parser (grammar/command.rl, src/command.c): unit tests and the
 * test vectors of test-vectors/command/ (log format: its README.md).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/command.h"
#include "support.h"

/* ---- the vector log: one line per command (test-vectors/command) ---- */

static void span_field(tlog *l, const char *key, postel_span s)
{
	if (!s.p)
		return;
	tlog_printf(l, " %s=", key);
	tlog_escaped(l, s.p, s.n);
}

static void log_violations(tlog *l, const postel_violation_list *vl)
{
	for (unsigned i = 0; i < vl->n; i++)
		tlog_printf(l, "%s%s", i ? "," : " v=",
			    postel_violation_name((postel_violation)vl->id[i]));
	if (vl->lost)
		tlog_printf(l, " v-lost=%u", vl->lost);
}

static const char *error_name(postel_command_error e)
{
	static const char *const names[] = {
		"ok", "unknown", "syntax", "argument", "mailbox",
		"path-too-long", "param-unknown", "too-big", "line-too-long",
		"utf8",
	};
	return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

static void log_command(tlog *l, postel_status st, const postel_command *c)
{
	static const struct {
		unsigned bit;
		const char *name;
	} fl[] = {
		{POSTEL_CMD_NULL_PATH, "null-path"},
		{POSTEL_CMD_POSTMASTER, "postmaster"},
		{POSTEL_CMD_SOURCE_ROUTE, "route"},
		{POSTEL_CMD_ADDRESS_LITERAL, "literal"},
		{POSTEL_CMD_LITERAL_IPV6, "ipv6"},
		{POSTEL_CMD_LITERAL_GENERAL, "general"},
		{POSTEL_CMD_QUOTED_LOCAL, "quoted"},
		{POSTEL_CMD_8BIT, "8bit"},
		{POSTEL_CMD_SMTPUTF8_ARG, "smtputf8-arg"},
		{POSTEL_CMD_BDAT_LAST, "last"},
		{POSTEL_CMD_AUTH_EMPTY, "auth-empty"},
		{POSTEL_CMD_AUTH_PARAM_NULL, "auth-null"},
		{POSTEL_CMD_IDNA_UNCHECKED, "idna-unchecked"},
	};
	static const char *const body[] = {"?", "7BIT", "8BITMIME",
					   "BINARYMIME"};
	uint32_t m = c->params;
	tlog_printf(l, "%s %s", st == POSTEL_OK ? "ok" : "invalid",
		    postel_verb_name(c->verb));
	if (c->verb == POSTEL_VERB_UNKNOWN)
		span_field(l, "verb", c->verb_text);
	if (c->verb != POSTEL_VERB_MAIL && c->verb != POSTEL_VERB_RCPT &&
	    c->verb != POSTEL_VERB_AUTH && c->verb != POSTEL_VERB_BDAT)
		span_field(l, "arg", c->arg);
	span_field(l, "path", c->path);
	span_field(l, "route", c->route);
	span_field(l, "mailbox", c->mailbox);
	span_field(l, "local", c->local_part);
	span_field(l, "domain", c->domain);
	span_field(l, "mech", c->mechanism);
	span_field(l, "ir", c->initial_response);
	if (c->verb == POSTEL_VERB_BDAT && c->arg.p)
		tlog_printf(l, " chunk=%llu",
			    (unsigned long long)c->chunk_size);
	if (c->etrn_option)
		tlog_printf(l, " etrn-option=%c", c->etrn_option);
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
		if (c->flags & fl[i].bit)
			tlog_printf(l, " +%s", fl[i].name);
	if (m & POSTEL_PARAM_SIZE)
		tlog_printf(l, " size=%llu", (unsigned long long)c->size);
	if (m & POSTEL_PARAM_BODY)
		tlog_printf(l, " body=%s", body[c->body & 3]);
	if (m & POSTEL_PARAM_RET)
		tlog_printf(l, " ret=%s",
			    c->ret == POSTEL_RET_FULL ? "FULL" : "HDRS");
	if (m & POSTEL_PARAM_ENVID)
		span_field(l, "envid", c->envid);
	if (m & POSTEL_PARAM_AUTH)
		span_field(l, "auth", c->auth);
	if (m & POSTEL_PARAM_SMTPUTF8)
		tlog_printf(l, " smtputf8");
	if (m & POSTEL_PARAM_REQUIRETLS)
		tlog_printf(l, " requiretls");
	if (m & POSTEL_PARAM_MT_PRIORITY)
		tlog_printf(l, " mt-priority=%d", c->mt_priority);
	if (m & POSTEL_PARAM_BY)
		tlog_printf(l, " by=%ld;%c%s", (long)c->by_time, c->by_mode,
			    c->by_trace ? "T" : "");
	if (m & POSTEL_PARAM_HOLDFOR)
		tlog_printf(l, " holdfor=%lu", (unsigned long)c->holdfor);
	if (m & POSTEL_PARAM_HOLDUNTIL)
		span_field(l, "holduntil", c->holduntil);
	if (m & POSTEL_PARAM_MTRK) {
		span_field(l, "mtrk", c->mtrk);
		if (c->mtrk_timeout)
			tlog_printf(l, " mtrk-timeout=%lu",
				    (unsigned long)c->mtrk_timeout);
	}
	if (m & POSTEL_PARAM_NOTIFY)
		tlog_printf(l, " notify=%s%s%s%s",
			    c->notify & POSTEL_NOTIFY_NEVER ? "N" : "",
			    c->notify & POSTEL_NOTIFY_SUCCESS ? "S" : "",
			    c->notify & POSTEL_NOTIFY_FAILURE ? "F" : "",
			    c->notify & POSTEL_NOTIFY_DELAY ? "D" : "");
	if (m & POSTEL_PARAM_ORCPT) {
		span_field(l, "orcpt-type", c->orcpt_type);
		span_field(l, "orcpt", c->orcpt_addr);
	}
	if (m & POSTEL_PARAM_RRVS) {
		span_field(l, "rrvs", c->rrvs);
		if (c->rrvs_action)
			tlog_printf(l, " rrvs-action=%c", c->rrvs_action);
	}
	for (size_t i = 0; i < c->n_ext && i < c->ext_cap; i++) {
		tlog_printf(l, " ext=");
		tlog_escaped(l, c->ext[i].keyword.p, c->ext[i].keyword.n);
		if (c->ext[i].value.p) {
			tlog_printf(l, "=");
			tlog_escaped(l, c->ext[i].value.p, c->ext[i].value.n);
		}
	}
	if (c->n_ext > c->ext_cap)
		tlog_printf(l, " n-ext=%zu", c->n_ext);
	log_violations(l, &c->violations);
	if (st != POSTEL_OK)
		tlog_printf(l, " error=%s", error_name(c->error));
	tlog_printf(l, "\n");
}

static void log_sasl(tlog *l, postel_status st, const postel_sasl_response *r)
{
	tlog_printf(l, "%s SASL", st == POSTEL_OK ? "ok" : "invalid");
	if (r->cancel)
		tlog_printf(l, " +cancel");
	else
		span_field(l, "data", r->data);
	log_violations(l, &r->violations);
	if (st != POSTEL_OK)
		tlog_printf(l, " error=%s", error_name(r->error));
	tlog_printf(l, "\n");
}

/* ---- split target ---- */

/* The vectors leave the argument of an accepted MAIL or RCPT out of their
 * results; it is the path and the parameters after it: from the path to
 * the white space and line end at the end of the line. */
static void check_mail_arg(postel_status st, const postel_command *c)
{
	const char *e;
	if (st != POSTEL_OK ||
	    (c->verb != POSTEL_VERB_MAIL && c->verb != POSTEL_VERB_RCPT))
		return;
	e = c->line.p + c->line.n - 1; /* the LF */
	if (e > c->line.p && e[-1] == '\r')
		e--;
	while (e[-1] == ' ' || e[-1] == '\t')
		e--;
	ck_assert_ptr_eq(c->arg.p, c->path.p);
	ck_assert_ptr_eq(c->arg.p + c->arg.n, e);
}

typedef struct target {
	postel_command_config cfg;
	postel_command_parser p;
	postel_command c;
	postel_esmtp_param ext[4];
	int sasl;
} target;

static void t_reset(void *ctx)
{
	target *t = ctx;
	postel_command_parser_init(&t->p, &t->cfg);
	memset(&t->c, 0x5a, sizeof t->c); /* garbage: the parser clears */
	t->c.ext = t->ext;
	t->c.ext_cap = sizeof t->ext / sizeof t->ext[0];
}

static size_t t_feed(void *ctx, const char *p, size_t n, tlog *log)
{
	target *t = ctx;
	size_t k = 12345;
	postel_status st;
	if (t->sasl) {
		postel_sasl_response r;
		st = postel_command_parse_sasl(&t->p, p, n, &r, &k);
		if (st == POSTEL_OK || st == POSTEL_INVALID)
			log_sasl(log, st, &r);
	} else {
		st = postel_command_parse(&t->p, p, n, &t->c, &k);
		if (st == POSTEL_OK || st == POSTEL_INVALID) {
			ck_assert(t->c.line.p == NULL || t->c.line.p == p);
			check_mail_arg(st, &t->c);
			log_command(log, st, &t->c);
		}
	}
	ck_assert(st == POSTEL_OK || st == POSTEL_INVALID ||
		  st == POSTEL_NEED_MORE);
	ck_assert_uint_le(k, n);
	if (st != POSTEL_NEED_MORE)
		ck_assert_uint_gt(k, 0);
	return k;
}

static void t_finish(void *ctx, const char *p, size_t n, tlog *log)
{
	(void)ctx;
	(void)p;
	if (n)
		tlog_printf(log, "rest=%zu\n", n);
}

static const split_target command_target = {t_reset, t_feed, t_finish};

static const struct {
	const char *name;
	uint32_t bit;
} lenient_names[] = {
	{"space-after-colon", POSTEL_LENIENT_SPACE_AFTER_COLON},
	{"no-angle-brackets", POSTEL_LENIENT_NO_ANGLE_BRACKETS},
	{"bare-lf", POSTEL_LENIENT_BARE_LF_COMMAND},
	{"extra-space", POSTEL_LENIENT_EXTRA_SPACE},
	{"8bit", POSTEL_LENIENT_8BIT_COMMAND},
	{"helo-syntax", POSTEL_LENIENT_HELO_SYNTAX},
	{"local-part-dots", POSTEL_LENIENT_LOCAL_PART_DOTS},
	{"long-local-part", POSTEL_LENIENT_LONG_LOCAL_PART},
};

/* Vector config (test-vectors/command/README.md). Default: strict. */
static void vec_target(const vec *v, target *t)
{
	char buf[64];
	memset(t, 0, sizeof *t);
	postel_command_config_default(&t->cfg);
	t->cfg.lenient = POSTEL_STRICT;
	if (vec_config_has(v, "lenient"))
		t->cfg.lenient = POSTEL_LENIENT;
	if (vec_config_has(v, "lenient-all"))
		t->cfg.lenient = 0xffu;
	for (size_t i = 0; i < sizeof lenient_names / sizeof lenient_names[0];
	     i++)
		if (vec_config_has(v, lenient_names[i].name))
			t->cfg.lenient |= lenient_names[i].bit;
	if (vec_config_has(v, "smtputf8"))
		t->cfg.options |= POSTEL_CMD_OPT_SMTPUTF8;
	if (vec_config_has(v, "pass-unknown"))
		t->cfg.options |= POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS;
	if (vec_config_has(v, "sasl"))
		t->sasl = 1;
	if (vec_config_get(v, "params", buf, sizeof buf))
		t->cfg.params = (uint32_t)strtoul(buf, NULL, 0);
	static const struct {
		const char *key;
		size_t off;
	} lim[] = {
		{"max-line", offsetof(postel_command_config, max_line)},
		{"max-mail-line", offsetof(postel_command_config, max_mail_line)},
		{"max-rcpt-line", offsetof(postel_command_config, max_rcpt_line)},
		{"max-auth-line", offsetof(postel_command_config, max_auth_line)},
		{"max-local-part",
		 offsetof(postel_command_config, max_local_part)},
		{"max-domain", offsetof(postel_command_config, max_domain)},
		{"max-path", offsetof(postel_command_config, max_path)},
	};
	for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
		if (vec_config_get(v, lim[i].key, buf, sizeof buf))
			*(uint32_t *)(void *)((char *)&t->cfg + lim[i].off) =
				(uint32_t)strtoul(buf, NULL, 10);
}

static vec_set vectors;

static void vectors_setup(void)
{
	vec_load(&vectors, "command");
}

START_TEST(vector)
{
	const vec *v = &vectors.v[_i];
	target t;
	tlog whole;
	char why[512];
	vec_target(v, &t);
	tlog_init(&whole);
	/* long inputs: 2-way splits and byte by byte; short ones also 3-way */
	int rc = split_check(&command_target, &t, v->in, v->in_n, 48, &whole,
			     why, sizeof why);
	ck_assert_msg(rc == 0, "%s:%d %s: %s", v->file, v->line, v->name, why);
	ck_assert_msg(strcmp(tlog_str(&whole), v->expect) == 0,
		      "%s:%d %s\nexpected:\n%sgot:\n%s", v->file, v->line,
		      v->name, v->expect, tlog_str(&whole));
	tlog_free(&whole);
}
END_TEST

/* Every command violation, verb and parameter appears in some vector. */
START_TEST(vectors_cover_everything)
{
	tlog all;
	tlog_init(&all);
	for (size_t i = 0; i < vectors.n; i++)
		tlog_printf(&all, "%s\n", vectors.v[i].expect);
	const char *s = tlog_str(&all);
	char key[64];
#define X(id, num, name, rfc, fatal)                                           \
	snprintf(key, sizeof key, "%s", name);                                 \
	ck_assert_msg(strstr(s, key) != NULL, "no vector reports %s", name);
	POSTEL_VIOLATIONS_COMMAND(X)
#undef X
	static const char *const lines[] = {"bare-lf", "bare-cr", "nul-octet",
					    "8bit-octet", "line-too-long",
					    "control-char"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		ck_assert_msg(strstr(s, lines[i]) != NULL, "no vector reports %s",
			      lines[i]);
	for (int v = 1; v < POSTEL_VERB_COUNT_; v++) {
		snprintf(key, sizeof key, "ok %s",
			 postel_verb_name((postel_verb)v));
		ck_assert_msg(strstr(s, key) != NULL, "no valid %s vector",
			      postel_verb_name((postel_verb)v));
	}
	static const char *const params[] = {
		" size=", " body=7BIT", " body=8BITMIME", " body=BINARYMIME",
		" ret=FULL", " ret=HDRS", " envid=", " auth=", " smtputf8",
		" requiretls", " mt-priority=", " by=", " holdfor=",
		" holduntil=", " mtrk=", " notify=", " orcpt=", " rrvs=",
		" ext=", " +null-path", " +postmaster", " +route", " +literal",
		" +ipv6", " +general", " +quoted", " +8bit", " +smtputf8-arg",
		" +last", " +auth-empty", " +auth-null", " +idna-unchecked",
		" etrn-option=",
		" n-ext=", "ok SASL", "+cancel",
	};
	for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
		ck_assert_msg(strstr(s, params[i]) != NULL, "no vector has %s",
			      params[i]);
	ck_assert_uint_ge(vectors.n, 150);
	tlog_free(&all);
}
END_TEST

/* ---- unit tests ---- */

typedef struct one {
	postel_command_parser p;
	postel_command c;
	postel_esmtp_param ext[4];
	postel_status st;
	size_t used;
} one;

/* Parse one complete line (through a guard page) with `cfg`. */
static one *parse1(one *o, const postel_command_config *cfg, const char *s,
		   size_t n)
{
	memset(o, 0, sizeof *o);
	postel_command_parser_init(&o->p, cfg);
	o->c.ext = o->ext;
	o->c.ext_cap = 4;
	o->st = postel_command_parse(&o->p, guard_copy(s, n), n, &o->c,
				     &o->used);
	return o;
}

static one *strict1(one *o, const char *s)
{
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.lenient = POSTEL_STRICT;
	return parse1(o, &cfg, s, strlen(s));
}

static int span_is(postel_span s, const char *want)
{
	return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

START_TEST(verb_names)
{
	ck_assert_str_eq(postel_verb_name(POSTEL_VERB_MAIL), "MAIL");
	ck_assert_str_eq(postel_verb_name(POSTEL_VERB_STARTTLS), "STARTTLS");
	ck_assert_str_eq(postel_verb_name(POSTEL_VERB_UNKNOWN), "UNKNOWN");
	ck_assert_str_eq(postel_verb_name((postel_verb)99), "UNKNOWN");
	for (int v = 1; v < POSTEL_VERB_COUNT_; v++) {
		/* every verb parses, in any case */
		char line[32];
		one o;
		const char *name = postel_verb_name((postel_verb)v);
		snprintf(line, sizeof line, "%s\r\n", name);
		for (char *q = line; *q; q += 2)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
		strict1(&o, line);
		ck_assert_int_eq(o.st, v == POSTEL_VERB_DATA ||
					       v == POSTEL_VERB_RSET ||
					       v == POSTEL_VERB_QUIT ||
					       v == POSTEL_VERB_STARTTLS ||
					       v == POSTEL_VERB_HELP ||
					       v == POSTEL_VERB_NOOP
				       ? POSTEL_OK
				       : POSTEL_INVALID);
		ck_assert_int_eq(o.c.verb, v);
		ck_assert_uint_eq(o.c.verb_text.n, strlen(name));
		ck_assert_uint_eq(o.used, strlen(line));
	}
}
END_TEST

START_TEST(bad_arguments)
{
	postel_command_parser p;
	postel_command c;
	size_t k = 7;
	postel_command_parser_init(&p, NULL);
	ck_assert_int_eq(postel_command_parse(NULL, "x", 1, &c, &k),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_command_parse(&p, NULL, 1, &c, &k),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_command_parse(&p, "x", 1, NULL, &k),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_command_parse(&p, "x", 1, &c, NULL),
			 POSTEL_E_ARGUMENT);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(postel_command_parse(&p, NULL, 0, &c, &k),
			 POSTEL_NEED_MORE);
	ck_assert_uint_eq(k, 0);
	postel_sasl_response r;
	ck_assert_int_eq(postel_command_parse_sasl(&p, "x", 1, NULL, &k),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_command_parse_sasl(NULL, "x", 1, &r, &k),
			 POSTEL_E_ARGUMENT);
}
END_TEST

START_TEST(config_defaults_and_clamps)
{
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	ck_assert_uint_eq(cfg.lenient, POSTEL_LENIENT);
	ck_assert_uint_eq(cfg.params, POSTEL_PARAM_ALL);
	ck_assert_uint_eq(cfg.max_line, 512);
	ck_assert_uint_eq(cfg.max_mail_line, 512 + 776);
	ck_assert_uint_eq(cfg.max_rcpt_line, 512 + 540);
	ck_assert_uint_eq(cfg.max_auth_line, 12288);
	ck_assert_uint_eq(cfg.max_local_part, 64);
	ck_assert_uint_eq(cfg.max_domain, 255);
	ck_assert_uint_eq(cfg.max_path, 256);
	postel_command_config_default(NULL);
	memset(&cfg, 0, sizeof cfg);
	cfg.max_line = 1u << 30;
	postel_command_parser p;
	postel_command_parser_init(&p, &cfg);
	ck_assert_uint_eq(p.config.max_line, POSTEL_CMD_LIMIT_MAX);
	ck_assert_uint_eq(p.config.max_path, 256);
	ck_assert_uint_eq(p.config.lenient, 0);
	postel_command_parser_init(NULL, NULL);
	postel_command_parser_reset(NULL);
}
END_TEST

START_TEST(size_boundaries)
{
	one o;
	strict1(&o, "MAIL FROM:<a@b> SIZE=18446744073709551615\r\n");
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert(o.c.params & POSTEL_PARAM_SIZE);
	ck_assert(o.c.size == UINT64_MAX);
	strict1(&o, "MAIL FROM:<a@b> SIZE=18446744073709551616\r\n");
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_SIZE_OVERFLOW));
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_TOO_BIG);
	ck_assert(!(o.c.params & POSTEL_PARAM_SIZE));
	strict1(&o, "MAIL FROM:<a@b> SIZE=0\r\n");
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert(o.c.size == 0);
	/* 20 digits with leading zeros still fit 1*20DIGIT */
	strict1(&o, "MAIL FROM:<a@b> SIZE=00000000000000000001\r\n");
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert(o.c.size == 1);
	strict1(&o, "MAIL FROM:<a@b> SIZE=000000000000000000001\r\n");
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations, POSTEL_V_BAD_SIZE));
	strict1(&o, "BDAT 18446744073709551615 LAST\r\n");
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert(o.c.chunk_size == UINT64_MAX);
	ck_assert(o.c.flags & POSTEL_CMD_BDAT_LAST);
	strict1(&o, "BDAT 18446744073709551616\r\n");
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_CHUNK_SIZE_OVERFLOW));
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_TOO_BIG);
}
END_TEST

/* head + fill... + tail, `total` octets in all (a fresh malloc). */
static char *fill_line(const char *head, char fill, const char *tail,
		       size_t total)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(total + 1);
	ck_assert(s && total >= h + t);
	memcpy(s, head, h);
	memset(s + h, fill, total - h - t);
	memcpy(s + total - t, tail, t + 1);
	return s;
}

START_TEST(line_length_boundaries)
{
	one o;
	char *s = fill_line("NOOP ", 'x', "\r\n", 512);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.used, 512);
	free(s);
	s = fill_line("NOOP ", 'x', "\r\n", 513);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert_uint_eq(o.used, 513);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_LINE_TOO_LONG));
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_LINE_TOO_LONG);
	ck_assert_int_eq(o.c.verb, POSTEL_VERB_NOOP);
	free(s);
	/* bare LF counts as the line end: 512 with LF only */
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.lenient = POSTEL_LENIENT_BARE_LF_COMMAND;
	s = fill_line("NOOP ", 'x', "\n", 512);
	parse1(&o, &cfg, s, 512);
	ck_assert_int_eq(o.st, POSTEL_OK);
	free(s);
	s = fill_line("NOOP ", 'x', "\n", 513);
	parse1(&o, &cfg, s, 513);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	free(s);
}
END_TEST

/* The over-long line is consumed as it arrives, never buffered. */
START_TEST(long_line_is_discarded_streaming)
{
	postel_command_parser p;
	postel_command c;
	postel_command_config cfg;
	char chunk[300];
	size_t k;
	postel_command_config_default(&cfg);
	postel_command_parser_init(&p, &cfg);
	memset(&c, 0, sizeof c);
	memset(chunk, 'a', sizeof chunk);
	memcpy(chunk, "NOOP ", 5);
	ck_assert_int_eq(postel_command_parse(&p, chunk, 300, &c, &k),
			 POSTEL_NEED_MORE);
	ck_assert_uint_eq(k, 0);
	/* 300 pending + 300 new: the limit is crossed, all of it dropped */
	char two[600];
	memcpy(two, chunk, 300);
	memset(two + 300, 'b', 300);
	ck_assert_int_eq(postel_command_parse(&p, two, 600, &c, &k),
			 POSTEL_NEED_MORE);
	ck_assert_uint_eq(k, 600);
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(postel_command_parse(&p, chunk, 300, &c, &k),
				 POSTEL_NEED_MORE);
		ck_assert_uint_eq(k, 300);
	}
	const char *end = "zz\r\nQUIT\r\n";
	ck_assert_int_eq(postel_command_parse(&p, end, 10, &c, &k),
			 POSTEL_INVALID);
	ck_assert_uint_eq(k, 4);
	ck_assert_int_eq(c.error, POSTEL_CMD_E_LINE_TOO_LONG);
	ck_assert_int_eq(c.verb, POSTEL_VERB_NOOP);
	ck_assert_int_eq(postel_command_parse(&p, end + 4, 6, &c, &k),
			 POSTEL_OK);
	ck_assert_int_eq(c.verb, POSTEL_VERB_QUIT);
}
END_TEST

START_TEST(mail_rcpt_line_limits)
{
	/* MAIL may use 512 + 776 octets (RFC 1869 §4.1.2), RCPT 512 + 540 */
	one o;
	const char *mh = "MAIL FROM:<a@b> AUTH=", *rh = "RCPT TO:<a@b> ORCPT=rfc822;";
	char *s = fill_line(mh, 'x', "\r\n", 1288);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.c.auth.n, 1288 - 2 - strlen(mh));
	free(s);
	s = fill_line(mh, 'x', "\r\n", 1289);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert_int_eq(o.c.verb, POSTEL_VERB_MAIL);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_LINE_TOO_LONG));
	free(s);
	s = fill_line(rh, 'y', "\r\n", 1052);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_OK);
	free(s);
	s = fill_line(rh, 'y', "\r\n", 1053);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_LINE_TOO_LONG);
	free(s);
	/* other verbs keep 512 */
	s = fill_line("VRFY ", 'v', "\r\n", 513);
	strict1(&o, s);
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_LINE_TOO_LONG);
	free(s);
}
END_TEST

START_TEST(auth_line_limit)
{
	one o;
	/* 12288 octets: "AUTH CRAM " 10 + base64 12276 + CRLF */
	char *s = fill_line("AUTH CRAM ", 'Q', "QQ=\r\n", 12288);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.used, 12288);
	ck_assert_uint_eq(o.c.initial_response.n, 12276);
	free(s);
	s = fill_line("AUTH CRAM ", 'Q', "QQ=\r\n", 12292);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_AUTH_LINE_TOO_LONG));
	unsigned code;
	const char *enh;
	postel_command_error_reply(o.c.error, o.c.verb, &code, &enh, NULL);
	ck_assert_uint_eq(code, 500);
	ck_assert_str_eq(enh, "5.5.6");
	free(s);
	/* base64 must come in quads */
	s = fill_line("AUTH PLAIN ", 'Q', "\r\n", 20);
	strict1(&o, s);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_BAD_INITIAL_RESPONSE));
	free(s);
}
END_TEST

static void address(one *o, const char *local, size_t ln, const char *dom,
		    size_t dn)
{
	char *s = malloc(ln + dn + 64);
	size_t n = 0;
	memcpy(s, "RCPT TO:<", 9);
	n = 9;
	memset(s + n, 'l', ln);
	if (local)
		memcpy(s + n, local, strlen(local));
	n += ln;
	s[n++] = '@';
	for (size_t i = 0; i < dn; i++)
		s[n + i] = (i % 10 == 9) ? '.' : 'd';
	if (dom)
		memcpy(s + n, dom, strlen(dom));
	n += dn;
	memcpy(s + n, ">\r\n", 3);
	n += 3;
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.lenient = POSTEL_STRICT;
	cfg.max_path = 1000;
	cfg.max_rcpt_line = 2000;
	parse1(o, &cfg, s, n);
	free(s);
}

START_TEST(address_length_boundaries)
{
	one o;
	address(&o, NULL, 64, "example.org", 11);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.c.local_part.n, 64);
	address(&o, NULL, 65, "example.org", 11);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_LOCAL_PART_TOO_LONG));
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_PATH_TOO_LONG);
	address(&o, NULL, 1, NULL, 255);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.c.domain.n, 255);
	address(&o, NULL, 1, NULL, 256);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_DOMAIN_TOO_LONG));
	/* path 256 with brackets: 1 + 64 + 1 + 189 + 1 */
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.lenient = POSTEL_STRICT;
	char s[512];
	memcpy(s, "RCPT TO:<", 9);
	memset(s + 9, 'l', 64);
	s[73] = '@';
	for (int i = 0; i < 189; i++)
		s[74 + i] = (i % 10 == 9) ? '.' : 'd';
	memcpy(s + 263, ">\r\n", 3);
	parse1(&o, &cfg, s, 266);
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.c.path.n, 256);
	memcpy(s + 263, "d>\r\n", 4);
	parse1(&o, &cfg, s, 267);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_PATH_TOO_LONG));
}
END_TEST

START_TEST(unknown_params_array)
{
	one o;
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.options |= POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS;
	const char *s = "MAIL FROM:<a@b> A=1 B C=3 SIZE=5 D=4 E=5 F\r\n";
	parse1(&o, &cfg, s, strlen(s));
	ck_assert_int_eq(o.st, POSTEL_OK);
	ck_assert_uint_eq(o.c.n_ext, 6);
	ck_assert(span_is(o.c.ext[0].keyword, "A"));
	ck_assert(span_is(o.c.ext[0].value, "1"));
	ck_assert(span_is(o.c.ext[1].keyword, "B"));
	ck_assert(o.c.ext[1].value.p == NULL);
	ck_assert(span_is(o.c.ext[3].keyword, "D"));
	ck_assert(o.c.size == 5);
	/* no array at all: counted, not stored, no crash */
	postel_command_parser p;
	postel_command c;
	size_t k;
	postel_command_parser_init(&p, &cfg);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(postel_command_parse(&p, s, strlen(s), &c, &k),
			 POSTEL_OK);
	ck_assert_uint_eq(c.n_ext, 6);
	/* masked parameters are unknown */
	cfg.params = POSTEL_PARAM_ALL & ~POSTEL_PARAM_SIZE;
	cfg.options = 0;
	parse1(&o, &cfg, s, strlen(s));
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert_int_eq(o.c.error, POSTEL_CMD_E_PARAM_UNKNOWN);
	ck_assert_uint_eq(o.c.n_ext, 7);
	ck_assert(span_is(o.c.ext[3].keyword, "SIZE"));
}
END_TEST

START_TEST(pipelined_and_spans)
{
	const char *in = "EHLO a.example\r\nMAIL FROM:<x@y.z>\r\nRCPT TO:<q@r>\r\n"
			 "DATA\r\n";
	size_t n = strlen(in), pos = 0, k;
	const char *g = guard_copy(in, n);
	postel_command_parser p;
	postel_command c;
	postel_command_parser_init(&p, NULL);
	memset(&c, 0, sizeof c);
	static const postel_verb want[] = {POSTEL_VERB_EHLO, POSTEL_VERB_MAIL,
					   POSTEL_VERB_RCPT, POSTEL_VERB_DATA};
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(postel_command_parse(&p, g + pos, n - pos, &c,
						      &k),
				 POSTEL_OK);
		ck_assert_int_eq(c.verb, want[i]);
		ck_assert(c.line.p == g + pos);
		ck_assert_uint_eq(c.line.n, k);
		ck_assert(c.verb_text.p == g + pos);
		if (i == 1) {
			ck_assert(span_is(c.mailbox, "x@y.z"));
			ck_assert(c.mailbox.p == g + pos + 11);
			ck_assert(span_is(c.domain, "y.z"));
			ck_assert(span_is(c.arg, "<x@y.z>"));
		}
		pos += k;
	}
	ck_assert_uint_eq(pos, n);
	ck_assert_int_eq(postel_command_parse(&p, g + pos, 0, &c, &k),
			 POSTEL_NEED_MORE);
}
END_TEST

START_TEST(reset_forgets_partial_line)
{
	postel_command_parser p;
	postel_command c;
	size_t k;
	postel_command_parser_init(&p, NULL);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(postel_command_parse(&p, "MAIL FROM:<", 11, &c, &k),
			 POSTEL_NEED_MORE);
	postel_command_parser_reset(&p);
	ck_assert_int_eq(postel_command_parse(&p, "QUIT\r\n", 6, &c, &k),
			 POSTEL_OK);
	ck_assert_int_eq(c.verb, POSTEL_VERB_QUIT);
	/* config may change between lines */
	p.config.lenient = POSTEL_STRICT;
	ck_assert_int_eq(postel_command_parse(&p, "EHLO  a.b\r\n", 11, &c, &k),
			 POSTEL_INVALID);
	p.config.lenient = POSTEL_LENIENT;
	ck_assert_int_eq(postel_command_parse(&p, "EHLO  a.b\r\n", 11, &c, &k),
			 POSTEL_OK);
	ck_assert(postel_violation_list_has(&c.violations,
					    POSTEL_V_EXTRA_SPACE));
}
END_TEST

/* Feed s one more octet per call (the bytes stay in place): no fast path
 * sees the whole line. */
static one *bytewise1(one *o, const postel_command_config *cfg,
		      const char *s, size_t n)
{
	memset(o, 0, sizeof *o);
	postel_command_parser_init(&o->p, cfg);
	o->c.ext = o->ext;
	o->c.ext_cap = 4;
	for (size_t k = 1; k <= n; k++) {
		o->st = postel_command_parse(&o->p, s, k, &o->c, &o->used);
		if (o->st != POSTEL_NEED_MORE)
			break;
	}
	return o;
}

/* RFC 5321 §4.1.1: receivers SHOULD tolerate trailing white space. Every
 * verb, strict and lenient, whole and byte by byte: the line with SP/HT
 * before CRLF gives the result of the line without, plus the violation
 * trailing-space. */
START_TEST(trailing_space_every_verb)
{
	static const char *const base[] = {
		"HELO client.example.org", "HELO [192.0.2.1]",
		"EHLO client.example.org", "LHLO [192.0.2.1]",
		"MAIL FROM:<a@example.org>", "MAIL FROM:<> SIZE=10",
		"RCPT TO:<b@example.org> NOTIFY=NEVER", "RCPT TO:<Postmaster>",
		"DATA", "BDAT 10", "BDAT 10 LAST", "RSET",
		"VRFY user@example.org", "VRFY Smith SMTPUTF8", "EXPN list",
		"HELP", "HELP MAIL", "NOOP", "NOOP hello world", "QUIT",
		"STARTTLS", "AUTH PLAIN", "AUTH PLAIN dGVzdA==",
		"AUTH PLAIN =", "ETRN example.org", "ETRN #q",
	};
	static const char *const tails[] = {" ", "\t", " \t  "};
	int seen[POSTEL_VERB_COUNT_] = {0};
	for (int mode = 0; mode < 2; mode++) {
		postel_command_config cfg;
		postel_command_config_default(&cfg);
		cfg.lenient = mode ? POSTEL_LENIENT : POSTEL_STRICT;
		for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
			char line[128], arg[128];
			one a, b;
			size_t n = (size_t)snprintf(line, sizeof line, "%s\r\n",
						    base[i]);
			parse1(&a, &cfg, line, n);
			ck_assert_msg(a.st == POSTEL_OK, "%s", base[i]);
			seen[a.c.verb] = 1;
			/* a's spans point into a guard copy the next parse1()
			 * may reuse */
			ck_assert_uint_lt(a.c.arg.n, sizeof arg);
			memcpy(arg, a.c.arg.p ? a.c.arg.p : "", a.c.arg.n);
			for (size_t t = 0; t < sizeof tails / sizeof tails[0];
			     t++) {
				n = (size_t)snprintf(line, sizeof line,
						     "%s%s\r\n", base[i],
						     tails[t]);
				for (int whole = 0; whole < 2; whole++) {
					if (whole)
						parse1(&b, &cfg, line, n);
					else
						bytewise1(&b, &cfg, line, n);
					ck_assert_msg(b.st == POSTEL_OK, "%s",
						      line);
					ck_assert_uint_eq(b.used, n);
					ck_assert_int_eq(b.c.verb, a.c.verb);
					ck_assert_uint_eq(b.c.flags, a.c.flags);
					ck_assert_uint_eq(b.c.params,
							  a.c.params);
					ck_assert_uint_eq(b.c.arg.n, a.c.arg.n);
					ck_assert_msg(b.c.arg.n == 0 ||
						      memcmp(b.c.arg.p, arg,
							     a.c.arg.n) == 0,
						      "%s", line);
					ck_assert_uint_eq(b.c.violations.n,
							  a.c.violations.n + 1);
					ck_assert(postel_violation_list_has(
						&b.c.violations,
						POSTEL_V_TRAILING_SPACE));
				}
			}
		}
	}
	for (int v = 1; v < POSTEL_VERB_COUNT_; v++)
		ck_assert_msg(seen[v], "%s", postel_verb_name((postel_verb)v));
}
END_TEST

START_TEST(sasl_lines)
{
	postel_command_parser p;
	postel_sasl_response r;
	size_t k;
	postel_command_parser_init(&p, NULL);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "dGVzdA==\r\n", 10, &r,
						   &k),
			 POSTEL_OK);
	ck_assert(span_is(r.data, "dGVzdA=="));
	ck_assert_uint_eq(k, 10);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "*\r\n", 3, &r, &k),
			 POSTEL_OK);
	ck_assert(r.cancel);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "\r\n", 2, &r, &k),
			 POSTEL_OK);
	ck_assert_uint_eq(r.data.n, 0);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "abc\r\n", 5, &r, &k),
			 POSTEL_INVALID);
	ck_assert_int_eq(r.error, POSTEL_CMD_E_ARGUMENT);
	unsigned code;
	const char *enh;
	postel_command_error_reply(r.error, POSTEL_VERB_AUTH, &code, &enh, NULL);
	ck_assert_uint_eq(code, 501);
	ck_assert_str_eq(enh, "5.5.2");
	/* a half line belongs to the entry point that started it */
	ck_assert_int_eq(postel_command_parse_sasl(&p, "dGVz", 4, &r, &k),
			 POSTEL_NEED_MORE);
	postel_command c0;
	memset(&c0, 0, sizeof c0);
	ck_assert_int_eq(postel_command_parse(&p, "dGVz", 4, &c0, &k),
			 POSTEL_E_STATE);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "dGVzdA==\r\n", 10, &r,
						   &k),
			 POSTEL_OK);
	ck_assert_int_eq(postel_command_parse(&p, "NOOP", 4, &c0, &k),
			 POSTEL_NEED_MORE);
	ck_assert_int_eq(postel_command_parse_sasl(&p, "NOOP", 4, &r, &k),
			 POSTEL_E_STATE);
	postel_command_parser_reset(&p);
	/* the command parser resumes after a SASL line */
	postel_command c;
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(postel_command_parse(&p, "NOOP\r\n", 6, &c, &k),
			 POSTEL_OK);
	/* 12288 limit, then discarding */
	size_t n = POSTEL_CMD_MAX_AUTH_LINE;
	char *s = malloc(n + 4);
	memset(s, 'A', n - 2);
	memcpy(s + n - 2, "\r\n", 2);
	ck_assert_int_eq(postel_command_parse_sasl(&p, s, n, &r, &k),
			 POSTEL_INVALID); /* 12286 is not a multiple of 4 */
	memset(s, 'A', n - 6);
	memcpy(s + n - 6, "==\r\n", 4); /* 12284 octets of base64 */
	ck_assert_int_eq(postel_command_parse_sasl(&p, s, n - 2, &r, &k),
			 POSTEL_OK);
	ck_assert_uint_eq(r.data.n, n - 4);
	/* exactly 12288 octets: not too long (but not base64 either) */
	memset(s, 'A', n - 2);
	memcpy(s + n - 2, "\r\n", 2);
	ck_assert_int_eq(postel_command_parse_sasl(&p, s, n, &r, &k),
			 POSTEL_INVALID);
	ck_assert_uint_eq(k, n);
	ck_assert(!postel_violation_list_has(&r.violations,
					     POSTEL_V_AUTH_LINE_TOO_LONG));
	memset(s, 'A', n);
	memcpy(s + n, "==\r\n", 4);
	ck_assert_int_eq(postel_command_parse_sasl(&p, s, n + 4, &r, &k),
			 POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_AUTH_LINE_TOO_LONG));
	ck_assert_uint_eq(k, n + 4);
	free(s);
}
END_TEST

START_TEST(error_replies)
{
	static const struct {
		postel_command_error e;
		postel_verb v;
		unsigned code;
		const char *enh;
	} t[] = {
		{POSTEL_CMD_OK, POSTEL_VERB_NOOP, 250, "2.0.0"},
		{POSTEL_CMD_E_UNKNOWN, POSTEL_VERB_UNKNOWN, 500, "5.5.2"},
		{POSTEL_CMD_E_SYNTAX, POSTEL_VERB_MAIL, 500, "5.5.2"},
		{POSTEL_CMD_E_ARGUMENT, POSTEL_VERB_HELO, 501, "5.5.4"},
		{POSTEL_CMD_E_MAILBOX, POSTEL_VERB_MAIL, 553, "5.1.7"},
		{POSTEL_CMD_E_MAILBOX, POSTEL_VERB_RCPT, 553, "5.1.3"},
		{POSTEL_CMD_E_PATH_TOO_LONG, POSTEL_VERB_RCPT, 501, "5.1.3"},
		{POSTEL_CMD_E_PARAM_UNKNOWN, POSTEL_VERB_MAIL, 555, "5.5.4"},
		{POSTEL_CMD_E_TOO_BIG, POSTEL_VERB_MAIL, 552, "5.3.4"},
		{POSTEL_CMD_E_LINE_TOO_LONG, POSTEL_VERB_MAIL, 500, "5.5.2"},
		{POSTEL_CMD_E_LINE_TOO_LONG, POSTEL_VERB_AUTH, 500, "5.5.6"},
		{POSTEL_CMD_E_UTF8, POSTEL_VERB_RCPT, 553, "5.6.7"},
		{POSTEL_CMD_E_UTF8, POSTEL_VERB_HELO, 500, "5.5.2"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		unsigned code = 0;
		const char *enh = NULL, *text = NULL;
		postel_command_error_reply(t[i].e, t[i].v, &code, &enh, &text);
		ck_assert_uint_eq(code, t[i].code);
		ck_assert_str_eq(enh, t[i].enh);
		ck_assert(text && *text);
	}
	postel_command_error_reply(POSTEL_CMD_E_SYNTAX, POSTEL_VERB_MAIL, NULL,
				   NULL, NULL);
}
END_TEST

START_TEST(ext_fields_untouched)
{
	one o;
	strict1(&o, "RCPT TO:<a@b> X-Y=z\r\n");
	ck_assert(o.c.ext == o.ext);
	ck_assert_uint_eq(o.c.ext_cap, 4);
	ck_assert_int_eq(o.st, POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&o.c.violations,
					    POSTEL_V_UNKNOWN_PARAM));
	ck_assert(span_is(o.ext[0].keyword, "X-Y"));
}
END_TEST

Suite *suite_command(void)
{
	Suite *s = suite_create("command");
	TCase *tc = tcase_create("unit");
	tcase_add_test(tc, verb_names);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, config_defaults_and_clamps);
	tcase_add_test(tc, size_boundaries);
	tcase_add_test(tc, line_length_boundaries);
	tcase_add_test(tc, long_line_is_discarded_streaming);
	tcase_add_test(tc, mail_rcpt_line_limits);
	tcase_add_test(tc, auth_line_limit);
	tcase_add_test(tc, address_length_boundaries);
	tcase_add_test(tc, unknown_params_array);
	tcase_add_test(tc, pipelined_and_spans);
	tcase_add_test(tc, reset_forgets_partial_line);
	tcase_add_test(tc, trailing_space_every_verb);
	tcase_add_test(tc, sasl_lines);
	tcase_add_test(tc, error_replies);
	tcase_add_test(tc, ext_fields_untouched);
	suite_add_tcase(s, tc);

	vectors_setup();
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors"); /* CK_EXCLUDE_TAGS=vectors: unit only */
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, vector, 0, (int)vectors.n);
	tcase_add_test(tv, vectors_cover_everything);
	suite_add_tcase(s, tv);
	return s;
}
