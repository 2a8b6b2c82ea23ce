/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thread per queue: receive a batch, decide, build replies, send them, one drop verdict. */
#ifndef NFTARPIT_WORKER_H
#define NFTARPIT_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "budget.h"
#include "drip.h"
#include "flow.h"
#include "inject.h"
#include "pkt.h"
#include "queue.h"
#include "smtp.h"
#include "tarpit.h"

/* Settings a worker takes at start and again on reload. */
struct worker_cfg {
	struct tarpit_cfg tarpit;
	uint32_t prefix_rate;
	uint32_t prefix_burst;
	uint32_t global_rate;
	uint32_t global_burst;
	uint32_t agg_rate; /* per /16 or /48; 0: no aggregate level */
	uint32_t agg_burst;
	uint32_t log_flows; /* "flow new" lines per second, 0 for none */
	bool smtp;	    /* feed held flows on SMTP ports an endless reply */
	uint16_t smtp_ports[16];
	uint32_t nsmtp_ports;
	uint32_t smtp_interval_ms;
	uint32_t smtp_max_bytes;
	bool smtp_drip_greeting;
	struct smtp_text smtp_text;
	uint32_t flow_idle_s;
	uint32_t flow_evict_idle_s;
	uint32_t batch_wait_us; /* after a short batch, wait this long before receiving */
};

/*
 * Counters of one worker. Only its thread writes them; the main thread reads them without
 * a lock for status (aligned 64-bit words, a moment stale at worst).
 */
struct worker_stats {
	uint64_t packets;
	uint64_t bytes_in;
	uint64_t status[PKT_STATUS_MAX]; /* parse results */
	uint64_t bad_csum;
	uint64_t silent[TARPIT_R_MAX]; /* why no reply; [0] unused */
	uint64_t synack;
	uint64_t rst;
	uint64_t probe_acks;
	uint64_t
		challenge_acks; /* RFC 5961: to an RST, FIN or SYN out of sequence on a held flow */
	uint64_t data_acks;
	uint64_t budget_prefix;
	uint64_t budget_global;
	uint64_t budget_aggregate; /* refused: the /16 or /48 spent its budget */
	uint64_t flows_logged;
	uint64_t flows_unlogged;
	uint64_t flows_new;	  /* handshakes completed, got a record */
	uint64_t flows_ended;	  /* by the peer (RST, FIN), idleness or eviction */
	uint64_t flows_evicted;	  /* of those, pushed out by a new flow (table full) */
	uint64_t flows_stateless; /* table full, nothing idle enough: held without a record */
	uint64_t flows_readopted; /* held before we had a record (a restart): record remade */
	uint64_t held_s_ended;	  /* attacker-seconds of the flows that ended */
	uint64_t sum_first_s; /* sum of first_s over live flows: count * now - this = held now */
	uint64_t smtp_bytes;  /* SMTP payload bytes sent (greetings and drips) */
	uint64_t smtp_segments;
	uint64_t drip_late;	 /* drip bytes sent at least late_ms after their time */
	uint64_t drip_stretched; /* drips put off one interval: the worker was behind */
	uint64_t drip_resent;	 /* drip bytes sent again (the last one was not acknowledged) */
	uint64_t drip_behind_ms; /* gauge: how late the last drip of the last turn was */
	struct queue_counters q;
	struct inject_counters inj;
};

/* Longest-held flows a worker copies out per status snapshot. */
#define WORKER_SNAP_MAX 100

/*
 * A status snapshot, handed from a worker to the main thread. The flow table belongs to
 * the worker alone, so the main thread never reads it: it bumps req, and at its next loop
 * turn (within the 500 ms receive timeout) the worker copies its longest-held flows here,
 * stores done = req (release) and writes the eventfd. The main thread reads the buffer only
 * while done == the req it asked for, and asks again only after it is done reading.
 */
struct worker_snap {
	struct flow flows[WORKER_SNAP_MAX];
	uint32_t n;
	uint32_t count; /* live flows when it was taken */
	uint32_t now_s; /* the worker's clock then */
	uint32_t req;	/* written by the main thread */
	uint32_t done;	/* written by the worker */
	int efd;	/* eventfd to wake the main thread, -1 for none */
};

struct worker {
	uint16_t queue_num;
	struct queue *queue;
	const struct inject *inject;
	struct inject_link link;      /* scratch: the link of the packet being answered */
	struct inject_link drip_link; /* scratch: the link of the flow being dripped */
	uint32_t batch;		      /* packets per receive at most */
	struct budget *budget;
	struct flow_table *flows;
	uint8_t *syn_seen; /* TARPIT_SYN_SEEN_BITS: tuples this run sent a SYN-ACK */
	uint32_t now_s;	   /* monotonic seconds of the batch being handled */
	struct worker_cfg cfg;
	struct drip_cfg drip; /* from cfg.smtp_interval_ms */
	struct worker_stats stats;
	struct inject_batch *out; /* allocated once */
	struct queue_pkt *pkts;
	struct budget_bucket log_bucket;
	pthread_t thread;
	/* Reload hand-over: the main thread fills next_cfg under lock and sets reload. */
	pthread_mutex_t lock;
	struct worker_cfg next_cfg;
	volatile int reload;
	volatile int stop;
	struct worker_snap snap;
};

/* Allocate the worker's buffers; the queue and inject handles are opened by the caller. */
struct worker *worker_alloc(uint16_t queue_num, const struct worker_cfg *cfg,
			    uint32_t budget_buckets, uint32_t batch, uint32_t max_flows);
void worker_free(struct worker *w);

/* Thread body: runs until w->stop is set. */
void *worker_run(void *arg);

/*
 * Handle one queued packet: parse, verify, decide, budget, and queue its reply in w->out.
 * Pure apart from the optional log line; the unit tests drive it directly.
 */
void worker_handle(struct worker *w, const struct queue_pkt *qp, uint32_t now_ms);

/* The longest a worker with dripping flows blocks on an empty queue. */
#define WORKER_DRIP_WAIT_MS 20

/* Drips handled per loop turn at most while the queue is quiet. */
#define WORKER_TICK_MAX 2048

/*
 * Feed the held flows whose drip is due: one byte each (or the unacknowledged byte
 * again), end the flows that went idle; when behind (a drip late_ms late), the flows held
 * longer than average are passed over for one interval (drip_decide). Queues the segments
 * in w->out. At most max flows: returns true when it stopped there (more may be due: the
 * caller should not wait for packets before the next tick).
 */
bool worker_tick(struct worker *w, uint32_t now_ms, uint32_t max);

/* Take the status snapshot if the main thread asked for one (worker thread only). */
void worker_snapshot(struct worker *w);

/* Hand a new configuration to a running worker (applied before its next batch). */
void worker_reconfigure(struct worker *w, const struct worker_cfg *cfg);

uint32_t worker_now_ms(void);
uint32_t worker_now_s(void);

#endif
