/* Status and violation tables (src/common.c). */
#include <check.h>
#include <string.h>

#include "postel/common.h"
#include "postel/engine.h"
#include "postel/version.h"
#include "postel/violation.h"

START_TEST(status_names)
{
	ck_assert_str_eq(postel_status_name(POSTEL_OK), "ok");
	ck_assert_str_eq(postel_status_name(POSTEL_NEED_MORE), "need-more");
	ck_assert_str_eq(postel_status_name((postel_status)999), "unknown");
	ck_assert(!postel_status_is_fatal(POSTEL_INVALID));
	ck_assert(postel_status_is_fatal(POSTEL_E_PROTOCOL));
#define X(name, num, str, text)                                                \
	ck_assert_int_eq(postel_status_is_fatal(POSTEL_##name),                \
			 (num) >= 64);                                         \
	ck_assert_str_eq(postel_status_name(POSTEL_##name), str);
	POSTEL_STATUS_MAP(X)
#undef X
}
END_TEST

/* Every violation: unique number, unique name, name round-trips, an RFC
 * section, a fatality flag, inside its module's range. */
START_TEST(violation_table)
{
	static const struct {
		int num;
		const char *name, *rfc;
		int fatal;
	} all[] = {
#define X(id, num, name, rfc, fatal) {num, name, rfc, fatal},
		POSTEL_VIOLATIONS(X)
#undef X
	};
	size_t n = sizeof all / sizeof all[0];
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_gt(all[i].num, 0);
		ck_assert_int_lt(all[i].num, 600);
		ck_assert_msg(strncmp(all[i].rfc, "RFC ", 4) == 0, "%s", all[i].name);
		ck_assert(all[i].fatal == 0 || all[i].fatal == 1);
		postel_violation v = (postel_violation)all[i].num;
		ck_assert_str_eq(postel_violation_name(v), all[i].name);
		ck_assert_str_eq(postel_violation_rfc(v), all[i].rfc);
		ck_assert_int_eq(postel_violation_is_fatal(v), all[i].fatal);
		ck_assert_int_eq(postel_violation_by_name(all[i].name, strlen(all[i].name)), v);
		for (size_t j = i + 1; j < n; j++) {
			ck_assert_int_ne(all[i].num, all[j].num);
			ck_assert_str_ne(all[i].name, all[j].name);
		}
	}
	ck_assert_str_eq(postel_violation_name((postel_violation)999), "unknown");
	ck_assert_int_eq(postel_violation_is_fatal((postel_violation)999), -1);
	ck_assert_int_eq(postel_violation_by_name("nope", 4), POSTEL_V_NONE);
}
END_TEST

START_TEST(version)
{
	ck_assert_str_eq(postel_version(), POSTEL_VERSION);
	ck_assert_uint_eq(postel_version_num(), POSTEL_VERSION_NUM);
}
END_TEST

START_TEST(timeouts)
{
	/* RFC 5321 §4.5.3.2 minimums */
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_GREETING), 300);
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_DATA_INIT), 120);
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_DATA_BLOCK), 180);
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_DATA_TERM), 600);
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_SERVER), 300);
	ck_assert_uint_eq(postel_timeout_seconds(POSTEL_TIMEOUT_NONE), 0);
	ck_assert_str_eq(postel_timeout_name(POSTEL_TIMEOUT_DATA_TERM), "data-term");
	ck_assert_str_eq(postel_timeout_name((postel_timeout)99), "unknown");
}
END_TEST

Suite *suite_common(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("unit");
	tcase_add_test(tc, status_names);
	tcase_add_test(tc, violation_table);
	tcase_add_test(tc, version);
	tcase_add_test(tc, timeouts);
	suite_add_tcase(s, tc);
	return s;
}
