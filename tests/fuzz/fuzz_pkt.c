// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a raw IPv4/IPv6 packet through pkt_parse, tarpit_decide(_flow) and
 * reply_build. Input: 8 bytes of held-flow sequence state, 1 byte of bytes the queue's copy
 * range cut off (origlen - caplen), then the packet.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t extra;
	uint8_t *pkt;
	size_t cut;

	if (size < 9)
		return 0;
	memcpy(&extra, data, sizeof(extra));
	cut = data[8];
	data += 9;
	size -= 9;
	/* A heap copy of exactly the packet: ASan sees any read past its end. */
	pkt = malloc(size ? size : 1);
	if (pkt == NULL)
		return 0;
	memcpy(pkt, data, size);
	fuzz_packet_path(pkt, size, size + cut, extra);
	free(pkt);
	return 0;
}
