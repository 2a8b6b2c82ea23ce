// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: cidr_parse() on any text; what it accepts must format and parse back
 * to the same range, and split into prefixes that cover exactly that range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	struct cidr_addr next; /* the first address the next prefix must start at */
	int family;
	struct cidr_addr max;
	bool done; /* a prefix reached the family's last address */
};

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

static int prefix_cb(const struct cidr_addr *first, unsigned int len, void *arg)
{
	struct walk *w = arg;
	unsigned int bits = w->family == 4 ? 32 : 128;
	struct cidr_addr last = *first;
	unsigned int i;

	check(!w->done && len <= bits, "prefix after the end, or too long");
	check(cidr_addr_cmp(first, &w->next) == 0, "prefixes not contiguous");
	/* last = first with the host bits set; first must have them clear. */
	for (i = 0; i < bits - len; i++) {
		if (i < 64) {
			check(!(first->lo & (1ull << i)), "prefix with host bits");
			last.lo |= 1ull << i;
		} else {
			check(!(first->hi & (1ull << (i - 64))), "prefix with host bits");
			last.hi |= 1ull << (i - 64);
		}
	}
	if (cidr_addr_cmp(&last, &w->max) == 0)
		w->done = true;
	else
		w->next = cidr_addr_inc(last);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[CIDR_TEXT_MAX], err[128];
	struct cidr_range r, back;
	uint8_t start[16], end[16];
	int family, family2, rc;
	struct walk w;
	char *s;

	if (size > 200)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = cidr_parse(s, &family, &r, err, sizeof(err));
	free(s);
	if (rc < 0) {
		check(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0', "no error text");
		return 0;
	}
	check(rc == CIDR_OK || rc == CIDR_HOSTBITS, "result");
	check(family == 4 || family == 6, "family");
	check(cidr_addr_cmp(&r.first, &r.last) <= 0, "first > last");
	if (family == 4)
		check(r.last.hi == 0 && r.last.lo <= UINT32_MAX, "IPv4 beyond 32 bits");
	cidr_range_format(&r, family, text, sizeof(text));
	rc = cidr_parse(text, &family2, &back, err, sizeof(err));
	check(rc == CIDR_OK, "our own text does not parse");
	check(family2 == family && cidr_addr_cmp(&back.first, &r.first) == 0 &&
		      cidr_addr_cmp(&back.last, &r.last) == 0,
	      "format and parse do not round-trip");
	cidr_range_to_keys(&r, family, start, end);
	memset(&w, 0, sizeof(w));
	w.family = family;
	w.next = r.first;
	w.max = cidr_addr_max(family);
	check(cidr_range_prefixes(&r, family, prefix_cb, &w) == 0, "prefixes");
	if (w.done) {
		check(cidr_addr_cmp(&r.last, &w.max) == 0, "prefixes run past the range");
	} else {
		struct cidr_addr last = cidr_addr_dec(w.next);

		check(cidr_addr_cmp(&last, &r.last) == 0, "prefixes do not end at the range's end");
	}
	return 0;
}
