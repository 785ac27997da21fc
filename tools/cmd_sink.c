/*
 * postel sink — the reference SMTP/LMTP server built on the postel server
 * engine (postel/server.h).
 *
 * One thread, one epoll loop, many sessions. The engine does the whole
 * protocol; this file only moves bytes (sockets, TLS through tools/tls.c),
 * keeps the clock (a one-second timer wheel armed from
 * postel_server_timeout()), stores messages (tools/maildir.c, trace lines
 * from postel/trace.h) and answers the engine's decisions: everything
 * well-formed is accepted, AUTH is checked against --auth credentials.
 *
 * Sockets are registered once, edge-triggered, for input and output; a
 * session is driven until it would block (or until its budget per turn
 * is spent, then it waits on the ready list so that one busy client does
 * not starve the others).
 *
 * A message reaches DIR/new/ only when the engine's final 250 is decided
 * (fsync, then rename); a message in progress at a reset, a disconnect or
 * shutdown (SIGINT/SIGTERM) is unlinked from DIR/tmp/.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "postel/server.h"
#include "postel/trace.h"

#include "maildir.h"
#include "net.h"
#include "tls.h"
#include "wheel.h"

const char cmd_sink_usage[] =
	"sink [--listen ADDR:PORT] [--maildir DIR | --discard] "
	"[--strict | --lenient] [--lmtp] [--hostname NAME] "
	"[--max-size BYTES] [--tls-cert PEM --tls-key PEM] "
	"[--auth USER:PASS]... [--max-sessions N] [--timeout SECONDS] "
	"[--quiet]";

#define SINK_INBUF 4096u       /* a command line plus what is pipelined */
#define SINK_INBUF_AUTH 16384u /* RFC 4954 §4: 12288-octet SASL lines */
#define SINK_OUTBUF 2048u      /* replies, batched per pipelined group */
#define SINK_BUDGET 32         /* reads per session per turn */
#define SINK_DEFAULT_MAX_SIZE (64u << 20)

/* ---------------------------------------------------------------- types */

typedef struct cred {
	const char *user, *pass;
} cred;

typedef struct session session;

typedef struct sink {
	int ep, lfd, sigfd;
	int quiet, discard, accepting;
	maildir md;
	ptls_ctx *tls;
	postel_server_config cfg;
	size_t incap, outcap;
	cred *creds;
	size_t ncreds;
	wheel timers;
	session *all;   /* every live session */
	session *ready; /* sessions with work left after their budget */
	unsigned long long next_id;
	size_t live, max_sessions;
	unsigned long long stored, discarded, failed;
	uint64_t now; /* monotonic seconds */
	uint64_t resume_at; /* when to watch the listening socket again */
	unsigned timeout;   /* seconds; 0: the RFC 5321 §4.5.3.2 values */
} sink;

struct session {
	postel_server srv;
	wheel_node timer;
	session *prev, *next;   /* sink.all */
	session *ready_next;    /* sink.ready */
	int fd;
	unsigned char in_ready; /* on the ready list */
	unsigned char wblocked; /* waiting for EPOLLOUT */
	unsigned char dead;
	int auth_user;          /* LOGIN: index of the user named, -1 none */
	postel_timeout tmo;
	unsigned long long id;
	unsigned msgs;
	ptls *tls;
	char *txn;              /* Return-Path line + first recipient */
	size_t txn_rp;          /* length of the Return-Path line in txn */
	maildir_msg msg;
	net_addr peer;
	unsigned char *inbuf, *outbuf; /* allocated with the session */
};

/* One scratch buffer for ciphertext reads: the loop is single-threaded. */
static unsigned char scratch[16384];

/* ---------------------------------------------------------------- logging */

static void slog(const sink *k, const session *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void slog(const sink *k, const session *s, const char *fmt, ...)
{
	va_list ap;
	if (k->quiet)
		return;
	if (s != NULL)
		fprintf(stderr, "postel sink: #%llu ", s->id);
	else
		fputs("postel sink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Printable rendering of peer bytes for the log (at most 200 of them). */
static const char *esc(postel_span sp, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < sp.n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)sp.p[i];
		if (i == 200) {
			o += (size_t)snprintf(buf + o, cap - o, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- helpers */

static uint64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void rfc5322_date(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	/* RFC 5322 §3.3 date-time with a numeric zone (RFC 5321 §4.4) */
	if (strftime(buf, cap, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(buf, cap, "Thu, 01 Jan 1970 00:00:00 +0000");
}

static void set_ready(sink *k, session *s)
{
	if (s->in_ready)
		return;
	s->in_ready = 1;
	s->ready_next = k->ready;
	k->ready = s;
}

/* ---------------------------------------------------------------- storage */

static void txn_drop(sink *k, session *s)
{
	if (maildir_msg_open(&s->msg))
		maildir_abort(&k->md, &s->msg);
	free(s->txn);
	s->txn = NULL;
	s->txn_rp = 0;
}

/* MAIL accepted: keep the Return-Path line for the trace. */
static int txn_mail(session *s, postel_span path)
{
	size_t need = path.n + 32, len = 0;
	free(s->txn);
	s->txn = malloc(need);
	if (s->txn == NULL)
		return -1;
	if (postel_trace_return_path(path, s->txn, need, &len) != POSTEL_OK) {
		free(s->txn);
		s->txn = NULL;
		return -1;
	}
	s->txn_rp = len;
	s->txn[len] = '\0';
	return 0;
}

/* First RCPT accepted: keep it for the Received "for" clause. */
static void txn_rcpt(session *s, postel_span path, uint32_t before)
{
	char *p;
	if (s->txn == NULL || before != 0)
		return;
	p = realloc(s->txn, s->txn_rp + path.n + 1);
	if (p == NULL)
		return;
	memcpy(p + s->txn_rp, path.p, path.n);
	p[s->txn_rp + path.n] = '\0';
	s->txn = p;
}

/* Open the message file with its trace lines (idempotent). */
static int msg_open(sink *k, session *s)
{
	char received[2048], addr[NET_ADDRSTRLEN + 8], ip[NET_ADDRSTRLEN],
		date[64], id[48], *prefix;
	postel_trace t;
	size_t rlen = 0, plen;
	int r;
	if (k->discard || maildir_msg_open(&s->msg))
		return 0;
	postel_trace_from_server(&t, &s->srv);
	net_format_ip(&s->peer, ip, sizeof ip);
	snprintf(addr, sizeof addr, "%s%s",
		 s->peer.ss.ss_family == AF_INET6 ? "IPv6:" : "", ip);
	t.client_addr = addr;
	t.by_comment = "postel";
	snprintf(id, sizeof id, "S%lluM%u", s->id, s->msgs + 1);
	t.id = id;
	rfc5322_date(date, sizeof date);
	t.date = date;
	if (s->txn != NULL && postel_server_recipients(&s->srv) == 1 &&
	    s->txn[s->txn_rp] != '\0') {
		t.for_path.p = s->txn + s->txn_rp;
		t.for_path.n = strlen(s->txn + s->txn_rp);
	}
	if (postel_trace_received(&t, received, sizeof received, &rlen) !=
	    POSTEL_OK) {
		t.for_path.n = 0; /* e.g. a recipient the trace cannot hold */
		if (postel_trace_received(&t, received, sizeof received,
					  &rlen) != POSTEL_OK)
			rlen = 0;
	}
	plen = s->txn_rp + rlen;
	prefix = malloc(plen + 1);
	if (prefix == NULL)
		return -1;
	if (s->txn_rp)
		memcpy(prefix, s->txn, s->txn_rp);
	memcpy(prefix + s->txn_rp, received, rlen);
	r = maildir_begin(&k->md, &s->msg, prefix, plen);
	free(prefix);
	if (r != 0) {
		slog(k, s, "error: maildir: %s", strerror(errno));
		maildir_abort(&k->md, &s->msg);
	}
	return r;
}

/* The final 250 is being decided: make the message durable first.
 * 0: stored (or discarded), -1: failed. */
static int msg_commit(sink *k, session *s, uint64_t size)
{
	if (k->discard) {
		k->discarded++;
		slog(k, s, "message discarded (%llu octets)",
		     (unsigned long long)size);
		return 0;
	}
	if (msg_open(k, s) != 0 || maildir_commit(&k->md, &s->msg) != 0) {
		k->failed++;
		slog(k, s, "error: storing message: %s", strerror(errno));
		return -1;
	}
	k->stored++;
	slog(k, s, "message stored new/%s (%llu octets)", s->msg.name,
	     (unsigned long long)size);
	return 0;
}

/* ---------------------------------------------------------------- AUTH */

static int cred_find(const sink *k, postel_span user)
{
	for (size_t i = 0; i < k->ncreds; i++)
		if (strlen(k->creds[i].user) == user.n &&
		    memcmp(k->creds[i].user, user.p, user.n) == 0)
			return (int)i;
	return -1;
}

static int cred_pass_ok(const sink *k, int i, postel_span pass)
{
	return i >= 0 && strlen(k->creds[i].pass) == pass.n &&
	       memcmp(k->creds[i].pass, pass.p, pass.n) == 0;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. */
static int plain_ok(const sink *k, postel_span d)
{
	const char *a = memchr(d.p, '\0', d.n), *b;
	postel_span authz, user, pass;
	if (a == NULL)
		return 0;
	b = memchr(a + 1, '\0', d.n - (size_t)(a + 1 - d.p));
	if (b == NULL)
		return 0;
	authz.p = d.p;
	authz.n = (size_t)(a - d.p);
	user.p = a + 1;
	user.n = (size_t)(b - a - 1);
	pass.p = b + 1;
	pass.n = d.n - (size_t)(b + 1 - d.p);
	if (authz.n != 0 &&
	    (authz.n != user.n || memcmp(authz.p, user.p, user.n) != 0))
		return 0; /* no proxy authorization */
	return cred_pass_ok(k, cred_find(k, user), pass);
}

static int mech_is(postel_span m, const char *name)
{
	size_t i;
	for (i = 0; i < m.n && name[i]; i++) {
		char c = m.p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != name[i])
			return 0;
	}
	return i == m.n && name[i] == '\0';
}


#if defined(POSTEL_HAVE_IDN2)
int tool_idna_valid(postel_span d); /* tools/idna.c */
#endif

/*
 * A domain with U-labels the parser could only partly check
 * (POSTEL_CMD_IDNA_UNCHECKED). Strict: checked in full with libidn2 and
 * refused like the code points the parser refuses itself (501 5.5.4,
 * RFC 6531 §3.3 -> RFC 5890); without libidn2 it is logged as unchecked.
 * Returns 1 when the command was refused.
 */
static int idna_refused(sink *k, session *s, const postel_server_event *ev)
{
	if (k->cfg.lenient != POSTEL_STRICT)
		return 0;
#if defined(POSTEL_HAVE_IDN2)
	if (tool_idna_valid(ev->cmd->domain))
		return 0;
	slog(k, s, "domain is not valid IDNA2008");
	if (ev->type == POSTEL_SERVER_EV_HELO)
		postel_server_reject(&s->srv, 501, NULL,
				     "Domain is not valid IDNA2008");
	else
		postel_server_reject(&s->srv, 501, "5.5.4",
				     "Domain is not valid IDNA2008");
	return 1;
#else
	(void)ev;
	slog(k, s, "U-labels not checked (built without libidn2)");
	return 0;
#endif
}

/* One AUTH step (RFC 4954 §4). The mechanism is remembered by the step
 * number: PLAIN uses steps 0-1, LOGIN 0-2. */
static void on_auth(sink *k, session *s, const postel_server_event *ev)
{
	static const char user_q[] = "Username:", pass_q[] = "Password:";
	int ok;
	if (ev->index == 0) {
		s->auth_user = -1;
		if (mech_is(ev->arg, "PLAIN")) {
			s->auth_user = -2; /* PLAIN in progress */
			if (!ev->has_data) {
				postel_server_auth_challenge(&s->srv, "", 0);
				return;
			}
			goto plain;
		}
		/* LOGIN (the only other mechanism offered) */
		s->auth_user = -3;
		if (!ev->has_data) {
			postel_server_auth_challenge(&s->srv, user_q,
						     sizeof user_q - 1);
			return;
		}
		goto login_user;
	}
	if (s->auth_user == -2)
		goto plain;
	if (s->auth_user == -3 && ev->index == 1)
		goto login_user;
	/* LOGIN password step */
	ok = cred_pass_ok(k, s->auth_user, ev->data);
	goto verdict;
login_user:
	s->auth_user = cred_find(k, ev->data);
	postel_server_auth_challenge(&s->srv, pass_q, sizeof pass_q - 1);
	return;
plain:
	ok = plain_ok(k, ev->data);
verdict:
	slog(k, s, "auth %s", ok ? "succeeded" : "failed");
	s->auth_user = -1;
	if (ok)
		postel_server_accept(&s->srv);
	else
		postel_server_reject(&s->srv, 0, NULL, NULL);
}

/* ---------------------------------------------------------------- events */

/* One line per violation the event carries: name and RFC section. */
static void log_violations(const sink *k, const session *s,
			   const postel_server_event *ev)
{
	for (unsigned i = 0; i < ev->violations.n; i++) {
		postel_violation v = (postel_violation)ev->violations.id[i];
		slog(k, s, "violation %s (%s)", postel_violation_name(v),
		     postel_violation_rfc(v));
	}
	if (ev->violations.lost)
		slog(k, s, "violation: %u more", ev->violations.lost);
}

static void on_event(sink *k, session *s, const postel_server_event *ev)
{
	char b1[1024];
	switch (ev->type) {
	case POSTEL_SERVER_EV_CONNECT:
		postel_server_accept(&s->srv);
		return;
	case POSTEL_SERVER_EV_CONTENT:
		if (!k->discard && msg_open(k, s) == 0)
			(void)maildir_write(&s->msg, ev->data.p, ev->data.n);
		return;
	case POSTEL_SERVER_EV_VIOLATION:
		if (ev->line.n)
			slog(k, s, "%s", esc(ev->line, b1, sizeof b1));
		log_violations(k, s, ev);
		if (ev->data.n)
			slog(k, s, "violation data: %s",
			     esc(ev->data, b1, sizeof b1));
		return;
	case POSTEL_SERVER_EV_RESET:
		if (s->txn != NULL || maildir_msg_open(&s->msg))
			slog(k, s, "transaction reset");
		txn_drop(k, s);
		return;
	case POSTEL_SERVER_EV_AUTH:
		if (ev->index == 0)
			slog(k, s, "AUTH %s", esc(ev->arg, b1, sizeof b1));
		log_violations(k, s, ev);
		on_auth(k, s, ev);
		return;
	case POSTEL_SERVER_EV_AUTH_ABORT:
		slog(k, s, "auth cancelled");
		s->auth_user = -1;
		return;
	case POSTEL_SERVER_EV_MESSAGE:
		log_violations(k, s, ev);
		if (ev->verdict != 0) {
			slog(k, s, "message refused by the engine (%u)",
			     ev->code);
			txn_drop(k, s);
			return;
		}
		if (ev->index == 0) {
			int r = msg_commit(k, s, ev->size);
			s->msgs++;
			if (r != 0) {
				/* remembered for the other LMTP recipients */
				free(s->txn);
				s->txn = NULL;
				postel_server_reject(&s->srv, 451, "4.3.0",
						     "Cannot store the message");
				return;
			}
		} else if (!k->discard && s->txn == NULL) {
			postel_server_reject(&s->srv, 451, "4.3.0",
					     "Cannot store the message");
			return;
		}
		postel_server_accept(&s->srv);
		if (ev->index + 1 >= ev->count)
			txn_drop(k, s);
		return;
	default:
		break;
	}
	/* command events: log the line (AUTH is handled above); the line is
	 * escaped only when it is printed: this is the per-command hot path */
	if (ev->line.n && !k->quiet)
		slog(k, s, "%s", esc(ev->line, b1, sizeof b1));
	log_violations(k, s, ev);
	if (!ev->decide)
		return;
	if (ev->cmd && (ev->cmd->flags & POSTEL_CMD_IDNA_UNCHECKED) &&
	    idna_refused(k, s, ev))
		return;
	switch (ev->type) {
	case POSTEL_SERVER_EV_MAIL:
		if (txn_mail(s, ev->arg) != 0) {
			postel_server_reject(&s->srv, 451, "4.3.0",
					     "Cannot keep the sender");
			return;
		}
		break;
	case POSTEL_SERVER_EV_RCPT:
		txn_rcpt(s, ev->arg, ev->index);
		break;
	case POSTEL_SERVER_EV_STARTTLS:
		if (k->tls == NULL) {
			postel_server_reject(&s->srv, 0, NULL, NULL);
			return;
		}
		break;
	default:
		break;
	}
	postel_server_accept(&s->srv);
}

/* ---------------------------------------------------------------- I/O */

enum { GO_ON = 0, BLOCKED = 1, FINISHED = 2 };

/* Write pending TLS ciphertext to the socket. */
static int tls_flush(session *s)
{
	const void *p;
	size_t n;
	while ((p = ptls_out_buf(s->tls, &n)) != NULL) {
		ssize_t w = write(s->fd, p, n);
		if (w > 0) {
			ptls_out_ack(s->tls, (size_t)w);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->wblocked = 1;
			return BLOCKED;
		}
		return FINISHED;
	}
	return GO_ON;
}

/* Read ciphertext from the socket into the TLS object. */
static int tls_fill(session *s)
{
	ssize_t r = read(s->fd, scratch, sizeof scratch);
	if (r > 0)
		return ptls_feed(s->tls, scratch, (size_t)r) == 0 ? GO_ON
								  : FINISHED;
	if (r < 0 && errno == EINTR)
		return GO_ON;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return BLOCKED;
	ptls_feed(s->tls, NULL, 0); /* EOF (or reset): reads report EOF */
	return GO_ON;
}

static int do_write(sink *k, session *s)
{
	size_t n;
	const unsigned char *p = postel_server_send_buf(&s->srv, &n);
	if (n == 0)
		return GO_ON;
	if (s->tls != NULL) {
		size_t done = 0;
		if (ptls_write(s->tls, p, n, &done) != PTLS_OK) {
			slog(k, s, "error: tls: %s", ptls_error(s->tls));
			return FINISHED;
		}
		postel_server_send_ack(&s->srv, done);
		return tls_flush(s);
	}
	for (;;) {
		ssize_t w = write(s->fd, p, n);
		if (w > 0) {
			postel_server_send_ack(&s->srv, (size_t)w);
			return GO_ON;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->wblocked = 1;
			return BLOCKED;
		}
		slog(k, s, "write: %s", strerror(errno));
		return FINISHED;
	}
}

static int do_read(sink *k, session *s)
{
	size_t n;
	unsigned char *p = postel_server_recv_buf(&s->srv, &n);
	if (n == 0)
		return BLOCKED; /* should not happen with READ set */
	if (s->tls != NULL) {
		size_t got = 0;
		int f;
		switch (ptls_read(s->tls, p, n, &got)) {
		case PTLS_OK:
			postel_server_recv_ack(&s->srv, got);
			return GO_ON;
		case PTLS_WANT:
			f = tls_flush(s);
			if (f != GO_ON)
				return f;
			return tls_fill(s);
		case PTLS_EOF:
			postel_server_eof(&s->srv);
			return GO_ON;
		default:
			slog(k, s, "error: tls: %s", ptls_error(s->tls));
			postel_server_eof(&s->srv);
			return GO_ON;
		}
	}
	for (;;) {
		ssize_t r = read(s->fd, p, n);
		if (r > 0) {
			postel_server_recv_ack(&s->srv, (size_t)r);
			return GO_ON;
		}
		if (r == 0) {
			postel_server_eof(&s->srv);
			return GO_ON;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return BLOCKED;
		slog(k, s, "read: %s", strerror(errno));
		postel_server_eof(&s->srv);
		return GO_ON;
	}
}

/* The engine asked for TLS (after its 220 to STARTTLS went out). */
static int do_tls(sink *k, session *s)
{
	char desc[128];
	int f;
	ptls_result r;
	if (s->tls == NULL) {
		s->tls = ptls_new(k->tls, NULL);
		if (s->tls == NULL) {
			slog(k, s, "error: tls: out of memory");
			return FINISHED;
		}
	}
	for (;;) {
		r = ptls_handshake(s->tls);
		f = tls_flush(s);
		if (f == FINISHED)
			return FINISHED;
		if (r == PTLS_OK)
			break;
		if (r != PTLS_WANT) {
			slog(k, s, "tls handshake failed: %s",
			     ptls_error(s->tls));
			return FINISHED;
		}
		if (f == BLOCKED)
			return BLOCKED;
		f = tls_fill(s);
		if (f != GO_ON)
			return f;
	}
	slog(k, s, "tls %s", ptls_describe(s->tls, desc, sizeof desc));
	postel_server_tls_started(&s->srv);
	return GO_ON;
}

static void session_free(sink *k, session *s)
{
	if (s->in_ready) { /* e.g. timed out while waiting for its turn */
		session **pp = &k->ready;
		while (*pp != s)
			pp = &(*pp)->ready_next;
		*pp = s->ready_next;
	}
	txn_drop(k, s);
	wheel_disarm(&k->timers, &s->timer);
	if (s->prev)
		s->prev->next = s->next;
	else
		k->all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	close(s->fd); /* also leaves the epoll set */
	ptls_free(s->tls);
	k->live--;
	free(s);
}

static const char *close_reason(postel_status st)
{
	switch (st) {
	case POSTEL_OK:
		return "ok";
	case POSTEL_E_CLOSED:
		return "client closed without QUIT";
	case POSTEL_E_PROTOCOL:
		return "protocol error";
	case POSTEL_E_LIMIT:
		return "timeout or limit";
	default:
		return postel_status_name(st);
	}
}

/* Run the session until it would block. Returns 0, or -1 when it ended
 * (and was freed). */
static int drive(sink *k, session *s)
{
	postel_server_event ev;
	int budget = SINK_BUDGET;
	for (;;) {
		unsigned st;
		int f = GO_ON, pulled = 0;
		if (s->tls != NULL && (f = tls_flush(s)) != GO_ON)
			goto stop;
		while (postel_server_next(&s->srv, &ev)) {
			on_event(k, s, &ev);
			pulled++;
		}
		st = postel_server_state(&s->srv);
		if (st & POSTEL_CLOSED) {
			if (s->tls != NULL) {
				ptls_shutdown(s->tls);
				(void)tls_flush(s);
			}
			slog(k, s, "close (%s) after %u message(s)",
			     close_reason(postel_server_last_error(&s->srv)),
			     s->msgs);
			session_free(k, s);
			return -1;
		}
		if (st & POSTEL_WRITE)
			f = do_write(k, s);
		else if (st & POSTEL_DECIDE)
			f = pulled ? GO_ON : BLOCKED; /* answered above */
		else if (st & POSTEL_TLS)
			f = do_tls(k, s);
		else if (st & POSTEL_READ) {
			if (budget-- == 0) {
				set_ready(k, s);
				return 0;
			}
			f = do_read(k, s);
		} else {
			size_t n;
			/* nothing raised but bytes may wait (batching) */
			postel_server_send_buf(&s->srv, &n);
			f = n ? do_write(k, s) : BLOCKED;
		}
	stop:
		if (f == BLOCKED)
			return 0;
		if (f == FINISHED) {
			postel_server_eof(&s->srv);
			while (postel_server_next(&s->srv, &ev))
				on_event(k, s, &ev);
			slog(k, s, "close (connection lost) after %u message(s)",
			     s->msgs);
			session_free(k, s);
			return -1;
		}
	}
}

/* Drive, then re-arm the session's RFC 5321 §4.5.3.2 timer. */
static void run(sink *k, session *s)
{
	postel_timeout t;
	if (drive(k, s) != 0)
		return;
	t = postel_server_timeout(&s->srv);
	s->tmo = t;
	if (t == POSTEL_TIMEOUT_NONE)
		wheel_disarm(&k->timers, &s->timer);
	else
		wheel_arm(&k->timers, &s->timer,
			  k->now + (k->timeout ? k->timeout
					       : postel_timeout_seconds(t)));
}

/* ---------------------------------------------------------------- accept */

/* Stop watching the listening socket (level-triggered): at the session
 * limit, or for a second when out of descriptors or memory. */
static void pause_accept(sink *k, unsigned seconds)
{
	if (!k->accepting)
		return;
	epoll_ctl(k->ep, EPOLL_CTL_DEL, k->lfd, NULL);
	k->accepting = 0;
	k->resume_at = k->now + seconds;
}

static void resume_accept(sink *k)
{
	struct epoll_event ee;
	if (k->accepting || k->lfd < 0 || k->now < k->resume_at ||
	    (k->max_sessions && k->live >= k->max_sessions))
		return;
	ee.events = EPOLLIN;
	ee.data.ptr = &k->lfd;
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, k->lfd, &ee) == 0)
		k->accepting = 1;
}

static void accept_all(sink *k)
{
	for (int i = 0; i < 256; i++) {
		char a[NET_ADDRSTRLEN];
		struct epoll_event ee;
		net_addr peer;
		session *s;
		int fd;
		if (k->max_sessions && k->live >= k->max_sessions) {
			pause_accept(k, 0);
			return;
		}
		fd = net_accept(k->lfd, &peer);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				slog(k, NULL, "accept: %s (pausing)",
				     strerror(errno));
				pause_accept(k, 1);
			}
			return;
		}
		s = malloc(sizeof *s + k->incap + k->outcap);
		if (s == NULL) {
			close(fd);
			continue;
		}
		memset(s, 0, sizeof *s);
		s->fd = fd;
		s->peer = peer;
		s->id = ++k->next_id;
		s->auth_user = -1;
		s->inbuf = (unsigned char *)(s + 1);
		s->outbuf = s->inbuf + k->incap;
		maildir_msg_init(&s->msg);
		wheel_node_init(&s->timer);
		if (postel_server_init(&s->srv, &k->cfg, s->inbuf, k->incap,
				       s->outbuf, k->outcap) != POSTEL_OK) {
			close(fd);
			free(s);
			continue;
		}
		ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ee.data.ptr = s;
		if (epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ee) != 0) {
			close(fd);
			free(s);
			continue;
		}
		s->next = k->all;
		if (k->all)
			k->all->prev = s;
		k->all = s;
		k->live++;
		slog(k, s, "connect from %s", net_format(&peer, a, sizeof a));
		run(k, s);
	}
}

/* ---------------------------------------------------------------- main */

static int usage_error(const char *msg)
{
	fprintf(stderr, "postel sink: %s\nusage: postel %s\n", msg,
		cmd_sink_usage);
	return 64;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Stop: 421 to every session, flush what can go out, drop what is not
 * stored. Nothing half-written is ever in new/. */
static void shutdown_all(sink *k)
{
	while (k->all != NULL) {
		session *s = k->all;
		postel_server_shutdown(&s->srv);
		if (drive(k, s) == 0) {
			slog(k, s, "close (shutdown) after %u message(s)",
			     s->msgs);
			session_free(k, s);
		}
	}
}

/* What the command line asks for (besides what goes straight into sink). */
typedef struct sink_opts {
	const char *listen, *dir, *cert, *key, *hostname;
	int strict, lmtp, maildir_given;
	uint64_t max_size;
	char host[256];
} sink_opts;

/* Parse argv into k and o. Returns -1 to go on, or the exit status. */
static int parse_args(sink *k, sink_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"maildir", required_argument, NULL, 'm'},
		{"discard", no_argument, NULL, 'd'},
		{"strict", no_argument, NULL, 's'},
		{"lenient", no_argument, NULL, 'L'},
		{"lmtp", no_argument, NULL, 'M'},
		{"hostname", required_argument, NULL, 'H'},
		{"max-size", required_argument, NULL, 'S'},
		{"tls-cert", required_argument, NULL, 'c'},
		{"tls-key", required_argument, NULL, 'k'},
		{"auth", required_argument, NULL, 'a'},
		{"max-sessions", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	uint64_t u;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'm':
			o->dir = optarg;
			o->maildir_given = 1;
			break;
		case 'd':
			k->discard = 1;
			break;
		case 's':
			o->strict = 1;
			break;
		case 'L':
			o->strict = 0;
			break;
		case 'M':
			o->lmtp = 1;
			break;
		case 'H':
			o->hostname = optarg;
			break;
		case 'S':
			if (parse_u64(optarg, &o->max_size) != 0)
				return usage_error("bad --max-size");
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'a': {
			char *colon = strchr(optarg, ':');
			cred *cr;
			if (colon == NULL || colon == optarg)
				return usage_error("--auth wants USER:PASS");
			cr = realloc(k->creds, (k->ncreds + 1) * sizeof *cr);
			if (cr == NULL)
				return 70; /* EX_SOFTWARE */
			k->creds = cr;
			*colon = '\0';
			cr[k->ncreds].user = optarg;
			cr[k->ncreds].pass = colon + 1;
			k->ncreds++;
			break;
		}
		case 'n':
			if (parse_u64(optarg, &u) != 0)
				return usage_error("bad --max-sessions");
			k->max_sessions = (size_t)u;
			break;
		case 't':
			if (parse_u64(optarg, &u) != 0 || u == 0 || u > 86400)
				return usage_error("bad --timeout");
			k->timeout = (unsigned)u;
			break;
		case 'q':
			k->quiet = 1;
			break;
		case 'h':
			printf("usage: postel %s\n", cmd_sink_usage);
			return 0;
		default:
			return usage_error("bad option");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument");
	if (k->discard && o->maildir_given)
		return usage_error("--maildir and --discard exclude each other");
	if ((o->cert == NULL) != (o->key == NULL))
		return usage_error("--tls-cert and --tls-key go together");
	if (o->hostname == NULL) {
		if (gethostname(o->host, sizeof o->host) != 0 ||
		    o->host[0] == '\0')
			snprintf(o->host, sizeof o->host, "localhost");
		o->host[sizeof o->host - 1] = '\0';
		o->hostname = o->host;
	}
	return -1;
}

/* The engine configuration (every extension postel implements), TLS and
 * buffer sizes; checked once with a throwaway engine. 0 or exit status. */
static int configure(sink *k, const sink_opts *o)
{
	char err[256];
	unsigned char *tin;
	postel_server *ts;
	postel_status st = POSTEL_E_ARGUMENT;
	postel_server_config_default(&k->cfg);
	k->cfg.hostname = o->hostname;
	k->cfg.extensions = POSTEL_SERVER_EXT_DEFAULT;
	k->cfg.lenient = o->strict ? POSTEL_STRICT : POSTEL_LENIENT;
	k->cfg.max_size = o->max_size;
	if (o->lmtp)
		k->cfg.flags |= POSTEL_SERVER_LMTP;
	if (o->cert != NULL) {
		k->tls = ptls_server_ctx(o->cert, o->key, err, sizeof err);
		if (k->tls == NULL) {
			fprintf(stderr, "postel sink: %s\n", err);
			return 1;
		}
		k->cfg.extensions |= POSTEL_SERVER_EXT_STARTTLS |
				     POSTEL_SERVER_EXT_REQUIRETLS;
	}
	k->incap = SINK_INBUF;
	k->outcap = SINK_OUTBUF;
	if (k->ncreds > 0) {
		k->cfg.extensions |= POSTEL_SERVER_EXT_AUTH;
		k->cfg.auth_mechanisms = "PLAIN LOGIN";
		if (k->tls != NULL) /* RFC 4954 §4: protect passwords */
			k->cfg.flags |= POSTEL_SERVER_AUTH_TLS_ONLY;
		k->incap = SINK_INBUF_AUTH;
	}
	tin = malloc(k->incap + k->outcap);
	ts = malloc(sizeof *ts);
	if (tin != NULL && ts != NULL) {
		st = postel_server_init(ts, &k->cfg, tin, k->incap,
					tin + k->incap, k->outcap);
		/* a machine name that is not a Domain (RFC 5321 §4.1.2), e.g.
		 * with "_": the sink still starts, as "localhost" */
		if (st == POSTEL_E_ARGUMENT && o->hostname == o->host &&
		    strcmp(o->host, "localhost") != 0) {
			fprintf(stderr, "postel sink: host name \"%s\" is not a "
				"domain; using \"localhost\" (see --hostname)\n",
				o->host);
			k->cfg.hostname = "localhost";
			st = postel_server_init(ts, &k->cfg, tin, k->incap,
						tin + k->incap, k->outcap);
		}
	}
	free(tin);
	free(ts);
	if (st != POSTEL_OK) {
		fprintf(stderr, "postel sink: bad configuration (%s)\n",
			postel_status_name(st));
		return 1;
	}
	return 0;
}

/* Maildir, signals (signalfd), epoll and the listening socket; prints the
 * address. 0 or exit status. */
static int open_io(sink *k, const sink_opts *o)
{
	char err[256], addr[NET_ADDRSTRLEN];
	struct epoll_event ee;
	struct rlimit rl;
	sigset_t sigs;
	net_addr la;
	if (net_parse(o->listen, "127.0.0.1", 2525, &la, err, sizeof err) != 0)
		return usage_error(err);
	if (!k->discard && maildir_open(&k->md, o->dir, err, sizeof err) != 0) {
		fprintf(stderr, "postel sink: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A shell starts background jobs with SIGINT ignored, and ignored
	 * signals never reach a signalfd: take both back. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	k->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	k->ep = epoll_create1(EPOLL_CLOEXEC);
	k->lfd = net_listen(&la, 0, err, sizeof err);
	if (k->lfd < 0 || k->ep < 0 || k->sigfd < 0) {
		fprintf(stderr, "postel sink: %s\n",
			k->lfd < 0 ? err : strerror(errno));
		return 1;
	}
	ee.events = EPOLLIN;
	ee.data.ptr = &k->lfd;
	epoll_ctl(k->ep, EPOLL_CTL_ADD, k->lfd, &ee);
	ee.data.ptr = &k->sigfd;
	epoll_ctl(k->ep, EPOLL_CTL_ADD, k->sigfd, &ee);
	k->accepting = 1;
	/* many sessions: raise the descriptor limit as far as allowed */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	net_local(k->lfd, &la);
	printf("postel sink: listening on %s (%s%s%s, %s%s, %s)\n",
	       net_format(&la, addr, sizeof addr), o->lmtp ? "LMTP" : "ESMTP",
	       k->tls ? " STARTTLS" : "", k->ncreds ? " AUTH" : "",
	       k->discard ? "discard" : "maildir ", k->discard ? "" : o->dir,
	       o->strict ? "strict" : "lenient");
	fflush(stdout);
	return 0;
}

/* Until SIGINT/SIGTERM: readiness, sessions left over from their budget,
 * expired timers, the listening socket. 0 or exit status. */
static int event_loop(sink *k)
{
	k->now = now_s();
	wheel_init(&k->timers, k->now);
	setvbuf(stderr, NULL, _IOFBF, 1 << 16);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(k->ep, evs, 256, k->ready ? 0 : 1000);
		session *r;
		wheel_node *tn;
		if (n < 0 && errno != EINTR) {
			perror("postel sink: epoll_wait");
			return 1;
		}
		k->now = now_s();
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			session *s = p;
			if (p == &k->sigfd)
				return 0;
			if (p == &k->lfd) {
				accept_all(k);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				s->wblocked = 0;
			if (!s->in_ready) /* else it runs from the list */
				run(k, s);
		}
		/* sessions that used up their budget */
		r = k->ready;
		k->ready = NULL;
		while (r != NULL) {
			session *nx = r->ready_next;
			r->in_ready = 0;
			run(k, r);
			r = nx;
		}
		while ((tn = wheel_expired(&k->timers, k->now)) != NULL) {
			session *s = (session *)((char *)tn -
						 offsetof(session, timer));
			slog(k, s, "timeout (%s)", postel_timeout_name(s->tmo));
			postel_server_timed_out(&s->srv);
			run(k, s);
		}
		resume_accept(k);
		fflush(stderr);
	}
}

int cmd_sink(int argc, char **argv)
{
	static sink k0;
	sink *k = &k0;
	sink_opts o;
	int rc;
	memset(k, 0, sizeof *k);
	memset(&o, 0, sizeof o);
	k->ep = k->lfd = k->sigfd = -1;
	k->md.dirfd = k->md.tmpfd = k->md.newfd = -1;
	o.listen = "127.0.0.1:2525";
	o.dir = "./maildir";
	o.max_size = SINK_DEFAULT_MAX_SIZE;
	rc = parse_args(k, &o, argc, argv);
	if (rc >= 0)
		goto done; /* --help or a usage error */
	rc = configure(k, &o);
	if (rc == 0)
		rc = open_io(k, &o);
	if (rc == 0) {
		rc = event_loop(k);
		slog(k, NULL, "shutting down: %zu session(s) open, %llu "
			      "stored, %llu discarded, %llu failed",
		     k->live, k->stored, k->discarded, k->failed);
		shutdown_all(k);
	}
done:
	fflush(stderr);
	if (k->lfd >= 0)
		close(k->lfd);
	if (k->sigfd >= 0)
		close(k->sigfd);
	if (k->ep >= 0)
		close(k->ep);
	maildir_close(&k->md);
	ptls_ctx_free(k->tls);
	free(k->creds);
	return rc;
}
