/*
 * Reply-stream test driver shared by test_reply.c and test_ehlo.c: a
 * split_target that parses a stream of replies (and, in the ehlo area,
 * the capabilities of each 250 reply) and logs what it sees in the
 * format of test-vectors/reply/README.md and test-vectors/ehlo/README.md.
 */
#ifndef POSTEL_TEST_REPLY_H
#define POSTEL_TEST_REPLY_H

#include "postel/ehlo.h"
#include "postel/reply.h"
#include "support.h"

#define RT_MAX_LINES 1100

typedef struct rt_ctx {
	postel_reply_config cfg;
	postel_reply_parser p;
	size_t lines_cap; /* capacity handed to the parser */
	int ehlo;         /* ehlo area: parse 250 replies as EHLO replies */
	size_t mechs_cap, unknown_cap;
	size_t off; /* stream offset of the next reply */
	int failed;
	postel_span lines[RT_MAX_LINES];
	postel_span mechs[64];
	postel_ehlo_ext unknown[64];
} rt_ctx;

extern const split_target rt_target;

/* Configure `c` from a vector's config words (see the areas' READMEs). */
void rt_config(rt_ctx *c, const vec *v, int ehlo);
/* Log an EHLO capability set. */
void rt_log_ehlo(tlog *log, postel_status st, const postel_ehlo *e);
/* Log a violation list, one "violation NAME" line each. */
void rt_log_violations(tlog *log, const postel_violation_list *vl);
/* Run one vector: split_check plus the expected log; returns 0 or -1
 * with a message in `why`. */
int rt_run_vector(const vec *v, int ehlo, char *why, size_t cap);
/* Check-assert that vector `v` passes. */
void rt_check_vector(const vec *v, int ehlo);

#endif
