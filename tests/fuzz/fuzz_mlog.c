// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one mail log line (a spammer writes part of it: HELO, addresses)
 * through mlog_parse() with every pattern on; a hit must name a valid address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hit.h"
#include "mlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_hit hit;
	struct mlog_opts o;

	mlog_opts_default(&o);
	(void)fuzz_hit_parse(data, size, &o, &hit);
	return 0;
}
