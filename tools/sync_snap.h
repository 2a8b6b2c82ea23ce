/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the last transaction left in the kernel's sets, tied to the ruleset generation. */
#ifndef NFTARPIT_SYNC_SNAP_H
#define NFTARPIT_SYNC_SNAP_H

#include <stdint.h>

#include "cidr.h"

/*
 * Reading a big interval set back from the kernel is quadratic (every dump message walks
 * the set from its start: 1M elements take two minutes of kernel time). So after each
 * commit we keep the sets as we left them, with the ruleset generation id that our commit
 * produced. While the kernel's generation is unchanged, nobody has touched any set since,
 * and the snapshot is the kernel's content; otherwise we read the sets back.
 */
#define SNAP_NSETS 4

/* The sets in snapshot order, with their families: one table for every user. */
extern const char *const snap_set_names[SNAP_NSETS];
extern const int snap_set_family[SNAP_NSETS];

/*
 * Load path (binary, our own format) into sets[] (families preset) when its generation is
 * gen; returns 1 when loaded, 0 when absent, stale or unreadable (sets empty), -1 (ENOMEM).
 */
int snap_load(const char *path, uint32_t gen, struct cidr_set sets[SNAP_NSETS]);

/*
 * Load path's content whatever its generation (0 included): what the sets held when it was
 * written. For nftarpitctl setup, which fills new sets and trusts no generation. 1 loaded,
 * 0 absent or unreadable (sets empty), -1 (ENOMEM).
 */
int snap_load_content(const char *path, struct cidr_set sets[SNAP_NSETS]);

/*
 * Keep path's content but tie it to no generation (0), so that snap_load() never trusts it
 * again while snap_load_content() still reads it. Follow mode calls it where it used to
 * drop the file: its bans move the generation on, and setup still finds the lists.
 */
void snap_untrust(const char *path);

/* Write sets[] with gen atomically (temporary file, fsync, rename). 0 or -1 (logged). */
int snap_save(const char *path, uint32_t gen, const struct cidr_set sets[SNAP_NSETS]);

/* Remove path (the generation is unknown: the next run reads the kernel). */
void snap_drop(const char *path);

#endif
