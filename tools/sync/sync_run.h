/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state of one nftarpit-sync process, shared by its two halves: sync.c (the full
 * pass: sources, master list, layout, one transaction) and follow.c (follow mode: new
 * bans in small transactions between periodic full passes). Not for other modules.
 */
#ifndef NFTARPIT_SYNC_RUN_H
#define NFTARPIT_SYNC_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cidr.h"
#include "input.h"
#include "kset.h"
#include "lapi.h"
#include "listset.h"
#include "nftx.h"
#include "state.h"
#include "sync.h"
#include "watch.h"

/* The sets nftarpit-sync owns: lib/listset's table, indexed by enum listset_id. */
#define SET_COUNT LISTSET_COUNT

/*
 * Elements that expire within this many seconds are left to the kernel: deleting one that
 * expires meanwhile would fail (ENOENT) and abort the whole transaction.
 */
#define SYNC_EXPIRY_GRACE 5

struct sync_run {
	const struct sync_conf *c;
	int64_t now;
	struct state st;
	struct cidr_set want[SET_COUNT]; /* what the sets should hold (listset ids) */
	struct cidr_set raw[2];		 /* the blocklists from every source, unmerged */
	struct cidr_set own[2];		 /* this host's addresses, loopback included */
	struct cidr_set never[2];	 /* never_block (never.h) */
	uint64_t never_hits;		 /* attempts to block a never_block address */
	struct input_counts in;
	uint64_t ignored;  /* hits on our own or allowlisted addresses */
	uint64_t refused;  /* allowlist entries over the breadth limit */
	uint64_t capped;   /* new offenders refused because the master list was full */
	uint64_t new_bans; /* follow mode: bans sent since the last run */
	bool follow_phase;
	struct cidr_set pending[2]; /* follow mode: new bans to send */
	struct cidr_set hadd[2];    /* follow mode: what follow_carve() sends */
	struct cidr_set hdel[2];
	struct cidr_set nadd[2];
	struct nftx *x;
	uint32_t gen;	  /* ruleset generation our last commit left, 0 = unknown */
	int kernel_error; /* errno of the last refused transaction */
	char snap[PATH_MAX + 16];
	int64_t commit_ms;   /* build, send and acks of the transaction */
	bool snap_doubt;     /* the kernel may differ from what we commit (see below) */
	int lock;	     /* flock of the master list (admin.h), -1 none */
	bool replace;	     /* this pass flushes and refills, whatever c->replace says */
	struct watch *watch; /* follow mode: nf_tables notifications; NULL if unavailable */
	struct lapi *cs;     /* [crowdsec] url set: the fleet's Local API, else NULL */
};

/* The list set of role and kind for family (4 or 6). */
static inline enum listset_id sync_host(int family)
{
	return listset_of(LISTSET_BLOCK, LISTSET_HOSTS, family);
}

static inline enum listset_id sync_net(int family)
{
	return listset_of(LISTSET_BLOCK, LISTSET_RANGES, family);
}

static inline enum listset_id sync_allow(int family)
{
	return listset_of(LISTSET_ALLOW, LISTSET_RANGES, family);
}

static inline int64_t sync_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static inline int64_t sync_now(const struct sync_conf *c)
{
	return c->now != 0 ? c->now : (int64_t)time(NULL);
}

/* Follow mode: send range x (tag = expiry) with the next small transaction. */
int sync_pend(struct sync_run *r, int family, const struct cidr_range *x, int64_t expires);

/*
 * One full pass, with the master list loaded and locked (r->lock): allowlists, new log
 * lines, expiry, lists, the kernel, the master list saved, one summary line. Unlocks.
 */
int sync_pass(struct sync_run *r, struct input_journal **jp);

/* This host's addresses and never_block into r->own/r->never, kept on failure; 0 or -1. */
int sync_load_exempt(struct sync_run *r);

/* Send ops as one transaction (kset_commit()); the exit code of a refusal. */
int sync_apply(struct sync_run *r, const struct kset_op *ops, size_t nops);

/* Save the master list (in follow mode under the lock, admin entries read back first). */
int sync_save(struct sync_run *r);

/* The lists as nft text for nftarpit.nft's include: what the kernel holds after our commit. */
void sync_write_lists(struct sync_run *r);

/* Read every log source into the master list. Missing logs are warned about, not fatal. */
void sync_read_logs(struct sync_run *r, struct input_journal **jp, int wait_ms);

/* Our own bans to the LAPI (a failed push is retried later), and a debug line. */
void sync_crowdsec_push(struct sync_run *r);

/* follow.c: after the first full pass, follow the sources until SIGTERM or SIGINT. */
int follow_run(struct sync_run *r, struct input_journal **jp);

#endif
