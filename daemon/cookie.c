// SPDX-License-Identifier: GPL-2.0-or-later
/* Keyed SYN-ACK sequence numbers that let a stateless tarpit recognise its own flows. */
#include "cookie.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sodium.h>

#include "safefile.h"

int cookie_key_random(struct cookie_key *key)
{
	size_t got = 0;

	while (got < sizeof(key->k)) {
		ssize_t n = getrandom(key->k + got, sizeof(key->k) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int cookie_key_load(const char *path, struct cookie_key *key)
{
	struct safefile sf;
	uint8_t extra;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, key->k, sizeof(key->k));
		if (n == (ssize_t)sizeof(key->k) && read(fd, &extra, 1) == 0) {
			close(fd);
			return 0;
		}
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	if (cookie_key_random(key) < 0)
		return -1;
	if (safefile_open(&sf, path, 0600) < 0)
		return -1;
	n = write(sf.fd, key->k, sizeof(key->k));
	if (n != (ssize_t)sizeof(key->k)) {
		if (n >= 0)
			errno = EIO;
		safefile_abort(&sf);
		return -1;
	}
	return safefile_commit(&sf);
}

/*
 * SipHash-2-4 (libsodium's crypto_shorthash) over family, addresses and ports as seen
 * from the peer: a PRF, so the ISN reveals nothing of the key or of other flows.
 */
static uint32_t cookie_hash(const struct cookie_key *key, const struct pkt *p)
{
	uint8_t in[1 + 16 + 16 + 4];
	uint8_t out[crypto_shorthash_BYTES];
	size_t alen = p->family == AF_INET ? 4 : 16;
	size_t n = 0;
	uint32_t h;

	in[n++] = (uint8_t)p->family;
	memcpy(in + n, p->saddr, alen);
	n += alen;
	memcpy(in + n, p->daddr, alen);
	n += alen;
	in[n++] = (uint8_t)(p->sport >> 8);
	in[n++] = (uint8_t)p->sport;
	in[n++] = (uint8_t)(p->dport >> 8);
	in[n++] = (uint8_t)p->dport;
	crypto_shorthash(out, in, n, key->k);
	/* The low 32 bits of the little-endian 64-bit result, on any host. */
	h = (uint32_t)out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 |
	    (uint32_t)out[3] << 24;
	return h;
}

uint32_t cookie_isn_peer(const struct cookie_key *key, const struct pkt *p, uint32_t peer_isn)
{
	uint32_t h = cookie_hash(key, p);

	return (h & 0xffffff00u) | ((h ^ peer_isn) & 0xffu);
}

uint32_t cookie_isn(const struct cookie_key *key, const struct pkt *syn)
{
	return cookie_isn_peer(key, syn, syn->seq);
}

bool cookie_check(const struct cookie_key *key, const struct pkt *p, uint32_t *peer_una)
{
	uint32_t h = cookie_hash(key, p);
	uint32_t isn = p->ack - 1;
	uint8_t peer_isn_low;
	uint32_t una;

	if ((isn & 0xffffff00u) != (h & 0xffffff00u))
		return false;
	peer_isn_low = (uint8_t)((isn ^ h) & 0xffu);
	/*
	 * The peer's snd_una is its ISN + 1: pick the value with that low byte nearest
	 * to (at or just above) the segment's seq.
	 */
	una = (p->seq & 0xffffff00u) | (uint8_t)(peer_isn_low + 1);
	if ((int32_t)(una - p->seq) > 128)
		una -= 256;
	else if ((int32_t)(p->seq - una) > 127)
		una += 256;
	*peer_una = una;
	return true;
}
