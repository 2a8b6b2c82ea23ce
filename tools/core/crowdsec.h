/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CrowdSec Local API: the [crowdsec] settings, decisions and the held list, the store. */
#ifndef NFTARPIT_CROWDSEC_H
#define NFTARPIT_CROWDSEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define CROWDSEC_NAMES_MAX 8
#define CROWDSEC_NAME_LEN  32

/* Range decisions broader than these prefixes are refused (counted as bad). */
#define CROWDSEC_MIN_LEN4 8
#define CROWDSEC_MIN_LEN6 16

/* Decision scopes we can put into a set (the LAPI's "scope" field, case-insensitive). */
#define CROWDSEC_SCOPE_IP    0x1u
#define CROWDSEC_SCOPE_RANGE 0x2u

/* The [crowdsec] section of nftarpit.conf. */
struct crowdsec_conf {
	char url[256];			    /* LAPI base, e.g. http://127.0.0.1:8080; "" = off */
	char bouncer_key_file[PATH_MAX];    /* pull: file holding the bouncer API key */
	char machine_credentials[PATH_MAX]; /* push: cscli machines add -f FILE */
	unsigned int ntypes;
	char types[CROWDSEC_NAMES_MAX][CROWDSEC_NAME_LEN]; /* decision_types, default "ban" */
	unsigned int scopes;				   /* CROWDSEC_SCOPE_*, default both */
	unsigned int norigins;
	char origins[CROWDSEC_NAMES_MAX][CROWDSEC_NAME_LEN]; /* empty = every origin */
	bool push;
	int64_t poll_interval; /* seconds between stream polls in --follow */
};

void crowdsec_conf_defaults(struct crowdsec_conf *c);

/* Apply one key = value of [crowdsec]; NULL or the reason it is refused. */
const char *crowdsec_conf_set(struct crowdsec_conf *c, const char *key, const char *v);

/* One decision the LAPI holds; range.tag is its expiry (seconds since the epoch). */
struct crowdsec_decision {
	int64_t id;
	int family;
	struct cidr_range range;
};

/* A list of decisions (the held ones, or one side of a stream answer). */
struct crowdsec_list {
	size_t n;
	size_t cap;
	struct crowdsec_decision *d;
};

void crowdsec_list_init(struct crowdsec_list *l);
void crowdsec_list_free(struct crowdsec_list *l);
int crowdsec_list_add(struct crowdsec_list *l, const struct crowdsec_decision *d);

/* One answer of GET /v1/decisions/stream. */
struct crowdsec_delta {
	struct crowdsec_list add; /* "new", of the wanted types, scopes and origins */
	struct crowdsec_list del; /* "deleted": ids (and values) that leave */
	size_t ignored;		  /* decisions of other types, scopes or origins, or expired */
	size_t bad;		  /* decisions whose value or duration could not be read */
};

void crowdsec_delta_init(struct crowdsec_delta *d);
void crowdsec_delta_free(struct crowdsec_delta *d);

/*
 * Parse a Go duration ("59m59.3s", "4h", "-1.5s", "300ms") into whole seconds, rounded up.
 * 0, or -1 when s is not one.
 */
int crowdsec_duration(const char *s, int64_t *secs);

/*
 * Apply a delta to the held decisions: with startup, held becomes exactly d->add;
 * otherwise d->del leave (by id) and d->add join (replacing the same id). Decisions
 * expired at now leave too. Unless startup, the decisions of d->add whose id was not held
 * (new ones, not replacements) are also appended to fresh when it is not NULL. Returns the
 * number of changes (fresh ones included), or -1 (ENOMEM).
 */
long crowdsec_held_apply(struct crowdsec_list *held, const struct crowdsec_delta *d, bool startup,
			 int64_t now, struct crowdsec_list *fresh);

/* The decision with id in l (sorted by id, as crowdsec_held_apply() leaves it), or NULL. */
const struct crowdsec_decision *crowdsec_list_find(const struct crowdsec_list *l, int64_t id);

/* Sort l by family and first address, for crowdsec_list_find_addr(). */
void crowdsec_list_sort_addr(struct crowdsec_list *l);

/* The entry of l (sorted by crowdsec_list_sort_addr()) that starts at family/a, or NULL. */
struct crowdsec_decision *crowdsec_list_find_addr(const struct crowdsec_list *l, int family,
						  const struct cidr_addr *a);

/* A ban of ours to push: the address, its reason (e.g. "rbl") and when it ends. */
struct crowdsec_ban {
	int family;
	struct cidr_addr addr; /* first address of the banned prefix */
	unsigned int prefix;   /* its length; 32 or 128: scope Ip, shorter: scope Range */
	char reason[24];
	int64_t expires;
};

/*
 * Parse "cscli machines add -f" credentials (YAML: url, login, password): 0, or -1 with
 * the reason in err.
 */
int crowdsec_parse_credentials(const char *text, char *url, size_t urllen, char *login,
			       size_t loginlen, char *password, size_t passlen, char *err,
			       size_t errlen);

/*
 * The held decisions and the bans pushed, in path (text, written atomically): what this
 * host pulled survives a restart while the LAPI is away, and a pushed ban is not pushed
 * again until its expiry changes. Load: 0 (a missing file is empty), or -1 with the reason
 * in err. Save: 0 or -1 (logged); status (may be NULL) becomes a "status ..." line that
 * nftarpitctl status shows and the load skips.
 */
int crowdsec_store_load(const char *path, struct crowdsec_list *held, struct crowdsec_list *pushed,
			char *err, size_t errlen);
/* The "status ..." line of the store (without "status "): 0, or -1 (absent). */
int crowdsec_store_status(const char *path, char *out, size_t len);

int crowdsec_store_save(const char *path, const struct crowdsec_list *held,
			const struct crowdsec_list *pushed, const char *status);

#endif
