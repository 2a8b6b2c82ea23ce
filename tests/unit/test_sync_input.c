// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_input: incremental log reading (append, partial lines, rotation, copytruncate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "input.h"

/* Warnings are captured so that tests can check the file:line they name. */
#include "warned.h"

static char dir[] = "/tmp/test_sync_input.XXXXXX";
static char path[256], old[300];

static int setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/mail.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct seen {
	unsigned int n;
	char last[64];
};

static int on_hit(const struct mlog_hit *hit, void *arg)
{
	struct seen *s = arg;

	s->n++;
	cidr_addr_format(&hit->addr, hit->family, s->last, sizeof(s->last));
	return 0;
}

static void append(const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define OTHER "Nov 26 23:01:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
#define PAD   OTHER OTHER OTHER OTHER
#define REJECT(a)                                                                            \
	"Nov 26 23:01:02 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT from unknown[" a "]:1: " \
	"554 5.7.1 Service unavailable; Client host [" a "] blocked using zen.example; x\n"

/* A reader from the start of a file, every pattern on, nothing counted or seen yet. */
static void reader_init(struct state_pos *pos, struct mlog_opts *o, struct input_counts *c,
			struct seen *s)
{
	mlog_opts_default(o);
	memset(pos, 0, sizeof(*pos));
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
}

static void test_incremental(void **state)
{
	struct state_pos pos;
	struct mlog_opts o;
	struct input_counts c;
	struct seen s;

	reader_init(&pos, &o, &c, &s);
	/* First run: everything; the bad line is named by its line number. */
	append("w", PAD PAD REJECT("198.51.100.1") OTHER REJECT("198.51.100.300") OTHER);
	warned[0] = '\0';
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(c.lines, 12);
	assert_int_equal(s.n, 1);
	assert_int_equal(c.bad, 1);
	assert_non_null(strstr(warned, "mail.log:11: bad client address"));
	/* Appended lines only; a line without its newline waits for the next run. */
	append("a",
	       REJECT("198.51.100.2") "Nov 26 23:01:02 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT");
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last, "198.51.100.2");
	append("a", " from unknown[198.51.100.3]:1: 554 5.7.1 Service unavailable; Client host "
		    "[198.51.100.3] blocked using zen.example; x\n");
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.last, "198.51.100.3");
	/* Nothing new: nothing read. */
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 3);

	/* Rename rotation: the rest of the old file from FILE.1, then the new one from 0. */
	append("a", REJECT("198.51.100.4"));
	assert_int_equal(rename(path, old), 0);
	append("w", PAD PAD PAD REJECT("198.51.100.5"));
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.last, "198.51.100.5");

	/* copytruncate: the file shrinks under the offset; read again from its start. */
	assert_int_equal(truncate(path, 0), 0);
	append("a", REJECT("198.51.100.6"));
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.last, "198.51.100.6");

	/* copytruncate, then more written than before: the first bytes changed. */
	append("a", PAD PAD PAD PAD);
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(truncate(path, 0), 0);
	append("a", PAD PAD PAD PAD PAD PAD REJECT("198.51.100.7") PAD);
	warned[0] = '\0';
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(s.n, 7);
	assert_string_equal(s.last, "198.51.100.7");
	assert_non_null(strstr(warned, "first bytes changed"));
}

/*
 * The reader counts lines that hold a pattern's text outside its program's structure
 * (logger -t anything, a header warning) and bans nobody for them.
 */
static void test_unstructured(void **state)
{
	struct state_pos pos;
	struct mlog_opts o;
	struct input_counts c;
	struct seen s;

	reader_init(&pos, &o, &c, &s);
	append("w", OTHER "Nov 26 23:01:03 mx anything: DNSBL rank 9 for [192.0.2.77]:25\n"
			  "Nov 26 23:01:03 mx postfix/cleanup[3]: 4X: warning: header Subject: "
			  "PREGREET 1 after 0 from [192.0.2.77]:25: x\n" REJECT("198.51.100.8"));
	assert_int_equal(input_read_log(path, &pos, &o, on_hit, &s, &c), 0);
	assert_int_equal(c.lines, 4);
	assert_int_equal(c.unstructured, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last, "198.51.100.8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_unstructured),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
