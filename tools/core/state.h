/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpit-sync's master list and reader positions: one text file, written atomically. */
#ifndef NFTARPIT_STATE_H
#define NFTARPIT_STATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "cidr.h"
#include "widen.h"

/*
 * One offender seen in the logs: the prefix banned (addr/prefix, the key) and the address
 * the latest hit named. Times are seconds since the epoch.
 */
struct state_entry {
	int family;
	struct cidr_addr addr; /* first address of the banned prefix */
	struct cidr_addr seen; /* the address the latest hit named, inside the prefix */
	unsigned int prefix;   /* length of the banned prefix; 32 or 128: the address alone */
	int64_t first;	       /* first hit ever */
	int64_t last;	       /* latest hit */
	int64_t expires;       /* ban ends; in the past: remembered for repeat offences only */
	uint32_t hits;	       /* log lines naming it */
	uint32_t bans;	       /* ban episodes: a hit after expiry starts a new, longer one */
	uint32_t sources;      /* bit (1 << enum reason, reason.h) per pattern that named it */
};

/* Where a log file was read up to. */
struct state_pos {
	char path[PATH_MAX];
	uint64_t dev;
	uint64_t ino;
	uint64_t off;
	uint64_t head; /* hash of the file's first STATE_HEAD_BYTES bytes, 0 if shorter */
};

#define STATE_HEAD_BYTES 256
#define STATE_REASONS	 16
#define STATE_POS_MAX	 32
#define STATE_CURSOR_MAX 512

/* How long bans last. */
struct state_policy {
	int64_t bantime; /* first ban */
	int64_t banmax;	 /* cap for repeat offenders */
	uint32_t factor; /* each new ban episode lasts factor times the previous */
	int64_t forget;	 /* an expired entry is dropped this long after its last hit */
	/* Cap on offenders remembered (state_hit); 0: none. */
	size_t max_entries;
	/*
	 * Per pattern (enum reason): a first-time offender is banned at its threshold-th hit
	 * within window seconds; 0 or 1: at the first hit. Repeat offenders at once.
	 */
	uint32_t threshold[STATE_REASONS];
	int64_t window[STATE_REASONS];
	struct widen_policy widen; /* how wide a ban is (widen.h) */
};

struct state {
	size_t n;
	size_t cap;
	struct state_entry *e;
	uint32_t *index; /* open addressing: entry index + 1, 0 = empty */
	size_t index_cap;
	unsigned char key[16]; /* SipHash key, random per process (state_init) */
	uint64_t probes;       /* index slots looked at, for tests of the hash */
	uint64_t evicted;      /* expired entries dropped because the list was full */
	size_t npos;
	struct state_pos pos[STATE_POS_MAX];
	char cursor[STATE_CURSOR_MAX]; /* journal cursor, "" if none */
	struct admin_list admin;       /* nftarpitctl block/unblock: "admin" lines */
	size_t nesc;
	struct widen_esc *esc; /* escalated prefixes as the last sync computed them */
};

/*
 * 1 day, 30 days cap, factor 4, forget after 90 days, at most 1,000,000 offenders;
 * widen_policy_default().
 */
void state_policy_default(struct state_policy *p);

/* An empty state with a fresh random hash key. */
void state_init(struct state *st);
void state_free(struct state *st);

/*
 * Record a hit on addr at time now on the entry of its ban prefix (p->widen): a new
 * entry, or one more hit on an old one; seen becomes addr. A hit after
 * the entry's ban expired starts a new ban episode lasting factor times the previous one
 * (capped at banmax); a hit during a ban extends it to at least now + the episode's
 * length. A new address when p->max_entries are held: the expired entries (kept only to
 * lengthen repeat offenders' bans) give way, least recently hit first, a tenth of the cap at
 * a time; active bans never do, so when all are active the newcomer is refused (NULL,
 * errno ENOSPC): a flood of new addresses cannot lift the bans already in force. Under a
 * threshold (p->threshold), a never-banned entry only counts its hits within the window
 * (first is the window's start; expires stays 0) until the threshold-th bans it. Returns
 * the entry (banned when e->expires > now), or NULL with errno ENOMEM or ENOSPC.
 */
struct state_entry *state_hit(struct state *st, int family, const struct cidr_addr *addr,
			      unsigned int reason, int64_t now, const struct state_policy *p);

/* The entry of prefix addr/prefix (addr its first address), or NULL. */
struct state_entry *state_find(const struct state *st, int family, const struct cidr_addr *addr,
			       unsigned int prefix);

/* The next entry from index *i on whose prefix holds addr (*i moves past it), or NULL. */
const struct state_entry *state_covering(const struct state *st, int family,
					 const struct cidr_addr *addr, size_t *i);

/* The range an entry bans (tag 0). */
struct cidr_range state_entry_range(const struct state_entry *e);

/*
 * Recompute st->esc from the entries banned at now (widen_escalate): escalations that
 * were there before keep their since, new ones get since = now and are passed to fresh
 * (may be NULL). 0, or -1 (ENOMEM; st->esc unchanged).
 */
int state_escalate(struct state *st, int64_t now, const struct widen_policy *p,
		   void (*fresh)(const struct widen_esc *e, void *arg), void *arg);

/*
 * The same for the one escalation prefix of family holding a (after a hit on a): a scan of
 * the entries, not a sort of them all, for follow mode's hit-by-hit pace. 0 or -1.
 */
int state_escalate_at(struct state *st, int64_t now, const struct widen_policy *p, int family,
		      const struct cidr_addr *a,
		      void (*fresh)(const struct widen_esc *e, void *arg), void *arg);

/* Active bans of the master list counted by family, prefix length and source. */
enum state_ban_src { STATE_BAN_LOG, STATE_BAN_ESCALATED, STATE_BAN_ADMIN, STATE_BAN_SRCS };
#define STATE_BAN_RANGE 129 /* "prefix length" of an admin range that is no prefix */
struct state_ban_counts {
	uint32_t n[2][STATE_BAN_RANGE + 1][STATE_BAN_SRCS]; /* [IPv4, IPv6][len][src] */
};
const char *state_ban_src_name(enum state_ban_src s);
void state_count_bans(const struct state *st, int64_t now, struct state_ban_counts *c);

/* One count that is not zero: by source, then IPv4 before IPv6, longest prefix first. */
struct state_ban_row {
	enum state_ban_src src;
	int family;
	int len; /* -1: admin ranges that are no prefix */
	uint32_t count;
};
#define STATE_BAN_ROWS (2 * (STATE_BAN_RANGE + 1) * STATE_BAN_SRCS)
/* The counts that are not zero into rows (room for STATE_BAN_ROWS); how many. */
size_t state_ban_rows(const struct state_ban_counts *c, struct state_ban_row *rows);

/* Drop expired entries whose last hit is older than forget; 0, or -1 (ENOMEM). */
int state_forget(struct state *st, int64_t now, const struct state_policy *p, size_t *gone);

/* The position record for path, created empty if absent; NULL when the table is full. */
struct state_pos *state_pos_get(struct state *st, const char *path);

/*
 * Load path strictly: every line must parse and the "end N" trailer must match the entries
 * read, so a file cut short is refused. A missing file is an empty state (first run).
 * Version 1 files (single-address bans, before prefix bans) load as bans of the address
 * alone; state_save() always writes version 2.
 * 0, or -1 with "path:line: reason" in err.
 */
int state_load(struct state *st, const char *path, char *err, size_t errlen);

/*
 * Write path atomically: a temporary file in the same directory, fsync, rename over path,
 * fsync of the directory. After a crash at any point path holds either the old or the new
 * state, never a mix. 0, or -1 with the reason in err (path unchanged).
 */
int state_save(const struct state *st, const char *path, char *err, size_t errlen);

/*
 * Replace st's admin entries with those in the file at path (the admin may have changed
 * them while a long run or follow mode was going): nftarpitctl owns these lines,
 * nftarpit-sync only carries them over. Call with the lock held. 0, or -1 with err.
 */
int state_reload_admin(struct state *st, const char *path, char *err, size_t errlen);

#endif
