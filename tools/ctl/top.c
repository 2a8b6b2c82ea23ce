// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl top: the flows held now and the rates, refreshed in the terminal. */
#include "top.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "log.h"
#include "setup.h"
#include "strnum.h"

static volatile sig_atomic_t top_quit;

static void top_on_signal(int sig)
{
	(void)sig;
	top_quit = 1;
}

/* Rows of the terminal, 24 if it does not say. */
static unsigned int top_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row < 10)
		return 24;
	return ws.ws_row;
}

static double top_rate(const struct status *now, const struct status *prev, const char *key,
		       double secs)
{
	uint64_t a = status_u64(now, key);
	uint64_t b = status_u64(prev, key);

	if (!prev->daemon || secs <= 0 || a < b)
		return 0;
	return (double)(a - b) / secs;
}

/* One screen into f: header, totals and rates, the flows held longest. */
static void top_render(FILE *f, const struct status *st, const struct status *prev, double secs,
		       unsigned int rows, const char *sock)
{
	char d1[32], d2[32];
	unsigned int i, shown;

	fputs("\033[H\033[2J", f);
	if (!st->daemon) {
		fprintf(f, "nftarpit top: nftarpitd not answering on %s: %s\r\n(q quits)\r\n", sock,
			st->daemon_err);
		return;
	}
	status_duration(status_u64(st, "uptime"), d1, sizeof(d1));
	status_duration(status_u64(st, "attacker_seconds"), d2, sizeof(d2));
	fprintf(f, "nftarpit top - nftarpitd %s, up %s, queues %s    (q quits)\r\n",
		status_get(st, "version"), d1, status_get(st, "queues"));
	fprintf(f,
		"held now %" PRIu64 " (held %" PRIu64 ", quiet %" PRIu64 ")   attacker time since "
		"start %s\r\n",
		status_u64(st, "snapshot_flows"), status_u64(st, "flows_held"),
		status_u64(st, "flows_quiet"), d2);
	fprintf(f,
		"per second: packets %.1f  replies %.1f  new flows %.1f  ended %.1f  budget hits "
		"%.1f\r\n",
		top_rate(st, prev, "packets", secs), top_rate(st, prev, "replies_sent", secs),
		top_rate(st, prev, "flows_new", secs), top_rate(st, prev, "flows_ended", secs),
		top_rate(st, prev, "budget_drops", secs));
	for (i = 0; i < st->k.nqueues; i++)
		fprintf(f, "kernel queue %u: waiting %" PRIu64 ", dropped %" PRIu64 "\r\n",
			st->k.q[i].num, st->k.q[i].waiting, st->k.q[i].dropped);
	fprintf(f, "\r\n\033[7m%-39s %5s %5s %-5s %7s %6s %7s %6s\033[0m\r\n", "SOURCE", "SPORT",
		"DPORT", "STATE", "HELD", "IDLE", "BYTES", "PROBES");
	shown = rows > 7 + st->k.nqueues ? rows - 7 - st->k.nqueues : 1;
	for (i = 0; i < st->nflows && i < shown; i++) {
		const struct status_flow *fl = &st->flows[i];

		status_duration(fl->held, d1, sizeof(d1));
		status_duration(fl->idle, d2, sizeof(d2));
		fprintf(f, "%-39s %5u %5u %-5s %7s %6s %7" PRIu64 " %6" PRIu64 "\r\n", fl->src,
			fl->sport, fl->dport, fl->state, d1, d2, fl->bytes, fl->probes);
	}
	if (st->nflows == 0)
		fputs("(no flows held now)\r\n", f);
}

/* Keys waiting on stdin; true when one of them quits. */
static bool top_keys(void)
{
	char buf[32];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	ssize_t i;

	for (i = 0; i < n; i++)
		if (buf[i] == 'q' || buf[i] == 'Q' || buf[i] == 3)
			return true;
	return false;
}

static void top_loop(const char *sock, unsigned int interval_ms)
{
	struct status *st = calloc(2, sizeof(*st));
	struct timespec t0, t1;
	char *screen = NULL;
	size_t len = 0;
	int cur = 0;

	if (st == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!top_quit) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		unsigned int rows = top_rows();
		FILE *f;
		double secs;

		live_status(&st[cur], sock, rows > 8 ? rows - 8 : 1, false);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		t0 = t1;
		f = open_memstream(&screen, &len);
		if (f == NULL)
			break;
		top_render(f, &st[cur], &st[1 - cur], secs, rows, sock);
		fclose(f);
		/* One write per screen, so it never flickers half-drawn. */
		if (write(STDOUT_FILENO, screen, len) < 0 && errno != EINTR)
			top_quit = 1;
		free(screen);
		screen = NULL;
		cur = 1 - cur;
		if (poll(&pfd, 1, (int)interval_ms) > 0 && top_keys())
			break;
	}
	free(st);
}

int top_cmd(int argc, char **argv)
{
	const char *sock = LIVE_DEFAULT_SOCKET;
	unsigned int interval_ms = 1000;
	struct termios saved, raw;
	struct sigaction sa;
	const char *errstr;
	long long v;
	int i;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) &&
		    i + 1 < argc) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			v = strnum_parse(argv[++i], 100, 60000, &errstr);
			if (errstr != NULL) {
				log_warnx("bad --interval \"%s\": %s (100-60000 ms)", argv[i],
					  errstr);
				return CTL_EXIT_USAGE;
			}
			interval_ms = (unsigned int)v;
		} else {
			log_warnx("top: unexpected argument \"%s\"", argv[i]);
			return CTL_EXIT_USAGE;
		}
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		log_warnx("top needs a terminal (try: nftarpitctl status)");
		return CTL_EXIT_FAIL;
	}
	if (tcgetattr(STDIN_FILENO, &saved) < 0) {
		log_warn("tcgetattr");
		return CTL_EXIT_FAIL;
	}
	/* Keys without Enter and without echo; Ctrl-C still raises SIGINT (ISIG stays). */
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_on_signal;
	/* No SA_RESTART: the signal must cut the poll() short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0) {
		log_warn("tcsetattr");
		return CTL_EXIT_FAIL;
	}
	/* The alternate screen, cursor hidden; both undone on the way out. */
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
	top_loop(sock, interval_ms);
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	return CTL_EXIT_OK;
}
