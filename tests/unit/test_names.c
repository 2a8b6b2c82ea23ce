// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every enum-to-name table names every value, and what the daemon reports (its stats lines
 * and nftarpitctl's status --json made from them) holds no "(null)" and names every counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon.h"
#include "status.h"

/* A name is a non-empty [a-z0-9_] word, distinct from every other name of its table. */
static void check_table(const char *table, const char *(*name)(int), int max)
{
	int i;
	int j;

	for (i = 0; i < max; i++) {
		const char *n = name(i);

		if (n == NULL || n[0] == '\0')
			fail_msg("%s: value %d has no name", table, i);
		if (strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(n))
			fail_msg("%s: value %d has name \"%s\"", table, i, n);
		for (j = 0; j < i; j++)
			if (strcmp(n, name(j)) == 0)
				fail_msg("%s: values %d and %d share \"%s\"", table, j, i, n);
	}
	assert_string_equal(name(max), "unknown");
	assert_string_equal(name(-1), "unknown");
}

static const char *reason_name(int i)
{
	return tarpit_reason_name((enum tarpit_reason)i);
}

static const char *status_name(int i)
{
	return pkt_status_name((enum pkt_status)i);
}

static const char *state_name(int i)
{
	return flow_state_name((enum flow_state)i);
}

static void test_tables(void **state)
{
	check_table("tarpit_reason", reason_name, TARPIT_R_MAX);
	check_table("pkt_status", status_name, PKT_STATUS_MAX);
	check_table("flow_state", state_name, FLOW_STATE_MAX);
	/* The reason an earlier build printed as "(null)". */
	assert_string_equal(tarpit_reason_name(TARPIT_R_SYN_ACKED), "syn_acked");
}

static char *stats_text(void)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct worker_cfg wc;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	assert_non_null(d);
	memset(&wc, 0, sizeof(wc));
	d->workers[0] = worker_alloc(25, &wc, 64, 64, 64);
	assert_non_null(d->workers[0]);
	d->nworkers = 1;
	/* Every counter non-zero, so a line that prints the wrong one is seen too. */
	for (i = 0; i < TARPIT_R_MAX; i++)
		d->workers[0]->stats.silent[i] = 100 + (uint64_t)i;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	daemon_write_stats(f, d);
	fclose(f);
	worker_free(d->workers[0]);
	free(d);
	return text;
}

/* The line "key=N" is in text. */
static bool has_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

static void test_stats_name_every_counter(void **state)
{
	char *text = stats_text();
	char want[64];
	const char *p;
	int i;

	assert_null(strstr(text, "(null)"));
	assert_null(strstr(text, "unknown"));
	for (i = 1; i < TARPIT_R_MAX; i++)
		if (!has_key(text, tarpit_reason_name((enum tarpit_reason)i)))
			fail_msg("stats lack reason %s:\n%s", tarpit_reason_name(i), text);
	for (i = 1; i < PKT_STATUS_MAX; i++)
		assert_true(has_key(text, pkt_status_name((enum pkt_status)i)));
	for (i = 1; i < FLOW_STATE_MAX; i++) {
		snprintf(want, sizeof(want), "flows_%s", flow_state_name((enum flow_state)i));
		assert_true(has_key(text, want));
	}
	/* Each line is key=value with a key of our alphabet, and no key twice. */
	for (p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
		const char *q;

		assert_true(k > 0 && p[k] == '=');
		assert_non_null(strchr(p, '\n'));
		for (q = strchr(p, '\n') + 1; *q != '\0'; q = strchr(q, '\n') + 1)
			if (strncmp(p, q, k + 1) == 0)
				fail_msg("key %.*s twice", (int)k, p);
	}
	free(text);
}

/* status --json shows every counter the daemon reports, under its own name. */
static void test_json_name_every_counter(void **state)
{
	static const char *const shown_elsewhere[] = {
		"version",    "uptime",	     "started",		 "reloads",
		"queues",     "threads",     "max_flows",	 "flows_now",
		"flows_held", "flows_quiet", "flow_table_bytes",
	};
	struct status *st = malloc(sizeof(*st));
	char *text = stats_text();
	char *json = NULL;
	size_t len = 0;
	char err[160];
	const char *p;
	FILE *f;

	assert_non_null(st);
	status_init(st);
	assert_int_equal(status_parse(st, text, false, err, sizeof(err)), 0);
	f = open_memstream(&json, &len);
	assert_non_null(f);
	status_print_json(f, st);
	fclose(f);
	assert_null(strstr(json, "(null)"));
	for (p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		size_t k = strcspn(p, "=");
		char quoted[72];
		size_t i;
		bool skip = false;

		for (i = 0; i < sizeof(shown_elsewhere) / sizeof(shown_elsewhere[0]); i++)
			if (strlen(shown_elsewhere[i]) == k &&
			    strncmp(p, shown_elsewhere[i], k) == 0)
				skip = true;
		if (skip)
			continue;
		snprintf(quoted, sizeof(quoted), "\"%.*s\": ", (int)k, p);
		if (strstr(json, quoted) == NULL)
			fail_msg("status --json lacks %s\n%s", quoted, json);
	}
	/* The shown-elsewhere ones are there under their JSON names. */
	assert_non_null(strstr(json, "\"uptime_s\": "));
	assert_non_null(strstr(json, "\"flows_by_state\": {\"held\": 0, \"quiet\": 0}"));
	free(json);
	free(text);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_stats_name_every_counter),
		cmocka_unit_test(test_json_name_every_counter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
