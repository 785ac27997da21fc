/*
 * postel — status and violation tables, version.
 */
#include "internal.h"
#include "postel/engine.h"
#include "postel/version.h"

const char *postel_status_name(postel_status s)
{
	switch (s) {
#define X(name, num, str, text) case POSTEL_##name: return str;
	POSTEL_STATUS_MAP(X)
#undef X
	default: return "unknown";
	}
}

const char *postel_status_text(postel_status s)
{
	switch (s) {
#define X(name, num, str, text) case POSTEL_##name: return text;
	POSTEL_STATUS_MAP(X)
#undef X
	default: return "unknown status";
	}
}

const char *postel_violation_name(postel_violation v)
{
	switch (v) {
#define X(id, num, name, rfc, fatal) case POSTEL_V_##id: return name;
	POSTEL_VIOLATIONS(X)
#undef X
	default: return "unknown";
	}
}

const char *postel_violation_rfc(postel_violation v)
{
	switch (v) {
#define X(id, num, name, rfc, fatal) case POSTEL_V_##id: return rfc;
	POSTEL_VIOLATIONS(X)
#undef X
	default: return "";
	}
}

int postel_violation_is_fatal(postel_violation v)
{
	switch (v) {
#define X(id, num, name, rfc, fatal) case POSTEL_V_##id: return fatal;
	POSTEL_VIOLATIONS(X)
#undef X
	default: return -1;
	}
}

postel_violation postel_violation_by_name(const char *name, size_t n)
{
#define X(id, num, vname, rfc, fatal)                                          \
	if (n == sizeof(vname) - 1 && memcmp(name, vname, n) == 0)             \
		return POSTEL_V_##id;
	POSTEL_VIOLATIONS(X)
#undef X
	return POSTEL_V_NONE;
}

const char *postel_version(void)
{
	return POSTEL_VERSION;
}

unsigned long postel_version_num(void)
{
	return POSTEL_VERSION_NUM;
}

unsigned postel_timeout_seconds(postel_timeout t)
{
	switch (t) {
	case POSTEL_TIMEOUT_DATA_INIT: return 2 * 60;
	case POSTEL_TIMEOUT_DATA_BLOCK: return 3 * 60;
	case POSTEL_TIMEOUT_DATA_TERM: return 10 * 60;
	case POSTEL_TIMEOUT_GREETING:
	case POSTEL_TIMEOUT_MAIL:
	case POSTEL_TIMEOUT_RCPT:
	case POSTEL_TIMEOUT_SERVER:
	case POSTEL_TIMEOUT_COMMAND: return 5 * 60;
	case POSTEL_TIMEOUT_NONE: break;
	}
	return 0;
}

const char *postel_timeout_name(postel_timeout t)
{
	switch (t) {
	case POSTEL_TIMEOUT_NONE: return "none";
	case POSTEL_TIMEOUT_GREETING: return "greeting";
	case POSTEL_TIMEOUT_MAIL: return "mail";
	case POSTEL_TIMEOUT_RCPT: return "rcpt";
	case POSTEL_TIMEOUT_DATA_INIT: return "data-init";
	case POSTEL_TIMEOUT_DATA_BLOCK: return "data-block";
	case POSTEL_TIMEOUT_DATA_TERM: return "data-term";
	case POSTEL_TIMEOUT_SERVER: return "server";
	case POSTEL_TIMEOUT_COMMAND: return "command";
	}
	return "unknown";
}

/* ---- UTF-8 (RFC 3629 §4): no overlongs, no surrogates, <= U+10FFFF ---- */

int postel__utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i <= k)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return 0;
		i += k + 1;
	}
	return 1;
}
