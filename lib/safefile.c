// SPDX-License-Identifier: GPL-2.0-or-later
/* Replace a file atomically in a directory another user may own, never following a link. */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Split path into its directory (opened) and its last component. */
static int safefile_dir(const char *path, char *name, size_t namelen)
{
	char dir[PATH_MAX];
	char base[PATH_MAX];
	int dfd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir) ||
	    (size_t)snprintf(base, sizeof(base), "%s", path) >= sizeof(base) ||
	    (size_t)snprintf(name, namelen, "%s", basename(base)) >= namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (name[0] == '\0' || strcmp(name, "/") == 0 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EISDIR;
		return -1;
	}
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd;
}

/* Root writing into another user's directory: the file goes to the directory's owner. */
static int safefile_give_dir(int fd, int dfd)
{
	struct stat ds;
	struct stat fs;

	if (geteuid() != 0)
		return 0;
	if (fstat(dfd, &ds) < 0 || fstat(fd, &fs) < 0)
		return -1;
	if (fs.st_uid == ds.st_uid && fs.st_gid == ds.st_gid)
		return 0;
	/* A hard link planted by the directory's owner would hand them some other file. */
	if (!S_ISREG(fs.st_mode) || fs.st_nlink != 1) {
		errno = EPERM;
		return -1;
	}
	return fchown(fd, ds.st_uid, ds.st_gid);
}

int safefile_give(int fd, const char *path)
{
	char name[NAME_MAX + 1];
	int dfd;
	int rc;
	int e;

	dfd = safefile_dir(path, name, sizeof(name));
	if (dfd < 0)
		return -1;
	rc = safefile_give_dir(fd, dfd);
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}

int safefile_open(struct safefile *sf, const char *path, mode_t mode)
{
	int e;

	memset(sf, 0, sizeof(*sf));
	sf->fd = -1;
	sf->dfd = safefile_dir(path, sf->name, sizeof(sf->name));
	if (sf->dfd < 0)
		return -1;
	if ((size_t)snprintf(sf->tmp, sizeof(sf->tmp), "%s.tmp.%ld", sf->name, (long)getpid()) >=
	    sizeof(sf->tmp)) {
		errno = ENAMETOOLONG;
		goto err_dir;
	}
	sf->fd = openat(sf->dfd, sf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			mode);
	if (sf->fd < 0)
		goto err_dir;
	if (safefile_give_dir(sf->fd, sf->dfd) < 0)
		goto err_unlink;
	return 0;

err_unlink:
	e = errno;
	unlinkat(sf->dfd, sf->tmp, 0);
	close(sf->fd);
	errno = e;
err_dir:
	e = errno;
	close(sf->dfd);
	sf->dfd = -1;
	sf->fd = -1;
	errno = e;
	return -1;
}

FILE *safefile_stream(struct safefile *sf)
{
	if (sf->f == NULL)
		sf->f = fdopen(sf->fd, "w");
	return sf->f;
}

/* Close the temporary file's descriptor (or stream); -1 with errno if a write failed. */
static int safefile_close(struct safefile *sf)
{
	int rc;

	if (sf->f != NULL)
		rc = fclose(sf->f);
	else
		rc = sf->fd >= 0 ? close(sf->fd) : 0;
	sf->f = NULL;
	sf->fd = -1;
	return rc;
}

int safefile_commit(struct safefile *sf)
{
	int e;

	if (sf->f != NULL && fflush(sf->f) != 0)
		goto err;
	/* The data must be on disk before the rename makes it the file. */
	if (fsync(sf->fd) < 0)
		goto err;
	if (safefile_close(sf) < 0)
		goto err;
	if (renameat(sf->dfd, sf->tmp, sf->dfd, sf->name) < 0)
		goto err;
	/* And the rename itself must survive a crash. */
	(void)fsync(sf->dfd);
	close(sf->dfd);
	sf->dfd = -1;
	return 0;
err:
	e = errno;
	safefile_abort(sf);
	errno = e;
	return -1;
}

void safefile_abort(struct safefile *sf)
{
	int e = errno;

	(void)safefile_close(sf);
	if (sf->dfd >= 0) {
		unlinkat(sf->dfd, sf->tmp, 0);
		close(sf->dfd);
	}
	sf->dfd = -1;
	errno = e;
}
