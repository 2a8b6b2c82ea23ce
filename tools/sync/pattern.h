/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The admin's own log patterns: each tied to a syslog program tag, a PCRE2 expression over
 * that program's message with a named group "addr" for the client, a reason name and a
 * ban time. Compiled once at load (JIT where the platform has it). Pure but for PCRE2.
 */
#ifndef NFTARPIT_PATTERN_H
#define NFTARPIT_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "mlog.h"
#include "pattern_set.h"

/*
 * Run the patterns over one syslog line (len bytes). 1 with *hit (REASON_CUSTOM, the
 * pattern's name in detail, its ban time) and *which set to the pattern's index; 0 when
 * none applies; -1 when a pattern matched but its "addr" group is not an address.
 */
int pattern_parse(const struct pattern_set *s, const char *line, size_t len, struct mlog_hit *hit,
		  unsigned int *which);

/* The same for a message whose program tag comes apart (the journal). */
int pattern_parse_msg(const struct pattern_set *s, const char *tag, size_t taglen, const char *msg,
		      size_t len, struct mlog_hit *hit, unsigned int *which);

/* The program tags of the patterns, as needles for a reader; how many stored. */
size_t pattern_needles(const struct pattern_set *s, const char **needles, size_t max);

#include <stdio.h>

/*
 * nftarpit-sync --test-pattern: run every configured reader (o: the built-in ones, Exim,
 * traps and the patterns) over the log file path and print to out, like fail2ban-regex,
 * one "path:line: ban ADDR reason=R detail=D bantime=Ns" per line that would ban, the
 * refused lines, and a summary with a count per own pattern. bantime: the general one.
 * Returns the number of lines that would ban, or -1 when path cannot be read.
 */
long pattern_test_file(const char *path, const struct mlog_opts *o, int64_t bantime, FILE *out);

#endif
