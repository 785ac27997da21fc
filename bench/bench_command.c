/*
 * postel-bench command: command-parse throughput on a realistic mix of
 * pipelined session commands (EHLO, MAIL with SIZE/BODY/SMTPUTF8, RCPT
 * with NOTIFY/ORCPT, DATA, QUIT), beside a plain memchr-for-LF scan of the
 * same bytes in the same run.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/command.h"

static const char *const mix[] = {
	"EHLO client%u.example.org\r\n",
	"MAIL FROM:<alice.sender%u@example.org> SIZE=%u BODY=8BITMIME "
	"SMTPUTF8\r\n",
	"RCPT TO:<bob.recipient%u@example.com> NOTIFY=SUCCESS,FAILURE "
	"ORCPT=rfc822;bob.recipient%u@example.com\r\n",
	"RCPT TO:<carol%u@example.net> NOTIFY=DELAY,FAILURE\r\n",
	"DATA\r\n",
	"QUIT\r\n",
};

#define SESSIONS 2000

static char *build(size_t *len, size_t *units)
{
	size_t cap = SESSIONS * 512, n = 0, u = 0;
	char *b = malloc(cap);
	if (!b)
		abort();
	for (unsigned s = 0; s < SESSIONS; s++)
		for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++) {
			unsigned a = s * 7919u % 100000u;
			n += (size_t)snprintf(b + n, cap - n, mix[i], a,
					      a * 13u + 1000u);
			u++;
		}
	*len = n;
	*units = u;
	return b;
}

BENCH_KERNEL size_t kernel_command_parse(postel_command_parser *p,
					 const char *buf, size_t len)
{
	postel_command c;
	postel_esmtp_param ext[4];
	size_t n = 0, pos = 0;
	c.ext = ext;
	c.ext_cap = 4;
	while (pos < len) {
		size_t k;
		postel_status st = postel_command_parse(p, buf + pos, len - pos,
							&c, &k);
		if (st != POSTEL_OK)
			abort(); /* the mix is valid */
		pos += k;
		n += c.verb;
	}
	return n;
}

BENCH_KERNEL size_t kernel_memchr_lf(const char *buf, size_t len)
{
	size_t n = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *q = memchr(p, '\n', (size_t)(end - p));
		if (!q)
			break;
		n++;
		p = q + 1;
	}
	return n;
}

static void run(const char *name)
{
	size_t len, units;
	char *buf = build(&len, &units);
	postel_command_parser p;
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	cfg.options |= POSTEL_CMD_OPT_SMTPUTF8;
	postel_command_parser_init(&p, &cfg);
	if (bench_once()) {
		bench_sink(kernel_command_parse(&p, buf, len));
		printf("%s.parse.bytes=%zu B\n%s.parse.units=%zu commands\n",
		       name, len, name, units);
		free(buf);
		return;
	}
	double secs = bench_seconds();
	double t0 = bench_now(), t;
	unsigned long reps = 0;
	do {
		bench_sink(kernel_command_parse(&p, buf, len));
		reps++;
		t = bench_now() - t0;
	} while (t < secs);
	double total = (double)len * (double)reps;
	bench_report(name, "parse_throughput", total / t / 1e6, "MB/s");
	bench_report(name, "parse_ns_per_command",
		     t * 1e9 / ((double)units * (double)reps), "ns");
	bench_report(name, "parse_ns_per_byte", t * 1e9 / total, "ns");
	t0 = bench_now();
	reps = 0;
	do {
		bench_sink(kernel_memchr_lf(buf, len));
		reps++;
		t = bench_now() - t0;
	} while (t < secs);
	total = (double)len * (double)reps;
	bench_report(name, "memchr_throughput", total / t / 1e6, "MB/s");
	bench_report(name, "memchr_ns_per_line",
		     t * 1e9 / ((double)units * (double)reps), "ns");
	bench_report(name, "bytes_per_command", (double)len / (double)units,
		     "B");
	free(buf);
}

const bench_entry bench_command_list[] = {
	{"command", "command parser on a session mix vs a memchr LF scan", run},
	{0},
};
