// SPDX-License-Identifier: GPL-2.0-or-later
/* The flow table, the SMTP stream, and the stateful packet path that uses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>

#include "csum.h"
#include "flow.h"
#include "smtp.h"
#include "worker.h"

static struct pkt mkpkt(uint32_t host, uint16_t sport)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.saddr[0] = 198;
	p.saddr[1] = 51;
	p.saddr[2] = (uint8_t)(host >> 8);
	p.saddr[3] = (uint8_t)host;
	p.daddr[0] = 192;
	p.daddr[3] = 1;
	p.sport = sport;
	p.dport = 25;
	return p;
}

static void test_insert_lookup_remove(void **state)
{
	struct cookie_key key = {{1}};
	struct flow_table *t = flow_table_alloc(1000, &key);
	struct flow ev;
	bool did;
	uint32_t i;

	assert_non_null(t);
	for (i = 0; i < 1000; i++) {
		struct pkt p = mkpkt(i, (uint16_t)(1024 + i));

		assert_non_null(flow_insert(t, &p, i, i * 7, 100, 60, &ev, &did));
		assert_false(did);
	}
	assert_int_equal(t->count, 1000);
	assert_int_equal(t->by_state[FLOW_HELD], 1000);
	for (i = 0; i < 1000; i++) {
		struct pkt p = mkpkt(i, (uint16_t)(1024 + i));
		struct flow *f = flow_lookup(t, &p);

		assert_non_null(f);
		assert_int_equal(f->isn, i);
		assert_int_equal(f->peer_una, i * 7);
		p.sport++;
		if (i < 999)
			assert_true(flow_lookup(t, &p) == NULL || flow_lookup(t, &p)->isn == i + 1);
	}
	/* Full, and every flow is fresh: no record for a newcomer, held statelessly. */
	{
		struct pkt p = mkpkt(5000, 9);

		assert_null(flow_insert(t, &p, 1, 1, 130, 60, &ev, &did));
		assert_false(did);
		/* 60 s later the idlest may go. */
		assert_non_null(flow_insert(t, &p, 1, 1, 160, 60, &ev, &did));
		assert_true(did);
		assert_int_equal(t->count, 1000);
	}
	for (i = 0; i < 1000; i++) {
		struct pkt p = mkpkt(i, (uint16_t)(1024 + i));
		struct flow *f = flow_lookup(t, &p);

		if (f != NULL)
			flow_remove(t, f);
	}
	assert_int_equal(t->count, 1);
	assert_int_equal(t->by_state[FLOW_FREE], 999);
	flow_table_free(t);
}

/*
 * Local addresses: the same peer tuple to two of our addresses is two flows; once all
 * FLOW_MAX_LOCAL entries hold flows a new address gets no record (stateless), and as soon
 * as the last flow on some address ends (the address left the host, its flows went idle),
 * a new address takes its entry.
 */
static void test_local_addresses(void **state)
{
	struct cookie_key key = {{5}};
	struct flow_table *t = flow_table_alloc(4096, &key);
	struct flow *first[FLOW_MAX_LOCAL];
	struct flow ev;
	struct flow *f;
	struct pkt p;
	bool did;
	uint32_t i;

	assert_non_null(t);
	for (i = 0; i < FLOW_MAX_LOCAL; i++) {
		p = mkpkt(7, 4000);
		p.daddr[2] = (uint8_t)i; /* 192.0.i.1: FLOW_MAX_LOCAL addresses of ours */
		first[i] = flow_insert(t, &p, i, 100 + i, 10, 60, &ev, &did);
		assert_non_null(first[i]);
		/* A second flow on the same address shares its entry. */
		p.sport = 4001;
		assert_non_null(flow_insert(t, &p, i, 100 + i, 10, 60, &ev, &did));
	}
	/* One peer tuple, FLOW_MAX_LOCAL flows: each found by its own local address. */
	for (i = 0; i < FLOW_MAX_LOCAL; i++) {
		p = mkpkt(7, 4000);
		p.daddr[2] = (uint8_t)i;
		assert_ptr_equal(flow_lookup(t, &p), first[i]);
	}
	/* Full of held addresses: a new one is held statelessly. */
	p = mkpkt(7, 4000);
	p.daddr[1] = 1; /* 192.1.0.1 */
	assert_null(flow_insert(t, &p, 1, 1, 10, 60, &ev, &did));
	/* 192.0.5.1 leaves the host: its two flows end, and its entry goes to the newcomer. */
	flow_remove(t, first[5]);
	p = mkpkt(7, 4001);
	p.daddr[2] = 5;
	flow_remove(t, flow_lookup(t, &p));
	p = mkpkt(7, 4000);
	p.daddr[1] = 1;
	f = flow_insert(t, &p, 1, 1, 10, 60, &ev, &did);
	assert_non_null(f);
	assert_memory_equal(flow_local_addr(t, f)->addr, p.daddr, 16);
	assert_ptr_equal(flow_lookup(t, &p), f);
	/* The old address has no flow; the others keep theirs. */
	p.daddr[1] = 0;
	p.daddr[2] = 5;
	assert_null(flow_lookup(t, &p));
	p.daddr[2] = 6;
	assert_ptr_equal(flow_lookup(t, &p), first[6]);
	assert_memory_equal(flow_local_addr(t, first[6])->addr, p.daddr, 16);
	flow_table_free(t);
}

/* The memory a table holds is fixed at start: the same empty, with 10 or with 100,000. */
static void test_memory_fixed(void **state)
{
	struct cookie_key key = {{2}};
	struct flow_table *t = flow_table_alloc(131072, &key);
	size_t empty = flow_table_bytes(t);
	struct flow ev;
	bool did;
	uint32_t i;

	assert_true(empty >= 131072u * 64u);
	for (i = 0; i < 100000; i++) {
		struct pkt p = mkpkt(i / 50000, (uint16_t)(i % 50000 + 1));

		assert_non_null(flow_insert(t, &p, i, i, 1, 60, &ev, &did));
		if (i == 9)
			assert_int_equal(flow_table_bytes(t), empty);
	}
	assert_int_equal(t->count, 100000);
	assert_int_equal(flow_table_bytes(t), empty);
	flow_table_free(t);
}

/* A flow comes due within FLOW_WHEEL_MS of its time, never before, in time order. */
static void test_wheel_order(void **state)
{
	struct cookie_key key = {{3}};
	struct flow_table *t = flow_table_alloc(16, &key);
	const uint32_t W = FLOW_WHEEL_MS;
	const uint32_t turn = FLOW_WHEEL_MS * FLOW_WHEEL_SLOTS;
	struct flow *f[4];
	struct flow ev;
	bool did;
	int i;

	for (i = 0; i < 4; i++) {
		struct pkt p = mkpkt((uint32_t)i, 1000);

		f[i] = flow_insert(t, &p, 0, 0, 0, 60, &ev, &did);
	}
	flow_wheel_begin(t, 900);
	flow_schedule(t, f[0], 1000);
	flow_schedule(t, f[1], 1010);
	flow_schedule(t, f[2], 1020);
	/* Any order of scheduling: f[3] is due before the others (a wheel, not a FIFO). */
	flow_schedule(t, f[3], 990);
	/* Removing one unlinks it from its slot in O(1). */
	flow_remove(t, f[1]);
	assert_null(flow_next_due(t, 989));
	assert_ptr_equal(flow_next_due(t, 990 + W - 1), f[3]);
	assert_null(flow_next_due(t, 999));
	assert_ptr_equal(flow_next_due(t, 1000 + W - 1), f[0]);
	assert_null(flow_next_due(t, 1019));
	assert_ptr_equal(flow_next_due(t, 1020 + W - 1), f[2]);
	assert_null(flow_next_due(t, 5000));
	/* More than a turn ahead: its slot comes round first, the flow stays for its round. */
	flow_schedule(t, f[0], 5000 + turn + 100);
	assert_null(flow_next_due(t, 5000 + turn));
	assert_ptr_equal(flow_next_due(t, 5000 + turn + 100 + W), f[0]);
	/* A time the wheel has passed: due at once. */
	flow_schedule(t, f[2], 10);
	assert_ptr_equal(flow_next_due(t, 5000 + turn + 100 + W), f[2]);
	assert_null(flow_next_due(t, 5000 + turn + 100 + W));
	flow_table_free(t);

	/* Wrap-around of the millisecond clock. */
	t = flow_table_alloc(16, &key);
	{
		struct pkt p = mkpkt(1, 1000);

		f[0] = flow_insert(t, &p, 0, 0, 0, 60, &ev, &did);
	}
	flow_schedule(t, f[0], 0xfffffff0u);
	assert_null(flow_next_due(t, 0xffffffe0u));
	flow_schedule(t, f[0], 5);
	assert_null(flow_next_due(t, 0xfffffff0u));
	assert_null(flow_next_due(t, 4));
	assert_ptr_equal(flow_next_due(t, 5 + W), f[0]);
	flow_table_free(t);
}

/*
 * Many flows at random times, the clock stepped unevenly: each comes due exactly once per
 * schedule, never early and at most FLOW_WHEEL_MS + one step late; one removed while the
 * scan is on its slot never comes.
 */
static void test_wheel_random(void **state)
{
	enum { N = 500 };
	struct cookie_key key = {{4}};
	struct flow_table *t = flow_table_alloc(N, &key);
	uint32_t due[N];
	int seen[N];
	uint32_t now = 100000;
	uint32_t step = 0;
	struct flow ev;
	bool did;
	int i;

	srandom(7);
	flow_wheel_begin(t, now);
	for (i = 0; i < N; i++) {
		struct pkt p = mkpkt((uint32_t)i, (uint16_t)(2000 + i));
		struct flow *f = flow_insert(t, &p, 0, 0, 0, 60, &ev, &did);

		due[i] = now + (uint32_t)(random() % 20000);
		flow_schedule(t, f, due[i]);
		seen[i] = 0;
	}
	flow_remove(t, &t->flows[17]);
	while (now < 100000 + 20000 + 100) {
		struct flow *f;

		step = 1 + (uint32_t)(random() % 37);
		now += step;
		while ((f = flow_next_due(t, now)) != NULL) {
			uint32_t k = flow_index(t, f);

			assert_true((int32_t)(now - due[k]) >= 0);
			assert_true(now - due[k] < FLOW_WHEEL_MS + step);
			seen[k]++;
		}
	}
	for (i = 0; i < N; i++)
		assert_int_equal(seen[i], i == 17 ? 0 : 1);
	flow_table_free(t);
}

static void test_smtp_stream(void **state)
{
	struct smtp_text s;
	uint8_t all[4096];
	uint8_t part[7];
	uint32_t off;
	char *text;

	smtp_text_init(&s, "mx.example.org\r\nINJECT");
	assert_string_equal(s.greeting, "220 mx.example.orgINJECT ESMTP\r\n");
	assert_int_equal(smtp_stream(&s, 0, all, sizeof(all)), sizeof(all));
	assert_memory_equal(all, s.greeting, s.greeting_len);
	text = strndup((const char *)all, sizeof(all));
	assert_non_null(strstr(text, "\r\n250-mx.example.orgINJECT\r\n250-PIPELINING\r\n"));
	/* Never the last line of a reply ("250 "): the reply never ends. */
	assert_null(strstr(text, "\n250 "));
	free(text);
	/* Any slice equals the same bytes of the whole. */
	for (off = 0; off < sizeof(all) - sizeof(part); off += 13) {
		smtp_stream(&s, off, part, sizeof(part));
		assert_memory_equal(part, all + off, sizeof(part));
	}
	smtp_text_init(&s, "");
	assert_string_equal(s.greeting, "220 localhost ESMTP\r\n");
}

/* A TCP segment from the peer, checksummed, as the queue would hand it over. */
static size_t segment(uint8_t *b, uint8_t flags, uint32_t seq, uint32_t ack, size_t paylen)
{
	size_t len = 40 + paylen;
	uint16_t ck;

	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = 6;
	b[12] = 198, b[13] = 51, b[14] = 100, b[15] = 10;
	b[16] = 192, b[17] = 0, b[18] = 2, b[19] = 1;
	b[20] = 0xc3, b[21] = 0x50; /* sport 50000 */
	b[23] = 25;
	b[24] = (uint8_t)(seq >> 24), b[25] = (uint8_t)(seq >> 16);
	b[26] = (uint8_t)(seq >> 8), b[27] = (uint8_t)seq;
	b[28] = (uint8_t)(ack >> 24), b[29] = (uint8_t)(ack >> 16);
	b[30] = (uint8_t)(ack >> 8), b[31] = (uint8_t)ack;
	b[32] = 0x50;
	b[33] = flags;
	b[34] = 0xfa;
	ck = csum_tcp4(b + 12, b + 16, b + 20, 20 + paylen);
	memcpy(b + 36, &ck, 2);
	return len;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct worker *smtp_worker(void)
{
	struct worker_cfg wc;
	struct worker *w;

	memset(&wc, 0, sizeof(wc));
	wc.tarpit.mss = 1460;
	wc.prefix_rate = wc.prefix_burst = wc.global_rate = wc.global_burst = 1000;
	wc.smtp = true;
	wc.smtp_ports[0] = 25;
	wc.nsmtp_ports = 1;
	wc.smtp_interval_ms = 1000;
	wc.smtp_max_bytes = 40;
	smtp_text_init(&wc.smtp_text, "mx");
	wc.flow_idle_s = 100;
	wc.flow_evict_idle_s = 60;
	w = worker_alloc(25, &wc, 64, 64, 64);
	assert_non_null(w);
	w->now_s = 0; /* the tests drive the clock */
	flow_wheel_begin(w->flows, 0);
	return w;
}

/* Feed one segment; returns the number of replies it produced (in w->out->v4). */
static unsigned int feed(struct worker *w, uint8_t flags, uint32_t seq, uint32_t ack, size_t pl,
			 uint32_t now_ms)
{
	uint8_t b[128];
	struct queue_pkt qp = {.id = 1, .data = b, .skbinfo = 4};

	w->out->v4.n = 0;
	qp.caplen = qp.origlen = segment(b, flags, seq, ack, pl);
	worker_handle(w, &qp, now_ms);
	return w->out->v4.n;
}

static void test_smtp_flow_path(void **state)
{
	struct worker *w = smtp_worker();
	const uint32_t peer = 0x10000000;
	struct inject_lane *l = &w->out->v4;
	uint32_t isn;
	size_t glen = w->cfg.smtp_text.greeting_len;

	/* SYN: SYN-ACK, no record yet (a spoofed SYN must cost us no state). */
	assert_int_equal(feed(w, PKT_TCP_SYN, peer, 0, 0, 0), 1);
	isn = rd32(l->buf[0] + 24);
	assert_int_equal(w->flows->count, 0);
	/* The handshake's ACK: a record, and the whole greeting at once. */
	assert_int_equal(feed(w, PKT_TCP_ACK, peer + 1, isn + 1, 0, 0), 1);
	assert_int_equal(w->flows->count, 1);
	assert_int_equal(l->iov[0].iov_len, 40 + glen);
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1);
	assert_int_equal(rd32(l->buf[0] + 28), peer + 1);
	assert_int_equal(l->buf[0][34] << 8 | l->buf[0][35], 0); /* window 0 */
	assert_memory_equal(l->buf[0] + 40, "220 mx ESMTP\r\n", glen);
	/* The peer acknowledges the greeting: no reply (no ping-pong). */
	assert_int_equal(feed(w, PKT_TCP_ACK, peer + 1, isn + 1 + (uint32_t)glen, 0, 10), 0);
	/* Its EHLO is stuck in our window: a probe, answered with our current seq. */
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + (uint32_t)glen, 0, 20), 1);
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1 + glen);
	assert_int_equal(rd32(l->buf[0] + 28), peer + 1);
	assert_int_equal(l->iov[0].iov_len, 40);
	/* Tick: one byte of the endless reply. */
	l->n = 0;
	w->now_s = 1;
	worker_tick(w, 1000, WORKER_TICK_MAX);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->iov[0].iov_len, 41);
	assert_int_equal(l->buf[0][40], '2');
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1 + glen);
	/* Not acknowledged by the next tick: the same byte again, not the next one. */
	l->n = 0;
	worker_tick(w, 2000, WORKER_TICK_MAX);
	assert_int_equal(l->n, 1);
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1 + glen);
	/* Acknowledged: the next byte. */
	feed(w, PKT_TCP_ACK, peer + 1, isn + 2 + (uint32_t)glen, 0, 2100);
	l->n = 0;
	worker_tick(w, 3000, WORKER_TICK_MAX);
	assert_int_equal(l->buf[0][40], '5');
	assert_int_equal(rd32(l->buf[0] + 24), isn + 2 + glen);
	assert_int_equal(w->stats.smtp_bytes, glen + 3);
	/* A bare RST with a wrong sequence number is not the peer's: a challenge ACK. */
	assert_int_equal(feed(w, PKT_TCP_RST, peer + 99, 0, 0, 3050), 1);
	assert_int_equal(rd32(l->buf[0] + 28), peer + 1);
	assert_int_equal(w->stats.challenge_acks, 1);
	assert_int_equal(w->flows->count, 1);
	/* The peer resets: the flow ends. */
	assert_int_equal(feed(w, PKT_TCP_RST | PKT_TCP_ACK, peer + 1, 0, 0, 3100), 0);
	assert_int_equal(w->flows->count, 0);
	assert_int_equal(w->stats.flows_ended, 1);
	worker_free(w);
}

/* SYN from peer's ISN, then the handshake's ACK; returns our ISN (the greeting is in l). */
static uint32_t handshake(struct worker *w, uint32_t peer)
{
	uint32_t isn;

	feed(w, PKT_TCP_SYN, peer, 0, 0, 0);
	isn = rd32(w->out->v4.buf[0] + 24);
	feed(w, PKT_TCP_ACK, peer + 1, isn + 1, 0, 0);
	return isn;
}

/* Budget spent: quiet (probes still answered), and idleness ends a flow. */
static void test_smtp_budget_and_idle(void **state)
{
	struct worker *w = smtp_worker();
	const uint32_t peer = 777;
	struct inject_lane *l = &w->out->v4;
	uint32_t isn;
	uint32_t t;
	uint32_t acked;

	isn = handshake(w, peer);
	acked = isn + 1 + (uint32_t)w->cfg.smtp_text.greeting_len;
	for (t = 1; t < 60; t++) {
		feed(w, PKT_TCP_ACK, peer + 1, acked, 0, t * 1000 - 1);
		w->now_s = t;
		l->n = 0;
		worker_tick(w, t * 1000, WORKER_TICK_MAX);
		if (l->n == 1 && l->iov[0].iov_len == 41)
			acked++;
	}
	/* 40 bytes in all, greeting included, then silence. */
	assert_int_equal(w->flows->by_state[FLOW_QUIET], 1);
	assert_int_equal(acked - isn - 1, 40);
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, acked, 0, 60000), 1);
	/* A closed socket's bare RST (seq = the ack we sent) ends a flow too. */
	assert_int_equal(feed(w, PKT_TCP_RST, peer + 1, 0, 0, 60100), 0);
	assert_int_equal(w->flows->count, 0);
	assert_int_equal(w->stats.flows_ended, 1);
	/* Another flow: nothing from the peer for flow_idle_s, ended at the next tick. */
	feed(w, PKT_TCP_SYN, peer + 1000, 0, 0, 60200);
	isn = rd32(l->buf[0] + 24);
	feed(w, PKT_TCP_ACK, peer + 1001, isn + 1, 0, 60200);
	assert_int_equal(w->flows->count, 1);
	/* Nothing from the peer for flow_idle_s: ended at the next tick. */
	w->now_s = 60 + 100;
	worker_tick(w, 200000, WORKER_TICK_MAX);
	assert_int_equal(w->flows->count, 0);
	worker_free(w);
}

/*
 * reply_path = link: replies to a packet that came with a hardware address go back out of
 * its interface to that address (the SYN-ACK, the greeting, probe ACKs), and so does the
 * drip of a flow whose peer was last seen that way, in the same lane (the same sendmmsg);
 * a packet without one is routed, and so is the drip after it.
 */
static void test_reply_lanes(void **state)
{
	static const uint8_t mac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	static const uint8_t other[6] = {0x02, 0x66, 0x66, 0x66, 0x66, 0x66};
	struct inject fake = {.fd4 = -1, .fd6 = -1, .fdl = 99};
	struct worker *w = smtp_worker();
	struct inject_batch *o = w->out;
	struct queue_pkt qp = {.id = 1, .skbinfo = 4, .indev = 7, .has_hw = true};
	const uint32_t peer = 5000;
	uint8_t b[128];
	uint32_t isn;
	size_t glen = w->cfg.smtp_text.greeting_len;

	memcpy(qp.hwaddr, mac, 6);
	w->inject = &fake;
	qp.data = b;
	qp.caplen = qp.origlen = segment(b, PKT_TCP_SYN, peer, 0, 0);
	worker_handle(w, &qp, 0);
	assert_int_equal(o->link.n, 1);
	assert_int_equal(o->v4.n, 0);
	assert_int_equal(o->link.addr[0].ll.sll_family, AF_PACKET);
	assert_int_equal(o->link.addr[0].ll.sll_ifindex, 7);
	assert_int_equal(o->link.addr[0].ll.sll_protocol, htons(ETH_P_IP));
	assert_int_equal(o->link.addr[0].ll.sll_halen, 6);
	assert_memory_equal(o->link.addr[0].ll.sll_addr, mac, 6);
	assert_int_equal(o->link.buf[0][33], PKT_TCP_SYN | PKT_TCP_ACK);
	isn = rd32(o->link.buf[0] + 24);
	/* The handshake's ACK: the greeting, the same way back. */
	qp.caplen = qp.origlen = segment(b, PKT_TCP_ACK, peer + 1, isn + 1, 0);
	worker_handle(w, &qp, 0);
	assert_int_equal(o->link.n, 2);
	assert_int_equal(o->v4.n, 0);
	/* The drip: the way the peer was last seen, in the same lane as the replies. */
	w->now_s = 1;
	worker_tick(w, 1000, WORKER_TICK_MAX);
	assert_int_equal(o->link.n, 3);
	assert_int_equal(o->v4.n, 0);
	assert_int_equal(o->link.addr[2].ll.sll_ifindex, 7);
	assert_memory_equal(o->link.addr[2].ll.sll_addr, mac, 6);
	assert_int_equal(o->link.iov[2].iov_len, 41);
	/*
	 * An off-path RST (wrong number) from some other hardware address: its challenge ACK
	 * is routed to the flow's peer, never handed back to whoever sent the RST, and the
	 * flow's link stays the peer's.
	 */
	memcpy(qp.hwaddr, other, 6);
	qp.caplen = qp.origlen = segment(b, PKT_TCP_RST, peer + 4242, 0, 0);
	worker_handle(w, &qp, 1050);
	assert_int_equal(o->link.n, 3);
	assert_int_equal(o->v4.n, 1);
	assert_int_equal(w->stats.challenge_acks, 1);
	o->v4.n = 0;
	o->link.n = 0;
	w->now_s = 2;
	worker_tick(w, 2000, WORKER_TICK_MAX);
	assert_int_equal(o->link.n, 1);
	assert_memory_equal(o->link.addr[0].ll.sll_addr, mac, 6);
	/* The peer acknowledges through a tunnel (no hardware address): routed from now on. */
	qp.has_hw = false;
	qp.caplen = qp.origlen = segment(b, PKT_TCP_ACK, peer + 1, isn + 2 + (uint32_t)glen, 0);
	worker_handle(w, &qp, 2100);
	o->link.n = 0;
	w->now_s = 3;
	worker_tick(w, 3000, WORKER_TICK_MAX);
	assert_int_equal(o->link.n, 0);
	assert_int_equal(o->v4.n, 1);
	assert_int_equal(o->v4.addr[0].in.sin_family, AF_INET);
	/* A probe from a packet without a hardware address: routed. */
	qp.caplen = qp.origlen = segment(b, PKT_TCP_ACK, peer, isn + 1, 0);
	worker_handle(w, &qp, 3100);
	assert_int_equal(o->link.n, 0);
	assert_int_equal(o->v4.n, 2);
	/* reply_path = route (no packet socket): never the link lane, drip included. */
	fake.fdl = -1;
	qp.has_hw = true;
	memcpy(qp.hwaddr, mac, 6);
	worker_handle(w, &qp, 3200);
	o->v4.n = 0;
	w->now_s = 4;
	worker_tick(w, 4000, WORKER_TICK_MAX);
	assert_int_equal(o->link.n, 0);
	assert_int_equal(o->v4.n, 1);
	w->inject = NULL;
	worker_free(w);
}

/* Links: one entry per interface and hardware address, shared and released with flows. */
static void test_links(void **state)
{
	static const uint8_t m1[6] = {2, 1, 1, 1, 1, 1};
	static const uint8_t m2[6] = {2, 2, 2, 2, 2, 2};
	struct cookie_key key = {{5}};
	struct flow_table *t = flow_table_alloc(16, &key);
	struct flow *f[3];
	struct flow ev;
	bool did;
	int i;

	for (i = 0; i < 3; i++) {
		struct pkt p = mkpkt((uint32_t)i, 1000);

		f[i] = flow_insert(t, &p, 0, 0, 0, 60, &ev, &did);
		assert_null(flow_link_of(t, f[i]));
	}
	flow_set_link(t, f[0], 3, m1);
	flow_set_link(t, f[1], 3, m1);
	flow_set_link(t, f[2], 3, m2);
	assert_int_equal(t->nlinks, 2);
	assert_ptr_equal(flow_link_of(t, f[0]), flow_link_of(t, f[1]));
	assert_int_equal(flow_link_of(t, f[0])->refs, 2);
	assert_memory_equal(flow_link_of(t, f[2])->mac, m2, 6);
	/* Another interface with the same address is another link. */
	flow_set_link(t, f[1], 4, m1);
	assert_int_equal(t->nlinks, 3);
	assert_int_equal(flow_link_of(t, f[1])->ifindex, 4);
	assert_int_equal(flow_link_of(t, f[0])->refs, 1);
	/* Released with the flow; an unused entry is taken over. */
	flow_remove(t, f[2]);
	flow_set_link(t, f[0], 0, NULL);
	assert_null(flow_link_of(t, f[0]));
	flow_set_link(t, f[0], 9, m2);
	assert_int_equal(t->nlinks, 3);
	assert_int_equal(flow_link_of(t, f[0])->ifindex, 9);
	flow_table_free(t);
}

/* One drip tick: the byte sent (at the expected sequence number) is appended to got. */
static void drip_one(struct worker *w, uint32_t isn, uint32_t peer, uint8_t *got, size_t *ngot,
		     uint32_t t)
{
	struct inject_lane *l = &w->out->v4;

	w->now_s = t;
	l->n = 0;
	worker_tick(w, t * 1000 + 600, WORKER_TICK_MAX);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->iov[0].iov_len, 41);
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1 + (uint32_t)*ngot);
	assert_int_equal(rd32(l->buf[0] + 28), peer + 1);
	got[(*ngot)++] = l->buf[0][40];
	/* The peer acknowledges it (and its EHLO is still stuck in our window). */
	feed(w, PKT_TCP_ACK, peer + 1, isn + 1 + (uint32_t)*ngot, 0, t * 1000 + 610);
}

/*
 * A restart: a new worker with the same key and no records. The held peer's next window
 * probe acknowledges isn + 1 + the bytes it has; the flow gets its record back at that
 * offset and the drip goes on with the next byte of the same stream: nothing repeated,
 * nothing skipped. An acknowledgement past the drip's bound gets nothing, and a
 * re-adoption takes a reply token like any stateless answer.
 */
static void test_smtp_readopt(void **state)
{
	struct worker *w = smtp_worker();
	const uint32_t peer = 0x20000000;
	struct inject_lane *l = &w->out->v4;
	size_t glen = w->cfg.smtp_text.greeting_len;
	uint8_t want[64];
	uint8_t got[64];
	size_t ngot;
	uint32_t isn;
	uint32_t t;

	isn = handshake(w, peer);
	memcpy(got, l->buf[0] + 40, glen);
	ngot = glen;
	feed(w, PKT_TCP_ACK, peer + 1, isn + 1 + (uint32_t)ngot, 0, 10);
	for (t = 1; t <= 5; t++)
		drip_one(w, isn, peer, got, &ngot, t);
	assert_int_equal(w->stats.flows_new, 1);
	worker_free(w);

	/* Restarted: no record, same key. */
	w = smtp_worker();
	l = &w->out->v4;
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + (uint32_t)ngot, 0, 500), 1);
	assert_int_equal(w->stats.flows_readopted, 1);
	assert_int_equal(w->stats.flows_new, 0);
	assert_int_equal(w->flows->count, 1);
	assert_int_equal(l->iov[0].iov_len, 40); /* a bare ACK: the drip has its own clock */
	assert_int_equal(rd32(l->buf[0] + 24), isn + 1 + ngot);
	assert_int_equal(rd32(l->buf[0] + 28), peer + 1);
	assert_int_equal(l->buf[0][34] << 8 | l->buf[0][35], 0);
	for (t = 1; t <= 10; t++)
		drip_one(w, isn, peer, got, &ngot, t);
	assert_int_equal(smtp_stream(&w->cfg.smtp_text, 0, want, ngot), ngot);
	assert_memory_equal(got, want, ngot);
	worker_free(w);

	/* Past the bound (smtp_max_bytes 40): a spoofer's guess gets nothing, and no record. */
	w = smtp_worker();
	l = &w->out->v4;
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + 41, 0, 500), 0);
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + 4096, 0, 500), 0);
	assert_int_equal(w->flows->count, 0);
	assert_int_equal(w->stats.flows_readopted, 0);
	/* At the bound: held again, quiet (its bytes are spent). */
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + 40, 0, 500), 1);
	assert_int_equal(w->flows->count, 1);
	w->now_s = 1;
	l->n = 0;
	worker_tick(w, 1500, WORKER_TICK_MAX);
	assert_int_equal(l->n, 0);
	assert_int_equal(w->flows->by_state[FLOW_QUIET], 1);
	worker_free(w);

	/* No reply token left for the peer's /24: no record, no reply, counted. */
	w = smtp_worker();
	budget_configure(w->budget, 0, 0, 1000, 1000, 0);
	assert_int_equal(feed(w, PKT_TCP_ACK, peer, isn + 1 + (uint32_t)ngot, 0, 500), 0);
	assert_int_equal(w->flows->count, 0);
	assert_int_equal(w->stats.budget_prefix, 1);
	assert_int_equal(w->stats.flows_readopted, 0);
	worker_free(w);
}

/*
 * Behind (drips found late): the flows held longer than average are put off an interval,
 * twice at most, while the young keep their cadence; each turn handles WORKER_TICK_MAX
 * flows at most and says when more are due.
 */
static void test_drip_behind(void **state)
{
	enum { N = 3000 };
	struct worker *w = smtp_worker();
	struct worker *big;
	struct worker_cfg wc = w->cfg;
	uint32_t due = 1000000;
	struct flow ev;
	bool did;
	int i;

	worker_free(w);
	big = worker_alloc(25, &wc, 64, 64, N);
	assert_non_null(big);
	w = big;
	flow_wheel_begin(w->flows, due - 1000);
	w->now_s = 1000;
	for (i = 0; i < N; i++) {
		struct pkt p = mkpkt((uint32_t)i, (uint16_t)(3000 + i));
		struct flow *f = flow_insert(w->flows, &p, 1, 2, i % 2 ? 990 : 100, 60, &ev, &did);

		assert_non_null(f);
		f->last_s = w->now_s;
		f->sent = 14;
		w->stats.sum_first_s += f->first_s;
		flow_schedule(w->flows, f, due);
	}
	/* 5 s late (late_ms is 100 at a 1 s interval): behind. */
	assert_true(worker_tick(w, due + 5000, WORKER_TICK_MAX));
	assert_int_equal(w->stats.drip_stretched + w->stats.drip_late, WORKER_TICK_MAX);
	assert_false(worker_tick(w, due + 5000, WORKER_TICK_MAX));
	assert_int_equal(w->stats.drip_stretched, N / 2);
	assert_int_equal(w->stats.drip_late, N / 2);
	assert_int_equal(w->stats.drip_behind_ms, 5000);
	/* The young half got its byte; the old half did not, and lost nothing (offset kept). */
	for (i = 0; i < N; i++)
		assert_int_equal(w->flows->flows[i].sent, i % 2 ? 15 : 14);
	/* On its phase: due + 6 s (5 s of it skipped). Behind again: old put off a second time. */
	for (i = 0; i < N; i++) {
		assert_int_equal(w->flows->flows[i].due_ms, due + 6000);
		w->flows->flows[i].lag = 0;
	}
	while (worker_tick(w, due + 6500, WORKER_TICK_MAX))
		;
	assert_int_equal(w->stats.drip_stretched, N);
	/* A third time: sent however late. */
	while (worker_tick(w, due + 7500, WORKER_TICK_MAX))
		;
	assert_int_equal(w->stats.drip_stretched, N);
	assert_int_equal(w->flows->flows[0].sent, 15);
	assert_int_equal(w->flows->flows[0].stretch, 0);
	/* On time: nobody is put off, nothing counted late. */
	w->stats.drip_late = 0;
	while (worker_tick(w, due + 8000, WORKER_TICK_MAX))
		;
	assert_int_equal(w->stats.drip_stretched, N);
	assert_int_equal(w->stats.drip_late, 0);
	assert_int_equal(w->stats.drip_behind_ms, 0);
	worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_memory_fixed),
		cmocka_unit_test(test_local_addresses),
		cmocka_unit_test(test_wheel_order),
		cmocka_unit_test(test_wheel_random),
		cmocka_unit_test(test_drip_behind),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_smtp_stream),
		cmocka_unit_test(test_smtp_flow_path),
		cmocka_unit_test(test_smtp_budget_and_idle),
		cmocka_unit_test(test_reply_lanes),
		cmocka_unit_test(test_smtp_readopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
