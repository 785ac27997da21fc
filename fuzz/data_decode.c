/*
 * DATA decoder harness. Setup bytes: [0] lenient/body/limits switches,
 * [1] max line, [2] max size, [3] split seed; the rest is what arrives
 * after 354. Oracles: the end of data is exactly the first CRLF "." CRLF
 * (or "." CRLF at the start), never anything else (SMTP smuggling); the
 * same content, result and end whatever the split and whatever the
 * scanner (scalar, SSE2, AVX2); repaired content holds no bare CR or LF.
 */
#include "data_fuzz.h"

static size_t expected_end(const uint8_t *in, size_t n)
{
	if (n >= 3 && memcmp(in, ".\r\n", 3) == 0)
		return 3;
	for (size_t i = 0; i + 5 <= n; i++)
		if (memcmp(in + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

static void same(const fz_decoded *a, const fz_decoded *b)
{
	FZ_CHECK(a->content.n == b->content.n);
	FZ_CHECK(a->content.n == 0 ||
		 memcmp(a->content.p, b->content.p, a->content.n) == 0);
	FZ_CHECK(a->consumed == b->consumed && a->ended == b->ended);
	FZ_CHECK(a->exceeded == b->exceeded);
	const postel_data_result *x = &a->r, *y = &b->r;
	FZ_CHECK(x->size == y->size && x->received == y->received);
	FZ_CHECK(x->lines == y->lines && x->longest_line == y->longest_line);
	FZ_CHECK(x->verdict == y->verdict);
	FZ_CHECK(x->violations.n == y->violations.n);
	FZ_CHECK(memcmp(x->violations.id, y->violations.id,
			sizeof x->violations.id[0] * x->violations.n) == 0);
#define T(f) FZ_CHECK(x->f.count == y->f.count && x->f.first == y->f.first)
	T(bare_lf);
	T(bare_cr);
	T(nul);
	T(eight_bit);
	T(long_line);
	T(fake_end);
	T(oversize);
#undef T
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	postel_data_config cfg;
	fz_config(data[0], data[1], data[2], &cfg);
	const uint8_t *in = data + 4;
	size_t n = size - 4;
	fz_split whole = {0, 0}, split = {data[3], 1u + data[3] % 17u};
	fz_decoded a, b, c;

	postel__data_impl = 0;
	fz_decode(&cfg, in, n, whole, &a);
	fz_decode(&cfg, in, n, split, &b);
	postel__data_impl = 1;
	fz_decode(&cfg, in, n, whole, &c);
	postel__data_impl = 0;
	same(&a, &b);
	same(&a, &c);

	size_t end = expected_end(in, n);
	if (end) {
		FZ_CHECK(a.ended && a.consumed == end);
	} else {
		FZ_CHECK(!a.ended && a.consumed + 2 >= n);
	}
	if (!a.exceeded)
		FZ_CHECK(a.r.size == a.content.n);
	else
		FZ_CHECK(a.r.verdict == POSTEL_DATA_REJECT_SIZE);
	if (cfg.lenient & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS)
		for (size_t i = 0; i < a.content.n; i++) {
			if (a.content.p[i] == '\r')
				FZ_CHECK((i + 1 < a.content.n &&
					  a.content.p[i + 1] == '\n') ||
					 (a.exceeded && i + 1 == a.content.n));
			if (a.content.p[i] == '\n')
				FZ_CHECK(i > 0 && a.content.p[i - 1] == '\r');
		}
	if (a.ended && a.r.verdict == POSTEL_DATA_ACCEPT)
		FZ_CHECK(a.r.bare_lf.count + a.r.bare_cr.count == 0 ||
			 (cfg.lenient & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS));
	fz_free(&a.content);
	fz_free(&b.content);
	fz_free(&c.content);
	return 0;
}
