/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl block/unblock/list/why: the admin's decisions in the master list and kernel. */
#ifndef NFTARPIT_ADMINCMD_H
#define NFTARPIT_ADMINCMD_H

/* Each returns an exit status: 0, 1 failed (nothing changed), 2 usage, 3 no ruleset. */
int admin_cmd_block(int argc, char **argv);
int admin_cmd_unblock(int argc, char **argv);
int admin_cmd_list(int argc, char **argv);
int admin_cmd_why(int argc, char **argv);

#endif
