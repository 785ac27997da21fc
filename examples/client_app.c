/*
 * examples/client_app.c — the application half of the client examples
 * (see client_app.h).
 */
#define _GNU_SOURCE
#include "client_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int client_options_parse(client_options *o, int argc, char **argv)
{
	int c;
	memset(o, 0, sizeof *o);
	o->helo = "localhost";
	o->starttls = POSTEL_CLIENT_TLS_OPPORTUNISTIC;
	while ((c = getopt(argc, argv, "vTPC:h:t:")) != -1) {
		switch (c) {
		case 'v':
			o->verbose = 1;
			break;
		case 'T':
			o->starttls = POSTEL_CLIENT_TLS_REQUIRE;
			break;
		case 'P':
			o->starttls = POSTEL_CLIENT_TLS_NEVER;
			break;
		case 'C':
			o->ca_file = optarg;
			o->starttls = POSTEL_CLIENT_TLS_REQUIRE;
			break;
		case 'h':
			o->helo = optarg;
			break;
		case 't':
			o->timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 4 != argc)
		goto usage;
	o->server = argv[optind];
	o->from = argv[optind + 1];
	o->to = argv[optind + 2];
	o->file = argv[optind + 3];
	return 0;
usage:
	fprintf(stderr,
		"usage: %s [-v] [-T|-P] [-C CAFILE] [-h HELO] [-t SECONDS] "
		"SERVER FROM TO FILE\n"
		"  sends FILE (a whole message: headers, blank line, body) from\n"
		"  FROM to TO through SERVER (ADDR:PORT); FROM may be \"\"\n"
		"  STARTTLS when offered (certificate not checked), or\n"
		"  -T  STARTTLS required\n"
		"  -C  STARTTLS required, certificate checked against CAFILE\n"
		"  -P  no STARTTLS\n"
		"  -t  time out after SECONDS without progress (default: the\n"
		"      RFC 5321 section 4.5.3.2 minimums)\n"
		"  -v  print the server's replies\n",
		argv[0]);
	return -1;
}

void client_app_config(const client_options *o, postel_client_config *c)
{
	memset(c, 0, sizeof *c); /* zero is a valid configuration */
	c->helo = o->helo;
	c->helo_len = strlen(o->helo);
	c->starttls = o->starttls;
	c->lenient = POSTEL_LENIENT;
}

int client_app_timeout_ms(const client_options *o, postel_timeout t)
{
	if (t == POSTEL_TIMEOUT_NONE)
		return -1;
	return 1000 * (int)(o->timeout ? o->timeout : postel_timeout_seconds(t));
}

ptls_ctx *client_app_tls(const client_options *o, int *failed)
{
	char err[256];
	ptls_ctx *ctx;
	*failed = 0;
	if (o->starttls == POSTEL_CLIENT_TLS_NEVER)
		return NULL;
	/* Opportunistic TLS (RFC 7435) takes any certificate; -C checks it
	 * against a CA file and the server's name. */
	ctx = ptls_client_ctx(o->ca_file != NULL, o->ca_file, NULL, NULL, err,
			      sizeof err);
	if (ctx == NULL) {
		fprintf(stderr, "TLS: %s\n", err);
		*failed = 1;
	}
	return ctx;
}

int client_app_init(client_app *a, const client_options *o)
{
	FILE *f = fopen(o->file, "rb");
	size_t cap = 4096;
	int c, prev = 0;

	memset(a, 0, sizeof *a);
	a->opt = o;
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", o->file, strerror(errno));
		return -1;
	}
	a->msg = malloc(cap);
	/* SMTP text is lines ending in CRLF (RFC 5321 §2.3.8): turn a bare
	 * LF into CRLF; the engine refuses bare line ends. */
	while (a->msg != NULL && (c = getc(f)) != EOF) {
		if (a->len + 2 >= cap) {
			char *p = realloc(a->msg, cap *= 2);
			if (p == NULL) {
				free(a->msg);
				a->msg = NULL;
				break;
			}
			a->msg = p;
		}
		if (c == '\n' && prev != '\r')
			a->msg[a->len++] = '\r';
		a->msg[a->len++] = (char)c;
		prev = c;
	}
	fclose(f);
	if (a->msg == NULL) {
		fprintf(stderr, "%s: out of memory\n", o->file);
		return -1;
	}
	if (a->len > 0 && prev != '\n') {
		a->msg[a->len++] = '\r';
		a->msg[a->len++] = '\n';
	}
	return 0;
}

void client_app_free(client_app *a)
{
	free(a->msg);
	a->msg = NULL;
}

/* BODY=8BITMIME when the message has 8-bit octets (RFC 6152). */
static postel_data_body body_type(const client_app *a)
{
	for (size_t i = 0; i < a->len; i++)
		if ((unsigned char)a->msg[i] >= 0x80)
			return POSTEL_DATA_BODY_8BITMIME;
	return POSTEL_DATA_BODY_7BIT;
}

static void refused(const postel_client *c, const char *what)
{
	postel_client_refusal r = postel_client_refused(c);
	fprintf(stderr, "%s refused before sending: %s (%s)\n", what,
		postel_client_refusal_name(r), postel_client_refusal_rfc(r));
}

static void print_reply(const postel_client_event *ev)
{
	const postel_reply *r = ev->reply;
	postel_span text = {"", 0};
	if (r->num_lines > 0)
		text = r->lines[0];
	fprintf(stderr, "%s: %u %.*s\n", postel_client_cmd_name(ev->cmd),
		r->code, (int)text.n, text.p);
}

void client_app_event(client_app *a, postel_client *c,
		      const postel_client_event *ev)
{
	switch (ev->type) {
	case POSTEL_CLIENT_READY:
		/* Idle: send the message once, then say goodbye. */
		if (!a->started) {
			postel_client_mail_opts m;
			postel_status r;
			memset(&m, 0, sizeof m);
			m.from.p = a->opt->from;
			m.from.n = strlen(a->opt->from);
			m.size = a->len;
			m.body = body_type(a);
			r = postel_client_mail(c, &m);
			if (r == POSTEL_OUTPUT_FULL)
				return; /* READY comes again */
			a->started = 1;
			if (r == POSTEL_INVALID) {
				refused(c, "MAIL");
				postel_client_quit(c);
			}
			return;
		}
		postel_client_quit(c);
		return;
	case POSTEL_CLIENT_NEED_RCPT:
		/* One recipient, then no more. */
		if (ev->rcpt == 0 &&
		    postel_client_rcpt(c, a->opt->to, strlen(a->opt->to),
				       NULL) != POSTEL_INVALID)
			return;
		if (ev->rcpt == 0)
			refused(c, "RCPT");
		postel_client_data(c);
		return;
	case POSTEL_CLIENT_NEED_CONTENT: {
		/* As much of the message as the engine takes now; it asks
		 * again for the rest. */
		size_t used = 0;
		if (postel_client_body(c, a->msg + a->sent, a->len - a->sent, 1,
				       &used) == POSTEL_INVALID)
			refused(c, "message");
		a->sent += used;
		return;
	}
	case POSTEL_CLIENT_AUTH_CHALLENGE:
		postel_client_auth_cancel(c); /* never asked for AUTH */
		return;
	case POSTEL_CLIENT_REPLY:
		if (a->opt->verbose || ev->reply->code >= 400)
			print_reply(ev);
		return;
	case POSTEL_CLIENT_VIOLATION:
		fprintf(stderr, "server violation %s (%s)\n",
			postel_violation_name(ev->violation),
			postel_violation_rfc(ev->violation));
		return;
	case POSTEL_CLIENT_REFUSED:
		fprintf(stderr, "refused: %s (%s)\n",
			postel_client_refusal_name(ev->refusal),
			postel_client_refusal_rfc(ev->refusal));
		return;
	case POSTEL_CLIENT_TRANSACTION_END:
		a->accepted = ev->accepted;
		return;
	default:
		return;
	}
}

int client_app_result(const client_app *a, const postel_client *c)
{
	postel_status e = postel_client_last_error(c);
	if (e != POSTEL_OK)
		fprintf(stderr, "session failed: %s: %s\n", postel_status_name(e),
			postel_client_last_error_text(c));
	if (a->accepted == 0) {
		fprintf(stderr, "the message was not accepted\n");
		return 1;
	}
	printf("sent %zu octets to %s: accepted\n", a->len, a->opt->to);
	return e == POSTEL_OK ? 0 : 1;
}
