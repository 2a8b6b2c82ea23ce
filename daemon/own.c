// SPDX-License-Identifier: GPL-2.0-or-later
/* Ownership of table inet nftarpit: claim it with our own socket, lend that socket (issue 20). */
#include "own.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "log.h"
#include "nftx.h"

static int own_build_claim(struct mnl_nlmsg_batch *b, uint32_t *seq, void *arg)
{
	(void)arg;
	return ruleset_build_claim(b, seq);
}

int own_open(struct own *o, enum ruleset_own mode)
{
	struct nftx_error err;
	int rc;

	memset(o, 0, sizeof(*o));
	if (mode == RULESET_OWN_NO) {
		log_info("table ownership off (own = no): table inet %s is changed directly",
			 RULESET_TABLE);
		return 0;
	}
	o->x = nftx_open_direct();
	if (o->x == NULL) {
		log_warn("netlink socket for table inet %s", RULESET_TABLE);
		return -1;
	}
	rc = nftx_probe(o->x, ruleset_build_persist_probe, EOPNOTSUPP, &err);
	if (rc == 1)
		return 0;
	if (rc == 0)
		log_info("table ownership off: the kernel lacks NFT_TABLE_F_PERSIST (Linux before "
			 "6.9), and an owned table would die with every restart of ours");
	else
		log_warnx("table ownership off: probing for NFT_TABLE_F_PERSIST failed: %s: %s",
			  err.count > 0 ? err.what : "batch",
			  strerror(err.count > 0 ? err.error : errno));
	if (mode == RULESET_OWN_YES)
		log_warnx("own = yes, but nftarpitd cannot own table inet %s", RULESET_TABLE);
	nftx_close(o->x);
	o->x = NULL;
	return 0;
}

void own_close(struct own *o)
{
	nftx_close(o->x);
	o->x = NULL;
}

static void own_log(struct own *o, bool warn, const char *text)
{
	if (strcmp(o->state, text) == 0)
		return;
	snprintf(o->state, sizeof(o->state), "%s", text);
	if (warn)
		log_warnx("table inet %s: %s", RULESET_TABLE, text);
	else
		log_info("table inet %s: %s", RULESET_TABLE, text);
}

int own_check(struct own *o, char *why, size_t whylen)
{
	struct ruleset_table_info t;
	struct nftx_error err;
	uint32_t me;

	if (o->x == NULL) {
		snprintf(why, whylen,
			 "table ownership is off (own = no, or no NFT_TABLE_F_PERSIST)");
		return -1;
	}
	me = nftx_portid(o->x);
	/* Anything a former holder of the lease left unread would be taken for our acks. */
	nftx_drain(o->x);
	if (ruleset_table_get(o->x, &t) < 0) {
		snprintf(why, whylen, "reading table inet %s: %s", RULESET_TABLE, strerror(errno));
		return -1;
	}
	if (!t.exists) {
		own_log(o, false, "absent; created through our lease, it is ours from the start");
		return 0;
	}
	if ((t.flags & RULESET_TABLE_F_OWNER) && t.owner == me) {
		own_log(o, false, "owned by us");
		return 0;
	}
	if (t.flags & RULESET_TABLE_F_OWNER) {
		snprintf(why, whylen, "table inet %s is owned by netlink port %u, not ours (%u)",
			 RULESET_TABLE, t.owner, me);
		own_log(o, true, why);
		return -1;
	}
	if (!(t.flags & RULESET_TABLE_F_PERSIST)) {
		/*
		 * nftables.conf's include, or a setup before issue 20: owning it would make the
		 * next `nft -f /etc/nftables.conf` fail whole with EPERM. Setup converts it when
		 * told to (own = yes).
		 */
		snprintf(why, whylen,
			 "table inet %s is not persistent (nftables.conf's include, or an older "
			 "setup): left unowned, changed directly",
			 RULESET_TABLE);
		own_log(o, false, why);
		return -1;
	}
	if (nftx_send_one(o->x, own_build_claim, NULL, &err) < 0) {
		snprintf(why, whylen, "claiming orphaned table inet %s: %s: %s", RULESET_TABLE,
			 err.count > 0 ? err.what : "batch",
			 strerror(err.count > 0 ? err.error : errno));
		own_log(o, true, why);
		return -1;
	}
	log_info("table inet %s: claimed (it was orphaned); owner port %u", RULESET_TABLE, me);
	snprintf(o->state, sizeof(o->state), "owned by us");
	return 0;
}

int own_lend(struct own *o, uint32_t *portid, char *why, size_t whylen)
{
	if (o->lent) {
		snprintf(why, whylen, "already lent");
		return -1;
	}
	if (own_check(o, why, whylen) < 0)
		return -1;
	o->lent = true;
	*portid = nftx_portid(o->x);
	return nftx_fd(o->x);
}

void own_return(struct own *o)
{
	o->lent = false;
}
