/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's interval sets: read them back, diff against the wanted ranges, one batch. */
#ifndef NFTARPIT_KSET_H
#define NFTARPIT_KSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "listset.h"

struct mnl_nlmsg_batch;
struct nftx;
struct nftx_error;

/*
 * Bytes of element attributes per NEWSETELEM/DELSETELEM message. The elements sit in one
 * nested attribute whose length is 16 bits, so a message must stay under 64 KiB; splitting
 * at 32 KiB keeps each message one kernel page allocation order lower and still needs only
 * a few thousand messages (and acks) for a million ranges. Both ends of a range always go
 * in the same message.
 */
#define KSET_MSG_ELEMS_MAX (32 * 1024)

/*
 * Tags of ranges are expiry times (seconds since the epoch), 0 = never. The kernel holds
 * a remaining time; two expiries closer than this are the same, so that a run with nothing
 * new changes nothing.
 */
#define KSET_EXPIRY_SLACK 120

/* One set's change: what to delete and what to add; kept counts the rest. */
struct kset_diff {
	struct cidr_set del;
	struct cidr_set add;
	size_t kept;
	size_t refreshed; /* in both del and add: same range, new expiry */
};

void kset_diff_init(struct kset_diff *d, int family);
void kset_diff_free(struct kset_diff *d);

/*
 * Compare the kernel's ranges (have) with the wanted ones (want), both merged. A range in
 * both with expiries within KSET_EXPIRY_SLACK is kept; with different expiries it is
 * deleted and re-added in the same batch (kernels before 6.12 ignore a new timeout on an
 * existing element); anything else in have is deleted and in want added. 0 or -1 (ENOMEM).
 */
int kset_diff_compute(const struct cidr_set *have, const struct cidr_set *want,
		      struct kset_diff *d);

/*
 * Read list set id of table inet nftarpit into out: one range per element (hosts) or per
 * interval (ranges) the kernel holds, sorted, adjacent ones not joined; tags = expiry
 * computed from the remaining time and now. 0, or -1 with errno (ENOENT: no such table or
 * set).
 */
int kset_dump(struct nftx *x, enum listset_id id, int64_t now, struct cidr_set *out);

/* kset_dump() of any set of ours by name, family and kind (the layout before issue 16). */
int kset_dump_named(struct nftx *x, const char *name, enum listset_kind kind, int64_t now,
		    struct cidr_set *out);

/* Whether set name exists in table inet nftarpit: 1, 0, or -1 with errno. */
int kset_exists(struct nftx *x, const char *name);

/* The ruleset generation id: every committed transaction increments it. 0 or -1. */
int kset_genid(struct nftx *x, uint32_t *gen);

/*
 * The generation rule, in one place: after a commit of ours (committed) or none, the
 * kernel's generation is ours only if it is before + 1 (before + 0): then nobody else
 * committed in between, and what we sent is what the sets hold. Returns that generation,
 * or 0 when it is not ours (or before was unknown, 0).
 */
uint32_t kset_gen_ours(struct nftx *x, uint32_t before, bool committed);

/* What one set's part of a batch does. */
struct kset_op {
	enum listset_id set;
	bool flush;		    /* flush the set first (full replace) */
	const struct cidr_set *del; /* may be NULL */
	const struct cidr_set *add; /* may be NULL */
};

/* An upper bound of the bytes kset_build() needs for ops, BEGIN and END included. */
size_t kset_batch_size(const struct kset_op *ops, size_t nops);

/*
 * A batch buffer for a batch of up to limit bytes (kset_batch_size()), with the extra
 * room kset_build() needs beyond the limit. Returns the buffer to free() after
 * mnl_nlmsg_batch_stop(*b), or NULL (ENOMEM).
 */
void *kset_batch_alloc(size_t limit, struct mnl_nlmsg_batch **b);

/*
 * Append BEGIN, for each op the flush, deletions and additions, and END to b; timeouts are
 * tag - now seconds (tags at or before now are skipped: they have expired). Pure. 0, or -1
 * with errno (ENOSPC: b too small).
 */
int kset_build(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct kset_op *ops, size_t nops,
	       int64_t now);

/* kset_build() without BEGIN and END, to join another transaction (nftarpitctl setup). */
int kset_build_msgs(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct kset_op *ops,
		    size_t nops, int64_t now);

/* Why a transaction failed: errno of the kernel's refusal (0: not sent), and its object. */
struct kset_refusal {
	int error;
	char what[128];		  /* "elements of set blocknet4", from nftx */
	char elem[CIDR_TEXT_MAX]; /* the refused element, or "" */
};

/*
 * Build ops into one transaction and send it: the sets change together or not at all.
 * On refusal, logs the set and element and fills ref. 0, or -1 (ref->error 0: not sent,
 * errno set and logged).
 */
int kset_commit(struct nftx *x, const struct kset_op *ops, size_t nops, int64_t now,
		struct kset_refusal *ref);

/*
 * What the kernel's list sets hold: the snapshot (snap.h) when its generation is the
 * kernel's, else every set read back. gen gets the kernel's generation (0 unknown),
 * *from_snap whether the snapshot served. Sets must be initialised with their families.
 * 0, or -1 with errno (ENOENT: *missing names the absent set; logged by the caller).
 */
int kset_have(struct nftx *x, const char *snap, int64_t now, struct cidr_set have[LISTSET_COUNT],
	      uint32_t *gen, bool *from_snap, const char **missing);

/*
 * Name the element a refused message was about: "198.51.100.0/24" (a range whose start or
 * end element holds the attribute at err->attr_off), or "" if the kernel gave no offset.
 */
void kset_describe_error(const void *buf, size_t len, const struct nftx_error *err, char *out,
			 size_t outlen);

#endif
