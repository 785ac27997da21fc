/*
 * One runner for every Check suite: `postel-test [SUITE|all] [unit|vectors]`.
 * Without arguments every test of every suite runs. The second argument
 * selects by tag: each suite tags its vector-replay TCase "vectors", so
 * meson's "unit" suite runs the rest and its "vectors" suite only those.
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
	if (argc < 2 || strcmp(argv[1], "all") == 0 ||                         \
	    strcmp(argv[1], #m) == 0) {                            \
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
	const char *part = argc > 2 ? argv[2] : NULL;
	if (part && strcmp(part, "unit") == 0)
		srunner_run_tagged(sr, NULL, NULL, NULL, "vectors", CK_NORMAL);
	else if (part && strcmp(part, "vectors") == 0)
		srunner_run_tagged(sr, NULL, NULL, "vectors", NULL, CK_NORMAL);
	else if (part) {
		fprintf(stderr, "postel-test: part must be unit or vectors\n");
		srunner_free(sr);
		return 2;
	} else
		srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	/* a part that ran nothing cannot fail: that is a failure itself */
	int ran = srunner_ntests_run(sr);
	srunner_free(sr);
	if (ran == 0) {
		fprintf(stderr, "postel-test: %s %s ran no checks\n",
			argc > 1 ? argv[1] : "all", part ? part : "");
		return EXIT_FAILURE;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
