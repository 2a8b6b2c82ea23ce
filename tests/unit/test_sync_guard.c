// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_guard: entry breadth, the share of an address family a set covers, overlaps,
 * Postfix's mynetworks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

static struct cidr_range range(const char *s, int *family)
{
	struct cidr_range r;
	char err[64];

	assert_true(cidr_parse(s, family, &r, err, sizeof(err)) >= 0);
	return r;
}

static void test_broader(void **state)
{
	static const struct {
		const char *text;
		unsigned int len;
		bool broader;
	} cases[] = {
		{"0.0.0.0/0", 8, true},	      {"0.0.0.0-255.255.255.255", 8, true},
		{"10.0.0.0/7", 8, true},      {"10.0.0.0/8", 8, false},
		{"45.64.0.0/11", 8, false},   {"10.0.0.0-11.0.0.0", 8, true},
		{"::/0", 16, true},	      {"2000::/15", 16, true},
		{"2001:db8::/32", 16, false}, {"::/0", 0, false},
	};
	struct cidr_range r;
	size_t i;
	int f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = range(cases[i].text, &f);
		if (cidr_range_broader(&r, f, cases[i].len) != cases[i].broader)
			fail_msg("%s against /%u", cases[i].text, cases[i].len);
	}
}

static void test_share(void **state)
{
	struct cidr_set s;
	struct cidr_range r;
	int f;

	cidr_set_init(&s, 4);
	r = range("10.0.0.0/8", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	r = range("192.0.2.0/24", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	assert_int_equal(cidr_set_merge(&s), 0);
	assert_true(guard_share(&s) > 1.0 / 256 && guard_share(&s) < 1.0 / 255);
	cidr_set_clear(&s);
	r = range("0.0.0.0/0", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	assert_true(guard_share(&s) == 1.0);
	cidr_set_free(&s);
	cidr_set_init(&s, 6);
	r = range("::/1", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	assert_true(guard_share(&s) == 0.5);
	cidr_set_free(&s);
}

static void test_overlap(void **state)
{
	struct cidr_set s;
	struct cidr_range r;
	int f;

	cidr_set_init(&s, 4);
	r = range("192.0.2.10-192.0.2.20", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	r = range("198.51.100.77", &f);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	assert_int_equal(cidr_set_merge(&s), 0);
	r = range("192.0.2.0/28", &f);
	assert_non_null(guard_overlap(&s, &r));
	r = range("192.0.2.21-192.0.2.255", &f);
	assert_null(guard_overlap(&s, &r));
	r = range("198.51.100.0/24", &f);
	assert_ptr_equal(guard_overlap(&s, &r), &s.r[1]);
	r = range("203.0.113.0/24", &f);
	assert_null(guard_overlap(&s, &r));
	cidr_set_free(&s);
}

static void test_mynetworks(void **state)
{
	struct cidr_set v4, v6;
	unsigned int skipped = 0;
	char t[CIDR_TEXT_MAX];

	cidr_set_init(&v4, 4);
	cidr_set_init(&v6, 6);
	assert_int_equal(guard_mynetworks("127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128,\n"
					  "  192.0.2.0/24, [2001:db8::]/32 hash:/etc/postfix/net "
					  "relay.example.com /etc/postfix/nets",
					  &v4, &v6, &skipped),
			 0);
	assert_int_equal(skipped, 3);
	assert_int_equal(cidr_set_merge(&v4), 0);
	assert_int_equal(cidr_set_merge(&v6), 0);
	assert_int_equal(v4.n, 2);
	assert_int_equal(v6.n, 2);
	cidr_range_format(&v6.r[1], 6, t, sizeof(t));
	assert_string_equal(t, "2001:db8::/32");
	cidr_set_free(&v4);
	cidr_set_free(&v6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broader),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_mynetworks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
