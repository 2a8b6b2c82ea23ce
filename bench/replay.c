// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Userland work per packet, without the kernel: N NFQUEUE packet messages (SYNs, or window
 * probes of 8,192 held connections) built in memory are handled by nftarpitd's own code
 * (queue_parse_packet, then worker_handle in batches of 64 as worker_run does, replies
 * built into the lanes) or by the naive responder's (queue_parse_packet, pkt_parse,
 * tarpit_decide, reply_build, one verdict message per packet). bench/instr.sh counts
 * the instructions of replay_run() under callgrind: the same count on any machine.
 *   usage: replay nftarpitd|naive syn|probe N
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "conf.h"
#include "cookie.h"
#include "daemon.h"
#include "pkt.h"
#include "queue.h"
#include "reply.h"
#include "strnum.h"
#include "tarpit.h"
#include "worker.h"

#define TUPLES 8192
#define MSGLEN 256
#define BATCH  64

static uint8_t msgs[TUPLES][MSGLEN];

/* The segment of tuple i: spread over 198.18.0.0/15 like loadgen's, to 192.0.2.1:25. */
static size_t segment(uint8_t *b, uint32_t i, uint8_t flags, uint32_t seq, uint32_t ack)
{
	bench_seg4(b, htonl(0xc6120000u | (i * 2654435761u & 0x1ffff)), htonl(0xc0000201u),
		   (uint16_t)(1024 + i % 60000), 25, flags, seq, ack);
	return BENCH_SEG4_LEN;
}

/* The message the kernel would queue for it (veth: CHECKSUM_PARTIAL, a link address). */
static void message(uint8_t *buf, uint32_t id, const uint8_t *pkt, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfqnl_msg_packet_hdr ph = {.packet_id = htonl(id), .hw_protocol = htons(0x0800)};
	struct nfqnl_msg_packet_hw hw = {.hw_addrlen = htons(6), .hw_addr = {2, 0, 0, 0, 0, 2}};
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->res_id = htons(25);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(2));
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_CSUMNOTREADY));
	mnl_attr_put(nlh, NFQA_PAYLOAD, len, pkt);
}

static struct worker *nftarpitd_worker(const struct cookie_key *key)
{
	static struct inject fake = {.fd4 = -1, .fd6 = -1, .fdl = -1};
	struct daemon_conf c;
	struct worker_cfg wc;
	struct worker *w;

	/* The daemon's defaults, as bench/pps.sh runs it: budgets that never refuse, no
	 * flow log lines. */
	conf_defaults(&c);
	c.prefix_rate = c.prefix_burst = 1000000;
	c.global_rate = c.global_burst = 4000000;
	c.log_flows = 0;
	snprintf(c.smtp_hostname, sizeof(c.smtp_hostname), "mx.example.org");
	daemon_worker_cfg(&c, key, &wc);
	w = worker_alloc(25, &wc, c.budget_buckets, BATCH, c.max_flows);
	if (w == NULL)
		exit(1);
	/* As with reply_path = link: the lanes fill, flushing is the kernel's part. */
	fake.fdl = 99;
	w->inject = &fake;
	return w;
}

/* The measured part: every packet message handled, N in all. */
__attribute__((noinline)) static unsigned long long
replay_run(bool naive, struct worker *w, const struct tarpit_cfg *tc, long long n)
{
	struct queue_pkt batch[BATCH];
	unsigned long long replies = 0;
	char verdict[QUEUE_MSG_BUF];
	long long i;
	int k = 0;

	for (i = 0; i < n; i++) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)msgs[i % TUPLES];

		if (queue_parse_packet(m, &batch[k]) != 1)
			exit(1);
		if (naive) {
			uint8_t rb[REPLY_MAX_LEN];
			struct tarpit_reply r;
			struct nlmsghdr *nlh;
			struct pkt p;

			if (pkt_parse(&p, batch[k].data, batch[k].caplen, batch[k].origlen) ==
			    PKT_OK) {
				tarpit_decide(tc, &p, &r);
				if (r.action != TARPIT_NONE && reply_build(rb, &p, &r) > 0)
					replies++;
			}
			nlh = nfq_nlmsg_put(verdict, NFQNL_MSG_VERDICT, 25);
			nfq_nlmsg_verdict_put(nlh, (int)batch[k].id, NF_DROP);
			continue;
		}
		if (++k < BATCH && i + 1 < n)
			continue;
		for (int j = 0; j < k; j++)
			worker_handle(w, &batch[j], 1000);
		replies += w->out->link.n + w->out->v4.n;
		w->out->link.n = w->out->v4.n = 0;
		queue_build_verdict_batch(verdict, 25, batch[k - 1].id, NF_DROP);
		k = 0;
	}
	return replies;
}

int main(int argc, char **argv)
{
	struct tarpit_cfg tc = {.mss = 1460};
	const char *err = NULL;
	struct worker *w;
	bool naive;
	bool probe;
	long long n;
	uint32_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: replay nftarpitd|naive syn|probe N\n");
		return 2;
	}
	naive = strcmp(argv[1], "naive") == 0;
	probe = strcmp(argv[2], "probe") == 0;
	n = strnum_parse(argv[3], 1, 100000000, &err);
	if (err != NULL || (!naive && strcmp(argv[1], "nftarpitd") != 0) ||
	    (!probe && strcmp(argv[2], "syn") != 0)) {
		fprintf(stderr, "replay: bad arguments\n");
		return 2;
	}
	for (i = 0; i < COOKIE_KEY_LEN; i++)
		tc.key.k[i] = (uint8_t)(i * 7);
	w = nftarpitd_worker(&tc.key);
	for (i = 0; i < TUPLES; i++) {
		uint8_t pkt[64];
		uint32_t seq = i * 40503u;
		size_t len = segment(pkt, i, 0x02, seq, 0);

		if (probe) {
			struct pkt syn;

			if (pkt_parse(&syn, pkt, len, len) != PKT_OK)
				return 1;
			len = segment(pkt, i, 0x10, seq, cookie_isn(&tc.key, &syn) + 1);
		}
		message(msgs[i], i + 1, pkt, len);
	}
	printf("{\"responder\": \"%s\", \"kind\": \"%s\", \"packets\": %lld, \"replies\": %llu}\n",
	       argv[1], argv[2], n, replay_run(naive, w, &tc, n));
	worker_free(w);
	return 0;
}
