/* Reply parser (grammar/reply.rl, src/reply.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test_reply.h"

/* ------------------------------------------------------------------ */
/* vector driver (shared with test_ehlo.c)                             */

static uint32_t flag_by_word(const char *w)
{
	static const struct {
		const char *w;
		uint32_t f;
	} t[] = {
		{"allow-bare-lf", POSTEL_LENIENT_REPLY_BARE_LF},
		{"allow-8bit", POSTEL_LENIENT_REPLY_8BIT},
		{"allow-control", POSTEL_LENIENT_REPLY_CONTROL},
		{"allow-enhanced", POSTEL_LENIENT_REPLY_ENHANCED},
		{"allow-ehlo-syntax", POSTEL_LENIENT_EHLO_SYNTAX},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].w, w) == 0)
			return t[i].f;
	return 0;
}

static size_t cfg_num(const vec *v, const char *key, size_t dflt)
{
	char b[32];
	if (!vec_config_get(v, key, b, sizeof b))
		return dflt;
	return (size_t)strtoull(b, NULL, 10);
}

void rt_config(rt_ctx *c, const vec *v, int ehlo)
{
	const char *p = v->config;
	postel_reply_config_default(&c->cfg);
	if (vec_config_has(v, "strict"))
		c->cfg.lenient = POSTEL_STRICT;
	while (*p) {
		char w[64];
		size_t n = 0;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && n < sizeof w - 1)
			w[n++] = *p++;
		w[n] = '\0';
		c->cfg.lenient |= flag_by_word(w);
	}
	c->cfg.utf8 = vec_config_has(v, "utf8");
	c->cfg.max_line = cfg_num(v, "max-line", 0);
	c->cfg.max_lines = cfg_num(v, "max-lines", 0);
	c->cfg.max_reply = cfg_num(v, "max-reply", 0);
	c->lines_cap = cfg_num(v, "lines-cap", RT_MAX_LINES);
	c->mechs_cap = cfg_num(v, "mechs-cap", 64);
	c->unknown_cap = cfg_num(v, "unknown-cap", 64);
	ck_assert_uint_le(c->lines_cap, RT_MAX_LINES);
	ck_assert_uint_le(c->mechs_cap, 64);
	ck_assert_uint_le(c->unknown_cap, 64);
	c->ehlo = ehlo;
}

static void rt_reset(void *ctx)
{
	rt_ctx *c = ctx;
	ck_assert_int_eq(postel_reply_parser_init(&c->p, &c->cfg), POSTEL_OK);
	c->off = 0;
	c->failed = 0;
}

void rt_log_violations(tlog *log, const postel_violation_list *vl)
{
	for (unsigned i = 0; i < vl->n; i++)
		tlog_printf(log, "violation %s\n",
			    postel_violation_name((postel_violation)vl->id[i]));
	if (vl->lost)
		tlog_printf(log, "violations-lost %u\n", vl->lost);
}

static void log_span(tlog *log, const char *key, postel_span s)
{
	tlog_printf(log, " %s=\"", key);
	tlog_escaped(log, s.p, s.n);
	tlog_printf(log, "\"");
}

/* A span lies inside [b, b+n). */
static void in_buf(postel_span s, const char *b, size_t n)
{
	if (s.n == 0)
		return;
	ck_assert_ptr_nonnull(s.p);
	ck_assert(s.p >= b && s.p + s.n <= b + n);
}

void rt_log_ehlo(tlog *log, postel_status st, const postel_ehlo *e)
{
	tlog_printf(log, "ehlo %s", postel_status_name(st));
	log_span(log, "domain", e->domain);
	log_span(log, "greeting", e->greeting);
	tlog_printf(log, "\n");
	for (unsigned b = 0; b < 32; b++) {
		uint32_t bit = 1u << b;
		if (!(e->caps & bit))
			continue;
		ck_assert_ptr_nonnull(postel_ehlo_cap_name(bit));
		tlog_printf(log, "cap %s", postel_ehlo_cap_name(bit));
		switch (bit) {
		case POSTEL_EHLO_SIZE:
			tlog_printf(log, " size=%llu",
				    (unsigned long long)e->size);
			break;
		case POSTEL_EHLO_AUTH:
			tlog_printf(log, " mechs=%zu", e->mech_count);
			break;
		case POSTEL_EHLO_MT_PRIORITY:
			log_span(log, "policy", e->mt_priority_policy);
			break;
		case POSTEL_EHLO_DELIVERBY:
			tlog_printf(log, " min=%llu",
				    (unsigned long long)e->deliverby_min);
			break;
		case POSTEL_EHLO_FUTURERELEASE:
			tlog_printf(
				log, " interval=%llu",
				(unsigned long long)e->futurerelease_interval);
			log_span(log, "datetime", e->futurerelease_datetime);
			break;
		case POSTEL_EHLO_LIMITS:
			tlog_printf(
				log,
				" rcptmax=%llu mailmax=%llu rcptdomainmax=%llu",
				(unsigned long long)e->limit_rcptmax,
				(unsigned long long)e->limit_mailmax,
				(unsigned long long)e->limit_rcptdomainmax);
			break;
		default:
			break;
		}
		tlog_printf(log, "\n");
	}
	for (size_t i = 0; i < e->num_mechs; i++) {
		tlog_printf(log, "mech \"");
		tlog_escaped(log, e->mechs[i].p, e->mechs[i].n);
		tlog_printf(log, "\"\n");
	}
	if (e->num_mechs < e->mech_count)
		tlog_printf(log, "mechs-stored %zu\n", e->num_mechs);
	for (size_t i = 0; i < e->num_unknown; i++) {
		tlog_printf(log, "unknown");
		log_span(log, "keyword", e->unknown[i].keyword);
		log_span(log, "params", e->unknown[i].params);
		tlog_printf(log, "\n");
	}
	if (e->num_unknown < e->unknown_count)
		tlog_printf(log, "unknown-stored %zu of %zu\n", e->num_unknown,
			    e->unknown_count);
	rt_log_violations(log, &e->violations);
}

static void log_ehlo(rt_ctx *c, const postel_reply *r, const char *b, size_t n,
		     tlog *log)
{
	postel_ehlo e;
	postel_status st;
	memset(&e, 0x5a, sizeof e);
	e.mechs = c->mechs_cap ? c->mechs : NULL;
	e.num_mechs = c->mechs_cap;
	e.unknown = c->unknown_cap ? c->unknown : NULL;
	e.num_unknown = c->unknown_cap;
	st = postel_ehlo_parse(&e, r, c->cfg.lenient);
	if (st == POSTEL_E_ARGUMENT) {
		tlog_printf(log, "ehlo %s\n", postel_status_name(st));
		return;
	}
	ck_assert(st == POSTEL_OK || st == POSTEL_INVALID);
	ck_assert_uint_le(e.num_mechs, c->mechs_cap);
	ck_assert_uint_le(e.num_unknown, c->unknown_cap);
	in_buf(e.domain, b, n);
	in_buf(e.greeting, b, n);
	in_buf(e.mt_priority_policy, b, n);
	in_buf(e.futurerelease_datetime, b, n);
	for (size_t i = 0; i < e.num_mechs; i++) {
		in_buf(e.mechs[i], b, n);
		ck_assert(postel_ehlo_has_mech(&e, "") == 0);
	}
	for (size_t i = 0; i < e.num_unknown; i++) {
		in_buf(e.unknown[i].keyword, b, n);
		in_buf(e.unknown[i].params, b, n);
	}
	if (st == POSTEL_INVALID)
		ck_assert_uint_gt(e.violations.n, 0);
	rt_log_ehlo(log, st, &e);
}

static size_t rt_feed(void *ctx, const char *b, size_t n, tlog *log)
{
	rt_ctx *c = ctx;
	postel_reply r;
	postel_status st;
	size_t used = 12345;

	if (c->failed)
		return 0;
	memset(&r, 0x5a, sizeof r);
	r.lines = c->lines_cap ? c->lines : NULL;
	r.num_lines = c->lines_cap;
	st = postel_reply_parse(&c->p, b, n, &r, &used);
	if (st == POSTEL_NEED_MORE) {
		ck_assert_uint_eq(used, 0);
		ck_assert(postel_reply_parser_busy(&c->p) || n == 0);
		return 0;
	}
	if (postel_status_is_fatal(st)) {
		ck_assert_uint_eq(used, 0);
		ck_assert_uint_gt(r.violations.n, 0);
		tlog_printf(log, "off=%zu error=%s\n", c->off,
			    postel_status_name(st));
		rt_log_violations(log, &r.violations);
		c->failed = 1;
		return 0;
	}
	ck_assert_msg(st == POSTEL_OK || st == POSTEL_INVALID, "status %d", st);
	ck_assert(!postel_reply_parser_busy(&c->p));
	ck_assert_uint_gt(used, 3);
	ck_assert_uint_le(used, n);
	ck_assert(r.raw.p == b && r.raw.n == used);
	ck_assert_uint_ge(r.line_count, 1);
	ck_assert_uint_eq(r.num_lines, r.line_count < c->lines_cap
					       ? r.line_count
					       : c->lines_cap);
	ck_assert_uint_eq(r.code,
			  r.digit[0] * 100u + r.digit[1] * 10u + r.digit[2]);
	if (st == POSTEL_INVALID)
		ck_assert_uint_gt(r.violations.n, 0);
	tlog_printf(log, "off=%zu len=%zu reply=%03u lines=%zu %s\n", c->off,
		    used, r.code, r.line_count, postel_status_name(st));
	if (r.enhanced.n) {
		in_buf(r.enhanced, b, used);
		tlog_printf(log, "enhanced %d.%u.%u \"", r.enh_class,
			    r.enh_subject, r.enh_detail);
		tlog_escaped(log, r.enhanced.p, r.enhanced.n);
		tlog_printf(log, "\"\n");
	} else {
		ck_assert_int_eq(r.enh_class, 0);
	}
	for (size_t i = 0; i < r.num_lines; i++) {
		in_buf(r.lines[i], b, used);
		ck_assert_ptr_nonnull(r.lines[i].p);
		if (c->ehlo)
			continue;
		tlog_printf(log, "line \"");
		tlog_escaped(log, r.lines[i].p, r.lines[i].n);
		tlog_printf(log, "\"\n");
	}
	rt_log_violations(log, &r.violations);
	if (c->ehlo && r.code == 250)
		log_ehlo(c, &r, b, used, log);
	c->off += used;
	return used;
}

static void rt_finish(void *ctx, const char *b, size_t n, tlog *log)
{
	rt_ctx *c = ctx;
	(void)b;
	if (!c->failed && n)
		tlog_printf(log, "pending=%zu\n", n);
}

const split_target rt_target = {rt_reset, rt_feed, rt_finish};

int rt_run_vector(const vec *v, int ehlo, char *why, size_t cap)
{
	static rt_ctx c;
	tlog whole;
	int rc;
	tlog_init(&whole);
	rt_config(&c, v, ehlo);
	rc = split_check(&rt_target, &c, v->in, v->in_n, 40, &whole, why, cap);
	if (rc == 0 && strcmp(tlog_str(&whole), v->expect) != 0) {
		snprintf(why, cap, "log differs:\n--- expected\n%s--- got\n%s",
			 v->expect, tlog_str(&whole));
		rc = -1;
	}
	tlog_free(&whole);
	return rc;
}

static vec_set vectors;

static void load_vectors(void)
{
	vec_load(&vectors, "reply");
}

static void free_vectors(void)
{
	vec_free(&vectors);
}

void rt_check_vector(const vec *v, int ehlo)
{
	char why[8192];
	ck_assert_msg(rt_run_vector(v, ehlo, why, sizeof why) == 0,
		      "%s:%d %s (%s): %s", v->file, v->line, v->name, v->rfc,
		      why);
}

START_TEST(vector)
{
	rt_check_vector(&vectors.v[_i], 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* unit tests                                                           */

/* Parse `s` whole with `cfg` (NULL: defaults). */
static postel_status parse1(const postel_reply_config *cfg, const char *s,
			    size_t n, postel_reply *r, postel_span *lines,
			    size_t cap, size_t *used)
{
	postel_reply_parser p;
	ck_assert_int_eq(postel_reply_parser_init(&p, cfg), POSTEL_OK);
	r->lines = lines;
	r->num_lines = cap;
	return postel_reply_parse(&p, guard_copy(s, n), n, r, used);
}

START_TEST(config_defaults)
{
	postel_reply_config c;
	postel_reply_parser p;
	postel_reply_config_default(&c);
	ck_assert_uint_eq(c.max_line, 512);
	ck_assert_uint_eq(c.max_lines, POSTEL_REPLY_MAX_LINES);
	ck_assert_uint_eq(c.max_reply, POSTEL_REPLY_MAX_REPLY);
	ck_assert_uint_eq(c.lenient, POSTEL_LENIENT);
	ck_assert_int_eq(c.utf8, 0);
	c.max_line = 4;
	ck_assert_int_eq(postel_reply_parser_init(&p, &c), POSTEL_E_ARGUMENT);
	/* failed init stays failed until reset */
	{
		postel_reply r = {0};
		size_t used = 7;
		ck_assert_int_eq(
			postel_reply_parse(&p, "250 x\r\n", 7, &r, &used),
			POSTEL_E_ARGUMENT);
		ck_assert_uint_eq(used, 0);
		postel_reply_parser_reset(&p);
		ck_assert_int_eq(
			postel_reply_parse(&p, "250 x\r\n", 7, &r, &used),
			POSTEL_OK);
	}
	c.max_line = 5;
	ck_assert_int_eq(postel_reply_parser_init(&p, &c), POSTEL_OK);
	ck_assert_int_eq(postel_reply_parser_init(&p, NULL), POSTEL_OK);
}
END_TEST

START_TEST(arguments)
{
	postel_reply_parser p;
	postel_reply r;
	postel_span l1[4], l2[4];
	size_t used;
	const char *s = "250-a\r\n250 b\r\n";
	postel_reply_parser_init(&p, NULL);
	r.lines = l1;
	r.num_lines = 4;
	ck_assert_int_eq(postel_reply_parse(NULL, s, 5, &r, &used),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_reply_parse(&p, NULL, 5, &r, &used),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_reply_parse(&p, s, 5, NULL, &used),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_reply_parse(&p, s, 5, &r, NULL),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_reply_parse(&p, NULL, 0, &r, &used),
			 POSTEL_NEED_MORE);
	ck_assert_int_eq(postel_reply_parse(&p, s, 9, &r, &used),
			 POSTEL_NEED_MORE);
	ck_assert(postel_reply_parser_busy(&p));
	/* fewer bytes than already scanned */
	ck_assert_int_eq(postel_reply_parse(&p, s, 8, &r, &used),
			 POSTEL_E_ARGUMENT);
	/* another line array in the middle of a reply */
	r.lines = l2;
	ck_assert_int_eq(postel_reply_parse(&p, s, 14, &r, &used),
			 POSTEL_E_ARGUMENT);
	r.lines = l1;
	r.num_lines = 3;
	ck_assert_int_eq(postel_reply_parse(&p, s, 14, &r, &used),
			 POSTEL_E_ARGUMENT);
	r.num_lines = 4;
	/* not sticky: the same call with the right arguments works */
	ck_assert_int_eq(postel_reply_parse(&p, s, 14, &r, &used), POSTEL_OK);
	ck_assert_uint_eq(used, 14);
	ck_assert_uint_eq(r.line_count, 2);
	ck_assert(r.lines[1].p == s + 11 && r.lines[1].n == 1);
}
END_TEST

START_TEST(utf8_switch)
{
	postel_reply_parser p;
	postel_reply r;
	postel_reply_config c;
	size_t used;
	const char *s = "251 2.1.5 <j\xc3\xb6rg@example.org>\r\n";
	size_t n = strlen(s);
	postel_reply_config_default(&c);
	c.lenient = POSTEL_STRICT;
	postel_reply_parser_init(&p, &c);
	r.lines = NULL;
	r.num_lines = 0;
	ck_assert_int_eq(postel_reply_parse(&p, s, n, &r, &used),
			 POSTEL_INVALID);
	ck_assert(postel_violation_list_has(&r.violations, POSTEL_V_EIGHT_BIT));
	ck_assert_int_eq(postel_reply_parse(&p, s, 3, &r, &used),
			 POSTEL_NEED_MORE);
	ck_assert_int_eq(postel_reply_parser_set_utf8(&p, 1), POSTEL_E_STATE);
	ck_assert_int_eq(postel_reply_parse(&p, s, n, &r, &used),
			 POSTEL_INVALID);
	ck_assert_int_eq(postel_reply_parser_set_utf8(&p, 1), POSTEL_OK);
	ck_assert_int_eq(postel_reply_parse(&p, s, n, &r, &used), POSTEL_OK);
	ck_assert_uint_eq(r.violations.n, 0);
	ck_assert_int_eq(postel_reply_parser_set_utf8(&p, 0), POSTEL_OK);
	ck_assert_int_eq(postel_reply_parse(&p, s, n, &r, &used),
			 POSTEL_INVALID);
}
END_TEST

START_TEST(sticky_fatal)
{
	postel_reply_parser p;
	postel_reply r;
	size_t used = 99;
	postel_reply_parser_init(&p, NULL);
	r.lines = NULL;
	r.num_lines = 0;
	ck_assert_int_eq(postel_reply_parse(&p, "25x", 3, &r, &used),
			 POSTEL_E_PROTOCOL);
	ck_assert_uint_eq(used, 0);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_SYNTAX));
	memset(&r.violations, 0, sizeof r.violations);
	ck_assert_int_eq(postel_reply_parse(&p, "250 ok\r\n", 8, &r, &used),
			 POSTEL_E_PROTOCOL);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_SYNTAX));
	postel_reply_parser_reset(&p);
	ck_assert(!postel_reply_parser_busy(&p));
	ck_assert_int_eq(postel_reply_parse(&p, "250 ok\r\n", 8, &r, &used),
			 POSTEL_OK);
	ck_assert_uint_eq(used, 8);
	ck_assert_uint_eq(r.violations.n, 0);
}
END_TEST

/* A line of exactly max_line octets passes, one more fails, for every
 * limit from 5 to 600 (RFC 5321 §4.5.3.1.5 default 512). */
START_TEST(line_limit_edges)
{
	static char buf[700];
	postel_reply_config c;
	postel_reply r;
	postel_span l[2];
	size_t used;
	postel_reply_config_default(&c);
	for (size_t lim = 5; lim <= 600; lim++) {
		/* "250 xxx...\r\n" of exactly `lim` octets */
		memcpy(buf, "250 ", 4);
		memset(buf + 4, 'x', sizeof buf - 4);
		if (lim == 5)
			memcpy(buf, "250\r\n", 5);
		else {
			buf[lim - 2] = '\r';
			buf[lim - 1] = '\n';
		}
		c.max_line = lim;
		ck_assert_int_eq(parse1(&c, buf, lim, &r, l, 2, &used),
				 POSTEL_OK);
		ck_assert_uint_eq(used, lim);
		ck_assert_uint_eq(r.lines[0].n, lim > 5 ? lim - 6 : 0);
		c.max_line = lim - 1;
		if (lim - 1 < 5)
			continue;
		ck_assert_int_eq(parse1(&c, buf, lim, &r, l, 2, &used),
				 POSTEL_E_LIMIT);
		ck_assert(postel_violation_list_has(
			&r.violations, POSTEL_V_REPLY_LINE_TOO_LONG));
		/* detected without waiting for the line end */
		ck_assert_int_eq(parse1(&c, buf, lim - 1, &r, l, 2, &used),
				 POSTEL_E_LIMIT);
		ck_assert_int_eq(parse1(&c, buf, lim - 2, &r, l, 2, &used),
				 POSTEL_NEED_MORE);
	}
}
END_TEST

/* Many lines: max_lines exactly passes, one more fails; the octet limit
 * too; line arrays smaller than the reply keep the first lines. */
START_TEST(reply_limits)
{
	static char buf[20000];
	static postel_span l[300];
	postel_reply_config c;
	postel_reply r;
	size_t used, n = 0;
	for (int i = 0; i < 199; i++)
		n += (size_t)sprintf(buf + n, "250-line %03d\r\n", i);
	n += (size_t)sprintf(buf + n, "250 last\r\n");
	postel_reply_config_default(&c);
	c.max_reply = n;
	c.max_lines = 200;
	ck_assert_int_eq(parse1(&c, buf, n, &r, l, 300, &used), POSTEL_OK);
	ck_assert_uint_eq(r.line_count, 200);
	ck_assert_uint_eq(r.num_lines, 200);
	ck_assert(r.lines[199].n == 4 &&
		  memcmp(r.lines[199].p, "last", 4) == 0);
	ck_assert_int_eq(parse1(&c, buf, n, &r, l, 10, &used), POSTEL_OK);
	ck_assert_uint_eq(r.num_lines, 10);
	ck_assert_uint_eq(r.line_count, 200);
	ck_assert(r.lines[9].n == 8 &&
		  memcmp(r.lines[9].p, "line 009", 8) == 0);
	ck_assert_int_eq(parse1(&c, buf, n, &r, NULL, 0, &used), POSTEL_OK);
	ck_assert_uint_eq(r.num_lines, 0);
	c.max_lines = 199;
	ck_assert_int_eq(parse1(&c, buf, n, &r, l, 300, &used), POSTEL_E_LIMIT);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_TOO_MANY_LINES));
	c.max_lines = 200;
	c.max_reply = n - 1;
	ck_assert_int_eq(parse1(&c, buf, n, &r, l, 300, &used), POSTEL_E_LIMIT);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_TOO_LONG));
	/* the default octet limit ends a flood of continuation lines */
	postel_reply_config_default(&c);
	c.max_lines = 100000;
	n = 0;
	while (n + 16 < sizeof buf)
		n += (size_t)sprintf(buf + n, "250-%010zu\r\n", n);
	ck_assert_int_eq(parse1(&c, buf, n, &r, l, 300, &used), POSTEL_E_LIMIT);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_TOO_LONG));
}
END_TEST

/* The parser keeps offsets: feeding a reply in pieces from a buffer that
 * moves (and is scribbled over) between calls gives spans into the last
 * buffer only. */
START_TEST(moving_buffer)
{
	const char *s =
		"550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third\r\n";
	size_t n = strlen(s);
	char a[128], b[128];
	postel_reply_parser p;
	postel_reply r;
	postel_span l[4];
	size_t used;
	postel_reply_parser_init(&p, NULL);
	r.lines = l;
	r.num_lines = 4;
	for (size_t k = 1; k < n; k++) {
		char *buf = (k & 1) ? a : b, *other = (k & 1) ? b : a;
		memcpy(buf, s, k);
		memset(other, '#', sizeof a);
		ck_assert_int_eq(postel_reply_parse(&p, buf, k, &r, &used),
				 POSTEL_NEED_MORE);
	}
	memset(a, '#', sizeof a);
	memcpy(b + 7, s, n);
	ck_assert_int_eq(postel_reply_parse(&p, b + 7, n, &r, &used),
			 POSTEL_OK);
	ck_assert_uint_eq(used, n);
	ck_assert_uint_eq(r.code, 550);
	ck_assert(r.enhanced.p == b + 7 + 4 && r.enhanced.n == 5);
	ck_assert(r.lines[0].p == b + 7 + 4 && r.lines[0].n == 11);
	ck_assert(r.lines[2].p == b + 7 + 39 && r.lines[2].n == 11);
	ck_assert_int_eq(r.enh_class, 5);
	ck_assert_int_eq(r.enh_subject, 1);
	ck_assert_int_eq(r.enh_detail, 1);
}
END_TEST

START_TEST(strip_enhanced)
{
	postel_reply r;
	postel_span l[3], t;
	size_t used;
	const char *s = "550-5.7.1 one\r\n550-5.7.1\r\n550 5.7.10 x\r\n";
	ck_assert_int_eq(parse1(NULL, s, strlen(s), &r, l, 3, &used),
			 POSTEL_OK);
	t = postel_reply_strip_enhanced(&r, r.lines[0]);
	ck_assert(t.n == 3 && memcmp(t.p, "one", 3) == 0);
	t = postel_reply_strip_enhanced(&r, r.lines[1]);
	ck_assert_uint_eq(t.n, 0);
	/* "5.7.10" is not "5.7.1" */
	t = postel_reply_strip_enhanced(&r, r.lines[2]);
	ck_assert(t.p == r.lines[2].p && t.n == r.lines[2].n);
	ck_assert(postel_violation_list_has(&r.violations,
					    POSTEL_V_REPLY_ENH_INCONSISTENT));
	ck_assert_int_eq(parse1(NULL, "250 ok\r\n", 8, &r, l, 3, &used),
			 POSTEL_OK);
	t = postel_reply_strip_enhanced(&r, r.lines[0]);
	ck_assert(t.p == r.lines[0].p && t.n == 2);
}
END_TEST

START_TEST(classes)
{
	static const struct {
		const char *s;
		int pos, inter, trans, perm;
	} t[] = {
		{"220 x\r\n", 1, 0, 0, 0},
		{"354 x\r\n", 0, 1, 0, 0},
		{"421 x\r\n", 0, 0, 1, 0},
		{"556 x\r\n", 0, 0, 0, 1},
	};
	for (size_t i = 0; i < 4; i++) {
		postel_reply r;
		size_t used;
		ck_assert_int_eq(parse1(NULL, t[i].s, 7, &r, NULL, 0, &used),
				 POSTEL_OK);
		ck_assert_int_eq(postel_reply_is_positive(&r), t[i].pos);
		ck_assert_int_eq(postel_reply_is_intermediate(&r), t[i].inter);
		ck_assert_int_eq(postel_reply_is_transient(&r), t[i].trans);
		ck_assert_int_eq(postel_reply_is_permanent(&r), t[i].perm);
	}
}
END_TEST

/* Every code 000-999: digits in range give OK, others INVALID with
 * reply-bad-code; the stream stays in step either way. */
START_TEST(every_code)
{
	postel_reply_parser p;
	postel_reply_config c;
	postel_reply r;
	char line[16];
	size_t used;
	postel_reply_config_default(&c);
	postel_reply_parser_init(&p, &c);
	r.lines = NULL;
	r.num_lines = 0;
	for (unsigned code = 0; code < 1000; code++) {
		int ok = code / 100 >= 2 && code / 100 <= 5 &&
			 (code / 10) % 10 <= 5;
		snprintf(line, sizeof line, "%03u text\r\n", code);
		ck_assert_int_eq(postel_reply_parse(&p, line, 10, &r, &used),
				 ok ? POSTEL_OK : POSTEL_INVALID);
		ck_assert_uint_eq(used, 10);
		ck_assert_uint_eq(r.code, code);
		ck_assert_int_eq(
			postel_violation_list_has(&r.violations,
						  POSTEL_V_REPLY_BAD_CODE),
			!ok);
	}
}
END_TEST

/* Every octet value in text position and in the separator position. */
START_TEST(every_octet)
{
	postel_reply_config c;
	postel_reply r;
	char line[16];
	size_t used;
	postel_reply_config_default(&c);
	c.lenient = POSTEL_STRICT;
	for (unsigned o = 0; o < 256; o++) {
		postel_status st, want;
		memcpy(line, "250 a?b\r\n", 9);
		line[5] = (char)o;
		st = parse1(&c, line, 9, &r, NULL, 0, &used);
		if (o == '\r')
			want = POSTEL_E_PROTOCOL; /* bare CR */
		else if (o == '\t' || (o >= 0x20 && o < 0x7f))
			want = POSTEL_OK;
		else
			want = POSTEL_INVALID;
		ck_assert_msg(st == want, "octet %u: %d", o, st);
		memcpy(line, "250?x\r\n", 7);
		line[3] = (char)o;
		st = parse1(&c, line, 7, &r, NULL, 0, &used);
		if (o == ' ')
			want = POSTEL_OK;
		else if (o == '-')
			want = POSTEL_NEED_MORE;
		else if (o == '\n')
			want = POSTEL_INVALID; /* "250\n": bare LF, strict */
		else
			want = POSTEL_E_PROTOCOL;
		ck_assert_msg(st == want, "separator %u: %d", o, st);
	}
}
END_TEST

/* Every octet at every position of a 40-octet text, so that each lane
 * of the word-at-a-time text scan sees each octet value. */
START_TEST(every_octet_every_lane)
{
	postel_reply_config c;
	postel_reply r;
	postel_span l[1];
	char line[64];
	size_t used;
	postel_reply_config_default(&c);
	c.lenient = POSTEL_STRICT;
	for (unsigned o = 0; o < 256; o++)
		for (size_t k = 0; k < 40; k++) {
			postel_status st, want;
			postel_violation v = POSTEL_V_NONE;
			memcpy(line, "250 ", 4);
			memset(line + 4, 'a', 40);
			memcpy(line + 44, "\r\n", 2);
			line[4 + k] = (char)o;
			st = parse1(&c, line, 46, &r, l, 1, &used);
			if (o == '\t' || (o >= 0x20 && o < 0x7f))
				want = POSTEL_OK;
			else if (o == '\r') {
				want = POSTEL_E_PROTOCOL;
				v = POSTEL_V_BARE_CR;
			} else {
				want = POSTEL_INVALID;
				v = o == '\n'   ? POSTEL_V_BARE_LF
				    : o == 0    ? POSTEL_V_NUL_OCTET
				    : o >= 0x80 ? POSTEL_V_EIGHT_BIT
						: POSTEL_V_CONTROL_CHAR;
			}
			ck_assert_msg(st == want, "octet %u at %zu: %d", o, k,
				      st);
			if (v != POSTEL_V_NONE)
				ck_assert_msg(postel_violation_list_has(
						      &r.violations, v),
					      "octet %u at %zu", o, k);
			if (st == POSTEL_OK) {
				ck_assert_uint_eq(used, 46);
				ck_assert_uint_eq(r.lines[0].n, 40);
			}
			if (o == '\n') {
				ck_assert_uint_eq(used, 5 + k);
				ck_assert_uint_eq(r.lines[0].n, k);
			}
		}
}
END_TEST

Suite *suite_reply(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("unit");
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, config_defaults);
	tcase_add_test(tc, arguments);
	tcase_add_test(tc, utf8_switch);
	tcase_add_test(tc, sticky_fatal);
	tcase_add_test(tc, line_limit_edges);
	tcase_add_test(tc, reply_limits);
	tcase_add_test(tc, moving_buffer);
	tcase_add_test(tc, strip_enhanced);
	tcase_add_test(tc, classes);
	tcase_add_test(tc, every_code);
	tcase_add_test(tc, every_octet);
	tcase_add_test(tc, every_octet_every_lane);
	suite_add_tcase(s, tc);
	load_vectors();
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, vector, 0, (int)vectors.n);
	tcase_add_unchecked_fixture(tv, NULL, free_vectors);
	suite_add_tcase(s, tv);
	return s;
}
