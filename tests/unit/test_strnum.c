// SPDX-License-Identifier: GPL-2.0-or-later
/* The strict number parser: every number from outside goes through it, so its edges matter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>

#include <cmocka.h>

#include "strnum.h"

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		long long min;
		long long max;
		long long want;
		const char *err; /* NULL: accepted */
	} cases[] = {
		{"0", 0, 10, 0, NULL},
		{"10", 0, 10, 10, NULL},
		{"11", 0, 10, 0, "too large"},
		{"-1", 0, 10, 0, "too small"},
		{"-5", -10, 10, -5, NULL},
		{"0x1f", 0, 100, 31, NULL},
		{"0X1F", 0, 100, 31, NULL},
		{"0xffffffff", 0, UINT32_MAX, UINT32_MAX, NULL},
		{"0x100000000", 0, UINT32_MAX, 0, "too large"},
		/* A leading zero means octal to strtol(3) and to the reader: refused. */
		{"010", 0, 100, 0, "invalid"},
		{"00", 0, 100, 0, "invalid"},
		{"0x", 0, 100, 0, "invalid"},
		{"", 0, 100, 0, "invalid"},
		{" 5", 0, 100, 0, "invalid"},
		{"5 ", 0, 100, 0, "invalid"},
		{"5x", 0, 100, 0, "invalid"},
		{"x5", 0, 100, 0, "invalid"},
		{"1e3", 0, 10000, 0, "invalid"},
		{"0x-5", -10, 100, 0, "invalid"},
		{"9223372036854775807", 0, LLONG_MAX, LLONG_MAX, NULL},
		{"9223372036854775808", 0, LLONG_MAX, 0, "too large"},
		{"99999999999999999999", 0, LLONG_MAX, 0, "too large"},
		{"-9223372036854775809", LLONG_MIN, 0, 0, "too small"},
	};
	const char *errstr;
	long long v;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errstr = "unset";
		v = strnum_parse(cases[i].in, cases[i].min, cases[i].max, &errstr);
		if (cases[i].err == NULL) {
			if (errstr != NULL)
				fail_msg("\"%s\": unexpected error %s", cases[i].in, errstr);
			assert_int_equal(v, cases[i].want);
		} else {
			if (errstr == NULL || strcmp(errstr, cases[i].err) != 0)
				fail_msg("\"%s\": got %s, want %s", cases[i].in,
					 errstr ? errstr : "success", cases[i].err);
			assert_int_equal(v, 0);
		}
	}
	/* NULL input is "invalid", not a crash. */
	strnum_parse(NULL, 0, 1, &errstr);
	assert_string_equal(errstr, "invalid");
}

static void test_range(void **state)
{
	static const struct {
		const char *in;
		uint16_t first;
		uint16_t last;
		const char *err;
	} cases[] = {
		{"25", 25, 25, NULL},
		{"0", 0, 0, NULL},
		{"65535", 65535, 65535, NULL},
		{"25-28", 25, 28, NULL},
		{"0x10-0x13", 16, 19, NULL},
		{"7-7", 7, 7, NULL},
		/* 64 queues is the most; 65 is refused. */
		{"0-63", 0, 63, NULL},
		{"65472-65535", 65472, 65535, NULL},
		{"0-64", 0, 0, "more than 64 queues"},
		{"28-25", 0, 0, "range is reversed"},
		{"65536", 0, 0, "too large"},
		{"1-65536", 0, 0, "too large"},
		{"-1", 0, 0, "invalid"},
		{"1-", 0, 0, "invalid"},
		{"1-2-3", 0, 0, "invalid"},
		{"025", 0, 0, "invalid"},
		{"", 0, 0, "invalid"},
		{"1234567890123456789012345678901234567890", 0, 0, "invalid"},
	};
	const char *errstr;
	uint16_t first;
	uint16_t last;
	unsigned int i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errstr = NULL;
		first = last = 4242;
		rc = strnum_range(cases[i].in, &first, &last, &errstr);
		if (cases[i].err == NULL) {
			if (rc != 0)
				fail_msg("\"%s\": unexpected error %s", cases[i].in, errstr);
			assert_int_equal(first, cases[i].first);
			assert_int_equal(last, cases[i].last);
		} else {
			assert_int_equal(rc, -1);
			if (errstr == NULL || strcmp(errstr, cases[i].err) != 0)
				fail_msg("\"%s\": got %s, want %s", cases[i].in,
					 errstr ? errstr : "(none)", cases[i].err);
			/* Outputs untouched on error. */
			assert_int_equal(first, 4242);
			assert_int_equal(last, 4242);
		}
	}
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		long long max;
		long long want;
		const char *err;
	} cases[] = {
		{"90", 1000, 90, NULL},
		{"90s", 1000, 90, NULL},
		{"15m", 1000, 900, NULL},
		{"2h", 86400, 7200, NULL},
		{"1d", 86400, 86400, NULL},
		{"0", 10, 0, NULL},
		{"2d", 86400, 0, "too large"},
		{"17m", 1000, 0, "too large"},
		{"1001", 1000, 0, "too large"},
		{"-1m", 1000, 0, "too small"},
		{"", 1000, 0, "invalid"},
		{"s", 1000, 0, "invalid"},
		{"m", 1000, 0, "invalid"},
		{"5w", 1000, 0, "too large"},
		{"2w", 30 * 86400, 2 * 7 * 86400, NULL},
		{"5y", 1000, 0, "invalid"},
		{"5ms", 1000, 0, "invalid"},
		{"1h30m", 100000, 0, "invalid"},
		{"05m", 1000, 0, "invalid"},
		{"0x10s", 1000, 16, NULL},
		/* The unit's multiplier is applied to the bound, so no overflow is possible. */
		{"9223372036854775807d", LLONG_MAX, 0, "too large"},
	};
	const char *errstr;
	long long v;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errstr = "unset";
		v = strnum_duration(cases[i].in, cases[i].max, &errstr);
		if (cases[i].err == NULL) {
			if (errstr != NULL)
				fail_msg("\"%s\": unexpected error %s", cases[i].in, errstr);
			assert_int_equal(v, cases[i].want);
		} else {
			if (errstr == NULL || strcmp(errstr, cases[i].err) != 0)
				fail_msg("\"%s\": got %s, want %s", cases[i].in,
					 errstr ? errstr : "success", cases[i].err);
			assert_int_equal(v, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
