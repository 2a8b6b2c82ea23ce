/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitd's settings: defaults, the [daemon] section of the config file, validation. */
#ifndef NFTARPIT_CONF_H
#define NFTARPIT_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ruleset.h"

#define CONF_DEFAULT_PATH  NFTARPIT_SYSCONFDIR "/nftarpit/nftarpit.conf"
#define CONF_DEFAULT_CTL   "/run/nftarpit/ctl.sock"
#define CONF_DEFAULT_QUEUE 25
#define CONF_DEFAULT_MARK  0x6e746172u

struct daemon_conf {
	uint16_t queue_first;
	uint16_t queue_last;
	uint32_t mark;
	uint16_t syn_window;
	uint16_t mss;
	bool fail_open;
	bool reply_link;	   /* reply_path = link: back out of the incoming interface */
	char ctl_socket[108];	   /* sun_path */
	char ctl_group[64];	   /* group of the control socket, "" for ours */
	char user[64];		   /* empty: stay root with only the two capabilities */
	char cookie_key_file[108]; /* empty: a new random key at every start */
	uint32_t queue_maxlen;
	uint32_t batch;
	uint32_t batch_wait_us; /* after a short batch, let packets gather this long */
	uint32_t prefix_rate;
	uint32_t prefix_burst;
	uint32_t global_rate;
	uint32_t global_burst;
	uint32_t agg_rate;  /* per /16 or /48; 0: four times the prefix rate */
	uint32_t agg_burst; /* 0: four times the prefix burst */
	uint32_t budget_buckets;
	uint32_t log_flows;
	/* SMTP holding (flow table) */
	bool smtp;
	uint16_t smtp_ports[16];
	uint32_t nsmtp_ports;
	uint32_t smtp_interval_s; /* one byte per held flow per interval */
	uint32_t smtp_max_bytes;  /* after that, zero-window ACKs only */
	bool smtp_drip_greeting;  /* the greeting a byte at a time too, not whole */
	char smtp_hostname[64];
	uint32_t max_flows;	    /* per queue */
	uint32_t flow_idle_s;	    /* no packet from the peer for this long: flow ended */
	uint32_t flow_evict_idle_s; /* table full: evict a flow idle this long for a new one */
	enum ruleset_own own;	    /* [ruleset] own (or --own): claim and lend the table */
};

void conf_defaults(struct daemon_conf *c);

/* [ruleset] own (or --own): auto, yes or no; NULL, or the reason it is refused. */
const char *conf_set_own(struct daemon_conf *c, const char *v);

/*
 * Read the [daemon] section of path into c, and [ruleset]'s own (the rest of [ruleset] is
 * nftarpitctl's) (other known sections are left to their
 * programs). Every bad line is logged as "path:line: key: reason"; returns the number of
 * errors, or -1 if the file cannot be read (errno set).
 */
int conf_load(const char *path, struct daemon_conf *c);

/*
 * Set one key from a string (the command line uses this too, so both are validated
 * alike). Returns NULL or a static reason.
 */
const char *conf_set(struct daemon_conf *c, const char *key, const char *value);

#endif
