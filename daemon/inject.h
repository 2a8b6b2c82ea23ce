/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw sockets with SO_MARK; replies collected per batch and sent with one sendmmsg per family. */
#ifndef NFTARPIT_INJECT_H
#define NFTARPIT_INJECT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "reply.h"

#define INJECT_MAX_BATCH 256

struct inject {
	int fd4;
	int fd6;
};

/* One family's pending replies; owned by one worker thread. */
struct inject_lane {
	unsigned int n;
	uint8_t buf[INJECT_MAX_BATCH][REPLY_MAX_LEN];
	struct sockaddr_in6 addr[INJECT_MAX_BATCH]; /* sockaddr_in fits in it */
	struct iovec iov[INJECT_MAX_BATCH];
	struct mmsghdr msgs[INJECT_MAX_BATCH];
};

struct inject_batch {
	struct inject_lane v4;
	struct inject_lane v6;
};

struct inject_counters {
	uint64_t sent;
	uint64_t bytes;
	uint64_t send_errors; /* EAGAIN/ENOBUFS/EPERM...: the reply is lost, never retried */
};

/* Open both raw sockets marked with mark. Returns 0 or -1 with a log line. */
int inject_open(struct inject *inj, uint32_t mark);
void inject_close(struct inject *inj);

/* A buffer for the next reply of family, or NULL when the lane is full. */
uint8_t *inject_slot(struct inject_batch *b, int family);
/* Queue the reply just built in the slot, len bytes, to daddr (16 bytes, network order). */
void inject_commit(struct inject_batch *b, int family, size_t len, const uint8_t *daddr);
/* Send what is queued, one sendmmsg per family, never blocking; empties the batch. */
void inject_flush(const struct inject *inj, struct inject_batch *b, struct inject_counters *c);

#endif
