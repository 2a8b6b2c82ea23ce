/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl top: the flows held now and the rates, refreshed in the terminal. */
#ifndef NFTARPIT_TOP_H
#define NFTARPIT_TOP_H

/* The command; returns an exit status (CTL_EXIT_*). */
int top_cmd(int argc, char **argv);

#endif
