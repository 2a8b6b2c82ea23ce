/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replace a file atomically in a directory another user may own, never following a link. */
#ifndef NFTARPIT_SAFEFILE_H
#define NFTARPIT_SAFEFILE_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

struct safefile {
	int dfd;		 /* the directory, all names below are relative to it */
	int fd;			 /* the temporary file */
	FILE *f;		 /* a stream on fd, once asked for */
	char name[NAME_MAX + 1]; /* the file replaced */
	char tmp[NAME_MAX + 1];	 /* "<name>.tmp.<pid>" */
};

/*
 * Start replacing path: a new temporary file next to it, created through the directory's
 * descriptor with O_CREAT | O_EXCL | O_NOFOLLOW, so whatever already is at the temporary
 * name (a symlink, a file planted by the directory's owner) is refused (EEXIST, ELOOP),
 * never followed or reused. When root writes into a directory another user owns (the
 * sync's state directory), the file is given to that owner through its descriptor, as the
 * file it replaces is. 0, or -1 with errno and nothing left behind.
 */
int safefile_open(struct safefile *sf, const char *path, mode_t mode);

/* A stdio stream on the temporary file (owned by sf), or NULL with errno. */
FILE *safefile_stream(struct safefile *sf);

/*
 * Make the temporary file the file: flush, fsync, rename over the name (renameat: a link
 * at the name is replaced, not followed), fsync the directory. 0, or -1 with errno and the
 * temporary file removed. Either way sf is closed.
 */
int safefile_commit(struct safefile *sf);

/* Give up: remove the temporary file, close sf. */
void safefile_abort(struct safefile *sf);

/*
 * When running as root, give fd to the owner and group of the directory holding path
 * (fchown on the descriptor: no window in which the name could point elsewhere).
 * 0, or -1 with errno.
 */
int safefile_give(int fd, const char *path);

#endif
