/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Share the blocklist: a plain list and rbldnsd ip4set/ip6tset zones, written atomically. */
#ifndef NFTARPIT_SYNC_EXPORT_H
#define NFTARPIT_SYNC_EXPORT_H

#include "cidr.h"

/* One prefix per line, IPv4 then IPv6. 0 or -1 (logged). */
int export_plain(const char *path, const struct cidr_set *v4, const struct cidr_set *v6);

/*
 * rbldnsd data: path gets an ip4set zone of v4, path".v6" an ip6tset zone of v6 (rbldnsd
 * keeps the two families in different dataset types). 0 or -1 (logged).
 */
int export_rbldnsd(const char *path, const struct cidr_set *v4, const struct cidr_set *v6);

#endif
