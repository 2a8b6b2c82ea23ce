// SPDX-License-Identifier: GPL-2.0-or-later
/* [sync] pattern: the admin's own log patterns, compiled once with PCRE2. */
#include "pattern_set.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"

/* The next space-separated word of *p into out; NULL or the reason. */
static const char *pattern_set_word(const char **p, char *out, size_t len, const char *what)
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

const char *pattern_set_add(struct pattern_set *s, const char *spec, char *err, size_t errlen)
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
	why = pattern_set_word(&spec, pt->name, sizeof(pt->name),
			       "no NAME (NAME PROGRAM BANTIME REGEX)");
	if (why == NULL)
		why = pattern_set_word(&spec, pt->tag, sizeof(pt->tag), "no PROGRAM tag");
	if (why == NULL)
		why = pattern_set_word(&spec, bantime, sizeof(bantime), "no BANTIME (or -)");
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
