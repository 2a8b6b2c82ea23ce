/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the mail log readers look for: [sync] patterns, dnsbl_threshold and the rest. Pure. */
#ifndef NFTARPIT_MLOG_OPTS_H
#define NFTARPIT_MLOG_OPTS_H

#include "reason.h"

struct exim_opts;
struct trap_list;
struct pattern_set;

struct mlog_opts {
	unsigned int enabled;		    /* bit (1 << reason) per pattern in use */
	unsigned int dnsbl_threshold;	    /* postscreen rank at or above which we ban */
	const struct exim_opts *exim;	    /* Exim's DNSBL markers; NULL: the default */
	const struct trap_list *traps;	    /* spamtrap recipients; NULL: none */
	const struct pattern_set *patterns; /* the admin's own; NULL: none */
};

/* All patterns, DNSBL rank threshold 3 (postscreen_dnsbl_threshold's usual setting). */
void mlog_opts_default(struct mlog_opts *o);

#endif
