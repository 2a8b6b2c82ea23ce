// SPDX-License-Identifier: GPL-2.0-or-later
/* The lists as last applied, rebuilt from nftarpit-sync's files, for a table made anew. */
#include "restore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "state.h"

/* Drop ranges whose expiry has passed: the kernel would refuse nothing, but hold nothing. */
static void restore_drop_expired(struct cidr_set *s, int64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		if (s->r[i].tag != 0 && (int64_t)s->r[i].tag <= now)
			continue;
		s->r[k++] = s->r[i];
	}
	s->n = k;
}

/*
 * One family's sets: the snapshot's blocklists, the master list's active offenders and the
 * admin's blocks, laid out again (listset_layout()) without the allowlists (the snapshot's
 * and the admin's) and the admin's unblocks.
 */
static int restore_family(const struct state *st, bool kernel_timeouts, int64_t now, int family,
			  struct cidr_set sets[LISTSET_COUNT])
{
	struct cidr_set *hosts = &sets[listset_of(LISTSET_BLOCK, LISTSET_HOSTS, family)];
	struct cidr_set *nets = &sets[listset_of(LISTSET_BLOCK, LISTSET_RANGES, family)];
	struct cidr_set *allow = &sets[listset_of(LISTSET_ALLOW, LISTSET_RANGES, family)];
	struct cidr_set raw, cut;
	struct cidr_range x;
	size_t i;
	int rc = -1;

	cidr_set_init(&raw, family);
	cidr_set_init(&cut, family);
	for (i = 0; i < hosts->n; i++)
		if (cidr_set_add(&raw, &hosts->r[i]) < 0)
			goto out;
	for (i = 0; i < nets->n; i++)
		if (cidr_set_add(&raw, &nets->r[i]) < 0)
			goto out;
	for (i = 0; i < st->n; i++) {
		if (st->e[i].expires <= now || st->e[i].family != family)
			continue;
		/* The ban's own range: a prefix ban (issue 22) covers its prefix. */
		x = state_entry_range(&st->e[i]);
		x.tag = kernel_timeouts ? (uint64_t)st->e[i].expires : 0;
		if (cidr_set_add(&raw, &x) < 0)
			goto out;
	}
	if (admin_ranges(&st->admin, ADMIN_BLOCK, family, now, &raw) < 0 ||
	    admin_ranges(&st->admin, ADMIN_ALLOW, family, now, allow) < 0 ||
	    cidr_set_merge(allow) < 0 ||
	    admin_ranges(&st->admin, ADMIN_UNBLOCK, family, now, &cut) < 0)
		goto out;
	restore_drop_expired(&raw, now);
	restore_drop_expired(allow, now);
	for (i = 0; i < allow->n; i++)
		if (cidr_set_add(&cut, &allow->r[i]) < 0)
			goto out;
	for (i = 0; i < cut.n; i++)
		cut.r[i].tag = 0;
	if (cidr_set_merge(&cut) < 0 || listset_layout(&raw, &cut, hosts, nets) < 0)
		goto out;
	rc = 0;
out:
	cidr_set_free(&raw);
	cidr_set_free(&cut);
	return rc;
}

int restore_load(const char *state, bool kernel_timeouts, int64_t now,
		 struct cidr_set sets[LISTSET_COUNT], char *err, size_t errlen)
{
	char snap[PATH_MAX + 16];
	struct state st;
	struct stat sb;
	int found, i, rc = -1;

	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_clear(&sets[i]);
	if ((size_t)snprintf(snap, sizeof(snap), "%s.applied", state) >= sizeof(snap)) {
		snprintf(err, errlen, "%s: path too long", state);
		return -1;
	}
	found = snap_load_content(snap, sets);
	if (found < 0) {
		snprintf(err, errlen, "%s: %s", snap, strerror(errno));
		return -1;
	}
	if (stat(state, &sb) == 0)
		found = 1;
	else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", state, strerror(errno));
		return -1;
	}
	state_init(&st);
	if (state_load(&st, state, err, errlen) < 0)
		goto out;
	if (restore_family(&st, kernel_timeouts, now, 4, sets) < 0 ||
	    restore_family(&st, kernel_timeouts, now, 6, sets) < 0) {
		snprintf(err, errlen, "%s: %s", state, strerror(errno));
		goto out;
	}
	rc = found;
out:
	state_free(&st);
	if (rc < 0) {
		for (i = 0; i < LISTSET_COUNT; i++)
			cidr_set_clear(&sets[i]);
	}
	return rc;
}
