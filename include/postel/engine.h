/*
 * postel — what the server and client engines share: state flags and
 * timeouts. Both engines follow one contract (see postel.h, Conventions):
 *
 *   init(&e, &config, inbuf, incap, outbuf, outcap)
 *   state(&e)            -> POSTEL_READ | WRITE | DECIDE | TLS | CLOSED
 *   send_buf / send_ack  bytes to write to the peer, and how many went out
 *   recv_buf / recv_ack  room for bytes read from the peer, and how many came
 *   next(&e, &event)     pull the next event (never a callback)
 *   eof, tls_started, timeout, timed_out
 *
 * The state is derived, never stored as a separate truth: WRITE while
 * output is pending, DECIDE while an event awaits the application's answer,
 * TLS when the caller must run the TLS handshake now, READ when the engine
 * can take input, CLOSED when the session is over (the last error says
 * why). Several bits may be set at once; write before reading.
 */
#ifndef POSTEL_ENGINE_H
#define POSTEL_ENGINE_H

#include "postel/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum postel_engine_state {
	POSTEL_READ = 1u << 0,   /**< recv_buf has room; read from the peer */
	POSTEL_WRITE = 1u << 1,  /**< send_buf has bytes; write them first */
	POSTEL_DECIDE = 1u << 2, /**< an event waits for the application */
	POSTEL_TLS = 1u << 3,    /**< run the TLS handshake, then tls_started */
	POSTEL_CLOSED = 1u << 4  /**< session over; close the connection */
};

/**
 * The RFC 5321 §4.5.3.2 timer that applies while an engine waits. The
 * caller owns the clock: it arms a timer of postel_timeout_seconds() when
 * the value changes and calls the engine's timed_out() when it fires.
 */
typedef enum postel_timeout {
	POSTEL_TIMEOUT_NONE = 0,      /**< not waiting on the peer */
	POSTEL_TIMEOUT_GREETING = 1,  /**< §4.5.3.2.1 initial 220: 5 min */
	POSTEL_TIMEOUT_MAIL = 2,      /**< §4.5.3.2.2 MAIL reply: 5 min */
	POSTEL_TIMEOUT_RCPT = 3,      /**< §4.5.3.2.3 RCPT reply: 5 min */
	POSTEL_TIMEOUT_DATA_INIT = 4, /**< §4.5.3.2.4 354 reply: 2 min */
	POSTEL_TIMEOUT_DATA_BLOCK = 5, /**< §4.5.3.2.5 each data send: 3 min */
	POSTEL_TIMEOUT_DATA_TERM = 6, /**< §4.5.3.2.6 final reply: 10 min */
	POSTEL_TIMEOUT_SERVER = 7,    /**< §4.5.3.2.7 server awaiting a
				       * command (or data): 5 min */
	POSTEL_TIMEOUT_COMMAND = 8    /**< any other reply (EHLO, STARTTLS,
				       * AUTH, RSET, QUIT...): 5 min, by the
				       * §4.5.3.2 rule of per-command timers */
} postel_timeout;

/** Minimum seconds RFC 5321 §4.5.3.2 gives the timer (0 for NONE). */
POSTEL_EXTERN unsigned postel_timeout_seconds(postel_timeout t);
/** Short stable name ("data-term"). */
POSTEL_EXTERN const char *postel_timeout_name(postel_timeout t);

#ifdef __cplusplus
}
#endif
#endif
