// SPDX-License-Identifier: GPL-2.0-or-later
/* What the bench/ programs share: option numbers, a clock, the IPv4 segment they send. */
#include "benchutil.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csum.h"
#include "strnum.h"

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long bench_opt_num(const char *prog, const char *name, const char *v, long long min,
			long long max)
{
	const char *err;
	long long n = strnum_parse(v, min, max, &err);

	if (err != NULL) {
		fprintf(stderr, "%s: %s %s: %s (%lld..%lld)\n", prog, name, v, err, min, max);
		exit(2);
	}
	return n;
}

static void bench_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The TCP header and MSS option at t, of a segment without payload. */
static void bench_tcp(uint8_t *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		      uint32_t ack, uint16_t mss)
{
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8);
	t[3] = (uint8_t)dport;
	bench_put32(t + 4, seq);
	bench_put32(t + 8, ack);
	t[12] = 0x60; /* 24 bytes of TCP header */
	t[13] = flags;
	t[14] = 0xfa; /* window 64240 */
	t[15] = 0xf0;
	t[20] = 2; /* MSS */
	t[21] = 4;
	t[22] = (uint8_t)(mss >> 8);
	t[23] = (uint8_t)mss;
}

void bench_seg6(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint16_t ck;

	memset(b, 0, BENCH_SEG6_LEN);
	b[0] = 0x60;
	b[5] = BENCH_SEG6_LEN - 40; /* payload length */
	b[6] = IPPROTO_TCP;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	bench_tcp(b + 40, sport, dport, flags, seq, ack, 1440);
	ck = csum_tcp6(b + 8, b + 24, b + 40, BENCH_SEG6_LEN - 40);
	memcpy(b + 56, &ck, 2);
}

void bench_seg4(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint16_t ck;

	memset(b, 0, BENCH_SEG4_LEN);
	b[0] = 0x45;
	b[3] = BENCH_SEG4_LEN;
	b[6] = 0x40; /* DF */
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	ck = csum_fold(csum_add(0, b, 20));
	memcpy(b + 10, &ck, 2);
	bench_tcp(b + 20, sport, dport, flags, seq, ack, 1460);
	ck = csum_tcp4(b + 12, b + 16, b + 20, BENCH_SEG4_LEN - 20);
	memcpy(b + 36, &ck, 2);
}
