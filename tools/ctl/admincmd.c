// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl block/unblock/list/why: the admin's decisions in the master list and kernel. */
#include "admincmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "admin.h"
#include "conffile.h"
#include "guard.h"
#include "kset.h"
#include "live.h"
#include "log.h"
#include "never.h"
#include "nftx.h"
#include "reason.h"
#include "setup.h"
#include "snap.h"
#include "state.h"
#include "status.h"
#include "sync_conf.h"

#define ADMINCMD_EXIT_NORULESET 3
/* Without --force: no allow broader than nftarpit-sync's default limits, no block broader
 * than a /8 or a /16 (one typo would tarpit a large part of the Internet). */
#define ADMINCMD_ALLOW_LIMIT4 16
#define ADMINCMD_ALLOW_LIMIT6 32
#define ADMINCMD_BLOCK_LIMIT4 8
#define ADMINCMD_BLOCK_LIMIT6 16
/* How long an unblocked range stays protected from the log sources by default. */
#define ADMINCMD_UNBLOCK_DEFAULT (7 * 86400)

#define SET_N LISTSET_COUNT

struct admincmd_args {
	const char *state;
	const char *sock;
	const char *target;
	const char *reason;
	const char
		*config;  /* [sync] never_block, ban_prefix4/6; NULL: the default file if present */
	int64_t duration; /* seconds, 0 forever, -1 not given */
	bool allow;
	bool force;
	bool json;
};

enum {
	ADMINCMD_OPT_FOR = 256,
	ADMINCMD_OPT_REASON,
	ADMINCMD_OPT_ALLOW,
	ADMINCMD_OPT_FORCE,
	ADMINCMD_OPT_STATE,
	ADMINCMD_OPT_JSON,
};

static const struct option admin_opts[] = {
	{"for", required_argument, NULL, ADMINCMD_OPT_FOR},
	{"reason", required_argument, NULL, ADMINCMD_OPT_REASON},
	{"allow", no_argument, NULL, ADMINCMD_OPT_ALLOW},
	{"force", no_argument, NULL, ADMINCMD_OPT_FORCE},
	{"state", required_argument, NULL, ADMINCMD_OPT_STATE},
	{"json", no_argument, NULL, ADMINCMD_OPT_JSON},
	{"socket", required_argument, NULL, 's'},
	{"config", required_argument, NULL, 'c'},
	{NULL, 0, NULL, 0},
};

/* Options anywhere; want_target: exactly one ADDR|CIDR argument. */
static int admincmd_args(int argc, char **argv, bool want_target, struct admincmd_args *a)
{
	const char *err;
	int ch;

	memset(a, 0, sizeof(*a));
	a->state = SYNC_DEFAULT_STATE;
	a->sock = LIVE_DEFAULT_SOCKET;
	a->reason = "";
	a->duration = -1;
	optind = 1;
	for (;;) {
		ch = getopt_long(argc, argv, "s:c:", admin_opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case ADMINCMD_OPT_FOR:
			if (admin_parse_duration(optarg, &a->duration, &err) < 0) {
				log_warnx("bad --for \"%s\": %s", optarg, err);
				return -1;
			}
			break;
		case ADMINCMD_OPT_REASON:
			a->reason = optarg;
			break;
		case ADMINCMD_OPT_ALLOW:
			a->allow = true;
			break;
		case ADMINCMD_OPT_FORCE:
			a->force = true;
			break;
		case ADMINCMD_OPT_STATE:
			a->state = optarg;
			break;
		case ADMINCMD_OPT_JSON:
			a->json = true;
			break;
		case 's':
			a->sock = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		default:
			return -1;
		}
	}
	if (want_target && optind == argc) {
		log_warnx("%s: missing ADDR or CIDR", argv[0]);
		return -1;
	}
	if (want_target)
		a->target = argv[optind++];
	if (optind < argc) {
		log_warnx("%s: unexpected argument \"%s\"", argv[0], argv[optind]);
		return -1;
	}
	return 0;
}

/* Strictly an address, prefix or range; the reason names the input. */
static int admincmd_target(const char *s, int *family, struct cidr_range *r)
{
	char err[128];
	int rc;

	if (s[0] == '\0') {
		log_warnx("empty address: give an address, a prefix or a range");
		return -1;
	}
	rc = cidr_parse(s, family, r, err, sizeof(err));
	if (rc < 0) {
		log_warnx("%s: nothing changed", err);
		return -1;
	}
	if (rc == CIDR_HOSTBITS)
		log_warnx("\"%s\" has host bits set: taken as its network", s);
	return 0;
}

/* Whether s names one address: no prefix length, no range. */
static bool admincmd_single(const char *s)
{
	return strchr(s, '/') == NULL && strchr(s, '-') == NULL;
}

/*
 * Apply one decision to the kernel at once: the sets as they are (kset_have(): the sync's
 * snapshot while the generation is its own, else read back), with r added to or taken out
 * of them and each range laid out in its set as the sync does (listset_layout()), sent as
 * the difference in one transaction (kset_commit()). The next nftarpit-sync run computes
 * the same from the master list, so it keeps the decision.
 */
static int admincmd_kernel(const char *state, enum admin_kind kind, int family,
			   const struct cidr_range *r, int64_t expires, size_t *changes)
{
	enum listset_id h = listset_of(LISTSET_BLOCK, LISTSET_HOSTS, family);
	enum listset_id n = listset_of(LISTSET_BLOCK, LISTSET_RANGES, family);
	enum listset_id al = listset_of(LISTSET_ALLOW, LISTSET_RANGES, family);
	struct cidr_set have[SET_N], want[SET_N], raw, cut;
	struct kset_diff d[SET_N];
	struct kset_op ops[SET_N];
	struct kset_refusal ref;
	char snap[PATH_MAX + 16];
	struct cidr_range x = *r;
	const char *missing;
	bool from_snap = false;
	int64_t now = (int64_t)time(NULL);
	uint32_t gen = 0, after;
	size_t k, nops = 0;
	int i, rc = CTL_EXIT_FAIL;
	struct nftx *nx = nftx_open();

	*changes = 0;
	if (nx == NULL) {
		log_warn("netlink socket");
		return CTL_EXIT_FAIL;
	}
	snprintf(snap, sizeof(snap), "%s.applied", state);
	cidr_set_init(&raw, family);
	cidr_set_init(&cut, family);
	for (i = 0; i < SET_N; i++) {
		cidr_set_init(&have[i], listsets[i].family);
		cidr_set_init(&want[i], listsets[i].family);
		kset_diff_init(&d[i], listsets[i].family);
	}
	if (kset_have(nx, snap, now, have, &gen, &from_snap, &missing) < 0) {
		if (missing != NULL) {
			log_warnx("set inet nftarpit %s is missing: run nftarpitctl setup",
				  missing);
			rc = ADMINCMD_EXIT_NORULESET;
		} else {
			log_warn("reading the list sets");
		}
		goto out;
	}
	for (i = 0; i < SET_N; i++) {
		for (k = 0; k < have[i].n; k++)
			if (cidr_set_add(&want[i], &have[i].r[k]) < 0)
				goto out;
	}
	x.tag = (uint64_t)expires;
	for (k = 0; k < have[h].n; k++)
		if (cidr_set_add(&raw, &have[h].r[k]) < 0)
			goto out;
	for (k = 0; k < have[n].n; k++)
		if (cidr_set_add(&raw, &have[n].r[k]) < 0)
			goto out;
	if (cidr_set_add(&cut, &x) < 0)
		goto out;
	cut.r[0].tag = 0;
	if (kind == ADMIN_BLOCK) {
		/* A block wins over the admin's own allow there (a list file's allow does not:
		 * the next sync run puts it back). */
		if (cidr_set_merge(&want[al]) < 0 || cidr_set_subtract(&want[al], &cut) < 0 ||
		    cidr_set_add(&raw, &x) < 0)
			goto out;
		cidr_set_clear(&cut);
		for (k = 0; k < want[al].n; k++)
			if (cidr_set_add(&cut, &want[al].r[k]) < 0)
				goto out;
		for (k = 0; k < cut.n; k++)
			cut.r[k].tag = 0;
		if (cidr_set_merge(&cut) < 0)
			goto out;
	} else if (kind == ADMIN_ALLOW && cidr_set_add(&want[al], &x) < 0) {
		goto out;
	}
	if (listset_layout(&raw, &cut, &want[h], &want[n]) < 0)
		goto out;
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < SET_N; i++) {
		/* Hosts stay as listset_layout() gave them: merging would join neighbours. */
		if (listsets[i].kind == LISTSET_RANGES && cidr_set_merge(&want[i]) < 0)
			goto out;
		if (kset_diff_compute(&have[i], &want[i], &d[i]) < 0)
			goto out;
		if (d[i].del.n + d[i].add.n == 0)
			continue;
		ops[nops].set = (enum listset_id)i;
		ops[nops].del = &d[i].del;
		ops[nops].add = &d[i].add;
		nops++;
		*changes += d[i].del.n + d[i].add.n;
	}
	rc = 0;
	if (nops == 0)
		goto out;
	if (kset_commit(nx, ops, nops, now, &ref) < 0) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	/* Keep the sync's fast path: the snapshot stays true if only we committed since. */
	after = from_snap ? kset_gen_ours(nx, gen, true) : 0;
	if (after != 0)
		(void)snap_save(snap, after, want);
out:
	for (i = 0; i < SET_N; i++) {
		cidr_set_free(&have[i]);
		cidr_set_free(&want[i]);
		kset_diff_free(&d[i]);
	}
	cidr_set_free(&raw);
	cidr_set_free(&cut);
	nftx_close(nx);
	return rc;
}

/*
 * Whether r touches this host's addresses or nftarpit-sync's never_block ([sync] of the
 * config file): such a block is refused without --force, logged with its source. 0 when
 * clear, 1 refused, -1 when the guard could not be read (refused too).
 */
/*
 * [sync] of the config file (the default one only if present) into c, defaults first.
 * 0, or -1 (logged when the file cannot be read).
 */
static int admincmd_sync_conf(const char *config, struct sync_conf *c)
{
	const char *path = config != NULL ? config : CONFFILE_DEFAULT_PATH;
	int n;

	sync_conf_defaults(c);
	n = config != NULL || access(path, F_OK) == 0 ? sync_conf_load(path, c) : 0;
	if (n < 0)
		log_warn("config %s", path);
	return n != 0 ? -1 : 0;
}

/* How wide nftarpit-sync bans ([sync] ban_prefix4/6): a block of one address does the same. */
static int admincmd_widen_policy(const char *config, struct widen_policy *p)
{
	struct sync_conf *c = calloc(1, sizeof(*c));
	int rc = -1;

	if (c != NULL && admincmd_sync_conf(config, c) == 0) {
		*p = c->policy.widen;
		rc = 0;
	}
	free(c);
	return rc;
}

/* With quiet, a refusal is not logged (the caller falls back to something narrower). */
static int admincmd_never(const char *config, int family, const struct cidr_range *r,
			  const char *text, bool quiet)
{
	struct sync_conf *c = calloc(1, sizeof(*c));
	struct cidr_set own[2], never[2];
	const struct cidr_range *x = NULL;
	char o[CIDR_TEXT_MAX];
	int f = family == 4 ? 0 : 1;
	int rc = -1;

	cidr_set_init(&never[0], 4);
	cidr_set_init(&never[1], 6);
	cidr_set_init(&own[0], 4);
	cidr_set_init(&own[1], 6);
	if (c == NULL || admincmd_sync_conf(config, c) < 0)
		goto out;
	if (never_own(own) < 0 || never_load(c, never) < 0)
		goto out;
	x = guard_overlap(&own[f], r);
	if (x == NULL)
		x = guard_overlap(&never[f], r);
	rc = 0;
	if (x != NULL && quiet) {
		rc = 1;
	} else if (x != NULL) {
		cidr_range_format(x, family, o, sizeof(o));
		log_warnx("never_block src=%s source=nftarpitctl: block overlaps %s %s: refused "
			  "(--force to block it anyway)",
			  text,
			  guard_overlap(&own[f], r) != NULL ? "this host's address" : "never_block",
			  o);
		rc = 1;
	}
out:
	if (rc < 0)
		log_warnx("block %s: never_block could not be checked: refused", text);
	cidr_set_free(&never[0]);
	cidr_set_free(&never[1]);
	cidr_set_free(&own[0]);
	cidr_set_free(&own[1]);
	free(c);
	return rc;
}

/* The master list's directory, created if missing (first use before any sync run). */
static int admincmd_state_dir(const char *state)
{
	char dir[PATH_MAX];

	if ((size_t)snprintf(dir, sizeof(dir), "%s", state) >= sizeof(dir))
		return -1;
	if (mkdir(dirname(dir), 0750) < 0 && errno != EEXIST) {
		log_warn("master list directory of %s", state);
		return -1;
	}
	return 0;
}

static void admincmd_expiry_text(int64_t expires, int64_t now, char *out, size_t len)
{
	char d[32];

	if (expires == 0) {
		snprintf(out, len, "never");
		return;
	}
	status_duration(expires > now ? (uint64_t)(expires - now) : 0, d, sizeof(d));
	snprintf(out, len, "in %s", d);
}

/*
 * Unblock: the log bans overlapping r end now, so they do not return when protection ends.
 * A ban is a prefix: unblocking one address of a banned /64 ends the /64's ban (the
 * offence was attributed to the prefix, and the admin says it was wrong).
 */
static void admincmd_end_bans(struct state *st, int family, const struct cidr_range *r, int64_t now)
{
	struct cidr_range b;
	size_t i;

	for (i = 0; i < st->n; i++) {
		struct state_entry *e = &st->e[i];

		b = state_entry_range(e);
		if (e->family == family && cidr_addr_cmp(&b.first, &r->last) <= 0 &&
		    cidr_addr_cmp(&r->first, &b.last) <= 0 && e->expires > now)
			e->expires = now;
	}
}

/* block and unblock: validate, lock, decide, kernel, save; nothing changes on any error. */
static int admincmd_change(int argc, char **argv, enum admin_kind kind)
{
	struct admincmd_args a;
	struct state st;
	struct cidr_range r, w;
	struct widen_policy wp;
	struct cidr_addr seen;
	bool widened = false;
	char err[PATH_MAX + 128], text[CIDR_TEXT_MAX], exp[48], for_addr[CIDR_TEXT_MAX + 16];
	int64_t now = (int64_t)time(NULL), expires;
	size_t changes = 0;
	int family, lock, rc;

	if (admincmd_args(argc, argv, true, &a) < 0 || admincmd_target(a.target, &family, &r) < 0)
		return CTL_EXIT_USAGE;
	/* A block of one address covers its ban prefix, as a log hit would; ADDR/128 does not. */
	for_addr[0] = '\0';
	if (kind == ADMIN_BLOCK && admincmd_single(a.target)) {
		if (admincmd_widen_policy(a.config, &wp) < 0)
			return CTL_EXIT_USAGE;
		seen = r.first;
		w = widen_ban(&wp, family, &seen);
		widened = cidr_addr_cmp(&w.first, &w.last) != 0;
	}
	if (kind == ADMIN_UNBLOCK && a.allow)
		kind = ADMIN_ALLOW;
	if (a.allow && kind != ADMIN_ALLOW) {
		log_warnx("--allow goes with unblock");
		return CTL_EXIT_USAGE;
	}
	cidr_range_format(&r, family, text, sizeof(text));
	if (!a.force && kind == ADMIN_BLOCK &&
	    cidr_range_broader(&r, family,
			       family == 4 ? ADMINCMD_BLOCK_LIMIT4 : ADMINCMD_BLOCK_LIMIT6)) {
		log_warnx("block %s is broader than /%d: refused (--force to block it anyway)",
			  text, family == 4 ? ADMINCMD_BLOCK_LIMIT4 : ADMINCMD_BLOCK_LIMIT6);
		return CTL_EXIT_USAGE;
	}
	if (!a.force && kind == ADMIN_BLOCK &&
	    admincmd_never(a.config, family, &r, text, false) != 0)
		return CTL_EXIT_USAGE;
	/*
	 * The address is clear; its prefix may not be: a prefix holding this host's address or
	 * never_block stays the address alone, as in nftarpit-sync.
	 */
	if (widened && !a.force && admincmd_never(a.config, family, &w, text, true) != 0) {
		log_warnx("block %s: its /%u holds this host's address or never_block: the address "
			  "alone is blocked",
			  text, widen_ban_len(&wp, family));
		widened = false;
	}
	if (widened) {
		snprintf(for_addr, sizeof(for_addr), " (for %s)", text);
		r = w;
		cidr_range_format(&r, family, text, sizeof(text));
	}
	if (!a.force && kind == ADMIN_ALLOW &&
	    cidr_range_broader(&r, family,
			       family == 4 ? ADMINCMD_ALLOW_LIMIT4 : ADMINCMD_ALLOW_LIMIT6)) {
		log_warnx("allow %s is broader than /%d: refused (--force to allow it anyway)",
			  text, family == 4 ? ADMINCMD_ALLOW_LIMIT4 : ADMINCMD_ALLOW_LIMIT6);
		return CTL_EXIT_USAGE;
	}
	if (a.duration < 0)
		a.duration = kind == ADMIN_UNBLOCK ? ADMINCMD_UNBLOCK_DEFAULT : 0;
	expires = a.duration == 0 ? 0 : now + a.duration;
	if (admincmd_state_dir(a.state) < 0)
		return CTL_EXIT_FAIL;
	lock = admin_lock(a.state, 30000);
	if (lock < 0) {
		log_warn("locking the master list %s", a.state);
		return CTL_EXIT_FAIL;
	}
	state_init(&st);
	rc = CTL_EXIT_FAIL;
	if (state_load(&st, a.state, err, sizeof(err)) < 0) {
		log_warnx("master list refused: %s", err);
		goto out;
	}
	(void)admin_prune(&st.admin, now);
	if (admin_set_seen(&st.admin, kind, family, &r, widened ? &seen : NULL, now, expires,
			   a.reason) < 0) {
		log_warnx("--reason must be one line of printable text, under %d bytes",
			  ADMIN_REASON_MAX);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (kind != ADMIN_BLOCK)
		admincmd_end_bans(&st, family, &r, now);
	rc = admincmd_kernel(a.state, kind, family, &r, expires, &changes);
	if (rc != 0)
		goto out;
	/* After the kernel took it: a refused transaction leaves the master list as it was. */
	if (state_save(&st, a.state, err, sizeof(err)) < 0) {
		log_warnx("saving the master list: %s (the kernel has the change; the next "
			  "nftarpit-sync run will undo it)",
			  err);
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	admincmd_expiry_text(expires, now, exp, sizeof(exp));
	printf("%s %s%s: expires %s, kernel elements changed %zu%s%s\n", admin_kind_name(kind),
	       text, for_addr, exp, changes, a.reason[0] != '\0' ? ", reason: " : "", a.reason);
out:
	state_free(&st);
	admin_unlock(lock);
	return rc;
}

int admincmd_block(int argc, char **argv)
{
	return admincmd_change(argc, argv, ADMIN_BLOCK);
}

int admincmd_unblock(int argc, char **argv)
{
	return admincmd_change(argc, argv, ADMIN_UNBLOCK);
}

static void admincmd_time_text(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, len, "-");
}

int admincmd_list(int argc, char **argv)
{
	struct admincmd_args a;
	struct state st;
	struct state_ban_counts bans;
	char err[PATH_MAX + 128], text[CIDR_TEXT_MAX], added[32], exp[48], bans_text[512];
	int64_t now = (int64_t)time(NULL);
	size_t i, active = 0;
	bool first = true;

	if (admincmd_args(argc, argv, false, &a) < 0)
		return CTL_EXIT_USAGE;
	state_init(&st);
	if (state_load(&st, a.state, err, sizeof(err)) < 0) {
		log_warnx("master list refused: %s", err);
		state_free(&st);
		return CTL_EXIT_FAIL;
	}
	for (i = 0; i < st.n; i++)
		active += st.e[i].expires > now;
	if (a.json)
		printf("{\"state\": ");
	if (a.json) {
		status_json_str(stdout, a.state);
		printf(", \"offenders_active\": %zu, \"offenders_known\": %zu, \"admin\": [",
		       active, st.n);
	} else {
		printf("%-7s %-34s %-20s %-10s %s\n", "KIND", "RANGE", "ADDED", "EXPIRES",
		       "REASON");
	}
	for (i = 0; i < st.admin.n; i++) {
		const struct admin_entry *e = &st.admin.e[i];

		cidr_range_format(&e->r, e->family, text, sizeof(text));
		if (a.json) {
			printf("%s\n  {\"kind\": \"%s\", \"range\": \"%s\", \"added\": %lld, "
			       "\"expires\": %lld, \"active\": %s, \"reason\": ",
			       first ? "" : ",", admin_kind_name(e->kind), text,
			       (long long)e->added, (long long)e->expires,
			       admin_active(e, now) ? "true" : "false");
			status_json_str(stdout, e->reason);
			putchar('}');
			first = false;
			continue;
		}
		admincmd_time_text(e->added, added, sizeof(added));
		if (admin_active(e, now))
			admincmd_expiry_text(e->expires, now, exp, sizeof(exp));
		else
			snprintf(exp, sizeof(exp), "expired");
		printf("%-7s %-34s %-20s %-10s %s\n", admin_kind_name(e->kind), text, added, exp,
		       e->reason);
	}
	state_count_bans(&st, now, &bans);
	if (a.json) {
		printf("%s], \"bans_by_prefix\": ", first ? "" : "\n");
		status_bans_json(stdout, &bans);
		printf("}\n");
	} else {
		status_bans_text(&bans, bans_text, sizeof(bans_text));
		printf("(%zu admin entries; %zu offenders banned from the logs now, %zu known)\n",
		       st.admin.n, active, st.n);
		printf("bans now by prefix: %s\n", bans_text);
	}
	state_free(&st);
	return CTL_EXIT_OK;
}

/* Which range of kernel set i holds a, if any (read back from the kernel). */
static int admincmd_kernel_has(struct nftx *x, int i, const struct cidr_addr *a, int64_t now,
			       struct cidr_range *out)
{
	struct cidr_set s;
	size_t k;
	int rc = 0;

	cidr_set_init(&s, listsets[i].family);
	if (kset_dump(x, (enum listset_id)i, now, &s) < 0) {
		cidr_set_free(&s);
		return -1;
	}
	for (k = 0; k < s.n; k++) {
		if (cidr_addr_cmp(&s.r[k].first, a) <= 0 && cidr_addr_cmp(a, &s.r[k].last) <= 0) {
			*out = s.r[k];
			rc = 1;
			break;
		}
	}
	cidr_set_free(&s);
	return rc;
}

static void admincmd_why_entry(const char *what, const struct admin_entry *e, int64_t now)
{
	char text[CIDR_TEXT_MAX], added[32], exp[48], seen[64];

	if (e == NULL)
		return;
	cidr_range_format(&e->r, e->family, text, sizeof(text));
	admincmd_time_text(e->added, added, sizeof(added));
	admincmd_expiry_text(e->expires, now, exp, sizeof(exp));
	printf("  admin:   %s %s", what, text);
	if (e->has_seen) {
		cidr_addr_format(&e->seen, e->family, seen, sizeof(seen));
		printf(" (blocked for %s)", seen);
	}
	printf(" since %s, expires %s%s%s\n", added, exp, e->reason[0] != '\0' ? ", reason: " : "",
	       e->reason);
}

/* One offender of the master list: its record, the prefix banned, the address seen. */
static void admincmd_why_offender(const struct state_entry *e, const char *label, int64_t now)
{
	char t1[32], t2[32], exp[48], pfx[CIDR_TEXT_MAX], seen[64];
	struct cidr_range b = state_entry_range(e);
	int i;

	cidr_range_format(&b, e->family, pfx, sizeof(pfx));
	cidr_addr_format(&e->seen, e->family, seen, sizeof(seen));
	admincmd_time_text(e->first, t1, sizeof(t1));
	admincmd_time_text(e->last, t2, sizeof(t2));
	admincmd_expiry_text(e->expires, now, exp, sizeof(exp));
	printf("  %s first seen %s, last seen %s, hits %u, ban episodes %u, ban %s%s, sources",
	       label, t1, t2, e->hits, e->bans, e->expires > now ? "expires " : "ended",
	       e->expires > now ? exp : "");
	for (i = 0; i < REASON_N; i++)
		if (e->sources & (1u << i))
			printf(" %s", reason_name((enum reason)i));
	printf("; banned prefix %s, address seen %s\n", pfx, seen);
}

/* The escalated prefixes holding a, and the bans inside them that made them. */
static void admincmd_why_escalated(const struct state *st, int family, const struct cidr_addr *a,
				   int64_t now)
{
	const struct widen_esc *x;
	const struct state_entry *e;
	struct cidr_range r, b;
	char pfx[CIDR_TEXT_MAX], since[32], exp[48];
	size_t i, k;

	for (i = 0; i < st->nesc; i++) {
		x = &st->esc[i];
		r = widen_esc_range(x);
		if (x->family != family || x->expires <= now || cidr_addr_cmp(a, &r.first) < 0 ||
		    cidr_addr_cmp(a, &r.last) > 0)
			continue;
		cidr_range_format(&r, family, pfx, sizeof(pfx));
		admincmd_time_text(x->since, since, sizeof(since));
		admincmd_expiry_text(x->expires, now, exp, sizeof(exp));
		printf("  escalated: prefix %s banned since %s, expires %s: %u banned prefixes "
		       "inside it\n",
		       pfx, since, exp, x->units);
		for (k = 0; k < st->n; k++) {
			e = &st->e[k];
			b = state_entry_range(e);
			if (e->family != family || e->expires <= now || e->prefix <= x->len ||
			    cidr_addr_cmp(&b.first, &r.first) < 0 ||
			    cidr_addr_cmp(&b.last, &r.last) > 0)
				continue;
			admincmd_why_offender(e, "  inside:", now);
		}
	}
}

/* Flows from addr held right now, from the daemon's snapshot. */
static void admincmd_why_held(const char *sock, const char *addr)
{
	struct status *st = malloc(sizeof(*st));
	char d[32];
	size_t i, n = 0;
	uint64_t longest = 0;

	if (st == NULL)
		return;
	live_status(st, sock, STATUS_FLOWS_MAX, false);
	if (!st->daemon) {
		printf("  held:    unknown (nftarpitd: %s)\n", st->daemon_err);
		free(st);
		return;
	}
	for (i = 0; i < st->nflows; i++) {
		if (strcmp(st->flows[i].src, addr) != 0)
			continue;
		n++;
		if (st->flows[i].held > longest)
			longest = st->flows[i].held;
	}
	status_duration(longest, d, sizeof(d));
	if (n == 0)
		printf("  held:    no flow from it held now\n");
	else
		printf("  held:    %zu flow(s) held now, the longest for %s\n", n, d);
	free(st);
}

int admincmd_why(int argc, char **argv)
{
	struct admincmd_args a;
	struct state st;
	struct cidr_range r, kr;
	const struct state_entry *e;
	char err[PATH_MAX + 128], text[CIDR_TEXT_MAX], exp[48], addr[64];
	int64_t now = (int64_t)time(NULL);
	int family, i, in[SET_N];
	int blocked, allowed;
	bool unknown = false;
	size_t k;
	struct nftx *x;

	if (admincmd_args(argc, argv, true, &a) < 0 || admincmd_target(a.target, &family, &r) < 0)
		return CTL_EXIT_USAGE;
	if (cidr_addr_cmp(&r.first, &r.last) != 0) {
		log_warnx("why takes one address, not a range");
		return CTL_EXIT_USAGE;
	}
	cidr_addr_format(&r.first, family, addr, sizeof(addr));
	state_init(&st);
	if (state_load(&st, a.state, err, sizeof(err)) < 0) {
		log_warnx("master list refused: %s", err);
		state_free(&st);
		return CTL_EXIT_FAIL;
	}
	printf("%s\n", addr);
	admincmd_why_entry("block", admin_covering(&st.admin, ADMIN_BLOCK, family, &r.first, now),
			   now);
	admincmd_why_entry("unblock",
			   admin_covering(&st.admin, ADMIN_UNBLOCK, family, &r.first, now), now);
	admincmd_why_entry("allow", admin_covering(&st.admin, ADMIN_ALLOW, family, &r.first, now),
			   now);
	k = 0;
	e = state_covering(&st, family, &r.first, &k);
	if (e == NULL)
		printf("  logs:    not in the master list's offenders\n");
	for (; e != NULL; e = state_covering(&st, family, &r.first, &k))
		admincmd_why_offender(e, "logs:   ", now);
	admincmd_why_escalated(&st, family, &r.first, now);
	state_free(&st);
	x = nftx_open();
	for (i = 0; i < SET_N; i++)
		in[i] = -1;
	blocked = 0;
	allowed = 0;
	for (i = 0; x != NULL && i < SET_N; i++) {
		if (listsets[i].family != family)
			continue;
		in[i] = admincmd_kernel_has(x, i, &r.first, now, &kr);
		if (in[i] < 0) {
			printf("  kernel:  %s unreadable (%s)\n", listsets[i].name,
			       strerror(errno));
			unknown = true;
		} else if (in[i] == 0) {
			printf("  kernel:  not in %s\n", listsets[i].name);
		} else {
			cidr_range_format(&kr, family, text, sizeof(text));
			admincmd_expiry_text((int64_t)kr.tag, now, exp, sizeof(exp));
			printf("  kernel:  in %s as %s, expires %s\n", listsets[i].name, text, exp);
		}
		if (in[i] == 1 && listsets[i].role == LISTSET_BLOCK)
			blocked = 1;
		if (in[i] == 1 && listsets[i].role == LISTSET_ALLOW)
			allowed = 1;
	}
	nftx_close(x);
	if (x != NULL && !unknown && blocked && !allowed)
		printf("  verdict: tarpitted (blocklisted, not allowlisted)\n");
	else if (x != NULL && !unknown && blocked && allowed)
		printf("  verdict: passes (blocklisted, but the allowlist wins)\n");
	else if (x != NULL && !unknown && !blocked)
		printf("  verdict: passes (not blocklisted)\n");
	admincmd_why_held(a.sock, addr);
	return CTL_EXIT_OK;
}
