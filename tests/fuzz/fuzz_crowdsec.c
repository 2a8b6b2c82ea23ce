// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: one Local API stream answer through csjson_parse_stream(), then into
 * a held list. A refused answer leaves nothing; every decision kept is a valid range of
 * its family that ends after now; the held list stays sorted and free of expired entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now = 1796187863;
	struct crowdsec_conf c;
	struct crowdsec_delta d;
	struct crowdsec_list held;
	char err[256];
	size_t i;
	int rc;

	if (size > 1 << 16)
		return 0;
	crowdsec_conf_defaults(&c);
	err[0] = '\0';
	rc = csjson_parse_stream((const char *)data, size, &c, now, &d, err, sizeof(err));
	check(memchr(err, '\0', sizeof(err)) != NULL, "error text unterminated");
	if (rc < 0) {
		check(err[0] != '\0', "refused without a reason");
		check(d.add.n == 0 && d.del.n == 0, "a refused answer left decisions");
		return 0;
	}
	for (i = 0; i < d.add.n; i++) {
		check(d.add.d[i].family == 4 || d.add.d[i].family == 6, "family");
		check(cidr_addr_cmp(&d.add.d[i].range.first, &d.add.d[i].range.last) <= 0,
		      "first > last");
		check((int64_t)d.add.d[i].range.tag > now, "a kept decision has ended");
	}
	crowdsec_list_init(&held);
	check(crowdsec_held_apply(&held, &d, true, now, NULL) >= 0, "apply");
	for (i = 1; i < held.n; i++)
		check(held.d[i - 1].id <= held.d[i].id, "held list unsorted");
	crowdsec_list_free(&held);
	crowdsec_delta_free(&d);
	return 0;
}
