// SPDX-License-Identifier: GPL-2.0-or-later
/* NFQUEUE messages built and parsed back without a kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "queue.h"

struct attrs {
	const struct nlattr *a[NFQA_CFG_MAX + 1];
	int count[NFQA_CFG_MAX + 1];
};

static int collect(const struct nlattr *attr, void *data)
{
	struct attrs *s = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NFQA_CFG_MAX) {
		s->a[type] = attr;
		s->count[type]++;
	}
	return MNL_CB_OK;
}

static void test_verdict_batch(void **state)
{
	char buf[QUEUE_MSG_BUF];
	struct nlmsghdr *nlh = queue_build_verdict_batch(buf, 25, 0xfffffffeu, NF_DROP);
	struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const struct nfqnl_msg_verdict_hdr *vh = NULL;
	int n = 0;

	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH);
	assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);
	/* No ACK asked: a per-batch ack would double the netlink traffic. */
	assert_false(nlh->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(ntohs(nfg->res_id), 25);
	mnl_attr_for_each(attr, nlh, sizeof(*nfg))
	{
		n++;
		assert_int_equal(mnl_attr_get_type(attr), NFQA_VERDICT_HDR);
		vh = mnl_attr_get_payload(attr);
	}
	assert_int_equal(n, 1);
	assert_non_null(vh);
	assert_int_equal(ntohl(vh->verdict), NF_DROP);
	assert_int_equal(ntohl(vh->id), 0xfffffffeu);
}

static void test_params_single_flags_attribute(void **state)
{
	char buf[QUEUE_MSG_BUF];
	struct queue_cfg cfg = {.num = 7, .maxlen = 4096, .fail_open = true};
	struct nlmsghdr *nlh = queue_build_params(buf, &cfg, 42);
	const struct nfqnl_msg_config_params *params;
	struct attrs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 42);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, &s), MNL_CB_OK);
	/* The kernel keeps only the last of duplicate attributes: exactly one of each. */
	assert_int_equal(s.count[NFQA_CFG_FLAGS], 1);
	assert_int_equal(s.count[NFQA_CFG_MASK], 1);
	assert_int_equal(s.count[NFQA_CFG_PARAMS], 1);
	assert_int_equal(s.count[NFQA_CFG_QUEUE_MAXLEN], 1);
	assert_int_equal(ntohl(mnl_attr_get_u32(s.a[NFQA_CFG_FLAGS])),
			 NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN);
	assert_int_equal(ntohl(mnl_attr_get_u32(s.a[NFQA_CFG_MASK])),
			 NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN);
	assert_int_equal(ntohl(mnl_attr_get_u32(s.a[NFQA_CFG_QUEUE_MAXLEN])), 4096);
	params = mnl_attr_get_payload(s.a[NFQA_CFG_PARAMS]);
	assert_int_equal(params->copy_mode, NFQNL_COPY_PACKET);
	assert_int_equal(ntohl(params->copy_range), QUEUE_COPY_RANGE);

	/* Fail-closed clears FAIL_OPEN through the mask, whatever the queue had before. */
	cfg.fail_open = false;
	memset(&s, 0, sizeof(s));
	nlh = queue_build_params(buf, &cfg, 43);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, &s), MNL_CB_OK);
	assert_int_equal(ntohl(mnl_attr_get_u32(s.a[NFQA_CFG_FLAGS])), NFQA_CFG_F_GSO);
	assert_int_equal(ntohl(mnl_attr_get_u32(s.a[NFQA_CFG_MASK])),
			 NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN);
}

static void test_bind(void **state)
{
	char buf[QUEUE_MSG_BUF];
	struct nlmsghdr *nlh = queue_build_bind(buf, 300, 1);
	struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const struct nfqnl_msg_config_cmd *cmd = NULL;

	assert_int_equal(ntohs(nfg->res_id), 300);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	mnl_attr_for_each(attr, nlh, sizeof(*nfg)) if (mnl_attr_get_type(attr) == NFQA_CFG_CMD)
		cmd = mnl_attr_get_payload(attr);
	assert_non_null(cmd);
	assert_int_equal(cmd->command, NFQNL_CFG_CMD_BIND);
}

/* Build a packet message as the kernel would and parse it. */
static struct nlmsghdr *kernel_packet(char *buf, uint32_t id, const void *payload, size_t len,
				      uint32_t caplen_attr, uint32_t skbinfo)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nfqnl_msg_packet_hdr ph = {.packet_id = htonl(id), .hw_protocol = htons(0x0800)};

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->res_id = htons(25);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (skbinfo != 0)
		mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(skbinfo));
	if (caplen_attr != 0)
		mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(caplen_attr));
	if (payload != NULL)
		mnl_attr_put(nlh, NFQA_PAYLOAD, len, payload);
	return nlh;
}

static void test_parse_packet(void **state)
{
	char buf[1024];
	const uint8_t payload[40] = {0x45};
	struct queue_pkt qp;
	struct nlmsghdr *nlh;

	nlh = kernel_packet(buf, 77, payload, sizeof(payload), 0, NFQA_SKB_CSUMNOTREADY);
	assert_int_equal(queue_parse_packet(nlh, &qp), 1);
	assert_int_equal(qp.id, 77);
	assert_int_equal(qp.caplen, 40);
	assert_int_equal(qp.origlen, 40);
	assert_int_equal(qp.skbinfo, NFQA_SKB_CSUMNOTREADY);
	assert_memory_equal(qp.data, payload, 40);

	/* The copy range cut it: NFQA_CAP_LEN carries the original length. */
	nlh = kernel_packet(buf, 78, payload, sizeof(payload), 1500, 0);
	assert_int_equal(queue_parse_packet(nlh, &qp), 1);
	assert_int_equal(qp.origlen, 1500);
	assert_int_equal(qp.skbinfo, 0);

	/* Without payload: a bad message, counted, not a crash. */
	nlh = kernel_packet(buf, 79, NULL, 0, 0, 0);
	assert_int_equal(queue_parse_packet(nlh, &qp), -1);

	/* Other message types are ignored. */
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	assert_int_equal(queue_parse_packet(nlh, &qp), 0);
}

/* A packet message with the incoming interface and a link-layer source address. */
static struct nlmsghdr *kernel_packet_hw(char *buf, uint32_t indev, uint16_t hwlen,
					 const uint8_t *mac)
{
	const uint8_t payload[40] = {0x45};
	struct nfqnl_msg_packet_hw hw;
	struct nlmsghdr *nlh = kernel_packet(buf, 5, payload, sizeof(payload), 0, 0);

	memset(&hw, 0, sizeof(hw));
	hw.hw_addrlen = htons(hwlen);
	memcpy(hw.hw_addr, mac, 6);
	if (indev != 0)
		mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(indev));
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	return nlh;
}

/* Only a unicast, non-zero 6-byte address with an interface is one we can reply to. */
static void test_parse_link(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t zero[6];
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	const uint8_t payload[40] = {0x45};
	struct queue_pkt qp;
	char buf[1024];

	assert_int_equal(queue_parse_packet(kernel_packet_hw(buf, 7, 6, mac), &qp), 1);
	assert_int_equal(qp.indev, 7);
	assert_true(qp.has_hw);
	assert_memory_equal(qp.hwaddr, mac, 6);
	/* Loopback's all-zero address, a multicast source, a 20-byte (InfiniBand) one. */
	assert_int_equal(queue_parse_packet(kernel_packet_hw(buf, 1, 6, zero), &qp), 1);
	assert_false(qp.has_hw);
	assert_int_equal(queue_parse_packet(kernel_packet_hw(buf, 7, 6, mcast), &qp), 1);
	assert_false(qp.has_hw);
	assert_int_equal(queue_parse_packet(kernel_packet_hw(buf, 7, 20, mac), &qp), 1);
	assert_false(qp.has_hw);
	/* No interface (locally generated), or no address at all (a tunnel, PPP). */
	assert_int_equal(queue_parse_packet(kernel_packet_hw(buf, 0, 6, mac), &qp), 1);
	assert_false(qp.has_hw);
	assert_int_equal(
		queue_parse_packet(kernel_packet(buf, 6, payload, sizeof(payload), 0, 0), &qp), 1);
	assert_false(qp.has_hw);
	assert_int_equal(qp.indev, 0);
}

/*
 * A message claiming 0xfffffffd bytes (found by tests/fuzz/fuzz_queue): libmnl's own check
 * takes it as -3 and passes it, and its next message is itself, so queue_recv() spun
 * forever on one datagram. queue_msg_ok() refuses it; real messages still pass.
 */
static void test_msg_length_wraps(void **state)
{
	char buf[1024];
	const uint8_t payload[40] = {0x45};
	struct nlmsghdr *nlh;

	nlh = kernel_packet(buf, 80, payload, sizeof(payload), 0, 0);
	assert_true(queue_msg_ok(nlh, (int)nlh->nlmsg_len));
	assert_false(queue_msg_ok(nlh, (int)nlh->nlmsg_len - 1));
	nlh->nlmsg_len = 0xfffffffd;
	assert_false(queue_msg_ok(nlh, 256));
	nlh->nlmsg_len = 8;
	assert_false(queue_msg_ok(nlh, 256));
}

/*
 * A payload attribute ending in the alignment padding after nlmsg_len (found by
 * tests/fuzz/fuzz_queue): libmnl accepts it, the packet would take bytes from beyond the
 * message. It is a bad message.
 */
static void test_payload_past_message(void **state)
{
	char buf[1024];
	const uint8_t payload[39] = {0x45};
	struct queue_pkt qp;
	struct nlmsghdr *nlh;

	nlh = kernel_packet(buf, 81, payload, sizeof(payload), 0, 0);
	assert_int_equal(queue_parse_packet(nlh, &qp), 1);
	assert_int_equal(qp.caplen, 39);
	nlh->nlmsg_len -= 2;
	assert_int_equal(queue_parse_packet(nlh, &qp), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_batch),
		cmocka_unit_test(test_params_single_flags_attribute),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_parse_packet),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_msg_length_wraps),
		cmocka_unit_test(test_payload_past_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
