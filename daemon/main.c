// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitd: options and config, privileged handles first, drop the rest, run the loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"
#include "cookie.h"
#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "own.h"
#include "notify.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nftarpitd [-c FILE] [-q N|N-M] [-f] [-s PATH] [-v]\n"
		"                 [--mark VALUE] [--syn-window N] [--fail-open] [--user NAME]\n"
		"                 [--pidfile PATH] [--max-flows N] [--no-smtp]\n"
		"                 [--cookie-key-file PATH] [--own auto|yes|no]\n"
		"  -c, --config FILE     config file (default " CONF_DEFAULT_PATH " if present)\n"
		"  -q, --queue N|N-M     NFQUEUE number or range, one thread each (default %d)\n"
		"  -f, --foreground      stay in the foreground, log to stderr\n"
		"  -s, --ctl-socket PATH control socket (default " CONF_DEFAULT_CTL ")\n"
		"  -v, --verbose         more log output\n"
		"      --mark VALUE      SO_MARK of our replies (default 0x%x), as in the ruleset\n"
		"      --syn-window N    window in our SYN-ACKs (default 0)\n"
		"      --fail-open       a full queue passes packets instead of dropping them\n"
		"      --user NAME       run as NAME, keeping only CAP_NET_ADMIN and CAP_NET_RAW\n"
		"      --pidfile PATH    write the pid there (background mode)\n"
		"      --max-flows N     flow records per queue, allocated at start (default "
		"65536)\n"
		"      --no-smtp         zero window only: no SMTP greeting and drip\n"
		"      --cookie-key-file PATH  keep the SYN-cookie key there across restarts\n"
		"      --own auto|yes|no  own table inet nftarpit and lend it to our tools\n"
		"                        (default auto: where the kernel has NFT_TABLE_F_PERSIST)\n"
		"  -h, --help, -V, --version\n",
		CONF_DEFAULT_QUEUE, CONF_DEFAULT_MARK);
}

struct cmdline {
	const char *conf_path;
	bool conf_explicit;
	bool foreground;
	int verbose;
	const char *pidfile;
	/* key/value overrides applied after the config file, validated by conf_set */
	const char *keys[16];
	const char *values[16];
	int n;
};

static void cmdline_set(struct cmdline *cl, const char *key, const char *value)
{
	if (cl->n >= 16)
		fatalx("too many options");
	cl->keys[cl->n] = key;
	cl->values[cl->n] = value;
	cl->n++;
}

static void parse_cmdline(int argc, char **argv, struct cmdline *cl)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"queue", required_argument, NULL, 'q'},
		{"foreground", no_argument, NULL, 'f'},
		{"ctl-socket", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"mark", required_argument, NULL, 'm'},
		{"syn-window", required_argument, NULL, 'w'},
		{"fail-open", no_argument, NULL, 'o'},
		{"user", required_argument, NULL, 'u'},
		{"pidfile", required_argument, NULL, 'p'},
		{"max-flows", required_argument, NULL, 'F'},
		{"no-smtp", no_argument, NULL, 'N'},
		{"cookie-key-file", required_argument, NULL, 'K'},
		{"own", required_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(cl, 0, sizeof(*cl));
	cl->conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:q:fs:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cl->conf_path = optarg;
			cl->conf_explicit = true;
			break;
		case 'q':
			cmdline_set(cl, "queue", optarg);
			break;
		case 'f':
			cl->foreground = true;
			break;
		case 's':
			cmdline_set(cl, "ctl_socket", optarg);
			break;
		case 'v':
			cl->verbose++;
			break;
		case 'm':
			cmdline_set(cl, "mark", optarg);
			break;
		case 'w':
			cmdline_set(cl, "syn_window", optarg);
			break;
		case 'o':
			cmdline_set(cl, "fail_open", "yes");
			break;
		case 'u':
			cmdline_set(cl, "user", optarg);
			break;
		case 'p':
			cl->pidfile = optarg;
			break;
		case 'F':
			cmdline_set(cl, "max_flows", optarg);
			break;
		case 'N':
			cmdline_set(cl, "smtp", "no");
			break;
		case 'K':
			cmdline_set(cl, "cookie_key_file", optarg);
			break;
		case 'O':
			cmdline_set(cl, "own", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("nftarpitd %s\n", NFTARPIT_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nftarpitd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* Defaults, then the config file, then the command line; any error is fatal here. */
static int load_conf(const struct cmdline *cl, struct daemon_conf *c)
{
	int errors;
	int i;

	conf_defaults(c);
	errors = conf_load(cl->conf_path, c);
	if (errors < 0) {
		if (errno != ENOENT || cl->conf_explicit) {
			log_warn("config %s", cl->conf_path);
			return -1;
		}
	} else if (errors > 0) {
		log_warnx("config %s: %d error(s)", cl->conf_path, errors);
		return -1;
	}
	for (i = 0; i < cl->n; i++) {
		const char *err = strcmp(cl->keys[i], "own") == 0
					  ? conf_set_own(c, cl->values[i])
					  : conf_set(c, cl->keys[i], cl->values[i]);

		if (err != NULL) {
			log_warnx("option %s %s: %s", cl->keys[i], cl->values[i], err);
			return -1;
		}
	}
	return 0;
}

/* Is cap in our effective set? */
static bool cap_effective(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (caps != NULL)
		cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
	cap_free(caps);
	return v == CAP_SET;
}

/*
 * The control socket's group, so that members (say, a monitoring user) can read the status
 * without root: the socket is 0660. Fatal if it cannot be done, since it is asked for.
 */
static void ctl_set_group(const char *path, const char *name)
{
	struct group *gr = getgrnam(name);

	if (gr == NULL)
		fatalx("ctl_group %s: no such group", name);
	if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
		fatal("control socket %s: group %s", path, name);
}

/*
 * Keep only CAP_NET_ADMIN (verdicts: nfnetlink checks the sender's capability on every
 * message) and CAP_NET_RAW, optionally as an unprivileged user, with no way back.
 */
static void drop_privileges(const char *user)
{
	const cap_value_t keep[] = {CAP_NET_ADMIN, CAP_NET_RAW};
	cap_value_t v;
	cap_t caps;

	/*
	 * The bounding set first: that needs CAP_SETPCAP, gone once we switch user. Started
	 * without it (systemd's CapabilityBoundingSet= with AmbientCapabilities=, or setpriv),
	 * the starter has cut the bounding set already, and NO_NEW_PRIVS below keeps exec from
	 * adding anything.
	 */
	if (!CAP_IS_SUPPORTED(CAP_SETPCAP) || prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 1 ||
	    !cap_effective(CAP_SETPCAP))
		goto bounding_done;
	for (v = 0; v <= CAP_LAST_CAP; v++) {
		if (v == CAP_NET_ADMIN || v == CAP_NET_RAW || v == CAP_SETPCAP)
			continue;
		if (cap_drop_bound(v) < 0 && errno != EINVAL)
			fatal("dropping capability %d from the bounding set", v);
	}
	/* Last, as dropping needs it effective (and removing it from the bound does not). */
	if (cap_drop_bound(CAP_SETPCAP) < 0)
		fatal("dropping CAP_SETPCAP from the bounding set");
bounding_done:
	if (user[0] != '\0') {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL)
			fatalx("user %s: no such user", user);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			fatal("PR_SET_KEEPCAPS");
		if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			fatal("switching to user %s", user);
	}
	caps = cap_init();
	if (caps == NULL || cap_set_flag(caps, CAP_PERMITTED, 2, keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, keep, CAP_SET) < 0 || cap_set_proc(caps) < 0)
		fatal("keeping only CAP_NET_ADMIN and CAP_NET_RAW");
	cap_free(caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("PR_SET_NO_NEW_PRIVS");
}

static void daemonize(const char *pidfile)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if (chdir("/") < 0)
		fatal("chdir /");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "we");

		if (f == NULL)
			fatal("pidfile %s", pidfile);
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

static void open_workers(struct daemon *d, const struct cookie_key *key)
{
	struct worker_cfg wc;
	unsigned int q;

	daemon_worker_cfg(&d->conf, key, &wc);
	for (q = d->conf.queue_first; q <= d->conf.queue_last; q++) {
		struct queue_cfg qc = {
			.num = (uint16_t)q,
			.maxlen = d->conf.queue_maxlen,
			.batch = d->conf.batch,
			.fail_open = d->conf.fail_open,
			/* About 1 KiB of receive buffer per queued packet (copy range + truesize).
			 */
			.rcvbuf = (int)(d->conf.queue_maxlen > (1u << 20)
						? (1u << 30)
						: d->conf.queue_maxlen * 1024u),
			.timeout_ms = 500,
		};
		struct worker *w = worker_alloc((uint16_t)q, &wc, d->conf.budget_buckets,
						d->conf.batch, d->conf.max_flows);

		if (w == NULL)
			fatal("queue %u: allocating buffers", q);
		w->queue = queue_open(&qc);
		if (w->queue == NULL)
			fatalx("queue %u: cannot be opened (see above); is another nftarpitd "
			       "running?",
			       q);
		w->inject = &d->inject;
		w->snap.efd = d->snap_efd;
		d->workers[d->nworkers++] = w;
	}
}

static void start_workers(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->nworkers; i++) {
		int err = pthread_create(&d->workers[i]->thread, NULL, worker_run, d->workers[i]);

		if (err != 0) {
			errno = err;
			fatal("starting the thread of queue %u", d->workers[i]->queue_num);
		}
	}
}

static void stop_workers(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->nworkers; i++)
		__atomic_store_n(&d->workers[i]->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < d->nworkers; i++) {
		pthread_join(d->workers[i]->thread, NULL);
		queue_close(d->workers[i]->queue);
		worker_free(d->workers[i]);
	}
	d->nworkers = 0;
}

/* SIGHUP: re-read the config; settings that need new sockets wait for a restart. */
static void reload(struct daemon *d, const struct cmdline *cl, const struct cookie_key *key)
{
	struct daemon_conf c;
	struct worker_cfg wc;
	unsigned int i;

	if (load_conf(cl, &c) < 0) {
		log_warnx("reload: config rejected, keeping the running settings");
		return;
	}
	if (c.queue_first != d->conf.queue_first || c.queue_last != d->conf.queue_last ||
	    c.mark != d->conf.mark || strcmp(c.ctl_socket, d->conf.ctl_socket) != 0 ||
	    strcmp(c.user, d->conf.user) != 0 || strcmp(c.ctl_group, d->conf.ctl_group) != 0 ||
	    c.fail_open != d->conf.fail_open || c.queue_maxlen != d->conf.queue_maxlen ||
	    c.batch != d->conf.batch || c.budget_buckets != d->conf.budget_buckets ||
	    c.max_flows != d->conf.max_flows || c.reply_link != d->conf.reply_link ||
	    c.own != d->conf.own) {
		log_warnx("reload: queue, mark, ctl_socket, ctl_group, user, fail_open, "
			  "queue_maxlen, batch, budget_buckets, max_flows, reply_path and own take "
			  "effect at the next restart");
		c.own = d->conf.own;
		c.queue_first = d->conf.queue_first;
		c.queue_last = d->conf.queue_last;
		c.mark = d->conf.mark;
		memcpy(c.ctl_socket, d->conf.ctl_socket, sizeof(c.ctl_socket));
		memcpy(c.user, d->conf.user, sizeof(c.user));
		memcpy(c.ctl_group, d->conf.ctl_group, sizeof(c.ctl_group));
		c.fail_open = d->conf.fail_open;
		c.queue_maxlen = d->conf.queue_maxlen;
		c.batch = d->conf.batch;
		c.budget_buckets = d->conf.budget_buckets;
		c.max_flows = d->conf.max_flows;
		c.reply_link = d->conf.reply_link;
	}
	d->conf = c;
	d->reloads++;
	daemon_worker_cfg(&d->conf, key, &wc);
	for (i = 0; i < d->nworkers; i++)
		worker_reconfigure(d->workers[i], &wc);
	log_info("reload: done syn_window=%u reply_rate_per_prefix=%u reply_rate=%u "
		 "log_flows_per_second=%u",
		 c.syn_window, c.prefix_rate, c.global_rate, c.log_flows);
}

/* The table's owner and its lease socket (issue 20); main-thread only. */
static struct own main_own;
static struct ctl main_lease;
static int main_lease_fd = -1;

static int main_lease_lend(void *arg, uint32_t *portid, char *why, size_t whylen)
{
	return own_lend(&main_own, portid, why, whylen);
}

static void main_lease_end(void *arg)
{
	own_return(&main_own);
}

static const struct ctl_ops main_ctl_ops = {
	.stats = daemon_write_stats,
	.snap_start = daemon_snap_start,
	.snap_ready = daemon_snap_ready,
	.status = daemon_write_status,
	.lease = main_lease_lend,
	.lease_end = main_lease_end,
};

static int main_signal(struct daemon *d, int sfd, const struct cmdline *cl,
		       const struct cookie_key *key)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		log_info("exiting on signal %u", si.ssi_signo);
		notify_stopping();
		return 1;
	case SIGHUP:
		notify_reloading();
		reload(d, cl, key);
		notify_ready("tarpitting on queues %u-%u (config reloaded)", d->conf.queue_first,
			     d->conf.queue_last);
		break;
	case SIGUSR1:
		daemon_log_stats(d);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The main thread's loop: signals, the workers' snapshot wake-ups and the control socket's
 * clients, none of which can block it (ctl.c has the deadlines).
 */
static int main_loop(struct daemon *d, const struct cmdline *cl, const struct cookie_key *key)
{
	struct pollfd pfd[2 + 2 * (1 + CTL_MAX_CLIENTS)];
	sigset_t set;
	uint64_t ev;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		fatal("signalfd");
	ctl_init(&d->ctl, d->ctl_fd, &main_ctl_ops, d);
	ctl_init(&main_lease, main_lease_fd, &main_ctl_ops, d);
	main_lease.lease_only = true;
	for (;;) {
		unsigned int n, nl = 0;
		int timeout;

		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = d->snap_efd;
		pfd[1].events = POLLIN;
		n = ctl_pollfds(&d->ctl, pfd + 2, CTL_MAX_CLIENTS + 1);
		if (main_lease_fd >= 0)
			nl = ctl_pollfds(&main_lease, pfd + 2 + n, CTL_MAX_CLIENTS + 1);
		timeout = ctl_timeout(&d->ctl, ctl_now_ms());
		if (main_lease_fd >= 0) {
			int lt = ctl_timeout(&main_lease, ctl_now_ms());

			if (lt >= 0 && (timeout < 0 || lt < timeout))
				timeout = lt;
		}
		if (poll(pfd, 2 + n + nl, notify_timeout(timeout)) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		notify_watchdog();
		if ((pfd[1].revents & POLLIN) && read(d->snap_efd, &ev, sizeof(ev)) < 0)
			log_debug("reading the snapshot eventfd: %s", strerror(errno));
		ctl_handle(&d->ctl, pfd + 2, ctl_now_ms());
		if (main_lease_fd >= 0)
			ctl_handle(&main_lease, pfd + 2 + n, ctl_now_ms());
		if ((pfd[0].revents & POLLIN) && main_signal(d, sfd, cl, key) != 0)
			break;
	}
	ctl_close_clients(&d->ctl);
	ctl_close_clients(&main_lease);
	close(sfd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct cookie_key key;
	struct cmdline cl;
	sigset_t set;

	parse_cmdline(argc, argv, &cl);
	log_init("nftarpitd", true, cl.verbose);
	if (load_conf(&cl, &d.conf) < 0)
		return 1;
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	if (d.conf.cookie_key_file[0] != '\0') {
		if (cookie_key_load(d.conf.cookie_key_file, &key) < 0)
			fatal("cookie key file %s", d.conf.cookie_key_file);
	} else if (cookie_key_random(&key) < 0)
		fatal("getrandom for the cookie key");

	/* Signals are taken by signalfd in the main thread; workers inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Privileged handles first. */
	if (inject_open(&d.inject, d.conf.mark, d.conf.reply_link) < 0)
		fatalx("cannot open the reply sockets (needs CAP_NET_RAW and CAP_NET_ADMIN)");
	d.ctl_fd = ctl_listen(d.conf.ctl_socket);
	if (d.ctl_fd < 0)
		fatalx("cannot create the control socket %s", d.conf.ctl_socket);
	if (d.conf.ctl_group[0] != '\0')
		ctl_set_group(d.conf.ctl_socket, d.conf.ctl_group);
	d.snap_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d.snap_efd < 0)
		fatal("eventfd");
	open_workers(&d, &key);
	/*
	 * The table's owner: its socket now, like every privileged handle. Without the lease
	 * socket we could not lend, and an owned table nobody can lend would refuse our own
	 * tools: then we own nothing.
	 */
	if (own_open(&main_own, d.conf.own) < 0)
		fatalx("cannot open the netlink socket for table inet %s", RULESET_TABLE);
	if (main_own.x != NULL) {
		main_lease_fd = ctl_listen_lease();
		if (main_lease_fd < 0) {
			log_warnx("table ownership off: no lease socket to lend the table with");
			own_close(&main_own);
		}
	}
	drop_privileges(d.conf.user);

	if (!cl.foreground) {
		daemonize(cl.pidfile);
		log_init("nftarpitd", false, cl.verbose);
	}
	d.started = time(NULL);
	if (main_own.x != NULL) {
		char why[256];

		/* Claim an orphan now; other states are looked at again at each lease. */
		(void)own_check(&main_own, why, sizeof(why));
	}
	start_workers(&d);
	notify_init();
	notify_ready("tarpitting on queues %u-%u", d.conf.queue_first, d.conf.queue_last);
	log_info("ready queues=%u-%u threads=%u mark=0x%x syn_window=%u fail_open=%s "
		 "reply_path=%s ctl=%s",
		 d.conf.queue_first, d.conf.queue_last, d.nworkers, d.conf.mark, d.conf.syn_window,
		 d.conf.fail_open ? "yes" : "no", d.conf.reply_link ? "link" : "route",
		 d.conf.ctl_socket);

	main_loop(&d, &cl, &key);

	daemon_log_stats(&d);
	stop_workers(&d);
	inject_close(&d.inject);
	close(d.ctl_fd);
	if (main_lease_fd >= 0)
		close(main_lease_fd);
	own_close(&main_own);
	close(d.snap_efd);
	/* As an unprivileged user the socket's directory may not be ours: say so. */
	if (unlink(d.conf.ctl_socket) < 0)
		log_warn("removing the control socket %s", d.conf.ctl_socket);
	return 0;
}
