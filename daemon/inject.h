/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reply sockets: a packet socket that sends a reply straight back out of the interface its
 * cause came in on, and raw IPv4/IPv6 sockets (SO_MARK) that route it like any local
 * packet. Replies are collected per batch and sent with one sendmmsg per lane.
 */
#ifndef NFTARPIT_INJECT_H
#define NFTARPIT_INJECT_H

#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "reply.h"

#define INJECT_MAX_BATCH 256

struct inject {
	int fd4;
	int fd6;
	int fdl; /* AF_PACKET, SOCK_DGRAM; -1 when replies are routed */
};

/* Where a packet came from on the link: its interface and the previous hop's address. */
struct inject_link {
	int ifindex;
	uint8_t mac[6];
};

union inject_addr {
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_ll ll;
};

/* One lane of pending replies; owned by one worker thread. */
struct inject_lane {
	unsigned int n;
	uint8_t buf[INJECT_MAX_BATCH][REPLY_MAX_LEN];
	union inject_addr addr[INJECT_MAX_BATCH];
	struct iovec iov[INJECT_MAX_BATCH];
	struct mmsghdr msgs[INJECT_MAX_BATCH];
};

struct inject_batch {
	struct inject_lane v4;	 /* routed IPv4 */
	struct inject_lane v6;	 /* routed IPv6 */
	struct inject_lane link; /* both families, back out of the incoming interface */
};

struct inject_counters {
	uint64_t sent;
	uint64_t bytes;
	uint64_t send_errors; /* EAGAIN/ENOBUFS/EPERM...: the reply is lost, never retried */
	uint64_t link_sent;   /* of sent, through the packet socket */
	uint64_t link_routed; /* refused by the packet socket (interface gone...): routed */
};

/*
 * Open the raw sockets marked with mark and, with link, the packet socket. Returns 0 or
 * -1 with a log line.
 */
int inject_open(struct inject *inj, uint32_t mark, bool link);
void inject_close(struct inject *inj);

/*
 * A buffer for the next reply of family, or NULL when its lane is full. link: the lane
 * back out of an interface, else the routed one.
 */
uint8_t *inject_slot(struct inject_batch *b, int family, bool link);
/*
 * Queue the reply just built in the slot, len bytes, to daddr (16 bytes, network order),
 * through link when it is not NULL (the slot must have come from the link lane then).
 */
void inject_commit(struct inject_batch *b, int family, size_t len, const uint8_t *daddr,
		   const struct inject_link *link);
/* Send what is queued, one sendmmsg per lane, never blocking; empties the batch. */
void inject_flush(const struct inject *inj, struct inject_batch *b, struct inject_counters *c);

#endif
