// SPDX-License-Identifier: GPL-2.0-or-later
/* sync_kset: the diff, and the batch parsed back without a kernel (split, pairs, order). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kset.h"
#include "nftx.h"

static struct cidr_range rng(const char *s, uint64_t tag)
{
	struct cidr_range r;
	char err[128];
	int family;

	assert_true(cidr_parse(s, &family, &r, err, sizeof(err)) >= 0);
	r.tag = tag;
	return r;
}

static void put(struct cidr_set *s, const char *t, uint64_t tag)
{
	struct cidr_range r = rng(t, tag);

	assert_int_equal(cidr_set_add(s, &r), 0);
}

static void text(const struct cidr_set *s, char *out, size_t len)
{
	char t[CIDR_TEXT_MAX];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < s->n; i++) {
		cidr_range_format(&s->r[i], s->family, t, sizeof(t));
		n += (size_t)snprintf(out + n, len - n, "%s%s", i > 0 ? " " : "", t);
	}
}

/* Same range and expiry within the slack: kept; new expiry: refreshed; others add/delete. */
static void test_diff(void **state)
{
	struct cidr_set have, want;
	struct kset_diff d;
	char t[512];

	cidr_set_init(&have, 4);
	cidr_set_init(&want, 4);
	put(&have, "192.0.2.0/24", 0);
	put(&have, "198.51.100.7", 100000);
	put(&have, "198.51.100.9", 100000);
	put(&have, "203.0.113.0/25", 0);
	put(&have, "203.0.113.200", 0);
	put(&want, "192.0.2.0/24", 0);
	put(&want, "198.51.100.7", 100000 + KSET_EXPIRY_SLACK);
	put(&want, "198.51.100.9", 200000);
	put(&want, "203.0.113.0/24", 0);
	put(&want, "203.0.113.250", 0);
	kset_diff_init(&d, 4);
	assert_int_equal(kset_diff_compute(&have, &want, &d), 0);
	assert_int_equal(d.kept, 2);
	assert_int_equal(d.refreshed, 1);
	text(&d.del, t, sizeof(t));
	assert_string_equal(t, "198.51.100.9 203.0.113.0/25 203.0.113.200");
	text(&d.add, t, sizeof(t));
	assert_string_equal(t, "198.51.100.9 203.0.113.0/24 203.0.113.250");
	kset_diff_free(&d);
	cidr_set_free(&have);
	cidr_set_free(&want);
}

struct parsed {
	unsigned int msgs, news, dels, flushes, elems;
	size_t max_len;
	bool dels_done; /* an addition was seen: no deletion may follow */
	struct cidr_set got;
	uint64_t timeouts;
};

static void parse_elems(const struct nlattr *list, int family, struct parsed *p)
{
	const struct nlattr *el, *in, *v;
	struct cidr_addr key;
	struct cidr_range r;
	bool end, open = false;
	size_t klen = family == 4 ? 4 : 16;

	mnl_attr_for_each_nested(el, list)
	{
		end = false;
		mnl_attr_for_each_nested(in, el)
		{
			if (mnl_attr_get_type(in) == NFTA_SET_ELEM_FLAGS)
				end = ntohl(mnl_attr_get_u32(in)) & NFT_SET_ELEM_INTERVAL_END;
			if (mnl_attr_get_type(in) == NFTA_SET_ELEM_TIMEOUT)
				p->timeouts++;
			if (mnl_attr_get_type(in) != NFTA_SET_ELEM_KEY)
				continue;
			mnl_attr_for_each_nested(v, in)
			{
				assert_int_equal(mnl_attr_get_payload_len(v), klen);
				cidr_addr_from_bytes(&key, family, mnl_attr_get_payload(v));
			}
		}
		p->elems++;
		if (end) {
			/* An end always follows its start in the same message. */
			assert_true(open);
			r.last = cidr_addr_dec(key);
			assert_int_equal(cidr_set_add(&p->got, &r), 0);
			open = false;
			continue;
		}
		if (open) {
			r.last = cidr_addr_max(family);
			assert_int_equal(cidr_set_add(&p->got, &r), 0);
		}
		r.first = key;
		r.tag = 0;
		open = true;
	}
	if (open) {
		r.last = cidr_addr_max(family);
		assert_int_equal(cidr_set_add(&p->got, &r), 0);
	}
}

static void parse_batch(const void *buf, size_t len, int family, struct parsed *p)
{
	const struct nlmsghdr *m = buf;
	const struct nlattr *a;
	int left = (int)len;
	uint32_t seq = m->nlmsg_seq;
	bool has_elems;

	memset(p, 0, sizeof(*p));
	cidr_set_init(&p->got, family);
	assert_int_equal(m->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	while (mnl_nlmsg_ok(m, left)) {
		assert_int_equal(m->nlmsg_seq, seq++);
		p->msgs++;
		if (m->nlmsg_len > p->max_len)
			p->max_len = m->nlmsg_len;
		if ((m->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
			assert_true(m->nlmsg_flags & NLM_F_ACK);
			has_elems = false;
			mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
			{
				if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS) {
					has_elems = true;
					/* The nest length is 16 bits. */
					assert_true(mnl_attr_get_len(a) <= KSET_MSG_ELEMS_MAX);
					parse_elems(a, family, p);
				}
			}
			if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM) {
				p->news++;
				p->dels_done = true;
			} else if (has_elems) {
				assert_false(p->dels_done);
				p->dels++;
			} else {
				assert_false(p->dels_done);
				p->flushes++;
			}
		}
		m = mnl_nlmsg_next(m, &left);
	}
	assert_int_equal(p->msgs > 0, 1);
}

static void test_batch_split(void **state)
{
	struct cidr_set add, del;
	struct kset_op op;
	struct mnl_nlmsg_batch *b;
	struct parsed p;
	struct cidr_range r;
	uint32_t seq = 100;
	void *buf;
	size_t i;

	cidr_set_init(&add, 4);
	cidr_set_init(&del, 4);
	for (i = 0; i < 20000; i++) {
		memset(&r, 0, sizeof(r));
		r.first.lo = 0x0a000000 + 4 * (uint64_t)i;
		r.last.lo = r.first.lo + (i % 3);
		r.tag = i % 2 ? 5000 : 0;
		assert_int_equal(cidr_set_add(&add, &r), 0);
	}
	r.first.lo = 0xffffff00;
	r.last.lo = 0xffffffff;
	r.tag = 0;
	assert_int_equal(cidr_set_add(&add, &r), 0);
	put(&del, "192.0.2.0/24", 0);
	memset(&op, 0, sizeof(op));
	op.set = LISTSET_BLOCKNET4;
	op.del = &del;
	op.add = &add;
	buf = kset_batch_alloc(kset_batch_size(&op, 1), &b);
	assert_non_null(buf);
	assert_int_equal(kset_build(b, &seq, &op, 1, 1000), 0);
	parse_batch(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), 4, &p);
	assert_int_equal(p.dels, 1);
	assert_true(p.news > 10);
	assert_true(p.max_len < 64 * 1024);
	/* Two elements per range, but none past the top of the space. */
	assert_int_equal(p.elems, 2 * 20001 - 1 + 2);
	assert_int_equal(p.timeouts, 10000);
	/* The deleted range comes first, then every added range, unchanged. */
	assert_int_equal(p.got.n, 20002);
	for (i = 0; i < add.n; i++) {
		assert_int_equal(cidr_addr_cmp(&p.got.r[i + 1].first, &add.r[i].first), 0);
		assert_int_equal(cidr_addr_cmp(&p.got.r[i + 1].last, &add.r[i].last), 0);
	}
	mnl_nlmsg_batch_stop(b);
	free(buf);
	cidr_set_free(&p.got);

	/* Replace: a flush (no elements) before the additions; expired ranges are skipped. */
	op.del = NULL;
	op.flush = true;
	seq = 1;
	buf = kset_batch_alloc(kset_batch_size(&op, 1), &b);
	assert_int_equal(kset_build(b, &seq, &op, 1, 6000), 0);
	parse_batch(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), 4, &p);
	assert_int_equal(p.flushes, 1);
	assert_int_equal(p.got.n, 10001);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	cidr_set_free(&p.got);
	cidr_set_free(&add);
	cidr_set_free(&del);
}

/*
 * A hash set of addresses: one element per address, no end elements, each with its
 * timeout; a range given for it is a caller's bug and builds nothing.
 */
static void test_batch_hosts(void **state)
{
	struct cidr_set add;
	struct kset_op op;
	struct mnl_nlmsg_batch *b;
	struct parsed p;
	uint32_t seq = 1;
	void *buf;

	(void)state;
	cidr_set_init(&add, 4);
	put(&add, "192.0.2.1", 5000);
	put(&add, "192.0.2.2", 5000);
	put(&add, "192.0.2.9", 0);
	memset(&op, 0, sizeof(op));
	op.set = LISTSET_BLOCKHOST4;
	op.add = &add;
	buf = kset_batch_alloc(kset_batch_size(&op, 1), &b);
	assert_non_null(buf);
	assert_int_equal(kset_build(b, &seq, &op, 1, 1000), 0);
	memset(&p, 0, sizeof(p));
	parse_batch(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), 4, &p);
	assert_int_equal(p.elems, 3);
	assert_int_equal(p.timeouts, 2);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	cidr_set_free(&p.got);
	put(&add, "198.51.100.0/24", 0);
	seq = 1;
	buf = kset_batch_alloc(kset_batch_size(&op, 1), &b);
	assert_non_null(buf);
	errno = 0;
	assert_int_equal(kset_build(b, &seq, &op, 1, 1000), -1);
	assert_int_equal(errno, EINVAL);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	cidr_set_free(&add);
}

/* A kernel error pointing into an element names the range it belongs to. */
static void test_describe_error(void **state)
{
	struct cidr_set add;
	struct kset_op op;
	struct mnl_nlmsg_batch *b;
	struct nftx_error err;
	const struct nlmsghdr *m;
	const struct nlattr *a, *el;
	char out[CIDR_TEXT_MAX];
	uint32_t seq = 7;
	void *buf;
	int left, k;

	cidr_set_init(&add, 6);
	put(&add, "2001:db8::/32", 0);
	put(&add, "2001:db9::5", 0);
	put(&add, "2001:dba::/48", 0);
	memset(&op, 0, sizeof(op));
	op.set = LISTSET_BLOCKNET6;
	op.add = &add;
	buf = kset_batch_alloc(kset_batch_size(&op, 1), &b);
	assert_int_equal(kset_build(b, &seq, &op, 1, 0), 0);
	m = mnl_nlmsg_batch_head(b);
	left = (int)mnl_nlmsg_batch_size(b);
	m = mnl_nlmsg_next(m, &left); /* past BEGIN */
	memset(&err, 0, sizeof(err));
	err.seq = m->nlmsg_seq;
	for (k = 0; k < 6; k++) {
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
				continue;
			int i = 0;

			mnl_attr_for_each_nested(el, a)
			{
				if (i++ == k)
					err.attr_off =
						(uint32_t)((const char *)el - (const char *)m);
			}
		}
		kset_describe_error(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &err, out,
				    sizeof(out));
		assert_string_equal(out, k < 2	 ? "2001:db8::/32"
					 : k < 4 ? "2001:db9::5"
						 : "2001:dba::/48");
	}
	mnl_nlmsg_batch_stop(b);
	free(buf);
	cidr_set_free(&add);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_batch_split),
		cmocka_unit_test(test_batch_hosts),
		cmocka_unit_test(test_describe_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
