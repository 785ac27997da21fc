/*
 * postel-bench server: whole in-memory server sessions (no sockets):
 * EHLO, MAIL, 3 RCPT, DATA with a body, QUIT; every decision accepted,
 * every reply taken, reads of up to 16 KiB.
 *
 *   server        10 KiB DATA body (76-octet lines, some dot-stuffed)
 *   server-tiny   a 12-octet body: the cost of a session beyond its data
 *   server-bdat   the 10 KiB body sent as BDAT 4096 chunks
 *   server-init   postel_server_init() alone (units: inits)
 *
 * Timed runs print NAME.sessions_per_s and NAME.ns_per_session. Under
 * bench/callgrind.sh (POSTEL_BENCH_ONCE=1) each runs its kernel over a
 * fixed number of sessions and prints NAME.bytes (DATA body octets) and
 * NAME.units (sessions), so callgrind gives instructions per session
 * (server-tiny) and, from the difference of server and server-tiny, per
 * DATA octet:
 *
 *   per_byte = (Ir(server)/units - Ir(server-tiny)/units)
 *              / (10240 - 12)
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/postel.h"

#define BODY_BIG 10240u
#define BODY_TINY 12u
#define ONCE_SESSIONS 1000u

typedef struct session_input {
	char *p;
	size_t n;
	size_t body;
} session_input;

/* `body` octets of mail content: 76-octet lines (CRLF included in the
 * count), every 20th starting with a dot. */
static void make_body(char *dst, size_t body)
{
	size_t o = 0, line = 0;
	while (o < body) {
		size_t len = body - o >= 78 ? 76 : body - o - 2;
		for (size_t i = 0; i < len; i++)
			dst[o + i] = (char)('a' + (line + i) % 26);
		if (line % 20 == 7 && len)
			dst[o] = '.';
		o += len;
		dst[o++] = '\r';
		dst[o++] = '\n';
		line++;
	}
}

static void make_input(session_input *si, size_t body, int bdat)
{
	static const char head[] =
		"EHLO client.example.org\r\n"
		"MAIL FROM:<sender@example.org> SIZE=10240 BODY=8BITMIME\r\n"
		"RCPT TO:<one@example.net>\r\n"
		"RCPT TO:<two@example.net>\r\n"
		"RCPT TO:<three@example.net>\r\n";
	char *content = malloc(body);
	si->p = malloc(sizeof head + 2 * body + 4096);
	if (!si->p || !content)
		abort();
	make_body(content, body);
	size_t o = sizeof head - 1;
	memcpy(si->p, head, o);
	if (!bdat) {
		/* dot-stuffed (RFC 5321 §4.5.2), ended by "." CRLF */
		memcpy(si->p + o, "DATA\r\n", 6);
		o += 6;
		for (size_t i = 0; i < body; i++) {
			if (content[i] == '.' &&
			    (i == 0 || content[i - 1] == '\n'))
				si->p[o++] = '.';
			si->p[o++] = content[i];
		}
		memcpy(si->p + o, ".\r\n", 3);
		o += 3;
	} else {
		for (size_t off = 0; off < body;) {
			size_t k = body - off > 4096 ? 4096 : body - off;
			o += (size_t)sprintf(si->p + o, "BDAT %zu%s\r\n", k,
					     off + k == body ? " LAST" : "");
			memcpy(si->p + o, content + off, k);
			o += k;
			off += k;
		}
	}
	memcpy(si->p + o, "QUIT\r\n", 6);
	o += 6;
	si->n = o;
	si->body = body;
	free(content);
}

/* Stands for read(2): the copy into the engine's buffer is the kernel's
 * work, not the engine's. Its name matches bench/callgrind.sh's kernel_*
 * pattern on purpose: callgrind's --toggle-collect turns collection off on
 * entering it (nested inside a counted kernel) and on again on leaving, so
 * the copy (a `rep movsb` that callgrind counts once per octet) is not in
 * the figures. Timed runs include it. */
BENCH_KERNEL void kernel_uncounted_read(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

static postel_server srv;
static unsigned char inbuf[16384], outbuf[4096];
static postel_server_config cfg;

/* One whole session; returns content octets seen (kept alive). */
static uint64_t one_session(const char *in, size_t n)
{
	postel_server_event ev;
	uint64_t seen = 0;
	size_t off = 0;
	postel_server_reset(&srv);
	for (;;) {
		unsigned st = postel_server_state(&srv);
		if (st & POSTEL_CLOSED)
			break;
		size_t k;
		if (postel_server_send_buf(&srv, &k))
			postel_server_send_ack(&srv, k);
		while (postel_server_next(&srv, &ev)) {
			if (ev.type == POSTEL_SERVER_EV_CONTENT)
				seen += ev.data.n;
			else if (ev.decide)
				postel_server_accept(&srv);
		}
		st = postel_server_state(&srv);
		if (st & POSTEL_READ) {
			unsigned char *p = postel_server_recv_buf(&srv, &k);
			if (off == n) {
				postel_server_eof(&srv);
				continue;
			}
			if (k > n - off)
				k = n - off;
			kernel_uncounted_read(p, in + off, k);
			postel_server_recv_ack(&srv, k);
			off += k;
		}
	}
	return seen;
}

BENCH_KERNEL uint64_t kernel_server_sessions(const char *in, size_t n,
					      unsigned count)
{
	uint64_t seen = 0;
	for (unsigned i = 0; i < count; i++)
		seen += one_session(in, n);
	return seen;
}

static void setup(void)
{
	postel_server_config_default(&cfg);
	cfg.hostname = "mx.example.org";
	cfg.extensions = POSTEL_SERVER_EXT_DEFAULT;
	cfg.lenient = POSTEL_LENIENT;
	if (postel_server_init(&srv, &cfg, inbuf, sizeof inbuf, outbuf,
			       sizeof outbuf) != POSTEL_OK)
		abort();
}

static void run(const char *name)
{
	session_input si;
	int tiny = strcmp(name, "server-tiny") == 0;
	int bdat = strcmp(name, "server-bdat") == 0;
	setup();
	make_input(&si, tiny ? BODY_TINY : BODY_BIG, bdat);
	/* sanity: the body arrives whole */
	if (one_session(si.p, si.n) != si.body) {
		fprintf(stderr, "bench server: content mismatch\n");
		exit(1);
	}
	if (bench_once()) {
		bench_sink(kernel_server_sessions(si.p, si.n, ONCE_SESSIONS));
		bench_report(name, "bytes", (double)si.body * ONCE_SESSIONS,
			     "B");
		bench_report(name, "units", ONCE_SESSIONS, "sessions");
		free(si.p);
		return;
	}
	unsigned batch = 256;
	uint64_t sessions = 0;
	double t0 = bench_now(), t;
	do {
		bench_sink(kernel_server_sessions(si.p, si.n, batch));
		sessions += batch;
		t = bench_now() - t0;
	} while (t < bench_seconds());
	bench_report(name, "sessions_per_s", (double)sessions / t, "1/s");
	bench_report(name, "ns_per_session", t * 1e9 / (double)sessions, "ns");
	bench_report(name, "data_gbps",
		     (double)si.body * (double)sessions / t / 1e9, "GB/s");
	free(si.p);
}

/* postel_server_init() alone: what a server that starts each connection
 * with init (as the examples do) pays on top of a session started with
 * reset. */
BENCH_KERNEL uint64_t kernel_server_init(unsigned count)
{
	uint64_t ok = 0;
	for (unsigned i = 0; i < count; i++)
		ok += postel_server_init(&srv, &cfg, inbuf, sizeof inbuf,
					 outbuf, sizeof outbuf) == POSTEL_OK;
	return ok;
}

static void run_init(const char *name)
{
	setup();
	if (bench_once()) {
		bench_sink(kernel_server_init(ONCE_SESSIONS));
		bench_report(name, "units", ONCE_SESSIONS, "inits");
		return;
	}
	unsigned batch = 1024;
	uint64_t n = 0;
	double t0 = bench_now(), t;
	do {
		bench_sink(kernel_server_init(batch));
		n += batch;
		t = bench_now() - t0;
	} while (t < bench_seconds());
	bench_report(name, "ns_per_init", t * 1e9 / (double)n, "ns");
}

const bench_entry bench_server_list[] = {
	{"server", "server sessions: EHLO, MAIL, 3 RCPT, 10 KiB DATA, QUIT",
	 run},
	{"server-tiny", "server sessions with a 12-octet body (per-session "
			"cost)",
	 run},
	{"server-bdat", "server sessions, 10 KiB body in BDAT 4096 chunks",
	 run},
	{"server-init", "postel_server_init alone (the default config)",
	 run_init},
	{0}
};
