/*
 * tools/tls.c — OpenSSL over memory BIOs for the postel tools (tls.h).
 */
#include "tls.h"
#include "net.h"

#include <stdio.h>
#include <string.h>

#ifdef POSTEL_HAVE_OPENSSL

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct ptls_ctx {
	SSL_CTX *ssl;
	int server;
};

struct ptls {
	SSL *ssl;
	BIO *in;  /* ciphertext from the peer -> OpenSSL */
	BIO *out; /* OpenSSL -> ciphertext to the peer */
	int done; /* handshake complete */
	char err[160];
};

int ptls_available(void)
{
	return 1;
}

/* The oldest queued OpenSSL error (or `what`) into buf; clears the queue. */
static void ssl_err(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char tmp[120];
	if (buf == NULL || len == 0) {
		ERR_clear_error();
		return;
	}
	if (e != 0) {
		ERR_error_string_n(e, tmp, sizeof tmp);
		snprintf(buf, len, "%s: %s", what, tmp);
	} else {
		snprintf(buf, len, "%s", what);
	}
	ERR_clear_error();
}

static SSL_CTX *ctx_common(const SSL_METHOD *m, char *err, size_t errlen)
{
	SSL_CTX *c = SSL_CTX_new(m);
	if (c == NULL) {
		ssl_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* Small idle footprint: read/write buffers are released between
	 * records (many idle sessions in one process). */
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS |
				    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_ENABLE_PARTIAL_WRITE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A transport EOF without close_notify is reported as EOF, not as
	 * an error; SMTP has its own end (QUIT/221). */
	SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return c;
}

/* Own c in a new ptls_ctx (c is freed on failure). */
static ptls_ctx *wrap_ctx(SSL_CTX *c, int server, char *err, size_t errlen)
{
	ptls_ctx *x = malloc(sizeof *x);
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		SSL_CTX_free(c);
		return NULL;
	}
	x->ssl = c;
	x->server = server;
	return x;
}

ptls_ctx *ptls_server_ctx(const char *cert_pem, const char *key_pem,
			  char *err, size_t errlen)
{
	SSL_CTX *c;
	if (cert_pem == NULL || key_pem == NULL) {
		snprintf(err, errlen, "a certificate and a key are required");
		return NULL;
	}
	c = ctx_common(TLS_server_method(), err, errlen);
	if (c == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(c, cert_pem) != 1) {
		ssl_err(err, errlen, cert_pem);
		SSL_CTX_free(c);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(c, key_pem, SSL_FILETYPE_PEM) != 1) {
		ssl_err(err, errlen, key_pem);
		SSL_CTX_free(c);
		return NULL;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		ssl_err(err, errlen, "certificate and key do not match");
		SSL_CTX_free(c);
		return NULL;
	}
	return wrap_ctx(c, 1, err, errlen);
}

ptls_ctx *ptls_client_ctx(int verify, const char *ca_file,
			  const char *cert_pem, const char *key_pem, char *err,
			  size_t errlen)
{
	SSL_CTX *c = ctx_common(TLS_client_method(), err, errlen);
	if (c == NULL)
		return NULL;
	if (verify) {
		int ok = ca_file != NULL
				 ? SSL_CTX_load_verify_locations(c, ca_file,
								 NULL)
				 : SSL_CTX_set_default_verify_paths(c);
		if (ok != 1) {
			ssl_err(err, errlen,
				ca_file != NULL ? ca_file : "default CA paths");
			SSL_CTX_free(c);
			return NULL;
		}
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	}
	if ((cert_pem == NULL) != (key_pem == NULL)) {
		snprintf(err, errlen, "client certificate needs cert and key");
		SSL_CTX_free(c);
		return NULL;
	}
	if (cert_pem != NULL &&
	    (SSL_CTX_use_certificate_chain_file(c, cert_pem) != 1 ||
	     SSL_CTX_use_PrivateKey_file(c, key_pem, SSL_FILETYPE_PEM) != 1)) {
		ssl_err(err, errlen, cert_pem);
		SSL_CTX_free(c);
		return NULL;
	}
	return wrap_ctx(c, 0, err, errlen);
}

void ptls_ctx_free(ptls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

static int is_ip_literal(const char *host)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

ptls *ptls_new(ptls_ctx *ctx, const char *host)
{
	ptls *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->ssl = SSL_new(ctx->ssl);
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	if (t->ssl == NULL || t->in == NULL || t->out == NULL) {
		SSL_free(t->ssl);
		BIO_free(t->in);
		BIO_free(t->out);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	/* Empty input BIO: "retry later", until ptls_feed() reports EOF. */
	BIO_set_mem_eof_return(t->in, -1);
	SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both BIOs now */
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		SSL_set_connect_state(t->ssl);
		if (host != NULL && !is_ip_literal(host))
			SSL_set_tlsext_host_name(t->ssl, host);
		if (host != NULL &&
		    SSL_CTX_get_verify_mode(ctx->ssl) != SSL_VERIFY_NONE)
			SSL_set1_host(t->ssl, host);
	}
	return t;
}

void ptls_free(ptls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

int ptls_feed(ptls *t, const void *p, size_t n)
{
	if (n == 0) {
		/* Transport EOF: an empty BIO now reads as EOF. */
		BIO_set_mem_eof_return(t->in, 0);
		return 0;
	}
	while (n > 0) {
		int chunk = n > 1u << 30 ? 1 << 30 : (int)n;
		int k = BIO_write(t->in, p, chunk);
		if (k <= 0) {
			ssl_err(t->err, sizeof t->err, "BIO_write");
			return -1;
		}
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

/* Classify the return value r of an SSL_* call. */
static ptls_result classify(ptls *t, int r, const char *what)
{
	int e = SSL_get_error(t->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return PTLS_WANT;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return PTLS_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			/* EOF from the BIO without close_notify */
			snprintf(t->err, sizeof t->err, "%s: unexpected EOF",
				 what);
			return PTLS_EOF;
		}
		ssl_err(t->err, sizeof t->err, what);
		return PTLS_ERROR;
	default:
		ssl_err(t->err, sizeof t->err, what);
		return PTLS_ERROR;
	}
}

ptls_result ptls_handshake(ptls *t)
{
	int r;
	if (t->done)
		return PTLS_OK;
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->done = 1;
		return PTLS_OK;
	}
	return classify(t, r, "handshake");
}

int ptls_established(const ptls *t)
{
	return t->done;
}

ptls_result ptls_read(ptls *t, void *buf, size_t cap, size_t *got)
{
	size_t n = 0;
	int r;
	*got = 0;
	if (cap == 0)
		return PTLS_WANT;
	r = SSL_read_ex(t->ssl, buf, cap, &n);
	if (r == 1) {
		*got = n;
		return PTLS_OK;
	}
	return classify(t, 0, "read");
}

int ptls_read_pending(const ptls *t)
{
	/* SSL_pending() counts only the record being read: whole records
	 * already fed into the input BIO would be missed */
	return SSL_pending(t->ssl) > 0 || SSL_has_pending(t->ssl) ||
	       BIO_ctrl_pending(t->in) > 0;
}

ptls_result ptls_write(ptls *t, const void *p, size_t n, size_t *done)
{
	size_t k = 0;
	*done = 0;
	if (n == 0)
		return PTLS_OK;
	if (SSL_write_ex(t->ssl, p, n, &k) == 1) {
		*done = k;
		return PTLS_OK;
	}
	return classify(t, 0, "write");
}

void ptls_shutdown(ptls *t)
{
	if (t->done)
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

const void *ptls_out_buf(ptls *t, size_t *n)
{
	char *p = NULL;
	long k = BIO_get_mem_data(t->out, &p);
	if (k <= 0 || p == NULL) {
		*n = 0;
		return NULL;
	}
	*n = (size_t)k;
	return p;
}

void ptls_out_ack(ptls *t, size_t n)
{
	char scratch[4096];
	while (n > 0) {
		int k = BIO_read(t->out, scratch,
				 n < sizeof scratch ? (int)n : (int)sizeof scratch);
		if (k <= 0)
			break;
		n -= (size_t)k;
	}
}

const char *ptls_error(const ptls *t)
{
	return t->err[0] ? t->err : "no error";
}

const char *ptls_describe(ptls *t, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (t->done)
		snprintf(buf, len, "%s:%s", SSL_get_version(t->ssl),
			 SSL_get_cipher_name(t->ssl));
	return buf;
}

/* ---- blocking helpers ---- */

int ptls_flush_fd(ptls *t, int fd, int timeout_ms)
{
	const void *p;
	size_t n;
	while ((p = ptls_out_buf(t, &n)) != NULL) {
		ssize_t k = write(fd, p, n);
		if (k > 0) {
			ptls_out_ack(t, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (net_wait(fd, POLLOUT, timeout_ms) > 0)
				continue;
			snprintf(t->err, sizeof t->err, "write timeout");
			return -1;
		}
		snprintf(t->err, sizeof t->err, "write: %s",
			 k < 0 ? strerror(errno) : "nothing written");
		return -1;
	}
	return 0;
}

/* Read ciphertext from fd into the TLS object; PTLS_OK, or PTLS_ERROR. */
static ptls_result fill_fd(ptls *t, int fd, int timeout_ms)
{
	char buf[16384];
	for (;;) {
		ssize_t k;
		int w = net_wait(fd, POLLIN, timeout_ms);
		if (w == 0) {
			snprintf(t->err, sizeof t->err, "read timeout");
			return PTLS_ERROR;
		}
		if (w < 0) {
			snprintf(t->err, sizeof t->err, "poll: %s",
				 strerror(errno));
			return PTLS_ERROR;
		}
		k = read(fd, buf, sizeof buf);
		if (k < 0 && (errno == EINTR || errno == EAGAIN ||
			      errno == EWOULDBLOCK))
			continue;
		if (k < 0) {
			snprintf(t->err, sizeof t->err, "read: %s",
				 strerror(errno));
			return PTLS_ERROR;
		}
		return ptls_feed(t, buf, (size_t)k) == 0 ? PTLS_OK : PTLS_ERROR;
	}
}

ptls_result ptls_handshake_fd(ptls *t, int fd, int timeout_ms)
{
	for (;;) {
		ptls_result r = ptls_handshake(t);
		if (ptls_flush_fd(t, fd, timeout_ms) != 0)
			return PTLS_ERROR;
		if (r != PTLS_WANT)
			return r;
		if (fill_fd(t, fd, timeout_ms) != PTLS_OK)
			return PTLS_ERROR;
	}
}

ptls_result ptls_read_fd(ptls *t, int fd, void *buf, size_t cap,
			 size_t *got, int timeout_ms)
{
	for (;;) {
		ptls_result r = ptls_read(t, buf, cap, got);
		/* reading may queue output (key updates, alerts) */
		if (ptls_flush_fd(t, fd, timeout_ms) != 0)
			return PTLS_ERROR;
		if (r != PTLS_WANT)
			return r;
		if (fill_fd(t, fd, timeout_ms) != PTLS_OK)
			return PTLS_ERROR;
	}
}

ptls_result ptls_write_fd(ptls *t, int fd, const void *p, size_t n,
			  int timeout_ms)
{
	while (n > 0) {
		size_t done = 0;
		ptls_result r = ptls_write(t, p, n, &done);
		if (r == PTLS_WANT) {
			if (ptls_flush_fd(t, fd, timeout_ms) != 0 ||
			    fill_fd(t, fd, timeout_ms) != PTLS_OK)
				return PTLS_ERROR;
			continue;
		}
		if (r != PTLS_OK)
			return r;
		p = (const char *)p + done;
		n -= done;
	}
	return ptls_flush_fd(t, fd, timeout_ms) == 0 ? PTLS_OK : PTLS_ERROR;
}

#else /* !POSTEL_HAVE_OPENSSL */

struct ptls_ctx {
	int unused;
};
struct ptls {
	int unused;
};

static const char no_tls[] = "built without OpenSSL: TLS is unavailable";

int ptls_available(void)
{
	return 0;
}

ptls_ctx *ptls_server_ctx(const char *cert_pem, const char *key_pem,
			  char *err, size_t errlen)
{
	(void)cert_pem;
	(void)key_pem;
	snprintf(err, errlen, "%s", no_tls);
	return NULL;
}

ptls_ctx *ptls_client_ctx(int verify, const char *ca_file,
			  const char *cert_pem, const char *key_pem, char *err,
			  size_t errlen)
{
	(void)verify;
	(void)ca_file;
	(void)cert_pem;
	(void)key_pem;
	snprintf(err, errlen, "%s", no_tls);
	return NULL;
}

void ptls_ctx_free(ptls_ctx *ctx)
{
	(void)ctx;
}

ptls *ptls_new(ptls_ctx *ctx, const char *host)
{
	(void)ctx;
	(void)host;
	return NULL;
}

void ptls_free(ptls *t)
{
	(void)t;
}

int ptls_feed(ptls *t, const void *p, size_t n)
{
	(void)t;
	(void)p;
	(void)n;
	return -1;
}

ptls_result ptls_handshake(ptls *t)
{
	(void)t;
	return PTLS_ERROR;
}

int ptls_established(const ptls *t)
{
	(void)t;
	return 0;
}

ptls_result ptls_read(ptls *t, void *buf, size_t cap, size_t *got)
{
	(void)t;
	(void)buf;
	(void)cap;
	*got = 0;
	return PTLS_ERROR;
}

int ptls_read_pending(const ptls *t)
{
	(void)t;
	return 0;
}

ptls_result ptls_write(ptls *t, const void *p, size_t n, size_t *done)
{
	(void)t;
	(void)p;
	(void)n;
	*done = 0;
	return PTLS_ERROR;
}

void ptls_shutdown(ptls *t)
{
	(void)t;
}

const void *ptls_out_buf(ptls *t, size_t *n)
{
	(void)t;
	*n = 0;
	return NULL;
}

void ptls_out_ack(ptls *t, size_t n)
{
	(void)t;
	(void)n;
}

const char *ptls_error(const ptls *t)
{
	(void)t;
	return no_tls;
}

const char *ptls_describe(ptls *t, char *buf, size_t len)
{
	(void)t;
	if (len > 0)
		buf[0] = '\0';
	return buf;
}

int ptls_flush_fd(ptls *t, int fd, int timeout_ms)
{
	(void)t;
	(void)fd;
	(void)timeout_ms;
	return -1;
}

ptls_result ptls_handshake_fd(ptls *t, int fd, int timeout_ms)
{
	(void)t;
	(void)fd;
	(void)timeout_ms;
	return PTLS_ERROR;
}

ptls_result ptls_read_fd(ptls *t, int fd, void *buf, size_t cap,
			 size_t *got, int timeout_ms)
{
	(void)t;
	(void)fd;
	(void)buf;
	(void)cap;
	(void)timeout_ms;
	*got = 0;
	return PTLS_ERROR;
}

ptls_result ptls_write_fd(ptls *t, int fd, const void *p, size_t n,
			  int timeout_ms)
{
	(void)t;
	(void)fd;
	(void)p;
	(void)n;
	(void)timeout_ms;
	return PTLS_ERROR;
}

#endif
