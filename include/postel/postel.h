/*
 * postel — a sans-I/O SMTP protocol engine (RFC 5321, its service
 * extensions, and LMTP, RFC 2033). No allocation, no I/O, no clocks, no
 * threads, no callbacks: bytes in, bytes and events out.
 *
 * This umbrella header includes every public header. Include it, or only
 * the headers you use.
 *
 * ## Overview
 *
 * | header             | what it offers                                    |
 * |--------------------|---------------------------------------------------|
 * | postel/common.h    | export macro, postel_span, postel_status, lenient |
 * |                    | flags (POSTEL_STRICT / POSTEL_LENIENT)            |
 * | postel/violation.h | every detectable RFC deviation: stable ids, names,|
 * |                    | RFC sections, fatality; bounded violation lists   |
 * | postel/version.h   | POSTEL_VERSION, POSTEL_VERSION_NUM, postel_version|
 * | postel/command.h   | command line parser (RFC 5321 §4.1): verb, path,  |
 * |                    | typed MAIL/RCPT parameters, SASL response lines   |
 * | postel/data.h      | DATA decoder (dot-unstuffing, smuggling-safe end  |
 * |                    | of data), DATA encoder, BDAT framing (RFC 3030)   |
 * | postel/reply.h     | streaming reply parser (RFC 5321 §4.2, RFC 3463   |
 * |                    | enhanced codes, multi-line replies)               |
 * | postel/ehlo.h      | EHLO reply -> capability set (SIZE, AUTH, LIMITS, |
 * |                    | unknown keywords kept)                            |
 * | postel/engine.h    | what both engines share: state bits (READ, WRITE, |
 * |                    | DECIDE, TLS, CLOSED), RFC 5321 §4.5.3.2 timeouts  |
 * | postel/server.h    | postel_server: a whole SMTP/ESMTP/LMTP server     |
 * |                    | session as a state machine; decision events       |
 * | postel/client.h    | postel_client: a whole SMTP/LMTP client session   |
 * | postel/trace.h     | Received: and Return-Path: fields (RFC 5321 §4.4, |
 * |                    | RFC 3848 / RFC 6531 "with" keywords)              |
 *
 * ## Conventions
 *
 * These rules hold for every function of the API unless its own comment
 * says otherwise.
 *
 * - MUST, not SHOULD. A documented precondition is a requirement; a call
 *   that breaks one gets POSTEL_E_ARGUMENT or POSTEL_E_STATE when the
 *   library can tell, and undefined behaviour when it cannot (a dangling
 *   pointer, a context used from two threads at once).
 * - Pointers. Every pointer argument is non-NULL, except a data pointer
 *   whose length is 0, and the out-parameters documented as optional.
 * - Memory. postel never allocates. Every context (parser, decoder,
 *   engine) is a struct the caller allocates anywhere (stack, static,
 *   inside its own objects), plus buffers the caller gives at init.
 *   Nothing the library returns needs to be freed.
 * - Contexts are opaque. Their fields are private; they are defined in
 *   the headers only so that the caller can size and place them. Use the
 *   functions. A context may be copied only between calls, and only when
 *   no span it handed out is still in use.
 * - Spans. Results are postel_span {p, n}: zero-copy views, never
 *   NUL-terminated. A standalone parser's spans point into the bytes the
 *   caller passed; an engine's spans point into its input buffer and stay
 *   valid until the next non-const call on that engine. Const functions
 *   (taking a const context) never change anything.
 * - Byte flows. Engines move bytes in BearSSL's buf/ack pairs: *_recv_buf
 *   gives room, *_recv_ack says how much was put there; *_send_buf gives
 *   bytes to send, *_send_ack says how many went out. State is derived
 *   (engine.h); write before reading.
 * - No callbacks. Engines never call the application: it pulls events
 *   with *_next and answers decisions when it likes; the engine waits
 *   (state DECIDE) meanwhile.
 * - Status. Functions return postel_status (common.h). Values at or above
 *   POSTEL_STATUS_FATAL_MIN are fatal for the object: it stays failed
 *   (sticky) until it is reset. Nothing is ever encoded in a negative
 *   count or a magic length; there is no ssize_t in the API.
 * - Strict and lenient. One flag per tolerance (POSTEL_LENIENT_*). A set
 *   flag accepts the deviation, a clear one refuses it with the reply the
 *   RFC names; either way it is reported as a violation. What is unsafe
 *   has no flag: end of data is only CRLF "." CRLF, input pipelined after
 *   STARTTLS is always discarded, over-long lines are never buffered.
 * - Time. No clock in the core. Engines say which RFC 5321 §4.5.3.2
 *   timer applies; the caller keeps time and reports expiry.
 * - Threads. No global state: distinct contexts may be used from
 *   distinct threads at the same time; one context from one thread at a
 *   time.
 * - Names. Public symbols start with postel_ / POSTEL_; internal ones
 *   with postel__ and are not exported.
 * - ABI. POSTEL_VERSION_NUM is 0xMMmmpp. Within a major version, enum
 *   values, violation numbers and status values are append-only.
 */
#ifndef POSTEL_POSTEL_H
#define POSTEL_POSTEL_H

#include "postel/client.h"
#include "postel/command.h"
#include "postel/common.h"
#include "postel/data.h"
#include "postel/ehlo.h"
#include "postel/engine.h"
#include "postel/reply.h"
#include "postel/server.h"
#include "postel/trace.h"
#include "postel/version.h"
#include "postel/violation.h"

#endif
