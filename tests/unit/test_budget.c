// SPDX-License-Identifier: GPL-2.0-or-later
/* Reply budgets: bursts, refill over time, per-prefix isolation, aggregates, the global cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "budget.h"

static struct budget *mk(uint32_t prate, uint32_t pburst, uint32_t grate, uint32_t gburst)
{
	struct cookie_key key;
	struct budget *b;

	memset(&key, 9, sizeof(key));
	b = budget_alloc(1000, &key);
	assert_non_null(b);
	assert_int_equal(b->nprefix, 1024);
	budget_configure(b, prate, pburst, grate, gburst, 0);
	return b;
}

static void test_prefix_burst_then_refill(void **state)
{
	const uint8_t a[4] = {198, 51, 100, 10};
	const uint8_t same24[4] = {198, 51, 100, 200};
	struct budget *b = mk(10, 3, 1000, 1000);
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(budget_take(b, AF_INET, a, 0), BUDGET_OK);
	assert_int_equal(budget_take(b, AF_INET, same24, 0), BUDGET_PREFIX);
	/* 10 per second: one token after 100 ms, not after 99. */
	assert_int_equal(budget_take(b, AF_INET, a, 99), BUDGET_PREFIX);
	assert_int_equal(budget_take(b, AF_INET, a, 199), BUDGET_OK);
	/* Refill never exceeds the burst. */
	for (i = 0; i < 3; i++)
		assert_int_equal(budget_take(b, AF_INET, a, 100000), BUDGET_OK);
	assert_int_equal(budget_take(b, AF_INET, a, 100000), BUDGET_PREFIX);
	budget_free(b);
}

static void test_v6_slash64(void **state)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct budget *b = mk(1, 2, 1000, 1000);

	assert_int_equal(budget_take(b, AF_INET6, a, 0), BUDGET_OK);
	a[15] = 2;
	a[8] = 0xff; /* same /64 */
	assert_int_equal(budget_take(b, AF_INET6, a, 0), BUDGET_OK);
	assert_int_equal(budget_take(b, AF_INET6, a, 0), BUDGET_PREFIX);
	budget_free(b);
}

static void test_global_cap_returns_no_prefix_token(void **state)
{
	uint8_t a[4] = {203, 0, 113, 0};
	struct budget *b = mk(1000, 1000, 1, 4);
	int ok = 0;
	int i;

	for (i = 0; i < 100; i++) {
		a[2] = (uint8_t)i; /* 100 different /24s */
		if (budget_take(b, AF_INET, a, 0) == BUDGET_OK)
			ok++;
	}
	assert_int_equal(ok, 4);
	budget_free(b);
}

/*
 * A spoofer spreading over the /24s of one /16 gets the /16's budget for all of them
 * together, not a /24's each; another /16 is not affected.
 */
static void test_v4_slash16_aggregate(void **state)
{
	uint8_t a[4] = {198, 51, 0, 7};
	struct budget *b = mk(1000, 1000, 100000, 100000);
	int ok = 0;
	int agg = 0;
	int i;

	budget_configure_aggregate(b, 10, 20, 0);
	for (i = 0; i < 256; i++) {
		enum budget_result r;

		a[2] = (uint8_t)i; /* every /24 of 198.51.0.0/16 */
		r = budget_take(b, AF_INET, a, 0);
		ok += r == BUDGET_OK;
		agg += r == BUDGET_AGGREGATE;
	}
	assert_int_equal(ok, 20);
	assert_int_equal(agg, 256 - 20);
	/* Refills at the aggregate's rate: 10 a second. */
	assert_int_equal(budget_take(b, AF_INET, a, 100), BUDGET_OK);
	assert_int_equal(budget_take(b, AF_INET, a, 100), BUDGET_AGGREGATE);
	a[0] = 203; /* 203.0.0.0/16: its own budget */
	a[1] = 0;
	assert_int_equal(budget_take(b, AF_INET, a, 100), BUDGET_OK);
	budget_free(b);
}

/* The same for the /64s of one /48 (a site's networks). */
static void test_v6_slash48_aggregate(void **state)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct budget *b = mk(1000, 1000, 100000, 100000);
	int ok = 0;
	int i;

	budget_configure_aggregate(b, 5, 8, 0);
	for (i = 0; i < 4096; i++) {
		a[6] = (uint8_t)(i >> 8); /* 4,096 /64s of 2001:db8:bad::/48 */
		a[7] = (uint8_t)i;
		ok += budget_take(b, AF_INET6, a, 0) == BUDGET_OK;
	}
	assert_int_equal(ok, 8);
	a[5] = 0xae; /* 2001:db8:bae::/48 */
	assert_int_equal(budget_take(b, AF_INET6, a, 0), BUDGET_OK);
	budget_free(b);
}

/*
 * Levels nest: a prefix refusal spends none of its aggregate's tokens, and the global cap
 * still bounds everything under it.
 */
static void test_levels_nest(void **state)
{
	uint8_t a[4] = {198, 51, 100, 1};
	struct budget *b = mk(1000, 2, 100000, 100000);
	int ok = 0;
	int i;

	budget_configure_aggregate(b, 1, 10, 0);
	for (i = 0; i < 5; i++)
		ok += budget_take(b, AF_INET, a, 0) == BUDGET_OK;
	assert_int_equal(ok, 2); /* the /24's burst */
	for (i = 0; i < 20; i++) {
		a[2] = (uint8_t)(i + 1); /* other /24s of the /16 */
		ok += budget_take(b, AF_INET, a, 0) == BUDGET_OK;
	}
	assert_int_equal(ok, 10); /* the /16's burst, the three refusals cost it nothing */
	budget_free(b);
	b = mk(1000, 1000, 1, 3);
	budget_configure_aggregate(b, 1000, 1000, 0);
	ok = 0;
	for (i = 0; i < 50; i++) {
		a[1] = (uint8_t)i; /* 50 /16s */
		ok += budget_take(b, AF_INET, a, 0) == BUDGET_OK;
	}
	assert_int_equal(ok, 3);
	budget_free(b);
}

/* Token arithmetic survives the 32-bit millisecond clock wrapping. */
static void test_clock_wrap(void **state)
{
	const uint8_t a[4] = {192, 0, 2, 9};
	struct cookie_key key;
	struct budget *b;

	memset(&key, 1, sizeof(key));
	b = budget_alloc(16, &key);
	assert_non_null(b);
	budget_configure(b, 1, 1, 1000, 1000, 0xfffffff0u);
	assert_int_equal(budget_take(b, AF_INET, a, 0xfffffff0u), BUDGET_OK);
	assert_int_equal(budget_take(b, AF_INET, a, 0xfffffff8u), BUDGET_PREFIX);
	assert_int_equal(budget_take(b, AF_INET, a, 0x000003f0u), BUDGET_OK);
	budget_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_burst_then_refill),
		cmocka_unit_test(test_v6_slash64),
		cmocka_unit_test(test_global_cap_returns_no_prefix_token),
		cmocka_unit_test(test_clock_wrap),
		cmocka_unit_test(test_v4_slash16_aggregate),
		cmocka_unit_test(test_v6_slash48_aggregate),
		cmocka_unit_test(test_levels_nest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
