/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one strict parser for every number that comes from outside (options, config, lists). */
#ifndef NFTARPIT_STRNUM_H
#define NFTARPIT_STRNUM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parse a decimal integer in [min, max]; "0x" prefix allowed for hex.
 * On error returns 0 and sets *errstr to "invalid", "too small" or "too large";
 * on success *errstr is NULL.
 */
long long strnum_parse(const char *s, long long min, long long max, const char **errstr);

/*
 * Parse a queue specification "N" or "N-M" (0..65535, N <= M, at most 64 queues).
 * Returns 0 or -1 with *errstr set.
 */
int strnum_range(const char *s, uint16_t *first, uint16_t *last, const char **errstr);

/*
 * Parse a duration: plain seconds or with one unit suffix s, m, h, d, w ("90", "15m",
 * "2h", "2w"). The one duration grammar of every config key and option. Returns seconds,
 * or 0 with *errstr set.
 */
long long strnum_duration(const char *s, long long max, const char **errstr);

/* Whether s ends in one of strnum_duration()'s units (s, m, h, d, w). */
bool strnum_duration_has_unit(const char *s);

#endif
