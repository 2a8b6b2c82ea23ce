// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitd's config: values, defaults, and every bad line named with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/nftarpit-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Capture log lines (stderr) to check that errors name file, line and key. */
static char *capture(const char *path, struct daemon_conf *c, int *errors)
{
	static char out[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	dup2(fileno(tmp), 2);
	*errors = conf_load(path, c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void test_values(void **state)
{
	struct daemon_conf c;
	char *path = write_tmp("# comment\n[daemon]\nqueue = 30-31\nsyn_window = 5\n"
			       "fail_open = yes\nmark = 0x1234\nreply_rate_per_prefix = 7\n"
			       "[sync]\nanything = goes to nftarpit-sync\n");
	int errors;

	conf_defaults(&c);
	capture(path, &c, &errors);
	assert_int_equal(errors, 0);
	assert_int_equal(c.queue_first, 30);
	assert_int_equal(c.queue_last, 31);
	assert_int_equal(c.syn_window, 5);
	assert_true(c.fail_open);
	assert_int_equal(c.mark, 0x1234);
	assert_int_equal(c.prefix_rate, 7);
	/* Untouched keys keep their defaults. */
	assert_int_equal(c.mss, 1460);
	assert_string_equal(c.ctl_socket, CONF_DEFAULT_CTL);
	unlink(path);
}

static void test_errors_named(void **state)
{
	struct daemon_conf c;
	char *path = write_tmp("[daemon]\nqueue = 10-5\nsyn_window = 010\nbogus = 1\n"
			       "fail_open = maybe\n[weird]\nx = 1\nno equals sign here\n");
	char *log;
	char want[128];
	int errors;

	conf_defaults(&c);
	log = capture(path, &c, &errors);
	assert_int_equal(errors, 6);
	snprintf(want, sizeof(want), "%s:2: queue = 10-5: range is reversed", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:3: syn_window = 010: invalid", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:4: bogus = 1: unknown key", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:5: fail_open = maybe: not a boolean", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:7: unknown section [weird]", path);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), "%s:8: syntax error", path);
	assert_non_null(strstr(log, want));
	/* Bad values change nothing. */
	assert_int_equal(c.queue_first, CONF_DEFAULT_QUEUE);
	unlink(path);
}

static void test_command_line_values(void **state)
{
	struct daemon_conf c;

	conf_defaults(&c);
	assert_null(conf_set(&c, "queue", "25"));
	assert_string_equal(conf_set(&c, "queue", "70000"), "too large");
	assert_string_equal(conf_set(&c, "queue", "0-64"), "more than 64 queues");
	assert_string_equal(conf_set(&c, "ctl_socket", "relative/path"), "not an absolute path");
	assert_string_equal(conf_set(&c, "mss", "100"), "too small");
	assert_null(conf_set(&c, "mark", "1"));
	assert_string_equal(conf_set(&c, "mark", "0"), "too small");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_named),
		cmocka_unit_test(test_command_line_values),
	};

	log_init("test_conf", true, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
