// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_watch: which nf_tables notifications mean someone else changed our lists. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "watch.h"

#define OURS 7

/* A notification as the kernel sends it: type, family, sender port, table (and set). */
static struct nlmsghdr *note(char *buf, uint16_t type, uint16_t family, uint32_t pid,
			     const char *table, const char *set)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, 0, 1);
	uint16_t ta = NFTA_TABLE_NAME, sa = 0;

	nlh->nlmsg_pid = pid;
	if (type == NFT_MSG_NEWSET || type == NFT_MSG_DELSET) {
		ta = NFTA_SET_TABLE;
		sa = NFTA_SET_NAME;
	} else if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM) {
		ta = NFTA_SET_ELEM_LIST_TABLE;
		sa = NFTA_SET_ELEM_LIST_SET;
	} else if (type == NFT_MSG_NEWRULE) {
		ta = NFTA_RULE_TABLE;
	}
	mnl_attr_put_strz(nlh, ta, table);
	if (set != NULL)
		mnl_attr_put_strz(nlh, sa, set);
	return nlh;
}

static void test_classify(void **unused)
{
	static const struct {
		uint16_t type;
		uint16_t family;
		uint32_t pid;
		const char *table;
		const char *set;
		enum watch_kind want;
		const char *what;
	} cases[] = {
		/* nft flush ruleset / delete table, from another socket */
		{NFT_MSG_DELTABLE, NFPROTO_INET, 99, "nftarpit", NULL, WATCH_TOUCHED, "deltable"},
		/* the table back (setup, nft -f of a reload) */
		{NFT_MSG_NEWTABLE, NFPROTO_INET, 99, "nftarpit", NULL, WATCH_TOUCHED, "newtable"},
		/* nft flush set: a DELSETELEM per element */
		{NFT_MSG_DELSETELEM, NFPROTO_INET, 99, "nftarpit", "blocknet4", WATCH_TOUCHED,
		 "delsetelem blocknet4"},
		{NFT_MSG_NEWSETELEM, NFPROTO_INET, 99, "nftarpit", "allowlist6", WATCH_TOUCHED,
		 "newsetelem allowlist6"},
		{NFT_MSG_DELSET, NFPROTO_INET, 99, "nftarpit", "blocknet6", WATCH_TOUCHED,
		 "delset blocknet6"},
		/* our own commits */
		{NFT_MSG_DELSETELEM, NFPROTO_INET, OURS, "nftarpit", "blocknet4", WATCH_OTHER, ""},
		{NFT_MSG_DELTABLE, NFPROTO_INET, OURS, "nftarpit", NULL, WATCH_OTHER, ""},
		/* the kernel's garbage collection of timed-out elements */
		{NFT_MSG_DELSETELEM, NFPROTO_INET, 0, "nftarpit", "blocknet4", WATCH_OTHER, ""},
		/* other tables, families, sets, objects */
		{NFT_MSG_DELTABLE, NFPROTO_INET, 99, "filter", NULL, WATCH_OTHER, ""},
		{NFT_MSG_DELTABLE, NFPROTO_IPV4, 99, "nftarpit", NULL, WATCH_OTHER, ""},
		{NFT_MSG_DELSETELEM, NFPROTO_INET, 99, "f2b", "blocknet4", WATCH_OTHER, ""},
		{NFT_MSG_NEWSETELEM, NFPROTO_INET, 99, "nftarpit", "ports", WATCH_OTHER, ""},
		{NFT_MSG_NEWRULE, NFPROTO_INET, 99, "nftarpit", NULL, WATCH_OTHER, ""},
	};
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	uint32_t gen = 0;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nlmsghdr *nlh = note(buf, cases[i].type, cases[i].family, cases[i].pid,
					    cases[i].table, cases[i].set);

		what[0] = '\0';
		assert_int_equal(watch_classify(nlh, OURS, &gen, what, sizeof(what)),
				 cases[i].want);
		assert_string_equal(what, cases[i].what);
	}
}

/* The end of every transaction carries the new generation. */
static void test_newgen(void **unused)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWGEN, NFPROTO_UNSPEC, 0, 1);
	uint32_t gen = 0;

	(void)unused;
	nlh->nlmsg_pid = 99;
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(4242));
	assert_int_equal(watch_classify(nlh, OURS, &gen, NULL, 0), WATCH_NEWGEN);
	assert_int_equal(gen, 4242);
}

/* Append a NEWGEN of gen from pid at p; returns the end. */
static char *put_newgen(char *p, uint32_t pid, uint32_t gen)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWGEN, NFPROTO_UNSPEC, 0, 1);

	nlh->nlmsg_pid = pid;
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(gen));
	return p + NLMSG_ALIGN(nlh->nlmsg_len);
}

static char *put_note(char *p, uint16_t type, uint32_t pid, const char *table, const char *set)
{
	struct nlmsghdr *nlh = note(p, type, NFPROTO_INET, pid, table, set);

	return p + NLMSG_ALIGN(nlh->nlmsg_len);
}

/*
 * Our view of the sets stays valid across commits into other tables (the generation moves
 * on with them), but not across one into our lists, nor across a gap in the generations.
 */
static void test_generation(void **unused)
{
	static char buf[32768];
	struct watch_news news;
	struct watch_txn txn;
	uint32_t gen = 10;
	char *p = buf;

	(void)unused;
	memset(&txn, 0, sizeof(txn));
	/* fail2ban adds to its own set: gen 11, nothing of ours. */
	p = put_note(p, NFT_MSG_NEWSETELEM, 99, "f2b", "addr-set");
	p = put_newgen(p, 99, 11);
	memset(&news, 0, sizeof(news));
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	assert_false(news.touched);
	assert_int_equal(gen, 11);

	/* Our own commit: nothing to report, the caller set gen from GETGEN already. */
	p = put_note(buf, NFT_MSG_NEWSETELEM, OURS, "nftarpit", "blocknet4");
	p = put_newgen(p, OURS, 12);
	gen = 12;
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	assert_false(news.touched);
	assert_int_equal(gen, 12);

	/* nft flush set, split over two datagrams: touched, and gen stays. */
	p = put_note(buf, NFT_MSG_DELSETELEM, 99, "nftarpit", "blocknet4");
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	p = put_newgen(buf, 99, 13);
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	assert_true(news.touched);
	assert_int_equal(news.who_portid, 99);
	assert_string_equal(news.who, "delsetelem blocknet4");
	assert_int_equal(gen, 12);

	/*
	 * The rest of that flush's notifications, read after our full re-apply (gen 14)
	 * already covered it: not news again.
	 */
	memset(&news, 0, sizeof(news));
	gen = 14;
	p = put_note(buf, NFT_MSG_DELSETELEM, 99, "nftarpit", "blocknet4");
	p = put_newgen(p, 99, 13);
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	assert_false(news.touched);
	assert_int_equal(gen, 14);
	gen = 12;

	/* A commit elsewhere after a missed one (gen 15 after 12): no longer ours to trust. */
	memset(&news, 0, sizeof(news));
	p = put_newgen(buf, 99, 15);
	watch_feed(&txn, buf, (size_t)(p - buf), OURS, &gen, &news);
	assert_false(news.touched);
	assert_int_equal(gen, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_newgen),
		cmocka_unit_test(test_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
