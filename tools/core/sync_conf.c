// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync's settings ([sync], [crowdsec] and options), which nftarpitctl reads too. */
#include "sync_conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conffile.h"
#include "log.h"
#include "strnum.h"

void sync_conf_defaults(struct sync_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state, sizeof(c->state), "%s", SYNC_DEFAULT_STATE);
	state_policy_default(&c->policy);
	mlog_opts_default(&c->mlog);
	exim_opts_default(&c->exim);
	c->mlog.exim = &c->exim;
	c->mlog.traps = &c->traps;
	c->mlog.patterns = &c->patterns;
	c->allow_limit4 = 16;
	c->allow_limit6 = 32;
	c->kernel_timeouts = true;
	c->full_interval = 600;
	crowdsec_conf_defaults(&c->crowdsec);
	/* Spamhaus DROP has held prefixes as broad as a /10 or /11: they pass. */
	c->list_limit4 = 8;
	c->list_limit6 = 16;
	c->block_max_share = 2;
}

static const char *sync_conf_str(const char *v, char *out, size_t len)
{
	if (strlen(v) >= len)
		return "too long";
	memcpy(out, v, strlen(v) + 1);
	return NULL;
}

static const char *sync_conf_secs(const char *v, int64_t *out)
{
	const char *err;
	long long n = strnum_duration(v, 100LL * 365 * 86400, &err);

	if (err != NULL)
		return err;
	if (n < 1)
		return "too small";
	*out = n;
	return NULL;
}

static const char *sync_conf_uint(const char *v, long long min, long long max, unsigned int *out)
{
	const char *err;
	long long n = strnum_parse(v, min, max, &err);

	if (err != NULL)
		return err;
	*out = (unsigned int)n;
	return NULL;
}

/*
 * "REASON:N[/WINDOW]": a first-time offender named by REASON is banned at its N-th hit
 * within WINDOW (default 1h).
 */
static const char *sync_conf_threshold(struct sync_conf *c, const char *v)
{
	static char err[160];
	char name[32], num[32];
	const char *colon = strchr(v, ':');
	const char *slash, *why;
	unsigned int mask, n, r;
	int64_t window = 3600;
	size_t len;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(name))
		return "not REASON:N[/WINDOW]";
	memcpy(name, v, (size_t)(colon - v));
	name[colon - v] = '\0';
	if (reason_parse_list(name, &mask, err, sizeof(err)) < 0)
		return err;
	if (mask == 0 || (mask & (mask - 1)) != 0)
		return "one pattern per threshold";
	slash = strchr(colon + 1, '/');
	len = slash != NULL ? (size_t)(slash - colon - 1) : strlen(colon + 1);
	if (len >= sizeof(num))
		return "not REASON:N[/WINDOW]";
	memcpy(num, colon + 1, len);
	num[len] = '\0';
	why = sync_conf_uint(num, 1, 1000, &n);
	if (why == NULL && slash != NULL)
		why = sync_conf_secs(slash + 1, &window);
	if (why != NULL)
		return why;
	for (r = 0; r < REASON_N; r++) {
		if (mask == 1u << r) {
			c->policy.threshold[r] = n;
			c->policy.window[r] = window;
		}
	}
	return NULL;
}

const char *sync_conf_list(const char *v, struct sync_list *l)
{
	const char *colon = strchr(v, ':');
	char fmt[16];
	size_t n;

	l->fmt = BLIST_AUTO;
	if (colon != NULL && v[0] != '/' && v[0] != '.') {
		n = (size_t)(colon - v);
		if (n >= sizeof(fmt))
			return "unknown list format (plain, drop, json, rbldnsd, auto)";
		memcpy(fmt, v, n);
		fmt[n] = '\0';
		if (blist_format_parse(fmt, &l->fmt) < 0)
			return "unknown list format (plain, drop, json, rbldnsd, auto)";
		v = colon + 1;
	}
	if (v[0] == '\0')
		return "empty path";
	return sync_conf_str(v, l->path, sizeof(l->path));
}

const char *sync_conf_set(struct sync_conf *c, const char *key, const char *v)
{
	static char err[160];

	if (strcmp(key, "log") == 0) {
		if (c->nlogs == SYNC_SOURCES_MAX)
			return "too many log sources";
		return sync_conf_str(v, c->logs[c->nlogs++], sizeof(c->logs[0]));
	}
	if (strcmp(key, "list") == 0) {
		if (c->nlists == SYNC_SOURCES_MAX)
			return "too many lists";
		return sync_conf_list(v, &c->lists[c->nlists++]);
	}
	if (strcmp(key, "allow") == 0) {
		if (c->nallows == SYNC_SOURCES_MAX)
			return "too many allowlists";
		return sync_conf_list(v, &c->allows[c->nallows++]);
	}
	if (strcmp(key, "journal") == 0)
		return conffile_bool(v, &c->journal);
	if (strcmp(key, "journal_match") == 0) {
		if (strchr(v, '=') == NULL || v[0] == '=')
			return "not FIELD=value";
		if (c->nmatches == SYNC_MATCHES_MAX)
			return "too many journal matches";
		return sync_conf_str(v, c->matches[c->nmatches++], sizeof(c->matches[0]));
	}
	if (strcmp(key, "journal_trust") == 0) {
		/* journald drops fields with a leading '_' that a sender writes itself. */
		if (v[0] != '_' || strchr(v, '=') == NULL || strchr(v, '=')[1] == '\0')
			return "not _FIELD=value (a field journald sets: _SYSTEMD_UNIT, _UID, "
			       "_COMM, _TRANSPORT, ...)";
		if (c->ntrust == SYNC_MATCHES_MAX)
			return "too many journal_trust fields";
		return sync_conf_str(v, c->trust[c->ntrust++], sizeof(c->trust[0]));
	}
	if (strcmp(key, "journal_file") == 0) {
		c->journal = true;
		return sync_conf_str(v, c->journal_file, sizeof(c->journal_file));
	}
	if (strcmp(key, "state") == 0) {
		if (v[0] != '/')
			return "not an absolute path";
		return sync_conf_str(v, c->state, sizeof(c->state));
	}
	if (strcmp(key, "export_plain") == 0)
		return sync_conf_str(v, c->export_plain, sizeof(c->export_plain));
	if (strcmp(key, "export_rbldnsd") == 0)
		return sync_conf_str(v, c->export_rbldnsd, sizeof(c->export_rbldnsd));
	if (strcmp(key, "bantime") == 0)
		return sync_conf_secs(v, &c->policy.bantime);
	if (strcmp(key, "bantime_max") == 0)
		return sync_conf_secs(v, &c->policy.banmax);
	if (strcmp(key, "bantime_factor") == 0)
		return sync_conf_uint(v, 1, 100, &c->policy.factor);
	if (strcmp(key, "full_interval") == 0)
		return sync_conf_secs(v, &c->full_interval);
	if (strcmp(key, "forget") == 0)
		return sync_conf_secs(v, &c->policy.forget);
	if (strcmp(key, "list_limit4") == 0)
		return sync_conf_uint(v, 0, 32, &c->list_limit4);
	if (strcmp(key, "list_limit6") == 0)
		return sync_conf_uint(v, 0, 128, &c->list_limit6);
	if (strcmp(key, "block_max_share") == 0)
		return sync_conf_uint(v, 1, 100, &c->block_max_share);
	if (strcmp(key, "never_block") == 0) {
		struct cidr_range r;
		int family;

		if (cidr_parse(v, &family, &r, err, sizeof(err)) < 0)
			return err;
		if (c->nnever == SYNC_NEVER_MAX)
			return "too many never_block entries (use never_block_file)";
		return sync_conf_str(v, c->never[c->nnever++], sizeof(c->never[0]));
	}
	if (strcmp(key, "never_block_file") == 0) {
		if (c->nnever_files == SYNC_SOURCES_MAX)
			return "too many never_block files";
		return sync_conf_list(v, &c->never_files[c->nnever_files++]);
	}
	if (strcmp(key, "never_block_mynetworks") == 0)
		return conffile_bool(v, &c->never_mynetworks);
	if (strcmp(key, "threshold") == 0)
		return sync_conf_threshold(c, v);
	if (strcmp(key, "max_offenders") == 0) {
		unsigned int m;
		const char *why = sync_conf_uint(v, 1, 100000000, &m);

		if (why == NULL)
			c->policy.max_entries = m;
		return why;
	}
	if (strcmp(key, "patterns") == 0) {
		if (reason_parse_list(v, &c->mlog.enabled, err, sizeof(err)) < 0)
			return err;
		return NULL;
	}
	if (strcmp(key, "dnsbl_threshold") == 0)
		return sync_conf_uint(v, 1, 1000, &c->mlog.dnsbl_threshold);
	if (strcmp(key, "exim_dnsbl_marker") == 0)
		return exim_opts_add(&c->exim, v);
	if (strcmp(key, "trap") == 0)
		return trap_list_add(&c->traps, v);
	if (strcmp(key, "trap_bantime") == 0)
		return sync_conf_secs(v, &c->traps.bantime);
	if (strcmp(key, "pattern") == 0)
		return pattern_set_add(&c->patterns, v, err, sizeof(err));
	if (strcmp(key, "allow_limit4") == 0)
		return sync_conf_uint(v, 0, 32, &c->allow_limit4);
	if (strcmp(key, "allow_limit6") == 0)
		return sync_conf_uint(v, 0, 128, &c->allow_limit6);
	if (strcmp(key, "ban_prefix4") == 0)
		return sync_conf_uint(v, WIDEN_MIN_PREFIX4, 32, &c->policy.widen.ban_prefix4);
	if (strcmp(key, "ban_prefix6") == 0)
		return sync_conf_uint(v, WIDEN_MIN_PREFIX6, 128, &c->policy.widen.ban_prefix6);
	if (strcmp(key, "escalate_prefix4") == 0)
		return sync_conf_uint(v, WIDEN_MIN_PREFIX4, 32, &c->policy.widen.escalate_prefix4);
	if (strcmp(key, "escalate_prefix6") == 0)
		return sync_conf_uint(v, WIDEN_MIN_PREFIX6, 128, &c->policy.widen.escalate_prefix6);
	if (strcmp(key, "escalate_count") == 0) {
		if (strcmp(v, "1") == 0)
			return "1 would ban every escalation prefix at once: 0 (never) or 2 and up";
		return sync_conf_uint(v, 0, 1000000, &c->policy.widen.escalate_count);
	}
	if (strcmp(key, "kernel_timeouts") == 0)
		return conffile_bool(v, &c->kernel_timeouts);
	if (strcmp(key, "force") == 0)
		return conffile_bool(v, &c->force);
	if (strcmp(key, "replace") == 0)
		return conffile_bool(v, &c->replace);
	if (strcmp(key, "lists_nft") == 0) {
		if (strcmp(v, "none") != 0 && v[0] != '/')
			return "not an absolute path or none";
		return sync_conf_str(v, c->lists_nft, sizeof(c->lists_nft));
	}
	return "unknown key";
}

static const char *sync_conf_set_cb(void *arg, const char *key, const char *value)
{
	return sync_conf_set(arg, key, value);
}

static const char *sync_conf_crowdsec_cb(void *arg, const char *key, const char *value)
{
	return crowdsec_conf_set(arg, key, value);
}

/*
 * The shared reader (lib/conffile) names every bad line as file:line: key = value: reason.
 * [crowdsec] is read in a second pass over the file.
 */
int sync_conf_load(const char *path, struct sync_conf *c)
{
	int n = conffile_load(path, "sync", sync_conf_set_cb, c);
	int m;

	if (n < 0)
		return n;
	m = conffile_load_more(path, "crowdsec", sync_conf_crowdsec_cb, &c->crowdsec);
	return m < 0 ? m : n + m;
}

void sync_conf_lists_nft(const struct sync_conf *c, char *out, size_t len)
{
	const char *slash = strrchr(c->state, '/');

	if (strcmp(c->lists_nft, "none") == 0)
		snprintf(out, len, "%s", "");
	else if (c->lists_nft[0] != '\0')
		snprintf(out, len, "%s", c->lists_nft);
	else if (slash == NULL)
		snprintf(out, len, "lists.nft");
	else
		snprintf(out, len, "%.*s/lists.nft", (int)(slash - c->state), c->state);
}

void sync_conf_finish(struct sync_conf *c)
{
	static const char *const defaults[] = {
		"SYSLOG_IDENTIFIER=postfix/smtpd",
		"SYSLOG_IDENTIFIER=postfix/postscreen",
		"SYSLOG_IDENTIFIER=amavis",
		"SYSLOG_IDENTIFIER=rspamd",
	};
	/*
	 * The units the mail programs run in (Debian's postfix@-.service instance, other
	 * distributions' postfix.service) and the transports they log through: no local
	 * user can put a process into a system unit's cgroup, and journald takes these
	 * fields from the kernel, not from the entry (doc/SECURITY.md).
	 */
	static const char *const trust[] = {
		"_SYSTEMD_UNIT=postfix@-.service",
		"_SYSTEMD_UNIT=postfix.service",
		"_SYSTEMD_UNIT=amavis.service",
		"_SYSTEMD_UNIT=amavisd.service",
		"_SYSTEMD_UNIT=rspamd.service",
		"_TRANSPORT=syslog",
		"_TRANSPORT=journal",
		"_TRANSPORT=stdout",
	};
	size_t i;

	if (c->ntrust == 0) {
		for (i = 0; i < sizeof(trust) / sizeof(trust[0]); i++)
			snprintf(c->trust[c->ntrust++], sizeof(c->trust[0]), "%s", trust[i]);
	}
	if (c->nmatches > 0)
		return;
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		snprintf(c->matches[c->nmatches++], sizeof(c->matches[0]), "%s", defaults[i]);
}
