/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the last transaction left in the kernel's sets, tied to the ruleset generation. */
#ifndef NFTARPIT_SNAP_H
#define NFTARPIT_SNAP_H

#include <stdint.h>

#include "cidr.h"
#include "listset.h"

/*
 * Reading a big interval set back from the kernel is quadratic (every dump message walks
 * the set from its start: 1M elements take two minutes of kernel time). So after each
 * commit we keep the sets as we left them, with the ruleset generation id that our commit
 * produced. While the kernel's generation is unchanged, nobody has touched any set since,
 * and the snapshot is the kernel's content; otherwise we read the sets back.
 */
/*
 * The file records each set by name (lib/listset's table), so no order has to agree with
 * anything. The sets are indexed by enum listset_id in memory.
 *
 * Load path (binary, our own format) into sets[] (families preset) when its generation is
 * gen and it holds every set of the table; returns 1 when loaded, 0 when absent, stale,
 * of the layout before issue 16, or unreadable (sets empty), -1 (ENOMEM).
 */
int snap_load(const char *path, uint32_t gen, struct cidr_set sets[LISTSET_COUNT]);

/*
 * Load path's content whatever its generation (0 included): what the sets held when it was
 * written. For nftarpitctl setup, which fills new sets and trusts no generation. 1 loaded,
 * 0 absent or unreadable (sets empty), -1 (ENOMEM). A snapshot of the layout before issue
 * 16 (blocklist4/6 by position) is read too: its blocklists are split into hosts and
 * ranges (kset_layout()), so a setup that migrates the table restores them.
 */
int snap_load_content(const char *path, struct cidr_set sets[LISTSET_COUNT]);

/*
 * Keep path's content but tie it to no generation (0), so that snap_load() never trusts it
 * again while snap_load_content() still reads it. Follow mode calls it where it used to
 * drop the file: its bans move the generation on, and setup still finds the lists.
 */
void snap_untrust(const char *path);

/* Write sets[] with gen atomically (temporary file, fsync, rename). 0 or -1 (logged). */
int snap_save(const char *path, uint32_t gen, const struct cidr_set sets[LISTSET_COUNT]);

/* Remove path (the generation is unknown: the next run reads the kernel). */
void snap_drop(const char *path);

#endif
