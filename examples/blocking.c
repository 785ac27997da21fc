/*
 * examples/blocking.c — the postel server engine under blocking sockets,
 * one process per connection. The loop in session() is the driving loop
 * of postel/server.h, compiled; copy it into your MTA.
 *
 *   usage: postel-example-blocking [ADDR:PORT] [--stdout]
 *
 * Listens on 127.0.0.1:2526 by default (IPv4 numeric address), accepts
 * every sender and recipient, and discards each message or, with
 * --stdout, writes it to standard output after a "From <sender>" line
 * once the engine's 250 for it is decided. No TLS, no AUTH: see
 * tools/cmd_sink.c for those.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postel/server.h"

/* What the application keeps of one message: the sender and the content. */
struct message {
	char from[512];
	char *text;
	size_t n, cap;
};

static int to_stdout;

static void keep(struct message *m, const char *p, size_t n)
{
	if (!to_stdout || n == 0)
		return;
	if (m->n + n > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 65536;
		char *t;
		while (cap < m->n + n)
			cap *= 2;
		t = realloc(m->text, cap);
		if (t == NULL)
			return;
		m->text = t;
		m->cap = cap;
	}
	memcpy(m->text + m->n, p, n);
	m->n += n;
}

/* Policy: accept everything; write finished messages to stdout. */
static void handle(postel_server *s, const postel_server_event *ev,
		   struct message *m)
{
	switch (ev->type) {
	case POSTEL_SERVER_EV_MAIL:
		snprintf(m->from, sizeof m->from, "%.*s", (int)ev->arg.n,
			 ev->arg.p);
		m->n = 0;
		break;
	case POSTEL_SERVER_EV_CONTENT:
		keep(m, ev->data.p, ev->data.n);
		break;
	case POSTEL_SERVER_EV_MESSAGE:
		if (ev->decide && to_stdout) {
			/* one write per message keeps concurrent sessions'
			 * messages apart when stdout is a file (O_APPEND) */
			char *out = malloc(m->n + sizeof m->from + 16);
			if (out != NULL) {
				int h = sprintf(out, "From <%s>\n", m->from);
				memcpy(out + h, m->text, m->n);
				if (write(1, out, (size_t)h + m->n) < 0)
					perror("write");
				free(out);
			}
		}
		m->n = 0;
		break;
	case POSTEL_SERVER_EV_RESET:
		m->n = 0;
		break;
	default:
		break;
	}
	if (ev->decide)
		postel_server_accept(s); /* every decision: the default yes */
}

static void session(int fd)
{
	static unsigned char in[4096], out[4096];
	struct message m = {{0}, NULL, 0, 0};
	struct timeval tv = {300, 0}; /* RFC 5321 §4.5.3.2.7: 5 minutes */
	postel_server s;
	postel_server_config c;
	postel_server_event ev;
	const unsigned char *p;
	unsigned char *q;
	size_t n;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	postel_server_config_default(&c);
	c.hostname = "localhost";
	c.extensions = POSTEL_SERVER_EXT_DEFAULT;
	c.lenient = POSTEL_LENIENT;
	if (postel_server_init(&s, &c, in, sizeof in, out, sizeof out) != 0)
		return;
	for (;;) {
		unsigned st = postel_server_state(&s);
		if (st & POSTEL_CLOSED)
			break;
		if (st & POSTEL_WRITE) {
			p = postel_server_send_buf(&s, &n);
			r = write(fd, p, n);
			if (r <= 0)
				break; /* the client is gone */
			postel_server_send_ack(&s, (size_t)r);
			continue;
		}
		if (st & POSTEL_DECIDE) {
			while (postel_server_next(&s, &ev))
				handle(&s, &ev, &m);
			continue;
		}
		if (st & POSTEL_TLS)
			break; /* STARTTLS is not offered here */
		if (st & POSTEL_READ) {
			q = postel_server_recv_buf(&s, &n);
			r = read(fd, q, n);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				postel_server_timed_out(&s);
			else if (r <= 0)
				postel_server_eof(&s);
			else
				postel_server_recv_ack(&s, (size_t)r);
		}
	}
	free(m.text);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	const char *addr = "127.0.0.1:2526";
	char host[64], *colon;
	int lfd, one = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stdout") == 0)
			to_stdout = 1;
		else
			addr = argv[i];
	}
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	snprintf(host, sizeof host, "%s", addr);
	colon = strrchr(host, ':');
	if (colon != NULL)
		*colon = '\0';
	if (colon == NULL || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "usage: %s [ADDR:PORT] [--stdout]\n", argv[0]);
		return 64;
	}
	a.sin_port = htons((unsigned short)atoi(colon + 1));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(lfd, SOMAXCONN) != 0) {
		perror("listen");
		return 1;
	}
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	fprintf(stderr, "listening on %s:%u\n", host, ntohs(a.sin_port));
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		if (fork() == 0) {
			close(lfd);
			session(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
