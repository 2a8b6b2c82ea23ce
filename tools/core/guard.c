// SPDX-License-Identifier: GPL-2.0-or-later
/* Guards on what may enter the blocklist: entry breadth, total share, never_block. Pure. */
#include "guard.h"

#include <string.h>

double guard_share(const struct cidr_set *s)
{
	double total = 0;
	uint64_t dhi, dlo;
	size_t i;

	for (i = 0; i < s->n; i++) {
		dhi = s->r[i].last.hi - s->r[i].first.hi -
		      (s->r[i].last.lo < s->r[i].first.lo ? 1 : 0);
		dlo = s->r[i].last.lo - s->r[i].first.lo;
		/* Size = (dhi:dlo) + 1 addresses. */
		total += (double)dhi * 18446744073709551616.0 + (double)dlo + 1;
	}
	/* 2^32 and 2^128 addresses. */
	return total / (s->family == 4 ? 4294967296.0 : 340282366920938463463374607431768211456.0);
}

const struct cidr_range *guard_overlap(const struct cidr_set *s, const struct cidr_range *r)
{
	return cidr_set_first_overlap(s, r);
}

int guard_mynetworks(const char *value, struct cidr_set *v4, struct cidr_set *v6,
		     unsigned int *skipped)
{
	char tok[CIDR_TEXT_MAX], err[128];
	struct cidr_range r;
	const char *p = value, *close;
	size_t n, k;
	int family;

	while (*p != '\0') {
		p += strspn(p, " \t,\n");
		n = strcspn(p, " \t,\n");
		if (n == 0)
			break;
		/* Postfix writes IPv6 networks as "[2001:db8::]/32": drop the brackets. */
		k = 0;
		if (n < sizeof(tok) && p[0] == '[') {
			close = memchr(p, ']', n);
			if (close != NULL) {
				k = (size_t)(close - p - 1);
				memcpy(tok, p + 1, k);
				memcpy(tok + k, close + 1, n - (size_t)(close + 1 - p));
				k += n - (size_t)(close + 1 - p);
			}
		} else if (n < sizeof(tok)) {
			memcpy(tok, p, n);
			k = n;
		}
		tok[k] = '\0';
		if (k == 0 || cidr_parse(tok, &family, &r, err, sizeof(err)) < 0) {
			(*skipped)++;
		} else if (cidr_set_add(family == 4 ? v4 : v6, &r) < 0) {
			return -1;
		}
		p += n;
	}
	return 0;
}
