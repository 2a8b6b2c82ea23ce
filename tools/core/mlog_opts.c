// SPDX-License-Identifier: GPL-2.0-or-later
/* What the mail log readers look for: [sync] patterns, dnsbl_threshold and the rest. Pure. */
#include "mlog_opts.h"

#include <stddef.h>

void mlog_opts_default(struct mlog_opts *o)
{
	o->enabled = REASON_ALL;
	o->dnsbl_threshold = 3;
	o->exim = NULL;
	o->traps = NULL;
	o->patterns = NULL;
}
