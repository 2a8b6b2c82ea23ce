// SPDX-License-Identifier: GPL-2.0-or-later
/* What the last transaction left in the kernel's sets, tied to the ruleset generation. */
#include "snap.h"

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

#define SNAP_MAGIC	  "nftarpit-sync-applied-2\n"
#define SNAP_MAGIC_LEGACY "nftarpit-sync-applied-1\n"
#define SNAP_NAME_MAX	  32
/* More records than sets we could ever have means a corrupt or foreign file. */
#define SNAP_RECORDS_MAX 64

/* The file: header, nsets records (name, count), then each record's ranges in order. */
struct snap_header {
	char magic[24];
	uint32_t gen;
	uint32_t nsets;
};

struct snap_record {
	char name[SNAP_NAME_MAX];
	uint64_t n;
};

/* The layout before issue 16: four sets by position, blocklist4/6 then allowlist4/6. */
struct snap_header_legacy {
	char magic[24];
	uint32_t gen;
	uint32_t pad;
	uint64_t n[4];
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

/*
 * The counts come from a file: each must fit in what is left of it before it is
 * multiplied, or n * size wraps, a crafted file passes, and its reading never ends. 0 when
 * counts fit exactly in size bytes after total bytes of headers.
 */
static int snap_check_counts(const char *path, const uint64_t *n, size_t nn, size_t total,
			     off_t size)
{
	size_t i;

	for (i = 0; i < nn; i++) {
		if (size < 0 || (uint64_t)size < total ||
		    n[i] > ((uint64_t)size - total) / sizeof(struct cidr_range)) {
			log_warnx("snapshot %s: set %zu claims %" PRIu64 " ranges, more than its "
				  "%lld bytes hold: ignored, the sets are read from the kernel",
				  path, i, n[i], (long long)size);
			return -1;
		}
		total += n[i] * sizeof(struct cidr_range);
	}
	if ((uint64_t)size != total) {
		log_warnx("snapshot %s: %lld bytes, its counts say %zu: ignored, the sets are "
			  "read from the kernel",
			  path, (long long)size, total);
		return -1;
	}
	return 0;
}

/* Read n ranges into s (cleared first). 0, -1 short file, -2 ENOMEM. */
static int snap_read_set(int fd, uint64_t n, struct cidr_set *s)
{
	cidr_set_clear(s);
	if (cidr_set_reserve(s, n) < 0)
		return -2;
	if (n > 0 && snap_read_all(fd, s->r, n * sizeof(struct cidr_range)) < 0)
		return -1;
	s->n = n;
	return 0;
}

/*
 * The layout before issue 16, content only: the blocklists split into hosts and ranges
 * (listset_layout()), the allowlists as they were. 1, 0 unusable, -1 ENOMEM.
 */
static int snap_read_legacy(int fd, const char *path, off_t size,
			    struct cidr_set sets[LISTSET_COUNT])
{
	struct snap_header_legacy h;
	struct cidr_set raw;
	int i, f, rc = 0, r;

	if (lseek(fd, 0, SEEK_SET) < 0 || snap_read_all(fd, &h, sizeof(h)) < 0 ||
	    snap_check_counts(path, h.n, 4, sizeof(h), size) < 0)
		return 0;
	for (i = 0; i < 4; i++) {
		f = i % 2 == 0 ? 4 : 6;
		cidr_set_init(&raw, f);
		r = snap_read_set(fd, h.n[i], &raw);
		if (r == 0 && i < 2)
			r = listset_layout(&raw, NULL,
					   &sets[listset_of(LISTSET_BLOCK, LISTSET_HOSTS, f)],
					   &sets[listset_of(LISTSET_BLOCK, LISTSET_RANGES, f)]) < 0
				    ? -2
				    : 0;
		else if (r == 0) {
			/* The allowlists keep their set: hand the array over. */
			cidr_set_free(&sets[listset_of(LISTSET_ALLOW, LISTSET_RANGES, f)]);
			sets[listset_of(LISTSET_ALLOW, LISTSET_RANGES, f)] = raw;
			continue;
		}
		cidr_set_free(&raw);
		if (r < 0) {
			rc = r == -2 ? -1 : 0;
			return rc;
		}
	}
	return 1;
}

/* snap_load(), or with any the content whatever generation the file names (0 included). */
static int snap_read(const char *path, uint32_t gen, bool any, struct cidr_set sets[LISTSET_COUNT])
{
	struct snap_record rec[SNAP_RECORDS_MAX];
	uint64_t n[SNAP_RECORDS_MAX];
	bool seen[LISTSET_COUNT] = {false};
	struct cidr_set skip;
	struct snap_header h;
	struct stat sb;
	size_t i;
	int fd, id, r;
	int rc = 0;

	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_clear(&sets[i]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (snap_read_all(fd, &h, sizeof(h)) < 0 || fstat(fd, &sb) < 0)
		goto out;
	if (memcmp(h.magic, SNAP_MAGIC_LEGACY, sizeof(h.magic)) == 0) {
		/* Never trusted for a generation: the kernel's sets were of the old layout. */
		if (any)
			rc = snap_read_legacy(fd, path, sb.st_size, sets);
		goto out;
	}
	if (memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)) != 0 ||
	    (!any && (h.gen != gen || gen == 0)))
		goto out;
	if (h.nsets > SNAP_RECORDS_MAX) {
		log_warnx("snapshot %s: %u sets: ignored, the sets are read from the kernel", path,
			  h.nsets);
		goto out;
	}
	if (snap_read_all(fd, rec, h.nsets * sizeof(rec[0])) < 0)
		goto out;
	for (i = 0; i < h.nsets; i++)
		n[i] = rec[i].n;
	if (snap_check_counts(path, n, h.nsets, sizeof(h) + h.nsets * sizeof(rec[0]), sb.st_size) <
	    0)
		goto out;
	for (i = 0; i < h.nsets; i++) {
		rec[i].name[SNAP_NAME_MAX - 1] = '\0';
		id = listset_find(rec[i].name);
		if (id < 0 || seen[id]) {
			/* A set we do not have: the kernel's layout is not ours. */
			if (!any)
				goto out;
			cidr_set_init(&skip, 4);
			r = snap_read_set(fd, n[i], &skip);
			cidr_set_free(&skip);
		} else {
			seen[id] = true;
			r = snap_read_set(fd, n[i], &sets[id]);
		}
		if (r == -2) {
			rc = -1;
			goto out;
		}
		if (r < 0)
			goto out;
	}
	for (i = 0; i < LISTSET_COUNT && !any; i++)
		if (!seen[i])
			goto out;
	rc = 1;
out:
	close(fd);
	if (rc != 1) {
		for (i = 0; i < LISTSET_COUNT; i++)
			cidr_set_clear(&sets[i]);
	}
	return rc;
}

int snap_load(const char *path, uint32_t gen, struct cidr_set sets[LISTSET_COUNT])
{
	return snap_read(path, gen, false, sets);
}

int snap_load_content(const char *path, struct cidr_set sets[LISTSET_COUNT])
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

int snap_save(const char *path, uint32_t gen, const struct cidr_set sets[LISTSET_COUNT])
{
	struct snap_record rec[LISTSET_COUNT];
	struct snap_header h;
	struct safefile sf;
	FILE *f;
	size_t i;

	memset(&h, 0, sizeof(h));
	memset(rec, 0, sizeof(rec));
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.gen = gen;
	h.nsets = LISTSET_COUNT;
	for (i = 0; i < LISTSET_COUNT; i++) {
		snprintf(rec[i].name, sizeof(rec[i].name), "%s", listsets[i].name);
		rec[i].n = sets[i].n;
	}
	if (safefile_open(&sf, path, 0600) < 0)
		goto err;
	f = safefile_stream(&sf);
	if (f == NULL || fwrite(&h, sizeof(h), 1, f) != 1 || fwrite(rec, sizeof(rec), 1, f) != 1)
		goto err_abort;
	for (i = 0; i < LISTSET_COUNT; i++) {
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
