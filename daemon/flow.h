/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixed-size flow table allocated at start: O(1) lookup, sampled idlest eviction, drip timer wheel.
 */
#ifndef NFTARPIT_FLOW_H
#define NFTARPIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "pkt.h"

#define FLOW_NONE UINT32_MAX
/*
 * Distinct local addresses a table remembers at once (our side of the held flows). An
 * address no flow holds any more makes room for another: one that left the host stops
 * being used once its flows end (idle, RST, FIN), so the table follows the host's
 * addresses instead of filling up for good.
 */
#define FLOW_MAX_LOCAL 256

/*
 * Links a table remembers at once: an interface and the hardware address of the previous
 * hop that a flow's peer was last seen through (usually one router, so one or two entries
 * in all). FLOW_LINK_NONE: the flow's segments are routed.
 */
#define FLOW_MAX_LINKS 255
#define FLOW_LINK_NONE 255

/*
 * The drip wheel: slots of FLOW_WHEEL_MS, FLOW_WHEEL_SLOTS of them (65.5 s around). A slot is
 * visited once its whole time has passed, so a drip is at most FLOW_WHEEL_MS late by the
 * wheel; a flow due more than a turn ahead stays in its slot until its round comes.
 */
#define FLOW_WHEEL_MS	 4u
#define FLOW_WHEEL_SLOTS 16384u

/* Flow states: one list makes the enum and its name table. */
#define FLOW_STATES(X)                                                  \
	X(FREE, "free")                                                 \
	/* zero window, bytes dripping on the timer */                  \
	X(HELD, "held")                                                 \
	/* zero window, its byte budget spent: probes still answered */ \
	X(QUIET, "quiet")

#define FLOW_STATE_ENUM(e, name) FLOW_##e,
enum flow_state {
	FLOW_STATES(FLOW_STATE_ENUM) FLOW_STATE_MAX,
};
#undef FLOW_STATE_ENUM

/*
 * One held connection in 64 bytes. Our side's sequence numbers derive from isn: the next
 * byte we send is isn + 1 + sent; the peer has acknowledged isn + 1 + acked.
 */
struct flow {
	uint8_t saddr[16]; /* the peer; IPv4 in the first 4 bytes */
	uint32_t hnext;	   /* hash chain, or free list */
	uint32_t tnext;	   /* drip wheel slot list, doubly linked so a flow leaves it in O(1) */
	uint32_t tprev;
	uint32_t isn;	   /* our initial sequence number */
	uint32_t peer_una; /* the peer's ISN + 1: never moves, we accept no data */
	uint32_t sent;	   /* payload bytes we sent */
	uint32_t first_s;  /* when the handshake completed (monotonic seconds) */
	uint32_t last_s;   /* last packet from the peer */
	uint32_t due_ms;   /* next drip */
	uint16_t sport;
	uint16_t dport;
	uint8_t local;	 /* index into the table's local addresses */
	uint8_t link;	 /* index into the table's links, or FLOW_LINK_NONE */
	uint16_t probes; /* probes and data segments answered, saturating */
	uint8_t family;
	uint8_t state;
	uint8_t lag;	 /* bytes sent but not yet acknowledged, saturating */
	uint8_t stretch; /* drips in a row passed over because the worker was behind */
};

struct flow_local {
	int family;
	uint8_t addr[16];
	uint32_t refs; /* live flows on this address; at 0 the entry may be reused */
};

struct flow_link {
	int ifindex;
	uint8_t mac[6];
	uint32_t refs; /* live flows through it; at 0 the entry may be reused */
};

struct flow_table {
	struct flow *flows; /* max records, allocated and touched once at start */
	uint32_t *buckets;  /* nbuckets heads, a power of two */
	uint32_t max;
	uint32_t nbuckets;
	uint32_t count;
	uint32_t free_head;
	/*
	 * The drip timer: a wheel of FLOW_WHEEL_SLOTS lists, a flow in the slot of its due
	 * time. wheel_ms is the start of the slot visited last; scan the next flow of it not
	 * yet looked at.
	 */
	uint32_t *wheel_head;
	uint32_t *wheel_tail;
	uint32_t wheel_ms;
	uint32_t scan;
	bool wheel_started;
	uint32_t evict_cursor;
	struct flow_local local[FLOW_MAX_LOCAL];
	uint32_t nlocal;
	struct flow_link links[FLOW_MAX_LINKS];
	uint32_t nlinks;
	struct cookie_key key;
	uint64_t by_state[FLOW_STATE_MAX];
};

/* Allocate a table of max flows (at least 16). Its memory never grows. NULL on failure. */
struct flow_table *flow_table_alloc(uint32_t max, const struct cookie_key *key);
void flow_table_free(struct flow_table *t);

/* Bytes the table holds, whatever the number of flows in it. */
size_t flow_table_bytes(const struct flow_table *t);

/* The flow of packet p (peer = p's source), or NULL. */
struct flow *flow_lookup(struct flow_table *t, const struct pkt *p);

/*
 * A record for the handshake p just completed. When the table is full, the idlest of a
 * few sampled flows is evicted if it has been idle at least idle_evict_s; then *evicted
 * holds a copy of it for its end-of-flow line. Returns NULL when no record can be had:
 * the flow is then tarpitted statelessly.
 */
struct flow *flow_insert(struct flow_table *t, const struct pkt *p, uint32_t isn, uint32_t peer_una,
			 uint32_t now_s, uint32_t idle_evict_s, struct flow *evicted,
			 bool *did_evict);

/* Forget a flow (it ended). The caller logs it first. */
void flow_remove(struct flow_table *t, struct flow *f);

/* Index of a record, for the drip spread and tests. */
uint32_t flow_index(const struct flow_table *t, const struct flow *f);

/*
 * Start the drip wheel at now_ms (the slot before it counts as visited). Without it, the
 * wheel starts at the first time it is given, which must then not be in the future.
 */
void flow_wheel_begin(struct flow_table *t, uint32_t now_ms);

/*
 * (Re)schedule f's drip at due_ms (moved out of its old slot). A time before the slot the
 * wheel visited last is taken as that slot's start: due at the next visit.
 */
void flow_schedule(struct flow_table *t, struct flow *f, uint32_t due_ms);

/*
 * A flow whose drip is due at now_ms, taken off the wheel, or NULL when none is (within
 * FLOW_WHEEL_MS). Flows come in slot order; the caller schedules each again or ends it.
 */
struct flow *flow_next_due(struct flow_table *t, uint32_t now_ms);

/*
 * The link f's peer was last seen through: interface ifindex, previous hop mac (6 bytes);
 * mac NULL: none, f's segments are routed. A full link table routes f too.
 */
void flow_set_link(struct flow_table *t, struct flow *f, int ifindex, const uint8_t *mac);

/* The link of f, or NULL when its segments are routed. */
const struct flow_link *flow_link_of(const struct flow_table *t, const struct flow *f);

/* Our local address of f. */
const struct flow_local *flow_local_addr(const struct flow_table *t, const struct flow *f);

/* Move f to another state, keeping the per-state counts. */
void flow_set_state(struct flow_table *t, struct flow *f, enum flow_state st);

const char *flow_state_name(enum flow_state st);

/*
 * Copy the n longest-held live flows of t into out, longest first, for the status view.
 * Walks the drip wheel, which holds every live flow between two loop turns, so the cost is
 * O(live flows + FLOW_WHEEL_SLOTS), not O(table size). Returns how many were copied. Pure.
 */
uint32_t flow_oldest(const struct flow_table *t, struct flow *out, uint32_t n);

#endif
