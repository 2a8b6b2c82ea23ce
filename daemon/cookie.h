/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Keyed SYN-ACK sequence numbers that let a stateless tarpit recognise its own flows. */
#ifndef NFTARPIT_COOKIE_H
#define NFTARPIT_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

#define COOKIE_KEY_LEN 16

struct cookie_key {
	uint8_t k[COOKIE_KEY_LEN];
};

/* Fill the key from the kernel's random source. Returns 0 or -1 with errno. */
int cookie_key_random(struct cookie_key *key);

/*
 * Read the key from path, or create path (mode 0600, written atomically) with a random
 * key if it does not exist. A key that survives a restart keeps the flows held before it
 * recognised: their probes go on being answered. Returns 0, or -1 with errno (EINVAL: the
 * file is not exactly COOKIE_KEY_LEN bytes).
 */
int cookie_key_load(const char *path, struct cookie_key *key);

/*
 * Our initial sequence number for the SYN p: the top 24 bits are SipHash-2-4 of the
 * 4-tuple under key, the low 8 bits are the hash's low byte XOR the peer's ISN low byte.
 * The peer never gets any data acknowledged, so its sequence number stays at ISN or
 * ISN + 1; those 8 bits let us tell a Linux window probe (seq = snd_una - 1) from a
 * pure ACK (seq = snd_una) without keeping state.
 */
uint32_t cookie_isn(const struct cookie_key *key, const struct pkt *syn);

/*
 * The same ISN for the tuple of any segment p, given the peer's ISN: what we sent in the
 * SYN-ACK of p's connection if the peer's SYN carried peer_isn.
 */
uint32_t cookie_isn_peer(const struct cookie_key *key, const struct pkt *p, uint32_t peer_isn);

/*
 * Check that an ACK acknowledges one of our SYN-ACKs for its 4-tuple (24 keyed bits must
 * match). On success store in *peer_una the peer's unacknowledged sequence number
 * (its ISN + 1) as far as it can be recovered, and return true.
 */
bool cookie_check(const struct cookie_key *key, const struct pkt *p, uint32_t *peer_una);

#endif
