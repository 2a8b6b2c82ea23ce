// SPDX-License-Identifier: GPL-2.0-or-later
/* The admin's own log patterns, compiled once with PCRE2. */
#include "sync_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"
#include "sync_slog.h"

/* The next space-separated word of *p into out; NULL or the reason. */
static const char *pattern_word(const char **p, char *out, size_t len, const char *what)
{
	const char *s = *p;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t");
	if (n == 0)
		return what;
	if (n >= len)
		return "a field is too long";
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return NULL;
}

const char *pattern_add(struct pattern_set *s, const char *spec, char *err, size_t errlen)
{
	struct pattern *pt;
	char bantime[32];
	const char *why, *errstr;
	PCRE2_UCHAR msg[120];
	PCRE2_SIZE off;
	pcre2_code *re;
	int rc, group;
	uint32_t ovec = 0, max = 0;
	unsigned int i;

	if (s->n == PATTERN_MAX) {
		snprintf(err, errlen, "too many patterns (%d)", PATTERN_MAX);
		return err;
	}
	pt = &s->p[s->n];
	memset(pt, 0, sizeof(*pt));
	why = pattern_word(&spec, pt->name, sizeof(pt->name),
			   "no NAME (NAME PROGRAM BANTIME REGEX)");
	if (why == NULL)
		why = pattern_word(&spec, pt->tag, sizeof(pt->tag), "no PROGRAM tag");
	if (why == NULL)
		why = pattern_word(&spec, bantime, sizeof(bantime), "no BANTIME (or -)");
	if (why != NULL) {
		snprintf(err, errlen, "%s", why);
		return err;
	}
	if (strcmp(bantime, "-") != 0) {
		pt->bantime = strnum_duration(bantime, 100LL * 365 * 86400, &errstr);
		if (errstr != NULL || pt->bantime < 1) {
			snprintf(err, errlen, "BANTIME \"%s\": %s", bantime,
				 errstr != NULL ? errstr : "too small");
			return err;
		}
	}
	while (*spec == ' ' || *spec == '\t')
		spec++;
	if (*spec == '\0') {
		snprintf(err, errlen, "no REGEX");
		return err;
	}
	re = pcre2_compile((PCRE2_SPTR)spec, PCRE2_ZERO_TERMINATED, 0, &rc, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(err, errlen, "REGEX does not compile at offset %zu: %s", (size_t)off,
			 (const char *)msg);
		return err;
	}
	group = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "addr");
	if (group < 0) {
		pcre2_code_free(re);
		snprintf(err, errlen, "REGEX has no named group (?<addr>...) for the client");
		return err;
	}
	/* JIT where the platform has it; the interpreter otherwise, same results. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	pt->re = re;
	pt->group = (uint32_t)group;
	s->n++;
	/* One match block, sized for the pattern with the most groups. */
	for (i = 0; i < s->n; i++) {
		(void)pcre2_pattern_info(s->p[i].re, PCRE2_INFO_CAPTURECOUNT, &ovec);
		if (ovec + 1 > max)
			max = ovec + 1;
	}
	pcre2_match_data_free(s->md);
	s->md = pcre2_match_data_create(max, NULL);
	if (s->md == NULL) {
		snprintf(err, errlen, "out of memory");
		return err;
	}
	return NULL;
}

void pattern_set_free(struct pattern_set *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		pcre2_code_free(s->p[i].re);
	pcre2_match_data_free(s->md);
	memset(s, 0, sizeof(*s));
}

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
