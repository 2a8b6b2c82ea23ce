// SPDX-License-Identifier: GPL-2.0-or-later
/* The running daemon: its workers, shared handles, and the totals it reports. */
#include "daemon.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "log.h"

void daemon_worker_cfg(const struct daemon_conf *c, const struct cookie_key *key,
		       struct worker_cfg *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->tarpit.syn_window = c->syn_window;
	wc->tarpit.mss = c->mss;
	wc->tarpit.key = *key;
	wc->prefix_rate = c->prefix_rate;
	wc->prefix_burst = c->prefix_burst;
	/*
	 * A /16 holds 256 /24s, a /48 65,536 /64s: unless set, an aggregate gets four prefixes'
	 * worth, so raising the prefix budget (benchmarks, big NATs) raises it too.
	 */
	wc->agg_rate = c->agg_rate != 0 ? c->agg_rate : 4 * c->prefix_rate;
	wc->agg_burst = c->agg_burst != 0 ? c->agg_burst : 4 * c->prefix_burst;
	/* Each queue's thread has its own global bucket: split the cap between them. */
	wc->global_rate = c->global_rate / (uint32_t)(c->queue_last - c->queue_first + 1);
	wc->global_burst = c->global_burst / (uint32_t)(c->queue_last - c->queue_first + 1);
	if (wc->global_rate == 0)
		wc->global_rate = 1;
	if (wc->global_burst == 0)
		wc->global_burst = 1;
	wc->log_flows = c->log_flows;
	wc->smtp = c->smtp;
	memcpy(wc->smtp_ports, c->smtp_ports, sizeof(wc->smtp_ports));
	wc->nsmtp_ports = c->nsmtp_ports;
	wc->smtp_interval_ms = c->smtp_interval_s * 1000u;
	wc->smtp_max_bytes = c->smtp_max_bytes;
	wc->smtp_drip_greeting = c->smtp_drip_greeting;
	smtp_text_init(&wc->smtp_text, c->smtp_hostname);
	wc->flow_idle_s = c->flow_idle_s;
	wc->flow_evict_idle_s = c->flow_evict_idle_s;
	wc->batch_wait_us = c->batch_wait_us;
}

/* Flows held now and their attacker-seconds so far, over all workers. */
static void daemon_flows_now(const struct daemon *d, uint64_t *count, uint64_t *by_state,
			     uint64_t *held_s, uint64_t *bytes)
{
	uint32_t now = worker_now_s();
	unsigned int i;
	int st;

	*count = 0;
	*held_s = 0;
	*bytes = 0;
	for (st = 0; st < FLOW_STATE_MAX; st++)
		by_state[st] = 0;
	for (i = 0; i < d->nworkers; i++) {
		const struct worker *w = d->workers[i];
		uint64_t n = __atomic_load_n(&w->flows->count, __ATOMIC_RELAXED);
		uint64_t sum = __atomic_load_n(&w->stats.sum_first_s, __ATOMIC_RELAXED);

		*count += n;
		if (n * now > sum)
			*held_s += n * now - sum;
		for (st = 0; st < FLOW_STATE_MAX; st++)
			by_state[st] += __atomic_load_n(&w->flows->by_state[st], __ATOMIC_RELAXED);
		*bytes += flow_table_bytes(w->flows);
	}
}

static void daemon_sum(const struct daemon *d, struct worker_stats *t)
{
	unsigned int i;
	size_t k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < d->nworkers; i++) {
		const uint64_t *src = (const uint64_t *)&d->workers[i]->stats;
		uint64_t *dst = (uint64_t *)t;

		/* worker_stats is made of uint64_t counters only. */
		for (k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

void daemon_write_stats(FILE *f, void *arg)
{
	const struct daemon *d = arg;
	uint64_t by_state[FLOW_STATE_MAX];
	uint64_t table_bytes;
	uint64_t held_now;
	uint64_t flows;
	struct worker_stats t;
	int i;

	daemon_sum(d, &t);
	fprintf(f, "version=%s\n", NFTARPIT_VERSION);
	fprintf(f, "uptime=%lld\n", (long long)(time(NULL) - d->started));
	fprintf(f, "started=%lld\n", (long long)d->started);
	fprintf(f, "reloads=%llu\n", (unsigned long long)d->reloads);
	fprintf(f, "threads=%u\n", d->nworkers);
	fprintf(f, "max_flows=%llu\n", (unsigned long long)d->conf.max_flows * d->nworkers);
	fprintf(f, "queues=%u-%u\n", d->conf.queue_first, d->conf.queue_last);
	fprintf(f, "packets=%llu\n", (unsigned long long)t.packets);
	fprintf(f, "bytes_in=%llu\n", (unsigned long long)t.bytes_in);
	for (i = 1; i < PKT_STATUS_MAX; i++)
		fprintf(f, "%s=%llu\n", pkt_status_name((enum pkt_status)i),
			(unsigned long long)t.status[i]);
	fprintf(f, "bad_csum=%llu\n", (unsigned long long)t.bad_csum);
	for (i = 1; i < TARPIT_R_MAX; i++)
		fprintf(f, "%s=%llu\n", tarpit_reason_name((enum tarpit_reason)i),
			(unsigned long long)t.silent[i]);
	fprintf(f, "synack_sent=%llu\n", (unsigned long long)t.synack);
	fprintf(f, "rst_sent=%llu\n", (unsigned long long)t.rst);
	fprintf(f, "probes=%llu\n", (unsigned long long)t.probe_acks);
	fprintf(f, "data_acks=%llu\n", (unsigned long long)t.data_acks);
	fprintf(f, "challenge_acks=%llu\n", (unsigned long long)t.challenge_acks);
	fprintf(f, "ack_sent=%llu\n",
		(unsigned long long)(t.probe_acks + t.data_acks + t.challenge_acks));
	fprintf(f, "replies_sent=%llu\n", (unsigned long long)t.inj.sent);
	fprintf(f, "bytes_out=%llu\n", (unsigned long long)t.inj.bytes);
	fprintf(f, "send_errors=%llu\n", (unsigned long long)t.inj.send_errors);
	fprintf(f, "replies_link=%llu\n", (unsigned long long)t.inj.link_sent);
	fprintf(f, "replies_link_routed=%llu\n", (unsigned long long)t.inj.link_routed);
	fprintf(f, "budget_prefix=%llu\n", (unsigned long long)t.budget_prefix);
	fprintf(f, "budget_global=%llu\n", (unsigned long long)t.budget_global);
	fprintf(f, "budget_aggregate=%llu\n", (unsigned long long)t.budget_aggregate);
	fprintf(f, "budget_drops=%llu\n",
		(unsigned long long)(t.budget_prefix + t.budget_global + t.budget_aggregate));
	fprintf(f, "flows_logged=%llu\n", (unsigned long long)t.flows_logged);
	fprintf(f, "flows_unlogged=%llu\n", (unsigned long long)t.flows_unlogged);
	daemon_flows_now(d, &flows, by_state, &held_now, &table_bytes);
	fprintf(f, "flows_now=%llu\n", (unsigned long long)flows);
	for (i = 1; i < FLOW_STATE_MAX; i++)
		fprintf(f, "flows_%s=%llu\n", flow_state_name((enum flow_state)i),
			(unsigned long long)by_state[i]);
	fprintf(f, "flows_new=%llu\n", (unsigned long long)t.flows_new);
	fprintf(f, "flows_ended=%llu\n", (unsigned long long)t.flows_ended);
	fprintf(f, "flows_evicted=%llu\n", (unsigned long long)t.flows_evicted);
	fprintf(f, "flows_stateless=%llu\n", (unsigned long long)t.flows_stateless);
	fprintf(f, "flows_readopted=%llu\n", (unsigned long long)t.flows_readopted);
	fprintf(f, "attacker_seconds=%llu\n", (unsigned long long)(t.held_s_ended + held_now));
	fprintf(f, "smtp_bytes=%llu\n", (unsigned long long)t.smtp_bytes);
	fprintf(f, "smtp_segments=%llu\n", (unsigned long long)t.smtp_segments);
	fprintf(f, "drip_late=%llu\n", (unsigned long long)t.drip_late);
	fprintf(f, "drip_stretched=%llu\n", (unsigned long long)t.drip_stretched);
	fprintf(f, "drip_resent=%llu\n", (unsigned long long)t.drip_resent);
	/* Summed over workers like the counters: the worst is at most this. */
	fprintf(f, "drip_behind_ms=%llu\n", (unsigned long long)t.drip_behind_ms);
	fprintf(f, "flow_table_bytes=%llu\n", (unsigned long long)table_bytes);
	fprintf(f, "verdict_batches=%llu\n", (unsigned long long)t.q.verdict_batches);
	fprintf(f, "verdict_errors=%llu\n", (unsigned long long)t.q.verdict_errors);
	fprintf(f, "recv_enobufs=%llu\n", (unsigned long long)t.q.recv_enobufs);
	fprintf(f, "recv_errors=%llu\n", (unsigned long long)t.q.recv_errors);
	fprintf(f, "nl_errors=%llu\n", (unsigned long long)t.q.nl_errors);
	fprintf(f, "bad_msgs=%llu\n", (unsigned long long)(t.q.bad_msgs + t.q.truncated_msgs));
}

void daemon_snap_start(void *arg)
{
	struct daemon *d = arg;
	unsigned int i;

	d->snap_req++;
	for (i = 0; i < d->nworkers; i++)
		__atomic_store_n(&d->workers[i]->snap.req, d->snap_req, __ATOMIC_RELEASE);
}

static bool daemon_snap_has(const struct daemon *d, const struct worker *w)
{
	return __atomic_load_n(&w->snap.done, __ATOMIC_ACQUIRE) == d->snap_req;
}

bool daemon_snap_ready(void *arg)
{
	const struct daemon *d = arg;
	unsigned int i;

	for (i = 0; i < d->nworkers; i++)
		if (!daemon_snap_has(d, d->workers[i]))
			return false;
	return true;
}

/* One held flow of the snapshot, with its worker for the queue number and the clock. */
struct daemon_snap_flow {
	const struct flow *f;
	const struct worker *w;
	uint32_t held;
};

static int daemon_snap_cmp(const void *a, const void *b)
{
	const struct daemon_snap_flow *x = a;
	const struct daemon_snap_flow *y = b;

	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return 0;
}

void daemon_write_status(FILE *f, unsigned int nflows, void *arg)
{
	const struct daemon *d = arg;
	struct daemon_snap_flow *all;
	uint64_t count = 0;
	unsigned int i, k, n = 0, got = 0;
	char src[INET6_ADDRSTRLEN];

	daemon_write_stats(f, arg);
	/* "status 0" asked for no flows, so no snapshot was taken: none to report. */
	if (nflows == 0) {
		fputs("end\n", f);
		return;
	}
	all = calloc((size_t)d->nworkers * WORKER_SNAP_MAX + 1, sizeof(*all));
	for (i = 0; i < d->nworkers; i++) {
		const struct worker *w = d->workers[i];

		if (!daemon_snap_has(d, w))
			continue;
		got++;
		count += w->snap.count;
		for (k = 0; all != NULL && k < w->snap.n; k++) {
			all[n].f = &w->snap.flows[k];
			all[n].w = w;
			all[n].held = w->snap.now_s - w->snap.flows[k].first_s;
			n++;
		}
	}
	fprintf(f, "snapshot_flows=%llu\n", (unsigned long long)count);
	fprintf(f, "snapshot_queues=%u\n", got);
	fprintf(f, "snapshot_missing=%u\n", d->nworkers - got);
	if (all != NULL)
		qsort(all, n, sizeof(*all), daemon_snap_cmp);
	for (k = 0; all != NULL && k < n && k < nflows; k++) {
		const struct flow *fl = all[k].f;

		if (inet_ntop(fl->family, fl->saddr, src, sizeof(src)) == NULL)
			src[0] = '\0';
		fprintf(f,
			"flow src=%s sport=%u dport=%u queue=%u state=%s held=%u idle=%u bytes=%u "
			"probes=%u\n",
			src, fl->sport, fl->dport, all[k].w->queue_num,
			flow_state_name((enum flow_state)fl->state), all[k].held,
			all[k].w->snap.now_s - fl->last_s, fl->sent, fl->probes);
	}
	fputs("end\n", f);
	free(all);
}

void daemon_log_stats(const struct daemon *d)
{
	uint64_t by_state[FLOW_STATE_MAX];
	uint64_t table_bytes;
	uint64_t held_now;
	uint64_t flows;
	struct worker_stats t;

	daemon_sum(d, &t);
	daemon_flows_now(d, &flows, by_state, &held_now, &table_bytes);
	log_info("stats flows_now=%llu flows_new=%llu flows_ended=%llu attacker_seconds=%llu "
		 "smtp_bytes=%llu",
		 (unsigned long long)flows, (unsigned long long)t.flows_new,
		 (unsigned long long)t.flows_ended, (unsigned long long)(t.held_s_ended + held_now),
		 (unsigned long long)t.smtp_bytes);
	log_info("stats uptime=%lld packets=%llu synack_sent=%llu probes=%llu data_acks=%llu "
		 "rst_sent=%llu replies_sent=%llu bytes_in=%llu bytes_out=%llu malformed=%llu "
		 "truncated=%llu fragments=%llu bad_csum=%llu cookie_bad=%llu budget_drops=%llu "
		 "send_errors=%llu recv_enobufs=%llu verdict_batches=%llu",
		 (long long)(time(NULL) - d->started), (unsigned long long)t.packets,
		 (unsigned long long)t.synack, (unsigned long long)t.probe_acks,
		 (unsigned long long)t.data_acks, (unsigned long long)t.rst,
		 (unsigned long long)t.inj.sent, (unsigned long long)t.bytes_in,
		 (unsigned long long)t.inj.bytes, (unsigned long long)t.status[PKT_MALFORMED],
		 (unsigned long long)t.status[PKT_TRUNCATED],
		 (unsigned long long)t.status[PKT_FRAGMENT], (unsigned long long)t.bad_csum,
		 (unsigned long long)t.silent[TARPIT_R_COOKIE],
		 (unsigned long long)(t.budget_prefix + t.budget_global + t.budget_aggregate),
		 (unsigned long long)t.inj.send_errors, (unsigned long long)t.q.recv_enobufs,
		 (unsigned long long)t.q.verdict_batches);
}
