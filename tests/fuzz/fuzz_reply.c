// SPDX-License-Identifier: GPL-2.0-or-later
/* The packet path's invariants: parse, decide, build, and parse the reply back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_reply.h"
#include "pkt.h"
#include "reply.h"
#include "tarpit.h"

/* A broken invariant is a crash for libFuzzer: it keeps the input and stops. */
static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* The key of tests/unit/data/tarpit_vectors.txt, so that the seeds' cookies are valid. */
static void fuzz_cfg(struct tarpit_cfg *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->syn_window = 0;
	cfg->mss = 536;
	for (i = 0; i < sizeof(cfg->key.k); i++)
		cfg->key.k[i] = (uint8_t)i;
}

/*
 * The reply must go back to the sender, from the address it wrote to, checksummed. A reset
 * is never answered, but on a held flow an RST out of sequence gets a challenge ACK.
 */
static void check_reply(const struct pkt *p, const struct tarpit_reply *r, const uint8_t *out,
			size_t len, size_t origlen, bool challenge)
{
	size_t alen = p->family == AF_INET ? 4 : 16;
	enum pkt_status st;
	struct pkt back;

	check(len > 0, "a reply action built no bytes");
	check(len <= REPLY_MAX_LEN, "reply over REPLY_MAX_LEN");
	check(r->paylen <= REPLY_MAX_PAYLOAD, "reply payload over REPLY_MAX_PAYLOAD");
	if (r->payload == NULL)
		check(len <= origlen, "stateless reply larger than the packet (amplification)");
	check(!(p->flags & PKT_TCP_RST) || challenge, "a reply to a RST");
	check(!pkt_addr_unreplyable(p->family, p->saddr), "a reply to an unreplyable address");
	check(!pkt_addr_unreplyable(p->family, p->daddr), "a reply from an unreplyable address");
	st = pkt_parse(&back, out, len, len);
	check(st == PKT_OK, "our reply does not parse");
	check(back.family == p->family, "reply family");
	check(memcmp(back.daddr, p->saddr, alen) == 0, "reply not addressed to the sender");
	check(memcmp(back.saddr, p->daddr, alen) == 0, "reply not from the address written to");
	check(back.sport == p->dport && back.dport == p->sport, "reply ports not swapped");
	check(back.complete && pkt_tcp_csum_ok(&back), "reply checksum");
	check(!(back.flags & PKT_TCP_SYN) || r->action == TARPIT_SYNACK, "SYN only in a SYN-ACK");
}

void fuzz_packet_path(const uint8_t *buf, size_t caplen, size_t origlen, uint64_t extra)
{
	uint8_t out[REPLY_MAX_LEN + 64];
	struct tarpit_reply r;
	struct tarpit_cfg cfg;
	enum pkt_status st;
	struct pkt p;
	struct tarpit_flow_step step;
	struct tarpit_flow tf;
	size_t len;

	fuzz_cfg(&cfg);
	st = pkt_parse(&p, buf, caplen, origlen);
	check(st < PKT_STATUS_MAX, "unknown parse status");
	pkt_status_name(st);
	if (st != PKT_OK)
		return;
	check(p.family == AF_INET || p.family == AF_INET6, "family");
	check(p.l3 == buf, "l3 not at the start of the buffer");
	check(p.l4off + 20 <= caplen, "TCP header outside the buffer");
	check(p.doff >= 20 && p.l4off + p.doff <= caplen, "TCP options outside the buffer");
	if (p.complete) {
		check(p.l3len <= caplen, "complete segment longer than the buffer");
		pkt_tcp_csum_ok(&p);
	}
	/* In the daemon the kernel verified the checksum: every parsed packet gets here. */
	tarpit_decide(&cfg, &p, &r);
	check(r.reason < TARPIT_R_MAX, "unknown reason");
	tarpit_reason_name(r.reason);
	check((r.action == TARPIT_NONE) == (r.reason != TARPIT_R_REPLIED), "action and reason");
	memset(out, 0xa5, sizeof(out));
	len = reply_build(out, &p, &r);
	if (r.action == TARPIT_NONE)
		check(len == 0, "silence built bytes");
	else
		check_reply(&p, &r, out, len, origlen, false);
	check(out[REPLY_MAX_LEN] == 0xa5, "reply_build wrote past REPLY_MAX_LEN");

	/*
	 * The same packet as a segment of a held flow with arbitrary sequence state. A flow
	 * is only ever opened by a packet tarpit_decide() found replyable, so its tuple never
	 * holds an unreplyable address.
	 */
	if (r.reason == TARPIT_R_BADADDR)
		return;
	tf.isn = (uint32_t)(extra >> 32);
	tf.peer_una = (uint32_t)extra;
	tf.sent = (uint32_t)(extra >> 16) & 0xffff;
	tf.lag = (uint8_t)(extra >> 8);
	tarpit_decide_flow(&p, &tf, &r, &step);
	check(r.reason < TARPIT_R_MAX, "unknown flow reason");
	if (p.flags & (PKT_TCP_RST | PKT_TCP_FIN))
		check(step.end == (p.seq == tf.peer_una),
		      "an RST or FIN ends a flow only in sequence");
	if (step.end)
		check(r.action == TARPIT_NONE, "a reply to a flow's end");
	if (step.challenge)
		check(r.action == TARPIT_ACK && r.ack == tf.peer_una,
		      "a challenge ACK acks peer_una");
	if (!step.accepted)
		check(step.lag == tf.lag, "an out-of-window segment moved the lag");
	if (r.action == TARPIT_NONE)
		return;
	check(r.payload == NULL, "the flow decision attached a payload");
	len = reply_build(out, &p, &r);
	check_reply(&p, &r, out, len, origlen, step.challenge);
}
