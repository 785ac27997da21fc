/*
 * postel: command-line tools built on the core. Each subcommand lives in
 * tools/cmd_<name>.c and defines `int cmd_<name>(int argc, char **argv)`
 * and `const char cmd_<name>_usage[]`.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "postel/version.h"

#define X(name)                                                                \
	int cmd_##name(int argc, char **argv);                                 \
	extern const char cmd_##name##_usage[];
POSTEL_TOOLS(X)
#undef X

static void usage(FILE *f)
{
	fprintf(f, "postel %s: sans-I/O SMTP engine tools\n\nusage:\n",
		postel_version());
#define X(name) fprintf(f, "  postel %s\n", cmd_##name##_usage);
	POSTEL_TOOLS(X)
#undef X
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 64 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("postel %s\n", postel_version());
		return 0;
	}
#define X(name)                                                                \
	if (strcmp(argv[1], #name) == 0)                                       \
		return cmd_##name(argc - 1, argv + 1);
	POSTEL_TOOLS(X)
#undef X
	fprintf(stderr, "postel: unknown command %s\n", argv[1]);
	usage(stderr);
	return 64; /* EX_USAGE */
}
