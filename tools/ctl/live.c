// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl's live views: ask nftarpitd and the kernel, then status, metrics or top. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "cidr.h"
#include "crowdsec.h"
#include "http.h"
#include "kset.h"
#include "log.h"
#include "metrics.h"
#include "nftx.h"
#include "safefile.h"
#include "setup.h"
#include "state.h"
#include "strnum.h"
#include "sync_conf.h"

#define LIVE_PROC_QUEUES "/proc/net/netfilter/nfnetlink_queue"

static int64_t live_ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Wait for fd to become ready for events before end; 0, or -1 (timeout or error). */
static int live_wait(int fd, short events, const struct timespec *end)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left = live_ms_left(end);
	int rc;

	if (left <= 0)
		return -1;
	rc = poll(&pfd, 1, (int)left);
	return rc > 0 ? 0 : -1;
}

int live_request(const char *path, const char *req, int timeout_ms, char **out, char *err,
		 size_t errlen)
{
	struct sockaddr_un sun;
	struct timespec end;
	size_t len = 0, cap = 8192, reqlen = strlen(req), sent = 0;
	char *buf = NULL, *nbuf;
	ssize_t n;
	int fd;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err_errno;
	/* A full backlog (a busy daemon) answers EAGAIN: try again until the deadline. */
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		struct timespec pause = {0, 10 * 1000 * 1000};

		if (errno != EAGAIN && errno != EINTR)
			goto err_close;
		if (live_ms_left(&end) <= 0)
			goto err_timeout;
		nanosleep(&pause, NULL);
	}
	while (sent < reqlen) {
		if (live_wait(fd, POLLOUT, &end) < 0)
			goto err_timeout;
		n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto err_close;
		sent += n > 0 ? (size_t)n : 0;
	}
	buf = malloc(cap);
	if (buf == NULL)
		goto err_close;
	for (;;) {
		if (len + 1 == cap) {
			nbuf = realloc(buf, cap * 2);
			if (nbuf == NULL)
				goto err_close;
			buf = nbuf;
			cap *= 2;
		}
		if (live_wait(fd, POLLIN, &end) < 0)
			goto err_timeout;
		n = read(fd, buf + len, cap - 1 - len);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto err_close;
		len += n > 0 ? (size_t)n : 0;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	return 0;

err_timeout:
	snprintf(err, errlen, "%s: no whole reply within %d ms", path, timeout_ms);
	free(buf);
	close(fd);
	return -1;
err_close:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	free(buf);
	close(fd);
	return -1;
err_errno:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

/* Look for the queue statement in one rule of chain prerouting. */
static int live_expr_cb(struct nftnl_expr *e, void *data)
{
	struct status_kernel *k = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const struct xt_NFQ_info_v3 *info;
	uint32_t len = 0;
	uint16_t flags;

	if (name == NULL)
		return MNL_CB_OK;
	if (strcmp(name, "queue") == 0) {
		snprintf(k->via, sizeof(k->via), "native");
		k->qnum = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM);
		k->qtotal = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL);
		flags = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS);
		k->bypass = (flags & NFT_QUEUE_FLAG_BYPASS) != 0;
		k->fanout = (flags & NFT_QUEUE_FLAG_CPU_FANOUT) != 0;
		return MNL_CB_OK;
	}
	if (strcmp(name, "target") != 0 || nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME) == NULL ||
	    strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE") != 0)
		return MNL_CB_OK;
	info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
	if (info == NULL || len < sizeof(*info))
		return MNL_CB_OK;
	snprintf(k->via, sizeof(k->via), "xt");
	k->qnum = info->queuenum;
	k->qtotal = info->queues_total;
	k->bypass = (info->flags & NFQ_FLAG_BYPASS) != 0;
	k->fanout = (info->flags & NFQ_FLAG_CPU_FANOUT) != 0;
	return MNL_CB_OK;
}

/* One rule's reverse-path check (fib saddr ... oif) and its counter. */
struct live_rpf {
	bool fib;
	uint64_t packets;
};

static int live_rpf_cb(struct nftnl_expr *e, void *data)
{
	struct live_rpf *rpf = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name == NULL)
		return MNL_CB_OK;
	if (strcmp(name, "fib") == 0 &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_RESULT) == NFT_FIB_RESULT_OIF &&
	    (nftnl_expr_get_u32(e, NFTNL_EXPR_FIB_FLAGS) & NFTA_FIB_F_SADDR))
		rpf->fib = true;
	if (strcmp(name, "counter") == 0)
		rpf->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return MNL_CB_OK;
}

static int live_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct status_kernel *k = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct live_rpf rpf = {false, 0};

	if (r == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0) {
		nftnl_expr_foreach(r, live_expr_cb, data);
		nftnl_expr_foreach(r, live_rpf_cb, &rpf);
	}
	if (rpf.fib) {
		k->rpf = true;
		k->rpf_dropped += rpf.packets;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* Which queue expression the ruleset uses, read back from the kernel. */
static void live_ruleset(struct nftx *x, struct status_kernel *k)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (r == NULL)
		return;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, 0);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "nftarpit");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "prerouting");
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (nftx_dump(x, nlh, live_rule_cb, k) == 0)
		k->ruleset = 1;
	else if (errno == ENOENT)
		k->ruleset = 0;
}

static void live_sets(struct nftx *x, struct status_kernel *k)
{
	struct cidr_set s;
	int i;

	for (i = 0; i < LISTSET_COUNT; i++) {
		cidr_set_init(&s, listsets[i].family);
		if (kset_dump(x, (enum listset_id)i, (int64_t)time(NULL), &s) == 0)
			k->sets[i] = (long long)s.n;
		cidr_set_free(&s);
	}
}

/* /proc/net is per network namespace: these are the queues of ours. */
static void live_proc(struct status_kernel *k)
{
	char buf[16384];
	ssize_t n;
	int fd = open(LIVE_PROC_QUEUES, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return;
	buf[n] = '\0';
	(void)status_parse_proc(k, buf);
}

void live_status(struct status *st, const char *path, unsigned int nflows, bool sets)
{
	char req[32];
	char err[sizeof(st->daemon_err)];
	char *reply = NULL;
	struct nftx *x;

	status_init(st);
	snprintf(req, sizeof(req), "status %u\n", nflows);
	/* The workers answer within their 500 ms receive timeout; the daemon waits 1.5 s. */
	if (live_request(path, req, 3000, &reply, err, sizeof(err)) < 0 ||
	    status_parse(st, reply, true, err, sizeof(err)) < 0)
		snprintf(st->daemon_err, sizeof(st->daemon_err), "%s", err);
	free(reply);
	x = nftx_open();
	if (x != NULL) {
		live_ruleset(x, &st->k);
		if (sets && st->k.ruleset == 1)
			live_sets(x, &st->k);
		nftx_close(x);
	}
	live_proc(&st->k);
}

void live_sync(struct status *st, const char *state)
{
	char store[PATH_MAX + 32], line[1024];
	struct state s;
	char err[PATH_MAX + 128];

	state_init(&s);
	if (state_load(&s, state, err, sizeof(err)) == 0) {
		state_count_bans(&s, (int64_t)time(NULL), &st->bans);
		st->bans_known = true;
	}
	state_free(&s);
	/* The .crowdsec store beside it has the LAPI client's status. */
	snprintf(store, sizeof(store), "%s.crowdsec.status", state);
	if (crowdsec_store_status(store, line, sizeof(line)) == 0)
		(void)status_parse_crowdsec(&st->cs, line);
}

enum {
	LIVE_OPT_JSON = 256,
	LIVE_OPT_NO_SETS,
	LIVE_OPT_FLOWS,
	LIVE_OPT_OUTPUT,
	LIVE_OPT_INTERVAL,
	LIVE_OPT_LISTEN,
	LIVE_OPT_STATE,
};

static const struct option live_opts[] = {
	{"socket", required_argument, NULL, 's'},
	{"json", no_argument, NULL, LIVE_OPT_JSON},
	{"no-sets", no_argument, NULL, LIVE_OPT_NO_SETS},
	{"flows", required_argument, NULL, LIVE_OPT_FLOWS},
	{"output", required_argument, NULL, 'o'},
	{"interval", required_argument, NULL, LIVE_OPT_INTERVAL},
	{"listen", required_argument, NULL, LIVE_OPT_LISTEN},
	{"state", required_argument, NULL, LIVE_OPT_STATE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct live_args {
	const char *sock;
	bool json;
	bool sets;
	unsigned int flows;
	const char *output;
	const char *listen;
	unsigned int interval_ms;
	const char *state; /* nftarpit-sync's master list, for the bans by prefix */
};

static int live_parse_args(int argc, char **argv, struct live_args *a)
{
	const char *errstr;
	long long v;
	int ch;

	a->sock = LIVE_DEFAULT_SOCKET;
	a->json = false;
	a->sets = true;
	a->flows = 10;
	a->output = NULL;
	a->listen = NULL;
	a->interval_ms = 1000;
	a->state = SYNC_DEFAULT_STATE;
	optind = 1;
	for (;;) {
		ch = getopt_long(argc, argv, "s:o:h", live_opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 's':
			a->sock = optarg;
			break;
		case LIVE_OPT_JSON:
			a->json = true;
			break;
		case LIVE_OPT_NO_SETS:
			a->sets = false;
			break;
		case LIVE_OPT_FLOWS:
			v = strnum_parse(optarg, 0, STATUS_FLOWS_MAX, &errstr);
			if (errstr != NULL) {
				log_warnx("bad --flows \"%s\": %s (0-%d)", optarg, errstr,
					  STATUS_FLOWS_MAX);
				return -1;
			}
			a->flows = (unsigned int)v;
			break;
		case 'o':
			a->output = optarg;
			break;
		case LIVE_OPT_LISTEN:
			a->listen = optarg;
			break;
		case LIVE_OPT_STATE:
			a->state = optarg;
			break;
		case LIVE_OPT_INTERVAL:
			v = strnum_parse(optarg, 100, 60000, &errstr);
			if (errstr != NULL) {
				log_warnx("bad --interval \"%s\": %s (100-60000 ms)", optarg,
					  errstr);
				return -1;
			}
			a->interval_ms = (unsigned int)v;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		log_warnx("unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	return 0;
}

int live_cmd_status(int argc, char **argv)
{
	struct status *st = malloc(sizeof(*st));
	struct live_args a;
	int rc;

	if (st == NULL || live_parse_args(argc, argv, &a) < 0) {
		free(st);
		return CTL_EXIT_USAGE;
	}
	live_status(st, a.sock, a.flows, a.sets);
	live_sync(st, a.state);
	if (a.json)
		status_print_json(stdout, st);
	else
		status_print(stdout, st, (int64_t)time(NULL));
	rc = st->daemon ? CTL_EXIT_OK : CTL_EXIT_FAIL;
	if (!st->daemon)
		log_warnx("nftarpitd: %s", st->daemon_err);
	free(st);
	return rc;
}

/* Write the metrics to path atomically, as node_exporter's textfile collector wants. */
static int live_write_metrics(const char *path, const struct status *st)
{
	struct safefile sf;
	FILE *f;

	if (safefile_open(&sf, path, 0644) < 0) {
		log_warn("%s", path);
		return -1;
	}
	f = safefile_stream(&sf);
	if (f == NULL) {
		log_warn("%s", path);
		safefile_abort(&sf);
		return -1;
	}
	metrics_print(f, st);
	/* 0644 whatever the umask: the collector runs as another user. */
	if (fchmod(sf.fd, 0644) < 0 || safefile_commit(&sf) < 0) {
		log_warn("%s", path);
		safefile_abort(&sf);
		return -1;
	}
	return 0;
}

/* One scrape of metrics --listen: the daemon (totals only), the kernel, the sync's files. */
static void live_gather(struct status *st, void *arg)
{
	const struct live_args *a = arg;

	live_status(st, a->sock, 0, a->sets);
	live_sync(st, a->state);
}

int live_cmd_metrics(int argc, char **argv)
{
	struct http_source src;
	struct status *st = malloc(sizeof(*st));
	struct live_args a;
	int rc = CTL_EXIT_OK;

	if (st == NULL || live_parse_args(argc, argv, &a) < 0) {
		free(st);
		return CTL_EXIT_USAGE;
	}
	if (a.listen != NULL) {
		free(st);
		src.gather = live_gather;
		src.arg = &a;
		return http_serve(a.listen, &src) < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	}
	/* No flows: totals only, and no snapshot round trip to the workers. */
	live_status(st, a.sock, 0, a.sets);
	live_sync(st, a.state);
	if (a.output != NULL)
		rc = live_write_metrics(a.output, st) < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	else
		metrics_print(stdout, st);
	/* nftarpit_up 0 is a valid answer for a scraper: the exit status says it too. */
	if (!st->daemon) {
		log_warnx("nftarpitd: %s", st->daemon_err);
		rc = CTL_EXIT_FAIL;
	}
	free(st);
	return rc;
}
