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

#include "benchutil.h"
#include "cookie.h"
#include "pkt.h"
#include "strnum.h"

#define RING   8192
#define BATCH  64
#define PKTLEN BENCH_SEG4_LEN

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
			bench_seg4(ring[i], src, dst, sport, 25, 0x02, seq, 0);
			if (pkt_parse(&syn, ring[i], PKTLEN, PKTLEN) != PKT_OK) {
				fprintf(stderr, "loadgen: cannot parse its own SYN\n");
				return 1;
			}
			bench_seg4(ring[i], src, dst, sport, 25, 0x10, seq,
				   cookie_isn(&key, &syn) + 1);
			continue;
		}
		bench_seg4(ring[i], src, dst, sport, 25, flags, seq,
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
