// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_restore: the lists setup puts back, from the snapshot and the master list. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.h"
#include "restore.h"
#include "snap.h"
#include "state.h"

#define NOW 1800000000

struct dir {
	char path[64];
	char state[128];
	char snap[160];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_sync_restore.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->state, sizeof(d->state), "%s/sync.state", d->path);
	snprintf(d->snap, sizeof(d->snap), "%s.applied", d->state);
}

static void dir_remove(struct dir *d)
{
	char lock[200];

	snprintf(lock, sizeof(lock), "%s.lock", d->state);
	unlink(d->state);
	unlink(d->snap);
	unlink(lock);
	assert_int_equal(rmdir(d->path), 0);
}

static struct cidr_range range(const char *s, uint64_t tag)
{
	struct cidr_range r;
	char err[128];
	int family;

	assert_int_equal(cidr_parse(s, &family, &r, err, sizeof(err)), CIDR_OK);
	r.tag = tag;
	return r;
}

static void sets_init(struct cidr_set sets[LISTSET_COUNT])
{
	int i;

	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_init(&sets[i], listsets[i].family);
}

static void sets_free(struct cidr_set sets[LISTSET_COUNT])
{
	int i;

	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_free(&sets[i]);
}

/* Set s as text, "a b c" (ranges formatted, tags as @tag when not 0). */
static void text(const struct cidr_set *s, char *out, size_t len)
{
	char one[CIDR_TEXT_MAX];
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < s->n && used < len; i++) {
		cidr_range_format(&s->r[i], s->family, one, sizeof(one));
		if (s->r[i].tag != 0)
			used += (size_t)snprintf(out + used, len - used, "%s%s@%llu", i ? " " : "",
						 one, (unsigned long long)s->r[i].tag);
		else
			used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "", one);
	}
}

/* Neither file: nothing to restore, so setup keeps the sets as they are. */
static void test_nothing(void **unused)
{
	struct cidr_set sets[LISTSET_COUNT];
	struct dir d;
	char err[256];

	(void)unused;
	dir_make(&d);
	sets_init(sets);
	assert_int_equal(restore_load(d.state, true, NOW, sets, err, sizeof(err)), 0);
	assert_int_equal(sets[0].n + sets[1].n + sets[2].n + sets[3].n, 0);
	sets_free(sets);
	dir_remove(&d);
}

/*
 * The snapshot's lists (whatever its generation, also after follow mode untrusted it), the
 * master list's active offenders on top, expired ones left out, the admin's unblock taken
 * out, the admin's allow added to the allowlist and out of the blocklist.
 */
static void test_snapshot_and_master_list(void **unused)
{
	struct cidr_set snap[LISTSET_COUNT], sets[LISTSET_COUNT];
	struct state_policy p;
	struct state st;
	struct cidr_range r;
	struct cidr_addr a;
	struct dir d;
	char err[256], got[512];
	int family;

	(void)unused;
	dir_make(&d);
	sets_init(snap);
	sets_init(sets);
	r = range("203.0.113.0/24", 0);
	assert_int_equal(cidr_set_add(&snap[LISTSET_BLOCKNET4], &r), 0);
	r = range("198.51.100.7", NOW + 600);
	assert_int_equal(cidr_set_add(&snap[LISTSET_BLOCKHOST4], &r), 0);
	r = range("198.51.100.8", NOW - 1); /* expired since the snapshot */
	assert_int_equal(cidr_set_add(&snap[LISTSET_BLOCKHOST4], &r), 0);
	/* A host inside a listed range: the range blocks it, it stays out of the hosts. */
	r = range("203.0.113.5", NOW + 600);
	assert_int_equal(cidr_set_add(&snap[LISTSET_BLOCKHOST4], &r), 0);
	r = range("2001:db8:bad::/48", 0);
	assert_int_equal(cidr_set_add(&snap[LISTSET_BLOCKNET6], &r), 0);
	r = range("198.51.100.66", 0);
	assert_int_equal(cidr_set_add(&snap[LISTSET_ALLOW4], &r), 0);
	assert_int_equal(snap_save(d.snap, 7, snap), 0);
	snap_untrust(d.snap);
	assert_int_equal(snap_load(d.snap, 7, sets), 0);

	state_init(&st);
	state_policy_default(&p);
	assert_int_equal(cidr_parse_addr("198.51.100.9", &family, &a), 0);
	assert_non_null(state_hit(&st, 4, &a, 0, NOW - 10, &p));
	assert_int_equal(cidr_parse_addr("198.51.100.10", &family, &a), 0);
	assert_non_null(state_hit(&st, 4, &a, 0, NOW - 3 * 86400, &p)); /* ban over */
	r = range("203.0.113.128/25", 0);
	assert_int_equal(admin_set(&st.admin, ADMIN_UNBLOCK, 4, &r, NOW - 5, NOW + 3600, ""), 0);
	r = range("2001:db8:bad::20", 0);
	assert_int_equal(admin_set(&st.admin, ADMIN_ALLOW, 6, &r, NOW - 5, 0, ""), 0);
	assert_int_equal(state_save(&st, d.state, err, sizeof(err)), 0);
	state_free(&st);

	assert_int_equal(restore_load(d.state, true, NOW, sets, err, sizeof(err)), 1);
	text(&sets[LISTSET_BLOCKHOST4], got, sizeof(got));
	assert_string_equal(got, "198.51.100.7@1800000600 198.51.100.9@1800086390");
	text(&sets[LISTSET_BLOCKNET4], got, sizeof(got));
	assert_string_equal(got, "203.0.113.0/25");
	text(&sets[LISTSET_BLOCKHOST6], got, sizeof(got));
	assert_string_equal(got, "");
	/* The allowlisted host splits the range: ranges on both sides, none a host here. */
	text(&sets[LISTSET_BLOCKNET6], got, sizeof(got));
	assert_string_equal(got, "2001:db8:bad::/123 "
				 "2001:db8:bad::21-2001:db8:bad:ffff:ffff:ffff:ffff:ffff");
	text(&sets[LISTSET_ALLOW4], got, sizeof(got));
	assert_string_equal(got, "198.51.100.66");
	text(&sets[LISTSET_ALLOW6], got, sizeof(got));
	assert_string_equal(got, "2001:db8:bad::20");

	/* Without kernel timeouts the offenders go in without an expiry. */
	assert_int_equal(restore_load(d.state, false, NOW, sets, err, sizeof(err)), 1);
	text(&sets[LISTSET_BLOCKHOST4], got, sizeof(got));
	assert_string_equal(got, "198.51.100.7@1800000600 198.51.100.9");
	sets_free(snap);
	sets_free(sets);
	dir_remove(&d);
}

/* A master list cut short is refused with file:line, and nothing is restored from it. */
static void test_bad_master_list(void **unused)
{
	struct cidr_set sets[LISTSET_COUNT];
	struct dir d;
	char err[256];
	FILE *f;

	(void)unused;
	dir_make(&d);
	sets_init(sets);
	f = fopen(d.state, "w");
	assert_non_null(f);
	fputs("# nftarpit-sync state 1\nban 198.51.100.9 first=1 last=1 expires=2 hits=1 bans=1 "
	      "src=rbl\n",
	      f);
	fclose(f);
	assert_int_equal(restore_load(d.state, true, NOW, sets, err, sizeof(err)), -1);
	assert_non_null(strstr(err, d.state));
	assert_int_equal(sets[0].n, 0);
	sets_free(sets);
	dir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_snapshot_and_master_list),
		cmocka_unit_test(test_bad_master_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
