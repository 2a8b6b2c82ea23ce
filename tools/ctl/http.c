// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl metrics --listen: the metrics over HTTP for a Prometheus scraper. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "strnum.h"

/* A scrape request is a few hundred bytes; anything longer is not one. */
#define HTTP_MAX_REQUEST 4096
/* A client whose whole exchange (request in, reply out) takes longer is dropped. */
#define HTTP_CLIENT_S 2
/* Clients served at once; more evict the slowest still sending its request. */
#define HTTP_MAX_CLIENTS 32

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

static int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One client. Its whole exchange (request in, reply out) must fit in one deadline set at
 * accept: a client that drips its request a byte at a time, or never reads its reply,
 * loses its slot at the deadline whatever it does in between.
 */
struct http_conn {
	int fd; /* -1: a free slot */
	int64_t deadline_ms;
	size_t got;
	char req[HTTP_MAX_REQUEST + 1];
	char *out; /* the whole reply, head and body */
	size_t outlen;
	size_t sent;
};

static void http_conn_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->got = c->outlen = c->sent = 0;
}

/* The reply to a whole request head; the daemon is asked afresh for each scrape. */
static int http_conn_answer(struct http_conn *c, const struct http_source *src, struct status *st)
{
	const char *msg;
	FILE *f;
	int code;

	msg = http_route(c->req, c->got, &code);
	f = open_memstream(&c->out, &c->outlen);
	if (f == NULL)
		return -1;
	if (code == 200) {
		char *body = NULL;
		size_t blen = 0;
		FILE *b = open_memstream(&body, &blen);

		if (b == NULL) {
			fclose(f);
			return -1;
		}
		src->gather(st, src->arg);
		metrics_print(b, st);
		fclose(b);
		fprintf(f,
			"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
			"charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			blen);
		fwrite(body, 1, blen, f);
		free(body);
	} else {
		fprintf(f,
			"HTTP/1.0 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			code, code == 404 ? "Not Found" : "Method Not Allowed", strlen(msg), msg);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Read what the client sent; answer once the head is complete. -1: done with it. */
static int http_conn_read(struct http_conn *c, const struct http_source *src, struct status *st)
{
	ssize_t n = recv(c->fd, c->req + c->got, HTTP_MAX_REQUEST - c->got, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->got += (size_t)n;
	c->req[c->got] = '\0';
	if (strstr(c->req, "\r\n\r\n") == NULL && strstr(c->req, "\n\n") == NULL &&
	    c->got < HTTP_MAX_REQUEST)
		return 0;
	return http_conn_answer(c, src, st);
}

/* Send what the socket takes of the reply. -1: done with the client (all sent, or gone). */
static int http_conn_write(struct http_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->sent += (size_t)n;
	return c->sent == c->outlen ? -1 : 0;
}

/*
 * A slot for a new client: a free one, else the one still sending its request that has
 * been at it longest. A scraper sends its request at once, so with every slot taken by
 * slow clients it is one of them that goes, never the scrape.
 */
static struct http_conn *http_slot(struct http_conn *c, size_t n)
{
	struct http_conn *old = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].fd < 0)
			return &c[i];
		if (c[i].out == NULL && (old == NULL || c[i].deadline_ms < old->deadline_ms))
			old = &c[i];
	}
	if (old != NULL)
		http_conn_close(old);
	return old;
}

static void http_accept(int lfd, struct http_conn *c, size_t n, int64_t now)
{
	struct http_conn *slot;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	slot = http_slot(c, n);
	if (slot == NULL) {
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->deadline_ms = now + HTTP_CLIENT_S * 1000;
}

/* One turn of the loop: wait for the listener or a client, at most until the next deadline. */
static void http_turn(int lfd, struct http_conn *c, size_t n, const struct http_source *src,
		      struct status *st)
{
	struct pollfd pfd[HTTP_MAX_CLIENTS + 1];
	int64_t now = http_now_ms();
	int64_t wait = -1;
	size_t i;

	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (i = 0; i < n; i++) {
		pfd[i + 1].fd = c[i].fd;
		pfd[i + 1].events = c[i].out == NULL ? POLLIN : POLLOUT;
		pfd[i + 1].revents = 0;
		if (c[i].fd >= 0 && (wait < 0 || c[i].deadline_ms - now < wait))
			wait = c[i].deadline_ms - now > 0 ? c[i].deadline_ms - now : 0;
	}
	if (poll(pfd, n + 1, (int)wait) < 0)
		return;
	now = http_now_ms();
	for (i = 0; i < n; i++) {
		int rc = 0;

		if (c[i].fd < 0)
			continue;
		if (pfd[i + 1].revents & (POLLERR | POLLNVAL))
			rc = -1;
		else if (c[i].out == NULL && (pfd[i + 1].revents & (POLLIN | POLLHUP)))
			rc = http_conn_read(&c[i], src, st);
		/* Straight on to the reply: most fit in the socket buffer at once. */
		if (rc == 0 && c[i].out != NULL)
			rc = http_conn_write(&c[i]);
		if (rc < 0 || now >= c[i].deadline_ms)
			http_conn_close(&c[i]);
	}
	if (pfd[0].revents & POLLIN)
		http_accept(lfd, c, n, now);
}

int http_serve(const char *listen_addr, const struct http_source *src)
{
	struct http_conn *conns = NULL;
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct status *st;
	socklen_t len;
	int one = 1;
	int lfd;
	size_t i;

	if (http_parse_listen(listen_addr, &ss, &len) < 0) {
		log_warnx("bad --listen \"%s\": want ADDR:PORT or [ADDR]:PORT", listen_addr);
		return -1;
	}
	st = malloc(sizeof(*st));
	conns = calloc(HTTP_MAX_CLIENTS, sizeof(*conns));
	if (st == NULL || conns == NULL) {
		free(st);
		free(conns);
		return -1;
	}
	for (i = 0; i < HTTP_MAX_CLIENTS; i++)
		conns[i].fd = -1;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, len) < 0 || listen(lfd, 64) < 0) {
		log_warn("listening on %s", listen_addr);
		if (lfd >= 0)
			close(lfd);
		free(st);
		free(conns);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = http_on_signal;
	/* No SA_RESTART: a signal must end the poll() at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("serving metrics on http://%s/metrics", listen_addr);
	while (!http_quit)
		http_turn(lfd, conns, HTTP_MAX_CLIENTS, src, st);
	for (i = 0; i < HTTP_MAX_CLIENTS; i++)
		http_conn_close(&conns[i]);
	close(lfd);
	free(conns);
	free(st);
	return 0;
}
