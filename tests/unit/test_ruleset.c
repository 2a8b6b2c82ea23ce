// SPDX-License-Identifier: GPL-2.0-or-later
/* The ruleset's netlink batch parsed back with libnftnl, its nft text, and its option parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "nftx.h"
#include "listset.h"
#include "ruleset.h"

#define MSG_MAX 64

/* A batch built into a buffer and indexed by message. */
struct built {
	char buf[NFTX_BATCH_SIZE];
	struct mnl_nlmsg_batch *b;
	const struct nlmsghdr *msg[MSG_MAX];
	unsigned int n;
	uint32_t seq_first;
	uint32_t seq_next;
};

static struct built *build(const struct ruleset_opts *o)
{
	struct built *bt = calloc(1, sizeof(*bt));
	const struct nlmsghdr *m;
	int left;

	assert_non_null(bt);
	bt->b = mnl_nlmsg_batch_start(bt->buf, sizeof(bt->buf) / 2);
	assert_non_null(bt->b);
	bt->seq_first = 1000;
	bt->seq_next = bt->seq_first;
	if (o != NULL)
		assert_int_equal(ruleset_build_batch(bt->b, o, &bt->seq_next), 0);
	else
		assert_int_equal(ruleset_build_teardown(bt->b, &bt->seq_next), 0);
	m = mnl_nlmsg_batch_head(bt->b);
	left = (int)mnl_nlmsg_batch_size(bt->b);
	while (mnl_nlmsg_ok(m, left)) {
		assert_true(bt->n < MSG_MAX);
		bt->msg[bt->n++] = m;
		m = mnl_nlmsg_next(m, &left);
	}
	assert_int_equal(left, 0);
	return bt;
}

static void built_free(struct built *bt)
{
	mnl_nlmsg_batch_stop(bt->b);
	free(bt);
}

static uint16_t nft_type(uint16_t msg)
{
	return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

/* The options without the reverse-path rules, whose own test is test_batch_rpf. */
static struct ruleset_opts opts(enum ruleset_queue_expr e)
{
	struct ruleset_opts o;

	ruleset_opts_default(&o);
	o.expr = e;
	o.rpf = false;
	return o;
}

/* "meta cmp payload lookup ..." */
static void expr_names(const struct nftnl_rule *r, char *out, size_t len)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	size_t off = 0;

	out[0] = '\0';
	for (e = nftnl_expr_iter_next(it); e != NULL; e = nftnl_expr_iter_next(it))
		off += (size_t)snprintf(out + off, len - off, "%s%s", off ? " " : "",
					nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	nftnl_expr_iter_destroy(it);
}

/* The nth (0-based) expression called name, or NULL. */
static struct nftnl_expr *expr_find(const struct nftnl_rule *r, const char *name, int nth)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	for (e = nftnl_expr_iter_next(it); e != NULL; e = nftnl_expr_iter_next(it)) {
		if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), name) == 0 && nth-- == 0)
			break;
	}
	nftnl_expr_iter_destroy(it);
	return e;
}

static struct nftnl_rule *rule_parse(const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	assert_non_null(r);
	assert_int_equal(nlh->nlmsg_type, nft_type(NFT_MSG_NEWRULE));
	assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
	return r;
}

/* Message layout of the setup batch, by index. */
enum {
	M_BEGIN = 0,
	M_TABLE = 1,
	M_SET0 = 2,
	M_NSETS = 7,
	M_CHAIN0 = 9,
	M_FLUSH0 = 11,
	M_FLUSH_PORTS = 13,
	M_PORTS = 14,
	M_RULE0 = 15,
	M_END = 24,
	M_COUNT = 25,
};

static void test_batch_layout(void **state)
{
	struct ruleset_opts o = opts(RULESET_QUEUE_XT);
	struct built *bt = build(&o);
	static const uint16_t types[M_COUNT] = {
		NFNL_MSG_BATCH_BEGIN,	   0x0a00 | NFT_MSG_NEWTABLE,	0x0a00 | NFT_MSG_NEWSET,
		0x0a00 | NFT_MSG_NEWSET,   0x0a00 | NFT_MSG_NEWSET,	0x0a00 | NFT_MSG_NEWSET,
		0x0a00 | NFT_MSG_NEWSET,   0x0a00 | NFT_MSG_NEWSET,	0x0a00 | NFT_MSG_NEWSET,
		0x0a00 | NFT_MSG_NEWCHAIN, 0x0a00 | NFT_MSG_NEWCHAIN,	0x0a00 | NFT_MSG_DELRULE,
		0x0a00 | NFT_MSG_DELRULE,  0x0a00 | NFT_MSG_DELSETELEM, 0x0a00 | NFT_MSG_NEWSETELEM,
		0x0a00 | NFT_MSG_NEWRULE,  0x0a00 | NFT_MSG_NEWRULE,	0x0a00 | NFT_MSG_NEWRULE,
		0x0a00 | NFT_MSG_NEWRULE,  0x0a00 | NFT_MSG_NEWRULE,	0x0a00 | NFT_MSG_NEWRULE,
		0x0a00 | NFT_MSG_NEWRULE,  0x0a00 | NFT_MSG_NEWRULE,	0x0a00 | NFT_MSG_NEWRULE,
		NFNL_MSG_BATCH_END};
	unsigned int i;

	(void)state;
	assert_int_equal(bt->n, M_COUNT);
	assert_int_equal(bt->seq_next, bt->seq_first + M_COUNT);
	for (i = 0; i < bt->n; i++) {
		assert_int_equal(bt->msg[i]->nlmsg_type, types[i]);
		assert_int_equal(bt->msg[i]->nlmsg_seq, bt->seq_first + i);
		/* Every change is acked; nothing is created exclusively (setup is idempotent). */
		if (i != M_BEGIN && i != M_END)
			assert_true(bt->msg[i]->nlmsg_flags & NLM_F_ACK);
		assert_false(bt->msg[i]->nlmsg_flags & NLM_F_EXCL);
		assert_false(bt->msg[i]->nlmsg_flags & NLM_F_REPLACE);
	}
	built_free(bt);
}

static void test_batch_table_sets_chains(void **state)
{
	static const struct {
		const char *name;
		uint32_t key_len;
		uint32_t key_type;
		uint32_t flags;
	} sets[] = {
		{"blockhost4", 4, 7, NFT_SET_TIMEOUT},
		{"blocknet4", 4, 7, NFT_SET_INTERVAL | NFT_SET_TIMEOUT},
		{"blockhost6", 16, 8, NFT_SET_TIMEOUT},
		{"blocknet6", 16, 8, NFT_SET_INTERVAL | NFT_SET_TIMEOUT},
		{"allowlist4", 4, 7, NFT_SET_INTERVAL},
		{"allowlist6", 16, 8, NFT_SET_INTERVAL},
		{"ports", 2, 13, NFT_SET_INTERVAL},
	};
	static const struct {
		const char *name;
		uint32_t hook;
	} chains[] = {{"prerouting", NF_INET_PRE_ROUTING}, {"output", NF_INET_LOCAL_OUT}};
	struct ruleset_opts o = opts(RULESET_QUEUE_NATIVE);
	struct built *bt = build(&o);
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_chain *c;
	struct nftnl_set *s;
	struct nftnl_rule *r;
	unsigned int i;

	(void)state;
	assert_int_equal(nftnl_table_nlmsg_parse(bt->msg[M_TABLE], t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "nftarpit");
	assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
	assert_true(bt->msg[M_TABLE]->nlmsg_flags & NLM_F_CREATE);
	nftnl_table_free(t);

	for (i = 0; i < M_NSETS; i++) {
		s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(bt->msg[M_SET0 + i], s), 0);
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), "nftarpit");
		assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), sets[i].name);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), sets[i].key_len);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), sets[i].key_type);
		assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), sets[i].flags);
		assert_true(nftnl_set_is_set(s, NFTNL_SET_USERDATA));
		nftnl_set_free(s);
	}

	for (i = 0; i < 2; i++) {
		c = nftnl_chain_alloc();
		assert_int_equal(nftnl_chain_nlmsg_parse(bt->msg[M_CHAIN0 + i], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), chains[i].name);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), chains[i].hook);
		assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -300);
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
		nftnl_chain_free(c);

		/* The flush: DELRULE naming only the chain, no handle. */
		r = nftnl_rule_alloc();
		assert_int_equal(nftnl_rule_nlmsg_parse(bt->msg[M_FLUSH0 + i], r), 0);
		assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), chains[i].name);
		assert_false(nftnl_rule_is_set(r, NFTNL_RULE_HANDLE));
		nftnl_rule_free(r);
	}
	built_free(bt);
}

/*
 * Keys (host order) and end flags of the ports elements, in message order. Parsed with libmnl:
 * libnftnl 1.2.4 numbers the element nests 1, 2, 3... when building (the kernel ignores the
 * type) but its own parser accepts only NFTA_LIST_ELEM (1), so it cannot read its output back.
 */
static unsigned int ports_elems(const struct nlmsghdr *nlh, uint16_t *keys, bool *ends, bool *opens,
				unsigned int max)
{
	const struct nlattr *a;
	const struct nlattr *elem;
	const struct nlattr *f;
	const struct nlattr *d;
	unsigned int n = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			assert_string_equal(mnl_attr_get_str(a), "ports");
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(elem, a)
		{
			assert_true(n < max);
			ends[n] = false;
			opens[n] = false;
			keys[n] = 0xffff;
			mnl_attr_for_each_nested(f, elem)
			{
				/* nft's "half-open range" mark, on a start reaching 65535. */
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_USERDATA)
					opens[n] = true;
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_FLAGS)
					ends[n] = ntohl(mnl_attr_get_u32(f)) &
						  NFT_SET_ELEM_INTERVAL_END;
				if (mnl_attr_get_type(f) != NFTA_SET_ELEM_KEY)
					continue;
				d = mnl_attr_get_payload(f);
				assert_int_equal(mnl_attr_get_type(d), NFTA_DATA_VALUE);
				assert_int_equal(mnl_attr_get_payload_len(d), 2);
				keys[n] = ntohs(mnl_attr_get_u16(d));
			}
			n++;
		}
	}
	return n;
}

static void test_batch_ports(void **state)
{
	struct ruleset_opts o = opts(RULESET_QUEUE_XT);
	char err[128];
	struct built *bt;
	uint16_t keys[16];
	bool ends[16];
	bool opens[16];
	unsigned int n;
	/* Sorted and merged; an end at 0 as nft adds; none after 65535. */
	static const uint16_t want_keys[] = {0, 25, 26, 465, 466, 2500, 2600, 65000};
	static const bool want_ends[] = {true, false, true, false, true, false, true, false};
	static const bool want_opens[] = {false, false, false, false, false, false, false, true};

	(void)state;
	assert_int_equal(ruleset_parse_ports(&o, "65000-65535,465,2500-2599,25", err, sizeof(err)),
			 0);
	bt = build(&o);
	/* The flush of set ports names the set and carries no elements. */
	assert_int_equal(ports_elems(bt->msg[M_FLUSH_PORTS], keys, ends, opens, 16), 0);
	n = ports_elems(bt->msg[M_PORTS], keys, ends, opens, 16);
	assert_int_equal(n, 8);
	assert_memory_equal(keys, want_keys, sizeof(want_keys));
	assert_memory_equal(ends, want_ends, sizeof(want_ends));
	assert_memory_equal(opens, want_opens, sizeof(want_opens));
	built_free(bt);
}

static void check_lookup(const struct nftnl_rule *r, int nth, const char *set, uint32_t flags)
{
	struct nftnl_expr *e = expr_find(r, "lookup", nth);

	assert_non_null(e);
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), set);
	if (flags == 0)
		assert_true(!nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) ||
			    nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) == 0);
	else
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS), flags);
}

static void test_batch_rules_native(void **state)
{
	struct ruleset_opts o = opts(RULESET_QUEUE_NATIVE);
	struct built *bt = build(&o);
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	const uint8_t *u8;
	const uint32_t *u32;
	uint32_t len;
	char names[512];

	(void)state;
	/* IPv4 fragments: drop. */
	r = rule_parse(bt->msg[M_RULE0]);
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp fib cmp payload bitwise cmp payload lookup "
				   "payload lookup payload lookup immediate");
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "prerouting");
	e = expr_find(r, "meta", 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY), NFT_META_NFPROTO);
	u8 = nftnl_expr_get(expr_find(r, "cmp", 0), NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 1);
	assert_int_equal(*u8, NFPROTO_IPV4);
	e = expr_find(r, "fib", 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS), NFTA_FIB_F_DADDR);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT), NFT_FIB_RESULT_ADDRTYPE);
	e = expr_find(r, "cmp", 3);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_NEQ);
	check_lookup(r, 0, "blockhost4", 0);
	check_lookup(r, 1, "allowlist4", NFT_LOOKUP_F_INV);
	check_lookup(r, 2, "ports", 0);
	e = expr_find(r, "immediate", 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), NF_DROP);
	nftnl_rule_free(r);

	/* IPv4 to the queue, untracked (fail-closed). */
	r = rule_parse(bt->msg[M_RULE0 + 2]);
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp fib cmp payload lookup payload lookup "
				   "payload lookup notrack queue");
	e = expr_find(r, "queue", 0);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM), 25);
	assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL), 1);
	assert_false(nftnl_expr_is_set(e, NFTNL_EXPR_QUEUE_FLAGS));
	nftnl_rule_free(r);

	/* IPv6 fragments: the exthdr presence test. */
	r = rule_parse(bt->msg[M_RULE0 + 4]);
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp fib cmp exthdr cmp payload lookup "
				   "payload lookup payload lookup immediate");
	e = expr_find(r, "exthdr", 0);
	assert_int_equal(nftnl_expr_get_u8(e, NFTNL_EXPR_EXTHDR_TYPE), 44);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_FLAGS), NFT_EXTHDR_F_PRESENT);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_EXTHDR_OP), NFT_EXTHDR_OP_IPV6);
	u8 = nftnl_expr_get(expr_find(r, "cmp", 0), NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(*u8, NFPROTO_IPV6);
	e = expr_find(r, "payload", 0);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 8);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), 16);
	check_lookup(r, 0, "blockhost6", 0);
	check_lookup(r, 1, "allowlist6", NFT_LOOKUP_F_INV);
	nftnl_rule_free(r);

	r = rule_parse(bt->msg[M_RULE0 + 6]);
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp meta cmp fib cmp payload lookup payload lookup "
				   "payload lookup notrack queue");
	nftnl_rule_free(r);

	/* Output: the reply mark, untracked. */
	r = rule_parse(bt->msg[M_RULE0 + 8]);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "output");
	expr_names(r, names, sizeof(names));
	assert_string_equal(names, "meta cmp notrack");
	assert_int_equal(nftnl_expr_get_u32(expr_find(r, "meta", 0), NFTNL_EXPR_META_KEY),
			 NFT_META_MARK);
	u32 = nftnl_expr_get(expr_find(r, "cmp", 0), NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 4);
	assert_int_equal(*u32, 0x6e746172);
	nftnl_rule_free(r);
	built_free(bt);
}

/* Queue variants: native/xt x fail-open/closed x single/range (by address hash, never by CPU). */
static void test_batch_queue_variants(void **state)
{
	static const struct {
		enum ruleset_queue_expr expr;
		bool fail_open;
		uint16_t first;
		uint16_t last;
		uint16_t flags;
	} cases[] = {
		{RULESET_QUEUE_NATIVE, false, 25, 25, 0},
		{RULESET_QUEUE_NATIVE, true, 25, 25, NFT_QUEUE_FLAG_BYPASS},
		{RULESET_QUEUE_NATIVE, false, 10, 13, 0},
		{RULESET_QUEUE_NATIVE, true, 0, 63, NFT_QUEUE_FLAG_BYPASS},
		{RULESET_QUEUE_XT, false, 25, 25, 0},
		{RULESET_QUEUE_XT, true, 25, 25, NFQ_FLAG_BYPASS},
		{RULESET_QUEUE_XT, false, 10, 13, 0},
		{RULESET_QUEUE_XT, true, 65472, 65535, NFQ_FLAG_BYPASS},
	};
	const struct xt_NFQ_info_v3 *info;
	struct ruleset_opts o;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	struct built *bt;
	const uint32_t *mark;
	uint32_t len;
	unsigned int i;
	unsigned int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = opts(cases[i].expr);
		o.fail_open = cases[i].fail_open;
		o.queue_first = cases[i].first;
		o.queue_last = cases[i].last;
		o.mark = 0x1234 + i;
		bt = build(&o);
		for (k = 2; k <= 7; k++) {
			if (k == 4 || k == 5)
				continue;
			r = rule_parse(bt->msg[M_RULE0 + k]);
			/* notrack only when failing closed: a bypassed packet must be tracked. */
			assert_true((expr_find(r, "notrack", 0) != NULL) == !cases[i].fail_open);
			if (cases[i].expr == RULESET_QUEUE_NATIVE) {
				assert_null(expr_find(r, "target", 0));
				e = expr_find(r, "queue", 0);
				assert_non_null(e);
				assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM),
						 cases[i].first);
				assert_int_equal(nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL),
						 cases[i].last - cases[i].first + 1);
				assert_int_equal(
					nftnl_expr_is_set(e, NFTNL_EXPR_QUEUE_FLAGS)
						? nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS)
						: 0,
					cases[i].flags);
			} else {
				assert_null(expr_find(r, "queue", 0));
				e = expr_find(r, "target", 0);
				assert_non_null(e);
				assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME),
						    "NFQUEUE");
				assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), 3);
				info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
				assert_int_equal(len, sizeof(*info));
				assert_int_equal(info->queuenum, cases[i].first);
				assert_int_equal(info->queues_total,
						 cases[i].last - cases[i].first + 1);
				assert_int_equal(info->flags, cases[i].flags);
			}
			nftnl_rule_free(r);
		}
		/* The output rule's notrack stays in both modes. */
		r = rule_parse(bt->msg[M_RULE0 + 8]);
		assert_non_null(expr_find(r, "notrack", 0));
		mark = nftnl_expr_get(expr_find(r, "cmp", 0), NFTNL_EXPR_CMP_DATA, &len);
		assert_int_equal(*mark, 0x1234 + i);
		nftnl_rule_free(r);
		built_free(bt);
	}
}

static void test_batch_rejects(void **state)
{
	char buf[NFTX_BATCH_SIZE];
	struct mnl_nlmsg_batch *b;
	struct ruleset_opts o = opts(RULESET_QUEUE_AUTO);
	uint32_t seq = 1;

	(void)state;
	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	/* AUTO must be resolved (probed) before building. */
	assert_int_equal(ruleset_build_batch(b, &o, &seq), -1);
	o.expr = RULESET_QUEUE_XT;
	o.mark = 0;
	assert_int_equal(ruleset_build_batch(b, &o, &seq), -1);
	mnl_nlmsg_batch_stop(b);
	/* A buffer too small for one transaction is an error, never a split. */
	o.mark = 1;
	b = mnl_nlmsg_batch_start(buf, 1024);
	assert_int_equal(ruleset_build_batch(b, &o, &seq), -1);
	mnl_nlmsg_batch_stop(b);
}

static void test_teardown_and_probe(void **state)
{
	struct built *bt = build(NULL);
	struct mnl_nlmsg_batch *b;
	const struct nlmsghdr *m;
	char buf[NFTX_BATCH_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_rule *r;
	uint32_t seq = 50;
	uint32_t rule_seq = 0;
	int left;
	unsigned int n = 0;
	uint16_t last_type = 0;
	char names[64];

	(void)state;
	assert_int_equal(bt->n, 3);
	assert_int_equal(bt->msg[1]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
	assert_int_equal(nftnl_table_nlmsg_parse(bt->msg[1], t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "nftarpit");
	assert_int_equal(bt->msg[2]->nlmsg_type, NFNL_MSG_BATCH_END);
	nftnl_table_free(t);
	built_free(bt);

	/* The probe: no BATCH_END, so the kernel validates and aborts. */
	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	assert_int_equal(ruleset_build_probe(b, &seq, &rule_seq), 0);
	m = mnl_nlmsg_batch_head(b);
	left = (int)mnl_nlmsg_batch_size(b);
	while (mnl_nlmsg_ok(m, left)) {
		assert_int_not_equal(m->nlmsg_type, NFNL_MSG_BATCH_END);
		last_type = m->nlmsg_type;
		if (m->nlmsg_type == nft_type(NFT_MSG_NEWTABLE)) {
			t = nftnl_table_alloc();
			assert_int_equal(nftnl_table_nlmsg_parse(m, t), 0);
			assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME),
					    RULESET_PROBE_TABLE);
			nftnl_table_free(t);
		}
		if (m->nlmsg_type == nft_type(NFT_MSG_NEWRULE)) {
			assert_int_equal(m->nlmsg_seq, rule_seq);
			r = rule_parse(m);
			expr_names(r, names, sizeof(names));
			assert_string_equal(names, "queue");
			nftnl_rule_free(r);
		}
		n++;
		m = mnl_nlmsg_next(m, &left);
	}
	assert_int_equal(n, 4);
	assert_int_equal(last_type, nft_type(NFT_MSG_NEWRULE));
	mnl_nlmsg_batch_stop(b);
}

/* The table message of a batch message m: its flags, and whether it may create. */
static uint32_t table_flags_of(const struct nlmsghdr *m)
{
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t flags;

	assert_int_equal(nftnl_table_nlmsg_parse(m, t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "nftarpit");
	assert_true(nftnl_table_is_set(t, NFTNL_TABLE_FLAGS));
	flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	nftnl_table_free(t);
	return flags;
}

/*
 * Ownership (issue 20): setup's table carries the flags it was given; a conversion deletes
 * the table first, in the same batch; the claim is the table alone with owner and persist,
 * without NLM_F_CREATE; the PERSIST probe has no BATCH_END; own parses strictly.
 */
static void test_own(void **state)
{
	struct ruleset_opts o = opts(RULESET_QUEUE_NATIVE);
	struct built *bt;
	struct mnl_nlmsg_batch *b;
	const struct nlmsghdr *m;
	char buf[NFTX_BATCH_SIZE];
	char err[64];
	uint32_t seq = 70, table_seq = 0;
	int left;

	(void)state;
	bt = build(&o);
	assert_int_equal(bt->msg[1]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(table_flags_of(bt->msg[1]), 0);
	built_free(bt);

	o.table_flags = RULESET_TABLE_OWNED;
	o.recreate = true;
	bt = build(&o);
	assert_int_equal(bt->msg[1]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
	assert_int_equal(bt->msg[2]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(table_flags_of(bt->msg[2]), NFT_TABLE_F_OWNER | 0x4);
	assert_int_equal(bt->msg[bt->n - 1]->nlmsg_type, NFNL_MSG_BATCH_END);
	built_free(bt);

	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	assert_int_equal(ruleset_build_claim(b, &seq), 0);
	m = mnl_nlmsg_batch_head(b);
	left = (int)mnl_nlmsg_batch_size(b);
	assert_int_equal(m->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	m = mnl_nlmsg_next(m, &left);
	assert_int_equal(m->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_false(m->nlmsg_flags & NLM_F_CREATE);
	assert_true(m->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(table_flags_of(m), RULESET_TABLE_OWNED);
	m = mnl_nlmsg_next(m, &left);
	assert_int_equal(m->nlmsg_type, NFNL_MSG_BATCH_END);
	m = mnl_nlmsg_next(m, &left);
	assert_int_equal(left, 0);
	mnl_nlmsg_batch_stop(b);

	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	assert_int_equal(ruleset_build_persist_probe(b, &seq, &table_seq), 0);
	m = mnl_nlmsg_batch_head(b);
	left = (int)mnl_nlmsg_batch_size(b);
	m = mnl_nlmsg_next(m, &left);
	assert_int_equal(m->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
	assert_int_equal(m->nlmsg_seq, table_seq);
	{
		struct nftnl_table *t = nftnl_table_alloc();

		assert_int_equal(nftnl_table_nlmsg_parse(m, t), 0);
		assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), RULESET_PROBE_TABLE);
		assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS), RULESET_TABLE_OWNED);
		nftnl_table_free(t);
	}
	m = mnl_nlmsg_next(m, &left);
	assert_int_equal(left, 0); /* no BATCH_END */
	mnl_nlmsg_batch_stop(b);

	assert_int_equal(ruleset_parse_own(&o, "no", err, sizeof(err)), 0);
	assert_int_equal(o.own, RULESET_OWN_NO);
	assert_string_equal(ruleset_own_name(o.own), "no");
	assert_int_equal(ruleset_parse_own(&o, "yes", err, sizeof(err)), 0);
	assert_int_equal(o.own, RULESET_OWN_YES);
	assert_int_equal(ruleset_parse_own(&o, "Yes", err, sizeof(err)), -1);
	assert_string_equal(err, "not auto, yes or no");
	assert_int_equal(o.own, RULESET_OWN_YES);
	assert_int_equal(ruleset_parse_own(&o, "auto", err, sizeof(err)), 0);
	assert_int_equal(o.own, RULESET_OWN_AUTO);
}

/* Error attribution names the object of the refused message. */
static void test_describe(void **state)
{
	static const struct {
		unsigned int idx;
		const char *what;
	} cases[] = {
		{M_BEGIN, "batch"},
		{M_TABLE, "table inet nftarpit"},
		{M_SET0, "set blockhost4"},
		{M_SET0 + 6, "set ports"},
		{M_CHAIN0 + 1, "chain output"},
		{M_FLUSH0, "flush chain prerouting"},
		{M_FLUSH_PORTS, "flush set ports"},
		{M_PORTS, "elements of set ports"},
		{M_RULE0, "rule 1 of chain prerouting"},
		{M_RULE0 + 3, "rule 4 of chain prerouting"},
		{M_RULE0 + 8, "rule 1 of chain output"},
	};
	struct ruleset_opts o = opts(RULESET_QUEUE_NATIVE);
	struct built *bt = build(&o);
	char what[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nftx_describe(mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b),
			      bt->msg[cases[i].idx], what, sizeof(what));
		assert_string_equal(what, cases[i].what);
	}
	built_free(bt);
	bt = build(NULL);
	nftx_describe(mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b), bt->msg[1], what,
		      sizeof(what));
	assert_string_equal(what, "delete table inet nftarpit");
	built_free(bt);
}

/* ruleset_format_nft() into a string; the caller frees it. */
static char *format(const struct ruleset_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(ruleset_format_nft(f, o), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static unsigned int count_str(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (text = strstr(text, needle); text != NULL; text = strstr(text + 1, needle))
		n++;
	return n;
}

static void test_text_default_is_checked_in(void **state)
{
	struct ruleset_opts o;
	char *text;
	char *file;
	long len;
	FILE *f;

	(void)state;
	ruleset_opts_default(&o);
	text = format(&o);
	/* The unit tests run in tests/unit. */
	f = fopen("../../nft/nftarpit.nft", "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	file = calloc(1, (size_t)len + 1);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	/* nft/nftarpit.nft is `nftarpitctl print-ruleset` with defaults, byte for byte. */
	assert_string_equal(text, file);
	free(file);
	free(text);
}

static void test_text_variants(void **state)
{
	static const struct {
		const char *ports;
		const char *queue;
		const char *mark;
		bool fail_open;
		const char *want[4];
		const char *not_want;
	} cases[] = {
		{NULL,
		 NULL,
		 NULL,
		 false,
		 {"\t\t\tnotrack queue to 25\n", "add element inet nftarpit ports { 25 }\n",
		  "\t\tmeta mark 0x6e746172 notrack\n",
		  "(queue 25, ports 25, fail-closed, mark 0x6e746172, no reverse-path check)"},
		 "bypass"},
		{NULL,
		 NULL,
		 NULL,
		 true,
		 {"@ports \\\n\t\t\tqueue flags bypass to 25\n", "meta mark 0x6e746172 notrack\n",
		  "fail-open", NULL},
		 "notrack queue"},
		{"25,465,587,2500-2599",
		 "25-28",
		 "0x1",
		 false,
		 {"notrack queue to 25-28\n",
		  "add element inet nftarpit ports { 25, 465, 587, 2500-2599 }\n",
		  "meta mark 0x00000001 notrack\n",
		  "(queue 25-28 by address, ports 25,465,587,2500-2599"},
		 "bypass"},
		{"587",
		 "0-63",
		 "4294967295",
		 true,
		 {"\t\t\tqueue flags bypass to 0-63\n", "add element inet nftarpit ports { 587 }\n",
		  "meta mark 0xffffffff notrack\n", NULL},
		 "notrack queue"},
	};
	struct ruleset_opts o;
	char err[128];
	char *text;
	unsigned int i;
	unsigned int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = opts(RULESET_QUEUE_AUTO);
		o.fail_open = cases[i].fail_open;
		if (cases[i].ports != NULL)
			assert_int_equal(ruleset_parse_ports(&o, cases[i].ports, err, sizeof(err)),
					 0);
		if (cases[i].queue != NULL)
			assert_int_equal(ruleset_parse_queue(&o, cases[i].queue, err, sizeof(err)),
					 0);
		if (cases[i].mark != NULL)
			assert_int_equal(ruleset_parse_mark(&o, cases[i].mark, err, sizeof(err)),
					 0);
		text = format(&o);
		for (k = 0; k < 4 && cases[i].want[k] != NULL; k++) {
			if (strstr(text, cases[i].want[k]) == NULL)
				fail_msg("case %u: \"%s\" missing from:\n%s", i, cases[i].want[k],
					 text);
		}
		if (strstr(text, cases[i].not_want) != NULL)
			fail_msg("case %u: \"%s\" present in:\n%s", i, cases[i].not_want, text);
		/* The queue statement appears four times (hosts and ranges, IPv4 and IPv6). */
		assert_int_equal(count_str(text, "queue to ") + count_str(text, "queue flags "), 4);
		free(text);
	}
}

/*
 * The reverse-path rules (the default): before the fragment and queue rules of each family,
 * a blocklisted source whose route back does not leave by its input interface is counted
 * and dropped, exactly as nft compiles "fib saddr . iif oif missing counter drop".
 */
static void test_batch_rpf(void **state)
{
	struct ruleset_opts o;
	struct built *bt;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	const uint32_t *u32;
	char names[512];
	uint32_t len;
	char *text;
	int k;

	(void)state;
	ruleset_opts_default(&o);
	assert_true(o.rpf);
	o.expr = RULESET_QUEUE_NATIVE;
	bt = build(&o);
	assert_int_equal(bt->n, M_COUNT + 4);
	for (k = 0; k < 4; k++) {
		/*
		 * Rules: rpf, frag, queue for blockhost4 then blocknet4, each right after the
		 * other, then the same for IPv6.
		 */
		r = rule_parse(bt->msg[M_RULE0 + 6 * (k / 2) + k % 2]);
		expr_names(r, names, sizeof(names));
		assert_string_equal(names,
				    "meta cmp meta cmp fib cmp payload lookup payload lookup "
				    "payload lookup fib cmp counter immediate");
		check_lookup(r, 0, listsets[k].name, 0);
		check_lookup(r, 1, k < 2 ? "allowlist4" : "allowlist6", NFT_LOOKUP_F_INV);
		e = expr_find(r, "fib", 1);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS),
				 NFTA_FIB_F_SADDR | NFTA_FIB_F_IIF | NFTA_FIB_F_PRESENT);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT), NFT_FIB_RESULT_OIF);
		e = expr_find(r, "cmp", 3);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_EQ);
		u32 = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		assert_int_equal(len, 4);
		assert_int_equal(*u32, 0);
		e = expr_find(r, "immediate", 0);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), NF_DROP);
		nftnl_rule_free(r);
		/* The queue rule after it is unchanged. */
		r = rule_parse(bt->msg[M_RULE0 + 6 * (k / 2) + 4 + k % 2]);
		assert_non_null(expr_find(r, "queue", 0));
		assert_null(expr_find(r, "counter", 0));
		nftnl_rule_free(r);
	}
	built_free(bt);
	text = format(&o);
	assert_int_equal(
		count_str(text, "\t\t\tfib saddr . iif oif missing \\\n\t\t\tcounter drop\n"), 4);
	assert_non_null(strstr(text, "mark 0x6e746172, reverse-path check)"));
	free(text);
	o.rpf = false;
	text = format(&o);
	assert_int_equal(count_str(text, "fib saddr"), 0);
	free(text);
}

static void test_parse_ports(void **state)
{
	static const struct {
		const char *in;
		const char *err; /* NULL: accepted */
		const char *merged;
	} cases[] = {
		{"25", NULL, "25"},
		{"25,465,587", NULL, "25,465,587"},
		{"587,25,465,26,24-25", NULL, "24-26,465,587"},
		{"2500-2599,2600", NULL, "2500-2600"},
		{"1-65535,25", NULL, "1-65535"},
		{"0x19", NULL, "25"},
		{"", "empty element", NULL},
		{"25,", "empty element", NULL},
		{"25,,26", "empty element", NULL},
		{"0", "port \"0\": too small", NULL},
		{"65536", "port \"65536\": too large", NULL},
		{"2x", "port \"2x\": invalid", NULL},
		{"025", "port \"025\": invalid", NULL},
		{" 25", "port \" 25\": invalid", NULL},
		{"30-20", "port \"30-20\": range is reversed", NULL},
		{"-5", "port \"-5\": invalid", NULL},
		{"5-", "port \"5-\": invalid", NULL},
		{"1-2-3", "port \"1-2-3\": invalid", NULL},
		{"25,2-70000", "port \"2-70000\": too large", NULL},
		{"123456789012345678", "port \"123456789012345678\": invalid", NULL},
	};
	struct ruleset_opts o;
	char err[128];
	char desc[256];
	char many[512];
	size_t off = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ruleset_opts_default(&o);
		err[0] = '\0';
		if (cases[i].err == NULL) {
			assert_int_equal(ruleset_parse_ports(&o, cases[i].in, err, sizeof(err)), 0);
			ruleset_describe(&o, NULL, desc, sizeof(desc));
			assert_non_null(strstr(desc, cases[i].merged));
		} else {
			assert_int_equal(ruleset_parse_ports(&o, cases[i].in, err, sizeof(err)),
					 -1);
			assert_string_equal(err, cases[i].err);
			/* Unchanged on error. */
			assert_int_equal(o.nports, 1);
			assert_int_equal(o.ports[0].first, 25);
		}
	}
	/* 64 elements are fine, 65 are not. */
	for (i = 1; i <= 65; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, "%s%u", i > 1 ? "," : "",
					i * 2);
	assert_int_equal(ruleset_parse_ports(&o, many, err, sizeof(err)), -1);
	assert_string_equal(err, "more than 64 ports or ranges");
	*strrchr(many, ',') = '\0';
	assert_int_equal(ruleset_parse_ports(&o, many, err, sizeof(err)), 0);
	assert_int_equal(o.nports, 64);
}

static void test_parse_queue_mark_expr(void **state)
{
	static const struct {
		const char *in;
		const char *err;
		uint16_t first;
		uint16_t last;
	} queues[] = {
		{"25", NULL, 25, 25},
		{"0", NULL, 0, 0},
		{"25-28", NULL, 25, 28},
		{"0-63", NULL, 0, 63},
		{"0-64", "more than 64 queues", 0, 0},
		{"28-25", "range is reversed", 0, 0},
		{"65536", "too large", 0, 0},
		{"x", "invalid", 0, 0},
		{"", "invalid", 0, 0},
	};
	struct ruleset_opts o;
	char err[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++) {
		ruleset_opts_default(&o);
		if (queues[i].err == NULL) {
			assert_int_equal(ruleset_parse_queue(&o, queues[i].in, err, sizeof(err)),
					 0);
			assert_int_equal(o.queue_first, queues[i].first);
			assert_int_equal(o.queue_last, queues[i].last);
		} else {
			assert_int_equal(ruleset_parse_queue(&o, queues[i].in, err, sizeof(err)),
					 -1);
			assert_string_equal(err, queues[i].err);
			assert_int_equal(o.queue_first, 25);
		}
	}
	ruleset_opts_default(&o);
	assert_int_equal(ruleset_parse_mark(&o, "0x6e746172", err, sizeof(err)), 0);
	assert_int_equal(o.mark, 0x6e746172);
	assert_int_equal(ruleset_parse_mark(&o, "7", err, sizeof(err)), 0);
	assert_int_equal(o.mark, 7);
	assert_int_equal(ruleset_parse_mark(&o, "0", err, sizeof(err)), -1);
	assert_string_equal(err, "too small");
	assert_int_equal(ruleset_parse_mark(&o, "4294967296", err, sizeof(err)), -1);
	assert_string_equal(err, "too large");
	assert_int_equal(ruleset_parse_mark(&o, "-1", err, sizeof(err)), -1);
	assert_int_equal(o.mark, 7);

	assert_int_equal(ruleset_parse_queue_expr(&o, "xt", err, sizeof(err)), 0);
	assert_int_equal(o.expr, RULESET_QUEUE_XT);
	assert_int_equal(ruleset_parse_queue_expr(&o, "native", err, sizeof(err)), 0);
	assert_int_equal(o.expr, RULESET_QUEUE_NATIVE);
	assert_int_equal(ruleset_parse_queue_expr(&o, "auto", err, sizeof(err)), 0);
	assert_int_equal(o.expr, RULESET_QUEUE_AUTO);
	assert_int_equal(ruleset_parse_queue_expr(&o, "NFQUEUE", err, sizeof(err)), -1);
	assert_string_equal(err, "not auto, native or xt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_layout),
		cmocka_unit_test(test_batch_table_sets_chains),
		cmocka_unit_test(test_batch_ports),
		cmocka_unit_test(test_batch_rules_native),
		cmocka_unit_test(test_batch_queue_variants),
		cmocka_unit_test(test_batch_rpf),
		cmocka_unit_test(test_batch_rejects),
		cmocka_unit_test(test_teardown_and_probe),
		cmocka_unit_test(test_own),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_text_default_is_checked_in),
		cmocka_unit_test(test_text_variants),
		cmocka_unit_test(test_parse_ports),
		cmocka_unit_test(test_parse_queue_mark_expr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
