// SPDX-License-Identifier: GPL-2.0-or-later
/* One nftarpit-sync run (sources -> master list -> one transaction), and follow mode. */
#include "sync_run.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nftx.h"
#include "sync_admin.h"
#include "sync_export.h"
#include "sync_guard.h"
#include "sync_input.h"
#include "sync_kset.h"
#include "sync_lapi.h"
#include "sync_listfile.h"
#include "sync_never.h"
#include "sync_snap.h"
#include "sync_watch.h"

/* The sets nftarpit-sync owns: lib/listset's table, indexed by enum listset_id. */
#define SET_COUNT LISTSET_COUNT

/* The list set of role and kind for family (4 or 6). */
static enum listset_id sync_host(int family)
{
	return listset_of(LISTSET_BLOCK, LISTSET_HOSTS, family);
}

static enum listset_id sync_net(int family)
{
	return listset_of(LISTSET_BLOCK, LISTSET_RANGES, family);
}

static enum listset_id sync_allow(int family)
{
	return listset_of(LISTSET_ALLOW, LISTSET_RANGES, family);
}

struct sync_run {
	const struct sync_conf *c;
	int64_t now;
	struct state st;
	struct cidr_set want[SET_COUNT]; /* what the sets should hold (listset ids) */
	struct cidr_set raw[2];		 /* the blocklists from every source, unmerged */
	struct cidr_set own[2];		 /* this host's addresses, loopback included */
	struct cidr_set never[2];	 /* never_block (sync_never.h) */
	uint64_t never_hits;		 /* attempts to block a never_block address */
	struct input_counts in;
	uint64_t ignored;  /* hits on our own or allowlisted addresses */
	uint64_t refused;  /* allowlist entries over the breadth limit */
	uint64_t capped;   /* new offenders refused because the master list was full */
	uint64_t new_bans; /* follow mode: bans sent since the last run */
	bool follow_phase;
	struct cidr_set pending[2]; /* follow mode: new bans to send */
	struct cidr_set hadd[2];    /* follow mode: what sync_carve() sends */
	struct cidr_set hdel[2];
	struct cidr_set nadd[2];
	struct nftx *x;
	uint32_t gen;	  /* ruleset generation our last commit left, 0 = unknown */
	int kernel_error; /* errno of the last refused transaction */
	char snap[PATH_MAX + 16];
	int64_t commit_ms;   /* build, send and acks of the transaction */
	bool snap_doubt;     /* the kernel may differ from what we commit (see below) */
	int lock;	     /* flock of the master list (sync_admin.h), -1 none */
	bool replace;	     /* this pass flushes and refills, whatever c->replace says */
	struct watch *watch; /* follow mode: nf_tables notifications; NULL if unavailable */
	struct lapi *cs;     /* [crowdsec] url set: the fleet's Local API, else NULL */
};

/*
 * Elements that expire within this many seconds are left to the kernel: deleting one that
 * expires meanwhile would fail (ENOENT) and abort the whole transaction.
 */
#define SYNC_EXPIRY_GRACE 5

static volatile sig_atomic_t sync_stop;

static void sync_on_signal(int sig)
{
	(void)sig;
	sync_stop = 1;
}

static int64_t sync_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static int64_t sync_now(const struct sync_conf *c)
{
	return c->now != 0 ? c->now : (int64_t)time(NULL);
}

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
static int sync_pend(struct sync_run *r, int family, const struct cidr_range *x, int64_t expires)
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
			  mlog_reason_name(hit->reason), hit->detail);
		return 0;
	}
	if (!r->c->force && sync_exempt(r, hit->family, &hit->addr)) {
		r->ignored++;
		log_debug("hit ignored src=%s reason=%s (own or allowlisted)", a,
			  mlog_reason_name(hit->reason));
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
		/* Full of active bans: they stay, the newcomer waits (sync_state.h). */
		if (r->capped++ == 0)
			log_warnx("master list full max_offenders=%zu: new offender src=%s "
				  "reason=%s not banned (active bans are kept; counted as "
				  "capped=)",
				  r->c->policy.max_entries, a, mlog_reason_name(hit->reason));
		return 0;
	}
	if (e == NULL)
		return -1;
	if (e->expires <= r->now) {
		/* Under its pattern's threshold (sync_state.h): counted, not banned yet. */
		log_debug("hit src=%s reason=%s hits=%u below threshold=%u", a,
			  mlog_reason_name(hit->reason), e->hits,
			  r->c->policy.threshold[hit->reason]);
		return 0;
	}
	if (!r->follow_phase) {
		log_debug("hit src=%s reason=%s detail=%s hits=%u", a,
			  mlog_reason_name(hit->reason), hit->detail, e->hits);
		return 0;
	}
	cidr_range_format(&x, hit->family, pfx, sizeof(pfx));
	log_info("ban src=%s reason=%s prefix=%s detail=%s hits=%u bans=%u expires_in=%llds", a,
		 mlog_reason_name(hit->reason), pfx, hit->detail, e->hits, e->bans,
		 (long long)(e->expires - r->now));
	if (!was_active && sync_pend(r, hit->family, &x, e->expires) < 0)
		return -1;
	/* Its wider prefix may now hold enough banned ones. */
	rc = state_escalate_at(&r->st, r->now, &r->c->policy.widen, hit->family, &hit->addr,
			       sync_on_escalate, r);
	sync_drop_own_esc(r);
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
		if (input_read_list(c->allows[i].path, c->allows[i].fmt, &t[0], &t[1], &r->in) < 0)
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
static void sync_read_logs(struct sync_run *r, struct input_journal **jp, int wait_ms)
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
 * admin's unblocks and (unless forced) this host's addresses out; listset_layout() puts
 * each range in its set.
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
		if (listset_layout(raw, never, hosts, nets) < 0)
			goto out;
		cidr_set_clear(raw);
		for (i = 0; i < hosts->n; i++)
			if (cidr_set_add(raw, &hosts->r[i]) < 0)
				goto out;
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
	struct input_guard g = {0};
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
		if (input_read_list_guarded(c->lists[i].path, c->lists[i].fmt, &r->raw[0],
					    &r->raw[1], &r->in, &g) < 0)
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
static int sync_apply(struct sync_run *r, const struct kset_op *ops, size_t nops)
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
static void sync_write_lists(struct sync_run *r)
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
static int sync_save(struct sync_run *r)
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
static void sync_crowdsec_push(struct sync_run *r)
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
static int sync_pass(struct sync_run *r, struct input_journal **jp)
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
	if (r->cs != NULL && lapi_pull(r->cs, &r->st, r->now) == LAPI_REFUSED && !r->follow_phase &&
	    !c->follow) {
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
	if (never_own(r->own) < 0) {
		log_warn("listing this host's addresses");
		admin_unlock(r->lock);
		r->lock = -1;
		return SYNC_EXIT_ERROR;
	}
	cidr_set_init(&r->never[0], 4);
	cidr_set_init(&r->never[1], 6);
	if (never_load(c, r->never) < 0) {
		log_warnx("never_block could not be read: run refused, nothing applied");
		admin_unlock(r->lock);
		r->lock = -1;
		return SYNC_EXIT_ERROR;
	}
	return sync_pass(r, jp);
}

/*
 * Follow mode's periodic full pass: lists and allowlists read again, expired offenders
 * taken out, the master list's admin entries re-read, the kernel brought to the result.
 * The sets as our follow commits left them are the snapshot while the generation is ours.
 */
static int sync_refresh(struct sync_run *r, struct input_journal **jp)
{
	char err[PATH_MAX + 128];
	int i, rc;

	if (r->gen != 0)
		(void)snap_save(r->snap, r->gen, r->want);
	r->lock = admin_lock(r->c->state, 30000);
	if (r->lock < 0 && errno != ENOENT) {
		log_warn("locking the master list %s", r->c->state);
		return SYNC_EXIT_ERROR;
	}
	if (state_reload_admin(&r->st, r->c->state, err, sizeof(err)) < 0)
		log_warnx("re-reading the admin entries: %s", err);
	r->follow_phase = false;
	for (i = 0; i < SET_COUNT; i++)
		cidr_set_clear(&r->want[i]);
	cidr_set_clear(&r->raw[0]);
	cidr_set_clear(&r->raw[1]);
	memset(&r->in, 0, sizeof(r->in));
	r->ignored = 0;
	r->refused = 0;
	r->capped = 0;
	r->never_hits = 0;
	r->st.evicted = 0;
	r->commit_ms = 0;
	rc = sync_pass(r, jp);
	r->follow_phase = true;
	/* Stale with the next ban: written again when we stop; setup still reads it. */
	snap_untrust(r->snap);
	return rc;
}

/*
 * Follow mode's new bans as the kernel can take them, for family index f: laid out like a
 * full pass does (listset_layout(), without the allowlists, the admin's unblocks, this
 * host's addresses and never_block), then against what the sets hold:
 * - a host already banned at least as long, or inside such a range, is dropped;
 * - a host banned for less is deleted and re-added with its new timeout (kernels before
 *   6.12 ignore a new timeout on an existing element), unless its element expires within
 *   SYNC_EXPIRY_GRACE: deleting it might then fail (ENOENT) and abort the transaction, so it
 *   waits in pending until the kernel has let it go;
 * - a range loses what the range set already holds (an interval set refuses an overlap).
 * Fills r->hadd, r->hdel, r->nadd; pending keeps only the deferred. 0 or -1.
 */
static int sync_carve(struct sync_run *r, int f)
{
	int family = f == 0 ? 4 : 6;
	struct cidr_set *p = &r->pending[f];
	const struct cidr_set *have_h = &r->want[sync_host(family)];
	const struct cidr_set *have_n = &r->want[sync_net(family)];
	const struct cidr_range *e, *cover;
	struct cidr_set cut, hosts, nets;
	size_t i;
	int rc = -1;

	cidr_set_init(&cut, family);
	cidr_set_init(&hosts, family);
	cidr_set_init(&nets, family);
	cidr_set_clear(&r->hadd[f]);
	cidr_set_clear(&r->hdel[f]);
	cidr_set_clear(&r->nadd[f]);
	if (admin_ranges(&r->st.admin, ADMIN_UNBLOCK, family, r->now, &cut) < 0)
		goto out;
	for (i = 0; i < r->want[sync_allow(family)].n; i++)
		if (cidr_set_add(&cut, &r->want[sync_allow(family)].r[i]) < 0)
			goto out;
	for (i = 0; !r->c->force && i < r->own[f].n; i++)
		if (cidr_set_add(&cut, &r->own[f].r[i]) < 0)
			goto out;
	for (i = 0; !r->c->force && i < r->never[f].n; i++)
		if (cidr_set_add(&cut, &r->never[f].r[i]) < 0)
			goto out;
	for (i = 0; i < cut.n; i++)
		cut.r[i].tag = 0;
	if (cidr_set_merge(&cut) < 0 || listset_layout(p, &cut, &hosts, &nets) < 0)
		goto out;
	cidr_set_clear(p);
	for (i = 0; i < hosts.n; i++) {
		cover = cidr_set_first_overlap(have_n, &hosts.r[i]);
		if (cover != NULL && listset_outlasts(cover->tag, hosts.r[i].tag))
			continue;
		e = cidr_set_first_overlap(have_h, &hosts.r[i]);
		if (e != NULL && listset_outlasts(e->tag, hosts.r[i].tag))
			continue;
		if (e != NULL && e->tag != 0 && (int64_t)e->tag > r->now &&
		    (int64_t)e->tag <= r->now + SYNC_EXPIRY_GRACE) {
			if (cidr_set_add(p, &hosts.r[i]) < 0)
				goto out;
			continue;
		}
		if (e != NULL && (int64_t)e->tag > r->now && cidr_set_add(&r->hdel[f], e) < 0)
			goto out;
		if (cidr_set_add(&r->hadd[f], &hosts.r[i]) < 0)
			goto out;
	}
	/* One element may overlap two new ranges: merged, it is subtracted once. */
	cidr_set_clear(&cut);
	for (i = 0; i < nets.n; i++)
		if (cidr_set_overlapping(have_n, &nets.r[i], &cut) < 0)
			goto out;
	for (i = 0; i < cut.n; i++)
		cut.r[i].tag = 0;
	if (cidr_set_merge(&cut) < 0 || cidr_set_subtract(&nets, &cut) < 0)
		goto out;
	for (i = 0; i < nets.n; i++)
		if (cidr_set_add(&r->nadd[f], &nets.r[i]) < 0)
			goto out;
	rc = 0;
out:
	cidr_set_free(&cut);
	cidr_set_free(&hosts);
	cidr_set_free(&nets);
	return rc;
}

/*
 * Put x into s, sorted and disjoint, where it belongs: a binary search and one move of
 * the tail, not a sort of a million elements per ban. An element with x's start is
 * replaced (the re-added host, with its new timeout). 0 or -1 (ENOMEM).
 */
static int sync_insert_sorted(struct cidr_set *s, const struct cidr_range *x)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cidr_addr_cmp(&s->r[mid].first, &x->first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && cidr_addr_cmp(&s->r[lo].first, &x->first) == 0) {
		s->r[lo] = *x;
		return 0;
	}
	if (cidr_set_reserve(s, s->n + 1) < 0)
		return -1;
	memmove(&s->r[lo + 1], &s->r[lo], (s->n - lo) * sizeof(*s->r));
	s->r[lo] = *x;
	s->n++;
	return 0;
}

/*
 * After a follow commit: the picture of the sets takes the changes of family index f.
 * Sorted, not merged: a ban next to another is its own kernel element, and the snapshot
 * written at the end must say so.
 */
static void sync_follow_taken(struct sync_run *r, int f)
{
	int family = f == 0 ? 4 : 6;
	struct cidr_set *h = &r->want[sync_host(family)];
	struct cidr_set *n = &r->want[sync_net(family)];
	size_t k;

	for (k = 0; k < r->hadd[f].n; k++)
		if (sync_insert_sorted(h, &r->hadd[f].r[k]) < 0)
			log_warn("follow: keeping the picture of the sets");
	for (k = 0; k < r->nadd[f].n; k++)
		if (sync_insert_sorted(n, &r->nadd[f].r[k]) < 0)
			log_warn("follow: keeping the picture of the sets");
}

/*
 * Someone else changed our lists (flush ruleset, a firewall reload, nft flush set, a setup)
 * or the generation moved under us: our picture of the kernel is void, and a delta from it
 * would leave the kernel holding only the new bans. A full pass in replace mode puts the
 * whole result back in one transaction (flush and add), reading nothing back, so the lists
 * are back within one pass. If the table is gone, this fails (exit 3) until it returns,
 * which the notifications tell us too.
 */
static int sync_reapply(struct sync_run *r, struct input_journal **jp, const char *why)
{
	struct timespec t0;
	int f, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->gen = 0;
	r->replace = true;
	/* Replace mode reads nothing back: the kernel will hold exactly what we send. */
	r->snap_doubt = false;
	rc = sync_refresh(r, jp);
	r->replace = false;
	/* The pending bans are in the master list, so the pass sent them. */
	for (f = 0; f < 2; f++)
		cidr_set_clear(&r->pending[f]);
	log_info("reapply reason=%s exit=%d ms=%lld", why, rc, (long long)sync_ms(&t0));
	return rc;
}

/*
 * Whether the kernel's lists may differ from what we put there: another socket touched
 * them (nf_tables notifications), or notifications were lost and the generation is no
 * longer the one our view is valid for. *why says which.
 */
static bool sync_changed(struct sync_run *r, const char **why)
{
	struct watch_news news;
	uint32_t now_gen = 0;

	if (r->watch == NULL)
		return false;
	if (watch_drain(r->watch, nftx_portid(r->x), &r->gen, &news) < 0) {
		log_warn("reading nf_tables notifications; relying on the generation");
		watch_close(r->watch);
		r->watch = NULL;
		return false;
	}
	if (news.touched) {
		log_info("lists changed by another program change=\"%s\" portid=%u", news.who,
			 news.who_portid);
		*why = "foreign-change";
		return true;
	}
	if (news.lost && (r->gen == 0 || kset_genid(r->x, &now_gen) < 0 || now_gen != r->gen)) {
		*why = "notifications-lost";
		return true;
	}
	return false;
}

/*
 * Follow: poll the sources every 200 ms (the journal wakes us itself) and send each new
 * offender in its own small transaction, so a ban lands within a second of the log line.
 * Every full_interval a full pass reads the lists again and takes expired offenders out.
 */
static int sync_follow(struct sync_run *r, struct input_journal **jp)
{
	struct kset_op ops[4];
	struct timespec t0;
	size_t nchanges;
	const char *why = NULL;
	int64_t last_save = r->now;
	int64_t last_full = r->now;
	bool dirty = false;
	uint32_t before, now_gen;
	int f, rc;

	r->follow_phase = true;
	for (f = 0; f < 2; f++) {
		cidr_set_init(&r->pending[f], f == 0 ? 4 : 6);
		cidr_set_init(&r->hadd[f], f == 0 ? 4 : 6);
		cidr_set_init(&r->hdel[f], f == 0 ? 4 : 6);
		cidr_set_init(&r->nadd[f], f == 0 ? 4 : 6);
	}
	signal(SIGTERM, sync_on_signal);
	signal(SIGINT, sync_on_signal);
	/*
	 * The snapshot would go stale with each ban; it is written again when we stop. Its
	 * content stays for nftarpitctl setup (the bans since are in the master list).
	 */
	snap_untrust(r->snap);
	log_info("follow started logs=%u journal=%s", r->c->nlogs, r->c->journal ? "yes" : "no");
	while (!sync_stop) {
		if (r->c->journal) {
			sync_read_logs(r, jp, 200);
		} else {
			watch_wait(r->watch, 200);
			sync_read_logs(r, jp, 0);
		}
		r->now = sync_now(r->c);
		if (sync_changed(r, &why)) {
			(void)sync_reapply(r, jp, why);
			dirty = false;
			continue;
		}
		/* A change at the LAPI (new or deleted decisions) is applied by a full pass. */
		if (r->cs != NULL && lapi_pull(r->cs, &r->st, r->now) > 0)
			last_full = r->now - r->c->full_interval;
		if (r->cs != NULL && lapi_push_due(r->cs, r->now))
			sync_crowdsec_push(r);
		if (r->now - last_full >= r->c->full_interval) {
			(void)sync_refresh(r, jp);
			last_full = r->now;
			dirty = false;
			continue;
		}
		nchanges = 0;
		for (f = 0; f < 2; f++) {
			cidr_set_clear(&r->hadd[f]);
			cidr_set_clear(&r->hdel[f]);
			cidr_set_clear(&r->nadd[f]);
			if (r->pending[f].n > 0 && sync_carve(r, f) < 0) {
				log_warn("follow: preparing new bans");
				cidr_set_clear(&r->pending[f]);
			}
			nchanges += r->hadd[f].n + r->nadd[f].n;
		}
		if (nchanges == 0) {
			if (dirty && r->now - last_save >= 10) {
				(void)sync_save(r);
				sync_write_lists(r);
				dirty = false;
				last_save = r->now;
			}
			continue;
		}
		/*
		 * An add-only delta is right only while the kernel holds what we think: check
		 * the generation first (the notifications may not have arrived yet).
		 */
		if (kset_genid(r->x, &now_gen) < 0 || now_gen == 0 || now_gen != r->gen) {
			(void)sync_reapply(r, jp, "generation");
			dirty = false;
			continue;
		}
		memset(ops, 0, sizeof(ops));
		for (f = 0; f < 2; f++) {
			ops[2 * f].set = sync_host(f == 0 ? 4 : 6);
			ops[2 * f].del = &r->hdel[f];
			ops[2 * f].add = &r->hadd[f];
			ops[2 * f + 1].set = sync_net(f == 0 ? 4 : 6);
			ops[2 * f + 1].add = &r->nadd[f];
		}
		before = r->gen;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = sync_apply(r, ops, 4);
		for (f = 0; f < 2; f++) {
			if (rc == SYNC_EXIT_OK)
				sync_follow_taken(r, f);
			r->new_bans += rc == SYNC_EXIT_OK ? r->hadd[f].n + r->nadd[f].n : 0;
		}
		log_info("follow commit hosts=%zu ranges=%zu ms=%lld exit=%d",
			 r->hadd[0].n + r->hadd[1].n, r->nadd[0].n + r->nadd[1].n,
			 (long long)sync_ms(&t0), rc);
		r->gen = rc == SYNC_EXIT_OK ? kset_gen_ours(r->x, before, true) : 0;
		dirty = true;
		if (r->cs != NULL)
			sync_crowdsec_push(r);
	}
	(void)sync_save(r);
	sync_write_lists(r);
	if (r->gen != 0)
		(void)snap_save(r->snap, r->gen, r->want);
	log_info("follow stopped bans=%llu", (unsigned long long)r->new_bans);
	for (f = 0; f < 2; f++) {
		cidr_set_free(&r->pending[f]);
		cidr_set_free(&r->hadd[f]);
		cidr_set_free(&r->hdel[f]);
		cidr_set_free(&r->nadd[f]);
	}
	return SYNC_EXIT_OK;
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
		rc = sync_follow(r, &j);
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
