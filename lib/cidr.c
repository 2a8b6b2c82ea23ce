// SPDX-License-Identifier: GPL-2.0-or-later
/* IPv4/IPv6 addresses, prefixes and ranges: strict parsing, merging, subtraction, nft keys. */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cidr_addr_cmp(const struct cidr_addr *a, const struct cidr_addr *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

struct cidr_addr cidr_addr_max(int family)
{
	struct cidr_addr a;

	a.hi = family == 4 ? 0 : UINT64_MAX;
	a.lo = family == 4 ? UINT32_MAX : UINT64_MAX;
	return a;
}

struct cidr_addr cidr_addr_inc(struct cidr_addr a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

struct cidr_addr cidr_addr_dec(struct cidr_addr a)
{
	if (a.lo == 0)
		a.hi--;
	a.lo--;
	return a;
}

static bool cidr_addr_is_max(const struct cidr_addr *a, int family)
{
	struct cidr_addr m = cidr_addr_max(family);

	return cidr_addr_cmp(a, &m) == 0;
}

void cidr_addr_to_bytes(const struct cidr_addr *a, int family, uint8_t *out)
{
	int i;

	if (family == 4) {
		for (i = 0; i < 4; i++)
			out[i] = (uint8_t)(a->lo >> (24 - 8 * i));
		return;
	}
	for (i = 0; i < 8; i++) {
		out[i] = (uint8_t)(a->hi >> (56 - 8 * i));
		out[8 + i] = (uint8_t)(a->lo >> (56 - 8 * i));
	}
}

void cidr_addr_from_bytes(struct cidr_addr *a, int family, const uint8_t *in)
{
	int i;

	a->hi = 0;
	a->lo = 0;
	if (family == 4) {
		for (i = 0; i < 4; i++)
			a->lo = (a->lo << 8) | in[i];
		return;
	}
	for (i = 0; i < 8; i++) {
		a->hi = (a->hi << 8) | in[i];
		a->lo = (a->lo << 8) | in[8 + i];
	}
}

/* The mask of the host part of a len-bit prefix, as an address. */
static struct cidr_addr cidr_hostmask(int family, unsigned int len)
{
	unsigned int bits = family == 4 ? 32 : 128;
	unsigned int host = bits - len;
	struct cidr_addr m = {0, 0};

	if (host >= 128) {
		m.hi = UINT64_MAX;
		m.lo = UINT64_MAX;
	} else if (host >= 64) {
		m.lo = UINT64_MAX;
		m.hi = host == 64 ? 0 : (UINT64_MAX >> (128 - host));
	} else if (host > 0) {
		m.lo = UINT64_MAX >> (64 - host);
	}
	return m;
}

/*
 * IPv4 octets must be plain decimal without leading zeros: inet_aton() and many tools read
 * "010" as octal 8, others as decimal 10, so such a line means different things to different
 * readers and is refused rather than guessed.
 */
static bool cidr_v4_octets_strict(const char *s)
{
	const char *p = s;

	for (;;) {
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return false;
		p = strchr(p, '.');
		if (p == NULL)
			return true;
		p++;
	}
}

int cidr_parse_addr(const char *s, int *family, struct cidr_addr *out)
{
	uint8_t b[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (strchr(s, ':') == NULL) {
		if (!cidr_v4_octets_strict(s) || inet_pton(AF_INET, s, b) != 1)
			return -1;
		*family = 4;
		cidr_addr_from_bytes(out, 4, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return -1;
	if (memcmp(b, mapped, sizeof(mapped)) == 0) {
		if (strchr(s, '.') != NULL && !cidr_v4_octets_strict(strrchr(s, ':') + 1))
			return -1;
		*family = 4;
		cidr_addr_from_bytes(out, 4, b + 12);
		return 0;
	}
	*family = 6;
	cidr_addr_from_bytes(out, 6, b);
	return 0;
}

static int cidr_parse_len(const char *s, unsigned int max, unsigned int *len)
{
	unsigned int v = 0;
	const char *p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - s > 3)
			return -1;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	if (v > max)
		return -1;
	*len = v;
	return 0;
}

int cidr_parse(const char *s, int *family, struct cidr_range *out, char *err, size_t errlen)
{
	char buf[CIDR_TEXT_MAX];
	char *sep;
	int fam2;
	unsigned int len;
	bool mapped;
	struct cidr_addr m;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf)) {
		snprintf(err, errlen, n == 0 ? "empty address" : "too long for an address");
		return -1;
	}
	memcpy(buf, s, n + 1);
	out->tag = 0;
	sep = strchr(buf, '-');
	if (sep != NULL) {
		*sep = '\0';
		if (cidr_parse_addr(buf, family, &out->first) < 0 ||
		    cidr_parse_addr(sep + 1, &fam2, &out->last) < 0) {
			snprintf(err, errlen, "bad address in range \"%s\"", s);
			return -1;
		}
		if (fam2 != *family) {
			snprintf(err, errlen, "range \"%s\" mixes IPv4 and IPv6", s);
			return -1;
		}
		if (cidr_addr_cmp(&out->first, &out->last) > 0) {
			snprintf(err, errlen, "range \"%s\" is reversed", s);
			return -1;
		}
		return CIDR_OK;
	}
	sep = strchr(buf, '/');
	if (sep != NULL)
		*sep = '\0';
	if (cidr_parse_addr(buf, family, &out->first) < 0) {
		snprintf(err, errlen, "bad address \"%s\"", buf);
		return -1;
	}
	out->last = out->first;
	if (sep == NULL)
		return CIDR_OK;
	mapped = *family == 4 && strchr(buf, ':') != NULL;
	if (cidr_parse_len(sep + 1, mapped || *family == 6 ? 128 : 32, &len) < 0 ||
	    (mapped && len < 96)) {
		snprintf(err, errlen, "bad prefix length \"/%s\"", sep + 1);
		return -1;
	}
	if (mapped)
		len -= 96;
	m = cidr_hostmask(*family, len);
	out->last.hi = out->first.hi | m.hi;
	out->last.lo = out->first.lo | m.lo;
	if ((out->first.hi & m.hi) != 0 || (out->first.lo & m.lo) != 0) {
		out->first.hi &= ~m.hi;
		out->first.lo &= ~m.lo;
		cidr_addr_format(&out->first, *family, buf, sizeof(buf));
		snprintf(err, errlen, "host bits set in \"%s\", using %s/%u", s, buf, len);
		return CIDR_HOSTBITS;
	}
	return CIDR_OK;
}

/* IPv4 a as dotted quad into out (INET_ADDRSTRLEN bytes): inet_ntop() goes through printf. */
static void cidr_v4_text(uint32_t a, char *out)
{
	unsigned int v;
	int i;

	for (i = 3; i >= 0; i--) {
		v = (a >> (8 * i)) & 0xff;
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		if (i > 0)
			*out++ = '.';
	}
	*out = '\0';
}

void cidr_addr_format(const struct cidr_addr *a, int family, char *out, size_t outlen)
{
	uint8_t b[16];

	if (family == 4 && outlen >= INET_ADDRSTRLEN) {
		cidr_v4_text((uint32_t)a->lo, out);
		return;
	}
	cidr_addr_to_bytes(a, family, b);
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, b, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/*
 * Without a loop over the lengths: r is one prefix when last - first is 2^host - 1 and first
 * has none of those host bits set.
 */
int cidr_range_prefix_len(const struct cidr_range *r, int family)
{
	unsigned int bits = family == 4 ? 32 : 128;
	uint64_t shi, slo;
	unsigned int host;

	if (cidr_addr_cmp(&r->last, &r->first) < 0)
		return -1;
	slo = r->last.lo - r->first.lo;
	shi = r->last.hi - r->first.hi - (r->last.lo < r->first.lo ? 1 : 0);
	if (shi != 0 && (slo != UINT64_MAX || (shi & (shi + 1)) != 0))
		return -1;
	if (shi == 0 && (slo & (slo + 1)) != 0)
		return -1;
	if ((r->first.hi & shi) != 0 || (r->first.lo & slo) != 0)
		return -1;
	host = (unsigned int)(__builtin_popcountll(shi) + __builtin_popcountll(slo));
	if (host > bits)
		return -1;
	return (int)(bits - host);
}

void cidr_range_format(const struct cidr_range *r, int family, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	char b[INET6_ADDRSTRLEN];
	int len;

	/* Most of a big blocklist: one IPv4 address, written straight into out. */
	if (family == 4 && r->first.lo == r->last.lo && r->first.hi == r->last.hi &&
	    outlen >= INET_ADDRSTRLEN) {
		cidr_addr_format(&r->first, family, out, outlen);
		return;
	}
	len = cidr_range_prefix_len(r, family);
	cidr_addr_format(&r->first, family, a, sizeof(a));
	if (len == (family == 4 ? 32 : 128)) {
		snprintf(out, outlen, "%s", a);
	} else if (len >= 0) {
		snprintf(out, outlen, "%s/%d", a, len);
	} else {
		cidr_addr_format(&r->last, family, b, sizeof(b));
		snprintf(out, outlen, "%s-%s", a, b);
	}
}

bool cidr_range_broader(const struct cidr_range *r, int family, unsigned int len)
{
	unsigned int host = (family == 4 ? 32 : 128) - len;
	uint64_t dhi = r->last.hi - r->first.hi - (r->last.lo < r->first.lo ? 1 : 0);
	uint64_t dlo = r->last.lo - r->first.lo;

	if (len == 0 || host >= 128)
		return false;
	if (host >= 64)
		return dhi >= (1ull << (host - 64));
	return dhi > 0 || dlo >= (1ull << host);
}

uint64_t cidr_range_span(const struct cidr_range *r)
{
	uint64_t hi = r->last.hi - r->first.hi - (r->last.lo < r->first.lo ? 1 : 0);

	if (hi != 0)
		return UINT64_MAX;
	return r->last.lo - r->first.lo;
}

void cidr_set_init(struct cidr_set *s, int family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
}

void cidr_set_free(struct cidr_set *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
	s->cap = 0;
}

void cidr_set_clear(struct cidr_set *s)
{
	s->n = 0;
}

int cidr_set_reserve(struct cidr_set *s, size_t want)
{
	struct cidr_range *r;
	size_t cap = s->cap != 0 ? s->cap : 64;

	if (want <= s->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	r = reallocarray(s->r, cap, sizeof(*r));
	if (r == NULL)
		return -1;
	s->r = r;
	s->cap = cap;
	return 0;
}

int cidr_set_add(struct cidr_set *s, const struct cidr_range *r)
{
	if (cidr_set_reserve(s, s->n + 1) < 0)
		return -1;
	s->r[s->n++] = *r;
	return 0;
}

/* Byte d (0 = least significant) of a's 128-bit value. */
static unsigned int cidr_addr_byte(const struct cidr_addr *a, unsigned int d)
{
	return (unsigned int)((d < 8 ? a->lo >> (8 * d) : a->hi >> (8 * (d - 8))) & 0xff);
}

/*
 * A least-significant-digit radix sort: one pass per byte of the address in which the
 * ranges differ (four at most for IPv4, whose upper twelve bytes are zero), found by one
 * scan first. glibc's qsort() is a merge sort with the same n-sized buffer, but calls the
 * comparison about 20 times per range at a million; this reads each range twice per pass.
 */
int cidr_set_sort(struct cidr_set *s)
{
	size_t count[256];
	struct cidr_range *tmp, *from, *to, *swap;
	uint64_t diff_lo = 0, diff_hi = 0;
	size_t i, sum, c;
	unsigned int d, b;

	if (s->n < 2)
		return 0;
	for (i = 1; i < s->n; i++) {
		diff_lo |= s->r[i].first.lo ^ s->r[0].first.lo;
		diff_hi |= s->r[i].first.hi ^ s->r[0].first.hi;
	}
	tmp = malloc(s->n * sizeof(*tmp));
	if (tmp == NULL) {
		errno = ENOMEM;
		return -1;
	}
	from = s->r;
	to = tmp;
	for (d = 0; d < 16; d++) {
		/* Every range has the same byte here: this pass would not move anything. */
		if (((d < 8 ? diff_lo >> (8 * d) : diff_hi >> (8 * (d - 8))) & 0xff) == 0)
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < s->n; i++)
			count[cidr_addr_byte(&from[i].first, d)]++;
		for (b = 0, sum = 0; b < 256; b++) {
			c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (i = 0; i < s->n; i++)
			to[count[cidr_addr_byte(&from[i].first, d)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != s->r)
		memcpy(s->r, from, s->n * sizeof(*s->r));
	free(tmp);
	return 0;
}

/* Tag order for merging: 0 means "never expires", the longest. */
static uint64_t cidr_tag_rank(uint64_t tag)
{
	return tag == 0 ? UINT64_MAX : tag;
}

/* A binary max-heap of range indexes by tag rank; lazy deletion by the sweep. */
struct cidr_heap {
	size_t n;
	size_t *v;
	const struct cidr_range *r;
};

static bool cidr_heap_above(const struct cidr_heap *h, size_t a, size_t b)
{
	return cidr_tag_rank(h->r[h->v[a]].tag) > cidr_tag_rank(h->r[h->v[b]].tag);
}

static void cidr_heap_swap(struct cidr_heap *h, size_t a, size_t b)
{
	size_t t = h->v[a];

	h->v[a] = h->v[b];
	h->v[b] = t;
}

static void cidr_heap_push(struct cidr_heap *h, size_t idx)
{
	size_t i = h->n++;

	h->v[i] = idx;
	while (i > 0 && cidr_heap_above(h, i, (i - 1) / 2)) {
		cidr_heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void cidr_heap_pop(struct cidr_heap *h)
{
	size_t i = 0;
	size_t c;

	h->v[0] = h->v[--h->n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && cidr_heap_above(h, c + 1, c))
			c++;
		if (!cidr_heap_above(h, c, i))
			break;
		cidr_heap_swap(h, i, c);
		i = c;
	}
}

/* Append [first, last] with tag to out, joining the previous range when it touches. */
static void cidr_emit(struct cidr_range *out, size_t *n, const struct cidr_addr *first,
		      const struct cidr_addr *last, uint64_t tag)
{
	struct cidr_range *p = *n > 0 ? &out[*n - 1] : NULL;
	struct cidr_addr next;

	if (p != NULL && p->tag == tag) {
		next = cidr_addr_inc(p->last);
		if (cidr_addr_cmp(&next, first) == 0) {
			p->last = *last;
			return;
		}
	}
	out[*n].first = *first;
	out[*n].last = *last;
	out[*n].tag = tag;
	(*n)++;
}

/*
 * Sweep in address order with a heap of the ranges covering the cursor: the segment from
 * the cursor runs until the top range ends or the next range starts, and carries the top's
 * tag. Output never has more ranges than 2n - 1, so it is written into a second array.
 */
int cidr_set_merge(struct cidr_set *s)
{
	struct cidr_heap h = {0, NULL, NULL};
	struct cidr_range *out = NULL;
	struct cidr_addr cur, end, before;
	const struct cidr_range *top;
	size_t i = 0;
	size_t n = 0;

	if (s->n < 2)
		return 0;
	if (cidr_set_sort(s) < 0)
		return -1;
	h.v = calloc(s->n, sizeof(*h.v));
	out = calloc(2 * s->n, sizeof(*out));
	if (h.v == NULL || out == NULL)
		goto err_free;
	h.r = s->r;
	while (i < s->n || h.n > 0) {
		if (h.n == 0)
			cur = s->r[i].first;
		while (i < s->n && cidr_addr_cmp(&s->r[i].first, &cur) <= 0)
			cidr_heap_push(&h, i++);
		while (h.n > 0 && cidr_addr_cmp(&s->r[h.v[0]].last, &cur) < 0)
			cidr_heap_pop(&h);
		if (h.n == 0)
			continue;
		top = &s->r[h.v[0]];
		end = top->last;
		if (i < s->n) {
			before = cidr_addr_dec(s->r[i].first);
			if (cidr_addr_cmp(&before, &end) < 0)
				end = before;
		}
		cidr_emit(out, &n, &cur, &end, top->tag);
		if (cidr_addr_is_max(&end, s->family))
			break;
		cur = cidr_addr_inc(end);
	}
	free(h.v);
	free(s->r);
	s->cap = 2 * s->n;
	s->r = out;
	s->n = n;
	return 0;

err_free:
	free(h.v);
	free(out);
	errno = ENOMEM;
	return -1;
}

/* Two pointers over both sorted sets; the remains of each range of s are emitted in order. */
int cidr_set_subtract(struct cidr_set *s, const struct cidr_set *sub)
{
	struct cidr_range *out;
	struct cidr_addr cur, last;
	size_t i, j = 0;
	size_t n = 0;
	bool done;

	if (s->n == 0 || sub->n == 0)
		return 0;
	out = calloc(s->n + sub->n, sizeof(*out));
	if (out == NULL)
		return -1;
	for (i = 0; i < s->n; i++) {
		cur = s->r[i].first;
		last = s->r[i].last;
		done = false;
		while (j < sub->n && cidr_addr_cmp(&sub->r[j].last, &cur) < 0)
			j++;
		while (!done && j < sub->n && cidr_addr_cmp(&sub->r[j].first, &last) <= 0) {
			if (cidr_addr_cmp(&sub->r[j].first, &cur) > 0) {
				out[n] = s->r[i];
				out[n].first = cur;
				out[n].last = cidr_addr_dec(sub->r[j].first);
				n++;
			}
			if (cidr_addr_cmp(&sub->r[j].last, &last) >= 0) {
				done = true;
				break;
			}
			cur = cidr_addr_inc(sub->r[j].last);
			j++;
		}
		if (!done) {
			out[n] = s->r[i];
			out[n].first = cur;
			n++;
		}
	}
	free(s->r);
	s->cap = s->n + sub->n;
	s->r = out;
	s->n = n;
	return 0;
}

bool cidr_set_contains(const struct cidr_set *s, const struct cidr_addr *a)
{
	size_t lo = 0;
	size_t hi = s->n;
	size_t mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cidr_addr_cmp(&s->r[mid].last, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && cidr_addr_cmp(&s->r[lo].first, a) <= 0;
}

bool cidr_range_to_keys(const struct cidr_range *r, int family, uint8_t *start, uint8_t *end)
{
	struct cidr_addr e;

	cidr_addr_to_bytes(&r->first, family, start);
	if (cidr_addr_is_max(&r->last, family))
		return false;
	e = cidr_addr_inc(r->last);
	cidr_addr_to_bytes(&e, family, end);
	return true;
}

int cidr_range_prefixes(const struct cidr_range *r, int family,
			int (*fn)(const struct cidr_addr *first, unsigned int len, void *arg),
			void *arg)
{
	unsigned int bits = family == 4 ? 32 : 128;
	struct cidr_addr cur = r->first;
	struct cidr_addr m, top;
	unsigned int len;
	int rc;

	for (;;) {
		/* The shortest prefix starting at cur that is aligned and ends within r. */
		for (len = 0; len < bits; len++) {
			m = cidr_hostmask(family, len);
			top.hi = cur.hi | m.hi;
			top.lo = cur.lo | m.lo;
			if ((cur.hi & m.hi) == 0 && (cur.lo & m.lo) == 0 &&
			    cidr_addr_cmp(&top, &r->last) <= 0)
				break;
		}
		m = cidr_hostmask(family, len);
		top.hi = cur.hi | m.hi;
		top.lo = cur.lo | m.lo;
		rc = fn(&cur, len, arg);
		if (rc != 0)
			return rc;
		if (cidr_addr_cmp(&top, &r->last) >= 0)
			return 0;
		cur = cidr_addr_inc(top);
	}
}

struct cidr_range cidr_prefix_of(const struct cidr_addr *a, int family, unsigned int len)
{
	struct cidr_addr m = cidr_hostmask(family, len);
	struct cidr_range r;

	r.first.hi = a->hi & ~m.hi;
	r.first.lo = a->lo & ~m.lo;
	r.last.hi = a->hi | m.hi;
	r.last.lo = a->lo | m.lo;
	r.tag = 0;
	return r;
}

const struct cidr_range *cidr_set_first_overlap(const struct cidr_set *s,
						const struct cidr_range *x)
{
	size_t lo = 0, hi = s->n, mid;

	/* The first range that ends at or after x's start. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cidr_addr_cmp(&s->r[mid].last, &x->first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && cidr_addr_cmp(&s->r[lo].first, &x->last) <= 0)
		return &s->r[lo];
	return NULL;
}

int cidr_set_overlapping(const struct cidr_set *s, const struct cidr_range *x, struct cidr_set *out)
{
	const struct cidr_range *r = cidr_set_first_overlap(s, x);
	const struct cidr_range *end = s->r + s->n;

	for (; r != NULL && r < end && cidr_addr_cmp(&r->first, &x->last) <= 0; r++)
		if (cidr_set_add(out, r) < 0)
			return -1;
	return 0;
}
