/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4/IPv6 addresses, prefixes and ranges: strict parsing, merging, subtraction, nft keys. */
#ifndef NFTARPIT_CIDR_H
#define NFTARPIT_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An address as a 128-bit number in host order. IPv4 lives in the low 32 bits with hi = 0;
 * the family travels beside it, so that ranges of both families sort and compare alike.
 */
struct cidr_addr {
	uint64_t hi;
	uint64_t lo;
};

/* An inclusive range [first, last] with a tag (nftarpit-sync: expiry, 0 = never). */
struct cidr_range {
	struct cidr_addr first;
	struct cidr_addr last;
	uint64_t tag;
};

/* A growable array of ranges of one family (4 or 6). */
struct cidr_set {
	int family;
	size_t n;
	size_t cap;
	struct cidr_range *r;
};

/* Text forms: "192.0.2.0/24", "192.0.2.7-192.0.2.9", "2001:db8::/32". */
#define CIDR_TEXT_MAX 96

/* cidr_parse() results. */
#define CIDR_OK	      0
#define CIDR_HOSTBITS 1 /* accepted, host bits were set and have been cleared */

/*
 * Parse "ADDR", "ADDR/LEN" or "FIRST-LAST" strictly: no leading zeros in IPv4 octets
 * ("010.0.0.1" reads as octal to some tools, so it is refused), prefix lengths in decimal
 * without sign or leading zero, FIRST <= LAST in one family. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, prefix >= 96) become IPv4. Returns CIDR_OK or CIDR_HOSTBITS with *family
 * and *out set (tag 0), or -1 with the reason in err.
 */
int cidr_parse(const char *s, int *family, struct cidr_range *out, char *err, size_t errlen);

/* Parse one address only; 0 or -1 (no err text: callers say what they expected). */
int cidr_parse_addr(const char *s, int *family, struct cidr_addr *out);

/* Address <-> network byte order (4 or 16 bytes). */
void cidr_addr_to_bytes(const struct cidr_addr *a, int family, uint8_t *out);
void cidr_addr_from_bytes(struct cidr_addr *a, int family, const uint8_t *in);

int cidr_addr_cmp(const struct cidr_addr *a, const struct cidr_addr *b);
/* The largest address of the family. */
struct cidr_addr cidr_addr_max(int family);
/* a + 1 and a - 1; callers check for the family's ends first. */
struct cidr_addr cidr_addr_inc(struct cidr_addr a);
struct cidr_addr cidr_addr_dec(struct cidr_addr a);

/* "192.0.2.7" or "2001:db8::7". */
void cidr_addr_format(const struct cidr_addr *a, int family, char *out, size_t outlen);
/* A prefix when the range is one ("192.0.2.0/24", a single address without "/32"), else FIRST-LAST.
 */
void cidr_range_format(const struct cidr_range *r, int family, char *out, size_t outlen);

/* The prefix length of r if it is exactly one prefix, else -1. */
int cidr_range_prefix_len(const struct cidr_range *r, int family);

/* The len-bit prefix holding a, as a range (tag 0); len at most 32 or 128. */
struct cidr_range cidr_prefix_of(const struct cidr_addr *a, int family, unsigned int len);

/* Whether r is broader than a len-bit prefix of its family (len 0: never). */
bool cidr_range_broader(const struct cidr_range *r, int family, unsigned int len);

/* Number of addresses in r minus one, saturated at UINT64_MAX. */
uint64_t cidr_range_span(const struct cidr_range *r);

void cidr_set_init(struct cidr_set *s, int family);
void cidr_set_free(struct cidr_set *s);
void cidr_set_clear(struct cidr_set *s);
/* Room for want ranges in all; 0, or -1 with errno ENOMEM. */
int cidr_set_reserve(struct cidr_set *s, size_t want);
/* Append a range; 0, or -1 with errno ENOMEM. */
int cidr_set_add(struct cidr_set *s, const struct cidr_range *r);

/*
 * Sort and merge into disjoint ranges in ascending order. Ranges that overlap or touch are
 * merged when their tags are equal. Where tags differ, every address keeps the largest tag
 * covering it, 0 counting as "forever", so that merging never shortens a ban. 0 or -1
 * (ENOMEM).
 */
int cidr_set_merge(struct cidr_set *s);

/*
 * Sort s by first address without joining any range; stable (ranges with the same first
 * address keep their order). Needs a buffer of s->n ranges. 0 or -1 (ENOMEM).
 */
int cidr_set_sort(struct cidr_set *s);

/*
 * Remove every address of sub from s; both merged (cidr_set_merge). A range of s holding a
 * range of sub splits into what remains around it. 0 or -1 (ENOMEM).
 */
int cidr_set_subtract(struct cidr_set *s, const struct cidr_set *sub);

/* The first range of s (sorted, disjoint) that overlaps x, or NULL. Binary search. */
const struct cidr_range *cidr_set_first_overlap(const struct cidr_set *s,
						const struct cidr_range *x);

/*
 * Append to out the ranges of s that overlap x; s sorted and disjoint (merged, or sorted
 * kernel elements). Binary search: a few ranges out of a million cost no copy of them all.
 * 0 or -1 (ENOMEM).
 */
int cidr_set_overlapping(const struct cidr_set *s, const struct cidr_range *x,
			 struct cidr_set *out);

/* Whether address a lies in merged set s (binary search). */
bool cidr_set_contains(const struct cidr_set *s, const struct cidr_addr *a);

/*
 * The interval elements nftables stores for range r: a start key (first) and an end key
 * (last + 1, flagged NFT_SET_ELEM_INTERVAL_END). When last is the family's largest address
 * there is no end key: the interval runs to the end of the key space, as nft encodes it.
 * Keys are in network byte order, 4 or 16 bytes. Returns whether *end was written.
 */
bool cidr_range_to_keys(const struct cidr_range *r, int family, uint8_t *start, uint8_t *end);

/*
 * Split a range into the fewest prefixes, for formats without ranges (rbldnsd, plain
 * lists). Calls fn(first, len, arg) for each in order; stops and returns fn's value if
 * non-zero.
 */
int cidr_range_prefixes(const struct cidr_range *r, int family,
			int (*fn)(const struct cidr_addr *first, unsigned int len, void *arg),
			void *arg);

#endif
