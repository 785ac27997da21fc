/*
 * DATA codec throughput (src/data.c) beside the baselines, on the same
 * buffer in the same run:
 *   - a loop that memchr()s from line end to line end (what any line
 *     reader must at least do), and
 *   - memcpy() of the buffer.
 * Inputs (about 1 MiB, in cache):
 *   mail  76-octet lines (78 with CRLF), every 40th starting with '.';
 *   long  16 KiB lines;
 *   dots  every line a single '.' (stuffed to ".." on the wire).
 * The decoder gets the wire form (dot-stuffed, ending with "." CRLF) in
 * 64 KiB reads, as a server would; the encoder gets the content in 64 KiB
 * pieces and writes into a 64 KiB buffer, as a client would.
 *
 * Figures: NAME.gbps (the codec), NAME.memchr_gbps, NAME.memcpy_gbps,
 * NAME.vs_memchr / NAME.vs_memcpy (ratios). With POSTEL_BENCH_ONCE=1 each
 * benchmark runs only its own kernel once and prints NAME.bytes, so that
 * bench/callgrind.sh gives instructions per byte; the data-memchr-* and
 * data-memcpy-* entries do the same for the baselines, and
 * data-decode-bytewise-mail for a byte-at-a-time state machine (why the
 * decoder is not one, see src/data.c). POSTEL_BENCH_DATA_IMPL=1|2|3 forces
 * the scalar, SSE2 or AVX2 code path.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postel/data.h"

/* src/data.c: 0 automatic, 1 scalar, 2 SSE2, 3 AVX2; set from
 * POSTEL_BENCH_DATA_IMPL to measure one code path. */
extern int postel__data_impl;

#define READ_SIZE 65536u
#define TARGET_SIZE (1u << 20)

typedef struct input {
	char *content; /* what the application sends / receives */
	size_t content_n;
	char *wire; /* dot-stuffed, ending with "." CRLF */
	size_t wire_n;
} input;

static void add(char **p, size_t *n, size_t *cap, const char *s, size_t k)
{
	if (*n + k > *cap) {
		*cap = (*n + k) * 2;
		*p = realloc(*p, *cap);
		if (!*p)
			abort();
	}
	memcpy(*p + *n, s, k);
	*n += k;
}

static void make_input(input *in, const char *kind)
{
	const char *impl = getenv("POSTEL_BENCH_DATA_IMPL");
	if (impl)
		postel__data_impl = atoi(impl);
	size_t ccap = 0, wcap = 0, line_no = 0;
	char line[16384 + 2];
	memset(in, 0, sizeof *in);
	while (in->content_n < TARGET_SIZE) {
		size_t len;
		if (strcmp(kind, "dots") == 0) {
			line[0] = '.';
			len = 1;
		} else {
			len = strcmp(kind, "long") == 0 ? 16384 : 76;
			for (size_t i = 0; i < len; i++)
				line[i] = (char)('A' + (i * 7 + line_no * 3) % 58);
			if (line_no % 40 == 7)
				line[0] = '.';
		}
		line[len] = '\r';
		line[len + 1] = '\n';
		add(&in->content, &in->content_n, &ccap, line, len + 2);
		if (line[0] == '.')
			add(&in->wire, &in->wire_n, &wcap, ".", 1);
		add(&in->wire, &in->wire_n, &wcap, line, len + 2);
		line_no++;
	}
	add(&in->wire, &in->wire_n, &wcap, ".\r\n", 3);
}

static void free_input(input *in)
{
	free(in->content);
	free(in->wire);
}

/* ---- kernels ---- */

BENCH_KERNEL uint64_t kernel_data_decode(const char *p, size_t n)
{
	postel_data_decoder d;
	postel_data_event ev;
	uint64_t got = 0;
	size_t off = 0;
	postel_data_decoder_init(&d, NULL);
	for (;;) {
		size_t len = n - off < READ_SIZE ? n - off : READ_SIZE, used;
		postel_status st = postel_data_decode(&d, p + off, len, &ev, &used);
		off += used;
		if (ev.type == POSTEL_DATA_CONTENT)
			got += ev.content.n;
		else if (ev.type == POSTEL_DATA_END || postel_status_is_fatal(st) ||
			 (used == 0 && len == n - (off - used)))
			break;
	}
	return got;
}

BENCH_KERNEL uint64_t kernel_data_encode(const char *p, size_t n, char *out)
{
	postel_data_encoder e;
	uint64_t produced = 0;
	size_t off = 0, iu, ou;
	postel_data_encoder_init(&e, NULL);
	while (off < n) {
		size_t len = n - off < READ_SIZE ? n - off : READ_SIZE;
		postel_data_encode(&e, p + off, len, out, READ_SIZE, &iu, &ou);
		off += iu;
		produced += ou;
	}
	postel_data_encode_end(&e, out, READ_SIZE, &ou);
	return produced + ou;
}

BENCH_KERNEL uint64_t kernel_memchr_lines(const char *p, size_t n)
{
	const char *end = p + n, *q;
	uint64_t lines = 0;
	while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = q + 1;
	}
	return lines;
}

BENCH_KERNEL uint64_t kernel_memcpy(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	return (uint64_t)(unsigned char)dst[n / 2];
}

/* The same rules, one byte at a time (what a Ragel -G2 machine or a
 * hand-written switch does): unstuffing, end of data, bare CR/LF count. */
BENCH_KERNEL uint64_t kernel_data_bytewise(const char *p, size_t n, char *out)
{
	enum { BOL, MID, CR, DOT, DOTCR } st = BOL;
	uint64_t bare = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		switch (st) {
		case BOL:
			if (c == '.') {
				st = DOT;
				continue;
			}
			/* fall through */
		case MID:
		mid:
			if (c == '\r')
				st = CR;
			else {
				bare += c == '\n';
				st = MID;
			}
			out[o++ & (READ_SIZE - 1)] = c;
			break;
		case CR:
			out[o++ & (READ_SIZE - 1)] = c;
			if (c == '\n') {
				st = BOL;
				break;
			}
			bare++;
			goto mid;
		case DOT:
			if (c == '\r') {
				st = DOTCR;
				break;
			}
			goto mid;
		case DOTCR:
			if (c == '\n')
				return o + bare;
			out[o++ & (READ_SIZE - 1)] = '\r';
			bare++;
			goto mid;
		}
	}
	return o + bare;
}

/* ---- drivers ---- */

typedef uint64_t (*kernel_fn)(const char *src, size_t n, char *dst);

static uint64_t k_decode(const char *src, size_t n, char *dst)
{
	(void)dst;
	return kernel_data_decode(src, n);
}
static uint64_t k_encode(const char *src, size_t n, char *dst)
{
	return kernel_data_encode(src, n, dst);
}
static uint64_t k_memchr(const char *src, size_t n, char *dst)
{
	(void)dst;
	return kernel_memchr_lines(src, n);
}
static uint64_t k_memcpy(const char *src, size_t n, char *dst)
{
	return kernel_memcpy(dst, src, n);
}
static uint64_t k_bytewise(const char *src, size_t n, char *dst)
{
	return kernel_data_bytewise(src, n, dst);
}

/* GB/s of `k` over src[0..n), repeated for `seconds`. */
static double timed_for(kernel_fn k, const char *src, size_t n, char *dst,
			double seconds)
{
	double t0 = bench_now(), t;
	uint64_t it = 0;
	do {
		bench_sink(k(src, n, dst));
		it++;
		t = bench_now() - t0;
	} while (t < seconds);
	return (double)n * (double)it / t / 1e9;
}

static double timed(kernel_fn k, const char *src, size_t n, char *dst)
{
	return timed_for(k, src, n, dst, bench_seconds());
}

/* The codec and its baselines, interleaved in ROUNDS slices of the time
 * each; the best slice of each counts (the least disturbed by other
 * load), so the ratios compare like with like. */
#define ROUNDS 5
static void timed3(kernel_fn k, const char *src, size_t n, char *dst,
		   double *codec, double *mc, double *cp)
{
	double slice = bench_seconds() / ROUNDS;
	*codec = *mc = *cp = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double a = timed_for(k, src, n, dst, slice);
		double b = timed_for(k_memchr, src, n, dst, slice);
		double c = timed_for(k_memcpy, src, n, dst, slice);
		*codec = a > *codec ? a : *codec;
		*mc = b > *mc ? b : *mc;
		*cp = c > *cp ? c : *cp;
	}
}

static const char *kind_of(const char *name)
{
	const char *k = strrchr(name, '-');
	return k ? k + 1 : "mail";
}

static void run_codec(const char *name, int encode)
{
	input in;
	make_input(&in, kind_of(name));
	const char *src = encode ? in.content : in.wire;
	size_t n = encode ? in.content_n : in.wire_n;
	char *dst = malloc(n > READ_SIZE ? n : READ_SIZE);
	if (!dst)
		abort();
	kernel_fn k = encode ? k_encode : k_decode;
	if (bench_once()) {
		bench_sink(k(src, n, dst));
		bench_report(name, "bytes", (double)n, "B");
		free(dst);
		free_input(&in);
		return;
	}
	double codec, mc, cp;
	timed3(k, src, n, dst, &codec, &mc, &cp);
	bench_report(name, "gbps", codec, "GB/s");
	bench_report(name, "memchr_gbps", mc, "GB/s");
	bench_report(name, "memcpy_gbps", cp, "GB/s");
	bench_report(name, "vs_memchr", codec / mc, "x");
	bench_report(name, "vs_memcpy", codec / cp, "x");
	free(dst);
	free_input(&in);
}

static void run_decode(const char *name)
{
	run_codec(name, 0);
}

static void run_encode(const char *name)
{
	run_codec(name, 1);
}

/* Baselines alone (for callgrind): over the decoder's input. */
static void run_baseline(const char *name)
{
	input in;
	make_input(&in, kind_of(name));
	char *dst = malloc(in.wire_n);
	if (!dst)
		abort();
	kernel_fn k = strstr(name, "bytewise") ? k_bytewise
		      : strstr(name, "memchr") ? k_memchr
					       : k_memcpy;
	if (bench_once()) {
		bench_sink(k(in.wire, in.wire_n, dst));
		bench_report(name, "bytes", (double)in.wire_n, "B");
	} else {
		bench_report(name, "gbps", timed(k, in.wire, in.wire_n, dst),
			     "GB/s");
	}
	free(dst);
	free_input(&in);
}

/* `postel-bench data`: every codec figure (timed mode). In once-mode it
 * runs nothing: callgrind needs one kernel per run (the entries below). */
static void run_all(const char *name)
{
	static const char *const all[] = {
		"data-decode-mail", "data-decode-long", "data-decode-dots",
		"data-encode-mail", "data-encode-long", "data-encode-dots"};
	if (bench_once()) {
		bench_report(name, "bytes", 0, "B");
		return;
	}
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		run_codec(all[i], strstr(all[i], "encode") != NULL);
}

const bench_entry bench_data_list[] = {
	{"data", "all DATA codec figures (beside memchr and memcpy)", run_all},
	{"data-decode-mail", "DATA decoder, 76-octet lines, some dots", run_decode},
	{"data-decode-long", "DATA decoder, 16 KiB lines", run_decode},
	{"data-decode-dots", "DATA decoder, every line a stuffed dot", run_decode},
	{"data-encode-mail", "DATA encoder, 76-octet lines, some dots", run_encode},
	{"data-encode-long", "DATA encoder, 16 KiB lines", run_encode},
	{"data-encode-dots", "DATA encoder, every line a dot", run_encode},
	{"data-memchr-mail", "baseline: memchr line loop, mail", run_baseline},
	{"data-memchr-long", "baseline: memchr line loop, long lines", run_baseline},
	{"data-memchr-dots", "baseline: memchr line loop, dots", run_baseline},
	{"data-memcpy-mail", "baseline: memcpy, mail", run_baseline},
	{"data-decode-bytewise-mail", "byte-at-a-time state machine, mail",
	 run_baseline},
	{0}
};
