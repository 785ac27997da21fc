/* Trace header fields (src/trace.c): RFC 5321 §4.4, RFC 3848, RFC 6531. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "postel/postel.h"
#include "support.h"

static vec_set vectors;

static postel_span S(const char *s)
{
	postel_span sp = {s, strlen(s)};
	return sp;
}

START_TEST(protocol_keywords)
{
	/* RFC 3848 §2 */
	ck_assert_str_eq(postel_trace_protocol(0), "SMTP");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_HELO), "SMTP");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_ESMTP), "ESMTP");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_AUTH),
			 "ESMTPA");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_TLS),
			 "ESMTPS");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_TLS |
					       POSTEL_SESSION_AUTH),
			 "ESMTPSA");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_LMTP), "LMTP");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_AUTH),
			 "LMTPA");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_TLS),
			 "LMTPS");
	ck_assert_str_eq(postel_trace_protocol(POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_TLS |
					       POSTEL_SESSION_AUTH),
			 "LMTPSA");
	/* RFC 6531 §4.3 */
	unsigned u = POSTEL_SESSION_SMTPUTF8;
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_ESMTP),
			 "UTF8SMTP");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_AUTH),
			 "UTF8SMTPA");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_TLS),
			 "UTF8SMTPS");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_ESMTP |
					       POSTEL_SESSION_TLS |
					       POSTEL_SESSION_AUTH),
			 "UTF8SMTPSA");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_LMTP),
			 "UTF8LMTP");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_AUTH),
			 "UTF8LMTPA");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_TLS),
			 "UTF8LMTPS");
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_LMTP |
					       POSTEL_SESSION_TLS |
					       POSTEL_SESSION_AUTH),
			 "UTF8LMTPSA");
	/* HELO: plain SMTP, whatever else is set */
	ck_assert_str_eq(postel_trace_protocol(u | POSTEL_SESSION_TLS |
					       POSTEL_SESSION_AUTH),
			 "SMTP");
}
END_TEST

static postel_trace base(void)
{
	postel_trace t;
	memset(&t, 0, sizeof t);
	t.helo = S("client.example");
	t.by = "mx.example.org";
	t.session = POSTEL_SESSION_ESMTP;
	t.date = "Tue, 2 Jan 2024 10:00:00 +0100";
	return t;
}

static const char *fmt(const postel_trace *t, postel_status *st)
{
	static char buf[2048];
	size_t n = 12345;
	*st = postel_trace_received(t, buf, sizeof buf - 1, &n);
	if (*st != POSTEL_OK)
		return NULL;
	ck_assert_uint_lt(n, sizeof buf);
	buf[n] = '\0';
	return buf;
}

START_TEST(received_minimal)
{
	postel_trace t = base();
	postel_status st;
	const char *r = fmt(&t, &st);
	ck_assert_int_eq(st, POSTEL_OK);
	ck_assert_str_eq(r, "Received: from client.example\r\n"
			    "\tby mx.example.org with ESMTP;\r\n"
			    "\tTue, 2 Jan 2024 10:00:00 +0100\r\n");
}
END_TEST

START_TEST(received_full)
{
	postel_trace t = base();
	t.client_host = "host.client.example";
	t.client_addr = "192.0.2.1";
	t.by_comment = "postel";
	t.via = "TCP";
	t.session |= POSTEL_SESSION_TLS | POSTEL_SESSION_AUTH;
	t.id = "4Q7x9z";
	t.for_path = S("rcpt@example.org");
	postel_status st;
	const char *r = fmt(&t, &st);
	ck_assert_int_eq(st, POSTEL_OK);
	ck_assert_str_eq(r,
			 "Received: from client.example (host.client.example "
			 "[192.0.2.1])\r\n"
			 "\tby mx.example.org (postel) via TCP with ESMTPSA id "
			 "4Q7x9z\r\n"
			 "\tfor <rcpt@example.org>;\r\n"
			 "\tTue, 2 Jan 2024 10:00:00 +0100\r\n");
	/* explicit with; IPv6 literal without a name */
	t.with = "LMTPA";
	t.client_host = NULL;
	t.client_addr = "IPv6:2001:db8::1";
	t.by_comment = NULL;
	t.via = NULL;
	t.id = NULL;
	t.for_path = S("");
	r = fmt(&t, &st);
	ck_assert_int_eq(st, POSTEL_OK);
	ck_assert_str_eq(r, "Received: from client.example ([IPv6:2001:db8::1])"
			    "\r\n\tby mx.example.org with LMTPA;\r\n"
			    "\tTue, 2 Jan 2024 10:00:00 +0100\r\n");
}
END_TEST

START_TEST(received_hostile_helo)
{
	/* client bytes that could break out of the clause become "unknown" */
	const char *bad[] = {"a b", "x\r\nX-Injected: 1", "(c)", "a;b", "",
			     "a\\b", "a<b>"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		postel_trace t = base();
		t.helo = S(bad[i]);
		postel_status st;
		const char *r = fmt(&t, &st);
		ck_assert_int_eq(st, POSTEL_OK);
		ck_assert_msg(strncmp(r, "Received: from unknown\r\n", 24) == 0,
			      "%s", r);
	}
	/* address literal and U-label pass */
	postel_trace t = base();
	t.helo = S("[192.0.2.1]");
	postel_status st;
	ck_assert_ptr_nonnull(strstr(fmt(&t, &st), "from [192.0.2.1]\r\n"));
	t.helo = S("b\xc3\xbc"
		   "cher.example");
	ck_assert_ptr_nonnull(strstr(fmt(&t, &st), "from b\xc3\xbc"
						    "cher.example\r\n"));
	/* 256 octets: not a domain (RFC 5321 §4.5.3.1.2) */
	char longd[257];
	memset(longd, 'a', 256);
	longd[256] = '\0';
	t.helo = S(longd);
	ck_assert_ptr_nonnull(strstr(fmt(&t, &st), "from unknown\r\n"));
}
END_TEST

START_TEST(received_bad_arguments)
{
	postel_trace t;
	char buf[512];
	size_t n;
	const char *bad_by[] = {NULL, "", "a b", "a\r\n", "a;b", "a(b"};
	for (size_t i = 0; i < sizeof bad_by / sizeof *bad_by; i++) {
		t = base();
		t.by = bad_by[i];
		ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
				 POSTEL_E_ARGUMENT);
	}
	const char *bad_date[] = {NULL, "", "no digits", "Tue\r\n1",
				  "Tue,\t2 Jan"};
	for (size_t i = 0; i < sizeof bad_date / sizeof *bad_date; i++) {
		t = base();
		t.date = bad_date[i];
		ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
				 POSTEL_E_ARGUMENT);
	}
	t = base();
	t.id = "a b";
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	t = base();
	t.with = "ESMTP\r\nX: y";
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	t = base();
	t.client_addr = "1.2.3.4]";
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	t = base();
	t.by_comment = "a (nested)";
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	t = base();
	t.for_path = S("a@b>\r\nX: y");
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	char longs[300];
	memset(longs, 'a', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';
	t = base();
	t.id = longs;
	ck_assert_int_eq(postel_trace_received(&t, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_trace_received(NULL, buf, sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	t = base();
	ck_assert_int_eq(postel_trace_received(&t, NULL, 10, &n),
			 POSTEL_E_ARGUMENT);
}
END_TEST

START_TEST(received_output_full)
{
	postel_trace t = base();
	char buf[256];
	size_t need = 0;
	ck_assert_int_eq(postel_trace_received(&t, NULL, 0, &need),
			 POSTEL_OUTPUT_FULL);
	ck_assert_uint_eq(need, strlen("Received: from client.example\r\n"
				       "\tby mx.example.org with ESMTP;\r\n"
				       "\tTue, 2 Jan 2024 10:00:00 +0100\r\n"));
	size_t n;
	/* every capacity below the need fails without overrunning */
	for (size_t cap = 0; cap < need; cap++) {
		memset(buf, 'Z', sizeof buf);
		ck_assert_int_eq(postel_trace_received(&t, buf, cap, &n),
				 POSTEL_OUTPUT_FULL);
		ck_assert_uint_eq(n, need);
		ck_assert_int_eq(buf[cap], 'Z');
	}
	ck_assert_int_eq(postel_trace_received(&t, buf, need, NULL), POSTEL_OK);
}
END_TEST

START_TEST(return_path)
{
	char buf[300];
	size_t n;
	ck_assert_int_eq(postel_trace_return_path(S("a@example.org"), buf,
						  sizeof buf, &n),
			 POSTEL_OK);
	ck_assert_uint_eq(n, 30);
	ck_assert_int_eq(memcmp(buf, "Return-Path: <a@example.org>\r\n", n), 0);
	/* null reverse-path (RFC 5321 §4.5.5) */
	ck_assert_int_eq(postel_trace_return_path(S(""), buf, sizeof buf, &n),
			 POSTEL_OK);
	ck_assert_int_eq(memcmp(buf, "Return-Path: <>\r\n", n), 0);
	ck_assert_uint_eq(n, 17);
	/* quoted local part with a space is a valid path (RFC 5321 §4.1.2) */
	ck_assert_int_eq(postel_trace_return_path(S("\"a b\"@example.org"), buf,
						  sizeof buf, &n),
			 POSTEL_OK);
	ck_assert_int_eq(memcmp(buf, "Return-Path: <\"a b\"@example.org>\r\n",
				n), 0);
	ck_assert_int_eq(postel_trace_return_path(S("a@b>\r\nX: y"), buf,
						  sizeof buf, &n),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_trace_return_path(S("a@b"), buf, 5, &n),
			 POSTEL_OUTPUT_FULL);
	ck_assert_uint_eq(n, 20);
}
END_TEST

/* ---- vectors (test-vectors/trace/README.md) ---- */

static unsigned session_bits(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"esmtp", POSTEL_SESSION_ESMTP},
		     {"lmtp", POSTEL_SESSION_LMTP},
		     {"tls", POSTEL_SESSION_TLS},
		     {"auth", POSTEL_SESSION_AUTH},
		     {"smtputf8", POSTEL_SESSION_SMTPUTF8}};
	unsigned bits = 0;
	while (*list) {
		size_t n = strcspn(list, ","), i;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n &&
			    memcmp(names[i].name, list, n) == 0)
				break;
		ck_assert_msg(i < sizeof names / sizeof names[0],
			      "unknown session bit in %s", list);
		bits |= names[i].bit;
		list += n + (list[n] == ',');
	}
	return bits;
}

/* A config value with vector escapes decoded (static storage per slot). */
static const char *config_value(const vec *v, const char *key, int slot)
{
	static char raw[4][256], val[4][256];
	const char *r = vec_config_get(v, key, raw[slot], sizeof raw[slot]);
	if (!r)
		return NULL;
	long n = vec_unescape(r, strlen(r), val[slot]);
	ck_assert_msg(n >= 0, "%s: bad escape in %s", v->name, key);
	val[slot][n] = '\0';
	return val[slot];
}

START_TEST(vector)
{
	const vec *v = &vectors.v[_i];
	char buf[2048];
	size_t n = 0;
	postel_status st;
	postel_span path = {v->in, v->in_n};
	if (vec_config_has(v, "return-path")) {
		st = postel_trace_return_path(path, buf, sizeof buf, &n);
	} else {
		postel_trace t;
		const char *helo = config_value(v, "helo", 0);
		const char *session = config_value(v, "session", 1);
		memset(&t, 0, sizeof t);
		t.helo = S(helo ? helo : "client.example");
		t.by = "mx.example.org";
		t.date = "Mon, 7 Dec 2026 23:00:00 +0000";
		t.session = session_bits(session ? session : "esmtp");
		t.client_addr = config_value(v, "addr", 2);
		t.id = config_value(v, "id", 3);
		t.for_path = path;
		st = postel_trace_received(&t, buf, sizeof buf, &n);
	}
	tlog log;
	tlog_init(&log);
	if (st == POSTEL_E_ARGUMENT) {
		tlog_printf(&log, "error argument\n");
	} else {
		ck_assert_int_eq(st, POSTEL_OK);
		/* one log line per line of the field, its CRLF included */
		for (size_t i = 0, start = 0; i < n; i++)
			if (buf[i] == '\n') {
				tlog_escaped(&log, buf + start, i + 1 - start);
				tlog_printf(&log, "\n");
				start = i + 1;
			}
	}
	ck_assert_msg(strcmp(tlog_str(&log), v->expect) == 0,
		      "%s:%d %s (%s)\nexpected:\n%sgot:\n%s", v->file, v->line,
		      v->name, v->rfc, v->expect, tlog_str(&log));
	tlog_free(&log);
}
END_TEST

static void free_vectors(void)
{
	vec_free(&vectors);
}

Suite *suite_trace(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	tcase_add_test(tc, protocol_keywords);
	tcase_add_test(tc, received_minimal);
	tcase_add_test(tc, received_full);
	tcase_add_test(tc, received_hostile_helo);
	tcase_add_test(tc, received_bad_arguments);
	tcase_add_test(tc, received_output_full);
	tcase_add_test(tc, return_path);
	suite_add_tcase(s, tc);
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	vec_load(&vectors, "trace");
	tcase_add_loop_test(tv, vector, 0, (int)vectors.n);
	tcase_add_unchecked_fixture(tv, NULL, free_vectors);
	suite_add_tcase(s, tv);
	return s;
}
