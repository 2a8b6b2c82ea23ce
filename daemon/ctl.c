// SPDX-License-Identifier: GPL-2.0-or-later
/* Read-only status over a UNIX socket, served by the main thread, never by a packet thread. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

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
	if (listen(fd, 16) < 0) {
		log_warn("control socket %s: listen", path);
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_answer(const char *req, size_t len, FILE *f, ctl_stats_fn stats, void *arg)
{
	while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == '\r'))
		len--;
	if (len == 5 && memcmp(req, "stats", 5) == 0) {
		stats(f, arg);
		return 0;
	}
	if (len == 4 && memcmp(req, "ping", 4) == 0) {
		fputs("pong\n", f);
		return 0;
	}
	fputs("error unknown request (try: stats, ping)\n", f);
	return -1;
}

/* Read one line within 1 s; returns its length, 0 on timeout/EOF, -1 if too long. */
static ssize_t ctl_read_line(int fd, char *buf, size_t size)
{
	size_t got = 0;
	int waited = 0;

	while (got < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0) {
			if (++waited >= 10)
				return 0;
			continue;
		}
		n = read(fd, buf + got, size - got);
		if (n <= 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (memchr(buf, '\n', got) != NULL)
			return (ssize_t)got;
	}
	return -1;
}

void ctl_serve_one(int lfd, ctl_stats_fn stats, void *arg)
{
	char req[CTL_MAX_REQUEST];
	char *out = NULL;
	size_t outlen = 0;
	ssize_t n;
	FILE *f;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	f = open_memstream(&out, &outlen);
	if (f == NULL) {
		close(fd);
		return;
	}
	n = ctl_read_line(fd, req, sizeof(req));
	if (n < 0)
		fputs("error request too long\n", f);
	else if (n == 0)
		fputs("error no request within 1 s\n", f);
	else
		ctl_answer(req, (size_t)n, f, stats, arg);
	fclose(f);
	if (out != NULL) {
		size_t off = 0;
		int spins = 0;

		while (off < outlen && spins < 100) {
			ssize_t w = send(fd, out + off, outlen - off, MSG_NOSIGNAL);

			if (w < 0) {
				if (errno != EAGAIN && errno != EINTR)
					break;
				spins++;
				poll(&(struct pollfd){.fd = fd, .events = POLLOUT}, 1, 10);
				continue;
			}
			off += (size_t)w;
		}
	}
	free(out);
	close(fd);
}
