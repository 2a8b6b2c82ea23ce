// SPDX-License-Identifier: GPL-2.0-or-later
/* CrowdSec Local API messages in JSON (json-c): stream answers -> decisions, bans -> alerts. */
#include "csjson.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool csjson_name_in(const char *s, const char names[][CROWDSEC_NAME_LEN], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static const char *csjson_str(struct json_object *o, const char *key)
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
static bool csjson_too_broad(const struct cidr_range *r, int family)
{
	if (family == 4)
		return r->last.lo - r->first.lo >= (1ull << (32 - CROWDSEC_MIN_LEN4));
	return r->last.hi - r->first.hi >= (1ull << (64 - CROWDSEC_MIN_LEN6));
}

/*
 * One decision object. Returns 1 (out filled), 0 (ignored), 2 (bad, err set), -1 (not an
 * object with the fields every decision has).
 */
static int csjson_decision(struct json_object *o, const struct crowdsec_conf *c, int64_t now,
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
	type = csjson_str(o, "type");
	scope = csjson_str(o, "scope");
	value = csjson_str(o, "value");
	origin = csjson_str(o, "origin");
	dur = csjson_str(o, "duration");
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
	if ((sc & c->scopes) == 0 || !csjson_name_in(type, c->types, c->ntypes) ||
	    (c->norigins > 0 &&
	     (origin == NULL || !csjson_name_in(origin, c->origins, c->norigins))))
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
	if (csjson_too_broad(&out->range, family)) {
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
static int csjson_side(struct json_object *top, const char *member, const struct crowdsec_conf *c,
		       int64_t now, struct crowdsec_list *out, struct crowdsec_delta *d, char *err,
		       size_t errlen)
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
		r = csjson_decision(json_object_array_get_idx(a, i), c, now,
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

int csjson_parse_stream(const char *json, size_t len, const struct crowdsec_conf *c, int64_t now,
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
	if (csjson_side(top, "new", c, now, &d->add, d, err, errlen) < 0 ||
	    csjson_side(top, "deleted", c, now, &d->del, d, err, errlen) < 0) {
		json_object_put(top);
		crowdsec_delta_free(d);
		return -1;
	}
	json_object_put(top);
	return 0;
}

static int csjson_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	return json_object_object_add(o, key, v);
}

/* "2026-12-02T05:00:00Z" */
static void csjson_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One alert with one ban decision; NULL (ENOMEM). */
static struct json_object *csjson_alert(const struct crowdsec_ban *b, const char *machine,
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
	csjson_time(now, when, sizeof(when));
	snprintf(dur, sizeof(dur), "%llds", (long long)(b->expires > now ? b->expires - now : 1));
	snprintf(msg, sizeof(msg), "%s banned by nftarpit-sync on %s: %s", addr, machine,
		 b->reason);
	src = json_object_new_object();
	dec = json_object_new_object();
	decs = json_object_new_array();
	ev = json_object_new_object();
	evs = json_object_new_array();
	rc |= csjson_put(a, "source", src);
	rc |= csjson_put(a, "decisions", decs);
	rc |= csjson_put(a, "events", evs);
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
	rc |= csjson_put(src, "scope", json_object_new_string(scope));
	rc |= csjson_put(src, "value", json_object_new_string(addr));
	rc |= csjson_put(src, strcmp(scope, "Range") == 0 ? "range" : "ip",
			 json_object_new_string(addr));
	rc |= csjson_put(dec, "duration", json_object_new_string(dur));
	rc |= csjson_put(dec, "origin", json_object_new_string("nftarpit"));
	rc |= csjson_put(dec, "scenario", json_object_new_string(scenario));
	rc |= csjson_put(dec, "scope", json_object_new_string(scope));
	rc |= csjson_put(dec, "type", json_object_new_string("ban"));
	rc |= csjson_put(dec, "value", json_object_new_string(addr));
	rc |= csjson_put(ev, "timestamp", json_object_new_string(when));
	rc |= csjson_put(ev, "meta", json_object_new_array());
	rc |= csjson_put(a, "scenario", json_object_new_string(scenario));
	rc |= csjson_put(a, "scenario_hash", json_object_new_string(""));
	rc |= csjson_put(a, "scenario_version", json_object_new_string(""));
	rc |= csjson_put(a, "message", json_object_new_string(msg));
	rc |= csjson_put(a, "events_count", json_object_new_int(1));
	rc |= csjson_put(a, "start_at", json_object_new_string(when));
	rc |= csjson_put(a, "stop_at", json_object_new_string(when));
	rc |= csjson_put(a, "capacity", json_object_new_int(0));
	rc |= csjson_put(a, "leakspeed", json_object_new_string("0"));
	rc |= csjson_put(a, "simulated", json_object_new_boolean(0));
	rc |= csjson_put(a, "remediation", json_object_new_boolean(1));
	if (rc != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

char *csjson_alerts(const struct crowdsec_ban *bans, size_t n, const char *machine, int64_t now)
{
	struct json_object *arr = json_object_new_array(), *a;
	char *out = NULL;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		a = csjson_alert(&bans[i], machine, now);
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
