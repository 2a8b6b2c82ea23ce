// SPDX-License-Identifier: GPL-2.0-or-later
/* The admin's own patterns (sync_pattern): load-time refusals, tag binding, --test-pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cidr.h"
#include "mlog.h"
#include "pattern.h"
#include "sync_conf.h"

#define SMTPD_FAIL                                                                             \
	"authfail smtpd 2h ^[0-9a-f]{16} smtp failed-command address=(?<addr>[0-9a-fA-F.:]+) " \
	"host=\\S+ command=\"AUTH"

static const char *one(const struct pattern_set *s, const char *line, char *got, size_t len)
{
	struct mlog_hit hit;
	unsigned int which = 99;
	char a[64];
	int rc;

	memset(&hit, 0x5a, sizeof(hit));
	rc = pattern_parse(s, line, strlen(line), &hit, &which);
	if (rc == 0) {
		snprintf(got, len, "none");
	} else if (rc < 0) {
		snprintf(got, len, "bad");
	} else {
		cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
		snprintf(got, len, "%s %s %s %lld #%u", reason_name(hit.reason), a, hit.detail,
			 (long long)hit.bantime, which);
	}
	return got;
}

static void test_pattern_refused(void **state)
{
	struct pattern_set s;
	char err[160];

	memset(&s, 0, sizeof(s));
	/* Does not compile: PCRE2's message with the offset. */
	assert_non_null(pattern_set_add(&s, "x smtpd 1h address=(?<addr>[0-9.+", err, sizeof(err)));
	assert_non_null(strstr(err, "does not compile at offset"));
	/* No named group for the client. */
	assert_non_null(pattern_set_add(&s, "x smtpd 1h address=([0-9.]+)", err, sizeof(err)));
	assert_non_null(strstr(err, "(?<addr>"));
	assert_non_null(pattern_set_add(&s, "x smtpd 1h address=(?<ip>[0-9.]+)", err, sizeof(err)));
	/* Fields missing or wrong. */
	assert_non_null(pattern_set_add(&s, "x smtpd", err, sizeof(err)));
	assert_non_null(pattern_set_add(&s, "x smtpd 1h", err, sizeof(err)));
	assert_non_null(pattern_set_add(&s, "x smtpd soon (?<addr>.*)", err, sizeof(err)));
	assert_non_null(strstr(err, "BANTIME"));
	assert_int_equal(s.n, 0);
	assert_null(pattern_set_add(&s, "x smtpd - (?<addr>[0-9.]+)", err, sizeof(err)));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.p[0].bantime, 0);
	pattern_set_free(&s);
}

/* A refused pattern in the config file is reported as file:line and fails the load. */
static void test_pattern_conf_line(void **state)
{
	static struct sync_conf c;
	char path[] = "/tmp/test_sync_pattern.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "[sync]\n# own patterns\npattern = %s\npattern = bad smtpd 1h (?<addr>[\n",
		SMTPD_FAIL);
	fclose(f);
	sync_conf_defaults(&c);
	assert_int_equal(sync_conf_load(path, &c), 1);
	assert_int_equal(c.patterns.n, 1);
	assert_string_equal(c.patterns.p[0].name, "authfail");
	pattern_set_free(&c.patterns);
	unlink(path);
}

static void test_pattern_match(void **state)
{
	struct pattern_set s;
	char err[160], got[256];

	memset(&s, 0, sizeof(s));
	assert_null(pattern_set_add(&s, SMTPD_FAIL, err, sizeof(err)));
	assert_null(pattern_set_add(&s, "milter-rej my-milter 30m ^reject client=(?<addr>\\S+) ",
				    err, sizeof(err)));
	assert_string_equal(one(&s,
				"Dec  2 05:00:00 mx smtpd[1]: 0123456789abcdef smtp failed-command "
				"address=203.0.113.5 host=x command=\"AUTH LOGIN\" result=\"535\"",
				got, sizeof(got)),
			    "custom 203.0.113.5 authfail 7200 #0");
	assert_string_equal(
		one(&s,
		    "2026-12-02T05:00:00+00:00 mx my-milter[9]: reject client=[IPv6:2001:"
		    "db8::7] ",
		    got, sizeof(got)),
		"bad");
	assert_string_equal(
		one(&s,
		    "2026-12-02T05:00:00+00:00 mx my-milter[9]: reject client=IPv6:2001:"
		    "db8::7 why",
		    got, sizeof(got)),
		"custom 2001:db8::7 milter-rej 1800 #1");
	/* The same message under another program's tag, or after a forged header. */
	assert_string_equal(one(&s,
				"Dec  2 05:00:00 mx logger: 0123456789abcdef smtp failed-command "
				"address=192.0.2.66 host=x command=\"AUTH LOGIN\"",
				got, sizeof(got)),
			    "none");
	assert_string_equal(one(&s,
				"Dec  2 05:00:00 mx postfix/smtpd[1]: warning: Dec  2 05:00:00 mx "
				"smtpd[1]: 0123456789abcdef smtp failed-command address=192.0.2.66 "
				"host=x command=\"AUTH",
				got, sizeof(got)),
			    "none");
	/* Matched, but the group holds no address: refused, not banned. */
	assert_string_equal(one(&s, "Dec  2 05:00:00 mx my-milter: reject client=unknown because",
				got, sizeof(got)),
			    "bad");
	pattern_set_free(&s);
}

/* The journal's path: the tag comes apart (SYSLOG_IDENTIFIER), patterns and traps apply. */
static void test_pattern_journal(void **state)
{
	static struct sync_conf c;
	struct mlog_hit hit;
	const char *msg = "0123456789abcdef smtp failed-command address=2001:db8::5 host=x "
			  "command=\"AUTH LOGIN\"";
	const char *trap = "NOQUEUE: reject: RCPT from unknown[203.0.113.50]:1: 550 5.7.1 "
			   "<trap@example.org>: Recipient address rejected: spamtrap; "
			   "from=<a@b> to=<trap@example.org> proto=ESMTP helo=<x>";
	char err[160], a[64];

	sync_conf_defaults(&c);
	assert_null(sync_conf_set(&c, "trap", "trap@example.org"));
	assert_null(pattern_set_add(&c.patterns, SMTPD_FAIL, err, sizeof(err)));
	assert_int_equal(mlog_parse_msg("smtpd", 5, msg, strlen(msg), &c.mlog, &hit), 1);
	cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
	assert_string_equal(a, "2001:db8::5");
	assert_int_equal(hit.reason, REASON_CUSTOM);
	assert_int_equal(hit.bantime, 7200);
	assert_int_equal(mlog_parse_msg("logger", 6, msg, strlen(msg), &c.mlog, &hit), 0);
	assert_int_equal(mlog_parse_msg("postfix/smtpd", 13, trap, strlen(trap), &c.mlog, &hit), 1);
	assert_int_equal(hit.reason, REASON_TRAP);
	assert_int_equal(mlog_parse_msg("postfix/cleanup", 15, trap, strlen(trap), &c.mlog, &hit),
			 0);
	pattern_set_free(&c.patterns);
}

/* --test-pattern: every configured reader over a file, one line per ban and a summary. */
static void test_pattern_test_file(void **state)
{
	static struct sync_conf c;
	char path[] = "/tmp/test_sync_pattern.XXXXXX";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f, *o;
	int fd = mkstemp(path);
	char err[160];

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "Dec  2 05:00:00 mx smtpd[1]: 0123456789abcdef smtp failed-command "
		   "address=203.0.113.5 host=x command=\"AUTH LOGIN\"\n"
		   "Dec  2 05:00:01 mx smtpd[1]: something else\n"
		   "2026-12-02 04:16:18 H=(c.example) [203.0.113.11] F=<a@c.example> rejected "
		   "RCPT <trap@example.org>: spamtrap\n"
		   "Dec  2 05:00:02 mx smtpd[1]: 0123456789abcdef smtp failed-command "
		   "address=999.0.0.1 host=x command=\"AUTH LOGIN\"\n");
	fclose(f);
	sync_conf_defaults(&c);
	assert_null(sync_conf_set(&c, "trap", "trap@example.org"));
	assert_null(sync_conf_set(&c, "trap_bantime", "30d"));
	assert_null(pattern_set_add(&c.patterns, SMTPD_FAIL, err, sizeof(err)));
	o = open_memstream(&out, &outlen);
	assert_int_equal(pattern_test_file(path, &c.mlog, 86400, o), 2);
	fclose(o);
	assert_non_null(strstr(out, ":1: ban 203.0.113.5 reason=custom detail=authfail "
				    "bantime=7200s\n"));
	assert_non_null(strstr(out, ":3: ban 203.0.113.11 reason=trap detail=trap@example.org "
				    "bantime=2592000s\n"));
	assert_non_null(strstr(out, ":4: refused: pattern authfail: bad client address"));
	assert_null(strstr(out, ":2:"));
	assert_non_null(strstr(out, "lines=4 would_ban=2 refused=1\n"));
	assert_non_null(strstr(out, "pattern authfail program=smtpd matched=1\n"));
	free(out);
	assert_int_equal(pattern_test_file("/nonexistent/log", &c.mlog, 86400, stdout), -1);
	pattern_set_free(&c.patterns);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_refused),	  cmocka_unit_test(test_pattern_conf_line),
		cmocka_unit_test(test_pattern_match),	  cmocka_unit_test(test_pattern_journal),
		cmocka_unit_test(test_pattern_test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
