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

#include "reason.h"
#include "state.h"

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
	e = state_hit(&st, 4, &a, REASON_RBL, 1000, &p);
	assert_non_null(e);
	assert_int_equal(e->expires, 1000 + 86400);
	/* More hits during the ban: same episode, ban runs from the latest hit. */
	e = state_hit(&st, 4, &a, REASON_PREGREET, 2000, &p);
	assert_int_equal(e->bans, 1);
	assert_int_equal(e->hits, 2);
	assert_int_equal(e->expires, 2000 + 86400);
	assert_int_equal(e->sources, (1u << REASON_RBL) | (1u << REASON_PREGREET));
	/* Back after expiry: a repeat offender, banned four times as long. */
	e = state_hit(&st, 4, &a, REASON_RBL, 200000, &p);
	assert_int_equal(e->bans, 2);
	assert_int_equal(e->expires, 200000 + 4 * 86400);
	e = state_hit(&st, 4, &a, REASON_RBL, 2000000, &p);
	e = state_hit(&st, 4, &a, REASON_RBL, 20000000, &p);
	assert_int_equal(e->bans, 4);
	assert_int_equal(e->expires, 20000000 + 30 * 86400);
	assert_int_equal(st.n, 1);
	/* Forgotten only when expired and quiet for the forget period. */
	assert_int_equal(state_forget(&st, 20000000 + 31 * 86400, &p, &gone), 0);
	assert_int_equal(gone, 0);
	assert_int_equal(state_forget(&st, 20000000 + 91 * 86400, &p, &gone), 0);
	assert_int_equal(gone, 1);
	assert_null(state_find(&st, 4, &a, 32));
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
		assert_non_null(state_hit(st, 4, &a, i % REASON_N, 1000 + i, &p));
	}
	a.hi = 0x20010db800000bad;
	a.lo = 0x10;
	assert_non_null(state_hit(st, 6, &a, REASON_AMAVIS, 5000, &p));
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
	assert_non_null(state_find(&b, 4, &a.e[7].addr, 32));
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

static struct cidr_addr addr(const char *text)
{
	struct cidr_addr a;
	int f;

	assert_int_equal(cidr_parse_addr(text, &f, &a), 0);
	return a;
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A hit bans its prefix: the next address of the /64 is the same offender, seen anew. */
static void test_prefix_bans(void **state)
{
	struct state st;
	struct state_policy p;
	struct cidr_addr a = addr("2001:db8:c::2"), b = addr("2001:db8:c::ffff");
	struct cidr_addr c = addr("2001:db8:c:1::2"), v4 = addr("198.51.100.7");
	struct cidr_range r;
	struct state_entry *e;
	size_t i = 0;
	char text[CIDR_TEXT_MAX];

	state_policy_default(&p);
	state_init(&st);
	e = state_hit(&st, 6, &a, REASON_DNSBL, 1000, &p);
	assert_int_equal(e->prefix, 64);
	e = state_hit(&st, 6, &b, REASON_RBL, 1100, &p);
	assert_int_equal(st.n, 1);
	assert_int_equal(e->hits, 2);
	assert_int_equal(e->bans, 1);
	assert_memory_equal(&e->seen, &b, sizeof(b));
	r = state_entry_range(e);
	cidr_range_format(&r, 6, text, sizeof(text));
	assert_string_equal(text, "2001:db8:c::/64");
	/* An older hit read late does not replace the latest address seen. */
	e = state_hit(&st, 6, &a, REASON_RBL, 1050, &p);
	assert_memory_equal(&e->seen, &b, sizeof(b));
	assert_non_null(state_hit(&st, 6, &c, REASON_DNSBL, 1200, &p));
	assert_int_equal(st.n, 2);
	assert_non_null(state_covering(&st, 6, &b, &i));
	assert_null(state_covering(&st, 6, &b, &i));
	e = state_hit(&st, 4, &v4, REASON_RBL, 1000, &p);
	assert_int_equal(e->prefix, 32);
	p.widen.ban_prefix4 = 24;
	v4 = addr("198.51.100.9");
	e = state_hit(&st, 4, &v4, REASON_RBL, 1000, &p);
	assert_int_equal(e->prefix, 24);
	assert_int_equal(st.n, 4);
	state_free(&st);
}

/* Version 1 files (single addresses) still load; what is saved is version 2. */
static void test_version1(void **state)
{
	struct state a, b;
	char err[512];
	size_t i;

	write_file("# nftarpit-sync state 1\n"
		   "file dev=1 ino=2 off=3 head=4 path=/var/log/mail.log\n"
		   "ban 198.51.100.7 first=10 last=20 expires=90000 hits=2 bans=1 src=rbl\n"
		   "ban 2001:db8:c::2 first=10 last=30 expires=90000 hits=1 bans=1 src=dnsbl\n"
		   "admin block 203.0.113.0/24 added=5 expires=0 reason=x\n"
		   "end 2\n");
	state_init(&a);
	if (state_load(&a, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.e[1].prefix, 128);
	assert_memory_equal(&a.e[1].seen, &a.e[1].addr, sizeof(a.e[1].addr));
	assert_non_null(state_find(&a, 6, &a.e[1].addr, 128));
	assert_int_equal(a.admin.n, 1);
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	state_init(&b);
	if (state_load(&b, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(b.n, 2);
	for (i = 0; i < a.n; i++)
		assert_memory_equal(&a.e[i], &b.e[i], sizeof(a.e[i]));
	state_free(&a);
	state_free(&b);

	/* Refused: a prefix in version 1, a seen address outside its prefix, host bits. */
	write_file("# nftarpit-sync state 1\n"
		   "ban 2001:db8:c::/64 first=10 last=30 expires=90000 hits=1 bans=1 src=dnsbl\n"
		   "end 1\n");
	state_init(&a);
	assert_int_equal(state_load(&a, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: bad or duplicate ban line"));
	state_free(&a);
	write_file("# nftarpit-sync state 2\n"
		   "ban 2001:db8:c::/64 seen=2001:db8:d::2 first=10 last=30 expires=90000 hits=1 "
		   "bans=1 src=dnsbl\n"
		   "end 1\n");
	state_init(&a);
	assert_int_equal(state_load(&a, path, err, sizeof(err)), -1);
	state_free(&a);
	write_file("# nftarpit-sync state 2\n"
		   "ban 2001:db8:c::1/64 seen=2001:db8:c::2 first=10 last=30 expires=90000 hits=1 "
		   "bans=1 src=dnsbl\n"
		   "end 1\n");
	state_init(&a);
	assert_int_equal(state_load(&a, path, err, sizeof(err)), -1);
	state_free(&a);
	/* Version 1 knows no escalations. */
	write_file("# nftarpit-sync state 1\n"
		   "escalate 2001:db8:c::/48 since=1 expires=2 units=3\n"
		   "end 0\n");
	state_init(&a);
	assert_int_equal(state_load(&a, path, err, sizeof(err)), -1);
	state_free(&a);
}

static int fresh_calls;

static void on_fresh(const struct widen_esc *e, void *arg)
{
	fresh_calls++;
	assert_int_equal(e->len, 48);
}

/* Escalations are kept in the master list with their start, and round-trip. */
static void test_escalation_kept(void **state)
{
	struct state a, b;
	struct state_policy p;
	struct cidr_addr x;
	struct state_ban_counts c;
	char err[512];
	const char *const hits[] = {"2001:db8:c::2", "2001:db8:c:1::2", "2001:db8:c:2::2"};
	size_t i;

	state_policy_default(&p);
	state_init(&a);
	for (i = 0; i < 3; i++) {
		x = addr(hits[i]);
		assert_non_null(state_hit(&a, 6, &x, REASON_DNSBL, 1000 + (int64_t)i, &p));
		assert_int_equal(state_escalate(&a, 1000 + (int64_t)i, &p.widen, on_fresh, NULL),
				 0);
	}
	assert_int_equal(fresh_calls, 1);
	assert_int_equal(a.nesc, 1);
	assert_int_equal(a.esc[0].since, 1002);
	assert_int_equal(a.esc[0].units, 3);
	/* The third-latest unit's expiry: the first hit's ban. */
	assert_int_equal(a.esc[0].expires, 1000 + 86400);
	/* Recomputed later: the same escalation, since kept, not fresh again. */
	assert_int_equal(state_escalate(&a, 5000, &p.widen, on_fresh, NULL), 0);
	assert_int_equal(fresh_calls, 1);
	assert_int_equal(a.esc[0].since, 1002);
	state_count_bans(&a, 5000, &c);
	assert_int_equal(c.n[1][64][STATE_BAN_LOG], 3);
	assert_int_equal(c.n[1][48][STATE_BAN_ESCALATED], 1);
	assert_int_equal(state_save(&a, path, err, sizeof(err)), 0);
	state_init(&b);
	if (state_load(&b, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(b.nesc, 1);
	assert_memory_equal(&a.esc[0], &b.esc[0], sizeof(a.esc[0]));
	/* Once the first ban ends, two are left: the escalation goes. */
	assert_int_equal(state_escalate(&b, 1000 + 86400, &p.widen, NULL, NULL), 0);
	assert_int_equal(b.nesc, 0);
	state_free(&a);
	state_free(&b);
}

static int count_fresh(const struct widen_esc *e, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static void on_fresh_count(const struct widen_esc *e, void *arg)
{
	(void)count_fresh(e, arg);
}

/*
 * Whether the escalations of a in force at now are those of b, since included (units is
 * the count when last computed, so it may lag in a).
 */
static void same_escalations(const struct state *a, const struct state *b, int64_t now)
{
	size_t i, k, na = 0, nb = 0;

	for (i = 0; i < a->nesc; i++) {
		if (a->esc[i].expires <= now)
			continue;
		na++;
		for (k = 0; k < b->nesc; k++)
			if (a->esc[i].family == b->esc[k].family &&
			    a->esc[i].len == b->esc[k].len &&
			    cidr_addr_cmp(&a->esc[i].first, &b->esc[k].first) == 0 &&
			    a->esc[i].since == b->esc[k].since &&
			    a->esc[i].expires == b->esc[k].expires)
				break;
		assert_true(k < b->nesc);
	}
	for (k = 0; k < b->nesc; k++)
		nb += b->esc[k].expires > now;
	assert_int_equal(na, nb);
}

/* Follow mode's one-prefix update agrees with the full recomputation, hit after hit. */
static void test_escalate_at(void **state)
{
	struct state a, b;
	struct state_policy p;
	struct cidr_addr x;
	unsigned int fa = 0, fb = 0, i;
	int64_t now = 1000;

	srand(5);
	state_policy_default(&p);
	p.bantime = 300;
	p.factor = 1;
	state_init(&a);
	state_init(&b);
	for (i = 0; i < 3000; i++) {
		now += rand() % 60;
		x.hi = 0x20010db800000000ull | ((uint64_t)(rand() % 3) << 16) |
		       (uint64_t)(rand() % 8);
		x.lo = (uint64_t)(rand() % 3);
		assert_non_null(state_hit(&a, 6, &x, REASON_RBL, now, &p));
		assert_non_null(state_hit(&b, 6, &x, REASON_RBL, now, &p));
		assert_int_equal(state_escalate_at(&a, now, &p.widen, 6, &x, on_fresh_count, &fa),
				 0);
		assert_int_equal(state_escalate(&b, now, &p.widen, on_fresh_count, &fb), 0);
		same_escalations(&a, &b, now);
	}
	assert_int_equal(fa, fb);
	print_message("%u escalations began\n", fa);
	assert_true(fa > 10);
	state_free(&a);
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
	/* The addresses themselves are the keys here (issue 13's collision sets). */
	p.widen.ban_prefix6 = 128;
	state_init(&st);
	for (i = 0; i < n; i++) {
		a = gen(i);
		assert_non_null(state_hit(&st, 6, &a, REASON_RBL, 1000, &p));
	}
	assert_int_equal(st.n, n);
	for (i = 0; i < n; i += 97) {
		a = gen(i);
		assert_non_null(state_find(&st, 6, &a, 128));
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
		assert_non_null(state_hit(&st, 4, &a, REASON_RBL, 1000 + i, &p));
	}
	a = addr4(0xc0000264);
	errno = 0;
	assert_null(state_hit(&st, 4, &a, REASON_RBL, 1050, &p));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(st.n, 10);
	assert_null(state_find(&st, 4, &a, 32));
	/* A known address still counts its hit when the list is full. */
	a = addr4(0xc0000203);
	assert_non_null(state_hit(&st, 4, &a, REASON_RBL, 1050, &p));
	/* All expired by 2000: the entry last hit at 1000 goes, the rest stay. */
	a = addr4(0xc0000264);
	assert_non_null(state_hit(&st, 4, &a, REASON_RBL, 2000, &p));
	assert_int_equal(st.n, 10);
	assert_int_equal(st.evicted, 1);
	a = addr4(0xc0000200);
	assert_null(state_find(&st, 4, &a, 32));
	for (i = 1; i < 10; i++) {
		a = addr4(0xc0000200 + i);
		assert_non_null(state_find(&st, 4, &a, 32));
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
	p.threshold[REASON_PREGREET] = 3;
	p.window[REASON_PREGREET] = 600;
	p.bantime = 100;
	state_init(&st);
	e = state_hit(&st, 4, &a, REASON_PREGREET, 1000, &p);
	assert_true(e->expires <= 1000 && e->hits == 1 && e->bans == 0);
	e = state_hit(&st, 4, &a, REASON_PREGREET, 1100, &p);
	assert_true(e->expires <= 1100 && e->hits == 2);
	/* Over the window: the count starts again from this hit. */
	e = state_hit(&st, 4, &a, REASON_PREGREET, 2000, &p);
	assert_true(e->expires <= 2000 && e->hits == 1 && e->first == 2000);
	e = state_hit(&st, 4, &a, REASON_PREGREET, 2100, &p);
	assert_true(e->expires <= 2100);
	e = state_hit(&st, 4, &a, REASON_PREGREET, 2200, &p);
	assert_int_equal(e->expires, 2300);
	assert_int_equal(e->bans, 1);
	assert_int_equal(e->hits, 3);
	/* After the ban: one hit is a repeat offence. */
	e = state_hit(&st, 4, &a, REASON_PREGREET, 5000, &p);
	assert_true(e->expires > 5000 && e->bans == 2);
	/* Other patterns keep their threshold of 1. */
	e = state_hit(&st, 4, &b, REASON_RBL, 5000, &p);
	assert_true(e->expires > 5000 && e->bans == 1);
	state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_episodes),	cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strict_load),	cmocka_unit_test(test_crash_safety),
		cmocka_unit_test(test_prefix_bans),	cmocka_unit_test(test_version1),
		cmocka_unit_test(test_escalation_kept), cmocka_unit_test(test_escalate_at),
		cmocka_unit_test(test_hash_collisions), cmocka_unit_test(test_cap),
		cmocka_unit_test(test_threshold),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
