// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The file helper root writes through into directories other users own: whatever sits at
 * the temporary name (a symlink, a planted file) is refused and never followed; a link at
 * the final name is replaced, not written through; the file goes to the directory's owner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "safefile.h"

static char dir[64];
static char path[256];	 /* the file replaced */
static char tmp[300];	 /* its temporary name, as safefile_open makes it */
static char victim[256]; /* a file outside that no write may reach */

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_safefile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	unlink(tmp);
	unlink(victim);
	rmdir(dir);
	return 0;
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_file(const char *p, const char *text)
{
	char buf[256];
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static int save(const char *text)
{
	struct safefile sf;
	FILE *f;

	if (safefile_open(&sf, path, 0600) < 0)
		return -1;
	f = safefile_stream(&sf);
	assert_non_null(f);
	fputs(text, f);
	return safefile_commit(&sf);
}

static void test_replace(void **state)
{
	struct stat sb;

	write_file(path, "old\n");
	assert_int_equal(save("new\n"), 0);
	assert_file(path, "new\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* Nothing left behind. */
	assert_int_equal(access(tmp, F_OK), -1);
}

/* A symlink at the temporary name, pointing at a file root must not write: refused. */
static void test_symlink_at_tmp_refused(void **state)
{
	struct safefile sf;

	write_file(victim, "precious\n");
	write_file(path, "old\n");
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(safefile_open(&sf, path, 0600), -1);
	assert_int_equal(errno, EEXIST);
	assert_file(victim, "precious\n");
	assert_file(path, "old\n");
	/* A dangling one (O_CREAT would create its target) is refused the same way. */
	unlink(victim);
	assert_int_equal(save("new\n"), -1);
	assert_int_equal(access(victim, F_OK), -1);
	unlink(tmp);
}

/* A file planted at the temporary name is not reused (its owner could read or swap it). */
static void test_existing_tmp_refused(void **state)
{
	write_file(tmp, "planted\n");
	write_file(path, "old\n");
	assert_int_equal(save("new\n"), -1);
	assert_int_equal(errno, EEXIST);
	assert_file(tmp, "planted\n");
	assert_file(path, "old\n");
	unlink(tmp);
}

/* A symlink at the final name is replaced by the file, its target left alone. */
static void test_symlink_at_name_replaced(void **state)
{
	struct stat sb;

	unlink(path);
	write_file(victim, "precious\n");
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(save("new\n"), 0);
	assert_file(victim, "precious\n");
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_file(path, "new\n");
}

/* A failed write leaves the old file and no temporary file. */
static void test_abort(void **state)
{
	struct safefile sf;

	write_file(path, "old\n");
	assert_int_equal(safefile_open(&sf, path, 0600), 0);
	assert_int_equal(write(sf.fd, "half", 4), 4);
	safefile_abort(&sf);
	assert_file(path, "old\n");
	assert_int_equal(access(tmp, F_OK), -1);
}

/* As root into another user's directory: the file is that user's (fchown on the fd). */
static void test_given_to_dir_owner(void **state)
{
	struct stat sb;
	int fd;

	if (geteuid() != 0) {
		/* Without root nothing is given: the file stays ours. */
		assert_int_equal(save("x\n"), 0);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_uid, geteuid());
		return;
	}
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(save("x\n"), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 65534);
	assert_int_equal(sb.st_gid, 65534);
	/* A hard link the owner planted is never handed to them. */
	write_file(victim, "precious\n");
	assert_int_equal(chown(victim, 0, 0), 0);
	unlink(path);
	assert_int_equal(link(victim, path), 0);
	fd = open(path, O_RDWR | O_NOFOLLOW);
	assert_true(fd >= 0);
	assert_int_equal(safefile_give(fd, path), -1);
	close(fd);
	assert_int_equal(stat(victim, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(chown(dir, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_at_tmp_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_tmp_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_at_name_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_to_dir_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
