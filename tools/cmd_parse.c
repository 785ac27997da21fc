/*
 * postel parse: read SMTP command lines from stdin and print what the
 * command parser saw, one block per command: verb, every field, the
 * parameters, and the violations with their RFC sections.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "postel/command.h"

const char cmd_parse_usage[] =
	"parse [--strict|--lenient] [--smtputf8] [--pass-unknown]  "
	"(command lines on stdin)";

static void put_bytes(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02X", c);
		else
			putchar(c);
	}
}

static void field(const char *name, postel_span s)
{
	if (!s.p)
		return;
	printf("  %-18s ", name);
	put_bytes(s.p, s.n);
	putchar('\n');
}

static void flags(const postel_command *c)
{
	static const struct {
		unsigned bit;
		const char *name;
	} f[] = {
		{POSTEL_CMD_NULL_PATH, "null-path"},
		{POSTEL_CMD_POSTMASTER, "postmaster"},
		{POSTEL_CMD_SOURCE_ROUTE, "source-route (ignored)"},
		{POSTEL_CMD_ADDRESS_LITERAL, "address-literal"},
		{POSTEL_CMD_LITERAL_IPV6, "ipv6"},
		{POSTEL_CMD_LITERAL_GENERAL, "general-literal"},
		{POSTEL_CMD_QUOTED_LOCAL, "quoted-local-part"},
		{POSTEL_CMD_8BIT, "8bit"},
		{POSTEL_CMD_SMTPUTF8_ARG, "smtputf8-argument"},
		{POSTEL_CMD_BDAT_LAST, "last"},
		{POSTEL_CMD_AUTH_EMPTY, "empty-initial-response"},
		{POSTEL_CMD_AUTH_PARAM_NULL, "auth-param-null"},
	};
	if (!c->flags)
		return;
	printf("  %-18s", "flags");
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (c->flags & f[i].bit)
			printf(" %s", f[i].name);
	putchar('\n');
}

static void params(const postel_command *c)
{
	static const char *const body[] = {"", "7BIT", "8BITMIME",
					   "BINARYMIME"};
	uint32_t m = c->params;
	if (m & POSTEL_PARAM_SIZE)
		printf("  %-18s %llu\n", "SIZE", (unsigned long long)c->size);
	if (m & POSTEL_PARAM_BODY)
		printf("  %-18s %s\n", "BODY", body[c->body & 3]);
	if (m & POSTEL_PARAM_RET)
		printf("  %-18s %s\n", "RET",
		       c->ret == POSTEL_RET_FULL ? "FULL" : "HDRS");
	if (m & POSTEL_PARAM_ENVID)
		field("ENVID (xtext)", c->envid);
	if (m & POSTEL_PARAM_AUTH)
		field("AUTH (xtext)", c->auth);
	if (m & POSTEL_PARAM_SMTPUTF8)
		printf("  SMTPUTF8\n");
	if (m & POSTEL_PARAM_REQUIRETLS)
		printf("  REQUIRETLS\n");
	if (m & POSTEL_PARAM_MT_PRIORITY)
		printf("  %-18s %d\n", "MT-PRIORITY", c->mt_priority);
	if (m & POSTEL_PARAM_BY)
		printf("  %-18s %ld seconds, mode %c%s\n", "BY",
		       (long)c->by_time, c->by_mode,
		       c->by_trace ? ", trace" : "");
	if (m & POSTEL_PARAM_HOLDFOR)
		printf("  %-18s %lu seconds\n", "HOLDFOR",
		       (unsigned long)c->holdfor);
	if (m & POSTEL_PARAM_HOLDUNTIL)
		field("HOLDUNTIL", c->holduntil);
	if (m & POSTEL_PARAM_MTRK) {
		field("MTRK certifier", c->mtrk);
		if (c->mtrk_timeout)
			printf("  %-18s %lu seconds\n", "MTRK timeout",
			       (unsigned long)c->mtrk_timeout);
	}
	if (m & POSTEL_PARAM_NOTIFY)
		printf("  %-18s%s%s%s%s\n", "NOTIFY",
		       c->notify & POSTEL_NOTIFY_NEVER ? " NEVER" : "",
		       c->notify & POSTEL_NOTIFY_SUCCESS ? " SUCCESS" : "",
		       c->notify & POSTEL_NOTIFY_FAILURE ? " FAILURE" : "",
		       c->notify & POSTEL_NOTIFY_DELAY ? " DELAY" : "");
	if (m & POSTEL_PARAM_ORCPT) {
		field("ORCPT addr-type", c->orcpt_type);
		field("ORCPT (xtext)", c->orcpt_addr);
	}
	if (m & POSTEL_PARAM_RRVS) {
		field("RRVS", c->rrvs);
		if (c->rrvs_action)
			printf("  %-18s %c\n", "RRVS action", c->rrvs_action);
	}
	for (size_t i = 0; i < c->n_ext && i < c->ext_cap; i++) {
		printf("  %-18s ", "parameter");
		put_bytes(c->ext[i].keyword.p, c->ext[i].keyword.n);
		if (c->ext[i].value.p) {
			putchar('=');
			put_bytes(c->ext[i].value.p, c->ext[i].value.n);
		}
		putchar('\n');
	}
	if (c->n_ext > c->ext_cap)
		printf("  %-18s %zu more not shown\n", "parameters",
		       c->n_ext - c->ext_cap);
}

static void violations(const postel_violation_list *vl, uint32_t lenient,
		       postel_status st)
{
	for (unsigned i = 0; i < vl->n; i++) {
		postel_violation v = (postel_violation)vl->id[i];
		printf("  %-18s %s (%s)%s\n", "violation",
		       postel_violation_name(v), postel_violation_rfc(v),
		       st == POSTEL_OK ? ", accepted (lenient)" : "");
	}
	if (vl->lost)
		printf("  %-18s %u more\n", "violations", vl->lost);
	(void)lenient;
}

static void show(unsigned long n, const char *line, size_t len,
		 postel_status st, const postel_command *c, uint32_t lenient)
{
	unsigned code;
	const char *enh, *text;
	printf("command %lu: ", n);
	put_bytes(line, len);
	putchar('\n');
	postel_command_error_reply(c->error, c->verb, &code, &enh, &text);
	if (st == POSTEL_OK)
		printf("  %-18s ok\n", "status");
	else
		printf("  %-18s invalid: %u %s %s\n", "status", code, enh, text);
	printf("  %-18s %s\n", "verb", postel_verb_name(c->verb));
	if (c->verb == POSTEL_VERB_UNKNOWN)
		field("verb as sent", c->verb_text);
	if (c->verb != POSTEL_VERB_MAIL && c->verb != POSTEL_VERB_RCPT)
		field("argument", c->arg);
	field("path", c->path);
	field("source route", c->route);
	field("mailbox", c->mailbox);
	field("local-part", c->local_part);
	field("domain", c->domain);
	field("mechanism", c->mechanism);
	field("initial response", c->initial_response);
	if (c->verb == POSTEL_VERB_BDAT && st == POSTEL_OK)
		printf("  %-18s %llu\n", "chunk size",
		       (unsigned long long)c->chunk_size);
	if (c->etrn_option)
		printf("  %-18s %c\n", "ETRN option", c->etrn_option);
	flags(c);
	params(c);
	violations(&c->violations, lenient, st);
	putchar('\n');
}

int cmd_parse(int argc, char **argv)
{
	postel_command_config cfg;
	postel_command_config_default(&cfg);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			cfg.lenient = POSTEL_STRICT;
		else if (strcmp(argv[i], "--lenient") == 0)
			cfg.lenient = POSTEL_LENIENT; /* the preset, as in sink, send, load */
		else if (strcmp(argv[i], "--smtputf8") == 0)
			cfg.options |= POSTEL_CMD_OPT_SMTPUTF8;
		else if (strcmp(argv[i], "--pass-unknown") == 0)
			cfg.options |= POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS;
		else if (strcmp(argv[i], "--help") == 0 ||
			 strcmp(argv[i], "-h") == 0) {
			printf("usage: postel %s\n", cmd_parse_usage);
			return 0;
		} else {
			fprintf(stderr, "usage: postel %s\n", cmd_parse_usage);
			return 64;
		}
	}
	postel_command_parser p;
	postel_command_parser_init(&p, &cfg);
	static char buf[1 << 17];
	postel_esmtp_param ext[16];
	postel_command c;
	memset(&c, 0, sizeof c);
	c.ext = ext;
	c.ext_cap = sizeof ext / sizeof ext[0];
	size_t have = 0;
	unsigned long n = 0;
	int eof = 0;
	while (!eof || have) {
		if (!eof && have < sizeof buf) {
			ssize_t r = read(0, buf + have, sizeof buf - have);
			if (r <= 0)
				eof = 1;
			else
				have += (size_t)r;
		}
		size_t used = 0;
		for (;;) {
			size_t k = 0;
			postel_status st = postel_command_parse(
				&p, buf + used, have - used, &c, &k);
			if (st == POSTEL_NEED_MORE) {
				used += k;
				break;
			}
			show(++n, buf + used, k, st, &c, cfg.lenient);
			used += k;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		if (eof && have) {
			printf("incomplete line at end of input: ");
			put_bytes(buf, have);
			printf("\n");
			break;
		}
	}
	return 0;
}
