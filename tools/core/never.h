/* SPDX-License-Identifier: GPL-2.0-or-later */
/* never_block: the ranges no source may put in the blocklist, read from the configuration. */
#ifndef NFTARPIT_NEVER_H
#define NFTARPIT_NEVER_H

#include "cidr.h"
#include "sync_conf.h"

/*
 * The host's own addresses (every interface, the loopback ranges): never blocked, whatever
 * the configuration. own[0] and own[1] are initialised here; 0, or -1 with errno.
 */
int never_own(struct cidr_set own[2]);

/*
 * Append to never[0] (IPv4) and never[1] (IPv6) the never_block entries, the
 * never_block_file lists and, with never_block_mynetworks, Postfix's mynetworks (from
 * postconf); both merged. 0, or -1 (logged) when one of them cannot be read: a guard
 * that failed to load must stop the run, not let it block what it protects.
 */
int never_load(const struct sync_conf *c, struct cidr_set never[2]);

#endif
