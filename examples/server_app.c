/*
 * examples/server_app.c — the application half of the server examples
 * (see server_app.h).
 */
#define _GNU_SOURCE
#include "server_app.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_options(server_options *o, int argc, char **argv)
{
	int c;
	memset(o, 0, sizeof *o);
	while ((c = getopt(argc, argv, "vd:t:")) != -1) {
		switch (c) {
		case 'v':
			o->verbose = 1;
			break;
		case 'd':
			o->maildir = optarg;
			break;
		case 't':
			o->timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	o->listen = argv[optind];
	return 0;
usage:
	fprintf(stderr,
		"usage: %s [-v] [-d MAILDIR] [-t SECONDS] ADDR:PORT\n"
		"  -d  store each message in MAILDIR/new/ (else discard)\n"
		"  -t  time out idle clients after SECONDS (default: the\n"
		"      RFC 5321 section 4.5.3.2 minimum, 5 minutes)\n"
		"  -v  log every engine event to stderr\n",
		argv[0]);
	return -1;
}

unsigned server_app_timeout(const server_options *o, postel_timeout t)
{
	if (t == POSTEL_TIMEOUT_NONE)
		return 0;
	return o->timeout ? o->timeout : postel_timeout_seconds(t);
}

int server_app_setup(int argc, char **argv, server_options *o,
		     postel_server_config *c, maildir **store)
{
	static maildir md;
	net_addr addr;
	char err[256], name[NET_ADDRSTRLEN];
	int lfd;

	*store = NULL;
	if (parse_options(o, argc, argv) != 0)
		return -1;
	if (o->maildir != NULL) {
		if (maildir_open(&md, o->maildir, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		*store = &md;
	}
	postel_server_config_default(c);
	c->hostname = "localhost";
	c->extensions = POSTEL_SERVER_EXT_DEFAULT;
	c->lenient = POSTEL_LENIENT;
	if (net_parse(o->listen, "127.0.0.1", 25, &addr, err, sizeof err) != 0 ||
	    (lfd = net_listen(&addr, 0, err, sizeof err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	net_local(lfd, &addr); /* the port, when 0 was asked for */
	printf("listening on %s\n", net_format(&addr, name, sizeof name));
	fflush(stdout);
	return lfd;
}

void server_app_init(server_app *a, maildir *store, unsigned long id,
		     int verbose)
{
	memset(a, 0, sizeof *a);
	a->id = id;
	a->store = store;
	a->verbose = verbose;
	maildir_msg_init(&a->msg);
}

/* The end of a message the engine found acceptable: store it, then say
 * 250 (or 451 when it could not be stored: the client will retry). */
static void message_end(server_app *a, postel_server *s,
			const postel_server_event *ev)
{
	if (a->store != NULL && maildir_commit(a->store, &a->msg) != 0) {
		fprintf(stderr, "session %lu: cannot store the message: %s\n",
			a->id, strerror(errno));
		postel_server_reject(s, 451, "4.3.0", "Cannot store the message");
		return;
	}
	a->messages++;
	printf("session %lu: message %llu, %llu octets\n", a->id,
	       (unsigned long long)a->messages, (unsigned long long)ev->size);
	fflush(stdout);
	postel_server_accept(s);
}

/* One event: answer it on `s` when the engine waits for a decision. */
static void handle(server_app *a, postel_server *s,
		   const postel_server_event *ev)
{
	if (a->verbose)
		fprintf(stderr, "session %lu: %s%s %.*s\n", a->id,
			postel_server_event_name(ev->type),
			ev->decide ? " (decide)" : "", (int)ev->line.n,
			ev->line.p);
	/* What the client did wrong, whether the engine refused it or (in
	 * lenient mode) let it pass. */
	for (unsigned i = 0; i < ev->violations.n; i++) {
		postel_violation v = (postel_violation)ev->violations.id[i];
		fprintf(stderr, "session %lu: client violation %s (%s)\n",
			a->id, postel_violation_name(v), postel_violation_rfc(v));
	}
	switch (ev->type) {
	case POSTEL_SERVER_EV_MAIL:
		/* A transaction opens: start a message file for its content
		 * (DATA and BDAT content both arrive as CONTENT events). */
		if (a->store != NULL &&
		    maildir_begin(a->store, &a->msg, "", 0) != 0) {
			postel_server_reject(s, 451, "4.3.0",
					     "Cannot store messages now");
			return;
		}
		postel_server_accept(s);
		return;
	case POSTEL_SERVER_EV_CONTENT:
		/* A piece of the message: a span into the engine's input
		 * buffer, valid until the next call on the engine. */
		if (maildir_msg_open(&a->msg))
			maildir_write(&a->msg, ev->data.p, ev->data.n);
		return;
	case POSTEL_SERVER_EV_MESSAGE:
		if (ev->decide) {
			message_end(a, s, ev);
			return;
		}
		/* Unacceptable content (over SIZE, bare CR/LF, ...): the
		 * engine sends the refusal itself; drop what we kept. */
		if (a->store != NULL)
			maildir_abort(a->store, &a->msg);
		return;
	case POSTEL_SERVER_EV_RESET:
		/* RSET, a new EHLO, a failed BDAT chunk, a lost client:
		 * nothing of this transaction is kept. */
		if (a->store != NULL)
			maildir_abort(a->store, &a->msg);
		return;
	default:
		/* CONNECT, HELO, RCPT, DATA, CHUNK, VRFY, ...: accept, with
		 * the engine's default reply for each. */
		if (ev->decide)
			postel_server_accept(s);
		return;
	}
}

unsigned server_app_events(server_app *a, postel_server *s)
{
	postel_server_event ev;
	while (postel_server_next(s, &ev))
		handle(a, s, &ev);
	return postel_server_state(s);
}

void server_app_timed_out(server_app *a, postel_server *s)
{
	fprintf(stderr, "session %lu: %s timeout\n", a->id,
		postel_timeout_name(postel_server_timeout(s)));
	postel_server_timed_out(s);
}

void server_app_end(server_app *a)
{
	if (a->store != NULL)
		maildir_abort(a->store, &a->msg);
}
