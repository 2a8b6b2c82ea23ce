// SPDX-License-Identifier: GPL-2.0-or-later
/* The lists as nft text, for nftarpit.nft to include: a reload brings them back with it. */
#include "listfile.h"

#include <inttypes.h>

#include "export.h"
#include "ruleset.h"

int listfile_format(FILE *f, const struct cidr_set sets[LISTSET_COUNT], int64_t now)
{
	char text[CIDR_TEXT_MAX];
	size_t i, n;
	int k;

	fputs("# nftarpit-sync: the block and allow lists as last applied. Written atomically\n"
	      "# by nftarpit-sync; nftarpit.nft includes it, so a firewall reload restores them\n"
	      "# in its own transaction. Do not edit: the next sync run rewrites it.\n",
	      f);
	for (k = 0; k < LISTSET_COUNT; k++) {
		fprintf(f, "flush set %s %s %s\n", RULESET_FAMILY_NAME, RULESET_TABLE,
			listsets[k].name);
		n = 0;
		for (i = 0; i < sets[k].n; i++) {
			const struct cidr_range *r = &sets[k].r[i];

			if (r->tag != 0 && (int64_t)r->tag <= now)
				continue;
			if (n % LISTFILE_CHUNK == 0)
				fprintf(f, "%sadd element %s %s %s { ", n > 0 ? " }\n" : "",
					RULESET_FAMILY_NAME, RULESET_TABLE, listsets[k].name);
			else
				fputs(", ", f);
			cidr_range_format(r, sets[k].family, text, sizeof(text));
			fputs(text, f);
			if (r->tag != 0)
				fprintf(f, " timeout %" PRId64 "s", (int64_t)r->tag - now);
			n++;
		}
		if (n > 0)
			fputs(" }\n", f);
	}
	return ferror(f) ? -1 : 0;
}

struct listfile_arg {
	const struct cidr_set *sets;
	int64_t now;
};

static int listfile_body(FILE *f, void *arg)
{
	const struct listfile_arg *a = arg;

	return listfile_format(f, a->sets, a->now);
}

int listfile_write(const char *path, const struct cidr_set sets[LISTSET_COUNT], int64_t now)
{
	struct listfile_arg a = {sets, now};

	return export_atomic(path, listfile_body, &a);
}
