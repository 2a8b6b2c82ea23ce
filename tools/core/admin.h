/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin's entries in nftarpit-sync's master list: block, unblock, allow; the file lock. */
#ifndef NFTARPIT_ADMIN_H
#define NFTARPIT_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"

enum admin_kind {
	ADMIN_BLOCK,   /* in the blocklist, whatever the sources say */
	ADMIN_UNBLOCK, /* out of the blocklist; log hits ignored until it expires */
	ADMIN_ALLOW,   /* in the allowlist set: the ruleset never tarpits it */
	ADMIN_KINDS,
};

#define ADMIN_REASON_MAX 128

/*
 * One admin decision on a range, a line "admin KIND RANGE added= expires= reason=TEXT" of
 * the master list. Times are seconds since the epoch; expires 0 = never.
 */
struct admin_entry {
	enum admin_kind kind;
	int family;
	struct cidr_range r;
	int64_t added;
	int64_t expires;
	bool has_seen;	       /* a single address was blocked and widened to r */
	struct cidr_addr seen; /* that address ("seen=" in the line) */
	char reason[ADMIN_REASON_MAX];
};

/* The entries of a master list; part of struct state. */
struct admin_list {
	size_t n;
	size_t cap;
	struct admin_entry *e;
};

const char *admin_kind_name(enum admin_kind k);

/* Whether e is in force at now. */
bool admin_active(const struct admin_entry *e, int64_t now);

/*
 * Record a decision on range r: entries of the other kinds that lie inside r are dropped
 * (the newer decision wins there), one of the same kind on the same range is replaced.
 * Reasons with control characters are refused (the file is line-based). 0 or -1 (errno
 * EINVAL or ENOMEM).
 */
int admin_set(struct admin_list *l, enum admin_kind kind, int family, const struct cidr_range *r,
	      int64_t now, int64_t expires, const char *reason);
/* admin_set() of range r asked for as the single address seen (NULL: as r itself). */
int admin_set_seen(struct admin_list *l, enum admin_kind kind, int family,
		   const struct cidr_range *r, const struct cidr_addr *seen, int64_t now,
		   int64_t expires, const char *reason);

/* Drop the entries of kind on exactly r; how many went. */
size_t admin_remove(struct admin_list *l, enum admin_kind kind, int family,
		    const struct cidr_range *r);

/* Drop the entries that have expired at now; how many went. */
size_t admin_prune(struct admin_list *l, int64_t now);

/* Add the ranges of the active entries of kind and family to s (not merged). 0 or -1. */
int admin_ranges(const struct admin_list *l, enum admin_kind kind, int family, int64_t now,
		 struct cidr_set *s);

/* The first active entry of kind covering a, or NULL. */
const struct admin_entry *admin_covering(const struct admin_list *l, enum admin_kind kind,
					 int family, const struct cidr_addr *a, int64_t now);

/* Parse the text after "admin " (modified in place); 0 or -1. */
int admin_parse_line(struct admin_list *l, char *p);
/* Write every entry as an "admin ..." line. */
void admin_write(FILE *f, const struct admin_list *l);

void admin_free(struct admin_list *l);

/*
 * "90s", "30m", "12h", "7d", "2w" into seconds, "forever" into 0. Strict: one unit, no
 * sign, no leading zero, at most ten years. 0, or -1 with the reason in *err.
 */
int admin_parse_duration(const char *s, int64_t *out, const char **err);

/*
 * Serialise master list writers: nftarpit-sync and nftarpitctl take an exclusive flock on
 * PATH.lock around load-modify-save, so neither loses the other's change. Waits up to
 * wait_ms. Returns the lock's fd, or -1 with errno (ETIMEDOUT when busy).
 */
int admin_lock(const char *state_path, int wait_ms);

/*
 * Run as root, give path the owner and group of its directory. nftarpit-sync.service runs
 * as a dynamic user owning /var/lib/nftarpit; a master list, lock or snapshot that root's
 * nftarpitctl wrote must stay readable and replaceable by it.
 */
void admin_unlock(int fd);

#endif
