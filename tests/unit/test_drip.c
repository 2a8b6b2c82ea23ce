// SPDX-License-Identifier: GPL-2.0-or-later
/* The drip's schedule and what gives way when the worker is behind (daemon/drip.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drip.h"

static void test_cfg(void **state)
{
	struct drip_cfg c;

	drip_cfg_init(&c, 10000);
	assert_int_equal(c.interval_ms, 10000);
	assert_int_equal(c.late_ms, 1000);
	assert_int_equal(c.stretch_max, 2);
	/* A short interval still tolerates 100 ms of jitter before counting itself behind. */
	drip_cfg_init(&c, 500);
	assert_int_equal(c.late_ms, 100);
	drip_cfg_init(&c, 0);
	assert_int_equal(c.interval_ms, 1);
}

/*
 * A burst of flows opened in the same millisecond: their first drips fall in the second
 * half of the interval, spread evenly (each tenth of it gets its share), never before
 * half an interval nor after a whole one.
 */
static void test_first_due_spread(void **state)
{
	struct drip_cfg c;
	uint32_t hist[10] = {0};
	uint32_t k;
	int i;

	drip_cfg_init(&c, 10000);
	for (k = 0; k < 10000; k++) {
		uint32_t due = drip_first_due(&c, 50000, k);

		assert_true(due >= 55000);
		assert_true(due < 60000);
		hist[(due - 55000) / 500]++;
	}
	for (i = 0; i < 10; i++) {
		assert_true(hist[i] > 900);
		assert_true(hist[i] < 1100);
	}
	/* Near the wrap of the millisecond clock. */
	assert_true(drip_first_due(&c, 0xfffffff0u, 7) - 0xfffffff0u >= 5000);
	assert_true(drip_first_due(&c, 0xfffffff0u, 7) - 0xfffffff0u < 10000);
}

/* The next drip stays on the flow's phase, however late this one was handled. */
static void test_next_due_phase(void **state)
{
	struct drip_cfg c;
	uint32_t n;

	drip_cfg_init(&c, 10000);
	/* On time, or late by less than an interval: one interval after the plan, not after now. */
	assert_int_equal(drip_next_due(&c, 20000, 20000), 30000);
	assert_int_equal(drip_next_due(&c, 20000, 23456), 30000);
	assert_int_equal(drip_next_due(&c, 20000, 29999), 30000);
	/* Late by whole intervals: the missed ones are skipped, the phase kept. */
	assert_int_equal(drip_next_due(&c, 20000, 30000), 40000);
	n = drip_next_due(&c, 20000, 45001);
	assert_int_equal(n, 50000);
	/* Across the wrap. */
	assert_int_equal(drip_next_due(&c, 0xffffff00u, 0xffffff10u), 0xffffff00u + 10000u);
	n = drip_next_due(&c, 0xffffff00u, 25000);
	assert_true((int32_t)(n - 25000) > 0);
	assert_int_equal((n - 0xffffff00u) % 10000, 0);
}

/* On time: everyone is sent. Behind: the flows older than the mean wait, twice at most. */
static void test_decide(void **state)
{
	static const struct {
		uint32_t late_ms, age_s, mean_s;
		uint8_t stretched;
		enum drip_action want;
	} cases[] = {
		{0, 3600, 60, 0, DRIP_SEND},	   /* on time, however old */
		{999, 3600, 60, 0, DRIP_SEND},	   /* within a tenth of the interval */
		{1000, 3600, 60, 0, DRIP_STRETCH}, /* behind, old: waits */
		{1000, 3600, 60, 1, DRIP_STRETCH}, /* a second time */
		{1000, 3600, 60, 2, DRIP_SEND},	   /* but not a third: sent however late */
		{5000, 60, 60, 0, DRIP_SEND},	   /* behind, at the mean: young enough */
		{5000, 10, 60, 0, DRIP_SEND},	   /* behind, young: keeps its cadence */
	};
	struct drip_cfg c;
	size_t i;

	drip_cfg_init(&c, 10000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(drip_decide(&c, cases[i].late_ms, cases[i].age_s, cases[i].mean_s,
					     cases[i].stretched),
				 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_first_due_spread),
		cmocka_unit_test(test_next_due_phase),
		cmocka_unit_test(test_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
