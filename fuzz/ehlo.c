/*
 * Fuzz target: EHLO capability parsing (postel_ehlo_parse).
 *
 * Input: byte 0 chooses the lenient flags and the array capacities; the
 * rest is a stream of replies, parsed with postel_reply_parse. Every 250
 * reply is read twice, with large and with small (byte-chosen) arrays:
 * everything but what the arrays hold must agree, stored entries must be
 * the first ones of the large run, spans must lie inside the reply, and
 * each stored mechanism must be found by postel_ehlo_has_mech.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postel/ehlo.h"
#include "postel/reply.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ehlo fuzz: invariant failed: %s\n", what);
		abort();
	}
}

static void inside(postel_span s, const postel_reply *r)
{
	if (s.n)
		check(s.p >= r->raw.p && s.p + s.n <= r->raw.p + r->raw.n,
		      "span inside the reply");
}

static int span_eq(postel_span a, postel_span b)
{
	return a.p == b.p && a.n == b.n;
}

static void one(const postel_reply *r, uint32_t lenient, size_t mcap,
		size_t ucap)
{
	static postel_span mbig[64], msmall[64];
	static postel_ehlo_ext ubig[64], usmall[64];
	postel_ehlo a, b;
	postel_status sa, sb;

	a.mechs = mbig;
	a.num_mechs = 64;
	a.unknown = ubig;
	a.num_unknown = 64;
	b.mechs = mcap ? msmall : NULL;
	b.num_mechs = mcap;
	b.unknown = ucap ? usmall : NULL;
	b.num_unknown = ucap;
	sa = postel_ehlo_parse(&a, r, lenient);
	sb = postel_ehlo_parse(&b, r, lenient);
	check(sa == sb, "status independent of the arrays");
	if (sa == POSTEL_E_ARGUMENT)
		return;
	check(sa == POSTEL_OK || sa == POSTEL_INVALID, "status");
	if (sa == POSTEL_INVALID)
		check(a.violations.n > 0, "INVALID names a violation");
	check(a.caps == b.caps && a.size == b.size &&
		      a.deliverby_min == b.deliverby_min &&
		      a.futurerelease_interval == b.futurerelease_interval &&
		      a.limit_rcptmax == b.limit_rcptmax &&
		      a.limit_mailmax == b.limit_mailmax &&
		      a.limit_rcptdomainmax == b.limit_rcptdomainmax &&
		      a.mech_count == b.mech_count &&
		      a.unknown_count == b.unknown_count &&
		      span_eq(a.domain, b.domain) &&
		      span_eq(a.greeting, b.greeting) &&
		      span_eq(a.mt_priority_policy, b.mt_priority_policy) &&
		      span_eq(a.futurerelease_datetime,
			      b.futurerelease_datetime) &&
		      a.violations.n == b.violations.n &&
		      memcmp(a.violations.id, b.violations.id,
			     a.violations.n * sizeof a.violations.id[0]) == 0,
	      "results independent of the arrays");
	check(a.caps < (1u << 18), "known bits only");
	check(b.num_mechs == (b.mech_count < mcap ? b.mech_count : mcap),
	      "stored mechanisms");
	check(b.num_unknown ==
		      (b.unknown_count < ucap ? b.unknown_count : ucap),
	      "stored unknowns");
	check(a.num_mechs == (a.mech_count < 64 ? a.mech_count : 64),
	      "stored mechanisms, big array");
	inside(a.domain, r);
	inside(a.greeting, r);
	inside(a.mt_priority_policy, r);
	inside(a.futurerelease_datetime, r);
	if (a.mech_count)
		check(a.caps & POSTEL_EHLO_AUTH, "mechanisms only with AUTH");
	for (size_t i = 0; i < b.num_mechs; i++)
		check(span_eq(b.mechs[i], a.mechs[i]), "same first mechanisms");
	for (size_t i = 0; i < b.num_unknown; i++)
		check(span_eq(b.unknown[i].keyword, a.unknown[i].keyword) &&
			      span_eq(b.unknown[i].params, a.unknown[i].params),
		      "same first unknowns");
	for (size_t i = 0; i < a.num_mechs; i++) {
		char name[32];
		inside(a.mechs[i], r);
		check(a.mechs[i].n >= 1 && a.mechs[i].n <= 20,
		      "mechanism length");
		memcpy(name, a.mechs[i].p, a.mechs[i].n);
		name[a.mechs[i].n] = '\0';
		check(postel_ehlo_has_mech(&a, name),
		      "has_mech finds a mechanism");
		for (size_t j = 0; j < i; j++)
			check(a.mechs[j].n != a.mechs[i].n ||
				      strncasecmp(a.mechs[j].p, a.mechs[i].p,
						  a.mechs[i].n) != 0,
			      "mechanisms are distinct");
	}
	for (size_t i = 0; i < a.num_unknown; i++) {
		inside(a.unknown[i].keyword, r);
		inside(a.unknown[i].params, r);
		check(a.unknown[i].keyword.n > 0, "unknown keyword not empty");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static postel_span lines[POSTEL_REPLY_MAX_LINES];
	postel_reply_parser p;
	postel_reply_config c;
	uint32_t lenient;
	size_t off = 1;
	if (size < 1)
		return 0;
	postel_reply_config_default(&c);
	c.lenient = POSTEL_LENIENT | POSTEL_LENIENT_REPLY_CONTROL;
	c.utf8 = 1;
	lenient = (data[0] & 0x80) ? POSTEL_LENIENT_EHLO_SYNTAX : 0;
	if (postel_reply_parser_init(&p, &c) != POSTEL_OK)
		abort();
	while (off < size) {
		postel_reply r;
		size_t used;
		postel_status st;
		r.lines = lines;
		r.num_lines = POSTEL_REPLY_MAX_LINES;
		st = postel_reply_parse(&p, (const char *)data + off,
					size - off, &r, &used);
		if (st != POSTEL_OK && st != POSTEL_INVALID)
			break;
		if (r.code == 250)
			one(&r, lenient, data[0] & 7, (data[0] >> 3) & 7);
		off += used;
	}
	return 0;
}
