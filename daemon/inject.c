// SPDX-License-Identifier: GPL-2.0-or-later
/* Reply sockets; replies collected per batch and sent with one sendmmsg per lane. */
#include "inject.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/*
 * IPPROTO_RAW implies IP_HDRINCL (and hdrincl on IPv6): we write the whole header. Such
 * a socket never receives anything, unlike an IPPROTO_TCP raw socket that would get a
 * copy of every TCP packet. SO_MARK tags every reply so the ruleset's output chain can
 * notrack it: a raw-socket SYN-ACK would otherwise be INVALID to conntrack, and an ACK
 * would be picked up as a new ESTABLISHED entry per held flow.
 */
static int inject_socket(int family, uint32_t mark)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int sndbuf = 256 * 1024;

	if (fd < 0) {
		log_warn("raw %s socket", family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		log_warn("SO_MARK 0x%x on the raw %s socket", mark,
			 family == AF_INET ? "IPv4" : "IPv6");
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		log_warn("SO_SNDBUF on the raw socket");
	return fd;
}

/*
 * A packet socket (SOCK_DGRAM, protocol 0: it receives nothing) that hands a reply to the
 * interface its cause came in on, addressed to the hardware address that cause came from.
 * The kernel writes the link header (Ethernet, VLAN). This skips the route lookup, the
 * output and postrouting hooks (so conntrack never sees the reply) and the neighbour
 * table: the reply costs the kernel about what a forwarded packet does. Packet taps
 * (tcpdump) and the interface's queueing discipline still see every reply.
 */
static int inject_link_socket(uint32_t mark)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sndbuf = 256 * 1024;

	if (fd < 0) {
		log_warn("packet socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		log_warn("SO_MARK/SO_SNDBUF on the packet socket");
	return fd;
}

int inject_open(struct inject *inj, uint32_t mark, bool link)
{
	inj->fdl = -1;
	inj->fd4 = inject_socket(AF_INET, mark);
	if (inj->fd4 < 0)
		return -1;
	inj->fd6 = inject_socket(AF_INET6, mark);
	if (inj->fd6 < 0) {
		close(inj->fd4);
		return -1;
	}
	if (link) {
		inj->fdl = inject_link_socket(mark);
		if (inj->fdl < 0) {
			close(inj->fd4);
			close(inj->fd6);
			return -1;
		}
	}
	return 0;
}

void inject_close(struct inject *inj)
{
	close(inj->fd4);
	close(inj->fd6);
	if (inj->fdl >= 0)
		close(inj->fdl);
}

static struct inject_lane *inject_lane_of(struct inject_batch *b, int family, bool link)
{
	if (link)
		return &b->link;
	return family == AF_INET ? &b->v4 : &b->v6;
}

uint8_t *inject_slot(struct inject_batch *b, int family, bool link)
{
	struct inject_lane *l = inject_lane_of(b, family, link);

	if (l->n >= INJECT_MAX_BATCH)
		return NULL;
	return l->buf[l->n];
}

/* The routed destination of an IP packet: sin6_port stays 0 for IPPROTO_RAW (else EINVAL). */
static socklen_t inject_route_addr(union inject_addr *a, int family, const uint8_t *daddr)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->in.sin_family = AF_INET;
		memcpy(&a->in.sin_addr, daddr, 4);
		return sizeof(a->in);
	}
	a->in6.sin6_family = AF_INET6;
	memcpy(&a->in6.sin6_addr, daddr, 16);
	return sizeof(a->in6);
}

void inject_commit(struct inject_batch *b, int family, size_t len, const uint8_t *daddr,
		   const struct inject_link *link)
{
	struct inject_lane *l = inject_lane_of(b, family, link != NULL);
	unsigned int i = l->n;
	socklen_t alen;

	if (link != NULL) {
		struct sockaddr_ll *ll = &l->addr[i].ll;

		memset(ll, 0, sizeof(*ll));
		ll->sll_family = AF_PACKET;
		ll->sll_protocol = htons(family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
		ll->sll_ifindex = link->ifindex;
		ll->sll_halen = 6;
		memcpy(ll->sll_addr, link->mac, 6);
		alen = sizeof(*ll);
	} else {
		alen = inject_route_addr(&l->addr[i], family, daddr);
	}
	l->iov[i].iov_base = l->buf[i];
	l->iov[i].iov_len = len;
	memset(&l->msgs[i], 0, sizeof(l->msgs[i]));
	l->msgs[i].msg_hdr.msg_name = &l->addr[i];
	l->msgs[i].msg_hdr.msg_namelen = alen;
	l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
	l->msgs[i].msg_hdr.msg_iovlen = 1;
	l->n++;
}

/*
 * A reply the packet socket refused (the interface went away or down, a device that
 * takes no link header...) is routed instead: a lost SYN-ACK costs the client a
 * retransmission, a lost probe ACK may lose us the flow.
 */
static void inject_route_one(const struct inject *inj, const struct inject_lane *l, unsigned int i,
			     struct inject_counters *c)
{
	const uint8_t *pkt = l->buf[i];
	int family = (pkt[0] >> 4) == 4 ? AF_INET : AF_INET6;
	union inject_addr a;
	socklen_t alen = inject_route_addr(&a, family, pkt + (family == AF_INET ? 16 : 24));

	if (sendto(family == AF_INET ? inj->fd4 : inj->fd6, pkt, l->iov[i].iov_len, MSG_DONTWAIT,
		   (const struct sockaddr *)&a, alen) < 0) {
		c->send_errors++;
		return;
	}
	c->link_routed++;
	c->sent++;
	c->bytes += l->iov[i].iov_len;
}

static void inject_flush_lane(const struct inject *inj, int fd, struct inject_lane *l,
			      struct inject_counters *c)
{
	bool link = fd == inj->fdl;
	unsigned int done = 0;

	while (done < l->n) {
		int n = sendmmsg(fd, l->msgs + done, l->n - done, MSG_DONTWAIT);
		int i;

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			/* sendmmsg stops at the first failing message: deal with it, go on. */
			if (link && errno != EAGAIN && errno != ENOBUFS)
				inject_route_one(inj, l, done, c);
			else
				c->send_errors++;
			done++;
			continue;
		}
		for (i = 0; i < n; i++)
			c->bytes += l->iov[done + (unsigned int)i].iov_len;
		c->sent += (uint64_t)n;
		if (link)
			c->link_sent += (uint64_t)n;
		done += (unsigned int)n;
	}
	l->n = 0;
}

void inject_flush(const struct inject *inj, struct inject_batch *b, struct inject_counters *c)
{
	if (b->link.n > 0)
		inject_flush_lane(inj, inj->fdl, &b->link, c);
	if (b->v4.n > 0)
		inject_flush_lane(inj, inj->fd4, &b->v4, c);
	if (b->v6.n > 0)
		inject_flush_lane(inj, inj->fd6, &b->v6, c);
}
