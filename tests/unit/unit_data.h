/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit tests' golden data files (tests/unit/data): open one, trim a line read from it. */
#ifndef NFTARPIT_UNIT_DATA_H
#define NFTARPIT_UNIT_DATA_H

#include <stdio.h>
#include <string.h>

/* data/sync/NAME, opened for reading; fails the test when it cannot be. */
static inline FILE *open_data(const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "data/sync/%s", name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	return f;
}

/* Strip the trailing newlines of s. */
static inline void chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
}

#endif
