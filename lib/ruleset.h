/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftarpit ruleset (table inet nftarpit), described once, emitted as netlink or nft text. */
#ifndef NFTARPIT_RULESET_H
#define NFTARPIT_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mnl_nlmsg_batch;
struct nftx;

#define RULESET_FAMILY_NAME   "inet"
#define RULESET_TABLE	      "nftarpit"
#define RULESET_PROBE_TABLE   "nftarpit-probe"
#define RULESET_QUEUE_DEFAULT 25
#define RULESET_MARK_DEFAULT  0x6e746172u
#define RULESET_PORT_DEFAULT  25
/*
 * nftarpit-sync keeps the lists as nft text here (lists.nft beside its master list), and the
 * text ruleset includes it, so that a reload restores them in its own transaction.
 */
#define RULESET_LISTS_DEFAULT "/var/lib/nftarpit/lists.nft"
#define RULESET_LISTS_MAX     256

/* Distinct port ranges after merging; the ports set is rebuilt in each setup. */
#define RULESET_PORTS_MAX 64

/* How the queue statement reaches the kernel. */
enum ruleset_queue_expr {
	RULESET_QUEUE_AUTO,   /* probe: native if the kernel has nft queue, else xt */
	RULESET_QUEUE_NATIVE, /* nft_queue expression (CONFIG_NFT_QUEUE) */
	RULESET_QUEUE_XT,     /* xt NFQUEUE target revision 3 through nft_compat */
};

/*
 * Who may change table inet nftarpit (issue 20; doc/DESIGN.md, "The table owned by
 * nftarpitd"). An owned table (NFT_TABLE_F_OWNER) survives a foreign `flush ruleset` and
 * refuses every change but its owner's; with NFT_TABLE_F_PERSIST (Linux 6.9+) it outlives
 * its owner as an orphan that nftarpitd claims back.
 */
enum ruleset_own {
	RULESET_OWN_AUTO, /* owned where the kernel has PERSIST; an unowned table stays unowned */
	RULESET_OWN_YES,  /* owned; an unowned table is converted; refused without PERSIST */
	RULESET_OWN_NO,	  /* never owned; an owned table is converted back (include mode) */
};

/* The kernel's table flags; PERSIST is missing from Linux 6.1's headers. */
#define RULESET_TABLE_F_OWNER	0x2u
#define RULESET_TABLE_F_PERSIST 0x4u
#define RULESET_TABLE_OWNED	(RULESET_TABLE_F_OWNER | RULESET_TABLE_F_PERSIST)

struct ruleset_port_range {
	uint16_t first;
	uint16_t last;
};

struct ruleset_opts {
	uint16_t queue_first;
	uint16_t queue_last; /* > queue_first: the range, balanced by address hash */
	bool fail_open;	     /* bypass when no listener, and no notrack */
	uint32_t mark;	     /* SO_MARK of nftarpitd's replies, never 0 */
	enum ruleset_queue_expr expr;
	unsigned int nports; /* sorted, disjoint, non-adjacent ranges */
	struct ruleset_port_range ports[RULESET_PORTS_MAX];
	bool rpf; /* drop (and count) sources failing the reverse-path check before the queue */
	char lists[RULESET_LISTS_MAX]; /* print-ruleset's include of the lists, "" none */
	enum ruleset_own own;	       /* [ruleset] own */
	/* Decided by setup from own, the kernel and the table found: */
	uint32_t table_flags; /* NEWTABLE's flags: 0 or RULESET_TABLE_OWNED */
	bool recreate;	      /* delete the table first, same transaction (a flags change) */
};

/*
 * Defaults: queue 25, ports 25, fail-closed, mark 0x6e746172, queue expression auto, the
 * reverse-path check on.
 */
void ruleset_opts_default(struct ruleset_opts *o);

/*
 * Strict option parsers. Each returns 0, or -1 with o unchanged and the reason in err, which
 * names the bad element of a list (e.g. "too large", "port \"30-20\": range is reversed").
 */
int ruleset_parse_ports(struct ruleset_opts *o, const char *s, char *err, size_t errlen);
int ruleset_parse_queue(struct ruleset_opts *o, const char *s, char *err, size_t errlen);
int ruleset_parse_mark(struct ruleset_opts *o, const char *s, char *err, size_t errlen);
int ruleset_parse_queue_expr(struct ruleset_opts *o, const char *s, char *err, size_t errlen);
/* An absolute path without glob characters, quotes or spaces, or "none". */
int ruleset_parse_lists(struct ruleset_opts *o, const char *s, char *err, size_t errlen);

/* auto, yes or no. */
int ruleset_parse_own(struct ruleset_opts *o, const char *s, char *err, size_t errlen);
const char *ruleset_own_name(enum ruleset_own own);

/* The port ranges as text, "25,465,2500-2599" with sep ",". */
void ruleset_ports_text(const struct ruleset_opts *o, const char *sep, char *out, size_t outlen);

/* "native", "xt" or "auto". */
const char *ruleset_queue_expr_name(enum ruleset_queue_expr e);

/*
 * Append the whole setup transaction to the caller's batch: BEGIN, table, sets, chains,
 * flush of both chains and of set ports, the ports, the rules, END. o->expr must be NATIVE or
 * XT. *seq is the first sequence number and is advanced past the batch. 0, or -1 with errno
 * (ENOSPC: buffer too small, EINVAL: bad options, ENOMEM).
 */
int ruleset_build_batch(struct mnl_nlmsg_batch *b, const struct ruleset_opts *o, uint32_t *seq);

/*
 * ruleset_build_batch() without BEGIN and END, so that a caller can add messages to the
 * same transaction (setup fills the sets there: the table never exists empty).
 */
int ruleset_build_msgs(struct mnl_nlmsg_batch *b, const struct ruleset_opts *o, uint32_t *seq);

/*
 * Delete set name of table inet nftarpit (one message, no BEGIN/END). Setup's migration
 * from the layout before issue 16: in the transaction whose chain flush has already let go
 * of the rules that used it, so the kernel lets it go too.
 */
int ruleset_build_delset(struct mnl_nlmsg_batch *b, const char *name, uint32_t *seq);

/* BEGIN, delete table inet nftarpit, END. */
int ruleset_build_teardown(struct mnl_nlmsg_batch *b, uint32_t *seq);

/*
 * BEGIN, table inet nftarpit-probe, a base chain, one rule with the native queue expression;
 * no END, so the kernel validates everything and aborts. *rule_seq gets the rule's seq.
 */
int ruleset_build_probe(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *rule_seq);

/*
 * BEGIN, table inet nftarpit-probe with flags owner and persist; no END. A kernel without
 * NFT_TABLE_F_PERSIST (before 6.9) refuses the table with EOPNOTSUPP; *table_seq gets its seq.
 */
int ruleset_build_persist_probe(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *table_seq);

/*
 * BEGIN, table inet nftarpit with flags owner and persist, END: the sending socket adopts an
 * orphaned table. Sent without NLM_F_CREATE, but the kernel creates a missing table anyway,
 * so callers look first (ruleset_table_get()).
 */
int ruleset_build_claim(struct mnl_nlmsg_batch *b, uint32_t *seq);

/* Table inet nftarpit as the kernel has it. */
struct ruleset_table_info {
	bool exists;
	uint32_t flags; /* NFT_TABLE_F_* */
	uint32_t owner; /* netlink port id of the owner, 0 when NFT_TABLE_F_OWNER is not set */
};

/* Read it (GETTABLE on x); 0 (exists false when there is none), or -1 with errno. */
int ruleset_table_get(struct nftx *x, struct ruleset_table_info *t);

/* "unowned", "owned by port N", "orphaned (persistent, no owner)". */
void ruleset_table_describe(const struct ruleset_table_info *t, char *out, size_t outlen);

/*
 * setup's choice (lib/ruleset_own.c): eff->table_flags and eff->recreate from eff->own, the
 * kernel (a PERSIST probe) and the table found; filled tells whether the transaction
 * restores the lists (a conversion re-creates the sets, so it needs them). 0, or -1 logged.
 */
int ruleset_own_decide(struct nftx *x, struct ruleset_opts *eff, bool filled);

/*
 * After setup: log who owns the table. 1 when it is persistent and ours until x is closed
 * (made directly, not through nftarpitd's lease), else 0.
 */
int ruleset_own_report(struct nftx *x);

/* The nft text of what setup installs (native queue form), with a header comment. */
int ruleset_format_nft(FILE *f, const struct ruleset_opts *o);

/*
 * One line for humans: "queue 25 via <via>, ports 25,465, fail-closed, mark 0x6e746172";
 * via may be NULL.
 */
void ruleset_describe(const struct ruleset_opts *o, const char *via, char *out, size_t outlen);

#endif
