// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The master list's index against a chosen colliding set (issue 13): N IPv6 addresses
 * that all fell into one slot of the unkeyed hash nftarpit-sync used before, against N
 * random ones, inserted through state_hit() in the same run (random, colliding, random:
 * the colliding time is compared with the mean of the two random ones). Prints the times,
 * the probe counts and the ratio; the construction gives at most 32,768 distinct addresses.
 *   state_hash [N]   (default 32768)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "reason.h"
#include "state.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static struct cidr_addr addr_of(size_t i, int colliding, uint64_t *x)
{
	struct cidr_addr a;

	if (colliding) {
		/* Top 64 bits differing only above bit 49: one slot of the old hash. */
		a.hi = (uint64_t)i << 49;
		a.lo = 1;
	} else {
		a.hi = splitmix(x);
		a.lo = splitmix(x);
	}
	return a;
}

/*
 * The baseline: the index as it was before issue 13 (unkeyed multiply-xorshift, linear
 * probing at half load), on the same addresses. The time in ms, the probes in *probes.
 */
static double run_unkeyed(size_t n, int colliding, uint64_t *probes)
{
	size_t cap = 64, i, h;
	struct cidr_addr *keys, a;
	uint32_t *index;
	uint64_t x = 1, v;
	double t0, t;

	while (cap < 2 * n)
		cap *= 2;
	keys = calloc(n, sizeof(*keys));
	index = calloc(cap, sizeof(*index));
	if (keys == NULL || index == NULL) {
		perror("calloc");
		exit(1);
	}
	*probes = 0;
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		a = addr_of(i, colliding, &x);
		v = a.lo * 0x9e3779b97f4a7c15ull ^ (a.hi + 6) * 0xc2b2ae3d27d4eb4full;
		v ^= v >> 29;
		h = (size_t)(v & (cap - 1));
		(*probes)++;
		while (index[h] != 0) {
			if (keys[index[h] - 1].hi == a.hi && keys[index[h] - 1].lo == a.lo)
				break;
			h = (h + 1) & (cap - 1);
			(*probes)++;
		}
		keys[i] = a;
		index[h] = (uint32_t)(i + 1);
	}
	t = now_ms() - t0;
	free(keys);
	free(index);
	return t;
}

/* Insert n addresses (colliding or random); the time in ms, the probes in *probes. */
static double run(size_t n, int colliding, uint64_t *probes)
{
	struct state_policy p;
	struct state st;
	struct cidr_addr a;
	uint64_t x = 1;
	double t0, t;
	size_t i;

	state_policy_default(&p);
	/* The addresses themselves are the keys, as when this was measured (before /64 bans). */
	p.widen.ban_prefix6 = 128;
	state_init(&st);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		a = addr_of(i, colliding, &x);
		if (state_hit(&st, 6, &a, REASON_RBL, 1000, &p) == NULL) {
			perror("state_hit");
			exit(1);
		}
	}
	t = now_ms() - t0;
	*probes = st.probes;
	state_free(&st);
	return t;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 32768;
	uint64_t pc, pr, uc, ur;
	double tc, tr, tuc, tur;

	if (n == 0 || n > 32768) {
		fprintf(stderr, "usage: state_hash [N], 1..32768\n");
		return 2;
	}
	tr = run(n, 0, &pr);
	tc = run(n, 1, &pc);
	tr = (tr + run(n, 0, &pr)) / 2;
	tur = run_unkeyed(n, 0, &ur);
	tuc = run_unkeyed(n, 1, &uc);
	printf("keyed:   n=%zu colliding_ms=%.2f random_ms=%.2f ratio=%.2f colliding_probes=%llu "
	       "random_probes=%llu\n",
	       n, tc, tr, tc / tr, (unsigned long long)pc, (unsigned long long)pr);
	printf("unkeyed: n=%zu colliding_ms=%.2f random_ms=%.2f ratio=%.0f colliding_probes=%llu "
	       "random_probes=%llu\n",
	       n, tuc, tur, tuc / tur, (unsigned long long)uc, (unsigned long long)ur);
	return 0;
}
