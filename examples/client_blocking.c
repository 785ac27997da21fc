/*
 * examples/client_blocking.c — the postel client engine over a blocking
 * socket: send one message, with STARTTLS when the server offers it.
 *
 *   client_blocking [-v] [-T|-P] [-C CAFILE] 127.0.0.1:25 from@example.org \
 *       to@example.net message.eml
 *
 * I/O model. One connection, one thread, plain blocking calls: write
 * everything the engine has to send, then read what the server answers.
 * poll() is used only to wait with a timeout before a read.
 *
 * Engine contract shown (postel/client.h, postel/engine.h):
 *  - the loop looks at postel_client_state() after every step: WRITE
 *    first, then pull one event (client_app.c answers it: the answer
 *    queues commands, so the state must be read again), then TLS, then
 *    READ straight into postel_client_recv_buf();
 *  - STARTTLS without TLS in the engine: when the state says TLS the
 *    program runs the handshake itself (OpenSSL over memory BIOs,
 *    tools/tls.h) and calls postel_client_tls_started(); from then on
 *    the same loop moves the engine's plaintext through TLS: send_buf →
 *    ptls_write_fd(), ptls_read_fd() → recv_buf. The engine never sees a
 *    ciphertext byte, and discards any reply bytes that arrived before the
 *    handshake (RFC 3207 §4.2, "STARTTLS injection");
 *  - the caller owns the clock: before a read it waits at most the RFC
 *    5321 §4.5.3.2 time postel_client_timeout() names, and calls
 *    postel_client_timed_out() when that passes;
 *  - CLOSED ends the loop; postel_client_last_error() says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client_app.h"
#include "net.h"
#include "postel/client.h"
#include "tls.h"

static char in[CLIENT_APP_INBUF], out[CLIENT_APP_OUTBUF];

int main(int argc, char **argv)
{
	client_options opt;
	client_app app;
	postel_client c;
	postel_client_config config;
	net_addr addr;
	char err[256], host[NET_ADDRSTRLEN];
	ptls_ctx *ctx;
	ptls *tls = NULL;
	int fd, failed, status;

	if (client_options_parse(&opt, argc, argv) != 0)
		return 64;
	if (client_app_init(&app, &opt) != 0)
		return 1;
	ctx = client_app_tls(&opt, &failed);
	if (failed)
		return 1;
	if (net_parse(opt.server, "127.0.0.1", 25, &addr, err, sizeof err) != 0 ||
	    (fd = net_connect(&addr, 0, 30000, err, sizeof err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	client_app_config(&opt, &config);
	postel_client_init(&c, &config, in, sizeof in, out, sizeof out);

	for (;;) {
		unsigned st = postel_client_state(&c);
		int ms = client_app_timeout_ms(&opt, postel_client_timeout(&c));
		postel_client_event ev;
		ptls_result r;
		const char *p;
		char *q;
		size_t n, got = 0;

		if (st & POSTEL_CLOSED)
			break;
		if (st & POSTEL_WRITE) {
			p = postel_client_send_buf(&c, &n);
			if (tls != NULL ? ptls_write_fd(tls, fd, p, n, ms) != PTLS_OK
					: net_write_all(fd, p, n, ms) != 0) {
				fprintf(stderr, "write failed\n");
				break;
			}
			postel_client_send_ack(&c, n);
			continue;
		}
		if (postel_client_next(&c, &ev)) {
			client_app_event(&app, &c, &ev);
			continue;
		}
		/* No event: next() may have found that it needs input. */
		st = postel_client_state(&c);
		if (st & POSTEL_TLS) {
			/* The 220 to STARTTLS came: handshake, then tell the
			 * engine, which starts over with EHLO. */
			tls = ptls_new(ctx, net_format_ip(&addr, host, sizeof host));
			if (tls == NULL ||
			    ptls_handshake_fd(tls, fd, ms) != PTLS_OK) {
				fprintf(stderr, "TLS handshake failed: %s\n",
					tls != NULL ? ptls_error(tls) : "no memory");
				break;
			}
			postel_client_tls_started(&c);
			continue;
		}
		if (!(st & POSTEL_READ))
			break; /* nothing to do: cannot happen */
		/* Read, waiting at most as long as RFC 5321 says. Under TLS,
		 * records already received are decrypted first. */
		q = postel_client_recv_buf(&c, &n);
		r = tls != NULL ? ptls_read(tls, q, n, &got) : PTLS_WANT;
		if (r == PTLS_WANT && net_wait(fd, POLLIN, ms) == 0) {
			fprintf(stderr, "%s timeout\n",
				postel_timeout_name(postel_client_timeout(&c)));
			postel_client_timed_out(&c);
			continue;
		}
		if (r == PTLS_WANT && tls != NULL) {
			r = ptls_read_fd(tls, fd, q, n, &got, ms);
		} else if (r == PTLS_WANT) {
			long k = net_read_some(fd, q, n, ms);
			r = k < 0 ? PTLS_ERROR : PTLS_OK;
			got = k < 0 ? 0 : (size_t)k;
		}
		if (r == PTLS_ERROR) {
			fprintf(stderr, "read failed: %s\n",
				tls != NULL ? ptls_error(tls) : strerror(errno));
			break;
		}
		if (got == 0)
			postel_client_eof(&c); /* the server closed */
		else
			postel_client_recv_ack(&c, got);
	}

	status = client_app_result(&app, &c);
	if (tls != NULL) {
		ptls_shutdown(tls); /* close_notify */
		ptls_flush_fd(tls, fd, 1000);
		ptls_free(tls);
	}
	close(fd);
	ptls_ctx_free(ctx);
	client_app_free(&app);
	return status;
}
