// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync's parsers against golden lines: mail logs (sync_mlog) and lists (sync_blist). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blist.h"
#include "cidr.h"
#include "mlog.h"
#include "unit_data.h"

/* Addresses the adversarial corpus plants in attacker-written fields: never a hit. */
static const char *const victims[] = {"192.0.2.77", "2001:db8::25", "198.51.100.77",
				      "203.0.113.250"};

/*
 * Feed each case of a corpus: "> LINE" is a syslog line for mlog_parse(), "J TAG|MESSAGE"
 * a journal entry for mlog_parse_msg(); the "= " line after it is the expectation:
 * "= REASON ADDRESS DETAIL", "= none", "= ignored" (no structure, counted) or "= bad".
 * Returns the number of cases.
 */
static unsigned int mlog_corpus(const char *name)
{
	struct mlog_opts o;
	struct mlog_hit hit;
	char line[4096], want[4096], got[512], a[64];
	unsigned int lineno = 0, cases = 0, input_line = 0;
	char input[4096] = "";
	char *bar;
	FILE *f = open_data(name);
	size_t i;
	int rc;

	mlog_opts_default(&o);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		chomp(line);
		if (strncmp(line, "> ", 2) == 0 || strncmp(line, "J ", 2) == 0) {
			snprintf(input, sizeof(input), "%s", line);
			input_line = lineno;
			continue;
		}
		if (strncmp(line, "= ", 2) != 0)
			continue;
		snprintf(want, sizeof(want), "%s", line + 2);
		memset(&hit, 0x5a, sizeof(hit));
		if (input[0] == 'J') {
			bar = strchr(input, '|');
			assert_non_null(bar);
			rc = mlog_parse_msg(input + 2, (size_t)(bar - input - 2), bar + 1,
					    strlen(bar + 1), &o, &hit);
		} else {
			rc = mlog_parse(input + 2, strlen(input + 2), &o, &hit);
		}
		if (rc == 0) {
			snprintf(got, sizeof(got), "%s", hit.ignored ? "ignored" : "none");
		} else if (rc < 0) {
			snprintf(got, sizeof(got), "bad");
			assert_true(hit.detail[0] != '\0');
		} else {
			cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
			for (i = 0; i < sizeof(victims) / sizeof(victims[0]); i++) {
				if (strcmp(a, victims[i]) == 0)
					fail_msg("%s:%u: victim %s hit", name, input_line, a);
			}
			snprintf(got, sizeof(got), "%s %s%s%s", reason_name(hit.reason), a,
				 hit.detail[0] != '\0' ? " " : "", hit.detail);
		}
		if (strcmp(got, want) != 0)
			fail_msg("%s:%u: got \"%s\", want \"%s\"", name, input_line, got, want);
		cases++;
	}
	fclose(f);
	return cases;
}

static void test_mlog_golden(void **state)
{
	assert_true(mlog_corpus("mlog_golden.txt") >= 30);
}

/*
 * Lines in the real formats whose attacker-written fields (HELO, MAIL FROM, RCPT TO,
 * non-SMTP commands, PREGREET payloads, headers, Message-IDs, rspamd symbol options, user
 * names, other programs' tags) name a victim: no victim is ever hit, and the genuine
 * client still is where the line is a real verdict.
 */
static void test_mlog_adversarial(void **state)
{
	assert_true(mlog_corpus("mlog_adversarial.txt") >= 40);
}

/* Patterns can be switched off one by one, and the DNSBL threshold moves. */
static void test_mlog_opts(void **state)
{
	static const char rbl[] = "Nov 26 23:03:02 mx1 postfix/smtpd[2]: NOQUEUE: reject: RCPT "
				  "from x[192.0.2.1]:1: 554 5.7.1 Service unavailable; "
				  "Client host [192.0.2.1] blocked using z";
	static const char rank[] =
		"Nov 26 23:03:02 mx1 postfix/postscreen[1]: DNSBL rank 2 for [192.0.2.2]:3";
	struct mlog_opts o;
	struct mlog_hit hit;
	unsigned int mask;
	char err[128];

	mlog_opts_default(&o);
	assert_int_equal(mlog_parse(rbl, strlen(rbl), &o, &hit), 1);
	assert_int_equal(reason_parse_list("dnsbl, pregreet", &mask, err, sizeof(err)), 0);
	o.enabled = mask;
	assert_int_equal(mlog_parse(rbl, strlen(rbl), &o, &hit), 0);
	assert_int_equal(mlog_parse(rank, strlen(rank), &o, &hit), 0);
	o.dnsbl_threshold = 2;
	assert_int_equal(mlog_parse(rank, strlen(rank), &o, &hit), 1);
	assert_int_equal(reason_parse_list("rbl,spf", &mask, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"spf\""));
}

static void test_blist_golden(void **state)
{
	struct blist_entry e;
	enum blist_format fmt;
	char line[4096], input[4096] = "", want[4096], got[512], t[CIDR_TEXT_MAX], err[256];
	char *bar;
	unsigned int lineno = 0, input_line = 0, cases = 0;
	FILE *f = open_data("blist_golden.txt");
	int rc;

	fmt = BLIST_AUTO;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		chomp(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "= ", 2) != 0) {
			bar = strstr(line, "| ");
			assert_non_null(bar);
			*bar = '\0';
			assert_int_equal(blist_format_parse(line, &fmt), 0);
			snprintf(input, sizeof(input), "%s", bar + 2);
			input_line = lineno;
			continue;
		}
		snprintf(want, sizeof(want), "%s", line + 2);
		err[0] = '\0';
		rc = blist_parse_line(input, fmt, &e, err, sizeof(err));
		if (rc == BLIST_NONE) {
			snprintf(got, sizeof(got), "none");
		} else if (rc < 0) {
			snprintf(got, sizeof(got), "bad");
			assert_true(err[0] != '\0');
		} else {
			cidr_range_format(&e.range, e.family, t, sizeof(t));
			snprintf(got, sizeof(got), "%s%s%s", rc == BLIST_WARN ? "warn " : "",
				 e.exclude ? "!" : "", t);
		}
		if (strcmp(got, want) != 0)
			fail_msg("blist_golden.txt:%u: got \"%s\", want \"%s\" (%s)", input_line,
				 got, want, err);
		cases++;
	}
	fclose(f);
	assert_true(cases >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlog_golden),
		cmocka_unit_test(test_mlog_adversarial),
		cmocka_unit_test(test_mlog_opts),
		cmocka_unit_test(test_blist_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
