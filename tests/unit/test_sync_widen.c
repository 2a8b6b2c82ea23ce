// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sync_widen: a ban's prefix, and escalation, against a brute-force model over time; the
 * sets built from bans and escalations, minus an allowlist, against a per-address model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "widen.h"

#define NOW 1000

static struct cidr_addr addr(const char *text)
{
	struct cidr_addr a;
	int f;

	assert_int_equal(cidr_parse_addr(text, &f, &a), 0);
	return a;
}

/* The ban widen_ban() makes of text, formatted. */
static void expect_ban(const struct widen_policy *p, int family, const char *text, const char *want)
{
	struct cidr_addr a = addr(text);
	struct cidr_range r = widen_ban(p, family, &a);
	char got[CIDR_TEXT_MAX];

	cidr_range_format(&r, family, got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_ban_prefix(void **state)
{
	struct widen_policy p;

	widen_policy_default(&p);
	expect_ban(&p, 6, "2001:db8:c::2", "2001:db8:c::/64");
	expect_ban(&p, 6, "2001:db8:c::ffff", "2001:db8:c::/64");
	expect_ban(&p, 4, "198.51.100.7", "198.51.100.7");
	p.ban_prefix4 = 24;
	p.ban_prefix6 = 128;
	expect_ban(&p, 4, "198.51.100.7", "198.51.100.0/24");
	expect_ban(&p, 6, "2001:db8:c::2", "2001:db8:c::2");
	/* Escalation needs a wider prefix than the ban, and a count of two or more. */
	widen_policy_default(&p);
	assert_true(widen_escalates(&p, 6));
	assert_false(widen_escalates(&p, 4));
	p.escalate_count = 0;
	assert_false(widen_escalates(&p, 6));
}

/* The example of the issue: three /64s of one /48 banned; a fourth is covered then. */
static void test_three_of_a_48(void **state)
{
	struct widen_policy p;
	struct widen_ban b[4];
	struct widen_esc *e;
	struct cidr_range r;
	const char *const seen[] = {"2001:db8:c::2", "2001:db8:c:1::2", "2001:db8:c::3",
				    "2001:db8:c:2::2"};
	char text[CIDR_TEXT_MAX];
	size_t n, i;

	widen_policy_default(&p);
	for (i = 0; i < 4; i++) {
		struct cidr_addr a = addr(seen[i]);

		r = widen_ban(&p, 6, &a);
		b[i].family = 6;
		b[i].first = r.first;
		b[i].len = 64;
		b[i].expires = NOW + 100 * (int64_t)(i + 1);
	}
	/* Two distinct /64s (the third ban is the first's /64 again): not yet. */
	assert_int_equal(widen_escalate(&p, b, 3, NOW, &e, &n), 0);
	assert_int_equal(n, 0);
	assert_null(e);
	assert_int_equal(widen_escalate(&p, b, 4, NOW, &e, &n), 0);
	assert_int_equal(n, 1);
	r = widen_esc_range(&e[0]);
	cidr_range_format(&r, 6, text, sizeof(text));
	assert_string_equal(text, "2001:db8:c::/48");
	assert_int_equal(e[0].units, 3);
	/* Until the third-latest unit's ban ends: 2001:db8:c::/64 lasts to NOW + 300. */
	assert_int_equal(e[0].expires, NOW + 200);
	free(e);
	/* Expired bans do not count. */
	assert_int_equal(widen_escalate(&p, b, 4, NOW + 200, &e, &n), 0);
	assert_int_equal(n, 0);
	free(e);
}

/* Brute force: the distinct units banned inside the /48 holding key at time t. */
static unsigned int model_units(const struct widen_policy *p, const struct widen_ban *b, size_t n,
				const struct cidr_addr *key, int64_t t)
{
	struct cidr_range u[64];
	unsigned int nu = 0, k, len;
	size_t i;
	struct cidr_range in;

	for (i = 0; i < n; i++) {
		if (b[i].expires <= t || b[i].len <= p->escalate_prefix6)
			continue;
		in = cidr_prefix_of(&b[i].first, 6, p->escalate_prefix6);
		if (cidr_addr_cmp(&in.first, key) != 0)
			continue;
		len = b[i].len < p->ban_prefix6 ? b[i].len : p->ban_prefix6;
		in = cidr_prefix_of(&b[i].first, 6, len);
		for (k = 0; k < nu; k++)
			if (cidr_addr_cmp(&u[k].first, &in.first) == 0 &&
			    cidr_addr_cmp(&u[k].last, &in.last) == 0)
				break;
		if (k == nu)
			u[nu++] = in;
	}
	return nu;
}

static bool model_escalated(const struct widen_policy *p, const struct widen_ban *b, size_t n,
			    const struct cidr_addr *key, int64_t t)
{
	return p->escalate_count >= 2 && model_units(p, b, n, key, t) >= p->escalate_count;
}

/* An address in one of three /48s, a few of their /64s, a few hosts each. */
static struct cidr_addr random_addr(void)
{
	static const uint64_t subnets[] = {0, 1, 2, 3, 0x100, 0xff00, 0xffff};
	struct cidr_addr a;

	a.hi = 0x20010db800000000ull | ((0xcull + (uint64_t)(rand() % 3)) << 16) |
	       subnets[rand() % 7];
	a.lo = (uint64_t)(rand() % 4);
	if (rand() % 4 == 0)
		a.lo |= 0xffffffffffff0000ull;
	return a;
}

static void random_bans(const struct widen_policy *p, struct widen_ban *b, size_t n)
{
	static const unsigned int lens[] = {128, 128, 64, 64, 64, 60, 56, 48, 40};
	struct cidr_addr a;
	size_t i;

	for (i = 0; i < n; i++) {
		a = random_addr();
		b[i].family = 6;
		b[i].len = lens[rand() % 9];
		b[i].first = cidr_prefix_of(&a, 6, b[i].len).first;
		b[i].expires = NOW - 50 + rand() % 400;
	}
}

static void test_escalation_model(void **state)
{
	static const unsigned int counts[] = {0, 2, 3, 4};
	static const unsigned int ban_lens[] = {64, 56, 128};
	struct widen_policy p;
	struct widen_ban b[40];
	struct widen_esc *e;
	struct cidr_addr key;
	size_t n, nb, i, k, found;
	unsigned int round;

	srand(7);
	for (round = 0; round < 3000; round++) {
		widen_policy_default(&p);
		p.escalate_count = counts[round % 4];
		p.ban_prefix6 = ban_lens[(round / 4) % 3];
		nb = (size_t)(rand() % 40);
		random_bans(&p, b, nb);
		assert_int_equal(widen_escalate(&p, b, nb, NOW, &e, &n), 0);
		/* Every escalation the model calls for is there, lasting exactly as long. */
		found = 0;
		for (k = 0; k < 3; k++) {
			key.hi = 0x20010db800000000ull | ((0xcull + k) << 16);
			key.lo = 0;
			for (i = 0; i < n; i++)
				if (cidr_addr_cmp(&e[i].first, &key) == 0)
					break;
			if (!model_escalated(&p, b, nb, &key, NOW)) {
				assert_true(i == n);
				continue;
			}
			assert_true(i < n);
			found++;
			assert_int_equal(e[i].family, 6);
			assert_int_equal(e[i].len, 48);
			assert_int_equal(e[i].units, model_units(&p, b, nb, &key, NOW));
			assert_true(e[i].expires > NOW);
			assert_true(model_escalated(&p, b, nb, &key, e[i].expires - 1));
			assert_false(model_escalated(&p, b, nb, &key, e[i].expires));
		}
		assert_int_equal(n, found);
		free(e);
	}
}

/*
 * What the sync sends: every active ban and escalation (tag = expiry), merged, minus the
 * allowlist. Allowlisted addresses inside an escalated /48 stay out; every other address
 * is blocked exactly when a ban or an escalation covers it.
 */
static void test_allowlist_wins(void **state)
{
	struct widen_policy p;
	struct widen_ban b[40];
	struct widen_esc *e;
	struct cidr_set want, allow;
	struct cidr_range x;
	struct cidr_addr a, probes[400];
	size_t n, nb, i, k, np;
	unsigned int round, escalated_allowed = 0;
	bool covered, allowed;

	srand(11);
	widen_policy_default(&p);
	p.escalate_count = 2;
	for (round = 0; round < 500; round++) {
		nb = (size_t)(rand() % 40);
		random_bans(&p, b, nb);
		assert_int_equal(widen_escalate(&p, b, nb, NOW, &e, &n), 0);
		cidr_set_init(&want, 6);
		cidr_set_init(&allow, 6);
		for (i = 0; i < nb; i++) {
			if (b[i].expires <= NOW)
				continue;
			x = cidr_prefix_of(&b[i].first, 6, b[i].len);
			x.tag = (uint64_t)b[i].expires;
			assert_int_equal(cidr_set_add(&want, &x), 0);
		}
		for (i = 0; i < n; i++) {
			x = widen_esc_range(&e[i]);
			x.tag = (uint64_t)e[i].expires;
			assert_int_equal(cidr_set_add(&want, &x), 0);
		}
		np = 0;
		for (i = 0; i < 8; i++) {
			a = random_addr();
			x = cidr_prefix_of(&a, 6, rand() % 2 == 0 ? 128 : 120);
			assert_int_equal(cidr_set_add(&allow, &x), 0);
			probes[np++] = x.first;
			probes[np++] = x.last;
			probes[np++] = cidr_addr_dec(x.first);
			probes[np++] = cidr_addr_inc(x.last);
		}
		for (i = 0; i < nb && np + 2 <= 400; i++) {
			x = cidr_prefix_of(&b[i].first, 6, b[i].len);
			probes[np++] = x.first;
			probes[np++] = x.last;
		}
		while (np < 400)
			probes[np++] = random_addr();
		assert_int_equal(cidr_set_merge(&want), 0);
		assert_int_equal(cidr_set_merge(&allow), 0);
		assert_int_equal(cidr_set_subtract(&want, &allow), 0);
		for (i = 0; i < np; i++) {
			covered = false;
			for (k = 0; k < nb && !covered; k++) {
				x = cidr_prefix_of(&b[k].first, 6, b[k].len);
				covered = b[k].expires > NOW &&
					  cidr_addr_cmp(&x.first, &probes[i]) <= 0 &&
					  cidr_addr_cmp(&probes[i], &x.last) <= 0;
			}
			for (k = 0; k < n && !covered; k++) {
				x = widen_esc_range(&e[k]);
				covered = cidr_addr_cmp(&x.first, &probes[i]) <= 0 &&
					  cidr_addr_cmp(&probes[i], &x.last) <= 0;
			}
			allowed = false;
			for (k = 0; k < allow.n && !allowed; k++)
				allowed = cidr_addr_cmp(&allow.r[k].first, &probes[i]) <= 0 &&
					  cidr_addr_cmp(&probes[i], &allow.r[k].last) <= 0;
			assert_int_equal(cidr_set_contains(&want, &probes[i]), covered && !allowed);
			for (k = 0; k < n && allowed; k++) {
				x = widen_esc_range(&e[k]);
				escalated_allowed += cidr_addr_cmp(&x.first, &probes[i]) <= 0 &&
						     cidr_addr_cmp(&probes[i], &x.last) <= 0;
			}
		}
		cidr_set_free(&want);
		cidr_set_free(&allow);
		free(e);
	}
	/* The case that matters was met many times, not by luck once. */
	assert_true(escalated_allowed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ban_prefix),
		cmocka_unit_test(test_three_of_a_48),
		cmocka_unit_test(test_escalation_model),
		cmocka_unit_test(test_allowlist_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
