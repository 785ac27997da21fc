/*
 * Fuzz target: the streaming reply parser (postel_reply_parse).
 *
 * Input: byte 0 chooses the config (lenient flags, utf8, small limits),
 * byte 1 the line-array capacity, byte 2 the split pattern; the rest is a
 * stream of server replies. The stream is parsed whole, then again in
 * pieces from a buffer that moves between calls; the two runs must give
 * the same results (a differential oracle: abort on any difference), and
 * every result must satisfy the parser's invariants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/reply.h"

#define MAXL 80

typedef struct rec {
	postel_status st;
	size_t off, used, line_count, num_lines;
	unsigned code;
	unsigned char enh_class;
	unsigned short enh_subject, enh_detail;
	size_t enh_off, enh_n;
	size_t line_off[MAXL], line_n[MAXL];
	postel_violation_list vl;
} rec;

typedef struct run {
	rec *r;
	size_t n, cap;
	size_t pending;
} run;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "reply fuzz: invariant failed: %s\n", what);
		abort();
	}
}

static void add(run *u, const rec *r)
{
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 16;
		u->r = realloc(u->r, u->cap * sizeof *u->r);
		if (!u->r)
			abort();
	}
	u->r[u->n++] = *r;
}

/* Record one result and check its invariants. `b` is the buffer given
 * to the parser (reply at b[0]). */
static void record(run *u, const postel_reply_config *c, size_t cap,
		   postel_status st, const char *b, size_t len,
		   const postel_reply *r, size_t used, size_t off)
{
	rec x;
	memset(&x, 0, sizeof x);
	x.st = st;
	x.off = off;
	x.used = used;
	x.vl = r->violations;
	check(r->violations.n <= POSTEL_VIOLATION_LIST_MAX, "violation count");
	if (postel_status_is_fatal(st)) {
		check(used == 0, "nothing consumed on a fatal status");
		check(r->violations.n > 0, "a fatal status names a violation");
		add(u, &x);
		return;
	}
	check(st == POSTEL_OK || st == POSTEL_INVALID, "status");
	check(used >= 4 && used <= len, "consumed");
	check(used <= c->max_reply, "max_reply");
	check(r->raw.p == b && r->raw.n == used, "raw span");
	check(r->line_count >= 1 && r->line_count <= c->max_lines,
	      "line count");
	check(r->num_lines == (r->line_count < cap ? r->line_count : cap),
	      "stored lines");
	check(r->code == r->digit[0] * 100u + r->digit[1] * 10u + r->digit[2],
	      "code digits");
	check(r->digit[0] <= 9 && r->digit[1] <= 9 && r->digit[2] <= 9,
	      "digits");
	if (st == POSTEL_OK)
		check(r->digit[0] >= 2 && r->digit[0] <= 5 && r->digit[1] <= 5,
		      "code in range when OK");
	else
		check(r->violations.n > 0, "INVALID names a violation");
	check(b[used - 1] == '\n', "a reply ends with a line end");
	x.code = r->code;
	x.line_count = r->line_count;
	x.num_lines = r->num_lines;
	x.enh_class = r->enh_class;
	x.enh_subject = r->enh_subject;
	x.enh_detail = r->enh_detail;
	if (r->enhanced.n) {
		check(r->enhanced.p >= b &&
			      r->enhanced.p + r->enhanced.n <= b + used,
		      "enhanced span inside the reply");
		check(r->enh_class == 2 || r->enh_class == 4 ||
			      r->enh_class == 5,
		      "enhanced class");
		check(r->enh_subject <= 999 && r->enh_detail <= 999,
		      "enhanced fields");
		x.enh_off = (size_t)(r->enhanced.p - b);
		x.enh_n = r->enhanced.n;
	} else
		check(r->enh_class == 0, "no class without a code");
	for (size_t i = 0; i < r->num_lines && i < MAXL; i++) {
		postel_span s = r->lines[i];
		check(s.p != NULL && s.p >= b + 3 && s.p + s.n <= b + used,
		      "line span inside the reply");
		check(s.n + 5 <= c->max_line, "line within max_line");
		for (size_t k = 0; k < s.n; k++)
			check(s.p[k] != '\n' && s.p[k] != '\r',
			      "no line end in line text");
		x.line_off[i] = (size_t)(s.p - b);
		x.line_n[i] = s.n;
	}
	add(u, &x);
}

static void parse(run *u, const postel_reply_config *c, size_t cap,
		  const char *in, size_t n, uint8_t split)
{
	postel_reply_parser p;
	postel_span lines[MAXL];
	size_t have = 0, pos = 0, off = 0;
	char *pending = malloc(n + 1);
	unsigned rnd = split;
	if (!pending)
		abort();
	if (postel_reply_parser_init(&p, c) != POSTEL_OK)
		abort();
	u->n = 0;
	while (pos < n || have > 0) {
		size_t chunk = n - pos;
		if (split) {
			rnd = rnd * 1103515245u + 12345u;
			chunk = 1 + (rnd >> 16) %
					    (split & 0x3f ? (split & 0x3f) : 1);
			if (chunk > n - pos)
				chunk = n - pos;
		}
		memcpy(pending + have, in + pos, chunk);
		have += chunk;
		pos += chunk;
		for (;;) {
			/* a fresh copy each call: the bytes move */
			char *b = malloc(have ? have : 1);
			postel_reply r;
			size_t used = 0;
			postel_status st;
			if (!b)
				abort();
			memcpy(b, pending, have);
			memset(&r, 0xa5, sizeof r);
			r.lines = cap ? lines : NULL;
			r.num_lines = cap;
			st = postel_reply_parse(&p, b, have, &r, &used);
			if (st != POSTEL_NEED_MORE)
				record(u, c, cap, st, b, have, &r, used, off);
			else {
				check(used == 0,
				      "nothing consumed while incomplete");
				check(postel_reply_parser_busy(&p) || have == 0,
				      "busy while incomplete");
			}
			free(b);
			if (postel_status_is_fatal(st)) {
				free(pending);
				u->pending = (size_t)-1;
				return;
			}
			if (st == POSTEL_NEED_MORE)
				break;
			memmove(pending, pending + used, have - used);
			have -= used;
			off += used;
		}
		if (pos == n)
			break;
	}
	u->pending = have;
	free(pending);
}

static int same(const rec *a, const rec *b)
{
	if (a->st != b->st || a->off != b->off || a->used != b->used ||
	    a->line_count != b->line_count || a->num_lines != b->num_lines ||
	    a->code != b->code || a->enh_class != b->enh_class ||
	    a->enh_subject != b->enh_subject ||
	    a->enh_detail != b->enh_detail || a->enh_off != b->enh_off ||
	    a->enh_n != b->enh_n || a->vl.n != b->vl.n ||
	    a->vl.lost != b->vl.lost ||
	    memcmp(a->vl.id, b->vl.id, a->vl.n * sizeof a->vl.id[0]) != 0)
		return 0;
	for (size_t i = 0; i < a->num_lines && i < MAXL; i++)
		if (a->line_off[i] != b->line_off[i] ||
		    a->line_n[i] != b->line_n[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	postel_reply_config c;
	static run whole, split;
	size_t cap;
	if (size < 3)
		return 0;
	postel_reply_config_default(&c);
	c.lenient = 0;
	if (data[0] & 0x01)
		c.lenient |= POSTEL_LENIENT_REPLY_BARE_LF;
	if (data[0] & 0x02)
		c.lenient |= POSTEL_LENIENT_REPLY_8BIT;
	if (data[0] & 0x04)
		c.lenient |= POSTEL_LENIENT_REPLY_CONTROL;
	if (data[0] & 0x08)
		c.lenient |= POSTEL_LENIENT_REPLY_ENHANCED;
	c.utf8 = (data[0] & 0x10) != 0;
	if (data[0] & 0x20)
		c.max_line = 5 + (data[1] & 0x3f);
	if (data[0] & 0x40)
		c.max_lines = 1 + (data[2] >> 4);
	if (data[0] & 0x80)
		c.max_reply = 4 + (size_t)data[1] * 2;
	cap = data[1] % (MAXL + 1);
	parse(&whole, &c, cap, (const char *)data + 3, size - 3, 0);
	parse(&split, &c, cap, (const char *)data + 3, size - 3, data[2] | 1);
	if (whole.n != split.n || whole.pending != split.pending) {
		fprintf(stderr, "reply fuzz: %zu results whole, %zu split\n",
			whole.n, split.n);
		abort();
	}
	for (size_t i = 0; i < whole.n; i++)
		if (!same(&whole.r[i], &split.r[i])) {
			fprintf(stderr,
				"reply fuzz: result %zu differs when split\n",
				i);
			abort();
		}
	return 0;
}
