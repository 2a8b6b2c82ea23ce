// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark load generator: bounded bursts of IPv4 TCP segments from many spoofed sources
 * in 198.18.0.0/15 to one address, over a raw socket with sendmmsg, at a steady rate or
 * as fast as it can. Kinds: SYNs (a flood of new connections), ACKs with random numbers
 * (junk), and window probes of held connections: with the tarpit's cookie key (-K), each
 * of the 8,192 tuples sends what a Linux client's kernel sends while our window is zero
 * (seq = its ISN, ack = our cookie + 1), so the tarpit answers every one from a flow
 * record. Stops at -n packets or -t seconds, whichever comes first, and prints what it
 * sent. Only for bench/, in network namespaces the benchmark creates.
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

#include "cookie.h"
#include "csum.h"
#include "pkt.h"
#include "strnum.h"

#define RING   8192
#define BATCH  64
#define PKTLEN 44 /* IPv4 + TCP + MSS option: a minimal real SYN */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		  uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint16_t ck;

	memset(b, 0, PKTLEN);
	b[0] = 0x45;
	b[2] = 0;
	b[3] = PKTLEN;
	b[6] = 0x40;
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	ck = csum_fold(csum_add(0, b, 20));
	memcpy(b + 10, &ck, 2);
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	b[24] = (uint8_t)(seq >> 24), b[25] = (uint8_t)(seq >> 16);
	b[26] = (uint8_t)(seq >> 8), b[27] = (uint8_t)seq;
	b[28] = (uint8_t)(ack >> 24), b[29] = (uint8_t)(ack >> 16);
	b[30] = (uint8_t)(ack >> 8), b[31] = (uint8_t)ack;
	b[32] = 0x60;
	b[33] = flags;
	b[34] = 0xfa;
	b[35] = 0xf0;
	b[40] = 2;
	b[41] = 4;
	b[42] = 0x05;
	b[43] = 0xb4;
	ck = csum_tcp4(b + 12, b + 16, b + 20, PKTLEN - 20);
	memcpy(b + 36, &ck, 2);
}

int main(int argc, char **argv)
{
	static uint8_t ring[RING][PKTLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET};
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
	uint32_t dst = 0;
	unsigned int seed = 1;
	double t0;
	double t1;
	int fd;
	int ch;
	int i;

	while ((ch = getopt(argc, argv, "d:n:t:k:r:K:")) != -1) {
		switch (ch) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst) != 1)
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
	if (dst == 0) {
		fprintf(stderr, "loadgen: -d DST is required\n");
		return 2;
	}
	if (probe && (keyfile == NULL || cookie_key_load(keyfile, &key) < 0)) {
		fprintf(stderr, "loadgen: -k probe needs the tarpit's key: -K %s: %s\n",
			keyfile != NULL ? keyfile : "(none)",
			keyfile != NULL ? strerror(errno) : "missing");
		return 2;
	}
	/* Sources spread over 198.18.0.0/15, the benchmarking range (RFC 2544). */
	for (i = 0; i < RING; i++) {
		uint32_t host = (uint32_t)rand_r(&seed) & 0x1ffff;
		uint32_t src = htonl(0xc6120000u | host);
		uint16_t sport = (uint16_t)(1024 + rand_r(&seed) % 60000);
		uint32_t seq = (uint32_t)rand_r(&seed);

		if (probe) {
			struct pkt syn;

			/* The SYN it once sent, to learn our SYN-ACK's cookie; then its probe. */
			build(ring[i], src, dst, sport, 25, 0x02, seq, 0);
			if (pkt_parse(&syn, ring[i], PKTLEN, PKTLEN) != PKT_OK) {
				fprintf(stderr, "loadgen: cannot parse its own SYN\n");
				return 1;
			}
			build(ring[i], src, dst, sport, 25, 0x10, seq, cookie_isn(&key, &syn) + 1);
			continue;
		}
		build(ring[i], src, dst, sport, 25, flags, seq,
		      flags == 0x10 ? (uint32_t)rand_r(&seed) : 0);
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("loadgen: raw socket");
		return 1;
	}
	to.sin_addr.s_addr = dst;
	for (i = 0; i < BATCH; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		iov[i].iov_len = PKTLEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	t0 = now_s();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (sent < count) {
		int n = BATCH;
		int r;

		if ((sent & 4095) == 0 && now_s() - t0 >= (double)seconds)
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
	t1 = now_s();
	printf("{\"sent\": %lld, \"seconds\": %.3f, \"pps\": %.0f, \"send_errors\": %lld}\n", sent,
	       t1 - t0, (double)sent / (t1 - t0), errors);
	close(fd);
	return 0;
}
