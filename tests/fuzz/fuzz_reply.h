/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The packet path's invariants, shared by the packet and the netlink message targets. */
#ifndef NFTARPIT_FUZZ_REPLY_H
#define NFTARPIT_FUZZ_REPLY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse buf as the queue hands it over (caplen bytes of an origlen-byte packet), decide,
 * build the reply, and abort() on any broken promise: a reply to a packet that did not
 * parse, to RST, to a fragment, to or from an unreplyable address; a reply over
 * REPLY_MAX_LEN, or over the packet's own size when it carries no payload (no
 * amplification); a reply that does not parse back with a valid checksum to the sender.
 * The held-flow decision is checked the same way with sequence numbers taken from extra.
 */
void fuzz_packet_path(const uint8_t *buf, size_t caplen, size_t origlen, uint64_t extra);

#endif
