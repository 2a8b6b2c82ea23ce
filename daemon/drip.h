/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When a held flow's next drip byte is due, and what gives way when the worker cannot keep
 * up: pure arithmetic on milliseconds and ages, no table, no I/O (the unit tests drive it).
 */
#ifndef NFTARPIT_DRIP_H
#define NFTARPIT_DRIP_H

#include <stdbool.h>
#include <stdint.h>

struct drip_cfg {
	uint32_t interval_ms; /* one byte per flow this often (smtp_interval) */
	uint32_t late_ms;     /* a drip this late means the worker is behind: give way */
	uint8_t stretch_max;  /* intervals in a row a flow may be passed over when behind */
};

enum drip_action {
	DRIP_SEND,    /* send the byte now */
	DRIP_STRETCH, /* behind: this (old) flow waits one more interval, without its byte */
};

/* The settings for one interval: late_ms a tenth of it (at least 100 ms), stretch_max 2. */
void drip_cfg_init(struct drip_cfg *c, uint32_t interval_ms);

/*
 * The first drip of a flow opened at now_ms: somewhere in the second half of the
 * interval, placed by key (any per-flow number, e.g. its record's index). Flows that open
 * together (a burst of connects in one batch) are spread over half an interval instead
 * of coming due in the same millisecond forever after.
 */
uint32_t drip_first_due(const struct drip_cfg *c, uint32_t now_ms, uint32_t key);

/*
 * The drip after the one planned for due_ms, handled at now_ms: due_ms + one interval,
 * kept on the flow's own phase so lateness never accumulates into drift and the spread
 * survives a slow turn; whole intervals are skipped if that is already past (a worker
 * that fell far behind does not make up the lost bytes in one burst).
 */
uint32_t drip_next_due(const struct drip_cfg *c, uint32_t due_ms, uint32_t now_ms);

/*
 * What to do with a flow whose drip is due: late_ms behind its plan, held for age_s, while
 * the live flows are held mean_age_s on average; stretched: intervals in a row it has
 * been passed over. On time: send. Behind: the flows held longer than average wait one
 * more interval (their byte is not lost, only later: the next offset is the same), up to
 * stretch_max intervals in a row, then they are sent however late. The young half keeps
 * its cadence: a client is easiest to lose in its first minutes.
 */
enum drip_action drip_decide(const struct drip_cfg *c, uint32_t late_ms, uint32_t age_s,
			     uint32_t mean_age_s, uint8_t stretched);

#endif
