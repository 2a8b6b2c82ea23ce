/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One nftarpit-sync run (sources -> master list -> one transaction), and follow mode. */
#ifndef NFTARPIT_SYNC_H
#define NFTARPIT_SYNC_H

#include "sync_conf.h"

/* Exit codes, documented in the usage text and README. */
#define SYNC_EXIT_OK	 0 /* sets match the sources (or --dry-run printed the diff) */
#define SYNC_EXIT_ERROR	 1 /* bad options/config, unreadable list or state: nothing applied */
#define SYNC_EXIT_KERNEL 2 /* the kernel refused the transaction: the sets are unchanged */
#define SYNC_EXIT_NORULESET                                                  \
	3 /* table inet nftarpit or its sets are missing (nftarpitctl setup) \
	   */

/* Run once with c; returns one of the exit codes. With c->follow, keep going afterwards. */
int sync_main(const struct sync_conf *c);

#endif
