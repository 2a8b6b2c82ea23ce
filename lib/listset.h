/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The list sets of table inet nftarpit: one table of names, families, kinds and roles. */
#ifndef NFTARPIT_LISTSET_H
#define NFTARPIT_LISTSET_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"

/*
 * Every program indexes the sets through this table: the ruleset (set declarations, the
 * rules that match them), nftarpit-sync, nftarpitctl's admin commands and status, the
 * snapshot file (by name) and the lists file. The order is free; nothing depends on it but
 * the enum below, which the table is checked against.
 *
 * Blocklists come in two kinds per family (issue 16): single addresses in a hash set with
 * timeouts, where adding or deleting one element costs O(1) however big the set is, and
 * ranges in an interval set with timeouts, whose commit cost grows with its size. Real
 * blocklists are mostly single addresses, so the interval set stays small. Allowlists are
 * few, rarely change and are mostly networks: one interval set per family.
 */
enum listset_id {
	LISTSET_BLOCKHOST4,
	LISTSET_BLOCKNET4,
	LISTSET_BLOCKHOST6,
	LISTSET_BLOCKNET6,
	LISTSET_ALLOW4,
	LISTSET_ALLOW6,
	LISTSET_COUNT,
};

enum listset_kind {
	LISTSET_HOSTS,	/* hash set: each element one address, no end elements */
	LISTSET_RANGES, /* interval set: start and end (last + 1) elements */
};

enum listset_role {
	LISTSET_BLOCK,
	LISTSET_ALLOW,
};

struct listset {
	const char *name;
	int family; /* 4 or 6 */
	enum listset_kind kind;
	enum listset_role role;
	bool timeout;	     /* elements may carry a timeout (flags timeout) */
	const char *comment; /* for the text ruleset, or NULL */
};

extern const struct listset listsets[LISTSET_COUNT];

/* The id of the set named name, or -1. */
int listset_find(const char *name);

/* The set of role, kind and family (allowlists: kind is ignored). */
enum listset_id listset_of(enum listset_role role, enum listset_kind kind, int family);

/*
 * Set names of the layout before issue 16 (one interval set per family for blocklists):
 * nftarpitctl setup deletes them when it finds them, in the transaction that installs
 * the new sets and fills them, and the snapshot reader maps their contents.
 */
#define LISTSET_LEGACY_N 2
extern const char *const listset_legacy[LISTSET_LEGACY_N];
/* Family of legacy set i. */
#define LISTSET_LEGACY_FAMILY(i) ((i) == 0 ? 4 : 6)

/* Whether a ban ending at outer (tag, 0 = forever) lasts at least as long as inner. */
bool listset_outlasts(uint64_t outer, uint64_t inner);

/* Sort single addresses and keep each one once, with its longest ban. */
void listset_hosts_sort(struct cidr_set *hosts);

/*
 * Where each blocklist range belongs (issue 16). raw: every wanted range of one family,
 * from any source, unsorted, tags = expiry. Single addresses go to hosts, everything else
 * to nets. Then cut (merged; may be NULL) is taken out of both, the pieces of nets that
 * shrank to one address move to hosts, and a host inside a net range that lasts at least as
 * long (tag 0: forever) is left out of hosts: the range already blocks it. Hosts are never
 * merged with their neighbours, so separately expiring offenders stay separate elements;
 * the same address twice keeps its longest ban. hosts and nets are cleared first; both come
 * out sorted and disjoint. 0 or -1 (ENOMEM).
 */
int listset_layout(const struct cidr_set *raw, const struct cidr_set *cut, struct cidr_set *hosts,
		   struct cidr_set *nets);

/*
 * listset_layout() that takes raw's array for hosts instead of copying it (the full pass:
 * a million ranges need not exist twice); raw is left empty, also on failure.
 */
int listset_layout_take(struct cidr_set *raw, const struct cidr_set *cut, struct cidr_set *hosts,
			struct cidr_set *nets);

#endif
