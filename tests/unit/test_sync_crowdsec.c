// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sync_crowdsec: recorded Local API stream answers -> decisions (types, scopes, origins,
 * expiry), malformed answers refused whole, the held list under deltas, the alerts we
 * push, machine credentials, the store round trip, the [crowdsec] keys.
 */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csjson.h"

#define NOW 1796187863LL

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = malloc(1 << 16);

	assert_non_null(buf);
	snprintf(path, sizeof(path), "data/crowdsec/%s", name);
	f = fopen(path, "re");
	assert_non_null(f);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int parse_file(const char *name, const struct crowdsec_conf *c, struct crowdsec_delta *d,
		      char *err, size_t errlen)
{
	size_t len;
	char *buf = slurp(name, &len);
	int rc = csjson_parse_stream(buf, len, c, NOW, d, err, errlen);

	free(buf);
	return rc;
}

static const struct crowdsec_decision *by_id(const struct crowdsec_list *l, int64_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->d[i].id == id)
			return &l->d[i];
	return NULL;
}

static void assert_range(const struct crowdsec_decision *d, const char *want)
{
	char text[CIDR_TEXT_MAX];

	assert_non_null(d);
	cidr_range_format(&d->range, d->family, text, sizeof(text));
	assert_string_equal(text, want);
}

/* Defaults: ban only, Ip and Range, every origin; expired and other scopes ignored. */
static void test_startup_defaults(void **state)
{
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	char err[256];

	crowdsec_conf_defaults(&c);
	assert_int_equal(parse_file("startup.json", &c, &d, err, sizeof(err)), 0);
	assert_int_equal(d.add.n, 4);
	assert_int_equal(d.del.n, 0);
	/* captcha (2), Country (5), expired (7) */
	assert_int_equal(d.ignored, 3);
	assert_int_equal(d.bad, 0);
	assert_range(by_id(&d.add, 1), "198.51.100.77");
	assert_range(by_id(&d.add, 3), "203.0.113.66");
	assert_range(by_id(&d.add, 4), "198.51.100.128/25");
	assert_range(by_id(&d.add, 6), "2001:db8:bad::10");
	assert_int_equal(by_id(&d.add, 6)->family, 6);
	/* Each decision's own end, rounded up: 59m59.37s, 3h59m54.9s, 23h59m0.5s, 10m. */
	assert_int_equal(by_id(&d.add, 1)->range.tag, NOW + 3600);
	assert_int_equal(by_id(&d.add, 3)->range.tag, NOW + 4 * 3600 - 5);
	assert_int_equal(by_id(&d.add, 4)->range.tag, NOW + 86400 - 59);
	assert_int_equal(by_id(&d.add, 6)->range.tag, NOW + 600);
	crowdsec_delta_free(&d);
}

/* decision_types, scopes and origins select. */
static void test_filters(void **state)
{
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	char err[256];

	crowdsec_conf_defaults(&c);
	assert_null(crowdsec_conf_set(&c, "decision_types", "ban, captcha"));
	assert_null(crowdsec_conf_set(&c, "scopes", "Range"));
	assert_int_equal(parse_file("startup.json", &c, &d, err, sizeof(err)), 0);
	assert_int_equal(d.add.n, 2);
	assert_non_null(by_id(&d.add, 2));
	assert_non_null(by_id(&d.add, 4));
	crowdsec_delta_free(&d);

	crowdsec_conf_defaults(&c);
	assert_null(crowdsec_conf_set(&c, "origins", "cscli,crowdsec"));
	assert_int_equal(parse_file("startup.json", &c, &d, err, sizeof(err)), 0);
	assert_int_equal(d.add.n, 2);
	assert_non_null(by_id(&d.add, 1));
	assert_non_null(by_id(&d.add, 6));
	crowdsec_delta_free(&d);
}

/* Not the stream's JSON: refused whole with a reason, nothing in the delta. */
static void test_malformed(void **state)
{
	static const struct {
		const char *file;
		const char *reason;
	} cases[] = {
		{"truncated.json", "not JSON"},	     {"html.txt", "not JSON"},
		{"array.json", "not a JSON object"}, {"notarray.json", "\"new\" is not an array"},
		{"noid.json", "numeric id"},
	};
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	char err[256];
	size_t i;

	crowdsec_conf_defaults(&c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_file(cases[i].file, &c, &d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].reason));
		assert_int_equal(d.add.n + d.del.n, 0);
		crowdsec_delta_free(&d);
	}
	assert_int_equal(csjson_parse_stream("", 0, &c, NOW, &d, err, sizeof(err)), -1);
	assert_int_equal(csjson_parse_stream("{} x", 4, &c, NOW, &d, err, sizeof(err)), -1);
}

/* One unreadable decision is counted and named; the others are kept. */
static void test_bad_values(void **state)
{
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	char err[256];

	crowdsec_conf_defaults(&c);
	assert_int_equal(parse_file("badvalue.json", &c, &d, err, sizeof(err)), 0);
	/* 300, a /24 as Ip, "forever", 0.0.0.0/0 and 2001::/15 (broader than /8, /16) */
	assert_int_equal(d.bad, 5);
	assert_int_equal(d.add.n, 2);
	assert_range(by_id(&d.add, 4), "198.51.100.4");
	assert_range(by_id(&d.add, 7), "10.0.0.0/8");
	assert_non_null(strstr(err, "id=6"));
	assert_non_null(strstr(err, "broader than /16"));
	crowdsec_delta_free(&d);
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} good[] = {{"59m59.375540216s", 3600},
		    {"4h", 14400},
		    {"1h2m3s", 3723},
		    {"300ms", 1},
		    {"-2.5s", -2},
		    {"0", 0},
		    {"1.5h", 5400},
		    {"2\xc2\xb5s", 1}};
	static const char *const bad[] = {"", "h", "1", "1x", "1h-2m", "forever", "1e400h", "--1s"};
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(crowdsec_duration(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(crowdsec_duration(bad[i], &v), -1);
}

/*
 * The held list: startup replaces, a delta deletes by id and adds; a ban added again (new
 * id, later end) is held next to the old one, so the set gets the later end (the bouncer
 * bug of re-added bans not extending); an unknown deleted id changes nothing.
 */
static void test_held(void **state)
{
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	struct crowdsec_list held, fresh;
	char err[256];

	crowdsec_conf_defaults(&c);
	crowdsec_list_init(&held);
	crowdsec_list_init(&fresh);
	assert_int_equal(parse_file("startup.json", &c, &d, err, sizeof(err)), 0);
	assert_true(crowdsec_held_apply(&held, &d, true, NOW, &fresh) > 0);
	assert_int_equal(fresh.n, 0);
	crowdsec_delta_free(&d);
	assert_int_equal(held.n, 4);

	/* The new id 8 is fresh (follow mode sends it like a log ban); a delete is not. */
	assert_int_equal(parse_file("delta.json", &c, &d, err, sizeof(err)), 0);
	assert_int_equal(d.del.n, 2);
	crowdsec_list_init(&fresh);
	assert_int_equal(crowdsec_held_apply(&held, &d, false, NOW, &fresh), 2);
	assert_int_equal(fresh.n, 1);
	assert_int_equal(fresh.d[0].id, 8);
	assert_range(&fresh.d[0], "203.0.113.66");
	/* The same answer again replaces id 8: a change, but nothing fresh. */
	fresh.n = 0;
	assert_int_equal(crowdsec_held_apply(&held, &d, false, NOW, &fresh), 1);
	assert_int_equal(fresh.n, 0);
	/* At startup nothing is fresh: the caller does a full pass anyway. */
	crowdsec_list_free(&fresh);
	crowdsec_delta_free(&d);
	assert_int_equal(held.n, 4);
	assert_null(crowdsec_list_find(&held, 1));
	assert_non_null(crowdsec_list_find(&held, 3));
	assert_range(crowdsec_list_find(&held, 8), "203.0.113.66");
	assert_int_equal(crowdsec_list_find(&held, 8)->range.tag, NOW + 7200);

	/* An empty delta changes nothing; decisions past their end leave by themselves. */
	assert_int_equal(parse_file("empty.json", &c, &d, err, sizeof(err)), 0);
	assert_int_equal(crowdsec_held_apply(&held, &d, false, NOW, NULL), 0);
	assert_int_equal(crowdsec_held_apply(&held, &d, false, NOW + 601, NULL), 1);
	assert_null(crowdsec_list_find(&held, 6));
	/* A startup answer after being away replaces everything held. */
	assert_true(crowdsec_held_apply(&held, &d, true, NOW, NULL) > 0);
	assert_int_equal(held.n, 0);
	crowdsec_delta_free(&d);
	crowdsec_list_free(&held);
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_string(v);
}

/*
 * What we push is what the LAPI stores: an alert with one ban decision per ban, scope Ip
 * for an address, Range for a wider banned prefix (an IPv6 offender's /64).
 */
static void test_alerts(void **state)
{
	struct crowdsec_ban b[2];
	struct json_object *arr, *a, *decs, *dec, *src;
	int fam;
	char *s;

	memset(b, 0, sizeof(b));
	assert_int_equal(cidr_parse_addr("203.0.113.66", &fam, &b[0].addr), 0);
	b[0].family = fam;
	b[0].prefix = 32;
	snprintf(b[0].reason, sizeof(b[0].reason), "rbl");
	b[0].expires = NOW + 3600;
	assert_int_equal(cidr_parse_addr("2001:db8:bad::", &fam, &b[1].addr), 0);
	b[1].family = fam;
	b[1].prefix = 64;
	snprintf(b[1].reason, sizeof(b[1].reason), "pregreet");
	b[1].expires = NOW + 60;
	s = csjson_alerts(b, 2, "mx1", NOW);
	assert_non_null(s);
	arr = json_tokener_parse(s);
	assert_non_null(arr);
	assert_int_equal(json_object_array_length(arr), 2);
	a = json_object_array_get_idx(arr, 0);
	assert_string_equal(str(a, "scenario"), "nftarpit/rbl");
	assert_true(json_object_object_get_ex(a, "source", &src));
	assert_string_equal(str(src, "value"), "203.0.113.66");
	assert_true(json_object_object_get_ex(a, "decisions", &decs));
	assert_int_equal(json_object_array_length(decs), 1);
	dec = json_object_array_get_idx(decs, 0);
	assert_string_equal(str(dec, "type"), "ban");
	assert_string_equal(str(dec, "scope"), "Ip");
	assert_string_equal(str(dec, "origin"), "nftarpit");
	assert_string_equal(str(dec, "duration"), "3600s");
	assert_string_equal(str(dec, "value"), "203.0.113.66");
	a = json_object_array_get_idx(arr, 1);
	assert_string_equal(str(a, "scenario"), "nftarpit/pregreet");
	assert_true(json_object_object_get_ex(a, "source", &src));
	assert_string_equal(str(src, "scope"), "Range");
	assert_string_equal(str(src, "range"), "2001:db8:bad::/64");
	assert_true(json_object_object_get_ex(a, "decisions", &decs));
	dec = json_object_array_get_idx(decs, 0);
	assert_string_equal(str(dec, "scope"), "Range");
	assert_string_equal(str(dec, "value"), "2001:db8:bad::/64");
	json_object_put(arr);
	free(s);
}

static void test_credentials(void **state)
{
	char url[128], login[64], pw[64], err[128];

	assert_int_equal(crowdsec_parse_credentials("url: http://192.0.2.1:8080\nlogin: mx1\n"
						    "password: \"s3cr3t x\"\n",
						    url, sizeof(url), login, sizeof(login), pw,
						    sizeof(pw), err, sizeof(err)),
			 0);
	assert_string_equal(url, "http://192.0.2.1:8080");
	assert_string_equal(login, "mx1");
	assert_string_equal(pw, "s3cr3t x");
	assert_int_equal(crowdsec_parse_credentials("url: x\nlogin: mx1\n", url, sizeof(url), login,
						    sizeof(login), pw, sizeof(pw), err,
						    sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "password"));
}

/* The store round trip; a store cut short is refused, a missing one is empty. */
static void test_store(void **state)
{
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	struct crowdsec_list held, pushed, h2, p2;
	struct crowdsec_decision p;
	char path[] = "/tmp/test_sync_crowdsec.XXXXXX", file[64], err[256], line[4096];
	FILE *f;
	int fd = mkstemp(path);
	size_t n;

	assert_true(fd >= 0);
	close(fd);
	crowdsec_conf_defaults(&c);
	crowdsec_list_init(&held);
	crowdsec_list_init(&pushed);
	crowdsec_list_init(&h2);
	crowdsec_list_init(&p2);
	assert_int_equal(parse_file("startup.json", &c, &d, err, sizeof(err)), 0);
	assert_true(crowdsec_held_apply(&held, &d, true, NOW, NULL) > 0);
	crowdsec_delta_free(&d);
	memset(&p, 0, sizeof(p));
	assert_int_equal(cidr_parse("203.0.113.66", &p.family, &p.range, err, sizeof(err)), 0);
	p.range.tag = NOW + 60;
	assert_int_equal(crowdsec_list_add(&pushed, &p), 0);
	assert_int_equal(crowdsec_store_save(path, &held, &pushed, "state=up held=4"), 0);
	assert_int_equal(crowdsec_store_load(path, &h2, &p2, err, sizeof(err)), 0);
	assert_int_equal(h2.n, 4);
	assert_int_equal(p2.n, 1);
	assert_range(crowdsec_list_find(&h2, 4), "198.51.100.128/25");
	assert_int_equal(crowdsec_list_find(&h2, 4)->range.tag, NOW + 86400 - 59);
	assert_int_equal(p2.d[0].range.tag, NOW + 60);
	crowdsec_list_free(&h2);
	crowdsec_list_free(&p2);

	/* Cut before the "end" line. */
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	*strstr(line, "end ") = '\0';
	f = fopen(path, "we");
	fputs(line, f);
	fclose(f);
	assert_int_equal(crowdsec_store_load(path, &h2, &p2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cut short"));
	assert_int_equal(h2.n + p2.n, 0);
	unlink(path);
	snprintf(file, sizeof(file), "%s.missing", path);
	assert_int_equal(crowdsec_store_load(file, &h2, &p2, err, sizeof(err)), 0);
	assert_int_equal(h2.n + p2.n, 0);
	crowdsec_list_free(&held);
	crowdsec_list_free(&pushed);
}

static void test_conf(void **state)
{
	struct crowdsec_conf c;

	crowdsec_conf_defaults(&c);
	assert_int_equal(c.ntypes, 1);
	assert_string_equal(c.types[0], "ban");
	assert_int_equal(c.scopes, CROWDSEC_SCOPE_IP | CROWDSEC_SCOPE_RANGE);
	assert_false(c.push);
	assert_null(crowdsec_conf_set(&c, "url", "http://198.18.2.1:8080"));
	assert_non_null(crowdsec_conf_set(&c, "url", "ftp://x"));
	assert_null(crowdsec_conf_set(&c, "bouncer_key_file", "/etc/nftarpit/crowdsec.key"));
	assert_non_null(crowdsec_conf_set(&c, "bouncer_key_file", "relative.key"));
	assert_null(crowdsec_conf_set(&c, "machine_credentials", "/etc/nftarpit/machine.yaml"));
	assert_null(crowdsec_conf_set(&c, "push", "yes"));
	assert_true(c.push);
	assert_null(crowdsec_conf_set(&c, "poll_interval", "2s"));
	assert_int_equal(c.poll_interval, 2);
	assert_non_null(crowdsec_conf_set(&c, "poll_interval", "0"));
	assert_non_null(crowdsec_conf_set(&c, "scopes", "Country"));
	assert_non_null(crowdsec_conf_set(&c, "decision_types", ""));
	assert_null(crowdsec_conf_set(&c, "origins", ""));
	assert_int_equal(c.norigins, 0);
	assert_non_null(crowdsec_conf_set(&c, "bogus", "1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_defaults),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
