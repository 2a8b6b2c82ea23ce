/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internet checksums over explicit lengths (RFC 1071), for parsing and building replies. */
#ifndef NFTARPIT_CSUM_H
#define NFTARPIT_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Ones' complement sum of len bytes added to sum, not folded. Written here rather than
 * taken from libnetfilter_queue because nfq_checksum_* reads the lengths from the
 * (hostile) headers themselves and writes into the packet; ours takes bounds from the caller.
 */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);

/* Fold and complement. */
uint16_t csum_fold(uint32_t sum);

/* TCP checksum (network order) of a segment with its pseudo-header. */
uint16_t csum_tcp4(const uint8_t *saddr, const uint8_t *daddr, const void *seg, size_t len);
uint16_t csum_tcp6(const uint8_t *saddr, const uint8_t *daddr, const void *seg, size_t len);

#endif
