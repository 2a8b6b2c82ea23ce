// SPDX-License-Identifier: GPL-2.0-or-later
/* The admin's own log patterns, compiled once with PCRE2. */
#include "pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slog.h"
#include "strnum.h"

int pattern_parse_msg(const struct pattern_set *s, const char *tag, size_t taglen, const char *msg,
		      size_t len, struct mlog_hit *hit, unsigned int *which)
{
	pcre2_match_data *md = s->md;
	PCRE2_SIZE *ov;
	char buf[64];
	size_t n;
	unsigned int i;
	int rc;

	if (len > 0 && msg[len - 1] == '\n')
		len--;
	for (i = 0; i < s->n; i++) {
		if (strlen(s->p[i].tag) != taglen || memcmp(s->p[i].tag, tag, taglen) != 0)
			continue;
		rc = pcre2_match(s->p[i].re, (PCRE2_SPTR)msg, len, 0, 0, md, NULL);
		if (rc < 0)
			continue;
		ov = pcre2_get_ovector_pointer(md);
		if (ov[2 * s->p[i].group] == PCRE2_UNSET)
			continue;
		*which = i;
		hit->reason = REASON_CUSTOM;
		hit->bantime = s->p[i].bantime;
		n = ov[2 * s->p[i].group + 1] - ov[2 * s->p[i].group];
		if (n > 5 && strncmp(msg + ov[2 * s->p[i].group], "IPv6:", 5) == 0) {
			ov[2 * s->p[i].group] += 5;
			n -= 5;
		}
		if (n == 0 || n >= sizeof(buf)) {
			snprintf(hit->detail, sizeof(hit->detail), "pattern %s: bad client address",
				 s->p[i].name);
			return -1;
		}
		memcpy(buf, msg + ov[2 * s->p[i].group], n);
		buf[n] = '\0';
		if (cidr_parse_addr(buf, &hit->family, &hit->addr) < 0) {
			snprintf(hit->detail, sizeof(hit->detail),
				 "pattern %s: bad client address \"%.24s\"", s->p[i].name, buf);
			return -1;
		}
		snprintf(hit->detail, sizeof(hit->detail), "%s", s->p[i].name);
		return 1;
	}
	return 0;
}

int pattern_parse(const struct pattern_set *s, const char *line, size_t len, struct mlog_hit *hit,
		  unsigned int *which)
{
	const char *end = line + len;
	const char *tag, *msg;
	size_t taglen;

	if (s == NULL || s->n == 0)
		return 0;
	if (len > 0 && line[len - 1] == '\n')
		end--;
	msg = slog_header(line, end, &tag, &taglen);
	if (msg == NULL)
		return 0;
	return pattern_parse_msg(s, tag, taglen, msg, (size_t)(end - msg), hit, which);
}

size_t pattern_needles(const struct pattern_set *s, const char **needles, size_t max)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; s != NULL && i < s->n && n < max; i++)
		needles[n++] = s->p[i].tag;
	return n;
}

long pattern_test_file(const char *path, const struct mlog_opts *o, int64_t bantime, FILE *out)
{
	const struct pattern_set *s = o->patterns;
	unsigned long per[PATTERN_MAX] = {0};
	unsigned long lineno = 0, bad = 0;
	long hits = 0;
	struct mlog_hit hit;
	char a[CIDR_TEXT_MAX];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned int i;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL)
		return -1;
	for (;;) {
		n = getline(&line, &cap, f);
		if (n < 0)
			break;
		lineno++;
		rc = mlog_parse(line, (size_t)n, o, &hit);
		if (rc < 0) {
			bad++;
			fprintf(out, "%s:%lu: refused: %s\n", path, lineno, hit.detail);
			continue;
		}
		if (rc == 0)
			continue;
		hits++;
		cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
		fprintf(out, "%s:%lu: ban %s reason=%s detail=%s bantime=%llds\n", path, lineno, a,
			reason_name(hit.reason), hit.detail[0] != '\0' ? hit.detail : "-",
			(long long)(hit.bantime > 0 ? hit.bantime : bantime));
		for (i = 0; hit.reason == REASON_CUSTOM && s != NULL && i < s->n; i++) {
			if (strcmp(s->p[i].name, hit.detail) == 0) {
				per[i]++;
				break;
			}
		}
	}
	free(line);
	fclose(f);
	fprintf(out, "lines=%lu would_ban=%ld refused=%lu\n", lineno, hits, bad);
	for (i = 0; s != NULL && i < s->n; i++)
		fprintf(out, "pattern %s program=%s matched=%lu\n", s->p[i].name, s->p[i].tag,
			per[i]);
	return hits;
}
