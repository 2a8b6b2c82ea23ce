/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reply budgets: per source prefix (/24, /64), per aggregate (/16, /48) and global token
 * buckets, so the tarpit is no reflector. */
#ifndef NFTARPIT_BUDGET_H
#define NFTARPIT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie.h"

struct budget_bucket {
	uint32_t tokens_milli; /* thousandths of a reply, so slow rates still refill */
	uint32_t last_ms;
};

struct budget {
	struct budget_bucket global;
	struct budget_bucket *prefix; /* nprefix buckets, allocated once at start */
	uint32_t nprefix;	      /* a power of two */
	uint32_t prefix_rate;	      /* replies per second per prefix */
	uint32_t prefix_burst;
	uint32_t global_rate; /* replies per second in all */
	uint32_t global_burst;
	struct budget_bucket *agg; /* nprefix buckets for the /16s and /48s */
	uint32_t agg_rate;	   /* replies per second per aggregate; 0: no aggregate level */
	uint32_t agg_burst;
	struct cookie_key key; /* keys the prefix hash so collisions cannot be aimed */
};

/*
 * Allocate nprefix buckets (rounded up to a power of two). Prefixes hashing to the same
 * bucket share it, which only makes the limit stricter. Returns NULL on failure.
 */
struct budget *budget_alloc(uint32_t nprefix, const struct cookie_key *key);
void budget_free(struct budget *b);

/*
 * Set rates and bursts (replies per second); buckets start full. The aggregate level is off
 * until budget_configure_aggregate().
 */
void budget_configure(struct budget *b, uint32_t prefix_rate, uint32_t prefix_burst,
		      uint32_t global_rate, uint32_t global_burst, uint32_t now_ms);

/*
 * The level between prefix and global: one bucket per /16 (IPv4) or /48 (IPv6), so a
 * spoofer spreading over the /24s of one /16 or the /64s of one /48 (one site's networks)
 * gets no more than rate and burst for all of them together. 0 turns the level off.
 */
void budget_configure_aggregate(struct budget *b, uint32_t rate, uint32_t burst, uint32_t now_ms);

enum budget_result {
	BUDGET_OK = 0,
	BUDGET_PREFIX,	  /* the destination's /24 or /64 is out of budget */
	BUDGET_GLOBAL,	  /* the whole daemon (this queue) is out of budget */
	BUDGET_AGGREGATE, /* the destination's /16 or /48 is out of budget */
};

/* Take one reply's token for destination addr (our reply goes to the packet's source). */
enum budget_result budget_take(struct budget *b, int family, const uint8_t *addr, uint32_t now_ms);

#endif
