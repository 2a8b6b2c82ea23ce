/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftarpit ruleset (table inet nftarpit), described once, emitted as netlink or nft text. */
#ifndef NFTARPIT_RULESET_H
#define NFTARPIT_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mnl_nlmsg_batch;

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

/* The nft text of what setup installs (native queue form), with a header comment. */
int ruleset_format_nft(FILE *f, const struct ruleset_opts *o);

/*
 * One line for humans: "queue 25 via <via>, ports 25,465, fail-closed, mark 0x6e746172";
 * via may be NULL.
 */
void ruleset_describe(const struct ruleset_opts *o, const char *via, char *out, size_t outlen);

#endif
