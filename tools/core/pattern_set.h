/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * [sync] pattern: the admin's own log patterns ("NAME PROGRAM BANTIME REGEX"), compiled
 * once with PCRE2 (JIT where the platform has it) when the configuration is read, so that
 * whatever reads [sync] refuses a pattern that does not compile. Matching is sync_pattern's.
 */
#ifndef NFTARPIT_PATTERN_SET_H
#define NFTARPIT_PATTERN_SET_H

#include <stddef.h>
#include <stdint.h>

#define PATTERN_MAX	 16
#define PATTERN_NAME_LEN 32
#define PATTERN_TAG_LEN	 64

struct pattern {
	char name[PATTERN_NAME_LEN]; /* the reason, logged as detail= */
	char tag[PATTERN_TAG_LEN];   /* the program tag the line must carry */
	int64_t bantime;	     /* 0: the general bantime */
	void *re;		     /* pcre2_code */
	uint32_t group;		     /* number of the "addr" group */
};

struct pattern_set {
	unsigned int n;
	struct pattern p[PATTERN_MAX];
	void *md; /* pcre2_match_data, sized for every pattern */
};

/*
 * Compile and add one pattern, "NAME PROGRAM BANTIME REGEX" (BANTIME a duration such as
 * 1h or "-" for the general bantime; REGEX the rest of the value). NULL, or the reason it
 * is refused (PCRE2's message and offset, or the missing "addr" group) in err.
 */
const char *pattern_set_add(struct pattern_set *s, const char *spec, char *err, size_t errlen);

void pattern_set_free(struct pattern_set *s);

#endif
