/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl block/unblock/list/why: the admin's decisions in the master list and kernel. */
#ifndef NFTARPIT_ADMINCMD_H
#define NFTARPIT_ADMINCMD_H

/* Each returns an exit status: 0, 1 failed (nothing changed), 2 usage, 3 no ruleset. */
int admincmd_block(int argc, char **argv);
int admincmd_unblock(int argc, char **argv);
int admincmd_list(int argc, char **argv);
int admincmd_why(int argc, char **argv);

#endif
