// SPDX-License-Identifier: GPL-2.0-or-later
/* Share the blocklist: a plain list and rbldnsd zones written atomically; the dry-run diff. */
#include "export.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "kset.h"
#include "log.h"
#include "safefile.h"

struct export_ctx {
	FILE *f;
	int family;
};

static int export_prefix(const struct cidr_addr *first, unsigned int len, void *arg)
{
	struct export_ctx *x = arg;
	char a[64];

	cidr_addr_format(first, x->family, a, sizeof(a));
	if (len == (x->family == 4 ? 32u : 128u))
		fprintf(x->f, "%s\n", a);
	else
		fprintf(x->f, "%s/%u\n", a, len);
	return 0;
}

static void export_set(FILE *f, const struct cidr_set *s)
{
	struct export_ctx x = {f, s->family};
	size_t i;

	for (i = 0; i < s->n; i++)
		(void)cidr_range_prefixes(&s->r[i], s->family, export_prefix, &x);
}

int export_atomic(const char *path, int (*body)(FILE *f, void *arg), void *arg)
{
	struct safefile sf;
	FILE *f;

	if (safefile_open(&sf, path, 0644) < 0) {
		log_warn("export %s", path);
		return -1;
	}
	f = safefile_stream(&sf);
	if (f == NULL) {
		log_warn("export %s", path);
		safefile_abort(&sf);
		return -1;
	}
	if (body(f, arg) < 0 || ferror(f) || safefile_commit(&sf) < 0) {
		log_warn("export %s", path);
		safefile_abort(&sf);
		return -1;
	}
	return 0;
}

struct export_lists {
	const char *header;
	const struct cidr_set *a;
	const struct cidr_set *b;
};

static int export_lists_body(FILE *f, void *arg)
{
	const struct export_lists *l = arg;

	fputs(l->header, f);
	if (l->a != NULL)
		export_set(f, l->a);
	if (l->b != NULL)
		export_set(f, l->b);
	return 0;
}

/* Write through a temporary file, fsync and rename: readers (rbldnsd reloads) never see half. */
static int export_write(const char *path, const char *header, const struct cidr_set *a,
			const struct cidr_set *b)
{
	struct export_lists l = {header, a, b};

	return export_atomic(path, export_lists_body, &l);
}

int export_plain(const char *path, const struct cidr_set *v4, const struct cidr_set *v6)
{
	return export_write(path, "# nftarpit-sync blocklist: one address or prefix per line\n", v4,
			    v6);
}

int export_rbldnsd(const char *path, const struct cidr_set *v4, const struct cidr_set *v6)
{
	char p6[PATH_MAX];
	static const char header[] = "# nftarpit-sync blocklist for rbldnsd\n"
				     ":127.0.0.2:Listed by nftarpit: mail from $ was refused\n";

	if ((size_t)snprintf(p6, sizeof(p6), "%s.v6", path) >= sizeof(p6))
		return -1;
	if (export_write(path, header, v4, NULL) < 0)
		return -1;
	return export_write(p6, header, v6, NULL);
}

void export_print_set(FILE *f, const char *sign, const struct cidr_set *s, int64_t now)
{
	char text[CIDR_TEXT_MAX];
	size_t i;

	for (i = 0; i < s->n; i++) {
		cidr_range_format(&s->r[i], s->family, text, sizeof(text));
		if (s->r[i].tag != 0)
			fprintf(f, "%s %s expires_in=%llds\n", sign, text,
				(long long)((int64_t)s->r[i].tag - now));
		else
			fprintf(f, "%s %s\n", sign, text);
	}
}

void export_print_diff(FILE *f, const char *name, const struct kset_diff *d,
		       const struct cidr_set *want, bool all, int64_t now)
{
	struct cidr_set one;
	size_t k;

	fprintf(f, "%s: add=%zu delete=%zu keep=%zu refresh=%zu\n", name, d->add.n - d->refreshed,
		d->del.n - d->refreshed, d->kept, d->refreshed);
	export_print_set(f, "-", &d->del, now);
	export_print_set(f, "+", &d->add, now);
	if (!all)
		return;
	for (k = 0; k < want->n; k++) {
		one.family = want->family;
		one.n = 1;
		one.r = &want->r[k];
		export_print_set(f, "=", &one, now);
	}
}
