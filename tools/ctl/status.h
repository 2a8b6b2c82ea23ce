/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl status/metrics: the daemon's reply parsed, plus what the kernel says, shown. */
#ifndef NFTARPIT_STATUS_H
#define NFTARPIT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "listset.h"
#include "state.h"

#define STATUS_KV_MAX	  128
#define STATUS_FLOWS_MAX  1000
#define STATUS_QUEUES_MAX 64

/* One "key=value" line of the daemon's reply. */
struct status_kv {
	char key[40];
	char val[40];
};

/* One "flow ..." line: a held connection. */
struct status_flow {
	char src[46];
	unsigned int sport;
	unsigned int dport;
	unsigned int queue;
	char state[8];
	uint64_t held;
	uint64_t idle;
	uint64_t bytes;
	uint64_t probes;
};

/* One line of /proc/net/netfilter/nfnetlink_queue (this network namespace). */
struct status_queue {
	unsigned int num;
	unsigned long portid;
	uint64_t waiting;      /* packets in the queue now */
	uint64_t dropped;      /* queue full */
	uint64_t user_dropped; /* netlink receive buffer full */
	uint64_t id;	       /* last packet id: packets queued since bind */
};

/* What nftarpitctl reads from the kernel itself. */
struct status_kernel {
	int ruleset;  /* 1 table inet nftarpit found, 0 missing, -1 could not ask */
	char via[16]; /* "native" (nft queue) or "xt" (NFQUEUE target), "" unknown */
	unsigned int qnum;
	unsigned int qtotal;
	bool bypass;
	bool fanout;
	bool rpf;		       /* the reverse-path rules are in the ruleset */
	uint64_t rpf_dropped;	       /* packets they dropped (their counters) */
	long long sets[LISTSET_COUNT]; /* elements (hosts) or ranges per list set, -1 unknown */
	bool proc;		       /* the /proc file was read */
	unsigned int nqueues;
	struct status_queue q[STATUS_QUEUES_MAX];
};

/* nftarpit-sync's [crowdsec] client, from the status line of its store (STATE.crowdsec). */
struct status_crowdsec {
	bool known; /* the store has a status line */
	char url[256];
	char state[16]; /* up, down, refused, new */
	uint64_t held;	/* decisions held */
	uint64_t last_pull;
	uint64_t pulls;
	uint64_t errors;
	uint64_t pushed;
	char last_error[256];
};

struct status {
	bool daemon; /* the daemon answered with a whole reply */
	char daemon_err[160];
	size_t nkv;
	struct status_kv kv[STATUS_KV_MAX];
	size_t nflows;
	struct status_flow flows[STATUS_FLOWS_MAX];
	struct status_kernel k;
	struct status_crowdsec cs;
	bool bans_known; /* the master list was read */
	struct state_ban_counts bans;
};

/* Clear st: nothing known yet. */
void status_init(struct status *st);

/*
 * Parse the daemon's reply to "status N" (or "stats") into st. A reply without its "end"
 * line is refused (the daemon went away mid-reply). 0, or -1 with the reason in err.
 */
int status_parse(struct status *st, const char *text, bool need_end, char *err, size_t errlen);

/* Parse the text of /proc/net/netfilter/nfnetlink_queue into k. 0 or -1 (bad line). */
int status_parse_proc(struct status_kernel *k, const char *text);

/* Parse the store's status line (lapi_summary()) into cs; 0 or -1. */
int status_parse_crowdsec(struct status_crowdsec *cs, const char *line);

/* A key's value, or NULL. */
const char *status_get(const struct status *st, const char *key);
/* A key's value as a number, 0 when missing or not a number. */
uint64_t status_u64(const struct status *st, const char *key);

/* "45s", "5m07s", "3h12m", "2d03h". */
void status_duration(uint64_t s, char *out, size_t len);

/*
 * s as a JSON string, quotes and backslashes escaped and control characters as \u00XX:
 * the one JSON escaper of nftarpitctl (status, list).
 */
void status_json_str(FILE *f, const char *s);

/*
 * Active bans by source and prefix, "log IPv4/32 3, IPv6/64 5; escalated IPv6/48 1", or
 * "none"; and as a JSON array of {"family", "prefix", "source", "count"} (prefix "range"
 * for an admin range that is no prefix).
 */
void status_bans_text(const struct state_ban_counts *c, char *out, size_t len);
void status_bans_json(FILE *f, const struct state_ban_counts *c);

/* The human view and the JSON document (the metrics: metrics.h). */
void status_print(FILE *f, const struct status *st, int64_t now);
void status_print_json(FILE *f, const struct status *st);

#endif
