// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl's ruleset commands: setup, teardown, print-ruleset. */
#include "setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "admin.h"
#include "conffile.h"
#include "kset.h"
#include "lease.h"
#include "listfile.h"
#include "log.h"
#include "nftx.h"
#include "restore.h"
#include "snap.h"

/*
 * Does the kernel have the native queue expression? 1 yes, 0 no (the probe rule got ENOENT:
 * no nft_queue, even after the module autoload the kernel tries), -1 with errno and *err set
 * when the probe itself failed (e.g. EPERM). See ruleset_build_probe() for why the probe
 * leaves nothing behind.
 */
static int setup_probe_native_queue(struct nftx *x, struct nftx_error *err)
{
	return nftx_probe(x, ruleset_build_probe, ENOENT, err);
}

/* What setup puts in its transaction besides the ruleset. */
struct setup_lists {
	const struct cidr_set *fill; /* LISTSET_COUNT sets, or NULL */
	bool only[LISTSET_COUNT];    /* with fill: the sets to flush and fill (false: untouched) */
	bool drop[LISTSET_LEGACY_N]; /* legacy sets to delete (the layout before issue 16) */
};

/*
 * Install or update the ruleset in one transaction. With o->expr AUTO, probe first; *used
 * tells which queue expression went in. The same transaction deletes the legacy sets named
 * in l->drop (after the chain flush let go of the rules that used them) and, with l->fill,
 * flushes the chosen list sets and adds fill's ranges, so the table never exists with empty
 * lists; *gen gets the generation seen just before it (0 unknown). 0, or -1 with errno and
 * *err when the kernel refused a message.
 */
static int setup_install(struct nftx *x, const struct ruleset_opts *o, const struct setup_lists *l,
			 enum ruleset_queue_expr *used, uint32_t *gen, struct nftx_error *err)
{
	struct ruleset_opts eff = *o;
	struct kset_op ops[LISTSET_COUNT];
	struct mnl_nlmsg_batch *b;
	size_t nops = 0;
	size_t i, limit;
	char *buf;
	uint32_t seq;
	int saved = ENOMEM;
	bool all;
	int have;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	if (eff.expr == RULESET_QUEUE_AUTO) {
		have = setup_probe_native_queue(x, err);
		if (have < 0)
			return -1;
		eff.expr = have ? RULESET_QUEUE_NATIVE : RULESET_QUEUE_XT;
		memset(err, 0, sizeof(*err));
	}
	*used = eff.expr;
	/*
	 * A change of ownership re-creates the table (lib/ruleset_own.c), so it needs every
	 * list set filled: a migration from the legacy sets' own contents fills the blocklists
	 * only, and waits for a setup with the sync's files.
	 */
	all = l->fill != NULL;
	for (i = 0; all && i < LISTSET_COUNT; i++)
		all = l->only[i];
	if (ruleset_own_decide(x, &eff, all) < 0)
		return -1;
	memset(ops, 0, sizeof(ops));
	for (i = 0; l->fill != NULL && i < LISTSET_COUNT; i++) {
		if (!l->only[i])
			continue;
		ops[nops].set = (enum listset_id)i;
		ops[nops].flush = true;
		ops[nops].add = &l->fill[i];
		nops++;
	}
	limit = NFTX_BATCH_SIZE / 2 + kset_batch_size(ops, nops);
	buf = kset_batch_alloc(limit, &b);
	if (buf == NULL)
		return -1;
	/* Zeroed: attribute padding goes to the kernel as it is in the buffer. */
	memset(buf, 0, limit);
	if (kset_genid(x, gen) < 0)
		*gen = 0;
	seq = nftx_seq(x);
	if (nftx_batch_begin(b, &seq) < 0 || ruleset_build_msgs(b, &eff, &seq) < 0)
		goto stop;
	for (i = 0; !eff.recreate && i < LISTSET_LEGACY_N; i++)
		if (l->drop[i] && ruleset_build_delset(b, listset_legacy[i], &seq) < 0)
			goto stop;
	if (kset_build_msgs(b, &seq, ops, nops, (int64_t)time(NULL)) == 0 &&
	    nftx_batch_end(b, &seq) == 0)
		rc = nftx_send(x, b, err);
stop:
	saved = errno;
	mnl_nlmsg_batch_stop(b);
	free(buf);
	errno = saved;
	return rc;
}

static int setup_build_teardown(struct mnl_nlmsg_batch *b, uint32_t *seq, void *arg)
{
	(void)arg;
	return ruleset_build_teardown(b, seq);
}

/* Delete table inet nftarpit. 0 (*absent tells whether it was already gone), or -1. */
static int setup_remove(struct nftx *x, bool *absent, struct nftx_error *err)
{
	*absent = false;
	if (nftx_send_one(x, setup_build_teardown, NULL, err) == 0)
		return 0;
	if (err->count > 0 && err->error == ENOENT) {
		*absent = true;
		return 0;
	}
	return -1;
}

/* Why the queue expression in use was chosen, for the one line setup prints. */
static const char *setup_queue_how(enum ruleset_queue_expr asked, enum ruleset_queue_expr used)
{
	if (asked == RULESET_QUEUE_AUTO)
		return used == RULESET_QUEUE_NATIVE ? "nft queue expression"
						    : "xt NFQUEUE target (kernel lacks nft queue)";
	return used == RULESET_QUEUE_NATIVE ? "nft queue expression (--queue-expr native)"
					    : "xt NFQUEUE target (--queue-expr xt)";
}

static void setup_log_refused(const char *doing, const struct nftx_error *err)
{
	if (err->count == 0) {
		log_warn("%s", doing);
		return;
	}
	log_warnx("%s: %s: %s%s%s%s%s", doing, err->what, strerror(err->error),
		  err->count > 1 ? " (and more errors after it)" : "",
		  err->error == EPERM && err->note[0] == '\0' ? " (CAP_NET_ADMIN is needed)" : "",
		  err->note[0] != '\0' ? "; without nftarpitd's lease: " : "", err->note);
}

const char *setup_conf_set(struct ruleset_opts *o, const char *key, const char *value)
{
	/* The parsers write their reason into a buffer; the config reader logs it at once. */
	static char err[256];
	int rc;

	if (strcmp(key, "queue") == 0)
		rc = ruleset_parse_queue(o, value, err, sizeof(err));
	else if (strcmp(key, "ports") == 0)
		rc = ruleset_parse_ports(o, value, err, sizeof(err));
	else if (strcmp(key, "mark") == 0)
		rc = ruleset_parse_mark(o, value, err, sizeof(err));
	else if (strcmp(key, "queue_expr") == 0)
		rc = ruleset_parse_queue_expr(o, value, err, sizeof(err));
	else if (strcmp(key, "lists_include") == 0)
		rc = ruleset_parse_lists(o, value, err, sizeof(err));
	else if (strcmp(key, "own") == 0)
		rc = ruleset_parse_own(o, value, err, sizeof(err));
	else if (strcmp(key, "fail_open") == 0)
		return conffile_bool(value, &o->fail_open);
	else if (strcmp(key, "rpf") == 0)
		return conffile_bool(value, &o->rpf);
	else
		return "unknown key";
	return rc < 0 ? err : NULL;
}

static const char *setup_conf_cb(void *arg, const char *key, const char *value)
{
	return setup_conf_set(arg, key, value);
}

int setup_conf_load(const char *path, struct ruleset_opts *o)
{
	return conffile_load(path, "ruleset", setup_conf_cb, o);
}

/*
 * The lists as last applied, from state (see restore_load()). 1 with sets filled, 0 when
 * there is nothing to restore (no state given, or no files yet), -1 logged.
 */
static int setup_fill_load(const struct setup_fill *fill, struct cidr_set *sets)
{
	char err[PATH_MAX + 128];
	int rc;

	if (fill == NULL || fill->state == NULL || fill->state[0] == '\0')
		return 0;
	rc = restore_load(fill->state, fill->kernel_timeouts, (int64_t)time(NULL), sets, err,
			  sizeof(err));
	if (rc < 0)
		log_warnx("lists not restored: %s; the sets keep their contents", err);
	return rc;
}

/*
 * After a filled setup, what we committed is the kernel's content: a snapshot tied to the
 * new generation spares the next sync run reading the sets back (quadratic in the kernel).
 */
static void setup_fill_snapshot(struct nftx *x, const struct setup_fill *fill, uint32_t before,
				const struct cidr_set *sets)
{
	char snap[PATH_MAX + 16];
	uint32_t after = kset_gen_ours(x, before, true);

	if (after == 0 ||
	    (size_t)snprintf(snap, sizeof(snap), "%s.applied", fill->state) >= sizeof(snap))
		return;
	/* Written through safefile: as root, the file goes to the directory's owner. */
	(void)snap_save(snap, after, sets);
}

/*
 * The layout before issue 16 had one interval set per family for blocklists: which of them
 * the table still has (drop[]), and, when there is nothing of the sync's to restore, their
 * contents laid out in the new sets (fill, only the blocklist sets), so that the migration
 * blocks in its own transaction whatever blocked before it. 1 when migrating, 0 when not,
 * -1 logged.
 */
static int setup_legacy(struct nftx *x, bool filled, struct cidr_set *sets, struct setup_lists *l)
{
	struct cidr_set raw;
	int i, f, found, migrating = 0;

	for (i = 0; i < LISTSET_LEGACY_N; i++) {
		found = kset_exists(x, listset_legacy[i]);
		if (found < 0) {
			log_warn("looking for set %s", listset_legacy[i]);
			return -1;
		}
		l->drop[i] = found == 1;
		migrating |= found;
	}
	if (!migrating || filled)
		return migrating;
	for (i = 0; i < LISTSET_LEGACY_N; i++) {
		if (!l->drop[i])
			continue;
		f = LISTSET_LEGACY_FAMILY(i);
		cidr_set_init(&raw, f);
		if (kset_dump_named(x, listset_legacy[i], LISTSET_RANGES, (int64_t)time(NULL),
				    &raw) < 0 ||
		    listset_layout(&raw, NULL, &sets[listset_of(LISTSET_BLOCK, LISTSET_HOSTS, f)],
				   &sets[listset_of(LISTSET_BLOCK, LISTSET_RANGES, f)]) < 0) {
			log_warn("reading set %s", listset_legacy[i]);
			cidr_set_free(&raw);
			return -1;
		}
		cidr_set_free(&raw);
		l->only[listset_of(LISTSET_BLOCK, LISTSET_HOSTS, f)] = true;
		l->only[listset_of(LISTSET_BLOCK, LISTSET_RANGES, f)] = true;
	}
	l->fill = sets;
	return 1;
}

/*
 * After a migration restored from the sync's files: the lists file beside the master list
 * (its default place, when it is there) still names the old sets, and a firewall reload
 * that includes it before the next sync run rewrites it would fail as a whole. Rewritten
 * here from what the transaction put in the new sets.
 */
static void setup_migrate_listfile(const char *state, const struct cidr_set *sets)
{
	const char *slash = strrchr(state, '/');
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%.*s%slists.nft",
			     slash != NULL ? (int)(slash - state) : 0, state,
			     slash != NULL ? "/" : "") >= sizeof(path) ||
	    access(path, F_OK) < 0)
		return;
	if (listfile_write(path, sets, (int64_t)time(NULL)) == 0)
		log_info("rewrote %s for the new sets", path);
}

int setup_run(const struct ruleset_opts *o, const struct setup_fill *fill)
{
	enum ruleset_queue_expr used = o->expr;
	struct cidr_set sets[LISTSET_COUNT];
	struct setup_lists l;
	struct nftx_error err;
	struct nftx *x = NULL;
	char desc[1024], counts[512], dropped[128];
	size_t len = 0;
	uint32_t gen = 0;
	int filled, migrating, i;
	int rc = CTL_EXIT_FAIL;
	int orphan = 0;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_init(&sets[i], listsets[i].family);
	/*
	 * A table with the old contents beats no table: a master list we cannot read (cut
	 * short, unreadable) is reported and the sets are left as they are.
	 */
	filled = setup_fill_load(fill, sets);
	if (filled < 0)
		filled = 0;
	x = nftx_open();
	if (x == NULL) {
		log_warn("netlink socket");
		goto out;
	}
	if (filled) {
		l.fill = sets;
		for (i = 0; i < LISTSET_COUNT; i++)
			l.only[i] = true;
	}
	migrating = setup_legacy(x, filled, sets, &l);
	if (migrating < 0)
		goto out;
	if (setup_install(x, o, &l, &used, &gen, &err) < 0) {
		setup_log_refused("setup of table inet " RULESET_TABLE " failed", &err);
		if (used == RULESET_QUEUE_NATIVE && err.count > 0 && err.error == ENOENT &&
		    strncmp(err.what, "rule ", 5) == 0)
			log_warnx("the kernel may lack nft queue (CONFIG_NFT_QUEUE); "
				  "try --queue-expr xt");
		goto out;
	}
	ruleset_describe(o, setup_queue_how(o->expr, used), desc, sizeof(desc));
	log_info("installed table inet %s: %s", RULESET_TABLE, desc);
	orphan = ruleset_own_report(x);
	counts[0] = '\0';
	for (i = 0; l.fill != NULL && i < LISTSET_COUNT && len < sizeof(counts); i++)
		if (l.only[i])
			len += (size_t)snprintf(counts + len, sizeof(counts) - len, " %s=%zu",
						listsets[i].name, sets[i].n);
	dropped[0] = '\0';
	for (i = 0, len = 0; i < LISTSET_LEGACY_N && len < sizeof(dropped); i++)
		if (l.drop[i])
			len += (size_t)snprintf(dropped + len, sizeof(dropped) - len, " %s",
						listset_legacy[i]);
	if (migrating)
		log_info("migrated the blocklists to hosts and ranges sets: deleted%s, filled "
			 "from %s in the same transaction:%s",
			 dropped, filled ? fill->state : "their contents", counts);
	else if (filled)
		log_info("lists restored in the same transaction from %s:%s ranges", fill->state,
			 counts);
	if (filled)
		setup_fill_snapshot(x, fill, gen, sets);
	if (migrating && filled)
		setup_migrate_listfile(fill->state, sets);
	rc = CTL_EXIT_OK;
out:
	if (x != NULL)
		nftx_close(x);
	/*
	 * A persistent table we made directly (nftarpitd refused the lease: the table was not
	 * its to lend) is an orphan once our socket is closed: a running nftarpitd claims it at
	 * the next lease request, so make one now.
	 */
	if (orphan && lease_nudge() == 0)
		log_info("table inet %s: nftarpitd asked to claim it", RULESET_TABLE);
	for (i = 0; i < LISTSET_COUNT; i++)
		cidr_set_free(&sets[i]);
	return rc;
}

int setup_teardown(void)
{
	struct nftx_error err;
	struct nftx *x;
	bool absent;
	int rc = CTL_EXIT_FAIL;

	x = nftx_open();
	if (x == NULL) {
		log_warn("netlink socket");
		return CTL_EXIT_FAIL;
	}
	if (setup_remove(x, &absent, &err) < 0) {
		setup_log_refused("teardown failed", &err);
		goto close;
	}
	if (absent)
		log_info("table inet %s is not there; nothing to remove", RULESET_TABLE);
	else
		log_info("removed table inet %s", RULESET_TABLE);
	rc = CTL_EXIT_OK;
close:
	nftx_close(x);
	return rc;
}

int setup_print_ruleset(const struct ruleset_opts *o)
{
	if (ruleset_format_nft(stdout, o) < 0 || fflush(stdout) != 0) {
		log_warn("stdout");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}
