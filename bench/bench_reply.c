/*
 * Reply parser and EHLO capability benchmarks.
 *
 *   reply: postel_reply_parse over a realistic server reply stream (the
 *          greeting, a 7-line EHLO reply, MAIL/RCPT/DATA/final replies
 *          with enhanced status codes, QUIT), repeated. Figures: MB/s,
 *          ns per reply; in once-mode reply.parse.bytes and
 *          reply.parse.units (replies) for bench/callgrind.sh.
 *   ehlo:  postel_ehlo_parse on that EHLO reply; ns per reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "postel/ehlo.h"
#include "postel/reply.h"

static const char session[] =
	"220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n"
	"250-mx.example.org\r\n"
	"250-PIPELINING\r\n"
	"250-SIZE 10240000\r\n"
	"250-STARTTLS\r\n"
	"250-ENHANCEDSTATUSCODES\r\n"
	"250-8BITMIME\r\n"
	"250 SMTPUTF8\r\n"
	"250 2.1.0 Ok\r\n"
	"250 2.1.5 Ok\r\n"
	"354 End data with <CR><LF>.<CR><LF>\r\n"
	"250 2.0.0 Ok: queued as 4BqL2X0Qk9z9vDb\r\n"
	"221 2.0.0 Bye\r\n";
#define SESSION_REPLIES 7
#define REPEAT 64

static char stream[REPEAT * sizeof session];
static size_t stream_n;

static void build(void)
{
	if (stream_n)
		return;
	for (int i = 0; i < REPEAT; i++) {
		memcpy(stream + stream_n, session, sizeof session - 1);
		stream_n += sizeof session - 1;
	}
}

/* Parse every reply of `s`; returns the number of replies. */
BENCH_KERNEL uint64_t kernel_reply_parse(postel_reply_parser *p, const char *s,
					 size_t n)
{
	postel_span lines[16];
	postel_reply r;
	uint64_t replies = 0;
	size_t off = 0;
	while (off < n) {
		size_t used;
		r.lines = lines;
		r.num_lines = 16;
		if (postel_reply_parse(p, s + off, n - off, &r, &used) !=
		    POSTEL_OK)
			abort();
		off += used;
		replies++;
	}
	return replies;
}

static void run_reply(const char *name)
{
	postel_reply_parser p;
	uint64_t units = 0, bytes = 0;
	double t0, t;
	build();
	postel_reply_parser_init(&p, NULL);
	if (bench_once()) {
		units = kernel_reply_parse(&p, stream, stream_n);
		if (units != (uint64_t)REPEAT * SESSION_REPLIES)
			abort();
		bench_report(name, "parse.bytes", (double)stream_n, "B");
		bench_report(name, "parse.units", (double)units, "replies");
		return;
	}
	t0 = bench_now();
	do {
		for (int i = 0; i < 16; i++) {
			units += kernel_reply_parse(&p, stream, stream_n);
			bytes += stream_n;
		}
		t = bench_now() - t0;
	} while (t < bench_seconds());
	bench_sink(units);
	bench_report(name, "throughput", (double)bytes / t / 1e6, "MB/s");
	bench_report(name, "ns_per_reply", t * 1e9 / (double)units, "ns");
	bench_report(name, "ns_per_byte", t * 1e9 / (double)bytes, "ns");
}

BENCH_KERNEL uint64_t kernel_ehlo_parse(postel_ehlo *e, const postel_reply *r)
{
	if (postel_ehlo_parse(e, r, POSTEL_LENIENT) != POSTEL_OK)
		abort();
	return e->caps;
}

static void run_ehlo(const char *name)
{
	static const char ehlo[] =
		"250-mx.example.org Hello client.example.net [192.0.2.1]\r\n"
		"250-PIPELINING\r\n"
		"250-SIZE 10240000\r\n"
		"250-ETRN\r\n"
		"250-STARTTLS\r\n"
		"250-AUTH PLAIN LOGIN\r\n"
		"250-AUTH=PLAIN LOGIN\r\n"
		"250-ENHANCEDSTATUSCODES\r\n"
		"250-8BITMIME\r\n"
		"250-DSN\r\n"
		"250-SMTPUTF8\r\n"
		"250 CHUNKING\r\n";
	postel_reply_parser p;
	postel_span lines[16], mechs[8];
	postel_reply r;
	postel_ehlo e;
	size_t used;
	uint64_t units = 0;
	double t0, t;
	postel_reply_parser_init(&p, NULL);
	r.lines = lines;
	r.num_lines = 16;
	if (postel_reply_parse(&p, ehlo, sizeof ehlo - 1, &r, &used) !=
	    POSTEL_OK)
		abort();
	e.mechs = mechs;
	e.num_mechs = 8;
	e.unknown = NULL;
	e.num_unknown = 0;
	if (bench_once()) {
		bench_sink(kernel_ehlo_parse(&e, &r));
		bench_report(name, "parse.bytes", (double)used, "B");
		bench_report(name, "parse.units", 1, "replies");
		return;
	}
	t0 = bench_now();
	do {
		for (int i = 0; i < 1024; i++) {
			e.num_mechs = 8;
			units += kernel_ehlo_parse(&e, &r) != 0;
		}
		t = bench_now() - t0;
	} while (t < bench_seconds());
	bench_sink(units);
	bench_report(name, "ns_per_reply", t * 1e9 / (double)units, "ns");
}

const bench_entry bench_reply_list[] = {
	{"reply", "reply parser: realistic SMTP session reply stream",
	 run_reply},
	{"ehlo", "EHLO capability parse of a 12-line reply", run_ehlo},
	{0, 0, 0},
};
