/* SPDX-License-Identifier: GPL-2.0-or-later */
/* List files (plain, DROP, JSON, rbldnsd) into address sets: the blocklists, allowlists and
 * never_block_file of nftarpit-sync, and nftarpitctl's never_block check. */
#ifndef NFTARPIT_LISTREAD_H
#define NFTARPIT_LISTREAD_H

#include <stdint.h>

#include "blist.h"
#include "cidr.h"

/* What a reader found; the sync adds them to its summary line. */
struct listread_counts {
	uint64_t entries; /* list entries read */
	uint64_t bad;	  /* rejected lines */
};

/*
 * Append the ranges of a list file to v4/v6 (tag 0; unmerged); rbldnsd '!' exclusions are
 * removed from this list's own entries only. Bad lines are reported as path:line and counted.
 * 0, or -1 when the file cannot be read (a missing list must not empty the set).
 */
int listread_file(const char *path, enum blist_format fmt, struct cidr_set *v4, struct cidr_set *v6,
		  struct listread_counts *n);

/* What a blocklist file may hold (issue 13). */
struct listread_guard {
	unsigned int limit4; /* an entry broader than /limit4 is refused (0: no limit) */
	unsigned int limit6;
	const struct cidr_set *never; /* [0] IPv4, [1] IPv6, merged: never blocked */
	uint64_t refused;	      /* entries refused as too broad */
	uint64_t never_hits;	      /* entries overlapping never_block (that part left out) */
};

/*
 * listread_file() for a blocklist: entries broader than the limits are refused and
 * reported as path:line with the reason; entries overlapping never_block are reported as
 * path:line and counted (the caller takes the overlap out after merging).
 */
int listread_guarded(const char *path, enum blist_format fmt, struct cidr_set *v4,
		     struct cidr_set *v6, struct listread_counts *n, struct listread_guard *g);

#endif
