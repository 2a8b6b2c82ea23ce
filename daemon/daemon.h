/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running daemon: its workers, shared handles, and the totals it reports. */
#ifndef NFTARPIT_DAEMON_H
#define NFTARPIT_DAEMON_H

#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "ctl.h"
#include "inject.h"
#include "worker.h"
#include "smtp.h"

#define DAEMON_MAX_QUEUES 64

struct daemon {
	struct daemon_conf conf;
	const char *conf_path; /* NULL: none read */
	struct inject inject;
	struct worker *workers[DAEMON_MAX_QUEUES];
	unsigned int nworkers;
	int ctl_fd;
	time_t started;
	uint64_t reloads;
	struct ctl ctl;
	int snap_efd;	   /* eventfd the workers write when their snapshot is ready */
	uint32_t snap_req; /* the snapshot asked for last */
};

/* Build the worker settings from the daemon settings and the cookie key. */
void daemon_worker_cfg(const struct daemon_conf *c, const struct cookie_key *key,
		       struct worker_cfg *wc);

/* All workers' counters summed, as key=value lines (control socket "stats"). */
void daemon_write_stats(FILE *f, void *arg);

/* Control socket hooks: ask the workers for a snapshot, see whether all answered. */
void daemon_snap_start(void *arg);
bool daemon_snap_ready(void *arg);

/* "status N": the stats lines, the snapshot's N longest-held flows, "end". */
void daemon_write_status(FILE *f, unsigned int nflows, void *arg);

/* The same totals on one log line (SIGUSR1). */
void daemon_log_stats(const struct daemon *d);

#endif
