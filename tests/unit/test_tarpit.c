// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The packet path (parse, checksum policy, decision, budget, reply bytes) against golden
 * vectors made by an independent implementation (data/gen_tarpit_vectors.py: scapy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "worker.h"

#define VECTORS "data/tarpit_vectors.txt"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t unhex(const char *s, size_t n, uint8_t *out, size_t max)
{
	size_t i;

	assert_true(n % 2 == 0);
	assert_true(n / 2 <= max);
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]);
		int lo = hexval(s[2 * i + 1]);

		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

static struct worker *test_worker(void)
{
	struct worker_cfg wc;
	struct worker *w;
	int i;

	memset(&wc, 0, sizeof(wc));
	for (i = 0; i < COOKIE_KEY_LEN; i++)
		wc.tarpit.key.k[i] = (uint8_t)i;
	wc.tarpit.syn_window = 0;
	wc.tarpit.mss = 1460;
	wc.prefix_rate = 1000;
	wc.prefix_burst = 1000;
	wc.global_rate = 1000;
	wc.global_burst = 1000;
	wc.log_flows = 0;
	w = worker_alloc(25, &wc, 64, 64, 1024);
	assert_non_null(w);
	return w;
}

static uint64_t silent_count(const struct worker *w, const char *reason)
{
	int i;

	for (i = 1; i < TARPIT_R_MAX; i++)
		if (strcmp(tarpit_reason_name((enum tarpit_reason)i), reason) == 0)
			return w->stats.silent[i];
	fail_msg("unknown reason %s", reason);
	return 0;
}

static uint64_t status_count(const struct worker *w, const char *name)
{
	int i;

	for (i = 0; i < PKT_STATUS_MAX; i++)
		if (strcmp(pkt_status_name((enum pkt_status)i), name) == 0)
			return w->stats.status[i];
	fail_msg("unknown status %s", name);
	return 0;
}

/*
 * A held-flow vector: open the record with the handshake's ACK (no reply: it is the
 * handshake's last ACK and the port is no SMTP port), then forget what that counted.
 */
static void open_flow(struct worker *w, const char *hex, size_t len, struct pkt *opened,
		      uint8_t *buf, size_t max)
{
	struct queue_pkt qp = {.id = 1, .skbinfo = 1};

	qp.data = buf;
	qp.caplen = qp.origlen = unhex(hex, len, buf, max);
	worker_handle(w, &qp, 1000);
	assert_int_equal(w->flows->count, 1);
	assert_int_equal(w->out->v4.n + w->out->v6.n, 0);
	assert_int_equal(pkt_parse(opened, buf, qp.caplen, qp.caplen), PKT_OK);
	memset(&w->stats, 0, sizeof(w->stats));
}

/* Run one vector through worker_handle and compare what it queued for sending. */
static void run_vector(const char *line, int lineno)
{
	uint8_t in[2048];
	uint8_t open_buf[256];
	uint8_t want[REPLY_MAX_LEN + 1];
	const char *f[6];
	size_t flen[6];
	struct queue_pkt qp;
	struct worker *w = test_worker();
	struct inject_lane *lane;
	struct pkt opened;
	const char *p = line;
	char expect[32];
	size_t inlen;
	int i;

	for (i = 0; i < 6; i++) {
		const char *bar = strchr(p, '|');

		f[i] = p;
		flen[i] = bar != NULL ? (size_t)(bar - p) : strcspn(p, "\n");
		p = bar != NULL ? bar + 1 : p + flen[i];
	}
	if (flen[4] > 0)
		open_flow(w, f[4], flen[4], &opened, open_buf, sizeof(open_buf));
	inlen = unhex(f[2], flen[2], in, sizeof(in));
	memset(&qp, 0, sizeof(qp));
	qp.id = 1;
	qp.data = in;
	qp.caplen = inlen;
	qp.origlen = inlen;
	qp.skbinfo = (uint32_t)strtoul(f[1], NULL, 10);
	worker_handle(w, &qp, 1000);
	lane = in[0] >> 4 == 6 ? &w->out->v6 : &w->out->v4;
	snprintf(expect, sizeof(expect), "%.*s", (int)(flen[3] < 31 ? flen[3] : 31), f[3]);
	if (strncmp(f[3], "reply:", 6) == 0) {
		size_t wantlen = unhex(f[3] + 6, flen[3] - 6, want, sizeof(want));

		if (lane->n != 1)
			fail_msg("line %d %.*s: expected a reply, none sent", lineno, (int)flen[0],
				 f[0]);
		if (lane->iov[0].iov_len != wantlen || memcmp(lane->buf[0], want, wantlen) != 0) {
			char got[2 * REPLY_MAX_LEN + 1];
			size_t k;

			for (k = 0; k < lane->iov[0].iov_len; k++)
				snprintf(got + 2 * k, 3, "%02x", lane->buf[0][k]);
			fail_msg("line %d %.*s: reply differs:\n got %s\nwant %.*s", lineno,
				 (int)flen[0], f[0], got, (int)(flen[3] - 6), f[3] + 6);
		}
		/* The reply goes back to the packet's source. */
		assert_memory_equal(in[0] >> 4 == 6 ? (const void *)&lane->addr[0].in6.sin6_addr
						    : (const void *)&lane->addr[0].in.sin_addr,
				    in[0] >> 4 == 6 ? in + 8 : in + 12, in[0] >> 4 == 6 ? 16 : 4);
		/* Never larger than what provoked it: we are no amplifier. */
		assert_true(wantlen <= inlen);
	} else {
		if (w->out->v4.n + w->out->v6.n != 0)
			fail_msg("line %d %.*s: expected %s, but a reply was sent", lineno,
				 (int)flen[0], f[0], expect);
		if (strncmp(f[3], "silent:", 7) == 0) {
			char reason[32];

			snprintf(reason, sizeof(reason), "%.*s", (int)flen[3] - 7, f[3] + 7);
			assert_int_equal(silent_count(w, reason), 1);
		} else if (strncmp(f[3], "status:", 7) == 0) {
			char st[32];

			snprintf(st, sizeof(st), "%.*s", (int)flen[3] - 7, f[3] + 7);
			assert_int_equal(status_count(w, st), 1);
		} else {
			assert_true(strncmp(f[3], "bad_csum", 8) == 0);
			assert_int_equal(w->stats.bad_csum, 1);
		}
	}
	assert_int_equal(w->stats.packets, 1);
	if (flen[4] > 0) {
		bool held = strncmp(f[5], "held", 4) == 0;

		assert_true(held || strncmp(f[5], "ended", 5) == 0);
		if ((flow_lookup(w->flows, &opened) != NULL) != held)
			fail_msg("line %d %.*s: the flow should be %s", lineno, (int)flen[0], f[0],
				 held ? "held" : "ended");
		assert_int_equal(w->stats.flows_ended, held ? 0 : 1);
	}
	worker_free(w);
}

static void test_golden_vectors(void **state)
{
	FILE *fp = fopen(VECTORS, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	int cases = 0;

	assert_non_null(fp);
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		run_vector(line, lineno);
		cases++;
	}
	free(line);
	fclose(fp);
	/* Both families, every flag combination of the table, the malformed cases. */
	assert_true(cases >= 60);
}

/* A truncated copy (copy range shorter than the packet) still gets its SYN-ACK. */
static void test_capped_copy_still_answered(void **state)
{
	static const uint8_t syn[] = {
		0x45, 0x00, 0x00, 0x3c, 0x10, 0x92, 0x00, 0x00, 0x3d, 0x06, 0x80, 0xeb,
		0xc6, 0x33, 0x64, 0x0a, 0xc0, 0x00, 0x02, 0x01, 0xc9, 0x3a, 0x00, 0x19,
		0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
		0x53, 0x51, 0x00, 0x00, 0x02, 0x04, 0x05, 0x78, 0x04, 0x02, 0x08, 0x0a,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
	};
	uint8_t big[600];
	struct queue_pkt qp = {.id = 1};
	struct worker *w = test_worker();

	/* The same SYN with 540 bytes of payload (SYN with data), of which 60 were copied. */
	memcpy(big, syn, sizeof(syn));
	big[2] = (uint8_t)(600 >> 8);
	big[3] = (uint8_t)(600 & 0xff);
	qp.data = big;
	qp.caplen = sizeof(syn);
	qp.origlen = 600;
	qp.skbinfo = 4; /* CSUM_NOTVERIFIED: cannot be checked on a partial copy */
	worker_handle(w, &qp, 1000);
	/* Unverifiable means untrusted: no reply, counted. */
	assert_int_equal(w->out->v4.n, 0);
	assert_int_equal(w->stats.bad_csum, 1);
	qp.skbinfo = 0;
	worker_handle(w, &qp, 1000);
	assert_int_equal(w->out->v4.n, 1);
	assert_int_equal(w->stats.synack, 1);
	worker_free(w);
}

/* The per-prefix budget stops replies to one /24 while another /24 is still answered. */
static void test_budget_in_path(void **state)
{
	static const uint8_t syn_hdr[] = {
		0x45, 0x00, 0x00, 0x28, 0x10, 0x92, 0x00, 0x00, 0x3d, 0x06, 0x00, 0x00, 0xc6, 0x33,
		0x64, 0x0a, 0xc0, 0x00, 0x02, 0x01, 0xc9, 0x3a, 0x00, 0x19, 0x11, 0x22, 0x33, 0x44,
		0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
	};
	struct worker_cfg wc;
	struct worker *w;
	struct queue_pkt qp = {.id = 1, .caplen = sizeof(syn_hdr), .origlen = sizeof(syn_hdr)};
	uint8_t pkt[sizeof(syn_hdr)];
	int i;

	memset(&wc, 0, sizeof(wc));
	wc.tarpit.mss = 1460;
	wc.prefix_rate = 1;
	wc.prefix_burst = 5;
	wc.global_rate = 1000;
	wc.global_burst = 1000;
	w = worker_alloc(25, &wc, 1024, 64, 1024);
	assert_non_null(w);
	memcpy(pkt, syn_hdr, sizeof(pkt));
	qp.data = pkt;
	qp.skbinfo = 1; /* CSUMNOTREADY: checksum not filled in, as on veth */
	for (i = 0; i < 20; i++) {
		pkt[15] = (uint8_t)i; /* other hosts of the same /24 */
		worker_handle(w, &qp, 1000);
	}
	assert_int_equal(w->stats.synack, 5);
	assert_int_equal(w->stats.budget_prefix, 15);
	pkt[14] = 101; /* 198.51.101.x: another /24 */
	worker_handle(w, &qp, 1000);
	assert_int_equal(w->stats.synack, 6);
	worker_free(w);
}

/* What the peer has of ours: the lag moves only on an in-window ACK of bytes we sent. */
static void test_flow_lag(void **state)
{
	/* Our ISN just below the wrap, so isn + 1 + sent wraps too. */
	struct tarpit_flow f = {.isn = 0xfffffff0u, .peer_una = 5000, .sent = 600, .lag = 7};
	struct tarpit_flow_step step;
	struct tarpit_reply r;
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.flags = PKT_TCP_ACK;
	p.seq = 5000;
	p.ack = f.isn + 1 + 600; /* all of it */
	assert_int_equal(tarpit_flow_lag(&p, &f), 0);
	p.ack = f.isn + 1 + 590;
	assert_int_equal(tarpit_flow_lag(&p, &f), 10);
	p.ack = f.isn + 1; /* nothing yet: saturates */
	assert_int_equal(tarpit_flow_lag(&p, &f), 255);
	p.ack = f.isn + 1 + 601; /* more than we sent: not ours, the lag stays */
	assert_int_equal(tarpit_flow_lag(&p, &f), 7);
	p.ack = f.isn; /* below our first byte */
	assert_int_equal(tarpit_flow_lag(&p, &f), 7);
	p.flags = 0;
	p.ack = f.isn + 1 + 600;
	assert_int_equal(tarpit_flow_lag(&p, &f), 7);
	/* Through the decision: in window (una, or una - 1 for a probe) it moves ... */
	p.flags = PKT_TCP_ACK;
	p.seq = 4999;
	tarpit_decide_flow(&p, &f, &r, &step);
	assert_true(step.accepted);
	assert_int_equal(step.lag, 0);
	assert_int_equal(r.seq, f.isn + 1 + 600);
	/* ... out of window it does not, and nothing is accepted. */
	p.seq = 5001;
	tarpit_decide_flow(&p, &f, &r, &step);
	assert_false(step.accepted);
	assert_int_equal(step.lag, 7);
	assert_int_equal(r.reason, TARPIT_R_OUT_OF_WINDOW);
	/* An off-path RST+ACK acknowledging everything moves nothing either. */
	p.flags = PKT_TCP_RST | PKT_TCP_ACK;
	tarpit_decide_flow(&p, &f, &r, &step);
	assert_true(step.challenge && !step.end && !step.accepted);
	assert_int_equal(step.lag, 7);
	assert_int_equal(r.ack, 5000);
}

static struct pkt adopt_pkt(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t paylen)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.saddr[0] = 198, p.saddr[1] = 51, p.saddr[2] = 100, p.saddr[3] = 10;
	p.daddr[0] = 192, p.daddr[1] = 0, p.daddr[2] = 2, p.daddr[3] = 1;
	p.sport = 50000;
	p.dport = 25;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.paylen = paylen;
	return p;
}

/* Every odd case over IPv6: 2001:db8:bad::10 -> 2001:db8::1. */
static void adopt_family(struct pkt *p, unsigned int i)
{
	if (i % 2 == 0)
		return;
	p->family = AF_INET6;
	memset(p->saddr, 0, 16);
	memset(p->daddr, 0, 16);
	p->saddr[0] = 0x20, p->saddr[1] = 0x01, p->saddr[2] = 0x0d, p->saddr[3] = 0xb8;
	p->saddr[4] = 0x0b, p->saddr[5] = 0xad, p->saddr[15] = 0x10;
	p->daddr[0] = 0x20, p->daddr[1] = 0x01, p->daddr[2] = 0x0d, p->daddr[3] = 0xb8;
	p->daddr[15] = 0x01;
}

/*
 * Re-adoption: for many peer ISNs and drip offsets (IPv4 and IPv6), a Linux probe (seq = una - 1,
 * no payload) and a BSD probe (one byte at una) give back our ISN, the peer's una and the offset;
 * the handshake's ACK is a new flow at offset 0; beyond the bound, nothing.
 */
static void test_adopt_offsets(void **state)
{
	static const uint32_t offsets[] = {0, 1, 13, 14, 100, 201, 255, 256, 1000, 4095, 4096};
	const uint32_t max = 4096;
	struct tarpit_cfg cfg;
	struct tarpit_adoption a;
	uint8_t *seen = calloc(TARPIT_SYN_SEEN_BITS / 8, 1);
	uint32_t peer_isn = 0x12345678;
	unsigned int ties = 0;
	unsigned int i;
	size_t k;

	assert_non_null(seen);
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < COOKIE_KEY_LEN; i++)
		cfg.key.k[i] = (uint8_t)i;
	for (i = 0; i < 4000; i++) {
		struct pkt p = adopt_pkt(PKT_TCP_ACK, 0, 0, 0);
		uint32_t isn;

		peer_isn = peer_isn * 1103515245u + 12345u;
		p.sport = (uint16_t)(1024 + i);
		adopt_family(&p, i);
		isn = cookie_isn_peer(&cfg.key, &p, peer_isn);
		for (k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
			uint32_t off = offsets[k];

			/* Linux window probe. */
			p = adopt_pkt(PKT_TCP_ACK, peer_isn, isn + 1 + off, 0);
			p.sport = (uint16_t)(1024 + i);
			adopt_family(&p, i);
			assert_true(tarpit_adopt(&cfg, &p, max, NULL, &a));
			assert_int_equal(a.isn, isn);
			assert_int_equal(a.peer_una, peer_isn + 1);
			assert_int_equal(a.offset, off);
			assert_true(a.readopted);
			/* BSD probe: one byte at una. */
			p.seq = peer_isn + 1;
			p.paylen = 1;
			assert_true(tarpit_adopt(&cfg, &p, max, NULL, &a));
			assert_int_equal(a.offset, off);
			assert_int_equal(a.peer_una, peer_isn + 1);
			assert_int_equal(a.readopted, off != 0);
			/* Past the bound: the probe gets nothing. */
			p = adopt_pkt(PKT_TCP_ACK, peer_isn, isn + 1 + max + 1 + off, 0);
			p.sport = (uint16_t)(1024 + i);
			adopt_family(&p, i);
			assert_false(tarpit_adopt(&cfg, &p, max, NULL, &a));
		}
		/* The handshake's ACK of a SYN this run answered: a new flow at offset 0. */
		tarpit_syn_seen_mark(seen, isn);
		p = adopt_pkt(PKT_TCP_ACK, peer_isn + 1, isn + 1, 0);
		p.sport = (uint16_t)(1024 + i);
		adopt_family(&p, i);
		assert_true(tarpit_adopt(&cfg, &p, max, seen, &a));
		assert_int_equal(a.offset, 0);
		assert_int_equal(a.peer_una, peer_isn + 1);
		assert_false(a.readopted);
		/*
		 * Without the mark the same segment may also read as a probe further on (its
		 * other reading); then it is taken for one, as after a restart.
		 */
		if (tarpit_adopt(&cfg, &p, max, NULL, &a) && a.offset != 0)
			ties++;
		/* Other flags never open a flow. */
		p.flags = PKT_TCP_ACK | PKT_TCP_FIN;
		assert_false(tarpit_adopt(&cfg, &p, max, seen, &a));
		p.flags = PKT_TCP_ACK | PKT_TCP_RST;
		assert_false(tarpit_adopt(&cfg, &p, max, seen, &a));
		p.flags = PKT_TCP_ACK | PKT_TCP_SYN;
		assert_false(tarpit_adopt(&cfg, &p, max, seen, &a));
	}
	/*
	 * About half of all handshake ACKs also read as a probe within the bound (the other
	 * reading's ISN is the same but for the low byte): this is why syn_seen exists.
	 */
	print_message("handshake ACKs that read as probes without syn_seen: %u of 4000\n", ties);
	assert_true(ties > 1000 && ties < 3000);
	free(seen);
}

/*
 * The set of acknowledgement numbers accepted for one tuple and seq: the drip window of
 * its reading (max + 1 values) plus the handshake's ACK of the other reading; nothing
 * else in 2^20 values around our ISN. A wrong key accepts nothing. A huge max is cut.
 */
static void test_adopt_accepted_set(void **state)
{
	const uint32_t max = 4096;
	struct tarpit_cfg cfg;
	struct tarpit_cfg other;
	struct tarpit_adoption a;
	struct pkt p = adopt_pkt(PKT_TCP_ACK, 0x0badcafe, 0, 0);
	uint32_t isn = 0;
	uint32_t hi = 0;
	uint32_t n = 0;
	uint32_t d;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < COOKIE_KEY_LEN; i++)
		cfg.key.k[i] = (uint8_t)(i * 7);
	other = cfg;
	other.key.k[0] ^= 1;
	isn = cookie_isn_peer(&cfg.key, &p, p.seq);
	for (d = 0; d < (1u << 20); d++) {
		p.ack = isn + 1 - (1u << 19) + d;
		if (tarpit_adopt(&other, &p, max, NULL, &a))
			fail_msg("another key accepted ack %u", p.ack);
		if (!tarpit_adopt(&cfg, &p, max, NULL, &a))
			continue;
		n++;
		/* Nothing below our ISN's low byte window. */
		assert_true(isn + 1 - p.ack <= 256 || p.ack - isn - 1 <= max);
		if ((int32_t)(p.ack - isn) > 0 && p.ack - isn > hi)
			hi = p.ack - isn;
	}
	assert_true(n == max + 1 || n == max + 2);
	assert_int_equal(hi, max + 1);
	/* A bound above TARPIT_ADOPT_MAX_OFFSET is cut to it. */
	p.ack = isn + 1 + TARPIT_ADOPT_MAX_OFFSET;
	assert_true(tarpit_adopt(&cfg, &p, 1u << 30, NULL, &a));
	p.ack++;
	assert_false(tarpit_adopt(&cfg, &p, 1u << 30, NULL, &a));
	/* Off the SMTP ports the bound is 0: only offset 0, as before re-adoption. */
	p.ack = isn + 2;
	assert_false(tarpit_adopt(&cfg, &p, 0, NULL, &a));
	p.ack = isn + 1;
	assert_true(tarpit_adopt(&cfg, &p, 0, NULL, &a));
	assert_true(a.readopted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_vectors),
		cmocka_unit_test(test_capped_copy_still_answered),
		cmocka_unit_test(test_budget_in_path),
		cmocka_unit_test(test_flow_lag),
		cmocka_unit_test(test_adopt_offsets),
		cmocka_unit_test(test_adopt_accepted_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
