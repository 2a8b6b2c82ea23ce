/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block and allow list lines: plain, Spamhaus DROP text and NDJSON, rbldnsd ip4set/ip6tset. Pure.
 */
#ifndef NFTARPIT_BLIST_H
#define NFTARPIT_BLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

enum blist_format {
	BLIST_AUTO,    /* plain, with NDJSON objects and rbldnsd '!'/'$'/':' lines recognised */
	BLIST_PLAIN,   /* ADDR[/LEN] or FIRST-LAST per line; '#' and ';' comments */
	BLIST_DROP,    /* Spamhaus DROP text: "1.10.16.0/20 ; SBL256894" */
	BLIST_JSON,    /* Spamhaus DROP NDJSON: {"cidr":"1.10.16.0/20","sblid":...} */
	BLIST_RBLDNSD, /* rbldnsd ip4set/ip6tset: abbreviated "10.1.2", "a.b.c.d-e", '!' */
};

/* blist_parse_line() results besides -1. */
#define BLIST_NONE  0 /* blank, comment, metadata, zone directive */
#define BLIST_ENTRY 1 /* *e filled */
#define BLIST_WARN  2 /* *e filled, and err says what was normalised (host bits) */

struct blist_entry {
	int family;
	struct cidr_range range;
	bool exclude; /* rbldnsd "!": remove from this list's own entries */
};

/*
 * Parse one line (NUL-terminated, newline already removed). Returns BLIST_NONE,
 * BLIST_ENTRY, BLIST_WARN, or -1 with the reason in err.
 */
int blist_parse_line(const char *line, enum blist_format fmt, struct blist_entry *e, char *err,
		     size_t errlen);

/* "plain", "drop", "json", "rbldnsd", "auto"; 0 or -1. */
int blist_format_parse(const char *s, enum blist_format *fmt);

#endif
