// SPDX-License-Identifier: GPL-2.0-or-later
/* The lists as last applied, rebuilt from nftarpit-sync's files, for a table made anew. */
#include "sync_restore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sync_admin.h"
#include "sync_state.h"

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

/* The master list's active offenders and admin entries on top of the snapshot's sets. */
static int restore_add_state(const struct state *st, bool kernel_timeouts, int64_t now,
			     struct cidr_set sets[SNAP_NSETS])
{
	struct cidr_set unblock;
	struct cidr_range x;
	size_t i;
	int b, rc = -1;

	for (i = 0; i < st->n; i++) {
		if (st->e[i].expires <= now)
			continue;
		x.first = st->e[i].addr;
		x.last = st->e[i].addr;
		x.tag = kernel_timeouts ? (uint64_t)st->e[i].expires : 0;
		if (cidr_set_add(&sets[st->e[i].family == 4 ? 0 : 1], &x) < 0)
			return -1;
	}
	for (b = 0; b < 2; b++) {
		cidr_set_init(&unblock, snap_set_family[b]);
		if (admin_ranges(&st->admin, ADMIN_BLOCK, snap_set_family[b], now, &sets[b]) < 0 ||
		    admin_ranges(&st->admin, ADMIN_ALLOW, snap_set_family[b], now, &sets[b + 2]) <
			    0 ||
		    admin_ranges(&st->admin, ADMIN_UNBLOCK, snap_set_family[b], now, &unblock) <
			    0 ||
		    cidr_set_merge(&unblock) < 0 || cidr_set_merge(&sets[b]) < 0 ||
		    cidr_set_merge(&sets[b + 2]) < 0 || cidr_set_subtract(&sets[b], &unblock) < 0 ||
		    cidr_set_subtract(&sets[b], &sets[b + 2]) < 0)
			goto out;
		cidr_set_free(&unblock);
	}
	rc = 0;
out:
	if (rc < 0)
		cidr_set_free(&unblock);
	return rc;
}

int restore_load(const char *state, bool kernel_timeouts, int64_t now,
		 struct cidr_set sets[SNAP_NSETS], char *err, size_t errlen)
{
	char snap[PATH_MAX + 16];
	struct state st;
	struct stat sb;
	int found, i, rc = -1;

	for (i = 0; i < SNAP_NSETS; i++)
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
	if (restore_add_state(&st, kernel_timeouts, now, sets) < 0) {
		snprintf(err, errlen, "%s: %s", state, strerror(errno));
		goto out;
	}
	for (i = 0; i < SNAP_NSETS; i++)
		restore_drop_expired(&sets[i], now);
	rc = found;
out:
	state_free(&st);
	if (rc < 0) {
		for (i = 0; i < SNAP_NSETS; i++)
			cidr_set_clear(&sets[i]);
	}
	return rc;
}
