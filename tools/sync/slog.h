/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The syslog header of a mail log line: where the program tag and the message are. Pure. */
#ifndef NFTARPIT_SLOG_H
#define NFTARPIT_SLOG_H

#include <stddef.h>

/*
 * "Mmm dd hh:mm:ss HOST TAG[PID]: MESSAGE" (RFC 3164, rsyslog's default) or
 * "YYYY-MM-DDThh:mm:ss.frac+zz:zz HOST TAG[PID]: MESSAGE". The tag is written by the
 * logging program (or the journal's SYSLOG_IDENTIFIER); everything after ": " is the
 * program's message. Returns the message start and sets *tag, *taglen, or NULL.
 */
const char *slog_header(const char *p, const char *end, const char **tag, size_t *taglen);

/* p past the literal s, or NULL (also when p is NULL, so calls chain). */
const char *slog_lit(const char *p, const char *end, const char *s);

/* Number of times needle occurs in [p, end). */
unsigned int slog_count(const char *p, const char *end, const char *needle);

struct mlog_hit;

/*
 * "[ADDR]" at p as a mail server writes its client: the text up to the first ']' (only
 * hex digits, '.' and ':', under 46 bytes) must parse strictly into hit->family/addr.
 * Returns p past the ']', or NULL when there is no such bracket. A bracket that holds
 * address characters but no valid address sets *bad and hit->detail.
 */
const char *slog_bracket(const char *p, const char *end, struct mlog_hit *hit, int *bad);

#endif
