// SPDX-License-Identifier: GPL-2.0-or-later
/* Raw sockets with SO_MARK; replies collected per batch and sent with one sendmmsg per family. */
#include "inject.h"

#include <errno.h>
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

int inject_open(struct inject *inj, uint32_t mark)
{
	inj->fd4 = inject_socket(AF_INET, mark);
	if (inj->fd4 < 0)
		return -1;
	inj->fd6 = inject_socket(AF_INET6, mark);
	if (inj->fd6 < 0) {
		close(inj->fd4);
		return -1;
	}
	return 0;
}

void inject_close(struct inject *inj)
{
	close(inj->fd4);
	close(inj->fd6);
}

uint8_t *inject_slot(struct inject_batch *b, int family)
{
	struct inject_lane *l = family == AF_INET ? &b->v4 : &b->v6;

	if (l->n >= INJECT_MAX_BATCH)
		return NULL;
	return l->buf[l->n];
}

void inject_commit(struct inject_batch *b, int family, size_t len, const uint8_t *daddr)
{
	struct inject_lane *l = family == AF_INET ? &b->v4 : &b->v6;
	unsigned int i = l->n;
	socklen_t alen;

	memset(&l->addr[i], 0, sizeof(l->addr[i]));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l->addr[i];

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, daddr, 4);
		alen = sizeof(*sin);
	} else {
		/* sin6_port must stay 0 for IPPROTO_RAW, or sendto fails with EINVAL. */
		l->addr[i].sin6_family = AF_INET6;
		memcpy(&l->addr[i].sin6_addr, daddr, 16);
		alen = sizeof(l->addr[i]);
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

static void inject_flush_lane(int fd, struct inject_lane *l, struct inject_counters *c)
{
	unsigned int done = 0;

	while (done < l->n) {
		int n = sendmmsg(fd, l->msgs + done, l->n - done, MSG_DONTWAIT);
		int i;

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			/* sendmmsg stops at the first failing message: skip it, go on. */
			c->send_errors++;
			done++;
			continue;
		}
		for (i = 0; i < n; i++)
			c->bytes += l->iov[done + (unsigned int)i].iov_len;
		c->sent += (uint64_t)n;
		done += (unsigned int)n;
	}
	l->n = 0;
}

void inject_flush(const struct inject *inj, struct inject_batch *b, struct inject_counters *c)
{
	inject_flush_lane(inj->fd4, &b->v4, c);
	inject_flush_lane(inj->fd6, &b->v6, c);
}
