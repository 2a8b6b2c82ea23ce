/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE socket: bind and configure, batch receive, batch verdict; nothing else. */
#ifndef NFTARPIT_QUEUE_H
#define NFTARPIT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct nlmsghdr;

/* Bytes of each packet the kernel copies to us: IPv6 + extension headers + TCP with options. */
#define QUEUE_COPY_RANGE 256
/* One receive slot: the copied packet plus the netlink attributes around it. */
#define QUEUE_SLOT_SIZE 2048
#define QUEUE_MAX_BATCH 256
/* A config or verdict message never needs more. */
#define QUEUE_MSG_BUF 256

struct queue_cfg {
	uint16_t num;
	uint32_t maxlen; /* packets the kernel may hold for us */
	uint32_t batch;	 /* messages per recvmmsg, <= QUEUE_MAX_BATCH */
	bool fail_open;	 /* queue full: the kernel accepts instead of dropping */
	int rcvbuf;	 /* bytes */
	int timeout_ms;	 /* receive timeout, so the thread sees a stop request */
};

/* One queued packet, pointing into the queue's receive slots until the next receive. */
struct queue_pkt {
	uint32_t id;
	const uint8_t *data;
	size_t caplen;
	size_t origlen;
	uint32_t skbinfo; /* NFQA_SKB_*; 0 when absent (the kernel verified the checksum) */
	uint32_t indev;	  /* incoming interface index, 0 when absent */
	bool has_hw;	  /* hwaddr holds the previous hop's unicast Ethernet address */
	uint8_t hwaddr[6];
};

struct queue_counters {
	uint64_t recv_enobufs; /* the kernel had to drop packets for us (rcvbuf full) */
	uint64_t recv_errors;
	uint64_t nl_errors; /* error messages from the kernel, e.g. a stale verdict */
	uint64_t bad_msgs;  /* a packet message without id or payload */
	uint64_t truncated_msgs;
	uint64_t verdict_batches;
	uint64_t verdict_errors;
};

struct queue;

/* Open, bind and configure; every config message is acknowledged. NULL with errno and a log line.
 */
struct queue *queue_open(const struct queue_cfg *cfg);
void queue_close(struct queue *q);

/*
 * Receive up to cfg->batch packets, blocking for the first at most the receive timeout
 * (cfg->timeout_ms, or what queue_set_timeout set) when wait, not at all otherwise.
 * Returns the number stored in pkts (0 on timeout or EINTR), never fails: errors are counted.
 */
unsigned int queue_recv(struct queue *q, struct queue_pkt *pkts, struct queue_counters *c,
			bool wait);

/*
 * Block at most timeout_ms for a packet from now on, -1 for cfg->timeout_ms again (a
 * system call only when it changes): a worker with drips to send cannot sleep through
 * their time.
 */
void queue_set_timeout(struct queue *q, int timeout_ms);

/* Drop every packet received so far with one NFQNL_MSG_VERDICT_BATCH. */
void queue_verdict_drop_all(struct queue *q, struct queue_counters *c);

/* Pure message builders and parser, shared with the unit tests. */
struct nlmsghdr *queue_build_bind(char *buf, uint16_t num, uint32_t seq);
struct nlmsghdr *queue_build_params(char *buf, const struct queue_cfg *cfg, uint32_t seq);
struct nlmsghdr *queue_build_verdict_batch(char *buf, uint16_t num, uint32_t id, int verdict);
/*
 * Whether m is a whole message within the len bytes left of a datagram. mnl_nlmsg_ok()
 * compares nlmsg_len as an int: 0xfffffffd passes, and mnl_nlmsg_next() then never moves.
 */
bool queue_msg_ok(const struct nlmsghdr *m, int len);
/* Returns 1 for a packet (stored in *pkt), 0 for a message to ignore, -1 for a bad one. */
int queue_parse_packet(const struct nlmsghdr *nlh, struct queue_pkt *pkt);

#endif
