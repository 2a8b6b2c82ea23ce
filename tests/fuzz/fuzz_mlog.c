// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one mail log line (a spammer writes part of it: HELO, addresses)
 * through mlog_parse() with every pattern on; a hit must name a valid address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hit.h"
#include "sync_mlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_hit hit;
	struct mlog_opts o;
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
	fuzz_hit_check(rc, &hit);
	return 0;
}
