/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_tables netlink transactions: one batch out, every ack checked, errors name the object. */
#ifndef NFTARPIT_NFTX_H
#define NFTARPIT_NFTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_nlmsg_batch;
struct nlmsghdr;

/* Room for a batch of a few hundred messages; callers may use bigger buffers. */
#define NFTX_BATCH_SIZE (64 * 1024)

/* A NETLINK_NETFILTER socket; opaque. */
struct nftx;

/* The first message of a batch that the kernel refused, described for a human. */
struct nftx_error {
	int error;	    /* positive errno */
	uint32_t seq;	    /* sequence number of the refused message */
	unsigned int count; /* messages refused in this batch, >= 1 */
	char what[128];	    /* e.g. "set blocklist4", "rule 2 of chain prerouting" */
	uint32_t attr_off;  /* extended ack: offset of the refused attribute in that message,
			       0 if the kernel did not say */
	char note[192];	    /* why the batch went without nftarpitd's lease, "" if it did not */
};

/*
 * Open the socket; NULL with errno on failure. Its transactions (nftx_send()) go through
 * nftarpitd's socket when nftarpitd owns table inet nftarpit (lib/lease.h: one lease per
 * transaction), else through this one; reads (nftx_dump()) always through this one, since
 * the kernel lets anyone read an owned table.
 */
struct nftx *nftx_open(void);
/* The same, but never leased: nftarpitd's own socket. */
struct nftx *nftx_open_direct(void);
void nftx_close(struct nftx *x);

/*
 * The netlink port id our transactions' nf_tables notifications carry as nlmsg_pid, which
 * tells our own changes from anyone else's: nftarpitd's when the last transaction went
 * through its lease (or, before the first, when it owns the table now), else our socket's.
 */
uint32_t nftx_portid(const struct nftx *x);

/* Whether our last transaction went through nftarpitd's lease. */
bool nftx_leased(const struct nftx *x);

/* The socket's descriptor (nftarpitd lends it). */
int nftx_fd(const struct nftx *x);

/* Read and drop whatever waits on the socket: acks a former holder left unread. */
void nftx_drain(struct nftx *x);

/* A sequence number to start a batch with (the socket's running counter). */
uint32_t nftx_seq(const struct nftx *x);

/*
 * Batch framing in a caller-owned mnl batch. Each returns 0, or -1 with errno ENOSPC when the
 * buffer is full (the transaction would have to be split, which is never what we want).
 * nftx_batch_next() must follow every message the caller puts at mnl_nlmsg_batch_current().
 */
int nftx_batch_begin(struct mnl_nlmsg_batch *b, uint32_t *seq);
int nftx_batch_next(struct mnl_nlmsg_batch *b);
int nftx_batch_end(struct mnl_nlmsg_batch *b, uint32_t *seq);

/*
 * Send the batch in one sendmsg() and drain the acks of every message in it (each must carry
 * NLM_F_ACK). Returns 0 when every message was acked with success; otherwise -1 with errno
 * and, if the kernel refused a message, *err describes the first one. A batch without
 * BATCH_END is validated by the kernel and then aborted: the acks still tell what would fail.
 */
int nftx_send(struct nftx *x, struct mnl_nlmsg_batch *b, struct nftx_error *err);

/* Puts one transaction's messages into b (seq: the next sequence number); 0 or -1. */
typedef int (*nftx_build_fn)(struct mnl_nlmsg_batch *b, uint32_t *seq, void *arg);

/*
 * Build one batch with build(b, seq, arg) in a buffer of its own and send it (nftx_send());
 * for the one-shot transactions (probes, the daemon's claim, the teardown). 0, or -1 with
 * errno and, if the kernel refused a message, *err (zeroed first).
 */
int nftx_send_one(struct nftx *x, nftx_build_fn build, void *arg, struct nftx_error *err);

/*
 * Ask the kernel whether it has a feature: build() puts a batch that is never committed
 * (no BATCH_END) and sets *probe_seq to the message that tests the feature. 1 when the
 * kernel accepts it, 0 when it refuses that message with errno absent (what a kernel without
 * the feature answers), -1 with errno and *err when the probe itself failed (e.g. EPERM).
 */
int nftx_probe(struct nftx *x,
	       int (*build)(struct mnl_nlmsg_batch *b, uint32_t *seq, uint32_t *probe_seq),
	       int absent, struct nftx_error *err);

/*
 * Describe message nlh of the batch starting at buf (len bytes) for an error message:
 * "table inet nftarpit", "set ports", "elements of set ports", "flush chain output",
 * "rule 2 of chain prerouting". Pure; used by nftx_send() and the tests.
 */
void nftx_describe(const void *buf, size_t len, const struct nlmsghdr *nlh, char *out,
		   size_t outlen);

/*
 * Send one dump request (NLM_F_DUMP, built by the caller with any seq) and call cb for every
 * message of the reply until NLMSG_DONE. Returns 0, or -1 with errno (the kernel's error,
 * e.g. ENOENT when the table or set does not exist, or cb's errno when it returned
 * MNL_CB_ERROR).
 */
int nftx_dump(struct nftx *x, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *, void *),
	      void *data);

#endif
