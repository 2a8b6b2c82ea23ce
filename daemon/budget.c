// SPDX-License-Identifier: GPL-2.0-or-later
/* Reply budgets: per source prefix (/24, /64), per aggregate (/16, /48) and global token
 * buckets, so the tarpit is no reflector. */
#include "budget.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>

struct budget *budget_alloc(uint32_t nprefix, const struct cookie_key *key)
{
	struct budget *b;
	uint32_t n = 1;

	while (n < nprefix && n < (1u << 24))
		n <<= 1;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->prefix = calloc(n, sizeof(*b->prefix));
	b->agg = calloc(n, sizeof(*b->agg));
	if (b->prefix == NULL || b->agg == NULL) {
		budget_free(b);
		return NULL;
	}
	b->nprefix = n;
	b->key = *key;
	return b;
}

void budget_free(struct budget *b)
{
	if (b == NULL)
		return;
	free(b->prefix);
	free(b->agg);
	free(b);
}

void budget_configure(struct budget *b, uint32_t prefix_rate, uint32_t prefix_burst,
		      uint32_t global_rate, uint32_t global_burst, uint32_t now_ms)
{
	uint32_t i;

	b->prefix_rate = prefix_rate;
	b->prefix_burst = prefix_burst;
	b->global_rate = global_rate;
	b->global_burst = global_burst;
	b->global.tokens_milli = global_burst * 1000u;
	b->global.last_ms = now_ms;
	for (i = 0; i < b->nprefix; i++) {
		b->prefix[i].tokens_milli = prefix_burst * 1000u;
		b->prefix[i].last_ms = now_ms;
	}
	b->agg_rate = 0;
	b->agg_burst = 0;
}

void budget_configure_aggregate(struct budget *b, uint32_t rate, uint32_t burst, uint32_t now_ms)
{
	uint32_t i;

	b->agg_rate = rate;
	b->agg_burst = burst;
	for (i = 0; i < b->nprefix; i++) {
		b->agg[i].tokens_milli = burst * 1000u;
		b->agg[i].last_ms = now_ms;
	}
}

/* Refill by elapsed time (rate per second = rate tokens_milli per ms), then take one. */
static bool budget_bucket_take(struct budget_bucket *k, uint32_t rate, uint32_t burst,
			       uint32_t now_ms)
{
	uint32_t elapsed = now_ms - k->last_ms;
	uint64_t tokens = k->tokens_milli + (uint64_t)elapsed * rate;

	if (tokens > (uint64_t)burst * 1000u)
		tokens = (uint64_t)burst * 1000u;
	k->last_ms = now_ms;
	if (tokens < 1000) {
		k->tokens_milli = (uint32_t)tokens;
		return false;
	}
	k->tokens_milli = (uint32_t)(tokens - 1000);
	return true;
}

/* The bucket of addr's prefix (/24, /64), or with aggregate set of its /16 or /48. */
static uint32_t budget_index(const struct budget *b, int family, const uint8_t *addr,
			     bool aggregate)
{
	uint8_t in[9];
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	memset(in, 0, sizeof(in));
	/* The level is part of the hash: a /16 and a /24 never share a bucket by design. */
	in[0] = (uint8_t)(family | (aggregate ? 0x80 : 0));
	if (family == AF_INET)
		memcpy(in + 1, addr, aggregate ? 2 : 3);
	else
		memcpy(in + 1, addr, aggregate ? 6 : 8);
	crypto_shorthash(out, in, sizeof(in), b->key.k);
	memcpy(&h, out, sizeof(h));
	return h & (b->nprefix - 1);
}

/*
 * From the widest level to the narrowest, so a refusal spends no token of a narrower one;
 * a level that refuses gives back the tokens the wider ones gave: nothing is sent.
 */
enum budget_result budget_take(struct budget *b, int family, const uint8_t *addr, uint32_t now_ms)
{
	struct budget_bucket *pb = &b->prefix[budget_index(b, family, addr, false)];
	struct budget_bucket *ab = &b->agg[budget_index(b, family, addr, true)];
	bool agg = b->agg_rate != 0;

	if (!budget_bucket_take(&b->global, b->global_rate, b->global_burst, now_ms))
		return BUDGET_GLOBAL;
	if (agg && !budget_bucket_take(ab, b->agg_rate, b->agg_burst, now_ms)) {
		b->global.tokens_milli += 1000;
		return BUDGET_AGGREGATE;
	}
	if (!budget_bucket_take(pb, b->prefix_rate, b->prefix_burst, now_ms)) {
		b->global.tokens_milli += 1000;
		if (agg)
			ab->tokens_milli += 1000;
		return BUDGET_PREFIX;
	}
	return BUDGET_OK;
}
