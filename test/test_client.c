/*
 * Client engine (src/client.c): session vectors (test-vectors/client/,
 * format in its README.md) replayed at every split, and unit tests.
 *
 * The harness plays the application: its behaviour comes from the
 * vector's config (which envelope, which content, AUTH, ...). The input
 * is what the server sends; the log is what the client sends ("C:"
 * lines), the events, and the application's answers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "postel/client.h"
#include "support.h"

/* Where the harness runs the TLS handshake in the server's byte stream. */
#define TLS_MARK "\x00TLS\x00"
#define TLS_MARK_N 5

#define MAX_TO 16

typedef struct app {
	postel_client c;
	postel_client_config cfg;
	char helo[64];
	char inbuf[65536];
	char outbuf[65536];
	size_t incap, outcap;
	/* the script */
	char from[300];
	size_t from_n;
	char to[MAX_TO][300];
	size_t to_n[MAX_TO];
	int nto;
	char msg[8192];
	size_t msg_n, step;
	int messages;
	char mech[32];
	int auth_ir, auth_cancel, noop, rset;
	char user[64], pass[64];
	postel_client_mail_opts mail;
	char envid[128], orcpt[300];
	postel_client_rcpt_opts ro;
	int with_ro;
	postel_client_param param;
	char param_kw[64], param_val[128];
	/* progress */
	int sent_msgs, rcpt_i, auth_tried, noop_done, rset_done;
	size_t off;
	/* output line being assembled */
	char line[70000];
	size_t line_n;
} app;

/* ---- config ----------------------------------------------------------- */

static const char *cfg_str(const vec *v, const char *key, char *buf,
			   size_t cap, size_t *n)
{
	char raw[8192];
	if (!vec_config_get(v, key, raw, sizeof raw))
		return NULL;
	long k = vec_unescape(raw, strlen(raw), buf);
	ck_assert_msg(k >= 0 && (size_t)k < cap, "bad %s", key);
	buf[k] = '\0';
	if (n)
		*n = (size_t)k;
	return buf;
}

static unsigned long cfg_num(const vec *v, const char *key, unsigned long d)
{
	char b[64];
	if (!vec_config_get(v, key, b, sizeof b))
		return d;
	return strtoul(b, NULL, 10);
}

static void app_setup(app *a, const vec *v)
{
	char b[8192];
	size_t n;
	memset(&a->cfg, 0, sizeof a->cfg);
	strcpy(a->helo, "client.example");
	if (cfg_str(v, "helo", b, sizeof b, &n) && n < sizeof a->helo)
		memcpy(a->helo, b, n + 1);
	a->cfg.helo = a->helo;
	a->cfg.helo_len = strlen(a->helo);
	a->cfg.lenient = vec_config_has(v, "strict") ? POSTEL_STRICT
						     : POSTEL_LENIENT;
	if (vec_config_has(v, "lmtp"))
		a->cfg.flags |= POSTEL_CLIENT_LMTP;
	if (vec_config_has(v, "no-pipelining"))
		a->cfg.flags |= POSTEL_CLIENT_NO_PIPELINING;
	if (vec_config_has(v, "no-chunking"))
		a->cfg.flags |= POSTEL_CLIENT_NO_CHUNKING;
	if (vec_config_has(v, "helo-only"))
		a->cfg.flags |= POSTEL_CLIENT_HELO_ONLY;
	if (vec_config_get(v, "starttls", b, sizeof b))
		a->cfg.starttls = strcmp(b, "require") == 0
					  ? POSTEL_CLIENT_TLS_REQUIRE
					  : POSTEL_CLIENT_TLS_OPPORTUNISTIC;
	a->cfg.bdat_chunk = cfg_num(v, "chunk", 0);
	a->cfg.max_reply_line = cfg_num(v, "max-line", 0);
	a->cfg.max_reply = cfg_num(v, "max-reply", 0);
	a->cfg.pipeline_max = (uint32_t)cfg_num(v, "pipeline-max", 0);
	a->incap = cfg_num(v, "inbuf", 4096);
	a->outcap = cfg_num(v, "outbuf", 4096);
	ck_assert(a->incap <= sizeof a->inbuf && a->outcap <= sizeof a->outbuf);

	strcpy(a->from, "a@example.org");
	if (cfg_str(v, "from", b, sizeof b, &n))
		memcpy(a->from, b, n + 1);
	a->from_n = vec_config_has(v, "null-sender") ? 0 : strlen(a->from);
	a->nto = 0;
	if (cfg_str(v, "to", b, sizeof b, &n)) {
		char *s = b;
		while (a->nto < MAX_TO) {
			char *comma = strchr(s, ',');
			size_t l = comma ? (size_t)(comma - s) : strlen(s);
			memcpy(a->to[a->nto], s, l);
			a->to_n[a->nto++] = l;
			if (!comma)
				break;
			s = comma + 1;
		}
	} else if (!vec_config_has(v, "no-rcpt")) {
		strcpy(a->to[0], "b@example.net");
		a->to_n[0] = strlen(a->to[0]);
		a->nto = 1;
	}
	if (!cfg_str(v, "msg", a->msg, sizeof a->msg, &a->msg_n)) {
		strcpy(a->msg, "Subject: t\r\n\r\nhi\r\n");
		a->msg_n = strlen(a->msg);
	}
	a->step = cfg_num(v, "step", 0);
	a->messages = (int)cfg_num(v, "messages", 1);
	a->mech[0] = '\0';
	cfg_str(v, "auth", a->mech, sizeof a->mech, NULL);
	a->auth_ir = !vec_config_has(v, "auth-no-ir");
	a->auth_cancel = vec_config_has(v, "auth-cancel");
	a->noop = vec_config_has(v, "noop");
	a->rset = vec_config_has(v, "rset");
	strcpy(a->user, "user");
	strcpy(a->pass, "secret");
	cfg_str(v, "user", a->user, sizeof a->user, NULL);
	cfg_str(v, "pass", a->pass, sizeof a->pass, NULL);

	memset(&a->mail, 0, sizeof a->mail);
	if (vec_config_get(v, "size", b, sizeof b))
		a->mail.size = strcmp(b, "auto") == 0
				       ? a->msg_n
				       : strtoull(b, NULL, 10);
	if (vec_config_get(v, "body", b, sizeof b))
		a->mail.body = strcmp(b, "8bitmime") == 0
				       ? POSTEL_DATA_BODY_8BITMIME
				       : POSTEL_DATA_BODY_BINARYMIME;
	a->mail.smtputf8 = vec_config_has(v, "smtputf8");
	a->mail.requiretls = vec_config_has(v, "requiretls");
	if (vec_config_get(v, "ret", b, sizeof b))
		a->mail.ret = strcmp(b, "full") == 0 ? POSTEL_CLIENT_RET_FULL
						     : POSTEL_CLIENT_RET_HDRS;
	if (cfg_str(v, "envid", a->envid, sizeof a->envid, &n))
		a->mail.envid = (postel_span){a->envid, n};
	if (cfg_str(v, "auth-param", b, sizeof b, &n)) {
		a->mail.auth_set = 1;
		memcpy(a->orcpt, b, n + 1);
		a->mail.auth = (postel_span){a->orcpt, strcmp(b, "<>") ? n : 0};
	}
	memset(&a->ro, 0, sizeof a->ro);
	a->with_ro = 0;
	if (vec_config_get(v, "notify", b, sizeof b)) {
		a->with_ro = 1;
		if (strstr(b, "never"))
			a->ro.notify |= POSTEL_CLIENT_NOTIFY_NEVER;
		if (strstr(b, "success"))
			a->ro.notify |= POSTEL_CLIENT_NOTIFY_SUCCESS;
		if (strstr(b, "failure"))
			a->ro.notify |= POSTEL_CLIENT_NOTIFY_FAILURE;
		if (strstr(b, "delay"))
			a->ro.notify |= POSTEL_CLIENT_NOTIFY_DELAY;
	}
	if (cfg_str(v, "orcpt", a->orcpt, sizeof a->orcpt, &n)) {
		a->with_ro = 1;
		a->ro.orcpt = (postel_span){a->orcpt, n};
	}
	if (cfg_str(v, "param", b, sizeof b, &n)) {
		char *eq = strchr(b, '=');
		size_t kl = eq ? (size_t)(eq - b) : n;
		memcpy(a->param_kw, b, kl);
		a->param.keyword = (postel_span){a->param_kw, kl};
		a->param.value = (postel_span){NULL, 0};
		if (eq) {
			strcpy(a->param_val, eq + 1);
			a->param.value =
				(postel_span){a->param_val, strlen(eq + 1)};
		}
		if (vec_config_has(v, "param-rcpt")) {
			a->with_ro = 1;
			a->ro.params = &a->param;
			a->ro.num_params = 1;
		} else {
			a->mail.params = &a->param;
			a->mail.num_params = 1;
		}
	}
}

static void app_reset(void *ctx)
{
	app *a = ctx;
	ck_assert_int_eq(postel_client_init(&a->c, &a->cfg, a->inbuf,
					    a->incap, a->outbuf, a->outcap),
			 POSTEL_OK);
	a->sent_msgs = a->rcpt_i = a->auth_tried = 0;
	a->noop_done = a->rset_done = 0;
	a->off = 0;
	a->line_n = 0;
}

/* ---- logging ---------------------------------------------------------- */

static void log_out(app *a, const char *p, size_t n, tlog *log)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert(a->line_n < sizeof a->line);
		a->line[a->line_n++] = p[i];
		if (p[i] == '\n') {
			size_t l = a->line_n;
			if (l >= 2 && a->line[l - 2] == '\r')
				l -= 2;
			tlog_printf(log, "C: ");
			tlog_escaped(log, a->line, l);
			tlog_printf(log, "\n");
			a->line_n = 0;
		}
	}
}

static const char *st_name(postel_status st)
{
	return postel_status_name(st);
}

static void log_answer(app *a, tlog *log, postel_status st)
{
	if (st == POSTEL_INVALID)
		tlog_printf(log, " -> invalid %s\n",
			    postel_client_refusal_name(
				    postel_client_refused(&a->c)));
	else
		tlog_printf(log, " -> %s\n", st_name(st));
}

static void log_event(app *a, const postel_client_event *ev, tlog *log)
{
	(void)a;
	switch (ev->type) {
	case POSTEL_CLIENT_REPLY: {
		const postel_reply *r = ev->reply;
		tlog_printf(log, "reply %s %u", postel_client_cmd_name(ev->cmd),
			    r->code);
		if (ev->cmd == POSTEL_CLIENT_CMD_RCPT ||
		    ((ev->cmd == POSTEL_CLIENT_CMD_DOT ||
		      ev->cmd == POSTEL_CLIENT_CMD_BDAT_LAST) &&
		     (a->cfg.flags & POSTEL_CLIENT_LMTP)))
			tlog_printf(log, " rcpt=%u", ev->rcpt);
		if (r->line_count > 1)
			tlog_printf(log, " lines=%zu", r->line_count);
		tlog_printf(log, " \"");
		if (r->num_lines)
			tlog_escaped(log, r->lines[0].p, r->lines[0].n);
		tlog_printf(log, "\"\n");
		if (ev->ehlo) {
			const postel_ehlo *e = ev->ehlo;
			tlog_printf(log, "caps");
			for (unsigned b = 0; b < 32; b++) {
				const char *nm = postel_ehlo_cap_name(1u << b);
				if (!(e->caps & (1u << b)) || !nm)
					continue;
				tlog_printf(log, " %s", nm);
				if ((1u << b) == POSTEL_EHLO_SIZE && e->size)
					tlog_printf(log, "=%llu",
						    (unsigned long long)e->size);
				if ((1u << b) == POSTEL_EHLO_AUTH)
					for (size_t m = 0; m < e->num_mechs; m++) {
						tlog_printf(log, m ? "," : "=");
						tlog_escaped(log, e->mechs[m].p,
							     e->mechs[m].n);
					}
			}
			if (e->unknown_count)
				tlog_printf(log, " unknown=%zu",
					    e->unknown_count);
			tlog_printf(log, "\n");
		}
		break;
	}
	case POSTEL_CLIENT_VIOLATION:
		tlog_printf(log, "violation %s (%s)",
			    postel_violation_name(ev->violation),
			    postel_client_cmd_name(ev->cmd));
		if (ev->size)
			tlog_printf(log, " octets=%llu",
				    (unsigned long long)ev->size);
		tlog_printf(log, "\n");
		break;
	case POSTEL_CLIENT_REFUSED:
		tlog_printf(log, "refused %s\n",
			    postel_client_refusal_name(ev->refusal));
		break;
	case POSTEL_CLIENT_TRANSACTION_END:
		tlog_printf(log, "end rcpt=%u accepted=%u\n", ev->rcpt,
			    ev->accepted);
		break;
	case POSTEL_CLIENT_AUTH_CHALLENGE:
		tlog_printf(log, "challenge step=%u \"", ev->step);
		tlog_escaped(log, ev->challenge.p, ev->challenge.n);
		tlog_printf(log, "\"\n");
		break;
	default:
		tlog_printf(log, "%s\n", postel_client_event_name(ev->type));
		break;
	}
}

/* ---- the application -------------------------------------------------- */

static void act(app *a, const postel_client_event *ev, tlog *log)
{
	postel_status st;
	switch (ev->type) {
	case POSTEL_CLIENT_READY:
		if (a->mech[0] && !a->auth_tried) {
			char ir[300];
			size_t n = 0;
			const char *irp = NULL;
			a->auth_tried = 1;
			if (strcmp(a->mech, "PLAIN") == 0 && a->auth_ir) {
				n = postel_sasl_plain(ir, sizeof ir, NULL,
						      a->user, a->pass);
				irp = ir;
			}
			st = postel_client_auth(&a->c, a->mech, irp, n);
			tlog_printf(log, "> auth %s", a->mech);
			log_answer(a, log, st);
			if (st == POSTEL_INVALID)
				act(a, ev, log);
			return;
		}
		if (a->rset && !a->rset_done) {
			a->rset_done = 1;
			st = postel_client_rset(&a->c);
			tlog_printf(log, "> rset");
			log_answer(a, log, st);
			return;
		}
		if (a->sent_msgs < a->messages) {
			a->sent_msgs++;
			a->rcpt_i = 0;
			a->off = 0;
			a->mail.from = (postel_span){a->from, a->from_n};
			st = postel_client_mail(&a->c, &a->mail);
			tlog_printf(log, "> mail");
			log_answer(a, log, st);
			if (st == POSTEL_INVALID)
				act(a, ev, log);
			return;
		}
		if (a->noop && !a->noop_done) {
			a->noop_done = 1;
			st = postel_client_noop(&a->c);
			tlog_printf(log, "> noop");
			log_answer(a, log, st);
			return;
		}
		st = postel_client_quit(&a->c);
		tlog_printf(log, "> quit");
		log_answer(a, log, st);
		return;
	case POSTEL_CLIENT_NEED_RCPT:
		while (a->rcpt_i < a->nto) {
			int i = a->rcpt_i;
			st = postel_client_rcpt(&a->c, a->to[i], a->to_n[i],
						a->with_ro ? &a->ro : NULL);
			tlog_printf(log, "> rcpt ");
			tlog_escaped(log, a->to[i], a->to_n[i]);
			log_answer(a, log, st);
			if (st == POSTEL_OUTPUT_FULL)
				return;
			a->rcpt_i++;
			if (st == POSTEL_OK)
				return;
		}
		st = postel_client_data(&a->c);
		tlog_printf(log, "> data");
		log_answer(a, log, st);
		return;
	case POSTEL_CLIENT_NEED_CONTENT: {
		size_t left = a->msg_n - a->off;
		size_t n = a->step && a->step < left ? a->step : left;
		int last = n == left;
		size_t used = 0;
		st = postel_client_body(&a->c, a->msg + a->off, n, last, &used);
		a->off += used;
		tlog_printf(log, "> body %zu%s used=%zu", n, last ? " last" : "",
			    used);
		log_answer(a, log, st);
		return;
	}
	case POSTEL_CLIENT_AUTH_CHALLENGE:
		if (a->auth_cancel) {
			st = postel_client_auth_cancel(&a->c);
			tlog_printf(log, "> cancel");
		} else if (strcmp(a->mech, "PLAIN") == 0) {
			char ir[300];
			size_t n = postel_sasl_plain(ir, sizeof ir, NULL,
						     a->user, a->pass);
			st = postel_client_auth_respond(&a->c, ir, n);
			tlog_printf(log, "> respond plain");
		} else if (strcmp(a->mech, "LOGIN") == 0) {
			postel_span s = postel_sasl_login(ev->step, a->user,
							  a->pass);
			if (s.p) {
				st = postel_client_auth_respond(&a->c, s.p, s.n);
				tlog_printf(log, "> respond login");
			} else {
				st = postel_client_auth_cancel(&a->c);
				tlog_printf(log, "> cancel");
			}
		} else {
			/* other mechanisms: echo the challenge back */
			st = postel_client_auth_respond(&a->c, ev->challenge.p,
							ev->challenge.n);
			tlog_printf(log, "> respond echo");
		}
		log_answer(a, log, st);
		return;
	default:
		return;
	}
}

/* Bytes of p[0..n) the harness may give the engine before the TLS
 * marker (or a prefix of it at the end of the input). */
static size_t before_mark(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = n - i < TLS_MARK_N ? n - i : TLS_MARK_N;
		if (memcmp(p + i, TLS_MARK, k) == 0)
			return i;
	}
	return n;
}

/* One round of the driving loop of client.h, with the input `p`, `n`;
 * returns the bytes consumed. */
static size_t drive(app *a, const char *p, size_t n, tlog *log)
{
	size_t used = 0;
	postel_client_event ev;
	for (int guard = 0; guard < 1000000; guard++) {
		if (postel_client_next(&a->c, &ev)) {
			log_event(a, &ev, log);
			act(a, &ev, log);
			continue;
		}
		unsigned st = postel_client_state(&a->c);
		ck_assert(!(st & POSTEL_DECIDE));
		if (st & POSTEL_WRITE) {
			size_t k;
			const char *o = postel_client_send_buf(&a->c, &k);
			ck_assert(o && k > 0);
			log_out(a, o, k, log);
			ck_assert_int_eq(postel_client_send_ack(&a->c, k),
					 POSTEL_OK);
			continue;
		}
		size_t avail = before_mark(p + used, n - used);
		if (st & POSTEL_TLS) {
			if (n - used >= TLS_MARK_N &&
			    memcmp(p + used, TLS_MARK, TLS_MARK_N) == 0) {
				used += TLS_MARK_N;
				tlog_printf(log, "tls\n");
				ck_assert_int_eq(
					postel_client_tls_started(&a->c),
					POSTEL_OK);
				continue;
			}
		} else if (!(st & (POSTEL_READ | POSTEL_CLOSED))) {
			break;
		}
		if (avail == 0)
			break;
		size_t room;
		char *in = postel_client_recv_buf(&a->c, &room);
		if (room == 0)
			break;
		if (avail > room)
			avail = room;
		memcpy(in, p + used, avail);
		ck_assert_int_eq(postel_client_recv_ack(&a->c, avail), POSTEL_OK);
		used += avail;
	}
	return used;
}

static size_t feed(void *ctx, const char *p, size_t n, tlog *log)
{
	return drive(ctx, p, n, log);
}

static void finish(void *ctx, const char *p, size_t n, tlog *log)
{
	app *a = ctx;
	(void)p;
	(void)n;
	unsigned st = postel_client_state(&a->c);
	if (!(st & POSTEL_CLOSED)) {
		tlog_printf(log, "eof\n");
		postel_client_eof(&a->c);
		drive(a, NULL, 0, log);
	}
	if (a->line_n) {
		tlog_printf(log, "C~ ");
		tlog_escaped(log, a->line, a->line_n);
		tlog_printf(log, "\n");
	}
	st = postel_client_state(&a->c);
	if (st & POSTEL_CLOSED)
		tlog_printf(log, "closed %s \"%s\"\n",
			    st_name(postel_client_last_error(&a->c)),
			    postel_client_last_error_text(&a->c));
	else
		tlog_printf(log, "open state=%u\n", st);
}

static const split_target target = {app_reset, feed, finish};

/* ---- vectors ---------------------------------------------------------- */

static vec_set vecs;

static void load_vectors(void)
{
	if (!vecs.n)
		vec_load(&vecs, "client");
}

START_TEST(vector)
{
	load_vectors();
	const vec *v = &vecs.v[_i];
	static app a;
	app_setup(&a, v);
	tlog whole;
	tlog_init(&whole);
	char why[1024];
	int rc = split_check(&target, &a, v->in, v->in_n, 48, &whole, why,
			     sizeof why);
	ck_assert_msg(rc == 0, "%s:%d %s: %s", v->file, v->line, v->name, why);
	/* POSTEL_VEC_DUMP=FILE: append every log (to review new vectors) */
	const char *dump = getenv("POSTEL_VEC_DUMP");
	FILE *f = dump ? fopen(dump, "a") : NULL;
	if (f) {
		fprintf(f, "=== %s\n%s", v->name, tlog_str(&whole));
		fclose(f);
	}
	ck_assert_msg(strcmp(tlog_str(&whole), v->expect) == 0,
		      "%s:%d %s\n--- got:\n%s--- expected:\n%s", v->file,
		      v->line, v->name, tlog_str(&whole), v->expect);
	tlog_free(&whole);
}
END_TEST

/* ---- unit tests ------------------------------------------------------- */

/* Run a session with `config` (vector syntax) on server bytes `in`;
 * returns the log (static). */
static __attribute__((unused)) const char *run(const char *config, const char *in, size_t n)
{
	static app a;
	static tlog log;
	vec v;
	memset(&v, 0, sizeof v);
	v.config = (char *)config;
	app_setup(&a, &v);
	tlog_init(&log);
	split_run(&target, &a, in, n, NULL, 0, &log);
	return tlog_str(&log);
}

#define RUN(cfg, s) run(cfg, s, sizeof(s) - 1)

static postel_client_config basic_cfg(void)
{
	postel_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.helo = "c.example";
	cfg.helo_len = 9;
	return cfg;
}

START_TEST(init_arguments)
{
	static postel_client c;
	static char in[4096], out[4096];
	postel_client_config cfg = basic_cfg();
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_OK);
	ck_assert_uint_eq(postel_client_state(&c), POSTEL_READ);
	ck_assert_int_eq(postel_client_timeout(&c), POSTEL_TIMEOUT_GREETING);
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, 100, out, sizeof out),
			 POSTEL_E_ARGUMENT);
	ck_assert(postel_client_state(&c) & POSTEL_CLOSED);
	ck_assert_int_eq(postel_client_last_error(&c), POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out, 10),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_client_init(&c, NULL, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	cfg.helo = "bad name";
	cfg.helo_len = 8;
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	cfg.helo_len = 0;
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_client_init(NULL, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(postel_client_refusal_name(POSTEL_CLIENT_REFUSE_SIZE),
			 "size");
	ck_assert_str_eq(postel_client_refusal_rfc(POSTEL_CLIENT_REFUSE_SIZE),
			 "RFC 1870 §6");
	ck_assert_str_eq(postel_client_refusal_name(
				 (postel_client_refusal)99), "unknown");
	ck_assert_str_eq(postel_client_refusal_rfc((postel_client_refusal)99),
			 "");
	ck_assert_str_eq(postel_client_cmd_name(POSTEL_CLIENT_CMD_BDAT_LAST),
			 "bdat-last");
	ck_assert_str_eq(postel_client_cmd_name((postel_client_cmd)99),
			 "unknown");
	ck_assert_str_eq(postel_client_event_name(POSTEL_CLIENT_NEED_RCPT),
			 "need-rcpt");
	ck_assert_str_eq(postel_client_event_name(
				 (postel_client_event_type)99), "unknown");
	for (int r = 1; r < POSTEL_CLIENT_REFUSE_MAX_; r++)
		ck_assert_msg(strncmp(postel_client_refusal_rfc(
					      (postel_client_refusal)r),
				      "RFC ", 4) == 0,
			      "%d", r);
}
END_TEST

START_TEST(sasl_helpers)
{
	char b[64];
	ck_assert_uint_eq(postel_sasl_plain(b, sizeof b, NULL, "u", "p"), 4);
	ck_assert(memcmp(b, "\0u\0p", 4) == 0);
	ck_assert_uint_eq(postel_sasl_plain(b, sizeof b, "z", "u", "pw"), 6);
	ck_assert(memcmp(b, "z\0u\0pw", 6) == 0);
	ck_assert_uint_eq(postel_sasl_plain(b, 5, "z", "u", "pw"), 0);
	ck_assert_uint_eq(postel_sasl_plain(b, sizeof b, NULL, "", "p"), 0);
	ck_assert_uint_eq(postel_sasl_plain(b, sizeof b, NULL, "u", ""), 0);
	postel_span s = postel_sasl_login(0, "u", "p");
	ck_assert(s.n == 1 && s.p[0] == 'u');
	s = postel_sasl_login(1, "u", "p");
	ck_assert(s.n == 1 && s.p[0] == 'p');
	s = postel_sasl_login(2, "u", "p");
	ck_assert(s.p == NULL && s.n == 0);
}
END_TEST

START_TEST(base64_helpers)
{
	static const struct {
		const char *raw, *b64;
	} t[] = {{"", ""},           {"f", "Zg=="},     {"fo", "Zm8="},
		 {"foo", "Zm9v"},    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
		 {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char e[16], d[16];
		size_t n = strlen(t[i].raw);
		ck_assert_uint_eq(postel__b64_len(n), strlen(t[i].b64));
		postel__b64_encode((const unsigned char *)t[i].raw, n, e);
		ck_assert(memcmp(e, t[i].b64, strlen(t[i].b64)) == 0);
		strcpy(d, t[i].b64);
		ck_assert_int_eq(postel__b64_decode(d, strlen(d), d), (long)n);
		ck_assert(memcmp(d, t[i].raw, n) == 0);
	}
	static const char *const bad[] = {"Zg=", "=AAA", "AAA=BBBB", "Zg=a",
					  "Z===", "ab!d", "Zm9v\r\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char d[16];
		ck_assert_int_eq(postel__b64_decode(bad[i], strlen(bad[i]), d),
				 -1);
	}
}
END_TEST

Suite *suite_client(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("unit");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, init_arguments);
	tcase_add_test(tc, names);
	tcase_add_test(tc, sasl_helpers);
	tcase_add_test(tc, base64_helpers);
	suite_add_tcase(s, tc);
	load_vectors();
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, vector, 0, (int)vecs.n);
	suite_add_tcase(s, tv);
	return s;
}
