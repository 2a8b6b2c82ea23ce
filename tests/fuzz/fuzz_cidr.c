// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: cidr_set_merge and cidr_set_subtract against a brute-force model.
 * Input: one byte choosing the family and where in the address space the 80 addresses of
 * the model lie (at zero, across a 64-bit carry, at the top), one byte splitting the
 * ranges between the set and what is subtracted, then 3 bytes per range: first, length,
 * tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define SPAN 80

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	bool in[SPAN];
	uint64_t tag[SPAN];
};

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

static struct cidr_addr at(struct cidr_addr base, unsigned int off)
{
	while (off-- > 0)
		base = cidr_addr_inc(base);
	return base;
}

/* The tag that wins where ranges meet: 0 (forever) over all, else the largest. */
static void model_add(struct model *m, unsigned int first, unsigned int last, uint64_t tag)
{
	unsigned int i;

	for (i = first; i <= last; i++) {
		if (!m->in[i])
			m->tag[i] = tag;
		else if (m->tag[i] != 0 && (tag == 0 || tag > m->tag[i]))
			m->tag[i] = tag;
		m->in[i] = true;
	}
}

/* The set must be sorted, disjoint, inside the model's span, and equal to the model. */
static void compare(const struct cidr_set *s, const struct model *m, struct cidr_addr base,
		    const char *what)
{
	struct cidr_addr end = at(base, SPAN - 1);
	struct cidr_addr a = base;
	unsigned int i;
	size_t k;

	for (k = 0; k < s->n; k++) {
		const struct cidr_range *r = &s->r[k];

		check(cidr_addr_cmp(&r->first, &r->last) <= 0, what);
		check(cidr_addr_cmp(&r->first, &base) >= 0, what);
		check(cidr_addr_cmp(&r->last, &end) <= 0, what);
		if (k == 0)
			continue;
		/* Disjoint and ordered; touching only where the tags differ. */
		check(cidr_addr_cmp(&s->r[k - 1].last, &r->first) < 0, what);
		if (s->r[k - 1].tag == r->tag) {
			struct cidr_addr next = cidr_addr_inc(s->r[k - 1].last);

			check(cidr_addr_cmp(&next, &r->first) != 0, what);
		}
	}
	for (i = 0; i < SPAN; i++, a = cidr_addr_inc(a)) {
		bool found = false;

		check(cidr_set_contains(s, &a) == m->in[i], what);
		for (k = 0; k < s->n; k++) {
			if (cidr_addr_cmp(&s->r[k].first, &a) <= 0 &&
			    cidr_addr_cmp(&a, &s->r[k].last) <= 0) {
				check(!found && s->r[k].tag == m->tag[i], what);
				found = true;
			}
		}
		check(found == m->in[i], what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cidr_addr bases[] = {
		{0, 0},
		{0, UINT32_MAX - SPAN + 1},
		{0, UINT64_MAX - SPAN / 2},
		{UINT64_MAX, UINT64_MAX - SPAN + 1},
	};
	struct model ma, mb, mdiff;
	struct cidr_set a, b;
	struct cidr_addr base;
	unsigned int i, split;
	size_t nr;
	int family;

	if (size < 2)
		return 0;
	family = (data[0] & 4) ? 6 : 4;
	base = bases[data[0] & 3];
	if (family == 4 && (data[0] & 3) > 1)
		base = bases[1];
	split = data[1];
	data += 2;
	size -= 2;
	nr = size / 3;
	if (nr > 64)
		return 0;
	memset(&ma, 0, sizeof(ma));
	memset(&mb, 0, sizeof(mb));
	cidr_set_init(&a, family);
	cidr_set_init(&b, family);
	for (i = 0; i < nr; i++) {
		unsigned int first = data[3 * i] % SPAN;
		unsigned int last = first + data[3 * i + 1] % 24;
		struct cidr_range r;

		if (last >= SPAN)
			last = SPAN - 1;
		r.first = at(base, first);
		r.last = at(base, last);
		r.tag = data[3 * i + 2] % 4;
		if (i < split % (nr + 1)) {
			model_add(&ma, first, last, r.tag);
			check(cidr_set_add(&a, &r) == 0, "add");
		} else {
			model_add(&mb, first, last, r.tag);
			check(cidr_set_add(&b, &r) == 0, "add");
		}
	}
	check(cidr_set_merge(&a) == 0, "merge");
	compare(&a, &ma, base, "merge differs from the model");
	check(cidr_set_merge(&a) == 0, "merge");
	compare(&a, &ma, base, "merge is not idempotent");
	check(cidr_set_merge(&b) == 0, "merge");
	compare(&b, &mb, base, "merge differs from the model");
	mdiff = ma;
	for (i = 0; i < SPAN; i++)
		mdiff.in[i] = ma.in[i] && !mb.in[i];
	check(cidr_set_subtract(&a, &b) == 0, "subtract");
	compare(&a, &mdiff, base, "subtract differs from the model");
	cidr_set_free(&a);
	cidr_set_free(&b);
	return 0;
}
