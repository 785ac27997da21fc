/*
 * postel load — a load generator on the postel client engine
 * (postel/client.h): N concurrent sessions in one thread (epoll,
 * non-blocking sockets), M messages of S octets in total, a new
 * connection per message or connections reused, pipelined (RFC 2920)
 * or one command per round trip. Loopback only; bounded in messages and
 * in time.
 *
 * Figures go to stdout in the bench convention, one per line:
 *   load.FIGURE=VALUE UNIT
 * (messages/s, errors by kind, latency percentiles from the MAIL command
 * to the final reply, the generator's own CPU per message). Errors are
 * also described on stderr (the first few of each kind).
 *
 * The engine runs every session; this file moves bytes, keeps the clock
 * (a one-second timer wheel armed from postel_client_timeout(), capped
 * by --timeout) and answers the engine's decisions: one MAIL, one RCPT,
 * the generated content, then the next message or QUIT. DATA is used
 * unless --chunking (BDAT when offered): the content then costs a server
 * what it costs with other clients. Replies are read leniently (as
 * `postel send` does: Postfix smtp-sink ends its EHLO reply with an
 * empty "250 " line); --strict refuses any violation.
 *
 * Exit status: 0 when every message got a 250, 75 (EX_TEMPFAIL) when
 * some did not (errors, or the time ran out), 64 on bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "postel/client.h"

#include "net.h"
#include "wheel.h"

const char cmd_load_usage[] =
	"load --server 127.0.0.1:PORT [--sessions N] [--messages M] "
	"[--size BYTES] [--reuse | --new-connection] "
	"[--pipelining | --no-pipelining] [--chunking] [--seconds T] "
	"[--timeout SECONDS] [--helo NAME] [--strict] [-v]";

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_TEMPFAIL_ 75

#define LOAD_INBUF 4096u   /* replies; an EHLO reply fits with room */
#define LOAD_OUTBUF 32768u /* commands and content, written as it comes */
#define LOAD_BUDGET 64     /* I/O calls per session per turn */
#define LOAD_MAX_SESSIONS 100000u
#define LOAD_MAX_MESSAGES 10000000u
#define LOAD_MAX_SIZE (1u << 30)
#define LOAD_ERR_SHOWN 5   /* errors of each kind described on stderr */

/* Kinds of errors, counted separately. */
#define LOAD_ERRORS(X)                                                         \
	X(CONNECT, "connect")   /* connect() failed */                         \
	X(REPLY, "reply")       /* a negative reply that ended a message */    \
	X(REFUSED, "refused")   /* the engine would not send the message */    \
	X(PROTOCOL, "protocol") /* the server broke a rule */                  \
	X(CLOSED, "closed")     /* the connection was lost */                  \
	X(TIMEOUT, "timeout")   /* the server was silent too long */

enum {
#define X(id, name) ERR_##id,
	LOAD_ERRORS(X)
#undef X
	ERR_KINDS
};

static const char *const err_names[] = {
#define X(id, name) name,
	LOAD_ERRORS(X)
#undef X
};

typedef struct session session;

typedef struct load {
	int ep;
	net_addr addr;
	postel_client_config cfg;
	int reuse, verbose;
	unsigned timeout;        /* seconds, cap on each wait */
	size_t sessions;         /* concurrency */
	uint64_t messages;       /* to send in all */
	uint64_t taken;          /* messages handed to sessions */
	uint64_t ok, failed;     /* final replies: 2xx / not */
	uint64_t errors[ERR_KINDS];
	uint64_t connections;
	uint64_t violations;     /* tolerated server violations */
	uint64_t live;           /* sessions with an open connection */
	const char *msg;         /* the content, CRLF line ends */
	size_t msg_n;
	uint32_t *lat_us;        /* one latency per message that got a 250 */
	wheel timers;
	uint64_t now_s;          /* monotonic seconds (wheel ticks) */
	session *ready;          /* sessions that used up their budget */
	session *pool;           /* all sessions */
} load;

struct session {
	postel_client c;
	wheel_node timer;
	session *ready_next;
	int fd;                  /* -1 when not connected */
	unsigned char connecting, rblocked, wblocked, in_ready;
	unsigned char ticket;    /* holds a message not yet started */
	unsigned char in_msg;    /* a message is under way */
	unsigned char failed;    /* this message already counted as failed */
	unsigned char conn_err;  /* an error was counted on this connection */
	size_t off;              /* content offered so far */
	uint64_t t0_us;          /* when the message's MAIL was queued */
	char *in, *out;
};

/* ---------------------------------------------------------------- time */

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- errors */

/* Count an error of this connection (and describe the first few). The
 * message under way, if any, did not get its 250: counted once. */
static void load_error(load *L, session *s, int kind, const char *fmt,
		  const char *arg)
{
	if (L->errors[kind]++ < LOAD_ERR_SHOWN || L->verbose) {
		fprintf(stderr, "postel load: %s: ", err_names[kind]);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	s->conn_err = 1;
	if (s->in_msg && !s->failed) {
		s->failed = 1;
		L->failed++;
	}
}

/* ---------------------------------------------------------------- content */

/*
 * The content: a small header and lines of at most 76 printable ASCII
 * octets, CRLF line ends, exactly `size` octets (at least the header and
 * one line end). No line starts with a dot, so the content costs the
 * same with DATA or BDAT.
 */
static char *make_message(size_t size, size_t *n)
{
	static const char hdr[] =
		"From: <load@example.org>\r\n"
		"To: <sink@example.net>\r\n"
		"Subject: postel load\r\n"
		"Message-ID: <load@postel.example>\r\n"
		"\r\n";
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t h = sizeof hdr - 1, o;
	char *m;
	if (size < h + 2)
		size = h + 2;
	m = malloc(size);
	if (m == NULL)
		return NULL;
	memcpy(m, hdr, h);
	for (o = h; o < size;) {
		size_t left = size - o, line = left - 2;
		if (left > 78)
			line = left - 78 < 2 ? 75 : 76; /* leave room for CRLF */
		for (size_t i = 0; i < line; i++)
			m[o + i] = alphabet[(o + i) % (sizeof alphabet - 1)];
		m[o + line] = '\r';
		m[o + line + 1] = '\n';
		o += line + 2;
	}
	*n = size;
	return m;
}

/* ---------------------------------------------------------------- sessions */

static void set_ready(load *L, session *s)
{
	if (s->in_ready)
		return;
	s->in_ready = 1;
	s->ready_next = L->ready;
	L->ready = s;
}

/* Take one message for a session; 0 when all are taken. */
static int take(load *L, session *s)
{
	if (s->ticket)
		return 1;
	if (L->taken >= L->messages)
		return 0;
	L->taken++;
	s->ticket = 1;
	return 1;
}

static void start_message(load *L, session *s)
{
	postel_client_mail_opts m;
	postel_status st;
	memset(&m, 0, sizeof m);
	m.from = (postel_span){"load@example.org", 16};
	m.size = L->msg_n;
	m.body = POSTEL_DATA_BODY_7BIT;
	s->ticket = 0;
	s->in_msg = 1;
	s->failed = 0;
	s->off = 0;
	s->t0_us = mono_us();
	st = postel_client_mail(&s->c, &m);
	if (st == POSTEL_OUTPUT_FULL) { /* asked again when there is room */
		s->ticket = 1;
		s->in_msg = 0;
		return;
	}
	if (st != POSTEL_OK) {
		load_error(L, s, ERR_REFUSED, "MAIL not sent: %s",
			       postel_client_refusal_name(
				       postel_client_refused(&s->c)));
		s->in_msg = 0;
		postel_client_quit(&s->c);
	}
}

static void on_ready(load *L, session *s)
{
	if (L->reuse)
		(void)take(L, s);
	if (s->ticket)
		start_message(L, s);
	else
		postel_client_quit(&s->c);
}

static void on_reply(load *L, session *s, const postel_client_event *ev)
{
	const postel_reply *r = ev->reply;
	unsigned cls = r->code / 100;
	char text[160];
	if (cls == 2 || cls == 3)
		switch (ev->cmd) {
		case POSTEL_CLIENT_CMD_DOT:
		case POSTEL_CLIENT_CMD_BDAT_LAST:
			if (s->in_msg && !s->failed) {
				uint64_t d = mono_us() - s->t0_us;
				L->lat_us[L->ok++] =
					d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			}
			s->in_msg = 0;
			return;
		default:
			return;
		}
	switch (ev->cmd) {
	case POSTEL_CLIENT_CMD_QUIT:
		return; /* the messages are done already */
	case POSTEL_CLIENT_CMD_EHLO:
		if (r->code == 500 || r->code == 502)
			return; /* HELO follows */
		break;
	default:
		break;
	}
	snprintf(text, sizeof text, "%s: %u %.*s",
		 postel_client_cmd_name(ev->cmd), r->code,
		 r->num_lines ? (int)(r->lines[0].n > 100 ? 100 : r->lines[0].n)
			      : 0,
		 r->num_lines ? r->lines[0].p : "");
	load_error(L, s, ERR_REPLY, "%s", text);
	if (ev->cmd == POSTEL_CLIENT_CMD_DOT ||
	    ev->cmd == POSTEL_CLIENT_CMD_BDAT_LAST)
		s->in_msg = 0;
}

static void on_event(load *L, session *s, const postel_client_event *ev)
{
	size_t used;
	postel_status st;
	switch (ev->type) {
	case POSTEL_CLIENT_REPLY:
		on_reply(L, s, ev);
		break;
	case POSTEL_CLIENT_READY:
		on_ready(L, s);
		break;
	case POSTEL_CLIENT_NEED_RCPT:
		if (ev->rcpt == 0)
			postel_client_rcpt(&s->c, "sink@example.net", 16, NULL);
		else
			postel_client_data(&s->c);
		break;
	case POSTEL_CLIENT_NEED_CONTENT:
		used = 0;
		st = postel_client_body(&s->c, L->msg + s->off,
					L->msg_n - s->off, 1, &used);
		s->off += used;
		if (st == POSTEL_INVALID)
			load_error(L, s, ERR_REFUSED, "content refused: %s",
				       postel_client_refusal_name(
					       postel_client_refused(&s->c)));
		break;
	case POSTEL_CLIENT_VIOLATION:
		if (postel_violation_is_fatal(ev->violation) == 1) {
			load_error(L, s, ERR_PROTOCOL, "violation %s",
				   postel_violation_name(ev->violation));
		} else if (L->violations++ == 0 || L->verbose) {
			/* tolerated (lenient): counted, not an error */
			fprintf(stderr, "postel load: server violation %s (%s), "
					"tolerated\n",
				postel_violation_name(ev->violation),
				postel_violation_rfc(ev->violation));
		}
		break;
	case POSTEL_CLIENT_REFUSED:
		load_error(L, s, ERR_REFUSED, "%s",
			       postel_client_refusal_name(ev->refusal));
		break;
	case POSTEL_CLIENT_TRANSACTION_END:
		if (s->in_msg && !s->failed && ev->accepted == 0)
			load_error(L, s, ERR_REPLY, "%s",
				       "transaction failed");
		s->in_msg = 0;
		break;
	default:
		break;
	}
}

static int connect_session(load *L, session *s);

/* The connection is over (the engine is CLOSED, or I/O failed). */
static void finish(load *L, session *s)
{
	postel_status e = postel_client_last_error(&s->c);
	if (!s->conn_err && (e != POSTEL_OK || s->in_msg || s->ticket))
		load_error(L, s,
		      e == POSTEL_E_PROTOCOL || e == POSTEL_E_LIMIT
			      ? ERR_PROTOCOL
			      : ERR_CLOSED,
		      "%s", postel_client_last_error_text(&s->c));
	else if (s->in_msg && !s->failed)
		L->failed++;
	if (s->ticket) { /* the message never started: it failed too */
		s->ticket = 0;
		L->failed++;
	}
	s->in_msg = 0;
	wheel_disarm(&L->timers, &s->timer);
	close(s->fd); /* also leaves the epoll set */
	s->fd = -1;
	L->live--;
	/* another connection while messages are left */
	connect_session(L, s);
}

/* Move bytes until the session would block, or its budget is spent. */
static void drive(load *L, session *s)
{
	postel_client_event ev;
	int budget = LOAD_BUDGET;
	if (s->fd < 0)
		return;
	if (s->connecting) {
		int e;
		if (s->wblocked)
			return;
		e = net_connect_result(s->fd);
		s->connecting = 0;
		if (e != 0) {
			load_error(L, s, ERR_CONNECT, "%s", strerror(e));
			finish(L, s);
			return;
		}
	}
	for (;;) {
		unsigned st;
		int progress = 0;
		while (postel_client_next(&s->c, &ev))
			on_event(L, s, &ev);
		st = postel_client_state(&s->c);
		if (st & POSTEL_CLOSED) {
			finish(L, s);
			return;
		}
		if (budget-- <= 0) {
			set_ready(L, s);
			return;
		}
		if ((st & POSTEL_WRITE) && !s->wblocked) {
			size_t n;
			const char *p = postel_client_send_buf(&s->c, &n);
			ssize_t w = write(s->fd, p, n);
			if (w > 0) {
				postel_client_send_ack(&s->c, (size_t)w);
				progress = 1;
			} else if (w < 0 && errno == EINTR) {
				progress = 1;
			} else if (w < 0 && (errno == EAGAIN ||
					     errno == EWOULDBLOCK)) {
				s->wblocked = 1;
			} else {
				postel_client_eof(&s->c);
				progress = 1;
			}
		}
		if ((st & POSTEL_READ) && !s->rblocked) {
			size_t room;
			char *p = postel_client_recv_buf(&s->c, &room);
			if (room > 0) {
				ssize_t r = read(s->fd, p, room);
				if (r > 0) {
					postel_client_recv_ack(&s->c, (size_t)r);
					progress = 1;
				} else if (r == 0) {
					postel_client_eof(&s->c);
					progress = 1;
				} else if (errno == EINTR) {
					progress = 1;
				} else if (errno == EAGAIN ||
					   errno == EWOULDBLOCK) {
					s->rblocked = 1;
				} else {
					postel_client_eof(&s->c);
					progress = 1;
				}
			}
		}
		if (!progress) {
			/* waiting for the socket (or, never expected, for
			 * nothing: the engine raised no flag we can serve) */
			if (!(st & (POSTEL_READ | POSTEL_WRITE))) {
				postel_client_timed_out(&s->c);
				load_error(L, s, ERR_PROTOCOL, "%s",
					       "engine stalled");
				continue;
			}
			return;
		}
	}
}

/* Drive, then re-arm the session's timer. */
static void run(load *L, session *s)
{
	postel_timeout t;
	unsigned sec;
	drive(L, s);
	if (s->fd < 0 || s->in_ready)
		return;
	t = s->connecting ? POSTEL_TIMEOUT_GREETING
			  : postel_client_timeout(&s->c);
	if (t == POSTEL_TIMEOUT_NONE) {
		wheel_disarm(&L->timers, &s->timer);
		return;
	}
	sec = postel_timeout_seconds(t);
	if (sec == 0 || sec > L->timeout)
		sec = L->timeout;
	wheel_arm(&L->timers, &s->timer, L->now_s + sec);
}

/* Open a connection for the next message; none when all are taken. In
 * reuse mode the session takes more messages at READY. */
static int connect_session(load *L, session *s)
{
	char err[256];
	struct epoll_event ee;
	if (!take(L, s))
		return 0;
	postel_client_reset(&s->c);
	s->connecting = 1;
	s->rblocked = 0;
	s->in_msg = s->failed = s->conn_err = 0;
	s->fd = net_connect(&L->addr, 1, 0, err, sizeof err);
	L->connections++;
	if (s->fd >= 0) {
		/* edge-triggered: the connect completes with EPOLLOUT */
		s->wblocked = 1;
		ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ee.data.ptr = s;
		if (epoll_ctl(L->ep, EPOLL_CTL_ADD, s->fd, &ee) == 0) {
			L->live++;
			wheel_arm(&L->timers, &s->timer, L->now_s + L->timeout);
			return 0;
		}
		snprintf(err, sizeof err, "epoll: %s", strerror(errno));
		close(s->fd);
		s->fd = -1;
	}
	load_error(L, s, ERR_CONNECT, "%s", err);
	s->ticket = 0;
	L->failed++;
	return -1;
}

/* ---------------------------------------------------------------- report */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, uint64_t n, double p)
{
	uint64_t i;
	if (n == 0)
		return 0;
	i = (uint64_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void report(load *L, double secs, double cpu)
{
	uint64_t errs = 0;
	for (int k = 0; k < ERR_KINDS; k++)
		errs += L->errors[k];
	printf("load.sessions=%zu sessions\n", L->sessions);
	printf("load.size=%zu B\n", L->msg_n);
	printf("load.messages=%llu msg\n", (unsigned long long)L->messages);
	printf("load.ok=%llu msg\n", (unsigned long long)L->ok);
	printf("load.failed=%llu msg\n", (unsigned long long)L->failed);
	printf("load.unfinished=%llu msg\n",
	       (unsigned long long)(L->messages - L->ok - L->failed));
	printf("load.errors=%llu errors\n", (unsigned long long)errs);
	for (int k = 0; k < ERR_KINDS; k++)
		if (L->errors[k])
			printf("load.errors_%s=%llu errors\n", err_names[k],
			       (unsigned long long)L->errors[k]);
	printf("load.violations=%llu violations\n",
	       (unsigned long long)L->violations);
	printf("load.connections=%llu conn\n",
	       (unsigned long long)L->connections);
	printf("load.seconds=%.3f s\n", secs);
	printf("load.rate=%.1f msg/s\n", secs > 0 ? (double)L->ok / secs : 0);
	printf("load.throughput=%.2f MB/s\n",
	       secs > 0 ? (double)L->ok * (double)L->msg_n / secs / 1e6 : 0);
	qsort(L->lat_us, (size_t)L->ok, sizeof *L->lat_us, cmp_u32);
	printf("load.latency_p50=%.3f ms\n", pct(L->lat_us, L->ok, 50));
	printf("load.latency_p90=%.3f ms\n", pct(L->lat_us, L->ok, 90));
	printf("load.latency_p99=%.3f ms\n", pct(L->lat_us, L->ok, 99));
	printf("load.latency_max=%.3f ms\n", pct(L->lat_us, L->ok, 100));
	printf("load.client_cpu_per_message=%.1f us\n",
	       L->ok ? cpu * 1e6 / (double)L->ok : 0);
	fflush(stdout);
}

/* ---------------------------------------------------------------- setup */

static int is_loopback(const net_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&a->ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&a->ss;
		const unsigned char *b = in6->sin6_addr.s6_addr;
		static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0,
							   0, 0, 0, 0, 0xff,
							   0xff};
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return memcmp(b, v4mapped, 12) == 0 && b[12] == 127;
	}
	return 0;
}

/* A count with an optional K/M/G suffix (powers of 1024 for sizes,
 * of 1000 for counts). */
static int parse_num(const char *s, int binary, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1, base = binary ? 1024 : 1000;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = base; end++; break;
	case 'm': case 'M': mul = base * base; end++; break;
	case 'g': case 'G': mul = base * base * base; end++; break;
	default: break;
	}
	if (*end || v > max / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "postel load: %s\n", msg);
	fprintf(stderr, "usage: postel %s\n", cmd_load_usage);
	return EX_USAGE_;
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"sessions", required_argument, NULL, 'n'},
		{"messages", required_argument, NULL, 'm'},
		{"size", required_argument, NULL, 'z'},
		{"reuse", no_argument, NULL, 'r'},
		{"new-connection", no_argument, NULL, 'N'},
		{"pipelining", no_argument, NULL, 'p'},
		{"no-pipelining", no_argument, NULL, 'P'},
		{"chunking", no_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 'S'},
		{"timeout", required_argument, NULL, 't'},
		{"helo", required_argument, NULL, 'H'},
		{"strict", no_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	static load L0;
	load *L = &L0;
	const char *server = NULL, *helo = "load.example";
	char err[256], *msg;
	uint64_t sessions = 10, messages = 1000, size = 1024, seconds = 60,
		 timeout = 30, t0, deadline;
	int ch, rc = EX_OK_, chunking = 0, strict = 0;
	double cpu0, secs;
	session *pool;
	struct rlimit rl;

	memset(L, 0, sizeof *L);
	L->reuse = 1;
	memset(&L->cfg, 0, sizeof L->cfg);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'n':
			if (parse_num(optarg, 0, LOAD_MAX_SESSIONS, &sessions) ||
			    sessions == 0)
				return usage("bad --sessions");
			break;
		case 'm':
			if (parse_num(optarg, 0, LOAD_MAX_MESSAGES, &messages) ||
			    messages == 0)
				return usage("bad --messages");
			break;
		case 'z':
			if (parse_num(optarg, 1, LOAD_MAX_SIZE, &size))
				return usage("bad --size");
			break;
		case 'r': L->reuse = 1; break;
		case 'N': L->reuse = 0; break;
		case 'p': L->cfg.flags &= ~(uint32_t)POSTEL_CLIENT_NO_PIPELINING;
			  break;
		case 'P': L->cfg.flags |= POSTEL_CLIENT_NO_PIPELINING; break;
		case 'c': chunking = 1; break;
		case 'S':
			if (parse_num(optarg, 0, 86400, &seconds) || !seconds)
				return usage("bad --seconds");
			break;
		case 't':
			if (parse_num(optarg, 0, 3600, &timeout) || !timeout)
				return usage("bad --timeout");
			break;
		case 'H': helo = optarg; break;
		case 'T': strict = 1; break;
		case 'v': L->verbose = 1; break;
		case 'h':
			printf("usage: postel %s\n", cmd_load_usage);
			return EX_OK_;
		default: return usage(NULL);
		}
	}
	if (!server || optind != argc)
		return usage(NULL);
	if (net_parse(server, "127.0.0.1", 25, &L->addr, err, sizeof err) != 0)
		return usage(err);
	if (!is_loopback(&L->addr))
		return usage("--server must be a loopback address (127.0.0.0/8 "
			     "or ::1): load is never sent off this host");
	if (sessions > messages)
		sessions = messages;
	if (!chunking)
		L->cfg.flags |= POSTEL_CLIENT_NO_CHUNKING;
	L->cfg.helo = helo;
	L->cfg.helo_len = strlen(helo);
	L->cfg.starttls = POSTEL_CLIENT_TLS_NEVER;
	L->cfg.lenient = strict ? POSTEL_STRICT : POSTEL_LENIENT;
	L->sessions = (size_t)sessions;
	L->messages = messages;
	L->timeout = (unsigned)timeout;

	/* one descriptor per session, and a few */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < sessions + 16) {
		fprintf(stderr, "postel load: %llu sessions need more "
				"descriptors than the limit (%llu): raise "
				"ulimit -n\n",
			(unsigned long long)sessions,
			(unsigned long long)rl.rlim_cur);
		return EX_USAGE_;
	}
	signal(SIGPIPE, SIG_IGN);

	msg = make_message((size_t)size, &L->msg_n);
	L->msg = msg;
	L->lat_us = malloc((size_t)messages * sizeof *L->lat_us);
	pool = calloc((size_t)sessions, sizeof *pool);
	char *bufs = malloc((size_t)sessions * (LOAD_INBUF + LOAD_OUTBUF));
	L->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!msg || !L->lat_us || !pool || !bufs || L->ep < 0) {
		fprintf(stderr, "postel load: out of memory\n");
		rc = 70;
		goto out;
	}
	L->pool = pool;
	for (size_t i = 0; i < sessions; i++) {
		session *s = &pool[i];
		s->fd = -1;
		s->in = bufs + i * (LOAD_INBUF + LOAD_OUTBUF);
		s->out = s->in + LOAD_INBUF;
		wheel_node_init(&s->timer);
		if (postel_client_init(&s->c, &L->cfg, s->in, LOAD_INBUF,
				       s->out, LOAD_OUTBUF) != POSTEL_OK) {
			rc = usage("bad --helo name");
			goto out;
		}
	}

	t0 = mono_us();
	cpu0 = cpu_seconds();
	L->now_s = t0 / 1000000u;
	deadline = L->now_s + seconds;
	wheel_init(&L->timers, L->now_s);
	for (size_t i = 0; i < sessions; i++)
		connect_session(L, &pool[i]);
	while (L->live > 0) {
		struct epoll_event evs[256];
		wheel_node *tn;
		int n = epoll_wait(L->ep, evs, 256, L->ready ? 0 : 1000);
		if (n < 0 && errno != EINTR) {
			perror("postel load: epoll_wait");
			rc = 70;
			break;
		}
		L->now_s = mono_us() / 1000000u;
		for (int i = 0; i < n; i++) {
			session *s = evs[i].data.ptr;
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				s->wblocked = 0;
			if (evs[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
				s->rblocked = 0;
			if (!s->in_ready)
				run(L, s);
		}
		{
			session *r = L->ready;
			L->ready = NULL;
			while (r != NULL) {
				session *nx = r->ready_next;
				r->in_ready = 0;
				run(L, r);
				r = nx;
			}
		}
		while ((tn = wheel_expired(&L->timers, L->now_s)) != NULL) {
			session *s = (session *)((char *)tn -
						 offsetof(session, timer));
			if (s->fd < 0)
				continue;
			load_error(L, s, ERR_TIMEOUT, "%s",
				       s->connecting
					       ? "connect"
					       : postel_timeout_name(
							 postel_client_timeout(
								 &s->c)));
			if (s->connecting) {
				s->connecting = 0;
				postel_client_timed_out(&s->c);
				finish(L, s);
				continue;
			}
			postel_client_timed_out(&s->c);
			run(L, s);
		}
		if (L->now_s >= deadline) {
			fprintf(stderr, "postel load: --seconds %llu reached\n",
				(unsigned long long)seconds);
			break;
		}
	}
	secs = (double)(mono_us() - t0) / 1e6;
	/* the time ran out: drop what is left, uncounted (unfinished) */
	for (size_t i = 0; i < sessions; i++)
		if (pool[i].fd >= 0) {
			close(pool[i].fd);
			pool[i].fd = -1;
		}
	report(L, secs, cpu_seconds() - cpu0);
	if (rc == EX_OK_ && L->ok != L->messages)
		rc = EX_TEMPFAIL_;
out:
	if (L->ep >= 0)
		close(L->ep);
	free(bufs);
	free(pool);
	free(L->lat_us);
	free(msg);
	return rc;
}
