/*
 * Unit tests of the tools' helpers: addresses (tools/net.c), the timer
 * wheel (tools/wheel.h), the Maildir writer (tools/maildir.c) and the TLS
 * pumps over memory BIOs (tools/tls.c, with a certificate made by
 * openssl(1) at test time).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"
#include "net.h"
#include "tls.h"
#include "wheel.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n",           \
				__FILE__, __LINE__, #cond);                    \
			failures++;                                            \
		}                                                              \
	} while (0)

static void parse_ok(const char *in, const char *want)
{
	char err[128], buf[NET_ADDRSTRLEN];
	net_addr a;
	int r = net_parse(in, "127.0.0.1", 2525, &a, err, sizeof err);
	CHECK(r == 0);
	if (r == 0 && strcmp(net_format(&a, buf, sizeof buf), want) != 0) {
		fprintf(stderr, "net_parse(%s) = %s, want %s\n", in, buf, want);
		failures++;
	}
}

static void parse_bad(const char *in)
{
	char err[128];
	net_addr a;
	CHECK(net_parse(in, "127.0.0.1", 2525, &a, err, sizeof err) == -1);
	CHECK(strstr(err, "bad address") != NULL);
}

static void test_net(void)
{
	char err[128], buf[NET_ADDRSTRLEN];
	net_addr a, b;
	int l, c, s;
	parse_ok("127.0.0.1:25", "127.0.0.1:25");
	parse_ok("[::1]:2525", "[::1]:2525");
	parse_ok("[::1]", "[::1]:2525");
	parse_ok("::1", "[::1]:2525");
	parse_ok("10.0.0.1", "10.0.0.1:2525");
	parse_ok(":26", "127.0.0.1:26");
	parse_ok("27", "127.0.0.1:27");
	parse_ok("localhost:0", "127.0.0.1:0");
	parse_ok("0.0.0.0:65535", "0.0.0.0:65535");
	parse_bad("");
	parse_bad("127.0.0.1:65536");
	parse_bad("127.0.0.1:");
	parse_bad("127.0.0.1:x");
	parse_bad("example.org:25"); /* never resolved */
	parse_bad("[::1");
	parse_bad("[::1]x");
	parse_bad("1.2.3.4:25:26");

	/* listen on a free port, connect, exchange bytes */
	CHECK(net_parse("127.0.0.1:0", "127.0.0.1", 0, &a, err, sizeof err) ==
	      0);
	l = net_listen(&a, 0, err, sizeof err);
	CHECK(l >= 0);
	CHECK(net_local(l, &b) == 0 && net_port(&b) != 0);
	c = net_connect(&b, 0, 5000, err, sizeof err);
	CHECK(c >= 0);
	CHECK(net_wait(l, 0x001 /* POLLIN */, 5000) == 1);
	s = net_accept(l, &a);
	CHECK(s >= 0);
	CHECK(strncmp(net_format_ip(&a, buf, sizeof buf), "127.0.0.1", 9) == 0);
	CHECK(net_write_all(c, "hello", 5, 5000) == 0);
	CHECK(net_read_some(s, buf, sizeof buf, 5000) == 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK(net_read_some(s, buf, sizeof buf, 50) == -1); /* timeout */
	close(c);
	CHECK(net_read_some(s, buf, sizeof buf, 5000) == 0); /* EOF */
	close(s);
	/* connecting to a closed port fails with a message */
	close(l);
	CHECK(net_connect(&b, 0, 5000, err, sizeof err) == -1);
	CHECK(strstr(err, "connect to 127.0.0.1:") != NULL);
}

static void test_wheel(void)
{
	static wheel w;
	static wheel_node n[3000];
	uint64_t t;
	int cnt = 0, order_ok = 1;
	wheel_init(&w, 100);
	CHECK(wheel_expired(&w, 100) == NULL);
	for (int i = 0; i < 3000; i++) {
		wheel_node_init(&n[i]);
		wheel_arm(&w, &n[i], 101 + (uint64_t)(i % 2000));
	}
	wheel_disarm(&w, &n[5]);
	wheel_arm(&w, &n[6], 5000); /* re-arm moves it */
	for (t = 101; t <= 2200; t++) {
		wheel_node *x;
		while ((x = wheel_expired(&w, t)) != NULL) {
			if (x->due != t)
				order_ok = 0;
			cnt++;
			if (x == &n[7]) /* disarm one already due */
				wheel_disarm(&w, &n[2007]);
		}
	}
	CHECK(order_ok);
	CHECK(cnt == 2997);
	CHECK(w.armed == 1 && wheel_armed(&n[6]));
	CHECK(wheel_expired(&w, 4999) == NULL);
	/* a jump far ahead (suspend) still finds it, once */
	CHECK(wheel_expired(&w, 90000) == &n[6]);
	CHECK(wheel_expired(&w, 90000) == NULL);
	CHECK(w.armed == 0);
}

static size_t count_dir(const char *path, char *name, size_t cap)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	if (d == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (name != NULL)
			snprintf(name, cap, "%s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void test_maildir(const char *tmp)
{
	char dir[512], path[1024], name[256], err[256], data[40000];
	maildir m;
	maildir_msg a, b;
	struct stat st;
	int fd;
	ssize_t got;
	snprintf(dir, sizeof dir, "%s/deep/Maildir", tmp);
	CHECK(maildir_open(&m, dir, err, sizeof err) == 0);
	snprintf(path, sizeof path, "%s/cur", dir);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	maildir_msg_init(&a);
	maildir_msg_init(&b);
	CHECK(!maildir_msg_open(&a));
	CHECK(maildir_begin(&m, &a, "Return-Path: <>\r\n", 17) == 0);
	CHECK(maildir_begin(&m, &b, "X\r\n", 3) == 0);
	CHECK(strcmp(a.name, b.name) != 0); /* unique names */
	CHECK(strstr(a.name, "_Q1.") != NULL && strstr(b.name, "_Q2.") != NULL);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 26);
	/* small pieces, then one larger than the buffer */
	for (int i = 0; i < 1000; i++)
		CHECK(maildir_write(&a, data + i, 1) == 0);
	CHECK(maildir_write(&a, data + 1000, sizeof data - 1000) == 0);
	snprintf(path, sizeof path, "%s/tmp", dir);
	CHECK(count_dir(path, NULL, 0) == 2);
	snprintf(path, sizeof path, "%s/new", dir);
	CHECK(count_dir(path, NULL, 0) == 0); /* nothing before commit */
	CHECK(maildir_commit(&m, &a) == 0);
	maildir_abort(&m, &b);
	maildir_abort(&m, &b); /* twice is harmless */
	CHECK(count_dir(path, name, sizeof name) == 1);
	CHECK(strcmp(name, a.name) == 0);
	snprintf(path, sizeof path, "%s/tmp", dir);
	CHECK(count_dir(path, NULL, 0) == 0); /* aborted one unlinked */
	snprintf(path, sizeof path, "%s/new/%s", dir, name);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	{
		static char back[50000];
		got = read(fd, back, sizeof back);
		CHECK(got == (ssize_t)(17 + sizeof data));
		CHECK(memcmp(back, "Return-Path: <>\r\n", 17) == 0);
		CHECK(memcmp(back + 17, data, sizeof data) == 0);
	}
	close(fd);
	CHECK(a.size == 17 + sizeof data);
	maildir_close(&m);
	/* a Maildir that cannot be created */
	CHECK(maildir_open(&m, "/proc/postel-no/such", err, sizeof err) == -1);
	CHECK(strstr(err, "maildir /proc/postel-no/such") != NULL);
}

#ifndef POSTEL_HAVE_OPENSSL
static void test_no_tls(void)
{
	char err[128];
	CHECK(ptls_available() == 0);
	CHECK(ptls_server_ctx("c.pem", "k.pem", err, sizeof err) == NULL);
	CHECK(strstr(err, "without OpenSSL") != NULL);
	CHECK(ptls_client_ctx(0, NULL, NULL, NULL, err, sizeof err) == NULL);
}
#else
static void xfer(ptls *from, ptls *to)
{
	const void *p;
	size_t n;
	while ((p = ptls_out_buf(from, &n)) != NULL) {
		CHECK(ptls_feed(to, p, n) == 0);
		ptls_out_ack(from, n);
	}
}

static void test_tls(const char *tmp)
{
	char cmd[2048], cert[512], key[512], err[256], buf[64], desc[128];
	ptls_ctx *sc, *cc;
	ptls *s, *c;
	size_t n, got;
	int i;
	CHECK(ptls_available() == 1);
	snprintf(cert, sizeof cert, "%s/cert.pem", tmp);
	snprintf(key, sizeof key, "%s/key.pem", tmp);
	snprintf(cmd, sizeof cmd,
		 "timeout 60 openssl req -x509 -newkey rsa:2048 -nodes "
		 "-keyout %s -out %s -days 2 -subj /CN=localhost "
		 ">/dev/null 2>&1",
		 key, cert);
	CHECK(system(cmd) == 0);
	CHECK(ptls_server_ctx(cert, "/nonexistent.pem", err, sizeof err) ==
	      NULL);
	CHECK(strstr(err, "/nonexistent.pem") != NULL);
	sc = ptls_server_ctx(cert, key, err, sizeof err);
	cc = ptls_client_ctx(0, NULL, NULL, NULL, err, sizeof err);
	CHECK(sc != NULL && cc != NULL);
	if (sc == NULL || cc == NULL)
		return;
	s = ptls_new(sc, NULL);
	c = ptls_new(cc, "localhost");
	CHECK(ptls_handshake(s) == PTLS_WANT); /* nothing received yet */
	CHECK(ptls_out_buf(s, &n) == NULL && n == 0);
	for (i = 0; i < 10 && !(ptls_established(s) && ptls_established(c));
	     i++) {
		ptls_handshake(c);
		xfer(c, s);
		ptls_handshake(s);
		xfer(s, c);
	}
	CHECK(ptls_established(s) && ptls_established(c));
	CHECK(strncmp(ptls_describe(s, desc, sizeof desc), "TLSv1.", 6) == 0);
	/* plaintext both ways, across records */
	CHECK(ptls_write(c, "EHLO x\r\n", 8, &n) == PTLS_OK && n == 8);
	xfer(c, s);
	CHECK(ptls_read(s, buf, 4, &got) == PTLS_OK && got == 4);
	CHECK(ptls_read_pending(s));
	CHECK(ptls_read(s, buf + 4, sizeof buf - 4, &got) == PTLS_OK &&
	      got == 4);
	CHECK(memcmp(buf, "EHLO x\r\n", 8) == 0);
	CHECK(!ptls_read_pending(s));
	/* two whole records fed at once: the second is pending unprocessed */
	CHECK(ptls_write(c, "NOOP\r\n", 6, &n) == PTLS_OK && n == 6);
	CHECK(ptls_write(c, "QUIT\r\n", 6, &n) == PTLS_OK && n == 6);
	xfer(c, s);
	CHECK(ptls_read(s, buf, sizeof buf, &got) == PTLS_OK && got == 6);
	CHECK(ptls_read_pending(s));
	CHECK(ptls_read(s, buf + 6, sizeof buf - 6, &got) == PTLS_OK &&
	      got == 6);
	CHECK(memcmp(buf, "NOOP\r\nQUIT\r\n", 12) == 0);
	CHECK(!ptls_read_pending(s));
	CHECK(ptls_read(s, buf, sizeof buf, &got) == PTLS_WANT && got == 0);
	CHECK(ptls_write(s, "250 ok\r\n", 8, &n) == PTLS_OK);
	xfer(s, c);
	CHECK(ptls_read(c, buf, sizeof buf, &got) == PTLS_OK && got == 8);
	/* close_notify is EOF; a bare transport EOF too */
	ptls_shutdown(c);
	xfer(c, s);
	CHECK(ptls_read(s, buf, sizeof buf, &got) == PTLS_EOF);
	ptls_feed(c, NULL, 0);
	CHECK(ptls_read(c, buf, sizeof buf, &got) == PTLS_EOF);
	ptls_free(s);
	ptls_free(c);
	/* garbage instead of a ClientHello is an error */
	s = ptls_new(sc, NULL);
	CHECK(ptls_feed(s, "EHLO not tls\r\n", 14) == 0);
	CHECK(ptls_handshake(s) == PTLS_ERROR);
	CHECK(strcmp(ptls_error(s), "no error") != 0);
	ptls_free(s);
	ptls_ctx_free(sc);
	ptls_ctx_free(cc);
}
#endif

int main(void)
{
	char tmp[] = "/tmp/postel-tools-test-XXXXXX", cmd[128];
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_net();
	test_wheel();
	test_maildir(tmp);
#ifdef POSTEL_HAVE_OPENSSL
	test_tls(tmp);
#else
	test_no_tls();
#endif
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		failures++;
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("tools: all checks passed\n");
	return 0;
}
