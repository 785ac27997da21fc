/*
 * Fuzz target: the client engine (postel_client) driven by hostile server
 * bytes.
 *
 * Input: byte 0 chooses the config (LMTP, pipelining and chunking off,
 * HELO only, STARTTLS policy, strict, small buffers), byte 1 the
 * application (AUTH mechanism, messages, recipients, content and how it
 * is given), byte 2 the split pattern (and, in its low bit, zero-copy
 * content); the rest is what the server sends.
 * The five octets "\x00TLS\x00" mark where the TLS handshake happens, as in
 * test-vectors/client/README.md.
 *
 * The session is run twice: with the server bytes given whole and cut at
 * points chosen by byte 2 (byte by byte for short inputs). Both runs must
 * produce the same commands and the same events (a differential oracle:
 * abort on any difference), and every step must keep the engine's
 * invariants (no output past the buffer, CLOSED is final, replies are
 * well formed, recipient indices in range, no API misuse reported for an
 * application that only answers the decisions it is asked).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/client.h"

#define MARK "\x00TLS\x00"
#define MARK_N 5

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "client fuzz: invariant failed: %s\n", what);
		abort();
	}
}

/* FNV-1a over what a run produced: the command bytes (however they were
 * written) and the events, kept apart. */
typedef struct digest {
	uint64_t out, ev;
	uint64_t out_n, ev_n;
} digest;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

typedef struct app {
	postel_client c;
	postel_client_config cfg;
	char in[16384], out[8192];
	size_t incap, outcap;
	unsigned char conf, beh, zc;
	int msgs, nto, auth_tried, sent, rcpt_i;
	size_t off;
	const char *msg;
	size_t msg_n;
	uint32_t given;
	digest d;
} app;

static const char *const msgs[4] = {
	"Subject: t\r\n\r\nhi\r\n",
	".\r\n..\r\n.x\r\nlast line",
	"caf\xc3\xa9\r\n",
	"bare\nlf\r\n",
};

static void app_init(app *a, const unsigned char *h)
{
	memset(a, 0, sizeof *a);
	a->conf = h[0];
	a->beh = h[1];
	a->zc = h[2] & 1; /* content with postel_client_body_ref() */
	a->cfg.helo = "client.example";
	a->cfg.helo_len = 14;
	a->cfg.flags = a->conf & 15u;
	a->cfg.starttls = (postel_client_tls)((a->conf >> 4) % 3);
	a->cfg.lenient = (a->conf & 64) ? POSTEL_STRICT : POSTEL_LENIENT;
	a->incap = (a->conf & 128) ? 600 : sizeof a->in;
	a->outcap = (a->conf & 128) ? 1024 : sizeof a->out;
	a->cfg.max_reply_line = (a->conf & 128) ? 100 : 0;
	a->cfg.bdat_chunk = (a->beh & 64) ? 5 : 0;
	a->cfg.pipeline_max = (a->beh & 128) ? 2 : 0;
	a->msgs = 1 + (a->beh >> 2 & 1);
	a->nto = 1 + (a->beh >> 3 & 3);
	a->msg = msgs[a->beh >> 5 & 3];
	a->msg_n = strlen(a->msg);
	check(postel_client_init(&a->c, &a->cfg, a->in, a->incap, a->out,
				 a->outcap) == POSTEL_OK,
	      "init");
}

/* POSTEL_FUZZ_DEBUG=1: print the events and commands of each run. */
static int debug = -1;

static void ev_hash(app *a, const postel_client_event *ev)
{
	if (debug)
		fprintf(stderr, "ev %s %s %u rcpt=%u v=%s r=%s\n",
			postel_client_event_name(ev->type),
			postel_client_cmd_name(ev->cmd),
			ev->reply ? ev->reply->code : 0, ev->rcpt,
			postel_violation_name(ev->violation),
			postel_client_refusal_name(ev->refusal));
	uint32_t rec[8] = {(uint32_t)ev->type, (uint32_t)ev->cmd, ev->rcpt,
			   ev->accepted, ev->step, (uint32_t)ev->violation,
			   (uint32_t)ev->refusal, 0};
	if (ev->reply) {
		rec[7] = ev->reply->code;
		a->d.ev = fnv(a->d.ev, ev->reply->raw.p, ev->reply->raw.n);
	}
	if (ev->type == POSTEL_CLIENT_AUTH_CHALLENGE)
		a->d.ev = fnv(a->d.ev, ev->challenge.p, ev->challenge.n);
	a->d.ev = fnv(a->d.ev, rec, sizeof rec);
	a->d.ev_n++;
}

static void check_event(app *a, const postel_client_event *ev)
{
	if (ev->type == POSTEL_CLIENT_REPLY ||
	    ev->type == POSTEL_CLIENT_AUTH_CHALLENGE) {
		check(ev->reply != NULL, "reply event has a reply");
		check(ev->reply->code <= 999,
		      "reply code");
		check(ev->reply->line_count >= 1, "reply lines");
	}
	if (ev->type == POSTEL_CLIENT_REPLY && ev->cmd == POSTEL_CLIENT_CMD_RCPT)
		check(ev->rcpt < a->given, "RCPT reply index");
	if (ev->type == POSTEL_CLIENT_TRANSACTION_END)
		check(ev->accepted <= ev->rcpt, "accepted <= recipients");
	if (ev->type == POSTEL_CLIENT_VIOLATION)
		check(postel_violation_is_fatal(ev->violation) >= 0,
		      "known violation");
	if (ev->ehlo)
		check(ev->ehlo->num_mechs <= POSTEL_CLIENT_EHLO_MECHS,
		      "mechanisms stored");
}

static void act(app *a, const postel_client_event *ev)
{
	postel_status st;
	switch (ev->type) {
	case POSTEL_CLIENT_READY:
		if ((a->beh & 3) && !a->auth_tried) {
			static const char *const mech[] = {"", "PLAIN", "LOGIN",
							   "X-ECHO"};
			a->auth_tried = 1;
			st = postel_client_auth(&a->c, mech[a->beh & 3],
						(a->beh & 3) == 1 ? "\0u\0p" : NULL,
						(a->beh & 3) == 1 ? 4 : 0);
			if (st != POSTEL_INVALID)
				break;
		}
		if (a->sent < a->msgs) {
			postel_client_mail_opts m;
			memset(&m, 0, sizeof m);
			m.from = (postel_span){"a@example.org", 13};
			m.size = a->msg_n;
			m.body = a->msg == msgs[2] ? POSTEL_DATA_BODY_8BITMIME
						   : POSTEL_DATA_BODY_7BIT;
			a->sent++;
			a->rcpt_i = 0;
			a->off = 0;
			a->given = 0;
			st = postel_client_mail(&a->c, &m);
			if (st != POSTEL_INVALID)
				break;
		}
		postel_client_quit(&a->c);
		break;
	case POSTEL_CLIENT_NEED_RCPT:
		check(ev->rcpt == a->given, "NEED_RCPT counts recipients");
		while (a->rcpt_i < a->nto) {
			char to[32];
			int n = snprintf(to, sizeof to, "r%d@example.net",
					 a->rcpt_i);
			st = postel_client_rcpt(&a->c, to, (size_t)n, NULL);
			if (st == POSTEL_OUTPUT_FULL)
				return;
			a->rcpt_i++;
			if (st == POSTEL_OK) {
				a->given++;
				return;
			}
		}
		postel_client_data(&a->c);
		break;
	case POSTEL_CLIENT_NEED_CONTENT: {
		size_t left = a->msg_n - a->off;
		size_t k = (a->beh & 16) && left > 3 ? 3 : left;
		size_t used = 0;
		if (a->zc)
			postel_client_body_ref(&a->c, a->msg + a->off, k,
					       k == left, &used);
		else
			postel_client_body(&a->c, a->msg + a->off, k,
					   k == left, &used);
		check(used <= k, "body used");
		a->off += used;
		break;
	}
	case POSTEL_CLIENT_AUTH_CHALLENGE:
		if (ev->step > 3 ||
		    postel_client_auth_respond(&a->c, ev->challenge.p,
					       ev->challenge.n) == POSTEL_INVALID)
			postel_client_auth_cancel(&a->c);
		break;
	default:
		break;
	}
}

static size_t before_mark(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = n - i < MARK_N ? n - i : MARK_N;
		if (memcmp(p + i, MARK, k) == 0)
			return i;
	}
	return n;
}

/* The driving loop of client.h over the bytes p[0..n); returns what was
 * consumed. */
static size_t drive(app *a, const uint8_t *p, size_t n)
{
	size_t used = 0;
	postel_client_event ev;
	static const uint8_t none[1];
	if (!p)
		p = none;
	for (int guard = 0; guard < 200000; guard++) {
		if (postel_client_next(&a->c, &ev)) {
			check_event(a, &ev);
			ev_hash(a, &ev);
			act(a, &ev);
			continue;
		}
		unsigned st = postel_client_state(&a->c);
		check(!(st & POSTEL_DECIDE), "DECIDE without an event");
		check(!(st & POSTEL_CLOSED) ||
			      !(st & (POSTEL_READ | POSTEL_WRITE | POSTEL_TLS)),
		      "CLOSED is final");
		/* E_ARGUMENT only for content the engine refused to send */
		check(postel_client_last_error(&a->c) != POSTEL_E_STATE &&
			      (postel_client_last_error(&a->c) !=
				       POSTEL_E_ARGUMENT ||
			       postel_client_refused(&a->c) ==
				       POSTEL_CLIENT_REFUSE_BARE_LINE_END ||
			       postel_client_refused(&a->c) ==
				       POSTEL_CLIENT_REFUSE_8BITMIME),
		      "no misuse");
		if (st & POSTEL_WRITE) {
			size_t k;
			const char *o = postel_client_send_buf(&a->c, &k);
			check(o != NULL && k > 0 && k <= a->outcap, "send_buf");
			if (debug)
				fprintf(stderr, "out %.*s", (int)k, o);
			a->d.out = fnv(a->d.out, o, k);
			a->d.out_n += k;
			check(postel_client_send_ack(&a->c, k) == POSTEL_OK,
			      "send_ack");
			continue;
		}
		size_t avail = before_mark(p + used, n - used);
		if (st & POSTEL_TLS) {
			if (n - used >= MARK_N &&
			    memcmp(p + used, MARK, MARK_N) == 0) {
				used += MARK_N;
				check(postel_client_tls_started(&a->c) ==
					      POSTEL_OK,
				      "tls_started");
				continue;
			}
		} else if (!(st & (POSTEL_READ | POSTEL_CLOSED))) {
			break;
		}
		if (avail == 0)
			break;
		size_t room;
		char *in = postel_client_recv_buf(&a->c, &room);
		if (room == 0)
			break;
		if (avail > room)
			avail = room;
		memcpy(in, p + used, avail);
		check(postel_client_recv_ack(&a->c, avail) == POSTEL_OK,
		      "recv_ack");
		used += avail;
	}
	return used;
}

/* Give `s` in pieces ending at `cuts` (ascending), keeping unconsumed
 * bytes in front of the next piece (moved, as a real caller would). */
static digest session(const unsigned char *h, const uint8_t *s, size_t n,
		      const size_t *cuts, size_t ncuts)
{
	static app a;
	static uint8_t pend[1 << 16];
	size_t have = 0, pos = 0;
	app_init(&a, h);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : n;
		memcpy(pend + have, s + pos, end - pos);
		have += end - pos;
		pos = end;
		for (;;) {
			size_t u = drive(&a, pend, have);
			if (u == 0)
				break;
			memmove(pend, pend + u, have - u);
			have -= u;
		}
	}
	if (!(postel_client_state(&a.c) & POSTEL_CLOSED)) {
		postel_client_eof(&a.c);
		drive(&a, NULL, 0);
	}
	check(postel_client_state(&a.c) & POSTEL_CLOSED,
	      "closed after end of input");
	a.d.ev = fnv(a.d.ev, &(uint32_t){(uint32_t)postel_client_last_error(
				     &a.c)},
		     4);
	return a.d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t cuts[1 << 16];
	if (size < 3)
		return 0;
	if (debug < 0)
		debug = getenv("POSTEL_FUZZ_DEBUG") != NULL;
	const unsigned char *h = data;
	const uint8_t *s = data + 3;
	size_t n = size - 3;
	if (n > sizeof cuts / sizeof cuts[0])
		n = sizeof cuts / sizeof cuts[0];
	digest whole = session(h, s, n, NULL, 0);
	size_t nc = 0;
	if (n <= 200) {
		for (size_t i = 1; i < n; i++)
			cuts[nc++] = i; /* byte by byte */
	} else {
		uint32_t x = h[2] * 2654435761u + 1;
		for (size_t i = 1; i < n && nc < sizeof cuts / sizeof cuts[0];) {
			x = x * 1103515245u + 12345u;
			i += 1 + (x >> 16) % (1 + h[2] % 64);
			if (i < n)
				cuts[nc++] = i;
		}
	}
	if (debug)
		fprintf(stderr, "---- split\n");
	digest split = session(h, s, n, cuts, nc);
	check(whole.out == split.out && whole.out_n == split.out_n,
	      "split invariance: commands");
	check(whole.ev == split.ev && whole.ev_n == split.ev_n,
	      "split invariance: events");
	return 0;
}
