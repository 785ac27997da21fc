/*
 * examples/server_uring.c — the postel server engine over io_uring.
 *
 *   server_uring [-v] [-d MAILDIR] [-t SECONDS] 127.0.0.1:2525
 *
 * I/O model. Completion-based: the program queues operations (accept,
 * recv, send) as submission entries, the kernel performs them, and one
 * loop handles the completions. One thread, many sessions, no readiness
 * polling and no non-blocking sockets.
 *
 * Engine contract shown (postel/server.h, postel/engine.h):
 *  - the kernel reads straight into postel_server_recv_buf() and sends
 *    straight from postel_server_send_buf(); the completion says how many
 *    bytes moved, which goes to _recv_ack() / _send_ack();
 *  - one operation per session at a time: while the kernel may write into
 *    the engine's input buffer, the program makes no other call on that
 *    engine (a call may move unprocessed input inside the buffer). The
 *    engine's state decides the next operation: WRITE → a send, READ → a
 *    recv, CLOSED → close;
 *  - the RFC 5321 §4.5.3.2 timer postel_server_timeout() names is a linked
 *    timeout on each recv (IORING_OP_LINK_TIMEOUT): when it fires, the
 *    kernel cancels the recv and the program calls
 *    postel_server_timed_out(); the engine then says 421 and closes.
 *
 * Needs Linux 5.5 or later (accept and link timeouts) and liburing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "postel/server.h"
#include "server_app.h"

typedef struct session session;

/* What a completion is about: its user_data points to one of these. */
typedef enum op_kind { OP_ACCEPT, OP_RECV, OP_SEND, OP_TIMEOUT } op_kind;
typedef struct op {
	op_kind kind;
	session *s;
} op;

struct session {
	int fd;
	int inflight; /* completions still to come (recv + timeout: 2) */
	int closing;
	struct __kernel_timespec ts; /* the linked timeout of the recv */
	op recv_op, send_op, timeout_op;
	server_app app;
	postel_server engine;
	unsigned char in[SERVER_APP_INBUF], out[SERVER_APP_OUTBUF];
};

static struct io_uring ring;
static server_options opt;
static postel_server_config config;
static maildir *store;
static unsigned long sessions;
static int lfd;
static op accept_op = {OP_ACCEPT, NULL};

/* Room for `n` linked entries in the submission queue. */
static void make_room(unsigned n)
{
	if (io_uring_sq_space_left(&ring) < n)
		io_uring_submit(&ring);
}

static void queue_accept(void)
{
	struct io_uring_sqe *sqe;
	make_room(1);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &accept_op);
}

static void session_close(session *s)
{
	s->closing = 1;
	if (s->inflight > 0) {
		/* Let the kernel finish: the pending recv ends with 0. */
		shutdown(s->fd, SHUT_RDWR);
		return;
	}
	server_app_end(&s->app);
	close(s->fd);
	free(s);
}

/* Run the engine as far as it goes, then queue the one operation it
 * waits for. Only called when no operation of s is in flight. */
static void drive(session *s)
{
	struct io_uring_sqe *sqe;
	unsigned st, sec;
	size_t n;

	/* Pull and answer events; then the state says what to do. */
	st = server_app_events(&s->app, &s->engine);
	if (st & (POSTEL_CLOSED | POSTEL_TLS)) { /* TLS: never, not offered */
		session_close(s);
		return;
	}
	if (st & POSTEL_WRITE) {
		const unsigned char *p = postel_server_send_buf(&s->engine, &n);
		make_room(1);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, s->fd, p, n, MSG_NOSIGNAL);
		io_uring_sqe_set_data(sqe, &s->send_op);
		s->inflight = 1;
		return;
	}
	if (st & POSTEL_READ) {
		unsigned char *p = postel_server_recv_buf(&s->engine, &n);
		sec = server_app_timeout(&opt, postel_server_timeout(&s->engine));
		make_room(2);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, s->fd, p, n, 0);
		io_uring_sqe_set_data(sqe, &s->recv_op);
		s->inflight = 1;
		if (sec > 0) {
			sqe->flags |= IOSQE_IO_LINK;
			s->ts.tv_sec = sec;
			s->ts.tv_nsec = 0;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_link_timeout(sqe, &s->ts, 0);
			io_uring_sqe_set_data(sqe, &s->timeout_op);
			s->inflight = 2;
		}
		return;
	}
	/* Waiting for a decision: never here, every one is answered at
	 * once (an application answering later calls drive() then). */
}

static void session_new(int fd)
{
	int one = 1;
	session *s = calloc(1, sizeof *s);
	if (s == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s->fd = fd;
	s->recv_op = (op){OP_RECV, s};
	s->send_op = (op){OP_SEND, s};
	s->timeout_op = (op){OP_TIMEOUT, s};
	server_app_init(&s->app, store, ++sessions, opt.verbose);
	if (postel_server_init(&s->engine, &config, s->in, sizeof s->in, s->out,
			       sizeof s->out) != POSTEL_OK) {
		session_close(s);
		return;
	}
	drive(s); /* CONNECT event: the greeting goes out */
}

/* One completion: `res` is what the operation returned (-errno). */
static void complete(op *o, int res)
{
	session *s = o->s;
	if (o->kind == OP_ACCEPT) {
		if (res >= 0)
			session_new(res);
		else
			fprintf(stderr, "accept: %s\n", strerror(-res));
		queue_accept();
		return;
	}
	s->inflight--;
	if (s->closing) {
		if (s->inflight == 0)
			session_close(s);
		return;
	}
	switch (o->kind) {
	case OP_RECV:
		if (res > 0) {
			postel_server_recv_ack(&s->engine, (size_t)res);
		} else if (res == 0) {
			postel_server_eof(&s->engine);
		} else if (res == -ECANCELED) {
			/* The linked timeout fired: 421, then CLOSED. */
			server_app_timed_out(&s->app, &s->engine);
		} else {
			session_close(s); /* connection reset, ... */
			return;
		}
		break;
	case OP_SEND:
		if (res <= 0) {
			session_close(s); /* the client is gone */
			return;
		}
		postel_server_send_ack(&s->engine, (size_t)res);
		break;
	default: /* OP_TIMEOUT: -ETIME (fired) or -ECANCELED (recv won) */
		break;
	}
	if (s->inflight == 0)
		drive(s);
}

int main(int argc, char **argv)
{
	int r;
	lfd = server_app_setup(argc, argv, &opt, &config, &store);
	if (lfd < 0)
		return 1;
	net_nonblock(lfd, 0); /* io_uring waits for us; no EAGAIN wanted */
	r = io_uring_queue_init(256, &ring, 0);
	if (r < 0) {
		fprintf(stderr, "io_uring: %s\n", strerror(-r));
		return 1;
	}
	queue_accept();
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "io_uring: %s\n", strerror(-r));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			complete(io_uring_cqe_get_data(cqe), cqe->res);
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
	}
}
