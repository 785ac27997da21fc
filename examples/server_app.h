/*
 * examples/server_app.h — the application half of the server examples.
 *
 * The engine asks; the application answers. This file is everything the
 * examples' "MTA" decides, and it is the same whatever the I/O model:
 * server_epoll.c, server_libuv.c and server_uring.c only move bytes and
 * keep time, and let server_app_events() pull and answer the events.
 *
 * Policy of this toy MTA: accept every connection, sender and recipient;
 * store each message in a Maildir (tools/maildir.h: written in tmp/,
 * renamed into new/ only once complete) or, without a directory, just
 * count it; answer the end of a message with 250 only after the message
 * is safely stored, so the client's 250 always means "stored" (RFC 5321
 * §4.1.1.4, §6.1). Every decision is answered at once here; a real MTA
 * may answer later (after a DNS or database lookup): the engine waits in
 * POSTEL_DECIDE until it does.
 */
#ifndef POSTEL_EXAMPLES_SERVER_APP_H
#define POSTEL_EXAMPLES_SERVER_APP_H

#include <stdint.h>

#include "maildir.h"
#include "postel/server.h"

/** Buffer sizes for each session (server.h: good sizes without AUTH). */
#define SERVER_APP_INBUF 4096
#define SERVER_APP_OUTBUF 4096

/** Command-line options shared by the server examples. */
typedef struct server_options {
	const char *listen;   /**< "ADDR:PORT"; port 0 picks a free one */
	const char *maildir;  /**< -d DIR: store messages there, else discard */
	unsigned timeout;     /**< -t SECONDS: shorter timeouts (tests), 0: the
			       * RFC 5321 §4.5.3.2 values */
	int verbose;          /**< -v: log every event to stderr */
} server_options;

/** One session's application state. */
typedef struct server_app {
	unsigned long id;     /**< session number, for log lines */
	maildir *store;       /**< NULL: discard */
	maildir_msg msg;      /**< the message being received */
	uint64_t messages;    /**< messages accepted in this session */
	int verbose;
} server_app;

/**
 * What every server example does first: parse argv ("[-v] [-d MAILDIR]
 * [-t SECONDS] ADDR:PORT") into `o`, open the store (`*store`, NULL when
 * messages are discarded), fill the engine configuration `c` (hostname
 * "localhost", the extensions of POSTEL_SERVER_EXT_DEFAULT: PIPELINING,
 * CHUNKING, ...; lenient), listen, and print "listening on ADDR:PORT".
 * Returns the listening socket (non-blocking), or -1 after printing why.
 */
int server_app_setup(int argc, char **argv, server_options *o,
		     postel_server_config *c, maildir **store);

/** Seconds to arm for timer `t` (0: no timer). */
unsigned server_app_timeout(const server_options *o, postel_timeout t);

/** A new session. */
void server_app_init(server_app *a, maildir *store, unsigned long id,
		     int verbose);

/** Pull every event the engine has now (postel_server_next()) and
 * handle it, answering the decisions at once; returns
 * postel_server_state() afterwards, which says what the I/O should do. */
unsigned server_app_events(server_app *a, postel_server *s);

/** The timer the engine named fired: log it and tell the engine, which
 * queues "421 4.4.2 ... timeout" and closes (RFC 5321 §4.5.3.2). */
void server_app_timed_out(server_app *a, postel_server *s);

/** The connection is gone: drop a message still being received. */
void server_app_end(server_app *a);

#endif
