// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one mail log line (a spammer writes part of it: HELO, addresses)
 * through mlog_parse() with every pattern on; a hit must name a valid address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_mlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_hit hit;
	struct mlog_opts o;
	char text[CIDR_TEXT_MAX];
	char *line;
	int rc;

	mlog_opts_default(&o);
	/* Not NUL-terminated, exactly size bytes: the reader hands over lines like this. */
	line = malloc(size ? size : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	memset(&hit, 0x5a, sizeof(hit));
	rc = mlog_parse(line, size, &o, &hit);
	free(line);
	if (rc == 0)
		return 0;
	if ((rc != 1 && rc != -1) || memchr(hit.detail, '\0', sizeof(hit.detail)) == NULL) {
		fprintf(stderr, "fuzz invariant broken: rc %d or detail unterminated\n", rc);
		abort();
	}
	if (rc == 1) {
		if ((hit.family != 4 && hit.family != 6) || hit.reason >= MLOG_NREASONS ||
		    (hit.family == 4 && (hit.addr.hi != 0 || hit.addr.lo > UINT32_MAX))) {
			fprintf(stderr, "fuzz invariant broken: bad hit\n");
			abort();
		}
		cidr_addr_format(&hit.addr, hit.family, text, sizeof(text));
		mlog_reason_name(hit.reason);
	}
	return 0;
}
