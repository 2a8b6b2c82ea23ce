// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl status/metrics: the daemon's reply parsed, plus what the kernel says, shown. */
#include "status.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strnum.h"

void status_init(struct status *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	st->k.ruleset = -1;
	for (i = 0; i < LISTSET_COUNT; i++)
		st->k.sets[i] = -1;
}

const char *status_get(const struct status *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nkv; i++)
		if (strcmp(st->kv[i].key, key) == 0)
			return st->kv[i].val;
	return NULL;
}

static bool status_num(const char *s, uint64_t *out)
{
	const char *errstr;
	long long v;

	if (s == NULL)
		return false;
	v = strnum_parse(s, 0, INT64_MAX, &errstr);
	if (errstr != NULL)
		return false;
	*out = (uint64_t)v;
	return true;
}

uint64_t status_u64(const struct status *st, const char *key)
{
	uint64_t v = 0;

	return status_num(status_get(st, key), &v) ? v : 0;
}

/* "flow src=... sport=..." into f; -1 on any missing or bad field. */
static int status_parse_flow(char *p, struct status_flow *f)
{
	static const char *const nums[] = {"sport", "dport", "queue", "held",
					   "idle",  "bytes", "probes"};
	uint64_t v[7];
	bool have[7] = {false};
	bool src = false, state = false;
	char *tok, *eq;
	size_t i;

	memset(f, 0, sizeof(*f));
	while (p != NULL) {
		tok = strsep(&p, " ");
		if (*tok == '\0')
			continue;
		eq = strchr(tok, '=');
		if (eq == NULL)
			return -1;
		*eq++ = '\0';
		if (strcmp(tok, "src") == 0 && strlen(eq) < sizeof(f->src)) {
			memcpy(f->src, eq, strlen(eq) + 1);
			src = true;
			continue;
		}
		if (strcmp(tok, "state") == 0 && strlen(eq) < sizeof(f->state)) {
			memcpy(f->state, eq, strlen(eq) + 1);
			state = true;
			continue;
		}
		for (i = 0; i < 7; i++) {
			if (strcmp(tok, nums[i]) == 0 && status_num(eq, &v[i])) {
				have[i] = true;
				break;
			}
		}
		if (i == 7)
			return -1;
	}
	for (i = 0; i < 7; i++)
		if (!have[i])
			return -1;
	if (!src || !state || v[0] > 65535 || v[1] > 65535 || v[2] > 65535)
		return -1;
	f->sport = (unsigned int)v[0];
	f->dport = (unsigned int)v[1];
	f->queue = (unsigned int)v[2];
	f->held = v[3];
	f->idle = v[4];
	f->bytes = v[5];
	f->probes = v[6];
	return 0;
}

int status_parse(struct status *st, const char *text, bool need_end, char *err, size_t errlen)
{
	char *copy = strdup(text);
	char *line, *next, *eq;
	unsigned int lineno = 0;
	bool end = false;
	int rc = -1;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->nkv = 0;
	st->nflows = 0;
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (end) {
			snprintf(err, errlen, "line %u: text after the end line", lineno);
			goto out;
		}
		if (strncmp(line, "error ", 6) == 0) {
			snprintf(err, errlen, "the daemon says: %s", line + 6);
			goto out;
		}
		if (strcmp(line, "end") == 0) {
			end = true;
			continue;
		}
		if (strncmp(line, "flow ", 5) == 0) {
			if (st->nflows == STATUS_FLOWS_MAX ||
			    status_parse_flow(line + 5, &st->flows[st->nflows]) < 0) {
				snprintf(err, errlen, "line %u: bad flow line", lineno);
				goto out;
			}
			st->nflows++;
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL || eq == line || (size_t)(eq - line) >= sizeof(st->kv[0].key) ||
		    strlen(eq + 1) >= sizeof(st->kv[0].val) || st->nkv == STATUS_KV_MAX) {
			snprintf(err, errlen, "line %u: not key=value", lineno);
			goto out;
		}
		memcpy(st->kv[st->nkv].key, line, (size_t)(eq - line));
		st->kv[st->nkv].key[eq - line] = '\0';
		memcpy(st->kv[st->nkv].val, eq + 1, strlen(eq + 1) + 1);
		st->nkv++;
	}
	if (need_end && !end) {
		snprintf(err, errlen, "reply cut short (no end line)");
		goto out;
	}
	if (status_get(st, "version") == NULL) {
		snprintf(err, errlen, "not an nftarpitd reply (no version)");
		goto out;
	}
	st->daemon = true;
	rc = 0;
out:
	free(copy);
	return rc;
}

int status_parse_proc(struct status_kernel *k, const char *text)
{
	const char *p = text;
	unsigned long long v[9];
	int n;

	k->nqueues = 0;
	while (*p != '\0') {
		/* queue portid waiting copy_mode copy_range dropped user_dropped id 1 */
		if (sscanf(p, "%llu %llu %llu %llu %llu %llu %llu %llu %llu%n", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &n) != 9)
			return -1;
		if (k->nqueues < STATUS_QUEUES_MAX && v[0] <= 65535) {
			struct status_queue *q = &k->q[k->nqueues++];

			q->num = (unsigned int)v[0];
			q->portid = (unsigned long)v[1];
			q->waiting = v[2];
			q->dropped = v[5];
			q->user_dropped = v[6];
			q->id = v[7];
		}
		p += n;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	k->proc = true;
	return 0;
}

void status_duration(uint64_t s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(out, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(out, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

/* Append to out at *n, never past len. */
static void status_cat(char *out, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void status_cat(char *out, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(out + *n, len - *n, fmt, ap);
	va_end(ap);
	*n = k < 0 ? len : *n + (size_t)k;
}

void status_bans_text(const struct state_ban_counts *c, char *out, size_t len)
{
	struct state_ban_row rows[STATE_BAN_ROWS];
	size_t i, n = state_ban_rows(c, rows), at = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i == 0 || rows[i].src != rows[i - 1].src)
			status_cat(out, len, &at, "%s%s ", i > 0 ? "; " : "",
				   state_ban_src_name(rows[i].src));
		else
			status_cat(out, len, &at, ", ");
		if (rows[i].len < 0)
			status_cat(out, len, &at, "IPv%d ranges %u", rows[i].family, rows[i].count);
		else
			status_cat(out, len, &at, "IPv%d/%d %u", rows[i].family, rows[i].len,
				   rows[i].count);
	}
	if (n == 0)
		snprintf(out, len, "none");
}

void status_bans_json(FILE *f, const struct state_ban_counts *c)
{
	struct state_ban_row rows[STATE_BAN_ROWS];
	size_t i, n = state_ban_rows(c, rows);

	fputc('[', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"family\": %d, \"prefix\": ", i > 0 ? ", " : "", rows[i].family);
		if (rows[i].len < 0)
			fputs("\"range\"", f);
		else
			fprintf(f, "%d", rows[i].len);
		fprintf(f, ", \"source\": \"%s\", \"count\": %u}", state_ban_src_name(rows[i].src),
			rows[i].count);
	}
	fputc(']', f);
}

/* Flows held now: the workers' snapshot count when there is one, else the counters. */
static uint64_t status_flows_now(const struct status *st)
{
	if (status_get(st, "snapshot_flows") != NULL)
		return status_u64(st, "snapshot_flows");
	return status_u64(st, "flows_now");
}

int status_parse_crowdsec(struct status_crowdsec *cs, const char *line)
{
	const char *p = line, *eq, *end;
	char key[32], val[256];
	size_t kl, vl;

	memset(cs, 0, sizeof(*cs));
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		eq = strchr(p, '=');
		if (eq == NULL)
			break;
		kl = (size_t)(eq - p);
		if (eq[1] == '"') {
			eq++;
			end = strrchr(eq + 1, '"');
			if (end == NULL)
				return -1;
		} else {
			end = eq + 1 + strcspn(eq + 1, " ");
		}
		vl = (size_t)(end - eq - 1);
		if (kl >= sizeof(key) || vl >= sizeof(val))
			return -1;
		memcpy(key, p, kl);
		key[kl] = '\0';
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		p = *end == '"' ? end + 1 : end;
		if (strcmp(key, "url") == 0)
			snprintf(cs->url, sizeof(cs->url), "%s", val);
		else if (strcmp(key, "state") == 0)
			snprintf(cs->state, sizeof(cs->state), "%.15s", val);
		else if (strcmp(key, "last_error") == 0)
			snprintf(cs->last_error, sizeof(cs->last_error), "%s", val);
		else if (strcmp(key, "held") == 0)
			(void)status_num(val, &cs->held);
		else if (strcmp(key, "last_pull") == 0)
			(void)status_num(val, &cs->last_pull);
		else if (strcmp(key, "pulls") == 0)
			(void)status_num(val, &cs->pulls);
		else if (strcmp(key, "errors") == 0)
			(void)status_num(val, &cs->errors);
		else if (strcmp(key, "pushed") == 0)
			(void)status_num(val, &cs->pushed);
	}
	cs->known = cs->state[0] != '\0';
	return cs->known ? 0 : -1;
}

static void status_print_crowdsec(FILE *f, const struct status_crowdsec *cs, int64_t now)
{
	char ago[32];

	if (!cs->known)
		return;
	if (cs->last_pull > 0)
		status_duration(
			now > (int64_t)cs->last_pull ? (uint64_t)(now - (int64_t)cs->last_pull) : 0,
			ago, sizeof(ago));
	fprintf(f,
		"crowdsec     %s %s, %" PRIu64 " decisions held, last pull %s%s, %" PRIu64
		" pulls, %" PRIu64 " errors, %" PRIu64 " bans pushed%s%s\n",
		cs->url, cs->state, cs->held, cs->last_pull > 0 ? ago : "never",
		cs->last_pull > 0 ? " ago" : "", cs->pulls, cs->errors, cs->pushed,
		cs->last_error[0] != '\0' ? "; last error: " : "", cs->last_error);
}

static void status_print_kernel(FILE *f, const struct status *st)
{
	const struct status_kernel *k = &st->k;
	unsigned int i;
	int s;

	if (k->ruleset == 1)
		fprintf(f, "ruleset      queue %u%s via %s%s\n", k->qnum,
			k->qtotal > 1 ? (k->fanout ? " (by CPU)" : " (by address)") : "",
			strcmp(k->via, "xt") == 0 ? "xt NFQUEUE target" : "native nft queue",
			k->bypass ? ", fail-open (bypass)" : ", fail-closed");
	if (k->ruleset == 1 && k->rpf)
		fprintf(f,
			"rpf          on: spoofed sources dropped before the queue, %" PRIu64
			" so far\n",
			k->rpf_dropped);
	else if (k->ruleset == 1)
		fprintf(f, "rpf          off (setup --no-rpf): no reverse-path check\n");
	if (k->ruleset == 0)
		fprintf(f, "ruleset      table inet nftarpit missing (nftarpitctl setup)\n");
	else if (k->ruleset < 0)
		fprintf(f, "ruleset      unknown (cannot read the kernel's ruleset)\n");
	if (k->ruleset == 1) {
		fprintf(f, "sets        ");
		for (s = 0; s < LISTSET_COUNT; s++) {
			if (k->sets[s] < 0)
				fprintf(f, " %s ?", listsets[s].name);
			else
				fprintf(f, " %s %lld", listsets[s].name, k->sets[s]);
			fputs(s + 1 < LISTSET_COUNT ? "," : " (elements)\n", f);
		}
	}
	if (!k->proc) {
		fprintf(f, "kernel queue no nfnetlink_queue in /proc (no queue bound here)\n");
		return;
	}
	for (i = 0; i < k->nqueues; i++)
		fprintf(f,
			"kernel queue %u: waiting %" PRIu64 ", dropped %" PRIu64
			" (queue full), user-dropped %" PRIu64 " (socket buffer), queued %" PRIu64
			", peer portid %lu\n",
			k->q[i].num, k->q[i].waiting, k->q[i].dropped, k->q[i].user_dropped,
			k->q[i].id, k->q[i].portid);
}

void status_print(FILE *f, const struct status *st, int64_t now)
{
	char d1[32], d2[32], d3[32], when[64], bans[512];
	uint64_t started = status_u64(st, "started");
	time_t t = (time_t)started;
	struct tm tm;
	size_t i;

	if (!st->daemon) {
		fprintf(f, "nftarpitd    not answering: %s\n", st->daemon_err);
		status_print_kernel(f, st);
		status_print_crowdsec(f, &st->cs, now);
		return;
	}
	status_duration(status_u64(st, "uptime"), d1, sizeof(d1));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		when[0] = '\0';
	fprintf(f, "nftarpitd    %s, up %s (since %s), reloads %" PRIu64 "\n",
		status_get(st, "version"), d1, when, status_u64(st, "reloads"));
	fprintf(f, "queues       %s, %" PRIu64 " thread(s), %" PRIu64 " flow records\n",
		status_get(st, "queues") != NULL ? status_get(st, "queues") : "?",
		status_u64(st, "threads"), status_u64(st, "max_flows"));
	status_print_kernel(f, st);
	status_print_crowdsec(f, &st->cs, now);
	if (st->bans_known) {
		status_bans_text(&st->bans, bans, sizeof(bans));
		fprintf(f, "bans now     %s (master list)\n", bans);
	}
	status_duration(status_u64(st, "attacker_seconds"), d2, sizeof(d2));
	fprintf(f, "held now     %" PRIu64 " flows (held %" PRIu64 ", quiet %" PRIu64 ")\n",
		status_flows_now(st), status_u64(st, "flows_held"), status_u64(st, "flows_quiet"));
	fprintf(f, "\ntotals since start (kept across reloads)\n");
	fprintf(f, "  attacker time  %-12s new flows   %-10" PRIu64 " ended      %" PRIu64 "\n", d2,
		status_u64(st, "flows_new"), status_u64(st, "flows_ended"));
	fprintf(f,
		"  packets in     %-12" PRIu64 " replies     %-10" PRIu64 " send errors %" PRIu64
		"\n",
		status_u64(st, "packets"), status_u64(st, "replies_sent"),
		status_u64(st, "send_errors"));
	fprintf(f,
		"  SYN-ACKs       %-12" PRIu64 " probe ACKs  %-10" PRIu64 " data ACKs  %" PRIu64
		"\n",
		status_u64(st, "synack_sent"), status_u64(st, "probes"),
		status_u64(st, "data_acks"));
	fprintf(f,
		"  RSTs           %-12" PRIu64 " SMTP bytes  %-10" PRIu64 " evicted    %" PRIu64
		"\n",
		status_u64(st, "rst_sent"), status_u64(st, "smtp_bytes"),
		status_u64(st, "flows_evicted"));
	fprintf(f, "  re-adopted     %-12" PRIu64 " (held before a restart, record made again)\n",
		status_u64(st, "flows_readopted"));
	fprintf(f,
		"  drip late      %-12" PRIu64 " stretched   %-10" PRIu64 " behind     %" PRIu64
		" ms\n",
		status_u64(st, "drip_late"), status_u64(st, "drip_stretched"),
		status_u64(st, "drip_behind_ms"));
	fprintf(f,
		"  verdicts       %-12" PRIu64 " batches     (errors %" PRIu64
		", receive overruns %" PRIu64 ")\n",
		status_u64(st, "verdict_batches"), status_u64(st, "verdict_errors"),
		status_u64(st, "recv_enobufs"));
	fprintf(f,
		"  budget hits    %-12" PRIu64 " (per prefix %" PRIu64 ", per /16 or /48 %" PRIu64
		", global %" PRIu64 ")\n",
		status_u64(st, "budget_drops"), status_u64(st, "budget_prefix"),
		status_u64(st, "budget_aggregate"), status_u64(st, "budget_global"));
	if (status_u64(st, "snapshot_missing") > 0)
		fprintf(f,
			"\n(%" PRIu64 " queue thread(s) did not answer in time: flows missing)\n",
			status_u64(st, "snapshot_missing"));
	if (st->nflows == 0) {
		fprintf(f, "\nno flows held now\n");
		return;
	}
	fprintf(f, "\nlongest held\n  %-39s %5s %5s %5s %-5s %7s %6s %7s %6s\n", "SOURCE", "SPORT",
		"DPORT", "QUEUE", "STATE", "HELD", "IDLE", "BYTES", "PROBES");
	for (i = 0; i < st->nflows; i++) {
		const struct status_flow *fl = &st->flows[i];

		status_duration(fl->held, d1, sizeof(d1));
		status_duration(fl->idle, d3, sizeof(d3));
		fprintf(f, "  %-39s %5u %5u %5u %-5s %7s %6s %7" PRIu64 " %6" PRIu64 "\n", fl->src,
			fl->sport, fl->dport, fl->queue, fl->state, d1, d3, fl->bytes, fl->probes);
	}
}

/* Keys of the reply that are not totals since start. */
static bool status_not_total(const char *key)
{
	static const char *const skip[] = {
		"version",	   "uptime",	       "started",	   "reloads",
		"queues",	   "threads",	       "max_flows",	   "flows_now",
		"flows_held",	   "flows_quiet",      "flow_table_bytes", "snapshot_flows",
		"snapshot_queues", "snapshot_missing",
	};
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(key, skip[i]) == 0)
			return true;
	return false;
}

/* Our strings are addresses, names and versions; escape anyway, the daemon is not us. */
void status_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void status_json_kernel(FILE *f, const struct status_kernel *k)
{
	unsigned int i;
	int s;

	fprintf(f, "  \"ruleset\": {\"present\": %s",
		k->ruleset == 1	  ? "true"
		: k->ruleset == 0 ? "false"
				  : "null");
	if (k->ruleset == 1)
		fprintf(f,
			", \"queue_expr\": \"%s\", \"queue\": %u, \"queue_total\": %u, "
			"\"bypass\": %s, \"fanout\": %s, \"rpf\": %s, \"rpf_dropped\": %" PRIu64,
			k->via, k->qnum, k->qtotal, k->bypass ? "true" : "false",
			k->fanout ? "true" : "false", k->rpf ? "true" : "false", k->rpf_dropped);
	fprintf(f, "},\n  \"sets\": {");
	for (s = 0; s < LISTSET_COUNT; s++) {
		fprintf(f, "%s\"%s\": ", s > 0 ? ", " : "", listsets[s].name);
		if (k->sets[s] < 0)
			fputs("null", f);
		else
			fprintf(f, "%lld", k->sets[s]);
	}
	fprintf(f, "},\n  \"kernel_queues\": [");
	for (i = 0; i < k->nqueues; i++)
		fprintf(f,
			"%s\n    {\"queue\": %u, \"waiting\": %" PRIu64 ", \"dropped\": %" PRIu64
			", \"user_dropped\": %" PRIu64 ", \"queued\": %" PRIu64
			", \"peer_portid\": %lu}",
			i > 0 ? "," : "", k->q[i].num, k->q[i].waiting, k->q[i].dropped,
			k->q[i].user_dropped, k->q[i].id, k->q[i].portid);
	fprintf(f, "%s],\n", k->nqueues > 0 ? "\n  " : "");
}

void status_print_json(FILE *f, const struct status *st)
{
	uint64_t v;
	size_t i;
	bool first = true;

	fprintf(f, "{\n  \"daemon\": {\"answered\": %s", st->daemon ? "true" : "false");
	if (!st->daemon) {
		fputs(", \"error\": ", f);
		status_json_str(f, st->daemon_err);
	} else {
		fputs(", \"version\": ", f);
		status_json_str(f, status_get(st, "version"));
		fprintf(f,
			", \"uptime_s\": %" PRIu64 ", \"started\": %" PRIu64
			", \"reloads\": %" PRIu64 ", \"queues\": ",
			status_u64(st, "uptime"), status_u64(st, "started"),
			status_u64(st, "reloads"));
		status_json_str(f,
				status_get(st, "queues") != NULL ? status_get(st, "queues") : "");
		fprintf(f, ", \"threads\": %" PRIu64 ", \"max_flows\": %" PRIu64,
			status_u64(st, "threads"), status_u64(st, "max_flows"));
	}
	fputs("},\n", f);
	status_json_kernel(f, &st->k);
	if (st->cs.known) {
		fputs("  \"crowdsec\": {\"url\": ", f);
		status_json_str(f, st->cs.url);
		fputs(", \"state\": ", f);
		status_json_str(f, st->cs.state);
		fprintf(f,
			", \"held\": %" PRIu64 ", \"last_pull\": %" PRIu64 ", \"pulls\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"pushed\": %" PRIu64 ", \"last_error\": ",
			st->cs.held, st->cs.last_pull, st->cs.pulls, st->cs.errors, st->cs.pushed);
		status_json_str(f, st->cs.last_error);
		fputs("},\n", f);
	}
	fputs("  \"bans\": ", f);
	if (st->bans_known)
		status_bans_json(f, &st->bans);
	else
		fputs("null", f);
	fputs(",\n", f);
	if (!st->daemon) {
		fputs("  \"flows\": []\n}\n", f);
		return;
	}
	fprintf(f, "  \"flows_now\": %" PRIu64 ",\n", status_flows_now(st));
	fprintf(f, "  \"flows_by_state\": {\"held\": %" PRIu64 ", \"quiet\": %" PRIu64 "},\n",
		status_u64(st, "flows_held"), status_u64(st, "flows_quiet"));
	fprintf(f, "  \"attacker_seconds\": %" PRIu64 ",\n", status_u64(st, "attacker_seconds"));
	fprintf(f, "  \"snapshot\": {\"queues\": %" PRIu64 ", \"missing\": %" PRIu64 "},\n",
		status_u64(st, "snapshot_queues"), status_u64(st, "snapshot_missing"));
	fputs("  \"totals_since_start\": {", f);
	for (i = 0; i < st->nkv; i++) {
		if (status_not_total(st->kv[i].key) || !status_num(st->kv[i].val, &v))
			continue;
		fprintf(f, "%s\n    \"%s\": %" PRIu64, first ? "" : ",", st->kv[i].key, v);
		first = false;
	}
	fputs("\n  },\n  \"flows\": [", f);
	for (i = 0; i < st->nflows; i++) {
		const struct status_flow *fl = &st->flows[i];

		fprintf(f, "%s\n    {\"src\": ", i > 0 ? "," : "");
		status_json_str(f, fl->src);
		fprintf(f, ", \"sport\": %u, \"dport\": %u, \"queue\": %u, \"state\": ", fl->sport,
			fl->dport, fl->queue);
		status_json_str(f, fl->state);
		fprintf(f,
			", \"held_s\": %" PRIu64 ", \"idle_s\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"probes\": %" PRIu64 "}",
			fl->held, fl->idle, fl->bytes, fl->probes);
	}
	fprintf(f, "%s]\n}\n", st->nflows > 0 ? "\n  " : "");
}
