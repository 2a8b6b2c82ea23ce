// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure IPv4/IPv6/TCP parsing in place: no I/O, no allocation. */
#include "pkt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"

/* Hostile packets can chain extension headers; we walk at most this many. */
#define PKT_MAX_EXTHDRS 8

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The TCP options we read: only MSS, to mirror it in the SYN-ACK. */
static void pkt_parse_options(struct pkt *p, const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break;
		if (kind == 2 && opt[i + 1] == 4)
			p->mss = rd16(opt + i + 2);
		i += opt[i + 1];
	}
}

static enum pkt_status pkt_parse_tcp(struct pkt *p, size_t l4len)
{
	const uint8_t *th;
	size_t avail;

	if (p->l4off + 20 > p->caplen)
		return PKT_TRUNCATED;
	th = p->l3 + p->l4off;
	p->doff = (uint8_t)((th[12] >> 4) * 4);
	if (p->doff < 20 || p->doff > l4len)
		return PKT_MALFORMED;
	if (p->l4off + p->doff > p->caplen)
		return PKT_TRUNCATED;
	p->sport = rd16(th);
	p->dport = rd16(th + 2);
	p->seq = rd32(th + 4);
	p->ack = rd32(th + 8);
	p->flags = th[13];
	p->window = rd16(th + 14);
	p->paylen = (uint32_t)(l4len - p->doff);
	avail = p->caplen - p->l4off;
	p->complete = avail >= l4len;
	pkt_parse_options(p, th + 20, p->doff - 20u);
	return PKT_OK;
}

static enum pkt_status pkt_parse4(struct pkt *p)
{
	const uint8_t *h = p->l3;
	size_t ihl;
	uint16_t frag;

	if (p->caplen < 20)
		return PKT_TRUNCATED;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < 20)
		return PKT_MALFORMED;
	p->l3len = rd16(h + 2);
	if (p->l3len < ihl)
		return PKT_MALFORMED;
	if (ihl > p->caplen)
		return PKT_TRUNCATED;
	p->tos = h[1];
	memcpy(p->saddr, h + 12, 4);
	memcpy(p->daddr, h + 16, 4);
	frag = rd16(h + 6);
	/* MF set or a non-zero offset: a fragment, never answered (as xt_TARPIT). */
	if (frag & 0x3fff)
		return PKT_FRAGMENT;
	if (h[9] != IPPROTO_TCP)
		return PKT_NOT_TCP;
	p->l4off = ihl;
	return pkt_parse_tcp(p, p->l3len - ihl);
}

static enum pkt_status pkt_parse6(struct pkt *p)
{
	const uint8_t *h = p->l3;
	size_t off = 40;
	uint8_t nh;
	int n;

	if (p->caplen < 40)
		return PKT_TRUNCATED;
	p->l3len = 40u + rd16(h + 4);
	p->tos = (uint8_t)((rd16(h) >> 4) & 0xff);
	memcpy(p->saddr, h + 8, 16);
	memcpy(p->daddr, h + 24, 16);
	nh = h[6];
	for (n = 0; n < PKT_MAX_EXTHDRS; n++) {
		switch (nh) {
		case IPPROTO_TCP:
			if (off > p->l3len)
				return PKT_MALFORMED;
			p->l4off = off;
			return pkt_parse_tcp(p, p->l3len - off);
		case IPPROTO_FRAGMENT:
			return PKT_FRAGMENT;
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > p->caplen)
				return PKT_TRUNCATED;
			nh = h[off];
			off += ((size_t)h[off + 1] + 1) * 8;
			if (off > p->l3len)
				return PKT_MALFORMED;
			break;
		default:
			return PKT_NOT_TCP;
		}
	}
	return PKT_MALFORMED;
}

enum pkt_status pkt_parse(struct pkt *p, const uint8_t *buf, size_t caplen, size_t origlen)
{
	enum pkt_status st;

	memset(p, 0, sizeof(*p));
	p->l3 = buf;
	p->caplen = caplen < origlen ? caplen : origlen;
	if (caplen < 1)
		return PKT_TRUNCATED;
	switch (buf[0] >> 4) {
	case 4:
		p->family = AF_INET;
		st = pkt_parse4(p);
		break;
	case 6:
		p->family = AF_INET6;
		st = pkt_parse6(p);
		break;
	default:
		return PKT_MALFORMED;
	}
	if (st != PKT_OK)
		return st;
	/* The IP header's length must agree with what the kernel says it queued. */
	if (p->l3len > origlen)
		return PKT_TRUNCATED;
	return PKT_OK;
}

bool pkt_addr_unreplyable(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET) {
		if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
			return true; /* this-network, loopback, multicast, class E, broadcast */
		return false;
	}
	if (a[0] == 0xff)
		return true; /* multicast */
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return true; /* unspecified, loopback */
	/* IPv4-mapped addresses never appear as a real source on the wire. */
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return true;
	return false;
}

bool pkt_tcp_csum_ok(const struct pkt *p)
{
	size_t len = p->l3len - p->l4off;

	if (!p->complete)
		return false;
	if (p->family == AF_INET)
		return csum_tcp4(p->saddr, p->daddr, p->l3 + p->l4off, len) == 0;
	return csum_tcp6(p->saddr, p->daddr, p->l3 + p->l4off, len) == 0;
}

#define PKT_STATUS_NAME(e, name) [PKT_##e] = name,
static const char *const pkt_status_names[] = {PKT_STATUSES(PKT_STATUS_NAME)};
#undef PKT_STATUS_NAME
_Static_assert(sizeof(pkt_status_names) / sizeof(pkt_status_names[0]) == PKT_STATUS_MAX,
	       "every parse status has a name");

const char *pkt_status_name(enum pkt_status st)
{
	if ((unsigned int)st >= PKT_STATUS_MAX)
		return "unknown";
	return pkt_status_names[st];
}

const char *pkt_saddr_str(const struct pkt *p, char *buf, size_t len)
{
	if (inet_ntop(p->family, p->saddr, buf, (socklen_t)len) == NULL)
		return "?";
	return buf;
}
