// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure reply construction: IPv4/IPv6 + TCP headers and checksums into a caller's buffer. */
#include "reply.h"

#include <netinet/in.h>
#include <string.h>

#include "csum.h"

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The TCP header (and MSS option) at th; returns its length. */
static size_t reply_tcp(uint8_t *th, const struct pkt *p, const struct tarpit_reply *r)
{
	size_t len = r->mss != 0 ? 24 : 20;

	memset(th, 0, len);
	wr16(th, p->dport);
	wr16(th + 2, p->sport);
	wr32(th + 4, r->seq);
	wr32(th + 8, r->ack);
	th[12] = (uint8_t)((len / 4) << 4);
	th[13] = r->flags;
	wr16(th + 14, r->window);
	if (r->mss != 0) {
		th[20] = 2; /* kind MSS */
		th[21] = 4;
		wr16(th + 22, r->mss);
	}
	if (r->paylen != 0) {
		memcpy(th + len, r->payload, r->paylen);
		len += r->paylen;
	}
	return len;
}

size_t reply_build(uint8_t *buf, const struct pkt *p, const struct tarpit_reply *r)
{
	size_t tcplen;
	uint16_t ck;

	if (r->action == TARPIT_NONE)
		return 0;
	if (p->family == AF_INET) {
		uint8_t *th = buf + 20;

		tcplen = reply_tcp(th, p, r);
		memset(buf, 0, 20);
		buf[0] = 0x45;
		/* DSCP kept, ECN bits cleared: we never negotiate ECN. */
		buf[1] = p->tos & 0xfc;
		wr16(buf + 2, (uint16_t)(20 + tcplen));
		/* ID 0 with DF, as a Linux stack sends SYN-ACKs; the kernel keeps ID 0 for DF. */
		wr16(buf + 6, 0x4000);
		buf[8] = REPLY_TTL;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, p->daddr, 4);
		memcpy(buf + 16, p->saddr, 4);
		ck = csum_fold(csum_add(0, buf, 20));
		memcpy(buf + 10, &ck, 2);
		ck = csum_tcp4(buf + 12, buf + 16, th, tcplen);
		memcpy(th + 16, &ck, 2);
		return 20 + tcplen;
	}
	tcplen = reply_tcp(buf + 40, p, r);
	/* Version 6, traffic class from the peer's (ECN cleared), flow label 0. */
	wr32(buf, 0x60000000u | (uint32_t)(p->tos & 0xfc) << 20);
	wr16(buf + 4, (uint16_t)tcplen);
	buf[6] = IPPROTO_TCP;
	buf[7] = REPLY_TTL;
	memcpy(buf + 8, p->daddr, 16);
	memcpy(buf + 24, p->saddr, 16);
	ck = csum_tcp6(buf + 8, buf + 24, buf + 40, tcplen);
	memcpy(buf + 40 + 16, &ck, 2);
	return 40 + tcplen;
}
