/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpitctl metrics --listen: the metrics over HTTP for a Prometheus scraper. */
#ifndef NFTARPIT_HTTP_H
#define NFTARPIT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "127.0.0.1:9525" or "[::1]:9525" into *ss; 0 or -1. Pure. */
int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/*
 * The answer to a request head: NULL with *code 200 for GET /metrics, else the body of
 * the 404 or 405 reply. Pure.
 */
const char *http_route(const char *req, size_t len, int *code);

struct status;

/*
 * Where a scrape's numbers come from: gather(st, arg) fills st afresh (nftarpitctl's live
 * module asks the daemon, the kernel and the sync's files). A callback, so that this
 * module knows HTTP and nothing of where the numbers live.
 */
struct http_source {
	void (*gather)(struct status *st, void *arg);
	void *arg;
};

/*
 * Serve GET /metrics on listen_addr until SIGINT or SIGTERM: one poll() loop over up to
 * HTTP_MAX_CLIENTS clients at once, each given one overall deadline of a few seconds for
 * its whole exchange, so a slow client holds nobody else up; every scrape calls
 * src->gather afresh. 0, or -1 (logged) when it cannot listen.
 */
int http_serve(const char *listen_addr, const struct http_source *src);

#endif
