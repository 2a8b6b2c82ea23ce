// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/txring: the CPU of sending nftarpitd's replies out of a packet socket, two ways
 * (issue 18). Each frame is a hold ACK (window 0) built by nftarpitd's own reply_build(),
 * 40 bytes over IPv4, 60 over IPv6, to a different client port each, in batches:
 *   mmsg  the daemon's path itself (daemon/inject.c): AF_PACKET SOCK_DGRAM, a sockaddr_ll
 *         per message, one sendmmsg per batch; the kernel copies each message into an skb.
 *   ring  AF_PACKET SOCK_RAW bound to one interface with a PACKET_TX_RING (TPACKET_V2):
 *         the Ethernet header written into the frame from the peer's hardware address,
 *         the reply built in place, one send() per batch; the ring's frames reused.
 * -q adds PACKET_QDISC_BYPASS; -u leaves the ring's socket unbound and names the interface
 * in each send instead (what one ring socket per worker for every interface would do). Prints one
 * key=value line: the sender's CPU (getrusage, user + system, which on veth includes the peer's
 * receive run inside our send) per million frames and frames per second. The receiving side is
 * counted by bench/txring.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"
#include "inject.h"
#include "log.h"
#include "reply.h"

#define PROG "txring"
/* The ring: 4 KB blocks of 32 frames of 128 bytes (32 of header, 14 + 60 of frame). */
#define RING_FRAME  128
#define RING_BLOCK  4096
#define RING_BLOCKS 64
#define RING_FRAMES (RING_BLOCK / RING_FRAME * RING_BLOCKS)
/* The frame's data starts here (the kernel's TPACKET2_HDRLEN - sizeof(sockaddr_ll)). */
#define RING_DATA TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
/* How long a full ring may keep us waiting before the run is called failed. */
#define RING_WAIT_MS 2000

struct txr_opts {
	const char *method;
	const char *ifname;
	uint8_t mac[6];
	int family;
	long long count;
	unsigned int batch;
	int bypass;
	int unbound; /* ring: no bind, the interface named in each send's sockaddr_ll */
};

struct txr_result {
	unsigned long long sent;
	unsigned long long errors; /* refused by the kernel (ENOBUFS...): lost */
	unsigned long long waits;  /* ring: a frame still in flight when its turn came */
};

static void txr_usage(void)
{
	fprintf(stderr, "usage: " PROG " -m mmsg|ring -i IFNAME -d PEER_MAC [-f 4|6] [-n COUNT] "
			"[-b BATCH] [-q] [-u]\n");
	exit(2);
}

static int txr_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int v[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/*
 * The i-th reply: the hold ACK to client port 1024 + i % 60000 of the peer (192.0.2.2 or
 * 2001:db8::2) from port 25 of 192.0.2.1 or 2001:db8::1, into buf. Returns its length.
 * The addresses are parsed once: only the reply's own work is in the loop.
 */
static size_t txr_build(uint8_t *buf, int family, unsigned long long i)
{
	static struct pkt p4;
	static struct pkt p6;
	struct pkt *p = family == AF_INET ? &p4 : &p6;
	struct tarpit_reply r;

	if (p->family == 0) {
		p->family = family;
		if (family == AF_INET) {
			inet_pton(AF_INET, "192.0.2.2", p->saddr);
			inet_pton(AF_INET, "192.0.2.1", p->daddr);
		} else {
			inet_pton(AF_INET6, "2001:db8::2", p->saddr);
			inet_pton(AF_INET6, "2001:db8::1", p->daddr);
		}
		p->dport = 25;
	}
	p->sport = (uint16_t)(1024 + i % 60000);
	memset(&r, 0, sizeof(r));
	r.action = TARPIT_ACK;
	r.seq = (uint32_t)(0x10000000u + i);
	r.ack = (uint32_t)(0x20000000u + i);
	r.flags = 0x10; /* ACK */
	r.window = 0;
	return reply_build(buf, p, &r);
}

/* (a) The daemon's own path: inject_slot/inject_commit/inject_flush on the link lane. */
static int txr_run_mmsg(const struct txr_opts *o, struct txr_result *res)
{
	struct inject inj;
	struct inject_batch *b = calloc(1, sizeof(*b));
	struct inject_counters c;
	struct inject_link link;
	unsigned long long i = 0;

	if (b == NULL || inject_open(&inj, 0, true) < 0) {
		free(b);
		return -1;
	}
	if (o->bypass) {
		int one = 1;

		if (setsockopt(inj.fdl, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
			log_warn("PACKET_QDISC_BYPASS");
	}
	memset(&c, 0, sizeof(c));
	link.ifindex = (int)if_nametoindex(o->ifname);
	memcpy(link.mac, o->mac, 6);
	while (i < (unsigned long long)o->count) {
		unsigned int k;

		for (k = 0; k < o->batch && i < (unsigned long long)o->count; k++, i++) {
			uint8_t *slot = inject_slot(b, o->family, true);
			size_t len = txr_build(slot, o->family, i);

			inject_commit(b, o->family, len, NULL, &link);
		}
		inject_flush(&inj, b, &c);
	}
	res->sent = c.link_sent;
	res->errors = c.send_errors + c.link_routed;
	inject_close(&inj);
	free(b);
	return 0;
}

struct txr_ring {
	int fd;
	uint8_t *map;
	size_t maplen;
	uint8_t src[6];
	struct sockaddr_ll to; /* the interface of each send when the socket is not bound */
	bool unbound;
};

static int txr_ring_open(struct txr_ring *r, const struct txr_opts *o, int ifindex)
{
	struct tpacket_req req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = RING_FRAME,
		.tp_frame_nr = RING_FRAMES,
	};
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int v = TPACKET_V2;
	int one = 1;

	/* Protocol 0: the socket receives nothing, as the daemon's. */
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		log_warn("packet socket");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr) < 0) {
		log_warn("SIOCGIFHWADDR %s", o->ifname);
		goto err_fd;
	}
	memcpy(r->src, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		log_warn("PACKET_VERSION TPACKET_V2");
		goto err_fd;
	}
	if (o->bypass && setsockopt(r->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		log_warn("PACKET_QDISC_BYPASS");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
		log_warn("PACKET_TX_RING");
		goto err_fd;
	}
	r->maplen = (size_t)RING_BLOCK * RING_BLOCKS;
	r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		log_warn("mmap of the TX ring");
		goto err_fd;
	}
	/*
	 * The ring's send has no per-frame destination: either the socket is bound to one
	 * interface, or each send names one (protocol 0: the kernel reads each frame's
	 * EtherType, so IPv4 and IPv6 share a call).
	 */
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	r->to = sll;
	r->unbound = o->unbound != 0;
	if (!r->unbound && bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		log_warn("bind to %s", o->ifname);
		goto err_map;
	}
	return 0;
err_map:
	munmap(r->map, r->maplen);
err_fd:
	close(r->fd);
	return -1;
}

/* Hand the frames marked so far to the kernel; the ring is never waited on in the call. */
static void txr_ring_kick(const struct txr_ring *r, struct txr_result *res)
{
	ssize_t n;

	if (r->unbound)
		n = sendto(r->fd, NULL, 0, MSG_DONTWAIT, (const struct sockaddr *)&r->to,
			   sizeof(r->to));
	else
		n = send(r->fd, NULL, 0, MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		res->errors++;
}

/* Wait (bounded) until frame h is the application's again; -1 if it never comes back. */
static int txr_ring_wait(const struct txr_ring *r, struct tpacket2_hdr *h, struct txr_result *res)
{
	double until = 0;

	while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLOUT};

		if (h->tp_status == TP_STATUS_WRONG_FORMAT) {
			res->errors++;
			__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
			break;
		}
		/* The clock only once a frame is late: it is not free per frame. */
		if (until == 0) {
			until = bench_now_s() + RING_WAIT_MS / 1000.0;
			res->waits++;
		} else if (bench_now_s() > until) {
			return -1;
		}
		txr_ring_kick(r, res);
		poll(&pfd, 1, 1);
	}
	return 0;
}

/* (b) The TX ring: build into the frame, mark it, one send() per batch. */
static int txr_run_ring(const struct txr_opts *o, struct txr_result *res)
{
	int ifindex = (int)if_nametoindex(o->ifname);
	uint16_t proto = htons(o->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	struct txr_ring r;
	unsigned long long i = 0;
	unsigned long long queued = 0;
	unsigned int idx = 0;
	int ret = -1;

	if (ifindex == 0) {
		log_warn("%s", o->ifname);
		return -1;
	}
	if (txr_ring_open(&r, o, ifindex) < 0)
		return -1;
	while (i < (unsigned long long)o->count) {
		unsigned int k;

		for (k = 0; k < o->batch && i < (unsigned long long)o->count; k++, i++) {
			struct tpacket2_hdr *h = (void *)(r.map + (size_t)idx * RING_FRAME);
			uint8_t *eth = (uint8_t *)h + RING_DATA;
			size_t len;

			if (txr_ring_wait(&r, h, res) < 0) {
				fprintf(stderr, PROG ": a ring frame never came back\n");
				goto out;
			}
			memcpy(eth, o->mac, 6);
			memcpy(eth + 6, r.src, 6);
			memcpy(eth + 12, &proto, 2);
			len = txr_build(eth + ETH_HLEN, o->family, i);
			h->tp_len = (uint32_t)(ETH_HLEN + len);
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			queued++;
			idx = (idx + 1) % RING_FRAMES;
		}
		txr_ring_kick(&r, res);
	}
	/* Drain: every frame back (sent or refused) before the clock stops. */
	for (idx = 0; idx < RING_FRAMES; idx++) {
		struct tpacket2_hdr *h = (void *)(r.map + (size_t)idx * RING_FRAME);

		if (txr_ring_wait(&r, h, res) < 0) {
			fprintf(stderr, PROG ": a ring frame never came back\n");
			goto out;
		}
	}
	res->sent = queued - res->errors;
	ret = 0;
out:
	munmap(r.map, r.maplen);
	close(r.fd);
	return ret;
}

static double txr_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct txr_opts o = {.method = NULL, .family = 4, .count = 2000000, .batch = 64};
	struct txr_result res;
	double t0;
	double c0;
	double wall;
	double cpu;
	int c;
	int rc;

	log_init(PROG, true, 0);
	memset(o.mac, 0, sizeof(o.mac));
	while ((c = getopt(argc, argv, "m:i:d:f:n:b:qu")) != -1) {
		switch (c) {
		case 'm':
			o.method = optarg;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 'd':
			if (txr_parse_mac(optarg, o.mac) < 0) {
				fprintf(stderr, PROG ": -d %s: not a hardware address\n", optarg);
				return 2;
			}
			break;
		case 'f':
			o.family = (int)bench_opt_num(PROG, "-f", optarg, 4, 6);
			break;
		case 'n':
			o.count = bench_opt_num(PROG, "-n", optarg, 1, 1000000000);
			break;
		case 'b':
			o.batch = (unsigned int)bench_opt_num(PROG, "-b", optarg, 1,
							      INJECT_MAX_BATCH);
			break;
		case 'q':
			o.bypass = 1;
			break;
		case 'u':
			o.unbound = 1;
			break;
		default:
			txr_usage();
		}
	}
	if (o.method == NULL || o.ifname == NULL || (o.family != 4 && o.family != 6) ||
	    (strcmp(o.method, "mmsg") != 0 && strcmp(o.method, "ring") != 0))
		txr_usage();
	o.family = o.family == 4 ? AF_INET : AF_INET6;
	memset(&res, 0, sizeof(res));
	c0 = txr_cpu_s();
	t0 = bench_now_s();
	if (strcmp(o.method, "mmsg") == 0)
		rc = txr_run_mmsg(&o, &res);
	else
		rc = txr_run_ring(&o, &res);
	wall = bench_now_s() - t0;
	cpu = txr_cpu_s() - c0;
	if (rc < 0)
		return 1;
	printf("method=%s bypass=%d unbound=%d family=%d frames=%lld sent=%llu errors=%llu "
	       "waits=%llu "
	       "wall_s=%.3f cpu_s=%.3f cpu_s_per_M=%.3f fps=%.0f\n",
	       o.method, o.bypass, o.unbound, o.family == AF_INET ? 4 : 6, o.count, res.sent,
	       res.errors, res.waits, wall, cpu, cpu * 1e6 / (double)o.count,
	       (double)o.count / wall);
	return 0;
}
