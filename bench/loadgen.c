// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark load generator: bounded bursts of TCP segments from many spoofed sources to one
 * address, IPv4 from 198.18.0.0/15 or IPv6 from 2001:db8:18::/48 (the family of -d), over a raw
 * socket with sendmmsg, at a steady rate or as fast as it can. Kinds: SYNs (a flood of new
 * connections), ACKs with random numbers (junk), and window probes of held connections: with the
 * tarpit's cookie key (-K), each of the 8,192 tuples sends what a Linux client's kernel sends while
 * our window is zero (seq = its ISN, ack = our cookie + 1), so the tarpit answers every one from a
 * flow record. Stops at -n packets or -t seconds, whichever comes first, and prints what it sent.
 * Only for bench/, in network namespaces the benchmark creates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "cookie.h"
#include "pkt.h"
#include "strnum.h"

#define RING   8192
#define BATCH  64
#define PKTLEN BENCH_SEG6_LEN /* the larger of the two */

/* A spoofed source: 198.18.0.0/15, or 2001:db8:18::/48 (the benchmarking ranges). */
static void loadgen_src(int family, unsigned int *seed, uint8_t *src)
{
	uint32_t host = (uint32_t)rand_r(seed) & 0x1ffff;

	if (family == AF_INET) {
		uint32_t a = htonl(0xc6120000u | host);

		memcpy(src, &a, 4);
		return;
	}
	memset(src, 0, 16);
	src[0] = 0x20;
	src[1] = 0x01;
	src[2] = 0x0d;
	src[3] = 0xb8;
	src[5] = 0x18;
	/* 128 hosts per /64: a mix of prefixes, as the per-/24 mix of the IPv4 sources. */
	src[6] = (uint8_t)(host >> 15);
	src[7] = (uint8_t)(host >> 7);
	src[14] = 1;
	src[15] = (uint8_t)(host & 0x7f);
}

/* A segment to port 25, IPv4 or IPv6 by family. */
static void loadgen_seg(int family, uint8_t *b, const uint8_t *src, const uint8_t *dst,
			uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint32_t s4;
	uint32_t d4;

	if (family == AF_INET6) {
		bench_seg6(b, src, dst, sport, 25, flags, seq, ack);
		return;
	}
	memcpy(&s4, src, 4);
	memcpy(&d4, dst, 4);
	bench_seg4(b, s4, d4, sport, 25, flags, seq, ack);
}

int main(int argc, char **argv)
{
	static uint8_t ring[RING][PKTLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to4 = {.sin_family = AF_INET};
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};
	int family = 0;
	size_t pktlen;
	const char *err = NULL;
	long long count = 1000000;
	long long seconds = 10;
	long long sent = 0;
	long long errors = 0;
	uint8_t flags = 0x02;
	bool probe = false;
	const char *keyfile = NULL;
	struct cookie_key key;
	long long rate = 0;
	struct timespec next;
	uint8_t dst[16];
	unsigned int seed = 1;
	double t0;
	double t1;
	int fd;
	int ch;
	int i;

	while ((ch = getopt(argc, argv, "d:n:t:k:r:K:")) != -1) {
		switch (ch) {
		case 'd':
			if (inet_pton(AF_INET, optarg, dst) == 1)
				family = AF_INET;
			else if (inet_pton(AF_INET6, optarg, dst) == 1)
				family = AF_INET6;
			else
				err = "bad -d address";
			break;
		case 'n':
			count = strnum_parse(optarg, 1, 100000000, &err);
			break;
		case 't':
			seconds = strnum_parse(optarg, 1, 60, &err);
			break;
		case 'k':
			if (strcmp(optarg, "syn") == 0)
				flags = 0x02;
			else if (strcmp(optarg, "ack") == 0)
				flags = 0x10;
			else if (strcmp(optarg, "probe") == 0)
				probe = true;
			else
				err = "-k syn|ack|probe";
			break;
		case 'r':
			rate = strnum_parse(optarg, 0, 100000000, &err);
			break;
		case 'K':
			keyfile = optarg;
			break;
		default:
			err = "usage";
		}
		if (err != NULL) {
			fprintf(stderr,
				"usage: loadgen -d DST [-n COUNT<=1e8] [-t SECONDS<=60] "
				"[-r PPS, 0: unpaced] [-k syn|ack|probe] [-K KEYFILE]: %s\n",
				err);
			return 2;
		}
	}
	if (family == 0) {
		fprintf(stderr, "loadgen: -d DST is required\n");
		return 2;
	}
	if (probe && (keyfile == NULL || cookie_key_load(keyfile, &key) < 0)) {
		fprintf(stderr, "loadgen: -k probe needs the tarpit's key: -K %s: %s\n",
			keyfile != NULL ? keyfile : "(none)",
			keyfile != NULL ? strerror(errno) : "missing");
		return 2;
	}
	pktlen = family == AF_INET ? BENCH_SEG4_LEN : BENCH_SEG6_LEN;
	for (i = 0; i < RING; i++) {
		uint8_t src[16];
		uint16_t sport;
		uint32_t seq;

		loadgen_src(family, &seed, src);
		sport = (uint16_t)(1024 + rand_r(&seed) % 60000);
		seq = (uint32_t)rand_r(&seed);

		if (probe) {
			struct pkt syn;

			/* The SYN it once sent, to learn our SYN-ACK's cookie; then its probe. */
			loadgen_seg(family, ring[i], src, dst, sport, 0x02, seq, 0);
			if (pkt_parse(&syn, ring[i], pktlen, pktlen) != PKT_OK) {
				fprintf(stderr, "loadgen: cannot parse its own SYN\n");
				return 1;
			}
			loadgen_seg(family, ring[i], src, dst, sport, 0x10, seq,
				    cookie_isn(&key, &syn) + 1);
			continue;
		}
		loadgen_seg(family, ring[i], src, dst, sport, flags, seq,
			    flags == 0x10 ? (uint32_t)rand_r(&seed) : 0);
	}
	fd = socket(family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("loadgen: raw socket");
		return 1;
	}
	memcpy(&to4.sin_addr, dst, 4);
	/* sin6_port stays 0: IPPROTO_RAW refuses anything else (EINVAL). */
	memcpy(&to6.sin6_addr, dst, 16);
	for (i = 0; i < BATCH; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		iov[i].iov_len = pktlen;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (family == AF_INET) {
			msgs[i].msg_hdr.msg_name = &to4;
			msgs[i].msg_hdr.msg_namelen = sizeof(to4);
		} else {
			msgs[i].msg_hdr.msg_name = &to6;
			msgs[i].msg_hdr.msg_namelen = sizeof(to6);
		}
	}
	t0 = bench_now_s();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (sent < count) {
		int n = BATCH;
		int r;

		if ((sent & 4095) == 0 && bench_now_s() - t0 >= (double)seconds)
			break;
		if (rate > 0) {
			/* Paced: each batch leaves at its time on the schedule, none early. */
			long long ns = (long long)next.tv_nsec + BATCH * 1000000000LL / rate;

			next.tv_sec += (time_t)(ns / 1000000000LL);
			next.tv_nsec = (long)(ns % 1000000000LL);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
			       EINTR)
				;
		}
		if (count - sent < n)
			n = (int)(count - sent);
		for (i = 0; i < n; i++)
			iov[i].iov_base = ring[(sent + i) % RING];
		r = sendmmsg(fd, msgs, (unsigned int)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("loadgen: sendmmsg");
				return 1;
			}
			errors++;
			continue;
		}
		sent += r;
	}
	t1 = bench_now_s();
	printf("{\"sent\": %lld, \"seconds\": %.3f, \"pps\": %.0f, \"send_errors\": %lld}\n", sent,
	       t1 - t0, (double)sent / (t1 - t0), errors);
	close(fd);
	return 0;
}
