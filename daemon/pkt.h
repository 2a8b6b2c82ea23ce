/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure IPv4/IPv6/TCP parsing in place: no I/O, no allocation. */
#ifndef NFTARPIT_PKT_H
#define NFTARPIT_PKT_H

#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20
#define PKT_TCP_ECE 0x40
#define PKT_TCP_CWR 0x80

/* Why a packet could not be parsed; the caller counts each and drops the packet. */
/* Parse results, each a counter: one list makes the enum and its name table. */
#define PKT_STATUSES(X)                                    \
	X(OK, "ok")                                        \
	/* shorter than its headers say */                 \
	X(TRUNCATED, "truncated")                          \
	/* impossible header fields */                     \
	X(MALFORMED, "malformed")                          \
	/* no TCP header at the end of the header chain */ \
	X(NOT_TCP, "not_tcp")                              \
	/* a fragment: never answered */                   \
	X(FRAGMENT, "fragment")

#define PKT_STATUS_ENUM(e, name) PKT_##e,
enum pkt_status {
	PKT_STATUSES(PKT_STATUS_ENUM) PKT_STATUS_MAX,
};
#undef PKT_STATUS_ENUM

/*
 * One parsed packet. Pointers point into the caller's buffer; addresses are kept in
 * network order, 16 bytes each (IPv4 in the first 4).
 */
struct pkt {
	int family; /* AF_INET or AF_INET6 */
	const uint8_t *l3;
	size_t caplen; /* bytes present in the buffer */
	size_t l3len;  /* IPv4 total length / IPv6 40 + payload length */
	size_t l4off;  /* offset of the TCP header from l3 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t tos;	/* IPv4 TOS or IPv6 traffic class */
	uint16_t sport; /* host order from here on */
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;
	uint8_t flags;
	uint8_t doff;	 /* TCP header length in bytes */
	uint16_t mss;	 /* the peer's MSS option, 0 if absent */
	uint32_t paylen; /* TCP payload length per the IP header */
	bool complete;	 /* the whole segment is in the buffer */
};

/*
 * Parse an IPv4 or IPv6 packet (version from the first nibble) of caplen bytes, of which
 * the original was origlen bytes long (caplen < origlen when the queue copy range cut it).
 * IPv6 extension headers (hop-by-hop, routing, destination options) are walked; a fragment
 * header or an IPv4 fragment yields PKT_FRAGMENT with addresses filled in.
 */
enum pkt_status pkt_parse(struct pkt *p, const uint8_t *buf, size_t caplen, size_t origlen);

/* True for an address no reply may ever go to: multicast, broadcast, loopback, unspecified. */
bool pkt_addr_unreplyable(int family, const uint8_t *addr);

/* Verify the TCP checksum of a complete segment (IPv4 or IPv6 pseudo-header). */
bool pkt_tcp_csum_ok(const struct pkt *p);

/* Names for log lines and counters. */
const char *pkt_status_name(enum pkt_status st);

/* Format the source address into buf (INET6_ADDRSTRLEN bytes at least). */
const char *pkt_saddr_str(const struct pkt *p, char *buf, size_t len);

#endif
