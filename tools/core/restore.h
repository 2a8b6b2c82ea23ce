/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lists as last applied, rebuilt from nftarpit-sync's files, for a table made anew. */
#ifndef NFTARPIT_RESTORE_H
#define NFTARPIT_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "snap.h"

/*
 * What the list sets should hold when the table comes back (after `flush ruleset`, a
 * reboot): the snapshot STATE.applied whatever its generation (the lists, allowlists and
 * offenders of the last full pass), plus the master list's active offenders (follow mode's
 * bans since then, saved every 10 s) and the admin's block/allow entries, minus the admin's
 * unblocks; blocklists minus allowlists, each range in its set (listset_layout()), expired
 * ranges left out. Offenders
 * carry their expiry as tag when kernel_timeouts. sets[] indexed by enum listset_id, families
 * preset. Returns 1 when a snapshot or a master list was found, 0 when neither exists (sets empty),
 * -1 with "path:line: reason" (or the errno's text) in err.
 */
int restore_load(const char *state, bool kernel_timeouts, int64_t now,
		 struct cidr_set sets[LISTSET_COUNT], char *err, size_t errlen);

#endif
