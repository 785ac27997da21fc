/*
 * postel send — deliver one message with the postel client engine
 * (postel/client.h) over a blocking socket, STARTTLS through tools/tls.c.
 *
 * The engine runs the whole session; this file moves bytes, keeps the
 * clock (poll timeouts from postel_client_timeout(), or --timeout), and
 * answers the engine's decisions from the command line. The message is
 * read whole (FILE or stdin), its line ends made CRLF (a bare LF or CR
 * becomes CRLF), its size declared with SIZE and BODY=8BITMIME used when
 * it has 8-bit octets.
 *
 * Output: one line per recipient ("RCPT <addr>: CODE TEXT"), then the
 * final reply ("DATA: CODE TEXT"; in LMTP one per accepted recipient,
 * "DATA <addr>: CODE TEXT"), then each recipient's fate ("RESULT <addr>:
 * accepted|deferred|refused|unknown"). Violations and errors go to
 * stderr; -v prints the whole transcript there.
 *
 * Exit status (sysexits.h), for the message as a whole; README.md has
 * the table ("Exit statuses of `postel send`"), --help prints it. Each
 * recipient ends accepted (a final 2yz), refused (a 5yz, or what the
 * server said it will not take: SIZE, 8BITMIME, SMTPUTF8, AUTH) or
 * deferred (a 4yz, 421 included, or no final answer: connection refused,
 * closed or reset, a timeout, a failed TLS handshake, RFC 5321 §3.8
 * takes these as 451; STARTTLS required but not offered, which may be an
 * attacker's doing, RFC 3207 §6). A failed greeting,
 * EHLO, required STARTTLS, AUTH, MAIL, DATA or final reply decides for
 * every recipient still waiting. Then: 76 EX_PROTOCOL a malformed or
 * hostile reply ended the session before every recipient had a final
 * answer ("unknown"); else 75 EX_TEMPFAIL one recipient deferred, even
 * when others were refused: the caller keeps the message for them (RFC
 * 5321 §4.2.5); else 69 EX_UNAVAILABLE one recipient refused; else 0.
 * Once every recipient has its final answer the server holds the message
 * (RFC 5321 §6.1): a failed QUIT changes nothing, a retry would send it
 * twice. 64 EX_USAGE bad arguments; 66 EX_NOINPUT the message cannot be
 * read.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postel/client.h"

#include "net.h"
#include "tls.h"

const char cmd_send_usage[] =
	"send --server HOST:PORT --from ADDR --to ADDR [--to ADDR ...] "
	"[--helo NAME] [--starttls require|opportunistic|never] "
	"[--auth USER:PASS] [--lmtp] [--no-pipelining] [--no-chunking] "
	"[--tls-verify] [--tls-ca PEM] [--timeout SECONDS] [-v] [FILE|-]";

/* --help: the exit statuses, row for row the table of README.md
 * ("Exit statuses of `postel send`"; test/interop/send_exit.py checks
 * both and has a case for every row) */
static const char send_exits[] =
	"Exit status, for the message as a whole (76, else 75, else 69, "
	"else 0), and\n"
	"\"RESULT <addr>: accepted|deferred|refused|unknown\" per recipient "
	"on stdout:\n"
	"   0  every recipient accepted\n"
	"  64  bad arguments\n"
	"  66  message cannot be read\n"
	"  75  connection refused or connect timed out\n"
	"  75  greeting 421\n"
	"  69  greeting 554\n"
	"  75  EHLO, HELO or LHLO 4yz\n"
	"  69  EHLO, HELO or LHLO 5yz\n"
	"  75  STARTTLS 4yz (--starttls require)\n"
	"  69  STARTTLS 5yz (--starttls require)\n"
	"  75  STARTTLS not offered (--starttls require)\n"
	"   0  STARTTLS 4yz or 5yz (opportunistic), then accepted\n"
	"  75  TLS handshake failed\n"
	"  75  AUTH 4yz\n"
	"  69  AUTH 5yz, or no AUTH mechanism postel send knows\n"
	"  75  MAIL 4yz\n"
	"  69  MAIL 5yz\n"
	"  69  message refused before sending (SIZE, 8BITMIME, SMTPUTF8)\n"
	"  75  RCPT: every recipient 4yz\n"
	"  69  RCPT: every recipient 5yz\n"
	"  69  RCPT: some 2yz, the others 5yz\n"
	"  75  RCPT: some 2yz, some 4yz\n"
	"  75  RCPT: some 4yz, some 5yz\n"
	"  75  DATA 4yz\n"
	"  69  DATA 5yz\n"
	"  75  final reply (after the dot or BDAT LAST) 4yz\n"
	"  69  final reply (after the dot or BDAT LAST) 5yz\n"
	"  69  LMTP final replies: some 2yz, the others 5yz\n"
	"  75  LMTP final replies: one or more 4yz\n"
	"  75  421 before every final answer\n"
	"  75  connection closed or reset before every final answer\n"
	"  75  timeout before every final answer\n"
	"  76  malformed reply before every final answer\n"
	"   0  every recipient accepted, then QUIT fails (421, closed, "
	"timeout, malformed)\n";

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_NOINPUT_ 66
#define EX_UNAVAILABLE_ 69
#define EX_TEMPFAIL_ 75
#define EX_PROTOCOL_ 76

#define SEND_INBUF 16384u  /* RFC 4954 §4: 12288-octet challenges */
#define SEND_OUTBUF 65536u /* commands, content, BDAT chunks */
#define MAX_RCPT 1024

/* A recipient's fate: waiting for its final answer (F_GIVEN: its RCPT
 * got a 2yz), then accepted, deferred or refused. */
enum { F_WAIT = 0, F_GIVEN, F_ACCEPTED, F_DEFERRED, F_REFUSED };

typedef struct sender {
	postel_client c;
	int fd;
	ptls_ctx *tls_ctx;
	ptls *tls;
	/* the server's name or address: SNI (names only) and, when
	 * verifying, the identity the certificate must show */
	const char *host;
	int verbose, lmtp;
	int timeout;      /* seconds; 0: the RFC 5321 §4.5.3.2 values */
	/* the message and its envelope */
	char *msg;
	size_t msg_n, off;
	const char *from;
	const char *to[MAX_RCPT];
	int nto, next_to;
	int rcpt_index[MAX_RCPT]; /* engine index -> to[] index */
	int given;
	const char *user, *pass;
	int auth_done, auth_ok, can_plain, can_login;
	int sent; /* the transaction was started */
	int eight_bit, utf8;
	int tls_required;
	/* outcome */
	unsigned char fate[MAX_RCPT]; /* to[] index -> F_* */
	int proto; /* a violation ended the session */
} sender;

static char inbuf[SEND_INBUF];
static char outbuf[SEND_OUTBUF];

/* ---------------------------------------------------------------- output */

static void print_escaped(FILE *f, const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		unsigned char b = (unsigned char)p[k];
		if (b < 32 || b == 127)
			fprintf(f, "\\x%02x", b);
		else
			fputc(b, f);
	}
}

static void print_reply(FILE *f, const char *what, const char *addr,
			const postel_reply *r)
{
	fprintf(f, "%s", what);
	if (addr)
		fprintf(f, " <%s>", addr);
	fprintf(f, ": %u", r->code);
	for (size_t i = 0; i < r->num_lines; i++) {
		fputc(i ? '\n' : ' ', f);
		if (i)
			fprintf(f, "    %u ", r->code);
		print_escaped(f, r->lines[i].p, r->lines[i].n);
	}
	fputc('\n', f);
}

static void transcript(sender *s, const char *dir, const char *p, size_t n)
{
	if (!s->verbose)
		return;
	size_t i = 0;
	for (int lines = 0; i < n; lines++) {
		if (lines == 12) { /* a write may carry a whole message */
			fprintf(stderr, "%s ... (%zu more bytes)\n", dir, n - i);
			break;
		}
		size_t j = i;
		while (j < n && p[j] != '\n')
			j++;
		size_t l = j - i;
		if (l && p[i + l - 1] == '\r')
			l--;
		fprintf(stderr, "%s %.*s\n", dir, (int)(l > 200 ? 200 : l),
			p + i);
		i = j + 1;
	}
}

/* ---------------------------------------------------------------- fates */

static int fate_of(unsigned code)
{
	switch (code / 100) {
	case 2: return F_ACCEPTED;
	case 4: return F_DEFERRED;
	case 5: return F_REFUSED;
	default: return F_WAIT; /* a violation: reported on its own */
	}
}

/* A final answer for recipient i (to[] index): the first one stands. */
static void settle(sender *s, int i, int f)
{
	if (f != F_WAIT && (s->fate[i] == F_WAIT || s->fate[i] == F_GIVEN))
		s->fate[i] = (unsigned char)f;
}

/* A failure that ends the session or the transaction answers every
 * recipient still waiting: no reply after it can deliver to them. */
static void settle_all(sender *s, int f)
{
	for (int i = 0; i < s->nto; i++)
		settle(s, i, f);
}

static int waiting(const sender *s)
{
	int n = 0;
	for (int i = 0; i < s->nto; i++)
		n += s->fate[i] == F_WAIT || s->fate[i] == F_GIVEN;
	return n;
}

/* After the session: the fates on stdout, and the exit status. */
static int verdict(sender *s)
{
	static const char *const name[] = {"unknown", "unknown", "accepted",
					   "deferred", "refused"};
	int proto = s->proto && waiting(s), temp = 0, perm = 0;
	for (int i = 0; i < s->nto; i++) {
		/* no final answer: RFC 5321 §3.8, as if 451 */
		if (!proto)
			settle(s, i, F_DEFERRED);
		temp |= s->fate[i] == F_DEFERRED;
		perm |= s->fate[i] == F_REFUSED;
		printf("RESULT <%s>: %s\n", s->to[i], name[s->fate[i]]);
	}
	return proto ? EX_PROTOCOL_
	       : temp ? EX_TEMPFAIL_
	       : perm ? EX_UNAVAILABLE_
		      : EX_OK_;
}

/* ---------------------------------------------------------------- events */

static void answer_ready(sender *s)
{
	postel_status st;
	if (s->user && !s->auth_done) {
		char ir[1024];
		s->auth_done = 1;
		if (s->can_plain) {
			size_t n = postel_sasl_plain(ir, sizeof ir, NULL, s->user,
						     s->pass);
			st = postel_client_auth(&s->c, "PLAIN", ir, n);
		} else if (s->can_login) {
			st = postel_client_auth(&s->c, "LOGIN", NULL, 0);
		} else {
			fprintf(stderr, "postel send: the server offers no "
					"AUTH mechanism postel send knows "
					"(PLAIN, LOGIN)\n");
			settle_all(s, F_REFUSED);
			postel_client_quit(&s->c);
			return;
		}
		if (st == POSTEL_OK)
			return;
		fprintf(stderr, "postel send: AUTH refused: %s\n",
			postel_client_refusal_name(postel_client_refused(&s->c)));
		settle_all(s, F_REFUSED);
		postel_client_quit(&s->c);
		return;
	}
	if (s->user && !s->auth_ok) {
		/* authentication failed (reported with its reply): no
		 * message without it */
		postel_client_quit(&s->c);
		return;
	}
	if (!s->sent) {
		postel_client_mail_opts m;
		memset(&m, 0, sizeof m);
		m.from = (postel_span){s->from, strlen(s->from)};
		m.size = s->msg_n;
		m.body = s->eight_bit ? POSTEL_DATA_BODY_8BITMIME
				      : POSTEL_DATA_BODY_7BIT;
		m.smtputf8 = s->utf8;
		s->sent = 1;
		st = postel_client_mail(&s->c, &m);
		if (st == POSTEL_OK)
			return;
		postel_client_refusal r = postel_client_refused(&s->c);
		fprintf(stderr,
			"postel send: message not sent: %s (%s): the server "
			"will not take it\n",
			postel_client_refusal_name(r),
			postel_client_refusal_rfc(r));
		settle_all(s, F_REFUSED);
	}
	postel_client_quit(&s->c);
}

static void answer_rcpt(sender *s)
{
	while (s->next_to < s->nto) {
		const char *a = s->to[s->next_to++];
		postel_status st = postel_client_rcpt(&s->c, a, strlen(a), NULL);
		if (st == POSTEL_OK) {
			s->rcpt_index[s->given++] = s->next_to - 1;
			return;
		}
		if (st == POSTEL_OUTPUT_FULL) {
			s->next_to--;
			return;
		}
		postel_client_refusal r = postel_client_refused(&s->c);
		printf("RCPT <%s>: not sent: %s (%s)\n", a,
		       postel_client_refusal_name(r),
		       postel_client_refusal_rfc(r));
		settle(s, s->next_to - 1, F_REFUSED);
	}
	postel_client_data(&s->c);
}

static void answer_content(sender *s)
{
	size_t used = 0;
	/* the message stays in memory for the whole session: with BDAT
	 * the engine sends it from there (zero copy) */
	postel_status st = postel_client_body_ref(&s->c, s->msg + s->off,
						  s->msg_n - s->off, 1, &used);
	s->off += used;
	if (st == POSTEL_INVALID) {
		postel_client_refusal r = postel_client_refused(&s->c);
		fprintf(stderr, "postel send: message aborted: %s (%s)\n",
			postel_client_refusal_name(r),
			postel_client_refusal_rfc(r));
		/* TRANSACTION_FAILED: the BDAT reply said why */
		if (r != POSTEL_CLIENT_REFUSE_TRANSACTION_FAILED)
			settle_all(s, F_REFUSED);
	}
}

static void answer_challenge(sender *s, const postel_client_event *ev)
{
	if (s->verbose) {
		/* the engine decoded the base64 text in place: show that */
		fprintf(stderr, "S: 334 [decoded] ");
		print_escaped(stderr, ev->challenge.p, ev->challenge.n);
		fputc('\n', stderr);
	}
	postel_span r = postel_sasl_login(ev->step, s->user, s->pass);
	if (s->can_plain || !r.p) /* PLAIN sent its initial response */
		postel_client_auth_cancel(&s->c);
	else
		postel_client_auth_respond(&s->c, r.p, r.n);
}

static void on_reply(sender *s, const postel_client_event *ev)
{
	const postel_reply *r = ev->reply;
	unsigned cls = r->code / 100;
	int failed = cls == 4 || cls == 5;
	/* the recipient a RCPT or LMTP final reply is for (to[] index) */
	int who = ev->rcpt < (uint32_t)s->given ? s->rcpt_index[ev->rcpt]
						 : -1;
	if (s->verbose)
		for (size_t i = 0; i < r->num_lines; i++)
			fprintf(stderr, "S: %u%c%.*s\n", r->code,
				i + 1 < r->line_count ? '-' : ' ',
				(int)r->lines[i].n, r->lines[i].p);
	/* 421, whatever the command: the server closes the session (RFC
	 * 5321 §3.8); whoever waits is deferred */
	if (r->code == 421)
		settle_all(s, F_DEFERRED);
	switch (ev->cmd) {
	case POSTEL_CLIENT_CMD_GREETING:
	case POSTEL_CLIENT_CMD_HELO:
	case POSTEL_CLIENT_CMD_LHLO:
	case POSTEL_CLIENT_CMD_MAIL:
	case POSTEL_CLIENT_CMD_DATA:
	case POSTEL_CLIENT_CMD_BDAT:
		if (failed) {
			settle_all(s, fate_of(r->code));
			print_reply(stderr, postel_client_cmd_name(ev->cmd),
				    NULL, r);
		}
		break;
	case POSTEL_CLIENT_CMD_EHLO:
		if (ev->ehlo) {
			s->can_plain = postel_ehlo_has_mech(ev->ehlo, "PLAIN");
			s->can_login = postel_ehlo_has_mech(ev->ehlo, "LOGIN");
		} else if (failed && r->code != 500 && r->code != 502) {
			/* no HELO fallback (RFC 5321 §3.2) */
			settle_all(s, fate_of(r->code));
			print_reply(stderr, "EHLO", NULL, r);
		}
		break;
	case POSTEL_CLIENT_CMD_AUTH:
		if (cls == 2)
			s->auth_ok = 1;
		else if (failed) {
			settle_all(s, fate_of(r->code));
			print_reply(stderr, "AUTH", NULL, r);
		}
		break;
	case POSTEL_CLIENT_CMD_RCPT:
		print_reply(stdout, "RCPT", who >= 0 ? s->to[who] : "?", r);
		if (who >= 0 && cls == 2 && s->fate[who] == F_WAIT)
			s->fate[who] = F_GIVEN; /* its final answer comes later */
		else if (who >= 0 && failed)
			settle(s, who, fate_of(r->code));
		break;
	case POSTEL_CLIENT_CMD_DOT:
	case POSTEL_CLIENT_CMD_BDAT_LAST:
		/* LMTP: one final reply per accepted recipient (RFC 2033
		 * §4.2); SMTP: one for all of them */
		print_reply(stdout, "DATA", s->lmtp && who >= 0 ? s->to[who]
								: NULL,
			    r);
		for (int i = 0; i < s->nto; i++)
			if (s->fate[i] == F_GIVEN && (!s->lmtp || i == who))
				settle(s, i, fate_of(r->code));
		break;
	case POSTEL_CLIENT_CMD_STARTTLS:
		if (cls != 2)
			print_reply(stderr, "STARTTLS", NULL, r);
		/* RFC 3207 §4, §6: after a 454 TLS may work on a later try,
		 * a 5yz says it will not; opportunistic goes on in clear */
		if (failed && s->tls_required)
			settle_all(s, fate_of(r->code));
		break;
	default:
		break;
	}
}

static void on_event(sender *s, const postel_client_event *ev)
{
	switch (ev->type) {
	case POSTEL_CLIENT_REPLY:
		on_reply(s, ev);
		break;
	case POSTEL_CLIENT_READY:
		answer_ready(s);
		break;
	case POSTEL_CLIENT_NEED_RCPT:
		answer_rcpt(s);
		break;
	case POSTEL_CLIENT_NEED_CONTENT:
		answer_content(s);
		break;
	case POSTEL_CLIENT_AUTH_CHALLENGE:
		answer_challenge(s, ev);
		break;
	case POSTEL_CLIENT_VIOLATION:
		fprintf(stderr, "postel send: violation %s (%s) after %s\n",
			postel_violation_name(ev->violation),
			postel_violation_rfc(ev->violation),
			postel_client_cmd_name(ev->cmd));
		if (postel_violation_is_fatal(ev->violation) == 1)
			s->proto = 1;
		break;
	case POSTEL_CLIENT_REFUSED:
		if (ev->refusal == POSTEL_CLIENT_REFUSE_TLS_REQUIRED)
			fprintf(stderr, "postel send: %s (%s): STARTTLS is "
					"required and the server does not "
					"offer it or refused it\n",
				postel_client_refusal_name(ev->refusal),
				postel_client_refusal_rfc(ev->refusal));
		else
			fprintf(stderr, "postel send: message not sent: %s "
					"(%s)\n",
				postel_client_refusal_name(ev->refusal),
				postel_client_refusal_rfc(ev->refusal));
		/* STARTTLS required and not offered: deferred, as Postfix
		 * and Exim do. Its absence from the EHLO reply may be an
		 * attacker's doing (RFC 3207 §6), so it may not last; the
		 * refusals of the message itself are final. */
		settle_all(s, ev->refusal == POSTEL_CLIENT_REFUSE_TLS_REQUIRED
				      ? F_DEFERRED
				      : F_REFUSED);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- I/O */

static int wait_ms(const sender *s)
{
	if (s->timeout > 0)
		return s->timeout * 1000;
	unsigned sec = postel_timeout_seconds(postel_client_timeout(&s->c));
	return sec ? (int)sec * 1000 : 300 * 1000;
}

/* Send what the engine has. 0, or -1 (connection lost). */
static int do_write(sender *s)
{
	size_t n;
	const char *p = postel_client_send_buf(&s->c, &n);
	int rc;
	if (s->tls)
		rc = ptls_write_fd(s->tls, s->fd, p, n, wait_ms(s)) == PTLS_OK
			     ? 0
			     : -1;
	else
		rc = net_write_all(s->fd, p, n, wait_ms(s));
	if (rc != 0)
		return -1;
	postel_client_send_ack(&s->c, n);
	return 0;
}

/* Read what the server sends. 0, or -1 (the engine was told why). */
static void do_read(sender *s)
{
	size_t room, got = 0;
	char *p = postel_client_recv_buf(&s->c, &room);
	int ms = wait_ms(s);
	if (s->tls) {
		ptls_result r = ptls_read_fd(s->tls, s->fd, p, room, &got, ms);
		if (r == PTLS_OK) {
			postel_client_recv_ack(&s->c, got);
			return;
		}
		if (r == PTLS_EOF) {
			postel_client_eof(&s->c);
			return;
		}
		fprintf(stderr, "postel send: tls: %s\n", ptls_error(s->tls));
		if (strstr(ptls_error(s->tls), "timeout"))
			postel_client_timed_out(&s->c);
		else
			postel_client_eof(&s->c);
		return;
	}
	long k = net_read_some(s->fd, p, room, ms);
	if (k > 0) {
		postel_client_recv_ack(&s->c, (size_t)k);
	} else if (k == 0) {
		postel_client_eof(&s->c);
	} else if (errno == ETIMEDOUT || errno == EAGAIN) {
		fprintf(stderr, "postel send: timeout (%s)\n",
			postel_timeout_name(postel_client_timeout(&s->c)));
		postel_client_timed_out(&s->c);
	} else {
		fprintf(stderr, "postel send: read: %s\n", strerror(errno));
		postel_client_eof(&s->c);
	}
}

static int start_tls(sender *s)
{
	char err[256];
	if (!ptls_available()) {
		fprintf(stderr, "postel send: built without OpenSSL: no "
				"STARTTLS\n");
		return -1;
	}
	if (!s->tls_ctx)
		return -1;
	s->tls = ptls_new(s->tls_ctx, s->host);
	if (!s->tls) {
		fprintf(stderr, "postel send: tls: out of memory\n");
		return -1;
	}
	ptls_result r = ptls_handshake_fd(s->tls, s->fd, wait_ms(s));
	if (r != PTLS_OK) {
		fprintf(stderr, "postel send: TLS handshake failed: %s\n",
			ptls_error(s->tls));
		return -1;
	}
	if (s->verbose)
		fprintf(stderr, "postel send: tls %s\n",
			ptls_describe(s->tls, err, sizeof err));
	postel_client_tls_started(&s->c);
	return 0;
}

/* The loop of postel/client.h. */
static void run(sender *s)
{
	postel_client_event ev;
	for (;;) {
		if (postel_client_next(&s->c, &ev)) {
			on_event(s, &ev);
			continue;
		}
		unsigned st = postel_client_state(&s->c);
		if (st & POSTEL_CLOSED)
			break;
		if (st & POSTEL_WRITE) {
			size_t n;
			const char *p = postel_client_send_buf(&s->c, &n);
			transcript(s, "C:", p, n);
			if (do_write(s) != 0) {
				fprintf(stderr, "postel send: write: %s\n",
					strerror(errno));
				break; /* whoever waits is deferred */
			}
			continue;
		}
		if (st & POSTEL_TLS) {
			/* a failed handshake: TLS may work on a later try
			 * (RFC 3207 §6), whoever waits is deferred */
			if (start_tls(s) != 0)
				break;
			continue;
		}
		if (st & POSTEL_READ) {
			do_read(s);
			continue;
		}
		break; /* nothing to do: cannot happen */
	}
	if (s->tls) {
		ptls_shutdown(s->tls);
		ptls_flush_fd(s->tls, s->fd, 1000);
	}
}

/* ---------------------------------------------------------------- setup */

/* Read FILE or stdin; line ends made CRLF (RFC 5321 §2.3.8). */
static int read_message(sender *s, const char *path)
{
	FILE *f = stdin;
	if (path && strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		if (!f) {
			fprintf(stderr, "postel send: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	size_t cap = 1 << 16, n = 0;
	char *raw = malloc(cap);
	for (;;) {
		if (!raw)
			break;
		if (n == cap) {
			char *q = realloc(raw, cap *= 2);
			if (!q) {
				free(raw);
				raw = NULL;
				break;
			}
			raw = q;
		}
		size_t k = fread(raw + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int bad = !raw || ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "postel send: cannot read the message\n");
		free(raw);
		return -1;
	}
	s->msg = malloc(2 * n + 1);
	if (!s->msg) {
		free(raw);
		return -1;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)raw[i];
		if (b == '\r') {
			s->msg[o++] = '\r';
			s->msg[o++] = '\n';
			if (i + 1 < n && raw[i + 1] == '\n')
				i++;
		} else if (b == '\n') {
			s->msg[o++] = '\r';
			s->msg[o++] = '\n';
		} else {
			if (b >= 0x80)
				s->eight_bit = 1;
			s->msg[o++] = (char)b;
		}
	}
	s->msg_n = o;
	free(raw);
	return 0;
}

static int has_8bit(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* HOST:PORT: numeric (tools/net.c), else resolved. Returns the socket. */
static int dial(sender *s, const char *server, int ms)
{
	static char ip[NET_ADDRSTRLEN];
	char err[256];
	net_addr a;
	if (net_parse(server, "127.0.0.1", 25, &a, err, sizeof err) == 0) {
		/* RFC 3207 §4.1: the certificate must name the server the
		 * client meant to reach; given an address, its IP names must
		 * hold that address (else any trusted certificate passes) */
		s->host = net_format_ip(&a, ip, sizeof ip);
	} else {
		const char *colon = strrchr(server, ':');
		char host[256];
		struct addrinfo hints, *res = NULL;
		size_t hl = colon ? (size_t)(colon - server) : strlen(server);
		if (hl == 0 || hl >= sizeof host) {
			fprintf(stderr, "postel send: %s: %s\n", server, err);
			return -2;
		}
		memcpy(host, server, hl);
		host[hl] = '\0';
		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		int rc = getaddrinfo(host, colon ? colon + 1 : "25", &hints,
				     &res);
		if (rc != 0 || !res) {
			fprintf(stderr, "postel send: %s: %s\n", host,
				gai_strerror(rc));
			return -1;
		}
		memcpy(&a.ss, res->ai_addr, res->ai_addrlen);
		a.len = res->ai_addrlen;
		freeaddrinfo(res);
		s->host = strdup(host);
	}
	int fd = net_connect(&a, 0, ms, err, sizeof err);
	if (fd < 0)
		fprintf(stderr, "postel send: connect %s: %s\n", server, err);
	return fd;
}

int cmd_send(int argc, char **argv)
{
	static sender s;
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"helo", required_argument, NULL, 'H'},
		{"starttls", required_argument, NULL, 'T'},
		{"auth", required_argument, NULL, 'a'},
		{"lmtp", no_argument, NULL, 'L'},
		{"no-pipelining", no_argument, NULL, 'P'},
		{"no-chunking", no_argument, NULL, 'C'},
		{"tls-verify", no_argument, NULL, 'V'},
		{"tls-ca", required_argument, NULL, 'A'},
		{"timeout", required_argument, NULL, 'o'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *server = NULL, *helo = "localhost", *ca = NULL;
	char *auth = NULL;
	postel_client_config cfg;
	int verify = 0, ch;
	memset(&s, 0, sizeof s);
	memset(&cfg, 0, sizeof cfg);
	s.fd = -1;
	cfg.starttls = POSTEL_CLIENT_TLS_OPPORTUNISTIC;
	cfg.lenient = POSTEL_LENIENT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'f': s.from = optarg; break;
		case 't':
			if (s.nto == MAX_RCPT) {
				fprintf(stderr, "postel send: at most %d "
						"recipients\n", MAX_RCPT);
				return EX_USAGE_;
			}
			s.to[s.nto++] = optarg;
			break;
		case 'H': helo = optarg; break;
		case 'T':
			if (strcmp(optarg, "require") == 0)
				cfg.starttls = POSTEL_CLIENT_TLS_REQUIRE;
			else if (strcmp(optarg, "opportunistic") == 0)
				cfg.starttls = POSTEL_CLIENT_TLS_OPPORTUNISTIC;
			else if (strcmp(optarg, "never") == 0)
				cfg.starttls = POSTEL_CLIENT_TLS_NEVER;
			else
				goto usage;
			break;
		case 'a': auth = optarg; break;
		case 'L':
			cfg.flags |= POSTEL_CLIENT_LMTP;
			s.lmtp = 1;
			break;
		case 'P': cfg.flags |= POSTEL_CLIENT_NO_PIPELINING; break;
		case 'C': cfg.flags |= POSTEL_CLIENT_NO_CHUNKING; break;
		case 'V': verify = 1; break;
		case 'A':
			verify = 1;
			ca = optarg;
			break;
		case 'o':
			s.timeout = atoi(optarg);
			if (s.timeout <= 0)
				goto usage;
			break;
		case 'v': s.verbose++; break;
		case 'h':
			printf("usage: postel %s\n\n%s", cmd_send_usage,
			       send_exits);
			return EX_OK_;
		default: goto usage;
		}
	}
	if (!server || !s.from || s.nto == 0 || argc - optind > 1)
		goto usage;
	if (auth) {
		char *colon = strchr(auth, ':');
		if (!colon || colon == auth || !colon[1])
			goto usage;
		*colon = '\0';
		s.user = auth;
		s.pass = colon + 1;
	}
	s.utf8 = has_8bit(s.from);
	for (int i = 0; i < s.nto; i++)
		s.utf8 |= has_8bit(s.to[i]);
	s.tls_required = cfg.starttls == POSTEL_CLIENT_TLS_REQUIRE;
	cfg.helo = helo;
	cfg.helo_len = strlen(helo);
	if (postel_client_init(&s.c, &cfg, inbuf, sizeof inbuf, outbuf,
			       sizeof outbuf) != POSTEL_OK) {
		fprintf(stderr, "postel send: bad --helo name\n");
		return EX_USAGE_;
	}
	if (read_message(&s, optind < argc ? argv[optind] : NULL) != 0)
		return EX_NOINPUT_;
	if (cfg.starttls != POSTEL_CLIENT_TLS_NEVER && ptls_available()) {
		char err[256];
		s.tls_ctx = ptls_client_ctx(verify, ca, NULL, NULL, err,
					    sizeof err);
		if (!s.tls_ctx) {
			fprintf(stderr, "postel send: tls: %s\n", err);
			return EX_USAGE_;
		}
	}
	/* a peer that resets makes write() fail (EPIPE), not kill us */
	signal(SIGPIPE, SIG_IGN);
	s.fd = dial(&s, server, s.timeout ? s.timeout * 1000 : 30000);
	if (s.fd == -2)
		return EX_USAGE_;
	/* non-blocking, so that every read and write waits at most
	 * wait_ms() (tools/net.c and tools/tls.c poll on EAGAIN); no
	 * connection leaves every recipient deferred */
	if (s.fd >= 0 && net_nonblock(s.fd, 1) == 0)
		run(&s);
	if (s.fd >= 0)
		close(s.fd);
	if (s.tls)
		ptls_free(s.tls);
	if (s.tls_ctx)
		ptls_ctx_free(s.tls_ctx);
	free(s.msg);

	postel_status err = postel_client_last_error(&s.c);
	if (err == POSTEL_E_PROTOCOL || err == POSTEL_E_LIMIT)
		s.proto = 1;
	if (err != POSTEL_OK)
		fprintf(stderr, "postel send: %s\n",
			postel_client_last_error_text(&s.c));
	return verdict(&s);
usage:
	fprintf(stderr, "usage: postel %s\n", cmd_send_usage);
	return EX_USAGE_;
}
