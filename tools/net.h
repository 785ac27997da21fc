/*
 * tools/net.h — sockets for the postel tools (sink, send, load, examples).
 *
 * Addresses are numeric: "ADDR:PORT", "[V6ADDR]:PORT", "ADDR" (default
 * port), ":PORT" or "PORT" (default host). "localhost" is accepted as
 * 127.0.0.1. No name is ever resolved through DNS here, so tests stay on
 * loopback. All descriptors are close-on-exec.
 */
#ifndef POSTEL_TOOLS_NET_H
#define POSTEL_TOOLS_NET_H

#include <stddef.h>
#include <sys/socket.h>

/** A socket address with its length. */
typedef struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
} net_addr;

/** Room for "[ffff:...:ffff]:65535" and a NUL. */
#define NET_ADDRSTRLEN 64

/**
 * Parse `s` (forms above). Missing parts come from default_host (numeric,
 * e.g. "127.0.0.1") and default_port. Returns 0, or -1 with a message in
 * err (errlen bytes).
 */
int net_parse(const char *s, const char *default_host, unsigned default_port,
	      net_addr *out, char *err, size_t errlen);

/** "1.2.3.4:25" or "[::1]:25" into buf (NET_ADDRSTRLEN bytes); returns buf. */
const char *net_format(const net_addr *a, char *buf, size_t len);
/** Only the address, without port or brackets ("::1"); returns buf. */
const char *net_format_ip(const net_addr *a, char *buf, size_t len);
/** The port of a, in host order. */
unsigned net_port(const net_addr *a);

/** Local / peer address of a connected or bound socket. 0 or -1. */
int net_local(int fd, net_addr *out);
int net_peer(int fd, net_addr *out);

/** Set or clear O_NONBLOCK. 0 or -1. */
int net_nonblock(int fd, int on);

/**
 * A non-blocking listening TCP socket on a (SO_REUSEADDR; IPv6 sockets are
 * v6-only). backlog <= 0 picks SOMAXCONN. Returns the fd, or -1 with err.
 */
int net_listen(const net_addr *a, int backlog, char *err, size_t errlen);

/**
 * Accept one connection as a non-blocking, close-on-exec socket with
 * TCP_NODELAY. peer may be NULL. Returns the fd, or -1 (errno: EAGAIN when
 * none is pending).
 */
int net_accept(int lfd, net_addr *peer);

/**
 * Connect to a. timeout_ms < 0 waits as long as the kernel does. The
 * returned socket is blocking when nonblock == 0, non-blocking otherwise
 * (then the connect may still be in progress: wait for POLLOUT and check
 * net_connect_result()). Returns the fd, or -1 with err.
 */
int net_connect(const net_addr *a, int nonblock, int timeout_ms, char *err,
		size_t errlen);
/** After POLLOUT on an in-progress connect: 0, or an errno value. */
int net_connect_result(int fd);

/**
 * Blocking-style helpers that work on either kind of socket (they poll()
 * when the socket would block). timeout_ms < 0: no limit.
 * net_write_all: 0, or -1 (errno; ETIMEDOUT on timeout).
 * net_read_some: bytes read (> 0), 0 at EOF, -1 on error or timeout.
 */
int net_write_all(int fd, const void *p, size_t n, int timeout_ms);
long net_read_some(int fd, void *buf, size_t cap, int timeout_ms);

/** Wait until fd is readable (events POLLIN) or writable (POLLOUT).
 * 1 ready, 0 timeout, -1 error. */
int net_wait(int fd, short events, int timeout_ms);

#endif
