// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cost of IPv6 escalation in nftarpit-sync, against the merge every pass already does.
 *   build/bench/escalate N...
 * For each N: a master list of N IPv6 offenders (random /64s in 20,000 /48s, so many
 * escalate), then side by side in one process: cidr_set_merge() of the offenders' ranges
 * (the baseline), state_escalate() (a full pass), and state_escalate_at() for 1,000 hits
 * (follow mode, per hit). One line per N with the ratio escalate/merge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "reason.h"
#include "state.h"
#include "strnum.h"

static double bench_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int bench_one(size_t n)
{
	struct state st;
	struct state_policy p;
	struct cidr_set set;
	struct cidr_range x;
	struct cidr_addr a;
	struct timespec t0, t1, t2, t3;
	size_t i, hits = 1000;
	int rc = -1;

	state_policy_default(&p);
	state_init(&st);
	cidr_set_init(&set, 6);
	srand(1);
	for (i = 0; i < n; i++) {
		a.hi = 0x20010db800000000ull | ((uint64_t)(rand() % 20000) << 16) |
		       (uint64_t)(rand() % 65536);
		a.lo = (uint64_t)rand();
		if (state_hit(&st, 6, &a, REASON_RBL, 1000, &p) == NULL)
			goto out;
	}
	for (i = 0; i < st.n; i++) {
		x = state_entry_range(&st.e[i]);
		x.tag = (uint64_t)st.e[i].expires;
		if (cidr_set_add(&set, &x) < 0)
			goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cidr_set_merge(&set) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (state_escalate(&st, 1000, &p.widen, NULL, NULL) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	for (i = 0; i < hits; i++)
		if (state_escalate_at(&st, 1000, &p.widen, 6, &st.e[i % st.n].addr, NULL, NULL) < 0)
			goto out;
	clock_gettime(CLOCK_MONOTONIC, &t3);
	printf("offenders=%zu escalations=%zu merge_ms=%.1f escalate_ms=%.1f ratio=%.2f "
	       "escalate_at_ms_per_hit=%.3f\n",
	       st.n, st.nesc, bench_ms(&t0, &t1), bench_ms(&t1, &t2),
	       bench_ms(&t1, &t2) / bench_ms(&t0, &t1), bench_ms(&t2, &t3) / (double)hits);
	rc = 0;
out:
	cidr_set_free(&set);
	state_free(&st);
	return rc;
}

int main(int argc, char **argv)
{
	const char *err;
	long long n;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: escalate N...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		n = strnum_parse(argv[i], 1, 10000000, &err);
		if (err != NULL) {
			fprintf(stderr, "escalate: bad N \"%s\": %s\n", argv[i], err);
			return 2;
		}
		if (bench_one((size_t)n) < 0) {
			perror("escalate");
			return 1;
		}
	}
	return 0;
}
