/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpit-sync's settings ([sync], [crowdsec] and options), which nftarpitctl reads too. */
#ifndef NFTARPIT_SYNC_CONF_H
#define NFTARPIT_SYNC_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "blist.h"
#include "crowdsec.h"
#include "exim_opts.h"
#include "mlog_opts.h"
#include "pattern_set.h"
#include "state.h"
#include "trap_list.h"

#define SYNC_SOURCES_MAX 32
#define SYNC_MATCHES_MAX 16
#define SYNC_NEVER_MAX	 64

_Static_assert(REASON_N <= STATE_REASONS, "a threshold per pattern");
#define SYNC_DEFAULT_STATE "/var/lib/nftarpit/sync.state"

/* A list file and how to read it ("drop:/path" on the command line). */
struct sync_list {
	enum blist_format fmt;
	char path[PATH_MAX];
};

struct sync_conf {
	unsigned int nlogs;
	char logs[SYNC_SOURCES_MAX][PATH_MAX]; /* "-" is stdin */
	unsigned int nlists;
	struct sync_list lists[SYNC_SOURCES_MAX];
	unsigned int nallows;
	struct sync_list allows[SYNC_SOURCES_MAX];
	bool journal;
	unsigned int nmatches;
	char matches[SYNC_MATCHES_MAX][128]; /* FIELD=value, e.g. SYSLOG_IDENTIFIER=postfix/smtpd */
	char journal_file[PATH_MAX];	     /* read this journal file, not the system journal */
	unsigned int ntrust;
	char trust[SYNC_MATCHES_MAX][128]; /* _FIELD=value that journald sets, never the sender */
	char state[PATH_MAX];
	char export_plain[PATH_MAX];
	char export_rbldnsd[PATH_MAX];
	struct state_policy policy;
	struct mlog_opts mlog; /* points at exim, traps and patterns below */
	struct exim_opts exim;
	struct trap_list traps;
	struct pattern_set patterns;
	unsigned int allow_limit4; /* refuse allowlist entries shorter than /allow_limit4 */
	unsigned int allow_limit6;
	bool kernel_timeouts; /* log offenders carry their expiry into the kernel */
	/* Guards on the blocklist (guard.h): per-entry breadth of list files, total share. */
	unsigned int list_limit4; /* refuse list entries broader than /list_limit4 */
	unsigned int list_limit6;
	unsigned int block_max_share; /* percent of a family's addresses a run may block */
	/* Never blocked by any source (the host's own addresses always are not). */
	unsigned int nnever;
	char never[SYNC_NEVER_MAX][CIDR_TEXT_MAX]; /* ADDR, CIDR or FIRST-LAST */
	unsigned int nnever_files;
	struct sync_list never_files[SYNC_SOURCES_MAX];
	bool never_mynetworks; /* add Postfix's mynetworks (postconf -h mynetworks) */
	bool force;
	bool replace;
	bool dry_run;
	bool follow;
	int64_t full_interval; /* follow mode: seconds between full passes */
	int64_t now;	       /* 0: the clock; set for tests */
	int verbose;
	/*
	 * nft text of the lists for nftarpit.nft's include (listfile.h): "" means
	 * lists.nft beside the master list, "none" writes nothing.
	 */
	char lists_nft[PATH_MAX];
	struct crowdsec_conf crowdsec; /* [crowdsec]: the fleet's Local API (tools/sync/lapi.h) */
};

void sync_conf_defaults(struct sync_conf *c);

/* Apply one key = value of section [sync]; NULL or the reason it is refused. */
const char *sync_conf_set(struct sync_conf *c, const char *key, const char *v);

/* Read [sync] from path, reporting each bad line as file:line; the number of errors, or -1. */
int sync_conf_load(const char *path, struct sync_conf *c);

/* Where the lists' nft text goes: lists_nft, or lists.nft beside state; "" for none. */
void sync_conf_lists_nft(const struct sync_conf *c, char *out, size_t len);

/* "[FORMAT:]PATH" into l; NULL or the reason. */
const char *sync_conf_list(const char *v, struct sync_list *l);

/* The default journal matches and trusted fields when none are configured. */
void sync_conf_finish(struct sync_conf *c);

#endif
