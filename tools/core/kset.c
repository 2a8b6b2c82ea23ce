// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel's interval sets: read them back, diff against the wanted ranges, one batch. */
#include "kset.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "log.h"
#include "nftx.h"
#include "ruleset.h"
#include "snap.h"

void kset_diff_init(struct kset_diff *d, int family)
{
	cidr_set_init(&d->del, family);
	cidr_set_init(&d->add, family);
	d->kept = 0;
	d->refreshed = 0;
}

void kset_diff_free(struct kset_diff *d)
{
	cidr_set_free(&d->del);
	cidr_set_free(&d->add);
}

static bool kset_same_expiry(uint64_t a, uint64_t b)
{
	if (a == 0 || b == 0)
		return a == b;
	return (a > b ? a - b : b - a) <= KSET_EXPIRY_SLACK;
}

int kset_diff_compute(const struct cidr_set *have, const struct cidr_set *want, struct kset_diff *d)
{
	size_t i = 0, j = 0;
	int c;

	while (i < have->n || j < want->n) {
		if (i == have->n)
			c = 1;
		else if (j == want->n)
			c = -1;
		else
			c = cidr_addr_cmp(&have->r[i].first, &want->r[j].first);
		if (c == 0 && cidr_addr_cmp(&have->r[i].last, &want->r[j].last) == 0) {
			if (kset_same_expiry(have->r[i].tag, want->r[j].tag)) {
				d->kept++;
			} else {
				if (cidr_set_add(&d->del, &have->r[i]) < 0 ||
				    cidr_set_add(&d->add, &want->r[j]) < 0)
					return -1;
				d->refreshed++;
			}
			i++;
			j++;
		} else if (c < 0 || (c == 0 && j == want->n)) {
			if (cidr_set_add(&d->del, &have->r[i++]) < 0)
				return -1;
		} else if (c > 0) {
			if (cidr_set_add(&d->add, &want->r[j++]) < 0)
				return -1;
		} else {
			/* Same start, different end: replace. */
			if (cidr_set_add(&d->del, &have->r[i++]) < 0 ||
			    cidr_set_add(&d->add, &want->r[j++]) < 0)
				return -1;
		}
	}
	return 0;
}

/* One element as the dump gives it. */
struct kset_elem {
	struct cidr_addr key;
	bool end;
	uint64_t expires; /* 0 = no timeout */
};

struct kset_dump_ctx {
	int family;
	int64_t now;
	size_t n;
	size_t cap;
	struct kset_elem *e;
};

static int kset_elem_cb(const struct nlattr *a, struct kset_dump_ctx *c)
{
	const struct nlattr *in, *v;
	struct kset_elem el;
	size_t klen = c->family == 4 ? 4 : 16;
	struct kset_elem *ne;
	bool has_key = false;

	memset(&el, 0, sizeof(el));
	mnl_attr_for_each_nested(in, a)
	{
		switch (mnl_attr_get_type(in)) {
		case NFTA_SET_ELEM_KEY:
			mnl_attr_for_each_nested(v, in)
			{
				if (mnl_attr_get_type(v) == NFTA_DATA_VALUE &&
				    mnl_attr_get_payload_len(v) == klen) {
					cidr_addr_from_bytes(&el.key, c->family,
							     mnl_attr_get_payload(v));
					has_key = true;
				}
			}
			break;
		case NFTA_SET_ELEM_FLAGS:
			if (mnl_attr_validate(in, MNL_TYPE_U32) == 0)
				el.end = (ntohl(mnl_attr_get_u32(in)) &
					  NFT_SET_ELEM_INTERVAL_END) != 0;
			break;
		case NFTA_SET_ELEM_EXPIRATION:
			if (mnl_attr_validate(in, MNL_TYPE_U64) == 0)
				el.expires = (uint64_t)c->now +
					     (be64toh(mnl_attr_get_u64(in)) + 999) / 1000;
			break;
		default:
			break;
		}
	}
	if (!has_key)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap != 0 ? c->cap * 2 : 1024;
		ne = reallocarray(c->e, c->cap, sizeof(*ne));
		if (ne == NULL)
			return -1;
		c->e = ne;
	}
	c->e[c->n++] = el;
	return 0;
}

static int kset_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *el;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			if (kset_elem_cb(el, data) < 0)
				return MNL_CB_ERROR;
		}
	}
	return MNL_CB_OK;
}

/* By key; at equal keys the end of one interval sorts before the start of the next. */
static int kset_elem_cmp(const void *a, const void *b)
{
	const struct kset_elem *x = a;
	const struct kset_elem *y = b;
	int c = cidr_addr_cmp(&x->key, &y->key);

	if (c != 0)
		return c;
	return (int)y->end - (int)x->end;
}

int kset_dump_named(struct nftx *x, const char *name, enum listset_kind kind, int64_t now,
		    struct cidr_set *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct kset_dump_ctx c = {out->family, now, 0, 0, NULL};
	struct nlmsghdr *nlh;
	struct cidr_range r;
	size_t i;
	int saved;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK,
				    0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, RULESET_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	if (nftx_dump(x, nlh, kset_msg_cb, &c) < 0)
		goto err;
	/* An empty set leaves c.e NULL, which qsort() must not be given (UBSan). */
	if (c.n > 1)
		qsort(c.e, c.n, sizeof(*c.e), kset_elem_cmp);
	cidr_set_clear(out);
	/* Pair each start with the end that follows it; no end: open to the top. */
	for (i = 0; i < c.n; i++) {
		if (c.e[i].end)
			continue;
		r.first = c.e[i].key;
		r.tag = c.e[i].expires;
		if (kind == LISTSET_HOSTS) {
			r.last = r.first;
		} else if (i + 1 < c.n && c.e[i + 1].end) {
			r.last = cidr_addr_dec(c.e[i + 1].key);
			i++;
		} else {
			r.last = cidr_addr_max(out->family);
		}
		if (cidr_set_add(out, &r) < 0)
			goto err;
	}
	free(c.e);
	/*
	 * Sorted and disjoint, but not merged: two adjacent elements stay two ranges, since
	 * deleting them takes their own keys (a merged range would not exist: ENOENT).
	 */
	return 0;
err:
	saved = errno;
	free(c.e);
	errno = saved;
	return -1;
}

int kset_dump(struct nftx *x, enum listset_id id, int64_t now, struct cidr_set *out)
{
	return kset_dump_named(x, listsets[id].name, listsets[id].kind, now, out);
}

static int kset_set_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(int *)data = 1;
	return MNL_CB_OK;
}

int kset_exists(struct nftx *x, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int found = 0;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_ACK, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, RULESET_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, name);
	if (nftx_dump(x, nlh, kset_set_cb, &found) < 0)
		return errno == ENOENT ? 0 : -1;
	return found;
}

/* Bytes of one element: list nest, key nest with data, and flags or timeout. */
static size_t kset_elem_size(int family, bool end, bool timeout)
{
	size_t klen = family == 4 ? 4 : 16;

	return MNL_ATTR_HDRLEN + MNL_ATTR_HDRLEN + MNL_ATTR_HDRLEN + MNL_ALIGN(klen) +
	       (end ? MNL_ATTR_HDRLEN + 4 : 0) + (timeout ? MNL_ATTR_HDRLEN + 8 : 0);
}

static size_t kset_range_size(int family, bool timeout)
{
	return kset_elem_size(family, false, timeout) + kset_elem_size(family, true, false);
}

/* Header, table and set names, element list nest. */
#define KSET_MSG_OVERHEAD 128

size_t kset_batch_size(const struct kset_op *ops, size_t nops)
{
	size_t total = 2 * 64;
	size_t i, per, n, msgs;
	const struct cidr_set *s;
	int k;

	for (i = 0; i < nops; i++) {
		total += KSET_MSG_OVERHEAD;
		for (k = 0; k < 2; k++) {
			s = k == 0 ? ops[i].del : ops[i].add;
			n = s != NULL ? s->n : 0;
			per = kset_range_size(listsets[ops[i].set].family, k == 1);
			msgs = n * per / (KSET_MSG_ELEMS_MAX - 2 * per) + 1;
			total += n * per + msgs * KSET_MSG_OVERHEAD;
		}
	}
	return total;
}

static void kset_put_elem(struct nlmsghdr *nlh, const struct cidr_addr *key, int family, bool end,
			  uint64_t timeout_ms)
{
	uint8_t k[16];
	struct nlattr *el, *kn;

	cidr_addr_to_bytes(key, family, k);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	kn = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, family == 4 ? 4 : 16, k);
	mnl_attr_nest_end(nlh, kn);
	if (end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	/* nft puts the timeout on the start element; the kernel expires the pair by it. */
	if (!end && timeout_ms != 0)
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(timeout_ms));
	mnl_attr_nest_end(nlh, el);
}

static struct nlmsghdr *kset_msg_start(struct mnl_nlmsg_batch *b, uint16_t type, const char *name,
				       uint32_t seq)
{
	struct nlmsghdr *nlh;
	uint16_t flags = NLM_F_ACK;

	/* Additions: create, but without NLM_F_EXCL, so a range already there is no error. */
	if (type == NFT_MSG_NEWSETELEM)
		flags |= NLM_F_CREATE;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET, flags, seq);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, RULESET_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
	return nlh;
}

/*
 * The ranges of s as messages of at most KSET_MSG_ELEMS_MAX element bytes each. The batch
 * buffer must extend one message beyond the batch's limit (kset_batch_alloc()): a message is
 * written first and nftx_batch_next() then says whether it still fits the limit.
 */
static int kset_put_ranges(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct kset_op *op,
			   uint16_t type, const struct cidr_set *s, int64_t now)
{
	const struct listset *ls = &listsets[op->set];
	struct cidr_addr top = cidr_addr_max(ls->family);
	struct nlmsghdr *nlh = NULL;
	struct nlattr *list = NULL;
	struct cidr_addr end;
	uint64_t timeout;
	size_t i, start_len = 0;
	size_t need = kset_range_size(ls->family, true);

	for (i = 0; i < s->n; i++) {
		/* A hash set holds addresses: a range there is a caller's bug, not an input. */
		if (ls->kind == LISTSET_HOSTS &&
		    cidr_addr_cmp(&s->r[i].first, &s->r[i].last) != 0) {
			errno = EINVAL;
			return -1;
		}
		timeout = 0;
		if (type == NFT_MSG_NEWSETELEM && s->r[i].tag != 0) {
			if ((int64_t)s->r[i].tag <= now)
				continue;
			timeout = ((uint64_t)s->r[i].tag - (uint64_t)now) * 1000;
		}
		if (nlh != NULL && nlh->nlmsg_len - start_len + need > KSET_MSG_ELEMS_MAX) {
			mnl_attr_nest_end(nlh, list);
			if (nftx_batch_next(b) < 0)
				return -1;
			nlh = NULL;
		}
		if (nlh == NULL) {
			nlh = kset_msg_start(b, type, ls->name, (*seq)++);
			list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
			start_len = nlh->nlmsg_len;
		}
		kset_put_elem(nlh, &s->r[i].first, ls->family, false, timeout);
		if (ls->kind == LISTSET_RANGES && cidr_addr_cmp(&s->r[i].last, &top) != 0) {
			end = cidr_addr_inc(s->r[i].last);
			kset_put_elem(nlh, &end, ls->family, true, 0);
		}
	}
	if (nlh == NULL)
		return 0;
	mnl_attr_nest_end(nlh, list);
	return nftx_batch_next(b);
}

int kset_build_msgs(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct kset_op *ops,
		    size_t nops, int64_t now)
{
	struct nlmsghdr *nlh;
	size_t i;

	for (i = 0; i < nops; i++) {
		/* Flush: a DELSETELEM without elements empties the set inside this transaction. */
		if (ops[i].flush) {
			nlh = kset_msg_start(b, NFT_MSG_DELSETELEM, listsets[ops[i].set].name,
					     (*seq)++);
			(void)nlh;
			if (nftx_batch_next(b) < 0)
				return -1;
		}
		if (ops[i].del != NULL &&
		    kset_put_ranges(b, seq, &ops[i], NFT_MSG_DELSETELEM, ops[i].del, now) < 0)
			return -1;
	}
	/* All deletions before all additions: a range may be replaced by an overlapping one. */
	for (i = 0; i < nops; i++) {
		if (ops[i].add != NULL &&
		    kset_put_ranges(b, seq, &ops[i], NFT_MSG_NEWSETELEM, ops[i].add, now) < 0)
			return -1;
	}
	return 0;
}

int kset_build(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct kset_op *ops, size_t nops,
	       int64_t now)
{
	if (nftx_batch_begin(b, seq) < 0 || kset_build_msgs(b, seq, ops, nops, now) < 0)
		return -1;
	return nftx_batch_end(b, seq);
}

void *kset_batch_alloc(size_t limit, struct mnl_nlmsg_batch **b)
{
	size_t size = limit + KSET_MSG_ELEMS_MAX + 4 * KSET_MSG_OVERHEAD;
	void *buf = malloc(size);

	if (buf == NULL)
		return NULL;
	*b = mnl_nlmsg_batch_start(buf, limit);
	if (*b == NULL) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The key of element attribute el (an NFTA_LIST_ELEM nest), and whether it is an end. */
static int kset_elem_key(const struct nlattr *el, int family, struct cidr_addr *key, bool *end)
{
	const struct nlattr *in, *v;
	size_t klen = family == 4 ? 4 : 16;
	int found = -1;

	*end = false;
	mnl_attr_for_each_nested(in, el)
	{
		if (mnl_attr_get_type(in) == NFTA_SET_ELEM_FLAGS)
			*end = (ntohl(mnl_attr_get_u32(in)) & NFT_SET_ELEM_INTERVAL_END) != 0;
		if (mnl_attr_get_type(in) != NFTA_SET_ELEM_KEY)
			continue;
		mnl_attr_for_each_nested(v, in)
		{
			if (mnl_attr_get_type(v) == NFTA_DATA_VALUE &&
			    mnl_attr_get_payload_len(v) == klen) {
				cidr_addr_from_bytes(key, family, mnl_attr_get_payload(v));
				found = 0;
			}
		}
	}
	return found;
}

/* The list set a message is for (listset table), or -1. */
static int kset_msg_set(const struct nlmsghdr *m)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return listset_find(mnl_attr_get_str(a));
	}
	return -1;
}

void kset_describe_error(const void *buf, size_t len, const struct nftx_error *err, char *out,
			 size_t outlen)
{
	const struct nlmsghdr *m = buf;
	const struct nlattr *a, *el;
	const struct nlattr *prev = NULL;
	struct cidr_range r;
	struct cidr_addr key;
	bool end, pending = false, found = false;
	int left = (int)len;
	int family, id;
	size_t off;

	out[0] = '\0';
	if (err->attr_off == 0)
		return;
	while (mnl_nlmsg_ok(m, left) && m->nlmsg_seq != err->seq)
		m = mnl_nlmsg_next(m, &left);
	if (!mnl_nlmsg_ok(m, left))
		return;
	id = kset_msg_set(m);
	if (id < 0)
		return;
	family = listsets[id].family;
	mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			if (kset_elem_key(el, family, &key, &end) < 0)
				continue;
			if (pending) {
				/* The refused start element; its end follows, if any. */
				if (end)
					r.last = cidr_addr_dec(key);
				break;
			}
			off = (size_t)((const char *)el - (const char *)m);
			if (err->attr_off >= off && err->attr_off < off + el->nla_len) {
				found = true;
				if (end && prev != NULL &&
				    kset_elem_key(prev, family, &r.first, &end) == 0) {
					r.last = cidr_addr_dec(key);
					break;
				}
				r.first = key;
				r.last = listsets[id].kind == LISTSET_HOSTS ? key
									    : cidr_addr_max(family);
				if (listsets[id].kind == LISTSET_HOSTS)
					break;
				pending = true;
			}
			prev = el;
		}
	}
	if (found)
		cidr_range_format(&r, family, out, outlen);
}

static int kset_gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	}
	return MNL_CB_OK;
}

int kset_genid(struct nftx *x, uint32_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	*gen = 0;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, 0);
	return nftx_dump(x, nlh, kset_gen_cb, gen);
}

uint32_t kset_gen_ours(struct nftx *x, uint32_t before, bool committed)
{
	uint32_t after = 0;

	if (before == 0 || kset_genid(x, &after) < 0 || after != before + (committed ? 1 : 0))
		return 0;
	return after;
}

int kset_commit(struct nftx *x, const struct kset_op *ops, size_t nops, int64_t now,
		struct kset_refusal *ref)
{
	struct mnl_nlmsg_batch *b;
	struct nftx_error err;
	size_t limit = kset_batch_size(ops, nops);
	uint32_t seq = nftx_seq(x);
	void *buf = kset_batch_alloc(limit, &b);
	int rc = -1;

	memset(ref, 0, sizeof(*ref));
	if (buf == NULL) {
		log_warn("batch of %zu bytes", limit);
		return -1;
	}
	if (kset_build(b, &seq, ops, nops, now) < 0) {
		log_warn("building the batch");
		goto out;
	}
	if (nftx_send(x, b, &err) < 0) {
		if (err.count == 0) {
			log_warn("sending the batch");
			goto out;
		}
		kset_describe_error(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &err,
				    ref->elem, sizeof(ref->elem));
		ref->error = err.error;
		snprintf(ref->what, sizeof(ref->what), "%s", err.what);
		log_warnx("transaction refused: %s%s%s: %s (%u messages refused); the sets are "
			  "unchanged",
			  err.what, ref->elem[0] != '\0' ? ", element " : "", ref->elem,
			  strerror(err.error), err.count);
		goto out;
	}
	rc = 0;
out:
	mnl_nlmsg_batch_stop(b);
	free(buf);
	return rc;
}

int kset_have(struct nftx *x, const char *snap, int64_t now, struct cidr_set have[LISTSET_COUNT],
	      uint32_t *gen, bool *from_snap, const char **missing)
{
	int i, loaded;

	*missing = NULL;
	if (kset_genid(x, gen) < 0)
		*gen = 0;
	loaded = snap != NULL ? snap_load(snap, *gen, have) : 0;
	if (loaded < 0)
		return -1;
	*from_snap = loaded == 1;
	for (i = 0; i < LISTSET_COUNT && loaded == 0; i++) {
		if (kset_dump(x, (enum listset_id)i, now, &have[i]) == 0)
			continue;
		if (errno == ENOENT)
			*missing = listsets[i].name;
		return -1;
	}
	return 0;
}
