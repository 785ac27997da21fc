/*
 * postel — status and violation tables, version.
 */
#include "internal.h"
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
