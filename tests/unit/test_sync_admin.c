// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_admin: durations, the newest decision winning, the master list round trip, the lock. */
#include <errno.h>
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
#include "state.h"

static struct cidr_range range(const char *s, int *family)
{
	struct cidr_range r;
	char err[128];

	assert_int_equal(cidr_parse(s, family, &r, err, sizeof(err)), CIDR_OK);
	return r;
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		int64_t secs;
	} good[] = {{"90s", 90},    {"30m", 1800},   {"12h", 43200},
		    {"7d", 604800}, {"2w", 1209600}, {"forever", 0}};
	static const char *const bad[] = {"",	     "s",  "10",   "-5m",   "05m",
					  "1y",	     "0s", "1.5h", "3651d", "99999999999999999999s",
					  "forever!"};
	const char *err;
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(admin_parse_duration(good[i].s, &v, &err), 0);
		assert_int_equal(v, good[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(admin_parse_duration(bad[i], &v, &err), -1);
		assert_non_null(err);
	}
}

/* unblock inside a block keeps the block; a later block over the unblock replaces it. */
static void test_newest_wins(void **state)
{
	struct admin_list l = {0};
	struct cidr_range net, host;
	struct cidr_set s;
	int f4, f;

	net = range("198.51.100.0/24", &f4);
	host = range("198.51.100.10", &f);
	assert_int_equal(admin_set(&l, ADMIN_BLOCK, f4, &net, 100, 0, "run"), 0);
	assert_int_equal(admin_set(&l, ADMIN_UNBLOCK, f, &host, 101, 700, "fp"), 0);
	assert_int_equal(l.n, 2);
	assert_non_null(admin_covering(&l, ADMIN_BLOCK, 4, &host.first, 200));
	assert_non_null(admin_covering(&l, ADMIN_UNBLOCK, 4, &host.first, 200));
	/* Expired: no longer in force. */
	assert_null(admin_covering(&l, ADMIN_UNBLOCK, 4, &host.first, 700));
	assert_int_equal(admin_set(&l, ADMIN_BLOCK, f4, &net, 102, 0, "again"), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].reason, "again");
	cidr_set_init(&s, 4);
	assert_int_equal(admin_ranges(&l, ADMIN_BLOCK, 4, 200, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(admin_ranges(&l, ADMIN_BLOCK, 6, 200, &s), 0);
	assert_int_equal(s.n, 1);
	cidr_set_free(&s);
	/* A reason cannot break the line-based file. */
	assert_int_equal(admin_set(&l, ADMIN_BLOCK, f, &host, 1, 0, "two\nlines"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(admin_remove(&l, ADMIN_BLOCK, f4, &net), 1);
	assert_int_equal(l.n, 0);
	assert_int_equal(admin_set(&l, ADMIN_UNBLOCK, f, &host, 1, 5, ""), 0);
	assert_int_equal(admin_prune(&l, 10), 1);
	admin_free(&l);
}

/* The admin lines survive a save and load next to the bans, and a cut file is refused. */
static void test_round_trip(void **state)
{
	char dir[] = "/tmp/test_sync_admin.XXXXXX";
	char path[128], cut[160], err[512];
	struct state a, b;
	struct cidr_range r;
	int f, lock, lock2;
	FILE *fp;
	long size;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	state_init(&a);
	r = range("2001:db8:bad::/48", &f);
	assert_int_equal(admin_set(&a.admin, ADMIN_BLOCK, f, &r, 1000, 0, "from abuse@ report #7"),
			 0);
	r = range("198.51.100.20", &f);
	assert_int_equal(admin_set(&a.admin, ADMIN_ALLOW, f, &r, 1001, 9000, ""), 0);
	assert_non_null(state_hit(
		&a, 4, &r.first, 0, 1000,
		&(struct state_policy){
			.bantime = 86400, .banmax = 86400, .factor = 4, .forget = 86400}));
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	state_init(&b);
	assert_int_equal(state_load(&b, path, err, sizeof(err)), 0);
	assert_int_equal(b.admin.n, 2);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.admin.e[0].kind, ADMIN_BLOCK);
	assert_int_equal(b.admin.e[0].family, 6);
	assert_string_equal(b.admin.e[0].reason, "from abuse@ report #7");
	assert_int_equal(b.admin.e[1].expires, 9000);
	state_free(&b);

	/* state_reload_admin takes the file's admin lines and leaves the rest alone. */
	state_init(&b);
	assert_int_equal(state_reload_admin(&b, path, err, sizeof(err)), 0);
	assert_int_equal(b.admin.n, 2);
	assert_int_equal(b.n, 0);
	state_free(&b);

	/* Cut before the end line: refused, not half-loaded. */
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fclose(fp);
	assert_int_equal(truncate(path, size - 6), 0);
	state_init(&b);
	assert_int_equal(state_load(&b, path, err, sizeof(err)), -1);
	state_free(&b);

	/* One writer at a time. */
	lock = admin_lock(path, 0);
	assert_true(lock >= 0);
	lock2 = admin_lock(path, 100);
	assert_int_equal(lock2, -1);
	assert_int_equal(errno, ETIMEDOUT);
	admin_unlock(lock);
	lock2 = admin_lock(path, 0);
	assert_true(lock2 >= 0);
	admin_unlock(lock2);

	state_free(&a);
	snprintf(cut, sizeof(cut), "rm -rf %s", dir);
	assert_int_equal(system(cut), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_newest_wins),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
