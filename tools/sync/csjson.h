/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CrowdSec Local API messages in JSON (json-c): stream answers -> decisions, bans -> alerts.
 * Pure. Apart from the settings and the store (crowdsec.h), so that what reads [crowdsec]
 * does not link json-c.
 */
#ifndef NFTARPIT_CSJSON_H
#define NFTARPIT_CSJSON_H

#include <stddef.h>
#include <stdint.h>

#include "crowdsec.h"

/*
 * Parse one stream answer (len bytes of JSON) into d, with expiries from now. Decisions
 * of unwanted types, scopes or origins and expired ones are counted in d->ignored; a
 * decision with an unreadable value or duration is counted in d->bad and reported in err
 * (the last one), the others are kept. Returns 0, or -1 with the reason in err when the
 * answer is not the object the LAPI sends ("new"/"deleted" arrays of decision objects):
 * then d is empty and nothing may be applied.
 */
int csjson_parse_stream(const char *json, size_t len, const struct crowdsec_conf *c, int64_t now,
			struct crowdsec_delta *d, char *err, size_t errlen);

/*
 * The body of POST /v1/alerts for bans (one alert with one decision each, scenario
 * "nftarpit/REASON", origin "nftarpit", scope Ip for an address, Range for a wider prefix
 * such as an IPv6 /64, type ban, duration expires - now), as a
 * malloc'ed NUL-terminated string (the caller frees it), or NULL (ENOMEM).
 */
char *csjson_alerts(const struct crowdsec_ban *bans, size_t n, const char *machine, int64_t now);

#endif
