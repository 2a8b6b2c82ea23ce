// SPDX-License-Identifier: GPL-2.0-or-later
/* The lease of nftarpitd's netlink socket, owner of table inet nftarpit: the client side. */
#include "lease.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/time.h>
#include <unistd.h>

socklen_t lease_addr(struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* sun_path[0] stays 0: an abstract name, exactly as long as the address says. */
	memcpy(sun->sun_path + 1, LEASE_NAME, sizeof(LEASE_NAME) - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + sizeof(LEASE_NAME) - 1);
}

/*
 * The answer line and, with the first byte, at most one descriptor. MSG_CMSG_CLOEXEC: no
 * program we run may inherit the owner's socket (it would keep the table owned after we
 * and the daemon are gone).
 */
static int lease_read(struct lease *l, char *line, size_t size)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t got = 0;
	ssize_t n;

	while (got + 1 < size) {
		struct iovec iov = {line + got, size - 1 - got};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		struct cmsghdr *c;

		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		n = recvmsg(l->conn, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			int fd;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
			    c->cmsg_len != CMSG_LEN(sizeof(int)))
				continue;
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			if (l->fd >= 0)
				close(fd);
			else
				l->fd = fd;
		}
		got += (size_t)n;
		if (memchr(line, '\n', got) != NULL)
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return 0;
}

/* The lent descriptor must be a NETLINK_NETFILTER socket; its port id comes from the kernel. */
static int lease_check_fd(struct lease *l)
{
	struct sockaddr_nl nl;
	socklen_t len = sizeof(int);
	int domain = 0, proto = 0;

	if (getsockopt(l->fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -1;
	len = sizeof(int);
	if (getsockopt(l->fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return -1;
	len = sizeof(nl);
	if (domain != AF_NETLINK || proto != NETLINK_NETFILTER ||
	    getsockname(l->fd, (struct sockaddr *)&nl, &len) < 0 || nl.nl_family != AF_NETLINK) {
		errno = EPROTO;
		return -1;
	}
	l->portid = nl.nl_pid;
	return 0;
}

int lease_take(struct lease *l)
{
	struct timeval tv = {(LEASE_WAIT_MS + 5000) / 1000, 0};
	struct sockaddr_un sun;
	socklen_t len = lease_addr(&sun);
	char line[256];
	int saved;

	memset(l, 0, sizeof(*l));
	l->conn = -1;
	l->fd = -1;
	l->conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->conn < 0) {
		snprintf(l->why, sizeof(l->why), "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(l->conn, (struct sockaddr *)&sun, len) < 0) {
		/* Nobody listens: no nftarpitd in this network namespace. */
		saved = errno;
		lease_return(l);
		if (saved == ECONNREFUSED || saved == ENOENT)
			return 1;
		snprintf(l->why, sizeof(l->why), "connecting to nftarpitd: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	(void)setsockopt(l->conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(l->conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(l->conn, "lease\n", 6, MSG_NOSIGNAL) != 6 ||
	    lease_read(l, line, sizeof(line)) < 0) {
		saved = errno;
		snprintf(l->why, sizeof(l->why), "nftarpitd's lease: %s",
			 saved == EAGAIN ? "no answer in time" : strerror(saved));
		lease_return(l);
		errno = saved;
		return -1;
	}
	if (strncmp(line, "error ", 6) == 0) {
		snprintf(l->why, sizeof(l->why), "nftarpitd: %.160s", line + 6);
		lease_return(l);
		return 1;
	}
	if (strncmp(line, "lease ", 6) != 0 || l->fd < 0 || lease_check_fd(l) < 0) {
		snprintf(l->why, sizeof(l->why), "nftarpitd's lease: unexpected answer \"%.64s\"%s",
			 line, l->fd < 0 ? " without a socket" : "");
		lease_return(l);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

void lease_return(struct lease *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->conn >= 0)
		close(l->conn);
	l->fd = -1;
	l->conn = -1;
}

int lease_nudge(void)
{
	struct lease l;
	int rc = lease_take(&l);

	if (rc == 0)
		lease_return(&l);
	return rc == 0 || l.why[0] != '\0' ? 0 : -1;
}
