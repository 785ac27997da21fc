/*
 * examples/client_libuv.c — the postel client engine under libuv: send one
 * message, with STARTTLS when the server offers it.
 *
 *   client_libuv [-v] [-T|-P] [-C CAFILE] 127.0.0.1:25 from@example.org \
 *       to@example.net message.eml
 *
 * I/O model. libuv's loop calls back when the connection is made, when
 * bytes arrive, when a write is done and when the timer fires; drive()
 * then runs the engine as far as it goes and says what to wait for.
 *
 * Engine contract shown (postel/client.h, postel/engine.h):
 *  - in clear text, zero copy: alloc_cb hands libuv the engine's input
 *    room (postel_client_recv_buf()), read_cb acknowledges what arrived;
 *    uv_write() sends straight from postel_client_send_buf(), write_cb
 *    acknowledges it;
 *  - STARTTLS with TLS outside the engine: when the state says TLS, the
 *    program starts OpenSSL over memory BIOs (tools/tls.h). From then on
 *    libuv reads ciphertext into a buffer of ours, ptls_feed() takes it,
 *    ptls_handshake() and later ptls_read() turn it into the engine's
 *    input; the engine's output goes through ptls_write(), and the
 *    ciphertext waiting in ptls_out_buf() is copied into uv_write()
 *    requests. After the handshake, postel_client_tls_started(): the
 *    engine says EHLO again (RFC 3207 §4.2);
 *  - after every event the state is read again (an answer queues
 *    commands); reads happen only while the state says READ;
 *  - the caller owns the clock: a uv_timer_t armed with the RFC 5321
 *    §4.5.3.2 time postel_client_timeout() names; when it fires,
 *    postel_client_timed_out().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client_app.h"
#include "net.h"
#include "postel/client.h"
#include "tls.h"

/* One connection: the program's whole state. */
static struct {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t connect_req;
	uv_write_t write_req;   /* clear text: a write from the engine */
	size_t writing;         /* its length (0: none in flight) */
	int writes;             /* TLS: ciphertext writes in flight */
	int reading, closing, shut;
	postel_timeout armed;
	ptls_ctx *ctx;
	ptls *tls;              /* NULL until STARTTLS */
	char host[NET_ADDRSTRLEN];
	char cipher[16384];     /* TLS: ciphertext from the socket */
	client_app app;
	postel_client engine;
	char in[CLIENT_APP_INBUF], out[CLIENT_APP_OUTBUF];
} conn;

/* A ciphertext write: libuv needs the bytes until write_cb. */
typedef struct cipher_write {
	uv_write_t req;
	char data[];
} cipher_write;

static void drive(int got_input);

static void finish(void)
{
	if (conn.closing)
		return;
	conn.closing = 1;
	uv_close((uv_handle_t *)&conn.tcp, NULL);
	uv_close((uv_handle_t *)&conn.timer, NULL);
}

static void cipher_written(uv_write_t *req, int status)
{
	free(req); /* req is the first member of its cipher_write */
	conn.writes--;
	if (status < 0) {
		fprintf(stderr, "write: %s\n", uv_strerror(status));
		finish();
		return;
	}
	drive(0);
}

/* Queue the ciphertext OpenSSL produced (handshake or records). */
static void flush_tls(void)
{
	const void *p;
	size_t n;
	while ((p = ptls_out_buf(conn.tls, &n)) != NULL) {
		cipher_write *w = malloc(sizeof *w + n);
		uv_buf_t b;
		if (w == NULL) {
			finish();
			return;
		}
		memcpy(w->data, p, n);
		ptls_out_ack(conn.tls, n);
		b = uv_buf_init(w->data, (unsigned)n);
		if (uv_write(&w->req, (uv_stream_t *)&conn.tcp, &b, 1,
			     cipher_written) != 0) {
			free(w);
			finish();
			return;
		}
		conn.writes++;
	}
}

static void plain_written(uv_write_t *req, int status)
{
	(void)req;
	if (status < 0) {
		fprintf(stderr, "write: %s\n", uv_strerror(status));
		finish();
		return;
	}
	postel_client_send_ack(&conn.engine, conn.writing);
	conn.writing = 0;
	drive(0);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	size_t n;
	char *p;
	(void)h;
	(void)suggested;
	if (conn.tls != NULL) {
		*buf = uv_buf_init(conn.cipher, sizeof conn.cipher);
		return;
	}
	p = postel_client_recv_buf(&conn.engine, &n);
	*buf = uv_buf_init(p, (unsigned)n);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)s;
	if (nread == 0 || nread == UV_ENOBUFS)
		return;
	if (nread < 0 && nread != UV_EOF) {
		fprintf(stderr, "read: %s\n", uv_strerror((int)nread));
		finish();
		return;
	}
	if (conn.tls != NULL) {
		/* Ciphertext (or EOF, n = 0) for OpenSSL; drive() decrypts. */
		ptls_feed(conn.tls, buf->base, nread > 0 ? (size_t)nread : 0);
	} else if (nread > 0) {
		postel_client_recv_ack(&conn.engine, (size_t)nread);
	} else {
		postel_client_eof(&conn.engine);
	}
	drive(nread > 0);
}

static void on_timeout(uv_timer_t *t)
{
	(void)t;
	fprintf(stderr, "%s timeout\n",
		postel_timeout_name(postel_client_timeout(&conn.engine)));
	conn.armed = POSTEL_TIMEOUT_NONE;
	postel_client_timed_out(&conn.engine);
	drive(0);
}

/* Advance the TLS handshake; 1 when it is complete, 0 while it needs
 * more from the server, -1 when it failed. */
static int handshake(void)
{
	ptls_result r = ptls_handshake(conn.tls);
	flush_tls();
	if (r == PTLS_OK)
		return 1;
	if (r == PTLS_WANT)
		return 0;
	fprintf(stderr, "TLS handshake failed: %s\n", ptls_error(conn.tls));
	return -1;
}

/* Run the engine as far as it goes, then tell libuv what to wait for. */
static void drive(int got_input)
{
	unsigned st;
	int want_read;
	postel_timeout t;

	for (;;) {
		postel_client_event ev;
		size_t n, got;

		if (conn.closing)
			return;
		st = postel_client_state(&conn.engine);
		if (st & POSTEL_CLOSED) {
			if (conn.tls != NULL && !conn.shut &&
			    ptls_established(conn.tls)) {
				conn.shut = 1;
				ptls_shutdown(conn.tls); /* close_notify */
				flush_tls();
			}
			if (conn.writes == 0)
				finish(); /* else when the last write is done */
			return;
		}
		if ((st & POSTEL_WRITE) && conn.writing == 0) {
			const char *p = postel_client_send_buf(&conn.engine, &n);
			if (conn.tls != NULL) {
				/* Encrypt now; the engine's bytes are then
				 * ours to send. */
				if (ptls_write(conn.tls, p, n, &got) != PTLS_OK) {
					fprintf(stderr, "TLS: %s\n",
						ptls_error(conn.tls));
					finish();
					return;
				}
				postel_client_send_ack(&conn.engine, got);
				flush_tls();
				continue;
			}
			uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
			if (uv_write(&conn.write_req, (uv_stream_t *)&conn.tcp,
				     &b, 1, plain_written) != 0) {
				finish();
				return;
			}
			conn.writing = n;
			break;
		}
		if (postel_client_next(&conn.engine, &ev)) {
			client_app_event(&conn.app, &conn.engine, &ev);
			continue;
		}
		/* No event: next() may have found that it needs input. */
		st = postel_client_state(&conn.engine);
		if (st & POSTEL_TLS) {
			int h;
			if (conn.tls == NULL)
				conn.tls = ptls_new(conn.ctx, conn.host);
			h = conn.tls != NULL ? handshake() : -1;
			if (h < 0) {
				finish();
				return;
			}
			if (h == 0)
				break; /* read more ciphertext */
			postel_client_tls_started(&conn.engine);
			continue;
		}
		if ((st & POSTEL_READ) && conn.tls != NULL) {
			/* Decrypt what OpenSSL has into the engine. */
			char *q = postel_client_recv_buf(&conn.engine, &n);
			ptls_result r = ptls_read(conn.tls, q, n, &got);
			flush_tls();
			if (r == PTLS_OK) {
				postel_client_recv_ack(&conn.engine, got);
				continue;
			}
			if (r == PTLS_EOF) {
				postel_client_eof(&conn.engine);
				continue;
			}
			if (r == PTLS_ERROR) {
				fprintf(stderr, "TLS: %s\n", ptls_error(conn.tls));
				finish();
				return;
			}
		}
		break; /* PTLS_WANT, or waiting for the server */
	}

	/* Read while the engine waits for the server (or the handshake
	 * does), and no clear-text write from the engine is in flight. */
	want_read = (st & (POSTEL_READ | POSTEL_TLS)) && conn.writing == 0;
	if (want_read && !conn.reading)
		uv_read_start((uv_stream_t *)&conn.tcp, alloc_cb, read_cb);
	else if (!want_read && conn.reading)
		uv_read_stop((uv_stream_t *)&conn.tcp);
	conn.reading = want_read;

	t = postel_client_timeout(&conn.engine);
	if (t != conn.armed || got_input) {
		int ms = client_app_timeout_ms(conn.app.opt, t);
		if (ms > 0)
			uv_timer_start(&conn.timer, on_timeout, (uint64_t)ms, 0);
		else
			uv_timer_stop(&conn.timer);
		conn.armed = t;
	}
}

static void on_connect(uv_connect_t *req, int status)
{
	(void)req;
	if (status < 0) {
		fprintf(stderr, "connect: %s\n", uv_strerror(status));
		finish();
		return;
	}
	uv_tcp_nodelay(&conn.tcp, 1);
	drive(0); /* the engine waits for the greeting: READ */
}

int main(int argc, char **argv)
{
	client_options opt;
	postel_client_config config;
	net_addr addr;
	char err[256];
	uv_loop_t *loop = uv_default_loop();
	int failed, status;

	if (client_options_parse(&opt, argc, argv) != 0)
		return 64;
	if (client_app_init(&conn.app, &opt) != 0)
		return 1;
	conn.ctx = client_app_tls(&opt, &failed);
	if (failed)
		return 1;
	if (net_parse(opt.server, "127.0.0.1", 25, &addr, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	net_format_ip(&addr, conn.host, sizeof conn.host);
	client_app_config(&opt, &config);
	postel_client_init(&conn.engine, &config, conn.in, sizeof conn.in,
			   conn.out, sizeof conn.out);

	uv_tcp_init(loop, &conn.tcp);
	uv_timer_init(loop, &conn.timer);
	uv_tcp_connect(&conn.connect_req, &conn.tcp,
		       (const struct sockaddr *)&addr.ss, on_connect);
	uv_run(loop, UV_RUN_DEFAULT);

	status = client_app_result(&conn.app, &conn.engine);
	ptls_free(conn.tls);
	ptls_ctx_free(conn.ctx);
	client_app_free(&conn.app);
	return status;
}
