/*
 * Fuzz target: the server engine driven by arbitrary client bytes and
 * arbitrary decisions.
 *
 * Input layout:
 *   byte 0     configuration bits (see setup())
 *   byte 1-2   decision seed: every decision the application takes is drawn
 *              from a PRNG seeded by these bytes
 *   byte 3-4   a cut point (modulo the client bytes) for the split run
 *   byte 5     a second cut point scale / read size for the split run
 *   rest       the client's bytes
 *
 * Oracles (abort on failure):
 *   - every reply is well-formed: three digits 2-5/0-5/0-9, ' ' or '-',
 *     CRLF, at most 512 octets, the same code on every line of a
 *     multi-line reply (RFC 5321 §4.2, §4.5.3.1.5);
 *   - each answer the application gives produces a reply of the class it
 *     asked for, first in line after what was queued before (in order);
 *   - the state is consistent: CLOSED alone, no event after CLOSED, no
 *     READ without room, TLS only with the output flushed, no event while
 *     a decision is pending;
 *   - every MAIL and RCPT path the engine hands on can be written into
 *     the trace fields (Return-Path, Received "for"), so a receiver never
 *     has to refuse a sender it accepted (RFC 5321 §4.4);
 *   - split invariance: the same input delivered in other pieces gives the
 *     same events and the same reply bytes. The client is modelled as
 *     RFC-abiding in what depends on arrival time (it waits for each reply
 *     when PIPELINING is not in effect and after STARTTLS), so only
 *     arrival-independent behaviour is compared; early-talker reports are
 *     lenient and left out of the comparison.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/postel.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "fuzz-server: %s:%d: %s\n", __FILE__,  \
				__LINE__, #c);                                 \
			abort();                                               \
		}                                                              \
	} while (0)

typedef struct run {
	postel_server s;
	uint64_t rng;
	uint64_t hash;     /* of the log: events and reply bytes */
	size_t log_n;
	/* reply checker */
	int in_reply;      /* inside a multi-line reply */
	unsigned code;     /* its code */
	size_t line_len;   /* octets of the current line so far */
	char line[520];
	size_t replies;    /* complete replies seen */
	unsigned last_code;
	int closed;
	/* buffers last: session() clears what is before them */
	unsigned char in[2048];
	unsigned char out[4096];
} run;

static uint64_t rnd(run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/* FUZZ_SERVER_TRACE=1 prints what is hashed (to compare two runs). */
static int trace = -1;

static void hash_bytes(run *r, const void *p, size_t n)
{
	const unsigned char *b = p;
	if (trace < 0)
		trace = getenv("FUZZ_SERVER_TRACE") != NULL;
	if (trace) {
		fprintf(stderr, "[");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, b[i] >= 0x20 && b[i] < 0x7f ? "%c"
								    : "\\x%02x",
				b[i]);
		fprintf(stderr, "]\n");
	}
	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ b[i]) * 1099511628211ull;
	r->log_n += n;
}

static void hash_u(run *r, uint64_t v)
{
	hash_bytes(r, &v, sizeof v);
}

/* Feed output bytes to the reply checker (RFC 5321 §4.2). */
static void check_output(run *r, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		CHECK(r->line_len < 512);
		r->line[r->line_len++] = (char)c;
		if (c != '\n')
			continue;
		size_t len = r->line_len;
		const char *l = r->line;
		r->line_len = 0;
		CHECK(len >= 6 && l[len - 2] == '\r');
		CHECK(l[0] >= '2' && l[0] <= '5');
		CHECK(l[1] >= '0' && l[1] <= '5');
		CHECK(l[2] >= '0' && l[2] <= '9');
		CHECK(l[3] == ' ' || l[3] == '-');
		for (size_t k = 4; k + 2 < len; k++)
			CHECK(l[k] == '\t' ||
			      ((unsigned char)l[k] >= 0x20 &&
			       (unsigned char)l[k] < 0x7f));
		unsigned code = (unsigned)((l[0] - '0') * 100 +
					   (l[1] - '0') * 10 + (l[2] - '0'));
		if (r->in_reply)
			CHECK(code == r->code);
		r->code = code;
		r->in_reply = l[3] == '-';
		if (!r->in_reply) {
			r->replies++;
			r->last_code = code;
		}
	}
}

static void drain(run *r)
{
	size_t n;
	const unsigned char *p = postel_server_send_buf(&r->s, &n);
	if (!n)
		return;
	check_output(r, p, n);
	hash_bytes(r, p, n);
	CHECK(postel_server_send_ack(&r->s, n) == POSTEL_OK);
}

static void check_state(run *r)
{
	unsigned st = postel_server_state(&r->s);
	if (st & POSTEL_CLOSED)
		CHECK(st == POSTEL_CLOSED);
	if (st & POSTEL_READ) {
		size_t room;
		CHECK(postel_server_recv_buf(&r->s, &room) && room > 0);
	}
	if (st & POSTEL_TLS) {
		size_t n;
		postel_server_send_buf(&r->s, &n);
		CHECK(n == 0);
	}
}

/* Answer a decision with something drawn from the PRNG; check that the
 * reply that comes out has the class asked for and is the next one. */
static void decide(run *r, const postel_server_event *ev)
{
	size_t before_replies;
	drain(r);
	CHECK(!r->in_reply);
	before_replies = r->replies;
	uint64_t x = rnd(r);
	unsigned pick = (unsigned)(x % 16);
	postel_status st;
	int positive = 1, challenge = 0;
	/* a bad answer first: must be refused and change nothing */
	if (pick == 15) {
		CHECK(postel_server_reject(&r->s, 250, NULL, NULL) ==
		      POSTEL_E_ARGUMENT);
		CHECK(postel_server_reject(&r->s, 550, "4.0.0", NULL) ==
		      POSTEL_E_ARGUMENT);
		CHECK(postel_server_reply(&r->s, 550, NULL, "a\r\nb") ==
		      POSTEL_E_ARGUMENT);
		size_t n;
		postel_server_send_buf(&r->s, &n);
		CHECK(n == 0);
		pick = 0;
	}
	if (ev->type == POSTEL_SERVER_EV_AUTH && pick >= 10 && pick < 14 &&
	    ev->index < 5) {
		char data[16];
		size_t dn = (size_t)(x >> 8) % sizeof data;
		for (size_t i = 0; i < dn; i++)
			data[i] = (char)(x >> (i % 8));
		st = postel_server_auth_challenge(&r->s, data, dn);
		challenge = 1;
	} else if (pick < 9) {
		st = postel_server_accept(&r->s);
		positive = ev->type != POSTEL_SERVER_EV_UNKNOWN;
	} else if (pick < 12) {
		st = postel_server_reject(&r->s, 0, NULL, NULL);
		positive = 0;
	} else if (pick < 13) {
		static const unsigned codes[] = {450, 451, 452, 550, 553, 554};
		unsigned c = codes[(x >> 8) % 6];
		if (ev->type == POSTEL_SERVER_EV_CONNECT)
			c = 554;
		st = postel_server_reject(&r->s, c, NULL, "policy\nsecond line");
		if (st == POSTEL_E_ARGUMENT) /* multi-line not allowed here */
			st = postel_server_reject(&r->s, c, NULL, "policy");
		positive = 0;
	} else if (pick < 14 && ev->type != POSTEL_SERVER_EV_CONNECT) {
		st = postel_server_reject(&r->s, 421, NULL, NULL);
		positive = 0;
	} else {
		st = postel_server_accept(&r->s);
		positive = ev->type != POSTEL_SERVER_EV_UNKNOWN;
	}
	CHECK(st == POSTEL_OK);
	hash_u(r, 0xdec1de00u + pick);
	CHECK(postel_server_accept(&r->s) == POSTEL_E_STATE);
	size_t n;
	const unsigned char *p = postel_server_send_buf(&r->s, &n);
	CHECK(n >= 6);
	/* the first new reply answers this decision */
	unsigned c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 +
				(p[2] - '0'));
	if (challenge)
		CHECK(c == 334);
	else if (positive)
		CHECK(c < 400);
	else
		CHECK(c >= 400);
	drain(r);
	CHECK(r->replies > before_replies);
}

/* The trace writer takes every path the engine hands on. */
static void check_trace(const postel_server_event *ev)
{
	size_t n;
	if (ev->type == POSTEL_SERVER_EV_MAIL) {
		CHECK(postel_trace_return_path(ev->arg, NULL, 0, &n) !=
		      POSTEL_E_ARGUMENT);
	} else if (ev->type == POSTEL_SERVER_EV_RCPT) {
		postel_trace t;
		memset(&t, 0, sizeof t);
		t.by = "mx.example.org";
		t.date = "Mon, 7 Dec 2026 23:00:00 +0000";
		t.for_path = ev->arg;
		CHECK(postel_trace_received(&t, NULL, 0, &n) !=
		      POSTEL_E_ARGUMENT);
	}
}

static void log_event(run *r, const postel_server_event *ev)
{
	check_trace(ev);
	if (ev->type == POSTEL_SERVER_EV_CONTENT) {
		/* partial spans: their bytes count, not where they are cut
		 * (FNV over the concatenation is the same for any cuts) */
		hash_bytes(r, ev->data.p, ev->data.n);
		return;
	}
	if (ev->type == POSTEL_SERVER_EV_VIOLATION) {
		/* a VIOLATION event that only reports arrival-dependent
		 * things is itself arrival-dependent: not compared */
		unsigned other = 0;
		for (unsigned i = 0; i < ev->violations.n; i++)
			other += ev->violations.id[i] != POSTEL_V_EARLY_TALKER &&
				 ev->violations.id[i] !=
					 POSTEL_V_UNSOLICITED_PIPELINING;
		if (!other && !ev->violations.lost)
			return;
	}
	hash_u(r, (uint64_t)ev->type << 32 | (uint64_t)ev->decide);
	hash_bytes(r, ev->arg.p, ev->arg.n);
	hash_bytes(r, ev->line.p, ev->line.n);
	if (ev->type != POSTEL_SERVER_EV_VIOLATION)
		hash_bytes(r, ev->data.p, ev->data.n);
	hash_u(r, ev->size);
	hash_u(r, (uint64_t)ev->index << 32 | ev->count);
	hash_u(r, (uint64_t)ev->verdict << 32 | ev->code);
	for (unsigned i = 0; i < ev->violations.n; i++) {
		unsigned v = ev->violations.id[i];
		/* arrival-dependent reports are not compared */
		if (v == POSTEL_V_EARLY_TALKER ||
		    v == POSTEL_V_UNSOLICITED_PIPELINING)
			continue;
		hash_u(r, v);
	}
}

static void pump(run *r)
{
	postel_server_event ev;
	for (int guard = 0; guard < 100000; guard++) {
		drain(r);
		check_state(r);
		unsigned st = postel_server_state(&r->s);
		if (st & POSTEL_CLOSED) {
			CHECK(postel_server_next(&r->s, &ev) == 0);
			if (!r->closed)
				hash_u(r, 0xc105edu + postel_server_last_error(
							      &r->s));
			r->closed = 1;
			return;
		}
		if (postel_server_next(&r->s, &ev)) {
			drain(r);
			if (ev.type == POSTEL_SERVER_EV_CONTENT) {
				/* content: a span into the input, never empty */
				CHECK(ev.data.n > 0);
			}
			log_event(r, &ev);
			if (ev.decide) {
				postel_server_event ev2;
				CHECK(postel_server_next(&r->s, &ev2) == 0);
				CHECK(postel_server_state(&r->s) &
				      POSTEL_DECIDE);
				decide(r, &ev);
			}
			continue;
		}
		st = postel_server_state(&r->s);
		if (st & POSTEL_TLS) {
			CHECK(postel_server_tls_started(&r->s) == POSTEL_OK);
			hash_u(r, 0x715);
			continue;
		}
		if (st & (POSTEL_WRITE | POSTEL_DECIDE))
			continue;
		return;
	}
	CHECK(!"engine does not settle");
}

static postel_server_config cfg;
static const char *const extra[] = {"XFOO BAR"};

static void setup(uint8_t b)
{
	postel_server_config_default(&cfg);
	cfg.hostname = "mx.example.org";
	cfg.extensions = POSTEL_SERVER_EXT_DEFAULT | POSTEL_SERVER_EXT_ETRN |
			 POSTEL_SERVER_EXT_DELIVERBY |
			 POSTEL_SERVER_EXT_MT_PRIORITY;
	/* early-talker reports depend on arrival: lenient, not compared */
	cfg.lenient = (b & 1) ? POSTEL_LENIENT : POSTEL_LENIENT_EARLY_TALKER;
	if (b & 2)
		cfg.flags |= POSTEL_SERVER_LMTP;
	if (b & 4) {
		cfg.extensions |= POSTEL_SERVER_EXT_AUTH;
		cfg.auth_mechanisms = "PLAIN LOGIN CRAM-MD5";
	}
	if (b & 8)
		cfg.extensions |= POSTEL_SERVER_EXT_STARTTLS |
				  POSTEL_SERVER_EXT_REQUIRETLS;
	if (b & 16)
		cfg.extensions &= ~(uint32_t)POSTEL_SERVER_EXT_PIPELINING;
	if (b & 32) {
		cfg.max_size = 64;
		cfg.max_recipients = 3;
		cfg.max_errors = 5;
		cfg.max_transactions = 2;
	}
	if (b & 64) {
		cfg.extra = extra;
		cfg.extra_n = 1;
	}
	if (b & 128)
		cfg.flags |= (b & 4) ? POSTEL_SERVER_AUTH_REQUIRED
				     : POSTEL_SERVER_TLS_REQUIRED;
}

static int starttls_at(const unsigned char *p, size_t n)
{
	static const char st[] = "STARTTLS";
	if (n < 8)
		return 0;
	for (size_t j = 0; j < 8; j++)
		if ((p[j] & ~0x20) != st[j])
			return 0;
	return 1;
}

/* the line ends with STARTTLS, then only SP, HT, CR and LF */
static int starttls_ends(const unsigned char *p, size_t n)
{
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' ||
		     p[n - 1] == '\t'))
		n--;
	return n >= 8 && starttls_at(p + n - 8, 8);
}

/* The client model: how many of the bytes from `off` the client has sent
 * by now. It waits for replies where the RFCs make it wait: without
 * PIPELINING after every line, and always after a STARTTLS line.
 * Boundaries are positions in the whole input (a line that began in an
 * earlier piece still counts), so extra cuts never change them. */
static size_t client_unit(const run *r, const unsigned char *p, size_t n,
			  size_t off)
{
	const unsigned char *lf = memchr(p + off, '\n', n - off);
	if (!lf)
		return n - off;
	if (!postel_server_pipelining(&r->s))
		return (size_t)(lf - p) + 1 - off;
	/* the end of the first line at or after `off` that starts or ends
	 * with STARTTLS (case-insensitive), lines counted from the start:
	 * a command may begin inside an LF-line, after the octets of a BDAT
	 * chunk, but it always ends the line */
	size_t i = 0;
	while (i < n) {
		const unsigned char *e = memchr(p + i, '\n', n - i);
		size_t end = e ? (size_t)(e - p) + 1 : n;
		if (end > off && (starttls_at(p + i, end - i) ||
				  starttls_ends(p + i, end - i)))
			return end - off;
		i = end;
	}
	return n - off;
}

/* Deliver `p[0..n)` with extra cuts at `cut` (0: none) and reads of at
 * most `chunk` bytes (0: unlimited). */
static void session(run *r, const unsigned char *p, size_t n, size_t cut,
		    size_t chunk, uint64_t seed)
{
	memset(r, 0, offsetof(run, in));
	r->rng = seed | 1;
	r->hash = 1469598103934665603ull;
	CHECK(postel_server_init(&r->s, &cfg, r->in, sizeof r->in, r->out,
				 sizeof r->out) == POSTEL_OK);
	pump(r);
	size_t off = 0;
	while (off < n && !r->closed) {
		size_t k = client_unit(r, p, n, off);
		if (cut > off && cut < off + k)
			k = cut - off;
		if (chunk && k > chunk)
			k = chunk;
		size_t room;
		unsigned char *dst = postel_server_recv_buf(&r->s, &room);
		if (room == 0) {
			pump(r);
			dst = postel_server_recv_buf(&r->s, &room);
			if (room == 0)
				break;
		}
		if (k > room)
			k = room;
		memcpy(dst, p + off, k);
		CHECK(postel_server_recv_ack(&r->s, k) == POSTEL_OK);
		off += k;
		pump(r);
	}
	if (!r->closed) {
		postel_server_eof(&r->s);
		hash_u(r, 0xe0f);
		pump(r);
	}
	CHECK(postel_server_state(&r->s) == POSTEL_CLOSED);
}

static run r1, r2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6)
		return 0;
	setup(data[0]);
	uint64_t seed = (uint64_t)data[1] << 8 | data[2];
	size_t n = size - 6;
	const unsigned char *p = data + 6;
	if (n > 65536)
		return 0;
	session(&r1, p, n, 0, 0, seed);
	size_t cut = n ? ((size_t)data[3] << 8 | data[4]) % (n + 1) : 0;
	size_t chunk = data[5] % 17; /* 0: whole units; else small reads */
	session(&r2, p, n, cut, chunk, seed);
	CHECK(r1.hash == r2.hash);
	CHECK(r1.replies == r2.replies);
	return 0;
}
