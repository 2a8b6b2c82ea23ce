// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The benchmark's baseline: the NFQUEUE responder most users write. Same parser, decision
 * and reply builder as nftarpitd (so only the I/O pattern differs): one recv, one sendto
 * and one verdict per packet, no batching. Prints its counters at SIGUSR1 and at SIGTERM,
 * then exits at SIGTERM. With KEYFILE it uses that cookie key (nftarpitd's
 * cookie_key_file format), so it answers the same window probes statelessly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "cookie.h"
#include "pkt.h"
#include "queue.h"
#include "reply.h"
#include "strnum.h"
#include "tarpit.h"

static volatile sig_atomic_t stop;
static volatile sig_atomic_t report;

static void on_signal(int sig)
{
	if (sig == SIGTERM)
		stop = 1;
	else
		report = 1;
}

static int send_cfg(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[8192];
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL);
}

int main(int argc, char **argv)
{
	static char buf[QUEUE_SLOT_SIZE];
	char out[QUEUE_MSG_BUF];
	struct queue_cfg cfg = {.maxlen = 8192};
	struct tarpit_cfg tc = {.mss = 1460};
	unsigned long long packets = 0;
	unsigned long long replies = 0;
	unsigned long long enobufs = 0;
	struct mnl_socket *nl;
	struct sigaction sa = {0};
	const char *err;
	int one = 1;
	int rcvbuf = 8 << 20;
	uint32_t mark;
	int raw;
	int raw6;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: naive_nfq QUEUE MARK [KEYFILE]\n");
		return 2;
	}
	cfg.num = (uint16_t)strnum_parse(argv[1], 0, 65535, &err);
	if (err == NULL)
		mark = (uint32_t)strnum_parse(argv[2], 1, 0xffffffffLL, &err);
	if (err != NULL) {
		fprintf(stderr, "naive_nfq: %s\n", err);
		return 2;
	}
	if (argc == 4 ? cookie_key_load(argv[3], &tc.key) < 0 : cookie_key_random(&tc.key) < 0) {
		perror("naive_nfq: cookie key");
		return 1;
	}
	/* No SA_RESTART: a signal must break the blocking recv(). */
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (nl == NULL || raw < 0 || raw6 < 0 || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(raw, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ||
	    setsockopt(raw6, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		perror("naive_nfq: sockets");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (send_cfg(nl, queue_build_bind(out, cfg.num, 1)) < 0 ||
	    send_cfg(nl, queue_build_params(out, &cfg, 2)) < 0) {
		perror("naive_nfq: queue config");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), 0);
		struct queue_pkt qp;
		struct tarpit_reply r;
		struct nlmsghdr *nlh;
		struct pkt p;

		if (report) {
			report = 0;
			printf("{\"packets\": %llu, \"replies\": %llu, \"enobufs\": %llu}\n",
			       packets, replies, enobufs);
			fflush(stdout);
		}
		if (n < 0) {
			if (errno == ENOBUFS)
				enobufs++;
			continue;
		}
		nlh = (struct nlmsghdr *)buf;
		if (queue_parse_packet(nlh, &qp) != 1)
			continue;
		packets++;
		if (pkt_parse(&p, qp.data, qp.caplen, qp.origlen) == PKT_OK) {
			tarpit_decide(&tc, &p, &r);
			if (r.action != TARPIT_NONE && p.family == AF_INET) {
				uint8_t rb[REPLY_MAX_LEN];
				struct sockaddr_in to = {.sin_family = AF_INET};
				size_t len = reply_build(rb, &p, &r);

				memcpy(&to.sin_addr, p.saddr, 4);
				if (sendto(raw, rb, len, 0, (struct sockaddr *)&to, sizeof(to)) > 0)
					replies++;
			} else if (r.action != TARPIT_NONE) {
				uint8_t rb[REPLY_MAX_LEN];
				/* sin6_port 0: IPPROTO_RAW refuses anything else. */
				struct sockaddr_in6 to = {.sin6_family = AF_INET6};
				size_t len = reply_build(rb, &p, &r);

				memcpy(&to.sin6_addr, p.saddr, 16);
				if (sendto(raw6, rb, len, 0, (struct sockaddr *)&to, sizeof(to)) >
				    0)
					replies++;
			}
		}
		nlh = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, cfg.num);
		nfq_nlmsg_verdict_put(nlh, (int)qp.id, NF_DROP);
		mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	}
	printf("{\"packets\": %llu, \"replies\": %llu, \"enobufs\": %llu}\n", packets, replies,
	       enobufs);
	mnl_socket_close(nl);
	return 0;
}
