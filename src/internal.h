/*
 * postel — internal helpers shared by the modules. Never installed.
 */
#ifndef POSTEL_INTERNAL_H
#define POSTEL_INTERNAL_H

#include "postel/common.h"
#include "postel/violation.h"

#include <string.h>

/* Inlining the hot paths ask for (GCC and clang; other compilers decide
 * for themselves): small helpers always in, rare or frame-heavy paths
 * out, so that their callers need no frame of their own. */
#if defined(__GNUC__) || defined(__clang__)
#define POSTEL__ALWAYS_INLINE inline __attribute__((always_inline))
#define POSTEL__NOINLINE __attribute__((noinline))
#define POSTEL__COLD __attribute__((noinline, cold))
#else
#define POSTEL__ALWAYS_INLINE inline
#define POSTEL__NOINLINE
#define POSTEL__COLD
#endif

/* Add `v` to `list` once; count what does not fit. */
static inline void postel__vlist_add(postel_violation_list *list,
				     postel_violation v)
{
	if (postel_violation_list_has(list, v))
		return;
	if (list->n < POSTEL_VIOLATION_LIST_MAX)
		list->id[list->n++] = (uint16_t)v;
	else if (list->lost < UINT8_MAX)
		list->lost++;
}

static inline void postel__vlist_clear(postel_violation_list *list)
{
	list->n = 0;
	list->lost = 0;
}

/* Index of the lowest set bit of `x` (x != 0). */
static inline unsigned postel__ctz32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_ctz(x);
#else
	unsigned n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

/*
 * Zero n octets at p, n a constant of at most 384: straight 16-octet
 * stores. As memset or a loop, compilers emit `rep stos`, which is slow
 * to start on the few hundred octets of a result cleared per line or
 * message.
 */
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif
static POSTEL__ALWAYS_INLINE void postel__zero(void *p, const size_t n)
{
#if defined(__SSE2__) || defined(_M_X64)
	char *d = (char *)p;
	const __m128i z = _mm_setzero_si128();
#define POSTEL__Z16(k)                                                         \
	if ((k) + 16 <= n)                                                     \
		_mm_storeu_si128((__m128i *)(void *)(d + (k)), z);
#define POSTEL__Z64(k)                                                         \
	POSTEL__Z16(k) POSTEL__Z16((k) + 16) POSTEL__Z16((k) + 32)            \
	POSTEL__Z16((k) + 48)
	POSTEL__Z64(0) POSTEL__Z64(64) POSTEL__Z64(128) POSTEL__Z64(192)
	POSTEL__Z64(256) POSTEL__Z64(320)
#undef POSTEL__Z64
#undef POSTEL__Z16
	memset(d + n / 16 * 16, 0, n % 16);
#else
	memset(p, 0, n);
#endif
}

static inline postel_span postel__span(const char *p, size_t n)
{
	postel_span s;
	s.p = p;
	s.n = n;
	return s;
}

/* ASCII case-insensitive compare of a span with a NUL-terminated upper-case
 * literal. */
static inline int postel__span_ieq(postel_span s, const char *upper)
{
	size_t i;
	for (i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (upper[i] == '\0')
			return 0;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c != (unsigned char)upper[i])
			return 0;
	}
	return upper[i] == '\0';
}

/* Decimal digits to uint64 with overflow check; 0 on success, -1 on
 * overflow or a non-digit or empty input (RFC 1870 SIZE, RFC 3030 BDAT). */
static inline int postel__parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)((unsigned char)p[i] - '0');
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Base64 (RFC 4648 §4, the alphabet RFC 4954 §4 uses for SASL). Shared by
 * the engines: the client encodes responses and decodes challenges, the
 * server the other way round. */

/* Encoded length of n octets. */
static inline size_t postel__b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Encode n octets of `in` to `out` (room for postel__b64_len(n)). */
static inline void postel__b64_encode(const unsigned char *in, size_t n,
				      char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 3 <= n; i += 3, out += 4) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[0] = a[v >> 18];
		out[1] = a[v >> 12 & 63];
		out[2] = a[v >> 6 & 63];
		out[3] = a[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[0] = a[v >> 18];
		out[1] = a[v >> 12 & 63];
		out[2] = '=';
		out[3] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[0] = a[v >> 18];
		out[1] = a[v >> 12 & 63];
		out[2] = a[v >> 6 & 63];
		out[3] = '=';
	}
}

/* Decode n base64 characters of `in` to `out` (which may be `in`: it
 * decodes in place). Strict (RFC 4954 §4): only the alphabet, the length
 * a multiple of 4, "=" only as one or two final pads. Returns the decoded
 * length, or -1. */
static inline long postel__b64_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;
	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (size_t k = 0; k < 4; k++) {
			unsigned char ch = (unsigned char)in[i + k];
			unsigned d;
			if (ch >= 'A' && ch <= 'Z')
				d = ch - 'A';
			else if (ch >= 'a' && ch <= 'z')
				d = ch - 'a' + 26;
			else if (ch >= '0' && ch <= '9')
				d = ch - '0' + 52;
			else if (ch == '+')
				d = 62;
			else if (ch == '/')
				d = 63;
			else if (ch == '=' && i + 4 == n && k >= 2 &&
				 (k == 3 || in[i + 3] == '='))
				d = 0, pad++;
			else
				return -1;
			if (pad && ch != '=')
				return -1;
			v = v << 6 | d;
		}
		out[o++] = (char)(v >> 16);
		if (pad < 2)
			out[o++] = (char)(v >> 8 & 0xff);
		if (pad < 1)
			out[o++] = (char)(v & 0xff);
	}
	return (long)o;
}

/* Well-formed UTF-8 (RFC 3629 §4: no overlongs, no surrogates, at most
 * U+10FFFF); 1 or 0. Shared by the command and reply parsers (RFC 6531). */
int postel__utf8_valid(const unsigned char *s, size_t n);

/* Debug-build guard against re-entrant calls on one engine (an engine must
 * never be called from inside a call on itself). */
#ifndef NDEBUG
#include <assert.h>
#define POSTEL__ENTER(flag) do { assert(!(flag)); (flag) = 1; } while (0)
#define POSTEL__LEAVE(flag) do { (flag) = 0; } while (0)
#else
#define POSTEL__ENTER(flag) do { } while (0)
#define POSTEL__LEAVE(flag) do { } while (0)
#endif

#endif
