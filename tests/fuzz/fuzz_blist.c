// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one list line in each format through blist_parse_line(); an entry
 * must be a valid range of its family. Input: one byte choosing the format, then the line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum blist_format fmts[] = {BLIST_AUTO, BLIST_PLAIN, BLIST_DROP, BLIST_JSON,
						 BLIST_RBLDNSD};
	struct blist_entry e;
	enum blist_format fmt;
	char err[128];
	char *line;
	int rc;

	if (size < 1 || size > 4096)
		return 0;
	fmt = fmts[data[0] % 5];
	/* The reader cuts lines at '\n' and passes them NUL-terminated. */
	line = malloc(size);
	if (line == NULL)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	err[0] = '\0';
	rc = blist_parse_line(line, fmt, &e, err, sizeof(err));
	free(line);
	check(rc == -1 || rc == BLIST_NONE || rc == BLIST_ENTRY || rc == BLIST_WARN, "result");
	check(memchr(err, '\0', sizeof(err)) != NULL, "error text unterminated");
	if (rc == -1)
		check(err[0] != '\0', "a refused line without a reason");
	if (rc != BLIST_ENTRY && rc != BLIST_WARN)
		return 0;
	check(e.family == 4 || e.family == 6, "family");
	check(cidr_addr_cmp(&e.range.first, &e.range.last) <= 0, "first > last");
	if (e.family == 4)
		check(e.range.last.hi == 0 && e.range.last.lo <= UINT32_MAX, "IPv4 beyond 32 bits");
	return 0;
}
