// SPDX-License-Identifier: GPL-2.0-or-later
/* One nftarpit-sync run: sources -> master list -> one transaction (follow mode: follow.c). */
#include "sync_run.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "export.h"
#include "guard.h"
#include "input.h"
#include "kset.h"
#include "lapi.h"
#include "listfile.h"
#include "listread.h"
#include "log.h"
#include "never.h"
#include "nftx.h"
#include "snap.h"
#include "watch.h"

static struct cidr_set *sync_own(struct sync_run *r, int family)
{
	return &r->own[family == 4 ? 0 : 1];
}

/* Whether a is on our side: ours, allowlisted, or unblocked by the admin. */
static bool sync_exempt(struct sync_run *r, int family, const struct cidr_addr *a)
{
	if (cidr_set_contains(sync_own(r, family), a))
		return true;
	if (admin_covering(&r->st.admin, ADMIN_UNBLOCK, family, a, r->now) != NULL ||
	    admin_covering(&r->st.admin, ADMIN_ALLOW, family, a, r->now) != NULL)
		return true;
	return cidr_set_contains(&r->want[sync_allow(family)], a);
}

/* Add ban x of family to s[0] (IPv4) or s[1] (IPv6), its expiry as tag if kernel_timeouts. */
static int sync_add_ban(struct sync_run *r, struct cidr_set *s, int family,
			const struct cidr_range *x, int64_t expires)
{
	struct cidr_range y = *x;

	y.tag = r->c->kernel_timeouts ? (uint64_t)expires : 0;
	return cidr_set_add(&s[family == 4 ? 0 : 1], &y);
}

/* Follow mode: send range x (tag = expiry) with the next small transaction. */
int sync_pend(struct sync_run *r, int family, const struct cidr_range *x, int64_t expires)
{
	return sync_add_ban(r, r->pending, family, x, expires);
}

/*
 * Whether a ban widened to x reaches into this host's own network (unless forced). The
 * neighbours there are ours to judge, not the log's: the ban stays the address alone, and
 * no escalation covers it. (This host's addresses themselves are subtracted anyway.)
 */
static bool sync_holds_own(struct sync_run *r, int family, const struct cidr_range *x)
{
	return !r->c->force && cidr_set_first_overlap(sync_own(r, family), x) != NULL;
}

/* Drop the escalations that would cover this host's own network (sync_holds_own). */
static void sync_drop_own_esc(struct sync_run *r)
{
	struct cidr_range x;
	size_t i, k = 0;

	for (i = 0; i < r->st.nesc; i++) {
		x = widen_esc_range(&r->st.esc[i]);
		if (!sync_holds_own(r, r->st.esc[i].family, &x))
			r->st.esc[k++] = r->st.esc[i];
	}
	r->st.nesc = k;
}

/* A prefix escalated (state_escalate): say why, and in follow mode ban it at once. */
static void sync_on_escalate(const struct widen_esc *esc, void *arg)
{
	struct sync_run *r = arg;
	struct cidr_range x = widen_esc_range(esc), u;
	char p[CIDR_TEXT_MAX], banned[8 * CIDR_TEXT_MAX], one[CIDR_TEXT_MAX];
	size_t i, len = 0, shown = 0;
	const struct state_entry *e;

	banned[0] = '\0';
	cidr_range_format(&x, esc->family, p, sizeof(p));
	if (sync_holds_own(r, esc->family, &x)) {
		log_info("escalate refused prefix=%s reason=holds_this_host units=%u", p,
			 esc->units);
		return;
	}
	/* The bans inside it, as evidence; a few are enough for a log line. */
	for (i = 0; i < r->st.n && shown < 6 && len < sizeof(banned); i++) {
		e = &r->st.e[i];
		u = state_entry_range(e);
		if (e->family != esc->family || e->expires <= r->now || e->prefix <= esc->len ||
		    cidr_addr_cmp(&u.first, &x.first) < 0 || cidr_addr_cmp(&u.last, &x.last) > 0)
			continue;
		cidr_range_format(&u, esc->family, one, sizeof(one));
		len += (size_t)snprintf(banned + len, sizeof(banned) - len, "%s%s",
					shown > 0 ? "," : "", one);
		shown++;
	}
	log_info("escalate prefix=%s reason=banned_prefixes_inside units=%u escalate_count=%u "
		 "banned=%s%s expires_in=%llds",
		 p, esc->units, r->c->policy.widen.escalate_count, banned,
		 esc->units > shown ? ",..." : "", (long long)(esc->expires - r->now));
	if (r->follow_phase && sync_pend(r, esc->family, &x, esc->expires) < 0)
		log_warn("escalating %s", p);
}

static int sync_on_hit(const struct mlog_hit *hit, void *arg)
{
	struct sync_run *r = arg;
	struct state_entry *e;
	struct state_policy pol = r->c->policy;
	struct cidr_range x = widen_ban(&pol.widen, hit->family, &hit->addr);
	char a[64], pfx[CIDR_TEXT_MAX];
	bool was_active;
	int rc;

	cidr_addr_format(&hit->addr, hit->family, a, sizeof(a));
	if (!r->c->force && cidr_set_contains(&r->never[hit->family == 4 ? 0 : 1], &hit->addr)) {
		r->never_hits++;
		log_warnx("never_block src=%s reason=%s detail=%s source=log: not banned", a,
			  reason_name(hit->reason), hit->detail);
		return 0;
	}
	if (!r->c->force && sync_exempt(r, hit->family, &hit->addr)) {
		r->ignored++;
		log_debug("hit ignored src=%s reason=%s (own or allowlisted)", a,
			  reason_name(hit->reason));
		return 0;
	}
	if (cidr_addr_cmp(&x.first, &x.last) != 0 && sync_holds_own(r, hit->family, &x)) {
		pol.widen.ban_prefix4 = 32;
		pol.widen.ban_prefix6 = 128;
		x = widen_ban(&pol.widen, hit->family, &hit->addr);
	}
	e = state_find(&r->st, hit->family, &x.first, widen_ban_len(&pol.widen, hit->family));
	was_active = e != NULL && e->expires > r->now;
	/* Traps and the admin's own patterns bring their own first ban (issue 19). */
	if (hit->bantime > 0) {
		pol.bantime = hit->bantime;
		if (pol.banmax < pol.bantime)
			pol.banmax = pol.bantime;
	}
	e = state_hit(&r->st, hit->family, &hit->addr, hit->reason, r->now, &pol);
	if (e == NULL && errno == ENOSPC) {
		/* Full of active bans: they stay, the newcomer waits (state.h). */
		if (r->capped++ == 0)
			log_warnx("master list full max_offenders=%zu: new offender src=%s "
				  "reason=%s not banned (active bans are kept; counted as "
				  "capped=)",
				  r->c->policy.max_entries, a, reason_name(hit->reason));
		return 0;
	}
	if (e == NULL)
		return -1;
	if (e->expires <= r->now) {
		/* Under its pattern's threshold (state.h): counted, not banned yet. */
		log_debug("hit src=%s reason=%s hits=%u below threshold=%u", a,
			  reason_name(hit->reason), e->hits, r->c->policy.threshold[hit->reason]);
		return 0;
	}
	if (!r->follow_phase) {
		log_debug("hit src=%s reason=%s detail=%s hits=%u", a, reason_name(hit->reason),
			  hit->detail, e->hits);
		return 0;
	}
	cidr_range_format(&x, hit->family, pfx, sizeof(pfx));
	log_info("ban src=%s reason=%s prefix=%s detail=%s hits=%u bans=%u expires_in=%llds", a,
		 reason_name(hit->reason), pfx, hit->detail, e->hits, e->bans,
		 (long long)(e->expires - r->now));
	if (!was_active && sync_pend(r, hit->family, &x, e->expires) < 0)
		return -1;
	/* Its wider prefix may now hold enough banned ones. */
	rc = state_escalate_at(&r->st, r->now, &r->c->policy.widen, hit->family, &hit->addr,
			       sync_on_escalate, r);
	sync_drop_own_esc(r);
	return rc;
}

/* One list file into v4/v6 (with g, guarded as a blocklist), its counts into the summary's. */
static int sync_read_list(struct sync_run *r, const struct sync_list *l, struct cidr_set *v4,
			  struct cidr_set *v6, struct listread_guard *g)
{
	struct listread_counts n = {0};
	int rc = listread_guarded(l->path, l->fmt, v4, v6, &n, g);

	r->in.entries += n.entries;
	r->in.bad += n.bad;
	return rc;
}

/*
 * Allowlists: an entry broader than the limit would switch the tarpit off for a large part
 * of the Internet by one typo, so it is refused (reported and counted) unless forced.
 */
static int sync_read_allows(struct sync_run *r)
{
	const struct sync_conf *c = r->c;
	struct cidr_set t[2];
	char text[CIDR_TEXT_MAX];
	unsigned int i, f;
	size_t k;
	int rc = -1;

	for (i = 0; i < c->nallows; i++) {
		cidr_set_init(&t[0], 4);
		cidr_set_init(&t[1], 6);
		if (sync_read_list(r, &c->allows[i], &t[0], &t[1], NULL) < 0)
			goto out;
		for (f = 0; f < 2; f++) {
			for (k = 0; k < t[f].n; k++) {
				if (!c->force && cidr_range_broader(&t[f].r[k], f == 0 ? 4 : 6,
								    f == 0 ? c->allow_limit4
									   : c->allow_limit6)) {
					cidr_range_format(&t[f].r[k], f == 0 ? 4 : 6, text,
							  sizeof(text));
					log_warnx("%s: allowlist entry %s is broader than /%u: "
						  "refused (--force to accept)",
						  c->allows[i].path, text,
						  f == 0 ? c->allow_limit4 : c->allow_limit6);
					r->refused++;
					r->in.bad++;
					continue;
				}
				if (cidr_set_add(&r->want[sync_allow(f == 0 ? 4 : 6)], &t[f].r[k]) <
				    0)
					goto out;
			}
		}
		cidr_set_free(&t[0]);
		cidr_set_free(&t[1]);
	}
	return cidr_set_merge(&r->want[sync_allow(4)]) < 0 ||
			       cidr_set_merge(&r->want[sync_allow(6)]) < 0
		       ? -1
		       : 0;
out:
	cidr_set_free(&t[0]);
	cidr_set_free(&t[1]);
	return rc;
}

/* Read every log source into the master list. Missing logs are warned about, not fatal. */
void sync_read_logs(struct sync_run *r, struct input_journal **jp, int wait_ms)
{
	const struct sync_conf *c = r->c;
	struct state_pos *pos;
	unsigned int i;

	for (i = 0; i < c->nlogs; i++) {
		if (strcmp(c->logs[i], "-") == 0) {
			if (!r->follow_phase)
				(void)input_read_fd(0, "stdin", &c->mlog, sync_on_hit, r, &r->in);
			continue;
		}
		pos = state_pos_get(&r->st, c->logs[i]);
		if (pos == NULL) {
			log_warnx("%s: too many log files to remember", c->logs[i]);
			continue;
		}
		(void)input_read_log(c->logs[i], pos, &c->mlog, sync_on_hit, r, &r->in);
	}
	if (c->journal)
		(void)input_read_journal(jp, c->journal_file, (char(*)[128])c->matches, c->nmatches,
					 (char(*)[128])c->trust, c->ntrust, r->st.cursor,
					 sizeof(r->st.cursor), wait_ms, &c->mlog, sync_on_hit, r,
					 &r->in);
}

/*
 * Name each range of keep that some range of raw (any order) overlaps: it is left out (the
 * attempts were counted where their source was read). keep is small (this host's
 * addresses, never_block): a scan of raw per range costs less than merging a million.
 */
static void sync_keep_out(const struct cidr_set *raw, const struct cidr_set *keep, const char *what)
{
	char text[CIDR_TEXT_MAX];
	size_t i, k;

	for (i = 0; i < keep->n; i++) {
		for (k = 0; k < raw->n; k++)
			if (cidr_addr_cmp(&raw->r[k].first, &keep->r[i].last) <= 0 &&
			    cidr_addr_cmp(&keep->r[i].first, &raw->r[k].last) <= 0)
				break;
		if (k == raw->n)
			continue;
		cidr_range_format(&keep->r[i], raw->family, text, sizeof(text));
		log_warnx("blocklist covers %s %s: left out (--force to block it anyway)", what,
			  text);
	}
}

/* The whole blocklist of family f as one merged set (exports, the share guard). */
static int sync_blocklist(const struct sync_run *r, int f, struct cidr_set *out)
{
	const struct cidr_set *h = &r->want[sync_host(f)];
	const struct cidr_set *n = &r->want[sync_net(f)];

	cidr_set_clear(out);
	if (cidr_set_reserve(out, h->n + n->n) < 0)
		return -1;
	/* Empty sets have no array: memcpy() must not be given NULL (UBSan). */
	if (h->n > 0)
		memcpy(out->r, h->r, h->n * sizeof(*h->r));
	if (n->n > 0)
		memcpy(out->r + h->n, n->r, n->n * sizeof(*n->r));
	out->n = h->n + n->n;
	return cidr_set_merge(out);
}

/* Copy merged set s into out (cleared first). */
static int sync_copy(const struct cidr_set *s, struct cidr_set *out)
{
	cidr_set_clear(out);
	if (cidr_set_reserve(out, s->n) < 0)
		return -1;
	if (s->n > 0)
		memcpy(out->r, s->r, s->n * sizeof(*s->r));
	out->n = s->n;
	return 0;
}

/*
 * One family's blocklist sets from raw (every source): never_block out unless forced, then
 * the admin's blocks in (a forced block stays the admin's word), then the allowlist, the
 * admin's unblocks and (unless forced) this host's addresses out; listset_layout_take()
 * puts each range in its set. What never_block leaves goes back into raw without a copy
 * (hosts' array, which was raw's, then the ranges appended).
 */
static int sync_layout_family(struct sync_run *r, int f)
{
	const struct sync_conf *c = r->c;
	struct cidr_set *raw = &r->raw[f == 4 ? 0 : 1];
	struct cidr_set *never = &r->never[f == 4 ? 0 : 1];
	struct cidr_set *own = &r->own[f == 4 ? 0 : 1];
	struct cidr_set *hosts = &r->want[sync_host(f)];
	struct cidr_set *nets = &r->want[sync_net(f)];
	struct cidr_set cut, all;
	size_t i;
	int rc = -1;

	cidr_set_init(&cut, f);
	cidr_set_init(&all, f);
	if (!c->force && never->n > 0) {
		sync_keep_out(raw, never, "never_block");
		if (listset_layout_take(raw, never, hosts, nets) < 0)
			goto out;
		cidr_set_free(raw);
		*raw = *hosts;
		cidr_set_init(hosts, f);
		for (i = 0; i < nets->n; i++)
			if (cidr_set_add(raw, &nets->r[i]) < 0)
				goto out;
	}
	/*
	 * The admin's blocks carry their own expiry into the kernel, and the admin's
	 * unblocks win over every source until they expire (nftarpitctl block/unblock).
	 */
	if (admin_ranges(&r->st.admin, ADMIN_BLOCK, f, r->now, raw) < 0 ||
	    admin_ranges(&r->st.admin, ADMIN_UNBLOCK, f, r->now, &cut) < 0 ||
	    sync_copy(&r->want[sync_allow(f)], &all) < 0)
		goto out;
	for (i = 0; i < all.n; i++)
		if (cidr_set_add(&cut, &all.r[i]) < 0)
			goto out;
	if (!c->force) {
		sync_keep_out(raw, own, "this host's address");
		for (i = 0; i < own->n; i++)
			if (cidr_set_add(&cut, &own->r[i]) < 0)
				goto out;
	}
	/* Only coverage matters in cut: the tags go, so that the merge joins everything. */
	for (i = 0; i < cut.n; i++)
		cut.r[i].tag = 0;
	if (cidr_set_merge(&cut) < 0 || listset_layout_take(raw, &cut, hosts, nets) < 0)
		goto out;
	rc = 0;
out:
	/* Laid out, the million ranges are not needed again before the commit. */
	cidr_set_free(raw);
	cidr_set_init(raw, f);
	cidr_set_free(&cut);
	cidr_set_free(&all);
	return rc;
}

/*
 * The wanted blocklists: lists (never expire) and active offenders (expire), in their
 * sets (hosts or ranges), minus the allowlists, minus this host's addresses unless forced.
 */
static int sync_build_want(struct sync_run *r)
{
	const struct sync_conf *c = r->c;
	struct cidr_range x;
	struct listread_guard g = {0};
	size_t i;
	int f;

	/* The admin's allow entries join the allowlists (nftarpitctl unblock --allow). */
	for (f = 4; f <= 6; f += 2)
		if (admin_ranges(&r->st.admin, ADMIN_ALLOW, f, r->now, &r->want[sync_allow(f)]) <
			    0 ||
		    cidr_set_merge(&r->want[sync_allow(f)]) < 0)
			return -1;
	g.limit4 = c->force ? 0 : c->list_limit4;
	g.limit6 = c->force ? 0 : c->list_limit6;
	g.never = r->never;
	for (i = 0; i < c->nlists; i++) {
		if (sync_read_list(r, &c->lists[i], &r->raw[0], &r->raw[1], &g) < 0)
			return -1;
	}
	r->refused += g.refused;
	r->never_hits += g.never_hits;
	for (i = 0; i < r->st.n; i++) {
		x = state_entry_range(&r->st.e[i]);
		if (r->st.e[i].expires > r->now &&
		    sync_add_ban(r, r->raw, r->st.e[i].family, &x, r->st.e[i].expires) < 0)
			return -1;
	}
	/* Escalated prefixes: subtracted from like every other ban below. */
	for (i = 0; i < r->st.nesc; i++) {
		x = widen_esc_range(&r->st.esc[i]);
		if (r->st.esc[i].expires > r->now &&
		    sync_add_ban(r, r->raw, r->st.esc[i].family, &x, r->st.esc[i].expires) < 0)
			return -1;
	}
	/* The fleet's decisions: a source like the others, so allowlists and limits apply. */
	if (r->cs != NULL &&
	    lapi_want(r->cs, r->now, c->kernel_timeouts, &r->raw[0], &r->raw[1]) < 0)
		return -1;
	for (f = 4; f <= 6; f += 2)
		if (sync_layout_family(r, f) < 0)
			return -1;
	return 0;
}

/*
 * Whether the blocklist covers more than block_max_share of either family: one bad list or
 * a run of forged hits must not tarpit a large part of the Internet. Logged; 0 or -1.
 */
static int sync_share_ok(struct sync_run *r)
{
	const struct cidr_set *h, *n;
	double share, space;
	size_t i, alone;
	int f;

	if (r->c->force)
		return 0;
	for (f = 4; f <= 6; f += 2) {
		/* The ranges (disjoint), plus the hosts no range holds. */
		h = &r->want[sync_host(f)];
		n = &r->want[sync_net(f)];
		for (i = 0, alone = 0; i < h->n; i++)
			alone += cidr_set_first_overlap(n, &h->r[i]) == NULL;
		space = f == 4 ? 4294967296.0 : 340282366920938463463374607431768211456.0;
		share = guard_share(n) + (double)alone / space;
		if (share * 100 <= r->c->block_max_share)
			continue;
		log_warnx("blocklist would cover %.3f%% of the IPv%d address space, more than "
			  "block_max_share = %u%%: run refused, nothing applied (--force to "
			  "apply)",
			  share * 100, f, r->c->block_max_share);
		return -1;
	}
	return 0;
}

/* Send ops as one transaction (kset_commit()); the exit code of a refusal. */
int sync_apply(struct sync_run *r, const struct kset_op *ops, size_t nops)
{
	struct kset_refusal ref;

	if (kset_commit(r->x, ops, nops, r->now, &ref) == 0)
		return SYNC_EXIT_OK;
	if (ref.error == 0)
		return SYNC_EXIT_ERROR;
	r->kernel_error = ref.error;
	return ref.error == ENOENT && strncmp(ref.what, "flush set", 9) == 0 ? SYNC_EXIT_NORULESET
									     : SYNC_EXIT_KERNEL;
}

/*
 * Drop ranges about to expire in the kernel: they leave by themselves. When one of them is
 * wanted again (a comeback within the grace time), re-adding it is a no-op while the old
 * element lives, and it may then expire behind our back: the snapshot is not trusted after
 * this run, so the next run reads the kernel and adds it again.
 */
static void sync_drop_expiring(struct sync_run *r, struct cidr_set *s, const struct cidr_set *want)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		if (s->r[i].tag != 0 && (int64_t)s->r[i].tag <= r->now + SYNC_EXPIRY_GRACE) {
			if (cidr_set_contains(want, &s->r[i].first))
				r->snap_doubt = true;
			continue;
		}
		s->r[k++] = s->r[i];
	}
	s->n = k;
}

/*
 * What the kernel holds (kset_have(): our snapshot while the generation is ours, else the
 * sets read back), without what is about to expire. 0, or an exit code.
 */
static int sync_have(struct sync_run *r, uint32_t *gen, struct cidr_set *have, bool *from_snap)
{
	const char *missing;
	int i;

	if (kset_have(r->x, r->snap, r->now, have, gen, from_snap, &missing) < 0) {
		if (missing != NULL) {
			log_warnx("set inet nftarpit %s is missing: run nftarpitctl setup",
				  missing);
			return SYNC_EXIT_NORULESET;
		}
		log_warn("reading the list sets");
		return SYNC_EXIT_ERROR;
	}
	for (i = 0; i < SET_COUNT; i++)
		sync_drop_expiring(r, &have[i], &r->want[i]);
	return 0;
}

/* Remember what our commit left, if the generation proves nobody else committed. */
static void sync_snapshot(struct sync_run *r, uint32_t before, bool committed)
{
	r->gen = r->snap_doubt ? 0 : kset_gen_ours(r->x, before, committed);
	/* With generation 0 the content is kept for nftarpitctl setup, trusted by no run. */
	(void)snap_save(r->snap, r->gen, r->want);
}

/*
 * Compare with the kernel and apply: a delta, or with c->replace a flush and add of every
 * set (nothing is read back then). One transaction either way.
 */
static int sync_kernel(struct sync_run *r, char *summary, size_t len)
{
	const struct sync_conf *c = r->c;
	struct cidr_set have[SET_COUNT];
	struct kset_diff d[SET_COUNT];
	struct kset_op ops[SET_COUNT];
	size_t added = 0, removed = 0, kept = 0, refreshed = 0;
	bool from_snap = false;
	struct timespec t0;
	uint32_t gen = 0;
	bool replace = c->replace || r->replace;
	int i, rc = SYNC_EXIT_ERROR;

	for (i = 0; i < SET_COUNT; i++) {
		cidr_set_init(&have[i], listsets[i].family);
		kset_diff_init(&d[i], listsets[i].family);
	}
	if (replace && kset_genid(r->x, &gen) < 0)
		gen = 0;
	if (!replace) {
		rc = sync_have(r, &gen, have, &from_snap);
		if (rc != 0)
			goto out;
	}
	for (i = 0; i < SET_COUNT; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].set = (enum listset_id)i;
		if (replace) {
			ops[i].flush = true;
			ops[i].add = &r->want[i];
			added += r->want[i].n;
			continue;
		}
		if (kset_diff_compute(&have[i], &r->want[i], &d[i]) < 0)
			goto out;
		ops[i].del = &d[i].del;
		ops[i].add = &d[i].add;
		added += d[i].add.n - d[i].refreshed;
		removed += d[i].del.n - d[i].refreshed;
		kept += d[i].kept;
		refreshed += d[i].refreshed;
		if (c->dry_run)
			export_print_diff(stdout, listsets[i].name, &d[i], &r->want[i],
					  r->c->verbose > 0, r->now);
	}
	snprintf(summary, len,
		 "mode=%s kernel_read=%s added=%zu removed=%zu kept=%zu refreshed=%zu",
		 replace ? "replace" : "delta",
		 replace     ? "none"
		 : from_snap ? "snapshot"
			     : "dump",
		 added, removed, kept, refreshed);
	if (c->dry_run && replace) {
		for (i = 0; i < SET_COUNT; i++) {
			printf("%s: flush, add=%zu\n", listsets[i].name, r->want[i].n);
			export_print_set(stdout, "+", &r->want[i], r->now);
		}
	}
	if (c->dry_run) {
		rc = SYNC_EXIT_OK;
		goto out;
	}
	if (!replace && added + removed + refreshed == 0) {
		rc = SYNC_EXIT_OK;
		if (!from_snap)
			sync_snapshot(r, gen, false);
		else
			r->gen = gen;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sync_apply(r, ops, SET_COUNT);
	r->commit_ms = sync_ms(&t0);
	if (rc == SYNC_EXIT_OK)
		sync_snapshot(r, gen, true);
out:
	for (i = 0; i < SET_COUNT; i++) {
		cidr_set_free(&have[i]);
		kset_diff_free(&d[i]);
	}
	return rc;
}

/* The lists as nft text for nftarpit.nft's include: what the kernel holds after our commit. */
void sync_write_lists(struct sync_run *r)
{
	char path[PATH_MAX];

	sync_conf_lists_nft(r->c, path, sizeof(path));
	/* Written through safefile: as root, the file goes to the directory's owner. */
	if (path[0] != '\0')
		(void)listfile_write(path, r->want, r->now);
}

static void sync_export(struct sync_run *r)
{
	bool plain = r->c->export_plain[0] != '\0';
	bool rbl = r->c->export_rbldnsd[0] != '\0';
	struct cidr_set b[2];

	cidr_set_init(&b[0], 4);
	cidr_set_init(&b[1], 6);
	if ((plain || rbl) &&
	    (sync_blocklist(r, 4, &b[0]) < 0 || sync_blocklist(r, 6, &b[1]) < 0)) {
		log_warn("exports");
		plain = false;
		rbl = false;
	}
	if (plain)
		(void)export_plain(r->c->export_plain, &b[0], &b[1]);
	if (rbl)
		(void)export_rbldnsd(r->c->export_rbldnsd, &b[0], &b[1]);
	cidr_set_free(&b[0]);
	cidr_set_free(&b[1]);
	sync_write_lists(r);
}

/*
 * Save the master list. In follow mode the lock is taken here, and the admin's entries
 * are read back first: nftarpitctl may have changed them since we loaded the file.
 */
int sync_save(struct sync_run *r)
{
	char err[PATH_MAX + 128];
	int lock = -1;
	int rc = 0;

	if (r->c->dry_run)
		return 0;
	if (r->follow_phase) {
		lock = admin_lock(r->c->state, 30000);
		if (lock < 0 && errno != ENOENT) {
			log_warn("locking the master list %s", r->c->state);
			return -1;
		}
		if (state_reload_admin(&r->st, r->c->state, err, sizeof(err)) < 0)
			log_warnx("re-reading the admin entries: %s", err);
	}
	if (state_save(&r->st, r->c->state, err, sizeof(err)) < 0) {
		log_warnx("saving the master list: %s", err);
		rc = -1;
	}
	admin_unlock(lock);
	return rc;
}

/* Our own bans to the LAPI (a failed push is retried later), and a debug line. */
void sync_crowdsec_push(struct sync_run *r)
{
	char line[512];

	(void)lapi_push(r->cs, &r->st, r->now);
	lapi_summary(r->cs, line, sizeof(line));
	log_debug("crowdsec %s", line);
}

/*
 * One full pass, with the master list loaded and locked (r->lock): allowlists, new log
 * lines, expiry, lists, the kernel, the master list saved, one summary line. Unlocks.
 */
int sync_pass(struct sync_run *r, struct input_journal **jp)
{
	const struct sync_conf *c = r->c;
	char summary[256] = "mode=none";
	struct timespec t0;
	size_t expired = 0, active = 0, i;
	int rc = SYNC_EXIT_ERROR;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sync_read_allows(r) < 0)
		goto out;
	sync_read_logs(r, jp, 0);
	/*
	 * The LAPI refusing our key or sending what is not its stream is fatal in a run
	 * (nothing applied, exit 1); unreachable is not: the held decisions stay in the sets.
	 */
	if (r->cs != NULL && lapi_pull(r->cs, &r->st, r->now, NULL) == LAPI_REFUSED &&
	    !r->follow_phase && !c->follow) {
		rc = SYNC_EXIT_ERROR;
		goto out;
	}
	if (state_forget(&r->st, r->now, &c->policy, &expired) < 0 ||
	    state_escalate(&r->st, r->now, &c->policy.widen, sync_on_escalate, r) < 0)
		goto out;
	sync_drop_own_esc(r);
	if (sync_build_want(r) < 0)
		goto out;
	if (sync_share_ok(r) < 0)
		goto out;
	for (i = 0; i < r->st.n; i++)
		active += r->st.e[i].expires > r->now;
	/*
	 * The master list first: if it cannot be saved (disk full, read-only), the kernel is
	 * not touched and keeps the old set. It is the truth even when the kernel then says
	 * no: the next run retries from it.
	 */
	if (sync_save(r) < 0) {
		rc = SYNC_EXIT_ERROR;
		goto out;
	}
	rc = sync_kernel(r, summary, sizeof(summary));
	if (rc == SYNC_EXIT_OK && r->cs != NULL && !c->dry_run)
		sync_crowdsec_push(r);
out:
	admin_unlock(r->lock);
	r->lock = -1;
	if (rc == SYNC_EXIT_OK && !c->dry_run)
		sync_export(r);
	log_info("sync %s v4_ranges=%zu v6_ranges=%zu v4_hosts=%zu v6_hosts=%zu allow4=%zu "
		 "allow6=%zu offenders=%zu "
		 "forgotten=%zu log_lines=%llu log_bytes=%llu hits=%llu ignored=%llu "
		 "list_entries=%llu bad_lines=%llu refused=%llu dry_run=%s commit_ms=%lld ms=%lld "
		 "exit=%d unstructured=%llu capped=%llu evicted=%llu never_block=%llu",
		 summary, r->want[sync_host(4)].n + r->want[sync_net(4)].n,
		 r->want[sync_host(6)].n + r->want[sync_net(6)].n, r->want[sync_host(4)].n,
		 r->want[sync_host(6)].n, r->want[sync_allow(4)].n, r->want[sync_allow(6)].n,
		 active, expired, (unsigned long long)r->in.lines, (unsigned long long)r->in.bytes,
		 (unsigned long long)r->in.hits, (unsigned long long)r->ignored,
		 (unsigned long long)r->in.entries, (unsigned long long)r->in.bad,
		 (unsigned long long)r->refused, c->dry_run ? "yes" : "no", (long long)r->commit_ms,
		 (long long)sync_ms(&t0), rc, (unsigned long long)r->in.unstructured,
		 (unsigned long long)r->capped, (unsigned long long)r->st.evicted,
		 (unsigned long long)r->never_hits);
	return rc;
}

/*
 * What no source may ban: this host's addresses and never_block (its entries, files and
 * mynetworks), read into fresh sets that replace r->own and r->never only when all of it
 * was read, so a follow process keeps the last good ones when a file is being edited.
 */
int sync_load_exempt(struct sync_run *r)
{
	struct cidr_set own[2], never[2];
	int i;

	cidr_set_init(&never[0], 4);
	cidr_set_init(&never[1], 6);
	if (never_own(own) < 0) {
		log_warn("listing this host's addresses");
		goto free_own;
	}
	if (never_load(r->c, never) < 0) {
		log_warnx("never_block could not be read");
		goto free_own;
	}
	for (i = 0; i < 2; i++) {
		cidr_set_free(&r->own[i]);
		cidr_set_free(&r->never[i]);
		r->own[i] = own[i];
		r->never[i] = never[i];
	}
	return 0;
free_own:
	for (i = 0; i < 2; i++) {
		cidr_set_free(&own[i]);
		cidr_set_free(&never[i]);
	}
	return -1;
}

/* The first, full run: lock and load the master list, then one pass. */
static int sync_once(struct sync_run *r, struct input_journal **jp)
{
	const struct sync_conf *c = r->c;
	char err[PATH_MAX + 128];

	/* nftarpitctl block/unblock write the same file: one writer at a time. */
	r->lock = admin_lock(c->state, 30000);
	if (r->lock < 0 && errno != ENOENT) {
		log_warn("locking the master list %s", c->state);
		return SYNC_EXIT_ERROR;
	}
	if (state_load(&r->st, c->state, err, sizeof(err)) < 0) {
		log_warnx("master list refused: %s", err);
		admin_unlock(r->lock);
		r->lock = -1;
		return SYNC_EXIT_ERROR;
	}
	if (sync_load_exempt(r) < 0) {
		log_warnx("run refused, nothing applied");
		admin_unlock(r->lock);
		r->lock = -1;
		return SYNC_EXIT_ERROR;
	}
	return sync_pass(r, jp);
}

int sync_main(const struct sync_conf *c)
{
	struct sync_run *r = calloc(1, sizeof(*r));
	struct input_journal *j = NULL;
	int rc = SYNC_EXIT_ERROR;
	int i;

	if (r == NULL)
		return SYNC_EXIT_ERROR;
	r->c = c;
	r->lock = -1;
	r->now = sync_now(c);
	snprintf(r->snap, sizeof(r->snap), "%s.applied", c->state);
	state_init(&r->st);
	for (i = 0; i < SET_COUNT; i++)
		cidr_set_init(&r->want[i], listsets[i].family);
	cidr_set_init(&r->raw[0], 4);
	cidr_set_init(&r->raw[1], 6);
	r->x = nftx_open();
	if (r->x == NULL) {
		log_warn("netlink socket");
		goto out;
	}
	if (c->crowdsec.url[0] != '\0') {
		char store[PATH_MAX + 16];

		snprintf(store, sizeof(store), "%s.crowdsec", c->state);
		r->cs = lapi_open(&c->crowdsec, store, c->dry_run);
		if (r->cs == NULL)
			goto out;
	}
	/* Before the first pass, so that no change after it goes unseen. */
	if (c->follow && !c->dry_run) {
		r->watch = watch_open();
		if (r->watch == NULL)
			log_warn("nf_tables notifications; follow relies on the generation alone");
		else if (watch_ignore_port(r->watch, nftx_portid(r->x)) < 0)
			log_warn("filtering our own nf_tables notifications");
	}
	rc = sync_once(r, c->follow ? &j : NULL);
	if (rc == SYNC_EXIT_OK && c->follow && !c->dry_run)
		rc = follow_run(r, &j);
out:
	admin_unlock(r->lock);
	input_journal_close(j);
	watch_close(r->watch);
	nftx_close(r->x);
	lapi_close(r->cs);
	for (i = 0; i < SET_COUNT; i++)
		cidr_set_free(&r->want[i]);
	cidr_set_free(&r->raw[0]);
	cidr_set_free(&r->raw[1]);
	cidr_set_free(&r->own[0]);
	cidr_set_free(&r->own[1]);
	cidr_set_free(&r->never[0]);
	cidr_set_free(&r->never[1]);
	state_free(&r->st);
	free(r);
	return rc;
}
