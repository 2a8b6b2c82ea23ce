/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpit-sync's CrowdSec Local API client: stream pulls, alert pushes, backoff (libcurl). */
#ifndef NFTARPIT_LAPI_H
#define NFTARPIT_LAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"
#include "crowdsec.h"
#include "state.h"

struct lapi;

/*
 * Open the client for c (c->url set): read the bouncer key and machine credentials, load
 * the held decisions and pushed bans from store. With dry_run the store and its status
 * are never written. NULL with the reason logged once.
 */
struct lapi *lapi_open(const struct crowdsec_conf *c, const char *store, bool dry_run);
void lapi_close(struct lapi *l);

/* lapi_pull() results besides a number of changes (>= 0). */
#define LAPI_DOWN    -1 /* unreachable, slow or 5xx: held decisions kept, retried with backoff */
#define LAPI_REFUSED -2 /* bad key (401/403) or an answer that is not the stream JSON */

/*
 * When due (first call, then every poll_interval, or after the backoff), ask the stream
 * for what changed (everything on the first successful call) and apply it to the held
 * decisions. An Ip decision deleted at the LAPI long before its end that names a ban we
 * pushed also ends our own ban of it in st (cscli decisions delete releases it everywhere).
 * With fresh (follow mode), the single addresses of decisions new since the last pull go
 * to fresh[0] (IPv4) and fresh[1] (IPv6), tag their expiry, to be sent as log bans are;
 * they are not counted. Returns the number of other changes (those need a full pass; 0
 * when not due), LAPI_DOWN or LAPI_REFUSED.
 */
int lapi_pull(struct lapi *l, struct state *st, int64_t now, struct cidr_set fresh[2]);

/* Add the held decisions active at now to want4/want6 (tags: expiry, or 0 without timeouts). */
int lapi_want(const struct lapi *l, int64_t now, bool timeouts, struct cidr_set *want4,
	      struct cidr_set *want6);

/*
 * With push = yes: send each active ban of st (bans from our own logs only, never the
 * held decisions) whose expiry the LAPI has not been told yet, as alerts. Failures are
 * retried later; 0 or -1.
 */
int lapi_push(struct lapi *l, const struct state *st, int64_t now);

/* Whether a failed push is due to be tried again. */
bool lapi_push_due(const struct lapi *l, int64_t now);

/*
 * Write the store (held decisions, pushed bans) atomically; 0 or -1 (logged). The status
 * line nftarpitctl shows goes to STORE.status after every pull and push.
 */
int lapi_save(struct lapi *l);

/* "crowdsec url=... held=N last_pull=T pulls=N errors=N state=up|down|refused". */
void lapi_summary(const struct lapi *l, char *out, size_t len);

#endif
