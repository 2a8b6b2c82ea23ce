// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl metrics --listen: the metrics over HTTP for a Prometheus scraper. */
#include "ctl_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cidr.h"
#include "ctl_live.h"
#include "ctl_status.h"
#include "log.h"
#include "strnum.h"

/* A scrape request is a few hundred bytes; anything longer is not one. */
#define HTTP_MAX_REQUEST 4096
/* A client that does not send its request or take the reply within this is dropped. */
#define HTTP_CLIENT_S 2

static volatile sig_atomic_t http_quit;

static void http_on_signal(int sig)
{
	(void)sig;
	http_quit = 1;
}

int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon, *port_s, *errstr;
	struct cidr_addr a;
	long long port;
	int family;
	size_t hl;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s - 1);
		s++;
		port_s = colon + 2;
	} else {
		/* An IPv6 address needs its brackets, or its last group reads as the port. */
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return -1;
		hl = (size_t)(colon - s);
		port_s = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = strnum_parse(port_s, 1, 65535, &errstr);
	if (errstr != NULL || cidr_parse_addr(host, &family, &a) < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		cidr_addr_to_bytes(&a, 4, (uint8_t *)&sin->sin_addr);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		cidr_addr_to_bytes(&a, 6, sin6->sin6_addr.s6_addr);
		*len = sizeof(*sin6);
	}
	return 0;
}

const char *http_route(const char *req, size_t len, int *code)
{
	if (len < 4 || memcmp(req, "GET ", 4) != 0) {
		*code = 405;
		return "method not allowed: GET /metrics\n";
	}
	if ((len >= 13 && memcmp(req + 4, "/metrics ", 9) == 0) ||
	    (len >= 13 && memcmp(req + 4, "/metrics?", 9) == 0)) {
		*code = 200;
		return NULL;
	}
	*code = 404;
	return "not found: GET /metrics\n";
}

static void http_send_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* One client: read the request head within the deadline, answer, close. */
static void http_client(int fd, const char *sock, bool sets, const char *state, struct status *st)
{
	struct timeval tv = {HTTP_CLIENT_S, 0};
	char req[HTTP_MAX_REQUEST + 1];
	char head[256];
	char *body = NULL;
	size_t got = 0, blen = 0;
	const char *msg;
	ssize_t n;
	FILE *f;
	int code;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < HTTP_MAX_REQUEST) {
		n = read(fd, req + got, HTTP_MAX_REQUEST - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	msg = http_route(req, got, &code);
	if (code == 200) {
		f = open_memstream(&body, &blen);
		if (f == NULL)
			return;
		live_status(st, sock, 0, sets);
		live_bans(st, state);
		status_print_metrics(f, st);
		fclose(f);
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.0 %d %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 code,
		 code == 200   ? "OK"
		 : code == 404 ? "Not Found"
			       : "Method Not Allowed",
		 code == 200 ? blen : strlen(msg));
	http_send_all(fd, head, strlen(head));
	if (code == 200)
		http_send_all(fd, body, blen);
	else
		http_send_all(fd, msg, strlen(msg));
	free(body);
}

int http_serve(const char *listen_addr, const char *sock, bool sets, const char *state)
{
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct status *st;
	socklen_t len;
	int one = 1;
	int lfd, fd;

	if (http_parse_listen(listen_addr, &ss, &len) < 0) {
		log_warnx("bad --listen \"%s\": want ADDR:PORT or [ADDR]:PORT", listen_addr);
		return -1;
	}
	st = malloc(sizeof(*st));
	if (st == NULL)
		return -1;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, len) < 0 || listen(lfd, 16) < 0) {
		log_warn("listening on %s", listen_addr);
		if (lfd >= 0)
			close(lfd);
		free(st);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = http_on_signal;
	/* No SA_RESTART: a signal must end the poll() at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("serving metrics on http://%s/metrics", listen_addr);
	while (!http_quit) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};

		if (poll(&pfd, 1, -1) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* One scrape at a time: scrapers come every few seconds, and each is bounded. */
		http_client(fd, sock, sets, state, st);
		close(fd);
	}
	close(lfd);
	free(st);
	return 0;
}
