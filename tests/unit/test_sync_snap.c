// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sets snapshot: saved and loaded back; a crafted file whose counts would wrap the size
 * check is refused with a clear warning; a symlink at its temporary name is never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "snap.h"

#include "warned.h"

static char dir[64];
static char path[256];
static struct cidr_set sets[LISTSET_COUNT];

static int setup(void **state)
{
	int i;

	snprintf(dir, sizeof(dir), "/tmp/test_sync_snap.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/applied", dir);
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_init(&sets[i], listsets[i].family == 4 ? AF_INET : AF_INET6);
	warned[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	char tmp[300];
	int i;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	unlink(path);
	rmdir(dir);
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_free(&sets[i]);
	return 0;
}

static void add(struct cidr_set *s, const char *text)
{
	struct cidr_range r;
	char err[128];
	int family;

	assert_int_equal(cidr_parse(text, &family, &r, err, sizeof(err)), 0);
	assert_int_equal(cidr_set_add(s, &r), 0);
}

static void test_roundtrip(void **state)
{
	add(&sets[LISTSET_BLOCKHOST4], "192.0.2.7");
	add(&sets[LISTSET_BLOCKHOST4], "192.0.2.9");
	add(&sets[LISTSET_BLOCKNET4], "192.0.2.0/24");
	add(&sets[LISTSET_BLOCKNET6], "2001:db8::/32");
	assert_int_equal(snap_save(path, 7, sets), 0);
	cidr_set_clear(&sets[LISTSET_BLOCKHOST4]);
	cidr_set_clear(&sets[LISTSET_BLOCKNET4]);
	cidr_set_clear(&sets[LISTSET_BLOCKNET6]);
	assert_int_equal(snap_load(path, 7, sets), 1);
	assert_int_equal(sets[LISTSET_BLOCKHOST4].n, 2);
	assert_int_equal(sets[LISTSET_BLOCKNET4].n, 1);
	assert_int_equal(sets[LISTSET_BLOCKNET6].n, 1);
	assert_int_equal(sets[LISTSET_ALLOW4].n, 0);
	/* Another generation: stale, nothing loaded. */
	assert_int_equal(snap_load(path, 8, sets), 0);
	assert_int_equal(sets[LISTSET_BLOCKHOST4].n, 0);
}

/*
 * A snapshot of the layout before issue 16 (four sets by position): never trusted for a
 * generation, but its content is read for setup's migration, the blocklists laid out in
 * hosts and ranges.
 */
static void test_legacy(void **state)
{
	struct {
		char magic[24];
		uint32_t gen;
		uint32_t pad;
		uint64_t n[4];
	} h;
	struct cidr_set old[4];
	struct cidr_range r;
	char err[64];
	FILE *f;
	int i, family;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, "nftarpit-sync-applied-1\n", 24);
	h.gen = 7;
	for (i = 0; i < 4; i++)
		cidr_set_init(&old[i], i % 2 == 0 ? AF_INET : AF_INET6);
	add(&old[0], "192.0.2.7");
	add(&old[0], "198.51.100.0/24");
	add(&old[2], "198.51.100.20");
	for (i = 0; i < 4; i++)
		h.n[i] = old[i].n;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(&h, sizeof(h), 1, f), 1);
	for (i = 0; i < 4; i++)
		if (old[i].n > 0)
			assert_int_equal(fwrite(old[i].r, sizeof(*old[i].r), old[i].n, f),
					 old[i].n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(snap_load(path, 7, sets), 0);
	assert_int_equal(snap_load_content(path, sets), 1);
	assert_int_equal(sets[LISTSET_BLOCKHOST4].n, 1);
	assert_int_equal(cidr_parse("192.0.2.7", &family, &r, err, sizeof(err)), 0);
	assert_int_equal(cidr_addr_cmp(&sets[LISTSET_BLOCKHOST4].r[0].first, &r.first), 0);
	assert_int_equal(sets[LISTSET_BLOCKNET4].n, 1);
	assert_int_equal(sets[LISTSET_ALLOW4].n, 1);
	for (i = 0; i < 4; i++)
		cidr_set_free(&old[i]);
}

/*
 * The header says 2^61 + 1 ranges in set 0: times the 40 bytes of a range that wraps to 40,
 * which is what the file holds after its header, so the old check passed it. Refused, by
 * name.
 */
static void test_huge_count_refused(void **state)
{
	struct {
		char magic[24];
		uint32_t gen;
		uint32_t nsets;
		struct {
			char name[32];
			uint64_t n;
		} rec[LISTSET_COUNT];
	} h;
	uint8_t range[sizeof(struct cidr_range)];
	FILE *f;
	int i;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, "nftarpit-sync-applied-2\n", 24);
	h.gen = 7;
	h.nsets = LISTSET_COUNT;
	for (i = 0; i < LISTSET_COUNT; i++)
		snprintf(h.rec[i].name, sizeof(h.rec[i].name), "%s", listsets[i].name);
	h.rec[0].n = (UINT64_C(1) << 61) + 1;
	/* The premise: the product wraps to one range's size. */
	assert_int_equal(h.rec[0].n * sizeof(struct cidr_range), sizeof(struct cidr_range));
	memset(range, 0, sizeof(range));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(&h, sizeof(h), 1, f), 1);
	assert_int_equal(fwrite(range, sizeof(range), 1, f), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(snap_load(path, 7, sets), 0);
	assert_int_equal(sets[0].n, 0);
	assert_non_null(strstr(warned, path));
	assert_non_null(strstr(warned, "claims 2305843009213693953 ranges"));
}

/* A symlink at the temporary name (the sync user's directory): refused, not followed. */
static void test_symlink_tmp(void **state)
{
	char tmp[300];
	char victim[300];
	FILE *f;
	char buf[32];

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	add(&sets[0], "192.0.2.0/24");
	assert_int_equal(snap_save(path, 7, sets), -1);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	unlink(victim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_count_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_tmp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
