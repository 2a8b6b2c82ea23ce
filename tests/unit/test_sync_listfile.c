// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_listfile: the lists as nft text for nftarpit.nft's include. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "listfile.h"
#include "ruleset.h"
#include "sync_conf.h"

#define NOW 1800000000

static void add(struct cidr_set *s, const char *text, uint64_t tag)
{
	struct cidr_range r;
	char err[128];
	int family;

	assert_int_equal(cidr_parse(text, &family, &r, err, sizeof(err)), CIDR_OK);
	r.tag = tag;
	assert_int_equal(cidr_set_add(s, &r), 0);
}

static char *format(const struct cidr_set sets[LISTSET_COUNT])
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(listfile_format(f, sets, NOW), 0);
	fclose(f);
	return buf;
}

/*
 * Every set flushed, then its ranges: a single address bare, a prefix as a prefix, other
 * ranges as FIRST-LAST, an expiring one with its remaining time, an expired one left out.
 */
static void test_format(void **unused)
{
	struct cidr_set sets[LISTSET_COUNT];
	const char *body;
	char *out;
	int i;

	(void)unused;
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_init(&sets[i], listsets[i].family);
	add(&sets[LISTSET_BLOCKHOST4], "198.51.100.7", NOW + 3600);
	add(&sets[LISTSET_BLOCKHOST4], "198.51.100.8", NOW);
	add(&sets[LISTSET_BLOCKNET4], "203.0.113.0/24", 0);
	add(&sets[LISTSET_BLOCKNET4], "203.0.114.5-203.0.114.9", 0);
	add(&sets[LISTSET_BLOCKNET6], "2001:db8:bad::/48", 0);
	add(&sets[LISTSET_ALLOW4], "198.51.100.66", 0);
	out = format(sets);
	body = strstr(out, "flush set");
	assert_non_null(body);
	assert_string_equal(body,
			    "flush set inet nftarpit blockhost4\n"
			    "add element inet nftarpit blockhost4 { 198.51.100.7 timeout 3600s }\n"
			    "flush set inet nftarpit blocknet4\n"
			    "add element inet nftarpit blocknet4 { "
			    "203.0.113.0/24, 203.0.114.5-203.0.114.9 }\n"
			    "flush set inet nftarpit blockhost6\n"
			    "flush set inet nftarpit blocknet6\n"
			    "add element inet nftarpit blocknet6 { 2001:db8:bad::/48 }\n"
			    "flush set inet nftarpit allowlist4\n"
			    "add element inet nftarpit allowlist4 { 198.51.100.66 }\n"
			    "flush set inet nftarpit allowlist6\n");
	free(out);
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_free(&sets[i]);
}

/* Big sets go out in statements of LISTFILE_CHUNK elements, none lost. */
static void test_chunks(void **unused)
{
	struct cidr_set sets[LISTSET_COUNT];
	struct cidr_range r;
	size_t n = 0, adds = 0;
	char *out, *p;
	int i;

	(void)unused;
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_init(&sets[i], listsets[i].family);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < LISTFILE_CHUNK + 1; i++) {
		r.first.lo = 0xc6120000u + 2u * (unsigned int)i; /* 198.18.0.0/15, every other */
		r.last = r.first;
		assert_int_equal(cidr_set_add(&sets[0], &r), 0);
	}
	out = format(sets);
	for (p = out; (p = strstr(p, "add element")) != NULL; p++)
		adds++;
	for (p = out; (p = strstr(p, "198.")) != NULL; p++)
		n++;
	assert_int_equal(adds, 2);
	assert_int_equal(n, LISTFILE_CHUNK + 1);
	free(out);
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_free(&sets[i]);
}

/* The sync writes, by default, exactly the file nftarpit.nft includes; lists_nft moves it. */
static void test_default_path(void **unused)
{
	static struct sync_conf c;
	char path[PATH_MAX];

	(void)unused;
	sync_conf_defaults(&c);
	sync_conf_lists_nft(&c, path, sizeof(path));
	assert_string_equal(path, RULESET_LISTS_DEFAULT);
	assert_null(sync_conf_set(&c, "state", "/srv/nftarpit/master"));
	sync_conf_lists_nft(&c, path, sizeof(path));
	assert_string_equal(path, "/srv/nftarpit/lists.nft");
	assert_null(sync_conf_set(&c, "lists_nft", "none"));
	sync_conf_lists_nft(&c, path, sizeof(path));
	assert_string_equal(path, "");
	assert_non_null(sync_conf_set(&c, "lists_nft", "relative.nft"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_default_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
