// SPDX-License-Identifier: GPL-2.0-or-later
/* CrowdSec Local API: the [crowdsec] settings, decisions and the held list, the store. */
#include "crowdsec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conffile.h"
#include "export.h"
#include "log.h"
#include "strnum.h"

void crowdsec_conf_defaults(struct crowdsec_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ntypes = 1;
	snprintf(c->types[0], sizeof(c->types[0]), "ban");
	c->scopes = CROWDSEC_SCOPE_IP | CROWDSEC_SCOPE_RANGE;
	c->poll_interval = 10;
}

/* "a, b,c" into names; NULL or the reason. */
static const char *crowdsec_names(const char *v, char names[][CROWDSEC_NAME_LEN], unsigned int *n)
{
	const char *p = v, *end;
	size_t len;

	*n = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = p;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		len = (size_t)(end - p);
		if (len >= CROWDSEC_NAME_LEN)
			return "name too long";
		if (*n == CROWDSEC_NAMES_MAX)
			return "too many names";
		memcpy(names[*n], p, len);
		names[*n][len] = '\0';
		(*n)++;
		p = end;
	}
	return NULL;
}

static const char *crowdsec_path(const char *v, char *out, size_t len)
{
	if (v[0] != '/' && v[0] != '\0')
		return "not an absolute path";
	if (strlen(v) >= len)
		return "too long";
	memcpy(out, v, strlen(v) + 1);
	return NULL;
}

const char *crowdsec_conf_set(struct crowdsec_conf *c, const char *key, const char *v)
{
	char names[CROWDSEC_NAMES_MAX][CROWDSEC_NAME_LEN];
	const char *err;
	unsigned int n, i;
	long long secs;

	if (strcmp(key, "url") == 0) {
		if (v[0] != '\0' && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			return "not an http:// or https:// URL";
		if (strlen(v) >= sizeof(c->url))
			return "too long";
		memcpy(c->url, v, strlen(v) + 1);
		return NULL;
	}
	if (strcmp(key, "bouncer_key_file") == 0)
		return crowdsec_path(v, c->bouncer_key_file, sizeof(c->bouncer_key_file));
	if (strcmp(key, "machine_credentials") == 0)
		return crowdsec_path(v, c->machine_credentials, sizeof(c->machine_credentials));
	if (strcmp(key, "decision_types") == 0) {
		err = crowdsec_names(v, c->types, &c->ntypes);
		if (err == NULL && c->ntypes == 0)
			return "empty";
		return err;
	}
	if (strcmp(key, "origins") == 0)
		return crowdsec_names(v, c->origins, &c->norigins);
	if (strcmp(key, "scopes") == 0) {
		err = crowdsec_names(v, names, &n);
		if (err != NULL)
			return err;
		c->scopes = 0;
		for (i = 0; i < n; i++) {
			if (strcasecmp(names[i], "ip") == 0)
				c->scopes |= CROWDSEC_SCOPE_IP;
			else if (strcasecmp(names[i], "range") == 0)
				c->scopes |= CROWDSEC_SCOPE_RANGE;
			else
				return "unknown scope (Ip, Range)";
		}
		return c->scopes == 0 ? "empty" : NULL;
	}
	if (strcmp(key, "push") == 0)
		return conffile_bool(v, &c->push);
	if (strcmp(key, "poll_interval") == 0) {
		secs = strnum_duration(v, 86400, &err);
		if (err != NULL)
			return err;
		if (secs < 1)
			return "too small";
		c->poll_interval = secs;
		return NULL;
	}
	return "unknown key";
}

void crowdsec_list_init(struct crowdsec_list *l)
{
	memset(l, 0, sizeof(*l));
}

void crowdsec_list_free(struct crowdsec_list *l)
{
	free(l->d);
	crowdsec_list_init(l);
}

/* Room for want entries in all; 0 or -1 (ENOMEM). */
static int crowdsec_list_reserve(struct crowdsec_list *l, size_t want)
{
	struct crowdsec_decision *nd;
	size_t cap = l->cap == 0 ? 64 : l->cap;

	if (want <= l->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	nd = reallocarray(l->d, cap, sizeof(*nd));
	if (nd == NULL)
		return -1;
	l->d = nd;
	l->cap = cap;
	return 0;
}

int crowdsec_list_add(struct crowdsec_list *l, const struct crowdsec_decision *d)
{
	if (crowdsec_list_reserve(l, l->n + 1) < 0)
		return -1;
	l->d[l->n++] = *d;
	return 0;
}

void crowdsec_delta_init(struct crowdsec_delta *d)
{
	memset(d, 0, sizeof(*d));
}

void crowdsec_delta_free(struct crowdsec_delta *d)
{
	crowdsec_list_free(&d->add);
	crowdsec_list_free(&d->del);
	crowdsec_delta_init(d);
}

int crowdsec_duration(const char *s, int64_t *secs)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"h", 3600},
		     {"m", 60},	   {"s", 1}};
	double total = 0, v;
	bool neg = false;
	char *end;
	size_t i, ul;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (*s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	while (*s != '\0') {
		if ((*s < '0' || *s > '9') && *s != '.')
			return -1;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno != 0 || !isfinite(v))
			return -1;
		s = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ul) == 0)
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		s += ul;
		total += v * units[i].scale;
		if (total > 1e11)
			return -1;
	}
	/* Rounded up: a ban never ends before the LAPI's; an expired one stays expired. */
	*secs = (int64_t)total;
	if (!neg && (double)*secs < total)
		(*secs)++;
	if (neg)
		*secs = -*secs;
	return 0;
}

static int crowdsec_cmp_id(const void *a, const void *b)
{
	const struct crowdsec_decision *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* qsort and bsearch want a non-NULL array even for zero elements. */
static void crowdsec_sort(struct crowdsec_list *l)
{
	if (l->n > 1)
		qsort(l->d, l->n, sizeof(*l->d), crowdsec_cmp_id);
}

static struct crowdsec_decision *crowdsec_find(struct crowdsec_list *l, int64_t id)
{
	struct crowdsec_decision key = {.id = id};

	if (l->n == 0)
		return NULL;
	return bsearch(&key, l->d, l->n, sizeof(*l->d), crowdsec_cmp_id);
}

const struct crowdsec_decision *crowdsec_list_find(const struct crowdsec_list *l, int64_t id)
{
	return crowdsec_find((struct crowdsec_list *)l, id);
}

long crowdsec_held_apply(struct crowdsec_list *held, const struct crowdsec_delta *d, bool startup,
			 int64_t now, struct crowdsec_list *fresh)
{
	struct crowdsec_decision *x;
	long changes = 0;
	size_t i, k, n0;

	if (startup) {
		changes = (long)(held->n + d->add.n);
		held->n = 0;
	}
	crowdsec_sort(held);
	for (i = 0; i < d->del.n; i++) {
		x = crowdsec_find(held, d->del.d[i].id);
		if (x != NULL) {
			x->range.tag = 0;
			changes++;
		}
	}
	/* Only the sorted part is searched; what is appended here is sorted at the end. */
	n0 = held->n;
	if (crowdsec_list_reserve(held, n0 + d->add.n) < 0)
		return -1;
	for (i = 0; i < d->add.n; i++) {
		x = crowdsec_find(&(struct crowdsec_list){.n = n0, .d = held->d}, d->add.d[i].id);
		if (x != NULL) {
			*x = d->add.d[i];
			changes += !startup;
			continue;
		}
		if (crowdsec_list_add(held, &d->add.d[i]) < 0)
			return -1;
		if (!startup && fresh != NULL && crowdsec_list_add(fresh, &d->add.d[i]) < 0)
			return -1;
		changes += !startup;
	}
	/* Deleted (tag 0) and expired decisions leave. */
	for (i = 0, k = 0; i < held->n; i++) {
		if (held->d[i].range.tag == 0 || (int64_t)held->d[i].range.tag <= now) {
			changes += held->d[i].range.tag != 0;
			continue;
		}
		held->d[k++] = held->d[i];
	}
	held->n = k;
	crowdsec_sort(held);
	return changes;
}

static int crowdsec_cmp_addr(const void *a, const void *b)
{
	const struct crowdsec_decision *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return cidr_addr_cmp(&x->range.first, &y->range.first);
}

void crowdsec_list_sort_addr(struct crowdsec_list *l)
{
	if (l->n > 1)
		qsort(l->d, l->n, sizeof(*l->d), crowdsec_cmp_addr);
}

struct crowdsec_decision *crowdsec_list_find_addr(const struct crowdsec_list *l, int family,
						  const struct cidr_addr *a)
{
	struct crowdsec_decision key;

	if (l->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.family = family;
	key.range.first = *a;
	return bsearch(&key, l->d, l->n, sizeof(*l->d), crowdsec_cmp_addr);
}

/* "key: value" (quotes allowed) of a line into out; 1 when key matched. */
static int crowdsec_yaml_key(const char *line, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key), n;
	const char *v;

	if (strncmp(line, key, kl) != 0 || line[kl] != ':')
		return 0;
	v = line + kl + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v++;
		n -= 2;
	}
	if (n >= len)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 1;
}

/*
 * The file is the three flat lines cscli writes; a YAML library would accept far more
 * than cscli ever writes, and nothing else in nftarpit reads YAML.
 */
int crowdsec_parse_credentials(const char *text, char *url, size_t urllen, char *login,
			       size_t loginlen, char *password, size_t passlen, char *err,
			       size_t errlen)
{
	const char *p = text;
	int r = 0;

	url[0] = login[0] = password[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (crowdsec_yaml_key(p, "url", url, urllen) < 0 ||
		    crowdsec_yaml_key(p, "login", login, loginlen) < 0 ||
		    crowdsec_yaml_key(p, "password", password, passlen) < 0)
			r = -1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (r < 0) {
		snprintf(err, errlen, "a value is too long");
		return -1;
	}
	if (login[0] == '\0' || password[0] == '\0') {
		snprintf(err, errlen, "no login or password line");
		return -1;
	}
	return 0;
}

int crowdsec_store_load(const char *path, struct crowdsec_list *held, struct crowdsec_list *pushed,
			char *err, size_t errlen)
{
	struct crowdsec_decision x;
	char line[256], kind[4], range[128];
	long long id, tag;
	unsigned long lineno = 0;
	FILE *f = fopen(path, "re");
	size_t total = 0, end = (size_t)-1;
	int rc = -1;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n' || strncmp(line, "status ", 7) == 0)
			continue;
		if (sscanf(line, "end %zu", &end) == 1)
			break;
		if (sscanf(line, "%3s %lld %127s %lld", kind, &id, range, &tag) != 4 ||
		    (strcmp(kind, "d") != 0 && strcmp(kind, "p") != 0) ||
		    cidr_parse(range, &x.family, &x.range, err, errlen) < 0 || tag <= 0) {
			snprintf(err, errlen, "%s:%lu: bad line", path, lineno);
			goto out;
		}
		x.id = id;
		x.range.tag = (uint64_t)tag;
		if (crowdsec_list_add(kind[0] == 'd' ? held : pushed, &x) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto out;
		}
		total++;
	}
	if (end != total) {
		snprintf(err, errlen, "%s: cut short (no \"end %zu\" line)", path, total);
		goto out;
	}
	crowdsec_sort(held);
	rc = 0;
out:
	fclose(f);
	if (rc < 0) {
		crowdsec_list_free(held);
		crowdsec_list_free(pushed);
	}
	return rc;
}

int crowdsec_store_status(const char *path, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "status ", 7) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line + 7);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static void crowdsec_store_list(FILE *f, const char *kind, const struct crowdsec_list *l)
{
	char text[CIDR_TEXT_MAX];
	size_t i;

	for (i = 0; i < l->n; i++) {
		cidr_range_format(&l->d[i].range, l->d[i].family, text, sizeof(text));
		fprintf(f, "%s %lld %s %llu\n", kind, (long long)l->d[i].id, text,
			(unsigned long long)l->d[i].range.tag);
	}
}

struct crowdsec_store {
	const struct crowdsec_list *held;
	const struct crowdsec_list *pushed;
	const char *status;
};

static int crowdsec_store_body(FILE *f, void *arg)
{
	const struct crowdsec_store *st = arg;

	fprintf(f, "# nftarpit-sync: CrowdSec decisions held (d ID RANGE EXPIRES) and bans "
		   "pushed (p 0 ADDR EXPIRES)\n");
	if (st->status != NULL)
		fprintf(f, "status %s\n", st->status);
	crowdsec_store_list(f, "d", st->held);
	crowdsec_store_list(f, "p", st->pushed);
	fprintf(f, "end %zu\n", st->held->n + st->pushed->n);
	return 0;
}

/* The shared writer (export.h): temporary file, fsync, rename. */
int crowdsec_store_save(const char *path, const struct crowdsec_list *held,
			const struct crowdsec_list *pushed, const char *status)
{
	struct crowdsec_store st = {held, pushed, status};

	return export_atomic(path, crowdsec_store_body, &st);
}
