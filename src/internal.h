/*
 * postel — internal helpers shared by the modules. Never installed.
 */
#ifndef POSTEL_INTERNAL_H
#define POSTEL_INTERNAL_H

#include "postel/common.h"
#include "postel/violation.h"

#include <string.h>

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
