// SPDX-License-Identifier: GPL-2.0-or-later
/* One thread per queue: receive a batch, decide, build replies, send them, one drop verdict. */
#include "worker.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

uint32_t worker_now_ms(void)
{
	struct timespec ts;

	/* Coarse is enough for token buckets and costs no vDSO page read of the TSC. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

struct worker *worker_alloc(uint16_t queue_num, const struct worker_cfg *cfg,
			    uint32_t budget_buckets, uint32_t batch)
{
	struct worker *w = calloc(1, sizeof(*w));
	uint32_t now = worker_now_ms();

	if (w == NULL)
		return NULL;
	w->queue_num = queue_num;
	w->cfg = *cfg;
	w->out = calloc(1, sizeof(*w->out));
	w->pkts = calloc(batch, sizeof(*w->pkts));
	w->budget = budget_alloc(budget_buckets, &cfg->tarpit.key);
	if (w->out == NULL || w->pkts == NULL || w->budget == NULL) {
		worker_free(w);
		return NULL;
	}
	budget_configure(w->budget, cfg->prefix_rate, cfg->prefix_burst, cfg->global_rate,
			 cfg->global_burst, now);
	w->log_bucket.tokens_milli = cfg->log_flows * 1000u;
	w->log_bucket.last_ms = now;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	budget_free(w->budget);
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
	budget_configure(w->budget, w->cfg.prefix_rate, w->cfg.prefix_burst, w->cfg.global_rate,
			 w->cfg.global_burst, worker_now_ms());
}

/* One key=value line per new tarpitted flow, rate-limited so a flood cannot fill the log. */
static void worker_log_flow(struct worker *w, const struct pkt *p, uint32_t now_ms)
{
	struct budget_bucket *b = &w->log_bucket;
	uint32_t elapsed = now_ms - b->last_ms;
	uint64_t tokens = b->tokens_milli + (uint64_t)elapsed * w->cfg.log_flows;
	char src[INET6_ADDRSTRLEN];

	if (tokens > (uint64_t)w->cfg.log_flows * 1000u)
		tokens = (uint64_t)w->cfg.log_flows * 1000u;
	b->last_ms = now_ms;
	if (tokens < 1000) {
		b->tokens_milli = (uint32_t)tokens;
		w->stats.flows_unlogged++;
		return;
	}
	b->tokens_milli = (uint32_t)(tokens - 1000);
	w->stats.flows_logged++;
	log_info("flow new src=%s sport=%u dport=%u queue=%u unlogged=%llu",
		 pkt_saddr_str(p, src, sizeof(src)), p->sport, p->dport, w->queue_num,
		 (unsigned long long)w->stats.flows_unlogged);
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
	struct worker_stats *s = &w->stats;
	struct tarpit_reply r;
	enum budget_result br;
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
	tarpit_decide(&w->cfg.tarpit, &p, &r);
	if (r.action == TARPIT_NONE) {
		s->silent[r.reason]++;
		return;
	}
	br = budget_take(w->budget, p.family, p.saddr, now_ms);
	if (br == BUDGET_GLOBAL) {
		s->budget_global++;
		return;
	}
	if (br == BUDGET_PREFIX) {
		s->budget_prefix++;
		return;
	}
	slot = inject_slot(w->out, p.family);
	if (slot == NULL) {
		s->budget_global++; /* cannot happen: lanes hold a whole batch */
		return;
	}
	len = reply_build(slot, &p, &r);
	inject_commit(w->out, p.family, len, p.saddr);
	switch (r.action) {
	case TARPIT_SYNACK:
		s->synack++;
		if (w->cfg.log_flows != 0)
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

void *worker_run(void *arg)
{
	struct worker *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		unsigned int n;
		unsigned int i;
		uint32_t now;

		n = queue_recv(w->queue, w->pkts, &w->stats.q);
		/* After the (blocking) receive, so a reload applies to the very next batch. */
		if (__atomic_load_n(&w->reload, __ATOMIC_ACQUIRE))
			worker_apply_reload(w);
		if (n == 0) {
			queue_verdict_drop_all(w->queue, &w->stats.q);
			continue;
		}
		now = worker_now_ms();
		for (i = 0; i < n; i++)
			worker_handle(w, &w->pkts[i], now);
		inject_flush(w->inject, w->out, &w->stats.inj);
		queue_verdict_drop_all(w->queue, &w->stats.q);
	}
	return NULL;
}
