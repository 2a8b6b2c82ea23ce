/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One thread per queue: receive a batch, decide, build replies, send them, one drop verdict. */
#ifndef NFTARPIT_WORKER_H
#define NFTARPIT_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "budget.h"
#include "inject.h"
#include "pkt.h"
#include "queue.h"
#include "tarpit.h"

/* Settings a worker takes at start and again on reload. */
struct worker_cfg {
	struct tarpit_cfg tarpit;
	uint32_t prefix_rate;
	uint32_t prefix_burst;
	uint32_t global_rate;
	uint32_t global_burst;
	uint32_t log_flows; /* "flow new" lines per second, 0 for none */
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
	uint64_t data_acks;
	uint64_t budget_prefix;
	uint64_t budget_global;
	uint64_t flows_logged;
	uint64_t flows_unlogged;
	struct queue_counters q;
	struct inject_counters inj;
};

struct worker {
	uint16_t queue_num;
	struct queue *queue;
	const struct inject *inject;
	struct budget *budget;
	struct worker_cfg cfg;
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
};

/* Allocate the worker's buffers; the queue and inject handles are opened by the caller. */
struct worker *worker_alloc(uint16_t queue_num, const struct worker_cfg *cfg,
			    uint32_t budget_buckets, uint32_t batch);
void worker_free(struct worker *w);

/* Thread body: runs until w->stop is set. */
void *worker_run(void *arg);

/*
 * Handle one queued packet: parse, verify, decide, budget, and queue its reply in w->out.
 * Pure apart from the optional log line; the unit tests drive it directly.
 */
void worker_handle(struct worker *w, const struct queue_pkt *qp, uint32_t now_ms);

/* Hand a new configuration to a running worker (applied before its next batch). */
void worker_reconfigure(struct worker *w, const struct worker_cfg *cfg);

uint32_t worker_now_ms(void);

#endif
