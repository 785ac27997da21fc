/*
 * Differential DATA harness: encode the content, decode the result, and
 * abort unless the CRLF-normalised content comes back exactly, accepted,
 * with the whole wire consumed. Setup bytes: [0] encoder split seed,
 * [1] output room, [2] decoder split seed; the rest is the content.
 */
#include "data_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	const uint8_t *in = data + 3;
	size_t n = size - 3, done;
	fz_buf wire = {0}, norm = {0};
	postel_data_encoder_config ecfg = {0, POSTEL_DATA_BODY_8BITMIME};
	FZ_CHECK(fz_encode(&ecfg, in, n, (fz_split){data[0], 1u + data[0] % 29u},
			   1u + data[1] % 256u, &wire, &done) == POSTEL_OK);
	FZ_CHECK(done == n);

	postel_data_config dcfg;
	memset(&dcfg, 0, sizeof dcfg);
	dcfg.body = POSTEL_DATA_BODY_8BITMIME;
	dcfg.lenient = POSTEL_LENIENT_DATA_NUL | POSTEL_LENIENT_DATA_LONG_LINES;
	fz_decoded back;
	fz_decode(&dcfg, (const uint8_t *)wire.p, wire.n,
		  (fz_split){data[2], 1u + data[2] % 31u}, &back);
	fz_normalize(in, n, &norm);
	FZ_CHECK(back.ended && back.consumed == wire.n);
	FZ_CHECK(back.content.n == norm.n);
	FZ_CHECK(norm.n == 0 || memcmp(back.content.p, norm.p, norm.n) == 0);
	FZ_CHECK(back.r.verdict == POSTEL_DATA_ACCEPT);
	FZ_CHECK(back.r.bare_cr.count + back.r.bare_lf.count +
			 back.r.fake_end.count ==
		 0);
	fz_free(&wire);
	fz_free(&norm);
	fz_free(&back.content);
	return 0;
}
