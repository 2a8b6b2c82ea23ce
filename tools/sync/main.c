// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync: spam sources from mail logs, the journal and lists into the nftables sets. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "pattern.h"
#include "strnum.h"
#include "sync.h"
#include "sync_conf.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nftarpit-sync [-c FILE] [--log FILE|-]... [--journal] [--list "
		"[FMT:]FILE]...\n"
		"                     [--allow [FMT:]FILE]... [--state FILE] [--dry-run] "
		"[--follow]\n"
		"                     [--replace] [--force] [--export-plain FILE]\n"
		"                     [--export-rbldnsd FILE] [--journal-file FILE] [--now EPOCH]\n"
		"                     [-v]\n"
		"       nftarpit-sync [-c FILE] --test-pattern LOGFILE\n"
		"  FMT: auto (default), plain, drop, json, rbldnsd\n"
		"exit: 0 done, 1 bad options/config/list/state (nothing applied),\n"
		"      2 the kernel refused the transaction (sets unchanged),\n"
		"      3 the nftarpit ruleset is missing (run nftarpitctl setup)\n");
}

enum {
	OPT_LOG = 256,
	OPT_JOURNAL,
	OPT_JOURNAL_FILE,
	OPT_LIST,
	OPT_ALLOW,
	OPT_STATE,
	OPT_DRY_RUN,
	OPT_FOLLOW,
	OPT_REPLACE,
	OPT_FORCE,
	OPT_EXPORT_PLAIN,
	OPT_EXPORT_RBLDNSD,
	OPT_NOW,
	OPT_TEST_PATTERN,
};

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"log", required_argument, NULL, OPT_LOG},
	{"journal", no_argument, NULL, OPT_JOURNAL},
	{"journal-file", required_argument, NULL, OPT_JOURNAL_FILE},
	{"list", required_argument, NULL, OPT_LIST},
	{"allow", required_argument, NULL, OPT_ALLOW},
	{"state", required_argument, NULL, OPT_STATE},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"follow", no_argument, NULL, OPT_FOLLOW},
	{"replace", no_argument, NULL, OPT_REPLACE},
	{"force", no_argument, NULL, OPT_FORCE},
	{"export-plain", required_argument, NULL, OPT_EXPORT_PLAIN},
	{"export-rbldnsd", required_argument, NULL, OPT_EXPORT_RBLDNSD},
	{"now", required_argument, NULL, OPT_NOW},
	{"test-pattern", required_argument, NULL, OPT_TEST_PATTERN},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Options map onto config keys, so both paths share one validation. */
static const char *opt_key(int ch)
{
	switch (ch) {
	case OPT_LOG:
		return "log";
	case OPT_LIST:
		return "list";
	case OPT_ALLOW:
		return "allow";
	case OPT_STATE:
		return "state";
	case OPT_JOURNAL_FILE:
		return "journal_file";
	case OPT_EXPORT_PLAIN:
		return "export_plain";
	case OPT_EXPORT_RBLDNSD:
		return "export_rbldnsd";
	default:
		return NULL;
	}
}

static struct sync_conf conf;

int main(int argc, char *argv[])
{
	const char *path = NULL;
	const char *test = NULL;
	const char *err;
	int ch, verbose = 0;
	int n;

	log_init("nftarpit-sync", true, 0);
	sync_conf_defaults(&conf);
	/* First pass: only the config file, so that options given after it override it. */
	while ((ch = getopt_long(argc, argv, "c:vh", long_opts, NULL)) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'h') {
			usage(stdout);
			return 0;
		} else if (ch == '?') {
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (path != NULL) {
		n = sync_conf_load(path, &conf);
		if (n < 0) {
			log_warn("%s", path);
			return 1;
		}
		if (n > 0) {
			log_warnx("%s: %d error%s", path, n, n == 1 ? "" : "s");
			return 1;
		}
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", long_opts, NULL)) != -1) {
		err = NULL;
		switch (ch) {
		case 'c':
			break;
		case 'v':
			verbose++;
			break;
		case OPT_JOURNAL:
			conf.journal = true;
			break;
		case OPT_STATE:
			err = sync_conf_set(&conf, "state", optarg);
			break;
		case OPT_DRY_RUN:
			conf.dry_run = true;
			break;
		case OPT_FOLLOW:
			conf.follow = true;
			break;
		case OPT_REPLACE:
			conf.replace = true;
			break;
		case OPT_FORCE:
			conf.force = true;
			break;
		case OPT_NOW:
			conf.now = strnum_parse(optarg, 1, 1LL << 40, &err);
			break;
		case OPT_TEST_PATTERN:
			test = optarg;
			break;
		default:
			err = sync_conf_set(&conf, opt_key(ch), optarg);
			break;
		}
		if (err != NULL) {
			log_warnx("--%s %s: %s", ch == OPT_NOW ? "now" : opt_key(ch), optarg, err);
			return 1;
		}
	}
	conf.verbose = verbose;
	log_set_verbose(verbose);
	sync_conf_finish(&conf);
	if (test != NULL) {
		/* Like fail2ban-regex: what the configured readers would ban; touches nothing. */
		if (pattern_test_file(test, &conf.mlog, conf.policy.bantime, stdout) < 0) {
			log_warn("%s", test);
			return 1;
		}
		return 0;
	}
	if (conf.nlogs == 0 && !conf.journal && conf.nlists == 0 && conf.nallows == 0 &&
	    conf.crowdsec.url[0] == '\0')
		log_warnx("no sources given: the sets will hold only the master list");
	return sync_main(&conf);
}
