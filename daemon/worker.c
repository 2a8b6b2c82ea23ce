// SPDX-License-Identifier: GPL-2.0-or-later
/* One thread per queue: receive a batch, decide, build replies, send them, one drop verdict. */
#include "worker.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

uint32_t worker_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

uint32_t worker_now_ms(void)
{
	struct timespec ts;

	/* Coarse is enough for token buckets and costs no vDSO page read of the TSC. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

struct worker *worker_alloc(uint16_t queue_num, const struct worker_cfg *cfg,
			    uint32_t budget_buckets, uint32_t batch, uint32_t max_flows)
{
	struct worker *w = calloc(1, sizeof(*w));
	uint32_t now = worker_now_ms();

	if (w == NULL)
		return NULL;
	w->queue_num = queue_num;
	w->batch = batch;
	w->cfg = *cfg;
	w->out = calloc(1, sizeof(*w->out));
	w->pkts = calloc(batch, sizeof(*w->pkts));
	w->budget = budget_alloc(budget_buckets, &cfg->tarpit.key);
	w->flows = flow_table_alloc(max_flows, &cfg->tarpit.key);
	w->syn_seen = calloc(TARPIT_SYN_SEEN_BITS / 8, 1);
	w->now_s = worker_now_s();
	if (w->out == NULL || w->pkts == NULL || w->budget == NULL || w->flows == NULL ||
	    w->syn_seen == NULL) {
		worker_free(w);
		return NULL;
	}
	budget_configure(w->budget, cfg->prefix_rate, cfg->prefix_burst, cfg->global_rate,
			 cfg->global_burst, now);
	budget_configure_aggregate(w->budget, cfg->agg_rate, cfg->agg_burst, now);
	drip_cfg_init(&w->drip, cfg->smtp_interval_ms);
	flow_wheel_begin(w->flows, now);
	w->log_bucket.tokens_milli = cfg->log_flows * 1000u;
	w->log_bucket.last_ms = now;
	w->snap.efd = -1;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	budget_free(w->budget);
	flow_table_free(w->flows);
	free(w->syn_seen);
	free(w->pkts);
	free(w->out);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void worker_reconfigure(struct worker *w, const struct worker_cfg *cfg)
{
	pthread_mutex_lock(&w->lock);
	w->next_cfg = *cfg;
	__atomic_store_n(&w->reload, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&w->lock);
}

static void worker_apply_reload(struct worker *w)
{
	struct cookie_key key = w->cfg.tarpit.key;

	pthread_mutex_lock(&w->lock);
	w->cfg = w->next_cfg;
	__atomic_store_n(&w->reload, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&w->lock);
	/* The cookie key never changes while running: held flows must stay recognised. */
	w->cfg.tarpit.key = key;
	drip_cfg_init(&w->drip, w->cfg.smtp_interval_ms);
	budget_configure(w->budget, w->cfg.prefix_rate, w->cfg.prefix_burst, w->cfg.global_rate,
			 w->cfg.global_burst, worker_now_ms());
	budget_configure_aggregate(w->budget, w->cfg.agg_rate, w->cfg.agg_burst, worker_now_ms());
}

/* Take a log line's token: flow lines are rate-limited so a flood cannot fill the log. */
static bool worker_log_take(struct worker *w, uint32_t now_ms)
{
	struct budget_bucket *b = &w->log_bucket;
	uint32_t elapsed = now_ms - b->last_ms;
	uint64_t tokens = b->tokens_milli + (uint64_t)elapsed * w->cfg.log_flows;

	if (tokens > (uint64_t)w->cfg.log_flows * 1000u)
		tokens = (uint64_t)w->cfg.log_flows * 1000u;
	b->last_ms = now_ms;
	if (tokens < 1000) {
		b->tokens_milli = (uint32_t)tokens;
		w->stats.flows_unlogged++;
		return false;
	}
	b->tokens_milli = (uint32_t)(tokens - 1000);
	w->stats.flows_logged++;
	return true;
}

/* One key=value line per new tarpitted flow. */
static void worker_log_flow(struct worker *w, const struct pkt *p, uint32_t now_ms)
{
	char src[INET6_ADDRSTRLEN];

	if (w->cfg.log_flows == 0 || !worker_log_take(w, now_ms))
		return;
	log_info("flow new src=%s sport=%u dport=%u queue=%u unlogged=%llu",
		 pkt_saddr_str(p, src, sizeof(src)), p->sport, p->dport, w->queue_num,
		 (unsigned long long)w->stats.flows_unlogged);
}

/* One line per flow held before a restart and adopted again: where its drip resumes. */
static void worker_log_readopt(struct worker *w, const struct pkt *p, uint32_t offset,
			       uint32_t now_ms)
{
	char src[INET6_ADDRSTRLEN];

	if (w->cfg.log_flows == 0 || !worker_log_take(w, now_ms))
		return;
	log_info("flow readopted src=%s sport=%u dport=%u offset=%u queue=%u",
		 pkt_saddr_str(p, src, sizeof(src)), p->sport, p->dport, offset, w->queue_num);
}

/* Account for a flow that ended and log it: how long the peer was held and what it cost. */
static void worker_flow_ended(struct worker *w, const struct flow *f, const char *reason,
			      uint32_t now_ms)
{
	uint32_t held = w->now_s - f->first_s;
	char src[INET6_ADDRSTRLEN];

	w->stats.flows_ended++;
	w->stats.held_s_ended += held;
	w->stats.sum_first_s -= f->first_s;
	if (w->cfg.log_flows == 0 || !worker_log_take(w, now_ms))
		return;
	if (inet_ntop(f->family, f->saddr, src, sizeof(src)) == NULL)
		src[0] = '\0';
	log_info("flow end src=%s sport=%u dport=%u held=%us probes=%u bytes=%u reason=%s "
		 "queue=%u",
		 src, f->sport, f->dport, held, f->probes, f->sent, reason, w->queue_num);
}

static void worker_flow_end(struct worker *w, struct flow *f, const char *reason, uint32_t now_ms)
{
	worker_flow_ended(w, f, reason, now_ms);
	flow_remove(w->flows, f);
}

/*
 * How to send the reply to a queued packet: back out of its interface to the hardware
 * address it came from (reply_path = link, the default) when the packet had one, else
 * routed. NULL: routed.
 */
static const struct inject_link *worker_link(struct worker *w, const struct queue_pkt *qp)
{
	if (!qp->has_hw || w->inject == NULL || w->inject->fdl < 0)
		return NULL;
	w->link.ifindex = (int)qp->indev;
	memcpy(w->link.mac, qp->hwaddr, sizeof(w->link.mac));
	return &w->link;
}

/*
 * Remember the link f's peer was just seen through (NULL: routed), so its drip goes back
 * the same way as the answers to its packets, in the same packet-socket batches.
 */
static void worker_flow_link_set(struct worker *w, struct flow *f, const struct inject_link *link)
{
	if (link == NULL)
		flow_set_link(w->flows, f, 0, NULL);
	else
		flow_set_link(w->flows, f, link->ifindex, link->mac);
}

/* The link to send f's drip through, or NULL to route it. */
static const struct inject_link *worker_flow_link(struct worker *w, const struct flow *f)
{
	const struct flow_link *fl = flow_link_of(w->flows, f);

	if (fl == NULL || w->inject == NULL || w->inject->fdl < 0)
		return NULL;
	w->drip_link.ifindex = fl->ifindex;
	memcpy(w->drip_link.mac, fl->mac, sizeof(w->drip_link.mac));
	return &w->drip_link;
}

/* A slot in the reply lanes; when they are full, send what is there first. */
static uint8_t *worker_slot(struct worker *w, int family, const struct inject_link *link)
{
	uint8_t *slot = inject_slot(w->out, family, link != NULL);

	if (slot == NULL && w->inject != NULL) {
		inject_flush(w->inject, w->out, &w->stats.inj);
		slot = inject_slot(w->out, family, link != NULL);
	}
	return slot;
}

/*
 * Queue a segment of held flow f: window 0, ack = the peer's una, with payload if any;
 * through link when not NULL (the answer to a packet that came with one, or the drip of
 * a flow whose peer was last seen through one), routed otherwise.
 */
static void worker_flow_send(struct worker *w, const struct flow *f, uint32_t offset,
			     const uint8_t *payload, uint16_t paylen,
			     const struct inject_link *link)
{
	const struct flow_local *l = flow_local_addr(w->flows, f);
	struct tarpit_reply r;
	struct pkt p;
	uint8_t *slot;

	memset(&p, 0, sizeof(p));
	p.family = f->family;
	memcpy(p.saddr, f->saddr, 16);
	memcpy(p.daddr, l->addr, 16);
	p.sport = f->sport;
	p.dport = f->dport;
	memset(&r, 0, sizeof(r));
	r.action = TARPIT_ACK;
	r.seq = f->isn + 1 + offset;
	r.ack = f->peer_una;
	r.window = 0;
	r.flags = PKT_TCP_ACK | (paylen != 0 ? PKT_TCP_PSH : 0);
	r.payload = payload;
	r.paylen = paylen;
	slot = worker_slot(w, p.family, link);
	if (slot == NULL) {
		w->stats.budget_global++;
		return;
	}
	inject_commit(w->out, p.family, reply_build(slot, &p, &r), p.saddr, link);
	if (paylen != 0) {
		w->stats.smtp_bytes += paylen;
		w->stats.smtp_segments++;
	}
}

static bool worker_smtp_port(const struct worker *w, uint16_t port)
{
	uint32_t i;

	if (!w->cfg.smtp)
		return false;
	for (i = 0; i < w->cfg.nsmtp_ports; i++)
		if (w->cfg.smtp_ports[i] == port)
			return true;
	return false;
}

/*
 * The most drip bytes a flow on port dport can have been sent: the greeting (sent whole)
 * or smtp_max_bytes, whichever is more; nothing off the SMTP ports.
 */
static uint32_t worker_drip_max(const struct worker *w, uint16_t dport)
{
	uint32_t glen = (uint32_t)w->cfg.smtp_text.greeting_len;

	if (!worker_smtp_port(w, dport))
		return 0;
	return w->cfg.smtp_max_bytes > glen ? w->cfg.smtp_max_bytes : glen;
}

/* Take a reply's token for p's source; a refusal is counted by the level that refused. */
static bool worker_budget(struct worker *w, const struct pkt *p, uint32_t now_ms)
{
	switch (budget_take(w->budget, p->family, p->saddr, now_ms)) {
	case BUDGET_OK:
		return true;
	case BUDGET_PREFIX:
		w->stats.budget_prefix++;
		break;
	case BUDGET_AGGREGATE:
		w->stats.budget_aggregate++;
		break;
	case BUDGET_GLOBAL:
		w->stats.budget_global++;
		break;
	}
	return false;
}

/*
 * A cookie-valid handshake ACK (or first probe) gets a record: from now on the flow is
 * answered from its state. On SMTP ports it is fed the greeting at once (so a compliant
 * client writes its EHLO into our zero window and its kernel starts probing), then a byte
 * per interval. Spoofed SYNs never get here: only a peer that saw our SYN-ACK can.
 * A probe of a flow held before a restart (same key, no record) gets its record back with
 * the drip offset its acknowledgement shows, so the stream goes on at the next byte; that
 * answer is budgeted like a stateless one. *handled: the packet needs nothing more.
 */
static struct flow *worker_flow_open(struct worker *w, const struct pkt *p,
				     const struct inject_link *link, uint32_t now_ms, bool *handled)
{
	struct tarpit_adoption a;
	struct flow evicted;
	bool did_evict;
	struct flow *f;

	*handled = false;
	if (!tarpit_adopt(&w->cfg.tarpit, p, worker_drip_max(w, p->dport), w->syn_seen, &a))
		return NULL;
	if (a.readopted && !worker_budget(w, p, now_ms)) {
		*handled = true;
		return NULL;
	}
	f = flow_insert(w->flows, p, a.isn, a.peer_una, w->now_s, w->cfg.flow_evict_idle_s,
			&evicted, &did_evict);
	if (did_evict) {
		w->stats.flows_evicted++;
		worker_flow_ended(w, &evicted, "evicted", now_ms);
	}
	if (f == NULL) {
		w->stats.flows_stateless++;
		return NULL;
	}
	if (a.readopted) {
		w->stats.flows_readopted++;
		worker_log_readopt(w, p, a.offset, now_ms);
	} else {
		w->stats.flows_new++;
	}
	w->stats.sum_first_s += w->now_s;
	f->sent = a.offset;
	worker_flow_link_set(w, f, link);
	if (!worker_smtp_port(w, p->dport)) {
		flow_set_state(w->flows, f, FLOW_QUIET);
	} else if (a.offset == 0 && !w->cfg.smtp_drip_greeting) {
		const struct smtp_text *t = &w->cfg.smtp_text;

		worker_flow_send(w, f, 0, (const uint8_t *)t->greeting, (uint16_t)t->greeting_len,
				 link);
		f->sent = (uint32_t)t->greeting_len;
		f->lag = (uint8_t)(t->greeting_len < 255 ? t->greeting_len : 255);
	}
	/* Every live flow is on the wheel: the tick feeds it or notices it went idle. */
	flow_schedule(w->flows, f, drip_first_due(&w->drip, now_ms, flow_index(w->flows, f)));
	return f;
}

/* Carry out the decision on a segment of held flow f. */
static void worker_flow_held(struct worker *w, struct flow *f, const struct pkt *p,
			     const struct inject_link *link, uint32_t now_ms)
{
	struct tarpit_flow tf = {f->isn, f->peer_una, f->sent, f->lag};
	struct tarpit_flow_step step;
	struct tarpit_reply r;

	tarpit_decide_flow(p, &tf, &r, &step);
	if (step.end) {
		w->stats.silent[r.reason]++;
		worker_flow_end(w, f, tarpit_reason_name(r.reason), now_ms);
		return;
	}
	if (step.accepted) {
		f->last_s = w->now_s;
		/* Only the true peer's segments move the link (they carry its numbers). */
		worker_flow_link_set(w, f, link);
	}
	f->lag = step.lag;
	if (r.action == TARPIT_NONE) {
		w->stats.silent[r.reason]++;
		return;
	}
	if (step.challenge) {
		/*
		 * Anyone can ask for one: it is a reply like any other, within the budget. And it
		 * is routed, never sent back to the hardware address of the segment that asked:
		 * it carries the flow's numbers, which only the true peer may see.
		 */
		if (!worker_budget(w, p, now_ms))
			return;
		worker_flow_send(w, f, f->sent, NULL, 0, NULL);
		w->stats.challenge_acks++;
		return;
	}
	worker_flow_send(w, f, f->sent, NULL, 0, link);
	if (f->probes < UINT16_MAX)
		f->probes++;
	if (p->paylen == 0)
		w->stats.probe_acks++;
	else
		w->stats.data_acks++;
}

/*
 * The stateful path: a segment on a held flow's tuple, or one that opens a record (only a
 * plain ACK can). Returns false when the packet is for the stateless path instead.
 */
static bool worker_flow_packet(struct worker *w, const struct pkt *p,
			       const struct inject_link *link, uint32_t now_ms)
{
	struct flow *f;

	f = flow_lookup(w->flows, p);
	if (f == NULL) {
		bool handled;

		if ((p->flags & (PKT_TCP_ACK | PKT_TCP_SYN)) != PKT_TCP_ACK)
			return false;
		f = worker_flow_open(w, p, link, now_ms, &handled);
		if (f == NULL)
			return handled;
	}
	worker_flow_held(w, f, p, link, now_ms);
	return true;
}

/* The mean hold time of the live flows, in seconds: the line between old and young. */
static uint32_t worker_mean_age(const struct worker *w)
{
	uint64_t n = w->flows->count;

	if (n == 0)
		return 0;
	return w->now_s - (uint32_t)(w->stats.sum_first_s / n);
}

/* Send held flow f its next drip byte (or the unacknowledged one again). */
static void worker_drip(struct worker *w, struct flow *f)
{
	uint8_t byte;

	if (f->lag > 0) {
		/* Lost or not yet taken: offer the first unacknowledged byte again. */
		uint32_t off = f->sent - f->lag;

		smtp_stream(&w->cfg.smtp_text, off, &byte, 1);
		worker_flow_send(w, f, off, &byte, 1, worker_flow_link(w, f));
		w->stats.drip_resent++;
	} else if (f->sent >= w->cfg.smtp_max_bytes) {
		flow_set_state(w->flows, f, FLOW_QUIET);
	} else {
		smtp_stream(&w->cfg.smtp_text, f->sent, &byte, 1);
		worker_flow_send(w, f, f->sent, &byte, 1, worker_flow_link(w, f));
		f->sent++;
		f->lag = 1;
	}
}

bool worker_tick(struct worker *w, uint32_t now_ms, uint32_t max)
{
	uint32_t mean_age = UINT32_MAX;
	uint32_t left = max;
	uint32_t behind = 0;
	struct flow *f;

	while (left > 0 && (f = flow_next_due(w->flows, now_ms)) != NULL) {
		uint32_t late = now_ms - f->due_ms;

		left--;
		behind = late;
		if (w->now_s - f->last_s >= w->cfg.flow_idle_s) {
			worker_flow_end(w, f, "idle", now_ms);
			continue;
		}
		if (f->state == FLOW_HELD) {
			if (late >= w->drip.late_ms && mean_age == UINT32_MAX)
				mean_age = worker_mean_age(w);
			if (drip_decide(&w->drip, late, w->now_s - f->first_s, mean_age,
					f->stretch) == DRIP_STRETCH) {
				/* Behind: an old flow waits an interval, losing no byte. */
				f->stretch++;
				w->stats.drip_stretched++;
			} else {
				f->stretch = 0;
				if (late >= w->drip.late_ms)
					w->stats.drip_late++;
				worker_drip(w, f);
			}
		}
		flow_schedule(w->flows, f, drip_next_due(&w->drip, f->due_ms, now_ms));
	}
	w->stats.drip_behind_ms = behind;
	return left == 0;
}

/*
 * Checksums: veth and locally generated packets arrive CHECKSUM_PARTIAL (CSUMNOTREADY):
 * their checksum field is not filled in yet, so checking it would reject good packets.
 * With no SKB_INFO at all the device already verified it. Only CSUM_NOTVERIFIED asks us.
 */
static bool worker_csum_trusted(const struct queue_pkt *qp, const struct pkt *p)
{
	if (qp->skbinfo & NFQA_SKB_CSUMNOTREADY)
		return true;
	if (!(qp->skbinfo & NFQA_SKB_CSUM_NOTVERIFIED))
		return true;
	return pkt_tcp_csum_ok(p);
}

void worker_handle(struct worker *w, const struct queue_pkt *qp, uint32_t now_ms)
{
	const struct inject_link *link;
	struct worker_stats *s = &w->stats;
	struct tarpit_reply r;
	enum pkt_status st;
	struct pkt p;
	uint8_t *slot;
	size_t len;

	s->packets++;
	s->bytes_in += qp->origlen;
	st = pkt_parse(&p, qp->data, qp->caplen, qp->origlen);
	s->status[st]++;
	if (st != PKT_OK)
		return;
	if (!worker_csum_trusted(qp, &p)) {
		s->bad_csum++;
		return;
	}
	/* Segments on the tuple of a handshake we completed are answered from its record. */
	link = worker_link(w, qp);
	if (worker_flow_packet(w, &p, link, now_ms))
		return;
	tarpit_decide(&w->cfg.tarpit, &p, &r);
	if (r.action == TARPIT_NONE) {
		s->silent[r.reason]++;
		return;
	}
	if (!worker_budget(w, &p, now_ms))
		return;
	slot = worker_slot(w, p.family, link);
	if (slot == NULL) {
		s->budget_global++; /* only without raw sockets (unit tests) */
		return;
	}
	len = reply_build(slot, &p, &r);
	inject_commit(w->out, p.family, len, p.saddr, link);
	switch (r.action) {
	case TARPIT_SYNACK:
		s->synack++;
		tarpit_syn_seen_mark(w->syn_seen, r.seq);
		worker_log_flow(w, &p, now_ms);
		break;
	case TARPIT_RST:
		s->rst++;
		break;
	case TARPIT_ACK:
		if (p.paylen == 0)
			s->probe_acks++;
		else
			s->data_acks++;
		break;
	case TARPIT_NONE:
		break;
	}
}

void worker_snapshot(struct worker *w)
{
	struct worker_snap *s = &w->snap;
	uint32_t req = __atomic_load_n(&s->req, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (req == __atomic_load_n(&s->done, __ATOMIC_RELAXED))
		return;
	s->n = flow_oldest(w->flows, s->flows, WORKER_SNAP_MAX);
	s->count = w->flows->count;
	s->now_s = w->now_s;
	__atomic_store_n(&s->done, req, __ATOMIC_RELEASE);
	/* Best effort: the main thread also looks again at its deadline. */
	if (s->efd >= 0 && write(s->efd, &one, sizeof(one)) < 0)
		return;
}

void *worker_run(void *arg)
{
	struct worker *w = arg;
	bool more = false;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		unsigned int n;
		unsigned int i;
		uint32_t now;

		/*
		 * Drips left over from the last turn: take what is queued, but do not wait.
		 * Flows dripping: wait at most WORKER_DRIP_WAIT_MS, so a quiet queue never
		 * makes a drip later than that.
		 */
		queue_set_timeout(w->queue,
				  w->flows->by_state[FLOW_HELD] > 0 ? WORKER_DRIP_WAIT_MS : -1);
		n = queue_recv(w->queue, w->pkts, &w->stats.q, !more);
		/* After the (blocking) receive, so a reload applies to the very next batch. */
		if (__atomic_load_n(&w->reload, __ATOMIC_ACQUIRE))
			worker_apply_reload(w);
		now = worker_now_ms();
		w->now_s = worker_now_s();
		for (i = 0; i < n; i++)
			worker_handle(w, &w->pkts[i], now);
		/*
		 * A full batch means a busy queue: no more drips than packets this turn, for
		 * every drip brings an ACK back through the queue; with 64 packets against
		 * 2,048 drips a turn the queue overflowed at 500,000 flows (450,000 drops in
		 * 20 s) with a core to spare.
		 */
		more = worker_tick(w, now, n == w->batch ? w->batch : WORKER_TICK_MAX);
		inject_flush(w->inject, w->out, &w->stats.inj);
		queue_verdict_drop_all(w->queue, &w->stats.q);
		/* After the verdict: a status request never delays a packet of this batch. */
		worker_snapshot(w);
		/*
		 * A short batch means the queue is drained: let packets gather for a moment
		 * before the next receive, so a busy queue is read in full batches rather than
		 * one wake-up per few packets. A tarpit's reply lost nothing by waiting a
		 * millisecond; the kernel holds up to queue_maxlen meanwhile.
		 */
		if (n > 0 && n < w->batch && !more && w->cfg.batch_wait_us > 0) {
			struct timespec d = {0, (long)w->cfg.batch_wait_us * 1000L};

			nanosleep(&d, NULL);
		}
	}
	return NULL;
}
