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
#include "sync_listfile.h"
#include "sync_never.h"
#include "sync_snap.h"
#include "sync_watch.h"

/* The four sets nftarpit-sync owns, in the order of the arrays below. */
enum { SET_BLOCK4, SET_BLOCK6, SET_ALLOW4, SET_ALLOW6, SET_COUNT };
static const char *const sync_set_names[] = {
	"blocklist4",
	"blocklist6",
	"allowlist4",
	"allowlist6",
};
static const int sync_set_family[] = {4, 6, 4, 6};
_Static_assert(sizeof(sync_set_names) / sizeof(sync_set_names[0]) == SET_COUNT &&
		       sizeof(sync_set_family) / sizeof(sync_set_family[0]) == SET_COUNT,
	       "every set has a name and a family");

struct sync_run {
	const struct sync_conf *c;
	int64_t now;
	struct state st;
	struct cidr_set want[SET_COUNT]; /* what the sets should hold */
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
	struct nftx *x;
	uint32_t gen;	  /* ruleset generation our last commit left, 0 = unknown */
	int kernel_error; /* errno of the last refused transaction */
	char snap[PATH_MAX + 16];
	int64_t commit_ms;   /* build, send and acks of the transaction */
	bool snap_doubt;     /* the kernel may differ from what we commit (see below) */
	int lock;	     /* flock of the master list (sync_admin.h), -1 none */
	bool replace;	     /* this pass flushes and refills, whatever c->replace says */
	struct watch *watch; /* follow mode: nf_tables notifications; NULL if unavailable */
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
	return cidr_set_contains(&r->want[family == 4 ? SET_ALLOW4 : SET_ALLOW6], a);
}

static int sync_on_hit(const struct mlog_hit *hit, void *arg)
{
	struct sync_run *r = arg;
	struct state_policy pol;
	struct state_entry *e;
	struct cidr_range x;
	char a[64];
	bool was_active;
	int b = hit->family == 4 ? SET_BLOCK4 : SET_BLOCK6;

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
	e = state_find(&r->st, hit->family, &hit->addr);
	was_active = e != NULL && e->expires > r->now;
	/* Traps and the admin's own patterns bring their own first ban (issue 19). */
	pol = r->c->policy;
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
	log_info("ban src=%s reason=%s detail=%s hits=%u bans=%u expires_in=%llds", a,
		 mlog_reason_name(hit->reason), hit->detail, e->hits, e->bans,
		 (long long)(e->expires - r->now));
	if (was_active || cidr_set_contains(&r->want[b], &hit->addr))
		return 0;
	x.first = hit->addr;
	x.last = hit->addr;
	x.tag = r->c->kernel_timeouts ? (uint64_t)e->expires : 0;
	return cidr_set_add(&r->pending[hit->family == 4 ? 0 : 1], &x);
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
				if (!c->force &&
				    guard_broader(&t[f].r[k], f == 0 ? 4 : 6,
						  f == 0 ? c->allow_limit4 : c->allow_limit6)) {
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
				if (cidr_set_add(&r->want[f == 0 ? SET_ALLOW4 : SET_ALLOW6],
						 &t[f].r[k]) < 0)
					goto out;
			}
		}
		cidr_set_free(&t[0]);
		cidr_set_free(&t[1]);
	}
	return cidr_set_merge(&r->want[SET_ALLOW4]) < 0 || cidr_set_merge(&r->want[SET_ALLOW6]) < 0
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
 * The wanted blocklists: lists (never expire) and active offenders (expire), merged, minus
 * the allowlists, minus this host's addresses unless forced.
 */
/*
 * Take keep (merged) out of blocklist b, naming each of its ranges the blocklist covered
 * (the attempts were counted where their source was read).
 */
static int sync_keep_out(struct sync_run *r, int b, const struct cidr_set *keep, const char *what)
{
	char text[CIDR_TEXT_MAX];
	size_t i;

	for (i = 0; i < keep->n; i++) {
		if (guard_overlap(&r->want[b], &keep->r[i]) == NULL)
			continue;
		cidr_range_format(&keep->r[i], sync_set_family[b], text, sizeof(text));
		log_warnx("blocklist covers %s %s: left out (--force to block it anyway)", what,
			  text);
	}
	return cidr_set_subtract(&r->want[b], keep);
}

static int sync_build_want(struct sync_run *r)
{
	const struct sync_conf *c = r->c;
	struct cidr_range x;
	struct cidr_set unblock;
	struct input_guard g = {0};
	size_t i;
	int b;

	/* The admin's allow entries join the allowlists (nftarpitctl unblock --allow). */
	for (b = SET_ALLOW4; b <= SET_ALLOW6; b++)
		if (admin_ranges(&r->st.admin, ADMIN_ALLOW, sync_set_family[b], r->now,
				 &r->want[b]) < 0 ||
		    cidr_set_merge(&r->want[b]) < 0)
			return -1;
	g.limit4 = c->force ? 0 : c->list_limit4;
	g.limit6 = c->force ? 0 : c->list_limit6;
	g.never = r->never;
	for (i = 0; i < c->nlists; i++) {
		if (input_read_list_guarded(c->lists[i].path, c->lists[i].fmt, &r->want[SET_BLOCK4],
					    &r->want[SET_BLOCK6], &r->in, &g) < 0)
			return -1;
	}
	r->refused += g.refused;
	r->never_hits += g.never_hits;
	for (i = 0; i < r->st.n; i++) {
		if (r->st.e[i].expires <= r->now)
			continue;
		x.first = r->st.e[i].addr;
		x.last = r->st.e[i].addr;
		x.tag = c->kernel_timeouts ? (uint64_t)r->st.e[i].expires : 0;
		if (cidr_set_add(&r->want[r->st.e[i].family == 4 ? SET_BLOCK4 : SET_BLOCK6], &x) <
		    0)
			return -1;
	}
	for (b = SET_BLOCK4; b <= SET_BLOCK6; b++) {
		/*
		 * never_block before the admin's blocks: nftarpitctl block refuses those
		 * ranges itself unless --force, and a forced block stays the admin's word.
		 */
		if (!c->force && (cidr_set_merge(&r->want[b]) < 0 ||
				  sync_keep_out(r, b, &r->never[b], "never_block") < 0))
			return -1;
		/*
		 * The admin's blocks carry their own expiry into the kernel, and the admin's
		 * unblocks win over every source until they expire (nftarpitctl block/unblock).
		 */
		cidr_set_init(&unblock, sync_set_family[b]);
		if (admin_ranges(&r->st.admin, ADMIN_BLOCK, sync_set_family[b], r->now,
				 &r->want[b]) < 0 ||
		    admin_ranges(&r->st.admin, ADMIN_UNBLOCK, sync_set_family[b], r->now,
				 &unblock) < 0 ||
		    cidr_set_merge(&unblock) < 0 || cidr_set_merge(&r->want[b]) < 0 ||
		    cidr_set_subtract(&r->want[b], &r->want[b + 2]) < 0 ||
		    cidr_set_subtract(&r->want[b], &unblock) < 0) {
			cidr_set_free(&unblock);
			return -1;
		}
		cidr_set_free(&unblock);
		if (c->force)
			continue;
		if (sync_keep_out(r, b, &r->own[b], "this host's address") < 0)
			return -1;
	}
	return 0;
}

/*
 * Whether the blocklist covers more than block_max_share of either family: one bad list or
 * a run of forged hits must not tarpit a large part of the Internet. Logged; 0 or -1.
 */
static int sync_share_ok(struct sync_run *r)
{
	double share;
	int b;

	if (r->c->force)
		return 0;
	for (b = SET_BLOCK4; b <= SET_BLOCK6; b++) {
		share = guard_share(&r->want[b]);
		if (share * 100 <= r->c->block_max_share)
			continue;
		log_warnx("blocklist would cover %.3f%% of the IPv%d address space, more than "
			  "block_max_share = %u%%: run refused, nothing applied (--force to "
			  "apply)",
			  share * 100, sync_set_family[b], r->c->block_max_share);
		return -1;
	}
	return 0;
}

/* Send ops as one transaction; on refusal name the element and keep the old sets. */
static int sync_apply(struct sync_run *r, const struct kset_op *ops, size_t nops)
{
	struct mnl_nlmsg_batch *b;
	struct nftx_error err;
	char elem[CIDR_TEXT_MAX + 16];
	size_t limit = kset_batch_size(ops, nops);
	uint32_t seq = nftx_seq(r->x);
	void *buf = kset_batch_alloc(limit, &b);
	int rc = SYNC_EXIT_ERROR;

	if (buf == NULL) {
		log_warn("batch of %zu bytes", limit);
		return SYNC_EXIT_ERROR;
	}
	if (kset_build(b, &seq, ops, nops, r->now) < 0) {
		log_warn("building the batch");
		goto out;
	}
	if (nftx_send(r->x, b, &err) < 0) {
		if (err.count == 0) {
			log_warn("sending the batch");
			goto out;
		}
		kset_describe_error(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &err, elem,
				    sizeof(elem));
		log_warnx("transaction refused: %s%s%s: %s (%u messages refused); the sets are "
			  "unchanged",
			  err.what, elem[0] != '\0' ? ", element " : "", elem, strerror(err.error),
			  err.count);
		r->kernel_error = err.error;
		rc = err.error == ENOENT && strncmp(err.what, "flush set", 9) == 0
			     ? SYNC_EXIT_NORULESET
			     : SYNC_EXIT_KERNEL;
		goto out;
	}
	rc = SYNC_EXIT_OK;
out:
	mnl_nlmsg_batch_stop(b);
	free(buf);
	return rc;
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
 * What the kernel holds: our snapshot when the ruleset generation says nothing changed
 * since our last commit, else the sets read back. 0, or an exit code.
 */
static int sync_have(struct sync_run *r, uint32_t gen, struct cidr_set *have, bool *from_snap)
{
	int i;
	int loaded = snap_load(r->snap, gen, have);

	if (loaded < 0)
		return SYNC_EXIT_ERROR;
	*from_snap = loaded == 1;
	for (i = 0; i < SET_COUNT && loaded == 0; i++) {
		if (kset_dump(r->x, sync_set_names[i], r->now, &have[i]) == 0)
			continue;
		if (errno == ENOENT) {
			log_warnx("set inet nftarpit %s is missing: run nftarpitctl setup",
				  sync_set_names[i]);
			return SYNC_EXIT_NORULESET;
		}
		log_warn("reading set %s", sync_set_names[i]);
		return SYNC_EXIT_ERROR;
	}
	for (i = 0; i < SET_COUNT; i++)
		sync_drop_expiring(r, &have[i], &r->want[i]);
	return 0;
}

/* Remember what our commit left, if the generation proves nobody else committed. */
static void sync_snapshot(struct sync_run *r, uint32_t before, bool committed)
{
	uint32_t after = 0;

	if (r->snap_doubt || kset_genid(r->x, &after) < 0 || after == 0 ||
	    after != before + (committed ? 1 : 0)) {
		r->gen = 0;
		/* Content kept for nftarpitctl setup, tied to no generation. */
		(void)snap_save(r->snap, 0, r->want);
		return;
	}
	r->gen = after;
	(void)snap_save(r->snap, after, r->want);
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
		cidr_set_init(&have[i], sync_set_family[i]);
		kset_diff_init(&d[i], sync_set_family[i]);
	}
	if (kset_genid(r->x, &gen) < 0)
		gen = 0;
	if (!replace) {
		rc = sync_have(r, gen, have, &from_snap);
		if (rc != 0)
			goto out;
	}
	for (i = 0; i < SET_COUNT; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].name = sync_set_names[i];
		ops[i].family = sync_set_family[i];
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
			export_print_diff(stdout, sync_set_names[i], &d[i], &r->want[i],
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
			printf("%s: flush, add=%zu\n", sync_set_names[i], r->want[i].n);
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
	if (r->c->export_plain[0] != '\0')
		(void)export_plain(r->c->export_plain, &r->want[SET_BLOCK4], &r->want[SET_BLOCK6]);
	if (r->c->export_rbldnsd[0] != '\0')
		(void)export_rbldnsd(r->c->export_rbldnsd, &r->want[SET_BLOCK4],
				     &r->want[SET_BLOCK6]);
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
		if (admin_reload(&r->st, r->c->state, err, sizeof(err)) < 0)
			log_warnx("re-reading the admin entries: %s", err);
	}
	if (state_save(&r->st, r->c->state, err, sizeof(err)) < 0) {
		log_warnx("saving the master list: %s", err);
		rc = -1;
	}
	admin_unlock(lock);
	return rc;
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
	if (state_forget(&r->st, r->now, &c->policy, &expired) < 0)
		goto out;
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
out:
	admin_unlock(r->lock);
	r->lock = -1;
	if (rc == SYNC_EXIT_OK && !c->dry_run)
		sync_export(r);
	log_info("sync %s v4_ranges=%zu v6_ranges=%zu allow4=%zu allow6=%zu offenders=%zu "
		 "forgotten=%zu log_lines=%llu log_bytes=%llu hits=%llu ignored=%llu "
		 "list_entries=%llu bad_lines=%llu refused=%llu dry_run=%s commit_ms=%lld ms=%lld "
		 "exit=%d unstructured=%llu capped=%llu evicted=%llu never_block=%llu",
		 summary, r->want[SET_BLOCK4].n, r->want[SET_BLOCK6].n, r->want[SET_ALLOW4].n,
		 r->want[SET_ALLOW6].n, active, expired, (unsigned long long)r->in.lines,
		 (unsigned long long)r->in.bytes, (unsigned long long)r->in.hits,
		 (unsigned long long)r->ignored, (unsigned long long)r->in.entries,
		 (unsigned long long)r->in.bad, (unsigned long long)r->refused,
		 c->dry_run ? "yes" : "no", (long long)r->commit_ms, (long long)sync_ms(&t0), rc,
		 (unsigned long long)r->in.unstructured, (unsigned long long)r->capped,
		 (unsigned long long)r->st.evicted, (unsigned long long)r->never_hits);
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
	if (admin_reload(&r->st, r->c->state, err, sizeof(err)) < 0)
		log_warnx("re-reading the admin entries: %s", err);
	r->follow_phase = false;
	for (i = 0; i < SET_COUNT; i++)
		cidr_set_clear(&r->want[i]);
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
	struct kset_op ops[2];
	const char *why = NULL;
	int64_t last_save = r->now;
	int64_t last_full = r->now;
	bool dirty = false;
	uint32_t before, after, now_gen;
	int f, rc;

	r->follow_phase = true;
	cidr_set_init(&r->pending[0], 4);
	cidr_set_init(&r->pending[1], 6);
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
		if (r->now - last_full >= r->c->full_interval) {
			(void)sync_refresh(r, jp);
			last_full = r->now;
			dirty = false;
			continue;
		}
		if (r->pending[0].n + r->pending[1].n == 0) {
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
			ops[f].name = sync_set_names[f];
			ops[f].family = f == 0 ? 4 : 6;
			ops[f].add = &r->pending[f];
		}
		before = r->gen;
		rc = sync_apply(r, ops, 2);
		for (f = 0; f < 2; f++) {
			size_t k;

			for (k = 0; rc == SYNC_EXIT_OK && k < r->pending[f].n; k++)
				(void)cidr_set_add(&r->want[f], &r->pending[f].r[k]);
			/*
			 * Sorted, not merged: a ban next to another is its own kernel element,
			 * and the snapshot written at the end must say so.
			 */
			cidr_set_sort(&r->want[f]);
			r->new_bans += rc == SYNC_EXIT_OK ? r->pending[f].n : 0;
			cidr_set_clear(&r->pending[f]);
		}
		if (rc == SYNC_EXIT_OK && before != 0 && kset_genid(r->x, &after) == 0 &&
		    after == before + 1)
			r->gen = after;
		else
			r->gen = 0;
		dirty = true;
	}
	(void)sync_save(r);
	sync_write_lists(r);
	if (r->gen != 0)
		(void)snap_save(r->snap, r->gen, r->want);
	log_info("follow stopped bans=%llu", (unsigned long long)r->new_bans);
	cidr_set_free(&r->pending[0]);
	cidr_set_free(&r->pending[1]);
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
		cidr_set_init(&r->want[i], sync_set_family[i]);
	r->x = nftx_open();
	if (r->x == NULL) {
		log_warn("netlink socket");
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
	for (i = 0; i < SET_COUNT; i++)
		cidr_set_free(&r->want[i]);
	cidr_set_free(&r->own[0]);
	cidr_set_free(&r->own[1]);
	cidr_set_free(&r->never[0]);
	cidr_set_free(&r->never[1]);
	state_free(&r->st);
	free(r);
	return rc;
}
