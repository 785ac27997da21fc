/* EHLO reply → capability set (src/ehlo.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_reply.h"

static vec_set vectors;

START_TEST(vector)
{
	rt_check_vector(&vectors.v[_i], 1);
}
END_TEST

static void free_vectors(void)
{
	vec_free(&vectors);
}

/* Parse the EHLO reply `s` into `e` (arrays of `mcap` and `ucap`). */
static postel_status ehlo1(const char *s, postel_ehlo *e, postel_span *mechs,
			   size_t mcap, postel_ehlo_ext *unk, size_t ucap,
			   uint32_t lenient)
{
	static postel_span lines[128];
	postel_reply_parser p;
	postel_reply r;
	size_t used, n = strlen(s);
	postel_status st;
	postel_reply_parser_init(&p, NULL);
	r.lines = lines;
	r.num_lines = 128;
	st = postel_reply_parse(&p, guard_copy(s, n), n, &r, &used);
	ck_assert_int_eq(st, POSTEL_OK);
	ck_assert_uint_eq(used, n);
	e->mechs = mechs;
	e->num_mechs = mcap;
	e->unknown = unk;
	e->num_unknown = ucap;
	return postel_ehlo_parse(e, &r, lenient);
}

START_TEST(preconditions)
{
	postel_span lines[4], mechs[2];
	postel_reply_parser p;
	postel_reply r;
	postel_ehlo e;
	size_t used;
	const char *s = "250-mx\r\n250-AUTH PLAIN\r\n250 SIZE 10\r\n";
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(postel_ehlo_parse(NULL, &r, 0), POSTEL_E_ARGUMENT);
	postel_reply_parser_init(&p, NULL);
	r.lines = lines;
	r.num_lines = 2; /* too small: one line is not stored */
	ck_assert_int_eq(postel_reply_parse(&p, s, strlen(s), &r, &used),
			 POSTEL_OK);
	e.mechs = mechs;
	e.num_mechs = 2;
	e.unknown = NULL;
	e.num_unknown = 0;
	ck_assert_int_eq(postel_ehlo_parse(&e, &r, 0), POSTEL_E_ARGUMENT);
	ck_assert_uint_eq(e.caps, 0);
	ck_assert_uint_eq(e.num_mechs, 0);
	ck_assert_int_eq(postel_ehlo_parse(&e, NULL, 0), POSTEL_E_ARGUMENT);
	r.lines = lines;
	r.num_lines = 4;
	ck_assert_int_eq(
		postel_reply_parse(&p, "502 5.5.1 no\r\n", 14, &r, &used),
		POSTEL_OK);
	e.num_mechs = 2;
	ck_assert_int_eq(postel_ehlo_parse(&e, &r, 0), POSTEL_E_ARGUMENT);
	r.num_lines = 4;
	ck_assert_int_eq(postel_reply_parse(&p, s, strlen(s), &r, &used),
			 POSTEL_OK);
	e.num_mechs = 2;
	ck_assert_int_eq(postel_ehlo_parse(&e, &r, 0), POSTEL_OK);
	ck_assert_uint_eq(e.caps, POSTEL_EHLO_AUTH | POSTEL_EHLO_SIZE);
	ck_assert_uint_eq(e.size, 10);
	ck_assert(postel_ehlo_has_mech(&e, "plain"));
	ck_assert(postel_ehlo_has(&e, POSTEL_EHLO_SIZE));
	ck_assert(!postel_ehlo_has(&e, POSTEL_EHLO_PIPELINING));
}
END_TEST

START_TEST(cap_names)
{
	static const char *const names[] = {"PIPELINING",
					    "SIZE",
					    "8BITMIME",
					    "BINARYMIME",
					    "CHUNKING",
					    "DSN",
					    "ENHANCEDSTATUSCODES",
					    "STARTTLS",
					    "AUTH",
					    "SMTPUTF8",
					    "REQUIRETLS",
					    "MT-PRIORITY",
					    "DELIVERBY",
					    "FUTURERELEASE",
					    "LIMITS",
					    "RRVS",
					    "MTRK",
					    "ETRN"};
	char buf[1024];
	size_t n = (size_t)sprintf(buf, "250-mx.example.org\r\n");
	postel_ehlo e;
	postel_span m[1];
	for (unsigned b = 0; b < 18; b++)
		ck_assert_str_eq(postel_ehlo_cap_name(1u << b), names[b]);
	ck_assert_ptr_null(postel_ehlo_cap_name(1u << 18));
	ck_assert_ptr_null(postel_ehlo_cap_name(0));
	ck_assert_ptr_null(postel_ehlo_cap_name(3));
	/* every keyword, in lower case, is recognised and sets its bit */
	for (unsigned b = 0; b < 18; b++) {
		n += (size_t)sprintf(buf + n, "250%c", b == 17 ? ' ' : '-');
		for (const char *k = names[b]; *k; k++)
			buf[n++] =
				(char)((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k);
		if (b == 8)
			n += (size_t)sprintf(buf + n, " plain");
		if (b == 13)
			n += (size_t)sprintf(buf + n,
					     " 604800 2030-01-01T00:00:00Z");
		n += (size_t)sprintf(buf + n, "\r\n");
	}
	ck_assert_int_eq(ehlo1(buf, &e, m, 1, NULL, 0, 0), POSTEL_OK);
	ck_assert_uint_eq(e.caps, (1u << 18) - 1);
	ck_assert_uint_eq(e.unknown_count, 0);
	ck_assert(postel_ehlo_has_mech(&e, "PLAIN"));
}
END_TEST

/* SIZE at the uint64 edges (RFC 1870 §4; overflow-checked). */
START_TEST(size_edges)
{
	static const struct {
		const char *v;
		uint64_t size;
		int bad;
	} t[] = {
		{"", 0, 0},
		{" 0", 0, 0},
		{" 1", 1, 0},
		{" 18446744073709551615", UINT64_MAX, 0},
		{" 18446744073709551616", 0, 1},
		{" 99999999999999999999", 0, 1},
		{" 000000000000000000000000000001", 1, 0},
		{" 1x", 0, 1},
		{" -1", 0, 1},
		{" 10 20", 0, 1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char buf[128];
		postel_ehlo e;
		snprintf(buf, sizeof buf, "250-mx\r\n250 SIZE%s\r\n", t[i].v);
		ck_assert_int_eq(ehlo1(buf, &e, NULL, 0, NULL, 0, 0),
				 t[i].bad ? POSTEL_INVALID : POSTEL_OK);
		ck_assert(postel_ehlo_has(&e, POSTEL_EHLO_SIZE));
		ck_assert_msg(e.size == t[i].size, "%s", t[i].v);
		ck_assert_int_eq(postel_violation_list_has(&e.violations,
							   POSTEL_V_EHLO_SIZE),
				 t[i].bad);
		ck_assert_int_eq(ehlo1(buf, &e, NULL, 0, NULL, 0,
				       POSTEL_LENIENT_EHLO_SYNTAX),
				 POSTEL_OK);
	}
}
END_TEST

/* More mechanisms than the array holds: the count stays exact (names
 * are deduplicated across AUTH and AUTH= lines even beyond the array). */
START_TEST(mechs_overflow)
{
	const char *s = "250-mx\r\n250-AUTH A B C D\r\n250-AUTH=D C E\r\n"
			"250 AUTH b f a\r\n";
	postel_span m[6];
	postel_ehlo e;
	for (size_t cap = 0; cap <= 6; cap++) {
		ck_assert_int_eq(ehlo1(s, &e, cap ? m : NULL, cap, NULL, 0, 0),
				 POSTEL_OK);
		ck_assert_uint_eq(e.mech_count, 6);
		ck_assert_uint_eq(e.num_mechs, cap);
		ck_assert_int_eq(postel_ehlo_has_mech(&e, "a"), cap >= 1);
		ck_assert_int_eq(postel_ehlo_has_mech(&e, "E"), cap >= 5);
		ck_assert_int_eq(postel_ehlo_has_mech(&e, "F"), cap >= 6);
		ck_assert_int_eq(postel_ehlo_has_mech(&e, "G"), 0);
	}
}
END_TEST

START_TEST(unknown_overflow)
{
	const char *s = "250-mx\r\n250-X-A 1\r\n250-X-B\r\n250-PIPELINING\r\n"
			"250 X-C a b\r\n";
	postel_ehlo_ext u[3];
	postel_ehlo e;
	for (size_t cap = 0; cap <= 3; cap++) {
		ck_assert_int_eq(ehlo1(s, &e, NULL, 0, cap ? u : NULL, cap, 0),
				 POSTEL_OK);
		ck_assert_uint_eq(e.unknown_count, 3);
		ck_assert_uint_eq(e.num_unknown, cap);
		ck_assert_uint_eq(e.caps, POSTEL_EHLO_PIPELINING);
	}
	ck_assert(u[2].keyword.n == 3 && memcmp(u[2].keyword.p, "X-C", 3) == 0);
	ck_assert(u[2].params.n == 3 && memcmp(u[2].params.p, "a b", 3) == 0);
	ck_assert(u[1].params.n == 0);
}
END_TEST

Suite *suite_ehlo(void)
{
	Suite *s = suite_create("ehlo");
	TCase *tc = tcase_create("unit");
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_add_test(tc, preconditions);
	tcase_add_test(tc, cap_names);
	tcase_add_test(tc, size_edges);
	tcase_add_test(tc, mechs_overflow);
	tcase_add_test(tc, unknown_overflow);
	suite_add_tcase(s, tc);
	vec_load(&vectors, "ehlo");
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, vector, 0, (int)vectors.n);
	tcase_add_unchecked_fixture(tv, NULL, free_vectors);
	suite_add_tcase(s, tv);
	return s;
}
