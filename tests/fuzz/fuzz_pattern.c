// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one log line through mlog_parse() with the readers of issue 19 on:
 * Exim, spamtraps and a set of the admin's own PCRE2 patterns (compiled once). A hit must
 * name a valid address, and a hit of an own pattern must carry that pattern's name and
 * ban time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exim.h"
#include "fuzz_hit.h"
#include "mlog.h"
#include "pattern.h"
#include "trap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {
	"authfail smtpd 2h ^[0-9a-f]{16} smtp failed-command address=(?<addr>[0-9a-fA-F.:]+) ",
	"milter my-milter 30m ^reject client=(?:IPv6:)?(?<addr>\\S+)(?: |$)",
	"anywhere postfix/smtpd - (?<addr>[^\\]]+)\\]: 5",
};

static struct pattern_set set;
static struct trap_list traps;
static struct exim_opts exim;

static void fuzz_setup(void)
{
	char err[160];
	size_t i;

	exim_opts_default(&exim);
	if (trap_list_add(&traps, "trap@example.org") != NULL)
		abort();
	traps.bantime = 3600;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (pattern_set_add(&set, specs[i], err, sizeof(err)) != NULL) {
			fprintf(stderr, "fuzz setup: %s\n", err);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_hit hit;
	struct mlog_opts o;
	unsigned int i;
	int rc;

	if (set.n == 0)
		fuzz_setup();
	mlog_opts_default(&o);
	o.exim = &exim;
	o.traps = &traps;
	o.patterns = &set;
	rc = fuzz_hit_parse(data, size, &o, &hit);
	if (rc != 1)
		return 0;
	if (hit.reason == REASON_CUSTOM) {
		for (i = 0; i < set.n; i++) {
			if (strcmp(set.p[i].name, hit.detail) == 0 &&
			    hit.bantime == set.p[i].bantime)
				break;
		}
		if (i == set.n) {
			fprintf(stderr, "fuzz invariant broken: custom hit not a pattern's\n");
			abort();
		}
	}
	if (hit.reason == REASON_TRAP &&
	    (hit.bantime != 3600 || strcasecmp(hit.detail, "trap@example.org") != 0)) {
		fprintf(stderr, "fuzz invariant broken: trap hit not a trap\n");
		abort();
	}
	return 0;
}
