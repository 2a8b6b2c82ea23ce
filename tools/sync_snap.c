// SPDX-License-Identifier: GPL-2.0-or-later
/* What the last transaction left in the kernel's sets, tied to the ruleset generation. */
#include "sync_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"

#define SNAP_MAGIC "nftarpit-sync-applied-1\n"

struct snap_header {
	char magic[24];
	uint32_t gen;
	uint32_t pad;
	uint64_t n[SNAP_NSETS];
};

static int snap_read_all(int fd, void *buf, size_t len)
{
	ssize_t r;
	char *p = buf;

	while (len > 0) {
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

const char *const snap_set_names[SNAP_NSETS] = {"blocklist4", "blocklist6", "allowlist4",
						"allowlist6"};
const int snap_set_family[SNAP_NSETS] = {4, 6, 4, 6};

/* snap_load(), or with any the content whatever generation the file names (0 included). */
static int snap_read(const char *path, uint32_t gen, bool any, struct cidr_set sets[SNAP_NSETS])
{
	struct snap_header h;
	struct stat sb;
	size_t total = sizeof(h);
	size_t i;
	int fd;
	int rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (snap_read_all(fd, &h, sizeof(h)) < 0 ||
	    memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)) != 0 ||
	    (!any && (h.gen != gen || gen == 0)) || fstat(fd, &sb) < 0)
		goto out;
	/*
	 * The counts come from a file: each must fit in what is left of it before it is
	 * multiplied, or n * size wraps, a crafted file passes, and its reading never ends.
	 */
	for (i = 0; i < SNAP_NSETS; i++) {
		if (sb.st_size < 0 || (uint64_t)sb.st_size < total ||
		    h.n[i] > ((uint64_t)sb.st_size - total) / sizeof(struct cidr_range)) {
			log_warnx("snapshot %s: set %zu claims %" PRIu64 " ranges, more than its "
				  "%lld bytes hold: ignored, the sets are read from the kernel",
				  path, i, h.n[i], (long long)sb.st_size);
			goto out;
		}
		total += h.n[i] * sizeof(struct cidr_range);
	}
	if ((uint64_t)sb.st_size != total) {
		log_warnx("snapshot %s: %lld bytes, its counts say %zu: ignored, the sets are "
			  "read from the kernel",
			  path, (long long)sb.st_size, total);
		goto out;
	}
	for (i = 0; i < SNAP_NSETS; i++) {
		cidr_set_clear(&sets[i]);
		if (cidr_set_reserve(&sets[i], h.n[i]) < 0) {
			rc = -1;
			goto out;
		}
		if (h.n[i] > 0 &&
		    snap_read_all(fd, sets[i].r, h.n[i] * sizeof(struct cidr_range)) < 0)
			goto out;
		sets[i].n = h.n[i];
	}
	rc = 1;
out:
	close(fd);
	if (rc != 1) {
		for (i = 0; i < SNAP_NSETS; i++)
			cidr_set_clear(&sets[i]);
	}
	return rc;
}

int snap_load(const char *path, uint32_t gen, struct cidr_set sets[SNAP_NSETS])
{
	return snap_read(path, gen, false, sets);
}

int snap_load_content(const char *path, struct cidr_set sets[SNAP_NSETS])
{
	return snap_read(path, 0, true, sets);
}

void snap_untrust(const char *path)
{
	uint32_t zero = 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("snapshot %s", path);
		return;
	}
	/* Four bytes inside the first block: no reader sees half of them. */
	if (pwrite(fd, &zero, sizeof(zero), offsetof(struct snap_header, gen)) !=
		    (ssize_t)sizeof(zero) ||
	    fsync(fd) < 0) {
		log_warn("snapshot %s", path);
		close(fd);
		snap_drop(path);
		return;
	}
	close(fd);
}

int snap_save(const char *path, uint32_t gen, const struct cidr_set sets[SNAP_NSETS])
{
	struct snap_header h;
	struct safefile sf;
	FILE *f;
	size_t i;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.gen = gen;
	for (i = 0; i < SNAP_NSETS; i++)
		h.n[i] = sets[i].n;
	if (safefile_open(&sf, path, 0600) < 0)
		goto err;
	f = safefile_stream(&sf);
	if (f == NULL || fwrite(&h, sizeof(h), 1, f) != 1)
		goto err_abort;
	for (i = 0; i < SNAP_NSETS; i++) {
		if (sets[i].n > 0 &&
		    fwrite(sets[i].r, sizeof(*sets[i].r), sets[i].n, f) != sets[i].n)
			goto err_abort;
	}
	if (safefile_commit(&sf) < 0)
		goto err;
	return 0;
err_abort:
	safefile_abort(&sf);
err:
	log_warn("snapshot %s", path);
	snap_drop(path);
	return -1;
}

void snap_drop(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("removing %s", path);
}
