#include "support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef POSTEL_VECTOR_DIR
#error "POSTEL_VECTOR_DIR must be defined by the build"
#endif

static void die(const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	exit(2);
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long vec_unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case 'r': out[o++] = '\r'; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case '0': out[o++] = '\0'; break;
		case '\\': out[o++] = '\\'; break;
		case 'x': {
			int h, l;
			if (i + 2 >= n)
				return -1;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			out[o++] = (char)(h * 16 + l);
			i += 2;
			break;
		}
		default: return -1;
		}
	}
	return (long)o;
}

typedef struct {
	char *p;
	size_t n, cap;
} buf;

static void buf_add(buf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int starts(const char *line, size_t n, const char *key)
{
	size_t k = strlen(key);
	return n >= k && memcmp(line, key, k) == 0;
}

static void push(vec_set *set, vec *v, buf *in, buf *expect, int have_expect)
{
	if (!v->name)
		return;
	if (!have_expect)
		die(v->file, v->line, "vector without expect:");
	if (!v->rfc)
		die(v->file, v->line, "vector without rfc:");
	/* trailing blank lines of the expect block are not part of it */
	while (expect->n >= 2 && expect->p[expect->n - 1] == '\n' &&
	       expect->p[expect->n - 2] == '\n')
		expect->p[--expect->n] = '\0';
	v->in = in->p ? in->p : dupn("", 0);
	v->in_n = in->n;
	v->expect = expect->p ? expect->p : dupn("", 0);
	if (!v->config)
		v->config = dupn("", 0);
	set->v = realloc(set->v, (set->n + 1) * sizeof *set->v);
	if (!set->v)
		abort();
	set->v[set->n++] = *v;
}

static void load_file(vec_set *set, const char *path, const char *base)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, 0, "cannot open");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int lineno = 0, in_expect = 0, have_expect = 0;
	vec v;
	buf in = {0}, expect = {0};
	memset(&v, 0, sizeof v);
	const char *fname = strdup(base);
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		size_t n = (size_t)len;
		if (n && line[n - 1] == '\n')
			n--;
		if (n && line[n - 1] == '\r')
			die(base, lineno, "CR in a vector file (write \\r)");
		if (starts(line, n, "=== ")) {
			push(set, &v, &in, &expect, have_expect);
			memset(&v, 0, sizeof v);
			memset(&in, 0, sizeof in);
			memset(&expect, 0, sizeof expect);
			in_expect = have_expect = 0;
			v.file = fname;
			v.line = lineno;
			v.name = dupn(line + 4, n - 4);
			continue;
		}
		if (in_expect) {
			buf_add(&expect, line, n);
			buf_add(&expect, "\n", 1);
			continue;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (!v.name)
			die(base, lineno, "text outside a vector");
		if (starts(line, n, "rfc: ")) {
			v.rfc = dupn(line + 5, n - 5);
		} else if (starts(line, n, "config: ")) {
			v.config = dupn(line + 8, n - 8);
		} else if (starts(line, n, "in: ") || starts(line, n, "in:")) {
			size_t skip = starts(line, n, "in: ") ? 4 : 3;
			char *tmp = malloc(n + 1);
			long k = vec_unescape(line + skip, n - skip, tmp);
			if (k < 0)
				die(base, lineno, "bad escape in in:");
			buf_add(&in, tmp, (size_t)k);
			free(tmp);
		} else if (starts(line, n, "in-repeat: ")) {
			char *end;
			unsigned long count = strtoul(line + 11, &end, 10);
			if (*end != ' ')
				die(base, lineno, "in-repeat: COUNT TEXT");
			end++;
			size_t tn = n - (size_t)(end - line);
			char *tmp = malloc(tn + 1);
			long k = vec_unescape(end, tn, tmp);
			if (k < 0)
				die(base, lineno, "bad escape in in-repeat:");
			for (unsigned long r = 0; r < count; r++)
				buf_add(&in, tmp, (size_t)k);
			free(tmp);
		} else if (n == 7 && memcmp(line, "expect:", 7) == 0) {
			in_expect = have_expect = 1;
		} else {
			die(base, lineno, "unknown line in vector");
		}
	}
	push(set, &v, &in, &expect, have_expect);
	free(line);
	fclose(f);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vec_load(vec_set *set, const char *area)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", POSTEL_VECTOR_DIR, area);
	set->v = NULL;
	set->n = 0;
	DIR *d = opendir(dir);
	if (!d)
		die(dir, 0, "cannot open vector directory");
	char **names = NULL;
	size_t nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".vec") == 0) {
			names = realloc(names, (nn + 1) * sizeof *names);
			names[nn++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmpstr);
	for (size_t i = 0; i < nn; i++) {
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		load_file(set, path, names[i]);
		free(names[i]);
	}
	free(names);
}

void vec_free(vec_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		/* the vectors of one file share its name, and are adjacent */
		if (i + 1 == set->n || set->v[i + 1].file != set->v[i].file)
			free((char *)set->v[i].file);
		free(set->v[i].name);
		free(set->v[i].rfc);
		free(set->v[i].config);
		free(set->v[i].in);
		free(set->v[i].expect);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int vec_config_has(const vec *v, const char *word)
{
	size_t wl = strlen(word);
	const char *p = v->config;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - s) == wl && memcmp(s, word, wl) == 0)
			return 1;
	}
	return 0;
}

const char *vec_config_get(const vec *v, const char *key, char *out,
			   size_t cap)
{
	size_t kl = strlen(key);
	const char *p = v->config;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - s) > kl && memcmp(s, key, kl) == 0 &&
		    s[kl] == '=') {
			size_t vl = (size_t)(p - s) - kl - 1;
			if (vl + 1 > cap)
				return NULL;
			memcpy(out, s + kl + 1, vl);
			out[vl] = '\0';
			return out;
		}
	}
	return NULL;
}
