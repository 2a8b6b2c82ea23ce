// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one netlink datagram of NFQUEUE messages, walked as queue_recv() walks
 * it (queue_msg_ok), each packet message through queue_parse_packet() and then the whole packet
 * path. Input: 8 bytes of held-flow sequence state, then the datagram.
 */
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_reply.h"
#include "queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *m;
	struct queue_pkt qp;
	uint64_t extra;
	uint8_t *buf;
	int len;

	if (size < 8 || size > QUEUE_SLOT_SIZE)
		return 0;
	memcpy(&extra, data, sizeof(extra));
	data += 8;
	size -= 8;
	/* malloc's alignment, as the receive slots; exactly size bytes for ASan. */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	len = (int)size;
	for (m = (const struct nlmsghdr *)buf; queue_msg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
		if (m->nlmsg_type == NLMSG_ERROR)
			continue;
		if (queue_parse_packet(m, &qp) != 1)
			continue;
		if (qp.data < buf || qp.data + qp.caplen > buf + size) {
			fprintf(stderr, "fuzz invariant broken: payload outside the datagram\n");
			abort();
		}
		fuzz_packet_path(qp.data, qp.caplen, qp.origlen, extra);
	}
	free(buf);
	return 0;
}
