// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_conf: the [sync] keys of issue 13 (journal_trust, guards, never_block, thresholds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync_conf.h"

static struct sync_conf c;

/* key = value must be accepted (want NULL) or refused with a reason holding want. */
static void expect(const char *key, const char *value, const char *want)
{
	const char *why = sync_conf_set(&c, key, value);

	if (want == NULL && why != NULL)
		fail_msg("%s = %s refused: %s", key, value, why);
	if (want != NULL && (why == NULL || strstr(why, want) == NULL))
		fail_msg("%s = %s: got \"%s\", want \"%s\"", key, value, why ? why : "accepted",
			 want);
}

static void test_guards(void **state)
{
	sync_conf_defaults(&c);
	assert_int_equal(c.list_limit4, 8);
	assert_int_equal(c.list_limit6, 16);
	assert_int_equal(c.block_max_share, 2);
	assert_int_equal(c.policy.max_entries, 1000000);
	expect("list_limit4", "33", "");
	expect("list_limit6", "0", NULL);
	expect("block_max_share", "0", "");
	expect("block_max_share", "5", NULL);
	assert_int_equal(c.block_max_share, 5);
	expect("max_offenders", "10", NULL);
	assert_int_equal(c.policy.max_entries, 10);
	expect("never_block", "198.51.100.77", NULL);
	expect("never_block", "2001:db8::/32", NULL);
	expect("never_block", "300.1.1.1", "");
	assert_int_equal(c.nnever, 2);
	expect("never_block_file", "plain:/etc/nftarpit/never.txt", NULL);
	expect("never_block_mynetworks", "yes", NULL);
	assert_true(c.never_mynetworks);
}

static void test_threshold(void **state)
{
	sync_conf_defaults(&c);
	assert_int_equal(c.policy.threshold[REASON_PREGREET], 1);
	expect("threshold", "pregreet:3/10m", NULL);
	assert_int_equal(c.policy.threshold[REASON_PREGREET], 3);
	assert_int_equal(c.policy.window[REASON_PREGREET], 600);
	expect("threshold", "rspamd:2", NULL);
	assert_int_equal(c.policy.threshold[REASON_RSPAMD], 2);
	assert_int_equal(c.policy.window[REASON_RSPAMD], 3600);
	assert_int_equal(c.policy.threshold[REASON_RBL], 1);
	expect("threshold", "spf:3", "\"spf\"");
	expect("threshold", "pregreet", "not REASON:N");
	expect("threshold", "rbl,access:3", "one pattern");
	expect("threshold", "pregreet:0", "");
	expect("threshold", "pregreet:3/soon", "");
}

/* journal_trust takes only fields journald sets; defaults only when none is given. */
static void test_journal_trust(void **state)
{
	sync_conf_defaults(&c);
	expect("journal_trust", "SYSLOG_IDENTIFIER=postfix/smtpd", "_FIELD=value");
	expect("journal_trust", "_UID=", "_FIELD=value");
	sync_conf_finish(&c);
	assert_int_equal(c.ntrust, 8);
	assert_string_equal(c.trust[0], "_SYSTEMD_UNIT=postfix@-.service");
	assert_int_equal(c.nmatches, 4);
	sync_conf_defaults(&c);
	expect("journal_trust", "_UID=107", NULL);
	sync_conf_finish(&c);
	assert_int_equal(c.ntrust, 1);
	assert_string_equal(c.trust[0], "_UID=107");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_journal_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
