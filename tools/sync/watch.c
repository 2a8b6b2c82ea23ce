// SPDX-License-Identifier: GPL-2.0-or-later
/* nf_tables change notifications: who else touched table inet nftarpit's lists. */
#include "watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "ruleset.h"
#include "listset.h"

struct watch {
	struct mnl_socket *nl;
	struct watch_txn txn; /* see watch_feed() */
	uint32_t ignored;     /* the port the socket filter drops, 0 none */
	char buf[64 * 1024];  /* a notification skb is at most a page or two; room to spare */
};

/* The receive buffer: a flush of a big set notifies every element, so make room. */
#define WATCH_RCVBUF (8 * 1024 * 1024)

static bool watch_our_set(const char *name)
{
	return listset_find(name) >= 0;
}

struct watch_attrs {
	const struct nlattr *table;
	const struct nlattr *set;
	const struct nlattr *gen;
	uint16_t table_type;
	uint16_t set_type;
	uint16_t gen_type;
};

static int watch_attr_cb(const struct nlattr *a, void *data)
{
	struct watch_attrs *w = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t == w->table_type && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		w->table = a;
	else if (w->set_type != 0 && t == w->set_type &&
		 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		w->set = a;
	else if (w->gen_type != 0 && t == w->gen_type && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		w->gen = a;
	return MNL_CB_OK;
}

enum watch_kind watch_classify(const struct nlmsghdr *nlh, uint32_t portid, uint32_t *gen,
			       char *what, size_t whatlen)
{
	static const struct {
		uint16_t msg;
		const char *name;
		uint16_t table, set;
	} kinds[] = {
		{NFT_MSG_NEWTABLE, "newtable", NFTA_TABLE_NAME, 0},
		{NFT_MSG_DELTABLE, "deltable", NFTA_TABLE_NAME, 0},
		{NFT_MSG_NEWSET, "newset", NFTA_SET_TABLE, NFTA_SET_NAME},
		{NFT_MSG_DELSET, "delset", NFTA_SET_TABLE, NFTA_SET_NAME},
		{NFT_MSG_NEWSETELEM, "newsetelem", NFTA_SET_ELEM_LIST_TABLE,
		 NFTA_SET_ELEM_LIST_SET},
		{NFT_MSG_DELSETELEM, "delsetelem", NFTA_SET_ELEM_LIST_TABLE,
		 NFTA_SET_ELEM_LIST_SET},
	};
	const struct nfgenmsg *g;
	struct watch_attrs a;
	uint16_t msg;
	size_t i;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return WATCH_OTHER;
	msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
	g = mnl_nlmsg_get_payload(nlh);
	memset(&a, 0, sizeof(a));
	if (msg == NFT_MSG_NEWGEN) {
		a.table_type = NFTA_GEN_UNSPEC;
		a.gen_type = NFTA_GEN_ID;
		if (mnl_attr_parse(nlh, sizeof(*g), watch_attr_cb, &a) < 0 || a.gen == NULL)
			return WATCH_OTHER;
		*gen = ntohl(mnl_attr_get_u32(a.gen));
		return WATCH_NEWGEN;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].msg == msg)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]) || nlh->nlmsg_pid == portid ||
	    nlh->nlmsg_pid == 0 || g->nfgen_family != NFPROTO_INET)
		return WATCH_OTHER;
	a.table_type = kinds[i].table;
	a.set_type = kinds[i].set;
	if (mnl_attr_parse(nlh, sizeof(*g), watch_attr_cb, &a) < 0 || a.table == NULL ||
	    strcmp(mnl_attr_get_str(a.table), RULESET_TABLE) != 0)
		return WATCH_OTHER;
	if (a.set_type != 0 && (a.set == NULL || !watch_our_set(mnl_attr_get_str(a.set))))
		return WATCH_OTHER;
	if (what != NULL)
		snprintf(what, whatlen, "%s%s%s", kinds[i].name, a.set != NULL ? " " : "",
			 a.set != NULL ? mnl_attr_get_str(a.set) : "");
	return WATCH_TOUCHED;
}

struct watch *watch_open(void)
{
	struct watch *w = calloc(1, sizeof(*w));
	int size = WATCH_RCVBUF;
	int saved;

	if (w == NULL)
		return NULL;
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (w->nl == NULL)
		goto err_free;
	if (mnl_socket_bind(w->nl, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	/* FORCE needs CAP_NET_ADMIN, which the sync has; else the plain limit applies. */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) <
	    0)
		(void)setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	return w;

err_close:
	saved = errno;
	mnl_socket_close(w->nl);
	errno = saved;
err_free:
	saved = errno;
	free(w);
	errno = saved;
	return NULL;
}

/*
 * A socket filter drops the notifications of our own transactions before they are queued:
 * a full re-apply of a million elements notifies each one, and those alone would overflow
 * the socket (ENOBUFS) and hide a foreign change among them. The kernel puts one
 * transaction's notifications, all stamped with the committer's port, into one datagram,
 * so the first header decides. Classic BPF loads words in network order, hence ntohl().
 */
int watch_ignore_port(struct watch *w, uint32_t portid)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(portid), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		return -1;
	w->ignored = portid;
	return 0;
}

void watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	mnl_socket_close(w->nl);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

void watch_feed(struct watch_txn *t, const void *buf, size_t len, uint32_t portid, uint32_t *gen,
		struct watch_news *news)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	uint32_t g = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		switch (watch_classify(nlh, portid, &g, t->touched ? NULL : t->who,
				       sizeof(t->who))) {
		case WATCH_TOUCHED:
			if (!t->touched)
				t->portid = nlh->nlmsg_pid;
			t->touched = true;
			break;
		case WATCH_NEWGEN:
			if (t->touched && (*gen == 0 || g > *gen) && !news->touched) {
				news->touched = true;
				memcpy(news->who, t->who, sizeof(news->who));
				news->who_portid = t->portid;
			} else if (!t->touched && *gen != 0 && g == *gen + 1) {
				*gen = g;
			}
			memset(t, 0, sizeof(*t));
			break;
		case WATCH_OTHER:
			break;
		}
	}
}

int watch_drain(struct watch *w, uint32_t portid, uint32_t *gen, struct watch_news *news)
{
	ssize_t n;

	memset(news, 0, sizeof(*news));
	/*
	 * Our port moves when our transactions start or stop going through nftarpitd's lease
	 * (its socket owns the table): the filter follows. What came before is told apart by
	 * portid below.
	 */
	if (w->ignored != 0 && portid != w->ignored)
		(void)watch_ignore_port(w, portid);
	for (;;) {
		n = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* Lost notifications: the transaction in progress is unknown too. */
			news->lost = true;
			w->txn.touched = true;
			snprintf(w->txn.who, sizeof(w->txn.who), "notifications lost");
			continue;
		}
		if (n < 0)
			return -1;
		watch_feed(&w->txn, w->buf, (size_t)n, portid, gen, news);
	}
}

void watch_wait(struct watch *w, int ms)
{
	struct timespec tick = {ms / 1000, (long)(ms % 1000) * 1000 * 1000};
	struct pollfd p;

	if (w == NULL) {
		(void)nanosleep(&tick, NULL);
		return;
	}
	p.fd = mnl_socket_get_fd(w->nl);
	p.events = POLLIN;
	p.revents = 0;
	(void)poll(&p, 1, ms);
}
