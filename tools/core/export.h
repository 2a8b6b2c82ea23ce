/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Share the blocklist: a plain list and rbldnsd zones written atomically; the dry-run diff. */
#ifndef NFTARPIT_EXPORT_H
#define NFTARPIT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"

struct kset_diff;

/*
 * Write path through path.tmp: body fills the file, then fsync and rename, so a reader
 * (rbldnsd, nft -f) sees the old file or the new one, never half. 0 or -1 (logged).
 */
int export_atomic(const char *path, int (*body)(FILE *f, void *arg), void *arg);

/* One prefix per line, IPv4 then IPv6. 0 or -1 (logged). */
int export_plain(const char *path, const struct cidr_set *v4, const struct cidr_set *v6);

/*
 * rbldnsd data: path gets an ip4set zone of v4, path".v6" an ip6tset zone of v6 (rbldnsd
 * keeps the two families in different dataset types). 0 or -1 (logged).
 */
int export_rbldnsd(const char *path, const struct cidr_set *v4, const struct cidr_set *v6);

/* --dry-run: "SIGN RANGE [expires_in=Ns]" per range of s. */
void export_print_set(FILE *f, const char *sign, const struct cidr_set *s, int64_t now);

/*
 * --dry-run: "NAME: add=N delete=N keep=N refresh=N", then "- RANGE" and "+ RANGE" lines,
 * and with all every wanted range as "= RANGE".
 */
void export_print_diff(FILE *f, const char *name, const struct kset_diff *d,
		       const struct cidr_set *want, bool all, int64_t now);

#endif
