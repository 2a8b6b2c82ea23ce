/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [sync] exim_dnsbl_marker: the Exim ACL messages that mean "this client is listed". Pure. */
#ifndef NFTARPIT_EXIM_OPTS_H
#define NFTARPIT_EXIM_OPTS_H

#include <stdbool.h>

/* In a marker, this stands for the address Exim put in the host field. */
#define EXIM_HOST_ADDR "$sender_host_address"

#define EXIM_MARKERS_MAX 8
#define EXIM_MARKER_LEN	 128

/*
 * The starts of the ACL messages that mean "this client is listed": the text right after
 * "rejected RCPT <rcpt>: " or "rejected connection in "connect" ACL: ". In a marker,
 * $sender_host_address stands for the address Exim put in the host field.
 */
struct exim_opts {
	unsigned int nmarkers;
	bool configured; /* the first configured marker replaces the default */
	char markers[EXIM_MARKERS_MAX][EXIM_MARKER_LEN];
};

/* One marker: Debian's stock DNSBL message, "$sender_host_address is listed at ". */
void exim_opts_default(struct exim_opts *o);

/* Add one configured marker; NULL or the reason it is refused. */
const char *exim_opts_add(struct exim_opts *o, const char *marker);

#endif
