/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lists as nft text, for nftarpit.nft to include: a reload brings them back with it. */
#ifndef NFTARPIT_LISTFILE_H
#define NFTARPIT_LISTFILE_H

#include <stdint.h>
#include <stdio.h>

#include "cidr.h"
#include "listset.h"

/*
 * nftarpit-sync writes it beside its master list (sync_conf_lists_nft()); nftarpit.nft
 * includes RULESET_LISTS_DEFAULT, the same place for the default master list.
 */

/*
 * For each list set (lib/listset): "flush set inet nftarpit NAME", then its ranges in "add element"
 * statements of at most LISTFILE_CHUNK elements each, an expiring one with its remaining
 * "timeout Ns" (expired ones left out). Loaded in the same nft -f as the table, the flush
 * and the adds are one transaction with it: the sets never show empty, and hold exactly
 * these ranges. Pure. 0, or -1 (write error).
 */
#define LISTFILE_CHUNK 4096
int listfile_format(FILE *f, const struct cidr_set sets[LISTSET_COUNT], int64_t now);

/* listfile_format() into path, atomically (temporary file, fsync, rename). 0 or -1 logged. */
int listfile_write(const char *path, const struct cidr_set sets[LISTSET_COUNT], int64_t now);

#endif
