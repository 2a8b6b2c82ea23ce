// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket: request parsing, the non-blocking server, the flow snapshot order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "flow.h"
#include "log.h"

static void test_parse(void **state)
{
	static const struct {
		const char *line;
		enum ctl_request want;
		unsigned int nflows;
	} cases[] = {
		{"ping\n", CTL_REQ_PING, 0},
		{"stats\r\n", CTL_REQ_STATS, 0},
		{"stats", CTL_REQ_STATS, 0},
		{"status\n", CTL_REQ_STATUS, CTL_STATUS_FLOWS_DEFAULT},
		{"status 0\n", CTL_REQ_STATUS, 0},
		{"status 1000\n", CTL_REQ_STATUS, 1000},
		{"status 1001\n", CTL_REQ_ERROR, 0},
		{"status -1\n", CTL_REQ_ERROR, 0},
		{"status 010\n", CTL_REQ_ERROR, 0},
		{"status x\n", CTL_REQ_ERROR, 0},
		{"status 99999999999999999999\n", CTL_REQ_ERROR, 0},
		{"statsX\n", CTL_REQ_ERROR, 0},
		{"shutdown\n", CTL_REQ_ERROR, 0},
		{"\n", CTL_REQ_ERROR, 0},
	};
	const char *err;
	unsigned int n;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = 0;
		assert_int_equal(ctl_parse(cases[i].line, strlen(cases[i].line), &n, &err),
				 cases[i].want);
		if (cases[i].want == CTL_REQ_ERROR)
			assert_non_null(err);
		else if (cases[i].want == CTL_REQ_STATUS)
			assert_int_equal(n, cases[i].nflows);
	}
}

static struct pkt mkpkt(uint32_t host, uint16_t sport)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.saddr[0] = 198;
	p.saddr[1] = 51;
	p.saddr[2] = 100;
	p.saddr[3] = (uint8_t)host;
	p.daddr[0] = 192;
	p.daddr[3] = 1;
	p.sport = sport;
	p.dport = 25;
	return p;
}

/* Longest held first, whatever the drip order, and never more than asked for. */
static void test_oldest(void **state)
{
	static const uint32_t first[] = {500, 100, 900, 300, 100, 700, 50};
	struct cookie_key key = {{2}};
	struct flow_table *t = flow_table_alloc(64, &key);
	struct flow out[8];
	struct flow ev;
	bool did;
	uint32_t i, n;

	assert_non_null(t);
	assert_int_equal(flow_oldest(t, out, 8), 0);
	for (i = 0; i < 7; i++) {
		struct pkt p = mkpkt(i + 1, (uint16_t)(40000 + i));
		struct flow *f = flow_insert(t, &p, 1, 2, first[i], 60, &ev, &did);

		assert_non_null(f);
		flow_schedule(t, f, i);
	}
	n = flow_oldest(t, out, 8);
	assert_int_equal(n, 7);
	assert_int_equal(out[0].first_s, 50);
	assert_int_equal(out[0].saddr[3], 7);
	for (i = 1; i < n; i++)
		assert_true(out[i - 1].first_s <= out[i].first_s);
	n = flow_oldest(t, out, 3);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].first_s, 50);
	assert_int_equal(out[1].first_s, 100);
	assert_int_equal(out[2].first_s, 100);
	assert_int_equal(flow_oldest(t, out, 0), 0);
	flow_table_free(t);
}

/* Stub daemon: the snapshot is ready as soon as it is asked for, after `delay` handles. */
struct stub {
	int asked;
	int polls;
};

static void stub_stats(FILE *f, void *arg)
{
	fputs("packets=42\n", f);
}

static void stub_snap_start(void *arg)
{
	struct stub *s = arg;

	s->asked++;
	s->polls = 0;
}

static bool stub_snap_ready(void *arg)
{
	struct stub *s = arg;

	return ++s->polls > 2;
}

static void stub_status(FILE *f, unsigned int nflows, void *arg)
{
	fprintf(f, "packets=42\nflows=%u\nend\n", nflows);
}

/* The lease: a pipe's end stands for the netlink socket; lends and returns are counted. */
struct stub_lease {
	int fd;
	int lent;
	int ended;
	bool refuse;
};

static struct stub_lease stub_lease_state;

static int stub_lease(void *arg, uint32_t *portid, char *why, size_t whylen)
{
	struct stub_lease *l = &stub_lease_state;

	if (l->refuse) {
		snprintf(why, whylen, "table inet nftarpit is not persistent");
		return -1;
	}
	l->lent++;
	*portid = 4242;
	return l->fd;
}

static void stub_lease_end(void *arg)
{
	stub_lease_state.ended++;
}

static const struct ctl_ops stub_ops = {stub_stats,  stub_snap_start, stub_snap_ready,
					stub_status, stub_lease,      stub_lease_end};

static int connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Run the server for ms milliseconds of its own poll loop. */
static void serve(struct ctl *c, int ms)
{
	uint64_t end = ctl_now_ms() + (uint64_t)ms;
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];

	while (ctl_now_ms() < end) {
		unsigned int n = ctl_pollfds(c, pfd, CTL_MAX_CLIENTS + 1);

		(void)poll(pfd, n, 10);
		ctl_handle(c, pfd, ctl_now_ms());
	}
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
}

/*
 * A silent client, a garbage one, an oversized one and a status request at once: the
 * status and garbage answers come while the silent client still holds its slot; the silent
 * one gets its error after the read deadline.
 */
static void test_server(void **state)
{
	char path[] = "/tmp/test_ctl.XXXXXX";
	char sock[64];
	char big[CTL_MAX_REQUEST + 10];
	char buf[512];
	struct stub stub = {0, 0};
	struct ctl *c = calloc(1, sizeof(*c));
	int lfd, silent, garbage, status, over, pings[20];
	int i;

	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", path);
	lfd = ctl_listen(sock);
	assert_true(lfd >= 0);
	ctl_init(c, lfd, &stub_ops, &stub);

	silent = connect_to(sock);
	garbage = connect_to(sock);
	status = connect_to(sock);
	over = connect_to(sock);
	assert_int_equal(write(garbage, "\x01\xff junk\n", 8), 8);
	assert_int_equal(write(status, "status 3\n", 9), 9);
	memset(big, 'a', sizeof(big));
	assert_int_equal(write(over, big, sizeof(big)), (ssize_t)sizeof(big));
	for (i = 0; i < 20; i++) {
		pings[i] = connect_to(sock);
		assert_int_equal(write(pings[i], "ping\n", 5), 5);
	}
	serve(c, 200);
	read_all(status, buf, sizeof(buf));
	assert_string_equal(buf, "packets=42\nflows=3\nend\n");
	assert_int_equal(stub.asked, 1);
	read_all(garbage, buf, sizeof(buf));
	assert_string_equal(buf, "error unknown request (try: stats, status [N], ping)\n");
	read_all(over, buf, sizeof(buf));
	assert_string_equal(buf, "error request too long\n");
	for (i = 0; i < 20; i++) {
		read_all(pings[i], buf, sizeof(buf));
		assert_string_equal(buf, "pong\n");
		close(pings[i]);
	}
	/* Only the silent client is left, still waiting for its deadline. */
	assert_int_equal(c->nactive, 1);
	serve(c, CTL_READ_MS + 200);
	read_all(silent, buf, sizeof(buf));
	assert_string_equal(buf, "error no request within 1 s\n");
	assert_int_equal(c->nactive, 0);

	close(silent);
	close(garbage);
	close(status);
	close(over);
	close(lfd);
	unlink(sock);
	rmdir(path);
	free(c);
}

static void test_has_cap(void **state)
{
	assert_true(ctl_status_has_cap("Name:\tx\nCapEff:\t0000000000001000\n", 12));
	assert_false(ctl_status_has_cap("Name:\tx\nCapEff:\t0000000000000800\n", 12));
	assert_true(ctl_status_has_cap("Name:\tx\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n", 12));
	assert_false(ctl_status_has_cap("Name:\tx\nCapPrm:\t0000000000001000\n", 12));
	assert_false(ctl_status_has_cap("Name:\tx\nCapEff:\tzz\n", 12));
	assert_false(ctl_status_has_cap("Name:\tx\nCapEff:\t1000 junk\n", 12));
	assert_false(ctl_status_has_cap("CapEff:\t0000000000001000\n", 12)); /* never first */
}

/* One line and at most one descriptor, as lib/lease.c reads them; fd -1 when none came. */
static ssize_t recv_lease(int conn, char *buf, size_t size, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, size - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t n;

	msg.msg_control = u.b;
	msg.msg_controllen = sizeof(u.b);
	*fd = -1;
	n = recvmsg(conn, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
	buf[n] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(*fd));
	return n;
}

static bool may_lease(void)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (getuid() == 0)
		return true;
	fd = open("/proc/self/status", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return ctl_status_has_cap(buf, 12);
}

/*
 * Two clients ask for the lease: the first gets the socket, the second waits until the
 * first closes its connection; the lease socket answers nothing but lease and ping; a
 * refusal is one error line. Without root or CAP_NET_ADMIN, the refusal is checked instead.
 */
static void test_lease(void **state)
{
	char path[] = "/tmp/test_ctl.XXXXXX";
	char sock[64], buf[256];
	struct stub stub = {0, 0};
	struct ctl *c = calloc(1, sizeof(*c));
	struct stat a, b;
	int pipefd[2], lfd, first, second, other, fd;

	assert_int_equal(pipe(pipefd), 0);
	memset(&stub_lease_state, 0, sizeof(stub_lease_state));
	stub_lease_state.fd = pipefd[0];
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/lease.sock", path);
	lfd = ctl_listen(sock);
	assert_true(lfd >= 0);
	ctl_init(c, lfd, &stub_ops, &stub);
	c->lease_only = true;

	first = connect_to(sock);
	assert_int_equal(write(first, "lease\n", 6), 6);
	serve(c, 100);
	second = connect_to(sock);
	assert_int_equal(write(second, "lease\n", 6), 6);
	other = connect_to(sock);
	assert_int_equal(write(other, "status\n", 7), 7);
	serve(c, 100);
	read_all(other, buf, sizeof(buf));
	assert_string_equal(buf, "error the lease socket serves lease and ping only\n");
	if (!may_lease()) {
		assert_true(recv_lease(first, buf, sizeof(buf), &fd) > 0);
		assert_int_equal(strncmp(buf, "error lease refused: pid ", 25), 0);
		assert_int_equal(fd, -1);
		assert_int_equal(stub_lease_state.lent, 0);
		goto out;
	}
	assert_true(recv_lease(first, buf, sizeof(buf), &fd) > 0);
	assert_string_equal(buf, "lease portid=4242\n");
	/* The very socket lent: same inode as ours. */
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(pipefd[0], &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(fd);
	assert_true(recv_lease(second, buf, sizeof(buf), &fd) < 0); /* still waiting */
	assert_int_equal(stub_lease_state.lent, 1);
	assert_int_equal(stub_lease_state.ended, 0);

	close(first);
	serve(c, 100);
	assert_int_equal(stub_lease_state.ended, 1);
	assert_true(recv_lease(second, buf, sizeof(buf), &fd) > 0);
	assert_string_equal(buf, "lease portid=4242\n");
	assert_true(fd >= 0);
	close(fd);
	close(second);
	serve(c, 100);
	assert_int_equal(stub_lease_state.ended, 2);
	assert_int_equal(c->holder, -1);

	/* A refusal: one error line, nothing lent, nothing to return. */
	stub_lease_state.refuse = true;
	second = connect_to(sock);
	assert_int_equal(write(second, "lease\n", 6), 6);
	serve(c, 100);
	read_all(second, buf, sizeof(buf));
	assert_string_equal(buf, "error table inet nftarpit is not persistent\n");
	assert_int_equal(stub_lease_state.ended, 2);
	first = -1;
out:
	if (first >= 0)
		close(first);
	close(second);
	close(other);
	ctl_close_clients(c);
	close(lfd);
	close(pipefd[0]);
	close(pipefd[1]);
	unlink(sock);
	rmdir(path);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),  cmocka_unit_test(test_oldest),
		cmocka_unit_test(test_server), cmocka_unit_test(test_has_cap),
		cmocka_unit_test(test_lease),
	};

	log_init("test_ctl", true, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
