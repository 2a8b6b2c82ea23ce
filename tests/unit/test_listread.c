// SPDX-License-Identifier: GPL-2.0-or-later
/* listread: list files into address sets, rbldnsd exclusions, the blocklist guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "listread.h"

/* Warnings are captured so that tests can check the file:line they name. */
#include "warned.h"

static char dir[] = "/tmp/test_listread.XXXXXX";
static char path[256];

static int setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/list.txt", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void append(const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_list(void **state)
{
	struct cidr_set v4, v6;
	struct listread_counts c;
	char t[CIDR_TEXT_MAX];

	append("w", "# rbldnsd\n$TTL 300\n:127.0.0.2:listed\n198.51.100.0/24\n!198.51.100.20\n"
		    "2001:db8:bad::/48 :127.0.0.2:x\n192.0.2\n300.1.1.1\n");
	cidr_set_init(&v4, 4);
	cidr_set_init(&v6, 6);
	memset(&c, 0, sizeof(c));
	warned[0] = '\0';
	assert_int_equal(listread_file(path, BLIST_RBLDNSD, &v4, &v6, &c), 0);
	assert_int_equal(c.entries, 4);
	assert_int_equal(c.bad, 1);
	assert_non_null(strstr(warned, "list.txt:8: "));
	assert_int_equal(cidr_set_merge(&v4), 0);
	assert_int_equal(v4.n, 3);
	cidr_range_format(&v4.r[1], 4, t, sizeof(t));
	assert_string_equal(t, "198.51.100.0-198.51.100.19");
	assert_int_equal(v6.n, 1);
	/* A list that cannot be read is an error, never an empty list. */
	assert_int_equal(listread_file("/nonexistent/list", BLIST_AUTO, &v4, &v6, &c), -1);
	cidr_set_free(&v4);
	cidr_set_free(&v6);
}

/*
 * A blocklist file's guard: the whole address space in any spelling and entries broader
 * than the limits are refused with file:line and the reason; Spamhaus DROP's broadest
 * real entries (a /10 or /11) pass; an overlap with never_block is named and counted.
 */
static void test_list_guarded(void **state)
{
	struct cidr_set v4, v6, never[2];
	struct listread_counts c;
	struct listread_guard g;
	struct cidr_range r;
	char err[64];
	int f;

	append("w", "; Spamhaus DROP List\n"
		    "1.10.16.0/20 ; SBL256894\n"
		    "45.64.0.0/11 ; SBL000001\n"
		    "0.0.0.0/0 ; SBL000002\n"
		    "0.0.0.0-255.255.255.255 ; SBL000003\n"
		    "::/0 ; SBL000004\n"
		    "10.0.0.0/7 ; SBL000005\n"
		    "2001:db8::/32 ; SBL000006\n"
		    "2000::/15 ; SBL000007\n"
		    "198.51.100.0/24 ; SBL000008\n");
	cidr_set_init(&v4, 4);
	cidr_set_init(&v6, 6);
	cidr_set_init(&never[0], 4);
	cidr_set_init(&never[1], 6);
	assert_true(cidr_parse("198.51.100.77", &f, &r, err, sizeof(err)) >= 0);
	assert_int_equal(cidr_set_add(&never[0], &r), 0);
	assert_int_equal(cidr_set_merge(&never[0]), 0);
	memset(&c, 0, sizeof(c));
	memset(&g, 0, sizeof(g));
	g.limit4 = 8;
	g.limit6 = 16;
	g.never = never;
	warned[0] = '\0';
	assert_int_equal(listread_guarded(path, BLIST_DROP, &v4, &v6, &c, &g), 0);
	assert_int_equal(g.refused, 5);
	assert_int_equal(c.bad, 5);
	assert_int_equal(c.entries, 4);
	assert_int_equal(g.never_hits, 1);
	assert_non_null(strstr(warned, "list.txt:4: entry 0.0.0.0/0 is broader than /8: refused"));
	assert_non_null(strstr(warned, "list.txt:5: entry 0.0.0.0/0 is broader than /8"));
	assert_non_null(strstr(warned, "list.txt:6: entry ::/0 is broader than /16: refused"));
	assert_non_null(strstr(warned, "list.txt:7: entry 10.0.0.0/7 is broader than /8"));
	assert_non_null(strstr(warned, "list.txt:9: entry 2000::/15 is broader than /16"));
	assert_non_null(strstr(warned, "list.txt:10: entry 198.51.100.0/24 overlaps never_block "
				       "198.51.100.77"));
	assert_int_equal(v4.n, 3);
	assert_int_equal(v6.n, 1);
	cidr_set_free(&v4);
	cidr_set_free(&v6);
	cidr_set_free(&never[0]);
	cidr_set_free(&never[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_guarded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
