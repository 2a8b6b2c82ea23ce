// SPDX-License-Identifier: GPL-2.0-or-later
/* The admin's entries in nftarpit-sync's master list: block, unblock, allow; the file lock. */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "safefile.h"
#include "strnum.h"

static const char *const admin_names[] = {"block", "unblock", "allow"};
_Static_assert(sizeof(admin_names) / sizeof(admin_names[0]) == ADMIN_KINDS,
	       "every admin kind has a name");

const char *admin_kind_name(enum admin_kind k)
{
	return (unsigned int)k < ADMIN_KINDS ? admin_names[k] : "?";
}

bool admin_active(const struct admin_entry *e, int64_t now)
{
	return e->expires == 0 || e->expires > now;
}

static bool admin_inside(const struct admin_entry *e, int family, const struct cidr_range *r)
{
	return e->family == family && cidr_addr_cmp(&e->r.first, &r->first) >= 0 &&
	       cidr_addr_cmp(&e->r.last, &r->last) <= 0;
}

static bool admin_same(const struct admin_entry *e, int family, const struct cidr_range *r)
{
	return e->family == family && cidr_addr_cmp(&e->r.first, &r->first) == 0 &&
	       cidr_addr_cmp(&e->r.last, &r->last) == 0;
}

static bool admin_reason_ok(const char *reason)
{
	const unsigned char *p;

	if (strlen(reason) >= ADMIN_REASON_MAX)
		return false;
	for (p = (const unsigned char *)reason; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int admin_set(struct admin_list *l, enum admin_kind kind, int family, const struct cidr_range *r,
	      int64_t now, int64_t expires, const char *reason)
{
	return admin_set_seen(l, kind, family, r, NULL, now, expires, reason);
}

int admin_set_seen(struct admin_list *l, enum admin_kind kind, int family,
		   const struct cidr_range *r, const struct cidr_addr *seen, int64_t now,
		   int64_t expires, const char *reason)
{
	struct admin_entry *e;
	size_t i, k = 0;

	if (!admin_reason_ok(reason) || (unsigned int)kind >= ADMIN_KINDS) {
		errno = EINVAL;
		return -1;
	}
	/* The newest decision wins wherever it covers an older one. */
	for (i = 0; i < l->n; i++) {
		if (admin_inside(&l->e[i], family, r) &&
		    (l->e[i].kind != kind || admin_same(&l->e[i], family, r)))
			continue;
		l->e[k++] = l->e[i];
	}
	l->n = k;
	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 16;

		e = reallocarray(l->e, cap, sizeof(*e));
		if (e == NULL)
			return -1;
		l->e = e;
		l->cap = cap;
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->family = family;
	e->r = *r;
	e->r.tag = 0;
	e->added = now;
	e->expires = expires;
	if (seen != NULL) {
		e->has_seen = true;
		e->seen = *seen;
	}
	memcpy(e->reason, reason, strlen(reason) + 1);
	return 0;
}

size_t admin_remove(struct admin_list *l, enum admin_kind kind, int family,
		    const struct cidr_range *r)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (l->e[i].kind == kind && admin_same(&l->e[i], family, r))
			continue;
		l->e[k++] = l->e[i];
	}
	i = l->n - k;
	l->n = k;
	return i;
}

size_t admin_prune(struct admin_list *l, int64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++)
		if (admin_active(&l->e[i], now))
			l->e[k++] = l->e[i];
	i = l->n - k;
	l->n = k;
	return i;
}

int admin_ranges(const struct admin_list *l, enum admin_kind kind, int family, int64_t now,
		 struct cidr_set *s)
{
	struct cidr_range x;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->e[i].kind != kind || l->e[i].family != family ||
		    !admin_active(&l->e[i], now))
			continue;
		x = l->e[i].r;
		x.tag = (uint64_t)l->e[i].expires;
		if (cidr_set_add(s, &x) < 0)
			return -1;
	}
	return 0;
}

const struct admin_entry *admin_covering(const struct admin_list *l, enum admin_kind kind,
					 int family, const struct cidr_addr *a, int64_t now)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct admin_entry *e = &l->e[i];

		if (e->kind == kind && e->family == family && admin_active(e, now) &&
		    cidr_addr_cmp(&e->r.first, a) <= 0 && cidr_addr_cmp(a, &e->r.last) <= 0)
			return e;
	}
	return NULL;
}

/* "key=N" at *p, N a decimal in [0, INT64_MAX]; advances past it and one space. */
static int admin_field(char **p, const char *key, int64_t *out)
{
	size_t k = strlen(key);
	const char *errstr;
	char *v, *end;

	if (strncmp(*p, key, k) != 0 || (*p)[k] != '=')
		return -1;
	v = *p + k + 1;
	end = strchr(v, ' ');
	if (end == NULL)
		return -1;
	*end = '\0';
	*out = strnum_parse(v, 0, INT64_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	*p = end + 1;
	return 0;
}

int admin_parse_line(struct admin_list *l, char *p)
{
	struct cidr_range r;
	struct cidr_addr seen;
	char err[128];
	char *sp;
	int64_t added, expires;
	int family, kind, sf;
	bool has_seen = false;

	sp = strchr(p, ' ');
	if (sp == NULL)
		return -1;
	*sp = '\0';
	for (kind = 0; kind < ADMIN_KINDS; kind++)
		if (strcmp(p, admin_names[kind]) == 0)
			break;
	if (kind == ADMIN_KINDS)
		return -1;
	p = sp + 1;
	sp = strchr(p, ' ');
	if (sp == NULL)
		return -1;
	*sp = '\0';
	if (cidr_parse(p, &family, &r, err, sizeof(err)) != CIDR_OK)
		return -1;
	p = sp + 1;
	if (admin_field(&p, "added", &added) < 0 || admin_field(&p, "expires", &expires) < 0)
		return -1;
	/* Optional: the single address a widened block was asked for. */
	if (strncmp(p, "seen=", 5) == 0) {
		sp = strchr(p, ' ');
		if (sp == NULL)
			return -1;
		*sp = '\0';
		if (cidr_parse_addr(p + 5, &sf, &seen) < 0 || sf != family ||
		    cidr_addr_cmp(&seen, &r.first) < 0 || cidr_addr_cmp(&seen, &r.last) > 0)
			return -1;
		has_seen = true;
		p = sp + 1;
	}
	if (strncmp(p, "reason=", 7) != 0)
		return -1;
	return admin_set_seen(l, (enum admin_kind)kind, family, &r, has_seen ? &seen : NULL, added,
			      expires, p + 7);
}

void admin_write(FILE *f, const struct admin_list *l)
{
	char text[CIDR_TEXT_MAX], seen[64];
	size_t i;

	for (i = 0; i < l->n; i++) {
		cidr_range_format(&l->e[i].r, l->e[i].family, text, sizeof(text));
		fprintf(f, "admin %s %s added=%lld expires=%lld ", admin_kind_name(l->e[i].kind),
			text, (long long)l->e[i].added, (long long)l->e[i].expires);
		if (l->e[i].has_seen) {
			cidr_addr_format(&l->e[i].seen, l->e[i].family, seen, sizeof(seen));
			fprintf(f, "seen=%s ", seen);
		}
		fprintf(f, "reason=%s\n", l->e[i].reason);
	}
}

void admin_free(struct admin_list *l)
{
	free(l->e);
	memset(l, 0, sizeof(*l));
}

int admin_lock(const char *state_path, int wait_ms)
{
	char path[PATH_MAX];
	struct timespec pause = {0, 50 * 1000 * 1000};
	int fd, waited = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", state_path) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Someone else's lock file (root's, for a service user): flock needs no write. */
	if (fd < 0 && errno == EACCES)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	/* Root's lock in the sync user's directory would shut the sync out: give it over. */
	(void)safefile_give(fd, path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			if (errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += 50;
	}
	return fd;
}

void admin_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int admin_parse_duration(const char *s, int64_t *out, const char **err)
{
	long long v;

	*err = NULL;
	if (strcmp(s, "forever") == 0) {
		*out = 0;
		return 0;
	}
	if (strlen(s) < 2) {
		*err = "not a duration (e.g. 90s, 30m, 12h, 7d, 2w, forever)";
		return -1;
	}
	/* An admin's duration says its unit: "30" could mean minutes as well as seconds. */
	if (!strnum_duration_has_unit(s)) {
		*err = "no unit (s, m, h, d, w)";
		return -1;
	}
	/* At most ten years: anything longer is "forever" said wrongly. */
	v = strnum_duration(s, 10LL * 365 * 86400, err);
	if (*err != NULL)
		return -1;
	if (v == 0) {
		*err = "too small";
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}
