// SPDX-License-Identifier: GPL-2.0-or-later
/* List files (plain, DROP, JSON, rbldnsd) into address sets: the blocklists, allowlists and
 * never_block_file of nftarpit-sync, and nftarpitctl's never_block check. */
#include "listread.h"

#include <stdio.h>
#include <stdlib.h>

#include "guard.h"
#include "log.h"

static int listread_append(struct cidr_set *to, struct cidr_set *from)
{
	struct cidr_set t;
	size_t i;

	/* The first list of a run: hand its array over instead of copying (40 MB at 1M). */
	if (to->n == 0 && to->family == from->family) {
		t = *to;
		*to = *from;
		*from = t;
		return 0;
	}
	for (i = 0; i < from->n; i++) {
		if (cidr_set_add(to, &from->r[i]) < 0)
			return -1;
	}
	return 0;
}

/* Whether the guard refuses entry e of path:lineno (reported), noting never_block overlaps. */
static bool listread_guard_refuses(struct listread_guard *g, const struct blist_entry *e,
				   const char *path, unsigned int lineno)
{
	char t[CIDR_TEXT_MAX], o[CIDR_TEXT_MAX];
	const struct cidr_range *x;
	unsigned int limit = e->family == 4 ? g->limit4 : g->limit6;

	if (e->exclude)
		return false;
	if (cidr_range_broader(&e->range, e->family, limit)) {
		cidr_range_format(&e->range, e->family, t, sizeof(t));
		log_warnx("%s:%u: entry %s is broader than /%u: refused (list_limit%d)", path,
			  lineno, t, limit, e->family);
		g->refused++;
		return true;
	}
	x = g->never != NULL ? guard_overlap(&g->never[e->family == 4 ? 0 : 1], &e->range) : NULL;
	if (x != NULL) {
		cidr_range_format(&e->range, e->family, t, sizeof(t));
		cidr_range_format(x, e->family, o, sizeof(o));
		log_warnx("%s:%u: entry %s overlaps never_block %s: that part is left out", path,
			  lineno, t, o);
		g->never_hits++;
	}
	return false;
}

int listread_file(const char *path, enum blist_format fmt, struct cidr_set *v4, struct cidr_set *v6,
		  struct listread_counts *n)
{
	return listread_guarded(path, fmt, v4, v6, n, NULL);
}

int listread_guarded(const char *path, enum blist_format fmt, struct cidr_set *v4,
		     struct cidr_set *v6, struct listread_counts *n, struct listread_guard *g)
{
	struct cidr_set l4, l6, ex4, ex6;
	struct blist_entry e;
	char err[256];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	FILE *f;
	int rc = -1;
	int r;

	f = fopen(path, "re");
	if (f == NULL) {
		log_warn("list %s", path);
		return -1;
	}
	cidr_set_init(&l4, 4);
	cidr_set_init(&l6, 6);
	cidr_set_init(&ex4, 4);
	cidr_set_init(&ex6, 6);
	for (;;) {
		len = getline(&line, &cap, f);
		if (len < 0)
			break;
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		r = blist_parse_line(line, fmt, &e, err, sizeof(err));
		if (r == BLIST_NONE)
			continue;
		if (r < 0) {
			n->bad++;
			log_warnx("%s:%u: %s", path, lineno, err);
			continue;
		}
		if (r == BLIST_WARN)
			log_warnx("%s:%u: %s", path, lineno, err);
		if (g != NULL && listread_guard_refuses(g, &e, path, lineno)) {
			n->bad++;
			continue;
		}
		n->entries++;
		if (cidr_set_add(e.exclude ? (e.family == 4 ? &ex4 : &ex6)
					   : (e.family == 4 ? &l4 : &l6),
				 &e.range) < 0)
			goto out;
	}
	if (ferror(f)) {
		log_warn("list %s: read", path);
		goto out;
	}
	/* Exclusions apply to this list only, so they are taken out before the union. */
	if (cidr_set_merge(&l4) < 0 || cidr_set_merge(&l6) < 0 || cidr_set_merge(&ex4) < 0 ||
	    cidr_set_merge(&ex6) < 0 || cidr_set_subtract(&l4, &ex4) < 0 ||
	    cidr_set_subtract(&l6, &ex6) < 0 || listread_append(v4, &l4) < 0 ||
	    listread_append(v6, &l6) < 0)
		goto out;
	rc = 0;
out:
	cidr_set_free(&l4);
	cidr_set_free(&l6);
	cidr_set_free(&ex4);
	cidr_set_free(&ex6);
	free(line);
	fclose(f);
	return rc;
}
