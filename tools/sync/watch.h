/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_tables change notifications: who else touched table inet nftarpit's lists. */
#ifndef NFTARPIT_WATCH_H
#define NFTARPIT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* A NETLINK_NETFILTER socket in the nf_tables multicast group; opaque. */
struct watch;

/* What one drain found. */
struct watch_news {
	bool touched; /* another socket changed table inet nftarpit or its list sets */
	bool lost;    /* the socket overflowed (ENOBUFS): notifications are missing */
	char who[64]; /* the first such change, e.g. "deltable", "delsetelem blockhost4" */
	uint32_t who_portid;
};

/* What a notification means to us. */
enum watch_kind {
	WATCH_OTHER,   /* not about our lists, or our own */
	WATCH_TOUCHED, /* someone else changed our table or a list set */
	WATCH_NEWGEN,  /* the end of a transaction: *gen holds the new generation */
};

/*
 * Classify one notification: table inet nftarpit created or deleted, a list set
 * (lib/listset: blockhost4/6, blocknet4/6, allowlist4/6) created, deleted, flushed or
 * changed, by a socket other than portid and other than the kernel itself (port 0: garbage
 * collection of timed-out elements is the kernel's, not a change of mind). Chains, rules and set
 * ports do not count: they hold no list. Pure; what, if not NULL, gets a short description.
 */
enum watch_kind watch_classify(const struct nlmsghdr *nlh, uint32_t portid, uint32_t *gen,
			       char *what, size_t whatlen);

/* The transaction whose notifications are being read (it ends with its NEWGEN). */
struct watch_txn {
	bool touched; /* it changed our lists, or notifications were lost within it */
	char who[64];
	uint32_t portid;
};

/*
 * The notifications of one datagram, in order, into news; the pure part of watch_drain().
 * t carries the transaction not yet ended across datagrams. At its NEWGEN (generation g):
 * if it touched our lists and g is later than *gen, news reports it; a transaction at or
 * before *gen is one our view already covers (our full re-apply flushed and refilled after
 * it), so it is not news, which keeps a big foreign flush, read in several parts, from
 * costing several re-applies. A transaction that touched nothing of ours and directly
 * follows *gen moves *gen on (commits into other tables).
 */
void watch_feed(struct watch_txn *t, const void *buf, size_t len, uint32_t portid, uint32_t *gen,
		struct watch_news *news);

/* Open and join NFNLGRP_NFTABLES, non-blocking. NULL with errno. */
struct watch *watch_open(void);
void watch_close(struct watch *w);

/*
 * Have the kernel drop the notifications of portid's own transactions (our nftx socket),
 * so that our big commits cannot overflow the socket. 0, or -1 with errno; without it
 * watch_classify() still tells them apart, only less cheaply.
 */
int watch_ignore_port(struct watch *w, uint32_t portid);
/* The socket, for poll(). */
int watch_fd(const struct watch *w);

/* Sleep up to ms, woken early by a notification; w NULL: just sleep. */
void watch_wait(struct watch *w, int ms);

/*
 * Read every queued notification. *gen is the generation our view of the sets is valid for
 * (0 unknown): a transaction by anyone that touched none of our lists and follows it
 * directly moves it on, so commits into other tables do not cost a full re-apply. 0, or
 * -1 with errno (the socket failed; ENOBUFS is not a failure but news->lost).
 */
int watch_drain(struct watch *w, uint32_t portid, uint32_t *gen, struct watch_news *news);

#endif
