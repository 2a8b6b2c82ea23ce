// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl: the ruleset (setup, teardown, print), live status, metrics and top. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "admincmd.h"
#include "conffile.h"
#include "live.h"
#include "log.h"
#include "ruleset.h"
#include "setup.h"
#include "sync_conf.h"
#include "top.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nftarpitctl setup [-c FILE] [--queue N|N-M] [--ports LIST] [--fail-open]\n"
		"                         [--mark VALUE] [--queue-expr auto|native|xt] [--no-rpf]\n"
		"                         [--state PATH | --no-restore] [--own auto|yes|no]\n"
		"       nftarpitctl teardown\n"
		"       nftarpitctl print-ruleset [setup's options] [--lists-include PATH|none]\n"
		"       nftarpitctl status [--json] [-s PATH] [--flows N] [--no-sets]\n"
		"                          [--state PATH]\n"
		"       nftarpitctl top [-s PATH] [--interval MS]\n"
		"       nftarpitctl metrics [-s PATH] [-o FILE | --listen ADDR:PORT] [--no-sets]\n"
		"                           [--state PATH]\n"
		"       nftarpitctl block ADDR|CIDR [--for DURATION] [--reason TEXT] [--force]\n"
		"                         [--state PATH] [-c FILE]\n"
		"       nftarpitctl unblock ADDR|CIDR [--for DURATION] [--allow] [--reason TEXT]\n"
		"                         [--force] [--state PATH]\n"
		"       nftarpitctl list [--json] [--state PATH]\n"
		"       nftarpitctl why ADDR [-s PATH] [--state PATH]\n"
		"  -c, --config FILE  read [ruleset] (block: [sync]'s never_block, ban_prefix4/6)\n"
		"                     from FILE (default " CONFFILE_DEFAULT_PATH " if present);\n"
		"                     options given here override it\n"
		"  -s, --socket PATH  nftarpitd's control socket (default " LIVE_DEFAULT_SOCKET
		")\n"
		"  --state PATH       nftarpit-sync's master list (default [sync] state, "
		"else " SYNC_DEFAULT_STATE ");\n"
		"                     setup fills the lists from it in its own transaction\n"
		"  --no-restore       setup keeps the lists' contents as they are\n"
		"  --own auto|yes|no  a table owned by nftarpitd (survives flush ruleset) or not;\n"
		"                     auto: owned where the kernel has NFT_TABLE_F_PERSIST, an\n"
		"                     unowned table stays so; yes/no convert it (default [ruleset] "
		"own)\n");
}

enum {
	OPT_QUEUE = 256,
	OPT_PORTS,
	OPT_FAIL_OPEN,
	OPT_MARK,
	OPT_QUEUE_EXPR,
	OPT_NO_RPF,
	OPT_STATE,
	OPT_NO_RESTORE,
	OPT_LISTS_INCLUDE,
	OPT_OWN,
};

static const struct option long_opts[] = {
	{"queue", required_argument, NULL, OPT_QUEUE},
	{"ports", required_argument, NULL, OPT_PORTS},
	{"fail-open", no_argument, NULL, OPT_FAIL_OPEN},
	{"mark", required_argument, NULL, OPT_MARK},
	{"queue-expr", required_argument, NULL, OPT_QUEUE_EXPR},
	{"no-rpf", no_argument, NULL, OPT_NO_RPF},
	{"state", required_argument, NULL, OPT_STATE},
	{"no-restore", no_argument, NULL, OPT_NO_RESTORE},
	{"lists-include", required_argument, NULL, OPT_LISTS_INCLUDE},
	{"own", required_argument, NULL, OPT_OWN},
	{"config", required_argument, NULL, 'c'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *opt_name(int ch)
{
	const struct option *lo;

	for (lo = long_opts; lo->name != NULL; lo++) {
		if (lo->val == ch)
			return lo->name;
	}
	return "?";
}

/*
 * Defaults, then [ruleset] (and, given sc, [sync]) of the config file (the default one only if it
 * exists), so that options parsed afterwards override it. 0, or -1 when the file is unreadable or
 * wrong.
 */
static int load_config(int argc, char *argv[], struct ruleset_opts *o, struct sync_conf *sc)
{
	const char *path = CONFFILE_DEFAULT_PATH;
	bool explicit = false;
	int ch;
	int n;

	/* First pass: only -c; the second pass reports unknown options. */
	opterr = 0;
	optind = 1;
	for (;;) {
		ch = getopt_long(argc - 1, argv + 1, "c:h", long_opts, NULL);
		if (ch == -1)
			break;
		if (ch == 'c') {
			path = optarg;
			explicit = true;
		}
	}
	opterr = 1;
	/* setup restores the lists from [sync] state; a bad [sync] line is nftarpit-sync's
	 * error to report, and must not keep the firewall from coming up. */
	if (sc != NULL && sync_conf_load(path, sc) > 0)
		log_warnx("config %s: errors in [sync]; lists restored from %s", path, sc->state);
	n = setup_conf_load(path, o);
	if (n < 0 && (errno != ENOENT || explicit)) {
		log_warn("config %s", path);
		return -1;
	}
	if (n > 0) {
		log_warnx("config %s: %d error%s", path, n, n == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	/* Static: [sync]'s lists of paths make it large. */
	static struct sync_conf sc;
	struct setup_fill fill;
	struct ruleset_opts o;
	const char *cmd;
	char err[256];
	int ch;
	int rc = 0;

	log_init("nftarpitctl", true, 0);
	ruleset_opts_default(&o);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	cmd = argv[1];
	if (strcmp(cmd, "status") == 0)
		return live_cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "metrics") == 0)
		return live_cmd_metrics(argc - 1, argv + 1);
	if (strcmp(cmd, "top") == 0)
		return top_cmd(argc - 1, argv + 1);
	if (strcmp(cmd, "block") == 0)
		return admincmd_block(argc - 1, argv + 1);
	if (strcmp(cmd, "unblock") == 0)
		return admincmd_unblock(argc - 1, argv + 1);
	if (strcmp(cmd, "list") == 0)
		return admincmd_list(argc - 1, argv + 1);
	if (strcmp(cmd, "why") == 0)
		return admincmd_why(argc - 1, argv + 1);
	if (strcmp(cmd, "setup") != 0 && strcmp(cmd, "teardown") != 0 &&
	    strcmp(cmd, "print-ruleset") != 0) {
		log_warnx("unknown command \"%s\"", cmd);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	sync_conf_defaults(&sc);
	fill.state = sc.state;
	if (strcmp(cmd, "teardown") != 0 &&
	    load_config(argc, argv, &o, strcmp(cmd, "setup") == 0 ? &sc : NULL) < 0)
		return CTL_EXIT_USAGE;
	fill.kernel_timeouts = sc.kernel_timeouts;
	optind = 1;
	while (rc == 0) {
		ch = getopt_long(argc - 1, argv + 1, "c:h", long_opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			break;
		case OPT_QUEUE:
			rc = ruleset_parse_queue(&o, optarg, err, sizeof(err));
			break;
		case OPT_PORTS:
			rc = ruleset_parse_ports(&o, optarg, err, sizeof(err));
			break;
		case OPT_FAIL_OPEN:
			o.fail_open = true;
			break;
		case OPT_MARK:
			rc = ruleset_parse_mark(&o, optarg, err, sizeof(err));
			break;
		case OPT_QUEUE_EXPR:
			rc = ruleset_parse_queue_expr(&o, optarg, err, sizeof(err));
			break;
		case OPT_NO_RPF:
			o.rpf = false;
			break;
		case OPT_STATE:
			fill.state = optarg;
			break;
		case OPT_NO_RESTORE:
			fill.state = NULL;
			break;
		case OPT_LISTS_INCLUDE:
			rc = ruleset_parse_lists(&o, optarg, err, sizeof(err));
			break;
		case OPT_OWN:
			rc = ruleset_parse_own(&o, optarg, err, sizeof(err));
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
		if (rc < 0) {
			log_warnx("bad --%s \"%s\": %s", opt_name(ch), optarg, err);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		log_warnx("unexpected argument \"%s\"", argv[optind + 1]);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(cmd, "teardown") == 0) {
		if (argc > 2) {
			log_warnx("teardown takes no options");
			return CTL_EXIT_USAGE;
		}
		return setup_teardown();
	}
	if (strcmp(cmd, "setup") == 0)
		return setup_run(&o, &fill);
	return setup_print_ruleset(&o);
}
