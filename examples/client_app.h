/*
 * examples/client_app.h — the application half of the client examples.
 *
 * The client engine runs the SMTP session; at each step where the
 * application has something to say it raises an event (READY: start a
 * transaction or quit; NEED_RCPT: give a recipient or say "no more";
 * NEED_CONTENT: give message bytes). This file answers them to send one
 * message, and it is the same whatever the I/O model: client_blocking.c
 * and client_libuv.c only move bytes (through TLS once STARTTLS is done)
 * and keep time, then hand each event they pull to client_app_event().
 */
#ifndef POSTEL_EXAMPLES_CLIENT_APP_H
#define POSTEL_EXAMPLES_CLIENT_APP_H

#include <stddef.h>

#include "postel/client.h"
#include "tls.h"

/** Buffer sizes of the client engine: replies are short, and content
 * goes out through the output buffer in pieces of this size. */
#define CLIENT_APP_INBUF 4096
#define CLIENT_APP_OUTBUF 16384

/** Command-line options shared by the client examples. */
typedef struct client_options {
	const char *server, *from, *to, *file;
	const char *helo;            /**< -h NAME (default "localhost") */
	const char *ca_file;         /**< -C FILE: verify the server's
				      * certificate against FILE, and
				      * require STARTTLS */
	postel_client_tls starttls;  /**< default opportunistic; -T require,
				      * -P never */
	unsigned timeout;            /**< -t SECONDS; 0: RFC 5321 §4.5.3.2 */
	int verbose;                 /**< -v: print the replies */
} client_options;

/** The state of sending one message. */
typedef struct client_app {
	const client_options *opt;
	char *msg;          /**< the message, with CRLF line ends */
	size_t len, sent;
	int started;        /**< the MAIL command was given */
	unsigned accepted;  /**< recipients that accepted the message */
} client_app;

/** Parse argv ("[-v] [-T|-P] [-C CAFILE] [-h HELO] [-t SECONDS] SERVER
 * FROM TO FILE"). Returns 0, or prints a usage line and returns -1. */
int client_options_parse(client_options *o, int argc, char **argv);

/** The engine configuration for these options. */
void client_app_config(const client_options *o, postel_client_config *c);

/** Milliseconds to wait for timer `t`; -1 for none. */
int client_app_timeout_ms(const client_options *o, postel_timeout t);

/** The TLS configuration for these options (NULL with -P, or after
 * printing why it failed: then `*failed` is set). */
ptls_ctx *client_app_tls(const client_options *o, int *failed);

/** Read the message file (bare LF line ends become CRLF; a final CRLF
 * is added when missing). Returns 0, or -1 after printing why. */
int client_app_init(client_app *a, const client_options *o);
void client_app_free(client_app *a);

/** Handle one event pulled with postel_client_next(), answering on `c`
 * when it asks for a decision. */
void client_app_event(client_app *a, postel_client *c,
		      const postel_client_event *ev);

/** Exit status once the engine is CLOSED (or the connection failed):
 * 0 when the message was accepted and the session ended in order, else
 * 1 (after printing why). */
int client_app_result(const client_app *a, const postel_client *c);

#endif
