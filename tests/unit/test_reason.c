// SPDX-License-Identifier: GPL-2.0-or-later
/* reason: every ban reason has a name, and each name reads back as its own bit only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reason.h"

/* The names are in the state file and the config: each one its own, in enum order. */
static void test_names(void **state)
{
	unsigned int mask;
	char err[160];
	int i, j;

	assert_string_equal(reason_name(REASON_RBL), "rbl");
	assert_string_equal(reason_name(REASON_EXIM_PREGREET), "exim-pregreet");
	assert_string_equal(reason_name(REASON_CUSTOM), "custom");
	assert_string_equal(reason_name(REASON_N), "?");
	for (i = 0; i < REASON_N; i++) {
		assert_int_equal(reason_parse_list(reason_name(i), &mask, err, sizeof(err)), 0);
		assert_int_equal(mask, 1u << i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(reason_name(i), reason_name(j));
	}
}

static void test_list(void **state)
{
	unsigned int mask = 0;
	char err[160];

	assert_int_equal(reason_parse_list(" rbl, trap ,custom", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, (1u << REASON_RBL) | (1u << REASON_TRAP) | (1u << REASON_CUSTOM));
	assert_int_equal(reason_parse_list("", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, 0);
	/* A prefix of a name is not the name. */
	assert_int_equal(reason_parse_list("rbl,exim", &mask, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown pattern \"exim\""));
	assert_int_equal(REASON_ALL, (1u << REASON_N) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
