/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Status and the table's lease over UNIX sockets, served by the main thread, never by a worker. */
#ifndef NFTARPIT_CTL_H
#define NFTARPIT_CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The protocol (doc/DESIGN.md, "Status, metrics and admin commands"): a client connects,
 * writes one request line, reads the reply until the daemon closes the connection.
 *
 *   ping          "pong"
 *   stats         key=value lines: counters summed over the workers since start (a SIGHUP
 *                 reload keeps them), flows held now, attacker-seconds
 *   status [N]    the stats lines, then a snapshot of the flows held now taken by the
 *                 workers themselves: snapshot_flows=, snapshot_queues=, snapshot_missing=,
 *                 up to N (default 10, at most 1000) lines
 *                 "flow src= sport= dport= queue= state= held= idle= bytes= probes=",
 *                 longest held first, then "end"
 *
 *   lease         only on the lease socket (lib/lease.h), only to root or a peer with
 *                 CAP_NET_ADMIN: "lease portid=N" with our netlink socket attached, held
 *                 until the client closes; one holder at a time, the others wait
 *
 * Anything else, a line over CTL_MAX_REQUEST bytes, or no line within CTL_READ_MS gets one
 * "error TEXT" line. A client that does not take its reply within CTL_WRITE_MS is dropped.
 */
#define CTL_MAX_REQUEST		 256
#define CTL_MAX_CLIENTS		 64
#define CTL_STATUS_FLOWS_DEFAULT 10
#define CTL_STATUS_FLOWS_MAX	 1000
#define CTL_READ_MS		 1000
#define CTL_WRITE_MS		 5000
/* Workers answer a snapshot request at their next loop turn, at most 500 ms away. */
#define CTL_SNAP_MS 1500
/* A snapshot this young answers new requests at once: a burst costs the workers one copy. */
#define CTL_SNAP_FRESH_MS 250

enum ctl_request {
	CTL_REQ_ERROR = -1,
	CTL_REQ_PING,
	CTL_REQ_STATS,
	CTL_REQ_STATUS,
	CTL_REQ_LEASE,
};

/* What the daemon provides; arg is passed back to each. */
struct ctl_ops {
	void (*stats)(FILE *f, void *arg);
	/* Ask every worker for a snapshot of its held flows; returns at once. */
	void (*snap_start)(void *arg);
	/* Whether every worker has answered the last request. */
	bool (*snap_ready)(void *arg);
	/* The stats lines, the snapshot's nflows longest-held flows, "end". */
	void (*status)(FILE *f, unsigned int nflows, void *arg);
	/* The socket to lend and its port id, or -1 with the reason (own_lend()). */
	int (*lease)(void *arg, uint32_t *portid, char *why, size_t whylen);
	/* The holder closed its connection (or was dropped). */
	void (*lease_end)(void *arg);
};

enum ctl_state {
	CTL_FREE = 0,
	CTL_READ,	/* waiting for the request line */
	CTL_WAIT,	/* waiting for the workers' snapshot */
	CTL_WRITE,	/* sending the reply */
	CTL_LEASE_WAIT, /* waiting for the holder of the lease to let go */
	CTL_LEASED,	/* holding the lease until it closes the connection */
};

struct ctl_client {
	int fd;
	enum ctl_state state;
	uint64_t deadline_ms;
	size_t got;
	char req[CTL_MAX_REQUEST];
	unsigned int nflows;
	char *out;
	size_t outlen;
	size_t off;
	int pidx; /* its pollfd in the last ctl_pollfds(), -1 if none */
};

/* The server: all of it runs in the main thread, nothing in it blocks. */
struct ctl {
	int lfd;
	const struct ctl_ops *ops;
	void *arg;
	struct ctl_client c[CTL_MAX_CLIENTS];
	unsigned int nactive;
	bool snap_busy;
	uint64_t snap_deadline_ms;
	uint64_t snap_taken_ms; /* when the last snapshot round ended, 0 never */
	int lidx; /* the listening socket's pollfd, -1 while all client slots are taken */
	uint64_t served;
	uint64_t errors;
	uint64_t timeouts;
	bool lease_only; /* the lease socket: "lease" and "ping" only; the path socket: no lease */
	int holder;	 /* the client holding the lease, -1 none */
	uint64_t leases;
};

/*
 * Create the listening socket at path (mode 0660, parent directory created 0755 if
 * missing). A stale socket nobody listens on is replaced; a live one is an error.
 * Returns the fd or -1 with a log line.
 */
int ctl_listen(const char *path);

/* The lease socket: the abstract name of lib/lease.h, in our network namespace. */
int ctl_listen_lease(void);

void ctl_init(struct ctl *c, int lfd, const struct ctl_ops *ops, void *arg);
/* Close every client connection (the listening socket stays the caller's). */
void ctl_close_clients(struct ctl *c);

/* Fill up to max pollfds for the listening socket and the clients; returns how many. */
unsigned int ctl_pollfds(struct ctl *c, struct pollfd *pfd, unsigned int max);

/* Milliseconds until the nearest client or snapshot deadline, -1 for none. */
int ctl_timeout(const struct ctl *c, uint64_t now_ms);

/* After poll(): accept, read, answer, write, and enforce the deadlines. Never blocks. */
void ctl_handle(struct ctl *c, const struct pollfd *pfd, uint64_t now_ms);

/*
 * Pure: parse one request line (trailing CR/LF allowed). Returns the request, with
 * *nflows set for status, or CTL_REQ_ERROR with the reason in *err.
 */
enum ctl_request ctl_parse(const char *req, size_t len, unsigned int *nflows, const char **err);

/*
 * Pure: whether the CapEff line of a /proc/PID/status text has capability cap. Anything
 * unparsable is false.
 */
bool ctl_status_has_cap(const char *status, unsigned int cap);

/* Monotonic milliseconds, for deadlines. */
uint64_t ctl_now_ms(void);

#endif
