/*
 * tools/net.c — sockets for the postel tools (net.h).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int parse_host(const char *h, unsigned port, net_addr *out)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	memset(out, 0, sizeof *out);
	if (strcmp(h, "localhost") == 0)
		h = "127.0.0.1";
	if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->len = sizeof *v4;
		return 0;
	}
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->len = sizeof *v6;
		return 0;
	}
	return -1;
}

int net_parse(const char *s, const char *default_host, unsigned default_port,
	      net_addr *out, char *err, size_t errlen)
{
	char host[NET_ADDRSTRLEN];
	const char *port_s = NULL;
	unsigned port = default_port;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof host)
		goto bad;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			goto bad;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			goto bad;
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		/* several colons and no brackets: a bare IPv6 address */
		memcpy(host, s, n + 1);
	} else if (strchr(s, ':') != NULL) {
		const char *colon = strchr(s, ':');
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port_s = colon + 1;
		if (host[0] == '\0')
			snprintf(host, sizeof host, "%s", default_host);
	} else if (parse_port(s, &port) == 0) {
		snprintf(host, sizeof host, "%s", default_host);
	} else {
		memcpy(host, s, n + 1);
	}
	if (port_s != NULL && parse_port(port_s, &port) != 0)
		goto bad;
	if (parse_host(host, port, out) != 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "bad address '%s' (want ADDR:PORT or [V6ADDR]:PORT, numeric)",
		 s);
	return -1;
}

unsigned net_port(const net_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

const char *net_format_ip(const net_addr *a, char *buf, size_t len)
{
	const void *src;
	if (a->ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	else if (a->ss.ss_family == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else {
		snprintf(buf, len, "unknown");
		return buf;
	}
	if (inet_ntop(a->ss.ss_family, src, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "unknown");
	return buf;
}

const char *net_format(const net_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	net_format_ip(a, ip, sizeof ip);
	if (a->ss.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, net_port(a));
	else
		snprintf(buf, len, "%s:%u", ip, net_port(a));
	return buf;
}

int net_local(int fd, net_addr *out)
{
	memset(out, 0, sizeof *out);
	out->len = sizeof out->ss;
	return getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
}

int net_peer(int fd, net_addr *out)
{
	memset(out, 0, sizeof *out);
	out->len = sizeof out->ss;
	return getpeername(fd, (struct sockaddr *)&out->ss, &out->len);
}

int net_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

int net_listen(const net_addr *a, int backlog, char *err, size_t errlen)
{
	char buf[NET_ADDRSTRLEN];
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		goto fail;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		goto fail;
	if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "listen on %s: %s", net_format(a, buf, sizeof buf),
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int net_accept(int lfd, net_addr *peer)
{
	net_addr tmp;
	int one = 1;
	int fd;
	if (peer == NULL)
		peer = &tmp;
	memset(peer, 0, sizeof *peer);
	peer->len = sizeof peer->ss;
	fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int net_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p;
	int r;
	p.fd = fd;
	p.events = events;
	p.revents = 0;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	return r > 0 ? 1 : 0;
}

int net_connect_result(int fd)
{
	int e = 0;
	socklen_t l = sizeof e;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
		return errno;
	return e;
}

int net_connect(const net_addr *a, int nonblock, int timeout_ms, char *err,
		size_t errlen)
{
	char buf[NET_ADDRSTRLEN];
	int one = 1;
	int e;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (fd < 0)
		goto fail;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		if (nonblock)
			return fd;
		e = net_wait(fd, POLLOUT, timeout_ms);
		if (e <= 0) {
			errno = e == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		e = net_connect_result(fd);
		if (e != 0) {
			errno = e;
			goto fail;
		}
	}
	if (!nonblock && net_nonblock(fd, 0) != 0)
		goto fail;
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "connect to %s: %s",
		 net_format(a, buf, sizeof buf), strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* After a failed read/write (errno set): 0 to try again (EINTR, or the
 * socket became ready), -1 to give up (ETIMEDOUT on timeout). */
static int retry(int fd, short events, int timeout_ms)
{
	int w;
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	w = net_wait(fd, events, timeout_ms);
	if (w > 0)
		return 0;
	if (w == 0)
		errno = ETIMEDOUT;
	return -1;
}

int net_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k > 0) {
			p = (const char *)p + k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && retry(fd, POLLOUT, timeout_ms) == 0)
			continue;
		return -1;
	}
	return 0;
}

long net_read_some(int fd, void *buf, size_t cap, int timeout_ms)
{
	for (;;) {
		ssize_t k = read(fd, buf, cap);
		if (k >= 0)
			return (long)k;
		if (retry(fd, POLLIN, timeout_ms) != 0)
			return -1;
	}
}
