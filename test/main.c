/*
 * One runner for every Check suite: `postel-test [SUITE]`. Without an
 * argument every suite runs. CK_RUN_CASE / CK_EXCLUDE_CASES select cases
 * (meson uses them to split the "unit" and "vectors" test suites).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

#define X(m) Suite *suite_##m(void);
POSTEL_TEST_SUITES(X)
#undef X

int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	int found = 0;
#define X(m)                                                                   \
	if (argc < 2 || strcmp(argv[1], #m) == 0) {                            \
		if (!sr)                                                       \
			sr = srunner_create(suite_##m());                      \
		else                                                           \
			srunner_add_suite(sr, suite_##m());                    \
		found = 1;                                                     \
	}
	POSTEL_TEST_SUITES(X)
#undef X
	if (!found) {
		fprintf(stderr, "postel-test: no suite named %s\n", argv[1]);
		return 2;
	}
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
