/*
 * The server engine (src/server.c): session vectors replayed at every
 * split, and unit tests of the engine contract (state, batching,
 * asynchronous decisions, limits, no allocation).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/data.h"
#include "postel/postel.h"
#include "support.h"

/* ---------------------------------------------------------------------- */
/* Allocation counting: the test binary is linked with --wrap for these   */
/* (test/meson.build), so every call from libpostel lands here.           */
/* ---------------------------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t k);
void *__wrap_realloc(void *p, size_t n);

static int alloc_counting;
static unsigned long alloc_count;

void *__wrap_malloc(size_t n)
{
	if (alloc_counting)
		alloc_count++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t k)
{
	if (alloc_counting)
		alloc_count++;
	return __real_calloc(n, k);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (alloc_counting)
		alloc_count++;
	return __real_realloc(p, n);
}

/* ---------------------------------------------------------------------- */
/* Session driver                                                         */
/* ---------------------------------------------------------------------- */

enum client_mode { CLIENT_POLITE, CLIENT_LINES, CLIENT_EAGER };

typedef struct drv {
	postel_server s;
	postel_server_config cfg;
	size_t incap, outcap;
	unsigned char in[32768];
	unsigned char out[16384];
	int client;
	int closed_logged;
	int eof_at_end;
	/* decisions */
	unsigned reject_connect;
	int reject_helo, reject_data, reject_chunk, reject_starttls;
	long reject_message; /* -1 none, -2 all, else LMTP index */
	char reject_mail[64], reject_rcpt[64];
	unsigned unknown_code, vrfy_code;
	int help_multi;
	char user[64], pass[64], login_user[64], mech[16];
	int login_state;
	/* content of the current message */
	tlog content;
	/* config strings */
	char mechs[128];
	char extra[4][128];
	const char *extra_p[4];
} drv;

static void drain(drv *d, tlog *log)
{
	size_t n;
	const unsigned char *p = postel_server_send_buf(&d->s, &n);
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e + 1 < n && !(p[e] == '\r' && p[e + 1] == '\n'))
			e++;
		if (e + 1 >= n) {
			tlog_printf(log, "S! ");
			tlog_escaped(log, (const char *)p + i, n - i);
			tlog_printf(log, "\n");
			break;
		}
		tlog_printf(log, "S: ");
		tlog_escaped(log, (const char *)p + i, e - i);
		tlog_printf(log, "\n");
		i = e + 2;
	}
	if (n)
		ck_assert_int_eq(postel_server_send_ack(&d->s, n), POSTEL_OK);
}

static void log_span(tlog *log, const char *key, postel_span sp)
{
	tlog_printf(log, " %s=", key);
	tlog_escaped(log, sp.p, sp.n);
}

static void log_params(tlog *log, const postel_command *c)
{
	static const char *const bodies[] = {"", "7BIT", "8BITMIME",
					     "BINARYMIME"};
	if (c->params & POSTEL_PARAM_SIZE)
		tlog_printf(log, " size=%llu", (unsigned long long)c->size);
	if (c->params & POSTEL_PARAM_BODY)
		tlog_printf(log, " body=%s", bodies[c->body & 3]);
	if (c->params & POSTEL_PARAM_RET)
		tlog_printf(log, " ret=%s", c->ret == POSTEL_RET_FULL ? "FULL"
									: "HDRS");
	if (c->params & POSTEL_PARAM_ENVID)
		log_span(log, "envid", c->envid);
	if (c->params & POSTEL_PARAM_AUTH)
		log_span(log, "auth", c->auth);
	if (c->params & POSTEL_PARAM_SMTPUTF8)
		tlog_printf(log, " smtputf8");
	if (c->params & POSTEL_PARAM_REQUIRETLS)
		tlog_printf(log, " requiretls");
	if (c->params & POSTEL_PARAM_MT_PRIORITY)
		tlog_printf(log, " mt-priority=%d", c->mt_priority);
	if (c->params & POSTEL_PARAM_BY)
		tlog_printf(log, " by=%ld;%c%s", (long)c->by_time, c->by_mode,
			    c->by_trace ? "T" : "");
	if (c->params & POSTEL_PARAM_MTRK)
		log_span(log, "mtrk", c->mtrk);
	if (c->params & POSTEL_PARAM_NOTIFY)
		tlog_printf(log, " notify=%u", c->notify);
	if (c->params & POSTEL_PARAM_ORCPT) {
		log_span(log, "orcpt", c->orcpt_type);
		tlog_printf(log, ";");
		tlog_escaped(log, c->orcpt_addr.p, c->orcpt_addr.n);
	}
	if (c->params & POSTEL_PARAM_RRVS)
		log_span(log, "rrvs", c->rrvs);
	for (size_t i = 0; i < c->n_ext && i < c->ext_cap; i++) {
		log_span(log, "ext", c->ext[i].keyword);
		if (c->ext[i].value.p) {
			tlog_printf(log, "=");
			tlog_escaped(log, c->ext[i].value.p,
				     c->ext[i].value.n);
		}
	}
}

static void log_violations(tlog *log, const postel_violation_list *v)
{
	for (unsigned i = 0; i < v->n; i++)
		tlog_printf(log, "%s%s", i ? "," : " v=",
			    postel_violation_name((postel_violation)v->id[i]));
}

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static int span_has(postel_span sp, const char *needle)
{
	size_t k = strlen(needle);
	if (!k)
		return 0;
	for (size_t i = 0; i + k <= sp.n; i++)
		if (memcmp(sp.p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Append raw bytes (NUL included) to a log. */
static void raw_append(tlog *l, const char *p, size_t n)
{
	tlog_printf(l, "%*s", (int)n, "");
	memcpy(l->p + l->n - n, p, n);
}

static void answer_ok(postel_status st)
{
	ck_assert_msg(st == POSTEL_OK, "answer: %s", postel_status_name(st));
}

static void decide_auth(drv *d, const postel_server_event *ev)
{
	char want[160];
	size_t wn;
	if (ev->index == 0) {
		size_t n = ev->arg.n < 15 ? ev->arg.n : 15;
		for (size_t i = 0; i < n; i++)
			d->mech[i] = (char)(ev->arg.p[i] & ~0x20);
		d->mech[n] = '\0';
		d->login_state = 0;
	}
	if (strcmp(d->mech, "PLAIN") == 0) {
		if (!ev->has_data) {
			answer_ok(postel_server_auth_challenge(&d->s, NULL, 0));
			return;
		}
		wn = (size_t)snprintf(want, sizeof want, "%c%s%c%s", 0, d->user,
				      0, d->pass);
		if (ev->data.n == wn && memcmp(ev->data.p, want, wn) == 0)
			answer_ok(postel_server_accept(&d->s));
		else
			answer_ok(postel_server_reject(&d->s, 0, NULL, NULL));
		return;
	}
	/* LOGIN: "Username:", "Password:" (draft-murchison-sasl-login) */
	if (ev->index == 0 && !ev->has_data) {
		d->login_state = 1;
		answer_ok(postel_server_auth_challenge(&d->s, "Username:", 9));
	} else if (d->login_state < 2) {
		size_t n = ev->data.n < 63 ? ev->data.n : 63;
		memcpy(d->login_user, ev->data.p, n);
		d->login_user[n] = '\0';
		d->login_state = 2;
		answer_ok(postel_server_auth_challenge(&d->s, "Password:", 9));
	} else {
		int ok = strcmp(d->login_user, d->user) == 0 &&
			 ev->data.n == strlen(d->pass) &&
			 memcmp(ev->data.p, d->pass, ev->data.n) == 0;
		answer_ok(ok ? postel_server_accept(&d->s)
			     : postel_server_reject(&d->s, 0, NULL, NULL));
	}
}

/* Log an event and answer it as the vector's config says. */
static void handle(drv *d, const postel_server_event *ev, tlog *log)
{
	const postel_command *c = ev->cmd;
	switch (ev->type) {
	case POSTEL_SERVER_EV_CONTENT:
		ck_assert_uint_gt(ev->data.n, 0);
		ck_assert_uint_eq(ev->size, d->content.n);
		raw_append(&d->content, ev->data.p, ev->data.n);
		return;
	default:
		break;
	}
	tlog_printf(log, "%s", postel_server_event_name(ev->type));
	switch (ev->type) {
	case POSTEL_SERVER_EV_HELO:
		tlog_printf(log, " %s", ev->esmtp ? "esmtp" : "helo");
		log_span(log, "arg", ev->arg);
		break;
	case POSTEL_SERVER_EV_MAIL:
	case POSTEL_SERVER_EV_RCPT:
		tlog_printf(log, " <");
		tlog_escaped(log, ev->arg.p, ev->arg.n);
		tlog_printf(log, ">");
		if (ev->type == POSTEL_SERVER_EV_RCPT)
			tlog_printf(log, " index=%u", ev->index);
		log_params(log, c);
		break;
	case POSTEL_SERVER_EV_CHUNK:
		tlog_printf(log, " size=%llu", (unsigned long long)ev->size);
		if (ev->code)
			tlog_printf(log, " code=%u", ev->code);
		break;
	case POSTEL_SERVER_EV_MESSAGE:
		tlog_printf(log, " size=%llu index=%u count=%u",
			    (unsigned long long)ev->size, ev->index, ev->count);
		if (ev->verdict)
			tlog_printf(log, " verdict=%s code=%u",
				    postel_data_verdict_name(
					    (postel_data_verdict)ev->verdict),
				    ev->code);
		if (ev->index == 0) {
			if (d->content.n <= 200) {
				tlog_printf(log, " content=\"");
				tlog_escaped(log, d->content.p, d->content.n);
				tlog_printf(log, "\"");
			} else {
				tlog_printf(log, " content=%zu:%08x",
					    d->content.n,
					    fnv1a(d->content.p, d->content.n));
			}
		}
		break;
	case POSTEL_SERVER_EV_AUTH:
		tlog_printf(log, " step=%u", ev->index);
		if (ev->index == 0)
			log_span(log, "mech", ev->arg);
		if (ev->has_data)
			log_span(log, "data", ev->data);
		break;
	case POSTEL_SERVER_EV_VRFY:
	case POSTEL_SERVER_EV_EXPN:
	case POSTEL_SERVER_EV_ETRN:
	case POSTEL_SERVER_EV_HELP:
	case POSTEL_SERVER_EV_UNKNOWN:
		log_span(log, "arg", ev->arg);
		break;
	case POSTEL_SERVER_EV_VIOLATION:
		if (ev->data.n && !c) {
			tlog_printf(log, " data=");
			tlog_escaped(log, ev->data.p, ev->data.n);
		}
		break;
	default:
		break;
	}
	if (c && ev->type == POSTEL_SERVER_EV_VIOLATION) {
		tlog_printf(log, " line=");
		tlog_escaped(log, ev->line.p, ev->line.n);
	}
	log_violations(log, &ev->violations);
	tlog_printf(log, "\n");
	if (ev->type == POSTEL_SERVER_EV_MESSAGE &&
	    ev->index + 1 >= ev->count)
		tlog_reset(&d->content);
	if (ev->type == POSTEL_SERVER_EV_RESET ||
	    (ev->type == POSTEL_SERVER_EV_CHUNK && ev->code))
		tlog_reset(&d->content);
	if (!ev->decide)
		return;
	switch (ev->type) {
	case POSTEL_SERVER_EV_CONNECT:
		if (d->reject_connect)
			answer_ok(postel_server_reject(&d->s, d->reject_connect,
						       NULL, NULL));
		else
			answer_ok(postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_HELO:
		answer_ok(d->reject_helo
				  ? postel_server_reject(&d->s, 0, NULL, NULL)
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_MAIL:
		answer_ok(span_has(ev->arg, d->reject_mail)
				  ? postel_server_reject(&d->s, 0, NULL, NULL)
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_RCPT:
		answer_ok(span_has(ev->arg, d->reject_rcpt)
				  ? postel_server_reject(&d->s, 0, NULL, NULL)
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_DATA:
		answer_ok(d->reject_data
				  ? postel_server_reject(&d->s, 0, NULL, NULL)
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_CHUNK:
		answer_ok(d->reject_chunk
				  ? postel_server_reject(&d->s, 452, "4.3.1",
							 "Error: disk full")
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_MESSAGE:
		if (d->reject_message == -2 ||
		    d->reject_message == (long)ev->index)
			answer_ok(postel_server_reject(&d->s, 0, NULL, NULL));
		else
			answer_ok(postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_AUTH:
		decide_auth(d, ev);
		return;
	case POSTEL_SERVER_EV_STARTTLS:
		answer_ok(d->reject_starttls
				  ? postel_server_reject(&d->s, 0, NULL, NULL)
				  : postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_VRFY:
		if (d->vrfy_code)
			answer_ok(postel_server_reply(&d->s, d->vrfy_code, NULL,
						      "Some User <u@example>"));
		else
			answer_ok(postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_HELP:
		if (d->help_multi)
			answer_ok(postel_server_reply(
				&d->s, 214, NULL,
				"Commands:\n  HELO EHLO MAIL RCPT DATA\nEnd"));
		else
			answer_ok(postel_server_accept(&d->s));
		return;
	case POSTEL_SERVER_EV_UNKNOWN:
		if (d->unknown_code)
			answer_ok(postel_server_reply(&d->s, d->unknown_code,
						      NULL, "Ok: private"));
		else
			answer_ok(postel_server_accept(&d->s));
		return;
	default:
		answer_ok(postel_server_accept(&d->s));
		return;
	}
}

/* Run the engine until it needs input (or closes), logging everything. */
static void pump(drv *d, tlog *log)
{
	postel_server_event ev;
	for (int guard = 0; guard < 1000000; guard++) {
		drain(d, log);
		unsigned st = postel_server_state(&d->s);
		if (st & POSTEL_CLOSED) {
			if (!d->closed_logged) {
				tlog_printf(log, "closed %s\n",
					    postel_status_name(
						    postel_server_last_error(
							    &d->s)));
				d->closed_logged = 1;
			}
			return;
		}
		if (postel_server_next(&d->s, &ev)) {
			/* replies written during next() come before the event
			 * (chronological order, whatever the split) */
			drain(d, log);
			handle(d, &ev, log);
			continue;
		}
		st = postel_server_state(&d->s);
		if (st & POSTEL_TLS) {
			drain(d, log);
			tlog_printf(log, "tls-started\n");
			ck_assert_int_eq(postel_server_tls_started(&d->s),
					 POSTEL_OK);
			continue;
		}
		if (st & POSTEL_WRITE)
			continue;
		if (st & POSTEL_DECIDE)
			continue;
		/* READ (or nothing to do) */
		drain(d, log);
		return;
	}
	ck_abort_msg("engine does not settle");
}

static const struct {
	const char *name;
	uint32_t bit;
} ext_names[] = {
	{"PIPELINING", POSTEL_SERVER_EXT_PIPELINING},
	{"SIZE", POSTEL_SERVER_EXT_SIZE},
	{"8BITMIME", POSTEL_SERVER_EXT_8BITMIME},
	{"BINARYMIME", POSTEL_SERVER_EXT_BINARYMIME},
	{"CHUNKING", POSTEL_SERVER_EXT_CHUNKING},
	{"DSN", POSTEL_SERVER_EXT_DSN},
	{"ENHANCEDSTATUSCODES", POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES},
	{"STARTTLS", POSTEL_SERVER_EXT_STARTTLS},
	{"AUTH", POSTEL_SERVER_EXT_AUTH},
	{"SMTPUTF8", POSTEL_SERVER_EXT_SMTPUTF8},
	{"REQUIRETLS", POSTEL_SERVER_EXT_REQUIRETLS},
	{"LIMITS", POSTEL_SERVER_EXT_LIMITS},
	{"ETRN", POSTEL_SERVER_EXT_ETRN},
	{"MT-PRIORITY", POSTEL_SERVER_EXT_MT_PRIORITY},
	{"DELIVERBY", POSTEL_SERVER_EXT_DELIVERBY},
	{"RRVS", POSTEL_SERVER_EXT_RRVS},
	{"MTRK", POSTEL_SERVER_EXT_MTRK},
	{"EXPN", POSTEL_SERVER_EXT_EXPN},
	{"HELP", POSTEL_SERVER_EXT_HELP},
};

static uint32_t ext_list(const char *list)
{
	uint32_t bits = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int found = 0;
		for (size_t i = 0; i < sizeof ext_names / sizeof *ext_names;
		     i++)
			if (strlen(ext_names[i].name) == n &&
			    memcmp(ext_names[i].name, p, n) == 0) {
				bits |= ext_names[i].bit;
				found = 1;
			}
		if (n == 7 && memcmp(p, "DEFAULT", 7) == 0) {
			bits |= POSTEL_SERVER_EXT_DEFAULT;
			found = 1;
		}
		if (n == 4 && memcmp(p, "NONE", 4) == 0)
			found = 1;
		ck_assert_msg(found, "unknown extension in config: %.*s",
			      (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	return bits;
}

static unsigned long cfg_num(const vec *v, const char *key,
			     unsigned long dflt)
{
	char buf[64];
	if (!vec_config_get(v, key, buf, sizeof buf))
		return dflt;
	return strtoul(buf, NULL, 10);
}

static void cfg_str(const vec *v, const char *key, char *out, size_t cap,
		    const char *dflt)
{
	if (!vec_config_get(v, key, out, cap))
		snprintf(out, cap, "%s", dflt);
}

/* Configure a driver from a vector's config (keys: test-vectors/server/
 * README.md). */
static void drv_setup(drv *d, const vec *v)
{
	char buf[256];
	memset(d, 0, sizeof *d);
	tlog_init(&d->content);
	postel_server_config_default(&d->cfg);
	d->cfg.hostname = "mx.example.org";
	d->cfg.extensions = POSTEL_SERVER_EXT_PIPELINING |
			    POSTEL_SERVER_EXT_8BITMIME |
			    POSTEL_SERVER_EXT_ENHANCEDSTATUSCODES;
	d->cfg.lenient = vec_config_has(v, "lenient") ? POSTEL_LENIENT
						       : POSTEL_STRICT;
	if (vec_config_get(v, "lenient-flags", buf, sizeof buf))
		d->cfg.lenient = (uint32_t)strtoul(buf, NULL, 0);
	if (vec_config_get(v, "ext", buf, sizeof buf))
		d->cfg.extensions = ext_list(buf);
	if (vec_config_get(v, "ext+", buf, sizeof buf))
		d->cfg.extensions |= ext_list(buf);
	if (vec_config_get(v, "ext-", buf, sizeof buf))
		d->cfg.extensions &= ~ext_list(buf);
	if (vec_config_has(v, "lmtp"))
		d->cfg.flags |= POSTEL_SERVER_LMTP;
	if (vec_config_has(v, "tls"))
		d->cfg.flags |= POSTEL_SERVER_TLS;
	if (vec_config_has(v, "auth-tls-only"))
		d->cfg.flags |= POSTEL_SERVER_AUTH_TLS_ONLY;
	if (vec_config_has(v, "auth-required"))
		d->cfg.flags |= POSTEL_SERVER_AUTH_REQUIRED;
	if (vec_config_has(v, "tls-required"))
		d->cfg.flags |= POSTEL_SERVER_TLS_REQUIRED;
	if (vec_config_get(v, "auth", d->mechs, sizeof d->mechs)) {
		for (char *p = d->mechs; *p; p++)
			if (*p == ',')
				*p = ' ';
		d->cfg.auth_mechanisms = d->mechs;
		d->cfg.extensions |= POSTEL_SERVER_EXT_AUTH;
	}
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof key, i ? "extra%d" : "extra", i);
		if (vec_config_get(v, key, d->extra[i], sizeof d->extra[i])) {
			for (char *p = d->extra[i]; *p; p++)
				if (*p == '+')
					*p = ' ';
			d->extra_p[d->cfg.extra_n++] = d->extra[i];
		}
	}
	d->cfg.extra = d->extra_p;
	d->cfg.max_size = cfg_num(v, "max-size", 0);
	d->cfg.max_recipients = (uint32_t)cfg_num(v, "max-rcpt", 100);
	d->cfg.max_transactions = (uint32_t)cfg_num(v, "max-tx", 0);
	d->cfg.max_errors = (uint32_t)cfg_num(v, "max-errors", 20);
	d->cfg.max_line = (uint32_t)cfg_num(v, "max-line", 0);
	d->cfg.max_data_line = (uint32_t)cfg_num(v, "max-data-line", 0);
	d->incap = cfg_num(v, "inbuf", 4096);
	d->outcap = cfg_num(v, "outbuf", 4096);
	ck_assert_uint_le(d->incap, sizeof d->in);
	ck_assert_uint_le(d->outcap, sizeof d->out);
	cfg_str(v, "client", buf, sizeof buf, "polite");
	d->client = strcmp(buf, "lines") == 0   ? CLIENT_LINES
		    : strcmp(buf, "eager") == 0 ? CLIENT_EAGER
						: CLIENT_POLITE;
	d->eof_at_end = vec_config_has(v, "eof");
	d->reject_connect = (unsigned)cfg_num(v, "reject-connect", 0);
	d->reject_helo = vec_config_has(v, "reject-helo");
	d->reject_data = vec_config_has(v, "reject-data");
	d->reject_chunk = vec_config_has(v, "reject-chunk");
	d->reject_starttls = vec_config_has(v, "reject-starttls");
	d->reject_message = -1;
	if (vec_config_get(v, "reject-message", buf, sizeof buf))
		d->reject_message = strcmp(buf, "all") == 0
					    ? -2
					    : strtol(buf, NULL, 10);
	cfg_str(v, "reject-mail", d->reject_mail, sizeof d->reject_mail, "");
	cfg_str(v, "reject-rcpt", d->reject_rcpt, sizeof d->reject_rcpt, "");
	d->unknown_code = (unsigned)cfg_num(v, "unknown", 0);
	d->vrfy_code = (unsigned)cfg_num(v, "vrfy", 0);
	d->help_multi = vec_config_has(v, "help-multi");
	cfg_str(v, "user", d->user, sizeof d->user, "test");
	cfg_str(v, "pass", d->pass, sizeof d->pass, "secret");
}

/* split_target callbacks */
static void drv_reset(void *ctx)
{
	drv *d = ctx;
	tlog_reset(&d->content);
	d->closed_logged = 0;
	d->login_user[0] = '\0';
}

static void drv_start(drv *d, tlog *log)
{
	postel_status st = postel_server_init(&d->s, &d->cfg, d->in, d->incap,
					      d->out, d->outcap);
	ck_assert_msg(st == POSTEL_OK, "init: %s", postel_status_name(st));
	pump(d, log);
}

static size_t drv_feed(void *ctx, const char *p, size_t n, tlog *log)
{
	drv *d = ctx;
	if (log->n == 0)
		drv_start(d, log);
	if (postel_server_state(&d->s) & POSTEL_CLOSED)
		return n; /* the peer's bytes go nowhere */
	size_t k = n;
	if (d->client == CLIENT_LINES ||
	    (d->client == CLIENT_POLITE && !postel_server_pipelining(&d->s))) {
		const char *lf = memchr(p, '\n', n);
		if (lf)
			k = (size_t)(lf - p) + 1;
	}
	size_t room;
	unsigned char *dst = postel_server_recv_buf(&d->s, &room);
	if (k > room)
		k = room;
	if (k == 0) {
		pump(d, log);
		dst = postel_server_recv_buf(&d->s, &room);
		if (room == 0)
			return 0;
		k = room < n ? room : n;
	}
	memcpy(dst, p, k);
	ck_assert_int_eq(postel_server_recv_ack(&d->s, k), POSTEL_OK);
	pump(d, log);
	return k;
}

static void drv_finish(void *ctx, const char *p, size_t n, tlog *log)
{
	drv *d = ctx;
	(void)p;
	if (log->n == 0)
		drv_start(d, log);
	if (n)
		tlog_printf(log, "unconsumed %zu\n", n);
	if (d->eof_at_end && !(postel_server_state(&d->s) & POSTEL_CLOSED)) {
		tlog_printf(log, "eof\n");
		postel_server_eof(&d->s);
		pump(d, log);
	}
}

static const split_target drv_target = {drv_reset, drv_feed, drv_finish};

/* ---------------------------------------------------------------------- */
/* Vectors                                                                */
/* ---------------------------------------------------------------------- */

static vec_set vectors;

static void load_vectors(void)
{
	if (!vectors.v)
		vec_load(&vectors, "server");
}

START_TEST(vector)
{
	load_vectors();
	ck_assert_uint_lt((size_t)_i, vectors.n);
	const vec *v = &vectors.v[_i];
	drv *d = malloc(sizeof *d);
	ck_assert_ptr_nonnull(d);
	drv_setup(d, v);
	tlog whole;
	tlog_init(&whole);
	char why[512] = "";
	if (d->client == CLIENT_EAGER || vec_config_has(v, "whole")) {
		/* timing-dependent: only the whole input (README) */
		split_run(&drv_target, d, v->in, v->in_n, NULL, 0, &whole);
	} else {
		int rc = split_check(&drv_target, d, v->in, v->in_n, 120,
				     &whole, why, sizeof why);
		ck_assert_msg(rc == 0, "%s:%d %s: not split-invariant: %s",
			      v->file, v->line, v->name, why);
	}
	const char *dump = getenv("POSTEL_VECTOR_DUMP");
	if (dump) { /* write what the engine did, to review new vectors */
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dump, v->name);
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(tlog_str(&whole), f);
			fclose(f);
		}
	}
	ck_assert_msg(strcmp(tlog_str(&whole), v->expect) == 0,
		      "%s:%d %s\n--- expected\n%s--- got\n%s", v->file,
		      v->line, v->name, v->expect, tlog_str(&whole));
	tlog_free(&whole);
	tlog_free(&d->content);
	free(d);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Unit tests                                                             */
/* ---------------------------------------------------------------------- */

#define HOST "mx.example.org"

static void cfg_default(postel_server_config *c)
{
	postel_server_config_default(c);
	c->hostname = HOST;
	c->extensions = POSTEL_SERVER_EXT_DEFAULT;
}

typedef struct eng {
	postel_server s;
	unsigned char in[4096], out[4096];
} eng;

static void eng_init(eng *e, const postel_server_config *c)
{
	ck_assert_int_eq(postel_server_init(&e->s, c, e->in, sizeof e->in,
					    e->out, sizeof e->out),
			 POSTEL_OK);
}

static void put(eng *e, const char *str)
{
	size_t room, n = strlen(str);
	unsigned char *p = postel_server_recv_buf(&e->s, &room);
	ck_assert_uint_ge(room, n);
	memcpy(p, str, n);
	ck_assert_int_eq(postel_server_recv_ack(&e->s, n), POSTEL_OK);
}

/* Take all pending output as a string (static buffer). */
static const char *take(eng *e)
{
	static char buf[8192];
	size_t n;
	const unsigned char *p = postel_server_send_buf(&e->s, &n);
	ck_assert_uint_lt(n, sizeof buf);
	if (n) {
		memcpy(buf, p, n);
		postel_server_send_ack(&e->s, n);
	}
	buf[n] = '\0';
	return buf;
}

/* Pull the next event; it must be of type t. */
static void expect_ev(eng *e, postel_server_event *ev,
		      postel_server_event_type t)
{
	ck_assert_int_eq(postel_server_next(&e->s, ev), 1);
	ck_assert_msg(ev->type == t, "event %s, expected %s",
		      postel_server_event_name(ev->type),
		      postel_server_event_name(t));
}

static void greet(eng *e)
{
	postel_server_event ev;
	expect_ev(e, &ev, POSTEL_SERVER_EV_CONNECT);
	ck_assert(ev.decide);
	ck_assert_int_eq(postel_server_accept(&e->s), POSTEL_OK);
	ck_assert_str_eq(take(e), "220 " HOST " ESMTP\r\n");
}

/* Greet, send `line` (an EHLO) and accept it; returns the EHLO reply. */
static const char *ehlo(eng *e, const char *line)
{
	postel_server_event ev;
	greet(e);
	put(e, line);
	expect_ev(e, &ev, POSTEL_SERVER_EV_HELO);
	answer_ok(postel_server_accept(&e->s));
	return take(e);
}

START_TEST(size_limit)
{
	ck_assert_uint_le(sizeof(postel_server), 1024);
	ck_assert_uint_eq(sizeof(postel_server), POSTEL_SERVER_SIZE);
}
END_TEST

START_TEST(init_errors)
{
	postel_server s;
	postel_server_config c;
	unsigned char in[4096], out[4096];
	cfg_default(&c);
	ck_assert_int_eq(postel_server_init(&s, NULL, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	ck_assert_uint_eq(postel_server_state(&s), POSTEL_CLOSED);
	ck_assert_int_eq(postel_server_init(&s, &c, in, 511, out, sizeof out),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out, 1023),
			 POSTEL_E_ARGUMENT);
	c.hostname = NULL;
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	/* RFC 5321 §4.1.1.1: the greeting names a Domain or address
	 * literal, by the grammar (grammar/syntax.rl) */
	static const char *const bad_hosts[] = {"bad host", "mx_1.example",
						"mx.example.", "-mx.example"};
	for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
		c.hostname = bad_hosts[i];
		ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
						    sizeof out),
				 POSTEL_E_ARGUMENT);
	}
	c.hostname = "[192.0.2.1]";
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_OK);
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_AUTH; /* RFC 4954 §3: sasl-mech */
	c.auth_mechanisms = "PLAIN  LOGIN";
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	cfg_default(&c);
	c.extensions = POSTEL_SERVER_EXT_BINARYMIME; /* RFC 3030 §3 */
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_AUTH; /* no mechanisms */
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	cfg_default(&c);
	const char *bad_extra[] = {"X\r\nY", "X  Y", "-X", " X"};
	for (size_t i = 0; i < sizeof bad_extra / sizeof bad_extra[0]; i++) {
		c.extra = bad_extra + i;
		c.extra_n = 1;
		ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
						    sizeof out),
				 POSTEL_E_ARGUMENT);
	}
	/* an EHLO reply that cannot fit the output buffer: E_LIMIT */
	cfg_default(&c);
	static char longkw[4][501];
	static const char *ex[4];
	for (int i = 0; i < 4; i++) {
		memset(longkw[i], 'X', 500);
		longkw[i][0] = (char)('A' + i);
		longkw[i][500] = '\0';
		ex[i] = longkw[i];
	}
	c.extra = ex;
	c.extra_n = 4;
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out, 1500),
			 POSTEL_E_LIMIT);
	ck_assert_uint_eq(postel_server_state(&s), POSTEL_CLOSED);
	ck_assert_int_eq(postel_server_reset(&s), POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_init(&s, &c, in, sizeof in, out,
					    sizeof out),
			 POSTEL_OK);
}
END_TEST

/* The EHLO reply with every keyword and parameter kind; the output room
 * init asks for is exactly its length (RFC 5321 §4.1.1.1). */
START_TEST(ehlo_reply)
{
	static const char *const extra[] = {"XCLIENT NAME ADDR", "XFOO"};
	static const char want[] =
		"250-" HOST " hi\r\n"
		"250-PIPELINING\r\n250-SIZE 10240000\r\n250-ETRN\r\n"
		"250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n"
		"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
		"250-BINARYMIME\r\n250-CHUNKING\r\n250-DSN\r\n"
		"250-SMTPUTF8\r\n250-LIMITS RCPTMAX=100 MAILMAX=7\r\n"
		"250-MT-PRIORITY\r\n250-DELIVERBY\r\n250-RRVS\r\n"
		"250-MTRK\r\n250-EXPN\r\n250-HELP\r\n"
		"250-XCLIENT NAME ADDR\r\n250 XFOO\r\n";
	static char pad[401];
	static const char *extra2[4];
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	c.extensions = 0x7ffffu; /* every extension */
	c.auth_mechanisms = "PLAIN LOGIN";
	c.max_size = 10240000;
	c.max_transactions = 7;
	c.extra = extra;
	c.extra_n = 2;
	eng_init(&e, &c);
	greet(&e);
	put(&e, "EHLO c.example\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	answer_ok(postel_server_reply(&e.s, 250, NULL, "hi"));
	ck_assert_str_eq(take(&e), want);

	/* a reply over the 1024-octet minimum: init wants its length */
	memset(pad, 'P', 400); /* extra lines are at most 500 octets */
	extra2[0] = extra[0];
	extra2[1] = extra[1];
	extra2[2] = pad;
	extra2[3] = pad;
	c.extra = extra2;
	c.extra_n = 4;
	size_t n = sizeof want - 1 - 3 /* " hi" */ + 2 * (4 + 400 + 2);
	/* under TLS, REQUIRETLS replaces STARTTLS: two octets more */
	ck_assert_int_eq(postel_server_init(&e.s, &c, e.in, sizeof e.in, e.out,
					    n + 1),
			 POSTEL_E_LIMIT);
	ck_assert_int_eq(postel_server_init(&e.s, &c, e.in, sizeof e.in, e.out,
					    n + 2),
			 POSTEL_OK);
	ck_assert_uint_eq(strlen(ehlo(&e, "EHLO c.example\r\n")), n);
}
END_TEST

/* Replies of a pipelined group are batched: WRITE only once the engine
 * needs input; then one write carries them all (RFC 2920 §3.2). */
START_TEST(batching)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	greet(&e);
	put(&e, "EHLO c.example\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_DECIDE);
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	postel_server_accept(&e.s);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert(strncmp(take(&e), "250-" HOST "\r\n250-PIPELINING\r\n", 29) ==
		  0);
	put(&e, "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
		"RCPT TO:<e@d.example>\r\nDATA\r\n");
	unsigned st;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(postel_server_next(&e.s, &ev), 1);
		st = postel_server_state(&e.s);
		ck_assert_uint_eq(st & POSTEL_READ, 0);
		postel_server_accept(&e.s);
		st = postel_server_state(&e.s);
		if (i < 3) /* more work queued: no WRITE yet */
			ck_assert_uint_eq(st, POSTEL_DECIDE);
	}
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	st = postel_server_state(&e.s);
	ck_assert(st & POSTEL_WRITE);
	ck_assert_str_eq(take(&e), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
				   "250 2.1.5 Ok\r\n"
				   "354 End data with <CR><LF>.<CR><LF>\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_DECIDE);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_READ);
}
END_TEST

/* RFC 2920 §3.2 (5): the reply to NOOP (and EHLO, DATA, VRFY, ...) is not
 * buffered: processing stops until it is sent. */
START_TEST(flush_points)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	ehlo(&e, "EHLO c\r\n");
	put(&e, "NOOP\r\nNOOP\r\nRSET\r\n");
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_WRITE);
	ck_assert_str_eq(take(&e), "250 2.0.0 Ok\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_DECIDE);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_str_eq(take(&e), "250 2.0.0 Ok\r\n");
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_str_eq(take(&e), "250 2.0.0 Ok\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_READ);
}
END_TEST

/* Decisions are asynchronous: nothing is consumed while one is pending;
 * input taken meanwhile is processed after the answer, in order. */
START_TEST(async_decisions)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	ehlo(&e, "EHLO c\r\n");
	put(&e, "MAIL FROM:<a@b>\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_MAIL);
	/* pending: no event, no READ; more input may still be taken */
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_DECIDE);
	ck_assert_int_eq(postel_server_timeout(&e.s), POSTEL_TIMEOUT_NONE);
	put(&e, "RCPT TO:<x@y>\r\nNOOP\r\n");
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_str_eq(take(&e), "");
	ck_assert_int_eq(postel_server_reject(&e.s, 451, "4.3.0", "Try later"),
			 POSTEL_OK);
	ck_assert_int_eq(postel_server_accept(&e.s), POSTEL_E_STATE);
	/* the rejected MAIL leaves no transaction: RCPT gets 503 */
	expect_ev(&e, &ev, POSTEL_SERVER_EV_VIOLATION);
	ck_assert(postel_violation_list_has(&ev.violations,
					    POSTEL_V_BAD_SEQUENCE));
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_str_eq(take(&e), "451 4.3.0 Try later\r\n"
				   "503 5.5.1 Error: need MAIL command\r\n"
				   "250 2.0.0 Ok\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_DECIDE);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_READ);
	ck_assert_int_eq(postel_server_timeout(&e.s), POSTEL_TIMEOUT_SERVER);
}
END_TEST

/* Bad answers change nothing. */
START_TEST(answer_validation)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	ck_assert_int_eq(postel_server_accept(&e.s), POSTEL_E_STATE);
	expect_ev(&e, &ev, POSTEL_SERVER_EV_CONNECT);
	ck_assert_int_eq(postel_server_reject(&e.s, 550, NULL, NULL),
			 POSTEL_E_ARGUMENT); /* RFC 5321 §3.1: 554 */
	ck_assert_int_eq(postel_server_reply(&e.s, 250, NULL, NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_auth_challenge(&e.s, "x", 1),
			 POSTEL_E_STATE);
	ck_assert_int_eq(postel_server_accept(&e.s), POSTEL_OK);
	take(&e);
	put(&e, "HELO c\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	ck_assert_int_eq(postel_server_reply(&e.s, 251, NULL, NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_accept(&e.s), POSTEL_OK);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0); /* flush */
	ck_assert_str_eq(take(&e), "250 " HOST "\r\n");
	put(&e, "MAIL FROM:<a@b>\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_MAIL);
	ck_assert_int_eq(postel_server_reject(&e.s, 399, NULL, NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_reject(&e.s, 570, NULL, NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_reject(&e.s, 550, "4.1.1", NULL),
			 POSTEL_E_ARGUMENT); /* class mismatch, RFC 3463 */
	ck_assert_int_eq(postel_server_reject(&e.s, 550, "5.1", NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_reject(&e.s, 550, "5.1111.1", NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_reject(&e.s, 550, NULL, "a\r\nb"),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_reject(&e.s, 550, NULL, "a\n"),
			 POSTEL_E_ARGUMENT);
	char longt[600];
	memset(longt, 'x', sizeof longt - 1);
	longt[sizeof longt - 1] = '\0';
	ck_assert_int_eq(postel_server_reject(&e.s, 550, NULL, longt),
			 POSTEL_E_ARGUMENT);
	ck_assert_str_eq(take(&e), "");
	ck_assert_int_eq(postel_server_reject(&e.s, 550, "5.7.1",
					      "Line one\nLine two"),
			 POSTEL_OK);
	ck_assert_str_eq(take(&e), "550-5.7.1 Line one\r\n550 5.7.1 Line two\r\n");
}
END_TEST

/* AUTH data is decoded in place; challenges are base64 (RFC 4954 §4). */
START_TEST(auth_exchange)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_AUTH;
	c.auth_mechanisms = "PLAIN CRAM-MD5";
	eng_init(&e, &c);
	ck_assert_ptr_nonnull(
		strstr(ehlo(&e, "EHLO c\r\n"), "250-AUTH PLAIN CRAM-MD5\r\n"));
	put(&e, "AUTH CRAM-MD5\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_AUTH);
	ck_assert_uint_eq(ev.index, 0);
	ck_assert(!ev.has_data);
	/* every challenge length 0..5 round-trips through base64 */
	const char *ch = "<1896.697170952@postoffice.example.net>";
	ck_assert_int_eq(postel_server_auth_challenge(&e.s, ch, strlen(ch)),
			 POSTEL_OK);
	ck_assert_str_eq(take(&e), "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZX"
				   "hhbXBsZS5uZXQ+\r\n");
	put(&e, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_AUTH);
	ck_assert_uint_eq(ev.index, 1);
	ck_assert(ev.has_data);
	ck_assert_uint_eq(ev.data.n, 36);
	ck_assert_int_eq(memcmp(ev.data.p, "tim b913a602c7eda7a495b4e6e7334d3890",
				36), 0);
	ck_assert_int_eq(postel_server_auth_challenge(&e.s, "", 0), POSTEL_OK);
	ck_assert_str_eq(take(&e), "334 \r\n");
	put(&e, "\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_AUTH);
	ck_assert_uint_eq(ev.index, 2);
	ck_assert_uint_eq(ev.data.n, 0);
	postel_server_accept(&e.s);
	ck_assert_str_eq(take(&e), "235 2.7.0 Authentication successful\r\n");
	ck_assert(postel_server_session(&e.s) & POSTEL_SESSION_AUTH);
	for (size_t n = 0; n <= 5; n++) {
		eng e2;
		eng_init(&e2, &c);
		greet(&e2);
		put(&e2, "EHLO c\r\nAUTH PLAIN\r\n");
		expect_ev(&e2, &ev, POSTEL_SERVER_EV_HELO);
		postel_server_accept(&e2.s);
		postel_server_next(&e2.s, &ev);
		take(&e2);
		expect_ev(&e2, &ev, POSTEL_SERVER_EV_AUTH);
		ck_assert_int_eq(postel_server_auth_challenge(&e2.s, "\x01\xff\x80"
								     "ab",
							      n),
				 POSTEL_OK);
		const char *line = take(&e2);
		ck_assert(strncmp(line, "334 ", 4) == 0);
		/* echo the challenge back: the engine decodes what it sent */
		put(&e2, line + 4);
		expect_ev(&e2, &ev, POSTEL_SERVER_EV_AUTH);
		ck_assert_uint_eq(ev.data.n, n);
		ck_assert_int_eq(memcmp(ev.data.p, "\x01\xff\x80"
						   "ab",
					n),
				 0);
	}
}
END_TEST

/* STARTTLS: bytes after the command are discarded and reported, never
 * processed after the handshake (RFC 3207 §4, CVE-2011-0411); the
 * session is reset (RFC 3207 §4.2). */
START_TEST(starttls_injection)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_STARTTLS | POSTEL_SERVER_EXT_AUTH |
			POSTEL_SERVER_EXT_REQUIRETLS;
	c.flags |= POSTEL_SERVER_AUTH_TLS_ONLY;
	c.auth_mechanisms = "PLAIN";
	eng_init(&e, &c);
	const char *r = ehlo(&e, "EHLO c\r\n");
	ck_assert_ptr_nonnull(strstr(r, "250-STARTTLS\r\n"));
	ck_assert_ptr_null(strstr(r, "AUTH"));
	ck_assert_ptr_null(strstr(r, "REQUIRETLS"));
	put(&e, "STARTTLS\r\nMAIL FROM:<evil@x>\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_STARTTLS);
	put(&e, "RCPT TO:<y@z>\r\n"); /* arrives while deciding */
	postel_server_accept(&e.s);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_WRITE);
	ck_assert_str_eq(take(&e), "220 2.0.0 Ready to start TLS\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_VIOLATION);
	ck_assert(postel_violation_list_has(&ev.violations,
					    POSTEL_V_STARTTLS_INJECTION));
	ck_assert_uint_eq(ev.data.n, 35);
	ck_assert_int_eq(memcmp(ev.data.p, "MAIL FROM:<evil@x>\r\nRCPT TO:<y@z>\r\n",
				35), 0);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_TLS);
	size_t room;
	postel_server_recv_buf(&e.s, &room);
	ck_assert_uint_eq(room, 0);
	ck_assert_int_eq(postel_server_recv_ack(&e.s, 1), POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_server_tls_started(&e.s), POSTEL_OK);
	ck_assert_int_eq(postel_server_tls_started(&e.s), POSTEL_E_STATE);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_READ);
	ck_assert_uint_eq(postel_server_helo(&e.s).n, 0);
	ck_assert_uint_eq(postel_server_session(&e.s), POSTEL_SESSION_TLS);
	/* the injected MAIL was never processed: MAIL before EHLO */
	put(&e, "EHLO c\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	postel_server_accept(&e.s);
	r = take(&e);
	ck_assert_ptr_null(strstr(r, "STARTTLS"));
	ck_assert_ptr_nonnull(strstr(r, "250-AUTH PLAIN\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250-REQUIRETLS\r\n"));
	put(&e, "STARTTLS\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_VIOLATION);
	ck_assert_str_eq(take(&e), "503 5.5.1 Error: TLS already active\r\n");
}
END_TEST

/* Early talkers: input before the greeting (RFC 5321 §4.3.1). */
START_TEST(early_talker)
{
	for (int lenient = 0; lenient < 2; lenient++) {
		eng e;
		postel_server_config c;
		postel_server_event ev;
		cfg_default(&c);
		c.lenient = lenient ? POSTEL_LENIENT : POSTEL_STRICT;
		eng_init(&e, &c);
		put(&e, "EHLO early\r\n"); /* before CONNECT is decided */
		expect_ev(&e, &ev, POSTEL_SERVER_EV_CONNECT);
		postel_server_accept(&e.s);
		/* the greeting goes out first (flush point) */
		ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);
		ck_assert_str_eq(take(&e), "220 " HOST " ESMTP\r\n");
		expect_ev(&e, &ev, POSTEL_SERVER_EV_VIOLATION);
		ck_assert(postel_violation_list_has(&ev.violations,
						    POSTEL_V_EARLY_TALKER));
		ck_assert_uint_eq(ev.data.n, 12);
		if (!lenient) {
			ck_assert_str_eq(take(&e),
					 "554 5.5.0 " HOST
					 " Error: SMTP protocol synchronization\r\n");
			ck_assert_uint_eq(postel_server_state(&e.s),
					  POSTEL_CLOSED);
			ck_assert_int_eq(postel_server_last_error(&e.s),
					 POSTEL_E_PROTOCOL);
		} else {
			expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
		}
	}
	/* bytes that come after the greeting was sent are fine */
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	expect_ev(&e, &ev, POSTEL_SERVER_EV_CONNECT);
	postel_server_accept(&e.s);
	size_t n;
	postel_server_send_buf(&e.s, &n);
	postel_server_send_ack(&e.s, n - 1);
	put(&e, "E"); /* one greeting byte still unsent */
	take(&e);
	put(&e, "HLO c\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_VIOLATION);
}
END_TEST

/* A partially sent reply resumes exactly; the output buffer compacts. */
START_TEST(partial_writes)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	expect_ev(&e, &ev, POSTEL_SERVER_EV_CONNECT);
	postel_server_accept(&e.s);
	char got[256] = "";
	size_t gn = 0, n;
	const unsigned char *p;
	while ((p = postel_server_send_buf(&e.s, &n)) != NULL) {
		ck_assert_int_eq(postel_server_send_ack(&e.s, n + 1),
				 POSTEL_E_ARGUMENT);
		got[gn++] = (char)p[0];
		postel_server_send_ack(&e.s, 1);
	}
	got[gn] = '\0';
	ck_assert_str_eq(got, "220 " HOST " ESMTP\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_READ);
}
END_TEST

START_TEST(eof_timeout_shutdown)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	eng_init(&e, &c);
	greet(&e);
	ck_assert_int_eq(postel_server_timeout(&e.s), POSTEL_TIMEOUT_SERVER);
	postel_server_timed_out(&e.s);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_WRITE);
	ck_assert_str_eq(take(&e), "421 4.4.2 " HOST
				   " Error: timeout exceeded\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_CLOSED);
	ck_assert_int_eq(postel_server_last_error(&e.s), POSTEL_E_LIMIT);
	ck_assert_int_eq(postel_server_recv_ack(&e.s, 1), POSTEL_E_CLOSED);
	ck_assert_int_eq(postel_server_next(&e.s, &ev), 0);

	ck_assert_int_eq(postel_server_reset(&e.s), POSTEL_OK);
	ck_assert_int_eq(postel_server_last_error(&e.s), POSTEL_OK);
	greet(&e);
	put(&e, "HELO c\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	postel_server_shutdown(&e.s); /* drops the pending decision */
	ck_assert_int_eq(postel_server_accept(&e.s), POSTEL_E_STATE);
	ck_assert_str_eq(take(&e), "421 4.3.2 " HOST
				   " Service shutting down\r\n");
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_CLOSED);
	ck_assert_int_eq(postel_server_last_error(&e.s), POSTEL_OK);

	postel_server_reset(&e.s);
	greet(&e);
	postel_server_eof(&e.s);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_CLOSED);
	ck_assert_int_eq(postel_server_last_error(&e.s), POSTEL_E_CLOSED);
	ck_assert_int_eq(postel_server_timeout(&e.s), POSTEL_TIMEOUT_NONE);
}
END_TEST

/* A session driven without any allocation in the engine. */
static void session_no_alloc(const postel_server_config *c, const char *in)
{
	static eng e;
	postel_server_event ev;
	size_t off = 0, len = strlen(in);
	/* no Check assertion inside the counted region: Check allocates */
	alloc_count = 0;
	alloc_counting = 1;
	postel_status init = postel_server_init(&e.s, c, e.in, sizeof e.in,
						e.out, sizeof e.out);
	for (int guard = 0; guard < 100000; guard++) {
		unsigned st = postel_server_state(&e.s);
		if (st & POSTEL_CLOSED)
			break;
		size_t n;
		if (postel_server_send_buf(&e.s, &n))
			postel_server_send_ack(&e.s, n);
		while (postel_server_next(&e.s, &ev)) {
			if (!ev.decide)
				continue;
			if (ev.type == POSTEL_SERVER_EV_AUTH && ev.index == 0)
				postel_server_auth_challenge(&e.s, "x", 1);
			else
				postel_server_accept(&e.s);
		}
		st = postel_server_state(&e.s);
		if (st & POSTEL_TLS) {
			postel_server_tls_started(&e.s);
			continue;
		}
		if ((st & POSTEL_READ) && off < len) {
			unsigned char *p = postel_server_recv_buf(&e.s, &n);
			if (n > 7)
				n = 7; /* small reads: many calls */
			if (n > len - off)
				n = len - off;
			memcpy(p, in + off, n);
			postel_server_recv_ack(&e.s, n);
			off += n;
		} else if ((st & POSTEL_READ) && off == len) {
			postel_server_eof(&e.s);
		}
	}
	alloc_counting = 0;
	ck_assert_int_eq(init, POSTEL_OK);
	ck_assert_uint_eq(postel_server_state(&e.s), POSTEL_CLOSED);
	ck_assert_uint_eq(alloc_count, 0);
}

START_TEST(no_allocation)
{
	/* the wrapper counts (else this test could not fail) */
	void *(*volatile m)(size_t) = malloc;
	alloc_count = 0;
	alloc_counting = 1;
	void *p = m(16);
	alloc_counting = 0;
	free(p);
	ck_assert_uint_eq(alloc_count, 1);

	postel_server_config c;
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_STARTTLS | POSTEL_SERVER_EXT_AUTH;
	c.auth_mechanisms = "PLAIN";
	session_no_alloc(&c, "EHLO c.example\r\nSTARTTLS\r\n");
	session_no_alloc(&c,
			 "EHLO c.example\r\nAUTH PLAIN\r\neA==\r\n"
			 "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME\r\n"
			 "RCPT TO:<c@d.example> NOTIFY=SUCCESS\r\n"
			 "RCPT TO:<e@d.example>\r\nDATA\r\n"
			 "Subject: x\r\n\r\n..dot\r\nbody\n\r\n.\r\n"
			 "MAIL FROM:<>\r\nRCPT TO:<c@d.example>\r\n"
			 "BDAT 5\r\nhelloBDAT 0 LAST\r\nVRFY x\r\n"
			 "EXPN y\r\nHELP\r\nXYZZY\r\nNOOP\r\nRSET\r\n"
			 "QUIT\r\n");
	c.flags |= POSTEL_SERVER_LMTP;
	session_no_alloc(&c, "LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
			     "RCPT TO:<e@d>\r\nDATA\r\nhi\r\n.\r\n");
}
END_TEST

/* Trace information the engine keeps: helo name, protocol bits. */
START_TEST(trace_from_server)
{
	eng e;
	postel_server_config c;
	postel_server_event ev;
	cfg_default(&c);
	c.flags |= POSTEL_SERVER_TLS;
	eng_init(&e, &c);
	greet(&e);
	put(&e, "EHLO client.example\r\nMAIL FROM:<a@b> SMTPUTF8\r\n");
	expect_ev(&e, &ev, POSTEL_SERVER_EV_HELO);
	postel_server_accept(&e.s);
	postel_server_next(&e.s, &ev);
	take(&e);
	expect_ev(&e, &ev, POSTEL_SERVER_EV_MAIL);
	postel_server_accept(&e.s);
	postel_trace t;
	postel_trace_from_server(&t, &e.s);
	ck_assert_uint_eq(t.helo.n, 14);
	ck_assert_int_eq(memcmp(t.helo.p, "client.example", 14), 0);
	ck_assert_str_eq(t.by, HOST);
	ck_assert_str_eq(postel_trace_protocol(t.session), "UTF8SMTPS");
	t.date = "Tue, 2 Jan 2024 10:00:00 +0100";
	char buf[512];
	size_t n;
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_OK);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "Received: from client.example\r\n"
			      "\tby " HOST " with UTF8SMTPS;\r\n"
			      "\tTue, 2 Jan 2024 10:00:00 +0100\r\n");
	ck_assert_uint_eq(postel_server_recipients(&e.s), 0);
}
END_TEST

/* Every command in every state: the first reply code (accept-all
 * application). RFC 5321 §4.1.4 / §4.3.2 sequencing, RFC 3207, RFC 4954,
 * RFC 3030, RFC 2033 §4.1, RFC 5321 §3.1 (refused session). */
static const char *const matrix_cmds[] = {
	"HELO c",      "EHLO c",        "LHLO c",       "MAIL FROM:<a@b>",
	"RCPT TO:<c@d>", "DATA",        "BDAT 1 LAST\r\nx", "RSET",
	"VRFY x",      "EXPN x",        "HELP",         "NOOP",
	"QUIT",        "STARTTLS",      "AUTH PLAIN AHRlc3QAc2VjcmV0",
	"ETRN x",      "XYZZY",
};

static const struct {
	const char *name;
	const char *setup; /* commands run first (accepted) */
	unsigned flags;    /* 1: LMTP, 2: refuse the connection with 554 */
	unsigned code[17]; /* expected first reply, per matrix_cmds */
} matrix[] = {
	{"greeted", "", 0,
	 {250, 250, 500, 503, 503, 503, 503, 250, 252, 252, 214, 250, 221,
	  503, 503, 503, 500}},
	{"helo", "HELO c\r\n", 0,
	 {250, 250, 500, 250, 503, 503, 503, 250, 252, 252, 214, 250, 221,
	  503, 503, 503, 500}},
	{"ehlo", "EHLO c\r\n", 0,
	 {250, 250, 500, 250, 503, 503, 503, 250, 252, 252, 214, 250, 221,
	  220, 235, 250, 500}},
	{"mail", "EHLO c\r\nMAIL FROM:<a@b>\r\n", 0,
	 {250, 250, 500, 503, 250, 503, 503, 250, 252, 252, 214, 250, 221,
	  503, 503, 250, 500}},
	{"rcpt", "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", 0,
	 {250, 250, 500, 503, 250, 354, 250, 250, 252, 252, 214, 250, 221,
	  503, 503, 250, 500}},
	{"bdat-open",
	 "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 1\r\nx", 0,
	 {250, 250, 500, 503, 503, 503, 250, 250, 252, 252, 214, 250, 221,
	  503, 503, 250, 500}},
	{"authenticated", "EHLO c\r\nAUTH PLAIN AHRlc3QAc2VjcmV0\r\n", 0,
	 {250, 250, 500, 250, 503, 503, 503, 250, 252, 252, 214, 250, 221,
	  220, 503, 250, 500}},
	{"refused", "", 2,
	 {503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 221,
	  503, 503, 503, 503}},
	{"lmtp", "LHLO c\r\n", 1,
	 {500, 500, 250, 250, 503, 503, 503, 250, 252, 252, 214, 250, 221,
	  220, 235, 250, 500}},
};

/* Feed `in`, answer every decision with accept, return all output. */
static const char *matrix_run(eng *e, const char *in)
{
	static char out[8192];
	size_t on = 0, off = 0, len = strlen(in);
	postel_server_event ev;
	for (int guard = 0; guard < 10000; guard++) {
		size_t n;
		const unsigned char *p = postel_server_send_buf(&e->s, &n);
		if (n) {
			ck_assert_uint_lt(on + n, sizeof out);
			memcpy(out + on, p, n);
			on += n;
			postel_server_send_ack(&e->s, n);
		}
		if (postel_server_next(&e->s, &ev)) {
			if (ev.decide)
				ck_assert_int_eq(postel_server_accept(&e->s),
						 POSTEL_OK);
			continue;
		}
		unsigned st = postel_server_state(&e->s);
		if (st & POSTEL_TLS) {
			postel_server_tls_started(&e->s);
			continue;
		}
		if (st & (POSTEL_WRITE | POSTEL_DECIDE))
			continue;
		if (!(st & POSTEL_READ) || off == len)
			break;
		/* one line at a time (a client that waits) */
		const char *lf = memchr(in + off, '\n', len - off);
		size_t k = lf ? (size_t)(lf - (in + off)) + 1 : len - off;
		unsigned char *dst = postel_server_recv_buf(&e->s, &n);
		ck_assert_uint_ge(n, k);
		memcpy(dst, in + off, k);
		postel_server_recv_ack(&e->s, k);
		off += k;
	}
	out[on] = '\0';
	return out;
}

START_TEST(command_state_matrix)
{
	postel_server_config c;
	cfg_default(&c);
	c.extensions |= POSTEL_SERVER_EXT_STARTTLS | POSTEL_SERVER_EXT_AUTH |
			POSTEL_SERVER_EXT_ETRN;
	c.auth_mechanisms = "PLAIN";
	const size_t ncmd = sizeof matrix_cmds / sizeof *matrix_cmds;
	for (size_t si = 0; si < sizeof matrix / sizeof *matrix; si++) {
		for (size_t ci = 0; ci < ncmd; ci++) {
			static eng e;
			postel_server_config cc = c;
			if (matrix[si].flags & 1)
				cc.flags |= POSTEL_SERVER_LMTP;
			eng_init(&e, &cc);
			postel_server_event ev;
			expect_ev(&e, &ev, POSTEL_SERVER_EV_CONNECT);
			if (matrix[si].flags & 2)
				postel_server_reject(&e.s, 554, NULL, NULL);
			else
				postel_server_accept(&e.s);
			take(&e);
			matrix_run(&e, matrix[si].setup);
			char cmd[128];
			snprintf(cmd, sizeof cmd, "%s\r\n", matrix_cmds[ci]);
			const char *out = matrix_run(&e, cmd);
			unsigned got = (unsigned)strtoul(out, NULL, 10);
			ck_assert_msg(got == matrix[si].code[ci],
				      "state %s, command %s: got %u, expected "
				      "%u (%s)",
				      matrix[si].name, matrix_cmds[ci], got,
				      matrix[si].code[ci], out);
		}
	}
}
END_TEST

START_TEST(event_names)
{
	ck_assert_str_eq(postel_server_event_name(POSTEL_SERVER_EV_CONNECT),
			 "connect");
	ck_assert_str_eq(postel_server_event_name(POSTEL_SERVER_EV_VIOLATION),
			 "violation");
	ck_assert_str_eq(postel_server_event_name(
				 (postel_server_event_type)99),
			 "unknown-event");
}
END_TEST

Suite *suite_server(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, init_errors);
	tcase_add_test(tc, ehlo_reply);
	tcase_add_test(tc, batching);
	tcase_add_test(tc, flush_points);
	tcase_add_test(tc, async_decisions);
	tcase_add_test(tc, answer_validation);
	tcase_add_test(tc, auth_exchange);
	tcase_add_test(tc, starttls_injection);
	tcase_add_test(tc, early_talker);
	tcase_add_test(tc, partial_writes);
	tcase_add_test(tc, eof_timeout_shutdown);
	tcase_add_test(tc, no_allocation);
	tcase_add_test(tc, trace_from_server);
	tcase_add_test(tc, event_names);
	tcase_add_test(tc, command_state_matrix);
	suite_add_tcase(s, tc);

	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_set_timeout(tv, 600);
	load_vectors();
	tcase_add_loop_test(tv, vector, 0, (int)vectors.n);
	suite_add_tcase(s, tv);
	return s;
}
