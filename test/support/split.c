#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void split_run(const split_target *t, void *ctx, const char *in, size_t n,
	       const size_t *cuts, size_t ncuts, tlog *log)
{
	/* pending = unconsumed bytes + the next chunk, always handed to the
	 * target through a fresh guard-page copy. */
	char *pending = malloc(n ? n : 1);
	size_t have = 0, pos = 0;
	if (!pending)
		abort();
	t->reset(ctx);
	tlog_reset(log);
	for (size_t k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : n;
		if (end < pos)
			abort();
		memcpy(pending + have, in + pos, end - pos);
		have += end - pos;
		pos = end;
		while (have > 0) {
			const char *g = guard_copy(pending, have);
			size_t used = t->feed(ctx, g, have, log);
			if (used > have)
				abort();
			if (used == 0)
				break;
			memmove(pending, pending + used, have - used);
			have -= used;
		}
	}
	if (t->finish)
		t->finish(ctx, guard_copy(pending, have), have, log);
	free(pending);
}

static int compare(const tlog *whole, tlog *got, const size_t *cuts,
		   size_t ncuts, char *why, size_t cap)
{
	if (got->n == whole->n && memcmp(got->p, whole->p, got->n) == 0)
		return 0;
	size_t i = 0;
	while (i < got->n && i < whole->n && got->p[i] == whole->p[i])
		i++;
	/* show the line where they first differ */
	size_t ls = i;
	while (ls > 0 && whole->p[ls - 1] != '\n')
		ls--;
	char cutdesc[64] = "";
	int o = 0;
	for (size_t k = 0; k < ncuts && k < 4 && o < 50; k++)
		o += snprintf(cutdesc + o, sizeof cutdesc - (size_t)o, "%s%zu",
			      k ? "," : "", cuts[k]);
	snprintf(why, cap,
		 "split at [%s%s] differs at log offset %zu:\n"
		 "  whole: %.120s\n  split: %.120s",
		 cutdesc, ncuts > 4 ? ",..." : "", i,
		 whole->p ? whole->p + ls : "",
		 got->p ? got->p + (ls < got->n ? ls : got->n) : "");
	return -1;
}

int split_check(const split_target *t, void *ctx, const char *in, size_t n,
		size_t max3, tlog *whole, char *why, size_t whycap)
{
	tlog got;
	tlog_init(&got);
	int rc = 0;
	size_t cuts[2];
	split_run(t, ctx, in, n, NULL, 0, whole);
	for (size_t a = 1; a < n && rc == 0; a++) {
		cuts[0] = a;
		split_run(t, ctx, in, n, cuts, 1, &got);
		rc = compare(whole, &got, cuts, 1, why, whycap);
	}
	static int no3 = -1;
	if (no3 < 0) {
		const char *e = getenv("POSTEL_SPLIT_NO3");
		no3 = e != NULL && *e == '1';
	}
	if (n <= max3 && !no3)
		for (size_t a = 1; a < n && rc == 0; a++)
			for (size_t b = a + 1; b < n && rc == 0; b++) {
				cuts[0] = a;
				cuts[1] = b;
				split_run(t, ctx, in, n, cuts, 2, &got);
				rc = compare(whole, &got, cuts, 2, why, whycap);
			}
	if (rc == 0 && n > 1) {
		size_t *all = malloc(n * sizeof *all);
		if (!all)
			abort();
		for (size_t a = 1; a < n; a++)
			all[a - 1] = a;
		split_run(t, ctx, in, n, all, n - 1, &got);
		rc = compare(whole, &got, all, n - 1, why, whycap);
		free(all);
	}
	tlog_free(&got);
	return rc;
}
