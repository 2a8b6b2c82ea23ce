// SPDX-License-Identifier: GPL-2.0-or-later
/* Internet checksums over explicit lengths (RFC 1071), for parsing and building replies. */
#include "csum.h"

#include <netinet/in.h>

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

uint16_t csum_tcp4(const uint8_t *saddr, const uint8_t *daddr, const void *seg, size_t len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, saddr, 4);
	sum = csum_add(sum, daddr, 4);
	sum += IPPROTO_TCP;
	sum += (uint32_t)len;
	return csum_fold(csum_add(sum, seg, len));
}

uint16_t csum_tcp6(const uint8_t *saddr, const uint8_t *daddr, const void *seg, size_t len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, saddr, 16);
	sum = csum_add(sum, daddr, 16);
	sum += (uint32_t)(len >> 16);
	sum += (uint32_t)(len & 0xffff);
	sum += IPPROTO_TCP;
	return csum_fold(csum_add(sum, seg, len));
}
