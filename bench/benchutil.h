/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the bench/ programs share: option numbers, a clock, the IPv4/IPv6 segments they send. */
#ifndef NFTARPIT_BENCHUTIL_H
#define NFTARPIT_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

/* IPv4 + TCP + an MSS option: the size of a minimal real SYN. */
#define BENCH_SEG4_LEN 44
/* The same over IPv6. */
#define BENCH_SEG6_LEN 64

/* Monotonic seconds. */
double bench_now_s(void);

/*
 * The number in option name's value v, min..max; otherwise "prog: name v: reason
 * (min..max)" on stderr and exit 2.
 */
long long bench_opt_num(const char *prog, const char *name, const char *v, long long min,
			long long max);

/*
 * Write an IPv4 TCP segment of BENCH_SEG4_LEN bytes into b: src and dst in network
 * order, the rest in host order; window 64240, an MSS option of 1460, both checksums.
 */
void bench_seg4(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack);

/*
 * The same segment over IPv6, BENCH_SEG6_LEN bytes: src and dst 16 bytes each (network
 * order), hop limit 64, an MSS option of 1440.
 */
void bench_seg6(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack);

#endif
