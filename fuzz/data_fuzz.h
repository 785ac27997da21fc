/*
 * Helpers shared by the DATA/BDAT harnesses (data_decode.c, data_encode.c,
 * data_roundtrip.c, bdat.c). Leading input bytes choose the setup; the
 * rest is the input. Every harness aborts on a broken invariant, so each
 * one is an oracle, not only a crash finder.
 */
#ifndef POSTEL_FUZZ_DATA_H
#define POSTEL_FUZZ_DATA_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postel/data.h"

extern int postel__data_impl; /* src/data.c: 0 auto, 1 scalar, 2 sse2, 3 avx2 */

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

typedef struct fz_buf {
	char *p;
	size_t n, cap;
} fz_buf;

static inline void fz_add(fz_buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap < b->n + n)
			cap *= 2;
		b->p = (char *)realloc(b->p, cap);
		FZ_CHECK(b->p != NULL);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static inline void fz_free(fz_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* Split points from a seed: chunk sizes 1..max. */
typedef struct fz_split {
	uint32_t s;
	unsigned max;
} fz_split;

static inline size_t fz_next(fz_split *sp, size_t left)
{
	if (sp->max == 0)
		return left;
	sp->s = sp->s * 1103515245u + 12345u;
	size_t k = 1 + (sp->s >> 16) % sp->max;
	return k < left ? k : left;
}

/* What a decoder run produced. */
typedef struct fz_decoded {
	fz_buf content;
	postel_data_result r;
	size_t consumed; /* input octets consumed (end included) */
	int ended, exceeded;
	uint64_t exceeded_at; /* content octets delivered before it */
} fz_decoded;

/*
 * Decode `in` as DATA, offered in pieces chosen by `sp` (unconsumed bytes
 * are offered again first, copied to a fresh buffer each call so that
 * stale pointers would show under ASan). Checks the streaming contract.
 */
static inline void fz_decode(const postel_data_config *cfg, const uint8_t *in,
			     size_t n, fz_split sp, fz_decoded *out)
{
	postel_data_decoder d;
	size_t have = 0, pos = 0;
	memset(out, 0, sizeof *out);
	FZ_CHECK(postel_data_decoder_init(&d, cfg) == POSTEL_OK);
	char *pending = (char *)malloc(n ? n : 1);
	FZ_CHECK(pending != NULL);
	while (!out->ended) {
		size_t take = fz_next(&sp, n - pos);
		memcpy(pending + have, in + pos, take);
		have += take;
		pos += take;
		for (;;) {
			char *copy = (char *)malloc(have ? have : 1);
			FZ_CHECK(copy != NULL);
			memcpy(copy, pending, have);
			postel_data_event ev;
			size_t used = (size_t)-1;
			postel_status st =
				postel_data_decode(&d, copy, have, &ev, &used);
			FZ_CHECK(used <= have);
			if (st == POSTEL_NEED_MORE) {
				FZ_CHECK(ev.type == POSTEL_DATA_NEED_MORE);
				FZ_CHECK(have - used <= 2);
			} else {
				FZ_CHECK(st == POSTEL_OK);
			}
			if (ev.type == POSTEL_DATA_CONTENT) {
				FZ_CHECK(ev.content.n > 0);
				FZ_CHECK(ev.offset == out->content.n);
				FZ_CHECK((ev.content.p >= copy &&
					  ev.content.p + ev.content.n <= copy + used) ||
					 /* a repaired line end, maybe cut at
					  * the size limit */
					 (ev.content.n <= 2 &&
					  memcmp(ev.content.p, "\r\n",
						 ev.content.n) == 0));
				fz_add(&out->content, ev.content.p, ev.content.n);
			} else if (ev.type == POSTEL_DATA_SIZE_EXCEEDED) {
				FZ_CHECK(!out->exceeded);
				out->exceeded = 1;
				out->exceeded_at = out->content.n;
				FZ_CHECK(out->content.n == cfg->max_size);
			} else if (ev.type == POSTEL_DATA_END) {
				out->ended = 1;
			}
			free(copy);
			memmove(pending, pending + used, have - used);
			have -= used;
			out->consumed += used;
			if (st == POSTEL_NEED_MORE || out->ended)
				break;
		}
		if (pos == n)
			break;
	}
	out->r = *postel_data_decoder_result(&d);
	FZ_CHECK(out->r.received == out->consumed);
	free(pending);
}

/* Bare CR and bare LF become CRLF; non-empty content gets a final CRLF. */
static inline void fz_normalize(const uint8_t *p, size_t n, fz_buf *out)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			fz_add(out, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n') {
			fz_add(out, "\r\n", 2);
		} else {
			fz_add(out, p + i, 1);
		}
	}
	if (out->n && (out->n < 2 || memcmp(out->p + out->n - 2, "\r\n", 2)))
		fz_add(out, "\r\n", 2);
}

/* Encode `in` with input pieces from `sp` and an output buffer of `cap`
 * octets (1..256). Returns the status that ended it (OK or INVALID). */
static inline postel_status fz_encode(const postel_data_encoder_config *cfg,
				      const uint8_t *in, size_t n, fz_split sp,
				      size_t cap, fz_buf *wire, size_t *in_done)
{
	postel_data_encoder e;
	char out[256];
	size_t pos = 0;
	postel_status st = POSTEL_OK;
	FZ_CHECK(cap >= 1 && cap <= sizeof out);
	FZ_CHECK(postel_data_encoder_init(&e, cfg) == POSTEL_OK);
	while (pos < n && st != POSTEL_INVALID) {
		size_t take = fz_next(&sp, n - pos), off = 0;
		for (;;) {
			size_t iu, ou;
			st = postel_data_encode(&e, (const char *)in + pos + off,
						take - off, out, cap, &iu, &ou);
			FZ_CHECK(iu <= take - off && ou <= cap);
			fz_add(wire, out, ou);
			off += iu;
			if (st != POSTEL_OUTPUT_FULL)
				break;
			FZ_CHECK(iu + ou > 0);
		}
		pos += off;
		if (st == POSTEL_OK)
			FZ_CHECK(off == take);
	}
	while (st == POSTEL_OK || st == POSTEL_OUTPUT_FULL) {
		size_t ou;
		st = postel_data_encode_end(&e, out, cap, &ou);
		fz_add(wire, out, ou);
		if (st == POSTEL_OK)
			break;
		FZ_CHECK(st == POSTEL_INVALID || ou > 0);
	}
	FZ_CHECK(postel_data_encoder_produced(&e) == wire->n);
	*in_done = (size_t)postel_data_encoder_consumed(&e);
	return st;
}

/* The setup byte: lenient bits and body type for the decoder. */
static inline void fz_config(uint8_t a, uint8_t b, uint8_t c,
			     postel_data_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	if (a & 1)
		cfg->lenient |= POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS;
	if (a & 2)
		cfg->lenient |= POSTEL_LENIENT_DATA_LONG_LINES;
	if (a & 4)
		cfg->lenient |= POSTEL_LENIENT_DATA_NUL;
	if (a & 8)
		cfg->lenient |= POSTEL_LENIENT_DATA_8BIT;
	if (a & 16)
		cfg->body = POSTEL_DATA_BODY_8BITMIME;
	cfg->max_line = (a & 32) ? b : 0;
	cfg->max_size = (a & 64) ? c : 0;
}

#endif
