/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read-only status over a UNIX socket, served by the main thread, never by a packet thread. */
#ifndef NFTARPIT_CTL_H
#define NFTARPIT_CTL_H

#include <stddef.h>
#include <stdio.h>

/* Longest request line accepted; a longer one gets an error reply. */
#define CTL_MAX_REQUEST 256

/*
 * Create the listening socket at path (mode 0660, parent directory created 0755 if
 * missing). A stale socket nobody listens on is replaced; a live one is an error.
 * Returns the fd or -1 with a log line.
 */
int ctl_listen(const char *path);

/* Writes the reply for one request line into f; the daemon supplies the stats writer. */
typedef void (*ctl_stats_fn)(FILE *f, void *arg);

/*
 * Accept one client on lfd, read one request line (1 s deadline), answer, close.
 * Requests: "stats" (key=value lines), "ping". Anything else gets "error ...".
 */
void ctl_serve_one(int lfd, ctl_stats_fn stats, void *arg);

/* Pure: the reply to a request line, into f. Returns 0, or -1 for an error reply. */
int ctl_answer(const char *req, size_t len, FILE *f, ctl_stats_fn stats, void *arg);

#endif
