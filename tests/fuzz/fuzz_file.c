// SPDX-License-Identifier: GPL-2.0-or-later
/* The input of a file-reading target in a private temporary directory. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"

static char fuzz_dir[PATH_MAX];

static void fuzz_dir_remove(void)
{
	struct dirent *d;
	char path[PATH_MAX + 256];
	DIR *dir = opendir(fuzz_dir);

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, d->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(fuzz_dir);
}

const char *fuzz_path(const char *name)
{
	static char path[PATH_MAX + 64];
	const char *tmp = getenv("TMPDIR");

	if (fuzz_dir[0] == '\0') {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/nftarpit-fuzz.XXXXXX",
			 tmp != NULL && tmp[0] != '\0' ? tmp : "/dev/shm");
		if (mkdtemp(fuzz_dir) == NULL) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fuzz_dir_remove);
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	return path;
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
		perror("fuzz: writing the input file");
		abort();
	}
	return path;
}
