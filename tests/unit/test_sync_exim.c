// SPDX-License-Identifier: GPL-2.0-or-later
/* Exim's logs and spamtraps (sync_exim, sync_trap) through mlog_parse(): golden and hostile lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"
#include "exim.h"
#include "mlog.h"
#include "trap.h"
#include "unit_data.h"

#define OURS                                                                              \
	((1u << REASON_EXIM_DNSBL) | (1u << REASON_EXIM_PREGREET) | (1u << REASON_TRAP) | \
	 (1u << REASON_CUSTOM))

static struct trap_list traps;
static struct exim_opts exim;

static void setup_opts(struct mlog_opts *o)
{
	memset(&traps, 0, sizeof(traps));
	assert_null(trap_list_add(&traps, "trap@example.org"));
	assert_null(trap_list_add(&traps, "Trap2@Example.org"));
	traps.bantime = 7 * 86400;
	exim_opts_default(&exim);
	mlog_opts_default(o);
	/* Only issue 19's readers: the Postfix parsers are tested in test_sync_parse. */
	o->enabled = OURS;
	o->exim = &exim;
	o->traps = &traps;
}

/* What mlog_parse() says about one line, as the golden files write it. */
static void verdict(const char *input, const struct mlog_opts *o, char *got, size_t len)
{
	struct mlog_hit hit;
	char a[64];
	int rc;

	memset(&hit, 0x5a, sizeof(hit));
	rc = mlog_parse(input, strlen(input), o, &hit);
	if (rc == 0) {
		snprintf(got, len, "none");
	} else if (rc < 0) {
		snprintf(got, len, "bad");
		assert_true(hit.detail[0] != '\0');
	} else {
		cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
		snprintf(got, len, "%s %s%s%s", reason_name(hit.reason), a,
			 hit.detail[0] != '\0' ? " " : "", hit.detail);
		/* Traps carry their own ban time; the others the general one. */
		assert_int_equal(hit.bantime, hit.reason == REASON_TRAP ? 7 * 86400 : 0);
	}
}

static void test_exim_golden(void **state)
{
	struct mlog_opts o;
	char line[4096], input[4096] = "", got[512];
	unsigned int lineno = 0, input_line = 0, cases = 0, hits = 0;
	FILE *f = open_data("exim_golden.txt");

	setup_opts(&o);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		chomp(line);
		if (strncmp(line, "> ", 2) == 0) {
			snprintf(input, sizeof(input), "%s", line + 2);
			input_line = lineno;
			continue;
		}
		if (strncmp(line, "= ", 2) != 0)
			continue;
		verdict(input, &o, got, sizeof(got));
		if (strcmp(got, line + 2) != 0)
			fail_msg("exim_golden.txt:%u: got \"%s\", want \"%s\"", input_line, got,
				 line + 2);
		cases++;
		hits += strcmp(got, "none") != 0;
	}
	fclose(f);
	assert_true(cases >= 30);
	assert_true(hits >= 15);
}

/* Every hostile line bans no one, with every pattern on (the Postfix ones too). */
static void test_exim_adversarial(void **state)
{
	struct mlog_opts o;
	char line[4096], got[512];
	unsigned int lineno = 0, cases = 0, pass;
	FILE *f = open_data("exim_adversarial.txt");

	setup_opts(&o);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			o.enabled = REASON_ALL;
		rewind(f);
		lineno = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			chomp(line);
			if (strncmp(line, "> ", 2) != 0)
				continue;
			verdict(line + 2, &o, got, sizeof(got));
			if (strcmp(got, "none") != 0)
				fail_msg("exim_adversarial.txt:%u: got \"%s\", want none", lineno,
					 got);
			cases++;
		}
	}
	fclose(f);
	assert_true(cases >= 2 * 25);
}

/* Markers: the first configured one replaces Debian's default; $sender_host_address. */
static void test_exim_markers(void **state)
{
	struct mlog_opts o;
	char got[256];
	const char *stock =
		"2026-12-02 04:16:11 H=(x) [198.51.100.5] F=<a@b.example> rejected RCPT "
		"<c@example.org>: 198.51.100.5 is listed at bl.example.org (127.0.0.2)";
	const char *own = "2026-12-02 04:16:11 H=(x) [198.51.100.5] F=<a@b.example> rejected RCPT "
			  "<c@example.org>: DNSBL hit for 198.51.100.5 via bl2.example.org";
	const char *other = "2026-12-02 04:16:11 H=(x) [198.51.100.6] F=<a@b.example> rejected "
			    "RCPT <c@example.org>: DNSBL hit for 198.51.100.5 via bl2.example.org";

	setup_opts(&o);
	verdict(stock, &o, got, sizeof(got));
	assert_string_equal(got, "exim-dnsbl 198.51.100.5 bl.example.org");
	verdict(own, &o, got, sizeof(got));
	assert_string_equal(got, "none");
	/* As inih hands it over: trailing space stripped. */
	assert_null(exim_opts_add(&exim, "DNSBL hit for $sender_host_address via"));
	verdict(own, &o, got, sizeof(got));
	assert_string_equal(got, "exim-dnsbl 198.51.100.5 bl2.example.org");
	/* The address in the message must be the one in the host field. */
	verdict(other, &o, got, sizeof(got));
	assert_string_equal(got, "none");
	verdict(stock, &o, got, sizeof(got));
	assert_string_equal(got, "none");
	assert_non_null(exim_opts_add(&exim, ""));
	/* Switched off one by one through patterns =. */
	o.enabled = OURS & ~(1u << REASON_EXIM_DNSBL);
	verdict(own, &o, got, sizeof(got));
	assert_string_equal(got, "none");
}

static void test_trap_add(void **state)
{
	struct trap_list t;

	memset(&t, 0, sizeof(t));
	assert_null(trap_list_add(&t, "trap@example.org"));
	assert_non_null(trap_list_add(&t, "<trap@example.org>"));
	assert_non_null(trap_list_add(&t, "trap"));
	assert_non_null(trap_list_add(&t, "\"a b\"@example.org"));
	assert_non_null(trap_list_add(&t, "a@b@c"));
	assert_non_null(trap_list_add(&t, ""));
	assert_true(trap_list_match(&t, "TRAP@example.ORG", 16));
	assert_false(trap_list_match(&t, "trap@example.org.evil", 21));
	assert_false(trap_list_match(&t, "trap@example.or", 15));
}

/* The needles a reader filters on cover every golden hit. */
static void test_exim_needles(void **state)
{
	struct mlog_opts o;
	const char *needles[MLOG_NEEDLES_MAX];
	char line[4096], input[4096] = "", got[512];
	size_t n, i;
	int found;
	FILE *f = open_data("exim_golden.txt");

	setup_opts(&o);
	n = mlog_needles(&o, needles, MLOG_NEEDLES_MAX);
	assert_true(n >= 4);
	while (fgets(line, sizeof(line), f) != NULL) {
		chomp(line);
		if (strncmp(line, "> ", 2) == 0) {
			snprintf(input, sizeof(input), "%s", line + 2);
			continue;
		}
		if (strncmp(line, "= ", 2) != 0 || strcmp(line, "= none") == 0)
			continue;
		verdict(input, &o, got, sizeof(got));
		found = 0;
		for (i = 0; i < n; i++)
			found |= strstr(input, needles[i]) != NULL;
		if (!found)
			fail_msg("no needle in \"%s\"", input);
	}
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exim_golden),  cmocka_unit_test(test_exim_adversarial),
		cmocka_unit_test(test_exim_markers), cmocka_unit_test(test_trap_add),
		cmocka_unit_test(test_exim_needles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
