// SPDX-License-Identifier: GPL-2.0-or-later
/* [sync] exim_dnsbl_marker: the Exim ACL messages that mean "this client is listed". Pure. */
#include "exim_opts.h"

#include <stdio.h>
#include <string.h>

void exim_opts_default(struct exim_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->markers[0], sizeof(o->markers[0]), "%s is listed at ", EXIM_HOST_ADDR);
	o->nmarkers = 1;
}

const char *exim_opts_add(struct exim_opts *o, const char *marker)
{
	if (!o->configured) {
		o->nmarkers = 0;
		o->configured = true;
	}
	if (o->nmarkers == EXIM_MARKERS_MAX)
		return "too many exim_dnsbl_marker";
	if (marker[0] == '\0' || strlen(marker) >= sizeof(o->markers[0]))
		return "empty or too long";
	memcpy(o->markers[o->nmarkers++], marker, strlen(marker) + 1);
	return NULL;
}
