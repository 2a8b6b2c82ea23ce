// SPDX-License-Identifier: GPL-2.0-or-later
/* Fixed-size flow table allocated at start: O(1) lookup, sampled idlest eviction, drip timer wheel.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

_Static_assert(sizeof(struct flow) == 64, "a flow record is one cache line");

/* Flows compared when the table is full; the idlest of them may be evicted. */
#define FLOW_EVICT_SAMPLE 8

struct flow_table *flow_table_alloc(uint32_t max, const struct cookie_key *key)
{
	struct flow_table *t;
	uint32_t nb = 16;
	uint32_t i;

	if (max < 16)
		max = 16;
	while (nb < max && nb < (1u << 30))
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->flows = malloc((size_t)max * sizeof(*t->flows));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->wheel_head = malloc(FLOW_WHEEL_SLOTS * sizeof(*t->wheel_head));
	t->wheel_tail = malloc(FLOW_WHEEL_SLOTS * sizeof(*t->wheel_tail));
	if (t->flows == NULL || t->buckets == NULL || t->wheel_head == NULL ||
	    t->wheel_tail == NULL) {
		flow_table_free(t);
		return NULL;
	}
	t->max = max;
	t->nbuckets = nb;
	t->key = *key;
	/* Writing every record now maps all the memory up front: it never grows later. */
	memset(t->flows, 0, (size_t)max * sizeof(*t->flows));
	for (i = 0; i < nb; i++)
		t->buckets[i] = FLOW_NONE;
	for (i = 0; i < max; i++)
		t->flows[i].hnext = i + 1 < max ? i + 1 : FLOW_NONE;
	t->free_head = 0;
	for (i = 0; i < FLOW_WHEEL_SLOTS; i++) {
		t->wheel_head[i] = FLOW_NONE;
		t->wheel_tail[i] = FLOW_NONE;
	}
	t->scan = FLOW_NONE;
	t->by_state[FLOW_FREE] = max;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	free(t->flows);
	free(t->buckets);
	free(t->wheel_head);
	free(t->wheel_tail);
	free(t);
}

size_t flow_table_bytes(const struct flow_table *t)
{
	return sizeof(*t) + (size_t)t->max * sizeof(*t->flows) +
	       (size_t)t->nbuckets * sizeof(*t->buckets) +
	       2 * FLOW_WHEEL_SLOTS * sizeof(*t->wheel_head);
}

uint32_t flow_index(const struct flow_table *t, const struct flow *f)
{
	return (uint32_t)(f - t->flows);
}

/*
 * Keyed, so nobody can aim many flows at one chain. The key is the whole tuple, our
 * address included: two of our addresses may each hold a flow from one peer port.
 */
static uint32_t flow_hash(const struct flow_table *t, int family, const uint8_t *saddr,
			  uint16_t local, uint16_t sport, uint16_t dport)
{
	uint8_t in[1 + 16 + 6];
	uint8_t out[crypto_shorthash_BYTES];

	in[0] = (uint8_t)family;
	memcpy(in + 1, saddr, 16);
	in[17] = (uint8_t)(sport >> 8);
	in[18] = (uint8_t)sport;
	in[19] = (uint8_t)(dport >> 8);
	in[20] = (uint8_t)dport;
	in[21] = (uint8_t)(local >> 8);
	in[22] = (uint8_t)local;
	crypto_shorthash(out, in, sizeof(in), t->key.k);
	return ((uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 |
		(uint32_t)out[3] << 24) &
	       (t->nbuckets - 1);
}

/* The peer's address padded to 16 bytes, as records store it. */
static void flow_peer(const struct pkt *p, uint8_t *a)
{
	memset(a, 0, 16);
	memcpy(a, p->saddr, p->family == AF_INET ? 4 : 16);
}

/* The index of p's destination among the table's local addresses, or UINT16_MAX. */
static uint16_t flow_local_find(const struct flow_table *t, const struct pkt *p)
{
	uint32_t i;

	for (i = 0; i < t->nlocal; i++)
		if (t->local[i].family == p->family && memcmp(t->local[i].addr, p->daddr, 16) == 0)
			return (uint16_t)i;
	return UINT16_MAX;
}

struct flow *flow_lookup(struct flow_table *t, const struct pkt *p)
{
	uint16_t local = flow_local_find(t, p);
	uint8_t a[16];
	uint32_t i;

	if (local == UINT16_MAX)
		return NULL; /* no flow was ever held on that address */
	flow_peer(p, a);
	i = t->buckets[flow_hash(t, p->family, a, local, p->sport, p->dport)];
	while (i != FLOW_NONE) {
		struct flow *f = &t->flows[i];

		if (f->sport == p->sport && f->dport == p->dport && f->family == p->family &&
		    f->local == local && memcmp(f->saddr, a, 16) == 0)
			return f;
		i = f->hnext;
	}
	return NULL;
}

void flow_set_state(struct flow_table *t, struct flow *f, enum flow_state st)
{
	t->by_state[f->state]--;
	t->by_state[st]++;
	f->state = (uint8_t)st;
}

static uint32_t flow_slot(uint32_t ms)
{
	return (ms / FLOW_WHEEL_MS) % FLOW_WHEEL_SLOTS;
}

void flow_wheel_begin(struct flow_table *t, uint32_t now_ms)
{
	t->wheel_started = true;
	t->wheel_ms = now_ms - now_ms % FLOW_WHEEL_MS - FLOW_WHEEL_MS;
	t->scan = FLOW_NONE;
}

static void flow_wheel_start(struct flow_table *t, uint32_t ms)
{
	if (!t->wheel_started)
		flow_wheel_begin(t, ms);
}

/*
 * Take f out of its slot list, if it is in one: a record off the wheel has no neighbours and
 * is no slot's head. The scan moves past it.
 */
static void flow_wheel_unlink(struct flow_table *t, struct flow *f)
{
	uint32_t i = flow_index(t, f);
	uint32_t s = flow_slot(f->due_ms);

	if (f->tprev == FLOW_NONE && t->wheel_head[s] != i)
		return;
	if (t->scan == i)
		t->scan = f->tnext;
	if (f->tprev != FLOW_NONE)
		t->flows[f->tprev].tnext = f->tnext;
	else
		t->wheel_head[s] = f->tnext;
	if (f->tnext != FLOW_NONE)
		t->flows[f->tnext].tprev = f->tprev;
	else
		t->wheel_tail[s] = f->tprev;
	f->tnext = FLOW_NONE;
	f->tprev = FLOW_NONE;
}

void flow_schedule(struct flow_table *t, struct flow *f, uint32_t due_ms)
{
	uint32_t i = flow_index(t, f);
	uint32_t s;

	flow_wheel_start(t, due_ms);
	flow_wheel_unlink(t, f);
	if ((int32_t)(due_ms - t->wheel_ms) < 0)
		due_ms = t->wheel_ms;
	s = flow_slot(due_ms);
	f->due_ms = due_ms;
	/* At the tail: a flow added to the slot being scanned is still looked at. */
	f->tnext = FLOW_NONE;
	f->tprev = t->wheel_tail[s];
	if (f->tprev != FLOW_NONE)
		t->flows[f->tprev].tnext = i;
	else
		t->wheel_head[s] = i;
	t->wheel_tail[s] = i;
	if (s == flow_slot(t->wheel_ms) && t->scan == FLOW_NONE)
		t->scan = i;
}

struct flow *flow_next_due(struct flow_table *t, uint32_t now_ms)
{
	flow_wheel_start(t, now_ms);
	for (;;) {
		while (t->scan != FLOW_NONE) {
			struct flow *f = &t->flows[t->scan];

			t->scan = f->tnext;
			/* Not due: a flow a whole turn (or more) ahead, left for its round. */
			if ((int32_t)(now_ms - f->due_ms) < 0)
				continue;
			flow_wheel_unlink(t, f);
			return f;
		}
		/* The next slot is visited once all of its time has passed. */
		if ((int32_t)(now_ms - (t->wheel_ms + 2 * FLOW_WHEEL_MS - 1)) < 0)
			return NULL;
		t->wheel_ms += FLOW_WHEEL_MS;
		t->scan = t->wheel_head[flow_slot(t->wheel_ms)];
	}
}

void flow_remove(struct flow_table *t, struct flow *f)
{
	uint32_t i = flow_index(t, f);
	uint32_t *link =
		&t->buckets[flow_hash(t, f->family, f->saddr, f->local, f->sport, f->dport)];

	flow_wheel_unlink(t, f);
	while (*link != FLOW_NONE && *link != i)
		link = &t->flows[*link].hnext;
	if (*link == i)
		*link = f->hnext;
	flow_set_state(t, f, FLOW_FREE);
	f->hnext = t->free_head;
	t->free_head = i;
	t->local[f->local].refs--;
	flow_set_link(t, f, 0, NULL);
	t->count--;
}

/* Among a few records after the cursor, the live one idle longest. */
static struct flow *flow_idlest(struct flow_table *t)
{
	struct flow *best = NULL;
	int n;

	for (n = 0; n < FLOW_EVICT_SAMPLE; n++) {
		struct flow *f = &t->flows[t->evict_cursor];

		t->evict_cursor = t->evict_cursor + 1 < t->max ? t->evict_cursor + 1 : 0;
		if (f->state == FLOW_FREE)
			continue;
		if (best == NULL || (int32_t)(f->last_s - best->last_s) < 0)
			best = f;
	}
	return best;
}

static uint16_t flow_local_index(struct flow_table *t, const struct pkt *p)
{
	uint16_t i = flow_local_find(t, p);
	uint32_t k;

	if (i != UINT16_MAX)
		return i;
	if (t->nlocal == FLOW_MAX_LOCAL) {
		/* Full: take over an address no flow holds (it may have left the host). */
		for (k = 0; k < FLOW_MAX_LOCAL; k++) {
			if (t->local[k].refs == 0) {
				t->local[k].family = p->family;
				memcpy(t->local[k].addr, p->daddr, 16);
				return (uint16_t)k;
			}
		}
		return UINT16_MAX;
	}
	t->local[t->nlocal].family = p->family;
	memcpy(t->local[t->nlocal].addr, p->daddr, 16);
	return (uint16_t)t->nlocal++;
}

struct flow *flow_insert(struct flow_table *t, const struct pkt *p, uint32_t isn, uint32_t peer_una,
			 uint32_t now_s, uint32_t idle_evict_s, struct flow *evicted,
			 bool *did_evict)
{
	uint16_t local = flow_local_index(t, p);
	uint32_t h;
	uint32_t i;
	struct flow *f;

	*did_evict = false;
	if (local == UINT16_MAX)
		return NULL;
	if (t->free_head == FLOW_NONE) {
		struct flow *old = flow_idlest(t);

		if (old == NULL || now_s - old->last_s < idle_evict_s)
			return NULL;
		*evicted = *old;
		*did_evict = true;
		flow_remove(t, old);
	}
	i = t->free_head;
	f = &t->flows[i];
	t->free_head = f->hnext;
	memset(f, 0, sizeof(*f));
	flow_peer(p, f->saddr);
	f->family = (uint8_t)p->family;
	f->sport = p->sport;
	f->dport = p->dport;
	f->local = (uint8_t)local;
	f->link = FLOW_LINK_NONE;
	t->local[local].refs++;
	f->isn = isn;
	f->peer_una = peer_una;
	f->first_s = now_s;
	f->last_s = now_s;
	f->tnext = FLOW_NONE;
	f->tprev = FLOW_NONE;
	f->state = FLOW_FREE;
	flow_set_state(t, f, FLOW_HELD);
	h = flow_hash(t, p->family, f->saddr, local, p->sport, p->dport);
	f->hnext = t->buckets[h];
	t->buckets[h] = i;
	t->count++;
	return f;
}

void flow_set_link(struct flow_table *t, struct flow *f, int ifindex, const uint8_t *mac)
{
	struct flow_link *l;
	uint32_t free_slot = FLOW_LINK_NONE;
	uint32_t i;

	if (f->link != FLOW_LINK_NONE) {
		l = &t->links[f->link];
		if (mac != NULL && l->ifindex == ifindex && memcmp(l->mac, mac, 6) == 0)
			return; /* the usual case: the same router as before */
		l->refs--;
		f->link = FLOW_LINK_NONE;
	}
	if (mac == NULL)
		return;
	for (i = 0; i < t->nlinks; i++) {
		l = &t->links[i];
		if (l->ifindex == ifindex && memcmp(l->mac, mac, 6) == 0)
			break;
		if (l->refs == 0 && free_slot == FLOW_LINK_NONE)
			free_slot = i;
	}
	if (i == t->nlinks) {
		if (free_slot != FLOW_LINK_NONE)
			i = free_slot;
		else if (t->nlinks < FLOW_MAX_LINKS)
			t->nlinks++;
		else
			return; /* full: routed */
		t->links[i].ifindex = ifindex;
		memcpy(t->links[i].mac, mac, 6);
	}
	t->links[i].refs++;
	f->link = (uint8_t)i;
}

const struct flow_link *flow_link_of(const struct flow_table *t, const struct flow *f)
{
	return f->link == FLOW_LINK_NONE ? NULL : &t->links[f->link];
}

const struct flow_local *flow_local_addr(const struct flow_table *t, const struct flow *f)
{
	return &t->local[f->local];
}

#define FLOW_STATE_NAME(e, name) [FLOW_##e] = name,
static const char *const flow_state_names[] = {FLOW_STATES(FLOW_STATE_NAME)};
#undef FLOW_STATE_NAME
_Static_assert(sizeof(flow_state_names) / sizeof(flow_state_names[0]) == FLOW_STATE_MAX,
	       "every flow state has a name");

const char *flow_state_name(enum flow_state st)
{
	if ((unsigned int)st >= FLOW_STATE_MAX)
		return "unknown";
	return flow_state_names[st];
}

/* Insert f into out (k of n used, longest held first); returns the new k. */
static uint32_t flow_oldest_add(const struct flow *f, struct flow *out, uint32_t k, uint32_t n)
{
	uint32_t j;

	/* first_s is monotonic: the smaller, the longer held (differences wrap-safe). */
	if (k == n && (n == 0 || (int32_t)(f->first_s - out[k - 1].first_s) >= 0))
		return k;
	j = k < n ? k++ : k - 1;
	while (j > 0 && (int32_t)(f->first_s - out[j - 1].first_s) < 0) {
		out[j] = out[j - 1];
		j--;
	}
	out[j] = *f;
	return k;
}

uint32_t flow_oldest(const struct flow_table *t, struct flow *out, uint32_t n)
{
	uint32_t walked = 0;
	uint32_t k = 0;
	uint32_t s;

	for (s = 0; s < FLOW_WHEEL_SLOTS; s++) {
		uint32_t i = t->wheel_head[s];

		while (i != FLOW_NONE && walked < t->max) {
			const struct flow *f = &t->flows[i];

			i = f->tnext;
			walked++;
			k = flow_oldest_add(f, out, k, n);
		}
	}
	return k;
}
