/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The invariants of a mail log parser's answer, shared by fuzz_mlog and fuzz_pattern. */
#ifndef NFTARPIT_FUZZ_HIT_H
#define NFTARPIT_FUZZ_HIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlog.h"

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
	if ((hit->family != 4 && hit->family != 6) || hit->reason >= REASON_N ||
	    (hit->family == 4 && (hit->addr.hi != 0 || hit->addr.lo > UINT32_MAX))) {
		fprintf(stderr, "fuzz invariant broken: bad hit\n");
		abort();
	}
	cidr_addr_format(&hit->addr, hit->family, text, sizeof(text));
	reason_name(hit->reason);
}

/*
 * Parse size bytes as one line (copied: not NUL-terminated, exactly size bytes, as the
 * reader hands lines over), check the answer; returns rc with *hit filled.
 */
static inline int fuzz_hit_parse(const uint8_t *data, size_t size, const struct mlog_opts *o,
				 struct mlog_hit *hit)
{
	char *line = malloc(size ? size : 1);
	int rc;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	memset(hit, 0x5a, sizeof(*hit));
	rc = mlog_parse(line, size, o, hit);
	free(line);
	fuzz_hit_check(rc, hit);
	return rc;
}

#endif
