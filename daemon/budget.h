/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reply budgets: per source prefix (/24, /64) and global token buckets, so the tarpit is no
 * reflector. */
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
	struct cookie_key key; /* keys the prefix hash so collisions cannot be aimed */
};

/*
 * Allocate nprefix buckets (rounded up to a power of two). Prefixes hashing to the same
 * bucket share it, which only makes the limit stricter. Returns NULL on failure.
 */
struct budget *budget_alloc(uint32_t nprefix, const struct cookie_key *key);
void budget_free(struct budget *b);

/* Set rates and bursts (replies per second); buckets start full. */
void budget_configure(struct budget *b, uint32_t prefix_rate, uint32_t prefix_burst,
		      uint32_t global_rate, uint32_t global_burst, uint32_t now_ms);

enum budget_result {
	BUDGET_OK = 0,
	BUDGET_PREFIX, /* the destination's /24 or /64 is out of budget */
	BUDGET_GLOBAL, /* the whole daemon (this queue) is out of budget */
};

/* Take one reply's token for destination addr (our reply goes to the packet's source). */
enum budget_result budget_take(struct budget *b, int family, const uint8_t *addr, uint32_t now_ms);

#endif
