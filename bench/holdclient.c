// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark client for bench/held.sh: opens COUNT real TCP connections from one source
 * address to one server, IPv4 or IPv6 (non-blocking connects, at most PENDING in flight),
 * prints one key=value line when they are all established (or WAIT seconds passed), then
 * holds them until stdin closes or LIMIT seconds passed. Every line read on stdin asks for
 * a report line (alive=, lost=). Only for bench/, in network namespaces the benchmark
 * creates.
 *
 * With -S N -I FILE (an SMTP tarpit's drip), every N-th connection is a sample: the time
 * between two reads that brought bytes is recorded (milliseconds), from its third read
 * on (the first brings the greeting, the second the first drip byte, which a tarpit may
 * send early to spread its flows). Each report request first writes the intervals
 * recorded since the last one to FILE (replaced), one per line, then forgets them.
 *
 * The connections are kept alive by their kernel, not by this process: SO_KEEPALIVE makes
 * the kernel send a probe (seq = snd_una - 1, no data) after TCP_KEEPIDLE seconds without
 * a segment from the peer, then every TCP_KEEPINTVL seconds. A tarpit that answers probes
 * resets the kill count (TCP_KEEPCNT), so a held connection costs one probe and one reply
 * per KEEPALIVE seconds, and no data is ever queued: no send or receive buffer memory
 * (tcp_mem) per socket, only the socket itself. TCP_KEEPINTVL is KEEPALIVE; TCP_KEEPIDLE
 * is drawn from 1..KEEPALIVE per connection, so the first probes (and so all the later
 * ones) spread evenly over the interval, as a real population's would, instead of coming
 * in one burst per batch of connects: the probe rate is steady from the start, and any
 * window of the tarpit's counters measures it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_CONN 19000 /* a process may hold 20,000 files here; the rest is headroom */
#define EVENTS	 256

/* What we know of each descriptor, indexed by fd. */
enum hold_state {
	HOLD_NONE = 0,
	HOLD_CONNECTING,
	HOLD_UP,
};

union hold_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

#define IVL_MAX 262144 /* intervals kept between two reports at most; more are counted */

struct hold {
	union hold_addr src;
	union hold_addr dst;
	int family;
	socklen_t alen;
	long long count;
	long long pending_max;
	long long keepalive_s;
	long long wait_s;
	long long limit_s;
	long long first_port; /* > 0: bind to first_port + n, no port search in connect() */
	int ep;
	uint8_t *state; /* one byte per possible fd */
	size_t nstate;
	long long opened;
	long long connecting;
	long long up;
	long long failed;
	long long lost;
	long long noport; /* EADDRNOTAVAIL: the source address ran out of ports */
	int open_errno;	  /* socket() or bind() failed: stop opening, hold what we have */
	long long bytes_in;
	long long sample_every; /* -S: 0 for no samples */
	const char *ivl_path;	/* -I */
	double *last_read;	/* per fd: when a sample last read bytes, seconds */
	uint8_t *reads;		/* per fd: reads that brought bytes, saturating at 3 */
	uint8_t *sampled;	/* per fd */
	uint32_t *ivl;		/* IVL_MAX intervals, ms */
	size_t nivl;
	long long ivl_over; /* intervals that did not fit */
};

static void die(const char *what)
{
	fprintf(stderr, "holdclient: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: holdclient -s SRC -d DST [-p PORT] -n COUNT [-k KEEPALIVE_S]\n"
			"                  [-c PENDING] [-w WAIT_S] [-l LIMIT_S] [-P FIRST_PORT]\n"
			"                  [-S SAMPLE_EVERY -I INTERVAL_FILE]\n");
	exit(2);
}

static long long opt_num(const char *name, const char *v, long long min, long long max)
{
	return bench_opt_num("holdclient", name, v, min, max);
}

/* An IPv4 or IPv6 address; the port is set apart. */
static void opt_addr(const char *name, const char *v, union hold_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, v, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, v, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		return;
	}
	fprintf(stderr, "holdclient: %s %s: not an IPv4 or IPv6 address\n", name, v);
	exit(2);
}

static void addr_set_port(union hold_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
	else
		a->in6.sin6_port = htons(port);
}

/*
 * One more connection attempt. IP_BIND_ADDRESS_NO_PORT: bind() fixes the source address
 * but leaves the port to connect(), which may then reuse a port for other destinations
 * (the 4-tuple must be unique, not the port); without it every bind() takes a port of its
 * own and the source address runs out of ports after the first 64,000 sockets of all
 * the processes sharing it. SO_LINGER 0: close() (also at exit or kill) resets the
 * connection at once instead of leaving an orphan in FIN_WAIT1 behind a zero window.
 * Returns 0, or -1 when the attempt failed at once (counted). A socket() or bind() that
 * fails (out of memory or files) stops the opening, said once on stderr: the connections
 * already made are held and reported all the same.
 * With -P the caller hands out the ports instead: each connection binds FIRST_PORT + n,
 * so connect() never searches the port range. That search is what made the last 500,000
 * of a million connections take 512 s here, against 8 s for the first 250,000: each
 * connect() probes ports until it finds one whose 4-tuple is free, and with 25,000 ports
 * of an address taken that is a long walk through the bind and established hashes.
 */
static int hold_open(struct hold *h)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct epoll_event ev = {.events = EPOLLOUT};
	int one = 1;
	int ka = (int)h->keepalive_s;
	int idle = ka > 0 ? 1 + (int)(random() % ka) : 0;
	int cnt = 3;
	int fd;

	fd = socket(h->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (size_t)fd >= h->nstate) {
		close(fd);
		fd = -1;
		errno = EMFILE;
	}
	if (fd < 0) {
		h->open_errno = errno;
		fprintf(stderr, "holdclient: socket: %s\n", strerror(errno));
		return -1;
	}
	if (h->first_port > 0)
		addr_set_port(&h->src, (uint16_t)(h->first_port + h->opened));
	else if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0)
		die("IP_BIND_ADDRESS_NO_PORT");
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		die("SO_LINGER");
	if (ka > 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &ka, sizeof(ka)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
			die("keepalive options");
	}
	if (bind(fd, &h->src.sa, h->alen) < 0) {
		h->open_errno = errno;
		fprintf(stderr, "holdclient: bind: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	h->sampled[fd] = h->sample_every > 0 && h->opened % h->sample_every == 0;
	h->reads[fd] = 0;
	h->opened++;
	if (connect(fd, &h->dst.sa, h->alen) < 0 && errno != EINPROGRESS) {
		if (errno == EADDRNOTAVAIL)
			h->noport++;
		else
			h->failed++;
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	if (epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl add");
	h->state[fd] = HOLD_CONNECTING;
	h->connecting++;
	return 0;
}

/* A connection is gone (refused, timed out, reset): forget it. */
static void hold_drop(struct hold *h, int fd)
{
	if (h->state[fd] == HOLD_CONNECTING) {
		h->connecting--;
		h->failed++;
	} else if (h->state[fd] == HOLD_UP) {
		h->up--;
		h->lost++;
	}
	h->state[fd] = HOLD_NONE;
	close(fd);
}

/* A sampled connection read bytes: the interval since its last read, from its third on. */
static void hold_sample(struct hold *h, int fd)
{
	double t = bench_now_s();

	if (h->reads[fd] >= 2) {
		if (h->nivl < IVL_MAX)
			h->ivl[h->nivl++] = (uint32_t)((t - h->last_read[fd]) * 1000.0 + 0.5);
		else
			h->ivl_over++;
	}
	if (h->reads[fd] < 3)
		h->reads[fd]++;
	h->last_read[fd] = t;
}

/* Events on a connection: the end of its connect(), bytes to throw away, or its end. */
static void hold_event(struct hold *h, int fd, uint32_t events)
{
	char buf[512];
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (h->state[fd] == HOLD_CONNECTING) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			hold_drop(h, fd);
			return;
		}
		h->connecting--;
		h->up++;
		h->state[fd] = HOLD_UP;
		if (epoll_ctl(h->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
			die("epoll_ctl mod");
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		hold_drop(h, fd);
		return;
	}
	/*
	 * A server that sends (sockpit's byte, a drip) is read, so nothing piles up in our
	 * buffer. A short read took all there was: no second read for its EAGAIN.
	 */
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			h->bytes_in += n;
			if (h->sampled[fd])
				hold_sample(h, fd);
			if ((size_t)n < sizeof(buf))
				return;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			hold_drop(h, fd);
		return;
	}
}

/* The intervals since the last report to the -I file (replaced, then forgotten). */
static void hold_write_intervals(struct hold *h)
{
	char tmp[4096];
	FILE *f;
	size_t i;

	if (h->ivl_path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", h->ivl_path);
	f = fopen(tmp, "w");
	if (f == NULL)
		die("interval file");
	for (i = 0; i < h->nivl; i++)
		fprintf(f, "%u\n", h->ivl[i]);
	if (fclose(f) != 0 || rename(tmp, h->ivl_path) != 0)
		die("interval file");
	h->nivl = 0;
}

static void hold_report(struct hold *h)
{
	long long n = (long long)h->nivl;

	hold_write_intervals(h);
	printf("alive=%lld lost=%lld failed=%lld connecting=%lld bytes_in=%lld intervals=%lld "
	       "intervals_over=%lld\n",
	       h->up, h->lost, h->failed, h->connecting, h->bytes_in, n, h->ivl_over);
	fflush(stdout);
}

/* Reads stdin: each line asks for a report; end of file (or an error) ends the hold. */
static int hold_stdin(struct hold *h)
{
	char buf[256];
	ssize_t n;
	ssize_t i;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++)
		if (buf[i] == '\n')
			hold_report(h);
	return 0;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[EVENTS];
	struct epoll_event sev = {.events = EPOLLIN, .data.fd = STDIN_FILENO};
	struct rlimit rl;
	struct hold h;
	char src[INET6_ADDRSTRLEN];
	uint16_t port = 2525;
	bool have_src = false;
	bool have_dst = false;
	bool reported = false;
	double t0;
	int c;

	memset(&h, 0, sizeof(h));
	h.pending_max = 1024;
	h.keepalive_s = 60;
	h.wait_s = 120;
	h.limit_s = 1800;
	while ((c = getopt(argc, argv, "s:d:p:n:k:c:w:l:P:S:I:")) != -1) {
		switch (c) {
		case 's':
			opt_addr("-s", optarg, &h.src);
			have_src = true;
			break;
		case 'd':
			opt_addr("-d", optarg, &h.dst);
			have_dst = true;
			break;
		case 'p':
			port = (uint16_t)opt_num("-p", optarg, 1, 65535);
			break;
		case 'n':
			h.count = opt_num("-n", optarg, 1, MAX_CONN);
			break;
		case 'k':
			h.keepalive_s = opt_num("-k", optarg, 0, 7200);
			break;
		case 'c':
			h.pending_max = opt_num("-c", optarg, 1, MAX_CONN);
			break;
		case 'w':
			h.wait_s = opt_num("-w", optarg, 1, 3600);
			break;
		case 'l':
			h.limit_s = opt_num("-l", optarg, 1, 86400);
			break;
		case 'P':
			h.first_port = opt_num("-P", optarg, 1024, 65535);
			break;
		case 'S':
			h.sample_every = opt_num("-S", optarg, 1, MAX_CONN);
			break;
		case 'I':
			h.ivl_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_src || !have_dst || h.count == 0 || optind != argc ||
	    (h.sample_every > 0) != (h.ivl_path != NULL))
		usage();
	if (h.src.sa.sa_family != h.dst.sa.sa_family) {
		fprintf(stderr, "holdclient: -s and -d are not of one family\n");
		exit(2);
	}
	h.family = h.dst.sa.sa_family;
	h.alen = h.family == AF_INET ? sizeof(h.src.in) : sizeof(h.src.in6);
	addr_set_port(&h.dst, port);
	if (h.first_port > 0 && h.first_port + h.count - 1 > 65535) {
		fprintf(stderr, "holdclient: -P %lld + -n %lld passes port 65535\n", h.first_port,
			h.count);
		exit(2);
	}
	if (h.family == AF_INET)
		inet_ntop(AF_INET, &h.src.in.sin_addr, src, sizeof(src));
	else
		inet_ntop(AF_INET6, &h.src.in6.sin6_addr, src, sizeof(src));
	srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));

	rl.rlim_cur = rl.rlim_max = (rlim_t)h.count + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit RLIMIT_NOFILE");
	h.nstate = (size_t)rl.rlim_cur;
	h.state = calloc(h.nstate, 1);
	h.sampled = calloc(h.nstate, 1);
	h.reads = calloc(h.nstate, 1);
	h.last_read = calloc(h.nstate, sizeof(*h.last_read));
	h.ivl = h.sample_every > 0 ? calloc(IVL_MAX, sizeof(*h.ivl)) : NULL;
	if (h.state == NULL || h.sampled == NULL || h.reads == NULL || h.last_read == NULL ||
	    (h.sample_every > 0 && h.ivl == NULL))
		die("calloc");
	h.ep = epoll_create1(EPOLL_CLOEXEC);
	if (h.ep < 0)
		die("epoll_create1");
	/* A regular file or /dev/null cannot be polled (EPERM): then hold until the limit. */
	if (epoll_ctl(h.ep, EPOLL_CTL_ADD, STDIN_FILENO, &sev) < 0 && errno != EPERM)
		die("epoll_ctl stdin");

	t0 = bench_now_s();
	for (;;) {
		double t = bench_now_s();
		int n;
		int i;

		while (h.opened < h.count && h.connecting < h.pending_max && h.noport == 0 &&
		       h.open_errno == 0)
			hold_open(&h);
		if (!reported && (((h.opened == h.count || h.noport > 0 || h.open_errno != 0) &&
				   h.connecting == 0) ||
				  t - t0 >= (double)h.wait_s)) {
			reported = true;
			printf("holdclient src=%s asked=%lld established=%lld failed=%lld "
			       "pending=%lld noport=%lld seconds=%.1f\n",
			       src, h.count, h.up, h.failed, h.connecting + (h.count - h.opened),
			       h.noport, t - t0);
			fflush(stdout);
		}
		if (t - t0 >= (double)h.limit_s)
			break;
		n = epoll_wait(h.ep, evs, EVENTS, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == STDIN_FILENO) {
				if (hold_stdin(&h) < 0)
					goto done;
				continue;
			}
			hold_event(&h, fd, evs[i].events);
		}
	}
done:
	/* exit() closes every socket; SO_LINGER 0 turns each close into a reset. */
	free(h.state);
	free(h.sampled);
	free(h.reads);
	free(h.last_read);
	free(h.ivl);
	return 0;
}
