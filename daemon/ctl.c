// SPDX-License-Identifier: GPL-2.0-or-later
/* Status and the table's lease over UNIX sockets, served by the main thread, never by a worker. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lease.h"
#include "log.h"
#include "strnum.h"

/* CAP_NET_ADMIN, from linux/capability.h, without pulling libcap into this module. */
#define CTL_CAP_NET_ADMIN 12

static int ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket file left by a crashed daemon is removed; one that answers is another daemon's. */
static int ctl_remove_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	close(fd);
	return unlink(path);
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	mode_t old;
	int fd;

	if (ctl_addr(path, &sun) < 0)
		return -1;
	memcpy(dir, path, strlen(path) + 1);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		log_warn("control socket directory for %s", path);
		return -1;
	}
	if (ctl_remove_stale(path, &sun) < 0) {
		if (errno == EADDRINUSE)
			log_warnx("control socket %s: another nftarpitd answers on it", path);
		else
			log_warn("control socket %s", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warn("control socket");
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		log_warn("control socket %s: bind", path);
		close(fd);
		return -1;
	}
	umask(old);
	/* A burst of clients waits in the backlog while all slots are busy. */
	if (listen(fd, SOMAXCONN) < 0) {
		log_warn("control socket %s: listen", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Abstract: no file, so no directory or mode decides who connects; every peer's credentials
 * are checked at its "lease" instead. Anyone may have bound the name first: then we lend
 * nothing (and the tools check a lease's port against the table's owner anyway).
 */
int ctl_listen_lease(void)
{
	struct sockaddr_un sun;
	socklen_t len = lease_addr(&sun);
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warn("lease socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		log_warn("lease socket @%s%s", LEASE_NAME,
			 errno == EADDRINUSE ? " (another nftarpitd, or a squatter, has it)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

bool ctl_status_has_cap(const char *status, unsigned int cap)
{
	const char *p = strstr(status, "\nCapEff:");
	unsigned long long v;
	char *end;

	if (p == NULL || cap > 63)
		return false;
	p += strlen("\nCapEff:");
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	v = strtoull(p, &end, 16);
	if (errno != 0 || end == p || (*end != '\n' && *end != '\0'))
		return false;
	return (v >> cap) & 1;
}

/*
 * Root, or a process whose effective set has CAP_NET_ADMIN (nftarpit-sync runs as a dynamic
 * user with it as an ambient capability). The kernel checks the sender's CAP_NET_ADMIN on
 * every nf_tables message anyway; this keeps others from holding the lease (and so every
 * change) up. A process that exits between connect() and this read fails the check.
 */
static bool ctl_peer_may_lease(int fd, char *why, size_t whylen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64], buf[4096];
	ssize_t n;
	int pfd;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		snprintf(why, whylen, "lease refused: no peer credentials");
		return false;
	}
	if (cr.uid == 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cr.pid);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	n = pfd < 0 ? -1 : read(pfd, buf, sizeof(buf) - 1);
	if (pfd >= 0)
		close(pfd);
	if (n > 0) {
		buf[n] = '\0';
		if (ctl_status_has_cap(buf, CTL_CAP_NET_ADMIN))
			return true;
	}
	snprintf(why, whylen, "lease refused: pid %d uid %u is not root and has no CAP_NET_ADMIN%s",
		 (int)cr.pid, (unsigned int)cr.uid, n > 0 ? "" : " (its /proc status unreadable)");
	return false;
}

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum ctl_request ctl_parse(const char *req, size_t len, unsigned int *nflows, const char **err)
{
	char arg[16];
	const char *errstr;
	long long n;

	while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == '\r'))
		len--;
	*err = NULL;
	if (len == 4 && memcmp(req, "ping", 4) == 0)
		return CTL_REQ_PING;
	if (len == 5 && memcmp(req, "lease", 5) == 0)
		return CTL_REQ_LEASE;
	if (len == 5 && memcmp(req, "stats", 5) == 0)
		return CTL_REQ_STATS;
	if (len == 6 && memcmp(req, "status", 6) == 0) {
		*nflows = CTL_STATUS_FLOWS_DEFAULT;
		return CTL_REQ_STATUS;
	}
	if (len > 7 && memcmp(req, "status ", 7) == 0) {
		if (len - 7 >= sizeof(arg)) {
			*err = "bad flow count";
			return CTL_REQ_ERROR;
		}
		memcpy(arg, req + 7, len - 7);
		arg[len - 7] = '\0';
		n = strnum_parse(arg, 0, CTL_STATUS_FLOWS_MAX, &errstr);
		if (errstr != NULL) {
			*err = "bad flow count (0-1000)";
			return CTL_REQ_ERROR;
		}
		*nflows = (unsigned int)n;
		return CTL_REQ_STATUS;
	}
	*err = "unknown request (try: stats, status [N], ping)";
	return CTL_REQ_ERROR;
}

void ctl_init(struct ctl *c, int lfd, const struct ctl_ops *ops, void *arg)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->lfd = lfd;
	c->ops = ops;
	c->arg = arg;
	c->lidx = -1;
	c->holder = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		c->c[i].fd = -1;
		c->c[i].pidx = -1;
	}
}

static void ctl_drop(struct ctl *c, struct ctl_client *cl)
{
	if (c->holder >= 0 && cl == &c->c[c->holder]) {
		c->holder = -1;
		c->ops->lease_end(c->arg);
	}
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->pidx = -1;
	c->nactive--;
}

void ctl_close_clients(struct ctl *c)
{
	unsigned int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->c[i].state != CTL_FREE)
			ctl_drop(c, &c->c[i]);
}

/* Render the reply into the client's buffer and start sending it. */
static void ctl_reply(struct ctl *c, struct ctl_client *cl, enum ctl_request r, const char *err,
		      uint64_t now_ms)
{
	FILE *f = open_memstream(&cl->out, &cl->outlen);

	if (f == NULL) {
		ctl_drop(c, cl);
		return;
	}
	switch (r) {
	case CTL_REQ_PING:
		fputs("pong\n", f);
		break;
	case CTL_REQ_STATS:
		c->ops->stats(f, c->arg);
		break;
	case CTL_REQ_STATUS:
		c->ops->status(f, cl->nflows, c->arg);
		break;
	case CTL_REQ_LEASE: /* answered by ctl_grant() */
	case CTL_REQ_ERROR:
		fprintf(f, "error %s\n", err);
		c->errors++;
		break;
	}
	if (fclose(f) != 0 || cl->out == NULL) {
		ctl_drop(c, cl);
		return;
	}
	cl->state = CTL_WRITE;
	cl->off = 0;
	cl->deadline_ms = now_ms + CTL_WRITE_MS;
	c->served++;
}

/*
 * Lend the socket to cl: one line and the descriptor in one sendmsg() (a fresh connection's
 * buffer takes 30 bytes at once). Then cl holds it until it closes the connection.
 */
static void ctl_grant(struct ctl *c, struct ctl_client *cl, uint64_t now_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	char why[256], line[64];
	uint32_t portid = 0;
	int fd = c->ops->lease(c->arg, &portid, why, sizeof(why));
	int len;

	if (fd < 0) {
		ctl_reply(c, cl, CTL_REQ_ERROR, why, now_ms);
		return;
	}
	len = snprintf(line, sizeof(line), "lease portid=%u\n", portid);
	iov.iov_base = line;
	iov.iov_len = (size_t)len;
	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	c->holder = (int)(cl - c->c);
	if (sendmsg(cl->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != len) {
		ctl_drop(c, cl);
		return;
	}
	cl->state = CTL_LEASED;
	cl->got = 0;
	cl->deadline_ms = now_ms + LEASE_HOLD_MS;
	c->leases++;
	c->served++;
}

/*
 * The lease is free: the longest-waiting client gets it. One that left meanwhile (the
 * descriptor cannot be sent) or is refused leaves the queue, and the next one is tried.
 */
static void ctl_grant_next(struct ctl *c, uint64_t now_ms)
{
	struct ctl_client *next;
	unsigned int i;

	while (c->holder < 0) {
		next = NULL;
		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			if (c->c[i].state == CTL_LEASE_WAIT &&
			    (next == NULL || c->c[i].deadline_ms < next->deadline_ms))
				next = &c->c[i];
		if (next == NULL)
			return;
		ctl_grant(c, next, now_ms);
	}
}

static void ctl_lease_request(struct ctl *c, struct ctl_client *cl, uint64_t now_ms)
{
	char why[160];

	if (!c->lease_only) {
		ctl_reply(c, cl, CTL_REQ_ERROR, "lease is served on @" LEASE_NAME, now_ms);
		return;
	}
	if (!ctl_peer_may_lease(cl->fd, why, sizeof(why))) {
		log_warnx("%s", why);
		ctl_reply(c, cl, CTL_REQ_ERROR, why, now_ms);
		return;
	}
	if (c->holder >= 0) {
		cl->state = CTL_LEASE_WAIT;
		cl->deadline_ms = now_ms + LEASE_WAIT_MS;
		return;
	}
	ctl_grant(c, cl, now_ms);
}

/* A complete request line is in: answer now, or wait for the workers' snapshot. */
static void ctl_request(struct ctl *c, struct ctl_client *cl, uint64_t now_ms)
{
	const char *err;
	enum ctl_request r = ctl_parse(cl->req, cl->got, &cl->nflows, &err);

	if (r == CTL_REQ_LEASE) {
		ctl_lease_request(c, cl, now_ms);
		return;
	}
	if (c->lease_only && r != CTL_REQ_PING && r != CTL_REQ_ERROR) {
		r = CTL_REQ_ERROR;
		err = "the lease socket serves lease and ping only";
	}
	if (r != CTL_REQ_STATUS || cl->nflows == 0 ||
	    (!c->snap_busy && c->snap_taken_ms != 0 &&
	     now_ms < c->snap_taken_ms + CTL_SNAP_FRESH_MS)) {
		ctl_reply(c, cl, r, err, now_ms);
		return;
	}
	/* Clients arriving during a snapshot share it: a burst costs the workers one copy. */
	cl->state = CTL_WAIT;
	if (!c->snap_busy) {
		c->ops->snap_start(c->arg);
		c->snap_busy = true;
		c->snap_deadline_ms = now_ms + CTL_SNAP_MS;
	}
}

static void ctl_read(struct ctl *c, struct ctl_client *cl, uint64_t now_ms)
{
	ssize_t n = read(cl->fd, cl->req + cl->got, sizeof(cl->req) - cl->got);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Closed before a whole line: answer what came, if anything. */
		if (cl->got == 0) {
			ctl_drop(c, cl);
			return;
		}
		ctl_request(c, cl, now_ms);
		return;
	}
	cl->got += (size_t)n;
	if (memchr(cl->req, '\n', cl->got) != NULL) {
		cl->got = (size_t)((char *)memchr(cl->req, '\n', cl->got) - cl->req);
		ctl_request(c, cl, now_ms);
	} else if (cl->got == sizeof(cl->req)) {
		ctl_reply(c, cl, CTL_REQ_ERROR, "request too long", now_ms);
	}
}

/* The holder writes nothing more: EOF (or an error) returns the lease; bytes are ignored. */
static void ctl_read_leased(struct ctl *c, struct ctl_client *cl, uint64_t now_ms)
{
	char buf[64];
	ssize_t n = read(cl->fd, buf, sizeof(buf));

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	ctl_drop(c, cl);
	ctl_grant_next(c, now_ms);
}

static void ctl_write(struct ctl *c, struct ctl_client *cl)
{
	ssize_t w = send(cl->fd, cl->out + cl->off, cl->outlen - cl->off, MSG_NOSIGNAL);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) {
		ctl_drop(c, cl);
		return;
	}
	cl->off += (size_t)w;
	if (cl->off == cl->outlen)
		ctl_drop(c, cl);
}

static void ctl_accept(struct ctl *c, uint64_t now_ms)
{
	unsigned int i;
	int fd;

	for (i = 0; i < CTL_MAX_CLIENTS && c->nactive < CTL_MAX_CLIENTS; i++) {
		if (c->c[i].state != CTL_FREE)
			continue;
		fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		c->c[i].fd = fd;
		c->c[i].state = CTL_READ;
		c->c[i].got = 0;
		c->c[i].deadline_ms = now_ms + CTL_READ_MS;
		c->c[i].pidx = -1;
		c->nactive++;
	}
}

unsigned int ctl_pollfds(struct ctl *c, struct pollfd *pfd, unsigned int max)
{
	unsigned int n = 0;
	unsigned int i;

	c->lidx = -1;
	if (c->nactive < CTL_MAX_CLIENTS && n < max) {
		c->lidx = (int)n;
		pfd[n].fd = c->lfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];

		cl->pidx = -1;
		if (cl->state != CTL_READ && cl->state != CTL_WRITE && cl->state != CTL_LEASED)
			continue;
		if (n == max)
			break;
		cl->pidx = (int)n;
		pfd[n].fd = cl->fd;
		pfd[n].events = cl->state == CTL_WRITE ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int ctl_timeout(const struct ctl *c, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	if (c->snap_busy)
		next = c->snap_deadline_ms;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->c[i].state != CTL_FREE && c->c[i].deadline_ms < next)
			next = c->c[i].deadline_ms;
	if (next == UINT64_MAX)
		return -1;
	return next <= now_ms ? 0 : (int)(next - now_ms);
}

void ctl_handle(struct ctl *c, const struct pollfd *pfd, uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];
		short rev;

		if (cl->pidx < 0 || cl->state == CTL_FREE)
			continue;
		rev = pfd[cl->pidx].revents;
		cl->pidx = -1;
		if (cl->state == CTL_READ && (rev & (POLLIN | POLLHUP | POLLERR)))
			ctl_read(c, cl, now_ms);
		else if (cl->state == CTL_WRITE && (rev & (POLLOUT | POLLHUP | POLLERR)))
			ctl_write(c, cl);
		else if (cl->state == CTL_LEASED && (rev & (POLLIN | POLLHUP | POLLERR)))
			ctl_read_leased(c, cl, now_ms);
	}
	if (c->snap_busy && (c->ops->snap_ready(c->arg) || now_ms >= c->snap_deadline_ms)) {
		/* A worker that missed the deadline is left out and counted in the reply. */
		c->snap_busy = false;
		c->snap_taken_ms = now_ms;
		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			if (c->c[i].state == CTL_WAIT)
				ctl_reply(c, &c->c[i], CTL_REQ_STATUS, NULL, now_ms);
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];

		if (cl->state == CTL_FREE || cl->state == CTL_WAIT || now_ms < cl->deadline_ms)
			continue;
		c->timeouts++;
		if (cl->state == CTL_READ) {
			ctl_reply(c, cl, CTL_REQ_ERROR, "no request within 1 s", now_ms);
		} else if (cl->state == CTL_LEASE_WAIT) {
			ctl_reply(c, cl, CTL_REQ_ERROR, "busy: the lease stayed held", now_ms);
		} else if (cl->state == CTL_LEASED) {
			log_warnx("lease held over %d s: its holder is dropped (it keeps the "
				  "socket, but no longer the turn)",
				  LEASE_HOLD_MS / 1000);
			ctl_drop(c, cl);
		} else {
			ctl_drop(c, cl);
		}
	}
	ctl_grant_next(c, now_ms);
	if (c->lidx >= 0 && (pfd[c->lidx].revents & POLLIN))
		ctl_accept(c, now_ms);
	c->lidx = -1;
}
