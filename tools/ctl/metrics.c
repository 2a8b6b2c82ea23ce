// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl metrics: the status totals in the Prometheus text exposition format. */
#include <inttypes.h>
#include <string.h>

#include "metrics.h"

/*
 * One metric from one key of the daemon's reply. Labels are fixed words (a reply kind, a
 * state, a queue number, a set name): the number of series is bounded whatever the traffic,
 * unlike per-address labels, whose series grow with every new attacker.
 */
struct metric_row {
	const char *name;
	const char *type; /* counter or gauge */
	const char *help;
	const char *label; /* "kind=\"synack\"", or NULL */
	const char *key;
};

static const struct metric_row metric_rows[] = {
	{"nftarpit_start_time_seconds", "gauge", "Start of nftarpitd, seconds since the epoch.",
	 NULL, "started"},
	{"nftarpit_uptime_seconds", "gauge", "Seconds since nftarpitd started.", NULL, "uptime"},
	{"nftarpit_reloads_total", "counter", "Configuration reloads (SIGHUP) since start.", NULL,
	 "reloads"},
	{"nftarpit_packets_total", "counter", "Packets received from the queues since start.", NULL,
	 "packets"},
	{"nftarpit_received_bytes_total", "counter", "Bytes of the packets received since start.",
	 NULL, "bytes_in"},
	{"nftarpit_sent_bytes_total", "counter", "Bytes of the replies sent since start.", NULL,
	 "bytes_out"},
	{"nftarpit_replies_sent_total", "counter", "Replies sent since start.", NULL,
	 "replies_sent"},
	{"nftarpit_replies_total", "counter", "Replies decided since start, by kind.",
	 "kind=\"synack\"", "synack_sent"},
	{"nftarpit_replies_total", "counter", NULL, "kind=\"rst\"", "rst_sent"},
	{"nftarpit_replies_total", "counter", NULL, "kind=\"probe_ack\"", "probes"},
	{"nftarpit_replies_total", "counter", NULL, "kind=\"data_ack\"", "data_acks"},
	{"nftarpit_send_errors_total", "counter", "Replies the reply sockets refused since start.",
	 NULL, "send_errors"},
	{"nftarpit_replies_by_path_total", "counter",
	 "Replies sent since start, by path: back out of the incoming interface, or routed "
	 "after that interface refused them.",
	 "path=\"link\"", "replies_link"},
	{"nftarpit_replies_by_path_total", "counter", NULL, "path=\"link_routed\"",
	 "replies_link_routed"},
	{"nftarpit_budget_drops_total", "counter",
	 "Replies withheld by the reply budgets since start.", "scope=\"prefix\"", "budget_prefix"},
	{"nftarpit_budget_drops_total", "counter", NULL, "scope=\"global\"", "budget_global"},
	{"nftarpit_bad_packets_total", "counter", "Packets not answered as unparsable, by reason.",
	 "reason=\"truncated\"", "truncated"},
	{"nftarpit_bad_packets_total", "counter", NULL, "reason=\"malformed\"", "malformed"},
	{"nftarpit_bad_packets_total", "counter", NULL, "reason=\"not_tcp\"", "not_tcp"},
	{"nftarpit_bad_packets_total", "counter", NULL, "reason=\"fragment\"", "fragment"},
	{"nftarpit_bad_packets_total", "counter", NULL, "reason=\"bad_csum\"", "bad_csum"},
	{"nftarpit_bad_packets_total", "counter", NULL, "reason=\"cookie_bad\"", "cookie_bad"},
	{"nftarpit_flows", "gauge", "Flows held now, by state.", "state=\"held\"", "flows_held"},
	{"nftarpit_flows", "gauge", NULL, "state=\"quiet\"", "flows_quiet"},
	{"nftarpit_flow_records", "gauge", "Flow records allocated at start, all queues.", NULL,
	 "max_flows"},
	{"nftarpit_flows_started_total", "counter", "Flows that got a record since start.", NULL,
	 "flows_new"},
	{"nftarpit_flows_ended_total", "counter", "Flows that ended since start.", NULL,
	 "flows_ended"},
	{"nftarpit_flows_evicted_total", "counter", "Flows pushed out of a full table since start.",
	 NULL, "flows_evicted"},
	{"nftarpit_flows_stateless_total", "counter",
	 "Flows held without a record (table full) since start.", NULL, "flows_stateless"},
	{"nftarpit_flows_readopted_total", "counter",
	 "Flows held before a restart whose record was made again from their probes, since start.",
	 NULL, "flows_readopted"},
	{"nftarpit_attacker_seconds_total", "counter",
	 "Seconds peers were held, ended and live flows, since start.", NULL, "attacker_seconds"},
	{"nftarpit_smtp_bytes_total", "counter", "SMTP greeting bytes dripped since start.", NULL,
	 "smtp_bytes"},
	{"nftarpit_drip_segments_total", "counter", "SMTP segments sent (greetings and drips).",
	 NULL, "smtp_segments"},
	{"nftarpit_drip_late_total", "counter",
	 "Drip bytes sent a tenth of an interval or more after their time.", NULL, "drip_late"},
	{"nftarpit_drip_stretched_total", "counter",
	 "Drips of the longest-held flows put off one interval because the daemon was behind.",
	 NULL, "drip_stretched"},
	{"nftarpit_drip_behind_milliseconds", "gauge",
	 "How late the last drip was, summed over queues.", NULL, "drip_behind_ms"},
	{"nftarpit_recv_enobufs_total", "counter", "Queue socket overruns since start.", NULL,
	 "recv_enobufs"},
	{"nftarpit_verdict_errors_total", "counter", "Refused verdict batches since start.", NULL,
	 "verdict_errors"},
};

static void metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_kernel(FILE *f, const struct status_kernel *k)
{
	unsigned int i;
	int s;

	if (k->proc && k->nqueues > 0) {
		metrics_head(f, "nftarpit_kernel_queue_waiting", "gauge",
			     "Packets waiting in the kernel's queue now.");
		for (i = 0; i < k->nqueues; i++)
			fprintf(f, "nftarpit_kernel_queue_waiting{queue=\"%u\"} %" PRIu64 "\n",
				k->q[i].num, k->q[i].waiting);
		metrics_head(f, "nftarpit_kernel_queue_dropped_total", "counter",
			     "Packets the kernel dropped, queue full, since the queue was bound.");
		for (i = 0; i < k->nqueues; i++)
			fprintf(f,
				"nftarpit_kernel_queue_dropped_total{queue=\"%u\"} %" PRIu64 "\n",
				k->q[i].num, k->q[i].dropped);
		metrics_head(
			f, "nftarpit_kernel_queue_user_dropped_total", "counter",
			"Packets lost to a full netlink socket buffer since the queue was bound.");
		for (i = 0; i < k->nqueues; i++)
			fprintf(f,
				"nftarpit_kernel_queue_user_dropped_total{queue=\"%u\"} %" PRIu64
				"\n",
				k->q[i].num, k->q[i].user_dropped);
	}
	if (k->ruleset != 1)
		return;
	metrics_head(f, "nftarpit_rpf", "gauge",
		     "Whether the ruleset drops sources failing the reverse-path check.");
	fprintf(f, "nftarpit_rpf %d\n", k->rpf ? 1 : 0);
	if (k->rpf) {
		metrics_head(
			f, "nftarpit_rpf_dropped_total", "counter",
			"Packets from spoofed sources (failing the reverse-path check) dropped.");
		fprintf(f, "nftarpit_rpf_dropped_total %" PRIu64 "\n", k->rpf_dropped);
	}
	metrics_head(f, "nftarpit_set_ranges", "gauge",
		     "Elements of the ruleset's list sets (addresses in host sets, ranges in the "
		     "others).");
	for (s = 0; s < LISTSET_COUNT; s++)
		if (k->sets[s] >= 0)
			fprintf(f, "nftarpit_set_ranges{set=\"%s\"} %lld\n", listsets[s].name,
				k->sets[s]);
}

/* nftarpit-sync's [crowdsec] client, when its store has a status line. */
static void metrics_crowdsec(FILE *f, const struct status_crowdsec *cs)
{
	if (!cs->known)
		return;
	metrics_head(f, "nftarpit_crowdsec_up", "gauge",
		     "Whether nftarpit-sync's last request to the CrowdSec LAPI succeeded.");
	fprintf(f, "nftarpit_crowdsec_up %d\n", strcmp(cs->state, "up") == 0 ? 1 : 0);
	metrics_head(f, "nftarpit_crowdsec_decisions_held", "gauge",
		     "CrowdSec decisions nftarpit-sync holds in the sets.");
	fprintf(f, "nftarpit_crowdsec_decisions_held %" PRIu64 "\n", cs->held);
	metrics_head(f, "nftarpit_crowdsec_last_pull_timestamp_seconds", "gauge",
		     "Last successful pull from the LAPI, seconds since the epoch (0 never).");
	fprintf(f, "nftarpit_crowdsec_last_pull_timestamp_seconds %" PRIu64 "\n", cs->last_pull);
	metrics_head(f, "nftarpit_crowdsec_errors_total", "counter",
		     "Failed pulls and pushes since nftarpit-sync started.");
	fprintf(f, "nftarpit_crowdsec_errors_total %" PRIu64 "\n", cs->errors);
	metrics_head(f, "nftarpit_crowdsec_pushed_total", "counter",
		     "Bans pushed to the LAPI since nftarpit-sync started.");
	fprintf(f, "nftarpit_crowdsec_pushed_total %" PRIu64 "\n", cs->pushed);
}

/* Labels from fixed vocabularies: family, prefix length (0-128 or "range"), source. */
static void metrics_bans(FILE *f, const struct state_ban_counts *c)
{
	struct state_ban_row rows[STATE_BAN_ROWS];
	size_t i, n = state_ban_rows(c, rows);

	metrics_head(f, "nftarpit_bans", "gauge",
		     "Bans in force in nftarpit-sync's master list, by family, prefix length and "
		     "source.");
	for (i = 0; i < n; i++) {
		fprintf(f, "nftarpit_bans{family=\"ipv%d\",prefix=\"", rows[i].family);
		if (rows[i].len < 0)
			fputs("range", f);
		else
			fprintf(f, "%d", rows[i].len);
		fprintf(f, "\",source=\"%s\"} %u\n", state_ban_src_name(rows[i].src),
			rows[i].count);
	}
}

void metrics_print(FILE *f, const struct status *st)
{
	const char *v;
	size_t i;

	metrics_head(f, "nftarpit_up", "gauge",
		     "Whether nftarpitd answered on its control socket.");
	fprintf(f, "nftarpit_up %d\n", st->daemon ? 1 : 0);
	if (st->k.ruleset >= 0) {
		metrics_head(f, "nftarpit_ruleset_present", "gauge",
			     "Whether table inet nftarpit is in the kernel.");
		fprintf(f, "nftarpit_ruleset_present %d\n", st->k.ruleset);
	}
	metrics_kernel(f, &st->k);
	metrics_crowdsec(f, &st->cs);
	if (st->bans_known)
		metrics_bans(f, &st->bans);
	if (!st->daemon)
		return;
	metrics_head(f, "nftarpit_info", "gauge", "nftarpitd's version; always 1.");
	fprintf(f, "nftarpit_info{version=\"%s\"} 1\n",
		strspn(status_get(st, "version"), "0123456789.") ==
				strlen(status_get(st, "version"))
			? status_get(st, "version")
			: "unknown");
	for (i = 0; i < sizeof(metric_rows) / sizeof(metric_rows[0]); i++) {
		const struct metric_row *m = &metric_rows[i];

		v = status_get(st, m->key);
		if (v == NULL)
			continue;
		if (m->help != NULL)
			metrics_head(f, m->name, m->type, m->help);
		if (m->label != NULL)
			fprintf(f, "%s{%s} %" PRIu64 "\n", m->name, m->label,
				status_u64(st, m->key));
		else
			fprintf(f, "%s %" PRIu64 "\n", m->name, status_u64(st, m->key));
	}
}
