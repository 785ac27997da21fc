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

/* Check records every passing ck_assert (a write per assertion): the hot
 * loops of the harness use this instead. */
#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);     \
	} while (0)

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
	int auth_ir, auth_cancel, noop, rset, zero_copy;
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
	a->zero_copy = vec_config_has(v, "zero-copy");
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
		REQUIRE(a->line_n < sizeof a->line);
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
		st = a->zero_copy ? postel_client_body_ref(&a->c, a->msg + a->off,
							   n, last, &used)
				  : postel_client_body(&a->c, a->msg + a->off,
						       n, last, &used);
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
	if (!p)
		p = "";
	postel_client_event ev;
	for (int guard = 0; guard < 1000000; guard++) {
		if (postel_client_next(&a->c, &ev)) {
			log_event(a, &ev, log);
			act(a, &ev, log);
			continue;
		}
		unsigned st = postel_client_state(&a->c);
		REQUIRE(!(st & POSTEL_DECIDE));
		if (st & POSTEL_WRITE) {
			size_t k;
			const char *o = postel_client_send_buf(&a->c, &k);
			REQUIRE(o && k > 0);
			log_out(a, o, k, log);
			REQUIRE(postel_client_send_ack(&a->c, k) == POSTEL_OK);
			continue;
		}
		size_t avail = before_mark(p + used, n - used);
		if (st & POSTEL_TLS) {
			if (n - used >= TLS_MARK_N &&
			    memcmp(p + used, TLS_MARK, TLS_MARK_N) == 0) {
				used += TLS_MARK_N;
				tlog_printf(log, "tls\n");
				REQUIRE((postel_client_tls_started(&a->c)) == (POSTEL_OK));
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
		REQUIRE(postel_client_recv_ack(&a->c, avail) == POSTEL_OK);
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
	cfg.helo = "";
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_E_ARGUMENT);
	/* RFC 5321 §4.1.1.1: a Domain or address literal, by the grammar */
	static const char *const bad_names[] = {"my_pc", "host.example.",
						"-host", "[1.2.3]",
						"h\xc3\xa9.example"};
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		cfg.helo = bad_names[i];
		ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in,
						    out, sizeof out),
				 POSTEL_E_ARGUMENT);
	}
	cfg.helo = "[192.0.2.1]";
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_OK);
	/* client.h: a zeroed struct with `helo` set is a valid configuration
	 * (helo_len 0 takes the string's length) */
	memset(&cfg, 0, sizeof cfg);
	cfg.helo = "c.example";
	ck_assert_int_eq(postel_client_init(&c, &cfg, in, sizeof in, out,
					    sizeof out),
			 POSTEL_OK);
	size_t n;
	const char *greet = "220 mx.example.org ESMTP\r\n";
	char *r = postel_client_recv_buf(&c, &n);
	ck_assert_uint_ge(n, strlen(greet));
	memcpy(r, greet, strlen(greet));
	postel_client_recv_ack(&c, strlen(greet));
	postel_client_event ev;
	while (postel_client_next(&c, &ev))
		;
	ck_assert(postel_client_state(&c) & POSTEL_WRITE);
	const char *ehlo = postel_client_send_buf(&c, &n);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(memcmp(ehlo, "EHLO c.example\r\n", n), 0);
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

/* ---- programmatic sessions ------------------------------------------ */

/* A scripted server for the unit tests: the replies to give, in order;
 * the client's output is collected in `out`. */
typedef struct duo {
	postel_client c;
	char in[4096], outb[1024];
	char *out;
	size_t out_n, out_cap;
	size_t max_pending; /* most output bytes the engine held at once */
	const char *caller_p; /* a caller buffer the engine may hand out */
	size_t caller_n, from_caller;
} duo;

static void duo_init(duo *d, const postel_client_config *cfg, size_t outcap)
{
	memset(d, 0, sizeof *d);
	ck_assert_uint_le(outcap, sizeof d->outb);
	ck_assert_int_eq(postel_client_init(&d->c, cfg, d->in, sizeof d->in,
					    d->outb, outcap),
			 POSTEL_OK);
	d->out_cap = 1 << 16;
	d->out = malloc(d->out_cap);
	ck_assert(d->out);
}

static void duo_free(duo *d)
{
	free(d->out);
}

static void duo_flush(duo *d)
{
	size_t n;
	const char *p;
	while ((p = postel_client_send_buf(&d->c, &n)) != NULL) {
		REQUIRE(n > 0);
		uintptr_t u = (uintptr_t)p, c0 = (uintptr_t)d->caller_p;
		if (d->caller_p && u >= c0 && u < c0 + d->caller_n)
			d->from_caller += n;
		else if (n > d->max_pending)
			d->max_pending = n;
		while (d->out_n + n > d->out_cap) {
			d->out_cap *= 2;
			d->out = realloc(d->out, d->out_cap);
			REQUIRE(d->out);
		}
		/* in two pieces: a partial write must resume exactly */
		size_t half = n / 2;
		memcpy(d->out + d->out_n, p, half);
		d->out_n += half;
		REQUIRE(postel_client_send_ack(&d->c, half) == POSTEL_OK);
		p = postel_client_send_buf(&d->c, &n);
		memcpy(d->out + d->out_n, p, n);
		d->out_n += n;
		REQUIRE(postel_client_send_ack(&d->c, n) == POSTEL_OK);
	}
}

static void duo_give(duo *d, const char *s)
{
	size_t room, n = strlen(s);
	char *p = postel_client_recv_buf(&d->c, &room);
	REQUIRE((room) >= (n));
	memcpy(p, s, n);
	REQUIRE(postel_client_recv_ack(&d->c, n) == POSTEL_OK);
}

/* Pull events until a decision of type `want` (other decisions fail the
 * test); replies are given by the caller beforehand. */
static postel_client_event duo_until(duo *d, postel_client_event_type want)
{
	postel_client_event ev;
	for (int i = 0; i < 1000; i++) {
		duo_flush(d);
		if (!postel_client_next(&d->c, &ev))
			continue;
		if (ev.type == want)
			return ev;
		ck_assert_msg(ev.type == POSTEL_CLIENT_REPLY ||
				      ev.type == POSTEL_CLIENT_TRANSACTION_END,
			      "unexpected %s", postel_client_event_name(ev.type));
	}
	ck_abort_msg("no %s event", postel_client_event_name(want));
	return ev;
}

static const char *duo_text(duo *d)
{
	duo_flush(d);
	if (d->out_n == d->out_cap)
		d->out = realloc(d->out, ++d->out_cap);
	d->out[d->out_n] = '\0';
	return d->out;
}

/* Greeting and EHLO with `ehlo` (the lines after the first), then READY. */
static void duo_ready(duo *d, const char *ehlo)
{
	duo_give(d, "220 mx.example ESMTP\r\n");
	postel_client_event ev;
	ck_assert(postel_client_next(&d->c, &ev));
	ck_assert_int_eq(ev.cmd, POSTEL_CLIENT_CMD_GREETING);
	duo_flush(d);
	duo_give(d, ehlo);
	duo_until(d, POSTEL_CLIENT_READY);
}

/* Random content with CRLF lines, dots at line starts, long lines. */
static size_t make_content(char *p, size_t n, unsigned seed)
{
	size_t o = 0;
	while (o + 2 < n) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % 200;
		if ((seed >> 4) % 7 == 0)
			len = (seed >> 3) % 1500;
		for (size_t i = 0; i < len && o + 2 < n; i++) {
			seed = seed * 1103515245u + 12345u;
			char ch = (char)(' ' + (seed >> 16) % 95);
			if (i == 0 && (seed >> 10) % 3 == 0)
				ch = '.';
			p[o++] = ch;
		}
		p[o++] = '\r';
		p[o++] = '\n';
	}
	return o;
}

static postel_client_config cfg_with(uint32_t flags)
{
	postel_client_config cfg = basic_cfg();
	cfg.flags = flags;
	cfg.lenient = POSTEL_LENIENT;
	return cfg;
}

/* Stream `content` at NEED_CONTENT in pieces of `step` octets. */
static void stream(duo *d, const char *content, size_t n, size_t step)
{
	size_t off = 0;
	int done = 0;
	while (!done) {
		duo_until(d, POSTEL_CLIENT_NEED_CONTENT);
		for (;;) {
			size_t k = n - off < step ? n - off : step;
			int last = off + k == n;
			size_t used = 99;
			postel_status st = postel_client_body(
				&d->c, content + off, k, last, &used);
			REQUIRE((used) <= (k));
			off += used;
			if (st == POSTEL_OK && last) {
				done = 1;
				break;
			}
			if (st == POSTEL_OUTPUT_FULL)
				break;
			REQUIRE((st) == (POSTEL_OK));
		}
	}
}

/* DATA: what goes out decodes to the content (dot-stuffing round trip),
 * through a 1 KiB output buffer and any piece size. */
START_TEST(data_roundtrip)
{
	static duo d;
	static char content[300000];
	static const size_t steps[] = {1, 7, 100, 1000, 4096, 300000};
	size_t n = make_content(content, sizeof content, (unsigned)_i + 1);
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, "250 mx.example\r\n");
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	m.from = postel__span("a@b.example", 11);
	REQUIRE(postel_client_mail(&d.c, &m) == POSTEL_OK);
	duo_flush(&d);
	duo_give(&d, "250 ok\r\n");
	duo_until(&d, POSTEL_CLIENT_NEED_RCPT);
	REQUIRE(postel_client_rcpt(&d.c, "c@d.example", 11, NULL) == POSTEL_OK);
	duo_flush(&d);
	duo_give(&d, "250 ok\r\n");
	duo_until(&d, POSTEL_CLIENT_NEED_RCPT);
	REQUIRE((postel_client_data(&d.c)) == (POSTEL_OK));
	duo_flush(&d);
	duo_give(&d, "354 go\r\n");
	size_t start = d.out_n;
	REQUIRE((postel_client_timeout(&d.c)) == (POSTEL_TIMEOUT_DATA_INIT));
	stream(&d, content, n, steps[_i % 6]);
	REQUIRE((postel_client_timeout(&d.c)) == (POSTEL_TIMEOUT_DATA_BLOCK));
	duo_flush(&d);
	REQUIRE((postel_client_timeout(&d.c)) == (POSTEL_TIMEOUT_DATA_TERM));
	REQUIRE((d.max_pending) <= (1024));

	postel_data_decoder dec;
	postel_data_config dc;
	memset(&dc, 0, sizeof dc);
	dc.lenient = POSTEL_LENIENT_DATA_LONG_LINES; /* 1500-octet lines */
	REQUIRE(postel_data_decoder_init(&dec, &dc) == POSTEL_OK);
	char *back = malloc(n + 1);
	size_t got = 0, pos = start;
	int ended = 0;
	while (!ended) {
		postel_data_event ev;
		size_t used = 0;
		postel_status st = postel_data_decode(&dec, d.out + pos,
						      d.out_n - pos, &ev, &used);
		pos += used;
		REQUIRE(st == POSTEL_OK || st == POSTEL_NEED_MORE);
		REQUIRE(st == POSTEL_OK || used > 0);
		if (ev.type == POSTEL_DATA_CONTENT) {
			REQUIRE((got + ev.content.n) <= (n));
			memcpy(back + got, ev.content.p, ev.content.n);
			got += ev.content.n;
		}
		if (ev.type == POSTEL_DATA_END) {
			ended = 1;
			REQUIRE((ev.result->verdict) == (POSTEL_DATA_ACCEPT));
		}
	}
	REQUIRE((pos) == (d.out_n)); /* nothing after the final dot */
	REQUIRE((got) == (n));
	REQUIRE(memcmp(back, content, n) == 0);
	free(back);
	duo_give(&d, "250 queued\r\n");
	postel_client_event ev = duo_until(&d, POSTEL_CLIENT_READY);
	(void)ev;
	duo_free(&d);
}
END_TEST

/* BDAT: the chunks carry the content unaltered, each header announces
 * exactly what follows, the last one says LAST; pipelined or not. */
START_TEST(bdat_roundtrip)
{
	static duo d;
	static char content[200000];
	static const size_t steps[] = {1, 999, 100000, 5000};
	int pipelined = _i & 1;
	int zero_copy = _i >= 12; /* postel_client_body_ref() */
	size_t n = make_content(content, sizeof content, (unsigned)_i + 7);
	postel_client_config cfg = cfg_with(0);
	cfg.bdat_chunk = (_i & 2) ? 300 : 0;
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, pipelined ? "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
				: "250-mx\r\n250 CHUNKING\r\n");
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	REQUIRE(postel_client_mail(&d.c, &m) == POSTEL_OK);
	if (!pipelined) {
		duo_flush(&d);
		duo_give(&d, "250 ok\r\n");
	}
	duo_until(&d, POSTEL_CLIENT_NEED_RCPT);
	REQUIRE(postel_client_rcpt(&d.c, "c@d.example", 11, NULL) == POSTEL_OK);
	if (!pipelined) {
		duo_flush(&d);
		duo_give(&d, "250 ok\r\n");
	}
	duo_until(&d, POSTEL_CLIENT_NEED_RCPT);
	REQUIRE((postel_client_data(&d.c)) == (POSTEL_OK));
	d.caller_p = content;
	d.caller_n = n;
	size_t start = d.out_n, chunks = 0;
	/* stream, answering each chunk when not pipelined */
	size_t off = 0, step = steps[(_i / 4) % 4];
	int done = 0;
	postel_client_event ev;
	while (!done) {
		duo_flush(&d);
		if (!postel_client_next(&d.c, &ev)) {
			/* a chunk waits for its reply, or the pipeline is
			 * full: answer the oldest command */
			REQUIRE(postel_client_state(&d.c) & POSTEL_READ);
			duo_give(&d, "250 ok\r\n");
			chunks++;
			continue;
		}
		if (ev.type != POSTEL_CLIENT_NEED_CONTENT)
			continue;
		size_t k = n - off < step ? n - off : step, used = 0;
		postel_status st =
			zero_copy ? postel_client_body_ref(&d.c, content + off,
							   k, off + k == n,
							   &used)
				  : postel_client_body(&d.c, content + off, k,
						       off + k == n, &used);
		off += used;
		done = st == POSTEL_OK && off == n;
	}
	duo_flush(&d);
	REQUIRE((d.max_pending) <= (1024));
	/* parse the chunks */
	size_t pos = start, got = 0;
	int last = 0;
	char *back = malloc(n + 1);
	while (pos < d.out_n) {
		REQUIRE(!last);
		REQUIRE(memcmp(d.out + pos, "BDAT ", 5) == 0);
		char *e;
		unsigned long long sz = strtoull(d.out + pos + 5, &e, 10);
		if (strncmp(e, " LAST", 5) == 0) {
			last = 1;
			e += 5;
		}
		REQUIRE(e[0] == '\r' && e[1] == '\n');
		pos = (size_t)(e + 2 - d.out);
		if (cfg.bdat_chunk)
			REQUIRE((sz) <= (cfg.bdat_chunk));
		REQUIRE((pos + sz) <= (d.out_n));
		memcpy(back + got, d.out + pos, sz);
		got += sz;
		pos += sz;
	}
	REQUIRE(last);
	REQUIRE((got) == (n));
	REQUIRE(memcmp(back, content, n) == 0);
	free(back);
	duo_free(&d);
}
END_TEST

START_TEST(timeouts_per_phase)
{
	static duo d;
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_GREETING);
	duo_give(&d, "220 hi\r\n");
	postel_client_event ev;
	ck_assert(postel_client_next(&d.c, &ev));
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_COMMAND);
	duo_flush(&d);
	duo_give(&d, "250 mx\r\n");
	duo_until(&d, POSTEL_CLIENT_READY);
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_NONE);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_DECIDE);
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	ck_assert_int_eq(postel_client_mail(&d.c, &m), POSTEL_OK);
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_MAIL);
	ck_assert_uint_eq(postel_client_state(&d.c),
			  POSTEL_WRITE | POSTEL_READ);
	duo_flush(&d);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_DECIDE);
	ck_assert(!postel_client_next(&d.c, &ev)); /* no bytes yet */
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_READ);
	duo_give(&d, "250 ok\r\n");
	duo_until(&d, POSTEL_CLIENT_NEED_RCPT);
	ck_assert_int_eq(postel_client_rcpt(&d.c, "x@y", 3, NULL), POSTEL_OK);
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_RCPT);
	ck_assert_int_eq(postel_client_timed_out(&d.c), POSTEL_OK);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_CLOSED);
	ck_assert_int_eq(postel_client_last_error(&d.c), POSTEL_E_CLOSED);
	ck_assert(strstr(postel_client_last_error_text(&d.c), "timeout"));
	ck_assert_int_eq(postel_client_timeout(&d.c), POSTEL_TIMEOUT_NONE);
	duo_free(&d);
}
END_TEST

/* API misuse is sticky (BearSSL style); bad byte counts are refused. */
START_TEST(misuse)
{
	static duo d;
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	size_t room;
	postel_client_recv_buf(&d.c, &room);
	ck_assert_int_eq(postel_client_recv_ack(&d.c, room + 1),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_client_send_ack(&d.c, 1), POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_client_tls_started(&d.c), POSTEL_E_STATE);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_READ);
	size_t used = 7;
	ck_assert_int_eq(postel_client_body(&d.c, "x", 1, 1, &used),
			 POSTEL_E_STATE);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_CLOSED);
	ck_assert_int_eq(postel_client_last_error(&d.c), POSTEL_E_STATE);
	ck_assert_int_eq(postel_client_quit(&d.c), POSTEL_E_STATE);
	ck_assert_int_eq(postel_client_data(&d.c), POSTEL_E_STATE);
	ck_assert_int_eq(postel_client_rcpt(&d.c, "a@b", 3, NULL),
			 POSTEL_E_STATE);
	ck_assert_int_eq(postel_client_auth_respond(&d.c, "", 0),
			 POSTEL_E_STATE);
	/* reset starts over */
	postel_client_reset(&d.c);
	ck_assert_int_eq(postel_client_last_error(&d.c), POSTEL_OK);
	duo_ready(&d, "250 mx\r\n");
	ck_assert_int_eq(postel_client_quit(&d.c), POSTEL_OK);
	duo_flush(&d);
	duo_give(&d, "221 bye\r\n");
	postel_client_event ev;
	ck_assert(postel_client_next(&d.c, &ev));
	ck_assert_int_eq(ev.cmd, POSTEL_CLIENT_CMD_QUIT);
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_CLOSED);
	ck_assert_int_eq(postel_client_last_error(&d.c), POSTEL_OK);
	duo_free(&d);
}
END_TEST

/* Pipelined recipients through a small output buffer: OUTPUT_FULL, then
 * NEED_RCPT again once the buffer drained; every RCPT goes out once. */
START_TEST(pipelined_output_full)
{
	static duo d;
	char addr[300];
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, "250-mx\r\n250 PIPELINING\r\n");
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	REQUIRE(postel_client_mail(&d.c, &m) == POSTEL_OK);
	int given = 0, full = 0;
	postel_client_event ev;
	while (given < 60) {
		if (!postel_client_next(&d.c, &ev)) {
			duo_flush(&d);
			continue;
		}
		REQUIRE((ev.type) == (POSTEL_CLIENT_NEED_RCPT));
		REQUIRE((ev.rcpt) == ((unsigned)given));
		memset(addr, 'x', 200);
		snprintf(addr + 200, sizeof addr - 200, "%d@example.net", given);
		postel_status st = postel_client_rcpt(&d.c, addr, strlen(addr),
						      NULL);
		if (st == POSTEL_OUTPUT_FULL) {
			full++;
			/* not delivered again before the buffer drains */
			REQUIRE(!postel_client_next(&d.c, &ev));
			REQUIRE(!(postel_client_state(&d.c) & POSTEL_DECIDE));
			REQUIRE(postel_client_state(&d.c) & POSTEL_WRITE);
			continue;
		}
		REQUIRE((st) == (POSTEL_OK));
		given++;
	}
	REQUIRE((full) > (5));
	const char *t = duo_text(&d);
	int count = 0;
	for (const char *p = t; (p = strstr(p, "RCPT TO:<")) != NULL; p++)
		count++;
	REQUIRE((count) == (60));
	REQUIRE((d.max_pending) <= (1024));
	duo_free(&d);
}
END_TEST

/* Lines the engine refuses to build. */
START_TEST(line_limits)
{
	static duo d;
	static char big[20000];
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, "250-mx\r\n250-AUTH X\r\n250 MT-PRIORITY\r\n");
	/* an initial response too long for the line is left out (§4) */
	memset(big, 'a', sizeof big);
	ck_assert_int_eq(postel_client_auth(&d.c, "X", big, 800), POSTEL_OK);
	ck_assert_str_eq(duo_text(&d), "EHLO c.example\r\nAUTH X\r\n");
	duo_give(&d, "334 \r\n");
	postel_client_event ev = duo_until(&d, POSTEL_CLIENT_AUTH_CHALLENGE);
	ck_assert_uint_eq(ev.challenge.n, 0);
	/* a response over the output buffer */
	ck_assert_int_eq(postel_client_auth_respond(&d.c, big, 800),
			 POSTEL_INVALID);
	ck_assert_int_eq(postel_client_refused(&d.c),
			 POSTEL_CLIENT_REFUSE_LINE_TOO_LONG);
	ck_assert_int_eq(postel_client_auth_respond(&d.c, big, 700),
			 POSTEL_OK);
	duo_give(&d, "235 ok\r\n");
	duo_until(&d, POSTEL_CLIENT_READY);
	/* AUTH once per session */
	ck_assert_int_eq(postel_client_auth(&d.c, "X", NULL, 0),
			 POSTEL_INVALID);
	ck_assert_int_eq(postel_client_refused(&d.c), POSTEL_CLIENT_REFUSE_AUTH);
	ck_assert_int_eq(postel_client_auth(&d.c, "x y", NULL, 0),
			 POSTEL_INVALID);
	/* MAIL with a path over 256 octets, or a huge parameter */
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	m.from = postel__span(big, 255);
	ck_assert_int_eq(postel_client_mail(&d.c, &m), POSTEL_INVALID);
	ck_assert_int_eq(postel_client_refused(&d.c),
			 POSTEL_CLIENT_REFUSE_ADDRESS);
	postel_client_param p;
	p.keyword = postel__span("X-BIG", 5);
	p.value = postel__span(big, 1300);
	m.from = postel__span("a@example.org", 13);
	m.params = &p;
	m.num_params = 1;
	ck_assert_int_eq(postel_client_mail(&d.c, &m), POSTEL_INVALID);
	ck_assert_int_eq(postel_client_refused(&d.c),
			 POSTEL_CLIENT_REFUSE_LINE_TOO_LONG);
	p.keyword = postel__span("MT-PRIORITY", 11);
	p.value = postel__span("3", 1);
	m.envid = postel__span(big, 101);
	ck_assert_int_eq(postel_client_mail(&d.c, &m), POSTEL_INVALID);
	m.envid = postel__span(NULL, 0);
	ck_assert_int_eq(postel_client_mail(&d.c, &m), POSTEL_OK);
	ck_assert(strstr(duo_text(&d), " MT-PRIORITY=3\r\n"));
	duo_free(&d);
}
END_TEST

/* LMTP: at most POSTEL_CLIENT_LMTP_RCPT_MAX recipients, each final reply
 * matched to its accepted recipient. */
START_TEST(lmtp_many_recipients)
{
	static duo d;
	postel_client_config cfg = cfg_with(POSTEL_CLIENT_LMTP);
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, "250-lmtp\r\n250 PIPELINING\r\n");
	postel_client_mail_opts m;
	memset(&m, 0, sizeof m);
	REQUIRE(postel_client_mail(&d.c, &m) == POSTEL_OK);
	postel_client_event ev;
	int given = 0;
	for (;;) {
		if (!postel_client_next(&d.c, &ev)) {
			/* the pipeline is full: answer the oldest command */
			duo_flush(&d);
			if (postel_client_state(&d.c) & POSTEL_DECIDE)
				continue; /* drained: asked again */
			ck_assert_msg(postel_client_state(&d.c) & POSTEL_READ,
				      "state %u given %d",
				      postel_client_state(&d.c), given);
			duo_give(&d, "250 ok\r\n");
			continue;
		}
		if (ev.type == POSTEL_CLIENT_REPLY)
			continue;
		REQUIRE((ev.type) == (POSTEL_CLIENT_NEED_RCPT));
		char a[32];
		snprintf(a, sizeof a, "r%d@x", given);
		postel_status st = postel_client_rcpt(&d.c, a, strlen(a), NULL);
		if (st == POSTEL_INVALID) {
			REQUIRE((postel_client_refused(&d.c)) == (POSTEL_CLIENT_REFUSE_RCPTMAX));
			break;
		}
		if (st == POSTEL_OK)
			given++;
	}
	REQUIRE((given) == (POSTEL_CLIENT_LMTP_RCPT_MAX));
	duo_free(&d);
}
END_TEST

START_TEST(eof_while_idle)
{
	static duo d;
	postel_client_config cfg = cfg_with(0);
	duo_init(&d, &cfg, 1024);
	duo_ready(&d, "250 mx\r\n");
	ck_assert_int_eq(postel_client_eof(&d.c), POSTEL_OK);
	postel_client_event ev;
	ck_assert(postel_client_next(&d.c, &ev));
	ck_assert_int_eq(ev.type, POSTEL_CLIENT_VIOLATION);
	ck_assert_int_eq(ev.violation, POSTEL_V_CONNECTION_LOST);
	ck_assert(!postel_client_next(&d.c, &ev));
	ck_assert_uint_eq(postel_client_state(&d.c), POSTEL_CLOSED);
	ck_assert_int_eq(postel_client_last_error(&d.c), POSTEL_E_CLOSED);
	duo_free(&d);
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
	tcase_add_loop_test(tc, data_roundtrip, 0, 12);
	tcase_add_loop_test(tc, bdat_roundtrip, 0, 24);
	tcase_add_test(tc, timeouts_per_phase);
	tcase_add_test(tc, misuse);
	tcase_add_test(tc, pipelined_output_full);
	tcase_add_test(tc, line_limits);
	tcase_add_test(tc, lmtp_many_recipients);
	tcase_add_test(tc, eof_while_idle);
	suite_add_tcase(s, tc);
	load_vectors();
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, vector, 0, (int)vecs.n);
	suite_add_tcase(s, tv);
	return s;
}
