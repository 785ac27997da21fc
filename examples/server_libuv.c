/*
 * examples/server_libuv.c — the postel server engine under libuv.
 *
 *   server_libuv [-v] [-d MAILDIR] [-t SECONDS] 127.0.0.1:2525
 *
 * I/O model. libuv's loop owns the sockets and calls back: on_connection
 * for a new client, alloc_cb/read_cb when bytes arrive, write_cb when a
 * write is done, on_timeout when a session's uv_timer_t fires. One thread,
 * many sessions.
 *
 * Engine contract shown (postel/server.h, postel/engine.h):
 *  - zero copy both ways: alloc_cb hands libuv the engine's own input room
 *    (postel_server_recv_buf()), read_cb says how much arrived
 *    (postel_server_recv_ack()); uv_write() sends straight from
 *    postel_server_send_buf(), and write_cb acknowledges it
 *    (postel_server_send_ack()). The output bytes stay valid until then;
 *  - state first: after every callback, drive() pulls and answers events
 *    (server_app.c), starts a write when the engine says WRITE, and keeps
 *    reading only while it says READ and no write is in flight (so the
 *    engine is never asked to take input it has no room for);
 *  - the caller owns the clock: the uv_timer_t is armed with the RFC 5321
 *    §4.5.3.2 timer postel_server_timeout() names (again whenever input
 *    arrives); when it fires, postel_server_timed_out() makes the engine
 *    say 421 and close;
 *  - CLOSED means close the handles; the session is freed when libuv has
 *    closed both of them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "postel/server.h"
#include "server_app.h"

typedef struct session {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write_req;
	size_t writing;       /* bytes of the write in flight (0: none) */
	int reading;          /* uv_read_start() is on */
	int open_handles;     /* tcp and timer, until their close_cb */
	postel_timeout armed; /* the timer armed on `timer` */
	server_app app;
	postel_server engine;
	unsigned char in[SERVER_APP_INBUF], out[SERVER_APP_OUTBUF];
} session;

static server_options opt;
static postel_server_config config;
static maildir *store;
static unsigned long sessions;

static void drive(session *s, int got_input);

static void on_close(uv_handle_t *h)
{
	session *s = h->data;
	if (--s->open_handles == 0)
		free(s);
}

static void session_close(session *s)
{
	if (uv_is_closing((uv_handle_t *)&s->tcp))
		return;
	server_app_end(&s->app);
	uv_close((uv_handle_t *)&s->tcp, on_close);
	uv_close((uv_handle_t *)&s->timer, on_close);
}

/* libuv asks where to put the bytes it is about to read: in the engine. */
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	session *s = h->data;
	size_t n;
	unsigned char *p = postel_server_recv_buf(&s->engine, &n);
	(void)suggested;
	*buf = uv_buf_init((char *)p, (unsigned)n);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	session *s = stream->data;
	(void)buf;
	if (nread > 0) {
		postel_server_recv_ack(&s->engine, (size_t)nread);
		drive(s, 1);
	} else if (nread == UV_EOF) {
		postel_server_eof(&s->engine);
		drive(s, 0);
	} else if (nread < 0 && nread != UV_ENOBUFS) {
		session_close(s); /* connection reset, ... */
	}
	/* nread == 0: nothing this time (EAGAIN) */
}

static void write_cb(uv_write_t *req, int status)
{
	session *s = req->data;
	if (status < 0) {
		session_close(s); /* the client is gone */
		return;
	}
	postel_server_send_ack(&s->engine, s->writing);
	s->writing = 0;
	drive(s, 0);
}

static void on_timeout(uv_timer_t *t)
{
	session *s = t->data;
	s->armed = POSTEL_TIMEOUT_NONE;
	server_app_timed_out(&s->app, &s->engine); /* 421, then CLOSED */
	drive(s, 0);
}

/* Run the engine as far as it goes, then tell libuv what to wait for. */
static void drive(session *s, int got_input)
{
	postel_timeout t;
	unsigned st;
	int want_read;

	if (uv_is_closing((uv_handle_t *)&s->tcp))
		return;
	/* Pull and answer events; then the state says what to do. */
	st = server_app_events(&s->app, &s->engine);
	if (st & POSTEL_CLOSED) {
		session_close(s);
		return;
	}
	if (st & POSTEL_TLS) { /* never: STARTTLS is not offered */
		session_close(s);
		return;
	}
	if ((st & POSTEL_WRITE) && s->writing == 0) {
		size_t n;
		const unsigned char *p = postel_server_send_buf(&s->engine, &n);
		uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
		if (uv_write(&s->write_req, (uv_stream_t *)&s->tcp, &b, 1,
			     write_cb) != 0) {
			session_close(s);
			return;
		}
		s->writing = n;
	}

	want_read = (st & POSTEL_READ) && s->writing == 0;
	if (want_read && !s->reading)
		uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
	else if (!want_read && s->reading)
		uv_read_stop((uv_stream_t *)&s->tcp);
	s->reading = want_read;

	t = postel_server_timeout(&s->engine);
	if (t != s->armed || got_input) {
		unsigned sec = server_app_timeout(&opt, t);
		if (sec)
			uv_timer_start(&s->timer, on_timeout, 1000u * sec, 0);
		else
			uv_timer_stop(&s->timer);
		s->armed = t;
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	session *s;
	if (status < 0)
		return;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return;
	uv_tcp_init(server->loop, &s->tcp);
	uv_timer_init(server->loop, &s->timer);
	s->tcp.data = s->timer.data = s->write_req.data = s;
	s->open_handles = 2;
	server_app_init(&s->app, store, ++sessions, opt.verbose);
	if (uv_accept(server, (uv_stream_t *)&s->tcp) != 0 ||
	    postel_server_init(&s->engine, &config, s->in, sizeof s->in,
			       s->out, sizeof s->out) != POSTEL_OK) {
		session_close(s);
		return;
	}
	uv_tcp_nodelay(&s->tcp, 1);
	drive(s, 0); /* CONNECT event: the greeting goes out */
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	uv_tcp_t server;
	int r, lfd = server_app_setup(argc, argv, &opt, &config, &store);
	if (lfd < 0)
		return 1;
	/* libuv takes over the listening socket. */
	uv_tcp_init(loop, &server);
	r = uv_tcp_open(&server, lfd);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection);
	if (r != 0) {
		fprintf(stderr, "listen: %s\n", uv_strerror(r));
		return 1;
	}
	return uv_run(loop, UV_RUN_DEFAULT);
}
