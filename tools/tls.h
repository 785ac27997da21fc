/*
 * tools/tls.h — TLS for the postel tools, kept outside the engines.
 *
 * The engines never see TLS: when an engine's state says POSTEL_TLS, the
 * tool runs the handshake with this wrapper and then calls the engine's
 * tls_started(). From then on the tool moves the engine's plaintext through
 * the wrapper: ciphertext read from the socket goes in with ptls_feed(),
 * plaintext comes out with ptls_read() into the engine's recv_buf; the
 * engine's send_buf goes in with ptls_write() and ciphertext comes out with
 * ptls_out_buf()/ptls_out_ack() to be written to the socket.
 *
 * OpenSSL runs over two memory BIOs, so the same object serves
 * non-blocking event loops (sink, load) and blocking programs (send,
 * examples): the *_fd helpers at the end pump a blocking socket.
 *
 * Compiled only with POSTEL_HAVE_OPENSSL; without it every constructor
 * fails with an explanatory message and nothing else may be called.
 *
 * Typical non-blocking use, on each readiness event:
 *   n = read(fd, tmp, sizeof tmp);  ptls_feed(t, tmp, n);      (EOF: ptls_feed(t, NULL, 0))
 *   if (!ptls_established(t)) r = ptls_handshake(t);
 *   else r = ptls_read(t, engine_recv_buf, cap, &got);
 *   ptls_write(t, engine_send_buf, n, &done);
 *   while ((p = ptls_out_buf(t, &n))) { k = write(fd, p, n); ptls_out_ack(t, k); }
 */
#ifndef POSTEL_TOOLS_TLS_H
#define POSTEL_TOOLS_TLS_H

#include <stddef.h>

/** Results of the pumping calls. */
typedef enum ptls_result {
	PTLS_OK = 0,    /**< done (handshake complete, bytes moved) */
	PTLS_WANT = 1,  /**< needs more ciphertext from the peer (and any
			 * pending ciphertext to be flushed first) */
	PTLS_EOF = 2,   /**< the peer closed: close_notify or transport EOF */
	PTLS_ERROR = 3  /**< fatal; ptls_error() says why */
} ptls_result;

/** A configuration shared by many connections (an SSL_CTX). */
typedef struct ptls_ctx ptls_ctx;
/** One TLS connection over memory BIOs (an SSL). */
typedef struct ptls ptls;

/** 1 when the tools were built with OpenSSL, else 0. */
int ptls_available(void);

/**
 * Server configuration from a PEM certificate chain and a PEM private key.
 * TLS 1.2 minimum. Returns NULL and writes a message to err (errlen bytes,
 * NUL-terminated) on failure.
 */
ptls_ctx *ptls_server_ctx(const char *cert_pem, const char *key_pem,
			  char *err, size_t errlen);

/**
 * Client configuration. verify != 0: verify the peer certificate against
 * ca_file (a PEM bundle) or, when ca_file is NULL, the system store, and
 * check the host name given to ptls_new(). verify == 0: accept any
 * certificate (tests against self-signed servers). Optional client
 * certificate: cert_pem and key_pem (both or neither, NULL allowed).
 */
ptls_ctx *ptls_client_ctx(int verify, const char *ca_file,
			  const char *cert_pem, const char *key_pem, char *err,
			  size_t errlen);

/** Release a configuration (connections keep their own reference). */
void ptls_ctx_free(ptls_ctx *ctx);

/**
 * A new connection in the role of its ctx. For clients, `host` (may be
 * NULL) is sent as SNI and checked when the ctx verifies. Returns NULL on
 * allocation failure.
 */
ptls *ptls_new(ptls_ctx *ctx, const char *host);
void ptls_free(ptls *t);

/**
 * Give ciphertext read from the socket. n == 0 means the transport reached
 * EOF. Always takes all n bytes (memory BIO). Returns 0, -1 on failure.
 */
int ptls_feed(ptls *t, const void *p, size_t n);

/**
 * Advance the handshake. PTLS_OK once it is complete; PTLS_WANT when it
 * needs more input (flush ptls_out_buf() first: the peer may be waiting
 * for it); PTLS_EOF or PTLS_ERROR when it failed.
 */
ptls_result ptls_handshake(ptls *t);
/** Nonzero once the handshake has completed. */
int ptls_established(const ptls *t);

/**
 * Decrypt up to cap plaintext bytes into buf (*got set). PTLS_OK when
 * *got > 0; PTLS_WANT when no plaintext is available yet; PTLS_EOF when
 * the peer closed (close_notify, or transport EOF without one).
 */
ptls_result ptls_read(ptls *t, void *buf, size_t cap, size_t *got);
/** Nonzero when input waits inside the TLS object (decrypted plaintext,
 * or ciphertext fed in but not yet processed), so ptls_read() should be
 * called again before waiting for the socket. */
int ptls_read_pending(const ptls *t);

/**
 * Encrypt n plaintext bytes (*done set to what was taken; with memory BIOs
 * that is all of them unless an error occurs). The ciphertext then waits
 * in ptls_out_buf().
 */
ptls_result ptls_write(ptls *t, const void *p, size_t n, size_t *done);

/** Queue a close_notify alert (then flush ptls_out_buf()). */
void ptls_shutdown(ptls *t);

/**
 * Ciphertext waiting to go to the socket: a pointer and *n, or NULL with
 * *n = 0 when there is none. Valid until the next call on t.
 */
const void *ptls_out_buf(ptls *t, size_t *n);
/** Drop the first n bytes of ptls_out_buf() (they were written). */
void ptls_out_ack(ptls *t, size_t n);

/** The reason of the last PTLS_ERROR (never NULL). */
const char *ptls_error(const ptls *t);

/**
 * "TLSv1.3:TLS_AES_256_GCM_SHA384" style summary of the negotiated
 * parameters for logs and Received lines (RFC 5321 §4.4 comments); ""
 * before the handshake.
 */
const char *ptls_describe(ptls *t, char *buf, size_t len);

/* ---- blocking helpers: pump a blocking (or poll-able) socket ----
 * timeout_ms < 0: wait forever; otherwise the maximum time each call
 * waits for the socket before failing with PTLS_ERROR ("timeout"). */

/** Flush all pending ciphertext to fd. 0, or -1 on a write error. */
int ptls_flush_fd(ptls *t, int fd, int timeout_ms);
/** Run the whole handshake over fd. */
ptls_result ptls_handshake_fd(ptls *t, int fd, int timeout_ms);
/** Read at least one plaintext byte (up to cap) from fd. */
ptls_result ptls_read_fd(ptls *t, int fd, void *buf, size_t cap,
			 size_t *got, int timeout_ms);
/** Encrypt and write all n bytes to fd. */
ptls_result ptls_write_fd(ptls *t, int fd, const void *p, size_t n,
			  int timeout_ms);

#endif
