/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure reply construction: IPv4/IPv6 + TCP headers and checksums into a caller's buffer. */
#ifndef NFTARPIT_REPLY_H
#define NFTARPIT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "tarpit.h"

/* The most payload a reply carries: a whole SMTP greeting. */
#define REPLY_MAX_PAYLOAD 128
/* The largest reply: IPv6 header, TCP header, MSS option, payload. */
#define REPLY_MAX_LEN (40 + 20 + 4 + REPLY_MAX_PAYLOAD)

/* Hop limit of our replies, as a Linux stack's default. */
#define REPLY_TTL 64

/*
 * Build the reply r to packet p into buf (at least REPLY_MAX_LEN bytes): addresses and
 * ports swapped, r->payload (at most REPLY_MAX_PAYLOAD bytes) after the TCP header.
 * Returns its length, or 0 if r->action is TARPIT_NONE.
 */
size_t reply_build(uint8_t *buf, const struct pkt *p, const struct tarpit_reply *r);

#endif
