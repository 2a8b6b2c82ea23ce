// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync's master list and reader positions: one text file, written atomically. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "reason.h"
#include "safefile.h"
#include "strnum.h"

/* Version 2: bans are prefixes with the address seen, escalations. 1 is still read. */
#define STATE_MAGIC    "# nftarpit-sync state 2"
#define STATE_MAGIC_V1 "# nftarpit-sync state 1"

void state_policy_default(struct state_policy *p)
{
	size_t i;

	p->bantime = 86400;
	p->banmax = 30 * 86400;
	p->factor = 4;
	p->forget = 90 * 86400;
	p->max_entries = 1000000;
	for (i = 0; i < STATE_REASONS; i++) {
		p->threshold[i] = 1;
		p->window[i] = 3600;
	}
	widen_policy_default(&p->widen);
}

void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	/* sodium_init() is idempotent; randombytes_buf() cannot fail once it ran. */
	if (sodium_init() < 0)
		abort();
	randombytes_buf(st->key, sizeof(st->key));
}

void state_free(struct state *st)
{
	free(st->e);
	free(st->index);
	free(st->esc);
	admin_free(&st->admin);
	state_init(st);
}

/*
 * SipHash-2-4 under the process's random key: the addresses come from clients, and an
 * unkeyed hash lets them pick a set that all lands in one probe run (issue 13 measured
 * 40,000 such IPv6 addresses at 1,400 times the cost of random ones).
 */
static size_t state_hash(const struct state *st, int family, const struct cidr_addr *a)
{
	unsigned char in[17], out[crypto_shorthash_BYTES];
	uint64_t h;

	memcpy(in, &a->hi, 8);
	memcpy(in + 8, &a->lo, 8);
	in[16] = (unsigned char)family;
	crypto_shorthash(out, in, sizeof(in), st->key);
	memcpy(&h, out, sizeof(h));
	return (size_t)(h & (st->index_cap - 1));
}

static void state_index_put(struct state *st, size_t i)
{
	size_t h = state_hash(st, st->e[i].family, &st->e[i].addr);

	st->probes++;
	while (st->index[h] != 0) {
		h = (h + 1) & (st->index_cap - 1);
		st->probes++;
	}
	st->index[h] = (uint32_t)(i + 1);
}

/* Rebuild the index for at least want entries at half load. */
static int state_reindex(struct state *st, size_t want)
{
	size_t cap = 64;
	size_t i;
	uint32_t *idx;

	while (cap < 2 * want)
		cap *= 2;
	idx = calloc(cap, sizeof(*idx));
	if (idx == NULL)
		return -1;
	free(st->index);
	st->index = idx;
	st->index_cap = cap;
	for (i = 0; i < st->n; i++)
		state_index_put(st, i);
	return 0;
}

struct state_entry *state_find(const struct state *st, int family, const struct cidr_addr *addr,
			       unsigned int prefix)
{
	size_t h;
	struct state_entry *e;

	if (st->index_cap == 0)
		return NULL;
	h = state_hash(st, family, addr);
	while (st->index[h] != 0) {
		e = &st->e[st->index[h] - 1];
		if (e->family == family && e->prefix == prefix &&
		    cidr_addr_cmp(&e->addr, addr) == 0)
			return e;
		h = (h + 1) & (st->index_cap - 1);
	}
	return NULL;
}

static struct state_entry *state_append(struct state *st, const struct state_entry *in)
{
	struct state_entry *e;
	size_t cap;

	if (st->n == st->cap) {
		cap = st->cap != 0 ? st->cap * 2 : 256;
		e = reallocarray(st->e, cap, sizeof(*e));
		if (e == NULL)
			return NULL;
		st->e = e;
		st->cap = cap;
	}
	if (2 * (st->n + 1) > st->index_cap && state_reindex(st, st->cap) < 0)
		return NULL;
	st->e[st->n] = *in;
	state_index_put(st, st->n);
	return &st->e[st->n++];
}

static int64_t state_episode(uint32_t bans, const struct state_policy *p)
{
	int64_t d = p->bantime;
	uint32_t i;

	for (i = 1; i < bans && d < p->banmax; i++)
		d *= p->factor;
	return d < p->banmax ? d : p->banmax;
}

static int state_last_cmp(const void *a, const void *b)
{
	const struct state_entry *x = a;
	const struct state_entry *y = b;

	return x->last < y->last ? -1 : x->last > y->last;
}

/*
 * Make room in a full list: drop expired entries, least recently hit first, up to a tenth
 * of the cap (so a flood pays one sort per tenth, not one scan per address). 0, or -1 with
 * errno ENOSPC when every entry is an active ban, or ENOMEM.
 */
static int state_evict(struct state *st, int64_t now, const struct state_policy *p)
{
	struct state_entry *old;
	size_t nold = 0, want, i, k = 0, j = 0;

	for (i = 0; i < st->n; i++)
		nold += st->e[i].expires <= now;
	if (nold == 0) {
		errno = ENOSPC;
		return -1;
	}
	old = reallocarray(NULL, nold, sizeof(*old));
	if (old == NULL)
		return -1;
	for (i = 0; i < st->n; i++) {
		if (st->e[i].expires <= now)
			old[j++] = st->e[i];
	}
	qsort(old, nold, sizeof(*old), state_last_cmp);
	want = p->max_entries / 10 > 0 ? p->max_entries / 10 : 1;
	if (want > nold)
		want = nold;
	/* Entries last hit after the want-th oldest stay; ties at the boundary go too. */
	for (i = 0; i < st->n; i++) {
		if (st->e[i].expires <= now && st->e[i].last <= old[want - 1].last)
			continue;
		st->e[k++] = st->e[i];
	}
	free(old);
	st->evicted += st->n - k;
	st->n = k;
	return state_reindex(st, st->cap);
}

/*
 * A never-banned entry under a threshold: count this hit in the window (restarted when it
 * is over) and say whether the entry stays below the threshold, i.e. is not banned yet.
 */
static bool state_pending(struct state_entry *e, unsigned int reason, int64_t now,
			  const struct state_policy *p)
{
	uint32_t need = reason < STATE_REASONS ? p->threshold[reason] : 1;

	if (e->bans != 0 || need <= 1)
		return false;
	if (now - e->first > p->window[reason]) {
		e->hits = 0;
		e->first = now;
	}
	if (e->hits + 1 >= need)
		return false;
	e->hits++;
	if (now > e->last)
		e->last = now;
	e->sources |= 1u << reason;
	return true;
}

struct state_entry *state_hit(struct state *st, int family, const struct cidr_addr *addr,
			      unsigned int reason, int64_t now, const struct state_policy *p)
{
	struct cidr_range r = widen_ban(&p->widen, family, addr);
	unsigned int len = widen_ban_len(&p->widen, family);
	struct state_entry *e = state_find(st, family, &r.first, len);
	struct state_entry n;

	if (e == NULL && p->max_entries > 0 && st->n >= p->max_entries &&
	    state_evict(st, now, p) < 0)
		return NULL;
	if (e == NULL) {
		memset(&n, 0, sizeof(n));
		n.family = family;
		n.addr = r.first;
		n.prefix = len;
		n.first = now;
		e = state_append(st, &n);
		if (e == NULL)
			return NULL;
	}
	/* The latest address named, also while a threshold keeps the ban pending. */
	if (now >= e->last)
		e->seen = *addr;
	if (state_pending(e, reason, now, p))
		return e;
	if (e->bans == 0 || e->expires <= now)
		e->bans++;
	e->hits++;
	if (now > e->last)
		e->last = now;
	e->sources |= 1u << reason;
	if (e->expires < now + state_episode(e->bans, p))
		e->expires = now + state_episode(e->bans, p);
	return e;
}

int state_forget(struct state *st, int64_t now, const struct state_policy *p, size_t *gone)
{
	size_t i, k = 0;

	for (i = 0; i < st->n; i++) {
		if (st->e[i].expires <= now && st->e[i].last + p->forget <= now)
			continue;
		st->e[k++] = st->e[i];
	}
	*gone = st->n - k;
	st->n = k;
	if (*gone > 0)
		return state_reindex(st, st->cap);
	return 0;
}

struct cidr_range state_entry_range(const struct state_entry *e)
{
	return cidr_prefix_of(&e->addr, e->family, e->prefix);
}

const struct state_entry *state_covering(const struct state *st, int family,
					 const struct cidr_addr *addr, size_t *i)
{
	struct cidr_range r;

	for (; *i < st->n; (*i)++) {
		if (st->e[*i].family != family)
			continue;
		r = state_entry_range(&st->e[*i]);
		if (cidr_addr_cmp(&r.first, addr) <= 0 && cidr_addr_cmp(addr, &r.last) <= 0)
			return &st->e[(*i)++];
	}
	return NULL;
}

/*
 * widen_escalate() over the entries, or (within != NULL) only over those inside the
 * escalation prefix within: a scan that copies the few it finds. 0 or -1.
 */
static int state_esc_compute(const struct state *st, int64_t now, const struct widen_policy *p,
			     const struct widen_esc *within, struct widen_esc **out, size_t *nout)
{
	struct widen_ban *b = NULL, *grown;
	const struct state_entry *e;
	struct cidr_range w;
	struct cidr_addr host = {0, 0};
	size_t i, nb = 0, cap = within == NULL ? st->n : 0;
	int rc;

	if (within != NULL) {
		/* The host bits of within, so that the scan masks inline. */
		w = widen_esc_range(within);
		host.hi = w.first.hi ^ w.last.hi;
		host.lo = w.first.lo ^ w.last.lo;
	}

	if (cap > 0) {
		b = calloc(cap, sizeof(*b));
		if (b == NULL)
			return -1;
	}
	for (i = 0; i < st->n; i++) {
		e = &st->e[i];
		if (within != NULL && (e->family != within->family || e->prefix <= within->len ||
				       (e->addr.hi & ~host.hi) != w.first.hi ||
				       (e->addr.lo & ~host.lo) != w.first.lo))
			continue;
		if (nb == cap) {
			cap = cap > 0 ? 2 * cap : 16;
			grown = reallocarray(b, cap, sizeof(*b));
			if (grown == NULL) {
				free(b);
				return -1;
			}
			b = grown;
		}
		b[nb].family = e->family;
		b[nb].first = e->addr;
		b[nb].len = e->prefix;
		b[nb].expires = e->expires;
		nb++;
	}
	rc = widen_escalate(p, b, nb, now, out, nout);
	free(b);
	return rc;
}

/* st->esc stays sorted by family, address and length, so that lookups are binary. */
static int state_esc_cmp(const void *a, const void *b)
{
	const struct widen_esc *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = cidr_addr_cmp(&x->first, &y->first);
	if (c == 0 && x->len != y->len)
		c = x->len < y->len ? -1 : 1;
	return c;
}

/* Where e's prefix is in st->esc, or would go; *found says whether it is there. */
static size_t state_esc_index(const struct state *st, const struct widen_esc *e, bool *found)
{
	size_t lo = 0, hi = st->nesc, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (state_esc_cmp(&st->esc[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < st->nesc && state_esc_cmp(&st->esc[lo], e) == 0;
	return lo;
}

/*
 * An escalation that goes on keeps its since; a new one, or one whose predecessor had run
 * out, starts now and goes to fresh.
 */
static void state_esc_since(const struct state *st, struct widen_esc *e, int64_t now,
			    void (*fresh)(const struct widen_esc *e, void *arg), void *arg)
{
	bool found;
	size_t k = state_esc_index(st, e, &found);
	bool goes_on = found && st->esc[k].expires > now;

	e->since = goes_on ? st->esc[k].since : now;
	if (!goes_on && fresh != NULL)
		fresh(e, arg);
}

int state_escalate(struct state *st, int64_t now, const struct widen_policy *p,
		   void (*fresh)(const struct widen_esc *e, void *arg), void *arg)
{
	struct widen_esc *esc = NULL;
	size_t i, nesc = 0;

	if (state_esc_compute(st, now, p, NULL, &esc, &nesc) < 0)
		return -1;
	/* A master list edited by hand may hold them in any order. */
	if (st->nesc > 1)
		qsort(st->esc, st->nesc, sizeof(*st->esc), state_esc_cmp);
	for (i = 0; i < nesc; i++)
		state_esc_since(st, &esc[i], now, fresh, arg);
	if (nesc > 1)
		qsort(esc, nesc, sizeof(*esc), state_esc_cmp);
	free(st->esc);
	st->esc = esc;
	st->nesc = nesc;
	return 0;
}

int state_escalate_at(struct state *st, int64_t now, const struct widen_policy *p, int family,
		      const struct cidr_addr *a,
		      void (*fresh)(const struct widen_esc *e, void *arg), void *arg)
{
	struct widen_esc *esc = NULL, probe, *grown;
	size_t nesc = 0, k;
	bool found;

	if (!widen_escalates(p, family))
		return 0;
	memset(&probe, 0, sizeof(probe));
	probe.family = family;
	probe.len = widen_escalate_len(p, family);
	probe.first = cidr_prefix_of(a, family, probe.len).first;
	if (state_esc_compute(st, now, p, &probe, &esc, &nesc) < 0)
		return -1;
	k = state_esc_index(st, &probe, &found);
	if (nesc == 0) {
		free(esc);
		if (found) {
			memmove(&st->esc[k], &st->esc[k + 1],
				(st->nesc - k - 1) * sizeof(*st->esc));
			st->nesc--;
		}
		return 0;
	}
	state_esc_since(st, &esc[0], now, fresh, arg);
	if (!found) {
		grown = reallocarray(st->esc, st->nesc + 1, sizeof(*grown));
		if (grown == NULL) {
			free(esc);
			return -1;
		}
		st->esc = grown;
		memmove(&st->esc[k + 1], &st->esc[k], (st->nesc - k) * sizeof(*st->esc));
		st->nesc++;
	}
	st->esc[k] = esc[0];
	free(esc);
	return 0;
}

const char *state_ban_src_name(enum state_ban_src s)
{
	static const char *const names[STATE_BAN_SRCS] = {"log", "escalated", "admin"};

	return (unsigned int)s < STATE_BAN_SRCS ? names[s] : "?";
}

void state_count_bans(const struct state *st, int64_t now, struct state_ban_counts *c)
{
	const struct admin_entry *a;
	size_t i;
	int len;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < st->n; i++)
		if (st->e[i].expires > now && st->e[i].prefix <= 128)
			c->n[st->e[i].family == 4 ? 0 : 1][st->e[i].prefix][STATE_BAN_LOG]++;
	for (i = 0; i < st->nesc; i++)
		if (st->esc[i].expires > now && st->esc[i].len <= 128)
			c->n[st->esc[i].family == 4 ? 0 : 1][st->esc[i].len][STATE_BAN_ESCALATED]++;
	for (i = 0; i < st->admin.n; i++) {
		a = &st->admin.e[i];
		if (a->kind != ADMIN_BLOCK || !admin_active(a, now))
			continue;
		len = cidr_range_prefix_len(&a->r, a->family);
		c->n[a->family == 4 ? 0 : 1][len < 0 ? STATE_BAN_RANGE : len][STATE_BAN_ADMIN]++;
	}
}

size_t state_ban_rows(const struct state_ban_counts *c, struct state_ban_row *rows)
{
	size_t n = 0;
	int src, f, l;

	for (src = 0; src < STATE_BAN_SRCS; src++) {
		for (f = 0; f < 2; f++) {
			for (l = STATE_BAN_RANGE; l >= 0; l--) {
				if (c->n[f][l][src] == 0)
					continue;
				rows[n].src = (enum state_ban_src)src;
				rows[n].family = f == 0 ? 4 : 6;
				rows[n].len = l == STATE_BAN_RANGE ? -1 : l;
				rows[n].count = c->n[f][l][src];
				n++;
			}
		}
	}
	return n;
}

struct state_pos *state_pos_get(struct state *st, const char *path)
{
	size_t i;

	for (i = 0; i < st->npos; i++) {
		if (strcmp(st->pos[i].path, path) == 0)
			return &st->pos[i];
	}
	if (st->npos == STATE_POS_MAX || strlen(path) >= sizeof(st->pos[0].path))
		return NULL;
	memset(&st->pos[st->npos], 0, sizeof(st->pos[0]));
	memcpy(st->pos[st->npos].path, path, strlen(path) + 1);
	return &st->pos[st->npos++];
}

/* The value of "key=value" at *p, terminated in place; advances *p past it. NULL: no key. */
static char *state_value(char **p, const char *key)
{
	size_t k = strlen(key);
	char *v, *end;

	while (**p == ' ')
		(*p)++;
	if (strncmp(*p, key, k) != 0 || (*p)[k] != '=')
		return NULL;
	v = *p + k + 1;
	end = v + strcspn(v, " ");
	if (*end != '\0')
		*end++ = '\0';
	*p = end;
	return v;
}

/* "key=value" at *p, value a decimal in [min, max]; advances *p past it. */
static int state_field(char **p, const char *key, long long min, long long max, long long *out)
{
	const char *errstr;
	char *v = state_value(p, key);

	if (v == NULL)
		return -1;
	*out = strnum_parse(v, min, max, &errstr);
	return errstr != NULL ? -1 : 0;
}

static int state_parse_sources(const char *s, uint32_t *out)
{
	char err[128];
	unsigned int m;

	if (strcmp(s, "-") == 0) {
		*out = 0;
		return 0;
	}
	if (reason_parse_list(s, &m, err, sizeof(err)) < 0)
		return -1;
	*out = m;
	return 0;
}

/* "key=ADDR" at *p, an address of family inside r; advances *p past it. */
static int state_addr_field(char **p, const char *key, int family, const struct cidr_range *r,
			    struct cidr_addr *out)
{
	char *v = state_value(p, key);
	int f;

	if (v == NULL || cidr_parse_addr(v, &f, out) < 0 || f != family ||
	    cidr_addr_cmp(out, &r->first) < 0 || cidr_addr_cmp(out, &r->last) > 0)
		return -1;
	return 0;
}

/* A prefix with its host bits clear (no range, no normalising); its length or -1. */
static int state_parse_prefix(char *p, int *family, struct cidr_range *r)
{
	char err[128];

	if (cidr_parse(p, family, r, err, sizeof(err)) != CIDR_OK)
		return -1;
	return cidr_range_prefix_len(r, *family);
}

/*
 * "ban PREFIX seen=ADDR first= ..." (version 2) or "ban ADDR first= ..." (version 1,
 * single addresses before prefix bans: seen is the address itself).
 */
static int state_parse_ban(struct state *st, char *p, int version)
{
	struct state_entry e;
	struct cidr_range r;
	char *sp = strchr(p, ' ');
	long long v[6];
	static const char *const keys[] = {"first", "last", "expires", "hits", "bans"};
	int i, len;

	if (sp == NULL)
		return -1;
	*sp = '\0';
	memset(&e, 0, sizeof(e));
	len = state_parse_prefix(p, &e.family, &r);
	if (len < 0 || (version == 1 && len != (e.family == 4 ? 32 : 128)))
		return -1;
	e.addr = r.first;
	e.prefix = (unsigned int)len;
	e.seen = r.first;
	p = sp + 1;
	if (version >= 2 && state_addr_field(&p, "seen", e.family, &r, &e.seen) < 0)
		return -1;
	for (i = 0; i < 5; i++) {
		if (state_field(&p, keys[i], 0, i < 3 ? INT64_MAX : UINT32_MAX, &v[i]) < 0)
			return -1;
	}
	while (*p == ' ')
		p++;
	if (strncmp(p, "src=", 4) != 0 || state_parse_sources(p + 4, &e.sources) < 0)
		return -1;
	e.first = v[0];
	e.last = v[1];
	e.expires = v[2];
	e.hits = (uint32_t)v[3];
	e.bans = (uint32_t)v[4];
	if (state_find(st, e.family, &e.addr, e.prefix) != NULL)
		return -1;
	return state_append(st, &e) == NULL ? -1 : 0;
}

/* "escalate PREFIX since= expires= units=" */
static int state_parse_esc(struct state *st, char *p)
{
	struct widen_esc e, *grown;
	struct cidr_range r;
	char *sp = strchr(p, ' ');
	long long v[3];
	static const char *const keys[] = {"since", "expires", "units"};
	int i, len;

	if (sp == NULL)
		return -1;
	*sp = '\0';
	memset(&e, 0, sizeof(e));
	len = state_parse_prefix(p, &e.family, &r);
	if (len < 0)
		return -1;
	e.first = r.first;
	e.len = (unsigned int)len;
	p = sp + 1;
	for (i = 0; i < 3; i++) {
		if (state_field(&p, keys[i], 0, i < 2 ? INT64_MAX : UINT32_MAX, &v[i]) < 0)
			return -1;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -1;
	e.since = v[0];
	e.expires = v[1];
	e.units = (unsigned int)v[2];
	/* One at a time: a master list holds few escalations. */
	grown = reallocarray(st->esc, st->nesc + 1, sizeof(*grown));
	if (grown == NULL)
		return -1;
	st->esc = grown;
	st->esc[st->nesc++] = e;
	return 0;
}

static int state_parse_file(struct state *st, char *p)
{
	struct state_pos pos;
	long long v;

	memset(&pos, 0, sizeof(pos));
	if (state_field(&p, "dev", 0, INT64_MAX, &v) < 0)
		return -1;
	pos.dev = (uint64_t)v;
	if (state_field(&p, "ino", 0, INT64_MAX, &v) < 0)
		return -1;
	pos.ino = (uint64_t)v;
	if (state_field(&p, "off", 0, INT64_MAX, &v) < 0)
		return -1;
	pos.off = (uint64_t)v;
	if (state_field(&p, "head", 0, INT64_MAX, &v) < 0)
		return -1;
	pos.head = (uint64_t)v;
	while (*p == ' ')
		p++;
	if (strncmp(p, "path=", 5) != 0 || p[5] != '/' || strlen(p + 5) >= sizeof(pos.path) ||
	    st->npos == STATE_POS_MAX)
		return -1;
	memcpy(pos.path, p + 5, strlen(p + 5) + 1);
	st->pos[st->npos++] = pos;
	return 0;
}

int state_load(struct state *st, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0;
	bool ended = false;
	int version = 2;
	long long count;
	const char *errstr;
	const char *why = NULL;
	int rc = -1;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		len = getline(&line, &cap, f);
		if (len < 0)
			break;
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			why = "line cut short";
			goto out;
		}
		line[len - 1] = '\0';
		if (ended) {
			why = "text after the end line";
		} else if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC_V1) == 0)
				version = 1;
			else if (strcmp(line, STATE_MAGIC) != 0)
				why = "not an nftarpit-sync state file (bad first line)";
		} else if (strncmp(line, "ban ", 4) == 0) {
			if (state_parse_ban(st, line + 4, version) < 0)
				why = "bad or duplicate ban line";
		} else if (version >= 2 && strncmp(line, "escalate ", 9) == 0) {
			if (state_parse_esc(st, line + 9) < 0)
				why = "bad escalate line";
		} else if (strncmp(line, "admin ", 6) == 0) {
			if (admin_parse_line(&st->admin, line + 6) < 0)
				why = "bad admin line";
		} else if (strncmp(line, "file ", 5) == 0) {
			if (state_parse_file(st, line + 5) < 0)
				why = "bad file position line";
		} else if (strncmp(line, "cursor ", 7) == 0) {
			if (strlen(line + 7) >= sizeof(st->cursor))
				why = "journal cursor too long";
			else
				memcpy(st->cursor, line + 7, strlen(line + 7) + 1);
		} else if (strncmp(line, "end ", 4) == 0) {
			count = strnum_parse(line + 4, 0, INT64_MAX, &errstr);
			if (errstr != NULL || (size_t)count != st->n)
				why = "end line does not match the entries read";
			ended = true;
		} else {
			why = "unknown line";
		}
		if (why != NULL)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto close;
	}
	if (lineno == 0 || !ended) {
		why = "no end line: the file is cut short";
		lineno++;
		goto out;
	}
	rc = 0;
out:
	if (why != NULL)
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
close:
	free(line);
	fclose(f);
	return rc;
}

static void state_write_sources(FILE *f, uint32_t sources)
{
	unsigned int i;
	bool any = false;

	for (i = 0; i < REASON_N; i++) {
		if (sources & (1u << i)) {
			fprintf(f, "%s%s", any ? "," : "", reason_name(i));
			any = true;
		}
	}
	if (!any)
		fputc('-', f);
}

static int state_write(FILE *f, const struct state *st)
{
	char a[CIDR_TEXT_MAX], seen[64];
	struct cidr_range r;
	size_t i;

	fprintf(f, "%s\n", STATE_MAGIC);
	if (st->cursor[0] != '\0')
		fprintf(f, "cursor %s\n", st->cursor);
	for (i = 0; i < st->npos; i++)
		fprintf(f, "file dev=%llu ino=%llu off=%llu head=%llu path=%s\n",
			(unsigned long long)st->pos[i].dev, (unsigned long long)st->pos[i].ino,
			(unsigned long long)st->pos[i].off, (unsigned long long)st->pos[i].head,
			st->pos[i].path);
	for (i = 0; i < st->n; i++) {
		r = state_entry_range(&st->e[i]);
		cidr_range_format(&r, st->e[i].family, a, sizeof(a));
		cidr_addr_format(&st->e[i].seen, st->e[i].family, seen, sizeof(seen));
		fprintf(f,
			"ban %s seen=%s first=%lld last=%lld expires=%lld hits=%u bans=%u src=", a,
			seen, (long long)st->e[i].first, (long long)st->e[i].last,
			(long long)st->e[i].expires, st->e[i].hits, st->e[i].bans);
		state_write_sources(f, st->e[i].sources);
		fputc('\n', f);
	}
	for (i = 0; i < st->nesc; i++) {
		r = widen_esc_range(&st->esc[i]);
		cidr_range_format(&r, st->esc[i].family, a, sizeof(a));
		fprintf(f, "escalate %s since=%lld expires=%lld units=%u\n", a,
			(long long)st->esc[i].since, (long long)st->esc[i].expires,
			st->esc[i].units);
	}
	admin_write(f, &st->admin);
	fprintf(f, "end %zu\n", st->n);
	return ferror(f) ? -1 : 0;
}

int state_save(const struct state *st, const char *path, char *err, size_t errlen)
{
	struct safefile sf;
	FILE *f;

	if (safefile_open(&sf, path, 0600) < 0) {
		snprintf(err, errlen, "%s: temporary file: %s", path, strerror(errno));
		return -1;
	}
	f = safefile_stream(&sf);
	if (f == NULL || state_write(f, st) < 0 || safefile_commit(&sf) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		safefile_abort(&sf);
		return -1;
	}
	return 0;
}

int state_reload_admin(struct state *st, const char *path, char *err, size_t errlen)
{
	struct state disk;

	state_init(&disk);
	if (state_load(&disk, path, err, errlen) < 0) {
		state_free(&disk);
		return -1;
	}
	admin_free(&st->admin);
	st->admin = disk.admin;
	memset(&disk.admin, 0, sizeof(disk.admin));
	state_free(&disk);
	return 0;
}
