/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl's live views: ask nftarpitd and the kernel, then status, metrics or top. */
#ifndef NFTARPIT_LIVE_H
#define NFTARPIT_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* nftarpitd's default control socket, as in its conf.h. */
#define LIVE_DEFAULT_SOCKET "/run/nftarpit/ctl.sock"

/*
 * One request line to the control socket at path; the whole reply into *out (malloc'd,
 * NUL-terminated), everything within timeout_ms. 0, or -1 with the reason in err.
 */
int live_request(const char *path, const char *req, int timeout_ms, char **out, char *err,
		 size_t errlen);

/*
 * Fill st: the daemon's "status N" (or st->daemon false and daemon_err), the ruleset's
 * queue expression and, with sets, the set sizes from the kernel, and this namespace's
 * /proc/net/netfilter/nfnetlink_queue.
 */
void live_status(struct status *st, const char *path, unsigned int nflows, bool sets);

/*
 * What nftarpit-sync's files at state tell: the bans in force in its master list, counted
 * (no lock: it is replaced by rename, never rewritten in place; unreadable: st->bans_known
 * stays false), and the CrowdSec LAPI client's status from STATE.crowdsec.status.
 */
void live_sync(struct status *st, const char *state);

/* The commands; each returns an exit status (CTL_EXIT_*). */
int live_cmd_status(int argc, char **argv);
int live_cmd_metrics(int argc, char **argv);

#endif
