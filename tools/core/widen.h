/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How wide a ban is: an offender's prefix, and escalation to a wider prefix. Pure. */
#ifndef NFTARPIT_WIDEN_H
#define NFTARPIT_WIDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

/*
 * An IPv6 sender holds at least a /64 and steps through it: a log hit or an admin block
 * of one address bans its ban_prefix. When bans of escalate_count distinct ban prefixes
 * lie in one escalate_prefix, that whole prefix is banned too. All zero (a policy nobody
 * set) widens nothing and never escalates.
 */
struct widen_policy {
	unsigned int ban_prefix4;      /* 32: the address itself */
	unsigned int ban_prefix6;      /* 64 */
	unsigned int escalate_count;   /* 3; 0 = never escalate */
	unsigned int escalate_prefix4; /* 32: no IPv4 escalation unless shorter than the ban */
	unsigned int escalate_prefix6; /* 48 */
};

/* Hard limits of the configuration: no ban or escalation broader than these. */
#define WIDEN_MIN_PREFIX4 16
#define WIDEN_MIN_PREFIX6 32

/* An active ban as the escalation sees it: a prefix and its expiry. */
struct widen_ban {
	int family;
	struct cidr_addr first;
	unsigned int len;
	int64_t expires;
};

/* A prefix banned because units distinct ban prefixes inside it are banned. */
struct widen_esc {
	int family;
	struct cidr_addr first;
	unsigned int len;
	unsigned int units;
	int64_t since;	 /* first escalated (the caller keeps it across runs) */
	int64_t expires; /* when fewer than escalate_count of its units will be banned */
};

void widen_policy_default(struct widen_policy *p);

unsigned int widen_ban_len(const struct widen_policy *p, int family);
unsigned int widen_escalate_len(const struct widen_policy *p, int family);

/* Whether bans of family can escalate at all under p. */
bool widen_escalates(const struct widen_policy *p, int family);

/* The range a ban of address a covers: its ban_prefix. */
struct cidr_range widen_ban(const struct widen_policy *p, int family, const struct cidr_addr *a);

/*
 * The escalations the bans call for at now (bans with expires <= now do not count).
 * A ban counts as one unit: its ban_prefix (a narrower ban, e.g. a /128 from before
 * prefix bans, counts as its /64), or itself when it is wider than that. A ban as wide
 * as the escalation prefix or wider is no unit. An escalation lasts until fewer than
 * escalate_count units remain: its expiry is the count-th latest unit expiry. The result
 * is sorted by family and address, since = 0; *out is malloc'd (NULL when none).
 * 0, or -1 (ENOMEM).
 */
int widen_escalate(const struct widen_policy *p, const struct widen_ban *b, size_t n, int64_t now,
		   struct widen_esc **out, size_t *nout);

/* The range of an escalation (tag 0). */
struct cidr_range widen_esc_range(const struct widen_esc *e);

#endif
