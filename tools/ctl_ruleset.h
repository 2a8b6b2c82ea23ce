/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl's ruleset commands: setup, teardown, print-ruleset. */
#ifndef NFTARPIT_CTL_RULESET_H
#define NFTARPIT_CTL_RULESET_H

#include "ruleset.h"

/* Exit statuses of nftarpitctl. */
#define CTL_EXIT_OK    0
#define CTL_EXIT_FAIL  1
#define CTL_EXIT_USAGE 2

/*
 * Apply one key of the config file's [ruleset] section (queue, ports, fail_open, mark,
 * queue_expr), parsed like setup's options; NULL, or the reason it is refused.
 */
const char *ctl_ruleset_conf_set(struct ruleset_opts *o, const char *key, const char *value);

/* Read [ruleset] of path into o; the number of errors (each logged as file:line), or -1. */
int ctl_ruleset_conf_load(const char *path, struct ruleset_opts *o);

/* Each returns an exit status and has logged why when it is not CTL_EXIT_OK. */
int ctl_setup(const struct ruleset_opts *o);
int ctl_teardown(void);
int ctl_print_ruleset(const struct ruleset_opts *o);

#endif
