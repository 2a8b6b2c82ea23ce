// SPDX-License-Identifier: GPL-2.0-or-later
/* When a held flow's next drip byte is due, and what gives way when the worker is behind. */
#include "drip.h"

void drip_cfg_init(struct drip_cfg *c, uint32_t interval_ms)
{
	if (interval_ms == 0)
		interval_ms = 1;
	c->interval_ms = interval_ms;
	c->late_ms = interval_ms / 10 > 100 ? interval_ms / 10 : 100;
	c->stretch_max = 2;
}

uint32_t drip_first_due(const struct drip_cfg *c, uint32_t now_ms, uint32_t key)
{
	uint32_t half = c->interval_ms / 2;
	/* Fibonacci hashing: consecutive keys (records taken in a row) land far apart. */
	uint32_t spread = half == 0 ? 0 : (uint32_t)(((uint64_t)(key * 2654435769u) * half) >> 32);

	return now_ms + (c->interval_ms - half) + spread;
}

uint32_t drip_next_due(const struct drip_cfg *c, uint32_t due_ms, uint32_t now_ms)
{
	uint32_t next = due_ms + c->interval_ms;
	uint32_t behind;

	if ((int32_t)(next - now_ms) > 0)
		return next;
	behind = now_ms - next;
	return next + (behind / c->interval_ms + 1) * c->interval_ms;
}

enum drip_action drip_decide(const struct drip_cfg *c, uint32_t late_ms, uint32_t age_s,
			     uint32_t mean_age_s, uint8_t stretched)
{
	if (late_ms < c->late_ms)
		return DRIP_SEND;
	if (stretched >= c->stretch_max)
		return DRIP_SEND;
	if (age_s <= mean_age_s)
		return DRIP_SEND;
	return DRIP_STRETCH;
}
