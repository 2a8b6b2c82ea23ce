/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The invariants of a mail log parser's answer, shared by fuzz_mlog and fuzz_pattern. */
#ifndef NFTARPIT_FUZZ_HIT_H
#define NFTARPIT_FUZZ_HIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_mlog.h"

/* rc is 1, 0 or -1; detail is terminated; a hit names a valid address and reason. */
static inline void fuzz_hit_check(int rc, const struct mlog_hit *hit)
{
	char text[CIDR_TEXT_MAX];

	if (rc == 0)
		return;
	if ((rc != 1 && rc != -1) || memchr(hit->detail, '\0', sizeof(hit->detail)) == NULL) {
		fprintf(stderr, "fuzz invariant broken: rc %d or detail unterminated\n", rc);
		abort();
	}
	if (rc != 1)
		return;
	if ((hit->family != 4 && hit->family != 6) || hit->reason >= MLOG_NREASONS ||
	    (hit->family == 4 && (hit->addr.hi != 0 || hit->addr.lo > UINT32_MAX))) {
		fprintf(stderr, "fuzz invariant broken: bad hit\n");
		abort();
	}
	cidr_addr_format(&hit->addr, hit->family, text, sizeof(text));
	mlog_reason_name(hit->reason);
}

#endif
