/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl's ruleset commands: setup, teardown, print-ruleset. */
#ifndef NFTARPIT_SETUP_H
#define NFTARPIT_SETUP_H

#include <stdbool.h>

#include "ruleset.h"

/* Exit statuses of nftarpitctl. */
#define CTL_EXIT_OK    0
#define CTL_EXIT_FAIL  1
#define CTL_EXIT_USAGE 2

/*
 * Apply one key of the config file's [ruleset] section (queue, ports, fail_open, mark,
 * queue_expr), parsed like setup's options; NULL, or the reason it is refused.
 */
const char *setup_conf_set(struct ruleset_opts *o, const char *key, const char *value);

/* Read [ruleset] of path into o; the number of errors (each logged as file:line), or -1. */
int setup_conf_load(const char *path, struct ruleset_opts *o);

/*
 * Where setup finds the lists to put back: nftarpit-sync's master list (its snapshot is
 * STATE.applied), from the config's [sync] state or --state; state NULL: do not fill.
 */
struct setup_fill {
	const char *state;
	bool kernel_timeouts; /* [sync] kernel_timeouts: offenders carry their expiry */
};

/*
 * Each returns an exit status and has logged why when it is not CTL_EXIT_OK. With fill and
 * a master list or snapshot there, setup flushes and fills the list sets (lib/listset) in
 * its own transaction (see restore_load()); otherwise their contents are kept, as before.
 * A table of the layout before issue 16 (blocklist4/6) is migrated in that transaction:
 * the old sets deleted, the new ones filled from fill, or else from the old sets.
 */
int setup_run(const struct ruleset_opts *o, const struct setup_fill *fill);
int setup_teardown(void);
int setup_print_ruleset(const struct ruleset_opts *o);

#endif
