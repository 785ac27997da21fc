/*
 * Test support: an event log, the split-invariance driver, guard-page
 * input, and the test-vector loader (format: test-vectors/README.md).
 */
#ifndef POSTEL_TEST_SUPPORT_H
#define POSTEL_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- event log: a growable text buffer ---- */
typedef struct tlog {
	char *p;
	size_t n, cap;
} tlog;

void tlog_init(tlog *l);
void tlog_free(tlog *l);
void tlog_reset(tlog *l);
void tlog_printf(tlog *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append bytes escaped as in vector input: \r \n \t \\ \xNN for bytes
 * outside 0x20-0x7e. */
void tlog_escaped(tlog *l, const char *p, size_t n);
/* NUL-terminated view (always valid, "" when empty). */
const char *tlog_str(tlog *l);

/* ---- guard-page buffers: bytes placed just before a PROT_NONE page ---- */
/* Copy `n` bytes so that the byte after the last one is unreadable; the
 * returned pointer is valid until the next call. n <= 1 MiB. */
const char *guard_copy(const void *p, size_t n);

/* ---- split-invariance driver ----
 * Contract shared by every parser and engine: `feed` is offered the bytes
 * not yet consumed followed by the new ones (they may have moved since the
 * previous call), returns how many it consumed from the front and appends
 * what it saw to `log`. The driver calls `feed` again while it consumes
 * something and bytes remain. `finish` (may be NULL) is called once at the
 * end with what is left unconsumed. */
typedef struct split_target {
	void (*reset)(void *ctx);
	size_t (*feed)(void *ctx, const char *p, size_t n, tlog *log);
	void (*finish)(void *ctx, const char *p, size_t n, tlog *log);
} split_target;

/* Run the input whole; then every 2-way split, every 3-way split when
 * n <= max3 (0: never), and byte by byte; every run must give the whole
 * run's log byte for byte. POSTEL_SPLIT_NO3=1 in the environment skips the
 * 3-way splits (the valgrind run: memory errors show on any split, and
 * the quadratic count would take an hour there). Returns 0, or -1 with the first difference
 * described in `why`. `whole` receives the whole-input log. */
int split_check(const split_target *t, void *ctx, const char *in, size_t n,
		size_t max3, tlog *whole, char *why, size_t whycap);

/* Run one split: cut points `cuts[0..ncuts-1]` (ascending). */
void split_run(const split_target *t, void *ctx, const char *in, size_t n,
	       const size_t *cuts, size_t ncuts, tlog *log);

/* ---- test vectors ---- */
typedef struct vec {
	const char *file; /* base name of the .vec file */
	int line;         /* line of the "===" header */
	char *name;
	char *rfc;
	char *config; /* "" when absent */
	char *in;
	size_t in_n;
	char *expect; /* expected log, '\n' after each line */
} vec;

typedef struct vec_set {
	vec *v;
	size_t n;
} vec_set;

/* Load every test-vectors/<area>/<*.vec> (sorted by file name). Aborts the
 * process with a message on a malformed file. */
void vec_load(vec_set *set, const char *area);
void vec_free(vec_set *set);
/* Decode vector escapes into `out` (capacity >= strlen(s)); returns the
 * length or -1 on a bad escape. */
long vec_unescape(const char *s, size_t n, char *out);
/* Nonzero when the config holds the bare word `word`. */
int vec_config_has(const vec *v, const char *word);
/* Value of `key=value` in the config (copied into buf), or NULL. */
const char *vec_config_get(const vec *v, const char *key, char *buf,
			   size_t cap);

#endif
