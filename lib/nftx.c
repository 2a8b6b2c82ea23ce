// SPDX-License-Identifier: GPL-2.0-or-later
/* nf_tables netlink transactions: one batch out, every ack checked, errors name the object. */
#include "nftx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "lease.h"
#include "ruleset.h"

struct nftx {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool direct;	      /* never ask for nftarpitd's lease */
	uint32_t lent_portid; /* nftarpitd's port: the table's owner when we opened, or the
				 lease our last transaction used; 0 none */
	bool leased;	      /* our last transaction went through the lease */
};

/*
 * SOCK_CLOEXEC: nftarpitctl never runs children with our netlink socket.
 * NETLINK_CAP_ACK: an error ack would otherwise echo the whole refused message; we find it
 * in our own buffer by sequence number instead, so acks stay small and many fit the buffer.
 */
static struct nftx *nftx_open_mode(bool direct)
{
	struct nftx *x;
	int one = 1;
	int saved;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->direct = direct;
	x->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (x->nl == NULL)
		goto err_free;
	if (mnl_socket_bind(x->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	(void)mnl_socket_setsockopt(x->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/*
	 * NETLINK_EXT_ACK: an error ack then also carries the offset of the attribute the
	 * kernel refused (for set elements: the element), which names it precisely.
	 */
	(void)mnl_socket_setsockopt(x->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	x->portid = mnl_socket_get_portid(x->nl);
	x->seq = (uint32_t)time(NULL);
	return x;

err_close:
	saved = errno;
	mnl_socket_close(x->nl);
	errno = saved;
err_free:
	saved = errno;
	free(x);
	errno = saved;
	return NULL;
}

struct nftx *nftx_open_direct(void)
{
	return nftx_open_mode(true);
}

/*
 * Before any transaction, the port of nftarpitd's socket if it owns the table: a caller
 * filtering its own notifications (nftarpit-sync --follow) needs it from the start.
 */
struct nftx *nftx_open(void)
{
	struct ruleset_table_info t;
	struct nftx *x = nftx_open_mode(false);

	if (x != NULL && ruleset_table_get(x, &t) == 0 && t.owner != 0 && t.owner != x->portid)
		x->lent_portid = t.owner;
	return x;
}

uint32_t nftx_portid(const struct nftx *x)
{
	return x->lent_portid != 0 ? x->lent_portid : x->portid;
}

bool nftx_leased(const struct nftx *x)
{
	return x->leased;
}

int nftx_fd(const struct nftx *x)
{
	return mnl_socket_get_fd(x->nl);
}

void nftx_drain(struct nftx *x)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	do
		n = recv(mnl_socket_get_fd(x->nl), buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0 || (n < 0 && errno == EINTR));
}

void nftx_close(struct nftx *x)
{
	if (x == NULL)
		return;
	mnl_socket_close(x->nl);
	free(x);
}

uint32_t nftx_seq(const struct nftx *x)
{
	return x->seq;
}

int nftx_batch_next(struct mnl_nlmsg_batch *b)
{
	if (!mnl_nlmsg_batch_next(b)) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* BATCH_BEGIN opens an nf_tables transaction: everything until BATCH_END commits as one. */
int nftx_batch_begin(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), (*seq)++);
	return nftx_batch_next(b);
}

int nftx_batch_end(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(b), (*seq)++);
	return nftx_batch_next(b);
}

static const char *nftx_family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	default:
		return "unknown";
	}
}

/* The string attribute 'type' of an nf_tables message, or "?" when absent. */
static const char *nftx_attr_str(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == type && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	}
	return "?";
}

static bool nftx_has_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == type)
			return true;
	}
	return false;
}

/* 1-based position of rule message nlh among the NEWRULE messages for its chain in buf. */
static unsigned int nftx_rule_index(const void *buf, size_t len, const struct nlmsghdr *nlh)
{
	const struct nlmsghdr *m = buf;
	const char *chain = nftx_attr_str(nlh, NFTA_RULE_CHAIN);
	unsigned int n = 0;
	int left = (int)len;

	while (mnl_nlmsg_ok(m, left)) {
		if (m->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE) &&
		    strcmp(nftx_attr_str(m, NFTA_RULE_CHAIN), chain) == 0)
			n++;
		if (m == nlh)
			break;
		m = mnl_nlmsg_next(m, &left);
	}
	return n;
}

void nftx_describe(const void *buf, size_t len, const struct nlmsghdr *nlh, char *out,
		   size_t outlen)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	uint16_t subsys = nlh->nlmsg_type >> 8;
	uint16_t msg = nlh->nlmsg_type & 0xff;

	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
		snprintf(out, outlen, "batch");
		return;
	}
	if (subsys != NFNL_SUBSYS_NFTABLES) {
		snprintf(out, outlen, "message type 0x%04x", nlh->nlmsg_type);
		return;
	}
	switch (msg) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE:
		snprintf(out, outlen, "%stable %s %s", msg == NFT_MSG_DELTABLE ? "delete " : "",
			 nftx_family_name(nfg->nfgen_family), nftx_attr_str(nlh, NFTA_TABLE_NAME));
		break;
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
		snprintf(out, outlen, "%schain %s", msg == NFT_MSG_DELCHAIN ? "delete " : "",
			 nftx_attr_str(nlh, NFTA_CHAIN_NAME));
		break;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
		snprintf(out, outlen, "%sset %s", msg == NFT_MSG_DELSET ? "delete " : "",
			 nftx_attr_str(nlh, NFTA_SET_NAME));
		break;
	case NFT_MSG_NEWRULE:
		snprintf(out, outlen, "rule %u of chain %s", nftx_rule_index(buf, len, nlh),
			 nftx_attr_str(nlh, NFTA_RULE_CHAIN));
		break;
	case NFT_MSG_DELRULE:
		if (nftx_has_attr(nlh, NFTA_RULE_HANDLE))
			snprintf(out, outlen, "delete rule of chain %s",
				 nftx_attr_str(nlh, NFTA_RULE_CHAIN));
		else
			snprintf(out, outlen, "flush chain %s",
				 nftx_attr_str(nlh, NFTA_RULE_CHAIN));
		break;
	case NFT_MSG_NEWSETELEM:
		snprintf(out, outlen, "elements of set %s",
			 nftx_attr_str(nlh, NFTA_SET_ELEM_LIST_SET));
		break;
	case NFT_MSG_DELSETELEM:
		if (nftx_has_attr(nlh, NFTA_SET_ELEM_LIST_ELEMENTS))
			snprintf(out, outlen, "delete elements of set %s",
				 nftx_attr_str(nlh, NFTA_SET_ELEM_LIST_SET));
		else
			snprintf(out, outlen, "flush set %s",
				 nftx_attr_str(nlh, NFTA_SET_ELEM_LIST_SET));
		break;
	default:
		snprintf(out, outlen, "nf_tables message %u", msg);
		break;
	}
}

/* The message of the batch with sequence number seq, or NULL. */
static const struct nlmsghdr *nftx_find(const void *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *m = buf;
	int left = (int)len;

	while (mnl_nlmsg_ok(m, left)) {
		if (m->nlmsg_seq == seq)
			return m;
		m = mnl_nlmsg_next(m, &left);
	}
	return NULL;
}

/*
 * The kernel processes a batch synchronously inside our sendmsg(), and it queues one ack per
 * NLM_F_ACK message (errors included, all delivered at the end of the batch). Each ack skb
 * costs about 1 KiB of receive buffer, so size the buffer for the batch before sending: an
 * overrun would lose acks, and an unchecked change is exactly what we must not have.
 * SO_RCVBUFFORCE (CAP_NET_ADMIN, which a batch needs anyway) ignores net.core.rmem_max.
 */
static void nftx_size_rcvbuf(struct nftx *x, unsigned int nmsg)
{
	int fd = mnl_socket_get_fd(x->nl);
	int size = (int)(nmsg + 16) * 1024;

	if (size < 256 * 1024)
		size = 256 * 1024;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/*
 * The NLMSGERR_ATTR_OFFS of an extended error ack, 0 if absent. With NETLINK_CAP_ACK the
 * ack holds only the header of the refused message, so the TLVs follow struct nlmsgerr.
 */
static uint32_t nftx_ack_offset(const struct nlmsghdr *ack)
{
	const struct nlattr *a;
	size_t off = sizeof(struct nlmsgerr);

	if (!(ack->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	mnl_attr_for_each(a, ack, off)
	{
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			return mnl_attr_get_u32(a);
	}
	return 0;
}

/*
 * Record one ack and keep the first error. An error on the BEGIN message is about the whole
 * batch (no CAP_NET_ADMIN, malformed batch): the kernel then acks nothing else, and the
 * description "batch" says so.
 */
static void nftx_ack(const void *buf, size_t len, const struct nlmsghdr *ack, uint32_t first,
		     unsigned int nmsg, uint8_t *acked, struct nftx_error *err)
{
	const struct nlmsgerr *e;
	const struct nlmsghdr *orig;

	if (ack->nlmsg_type != NLMSG_ERROR || ack->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
		return;
	e = mnl_nlmsg_get_payload(ack);
	if (ack->nlmsg_seq - first < nmsg)
		acked[ack->nlmsg_seq - first] = 1;
	if (e->error == 0)
		return;
	orig = nftx_find(buf, len, ack->nlmsg_seq);
	if (err->count++ > 0)
		return;
	err->error = -e->error;
	err->seq = ack->nlmsg_seq;
	err->attr_off = nftx_ack_offset(ack);
	if (orig != NULL)
		nftx_describe(buf, len, orig, err->what, sizeof(err->what));
	else
		snprintf(err->what, sizeof(err->what), "message seq %u", ack->nlmsg_seq);
}

/*
 * netlink_sendmsg() refuses a message larger than the socket's send buffer, and a batch of
 * a million set elements is tens of megabytes in one sendmsg(): raise the buffer to fit.
 * SO_SNDBUFFORCE needs CAP_NET_ADMIN, which the batch needs anyway.
 */
static void nftx_size_sndbuf(struct nftx *x, size_t len)
{
	int fd = mnl_socket_get_fd(x->nl);
	int size;

	if (len < 128 * 1024 || len > INT32_MAX / 2)
		return;
	size = (int)len + 64 * 1024;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int nftx_send_on(struct nftx *x, struct mnl_nlmsg_batch *b, struct nftx_error *err)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	const void *buf = mnl_nlmsg_batch_head(b);
	size_t len = mnl_nlmsg_batch_size(b);
	const struct nlmsghdr *m = buf;
	uint8_t *acked = NULL;
	uint32_t first = 0;
	unsigned int nmsg = 0;
	int left = (int)len;
	int rc = -1;
	int saved = 0;
	ssize_t n;

	memset(err, 0, sizeof(*err));
	if (len == 0 || !mnl_nlmsg_ok(m, left)) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * Sequence numbers must run consecutively from BEGIN's, so that an ack's seq indexes
	 * the message it answers. Every message but BEGIN/END must ask for an ack.
	 */
	first = m->nlmsg_seq;
	while (mnl_nlmsg_ok(m, left)) {
		if (m->nlmsg_seq != first + nmsg ||
		    (m->nlmsg_type != NFNL_MSG_BATCH_BEGIN && m->nlmsg_type != NFNL_MSG_BATCH_END &&
		     !(m->nlmsg_flags & NLM_F_ACK))) {
			errno = EINVAL;
			return -1;
		}
		nmsg++;
		m = mnl_nlmsg_next(m, &left);
	}
	acked = calloc(nmsg, 1);
	if (acked == NULL)
		return -1;
	nftx_size_rcvbuf(x, nmsg);
	nftx_size_sndbuf(x, len);
	if (mnl_socket_sendto(x->nl, buf, len) < 0) {
		saved = errno;
		goto out;
	}

	for (;;) {
		n = recv(mnl_socket_get_fd(x->nl), rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			/* ENOBUFS: acks were lost; we can no longer vouch for the batch. */
			saved = errno;
			goto out;
		}
		m = (const struct nlmsghdr *)rbuf;
		left = (int)n;
		while (mnl_nlmsg_ok(m, left)) {
			if (m->nlmsg_pid == x->portid || m->nlmsg_pid == 0)
				nftx_ack(buf, len, m, first, nmsg, acked, err);
			m = mnl_nlmsg_next(m, &left);
		}
	}
	x->seq = first + nmsg;
	if (err->count > 0) {
		saved = err->error;
		goto out;
	}
	/* Every message but BEGIN/END must have been acked. */
	m = buf;
	left = (int)len;
	while (mnl_nlmsg_ok(m, left)) {
		if (m->nlmsg_type != NFNL_MSG_BATCH_BEGIN && m->nlmsg_type != NFNL_MSG_BATCH_END &&
		    !acked[m->nlmsg_seq - first]) {
			err->count = 1;
			err->error = EPROTO;
			err->seq = m->nlmsg_seq;
			nftx_describe(buf, len, m, err->what, sizeof(err->what));
			saved = EPROTO;
			goto out;
		}
		m = mnl_nlmsg_next(m, &left);
	}
	rc = 0;
out:
	free(acked);
	if (saved != 0)
		errno = saved;
	return rc;
}

/*
 * nftarpitd's socket as an nftx of its own in *lent. 0 with the lease held, 1 when there is
 * none (err->note says why, "" when no daemon listens), -1 when the daemon failed to answer
 * (note too).
 */
static int nftx_lease_open(struct nftx *x, struct lease *l, struct nftx *lent,
			   struct nftx_error *err)
{
	struct ruleset_table_info t;
	int rc = lease_take(l);

	if (rc != 0) {
		snprintf(err->note, sizeof(err->note), "%s", l->why);
		return rc;
	}
	/*
	 * Anyone may bind an abstract name before nftarpitd does: a lease is used only from the
	 * table's owner (or while there is no owner, when it can do no harm).
	 */
	if (ruleset_table_get(x, &t) < 0 || (t.owner != 0 && t.owner != l->portid)) {
		snprintf(err->note, sizeof(err->note),
			 "lease of netlink port %u not used: the table's owner is port %u",
			 l->portid, t.owner);
		lease_return(l);
		return 1;
	}
	memset(lent, 0, sizeof(*lent));
	lent->nl = mnl_socket_fdopen(l->fd);
	if (lent->nl == NULL) {
		snprintf(err->note, sizeof(err->note), "lent socket: %s", strerror(errno));
		lease_return(l);
		return -1;
	}
	l->fd = -1; /* closed with lent->nl */
	lent->portid = l->portid;
	lent->seq = x->seq;
	lent->direct = true;
	nftx_drain(lent);
	return 0;
}

/*
 * Through nftarpitd's lease when it owns the table, else directly. A direct batch refused
 * with EPERM is tried once more: nftarpitd may have claimed the table in between.
 */
int nftx_send(struct nftx *x, struct mnl_nlmsg_batch *b, struct nftx_error *err)
{
	char note[sizeof(err->note)] = "";
	struct nftx lent;
	struct lease l;
	int attempt, rc = -1;
	int saved;

	for (attempt = 0; attempt < 2; attempt++) {
		memset(err, 0, sizeof(*err));
		if (!x->direct && nftx_lease_open(x, &l, &lent, err) == 0) {
			rc = nftx_send_on(&lent, b, err);
			saved = errno;
			x->seq = lent.seq;
			x->lent_portid = lent.portid;
			x->leased = true;
			mnl_socket_close(lent.nl);
			lease_return(&l);
			errno = saved;
			return rc;
		}
		snprintf(note, sizeof(note), "%s", err->note);
		x->lent_portid = 0;
		x->leased = false;
		rc = nftx_send_on(x, b, err);
		snprintf(err->note, sizeof(err->note), "%s", note);
		if (rc == 0 || x->direct || err->count == 0 || err->error != EPERM)
			break;
	}
	return rc;
}

/* Larger than any dump skb the kernel builds (at most 32 KiB), so nothing is truncated. */
#define NFTX_DUMP_BUF (64 * 1024)

int nftx_dump(struct nftx *x, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *, void *),
	      void *data)
{
	char *buf;
	uint32_t seq = x->seq++;
	ssize_t n;
	int rc;
	int saved;

	buf = malloc(NFTX_DUMP_BUF);
	if (buf == NULL)
		return -1;
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(x->nl, req, req->nlmsg_len) < 0)
		goto err_free;
	for (;;) {
		n = mnl_socket_recvfrom(x->nl, buf, NFTX_DUMP_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_free;
		rc = mnl_cb_run(buf, (size_t)n, seq, x->portid, cb, data);
		if (rc < 0)
			goto err_free;
		if (rc == MNL_CB_STOP)
			break;
	}
	free(buf);
	return 0;

err_free:
	saved = errno;
	free(buf);
	errno = saved;
	return -1;
}

int nftx_send_one(struct nftx *x, nftx_build_fn build, void *arg, struct nftx_error *err)
{
	struct mnl_nlmsg_batch *b;
	uint32_t seq = nftx_seq(x);
	char *buf;
	int saved = ENOMEM;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	buf = calloc(1, NFTX_BATCH_SIZE);
	if (buf == NULL)
		return -1;
	b = mnl_nlmsg_batch_start(buf, NFTX_BATCH_SIZE / 2);
	if (b == NULL)
		goto free_buf;
	if (build(b, &seq, arg) == 0)
		rc = nftx_send(x, b, err);
	saved = errno;
	mnl_nlmsg_batch_stop(b);
free_buf:
	free(buf);
	errno = saved;
	return rc;
}

struct nftx_probe_arg {
	int (*build)(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *probe_seq);
	uint32_t probe_seq;
};

static int nftx_probe_build(struct mnl_nlmsg_batch *b, uint32_t *seq, void *arg)
{
	struct nftx_probe_arg *p = arg;

	return p->build(b, seq, &p->probe_seq);
}

int nftx_probe(struct nftx *x,
	       int (*build)(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *probe_seq),
	       int absent, struct nftx_error *err)
{
	struct nftx_probe_arg p = {.build = build};

	if (nftx_send_one(x, nftx_probe_build, &p, err) == 0)
		return 1;
	if (err->count > 0 && err->seq == p.probe_seq && err->error == absent)
		return 0;
	return -1;
}
