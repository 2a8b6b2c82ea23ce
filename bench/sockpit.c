// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The socket-based contender of bench/held.sh: a tarpit in the style of endlessh, written
 * for the benchmark. It accepts every connection on PORT (a real socket each, so one file
 * descriptor, a kernel socket and, on a server with conntrack, a conntrack entry per
 * held connection) and sends each one byte every INTERVAL seconds, forever. At most MAX
 * connections (a process may hold 20,000 files here); more wait in the listen backlog.
 * Prints "sockpit held=N ... bytes=B" when either changed, at most once a second.
 * Only for bench/, in network namespaces the benchmark creates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
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

#define MAX_CONN 19000
#define NONE	 (-1)

/*
 * The clients in the order of their next byte. Every client has the same interval, so
 * appending at the tail keeps the queue sorted and the head is always the next due, as
 * in endlessh. Indexed by fd, no allocation per client.
 */
struct pit {
	int lfd;
	int ep;
	bool listening; /* the listening socket is in the epoll set */
	long long max;
	long long interval_ms;
	int *next;
	uint64_t *due_ms;
	size_t nfd;
	int head;
	int tail;
	long long held;
	long long accepted;
	long long closed;
	long long bytes;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "sockpit: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long opt_num(const char *name, const char *v, long long min, long long max)
{
	return bench_opt_num("sockpit", name, v, min, max);
}

static void pit_push(struct pit *p, int fd, uint64_t due)
{
	p->due_ms[fd] = due;
	p->next[fd] = NONE;
	if (p->tail == NONE)
		p->head = fd;
	else
		p->next[p->tail] = fd;
	p->tail = fd;
}

static int pit_pop(struct pit *p)
{
	int fd = p->head;

	p->head = p->next[fd];
	if (p->head == NONE)
		p->tail = NONE;
	return fd;
}

/*
 * The listening socket is watched only while there is room: with MAX held (or no
 * descriptor left) it would stay readable and spin the loop; the kernel keeps the
 * newcomers in its backlog meanwhile.
 */
static void pit_listen(struct pit *p, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = p->lfd};

	if (on == p->listening)
		return;
	if (epoll_ctl(p->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->lfd, &ev) < 0)
		die("epoll_ctl listen");
	p->listening = on;
}

static void pit_accept(struct pit *p)
{
	while (p->held < p->max) {
		int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				pit_listen(p, false);
			return;
		}
		if ((size_t)fd >= p->nfd) {
			close(fd);
			pit_listen(p, false);
			return;
		}
		p->held++;
		p->accepted++;
		pit_push(p, fd, now_ms() + (uint64_t)p->interval_ms);
	}
	pit_listen(p, false);
}

/*
 * One byte to every client that is due. Like endlessh, a client is not watched between
 * bytes: a closed connection shows up as an error on the next write (one fewer epoll
 * registration per client). EAGAIN (its buffer full: a client that does not read) skips
 * a byte; the client stays.
 */
static void pit_tick(struct pit *p, uint64_t now)
{
	while (p->head != NONE && p->due_ms[p->head] <= now) {
		int fd = pit_pop(p);
		ssize_t n = send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			close(fd);
			p->held--;
			p->closed++;
			pit_listen(p, true);
			continue;
		}
		if (n > 0)
			p->bytes += n;
		pit_push(p, fd, p->due_ms[fd] + (uint64_t)p->interval_ms);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(2525)};
	struct sigaction sa;
	struct rlimit rl;
	struct pit p;
	long long last_held = -1;
	long long last_bytes = -1;
	uint64_t last_print = 0;
	int one = 1;
	int c;

	memset(&p, 0, sizeof(p));
	p.max = MAX_CONN;
	p.interval_ms = 10000;
	p.head = p.tail = NONE;
	while ((c = getopt(argc, argv, "p:i:m:")) != -1) {
		switch (c) {
		case 'p':
			sin.sin_port = htons((uint16_t)opt_num("-p", optarg, 1, 65535));
			break;
		case 'i':
			p.interval_ms = opt_num("-i", optarg, 1, 3600) * 1000;
			break;
		case 'm':
			p.max = opt_num("-m", optarg, 1, MAX_CONN);
			break;
		default:
			fprintf(stderr, "usage: sockpit [-p PORT] [-i INTERVAL_S] [-m MAX]\n");
			return 2;
		}
	}

	rl.rlim_cur = rl.rlim_max = (rlim_t)p.max + 32;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit RLIMIT_NOFILE");
	p.nfd = (size_t)rl.rlim_cur;
	p.next = calloc(p.nfd, sizeof(*p.next));
	p.due_ms = calloc(p.nfd, sizeof(*p.due_ms));
	if (p.next == NULL || p.due_ms == NULL)
		die("calloc");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	p.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p.lfd < 0)
		die("socket");
	if (setsockopt(p.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	/*
	 * The smallest receive buffer (the kernel rounds 1 up to its minimum), as endlessh
	 * sets on each client: set on the listening socket, every accepted socket inherits it
	 * and the SYN-ACK already offers the small window, so a client can queue little here.
	 */
	if (setsockopt(p.lfd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) < 0)
		die("SO_RCVBUF");
	if (bind(p.lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("bind");
	if (listen(p.lfd, 4096) < 0)
		die("listen");
	p.ep = epoll_create1(EPOLL_CLOEXEC);
	if (p.ep < 0)
		die("epoll_create1");
	pit_listen(&p, true);

	while (!stop) {
		struct epoll_event ev;
		uint64_t now = now_ms();
		int timeout = 1000;
		int n;

		if (p.head != NONE && p.due_ms[p.head] > now && p.due_ms[p.head] - now < 1000)
			timeout = (int)(p.due_ms[p.head] - now);
		else if (p.head != NONE && p.due_ms[p.head] <= now)
			timeout = 0;
		n = epoll_wait(p.ep, &ev, 1, timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		if (n > 0)
			pit_accept(&p);
		now = now_ms();
		pit_tick(&p, now);
		if ((p.held != last_held || p.bytes != last_bytes) && now - last_print >= 1000) {
			printf("sockpit held=%lld accepted=%lld closed=%lld bytes=%lld\n", p.held,
			       p.accepted, p.closed, p.bytes);
			fflush(stdout);
			last_held = p.held;
			last_bytes = p.bytes;
			last_print = now;
		}
	}
	printf("sockpit end held=%lld accepted=%lld closed=%lld bytes=%lld\n", p.held, p.accepted,
	       p.closed, p.bytes);
	return 0;
}
