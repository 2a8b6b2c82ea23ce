// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/listset: the set table agrees with itself, and each blocklist range lands in its set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"
#include "listset.h"

/* The table: every name found again, one set per role, kind and family. */
static void test_table(void **unused)
{
	int i;

	(void)unused;
	for (i = 0; i < LISTSET_COUNT; i++)
		assert_int_equal(listset_find(listsets[i].name), i);
	assert_int_equal(listset_find("blocklist4"), -1);
	assert_int_equal(listset_of(LISTSET_BLOCK, LISTSET_HOSTS, 4), LISTSET_BLOCKHOST4);
	assert_int_equal(listset_of(LISTSET_BLOCK, LISTSET_RANGES, 6), LISTSET_BLOCKNET6);
	assert_int_equal(listset_of(LISTSET_ALLOW, LISTSET_RANGES, 6), LISTSET_ALLOW6);
	for (i = 0; i < LISTSET_COUNT; i++) {
		/* Host sets hold blocklist addresses with timeouts; allowlists never expire. */
		if (listsets[i].kind == LISTSET_HOSTS)
			assert_int_equal(listsets[i].role, LISTSET_BLOCK);
		assert_int_equal(listsets[i].timeout, listsets[i].role == LISTSET_BLOCK);
	}
}

/* "ADDR[@TAG] ..." into s. */
static void parse(struct cidr_set *s, const char *text)
{
	char buf[1024], err[128], *tok, *next, *at;
	struct cidr_range r;
	int family;

	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = buf; tok != NULL && *tok != '\0'; tok = next) {
		next = strchr(tok, ' ');
		if (next != NULL)
			*next++ = '\0';
		at = strchr(tok, '@');
		if (at != NULL)
			*at = '\0';
		assert_true(cidr_parse(tok, &family, &r, err, sizeof(err)) >= 0);
		r.tag = at != NULL ? strtoull(at + 1, NULL, 10) : 0;
		assert_int_equal(cidr_set_add(s, &r), 0);
	}
}

static void text(const struct cidr_set *s, char *out, size_t len)
{
	char one[CIDR_TEXT_MAX];
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < s->n && used < len; i++) {
		cidr_range_format(&s->r[i], s->family, one, sizeof(one));
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "", one);
		if (s->r[i].tag != 0 && used < len)
			used += (size_t)snprintf(out + used, len - used, "@%llu",
						 (unsigned long long)s->r[i].tag);
	}
}

struct layout_case {
	const char *what;
	const char *raw;
	const char *cut; /* NULL: none */
	const char *hosts;
	const char *nets;
};

static const struct layout_case layout_cases[] = {
	{"single addresses are hosts, the rest ranges", "192.0.2.7 198.51.100.0/24 192.0.2.1@50",
	 NULL, "192.0.2.1@50 192.0.2.7", "198.51.100.0/24"},
	{"neighbours with the same expiry stay separate hosts", "192.0.2.1@50 192.0.2.2@50", NULL,
	 "192.0.2.1@50 192.0.2.2@50", ""},
	{"the same address twice keeps its longest ban", "192.0.2.1@50 192.0.2.1@90 192.0.2.1@70",
	 NULL, "192.0.2.1@90", ""},
	{"forever is the longest ban", "192.0.2.1@50 192.0.2.1", NULL, "192.0.2.1", ""},
	{"a host inside a listed range stays out of the hosts", "198.51.100.0/24 198.51.100.7@50",
	 NULL, "", "198.51.100.0/24"},
	{"a host outlasting the range around it keeps its element",
	 "198.51.100.0/24@40 198.51.100.7@50 198.51.100.8@30", NULL, "198.51.100.7@50",
	 "198.51.100.0/24@40"},
	{"an allowlist splitting a range leaves ranges and hosts", "192.0.2.8/29",
	 "192.0.2.9-192.0.2.10 192.0.2.12", "192.0.2.8 192.0.2.11", "192.0.2.13-192.0.2.15"},
	{"cut hosts are gone", "192.0.2.1 192.0.2.2@9", "192.0.2.2", "192.0.2.1", ""},
	{"overlapping ranges of different expiry: a one-address piece is a host",
	 "192.0.2.0/30@10 192.0.2.1-192.0.2.3@20", NULL, "192.0.2.0@10", "192.0.2.1-192.0.2.3@20"},
	{"adjacent ranges of one expiry merge", "192.0.2.0/25@10 192.0.2.128/25@10", NULL, "",
	 "192.0.2.0/24@10"},
};

/* Each case through listset_layout() (take 0) and listset_layout_take() (take 1). */
static void test_layout(void **unused)
{
	struct cidr_set raw, cut, hosts, nets;
	char got[1024];
	size_t i;
	int take;

	(void)unused;
	for (i = 0; i < 2 * sizeof(layout_cases) / sizeof(layout_cases[0]); i++) {
		const struct layout_case *c = &layout_cases[i / 2];

		take = (int)(i % 2);

		cidr_set_init(&raw, 4);
		cidr_set_init(&cut, 4);
		cidr_set_init(&hosts, 4);
		cidr_set_init(&nets, 4);
		parse(&raw, c->raw);
		if (c->cut != NULL) {
			parse(&cut, c->cut);
			assert_int_equal(cidr_set_merge(&cut), 0);
		}
		if (take)
			assert_int_equal(listset_layout_take(&raw, c->cut != NULL ? &cut : NULL,
							     &hosts, &nets),
					 0);
		else
			assert_int_equal(
				listset_layout(&raw, c->cut != NULL ? &cut : NULL, &hosts, &nets),
				0);
		/* take: raw's array went to hosts, nothing of it is left in raw. */
		if (take)
			assert_int_equal(raw.n, 0);
		text(&hosts, got, sizeof(got));
		if (strcmp(got, c->hosts) != 0)
			fail_msg("%s (take %d): hosts [%s], want [%s]", c->what, take, got,
				 c->hosts);
		text(&nets, got, sizeof(got));
		if (strcmp(got, c->nets) != 0)
			fail_msg("%s (take %d): nets [%s], want [%s]", c->what, take, got, c->nets);
		cidr_set_free(&raw);
		cidr_set_free(&cut);
		cidr_set_free(&hosts);
		cidr_set_free(&nets);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
