/*
 * BDAT harness, both sides. Setup bytes: [0] chunk size, [1] max size,
 * [2] split seed; the rest is content.
 *  - client: frame the content into chunks (input pieces and output room
 *    from the seed), read the frames back: every header is well formed,
 *    no chunk is larger than configured, LAST only on the last one, and
 *    the content comes back exactly;
 *  - server: decode those frames with the BDAT decoder, offered whole and
 *    split: exactly the content (up to the size limit), the same
 *    result either way, the verdict 552 when over the limit.
 */
#include "data_fuzz.h"

/* Parse "BDAT <n>[ LAST]\r\n" at p; 0 when malformed. */
static size_t header(const char *p, size_t n, uint64_t *size, int *last)
{
	size_t i = 5;
	uint64_t v = 0;
	if (n < 8 || memcmp(p, "BDAT ", 5) != 0)
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		FZ_CHECK(v <= (UINT64_MAX - 9) / 10);
		v = v * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	*last = 0;
	if (i + 5 <= n && memcmp(p + i, " LAST", 5) == 0) {
		*last = 1;
		i += 5;
	}
	if (i + 2 > n || memcmp(p + i, "\r\n", 2) != 0)
		return 0;
	*size = v;
	return i + 2;
}

static void frame(const uint8_t *in, size_t n, uint64_t chunk, fz_split sp,
		  size_t cap, fz_buf *wire)
{
	postel_bdat_encoder b;
	char out[300];
	size_t pos = 0;
	FZ_CHECK(postel_bdat_encoder_init(&b, chunk) == POSTEL_OK);
	for (;;) {
		size_t take = fz_next(&sp, n - pos), off = 0;
		int last = pos + take == n;
		postel_status st;
		for (;;) {
			size_t iu, ou;
			st = postel_bdat_encode(&b, (const char *)in + pos + off,
						take - off, last, out, cap, &iu,
						&ou);
			FZ_CHECK(iu <= take - off && ou <= cap);
			fz_add(wire, out, ou);
			off += iu;
			if (st != POSTEL_OUTPUT_FULL)
				break;
			FZ_CHECK(iu + ou > 0);
		}
		FZ_CHECK(st == POSTEL_OK && off == take);
		pos += take;
		if (last)
			break;
	}
	FZ_CHECK(postel_bdat_encoder_done(&b));
}

static void serve(const fz_buf *wire, const postel_data_config *cfg,
		  fz_split sp, fz_buf *content, postel_data_result *res)
{
	postel_data_decoder d;
	size_t pos = 0, avail = 0;
	int in_chunk = 0, ended = 0;
	FZ_CHECK(postel_data_decoder_init_bdat(&d, cfg) == POSTEL_OK);
	while (!ended) {
		size_t grow = fz_next(&sp, wire->n - avail);
		avail += grow;
		for (;;) {
			if (!in_chunk) {
				uint64_t size;
				int last;
				size_t k = header(wire->p + pos, avail - pos,
						  &size, &last);
				if (k == 0)
					break; /* incomplete header */
				FZ_CHECK(postel_data_bdat_chunk(&d, size, last) ==
					 POSTEL_OK);
				pos += k;
				in_chunk = 1;
			}
			postel_data_event ev;
			size_t used;
			postel_status st = postel_data_decode(
				&d, wire->p + pos, avail - pos, &ev, &used);
			pos += used;
			if (st == POSTEL_NEED_MORE) {
				FZ_CHECK(pos == avail);
				break;
			}
			FZ_CHECK(st == POSTEL_OK);
			if (ev.type == POSTEL_DATA_CONTENT)
				fz_add(content, ev.content.p, ev.content.n);
			if (ev.type == POSTEL_DATA_CHUNK_END)
				in_chunk = 0;
			if (ev.type == POSTEL_DATA_END) {
				ended = 1;
				break;
			}
		}
		FZ_CHECK(ended || avail < wire->n);
	}
	FZ_CHECK(pos == wire->n);
	*res = *postel_data_decoder_result(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	const uint8_t *in = data + 3;
	size_t n = size - 3;
	uint64_t chunk = data[0] ? data[0] : 0;
	fz_buf wire = {0}, back = {0};
	frame(in, n, chunk, (fz_split){data[2], 1u + data[2] % 37u},
	      1u + (data[2] ^ data[0]) % 300u, &wire);

	/* read the frames back */
	size_t p = 0;
	int saw_last = 0;
	while (p < wire.n) {
		uint64_t cs;
		int last;
		size_t k = header(wire.p + p, wire.n - p, &cs, &last);
		FZ_CHECK(k > 0 && !saw_last);
		FZ_CHECK(cs <= (chunk ? chunk : POSTEL_BDAT_CHUNK_DEFAULT));
		p += k;
		FZ_CHECK(cs <= wire.n - p);
		fz_add(&back, wire.p + p, (size_t)cs);
		p += (size_t)cs;
		saw_last = last;
	}
	FZ_CHECK(saw_last);
	FZ_CHECK(back.n == n && (n == 0 || memcmp(back.p, in, n) == 0));

	/* the server side */
	postel_data_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.body = POSTEL_DATA_BODY_BINARYMIME;
	cfg.max_size = data[1] & 1 ? data[1] : 0;
	fz_buf c1 = {0}, c2 = {0};
	postel_data_result r1, r2;
	serve(&wire, &cfg, (fz_split){0, 0}, &c1, &r1);
	serve(&wire, &cfg, (fz_split){data[1], 1u + data[1] % 11u}, &c2, &r2);
	FZ_CHECK(c1.n == c2.n && (c1.n == 0 || memcmp(c1.p, c2.p, c1.n) == 0));
	FZ_CHECK(r1.size == n && r2.size == n && r1.verdict == r2.verdict);
	if (cfg.max_size && n > cfg.max_size) {
		FZ_CHECK(r1.verdict == POSTEL_DATA_REJECT_SIZE);
		FZ_CHECK(c1.n == cfg.max_size);
	} else {
		FZ_CHECK(r1.verdict == POSTEL_DATA_ACCEPT);
		FZ_CHECK(c1.n == n && (n == 0 || memcmp(c1.p, in, n) == 0));
	}
	fz_free(&wire);
	fz_free(&back);
	fz_free(&c1);
	fz_free(&c2);
	return 0;
}
