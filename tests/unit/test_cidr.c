// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/cidr: strict parsing, and merge/subtract checked against a per-address model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "cidr.h"

struct parse_case {
	const char *in;
	int rc;
	int family;
	const char *text; /* cidr_range_format() of the result */
};

static const struct parse_case parse_cases[] = {
	{"192.0.2.7", CIDR_OK, 4, "192.0.2.7"},
	{"192.0.2.0/24", CIDR_OK, 4, "192.0.2.0/24"},
	{"192.0.2.7/24", CIDR_HOSTBITS, 4, "192.0.2.0/24"},
	{"192.0.2.7/32", CIDR_OK, 4, "192.0.2.7"},
	{"0.0.0.0/0", CIDR_OK, 4, "0.0.0.0/0"},
	{"192.0.2.7-192.0.2.9", CIDR_OK, 4, "192.0.2.7-192.0.2.9"},
	{"192.0.2.0-192.0.2.255", CIDR_OK, 4, "192.0.2.0/24"},
	{"2001:db8::/32", CIDR_OK, 6, "2001:db8::/32"},
	{"2001:db8::1/32", CIDR_HOSTBITS, 6, "2001:db8::/32"},
	{"2001:db8::1", CIDR_OK, 6, "2001:db8::1"},
	{"::/0", CIDR_OK, 6, "::/0"},
	{"::ffff:192.0.2.7", CIDR_OK, 4, "192.0.2.7"},
	{"::ffff:192.0.2.0/120", CIDR_OK, 4, "192.0.2.0/24"},
	{"010.0.0.1", -1, 0, NULL},
	{"10.0.0.01", -1, 0, NULL},
	{"::ffff:010.0.0.1", -1, 0, NULL},
	{"10.0.0.1/33", -1, 0, NULL},
	{"10.0.0.1/08", -1, 0, NULL},
	{"10.0.0.1/-1", -1, 0, NULL},
	{"10.0.0.1/", -1, 0, NULL},
	{"10.0.0.1/ 8", -1, 0, NULL},
	{"10.0.0.1/0x8", -1, 0, NULL},
	{"2001:db8::/129", -1, 0, NULL},
	{"::ffff:192.0.2.0/95", -1, 0, NULL},
	{"10.0.0", -1, 0, NULL},
	{"10.0.0.256", -1, 0, NULL},
	{"1.2.3.4.5", -1, 0, NULL},
	{"10.0.0.9-10.0.0.1", -1, 0, NULL},
	{"10.0.0.1-2001:db8::1", -1, 0, NULL},
	{"", -1, 0, NULL},
	{"example.org", -1, 0, NULL},
	{"2001:db8:::1", -1, 0, NULL},
};

static void test_parse_table(void **state)
{
	const struct parse_case *c;
	struct cidr_range r;
	char err[256];
	char text[CIDR_TEXT_MAX];
	int family;
	int rc;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		c = &parse_cases[i];
		err[0] = '\0';
		rc = cidr_parse(c->in, &family, &r, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("\"%s\": rc %d, want %d (%s)", c->in, rc, c->rc, err);
		if (rc < 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(family, c->family);
		cidr_range_format(&r, family, text, sizeof(text));
		if (strcmp(text, c->text) != 0)
			fail_msg("\"%s\": got %s, want %s", c->in, text, c->text);
		if (rc == CIDR_HOSTBITS)
			assert_non_null(strstr(err, "host bits"));
	}
}

/* Keys nftables stores: start, and end = last + 1 except at the top of the space. */
static void test_keys(void **state)
{
	struct cidr_range r;
	uint8_t s[16], e[16];
	char err[128];
	int family;
	static const uint8_t s4[4] = {192, 0, 2, 0};
	static const uint8_t e4[4] = {192, 0, 3, 0};

	assert_int_equal(cidr_parse("192.0.2.0/24", &family, &r, err, sizeof(err)), 0);
	assert_true(cidr_range_to_keys(&r, family, s, e));
	assert_memory_equal(s, s4, 4);
	assert_memory_equal(e, e4, 4);
	assert_int_equal(cidr_parse("255.255.255.0/24", &family, &r, err, sizeof(err)), 0);
	assert_false(cidr_range_to_keys(&r, family, s, e));
	assert_int_equal(
		cidr_parse("2001:db8:0:ffff:ffff:ffff:ffff:ffff", &family, &r, err, sizeof(err)),
		0);
	assert_true(cidr_range_to_keys(&r, family, s, e));
	assert_int_equal(e[3], 0xb8);
	assert_int_equal(e[5], 1);
	assert_int_equal(e[15], 0);
}

static int collect(const struct cidr_addr *first, unsigned int len, void *arg)
{
	char *out = arg;
	char a[64];
	size_t n = strlen(out);

	cidr_addr_format(first, 4, a, sizeof(a));
	snprintf(out + n, 512 - n, "%s%s/%u", n > 0 ? " " : "", a, len);
	return 0;
}

static void test_prefixes(void **state)
{
	struct cidr_range r;
	char err[128];
	char out[512] = "";
	int family;

	assert_int_equal(cidr_parse("192.0.2.1-192.0.2.14", &family, &r, err, sizeof(err)), 0);
	cidr_range_prefixes(&r, family, collect, out);
	assert_string_equal(out, "192.0.2.1/32 192.0.2.2/31 192.0.2.4/30 192.0.2.8/30 "
				 "192.0.2.12/31 192.0.2.14/32");
	out[0] = '\0';
	assert_int_equal(cidr_parse("0.0.0.0/0", &family, &r, err, sizeof(err)), 0);
	cidr_range_prefixes(&r, family, collect, out);
	assert_string_equal(out, "0.0.0.0/0");
	out[0] = '\0';
	assert_int_equal(
		cidr_parse("255.255.255.254-255.255.255.255", &family, &r, err, sizeof(err)), 0);
	cidr_range_prefixes(&r, family, collect, out);
	assert_string_equal(out, "255.255.255.254/31");
}

/*
 * The model: a window of W addresses, each with the largest tag rank covering it (0 = not
 * covered). Windows sit at the bottom and top of both spaces and across the 64-bit carry of
 * IPv6, where off-by-one and overflow mistakes would show.
 */
#define W 192

struct window {
	int family;
	struct cidr_addr base;
};

static const struct window windows[] = {
	{4, {0, 0}}, {4, {0, UINT32_MAX - W + 1}},     {4, {0, 0xc0000200}},
	{6, {0, 0}}, {6, {7, UINT64_MAX - W / 2 + 1}}, {6, {UINT64_MAX, UINT64_MAX - W + 1}},
};

static struct cidr_addr at(const struct window *w, unsigned int off)
{
	struct cidr_addr a = w->base;
	unsigned int i;

	for (i = 0; i < off; i++)
		a = cidr_addr_inc(a);
	return a;
}

static unsigned int offset_of(const struct window *w, const struct cidr_addr *a)
{
	struct cidr_addr x = w->base;
	unsigned int i;

	for (i = 0; i < W; i++) {
		if (cidr_addr_cmp(&x, a) == 0)
			return i;
		x = cidr_addr_inc(x);
	}
	fail_msg("address outside the window");
	return 0;
}

static uint64_t rank(uint64_t tag)
{
	return tag == 0 ? UINT64_MAX : tag;
}

/* Expand a merged set into the model, checking order, disjointness and coalescing. */
static void expand(const struct window *w, const struct cidr_set *s, uint64_t *model)
{
	unsigned int a, b, k;
	size_t i;

	memset(model, 0, W * sizeof(*model));
	for (i = 0; i < s->n; i++) {
		a = offset_of(w, &s->r[i].first);
		b = offset_of(w, &s->r[i].last);
		assert_true(a <= b);
		if (i > 0) {
			k = offset_of(w, &s->r[i - 1].last);
			assert_true(k < a);
			if (k + 1 == a)
				assert_true(s->r[i - 1].tag != s->r[i].tag);
		}
		for (k = a; k <= b; k++)
			model[k] = rank(s->r[i].tag);
	}
}

static void random_set(const struct window *w, struct cidr_set *s, uint64_t *model,
		       unsigned int count, bool tags)
{
	struct cidr_range r;
	unsigned int a, b, k, i;

	cidr_set_init(s, w->family);
	memset(model, 0, W * sizeof(*model));
	for (i = 0; i < count; i++) {
		a = (unsigned int)rand() % W;
		b = a + (unsigned int)rand() % (rand() % 4 == 0 ? W : 6);
		if (b >= W)
			b = W - 1;
		r.first = at(w, a);
		r.last = at(w, b);
		r.tag = tags ? (uint64_t)(rand() % 4) : 0;
		assert_int_equal(cidr_set_add(s, &r), 0);
		for (k = a; k <= b; k++) {
			if (rank(r.tag) > model[k])
				model[k] = rank(r.tag);
		}
	}
}

static void test_merge_model(void **state)
{
	uint64_t want[W], got[W];
	struct cidr_set s;
	unsigned int round;
	const struct window *w;

	srand(1);
	for (round = 0; round < 3000; round++) {
		w = &windows[round % (sizeof(windows) / sizeof(windows[0]))];
		random_set(w, &s, want, (unsigned int)rand() % 40, round % 2 == 1);
		assert_int_equal(cidr_set_merge(&s), 0);
		expand(w, &s, got);
		assert_memory_equal(got, want, sizeof(want));
		cidr_set_free(&s);
	}
}

static void test_subtract_model(void **state)
{
	uint64_t a[W], b[W], got[W];
	struct cidr_set s, sub;
	unsigned int round, k;
	const struct window *w;

	srand(2);
	for (round = 0; round < 3000; round++) {
		w = &windows[round % (sizeof(windows) / sizeof(windows[0]))];
		random_set(w, &s, a, (unsigned int)rand() % 30, round % 2 == 1);
		random_set(w, &sub, b, (unsigned int)rand() % 30, false);
		assert_int_equal(cidr_set_merge(&s), 0);
		assert_int_equal(cidr_set_merge(&sub), 0);
		assert_int_equal(cidr_set_subtract(&s, &sub), 0);
		expand(w, &s, got);
		for (k = 0; k < W; k++) {
			if (b[k] != 0)
				a[k] = 0;
		}
		assert_memory_equal(got, a, sizeof(a));
		for (k = 0; k < W; k++) {
			struct cidr_addr x = at(w, k);

			assert_int_equal(cidr_set_contains(&s, &x), got[k] != 0);
		}
		cidr_set_free(&s);
		cidr_set_free(&sub);
	}
}

/* A blocklisted /24 holding an allowlisted /32 becomes the two ranges around it. */
static void test_subtract_hole(void **state)
{
	struct cidr_set s, sub;
	struct cidr_range r;
	char err[128], t[CIDR_TEXT_MAX];
	int family;

	cidr_set_init(&s, 4);
	cidr_set_init(&sub, 4);
	assert_int_equal(cidr_parse("198.51.100.0/24", &family, &r, err, sizeof(err)), 0);
	assert_int_equal(cidr_set_add(&s, &r), 0);
	assert_int_equal(cidr_parse("198.51.100.20", &family, &r, err, sizeof(err)), 0);
	assert_int_equal(cidr_set_add(&sub, &r), 0);
	assert_int_equal(cidr_set_subtract(&s, &sub), 0);
	assert_int_equal(s.n, 2);
	cidr_range_format(&s.r[0], 4, t, sizeof(t));
	assert_string_equal(t, "198.51.100.0-198.51.100.19");
	cidr_range_format(&s.r[1], 4, t, sizeof(t));
	assert_string_equal(t, "198.51.100.21-198.51.100.255");
	cidr_set_free(&s);
	cidr_set_free(&sub);
}

/* A prefix of an address, and the ranges of a sorted set that overlap a range. */
static void test_prefix_of_and_overlapping(void **state)
{
	struct cidr_set s, out;
	struct cidr_range r, x;
	struct cidr_addr a;
	char text[CIDR_TEXT_MAX];
	int f;
	unsigned int i;

	assert_int_equal(cidr_parse_addr("2001:db8:c::ffff", &f, &a), 0);
	r = cidr_prefix_of(&a, 6, 64);
	cidr_range_format(&r, 6, text, sizeof(text));
	assert_string_equal(text, "2001:db8:c::/64");
	assert_int_equal(cidr_range_prefix_len(&r, 6), 64);
	r = cidr_prefix_of(&a, 6, 128);
	assert_int_equal(cidr_addr_cmp(&r.first, &a), 0);
	assert_int_equal(cidr_addr_cmp(&r.last, &a), 0);
	assert_int_equal(cidr_parse_addr("198.51.100.77", &f, &a), 0);
	r = cidr_prefix_of(&a, 4, 24);
	cidr_range_format(&r, 4, text, sizeof(text));
	assert_string_equal(text, "198.51.100.0/24");
	r = cidr_prefix_of(&a, 4, 0);
	assert_int_equal(r.last.hi, 0);
	assert_int_equal(r.last.lo, 0xffffffffu);
	r.last.lo--;
	assert_int_equal(cidr_range_prefix_len(&r, 4), -1);

	/* Ranges [10i, 10i + 4] for i < 10; which of them overlap [x.first, x.last]. */
	cidr_set_init(&s, 4);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 10; i++) {
		r.first.lo = 10 * i;
		r.last.lo = 10 * i + 4;
		assert_int_equal(cidr_set_add(&s, &r), 0);
	}
	memset(&x, 0, sizeof(x));
	for (x.first.lo = 0; x.first.lo < 100; x.first.lo += 3) {
		for (x.last.lo = x.first.lo; x.last.lo < 100; x.last.lo += 7) {
			cidr_set_init(&out, 4);
			assert_int_equal(cidr_set_overlapping(&s, &x, &out), 0);
			f = 0;
			for (i = 0; i < 10; i++) {
				if (10 * i + 4 < x.first.lo || 10 * i > x.last.lo)
					continue;
				assert_true((size_t)f < out.n);
				assert_int_equal(out.r[f].first.lo, 10 * i);
				f++;
			}
			assert_int_equal(out.n, (size_t)f);
			cidr_set_free(&out);
		}
	}
	cidr_set_free(&s);
}

/* A random 64-bit value with runs of equal bytes, so that radix passes get skipped too. */
static uint64_t rand64(void)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (rand() % 4 == 0 ? 0 : (uint64_t)(rand() % 256));
	return v;
}

/* cidr_set_sort(): ordered by first address, and stable (tags number the input order). */
static void test_sort_stable(void **state)
{
	struct cidr_set s;
	unsigned int round;
	size_t i, n;
	int family;

	(void)state;
	srand(7);
	for (round = 0; round < 200; round++) {
		family = round % 2 == 0 ? 4 : 6;
		cidr_set_init(&s, family);
		n = (size_t)(rand() % 3000);
		for (i = 0; i < n; i++) {
			struct cidr_range r;

			memset(&r, 0, sizeof(r));
			/* Few distinct values: many equal first addresses. */
			r.first.lo = family == 4
					     ? (uint64_t)(rand() % (round % 3 == 0 ? 50 : 1 << 30))
					     : rand64() % (round % 3 == 0 ? 50 : UINT64_MAX);
			r.first.hi = family == 4 ? 0 : rand64() % (round % 5 == 0 ? 2 : UINT64_MAX);
			r.last = r.first;
			r.tag = i;
			assert_int_equal(cidr_set_add(&s, &r), 0);
		}
		assert_int_equal(cidr_set_sort(&s), 0);
		assert_int_equal(s.n, n);
		for (i = 1; i < s.n; i++) {
			int c = cidr_addr_cmp(&s.r[i - 1].first, &s.r[i].first);

			assert_true(c < 0 || (c == 0 && s.r[i - 1].tag < s.r[i].tag));
		}
		cidr_set_free(&s);
	}
}

/* The prefix length by trying each length, as cidr_range_prefix_len() once did. */
static int prefix_len_model(const struct cidr_range *r, int family)
{
	unsigned int bits = family == 4 ? 32 : 128;
	unsigned int len, host;
	struct cidr_addr m;

	for (len = 0; len <= bits; len++) {
		host = bits - len;
		m.hi = host >= 128 ? UINT64_MAX : host > 64 ? UINT64_MAX >> (128 - host) : 0;
		m.lo = host >= 64 ? UINT64_MAX : host > 0 ? UINT64_MAX >> (64 - host) : 0;
		if ((r->first.hi & m.hi) == 0 && (r->first.lo & m.lo) == 0 &&
		    (r->first.hi | m.hi) == r->last.hi && (r->first.lo | m.lo) == r->last.lo)
			return (int)len;
	}
	return -1;
}

/* cidr_range_format() and cidr_range_prefix_len() against inet_ntop() and the loop. */
static void test_format_model(void **state)
{
	char got[CIDR_TEXT_MAX], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], want[CIDR_TEXT_MAX];
	uint8_t k[16];
	struct cidr_range r;
	unsigned int round, len;
	int family, pl;

	(void)state;
	srand(11);
	for (round = 0; round < 40000; round++) {
		family = round % 3 == 0 ? 6 : 4;
		memset(&r, 0, sizeof(r));
		if (family == 4) {
			r.first.lo = (uint64_t)(uint32_t)rand64();
		} else {
			r.first.lo = rand64();
			r.first.hi = rand64();
		}
		switch (round % 4) {
		case 0: /* one address */
			r.last = r.first;
			break;
		case 1: /* a prefix (sometimes with host bits left, then not one) */
			len = (unsigned int)rand() % (family == 4 ? 33 : 129);
			r = cidr_prefix_of(&r.first, family, len);
			if (rand() % 4 == 0)
				r.first.lo |= 1;
			break;
		default: /* any range */
			r.last = r.first;
			r.last.lo += (uint64_t)rand() % 1000;
			if (family == 4 && r.last.lo > UINT32_MAX)
				r.last.lo = UINT32_MAX;
			if (family == 6 && r.last.lo < r.first.lo)
				r.last.hi++;
			break;
		}
		if (cidr_addr_cmp(&r.last, &r.first) < 0)
			continue;
		pl = prefix_len_model(&r, family);
		assert_int_equal(cidr_range_prefix_len(&r, family), pl);
		cidr_addr_to_bytes(&r.first, family, k);
		assert_non_null(inet_ntop(family == 4 ? AF_INET : AF_INET6, k, a, sizeof(a)));
		cidr_addr_to_bytes(&r.last, family, k);
		assert_non_null(inet_ntop(family == 4 ? AF_INET : AF_INET6, k, b, sizeof(b)));
		if (pl == (family == 4 ? 32 : 128))
			snprintf(want, sizeof(want), "%s", a);
		else if (pl >= 0)
			snprintf(want, sizeof(want), "%s/%d", a, pl);
		else
			snprintf(want, sizeof(want), "%s-%s", a, b);
		cidr_range_format(&r, family, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_merge_model),
		cmocka_unit_test(test_subtract_model),
		cmocka_unit_test(test_subtract_hole),
		cmocka_unit_test(test_prefix_of_and_overlapping),
		cmocka_unit_test(test_sort_stable),
		cmocka_unit_test(test_format_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
