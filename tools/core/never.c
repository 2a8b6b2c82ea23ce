// SPDX-License-Identifier: GPL-2.0-or-later
/* never_block: the ranges no source may put in the blocklist, read from the configuration. */
#include "never.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "guard.h"
#include "listread.h"
#include "log.h"

/* The host's own addresses (every interface, loopback ranges too): never blocked. */
int never_own(struct cidr_set own[2])
{
	struct ifaddrs *ifa, *i;
	struct cidr_range x;
	int family;

	cidr_set_init(&own[0], 4);
	cidr_set_init(&own[1], 6);
	memset(&x, 0, sizeof(x));
	x.first.lo = 0x7f000000;
	x.last.lo = 0x7fffffff;
	if (cidr_set_add(&own[0], &x) < 0)
		return -1;
	x.first.lo = 1;
	x.last.lo = 1;
	if (cidr_set_add(&own[1], &x) < 0)
		return -1;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			family = 4;
			cidr_addr_from_bytes(
				&x.first, 4,
				(const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_addr)
					->sin_addr);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			family = 6;
			cidr_addr_from_bytes(
				&x.first, 6,
				((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr.s6_addr);
		} else {
			continue;
		}
		x.last = x.first;
		if (cidr_set_add(&own[family == 4 ? 0 : 1], &x) < 0) {
			freeifaddrs(ifa);
			return -1;
		}
	}
	freeifaddrs(ifa);
	return cidr_set_merge(&own[0]) < 0 || cidr_set_merge(&own[1]) < 0 ? -1 : 0;
}

/* Postfix's own idea of its trusted networks; "postconf -h" prints the expanded value. */
static int never_mynetworks(struct cidr_set never[2])
{
	char *text = NULL;
	size_t cap = 0;
	unsigned int skipped = 0;
	ssize_t len;
	FILE *f;
	int status, rc;

	f = popen("postconf -h mynetworks", "re");
	if (f == NULL) {
		log_warn("never_block_mynetworks: postconf");
		return -1;
	}
	len = getdelim(&text, &cap, '\0', f);
	status = pclose(f);
	if (len < 0 || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("never_block_mynetworks: postconf -h mynetworks failed");
		free(text);
		return -1;
	}
	rc = guard_mynetworks(text, &never[0], &never[1], &skipped);
	if (skipped > 0)
		log_warnx("never_block_mynetworks: %u entries of mynetworks are not networks "
			  "(lookup tables, files, names) and are not protected: list them in "
			  "never_block",
			  skipped);
	free(text);
	return rc;
}

int never_load(const struct sync_conf *c, struct cidr_set never[2])
{
	struct listread_counts n = {0};
	struct cidr_range r;
	char err[128];
	unsigned int i;
	int family;

	for (i = 0; i < c->nnever; i++) {
		/* Checked when the configuration was read. */
		if (cidr_parse(c->never[i], &family, &r, err, sizeof(err)) < 0 ||
		    cidr_set_add(&never[family == 4 ? 0 : 1], &r) < 0)
			return -1;
	}
	for (i = 0; i < c->nnever_files; i++) {
		if (listread_file(c->never_files[i].path, c->never_files[i].fmt, &never[0],
				  &never[1], &n) < 0)
			return -1;
		if (n.bad > 0) {
			log_warnx("never_block_file %s: %llu bad lines: refused",
				  c->never_files[i].path, (unsigned long long)n.bad);
			return -1;
		}
	}
	if (c->never_mynetworks && never_mynetworks(never) < 0)
		return -1;
	return cidr_set_merge(&never[0]) < 0 || cidr_set_merge(&never[1]) < 0 ? -1 : 0;
}
