#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void tlog_init(tlog *l)
{
	l->p = NULL;
	l->n = l->cap = 0;
}

void tlog_free(tlog *l)
{
	free(l->p);
	tlog_init(l);
}

void tlog_reset(tlog *l)
{
	l->n = 0;
	if (l->p)
		l->p[0] = '\0';
}

static void tlog_reserve(tlog *l, size_t more)
{
	if (l->n + more + 1 <= l->cap)
		return;
	size_t cap = l->cap ? l->cap : 256;
	while (cap < l->n + more + 1)
		cap *= 2;
	char *p = realloc(l->p, cap);
	if (!p)
		abort();
	l->p = p;
	l->cap = cap;
}

void tlog_printf(tlog *l, const char *fmt, ...)
{
	va_list ap;
	if (!fmt) /* also tells gcc's -fsanitize builds it is not NULL */
		abort();
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		abort();
	tlog_reserve(l, (size_t)k);
	va_start(ap, fmt);
	vsnprintf(l->p + l->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	l->n += (size_t)k;
}

void tlog_escaped(tlog *l, const char *p, size_t n)
{
	tlog_reserve(l, n * 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char *o = l->p + l->n;
		switch (c) {
		case '\r': memcpy(o, "\\r", 2); l->n += 2; break;
		case '\n': memcpy(o, "\\n", 2); l->n += 2; break;
		case '\t': memcpy(o, "\\t", 2); l->n += 2; break;
		case '\\': memcpy(o, "\\\\", 2); l->n += 2; break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				*o = (char)c;
				l->n++;
			} else {
				snprintf(o, 5, "\\x%02x", c);
				l->n += 4;
			}
		}
	}
	l->p[l->n] = '\0';
}

const char *tlog_str(tlog *l)
{
	return l->p ? l->p : "";
}

#define GUARD_MAX (1u << 20)

const char *guard_copy(const void *p, size_t n)
{
	static char *region;
	static size_t page;
	if (!region) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		region = mmap(NULL, GUARD_MAX + page, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED)
			abort();
		if (mprotect(region + GUARD_MAX, page, PROT_NONE) != 0)
			abort();
	}
	if (n > GUARD_MAX)
		abort();
	char *dst = region + GUARD_MAX - n;
	if (n)
		memmove(dst, p, n);
	return dst;
}
