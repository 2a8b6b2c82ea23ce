// SPDX-License-Identifier: GPL-2.0-or-later
/* The list sets of table inet nftarpit: one table of names, families, kinds and roles. */
#include "listset.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by enum listset_id; the assert below keeps the two the same length. */
const struct listset listsets[] = {
	[LISTSET_BLOCKHOST4] = {"blockhost4", 4, LISTSET_HOSTS, LISTSET_BLOCK, true,
				"Single sources to tarpit (hash: a change costs the same at any "
				"size);\nfilled by nftarpit-sync and nftarpitctl, kept across "
				"setup."},
	[LISTSET_BLOCKNET4] = {"blocknet4", 4, LISTSET_RANGES, LISTSET_BLOCK, true,
			       "Networks and ranges to tarpit."},
	[LISTSET_BLOCKHOST6] = {"blockhost6", 6, LISTSET_HOSTS, LISTSET_BLOCK, true, NULL},
	[LISTSET_BLOCKNET6] = {"blocknet6", 6, LISTSET_RANGES, LISTSET_BLOCK, true, NULL},
	[LISTSET_ALLOW4] = {"allowlist4", 4, LISTSET_RANGES, LISTSET_ALLOW, false,
			    "Never tarpitted, even when blocklisted."},
	[LISTSET_ALLOW6] = {"allowlist6", 6, LISTSET_RANGES, LISTSET_ALLOW, false, NULL},
};
_Static_assert(sizeof(listsets) / sizeof(listsets[0]) == LISTSET_COUNT,
	       "every list set has its row");

const char *const listset_legacy[LISTSET_LEGACY_N] = {"blocklist4", "blocklist6"};

int listset_find(const char *name)
{
	int i;

	for (i = 0; i < LISTSET_COUNT; i++)
		if (strcmp(listsets[i].name, name) == 0)
			return i;
	return -1;
}

enum listset_id listset_of(enum listset_role role, enum listset_kind kind, int family)
{
	int i;

	for (i = 0; i < LISTSET_COUNT; i++)
		if (listsets[i].role == role && listsets[i].family == family &&
		    (role == LISTSET_ALLOW || listsets[i].kind == kind))
			return (enum listset_id)i;
	return LISTSET_COUNT; /* unreachable with the table above */
}

/* By address, then the longest ban first (0 = forever), so a dedupe keeps the first. */
static int listset_host_cmp(const void *a, const void *b)
{
	const struct cidr_range *x = a;
	const struct cidr_range *y = b;
	int c = cidr_addr_cmp(&x->first, &y->first);

	if (c != 0)
		return c;
	if (x->tag == y->tag)
		return 0;
	if (x->tag == 0)
		return -1;
	if (y->tag == 0)
		return 1;
	return x->tag > y->tag ? -1 : 1;
}

/* Whether a ban ending at outer lasts at least as long as one ending at inner. */
bool listset_outlasts(uint64_t outer, uint64_t inner)
{
	return outer == 0 || (inner != 0 && outer >= inner);
}

/*
 * By address with cidr_set_sort() (a radix sort: a million hosts in a fraction of qsort()'s
 * time), then of each address the longest ban is kept. Without memory for the sort's buffer,
 * qsort() in place by address and ban gives the same result.
 */
void listset_hosts_sort(struct cidr_set *hosts)
{
	size_t i, k;

	if (cidr_set_sort(hosts) < 0 && hosts->n > 1)
		qsort(hosts->r, hosts->n, sizeof(*hosts->r), listset_host_cmp);
	for (i = 0, k = 0; i < hosts->n; i++) {
		if (k > 0 && cidr_addr_cmp(&hosts->r[k - 1].first, &hosts->r[i].first) == 0) {
			if (listset_host_cmp(&hosts->r[i], &hosts->r[k - 1]) < 0)
				hosts->r[k - 1] = hosts->r[i];
			continue;
		}
		hosts->r[k++] = hosts->r[i];
	}
	hosts->n = k;
}

/* listset_layout() after the split: hosts and nets hold raw's single addresses and the rest. */
static int listset_layout_split(const struct cidr_set *cut, struct cidr_set *hosts,
				struct cidr_set *nets)
{
	const struct cidr_range *cover;
	size_t i, k;

	if (cidr_set_merge(nets) < 0 || (cut != NULL && cidr_set_subtract(nets, cut) < 0))
		return -1;
	/* Pieces of one address (a range split by an allowlist entry) are hosts now. */
	for (i = 0, k = 0; i < nets->n; i++) {
		if (cidr_addr_cmp(&nets->r[i].first, &nets->r[i].last) == 0) {
			if (cidr_set_add(hosts, &nets->r[i]) < 0)
				return -1;
			continue;
		}
		nets->r[k++] = nets->r[i];
	}
	nets->n = k;
	listset_hosts_sort(hosts);
	if (cut != NULL && cidr_set_subtract(hosts, cut) < 0)
		return -1;
	for (i = 0, k = 0; i < hosts->n; i++) {
		cover = cidr_set_first_overlap(nets, &hosts->r[i]);
		if (cover != NULL && listset_outlasts(cover->tag, hosts->r[i].tag))
			continue;
		hosts->r[k++] = hosts->r[i];
	}
	hosts->n = k;
	return 0;
}

int listset_layout(const struct cidr_set *raw, const struct cidr_set *cut, struct cidr_set *hosts,
		   struct cidr_set *nets)
{
	size_t i;

	cidr_set_clear(hosts);
	cidr_set_clear(nets);
	for (i = 0; i < raw->n; i++) {
		if (cidr_set_add(cidr_addr_cmp(&raw->r[i].first, &raw->r[i].last) == 0 ? hosts
										       : nets,
				 &raw->r[i]) < 0)
			return -1;
	}
	return listset_layout_split(cut, hosts, nets);
}

int listset_layout_take(struct cidr_set *raw, const struct cidr_set *cut, struct cidr_set *hosts,
			struct cidr_set *nets)
{
	size_t i, k;

	cidr_set_clear(nets);
	/* The single addresses move to the front of raw's own array, which becomes hosts. */
	for (i = 0, k = 0; i < raw->n; i++) {
		if (cidr_addr_cmp(&raw->r[i].first, &raw->r[i].last) == 0) {
			raw->r[k++] = raw->r[i];
			continue;
		}
		if (cidr_set_add(nets, &raw->r[i]) < 0) {
			cidr_set_free(raw);
			cidr_set_init(raw, nets->family);
			cidr_set_clear(hosts);
			return -1;
		}
	}
	raw->n = k;
	cidr_set_free(hosts);
	*hosts = *raw;
	cidr_set_init(raw, hosts->family);
	return listset_layout_split(cut, hosts, nets);
}
