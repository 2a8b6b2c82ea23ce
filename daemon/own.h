/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ownership of table inet nftarpit: claim it with our own socket, lend that socket (issue 20). */
#ifndef NFTARPIT_OWN_H
#define NFTARPIT_OWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"

struct nftx;

/*
 * nftarpitd owns the table (NFT_TABLE_F_OWNER) so that a foreign `flush ruleset` skips it
 * and nobody else changes it; the table is created persistent (NFT_TABLE_F_PERSIST, by
 * setup), so it outlives us as an orphan, which the next nftarpitd claims back. Our tools
 * change it through our socket, lent to them one at a time (ctl.c, lib/lease.h).
 */
struct own {
	struct nftx *x; /* NULL: ownership is off (own = no, or a kernel without PERSIST) */
	bool lent;
	char state[160]; /* the last state logged, so that each change is logged once */
};

/*
 * Open our netlink socket and probe the kernel for NFT_TABLE_F_PERSIST (before the
 * privileges are dropped; CAP_NET_ADMIN stays anyway). With own = no, or without PERSIST,
 * ownership stays off (logged). 0, or -1 when the socket cannot be opened (logged).
 */
int own_open(struct own *o, enum ruleset_own mode);
void own_close(struct own *o);

/*
 * Look at the table and claim it if it is an orphan. 0 when it is ours or absent (what we
 * lend may create it, owned from the start); -1 with the reason in why otherwise (not
 * persistent: include mode or an older setup; another socket's; ownership off). Logs each
 * change of state once.
 */
int own_check(struct own *o, char *why, size_t whylen);

/*
 * The socket to lend: own_check() first; the fd (ours: the caller only passes it on) and
 * its port id, or -1 with why. Until own_return() we do not touch the socket.
 */
int own_lend(struct own *o, uint32_t *portid, char *why, size_t whylen);
void own_return(struct own *o);

#endif
