/*
 * DATA and BDAT codec (src/data.c): vectors (test-vectors/data, bdat),
 * smuggling variants, line-length edges, a byte-at-a-time reference
 * decoder as a differential oracle for every scanner, the encode/decode
 * round trip, backpressure, BDAT framing and API misuse.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/data.h"
#include "support.h"

extern int postel__data_impl; /* src/data.c: 0 auto, 1 scalar, 2 sse2, 3 avx2 */

/* Property tests run fewer rounds under valgrind (it sets LD_PRELOAD to
 * its vgpreload libraries), where each round is some 50 times slower. */
static int rounds(int normal)
{
	const char *p = getenv("LD_PRELOAD");
	if (p && strstr(p, "vgpreload"))
		return normal / 10 > 0 ? normal / 10 : 1;
	return normal;
}

/* ---------------------------------------------------------------------- */
/* deterministic PRNG (xorshift64*) */

static uint64_t rng_state;
static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ull;
}
static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static uint32_t rng_below(uint32_t n)
{
	return n ? rng() % n : 0;
}

/* ---------------------------------------------------------------------- */
/* growable byte buffer */

typedef struct bytes {
	char *p;
	size_t n, cap;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		ck_assert_ptr_nonnull(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}
static void bytes_free(bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* ---------------------------------------------------------------------- */
/* the log both the decoder driver and the reference decoder write */

static void log_content(tlog *log, bytes *pending, int lengths)
{
	if (!pending->n)
		return;
	if (lengths) {
		tlog_printf(log, "content n=%zu\n", pending->n);
	} else {
		tlog_printf(log, "content \"");
		tlog_escaped(log, pending->p, pending->n);
		tlog_printf(log, "\"\n");
	}
	pending->n = 0;
}

static void log_tally(tlog *log, const char *name, const postel_data_tally *t)
{
	if (t->count)
		tlog_printf(log, "  %s count=%llu first=%llu\n", name,
			    (unsigned long long)t->count,
			    (unsigned long long)t->first);
}

static void log_result(tlog *log, const char *what, const postel_data_result *r,
		       int bdat)
{
	unsigned code;
	postel_data_verdict_reply(r->verdict, &code, NULL, NULL);
	tlog_printf(log, "%s verdict=%s code=%u size=%llu received=%llu", what,
		    postel_data_verdict_name(r->verdict), code,
		    (unsigned long long)r->size,
		    (unsigned long long)r->received);
	if (!bdat)
		tlog_printf(log, " lines=%llu longest=%llu",
			    (unsigned long long)r->lines,
			    (unsigned long long)r->longest_line);
	tlog_printf(log, "\n");
	log_tally(log, "bare-lf", &r->bare_lf);
	log_tally(log, "bare-cr", &r->bare_cr);
	log_tally(log, "nul", &r->nul);
	log_tally(log, "8bit", &r->eight_bit);
	log_tally(log, "long-line", &r->long_line);
	log_tally(log, "fake-end", &r->fake_end);
	log_tally(log, "oversize", &r->oversize);
	if (r->violations.n) {
		tlog_printf(log, "  violations");
		for (unsigned i = 0; i < r->violations.n; i++)
			tlog_printf(log, " %s",
				    postel_violation_name(
					    (postel_violation)r->violations.id[i]));
		tlog_printf(log, "\n");
	}
}

/* ---------------------------------------------------------------------- */
/* decoder driver (split_target): DATA, or BDAT with a tiny command reader */

typedef struct dctx {
	postel_data_config cfg;
	int bdat;
	int lengths; /* log content lengths only */
	int bad;     /* the driver stopped on an error */
	postel_data_decoder d;
	int ended, in_chunk;
	bytes pending;
	uint64_t events, delivered;
} dctx;

static void d_reset(void *vc)
{
	dctx *c = vc;
	c->ended = c->in_chunk = c->bad = 0;
	c->pending.n = 0;
	c->events = c->delivered = 0;
	if (c->bdat)
		ck_assert_int_eq(postel_data_decoder_init_bdat(&c->d, &c->cfg),
				 POSTEL_OK);
	else
		ck_assert_int_eq(postel_data_decoder_init(&c->d, &c->cfg),
				 POSTEL_OK);
}

/* "BDAT <n>[ LAST]\r\n" at p; returns the line length, 0 when incomplete,
 * -1 when it is not one. */
static long bdat_line(const char *p, size_t n, uint64_t *size, int *last)
{
	const char *e = memchr(p, '\n', n);
	if (!e)
		return 0;
	size_t ln = (size_t)(e - p) + 1;
	if (ln < 8 || memcmp(p, "BDAT ", 5) != 0 || e[-1] != '\r')
		return -1;
	const char *num = p + 5, *ne = num;
	while (ne < e - 1 && *ne >= '0' && *ne <= '9')
		ne++;
	uint64_t v = 0;
	for (const char *q = num; q < ne; q++) {
		if (v > (UINT64_MAX - (uint64_t)(*q - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (ne == num)
		return -1;
	*last = 0;
	if (ne == e - 1) {
	} else if ((size_t)(e - 1 - ne) == 5 && memcmp(ne, " LAST", 5) == 0) {
		*last = 1;
	} else {
		return -1;
	}
	*size = v;
	return (long)ln;
}

static size_t d_feed(void *vc, const char *p, size_t n, tlog *log)
{
	dctx *c = vc;
	size_t total = 0;
	while (!c->ended && !c->bad) {
		if (c->bdat && !c->in_chunk) {
			uint64_t size;
			int last;
			long k = bdat_line(p + total, n - total, &size, &last);
			if (k == 0)
				break;
			if (k < 0) {
				log_content(log, &c->pending, c->lengths);
				tlog_printf(log, "not-bdat\n");
				c->bad = 1;
				break;
			}
			log_content(log, &c->pending, c->lengths);
			tlog_printf(log, "bdat size=%llu%s\n",
				    (unsigned long long)size, last ? " last" : "");
			ck_assert_int_eq(postel_data_bdat_chunk(&c->d, size, last),
					 POSTEL_OK);
			c->in_chunk = 1;
			total += (size_t)k;
		}
		postel_data_event ev;
		size_t used = 99;
		postel_status st = postel_data_decode(&c->d, p + total, n - total,
						      &ev, &used);
		ck_assert_uint_le(used, n - total);
		total += used;
		c->events++;
		if (st == POSTEL_NEED_MORE) {
			ck_assert_int_eq(ev.type, POSTEL_DATA_NEED_MORE);
			/* at most 2 octets held back */
			ck_assert_uint_le(n - total, c->bdat ? 0 : 2);
			break;
		}
		ck_assert_int_eq(st, POSTEL_OK);
		switch (ev.type) {
		case POSTEL_DATA_CONTENT:
			ck_assert_uint_gt(ev.content.n, 0);
			/* content offsets are contiguous */
			ck_assert_uint_eq(ev.offset, c->delivered);
			c->delivered += ev.content.n;
			bytes_add(&c->pending, ev.content.p, ev.content.n);
			break;
		case POSTEL_DATA_SIZE_EXCEEDED:
			log_content(log, &c->pending, c->lengths);
			tlog_printf(log, "size-exceeded limit=%llu\n",
				    (unsigned long long)ev.offset);
			break;
		case POSTEL_DATA_CHUNK_END:
			log_content(log, &c->pending, c->lengths);
			log_result(log, "chunk-end", ev.result, 1);
			c->in_chunk = 0;
			break;
		case POSTEL_DATA_END:
			log_content(log, &c->pending, c->lengths);
			log_result(log, "end", ev.result, c->bdat);
			c->ended = 1;
			break;
		default:
			ck_abort_msg("unexpected event %d", (int)ev.type);
		}
	}
	return total;
}

static void d_finish(void *vc, const char *p, size_t n, tlog *log)
{
	dctx *c = vc;
	log_content(log, &c->pending, c->lengths);
	if (!c->ended)
		tlog_printf(log, "incomplete\n");
	if (n) {
		tlog_printf(log, "rest \"");
		tlog_escaped(log, p, n);
		tlog_printf(log, "\"\n");
	}
}

static const split_target dtarget = {d_reset, d_feed, d_finish};

/* ---------------------------------------------------------------------- */
/* encoder driver: DATA encoder, output through a small buffer */

typedef struct ectx {
	postel_data_encoder_config cfg;
	size_t outcap;
	postel_data_encoder e;
	int failed;
	uint64_t in_total;
	bytes out;
} ectx;

static void e_reset(void *vc)
{
	ectx *c = vc;
	c->failed = 0;
	c->in_total = 0;
	c->out.n = 0;
	ck_assert_int_eq(postel_data_encoder_init(&c->e, &c->cfg), POSTEL_OK);
}

static size_t e_feed(void *vc, const char *p, size_t n, tlog *log)
{
	ectx *c = vc;
	size_t total = 0;
	char buf[64];
	(void)log;
	if (c->failed)
		return 0;
	for (;;) {
		size_t iu = 99, ou = 99;
		postel_status st = postel_data_encode(&c->e, p + total, n - total,
						      buf, c->outcap, &iu, &ou);
		ck_assert_uint_le(iu, n - total);
		ck_assert_uint_le(ou, c->outcap);
		bytes_add(&c->out, buf, ou);
		total += iu;
		c->in_total += iu;
		if (st == POSTEL_OK) {
			ck_assert_uint_eq(total, n);
			break;
		}
		if (st == POSTEL_INVALID) {
			c->failed = 1;
			break;
		}
		ck_assert_int_eq(st, POSTEL_OUTPUT_FULL);
		ck_assert_uint_gt(iu + ou, 0); /* progress */
	}
	return total;
}

static void e_finish(void *vc, const char *p, size_t n, tlog *log)
{
	ectx *c = vc;
	char buf[64];
	postel_status st = POSTEL_INVALID;
	if (!c->failed) {
		for (;;) {
			size_t ou = 99;
			st = postel_data_encode_end(&c->e, buf, c->outcap, &ou);
			bytes_add(&c->out, buf, ou);
			if (st != POSTEL_OUTPUT_FULL)
				break;
			ck_assert_uint_gt(ou, 0);
		}
	}
	tlog_printf(log, "out \"");
	tlog_escaped(log, c->out.p, c->out.n);
	tlog_printf(log, "\"\n");
	if (st == POSTEL_OK) {
		ck_assert_uint_eq(postel_data_encoder_produced(&c->e), c->out.n);
		tlog_printf(log, "done in=%llu\n", (unsigned long long)c->in_total);
	} else {
		ck_assert_int_eq(st, POSTEL_INVALID);
		tlog_printf(log, "invalid at=%llu\n",
			    (unsigned long long)c->in_total);
	}
	if (n) {
		tlog_printf(log, "rest \"");
		tlog_escaped(log, p, n);
		tlog_printf(log, "\"\n");
	}
}

static const split_target etarget = {e_reset, e_feed, e_finish};

/* ---------------------------------------------------------------------- */
/* reference decoder: byte at a time, straight from RFC 5321 §4.1.1.4,
 * §4.5.2, §2.3.8; whole input; writes the driver's log */

static void ref_tally(postel_data_tally *t, uint64_t at)
{
	if (!t->count)
		t->first = at;
	t->count++;
}

static void ref_decode(const postel_data_config *cfg, const unsigned char *in,
		       size_t n, tlog *log)
{
	postel_data_result r;
	bytes content = {0};
	uint64_t line = 0, maxl = cfg->max_line ? cfg->max_line : 1000;
	int bol = 1, repair = (cfg->lenient &
			       POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS) != 0;
	int over = 0;
	size_t i = 0;
	memset(&r, 0, sizeof r);
	if (maxl < 3)
		maxl = 3;
#define PUT(ptr, len, wire, step)                                              \
	do {                                                                   \
		for (size_t k_ = 0; k_ < (len); k_++) {                        \
			r.size++;                                              \
			if (cfg->max_size && r.size > cfg->max_size) {         \
				if (!over) {                                   \
					ref_tally(&r.oversize, (wire) + k_ * (step)); \
					log_content(log, &content, 0);         \
					tlog_printf(log,                       \
						    "size-exceeded limit=%llu\n", \
						    (unsigned long long)cfg->max_size); \
				}                                              \
				over = 1;                                      \
			} else {                                               \
				bytes_add(&content, (ptr) + k_, 1);           \
			}                                                      \
		}                                                              \
	} while (0)
#define ENDLINE(len, at)                                                       \
	do {                                                                   \
		r.lines++;                                                     \
		if ((len) > r.longest_line)                                    \
			r.longest_line = (len);                                \
		if ((len) > maxl)                                              \
			ref_tally(&r.long_line, (at));                         \
	} while (0)
	for (;;) {
		if (i >= n)
			break;
		if (bol) {
			if (in[i] == '.') {
				if (i + 1 >= n)
					break;
				if (in[i + 1] == '\r' && i + 2 >= n)
					break;
				if (in[i + 1] == '\r' && in[i + 2] == '\n') {
					i += 3;
					r.received = i;
					/* verdict, as documented in data.h */
					int rep = repair;
					if (r.oversize.count)
						r.verdict = POSTEL_DATA_REJECT_SIZE;
					else if ((r.bare_lf.count || r.bare_cr.count) && !rep)
						r.verdict = POSTEL_DATA_REJECT_LINE_ENDS;
					else if (r.long_line.count && !(cfg->lenient & POSTEL_LENIENT_DATA_LONG_LINES))
						r.verdict = POSTEL_DATA_REJECT_LONG_LINES;
					else if (r.nul.count && !(cfg->lenient & POSTEL_LENIENT_DATA_NUL))
						r.verdict = POSTEL_DATA_REJECT_NUL;
					else if (r.eight_bit.count && cfg->body == POSTEL_DATA_BODY_7BIT && !(cfg->lenient & POSTEL_LENIENT_DATA_8BIT))
						r.verdict = POSTEL_DATA_REJECT_8BIT;
					else
						r.verdict = POSTEL_DATA_ACCEPT;
					postel_violation_list *vl = &r.violations;
#define ADDV(cond, v)                                                          \
	if (cond)                                                              \
		vl->id[vl->n++] = (uint16_t)(v);
					ADDV(r.bare_lf.count, POSTEL_V_DATA_BARE_LF)
					ADDV(r.bare_cr.count, POSTEL_V_DATA_BARE_CR)
					ADDV(r.nul.count, POSTEL_V_DATA_NUL)
					ADDV(r.eight_bit.count && cfg->body == POSTEL_DATA_BODY_7BIT, POSTEL_V_DATA_8BIT)
					ADDV(r.long_line.count, POSTEL_V_DATA_LINE_TOO_LONG)
					ADDV(r.fake_end.count, POSTEL_V_DATA_FAKE_END)
					ADDV(r.oversize.count, POSTEL_V_DATA_SIZE_EXCEEDED)
#undef ADDV
					log_content(log, &content, 0);
					log_result(log, "end", &r, 0);
					goto out;
				}
				if (in[i + 1] == '\n' || in[i + 1] == '\r')
					ref_tally(&r.fake_end, i);
				i++; /* stuffed dot */
				line = 0;
			}
			bol = 0;
			continue;
		}
		unsigned char c = in[i];
		if (c == '\r' || c == '\n') {
			if (i + 1 >= n)
				break;
			if (c == '\r' && in[i + 1] == '\n') {
				ENDLINE(line + 2, i);
				PUT("\r\n", 2, i, 1);
				line = 0;
				i += 2;
				bol = 1;
				continue;
			}
			if (in[i + 1] == '.' && i + 2 >= n)
				break;
			if (in[i + 1] == '.' &&
			    (in[i + 2] == '\r' || in[i + 2] == '\n'))
				ref_tally(&r.fake_end, i + 1);
			ref_tally(c == '\r' ? &r.bare_cr : &r.bare_lf, i);
			ENDLINE(line + 2, i);
			line = 0;
			if (repair)
				PUT("\r\n", 2, i, 0);
			else
				PUT((const char *)&in[i], 1, i, 1);
			i++;
			continue;
		}
		if (c == 0)
			ref_tally(&r.nul, i);
		if (c >= 0x80)
			ref_tally(&r.eight_bit, i);
		line++;
		PUT((const char *)&in[i], 1, i, 1);
		i++;
	}
	log_content(log, &content, 0);
	tlog_printf(log, "incomplete\n");
out:
	if (i < n) {
		tlog_printf(log, "rest \"");
		tlog_escaped(log, (const char *)in + i, n - i);
		tlog_printf(log, "\"\n");
	}
	bytes_free(&content);
#undef PUT
#undef ENDLINE
}

/* ---------------------------------------------------------------------- */
/* vectors */

static vec_set data_vecs, bdat_vecs;

static void config_from(const vec *v, postel_data_config *cfg, int *lengths)
{
	char buf[64];
	memset(cfg, 0, sizeof *cfg);
	if (vec_config_has(v, "lenient"))
		cfg->lenient = POSTEL_LENIENT;
	if (vec_config_has(v, "repair"))
		cfg->lenient |= POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS;
	if (vec_config_has(v, "long-lines"))
		cfg->lenient |= POSTEL_LENIENT_DATA_LONG_LINES;
	if (vec_config_has(v, "nul"))
		cfg->lenient |= POSTEL_LENIENT_DATA_NUL;
	if (vec_config_has(v, "8bit"))
		cfg->lenient |= POSTEL_LENIENT_DATA_8BIT;
	if (vec_config_get(v, "max-line", buf, sizeof buf))
		cfg->max_line = (uint32_t)strtoul(buf, NULL, 10);
	if (vec_config_get(v, "max-size", buf, sizeof buf))
		cfg->max_size = strtoull(buf, NULL, 10);
	if (vec_config_get(v, "body", buf, sizeof buf)) {
		if (strcmp(buf, "8bitmime") == 0)
			cfg->body = POSTEL_DATA_BODY_8BITMIME;
		else if (strcmp(buf, "binarymime") == 0)
			cfg->body = POSTEL_DATA_BODY_BINARYMIME;
		else
			ck_assert_str_eq(buf, "7bit");
	}
	*lengths = vec_config_has(v, "lengths");
}

static void run_vector(const vec *v, int bdat)
{
	tlog whole;
	char why[1024];
	tlog_init(&whole);
	size_t max3 = v->in_n <= 64 ? v->in_n : 0;
	if (!bdat && vec_config_has(v, "encode")) {
		ectx c;
		char buf[32];
		memset(&c, 0, sizeof c);
		if (vec_config_has(v, "refuse-bare"))
			c.cfg.flags = POSTEL_DATA_ENC_REFUSE_BARE;
		c.outcap = 64;
		if (vec_config_get(v, "out", buf, sizeof buf))
			c.outcap = strtoul(buf, NULL, 10);
		int rc = split_check(&etarget, &c, v->in, v->in_n, max3, &whole,
				     why, sizeof why);
		ck_assert_msg(rc == 0, "%s:%d %s: %s", v->file, v->line, v->name,
			      why);
		bytes_free(&c.out);
	} else {
		dctx c;
		memset(&c, 0, sizeof c);
		config_from(v, &c.cfg, &c.lengths);
		c.bdat = bdat;
		int rc = split_check(&dtarget, &c, v->in, v->in_n, max3, &whole,
				     why, sizeof why);
		ck_assert_msg(rc == 0, "%s:%d %s: %s", v->file, v->line, v->name,
			      why);
		if (!bdat && !c.lengths) {
			/* the reference decoder agrees */
			tlog ref;
			tlog_init(&ref);
			ref_decode(&c.cfg, (const unsigned char *)v->in, v->in_n,
				   &ref);
			ck_assert_msg(strcmp(tlog_str(&ref), tlog_str(&whole)) == 0,
				      "%s: reference:\n%s\ndecoder:\n%s", v->name,
				      tlog_str(&ref), tlog_str(&whole));
			tlog_free(&ref);
		}
		bytes_free(&c.pending);
	}
	ck_assert_msg(strcmp(tlog_str(&whole), v->expect) == 0,
		      "%s:%d %s\nexpected:\n%sgot:\n%s", v->file, v->line,
		      v->name, v->expect, tlog_str(&whole));
	tlog_free(&whole);
}

START_TEST(data_vector)
{
	run_vector(&data_vecs.v[_i], 0);
}
END_TEST

START_TEST(bdat_vector)
{
	run_vector(&bdat_vecs.v[_i], 1);
}
END_TEST

/* The same vectors with each scanner forced (scalar, SSE2, AVX2). */
START_TEST(vectors_every_scanner)
{
	for (int impl = 1; impl <= 3; impl++) {
		postel__data_impl = impl;
		for (size_t k = 0; k < data_vecs.n; k++) {
			const vec *v = &data_vecs.v[k];
			if (vec_config_has(v, "encode"))
				continue;
			dctx c;
			tlog log;
			memset(&c, 0, sizeof c);
			tlog_init(&log);
			config_from(v, &c.cfg, &c.lengths);
			split_run(&dtarget, &c, v->in, v->in_n, NULL, 0, &log);
			ck_assert_msg(strcmp(tlog_str(&log), v->expect) == 0,
				      "impl %d %s", impl, v->name);
			tlog_free(&log);
			bytes_free(&c.pending);
		}
	}
	postel__data_impl = 0;
}
END_TEST

/* ---------------------------------------------------------------------- */
/* helpers for unit tests */

/* Decode `in` whole with `cfg`; returns the log. */
static char *decode_log(const postel_data_config *cfg, const char *in,
			size_t n)
{
	dctx c;
	tlog log;
	memset(&c, 0, sizeof c);
	c.cfg = *cfg;
	tlog_init(&log);
	split_run(&dtarget, &c, in, n, NULL, 0, &log);
	char *s = strdup(tlog_str(&log));
	tlog_free(&log);
	bytes_free(&c.pending);
	return s;
}

/* Decode whole; return the content and the result; *rest unconsumed. */
static postel_data_result decode_all(const postel_data_config *cfg,
				     const char *in, size_t n, bytes *content,
				     size_t *rest)
{
	postel_data_decoder d;
	size_t off = 0;
	ck_assert_int_eq(postel_data_decoder_init(&d, cfg), POSTEL_OK);
	for (;;) {
		postel_data_event ev;
		size_t used;
		postel_status st =
			postel_data_decode(&d, in + off, n - off, &ev, &used);
		off += used;
		if (st == POSTEL_NEED_MORE)
			break;
		ck_assert_int_eq(st, POSTEL_OK);
		if (ev.type == POSTEL_DATA_CONTENT)
			bytes_add(content, ev.content.p, ev.content.n);
		if (ev.type == POSTEL_DATA_END)
			break;
	}
	*rest = n - off;
	return *postel_data_decoder_result(&d);
}

static int contains(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Decode a complete message: all of it consumed, `want` comes back. */
static postel_data_result expect_decoded(const postel_data_config *cfg,
					 const bytes *wire, const bytes *want)
{
	bytes back = {0};
	size_t rest;
	postel_data_result r = decode_all(cfg, wire->p, wire->n, &back, &rest);
	ck_assert_uint_eq(rest, 0);
	ck_assert_uint_eq(back.n, want->n);
	if (want->n)
		ck_assert_mem_eq(back.p, want->p, want->n);
	ck_assert_uint_eq(r.size, want->n);
	ck_assert_uint_eq(r.received, wire->n);
	bytes_free(&back);
	return r;
}

/* ---------------------------------------------------------------------- */
/* smuggling: every variant of a fake end is content, at every split */

START_TEST(smuggling_variants)
{
	static const char *fake[] = {"\n.\n",   "\n.\r\n", "\r.\r",
				     "\r\n.\n", "\r\n.\r", "\r.\r\n",
				     "\n.\r",   "\r.\n"};
	static const uint32_t modes[] = {
		0, POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS, POSTEL_LENIENT};
	for (size_t m = 0; m < 3; m++)
		for (size_t k = 0; k < sizeof fake / sizeof fake[0]; k++) {
			char in[256];
			int n = snprintf(in, sizeof in,
					 "Subject: a\r\n\r\nbody%sMAIL FROM:<x@y>"
					 "\r\n\r\n.\r\nQUIT\r\n",
					 fake[k]);
			postel_data_config cfg = {0};
			cfg.lenient = modes[m];
			bytes content = {0};
			size_t rest;
			postel_data_result r =
				decode_all(&cfg, in, (size_t)n, &content, &rest);
			/* the end is the real one: only QUIT is left */
			ck_assert_uint_eq(rest, 6);
			ck_assert(contains(content.p, content.n, "MAIL FROM:<x@y>"));
			ck_assert_uint_ge(r.fake_end.count, 1);
			ck_assert(postel_violation_list_has(&r.violations,
							    POSTEL_V_DATA_FAKE_END));
			ck_assert_uint_ge(r.bare_lf.count + r.bare_cr.count, 1);
			if (modes[m] & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS) {
				ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
				/* repaired: no bare CR or LF left */
				for (size_t i = 0; i < content.n; i++)
					if (content.p[i] == '\r' || content.p[i] == '\n')
						ck_assert(content.p[i] == '\r'
								  ? i + 1 < content.n &&
									    content.p[i + 1] == '\n'
								  : i > 0 && content.p[i - 1] == '\r');
			} else {
				ck_assert_int_eq(r.verdict,
						 POSTEL_DATA_REJECT_LINE_ENDS);
			}
			/* split invariance */
			dctx c;
			tlog whole;
			char why[1024];
			memset(&c, 0, sizeof c);
			c.cfg = cfg;
			tlog_init(&whole);
			ck_assert_msg(split_check(&dtarget, &c, in, (size_t)n, 0,
						  &whole, why, sizeof why) == 0,
				      "%s", why);
			tlog_free(&whole);
			bytes_free(&c.pending);
			bytes_free(&content);
		}
}
END_TEST

/* Real end markers right after a fake one still end the data. */
START_TEST(end_after_bare)
{
	postel_data_config cfg = {0};
	bytes content = {0};
	size_t rest;
	/* "\n.\r\n" right after "\r\n": "\r\n" ends a line, then "\n" is
	 * bare, "." is not at a line start: content */
	const char in[] = "a\r\n\n.\r\n.\r\nX";
	postel_data_result r = decode_all(&cfg, in, sizeof in - 1, &content, &rest);
	ck_assert_uint_eq(rest, 1);
	ck_assert_uint_eq(content.n, 7);
	ck_assert_mem_eq(content.p, "a\r\n\n.\r\n", 7);
	ck_assert_uint_eq(r.bare_lf.count, 1);
	ck_assert_uint_eq(r.bare_lf.first, 3);
	bytes_free(&content);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* line lengths: 998/999/1000/1001 octets incl. CRLF, and the same with a
 * stuffed dot (not counted, §4.5.3.1.6) */

START_TEST(line_lengths)
{
	static const size_t lens[] = {998, 999, 1000, 1001, 1002};
	for (size_t k = 0; k < 5; k++)
		for (int dot = 0; dot < 2; dot++) {
			size_t L = lens[k]; /* incl. CRLF, without stuffing */
			bytes in = {0};
			if (dot)
				bytes_add(&in, "..", 2);
			for (size_t i = dot ? 1 : 0; i < L - 2; i++)
				bytes_add(&in, "x", 1);
			bytes_add(&in, "\r\n.\r\n", 5);
			postel_data_config cfg = {0};
			bytes content = {0};
			size_t rest;
			postel_data_result r =
				decode_all(&cfg, in.p, in.n, &content, &rest);
			ck_assert_uint_eq(rest, 0);
			ck_assert_uint_eq(content.n, L);
			ck_assert_uint_eq(r.longest_line, L);
			ck_assert_uint_eq(r.long_line.count, L > 1000);
			ck_assert_int_eq(r.verdict, L > 1000
							    ? POSTEL_DATA_REJECT_LONG_LINES
							    : POSTEL_DATA_ACCEPT);
			cfg.lenient = POSTEL_LENIENT_DATA_LONG_LINES;
			content.n = 0;
			r = decode_all(&cfg, in.p, in.n, &content, &rest);
			ck_assert_uint_eq(r.long_line.count, L > 1000);
			ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
			/* split invariance, 2-way splits (the vectors in
			 * lines.vec cover the other lengths at every split) */
			if (L != 1001 || !dot) {
				bytes_free(&content);
				bytes_free(&in);
				continue;
			}
			dctx c;
			tlog whole;
			char why[1024];
			memset(&c, 0, sizeof c);
			c.cfg.max_line = 0;
			tlog_init(&whole);
			ck_assert_msg(split_check(&dtarget, &c, in.p, in.n, 0,
						  &whole, why, sizeof why) == 0,
				      "%s", why);
			tlog_free(&whole);
			bytes_free(&c.pending);
			bytes_free(&content);
			bytes_free(&in);
		}
}
END_TEST

/* A line of 10 MB: reported once, memory bounded (no buffering: the
 * decoder struct is all there is), content streamed in spans. */
START_TEST(huge_line)
{
	size_t n = (size_t)rounds(10) << 20;
	char *in = malloc(n + 5);
	ck_assert_ptr_nonnull(in);
	memset(in, 'y', n);
	memcpy(in + n, "\r\n.\r\n", 5);
	postel_data_config cfg = {0};
	postel_data_decoder d;
	ck_assert_int_eq(postel_data_decoder_init(&d, &cfg), POSTEL_OK);
	size_t off = 0, got = 0;
	for (;;) {
		postel_data_event ev;
		size_t used, take = n + 5 - off < 4096 ? n + 5 - off : 4096;
		postel_status st = postel_data_decode(&d, in + off, take, &ev, &used);
		off += used;
		if (ev.type == POSTEL_DATA_CONTENT)
			got += ev.content.n;
		if (ev.type == POSTEL_DATA_END)
			break;
		ck_assert(st == POSTEL_OK || st == POSTEL_NEED_MORE);
	}
	ck_assert_uint_eq(off, n + 5);
	ck_assert_uint_eq(got, n + 2);
	ck_assert_uint_eq(d.r_.long_line.count, 1);
	ck_assert_uint_eq(d.r_.longest_line, n + 2);
	free(in);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* dots at every position relative to a split */

START_TEST(dots_every_split)
{
	static const char *msgs[] = {
		".\r\n",
		"..\r\n.\r\n",
		"...\r\n.\r\n",
		".a\r\n..\r\n...\r\n.\r\n",
		"a\r\n.\r\nEHLO x\r\n",
		".\r\r\n.\r\n",
		"\r\n.\r\n",
		"..\r\n..\r\n..\r\n.\r\n",
		"a.\r\n.b\r\n.\r\n.\r\n",
	};
	for (size_t k = 0; k < sizeof msgs / sizeof msgs[0]; k++) {
		for (int m = 0; m < 2; m++) {
			dctx c;
			tlog whole;
			char why[1024];
			memset(&c, 0, sizeof c);
			c.cfg.lenient = m ? POSTEL_LENIENT : 0;
			tlog_init(&whole);
			size_t n = strlen(msgs[k]);
			ck_assert_msg(split_check(&dtarget, &c, msgs[k], n, n,
						  &whole, why, sizeof why) == 0,
				      "%s: %s", msgs[k], why);
			tlog ref;
			tlog_init(&ref);
			ref_decode(&c.cfg, (const unsigned char *)msgs[k], n, &ref);
			ck_assert_str_eq(tlog_str(&ref), tlog_str(&whole));
			tlog_free(&ref);
			tlog_free(&whole);
			bytes_free(&c.pending);
		}
	}
}
END_TEST

/* Only dots: every line "." stuffed to "..". */
START_TEST(only_dots)
{
	for (size_t lines = 0; lines < 40; lines++) {
		bytes in = {0}, want = {0};
		for (size_t i = 0; i < lines; i++) {
			bytes_add(&in, "..\r\n", 4);
			bytes_add(&want, ".\r\n", 3);
		}
		bytes_add(&in, ".\r\n", 3);
		postel_data_config cfg = {0};
		postel_data_result r = expect_decoded(&cfg, &in, &want);
		ck_assert_uint_eq(r.lines, lines);
		ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
		ck_assert_uint_eq(r.violations.n, 0);
		bytes_free(&in);
		bytes_free(&want);
	}
}
END_TEST

/* ---------------------------------------------------------------------- */
/* differential: random input, every scanner, the reference decoder */

static void random_input(bytes *b, size_t n, unsigned density)
{
	static const unsigned char special[] = {'\r', '\n', '.', '\r', '\n',
						'.',  0,    0xE9, 'x', '\r'};
	b->n = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c;
		if (rng_below(density) == 0)
			c = special[rng_below(sizeof special)];
		else if (rng_below(8) == 0)
			c = (unsigned char)rng_below(256);
		else
			c = (unsigned char)('a' + rng_below(26));
		bytes_add(b, &c, 1);
		/* real ends now and then */
		if (rng_below(400) == 0)
			bytes_add(b, "\r\n.\r\n", 5);
	}
}

static void random_config(postel_data_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->lenient = rng_below(2) ? POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS : 0;
	if (rng_below(2))
		cfg->lenient |= POSTEL_LENIENT_DATA_LONG_LINES |
				POSTEL_LENIENT_DATA_8BIT;
	if (rng_below(3) == 0)
		cfg->lenient |= POSTEL_LENIENT_DATA_NUL;
	cfg->max_line = rng_below(2) ? 0 : 2 + rng_below(60);
	cfg->max_size = rng_below(3) ? 0 : rng_below(300);
	cfg->body = rng_below(2) ? POSTEL_DATA_BODY_7BIT
				 : POSTEL_DATA_BODY_8BITMIME;
}

START_TEST(differential_reference)
{
	bytes in = {0};
	rng_seed(0xda7a0001);
	for (int iter = 0, n = rounds(3000); iter < n; iter++) {
		postel_data_config cfg;
		random_config(&cfg);
		static const unsigned dens[] = {3, 10, 40, 200};
		random_input(&in, rng_below(700), dens[rng_below(4)]);
		tlog ref;
		tlog_init(&ref);
		ref_decode(&cfg, (const unsigned char *)in.p, in.n, &ref);
		for (int impl = 1; impl <= 3; impl++) {
			postel__data_impl = impl;
			char *got = decode_log(&cfg, in.p, in.n);
			ck_assert_msg(strcmp(got, tlog_str(&ref)) == 0,
				      "iter %d impl %d\nref:\n%s\ngot:\n%s", iter,
				      impl, tlog_str(&ref), got);
			free(got);
		}
		postel__data_impl = 0;
		tlog_free(&ref);
	}
	bytes_free(&in);
}
END_TEST

/* Random input at every 2-way split and byte by byte. */
START_TEST(split_random)
{
	bytes in = {0};
	rng_seed(0xda7a0002);
	for (int iter = 0, n = rounds(150); iter < n; iter++) {
		dctx c;
		tlog whole;
		char why[1024];
		memset(&c, 0, sizeof c);
		random_config(&c.cfg);
		random_input(&in, rng_below(90), 1 + rng_below(30));
		tlog_init(&whole);
		ck_assert_msg(split_check(&dtarget, &c, in.p, in.n, 16, &whole,
					  why, sizeof why) == 0,
			      "iter %d: %s", iter, why);
		tlog_free(&whole);
		bytes_free(&c.pending);
	}
	bytes_free(&in);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* round trip: decode(encode(x)) == normalize(x) */

/* Bare CR and bare LF become CRLF; a final CRLF is added to non-empty
 * content that lacks one. */
static void normalize(const char *p, size_t n, bytes *out)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			bytes_add(out, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n') {
			bytes_add(out, "\r\n", 2);
		} else {
			bytes_add(out, p + i, 1);
		}
	}
	if (out->n && (out->n < 2 || memcmp(out->p + out->n - 2, "\r\n", 2)))
		bytes_add(out, "\r\n", 2);
}

/* Encode with random input splits and output room. */
static void encode_random(const char *in, size_t n, bytes *wire)
{
	postel_data_encoder e;
	char buf[300];
	size_t off = 0;
	ck_assert_int_eq(postel_data_encoder_init(&e, NULL), POSTEL_OK);
	wire->n = 0;
	while (off < n) {
		size_t take = 1 + rng_below((uint32_t)(n - off));
		size_t cap = 1 + rng_below(rng_below(2) ? 8 : 299);
		size_t iu, ou;
		postel_status st =
			postel_data_encode(&e, in + off, take, buf, cap, &iu, &ou);
		ck_assert(st == POSTEL_OK || st == POSTEL_OUTPUT_FULL);
		if (st == POSTEL_OK)
			ck_assert_uint_eq(iu, take);
		bytes_add(wire, buf, ou);
		off += iu;
	}
	for (;;) {
		size_t ou, cap = 1 + rng_below(6);
		postel_status st = postel_data_encode_end(&e, buf, cap, &ou);
		bytes_add(wire, buf, ou);
		if (st == POSTEL_OK)
			break;
		ck_assert_int_eq(st, POSTEL_OUTPUT_FULL);
	}
	ck_assert_uint_eq(postel_data_encoder_consumed(&e), n);
	ck_assert_uint_eq(postel_data_encoder_produced(&e), wire->n);
}

START_TEST(round_trip_property)
{
	bytes x = {0}, norm = {0}, wire = {0};
	rng_seed(0xda7a0003);
	for (int iter = 0, rn = rounds(4000); iter < rn; iter++) {
		/* content without real ends inserted */
		static const unsigned char alpha[] = {'\r', '\n', '.', 'a', ' ',
						      0xC3, '\t', '.'};
		x.n = 0;
		size_t n = rng_below(iter < rn / 2 ? 40 : 600);
		/* dense specials, or long plain runs for the SIMD copiers */
		uint32_t sparse = rng_below(2) ? 1 : 60;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = rng_below(sparse) ? 'p'
					  : rng_below(4) ? alpha[rng_below(8)]
							 : (unsigned char)rng_below(256);
			bytes_add(&x, &c, 1);
		}
		/* every scanner/copier (0: the automatic choice) */
		postel__data_impl = iter % 4;
		normalize(x.p, x.n, &norm);
		encode_random(x.p, x.n, &wire);
		/* the wire never holds a bare CR or LF, ends with CRLF.CRLF */
		for (size_t i = 0; i < wire.n; i++) {
			if (wire.p[i] == '\r')
				ck_assert(i + 1 < wire.n && wire.p[i + 1] == '\n');
			if (wire.p[i] == '\n')
				ck_assert(i > 0 && wire.p[i - 1] == '\r');
		}
		postel_data_config cfg = {0};
		cfg.body = POSTEL_DATA_BODY_8BITMIME;
		cfg.lenient = POSTEL_LENIENT_DATA_NUL | POSTEL_LENIENT_DATA_LONG_LINES;
		postel_data_result r = expect_decoded(&cfg, &wire, &norm);
		ck_assert_uint_eq(r.bare_cr.count + r.bare_lf.count, 0);
		ck_assert_uint_eq(r.fake_end.count, 0);
		ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
	}
	postel__data_impl = 0;
	bytes_free(&x);
	bytes_free(&norm);
	bytes_free(&wire);
}
END_TEST

/* The encoder at every input split and every output room 1..8. */
START_TEST(encoder_backpressure)
{
	static const char *ins[] = {
		"", ".", "a", "\r", "\n", ".\r\n.", "a\r\n.\r\n", "..\r\r\n.\n.",
		"line\rnext\nlast", ".\r.\n.\r\n", "abc\r\n",
	};
	for (size_t k = 0; k < sizeof ins / sizeof ins[0]; k++) {
		bytes norm = {0};
		size_t n = strlen(ins[k]);
		normalize(ins[k], n, &norm);
		for (size_t cap = 1; cap <= 8; cap++) {
			ectx c;
			tlog whole;
			char why[1024];
			memset(&c, 0, sizeof c);
			c.outcap = cap;
			tlog_init(&whole);
			ck_assert_msg(split_check(&etarget, &c, ins[k], n, n, &whole,
						  why, sizeof why) == 0,
				      "cap %zu %s", cap, why);
			/* decode the output: normalized input back */
			postel_data_config cfg = {0};
			postel_data_result r = expect_decoded(&cfg, &c.out, &norm);
			ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
			bytes_free(&c.out);
			tlog_free(&whole);
		}
		bytes_free(&norm);
	}
}
END_TEST

START_TEST(encoder_refuse)
{
	postel_data_encoder_config cfg = {POSTEL_DATA_ENC_REFUSE_BARE,
					  POSTEL_DATA_BODY_7BIT};
	postel_data_encoder e;
	char out[64];
	size_t iu, ou;
	/* bare LF: stops at it */
	ck_assert_int_eq(postel_data_encoder_init(&e, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_encode(&e, "ab\ncd", 5, out, sizeof out,
					    &iu, &ou),
			 POSTEL_INVALID);
	ck_assert_uint_eq(iu, 2);
	ck_assert_uint_eq(ou, 2);
	/* sticky */
	ck_assert_int_eq(postel_data_encode(&e, "x", 1, out, sizeof out, &iu, &ou),
			 POSTEL_INVALID);
	ck_assert_uint_eq(iu, 0);
	ck_assert_int_eq(postel_data_encode_end(&e, out, sizeof out, &ou),
			 POSTEL_INVALID);
	/* bare CR across calls */
	ck_assert_int_eq(postel_data_encoder_init(&e, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_encode(&e, "ab\r", 3, out, sizeof out, &iu, &ou),
			 POSTEL_OK);
	ck_assert_uint_eq(iu, 3);
	ck_assert_int_eq(postel_data_encode(&e, "c", 1, out, sizeof out, &iu, &ou),
			 POSTEL_INVALID);
	ck_assert_uint_eq(iu, 0);
	/* trailing bare CR refused at the end */
	ck_assert_int_eq(postel_data_encoder_init(&e, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_encode(&e, "ab\r", 3, out, sizeof out, &iu, &ou),
			 POSTEL_OK);
	ck_assert_int_eq(postel_data_encode_end(&e, out, sizeof out, &ou),
			 POSTEL_INVALID);
	/* CRLF is fine */
	ck_assert_int_eq(postel_data_encoder_init(&e, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_encode(&e, "ab\r", 3, out, sizeof out, &iu, &ou),
			 POSTEL_OK);
	ck_assert_int_eq(postel_data_encode(&e, "\n.", 2, out + ou, sizeof out - ou,
					    &iu, &ou),
			 POSTEL_OK);
	/* BINARYMIME is BDAT only */
	cfg.body = POSTEL_DATA_BODY_BINARYMIME;
	ck_assert_int_eq(postel_data_encoder_init(&e, &cfg), POSTEL_E_ARGUMENT);
}
END_TEST

START_TEST(encoder_end_forms)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{"", ".\r\n"},
		{"a", "a\r\n.\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{"a\r", "a\r\n.\r\n"},
		{"a\n", "a\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{"\r\n", "\r\n.\r\n"},
		{".\r\n", "..\r\n.\r\n"},
		{"\n.", "\r\n..\r\n.\r\n"},
		{"\r.", "\r\n..\r\n.\r\n"},
		{"x\r\r\n.", "x\r\n\r\n..\r\n.\r\n"},
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		postel_data_encoder e;
		char out[64];
		size_t iu, ou, ou2;
		ck_assert_int_eq(postel_data_encoder_init(&e, NULL), POSTEL_OK);
		ck_assert_int_eq(postel_data_encode(&e, t[k].in, strlen(t[k].in),
						    out, sizeof out, &iu, &ou),
				 POSTEL_OK);
		ck_assert_int_eq(postel_data_encode_end(&e, out + ou,
							sizeof out - ou, &ou2),
				 POSTEL_OK);
		ck_assert_uint_eq(ou + ou2, strlen(t[k].out));
		ck_assert_mem_eq(out, t[k].out, ou + ou2);
		/* done: nothing more, and no more content accepted */
		ck_assert_int_eq(postel_data_encode_end(&e, out, sizeof out, &ou2),
				 POSTEL_OK);
		ck_assert_uint_eq(ou2, 0);
		ck_assert_int_eq(postel_data_encode(&e, "x", 1, out, sizeof out,
						    &iu, &ou),
				 POSTEL_E_STATE);
	}
}
END_TEST

/* ---------------------------------------------------------------------- */
/* size limit (RFC 1870) */

START_TEST(size_limit)
{
	for (uint64_t lim = 1; lim < 18; lim++) {
		postel_data_config cfg = {0};
		cfg.max_size = lim;
		const char in[] = "abc\r\n..def\r\nghi\r\n.\r\nRSET\r\n";
		bytes content = {0};
		size_t rest;
		postel_data_result r =
			decode_all(&cfg, in, sizeof in - 1, &content, &rest);
		ck_assert_uint_eq(rest, 6);
		ck_assert_uint_eq(r.size, 16);
		ck_assert_uint_eq(content.n, lim < 16 ? lim : 16);
		ck_assert_mem_eq(content.p, "abc\r\n.def\r\nghi\r\n", content.n);
		if (lim < 16) {
			ck_assert_int_eq(r.verdict, POSTEL_DATA_REJECT_SIZE);
			ck_assert_uint_eq(r.oversize.count, 1);
			unsigned code;
			const char *enh;
			postel_data_verdict_reply(r.verdict, &code, &enh, NULL);
			ck_assert_uint_eq(code, 552);
			ck_assert_str_eq(enh, "5.3.4");
		} else {
			ck_assert_int_eq(r.verdict, POSTEL_DATA_ACCEPT);
		}
		bytes_free(&content);
	}
}
END_TEST

/* ---------------------------------------------------------------------- */
/* BDAT server side */

START_TEST(bdat_sizes)
{
	postel_data_decoder d;
	postel_data_event ev;
	size_t used;
	postel_data_config cfg = {0};
	cfg.max_size = 10;
	ck_assert_int_eq(postel_data_decoder_init_bdat(&d, &cfg), POSTEL_OK);
	/* decode between chunks is misuse */
	ck_assert_int_eq(postel_data_decode(&d, "x", 1, &ev, &used),
			 POSTEL_E_STATE);
	/* a huge chunk: consumed and dropped past the limit */
	ck_assert_int_eq(postel_data_bdat_chunk(&d, UINT64_MAX, 1), POSTEL_OK);
	ck_assert_int_eq(postel_data_bdat_chunk(&d, 1, 0), POSTEL_E_STATE);
	char buf[4096];
	memset(buf, 'z', sizeof buf);
	ck_assert_int_eq(postel_data_decode(&d, buf, sizeof buf, &ev, &used),
			 POSTEL_OK);
	ck_assert_int_eq(ev.type, POSTEL_DATA_CONTENT);
	ck_assert_uint_eq(ev.content.n, 10);
	ck_assert_uint_eq(used, sizeof buf);
	ck_assert_int_eq(postel_data_decode(&d, buf, sizeof buf, &ev, &used),
			 POSTEL_OK);
	ck_assert_int_eq(ev.type, POSTEL_DATA_SIZE_EXCEEDED);
	ck_assert_uint_eq(used, 0);
	for (int k = 0; k < 100; k++) {
		ck_assert_int_eq(postel_data_decode(&d, buf, sizeof buf, &ev, &used),
				 POSTEL_NEED_MORE);
		ck_assert_uint_eq(used, sizeof buf);
	}
	ck_assert_uint_eq(d.r_.size, 101 * sizeof buf);
	ck_assert_int_eq(d.r_.verdict, POSTEL_DATA_REJECT_SIZE);

	/* BINARYMIME content is opaque: CRLF.CRLF is data */
	cfg.max_size = 0;
	cfg.body = POSTEL_DATA_BODY_BINARYMIME;
	ck_assert_int_eq(postel_data_decoder_init_bdat(&d, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_bdat_chunk(&d, 5, 0), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, "\r\n.\r\nQUIT", 9, &ev, &used),
			 POSTEL_OK);
	ck_assert_uint_eq(used, 5);
	ck_assert_uint_eq(ev.content.n, 5);
	ck_assert_int_eq(postel_data_decode(&d, "QUIT", 4, &ev, &used), POSTEL_OK);
	ck_assert_int_eq(ev.type, POSTEL_DATA_CHUNK_END);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(ev.result->verdict, POSTEL_DATA_ACCEPT);
	ck_assert_int_eq(postel_data_bdat_chunk(&d, 0, 1), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, NULL, 0, &ev, &used), POSTEL_OK);
	ck_assert_int_eq(ev.type, POSTEL_DATA_END);
	ck_assert_uint_eq(ev.result->size, 5);
	ck_assert_int_eq(postel_data_decode(&d, NULL, 0, &ev, &used),
			 POSTEL_E_STATE);
	/* sizes add up without wrapping */
	ck_assert_int_eq(postel_data_decoder_init_bdat(&d, NULL), POSTEL_OK);
	d.r_.size = UINT64_MAX - 1;
	ck_assert_int_eq(postel_data_bdat_chunk(&d, 3, 1), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, "abc", 3, &ev, &used), POSTEL_OK);
	ck_assert_uint_eq(d.r_.size, UINT64_MAX);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* BDAT client side */

START_TEST(bdat_header)
{
	char out[POSTEL_BDAT_HEADER_MAX];
	size_t n = postel_bdat_header(out, sizeof out, 0, 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(out, "BDAT 0\r\n", 8);
	n = postel_bdat_header(out, sizeof out, UINT64_MAX, 1);
	ck_assert_uint_eq(n, 32);
	ck_assert_mem_eq(out, "BDAT 18446744073709551615 LAST\r\n", 32);
	ck_assert_uint_eq(postel_bdat_header(out, 31, UINT64_MAX, 1), 0);
	ck_assert_uint_eq(postel_bdat_header(out, 12, 1000, 0), 11);
	ck_assert_uint_eq(postel_bdat_header(out, 10, 1000, 0), 0);
}
END_TEST

/* Frame, then parse the frames back with the server side: the content
 * comes back, chunks are as configured, LAST once at the end. */
static void bdat_roundtrip(const char *in, size_t n, uint64_t chunk,
			   size_t step, size_t cap)
{
	postel_bdat_encoder b;
	bytes wire = {0};
	char out[512];
	size_t off = 0;
	ck_assert_int_eq(postel_bdat_encoder_init(&b, chunk), POSTEL_OK);
	for (;;) {
		size_t take = n - off < step ? n - off : step;
		int last = off + take == n;
		size_t iu, ou;
		postel_status st = postel_bdat_encode(&b, in + off, take, last, out,
						      cap, &iu, &ou);
		bytes_add(&wire, out, ou);
		off += iu;
		if (st == POSTEL_OK && last && off == n) {
			ck_assert(postel_bdat_encoder_done(&b));
			break;
		}
		ck_assert(st == POSTEL_OK || st == POSTEL_OUTPUT_FULL);
		ck_assert_uint_gt(iu + ou + (st == POSTEL_OK), 0);
	}
	/* parse */
	dctx c;
	tlog log;
	memset(&c, 0, sizeof c);
	c.bdat = 1;
	tlog_init(&log);
	d_reset(&c);
	size_t used = d_feed(&c, wire.p, wire.n, &log);
	ck_assert_uint_eq(used, wire.n);
	ck_assert(c.ended);
	ck_assert_uint_eq(c.d.r_.size, n);
	/* content: concatenated pending spans were logged; rebuild it */
	bytes back = {0};
	size_t p = 0;
	uint64_t chunks = 0;
	while (p < wire.n) {
		uint64_t size;
		int last;
		long k = bdat_line(wire.p + p, wire.n - p, &size, &last);
		ck_assert_int_gt(k, 0);
		ck_assert_uint_le(size, chunk);
		p += (size_t)k;
		bytes_add(&back, wire.p + p, (size_t)size);
		p += (size_t)size;
		chunks++;
		ck_assert_int_eq(last, p == wire.n);
	}
	ck_assert_uint_eq(chunks, postel_bdat_encoder_chunks(&b));
	ck_assert_uint_eq(back.n, n);
	if (n)
		ck_assert_mem_eq(back.p, in, n);
	/* done: more calls write nothing */
	size_t iu, ou;
	ck_assert_int_eq(postel_bdat_encode(&b, NULL, 0, 1, out, cap, &iu, &ou),
			 POSTEL_OK);
	ck_assert_uint_eq(ou, 0);
	bytes_free(&back);
	bytes_free(&wire);
	bytes_free(&c.pending);
	tlog_free(&log);
}

START_TEST(bdat_framing)
{
	char content[1000];
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (char)(i * 7 + 3); /* binary, CRLF.CRLF-ish too */
	memcpy(content + 100, "\r\n.\r\n", 5);
	static const size_t lens[] = {0, 1, 9, 10, 11, 100, 1000};
	static const uint64_t chunks[] = {1, 10, 64, 1000, 0};
	static const size_t steps[] = {1, 7, 10, 1000};
	static const size_t caps[] = {1, 5, 40, 512};
	for (size_t a = 0; a < 7; a++)
		for (size_t b = 0; b < 5; b++)
			for (size_t s = 0; s < 4; s++)
				for (size_t c = 0; c < 4; c++) {
					/* long content with tiny chunks or room:
					 * only whole, to keep this quick */
					if (lens[a] > 100 &&
					    (chunks[b] == 1 || caps[c] < 40) &&
					    steps[s] != 1000)
						continue;
					bdat_roundtrip(content, lens[a],
						       chunks[b] ? chunks[b]
								 : POSTEL_BDAT_CHUNK_DEFAULT,
						       steps[s], caps[c]);
				}
}
END_TEST

START_TEST(bdat_framing_exact)
{
	postel_bdat_encoder b;
	char out[128];
	size_t iu, ou;
	ck_assert_int_eq(postel_bdat_encoder_init(&b, 4), POSTEL_OK);
	ck_assert_int_eq(postel_bdat_encode(&b, "abcdefgh", 8, 0, out, sizeof out,
					    &iu, &ou),
			 POSTEL_OK);
	ck_assert_uint_eq(iu, 8);
	ck_assert_uint_eq(ou, 24);
	ck_assert_mem_eq(out, "BDAT 4\r\nabcdBDAT 4\r\nefgh", 24);
	ck_assert_int_eq(postel_bdat_encode(&b, "ij", 2, 1, out, sizeof out, &iu,
					    &ou),
			 POSTEL_OK);
	ck_assert_mem_eq(out, "BDAT 2 LAST\r\nij", 15);
	ck_assert_uint_eq(ou, 15);
	ck_assert_uint_eq(postel_bdat_encoder_chunks(&b), 3);
	/* LAST after an exact fill: BDAT 0 LAST */
	ck_assert_int_eq(postel_bdat_encoder_init(&b, 4), POSTEL_OK);
	ck_assert_int_eq(postel_bdat_encode(&b, "abcd", 4, 0, out, sizeof out, &iu,
					    &ou),
			 POSTEL_OK);
	ck_assert_int_eq(postel_bdat_encode(&b, NULL, 0, 1, out, sizeof out, &iu,
					    &ou),
			 POSTEL_OK);
	ck_assert_uint_eq(ou, 13);
	ck_assert_mem_eq(out, "BDAT 0 LAST\r\n", 13);
	ck_assert_int_eq(postel_bdat_encode(NULL, NULL, 0, 1, out, 1, &iu, &ou),
			 POSTEL_E_ARGUMENT);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* API edges */

START_TEST(api_misuse)
{
	postel_data_decoder d;
	postel_data_event ev;
	size_t used;
	postel_data_config cfg = {0};
	ck_assert_int_eq(postel_data_decoder_init(NULL, &cfg), POSTEL_E_ARGUMENT);
	cfg.body = POSTEL_DATA_BODY_BINARYMIME;
	ck_assert_int_eq(postel_data_decoder_init(&d, &cfg), POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_data_decoder_init(&d, NULL), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, NULL, 1, &ev, &used),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_data_decode(&d, "x", 1, NULL, &used),
			 POSTEL_E_ARGUMENT);
	ck_assert_int_eq(postel_data_bdat_chunk(&d, 1, 1), POSTEL_E_STATE);
	ck_assert_int_eq(postel_data_decode(&d, NULL, 0, &ev, &used),
			 POSTEL_NEED_MORE);
	ck_assert_int_eq(postel_data_decode(&d, ".\r\n", 3, &ev, &used), POSTEL_OK);
	ck_assert_int_eq(ev.type, POSTEL_DATA_END);
	ck_assert_uint_eq(used, 3);
	ck_assert_int_eq(postel_data_decode(&d, "x", 1, &ev, &used),
			 POSTEL_E_STATE);
	ck_assert_uint_eq(used, 0);
	/* verdict table */
	unsigned code;
	const char *enh, *text;
	postel_data_verdict_reply(POSTEL_DATA_ACCEPT, &code, &enh, &text);
	ck_assert_uint_eq(code, 250);
	ck_assert_str_eq(enh, "2.0.0");
	for (int v = POSTEL_DATA_REJECT_LINE_ENDS; v <= POSTEL_DATA_REJECT_8BIT; v++) {
		postel_data_verdict_reply((postel_data_verdict)v, &code, &enh, &text);
		ck_assert_uint_eq(code, 554);
		ck_assert_str_eq(enh, "5.6.0");
		ck_assert_str_ne(postel_data_verdict_name((postel_data_verdict)v),
				 "unknown");
	}
	postel_data_verdict_reply((postel_data_verdict)99, &code, NULL, NULL);
	ck_assert_uint_eq(code, 554);
	ck_assert_str_eq(postel_data_verdict_name((postel_data_verdict)99),
			 "unknown");
	/* tiny max_line is raised to 3 */
	cfg.body = POSTEL_DATA_BODY_7BIT;
	cfg.max_line = 1;
	char *log = decode_log(&cfg, "a\r\nab\r\n.\r\n", 10);
	ck_assert_msg(strstr(log, "long-line count=1 first=5") != NULL, "%s", log);
	free(log);
}
END_TEST

/* Spans point into the input (zero copy) or at a static CRLF. */
START_TEST(zero_copy)
{
	postel_data_decoder d;
	postel_data_event ev;
	size_t used;
	postel_data_config cfg = {0};
	const char in[] = "hello\r\n..world\n.\r\n";
	ck_assert_int_eq(postel_data_decoder_init(&d, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, in, sizeof in - 1, &ev, &used),
			 POSTEL_OK);
	ck_assert_ptr_eq(ev.content.p, in);
	ck_assert_uint_eq(ev.content.n, 7);
	ck_assert_uint_eq(used, 8); /* the stuffed dot is consumed */
	ck_assert_int_eq(postel_data_decode(&d, in + 8, sizeof in - 9, &ev, &used),
			 POSTEL_OK);
	ck_assert_ptr_eq(ev.content.p, in + 8);
	ck_assert_uint_eq(ev.content.n, 10); /* bare LF kept (strict) */
	ck_assert_mem_eq(ev.content.p, ".world\n.\r\n", 10);
	/* repair: the bare LF becomes a static CRLF */
	cfg.lenient = POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS;
	ck_assert_int_eq(postel_data_decoder_init(&d, &cfg), POSTEL_OK);
	ck_assert_int_eq(postel_data_decode(&d, "ab\ncd", 5, &ev, &used), POSTEL_OK);
	ck_assert_uint_eq(ev.content.n, 2);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(postel_data_decode(&d, "\ncd", 3, &ev, &used), POSTEL_OK);
	ck_assert_uint_eq(ev.content.n, 2);
	ck_assert_mem_eq(ev.content.p, "\r\n", 2);
	ck_assert_uint_eq(used, 1);
}
END_TEST

Suite *suite_data(void)
{
	Suite *s = suite_create("data");
	TCase *tc = tcase_create("unit");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, smuggling_variants);
	tcase_add_test(tc, end_after_bare);
	tcase_add_test(tc, line_lengths);
	tcase_add_test(tc, huge_line);
	tcase_add_test(tc, dots_every_split);
	tcase_add_test(tc, only_dots);
	tcase_add_test(tc, differential_reference);
	tcase_add_test(tc, split_random);
	tcase_add_test(tc, round_trip_property);
	tcase_add_test(tc, encoder_backpressure);
	tcase_add_test(tc, encoder_refuse);
	tcase_add_test(tc, encoder_end_forms);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, bdat_sizes);
	tcase_add_test(tc, bdat_header);
	tcase_add_test(tc, bdat_framing);
	tcase_add_test(tc, bdat_framing_exact);
	tcase_add_test(tc, api_misuse);
	tcase_add_test(tc, zero_copy);
	suite_add_tcase(s, tc);

	vec_load(&data_vecs, "data");
	vec_load(&bdat_vecs, "bdat");
	TCase *tv = tcase_create("vectors");
	tcase_set_tags(tv, "vectors");
	tcase_set_timeout(tv, 600);
	tcase_add_loop_test(tv, data_vector, 0, (int)data_vecs.n);
	tcase_add_loop_test(tv, bdat_vector, 0, (int)bdat_vecs.n);
	tcase_add_test(tv, vectors_every_scanner);
	suite_add_tcase(s, tv);
	return s;
}
