// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitd's settings: defaults, the [daemon] section of the config file, validation. */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "conffile.h"
#include "log.h"
#include "strnum.h"

void conf_defaults(struct daemon_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->queue_first = CONF_DEFAULT_QUEUE;
	c->queue_last = CONF_DEFAULT_QUEUE;
	c->mark = CONF_DEFAULT_MARK;
	c->syn_window = 0;
	c->mss = 1460;
	c->reply_link = true;
	snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", CONF_DEFAULT_CTL);
	c->queue_maxlen = 8192;
	c->batch = 64;
	c->batch_wait_us = 1000;
	/*
	 * A held flow costs about one reply per probe interval (up to 120 s); 100 replies
	 * a second per /24 or /64 holds thousands of its flows, yet caps what a spoofer can
	 * make us send to one victim network.
	 */
	c->prefix_rate = 100;
	c->prefix_burst = 200;
	c->global_rate = 200000;
	c->global_burst = 400000;
	c->budget_buckets = 65536;
	c->log_flows = 10;
	c->smtp = true;
	c->smtp_ports[0] = 25;
	c->smtp_ports[1] = 587;
	c->nsmtp_ports = 2;
	/*
	 * Common client read timeouts are 60 s (KumoMTA banner) to 300 s (Postfix, sendmail,
	 * RFC 5321); 10 s keeps a byte coming well within all of them.
	 */
	c->smtp_interval_s = 10;
	c->smtp_max_bytes = 4096; /* about 11 hours at one byte per 10 s */
	c->smtp_drip_greeting = false;
	if (gethostname(c->smtp_hostname, sizeof(c->smtp_hostname)) < 0)
		c->smtp_hostname[0] = '\0';
	c->smtp_hostname[sizeof(c->smtp_hostname) - 1] = '\0';
	c->max_flows = 65536;
	c->flow_idle_s = 600;
	c->flow_evict_idle_s = 60;
}

static const char *conf_ports(const char *v, struct daemon_conf *c)
{
	char buf[128];
	uint16_t ports[16];
	uint32_t n = 0;
	char *p;
	char *next;

	if (strlen(v) >= sizeof(buf))
		return "too long";
	memcpy(buf, v, strlen(v) + 1);
	for (p = buf; p != NULL; p = next) {
		const char *err;
		long long port;

		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		while (*p == ' ')
			p++;
		if (*p == '\0' && n == 0 && next == NULL)
			break; /* empty: no SMTP ports */
		port = strnum_parse(p, 1, 65535, &err);
		if (err != NULL)
			return err;
		if (n == 16)
			return "more than 16 ports";
		ports[n++] = (uint16_t)port;
	}
	memcpy(c->smtp_ports, ports, n * sizeof(ports[0]));
	c->nsmtp_ports = n;
	return NULL;
}

static const char *conf_seconds(const char *v, long long min, long long max, uint32_t *out)
{
	const char *err;
	long long n = strnum_duration(v, max, &err);

	if (err != NULL)
		return err;
	if (n < min)
		return "too small";
	*out = (uint32_t)n;
	return NULL;
}

static const char *conf_u32(const char *v, long long min, long long max, uint32_t *out)
{
	const char *err;
	long long n = strnum_parse(v, min, max, &err);

	if (err != NULL)
		return err;
	*out = (uint32_t)n;
	return NULL;
}

static const char *conf_str(const char *v, char *out, size_t len)
{
	if (strlen(v) >= len)
		return "too long";
	memcpy(out, v, strlen(v) + 1);
	return NULL;
}

const char *conf_set(struct daemon_conf *c, const char *key, const char *v)
{
	uint32_t n;
	const char *err;

	if (strcmp(key, "queue") == 0) {
		if (strnum_range(v, &c->queue_first, &c->queue_last, &err) < 0)
			return err;
		return NULL;
	}
	if (strcmp(key, "mark") == 0) {
		err = conf_u32(v, 1, 0xffffffffLL, &n);
		if (err == NULL)
			c->mark = n;
		return err;
	}
	if (strcmp(key, "syn_window") == 0) {
		err = conf_u32(v, 0, 65535, &n);
		if (err == NULL)
			c->syn_window = (uint16_t)n;
		return err;
	}
	if (strcmp(key, "mss") == 0) {
		err = conf_u32(v, 536, 65535, &n);
		if (err == NULL)
			c->mss = (uint16_t)n;
		return err;
	}
	if (strcmp(key, "fail_open") == 0)
		return conffile_bool(v, &c->fail_open);
	if (strcmp(key, "reply_path") == 0) {
		if (strcmp(v, "link") == 0)
			c->reply_link = true;
		else if (strcmp(v, "route") == 0)
			c->reply_link = false;
		else
			return "not link or route";
		return NULL;
	}
	if (strcmp(key, "ctl_socket") == 0) {
		if (v[0] != '/')
			return "not an absolute path";
		return conf_str(v, c->ctl_socket, sizeof(c->ctl_socket));
	}
	if (strcmp(key, "ctl_group") == 0)
		return conf_str(v, c->ctl_group, sizeof(c->ctl_group));
	if (strcmp(key, "user") == 0)
		return conf_str(v, c->user, sizeof(c->user));
	if (strcmp(key, "cookie_key_file") == 0) {
		if (v[0] != '/')
			return "not an absolute path";
		return conf_str(v, c->cookie_key_file, sizeof(c->cookie_key_file));
	}
	if (strcmp(key, "queue_maxlen") == 0)
		return conf_u32(v, 16, 1 << 20, &c->queue_maxlen);
	if (strcmp(key, "batch") == 0)
		return conf_u32(v, 1, 256, &c->batch);
	if (strcmp(key, "batch_wait_us") == 0)
		return conf_u32(v, 0, 100000, &c->batch_wait_us);
	if (strcmp(key, "reply_rate_per_prefix") == 0)
		return conf_u32(v, 1, 1000000, &c->prefix_rate);
	if (strcmp(key, "reply_burst_per_prefix") == 0)
		return conf_u32(v, 1, 1000000, &c->prefix_burst);
	if (strcmp(key, "reply_rate_per_aggregate") == 0)
		return conf_u32(v, 1, 4000000, &c->agg_rate);
	if (strcmp(key, "reply_burst_per_aggregate") == 0)
		return conf_u32(v, 1, 4000000, &c->agg_burst);
	if (strcmp(key, "reply_rate") == 0)
		return conf_u32(v, 1, 4000000, &c->global_rate);
	if (strcmp(key, "reply_burst") == 0)
		return conf_u32(v, 1, 4000000, &c->global_burst);
	if (strcmp(key, "budget_buckets") == 0)
		return conf_u32(v, 1, 1 << 24, &c->budget_buckets);
	if (strcmp(key, "log_flows_per_second") == 0)
		return conf_u32(v, 0, 100000, &c->log_flows);
	if (strcmp(key, "smtp") == 0)
		return conffile_bool(v, &c->smtp);
	if (strcmp(key, "smtp_ports") == 0)
		return conf_ports(v, c);
	if (strcmp(key, "smtp_interval") == 0)
		return conf_seconds(v, 1, 3600, &c->smtp_interval_s);
	if (strcmp(key, "smtp_max_bytes") == 0)
		return conf_u32(v, 0, 1 << 30, &c->smtp_max_bytes);
	if (strcmp(key, "smtp_greeting") == 0) {
		if (strcmp(v, "whole") == 0)
			c->smtp_drip_greeting = false;
		else if (strcmp(v, "drip") == 0)
			c->smtp_drip_greeting = true;
		else
			return "not whole or drip";
		return NULL;
	}
	if (strcmp(key, "smtp_hostname") == 0)
		return conf_str(v, c->smtp_hostname, sizeof(c->smtp_hostname));
	if (strcmp(key, "max_flows") == 0)
		return conf_u32(v, 16, 1 << 26, &c->max_flows);
	if (strcmp(key, "flow_idle_timeout") == 0)
		return conf_seconds(v, 1, 30LL * 86400, &c->flow_idle_s);
	if (strcmp(key, "flow_evict_idle") == 0)
		return conf_seconds(v, 0, 30LL * 86400, &c->flow_evict_idle_s);
	return "unknown key";
}

const char *conf_set_own(struct daemon_conf *c, const char *v)
{
	static char why[64];
	struct ruleset_opts o;

	if (ruleset_parse_own(&o, v, why, sizeof(why)) < 0)
		return why;
	c->own = o.own;
	return NULL;
}

/*
 * [ruleset]: own is ours too (setup and we must agree: it is not a [daemon] key); the other
 * keys are setup's.
 */
static const char *conf_ruleset_cb(void *arg, const char *name, const char *value)
{
	return strcmp(name, "own") == 0 ? conf_set_own(arg, value) : NULL;
}

static const char *conf_set_cb(void *arg, const char *key, const char *value)
{
	return conf_set(arg, key, value);
}

/* The shared reader (lib/conffile) names every bad line as file:line: key = value: reason. */
int conf_load(const char *path, struct daemon_conf *c)
{
	int errors = conffile_load(path, "daemon", conf_set_cb, c);

	if (errors >= 0)
		errors += conffile_load_more(path, "ruleset", conf_ruleset_cb, c);
	return errors;
}
