// SPDX-License-Identifier: GPL-2.0-or-later
/* How wide a ban is: an offender's prefix, and escalation to a wider prefix. Pure. */
#include "widen.h"

#include <stdlib.h>
#include <string.h>

void widen_policy_default(struct widen_policy *p)
{
	p->ban_prefix4 = 32;
	p->ban_prefix6 = 64;
	p->escalate_count = 3;
	p->escalate_prefix4 = 32;
	p->escalate_prefix6 = 48;
}

unsigned int widen_ban_len(const struct widen_policy *p, int family)
{
	unsigned int len = family == 4 ? p->ban_prefix4 : p->ban_prefix6;

	/* Unset (a policy built field by field, zeroed): the address alone, never /0. */
	return len == 0 ? (family == 4 ? 32 : 128) : len;
}

unsigned int widen_escalate_len(const struct widen_policy *p, int family)
{
	return family == 4 ? p->escalate_prefix4 : p->escalate_prefix6;
}

bool widen_escalates(const struct widen_policy *p, int family)
{
	return p->escalate_count >= 2 && widen_escalate_len(p, family) < widen_ban_len(p, family);
}

struct cidr_range widen_ban(const struct widen_policy *p, int family, const struct cidr_addr *a)
{
	return cidr_prefix_of(a, family, widen_ban_len(p, family));
}

struct cidr_range widen_esc_range(const struct widen_esc *e)
{
	return cidr_prefix_of(&e->first, e->family, e->len);
}

/*
 * One unit of one candidate escalation. A unit is narrower than its escalation prefix, so
 * sorting by family and first address puts the units of one prefix next to each other
 * (the prefix is a leading part of the address); the sort is most of the work, so the
 * record is small and the comparison inline.
 */
struct widen_unit {
	struct cidr_addr first;
	int64_t expires;
	int family;
	unsigned int len;
};

static int widen_unit_cmp(const void *a, const void *b)
{
	const struct widen_unit *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->first.hi != y->first.hi)
		return x->first.hi < y->first.hi ? -1 : 1;
	if (x->first.lo != y->first.lo)
		return x->first.lo < y->first.lo ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return 0;
}

/* The escalation prefix (first address) of unit u under p. */
static struct cidr_addr widen_unit_key(const struct widen_policy *p, const struct widen_unit *u)
{
	return cidr_prefix_of(&u->first, u->family, widen_escalate_len(p, u->family)).first;
}

static int widen_i64_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x > y ? -1 : x < y ? 1 : 0;
}

int widen_escalate(const struct widen_policy *p, const struct widen_ban *b, size_t n, int64_t now,
		   struct widen_esc **out, size_t *nout)
{
	struct widen_unit *u = NULL;
	struct widen_esc *esc = NULL;
	int64_t *exp = NULL;
	size_t nu = 0, ne = 0, i, j, k, units;
	unsigned int elen, blen;
	struct cidr_range r;
	struct cidr_addr key, kj;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	u = calloc(n, sizeof(*u));
	exp = calloc(n, sizeof(*exp));
	if (u == NULL || exp == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		if (b[i].expires <= now || !widen_escalates(p, b[i].family))
			continue;
		elen = widen_escalate_len(p, b[i].family);
		blen = widen_ban_len(p, b[i].family);
		if (b[i].len <= elen)
			continue;
		r = cidr_prefix_of(&b[i].first, b[i].family, b[i].len < blen ? b[i].len : blen);
		u[nu].family = b[i].family;
		u[nu].first = r.first;
		u[nu].len = b[i].len < blen ? b[i].len : blen;
		u[nu].expires = b[i].expires;
		nu++;
	}
	qsort(u, nu, sizeof(*u), widen_unit_cmp);
	for (i = 0; i < nu; i = j) {
		/* Units of one escalation prefix: u[i..j). */
		units = 0;
		key = widen_unit_key(p, &u[i]);
		for (j = i; j < nu; j++) {
			kj = widen_unit_key(p, &u[j]);
			if (u[j].family != u[i].family || cidr_addr_cmp(&kj, &key) != 0)
				break;
			if (j > i && cidr_addr_cmp(&u[j].first, &u[j - 1].first) == 0 &&
			    u[j].len == u[j - 1].len) {
				/* The same unit again: it lasts as long as its latest ban. */
				if (u[j].expires > exp[units - 1])
					exp[units - 1] = u[j].expires;
				continue;
			}
			exp[units++] = u[j].expires;
		}
		if (units < p->escalate_count)
			continue;
		if (esc == NULL) {
			esc = calloc(nu, sizeof(*esc));
			if (esc == NULL)
				goto err;
		}
		qsort(exp, units, sizeof(*exp), widen_i64_desc);
		k = ne++;
		esc[k].family = u[i].family;
		esc[k].first = key;
		esc[k].len = widen_escalate_len(p, u[i].family);
		esc[k].units = (unsigned int)units;
		esc[k].since = 0;
		esc[k].expires = exp[p->escalate_count - 1];
	}
	free(u);
	free(exp);
	*out = esc;
	*nout = ne;
	return 0;
err:
	free(u);
	free(exp);
	free(esc);
	return -1;
}
