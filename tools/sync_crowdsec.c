// SPDX-License-Identifier: GPL-2.0-or-later
/* CrowdSec Local API decisions: JSON -> decisions, the held list, alerts to push. Pure. */
#include "sync_crowdsec.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conffile.h"
#include "log.h"
#include "strnum.h"
#include "sync_export.h"

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

static bool crowdsec_name_in(const char *s, const char names[][CROWDSEC_NAME_LEN], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static const char *crowdsec_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Whether r spans more than a /CROWDSEC_MIN_LEN4 (IPv4) or /CROWDSEC_MIN_LEN6 (IPv6): one
 * decision of the whole fleet must not switch port 25 off for a large part of the
 * Internet (nftarpitctl block asks for --force from the same size on).
 */
static bool crowdsec_too_broad(const struct cidr_range *r, int family)
{
	if (family == 4)
		return r->last.lo - r->first.lo >= (1ull << (32 - CROWDSEC_MIN_LEN4));
	return r->last.hi - r->first.hi >= (1ull << (64 - CROWDSEC_MIN_LEN6));
}

/*
 * One decision object. Returns 1 (out filled), 0 (ignored), 2 (bad, err set), -1 (not an
 * object with the fields every decision has).
 */
static int crowdsec_decision(struct json_object *o, const struct crowdsec_conf *c, int64_t now,
			     bool deleted, struct crowdsec_decision *out, char *err, size_t errlen)
{
	struct json_object *idv;
	const char *type, *scope, *value, *origin, *dur;
	unsigned int sc;
	int64_t secs;
	int family;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "id", &idv) || !json_object_is_type(idv, json_type_int)) {
		snprintf(err, errlen, "a decision is not an object with a numeric id");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->id = json_object_get_int64(idv);
	type = crowdsec_str(o, "type");
	scope = crowdsec_str(o, "scope");
	value = crowdsec_str(o, "value");
	origin = crowdsec_str(o, "origin");
	dur = crowdsec_str(o, "duration");
	if (type == NULL || scope == NULL || value == NULL) {
		snprintf(err, errlen, "decision id=%lld lacks type, scope or value",
			 (long long)out->id);
		return -1;
	}
	if (strcasecmp(scope, "ip") == 0)
		sc = CROWDSEC_SCOPE_IP;
	else if (strcasecmp(scope, "range") == 0)
		sc = CROWDSEC_SCOPE_RANGE;
	else
		sc = 0;
	if ((sc & c->scopes) == 0 || !crowdsec_name_in(type, c->types, c->ntypes) ||
	    (c->norigins > 0 &&
	     (origin == NULL || !crowdsec_name_in(origin, c->origins, c->norigins))))
		return 0;
	if (cidr_parse(value, &family, &out->range, err, errlen) < 0) {
		snprintf(err, errlen, "decision id=%lld: bad %s value \"%.64s\"",
			 (long long)out->id, scope, value);
		return 2;
	}
	if (sc == CROWDSEC_SCOPE_IP && cidr_addr_cmp(&out->range.first, &out->range.last) != 0) {
		snprintf(err, errlen, "decision id=%lld: Ip value \"%.64s\" is a range",
			 (long long)out->id, value);
		return 2;
	}
	out->family = family;
	if (deleted)
		return 1;
	if (crowdsec_too_broad(&out->range, family)) {
		snprintf(err, errlen,
			 "decision id=%lld: range \"%.64s\" is broader than /%d: refused",
			 (long long)out->id, value,
			 family == 4 ? CROWDSEC_MIN_LEN4 : CROWDSEC_MIN_LEN6);
		return 2;
	}
	if (dur == NULL || crowdsec_duration(dur, &secs) < 0) {
		snprintf(err, errlen, "decision id=%lld: bad duration \"%.32s\"",
			 (long long)out->id, dur != NULL ? dur : "(none)");
		return 2;
	}
	if (secs <= 0)
		return 0;
	out->range.tag = (uint64_t)(now + secs);
	return 1;
}

/* The "new" or "deleted" member: null, absent or an array of decisions. */
static int crowdsec_side(struct json_object *top, const char *member, const struct crowdsec_conf *c,
			 int64_t now, struct crowdsec_list *out, struct crowdsec_delta *d,
			 char *err, size_t errlen)
{
	struct crowdsec_decision x;
	struct json_object *a;
	char why[160];
	size_t i, n;
	int r;

	if (!json_object_object_get_ex(top, member, &a) || a == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array)) {
		snprintf(err, errlen, "\"%s\" is not an array", member);
		return -1;
	}
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		r = crowdsec_decision(json_object_array_get_idx(a, i), c, now,
				      strcmp(member, "deleted") == 0, &x, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "\"%s\"[%zu]: %s", member, i, why);
			return -1;
		}
		if (r == 0) {
			d->ignored++;
			continue;
		}
		if (r == 2) {
			d->bad++;
			snprintf(err, errlen, "%s", why);
			continue;
		}
		if (crowdsec_list_add(out, &x) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int crowdsec_parse_stream(const char *json, size_t len, const struct crowdsec_conf *c, int64_t now,
			  struct crowdsec_delta *d, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *top;
	enum json_tokener_error jerr;

	crowdsec_delta_init(d);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	tok = json_tokener_new();
	if (tok == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	top = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	if (top == NULL || jerr != json_tokener_success || json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen, "not JSON: %s at byte %zu",
			 jerr == json_tokener_continue	? "unexpected end"
			 : jerr != json_tokener_success ? json_tokener_error_desc(jerr)
							: "trailing bytes",
			 json_tokener_get_parse_end(tok));
		json_object_put(top);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(top, json_type_object)) {
		snprintf(err, errlen, "not a JSON object with \"new\" and \"deleted\"");
		json_object_put(top);
		return -1;
	}
	if (crowdsec_side(top, "new", c, now, &d->add, d, err, errlen) < 0 ||
	    crowdsec_side(top, "deleted", c, now, &d->del, d, err, errlen) < 0) {
		json_object_put(top);
		crowdsec_delta_free(d);
		return -1;
	}
	json_object_put(top);
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
			 int64_t now)
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

static int crowdsec_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	return json_object_object_add(o, key, v);
}

/* "2026-12-02T05:00:00Z" */
static void crowdsec_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One alert with one ban decision; NULL (ENOMEM). */
static struct json_object *crowdsec_alert(const struct crowdsec_ban *b, const char *machine,
					  int64_t now)
{
	struct json_object *a = json_object_new_object(), *src, *dec, *decs, *ev, *evs;
	char addr[64], scenario[64], when[32], dur[32], msg[160];
	int rc = 0;
	struct cidr_range r = cidr_prefix_of(&b->addr, b->family, b->prefix);
	const char *scope = b->prefix < (b->family == 4 ? 32u : 128u) ? "Range" : "Ip";

	if (a == NULL)
		return NULL;
	if (strcmp(scope, "Range") == 0)
		cidr_range_format(&r, b->family, addr, sizeof(addr));
	else
		cidr_addr_format(&b->addr, b->family, addr, sizeof(addr));
	snprintf(scenario, sizeof(scenario), "nftarpit/%s", b->reason);
	crowdsec_time(now, when, sizeof(when));
	snprintf(dur, sizeof(dur), "%llds", (long long)(b->expires > now ? b->expires - now : 1));
	snprintf(msg, sizeof(msg), "%s banned by nftarpit-sync on %s: %s", addr, machine,
		 b->reason);
	src = json_object_new_object();
	dec = json_object_new_object();
	decs = json_object_new_array();
	ev = json_object_new_object();
	evs = json_object_new_array();
	rc |= crowdsec_put(a, "source", src);
	rc |= crowdsec_put(a, "decisions", decs);
	rc |= crowdsec_put(a, "events", evs);
	if (rc != 0 || json_object_array_add(decs, dec) < 0) {
		json_object_put(dec);
		json_object_put(ev);
		json_object_put(a);
		return NULL;
	}
	if (json_object_array_add(evs, ev) < 0) {
		json_object_put(ev);
		json_object_put(a);
		return NULL;
	}
	rc |= crowdsec_put(src, "scope", json_object_new_string(scope));
	rc |= crowdsec_put(src, "value", json_object_new_string(addr));
	rc |= crowdsec_put(src, strcmp(scope, "Range") == 0 ? "range" : "ip",
			   json_object_new_string(addr));
	rc |= crowdsec_put(dec, "duration", json_object_new_string(dur));
	rc |= crowdsec_put(dec, "origin", json_object_new_string("nftarpit"));
	rc |= crowdsec_put(dec, "scenario", json_object_new_string(scenario));
	rc |= crowdsec_put(dec, "scope", json_object_new_string(scope));
	rc |= crowdsec_put(dec, "type", json_object_new_string("ban"));
	rc |= crowdsec_put(dec, "value", json_object_new_string(addr));
	rc |= crowdsec_put(ev, "timestamp", json_object_new_string(when));
	rc |= crowdsec_put(ev, "meta", json_object_new_array());
	rc |= crowdsec_put(a, "scenario", json_object_new_string(scenario));
	rc |= crowdsec_put(a, "scenario_hash", json_object_new_string(""));
	rc |= crowdsec_put(a, "scenario_version", json_object_new_string(""));
	rc |= crowdsec_put(a, "message", json_object_new_string(msg));
	rc |= crowdsec_put(a, "events_count", json_object_new_int(1));
	rc |= crowdsec_put(a, "start_at", json_object_new_string(when));
	rc |= crowdsec_put(a, "stop_at", json_object_new_string(when));
	rc |= crowdsec_put(a, "capacity", json_object_new_int(0));
	rc |= crowdsec_put(a, "leakspeed", json_object_new_string("0"));
	rc |= crowdsec_put(a, "simulated", json_object_new_boolean(0));
	rc |= crowdsec_put(a, "remediation", json_object_new_boolean(1));
	if (rc != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

char *crowdsec_alerts_json(const struct crowdsec_ban *bans, size_t n, const char *machine,
			   int64_t now)
{
	struct json_object *arr = json_object_new_array(), *a;
	char *out = NULL;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		a = crowdsec_alert(&bans[i], machine, now);
		if (a == NULL || json_object_array_add(arr, a) < 0) {
			json_object_put(a);
			goto out;
		}
	}
	out = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(arr);
	return out;
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

/* The shared writer (sync_export.h): temporary file, fsync, rename. */
int crowdsec_store_save(const char *path, const struct crowdsec_list *held,
			const struct crowdsec_list *pushed, const char *status)
{
	struct crowdsec_store st = {held, pushed, status};

	return export_atomic(path, crowdsec_store_body, &st);
}
