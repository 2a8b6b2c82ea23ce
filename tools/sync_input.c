// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync's readers: log files from where they stopped, stdin, the journal, lists. */
#include "sync_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "sync_guard.h"

#define INPUT_BUF (1024 * 1024)

/* FNV-1a of the first STATE_HEAD_BYTES bytes of fd, or 0 when the file is shorter. */
static uint64_t input_head_hash(int fd)
{
	unsigned char b[STATE_HEAD_BYTES];
	uint64_t h = 0xcbf29ce484222325ull;
	ssize_t n = pread(fd, b, sizeof(b), 0);
	ssize_t i;

	if (n != (ssize_t)sizeof(b))
		return 0;
	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	/* 63 bits: the state file's numbers go through the signed strict parser. */
	h &= INT64_MAX;
	return h != 0 ? h : 1;
}

/* Newlines in [p, end). */
static uint64_t input_count_lines(const char *p, const char *end)
{
	uint64_t n = 0;

	while (p < end) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			break;
		n++;
		p++;
	}
	return n;
}

static int input_ptr_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Parse the complete lines in buf[0..len); returns how many bytes they took. Nearly all
 * mail log lines name no spam source, and calling a parser per line would cost more than
 * reading: so each pattern's fixed string is searched through the whole chunk at once
 * (memmem is vectorised), and only the lines holding one are parsed, in file order.
 */
static size_t input_lines(const char *buf, size_t len, const char *name, const struct mlog_opts *o,
			  input_hit_fn fn, void *arg, struct input_counts *n, uint64_t *lineno,
			  int *stop)
{
	const char *needles[MLOG_NEEDLES_MAX];
	const char **cand = NULL;
	const char *last, *p, *q, *nl, *end, *counted = buf;
	size_t nneedles = mlog_needles(o, needles, MLOG_NEEDLES_MAX);
	size_t ncand = 0, cap = 0, i, k, used;
	struct mlog_hit hit;
	const char **grown;
	int rc;

	last = memrchr(buf, '\n', len);
	if (last == NULL)
		return 0;
	end = last + 1;
	used = (size_t)(end - buf);
	for (k = 0; k < nneedles; k++) {
		p = buf;
		for (;;) {
			q = memmem(p, (size_t)(end - p), needles[k], strlen(needles[k]));
			if (q == NULL)
				break;
			if (ncand == cap) {
				cap = cap != 0 ? 2 * cap : 256;
				grown = reallocarray(cand, cap, sizeof(*cand));
				if (grown == NULL) {
					*stop = 1;
					free(cand);
					return 0;
				}
				cand = grown;
			}
			/* The start of the line holding the match. */
			nl = memrchr(buf, '\n', (size_t)(q - buf));
			cand[ncand++] = nl != NULL ? nl + 1 : buf;
			p = memchr(q, '\n', (size_t)(end - q)) + 1;
		}
	}
	/* No candidate leaves cand NULL, which qsort() must not be given (UBSan). */
	if (ncand > 1)
		qsort(cand, ncand, sizeof(*cand), input_ptr_cmp);
	for (i = 0; i < ncand; i++) {
		if (i > 0 && cand[i] == cand[i - 1])
			continue;
		*lineno += input_count_lines(counted, cand[i]) + 1;
		nl = memchr(cand[i], '\n', (size_t)(end - cand[i]));
		counted = nl + 1;
		rc = mlog_parse(cand[i], (size_t)(nl - cand[i]), o, &hit);
		if (rc < 0) {
			n->bad++;
			log_warnx("%s:%llu: %s", name, (unsigned long long)*lineno, hit.detail);
		} else if (rc == 0 && hit.ignored) {
			n->unstructured++;
			log_debug("%s:%llu: pattern text outside its program's structure, ignored",
				  name, (unsigned long long)*lineno);
		} else if (rc > 0) {
			n->hits++;
			if (fn(&hit, arg) < 0) {
				/* Out of memory: consume nothing from this line on. */
				*stop = 1;
				(*lineno)--;
				used = (size_t)(cand[i] - buf);
				end = cand[i];
				counted = end;
				break;
			}
		}
	}
	*lineno += input_count_lines(counted, end);
	n->lines += input_count_lines(buf, end);
	free(cand);
	return used;
}

/*
 * Read fd from off to its end; returns the offset after the last complete line, or -1.
 * Line numbers in messages count from where this run started reading (the whole file on a
 * first run).
 */
static off_t input_drain(int fd, off_t off, const char *name, const struct mlog_opts *o,
			 input_hit_fn fn, void *arg, struct input_counts *n)
{
	uint64_t lineno = 0;
	char *buf = malloc(INPUT_BUF);
	size_t have = 0, used;
	ssize_t r;
	int stop = 0;

	if (buf == NULL)
		return -1;
	for (;;) {
		r = pread(fd, buf + have, INPUT_BUF - have, off + (off_t)have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("%s: read", name);
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n->bytes += (uint64_t)r;
		have += (size_t)r;
		used = input_lines(buf, have, name, o, fn, arg, n, &lineno, &stop);
		if (stop) {
			free(buf);
			return -1;
		}
		if (used == 0 && have == INPUT_BUF) {
			/* A line longer than the buffer: no mail log has one; skip it. */
			n->bad++;
			log_warnx("%s: line over %d bytes skipped", name, INPUT_BUF);
			used = have;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		off += (off_t)used;
	}
	free(buf);
	return off;
}

int input_read_log(const char *path, struct state_pos *pos, const struct mlog_opts *o,
		   input_hit_fn fn, void *arg, struct input_counts *n)
{
	char old[PATH_MAX + 4];
	struct stat sb, ob;
	off_t start = (off_t)pos->off;
	off_t end;
	uint64_t head;
	int fd, ofd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		log_warn("%s: fstat", path);
		close(fd);
		return -1;
	}
	head = input_head_hash(fd);
	if (pos->ino != 0 && (sb.st_ino != pos->ino || sb.st_dev != pos->dev)) {
		/* Renamed away by logrotate: finish the old file if it is still at path.1. */
		snprintf(old, sizeof(old), "%s.1", path);
		ofd = open(old, O_RDONLY | O_CLOEXEC);
		if (ofd >= 0 && fstat(ofd, &ob) == 0 && ob.st_ino == pos->ino &&
		    ob.st_dev == pos->dev) {
			log_info("log rotated file=%s rest_from=%s offset=%llu", path, old,
				 (unsigned long long)pos->off);
			(void)input_drain(ofd, (off_t)pos->off, old, o, fn, arg, n);
		} else {
			log_info("log replaced file=%s reading_from=0", path);
		}
		if (ofd >= 0)
			close(ofd);
		start = 0;
	} else if (sb.st_size < start) {
		log_warnx("log truncated file=%s size=%lld offset=%lld reading_from=0", path,
			  (long long)sb.st_size, (long long)start);
		start = 0;
	} else if (pos->head != 0 && head != pos->head) {
		log_warnx("log rewritten file=%s (first bytes changed) reading_from=0", path);
		start = 0;
	}
	end = input_drain(fd, start, path, o, fn, arg, n);
	close(fd);
	if (end < 0)
		return -1;
	pos->dev = (uint64_t)sb.st_dev;
	pos->ino = (uint64_t)sb.st_ino;
	pos->off = (uint64_t)end;
	pos->head = head;
	return 0;
}

int input_read_fd(int fd, const char *name, const struct mlog_opts *o, input_hit_fn fn, void *arg,
		  struct input_counts *n)
{
	uint64_t lineno = 0;
	char *buf = malloc(INPUT_BUF);
	size_t have = 0, used;
	ssize_t r;
	int stop = 0;

	if (buf == NULL)
		return -1;
	for (;;) {
		r = read(fd, buf + have, INPUT_BUF - have - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("%s: read", name);
			free(buf);
			return -1;
		}
		if (r == 0) {
			/* A last line without a newline is still a line. */
			if (have > 0) {
				buf[have++] = '\n';
				(void)input_lines(buf, have, name, o, fn, arg, n, &lineno, &stop);
			}
			break;
		}
		n->bytes += (uint64_t)r;
		have += (size_t)r;
		used = input_lines(buf, have, name, o, fn, arg, n, &lineno, &stop);
		if (stop)
			break;
		if (used == 0 && have == INPUT_BUF - 1)
			used = have;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	return stop ? -1 : 0;
}

struct input_journal {
	sd_journal *j;
};

void input_journal_close(struct input_journal *j)
{
	if (j == NULL)
		return;
	sd_journal_close(j->j);
	free(j);
}

/* Add FIELD=value matches; sd-journal ORs values of one field and ANDs the fields. */
static int input_journal_match(sd_journal *j, char matches[][128], unsigned int n)
{
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		r = sd_journal_add_match(j, matches[i], 0);
		if (r < 0) {
			errno = -r;
			log_warn("journal: match %s", matches[i]);
			return -1;
		}
	}
	return 0;
}

static struct input_journal *input_journal_open(const char *file, char matches[][128],
						unsigned int nmatches, char trust[][128],
						unsigned int ntrust, const char *cursor)
{
	struct input_journal *j = calloc(1, sizeof(*j));
	const char *files[2] = {file, NULL};
	int r;

	if (j == NULL)
		return NULL;
	/* A journal file (copied from elsewhere, or a test's) instead of the system journal. */
	if (file != NULL && file[0] != '\0')
		r = sd_journal_open_files(&j->j, files, 0);
	else
		r = sd_journal_open(&j->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		errno = -r;
		log_warn("journal: open");
		free(j);
		return NULL;
	}
	/*
	 * One conjunction: an entry must carry a trusted value of every trusted field and
	 * one of the identifiers. An identifier alone would let any local user's
	 * "logger -t postfix/smtpd" in (issue 13).
	 */
	if (input_journal_match(j->j, trust, ntrust) < 0 ||
	    input_journal_match(j->j, matches, nmatches) < 0)
		goto err;
	if (cursor[0] != '\0') {
		r = sd_journal_seek_cursor(j->j, cursor);
		if (r < 0) {
			errno = -r;
			log_warn("journal: cursor");
			goto err;
		}
		/* The cursor's own entry was read last time: step onto it and past it. */
		if (sd_journal_next(j->j) > 0 && sd_journal_test_cursor(j->j, cursor) <= 0)
			(void)sd_journal_previous(j->j);
	} else {
		(void)sd_journal_seek_head(j->j);
	}
	return j;
err:
	sd_journal_close(j->j);
	free(j);
	return NULL;
}

int input_read_journal(struct input_journal **jp, const char *file, char matches[][128],
		       unsigned int nmatches, char trust[][128], unsigned int ntrust, char *cursor,
		       size_t cursorlen, int wait_ms, const struct mlog_opts *o, input_hit_fn fn,
		       void *arg, struct input_counts *n)
{
	struct input_journal *j = jp != NULL ? *jp : NULL;
	struct mlog_hit hit;
	const void *data, *tag;
	char tagbuf[128];
	char *c;
	size_t len, taglen;
	int r, rc;
	int read_any = 0;

	if (j == NULL) {
		j = input_journal_open(file, matches, nmatches, trust, ntrust, cursor);
		if (j == NULL)
			return -1;
		if (jp != NULL)
			*jp = j;
	}
	if (wait_ms > 0)
		(void)sd_journal_wait(j->j, (uint64_t)wait_ms * 1000);
	for (;;) {
		r = sd_journal_next(j->j);
		if (r <= 0)
			break;
		read_any = 1;
		/*
		 * The tag first, copied: sd_journal_get_data() reuses its buffer. An entry
		 * without SYSLOG_IDENTIFIER ("SYSLOG_IDENTIFIER=" is 18 bytes) has no program.
		 */
		taglen = 0;
		if (sd_journal_get_data(j->j, "SYSLOG_IDENTIFIER", &tag, &len) >= 0 && len > 18 &&
		    len - 18 < sizeof(tagbuf)) {
			taglen = len - 18;
			memcpy(tagbuf, (const char *)tag + 18, taglen);
		}
		if (sd_journal_get_data(j->j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		n->lines++;
		n->bytes += len - 8;
		rc = mlog_parse_msg(tagbuf, taglen, (const char *)data + 8, len - 8, o, &hit);
		if (rc < 0) {
			n->bad++;
			log_warnx("journal: %s", hit.detail);
		} else if (rc == 0 && hit.ignored) {
			n->unstructured++;
		} else if (rc > 0) {
			n->hits++;
			if (fn(&hit, arg) < 0)
				break;
		}
	}
	if (read_any && sd_journal_get_cursor(j->j, &c) >= 0) {
		if (strlen(c) < cursorlen)
			memcpy(cursor, c, strlen(c) + 1);
		free(c);
	}
	if (jp == NULL)
		input_journal_close(j);
	return 0;
}

static int input_append(struct cidr_set *to, struct cidr_set *from)
{
	struct cidr_set t;
	size_t i;

	/* The first list of a run: hand its array over instead of copying (40 MB at 1M). */
	if (to->n == 0 && to->family == from->family) {
		t = *to;
		*to = *from;
		*from = t;
		return 0;
	}
	for (i = 0; i < from->n; i++) {
		if (cidr_set_add(to, &from->r[i]) < 0)
			return -1;
	}
	return 0;
}

/* Whether the guard refuses entry e of path:lineno (reported), noting never_block overlaps. */
static bool input_guard_refuses(struct input_guard *g, const struct blist_entry *e,
				const char *path, unsigned int lineno)
{
	char t[CIDR_TEXT_MAX], o[CIDR_TEXT_MAX];
	const struct cidr_range *x;
	unsigned int limit = e->family == 4 ? g->limit4 : g->limit6;

	if (e->exclude)
		return false;
	if (cidr_range_broader(&e->range, e->family, limit)) {
		cidr_range_format(&e->range, e->family, t, sizeof(t));
		log_warnx("%s:%u: entry %s is broader than /%u: refused (list_limit%d)", path,
			  lineno, t, limit, e->family);
		g->refused++;
		return true;
	}
	x = g->never != NULL ? guard_overlap(&g->never[e->family == 4 ? 0 : 1], &e->range) : NULL;
	if (x != NULL) {
		cidr_range_format(&e->range, e->family, t, sizeof(t));
		cidr_range_format(x, e->family, o, sizeof(o));
		log_warnx("%s:%u: entry %s overlaps never_block %s: that part is left out", path,
			  lineno, t, o);
		g->never_hits++;
	}
	return false;
}

int input_read_list(const char *path, enum blist_format fmt, struct cidr_set *v4,
		    struct cidr_set *v6, struct input_counts *n)
{
	return input_read_list_guarded(path, fmt, v4, v6, n, NULL);
}

int input_read_list_guarded(const char *path, enum blist_format fmt, struct cidr_set *v4,
			    struct cidr_set *v6, struct input_counts *n, struct input_guard *g)
{
	struct cidr_set l4, l6, ex4, ex6;
	struct blist_entry e;
	char err[256];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	FILE *f;
	int rc = -1;
	int r;

	f = fopen(path, "re");
	if (f == NULL) {
		log_warn("list %s", path);
		return -1;
	}
	cidr_set_init(&l4, 4);
	cidr_set_init(&l6, 6);
	cidr_set_init(&ex4, 4);
	cidr_set_init(&ex6, 6);
	for (;;) {
		len = getline(&line, &cap, f);
		if (len < 0)
			break;
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		r = blist_parse_line(line, fmt, &e, err, sizeof(err));
		if (r == BLIST_NONE)
			continue;
		if (r < 0) {
			n->bad++;
			log_warnx("%s:%u: %s", path, lineno, err);
			continue;
		}
		if (r == BLIST_WARN)
			log_warnx("%s:%u: %s", path, lineno, err);
		if (g != NULL && input_guard_refuses(g, &e, path, lineno)) {
			n->bad++;
			continue;
		}
		n->entries++;
		if (cidr_set_add(e.exclude ? (e.family == 4 ? &ex4 : &ex6)
					   : (e.family == 4 ? &l4 : &l6),
				 &e.range) < 0)
			goto out;
	}
	if (ferror(f)) {
		log_warn("list %s: read", path);
		goto out;
	}
	/* Exclusions apply to this list only, so they are taken out before the union. */
	if (cidr_set_merge(&l4) < 0 || cidr_set_merge(&l6) < 0 || cidr_set_merge(&ex4) < 0 ||
	    cidr_set_merge(&ex6) < 0 || cidr_set_subtract(&l4, &ex4) < 0 ||
	    cidr_set_subtract(&l6, &ex6) < 0 || input_append(v4, &l4) < 0 ||
	    input_append(v6, &l6) < 0)
		goto out;
	rc = 0;
out:
	cidr_set_free(&l4);
	cidr_set_free(&l6);
	cidr_set_free(&ex4);
	cidr_set_free(&ex6);
	free(line);
	fclose(f);
	return rc;
}
