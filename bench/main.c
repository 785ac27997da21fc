/*
 * postel-bench [NAME...]: run benchmarks; without a name, list them.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benches.h"

#define X(m) extern const bench_entry bench_##m##_list[];
POSTEL_BENCHES(X)
#undef X

static const bench_entry *const lists[] = {
#define X(m) bench_##m##_list,
	POSTEL_BENCHES(X)
#undef X
	NULL
};

volatile uint64_t bench_sink_value;

void bench_sink(uint64_t v)
{
	bench_sink_value += v;
}

void bench_report(const char *name, const char *figure, double value,
		  const char *unit)
{
	printf("%s.%s=%.6g %s\n", name, figure, value, unit);
	fflush(stdout);
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_once(void)
{
	const char *e = getenv("POSTEL_BENCH_ONCE");
	return e && *e == '1';
}

double bench_seconds(void)
{
	const char *e = getenv("POSTEL_BENCH_SECONDS");
	double s = e ? atof(e) : 0.5;
	return s > 0 ? s : 0.5;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: postel-bench NAME...\n\nbenchmarks:\n");
		for (size_t l = 0; lists[l]; l++)
			for (const bench_entry *e = lists[l]; e->name; e++)
				printf("  %-22s %s\n", e->name, e->desc);
		return 0;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		int found = 0;
		for (size_t l = 0; lists[l]; l++)
			for (const bench_entry *e = lists[l]; e->name; e++)
				if (strcmp(e->name, argv[i]) == 0) {
					e->run(e->name);
					found = 1;
				}
		if (!found) {
			fprintf(stderr, "postel-bench: no benchmark %s\n",
				argv[i]);
			rc = 2;
		}
	}
	return rc;
}
