// SPDX-License-Identifier: GPL-2.0-or-later
/* The running daemon: its workers, shared handles, and the totals it reports. */
#include "daemon.h"

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
	fprintf(f, "ack_sent=%llu\n", (unsigned long long)(t.probe_acks + t.data_acks));
	fprintf(f, "replies_sent=%llu\n", (unsigned long long)t.inj.sent);
	fprintf(f, "bytes_out=%llu\n", (unsigned long long)t.inj.bytes);
	fprintf(f, "send_errors=%llu\n", (unsigned long long)t.inj.send_errors);
	fprintf(f, "budget_prefix=%llu\n", (unsigned long long)t.budget_prefix);
	fprintf(f, "budget_global=%llu\n", (unsigned long long)t.budget_global);
	fprintf(f, "budget_drops=%llu\n", (unsigned long long)(t.budget_prefix + t.budget_global));
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
	fprintf(f, "attacker_seconds=%llu\n", (unsigned long long)(t.held_s_ended + held_now));
	fprintf(f, "smtp_bytes=%llu\n", (unsigned long long)t.smtp_bytes);
	fprintf(f, "smtp_segments=%llu\n", (unsigned long long)t.smtp_segments);
	fprintf(f, "flow_table_bytes=%llu\n", (unsigned long long)table_bytes);
	fprintf(f, "verdict_batches=%llu\n", (unsigned long long)t.q.verdict_batches);
	fprintf(f, "verdict_errors=%llu\n", (unsigned long long)t.q.verdict_errors);
	fprintf(f, "recv_enobufs=%llu\n", (unsigned long long)t.q.recv_enobufs);
	fprintf(f, "recv_errors=%llu\n", (unsigned long long)t.q.recv_errors);
	fprintf(f, "nl_errors=%llu\n", (unsigned long long)t.q.nl_errors);
	fprintf(f, "bad_msgs=%llu\n", (unsigned long long)(t.q.bad_msgs + t.q.truncated_msgs));
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
		 (unsigned long long)(t.budget_prefix + t.budget_global),
		 (unsigned long long)t.inj.send_errors, (unsigned long long)t.q.recv_enobufs,
		 (unsigned long long)t.q.verdict_batches);
}
