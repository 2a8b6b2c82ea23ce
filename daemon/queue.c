// SPDX-License-Identifier: GPL-2.0-or-later
/* NFQUEUE socket: bind and configure, batch receive, batch verdict; nothing else. */
#include "queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"

struct queue {
	struct mnl_socket *nl;
	int fd;
	uint32_t portid;
	struct queue_cfg cfg;
	uint8_t *slots; /* batch * QUEUE_SLOT_SIZE bytes, allocated once */
	struct mmsghdr msgs[QUEUE_MAX_BATCH];
	struct iovec iov[QUEUE_MAX_BATCH];
	int timeout_ms;	  /* the receive timeout now (cfg.timeout_ms, or a worker's shorter one) */
	bool pending;	  /* packets received that have no verdict yet */
	uint32_t last_id; /* ids rise by one per packet: the last one covers all before it */
};

struct nlmsghdr *queue_build_bind(char *buf, uint16_t num, uint32_t seq)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	/* pf is ignored since Linux 3.8 for BIND; PF_BIND/PF_UNBIND are obsolete. */
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	return nlh;
}

/*
 * Copy mode, copy range, queue length and flags in ONE message, with a single
 * NFQA_CFG_FLAGS/MASK pair: the kernel keeps only the last of duplicate attributes
 * (libdaq loses GSO that way). F_GSO: GSO/GRO packets are queued whole instead of being
 * segmented by the kernel, which is costly and useless to a tarpit. F_FAIL_OPEN is in the
 * mask either way, so a previous owner's setting never lingers.
 */
struct nlmsghdr *queue_build_params(char *buf, const struct queue_cfg *cfg, uint32_t seq)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, cfg->num);
	uint32_t flags = NFQA_CFG_F_GSO;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, QUEUE_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->maxlen);
	if (cfg->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	return nlh;
}

/* Verdict for every queued packet with id <= id (wrap-around safe in the kernel). */
struct nlmsghdr *queue_build_verdict_batch(char *buf, uint16_t num, uint32_t id, int verdict)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, num);

	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	return nlh;
}

bool queue_msg_ok(const struct nlmsghdr *m, int len)
{
	return mnl_nlmsg_ok(m, len) && m->nlmsg_len <= (uint32_t)len;
}

/*
 * The incoming interface and the link-layer source: the kernel adds NFQA_HWADDR when the
 * packet kept its link header. Only a 6-byte unicast, non-zero address is usable to send
 * back to (loopback's is all zeros; tunnels and PPP have none).
 */
static void queue_parse_link(struct nlattr **attr, struct queue_pkt *pkt)
{
	static const uint8_t zero[6];
	const struct nfqnl_msg_packet_hw *hw;

	pkt->indev = 0;
	pkt->has_hw = false;
	if (attr[NFQA_IFINDEX_INDEV] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_IFINDEX_INDEV]) >= sizeof(uint32_t))
		pkt->indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_HWADDR] == NULL || mnl_attr_get_payload_len(attr[NFQA_HWADDR]) < sizeof(*hw))
		return;
	hw = mnl_attr_get_payload(attr[NFQA_HWADDR]);
	if (ntohs(hw->hw_addrlen) != 6 || pkt->indev == 0 || (hw->hw_addr[0] & 1) != 0 ||
	    memcmp(hw->hw_addr, zero, 6) == 0)
		return;
	memcpy(pkt->hwaddr, hw->hw_addr, 6);
	pkt->has_hw = true;
}

int queue_parse_packet(const struct nlmsghdr *nlh, struct queue_pkt *pkt)
{
	struct nlattr *attr[NFQA_MAX + 1] = {0};
	struct nfqnl_msg_packet_hdr *ph;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return 0;
	if (nfq_nlmsg_parse(nlh, attr) < 0)
		return -1;
	if (attr[NFQA_PACKET_HDR] == NULL || attr[NFQA_PAYLOAD] == NULL)
		return -1;
	if (mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return -1;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	pkt->id = ntohl(ph->packet_id);
	pkt->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	pkt->caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	/* libmnl walks attributes up to nlmsg_len rounded up to 4: not past the message. */
	if (pkt->data + pkt->caplen > (const uint8_t *)nlh + nlh->nlmsg_len)
		return -1;
	pkt->origlen = pkt->caplen;
	if (attr[NFQA_CAP_LEN] != NULL)
		pkt->origlen = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	pkt->skbinfo = 0;
	if (attr[NFQA_SKB_INFO] != NULL)
		pkt->skbinfo = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	queue_parse_link(attr, pkt);
	return 1;
}

/* The netlink portid that owns queue num, or -1 if nobody does (or /proc is unreadable). */
static long queue_owner(uint16_t num)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	unsigned long qnum;
	unsigned long portid;
	long owner = -1;
	char line[256];

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lu %lu", &qnum, &portid) == 2 && qnum == num) {
			owner = (long)portid;
			break;
		}
	}
	fclose(f);
	return owner;
}

/* Send one config message and wait for its ack, passing over queued packets meanwhile. */
static int queue_request(struct queue *q, struct nlmsghdr *nlh)
{
	uint8_t buf[QUEUE_SLOT_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	int tries;

	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (tries = 0; tries < 1000; tries++) {
		ssize_t n = recv(q->fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -1;
		}
		for (; queue_msg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			const struct nlmsgerr *err;

			if (m->nlmsg_type != NLMSG_ERROR || m->nlmsg_seq != seq)
				continue; /* a packet: the first batch verdict drops it */
			err = mnl_nlmsg_get_payload(m);
			if (err->error == 0)
				return 0;
			errno = -err->error;
			return -1;
		}
	}
	errno = ETIMEDOUT;
	return -1;
}

struct queue *queue_open(const struct queue_cfg *cfg)
{
	char buf[QUEUE_MSG_BUF];
	struct timeval tv;
	struct queue *q;
	unsigned int i;
	int one = 1;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->cfg = *cfg;
	if (q->cfg.batch == 0 || q->cfg.batch > QUEUE_MAX_BATCH)
		q->cfg.batch = QUEUE_MAX_BATCH;
	q->slots = calloc(q->cfg.batch, QUEUE_SLOT_SIZE);
	if (q->slots == NULL)
		goto err_free;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (q->nl == NULL) {
		log_warn("queue %u: netlink socket", cfg->num);
		goto err_free;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	/*
	 * NETLINK_NO_ENOBUFS: without it one overrun marks the socket congested and the
	 * kernel drops every further packet until we have drained it completely; with it
	 * only the packets that do not fit are lost (and still counted in /proc).
	 */
	if (setsockopt(q->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0) {
		log_warn("queue %u: NETLINK_NO_ENOBUFS", cfg->num);
		goto err_close;
	}
	/* SO_RCVBUFFORCE passes net.core.rmem_max (CAP_NET_ADMIN); fall back to the capped one. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf, sizeof(cfg->rcvbuf)) < 0 &&
	    setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof(cfg->rcvbuf)) < 0)
		log_warn("queue %u: receive buffer of %d bytes", cfg->num, cfg->rcvbuf);
	tv.tv_sec = cfg->timeout_ms / 1000;
	tv.tv_usec = (cfg->timeout_ms % 1000) * 1000;
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		log_warn("queue %u: SO_RCVTIMEO", cfg->num);
		goto err_close;
	}
	q->timeout_ms = cfg->timeout_ms;
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("queue %u: netlink bind", cfg->num);
		goto err_close;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	if (queue_request(q, queue_build_bind(buf, cfg->num, 1)) < 0) {
		long owner = queue_owner(cfg->num);

		/* The kernel says EPERM, not EBUSY, when another socket owns the queue. */
		if ((errno == EBUSY || errno == EPERM) && owner >= 0)
			log_warnx("queue %u: bind: already bound by another program (netlink "
				  "portid %ld in /proc/net/netfilter/nfnetlink_queue)",
				  cfg->num, owner);
		else
			log_warn("queue %u: bind", cfg->num);
		goto err_close;
	}
	if (queue_request(q, queue_build_params(buf, cfg, 2)) < 0) {
		log_warn("queue %u: config (copy range %d, maxlen %u, GSO%s)", cfg->num,
			 QUEUE_COPY_RANGE, cfg->maxlen, cfg->fail_open ? ", fail-open" : "");
		goto err_close;
	}
	for (i = 0; i < q->cfg.batch; i++) {
		q->iov[i].iov_base = q->slots + (size_t)i * QUEUE_SLOT_SIZE;
		q->iov[i].iov_len = QUEUE_SLOT_SIZE;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Packets that slipped in between bind and config are dropped by the first verdict. */
	q->pending = false;
	return q;

err_close:
	mnl_socket_close(q->nl);
err_free:
	free(q->slots);
	free(q);
	return NULL;
}

void queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	/* Closing unbinds: the kernel drops what is still queued (fail-closed). */
	mnl_socket_close(q->nl);
	free(q->slots);
	free(q);
}

void queue_set_timeout(struct queue *q, int timeout_ms)
{
	struct timeval tv;

	if (timeout_ms < 0)
		timeout_ms = q->cfg.timeout_ms;
	if (timeout_ms == q->timeout_ms)
		return;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
		q->timeout_ms = timeout_ms;
}

unsigned int queue_recv(struct queue *q, struct queue_pkt *pkts, struct queue_counters *c,
			bool wait)
{
	unsigned int npkt = 0;
	int n;
	int i;

	/* MSG_WAITFORONE: block for the first message only, then take what is already there. */
	n = recvmmsg(q->fd, q->msgs, q->cfg.batch, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS)
			c->recv_enobufs++;
		else if (errno != EAGAIN && errno != EINTR)
			c->recv_errors++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct nlmsghdr *m = q->iov[i].iov_base;
		int len = (int)q->msgs[i].msg_len;

		if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			/* Lost; the packet itself stays queued until the next batch verdict. */
			c->truncated_msgs++;
			continue;
		}
		for (; queue_msg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			int r;

			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(m);

				if (err->error != 0)
					c->nl_errors++;
				continue;
			}
			r = queue_parse_packet(m, &pkts[npkt]);
			if (r < 0) {
				c->bad_msgs++;
				continue;
			}
			if (r == 0)
				continue;
			q->last_id = pkts[npkt].id;
			q->pending = true;
			npkt++;
			if (npkt >= q->cfg.batch)
				return npkt;
		}
	}
	return npkt;
}

void queue_verdict_drop_all(struct queue *q, struct queue_counters *c)
{
	char buf[QUEUE_MSG_BUF];
	struct nlmsghdr *nlh;

	if (!q->pending)
		return;
	nlh = queue_build_verdict_batch(buf, q->cfg.num, q->last_id, NF_DROP);
	/* No ACK requested: errors (e.g. ENOENT) come back in the stream and are counted there. */
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		c->verdict_errors++;
		return;
	}
	c->verdict_batches++;
	q->pending = false;
}
