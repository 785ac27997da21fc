/*
 * examples/server_epoll.c — the postel server engine in a single-threaded
 * epoll loop: many sessions in one thread, non-blocking sockets.
 *
 *   server_epoll [-v] [-d MAILDIR] [-t SECONDS] 127.0.0.1:2525
 *
 * I/O model. One thread waits in epoll_wait() on the listening socket and,
 * per session, on its socket and on a timerfd. Level-triggered: when a
 * session cannot go on (the socket would block), it tells epoll what it
 * waits for (EPOLLIN or EPOLLOUT) and returns to the loop.
 *
 * Engine contract shown (postel/server.h, postel/engine.h):
 *  - the engine owns two buffers per session; the loop recv()s straight
 *    into postel_server_recv_buf() and send()s straight from
 *    postel_server_send_buf(), then says how many bytes moved with
 *    _recv_ack() / _send_ack(): no copies, no allocation per message;
 *  - postel_server_state() says what to do next: WRITE before READ, pull
 *    events while there are some (server_app.c answers the decisions),
 *    CLOSED means close the socket;
 *  - the engine has no clock: postel_server_timeout() names the RFC 5321
 *    §4.5.3.2 timer that applies, the loop arms a timerfd for it (again
 *    whenever input arrives) and calls postel_server_timed_out() when it
 *    fires; the engine then says 421 and closes;
 *  - nothing here knows SMTP: the same engine and the same server_app.c
 *    run under libuv (server_libuv.c) and io_uring (server_uring.c).
 *
 * STARTTLS is not offered here (see examples/client_*.c and tools/tls.h
 * for TLS over memory BIOs). For tens of thousands of sessions, replace
 * the timerfd per session with a timer wheel (tools/wheel.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "net.h"
#include "postel/server.h"
#include "server_app.h"

typedef struct session session;

/* What an epoll event is about: a session's socket or its timer. The
 * listening socket is registered with a NULL pointer. */
typedef struct watch {
	session *s;
	int is_timer;
} watch;

struct session {
	int fd, tfd;         /* the client's socket and the session's timer */
	uint32_t waiting;    /* EPOLLIN or EPOLLOUT: what epoll watches now */
	postel_timeout armed; /* the timer armed on tfd */
	int closed;
	session *next_dead;  /* freed after the current batch of events */
	watch on_socket, on_timer;
	server_app app;
	postel_server engine;
	unsigned char in[SERVER_APP_INBUF], out[SERVER_APP_OUTBUF];
};

static int ep;
static server_options opt;
static postel_server_config config;
static maildir *store;
static unsigned long sessions;
static session *dead;

static void session_close(session *s)
{
	if (s->closed)
		return;
	s->closed = 1;
	server_app_end(&s->app);
	close(s->fd); /* also removes it from the epoll set */
	close(s->tfd);
	/* Another event of this batch may still name s: free it later. */
	s->next_dead = dead;
	dead = s;
}

static void wait_for(session *s, uint32_t what)
{
	struct epoll_event e = {.events = what, .data.ptr = &s->on_socket};
	if (s->waiting != what && epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e) == 0)
		s->waiting = what;
}

/* Arm the timer the engine names; `renew` restarts it (input came). */
static void arm_timer(session *s, int renew)
{
	postel_timeout t = postel_server_timeout(&s->engine);
	struct itimerspec its;
	if (t == s->armed && !renew)
		return;
	memset(&its, 0, sizeof its); /* all zero: disarm */
	its.it_value.tv_sec = server_app_timeout(&opt, t);
	timerfd_settime(s->tfd, 0, &its, NULL);
	s->armed = t;
}

/*
 * Run the engine as far as it goes without waiting: pull and answer
 * events, write, read. Called when the session starts, when its socket is
 * ready and after a timeout. Reads at most once per call, so that one busy
 * client cannot starve the others (level-triggered epoll calls again).
 */
static void drive(session *s)
{
	int reads = 0;
	for (;;) {
		unsigned st;
		size_t n;
		ssize_t k;

		/* Pull and answer events; then the state says what to do. */
		st = server_app_events(&s->app, &s->engine);
		if (st & POSTEL_CLOSED) {
			session_close(s);
			return;
		}
		if (st & POSTEL_WRITE) {
			const unsigned char *p =
				postel_server_send_buf(&s->engine, &n);
			k = send(s->fd, p, n, MSG_NOSIGNAL);
			if (k > 0) {
				postel_server_send_ack(&s->engine, (size_t)k);
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
				wait_for(s, EPOLLOUT);
				break;
			}
			session_close(s); /* the client is gone */
			return;
		}
		if (st & POSTEL_TLS) {
			/* Never here: STARTTLS is not offered. */
			session_close(s);
			return;
		}
		if ((st & POSTEL_READ) && reads++ == 0) {
			unsigned char *p = postel_server_recv_buf(&s->engine, &n);
			k = recv(s->fd, p, n, 0);
			if (k > 0) {
				postel_server_recv_ack(&s->engine, (size_t)k);
				arm_timer(s, 1);
				continue;
			}
			if (k == 0) {
				postel_server_eof(&s->engine);
				continue;
			}
			if (errno == EAGAIN || errno == EINTR) {
				wait_for(s, EPOLLIN);
				break;
			}
			session_close(s);
			return;
		}
		/* Read once already (more input, if any, comes back through
		 * epoll), or waiting for a decision (never here: every one is
		 * answered at once). */
		wait_for(s, EPOLLIN);
		break;
	}
	arm_timer(s, 0);
}

static void on_timer(session *s)
{
	uint64_t expirations;
	if (read(s->tfd, &expirations, sizeof expirations) < 0)
		return; /* spurious */
	s->armed = POSTEL_TIMEOUT_NONE;
	server_app_timed_out(&s->app, &s->engine); /* 421, then CLOSED */
	drive(s);
}

static void session_new(int fd)
{
	struct epoll_event e;
	session *s = calloc(1, sizeof *s);
	if (s == NULL) {
		close(fd);
		return;
	}
	s->fd = fd;
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->on_socket.s = s->on_timer.s = s;
	s->on_timer.is_timer = 1;
	server_app_init(&s->app, store, ++sessions, opt.verbose);
	if (s->tfd < 0 ||
	    postel_server_init(&s->engine, &config, s->in, sizeof s->in,
			       s->out, sizeof s->out) != POSTEL_OK) {
		fprintf(stderr, "cannot start a session\n");
		if (s->tfd >= 0)
			close(s->tfd);
		close(fd);
		free(s);
		return;
	}
	e.events = s->waiting = EPOLLIN;
	e.data.ptr = &s->on_socket;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	e.events = EPOLLIN;
	e.data.ptr = &s->on_timer;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->tfd, &e);
	drive(s); /* CONNECT event: the greeting goes out */
}

int main(int argc, char **argv)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	int lfd = server_app_setup(argc, argv, &opt, &config, &store);
	if (lfd < 0)
		return 1;

	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			watch *w = evs[i].data.ptr;
			if (w == NULL) {
				int fd;
				while ((fd = net_accept(lfd, NULL)) >= 0)
					session_new(fd);
			} else if (w->s->closed) {
				continue;
			} else if (w->is_timer) {
				on_timer(w->s);
			} else {
				drive(w->s);
			}
		}
		while (dead != NULL) {
			session *s = dead;
			dead = s->next_dead;
			free(s);
		}
	}
}
