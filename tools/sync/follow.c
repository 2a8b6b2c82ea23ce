// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftarpit-sync --follow: each new offender (log line, escalation, fresh LAPI decision) in
 * a small transaction of its own within a second, a full pass every full_interval, and a
 * full re-apply when another program changed our sets.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "admin.h"
#include "log.h"
#include "snap.h"
#include "sync_run.h"

static volatile sig_atomic_t follow_stop;

static void follow_on_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/*
 * Follow mode's periodic full pass: lists, allowlists and never_block read again, expired
 * offenders taken out, the master list's admin entries re-read, the kernel brought to the
 * result. An address added to never_block_file, or a new address of this host, counts from
 * this pass on, and the pass takes out follow's earlier bans of it.
 * The sets as our follow commits left them are the snapshot while the generation is ours.
 */
static int follow_refresh(struct sync_run *r, struct input_journal **jp)
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
	if (sync_load_exempt(r) < 0)
		log_warnx("the previous never_block and host addresses stay in force");
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
static int follow_carve(struct sync_run *r, int f)
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
static int follow_insert_sorted(struct cidr_set *s, const struct cidr_range *x)
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
static void follow_taken(struct sync_run *r, int f)
{
	int family = f == 0 ? 4 : 6;
	struct cidr_set *h = &r->want[sync_host(family)];
	struct cidr_set *n = &r->want[sync_net(family)];
	size_t k;

	for (k = 0; k < r->hadd[f].n; k++)
		if (follow_insert_sorted(h, &r->hadd[f].r[k]) < 0)
			log_warn("follow: keeping the picture of the sets");
	for (k = 0; k < r->nadd[f].n; k++)
		if (follow_insert_sorted(n, &r->nadd[f].r[k]) < 0)
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
static int follow_reapply(struct sync_run *r, struct input_journal **jp, const char *why)
{
	struct timespec t0;
	int f, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->gen = 0;
	r->replace = true;
	/* Replace mode reads nothing back: the kernel will hold exactly what we send. */
	r->snap_doubt = false;
	rc = follow_refresh(r, jp);
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
static bool follow_changed(struct sync_run *r, const char **why)
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
 * Follow mode's pull from the LAPI: fresh single-address decisions join the pending bans
 * (follow_carve() then keeps allowlisted, unblocked, own and never_block addresses out, as
 * for log bans). Returns lapi_pull()'s count of the changes left for a full pass.
 */
static int follow_lapi(struct sync_run *r)
{
	struct cidr_set fresh[2];
	char a[CIDR_TEXT_MAX];
	size_t i;
	int f, rc;

	cidr_set_init(&fresh[0], 4);
	cidr_set_init(&fresh[1], 6);
	rc = lapi_pull(r->cs, &r->st, r->now, fresh);
	for (f = 0; f < 2; f++) {
		for (i = 0; i < fresh[f].n; i++) {
			cidr_range_format(&fresh[f].r[i], f == 0 ? 4 : 6, a, sizeof(a));
			if (sync_pend(r, f == 0 ? 4 : 6, &fresh[f].r[i],
				      (int64_t)fresh[f].r[i].tag) < 0) {
				/* Not lost: the held decision reaches the kernel with the next full
				 * pass. */
				log_warn("crowdsec: %s waits for the next full pass", a);
				rc = rc > 0 ? rc + 1 : 1;
				continue;
			}
			log_info("crowdsec ban src=%s expires_in=%llds (follow)", a,
				 (long long)((int64_t)fresh[f].r[i].tag - r->now));
		}
		cidr_set_free(&fresh[f]);
	}
	return rc;
}

/*
 * Follow: poll the sources every 200 ms (the journal wakes us itself) and send each new
 * offender in its own small transaction, so a ban lands within a second of the log line.
 * Every full_interval a full pass reads the lists again and takes expired offenders out.
 */
int follow_run(struct sync_run *r, struct input_journal **jp)
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
	signal(SIGTERM, follow_on_signal);
	signal(SIGINT, follow_on_signal);
	/*
	 * The snapshot would go stale with each ban; it is written again when we stop. Its
	 * content stays for nftarpitctl setup (the bans since are in the master list).
	 */
	snap_untrust(r->snap);
	log_info("follow started logs=%u journal=%s", r->c->nlogs, r->c->journal ? "yes" : "no");
	while (!follow_stop) {
		if (r->c->journal) {
			sync_read_logs(r, jp, 200);
		} else {
			watch_wait(r->watch, 200);
			sync_read_logs(r, jp, 0);
		}
		r->now = sync_now(r->c);
		if (follow_changed(r, &why)) {
			(void)follow_reapply(r, jp, why);
			dirty = false;
			continue;
		}
		/*
		 * New single-address decisions at the LAPI go out like log bans; anything else
		 * (deleted or replaced decisions, ranges, a fresh start) by a full pass.
		 */
		if (r->cs != NULL && follow_lapi(r) > 0)
			last_full = r->now - r->c->full_interval;
		if (r->cs != NULL && lapi_push_due(r->cs, r->now))
			sync_crowdsec_push(r);
		if (r->now - last_full >= r->c->full_interval) {
			(void)follow_refresh(r, jp);
			last_full = r->now;
			dirty = false;
			continue;
		}
		nchanges = 0;
		for (f = 0; f < 2; f++) {
			cidr_set_clear(&r->hadd[f]);
			cidr_set_clear(&r->hdel[f]);
			cidr_set_clear(&r->nadd[f]);
			if (r->pending[f].n > 0 && follow_carve(r, f) < 0) {
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
			(void)follow_reapply(r, jp, "generation");
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
				follow_taken(r, f);
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
