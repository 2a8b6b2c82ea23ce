// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: one control-socket request line through ctl_parse(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nflows = 12345;
	enum ctl_request r;
	const char *err;
	char *req;

	/* The server never hands over more than its request buffer. */
	if (size > CTL_MAX_REQUEST)
		return 0;
	req = malloc(size ? size : 1);
	if (req == NULL)
		return 0;
	memcpy(req, data, size);
	r = ctl_parse(req, size, &nflows, &err);
	if ((r == CTL_REQ_ERROR) != (err != NULL) ||
	    (r == CTL_REQ_STATUS && nflows > CTL_STATUS_FLOWS_MAX)) {
		fprintf(stderr, "fuzz invariant broken: request %d err %s nflows %u\n", (int)r,
			err ? err : "(none)", nflows);
		abort();
	}
	free(req);
	return 0;
}
