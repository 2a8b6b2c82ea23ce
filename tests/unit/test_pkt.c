// SPDX-License-Identifier: GPL-2.0-or-later
/* Parser details the golden vectors do not show: checksums, options, address classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>

#include "csum.h"
#include "pkt.h"

/* Our checksum agrees with libnetfilter_queue's on random segments of every length. */
static void test_csum_matches_libnetfilter_queue(void **state)
{
	uint8_t buf[40 + 20 + 64];
	unsigned int seed = 12345;
	int round;

	for (round = 0; round < 500; round++) {
		size_t plen = (size_t)round % 65;
		size_t i;
		struct pkt p;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (round % 2 == 0) {
			struct iphdr *ip = (struct iphdr *)buf;
			struct tcphdr *th = (struct tcphdr *)(buf + 20);

			ip->version = 4;
			ip->ihl = 5;
			ip->tot_len = htons((uint16_t)(40 + plen));
			ip->frag_off = 0;
			ip->protocol = IPPROTO_TCP;
			th->doff = 5;
			nfq_tcp_compute_checksum_ipv4(th, ip);
			assert_int_equal(pkt_parse(&p, buf, 40 + plen, 40 + plen), PKT_OK);
		} else {
			struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
			struct tcphdr *th = (struct tcphdr *)(buf + 40);

			buf[0] = 0x60;
			ip6->ip6_plen = htons((uint16_t)(20 + plen));
			ip6->ip6_nxt = IPPROTO_TCP;
			buf[8] = 0x20; /* not multicast */
			th->doff = 5;
			nfq_tcp_compute_checksum_ipv6(th, ip6);
			assert_int_equal(pkt_parse(&p, buf, 60 + plen, 60 + plen), PKT_OK);
		}
		assert_true(pkt_tcp_csum_ok(&p));
		buf[p.l4off + 20 + plen / 2] ^= 0x10; /* one bit anywhere in the segment */
		if (plen > 0)
			assert_false(pkt_tcp_csum_ok(&p));
	}
}

static const uint8_t syn4[] = {
	0x45, 0x00, 0x00, 0x3c, 0x10, 0x92, 0x00, 0x00, 0x3d, 0x06, 0x80, 0xeb, 0xc6, 0x33, 0x64,
	0x0a, 0xc0, 0x00, 0x02, 0x01, 0xc9, 0x3a, 0x00, 0x19, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
	0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x53, 0x51, 0x00, 0x00, 0x02, 0x04, 0x05, 0x78, 0x04,
	0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static void test_fields(void **state)
{
	struct pkt p;

	assert_int_equal(pkt_parse(&p, syn4, sizeof(syn4), sizeof(syn4)), PKT_OK);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.sport, 51514);
	assert_int_equal(p.dport, 25);
	assert_int_equal(p.seq, 0x11223344);
	assert_int_equal(p.flags, PKT_TCP_SYN);
	assert_int_equal(p.doff, 40);
	assert_int_equal(p.mss, 1400);
	assert_int_equal(p.window, 64240);
	assert_int_equal(p.paylen, 0);
	assert_true(p.complete);
	assert_true(pkt_tcp_csum_ok(&p));
	/* The kernel says the packet was longer than its IP header claims: fine; shorter: not. */
	assert_int_equal(pkt_parse(&p, syn4, sizeof(syn4), sizeof(syn4) + 4), PKT_OK);
	assert_int_equal(pkt_parse(&p, syn4, sizeof(syn4) - 4, sizeof(syn4) - 4), PKT_TRUNCATED);
}

/* Malformed options end the walk without reading past the header. */
static void test_bad_options(void **state)
{
	uint8_t b[sizeof(syn4)];
	struct pkt p;

	memcpy(b, syn4, sizeof(b));
	b[41] = 0; /* MSS length 0 */
	assert_int_equal(pkt_parse(&p, b, sizeof(b), sizeof(b)), PKT_OK);
	assert_int_equal(p.mss, 0);
	memcpy(b, syn4, sizeof(b));
	b[40] = 8;  /* timestamps kind with the MSS length */
	b[41] = 40; /* runs past the header */
	assert_int_equal(pkt_parse(&p, b, sizeof(b), sizeof(b)), PKT_OK);
	assert_int_equal(p.mss, 0);
	memcpy(b, syn4, sizeof(b));
	b[41] = 3; /* MSS with length 3 is not an MSS */
	assert_int_equal(pkt_parse(&p, b, sizeof(b), sizeof(b)), PKT_OK);
	assert_int_equal(p.mss, 0);
}

static void test_addresses(void **state)
{
	uint8_t a[16];

	inet_pton(AF_INET, "198.51.100.1", a);
	assert_false(pkt_addr_unreplyable(AF_INET, a));
	inet_pton(AF_INET, "224.0.0.1", a);
	assert_true(pkt_addr_unreplyable(AF_INET, a));
	inet_pton(AF_INET, "0.0.0.0", a);
	assert_true(pkt_addr_unreplyable(AF_INET, a));
	inet_pton(AF_INET, "127.0.0.2", a);
	assert_true(pkt_addr_unreplyable(AF_INET, a));
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_false(pkt_addr_unreplyable(AF_INET6, a));
	inet_pton(AF_INET6, "ff02::1", a);
	assert_true(pkt_addr_unreplyable(AF_INET6, a));
	inet_pton(AF_INET6, "::", a);
	assert_true(pkt_addr_unreplyable(AF_INET6, a));
	inet_pton(AF_INET6, "::ffff:192.0.2.1", a);
	assert_true(pkt_addr_unreplyable(AF_INET6, a));
}

/* Destination options and routing headers are walked to the TCP header. */
static void test_v6_exthdr_chain(void **state)
{
	uint8_t b[40 + 8 + 16 + 20];
	struct pkt p;

	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	b[4] = 0;
	b[5] = 8 + 16 + 20;
	b[6] = IPPROTO_DSTOPTS;
	b[8] = 0x20;
	b[24] = 0x20;
	b[40] = IPPROTO_ROUTING; /* dstopts: next, len 0 (8 bytes) */
	b[48] = IPPROTO_TCP;	 /* routing: next, len 1 (16 bytes) */
	b[49] = 1;
	b[64 + 1] = 25; /* sport 25 */
	b[64 + 12] = 0x50;
	b[64 + 13] = PKT_TCP_SYN;
	assert_int_equal(pkt_parse(&p, b, sizeof(b), sizeof(b)), PKT_OK);
	assert_int_equal(p.l4off, 64);
	assert_int_equal(p.sport, 25);
	/* An extension header claiming more than the payload. */
	b[49] = 10;
	assert_int_equal(pkt_parse(&p, b, sizeof(b), sizeof(b)), PKT_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_matches_libnetfilter_queue),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_v6_exthdr_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
