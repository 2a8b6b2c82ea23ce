/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guards on what may enter the blocklist (issue 13): how broad one entry may be, what share
 * of an address family a whole run may cover, and the never_block ranges. Pure.
 */
#ifndef NFTARPIT_GUARD_H
#define NFTARPIT_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

/* The share (0 to 1) of its family's address space that merged set s covers. */
double guard_share(const struct cidr_set *s);

/* The first range of merged set s that overlaps r, or NULL. */
const struct cidr_range *guard_overlap(const struct cidr_set *s, const struct cidr_range *r);

/*
 * The literal networks of a Postfix mynetworks value ("127.0.0.0/8 [::1]/128
 * 192.0.2.0/24, [2001:db8::]/32"), appended to v4/v6. Lookup tables ("hash:/etc/x"),
 * file names and host names are not networks: they are skipped and counted in *skipped.
 * 0, or -1 (ENOMEM).
 */
int guard_mynetworks(const char *value, struct cidr_set *v4, struct cidr_set *v6,
		     unsigned int *skipped);

#endif
