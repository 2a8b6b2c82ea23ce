// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the config file, nftarpit.conf, through conf_load() ([daemon]) and
 * sync_conf_load() ([sync]), and one key = value through conf_set(). Input: one byte
 * choosing which, then the file (or "key\0value").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz_file.h"
#include "sync_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* Whatever was read, the settings stay within what the daemon can run with. */
static void check_daemon(const struct daemon_conf *c)
{
	check(c->queue_first <= c->queue_last, "queue range");
	check(memchr(c->ctl_socket, '\0', sizeof(c->ctl_socket)) != NULL, "ctl_socket");
	check(memchr(c->user, '\0', sizeof(c->user)) != NULL, "user");
	check(memchr(c->cookie_key_file, '\0', sizeof(c->cookie_key_file)) != NULL, "key file");
	check(memchr(c->smtp_hostname, '\0', sizeof(c->smtp_hostname)) != NULL, "hostname");
	check(c->nsmtp_ports <= sizeof(c->smtp_ports) / sizeof(c->smtp_ports[0]), "smtp ports");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sync_conf sc;
	struct daemon_conf c;
	const char *path;
	char *kv, *val;

	if (size < 1 || size > 16 * 1024)
		return 0;
	conf_defaults(&c);
	switch (data[0] % 3) {
	case 0:
		path = fuzz_file("nftarpit.conf", data + 1, size - 1);
		conf_load(path, &c);
		check_daemon(&c);
		break;
	case 1:
		sync_conf_defaults(&sc);
		path = fuzz_file("nftarpit.conf", data + 1, size - 1);
		sync_conf_load(path, &sc);
		check(sc.nlogs <= SYNC_SOURCES_MAX && sc.nlists <= SYNC_SOURCES_MAX &&
			      sc.nallows <= SYNC_SOURCES_MAX && sc.nmatches <= SYNC_MATCHES_MAX,
		      "sync source counts");
		pattern_set_free(&sc.patterns);
		break;
	default:
		kv = malloc(size + 1);
		if (kv == NULL)
			return 0;
		memcpy(kv, data + 1, size - 1);
		kv[size - 1] = '\0';
		kv[size] = '\0';
		val = kv + strlen(kv) + 1;
		if (val > kv + size - 1)
			val = kv + size;
		conf_set(&c, kv, val);
		check_daemon(&c);
		free(kv);
		break;
	}
	return 0;
}
