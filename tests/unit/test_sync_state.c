// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sync_state: ban episodes, round trip, strict loading, crash safety of the save, the keyed
 * hash against a colliding set, and the cap on entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sync_mlog.h"
#include "sync_state.h"

int __wrap_fsync(int fd);
int __real_fsync(int fd);
static int fail_fsync;

/* fsync is where a full disk or an I/O error shows up last; make it fail on demand. */
int __wrap_fsync(int fd)
{
	if (fail_fsync) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

static char dir[] = "/tmp/test_sync_state.XXXXXX";
static char path[256];

static int setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct cidr_addr addr4(uint32_t a)
{
	struct cidr_addr x = {0, a};

	return x;
}

static void test_episodes(void **state)
{
	struct state st;
	struct state_policy p;
	struct cidr_addr a = addr4(0xc6336410);
	struct state_entry *e;
	size_t gone;

	state_policy_default(&p);
	state_init(&st);
	e = state_hit(&st, 4, &a, MLOG_RBL, 1000, &p);
	assert_non_null(e);
	assert_int_equal(e->expires, 1000 + 86400);
	/* More hits during the ban: same episode, ban runs from the latest hit. */
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 2000, &p);
	assert_int_equal(e->bans, 1);
	assert_int_equal(e->hits, 2);
	assert_int_equal(e->expires, 2000 + 86400);
	assert_int_equal(e->sources, (1u << MLOG_RBL) | (1u << MLOG_PREGREET));
	/* Back after expiry: a repeat offender, banned four times as long. */
	e = state_hit(&st, 4, &a, MLOG_RBL, 200000, &p);
	assert_int_equal(e->bans, 2);
	assert_int_equal(e->expires, 200000 + 4 * 86400);
	e = state_hit(&st, 4, &a, MLOG_RBL, 2000000, &p);
	e = state_hit(&st, 4, &a, MLOG_RBL, 20000000, &p);
	assert_int_equal(e->bans, 4);
	assert_int_equal(e->expires, 20000000 + 30 * 86400);
	assert_int_equal(st.n, 1);
	/* Forgotten only when expired and quiet for the forget period. */
	assert_int_equal(state_forget(&st, 20000000 + 31 * 86400, &p, &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(state_forget(&st, 20000000 + 91 * 86400, &p, &gone), 0);
	assert_int_equal(gone, 1);
	assert_null(state_find(&st, 4, &a));
	state_free(&st);
}

static void fill(struct state *st, unsigned int n)
{
	struct state_policy p;
	struct cidr_addr a;
	struct state_pos *pos;
	unsigned int i;

	state_policy_default(&p);
	state_init(st);
	for (i = 0; i < n; i++) {
		a = addr4(0xc6336400 + i);
		assert_non_null(state_hit(st, 4, &a, i % MLOG_NREASONS, 1000 + i, &p));
	}
	a.hi = 0x20010db800000bad;
	a.lo = 0x10;
	assert_non_null(state_hit(st, 6, &a, MLOG_AMAVIS, 5000, &p));
	pos = state_pos_get(st, "/var/log/mail.log");
	assert_non_null(pos);
	pos->dev = 2049;
	pos->ino = 1234567;
	pos->off = 987654;
	pos->head = 0xdeadbeef;
	snprintf(st->cursor, sizeof(st->cursor), "s=abc;i=1f;b=def;m=12;t=5;x=9");
}

static void test_round_trip(void **state)
{
	struct state a, b;
	char err[512];
	size_t i;

	fill(&a, 300);
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	state_init(&b);
	if (state_load(&b, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(b.n, a.n);
	for (i = 0; i < a.n; i++)
		assert_memory_equal(&a.e[i], &b.e[i], sizeof(a.e[i]));
	assert_int_equal(b.npos, 1);
	assert_memory_equal(&a.pos[0], &b.pos[0], sizeof(a.pos[0]));
	assert_string_equal(a.cursor, b.cursor);
	assert_non_null(state_find(&b, 4, &a.e[7].addr));
	state_free(&a);
	state_free(&b);
}

/* A missing file is a first run; a cut or altered one is refused with file:line. */
static void test_strict_load(void **state)
{
	struct state a, b;
	char err[512], cut[300], cmd[1024];
	struct stat sb;

	state_init(&b);
	snprintf(cut, sizeof(cut), "%s/none", dir);
	assert_int_equal(state_load(&b, cut, err, sizeof(err)), 0);
	assert_int_equal(b.n, 0);
	fill(&a, 50);
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	snprintf(cmd, sizeof(cmd), "head -c %lld %s > %s", (long long)sb.st_size / 2, path, cut);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(state_load(&b, cut, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cut short"));
	state_free(&b);
	snprintf(cmd, sizeof(cmd), "sed -i 's/^ban 198.51.100.7 /ban 198.51.100.07 /' %s; cp %s %s",
		 path, path, cut);
	assert_int_equal(system(cmd), 0);
	state_init(&b);
	assert_int_equal(state_load(&b, cut, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":11: bad or duplicate ban line"));
	state_free(&b);
	state_free(&a);
}

/* A save that fails before the rename leaves the previous state and no temporary file. */
static void test_crash_safety(void **state)
{
	struct state a, big, b;
	char err[512], cmd[1024];

	fill(&a, 10);
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	fill(&big, 5000);
	fail_fsync = 1;
	assert_int_equal(state_save(&big, path, err, sizeof(err)), -1);
	fail_fsync = 0;
	assert_non_null(strstr(err, "Input/output error"));
	state_init(&b);
	assert_int_equal(state_load(&b, path, err, sizeof(err)), 0);
	assert_int_equal(b.n, 11);
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q tmp", dir);
	assert_int_not_equal(system(cmd), 0);
	state_free(&a);
	state_free(&big);
	state_free(&b);
}

/* The index hash before issue 13: unkeyed multiply-xorshift. */
static size_t unkeyed_hash(int family, const struct cidr_addr *a, size_t cap)
{
	uint64_t h =
		a->lo * 0x9e3779b97f4a7c15ull ^ (a->hi + (uint64_t)family) * 0xc2b2ae3d27d4eb4full;

	h ^= h >> 29;
	return (size_t)(h & (cap - 1));
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define NCOLLIDE 16384

/* Index slots looked at while inserting n addresses made by gen(i). */
static uint64_t insert_probes(struct cidr_addr (*gen)(uint64_t), size_t n)
{
	struct state_policy p;
	struct state st;
	struct cidr_addr a;
	uint64_t probes;
	size_t i;

	state_policy_default(&p);
	state_init(&st);
	for (i = 0; i < n; i++) {
		a = gen(i);
		assert_non_null(state_hit(&st, 6, &a, MLOG_RBL, 1000, &p));
	}
	assert_int_equal(st.n, n);
	for (i = 0; i < n; i += 97) {
		a = gen(i);
		assert_non_null(state_find(&st, 6, &a));
	}
	probes = st.probes;
	state_free(&st);
	return probes;
}

/* IPv6 addresses whose top 64 bits differ only above bit 49: one slot of the old hash. */
static struct cidr_addr colliding(uint64_t i)
{
	struct cidr_addr a = {i << 49, 1};

	return a;
}

static struct cidr_addr random6(uint64_t i)
{
	uint64_t x = i * 2 + 1;
	struct cidr_addr a;

	a.hi = splitmix(&x);
	a.lo = splitmix(&x);
	return a;
}

/*
 * A fixed set that all lands in one slot of the unkeyed hash (checked, so the set is really
 * adversarial) costs the keyed index what random addresses cost: linear probing at half
 * load looks at about 1.5 slots per insert for both; the old hash needed n^2/2.
 */
static void test_hash_collisions(void **state)
{
	struct cidr_addr a;
	uint64_t adv, rnd;
	size_t i, slot0;

	a = colliding(0);
	slot0 = unkeyed_hash(6, &a, 2 * NCOLLIDE);
	for (i = 1; i < NCOLLIDE; i++) {
		a = colliding(i);
		assert_int_equal(unkeyed_hash(6, &a, 2 * NCOLLIDE), slot0);
	}
	adv = insert_probes(colliding, NCOLLIDE);
	rnd = insert_probes(random6, NCOLLIDE);
	print_message("probes colliding=%llu random=%llu n=%d\n", (unsigned long long)adv,
		      (unsigned long long)rnd, NCOLLIDE);
	assert_true(adv < 4 * NCOLLIDE);
	assert_true(adv < 2 * rnd);
}

/*
 * A full list: active bans stay and the newcomer is refused (ENOSPC); once bans expired,
 * the least recently hit expired entry gives way (a tenth of the cap at a time).
 */
static void test_cap(void **state)
{
	struct state_policy p;
	struct state st;
	struct cidr_addr a;
	uint32_t i;

	state_policy_default(&p);
	p.bantime = 100;
	p.max_entries = 10;
	state_init(&st);
	for (i = 0; i < 10; i++) {
		a = addr4(0xc0000200 + i);
		assert_non_null(state_hit(&st, 4, &a, MLOG_RBL, 1000 + i, &p));
	}
	a = addr4(0xc0000264);
	errno = 0;
	assert_null(state_hit(&st, 4, &a, MLOG_RBL, 1050, &p));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(st.n, 10);
	assert_null(state_find(&st, 4, &a));
	/* A known address still counts its hit when the list is full. */
	a = addr4(0xc0000203);
	assert_non_null(state_hit(&st, 4, &a, MLOG_RBL, 1050, &p));
	/* All expired by 2000: the entry last hit at 1000 goes, the rest stay. */
	a = addr4(0xc0000264);
	assert_non_null(state_hit(&st, 4, &a, MLOG_RBL, 2000, &p));
	assert_int_equal(st.n, 10);
	assert_int_equal(st.evicted, 1);
	a = addr4(0xc0000200);
	assert_null(state_find(&st, 4, &a));
	for (i = 1; i < 10; i++) {
		a = addr4(0xc0000200 + i);
		assert_non_null(state_find(&st, 4, &a));
	}
	state_free(&st);
}

/*
 * threshold = pregreet:3/10m: a first-time offender is banned at its third hit within ten
 * minutes; hits spread wider restart the count; a repeat offender is banned at once;
 * other patterns still ban at the first hit.
 */
static void test_threshold(void **state)
{
	struct state_policy p;
	struct state st;
	struct state_entry *e;
	struct cidr_addr a = addr4(0xc6336401), b = addr4(0xc6336402);

	state_policy_default(&p);
	p.threshold[MLOG_PREGREET] = 3;
	p.window[MLOG_PREGREET] = 600;
	p.bantime = 100;
	state_init(&st);
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 1000, &p);
	assert_true(e->expires <= 1000 && e->hits == 1 && e->bans == 0);
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 1100, &p);
	assert_true(e->expires <= 1100 && e->hits == 2);
	/* Over the window: the count starts again from this hit. */
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 2000, &p);
	assert_true(e->expires <= 2000 && e->hits == 1 && e->first == 2000);
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 2100, &p);
	assert_true(e->expires <= 2100);
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 2200, &p);
	assert_int_equal(e->expires, 2300);
	assert_int_equal(e->bans, 1);
	assert_int_equal(e->hits, 3);
	/* After the ban: one hit is a repeat offence. */
	e = state_hit(&st, 4, &a, MLOG_PREGREET, 5000, &p);
	assert_true(e->expires > 5000 && e->bans == 2);
	/* Other patterns keep their threshold of 1. */
	e = state_hit(&st, 4, &b, MLOG_RBL, 5000, &p);
	assert_true(e->expires > 5000 && e->bans == 1);
	state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_episodes),	cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strict_load),	cmocka_unit_test(test_crash_safety),
		cmocka_unit_test(test_hash_collisions), cmocka_unit_test(test_cap),
		cmocka_unit_test(test_threshold),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
