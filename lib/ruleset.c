// SPDX-License-Identifier: GPL-2.0-or-later
/* The nftarpit ruleset (table inet nftarpit), described once, emitted as netlink or nft text. */
#include "ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "listset.h"
#include "nftx.h"

/*
 * nft's datatype numbers (src/datatype.h, enum datatypes): the kernel stores them opaquely
 * in NFTA_SET_KEY_TYPE, and nft uses them to print the set's type back.
 */
#define RULESET_TYPE_IPADDR	  7
#define RULESET_TYPE_IP6ADDR	  8
#define RULESET_TYPE_INET_SERVICE 13
/* nft's BYTEORDER_BIG_ENDIAN, stored in the set's userdata as nft itself does. */
#define RULESET_BYTEORDER_BIG_ENDIAN 2
#define RULESET_RAW_PRIORITY	     (-300)

/*
 * The sets: the list sets of lib/listset (their one table) and the ports. Keys are in
 * network byte order. Blocklist hosts sit in hash sets, ranges and allowlists in interval
 * sets (listset.h says why); blocklist elements may expire (flags timeout). The list sets'
 * contents belong to nftarpit-sync and the admin: setup creates them when absent and only
 * fills them from the sync's files (tools/ctl/setup.c).
 */
struct ruleset_set {
	const char *name;
	const char *type;
	uint32_t key_type;
	uint32_t key_len;
	uint32_t flags;
	const char *comment;
};

#define RULESET_NSETS	     (LISTSET_COUNT + 1)
#define RULESET_PORTS_SET_ID RULESET_NSETS

/* Set i (0-based; the ports set last) as the emitters need it. */
static struct ruleset_set ruleset_set_def(unsigned int i)
{
	static const struct ruleset_set ports = {
		"ports",
		"inet_service",
		RULESET_TYPE_INET_SERVICE,
		2,
		NFT_SET_INTERVAL,
		"Tarpit ports (nftarpitctl --ports), rewritten by every setup."};
	const struct listset *l;
	struct ruleset_set s;

	if (i >= LISTSET_COUNT)
		return ports;
	l = &listsets[i];
	s.name = l->name;
	s.type = l->family == 4 ? "ipv4_addr" : "ipv6_addr";
	s.key_type = l->family == 4 ? RULESET_TYPE_IPADDR : RULESET_TYPE_IP6ADDR;
	s.key_len = l->family == 4 ? 4 : 16;
	s.flags = (l->kind == LISTSET_RANGES ? NFT_SET_INTERVAL : 0) |
		  (l->timeout ? NFT_SET_TIMEOUT : 0);
	s.comment = l->comment;
	return s;
}

/*
 * Both base chains sit at priority raw (-300): after defragmentation (-400) when it is loaded,
 * before conntrack (-200). A packet we queue and then drop never costs a conntrack entry, so a
 * flood of tarpitted SYNs cannot fill the conntrack table for everybody else.
 */
struct ruleset_chain {
	const char *name;
	const char *hook;
	uint32_t hooknum;
	const char *comment;
};

static const struct ruleset_chain ruleset_chains[] = {
	{"prerouting", "prerouting", NF_INET_PRE_ROUTING,
	 "Priority raw (-300): before conntrack (-200), so a queued and dropped packet never\n"
	 "costs a conntrack entry."},
	{"output", "output", NF_INET_LOCAL_OUT, NULL},
};

#define RULESET_NCHAINS (sizeof(ruleset_chains) / sizeof(ruleset_chains[0]))

/* The items rules are made of; each has exactly one text form and one expression list. */
enum ruleset_item_kind {
	RULESET_END = 0,
	RULESET_NFPROTO,      /* meta nfproto ipv4|ipv6 (the rule's family) */
	RULESET_L4PROTO_TCP,  /* meta l4proto tcp */
	RULESET_FIB_LOCAL,    /* fib daddr type local */
	RULESET_FRAGMENT,     /* ip frag-off & 0x3fff != 0 | exthdr frag exists */
	RULESET_SADDR_IN,     /* ip saddr @set (set NULL: each blocklist set of the family) */
	RULESET_SADDR_NOT_IN, /* ip saddr != @set (set NULL: the family's allowlist) */
	RULESET_DPORT_IN,     /* tcp dport @set */
	RULESET_MARK,	      /* meta mark MARK */
	RULESET_RPF_MISSING,  /* fib saddr . iif oif missing: fails the reverse-path check */
	/* Statements from here on (the text emitter puts them on their own line). */
	RULESET_NOTRACK,	/* notrack */
	RULESET_NOTRACK_CLOSED, /* notrack, only when failing closed */
	RULESET_QUEUE,		/* queue (native or xt, from the options) */
	RULESET_DROP,		/* drop */
	RULESET_COUNTER,	/* counter */
};

struct ruleset_item {
	enum ruleset_item_kind kind;
	const char *set;
};

#define RULESET_ITEMS_MAX 10

struct ruleset_rule {
	const char *chain;
	uint8_t family; /* NFPROTO_IPV4, NFPROTO_IPV6, or 0 for both */
	const char *comment;
	struct ruleset_item items[RULESET_ITEMS_MAX];
	bool rpf; /* only with the reverse-path check (o->rpf) */
};

/*
 * The rules, in order. Why each match is there:
 * - fib daddr type local: only traffic for this host is tarpitted; forwarded traffic (a
 *   router running nftarpit) passes untouched, and so does traffic to broadcast addresses.
 * - fragments are dropped, never queued: the daemon answers whole TCP headers only, and a
 *   first fragment passed on to the host would let a spammer reach the real mail server by
 *   fragmenting. tcp dport matches first fragments only (later ones have no TCP header);
 *   later fragments alone are useless to the host and expire in its reassembly queue.
 * - notrack with the queue (fail-closed): a queued packet is always dropped by the daemon,
 *   so tracking it would only waste an entry; belt and braces next to the raw priority.
 *   Fail-open omits it: a packet bypassed while nftarpitd is down must be tracked as if
 *   nftarpit were not there, or stateful rules further on would see it as untracked.
 * - the reverse-path check (rpf, on unless setup --no-rpf): a blocklisted source whose
 *   route back does not leave by the interface the packet came in on is spoofed; its
 *   packets are counted and dropped before the queue, so the daemon never answers them
 *   (a reflection of someone else's traffic at them). This is rp_filter's strict mode for
 *   our packets alone: the chain runs at raw priority, before the kernel's own route lookup
 *   (and rp_filter) would see them. Asymmetric routing (replies leave by another interface)
 *   would drop real clients: --no-rpf leaves the rule out.
 * - output: nftarpitd's raw-socket replies carry SO_MARK; untracked, they cost no
 *   conntrack entry either (a SYN-ACK from nowhere is INVALID to conntrack, an ACK would be
 *   picked up as a new ESTABLISHED entry, refreshed by every probe answer).
 */
/* Kept as written, one group of matches per line. */
/* clang-format off */
static const struct ruleset_rule ruleset_rules[] = {
	{"prerouting", NFPROTO_IPV4,
	 "IPv4 from a blocklisted source that fails the reverse-path check (no route back to it\n"
	 "through the interface it came in on): spoofed, never answered; counted and dropped\n"
	 "(nftarpitctl setup --no-rpf leaves this out, for asymmetric routing).",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"}, {RULESET_RPF_MISSING, NULL},
	  {RULESET_COUNTER, NULL}, {RULESET_DROP, NULL}}, true},
	{"prerouting", NFPROTO_IPV4,
	 "IPv4 fragments of a connection we would tarpit: drop. Fragments are never tarpitted,\n"
	 "and passing a first fragment on would let a spammer reach the mail server by\n"
	 "fragmenting.",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_FRAGMENT, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"},
	  {RULESET_DROP, NULL}}, false},
	{"prerouting", NFPROTO_IPV4,
	 "IPv4 TCP to this host on a tarpit port from a blocklisted, non-allowlisted source:\n"
	 "to nftarpitd, untracked.",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"},
	  {RULESET_NOTRACK_CLOSED, NULL}, {RULESET_QUEUE, NULL}}, false},
	{"prerouting", NFPROTO_IPV6,
	 "IPv6 sources failing the reverse-path check: counted and dropped, as for IPv4.",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"}, {RULESET_RPF_MISSING, NULL},
	  {RULESET_COUNTER, NULL}, {RULESET_DROP, NULL}}, true},
	{"prerouting", NFPROTO_IPV6,
	 "IPv6 fragments: drop, as for IPv4.",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_FRAGMENT, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"},
	  {RULESET_DROP, NULL}}, false},
	{"prerouting", NFPROTO_IPV6,
	 "IPv6 TCP: to nftarpitd, as for IPv4.",
	 {{RULESET_NFPROTO, NULL}, {RULESET_L4PROTO_TCP, NULL}, {RULESET_FIB_LOCAL, NULL},
	  {RULESET_SADDR_IN, NULL}, {RULESET_SADDR_NOT_IN, NULL},
	  {RULESET_DPORT_IN, "ports"},
	  {RULESET_NOTRACK_CLOSED, NULL}, {RULESET_QUEUE, NULL}}, false},
	{"output", 0,
	 "nftarpitd's replies carry this mark (SO_MARK): keep them out of conntrack.",
	 {{RULESET_MARK, NULL}, {RULESET_NOTRACK, NULL}}, false},
};
/* clang-format on */

#define RULESET_NRULES (sizeof(ruleset_rules) / sizeof(ruleset_rules[0]))

/*
 * A rule whose SADDR_IN item names no set is a template: it stands once for each blocklist
 * set of its family (hosts, then ranges, in listset order), as no rule can look an address
 * up in two sets. Its SADDR_NOT_IN without a set is the family's allowlist. Both emitters
 * read the expanded list, so the text and the batch stay the same rule for rule.
 */
#define RULESET_EXPANDED_MAX (RULESET_NRULES * LISTSET_COUNT)

static size_t ruleset_expand(struct ruleset_rule *out)
{
	const struct ruleset_rule *t;
	struct ruleset_item *it;
	size_t n = 0;
	bool templ;
	int id, copies;
	int family;

	for (t = ruleset_rules; t < ruleset_rules + RULESET_NRULES; t++) {
		templ = false;
		for (it = (struct ruleset_item *)t->items; it < t->items + RULESET_ITEMS_MAX; it++)
			templ |= it->kind == RULESET_SADDR_IN && it->set == NULL;
		if (!templ) {
			out[n++] = *t;
			continue;
		}
		family = t->family == NFPROTO_IPV4 ? 4 : 6;
		copies = 0;
		for (id = 0; id < LISTSET_COUNT; id++) {
			if (listsets[id].role != LISTSET_BLOCK || listsets[id].family != family)
				continue;
			out[n] = *t;
			if (copies++ > 0)
				out[n].comment = NULL;
			for (it = out[n].items; it < out[n].items + RULESET_ITEMS_MAX; it++) {
				if (it->kind == RULESET_SADDR_IN && it->set == NULL)
					it->set = listsets[id].name;
				else if (it->kind == RULESET_SADDR_NOT_IN && it->set == NULL)
					it->set = listsets[listset_of(LISTSET_ALLOW, LISTSET_RANGES,
								      family)]
							  .name;
			}
			n++;
		}
	}
	return n;
}

/* --- netlink emitter ------------------------------------------------------------------ */

static int ruleset_add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int ruleset_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return ruleset_add_expr(r, e);
}

static int ruleset_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return ruleset_add_expr(r, e);
}

static int ruleset_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	return ruleset_add_expr(r, e);
}

static int ruleset_lookup(struct nftnl_rule *r, const char *set, uint32_t flags)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	unsigned int i;

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	/* The set may be created in this same transaction: nft names it by ID too. */
	for (i = 0; i < RULESET_NSETS; i++) {
		if (strcmp(ruleset_set_def(i).name, set) == 0)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, i + 1);
	}
	if (flags != 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
	return ruleset_add_expr(r, e);
}

/* ip frag-off & 0x3fff != 0: MF set or a non-zero offset, i.e. any fragment. */
static int ruleset_frag4(struct nftnl_rule *r)
{
	static const uint8_t mask[2] = {0x3f, 0xff};
	static const uint8_t zero[2] = {0, 0};
	struct nftnl_expr *e;

	if (ruleset_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 6, 2) < 0)
		return -1;
	e = nftnl_expr_alloc("bitwise");
	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, sizeof(zero));
	if (ruleset_add_expr(r, e) < 0)
		return -1;
	return ruleset_cmp(r, NFT_CMP_NEQ, zero, sizeof(zero));
}

/* exthdr frag exists: NFT_EXTHDR_F_PRESENT loads 1 if the IPv6 fragment header is there. */
static int ruleset_frag6(struct nftnl_rule *r)
{
	static const uint8_t one = 1;
	struct nftnl_expr *e = nftnl_expr_alloc("exthdr");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_DREG, NFT_REG_1);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, IPPROTO_FRAGMENT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_FLAGS, NFT_EXTHDR_F_PRESENT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_IPV6);
	if (ruleset_add_expr(r, e) < 0)
		return -1;
	return ruleset_cmp(r, NFT_CMP_EQ, &one, sizeof(one));
}

/*
 * fib daddr type local: the kernel's own address lookup (RTN_LOCAL), so that only traffic
 * addressed to this host is tarpitted, whatever its addresses are or become.
 */
static int ruleset_fib_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	if (ruleset_add_expr(r, e) < 0)
		return -1;
	return ruleset_cmp(r, NFT_CMP_EQ, &local, sizeof(local));
}

/*
 * fib saddr . iif oif missing: the route to the source, restricted to the interface the
 * packet came in on (NFTA_FIB_F_IIF), finds no output interface. With NFTA_FIB_F_PRESENT
 * the kernel stores whether there is one (a 32-bit 0 or 1) instead of its index, and nft's
 * "missing" compares all four bytes with 0 (with one, nft lists it as "missing/8").
 */
static int ruleset_rpf_missing(struct nftnl_rule *r)
{
	static const uint32_t missing = 0;
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_OIF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS,
			   NFTA_FIB_F_SADDR | NFTA_FIB_F_IIF | NFTA_FIB_F_PRESENT);
	if (ruleset_add_expr(r, e) < 0)
		return -1;
	return ruleset_cmp(r, NFT_CMP_EQ, &missing, sizeof(missing));
}

/*
 * The queue statement. Native: nft_queue (num, total, flags). XT: nft_compat running the
 * xtables NFQUEUE target revision 3, whose info block carries the same three values; the
 * kernel copies it as is (XT_ALIGN'ed size 8 for 6 bytes).
 * bypass: with no listener the packet continues instead of being dropped (fail-open).
 * A range is balanced by the kernel's hash of the addresses, never by CPU (no fanout flag):
 * every packet of a connection must reach the one worker that holds its flow record. By
 * CPU, a flow's probes land wherever the softirq ran (veth, single-queue NICs, several
 * client processes) and each queue made its own record (bench/held.sh: 41,000 records for
 * 40,000 connections on two queues), twice the drip and twice the count.
 */
static int ruleset_queue(struct nftnl_rule *r, const struct ruleset_opts *o)
{
	uint16_t total = (uint16_t)(o->queue_last - o->queue_first + 1);
	uint16_t flags = 0;
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e;

	if (o->fail_open)
		flags |= NFT_QUEUE_FLAG_BYPASS;
	if (o->expr == RULESET_QUEUE_NATIVE) {
		e = nftnl_expr_alloc("queue");
		if (e == NULL)
			return -1;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, o->queue_first);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total);
		if (flags != 0)
			nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
		return ruleset_add_expr(r, e);
	}
	e = nftnl_expr_alloc("target");
	if (e == NULL)
		return -1;
	/* libnftnl takes ownership of the info block (freed with the expression). */
	info = calloc(1, sizeof(*info));
	if (info == NULL) {
		nftnl_expr_free(e);
		return -1;
	}
	info->queuenum = o->queue_first;
	info->queues_total = total;
	info->flags = (flags & NFT_QUEUE_FLAG_BYPASS ? NFQ_FLAG_BYPASS : 0) |
		      (flags & NFT_QUEUE_FLAG_CPU_FANOUT ? NFQ_FLAG_CPU_FANOUT : 0);
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
	return ruleset_add_expr(r, e);
}

static int ruleset_immediate_drop(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e == NULL)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	return ruleset_add_expr(r, e);
}

static int ruleset_item_exprs(struct nftnl_rule *r, const struct ruleset_rule *rule,
			      const struct ruleset_item *it, const struct ruleset_opts *o)
{
	bool v4 = rule->family == NFPROTO_IPV4;
	uint8_t u8;

	switch (it->kind) {
	case RULESET_NFPROTO:
		u8 = rule->family;
		if (ruleset_meta(r, NFT_META_NFPROTO) < 0)
			return -1;
		return ruleset_cmp(r, NFT_CMP_EQ, &u8, sizeof(u8));
	case RULESET_L4PROTO_TCP:
		u8 = IPPROTO_TCP;
		if (ruleset_meta(r, NFT_META_L4PROTO) < 0)
			return -1;
		return ruleset_cmp(r, NFT_CMP_EQ, &u8, sizeof(u8));
	case RULESET_FIB_LOCAL:
		return ruleset_fib_local(r);
	case RULESET_FRAGMENT:
		return v4 ? ruleset_frag4(r) : ruleset_frag6(r);
	case RULESET_SADDR_IN:
	case RULESET_SADDR_NOT_IN:
		if (ruleset_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16) < 0)
			return -1;
		return ruleset_lookup(r, it->set,
				      it->kind == RULESET_SADDR_NOT_IN ? NFT_LOOKUP_F_INV : 0);
	case RULESET_DPORT_IN:
		if (ruleset_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) < 0)
			return -1;
		return ruleset_lookup(r, it->set, 0);
	case RULESET_MARK:
		if (ruleset_meta(r, NFT_META_MARK) < 0)
			return -1;
		return ruleset_cmp(r, NFT_CMP_EQ, &o->mark, sizeof(o->mark));
	case RULESET_NOTRACK_CLOSED:
		if (o->fail_open)
			return 0;
		/* FALLTHROUGH */
	case RULESET_NOTRACK:
		return ruleset_add_expr(r, nftnl_expr_alloc("notrack"));
	case RULESET_QUEUE:
		return ruleset_queue(r, o);
	case RULESET_DROP:
		return ruleset_immediate_drop(r);
	case RULESET_RPF_MISSING:
		return ruleset_rpf_missing(r);
	case RULESET_COUNTER:
		return ruleset_add_expr(r, nftnl_expr_alloc("counter"));
	case RULESET_END:
		break;
	}
	return 0;
}

/*
 * Every change asks for an ack (NLM_F_ACK) so that nftx_send() can check each one.
 * NLM_F_CREATE without NLM_F_EXCL: "add", not "create"; an existing table, set or chain is
 * kept as is, with its contents, which makes setup idempotent.
 */
static struct nlmsghdr *ruleset_hdr(struct mnl_nlmsg_batch *b, uint16_t type, uint16_t flags,
				    uint32_t *seq)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, (*seq)++);
}

/*
 * tflags goes on NEWTABLE: 0, or owner and persist. The kernel refuses a change of
 * PERSIST on an existing table (EOPNOTSUPP), so setup picks them to match what is there,
 * or deletes the table in the same transaction (o->recreate).
 */
static int ruleset_put_table(struct mnl_nlmsg_batch *b, const char *name, uint16_t type,
			     uint16_t flags, uint32_t tflags, uint32_t *seq)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t == NULL)
		return -1;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, tflags);
	nftnl_table_nlmsg_build_payload(ruleset_hdr(b, type, flags, seq), t);
	nftnl_table_free(t);
	return nftx_batch_next(b);
}

static int ruleset_put_set(struct mnl_nlmsg_batch *b, const struct ruleset_set *def, uint32_t id,
			   uint32_t *seq)
{
	struct nftnl_udata_buf *ud;
	struct nftnl_set *s;
	int rc = -1;

	s = nftnl_set_alloc();
	if (s == NULL)
		return -1;
	ud = nftnl_udata_buf_alloc(64);
	if (ud == NULL)
		goto free_set;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, def->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, def->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, def->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, def->key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	/* As nft does: the key byte order lets nft print the elements back. */
	if (!nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, RULESET_BYTEORDER_BIG_ENDIAN))
		goto free_ud;
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_set_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE, seq), s);
	rc = nftx_batch_next(b);
free_ud:
	nftnl_udata_buf_free(ud);
free_set:
	nftnl_set_free(s);
	return rc;
}

static int ruleset_put_chain(struct mnl_nlmsg_batch *b, const char *table, const char *name,
			     uint32_t hooknum, uint32_t *seq)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c == NULL)
		return -1;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooknum);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, RULESET_RAW_PRIORITY);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, seq), c);
	nftnl_chain_free(c);
	return nftx_batch_next(b);
}

/* DELRULE with only table and chain: the kernel flushes the chain. */
static int ruleset_put_flush_chain(struct mnl_nlmsg_batch *b, const char *chain, uint32_t *seq)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		return -1;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, RULESET_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_DELRULE, 0, seq), r);
	nftnl_rule_free(r);
	return nftx_batch_next(b);
}

/*
 * One interval element. open marks the start of a range that runs to 65535 and so has no end
 * element; nft records that in the element's userdata (and prints the range from it), so we
 * do the same.
 */
static int ruleset_elem(struct nftnl_set *s, uint16_t port, bool end, bool open)
{
	struct nftnl_udata_buf *ud = NULL;
	struct nftnl_set_elem *e;
	uint16_t key = htons(port);

	e = nftnl_set_elem_alloc();
	if (e == NULL)
		return -1;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	if (open) {
		ud = nftnl_udata_buf_alloc(16);
		if (ud == NULL || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_ELEM_FLAGS,
						       NFTNL_SET_ELEM_F_INTERVAL_OPEN)) {
			nftnl_udata_buf_free(ud);
			nftnl_set_elem_free(e);
			return -1;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(s, e);
	return 0;
}

/*
 * Flush set ports (DELSETELEM without elements), then add the ranges. An interval set stores
 * each range as a start element and an end element one past its last value. Like nft, we
 * also add an end element at 0 (our ranges never start at 0), and leave out the end of a
 * range that reaches 65535, which has no "one past". The kernel then holds exactly what
 * `nft -f` of the same text gives it (the integration test compares the bytecode).
 */
static int ruleset_put_ports(struct mnl_nlmsg_batch *b, const struct ruleset_opts *o, uint32_t *seq)
{
	struct nftnl_set *s;
	unsigned int i;
	bool open;
	int rc = -1;

	s = nftnl_set_alloc();
	if (s == NULL)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "ports");
	nftnl_set_elems_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_DELSETELEM, 0, seq), s);
	if (nftx_batch_next(b) < 0)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_ID, RULESET_PORTS_SET_ID);
	if (ruleset_elem(s, 0, true, false) < 0)
		goto out;
	for (i = 0; i < o->nports; i++) {
		open = o->ports[i].last == 65535;
		if (ruleset_elem(s, o->ports[i].first, false, open) < 0)
			goto out;
		if (!open && ruleset_elem(s, o->ports[i].last + 1, true, false) < 0)
			goto out;
	}
	nftnl_set_elems_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, seq),
					    s);
	rc = nftx_batch_next(b);
out:
	nftnl_set_free(s);
	return rc;
}

static int ruleset_put_rule(struct mnl_nlmsg_batch *b, const char *table,
			    const struct ruleset_rule *rule, const struct ruleset_opts *o,
			    uint32_t *seq)
{
	const struct ruleset_item *it;
	struct nftnl_rule *r;
	int rc = -1;

	r = nftnl_rule_alloc();
	if (r == NULL)
		return -1;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, rule->chain);
	for (it = rule->items; it < rule->items + RULESET_ITEMS_MAX && it->kind != RULESET_END;
	     it++) {
		if (ruleset_item_exprs(r, rule, it, o) < 0) {
			errno = ENOMEM;
			goto out;
		}
	}
	/* NLM_F_APPEND: rules go in the order of the table above. */
	nftnl_rule_nlmsg_build_payload(
		ruleset_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, seq), r);
	rc = nftx_batch_next(b);
out:
	nftnl_rule_free(r);
	return rc;
}

static bool ruleset_opts_valid(const struct ruleset_opts *o)
{
	return (o->expr == RULESET_QUEUE_NATIVE || o->expr == RULESET_QUEUE_XT) &&
	       o->queue_first <= o->queue_last && o->queue_last - o->queue_first < 64 &&
	       o->nports >= 1 && o->nports <= RULESET_PORTS_MAX && o->mark != 0;
}

int ruleset_build_msgs(struct mnl_nlmsg_batch *b, const struct ruleset_opts *o, uint32_t *seq)
{
	struct ruleset_rule rules[RULESET_EXPANDED_MAX];
	struct ruleset_set def;
	size_t nrules;
	unsigned int i;

	if (!ruleset_opts_valid(o)) {
		errno = EINVAL;
		return -1;
	}
	if (o->recreate && ruleset_put_table(b, RULESET_TABLE, NFT_MSG_DELTABLE, 0, 0, seq) < 0)
		return -1;
	if (ruleset_put_table(b, RULESET_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, o->table_flags,
			      seq) < 0)
		return -1;
	for (i = 0; i < RULESET_NSETS; i++) {
		def = ruleset_set_def(i);
		if (ruleset_put_set(b, &def, i + 1, seq) < 0)
			return -1;
	}
	for (i = 0; i < RULESET_NCHAINS; i++) {
		if (ruleset_put_chain(b, RULESET_TABLE, ruleset_chains[i].name,
				      ruleset_chains[i].hooknum, seq) < 0)
			return -1;
	}
	for (i = 0; i < RULESET_NCHAINS; i++) {
		if (ruleset_put_flush_chain(b, ruleset_chains[i].name, seq) < 0)
			return -1;
	}
	if (ruleset_put_ports(b, o, seq) < 0)
		return -1;
	nrules = ruleset_expand(rules);
	for (i = 0; i < nrules; i++) {
		if (rules[i].rpf && !o->rpf)
			continue;
		if (ruleset_put_rule(b, RULESET_TABLE, &rules[i], o, seq) < 0)
			return -1;
	}
	return 0;
}

int ruleset_build_batch(struct mnl_nlmsg_batch *b, const struct ruleset_opts *o, uint32_t *seq)
{
	if (nftx_batch_begin(b, seq) < 0 || ruleset_build_msgs(b, o, seq) < 0)
		return -1;
	return nftx_batch_end(b, seq);
}

int ruleset_build_delset(struct mnl_nlmsg_batch *b, const char *name, uint32_t *seq)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s == NULL)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, RULESET_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_nlmsg_build_payload(ruleset_hdr(b, NFT_MSG_DELSET, 0, seq), s);
	nftnl_set_free(s);
	return nftx_batch_next(b);
}

int ruleset_build_teardown(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	if (nftx_batch_begin(b, seq) < 0)
		return -1;
	if (ruleset_put_table(b, RULESET_TABLE, NFT_MSG_DELTABLE, 0, 0, seq) < 0)
		return -1;
	return nftx_batch_end(b, seq);
}

/*
 * The probe for the native queue expression is a transaction that is never committed: no
 * BATCH_END. The kernel still runs every message (expression lookup, module autoload, hook
 * and family validation), acks each one, and then aborts the whole batch, so nothing is left
 * behind and no other table is touched even for a moment. This is how `nft --check` works.
 * A separate table name keeps the probe clear of ours.
 */
int ruleset_build_probe(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *rule_seq)
{
	static const struct ruleset_rule probe = {"probe", 0, NULL, {{RULESET_QUEUE, NULL}}, false};
	struct ruleset_opts o;

	ruleset_opts_default(&o);
	o.expr = RULESET_QUEUE_NATIVE;
	if (nftx_batch_begin(b, seq) < 0)
		return -1;
	if (ruleset_put_table(b, RULESET_PROBE_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, 0, seq) < 0)
		return -1;
	if (ruleset_put_chain(b, RULESET_PROBE_TABLE, "probe", NF_INET_PRE_ROUTING, seq) < 0)
		return -1;
	*rule_seq = *seq;
	return ruleset_put_rule(b, RULESET_PROBE_TABLE, &probe, &o, seq);
}

/* Never committed either (see ruleset_build_probe()). */
int ruleset_build_persist_probe(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *table_seq)
{
	if (nftx_batch_begin(b, seq) < 0)
		return -1;
	*table_seq = *seq;
	return ruleset_put_table(b, RULESET_PROBE_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE,
				 RULESET_TABLE_OWNED, seq);
}

/*
 * Adoption (Linux 6.9+): flags owner on an orphan make the sender its owner; PERSIST must be
 * given again, since the kernel refuses any change of it.
 */
int ruleset_build_claim(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	if (nftx_batch_begin(b, seq) < 0)
		return -1;
	if (ruleset_put_table(b, RULESET_TABLE, NFT_MSG_NEWTABLE, 0, RULESET_TABLE_OWNED, seq) < 0)
		return -1;
	return nftx_batch_end(b, seq);
}

/* --- nft text emitter ------------------------------------------------------------------ */

static void ruleset_comment(FILE *f, const char *indent, const char *text)
{
	const char *p = text;
	const char *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			fprintf(f, "%s# %s\n", indent, p);
			break;
		}
		fprintf(f, "%s# %.*s\n", indent, (int)(nl - p), p);
		p = nl + 1;
	}
}

static void ruleset_queue_text(FILE *f, const struct ruleset_opts *o)
{
	fputs("queue", f);
	if (o->fail_open)
		fputs(" flags bypass", f);
	if (o->queue_last > o->queue_first)
		fprintf(f, " to %u-%u", o->queue_first, o->queue_last);
	else
		fprintf(f, " to %u", o->queue_first);
}

/* The text of one item, or nothing when the options leave it out. */
static void ruleset_item_text(FILE *f, const struct ruleset_rule *rule,
			      const struct ruleset_item *it, const struct ruleset_opts *o,
			      bool *first, bool *wrapped, bool *in_stmt)
{
	const char *ip = rule->family == NFPROTO_IPV4 ? "ip" : "ip6";

	if (it->kind == RULESET_NOTRACK_CLOSED && o->fail_open)
		return;
	/* Long rules: addresses and ports on a second line, statements on a third. */
	if (it->kind == RULESET_SADDR_IN || it->kind == RULESET_RPF_MISSING ||
	    (*wrapped && !*in_stmt && it->kind >= RULESET_NOTRACK)) {
		fputs(" \\\n\t\t\t", f);
		*wrapped = true;
	} else if (!*first) {
		fputc(' ', f);
	}
	if (it->kind >= RULESET_NOTRACK)
		*in_stmt = true;
	*first = false;
	switch (it->kind) {
	case RULESET_NFPROTO:
		fprintf(f, "meta nfproto %s", rule->family == NFPROTO_IPV4 ? "ipv4" : "ipv6");
		break;
	case RULESET_L4PROTO_TCP:
		fputs("meta l4proto tcp", f);
		break;
	case RULESET_FIB_LOCAL:
		fputs("fib daddr type local", f);
		break;
	case RULESET_FRAGMENT:
		fputs(rule->family == NFPROTO_IPV4 ? "ip frag-off & 0x3fff != 0"
						   : "exthdr frag exists",
		      f);
		break;
	case RULESET_SADDR_IN:
		fprintf(f, "%s saddr @%s", ip, it->set);
		break;
	case RULESET_SADDR_NOT_IN:
		fprintf(f, "%s saddr != @%s", ip, it->set);
		break;
	case RULESET_DPORT_IN:
		fprintf(f, "tcp dport @%s", it->set);
		break;
	case RULESET_MARK:
		fprintf(f, "meta mark 0x%08x", o->mark);
		break;
	case RULESET_NOTRACK:
	case RULESET_NOTRACK_CLOSED:
		fputs("notrack", f);
		break;
	case RULESET_QUEUE:
		ruleset_queue_text(f, o);
		break;
	case RULESET_DROP:
		fputs("drop", f);
		break;
	case RULESET_RPF_MISSING:
		fputs("fib saddr . iif oif missing", f);
		break;
	case RULESET_COUNTER:
		fputs("counter", f);
		break;
	case RULESET_END:
		break;
	}
}

static void ruleset_set_text(FILE *f, const struct ruleset_set *def)
{
	if (def->comment != NULL)
		ruleset_comment(f, "\t", def->comment);
	fprintf(f, "\tset %s {\n\t\ttype %s\n\t\tflags %s%s%s\n\t}\n", def->name, def->type,
		def->flags & NFT_SET_INTERVAL ? "interval" : "",
		def->flags & NFT_SET_INTERVAL && def->flags & NFT_SET_TIMEOUT ? ", " : "",
		def->flags & NFT_SET_TIMEOUT ? "timeout" : "");
}

/*
 * The text mirrors the batch message by message: declare table, sets and chains ("add"
 * semantics: existing ones and their elements stay), flush both chains and set ports, add
 * the ports and the rules. Loading it twice therefore gives the same ruleset, as running
 * setup twice does.
 */
int ruleset_format_nft(FILE *f, const struct ruleset_opts *o)
{
	struct ruleset_rule rules[RULESET_EXPANDED_MAX];
	const struct ruleset_item *it;
	char desc[RULESET_PORTS_MAX * 12 + 128];
	char ports[RULESET_PORTS_MAX * 12];
	struct ruleset_set def;
	size_t nrules = ruleset_expand(rules);
	unsigned int i;
	size_t j;
	bool first;
	bool wrapped;
	bool in_stmt;

	ruleset_describe(o, NULL, desc, sizeof(desc));
	fprintf(f,
		"#!/usr/sbin/nft -f\n"
		"# nftarpit ruleset: table inet nftarpit (%s).\n"
		"# Written by `nftarpitctl print-ruleset`; `nftarpitctl setup` installs the same\n"
		"# ruleset through netlink, in one transaction. Load it with `nft -f` or include "
		"it\n"
		"# from /etc/nftables.conf. Loading it again replaces the rules and the ports; "
		"the\n"
		"# block and allow lists come back from nftarpit-sync's lists file (the include "
		"at\n"
		"# the end) when there is one, and keep their contents otherwise.\n"
		"\n"
		"table inet %s {\n",
		desc, RULESET_TABLE);
	for (i = 0; i < RULESET_NSETS; i++) {
		def = ruleset_set_def(i);
		ruleset_set_text(f, &def);
		fputc('\n', f);
	}
	for (i = 0; i < RULESET_NCHAINS; i++) {
		if (ruleset_chains[i].comment != NULL)
			ruleset_comment(f, "\t", ruleset_chains[i].comment);
		fprintf(f,
			"\tchain %s {\n\t\ttype filter hook %s priority raw; policy accept;\n\t}\n",
			ruleset_chains[i].name, ruleset_chains[i].hook);
		if (i + 1 < RULESET_NCHAINS)
			fputc('\n', f);
	}
	fputs("}\n\n", f);
	for (i = 0; i < RULESET_NCHAINS; i++)
		fprintf(f, "flush chain inet %s %s\n", RULESET_TABLE, ruleset_chains[i].name);
	ruleset_ports_text(o, ", ", ports, sizeof(ports));
	fprintf(f, "flush set inet %s ports\nadd element inet %s ports { %s }\n\ntable inet %s {\n",
		RULESET_TABLE, RULESET_TABLE, ports, RULESET_TABLE);
	for (i = 0; i < RULESET_NCHAINS; i++) {
		fprintf(f, "%s\tchain %s {\n", i ? "\n" : "", ruleset_chains[i].name);
		first = true;
		for (j = 0; j < nrules; j++) {
			if (strcmp(rules[j].chain, ruleset_chains[i].name) != 0 ||
			    (rules[j].rpf && !o->rpf))
				continue;
			if (!first && rules[j].comment != NULL)
				fputc('\n', f);
			ruleset_comment(f, "\t\t", rules[j].comment);
			fputs("\t\t", f);
			first = true;
			wrapped = false;
			in_stmt = false;
			for (it = rules[j].items;
			     it < rules[j].items + RULESET_ITEMS_MAX && it->kind != RULESET_END;
			     it++)
				ruleset_item_text(f, &rules[j], it, o, &first, &wrapped, &in_stmt);
			fputc('\n', f);
		}
		fputs("\t}\n", f);
	}
	fputs("}\n", f);
	if (o->lists[0] != '\0') {
		/*
		 * The last character as a bracket expression makes the name a glob that matches
		 * only itself: nft includes nothing, and fails on nothing, while it is absent.
		 */
		fprintf(f,
			"\n# The block and allow lists as nftarpit-sync last applied them: it "
			"keeps "
			"this\n# file current (written atomically). A reload restores them in this "
			"same\n# transaction; before the first sync run there is no file and "
			"nothing "
			"happens.\ninclude \"%.*s[%c]\"\n",
			(int)strlen(o->lists) - 1, o->lists, o->lists[strlen(o->lists) - 1]);
	}
	return ferror(f) ? -1 : 0;
}
