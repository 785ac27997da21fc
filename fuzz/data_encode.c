/*
 * DATA encoder harness. Setup bytes: [0] bit 0 refuse bare line ends,
 * [1] output buffer size, [2] split seed; the rest is the content.
 * Oracles: the same bytes whatever the input split, the output room and
 * the copier (SIMD or scalar); the
 * output has no bare CR or LF and its first end of data is its last five
 * (or three) octets, so no content can end the data early.
 */
#include "data_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	postel_data_encoder_config cfg = {0, POSTEL_DATA_BODY_8BITMIME};
	if (data[0] & 1)
		cfg.flags |= POSTEL_DATA_ENC_REFUSE_BARE;
	const uint8_t *in = data + 3;
	size_t n = size - 3, done1, done2;
	fz_buf w1 = {0}, w2 = {0};
	postel_status s1 = fz_encode(&cfg, in, n, (fz_split){0, 0}, 256, &w1,
				     &done1);
	postel_status s2 = fz_encode(&cfg, in, n,
				     (fz_split){data[2], 1u + data[2] % 13u},
				     1u + data[1] % 256u, &w2, &done2);
	FZ_CHECK(s1 == s2 && done1 == done2);
	FZ_CHECK(w1.n == w2.n && (w1.n == 0 || memcmp(w1.p, w2.p, w1.n) == 0));
	/* the scalar copier writes the same */
	fz_buf w3 = {0};
	size_t done3;
	postel__data_impl = 1;
	postel_status s3 = fz_encode(&cfg, in, n, (fz_split){0, 0}, 256, &w3,
				     &done3);
	postel__data_impl = 0;
	FZ_CHECK(s1 == s3 && done1 == done3);
	FZ_CHECK(w1.n == w3.n && (w1.n == 0 || memcmp(w1.p, w3.p, w1.n) == 0));
	fz_free(&w3);
	for (size_t i = 0; i < w1.n; i++) {
		if (w1.p[i] == '\r')
			FZ_CHECK(i + 1 < w1.n && w1.p[i + 1] == '\n');
		if (w1.p[i] == '\n')
			FZ_CHECK(i > 0 && w1.p[i - 1] == '\r');
	}
	if (s1 == POSTEL_OK) {
		FZ_CHECK(done1 == n);
		FZ_CHECK(w1.n >= 3);
		if (w1.n == 3) {
			FZ_CHECK(memcmp(w1.p, ".\r\n", 3) == 0);
		} else {
			FZ_CHECK(memcmp(w1.p, ".\r\n", 3) != 0);
			for (size_t i = 0; i + 5 <= w1.n; i++)
				if (memcmp(w1.p + i, "\r\n.\r\n", 5) == 0)
					FZ_CHECK(i + 5 == w1.n);
		}
	} else {
		FZ_CHECK(s1 == POSTEL_INVALID);
		FZ_CHECK(cfg.flags & POSTEL_DATA_ENC_REFUSE_BARE);
	}
	fz_free(&w1);
	fz_free(&w2);
	return 0;
}
