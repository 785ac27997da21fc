/*
 * postel-bench: benchmarks print one line per figure,
 *   NAME.FIGURE=VALUE UNIT
 * so scripts can read them. Each bench/bench_<module>.c defines
 *   const bench_entry bench_<module>_list[]   (terminated by {0})
 * Kernels (the code whose instructions callgrind counts) are functions
 * whose names start with `kernel_`, marked BENCH_KERNEL so they are not
 * inlined away; bench/callgrind.sh counts only them.
 */
#ifndef POSTEL_BENCH_H
#define POSTEL_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_entry {
	const char *name;
	const char *desc;
	void (*run)(const char *name);
} bench_entry;

#define BENCH_KERNEL __attribute__((noinline, used))

/* Print "name.figure=value unit". */
void bench_report(const char *name, const char *figure, double value,
		  const char *unit);
/* Monotonic seconds. */
double bench_now(void);
/* Nonzero under bench/callgrind.sh (POSTEL_BENCH_ONCE=1): run each kernel
 * over the data once, and report bytes/units processed only. */
int bench_once(void);
/* Seconds each timed figure should run (POSTEL_BENCH_SECONDS, default
 * 0.5). */
double bench_seconds(void);
/* Keep a value alive so the compiler cannot drop the work producing it. */
void bench_sink(uint64_t v);

#endif
