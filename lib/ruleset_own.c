// SPDX-License-Identifier: GPL-2.0-or-later
/* Who owns table inet nftarpit: read it, and pick setup's table flags (issue 20). */
#include "ruleset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "log.h"
#include "nftx.h"

static int ruleset_table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ruleset_table_info *t = data;
	struct nftnl_table *nt;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWTABLE)
		return MNL_CB_OK;
	nt = nftnl_table_alloc();
	if (nt == NULL)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, nt) == 0) {
		t->exists = true;
		t->flags = nftnl_table_get_u32(nt, NFTNL_TABLE_FLAGS);
		if (nftnl_table_is_set(nt, NFTNL_TABLE_OWNER))
			t->owner = nftnl_table_get_u32(nt, NFTNL_TABLE_OWNER);
	}
	nftnl_table_free(nt);
	return MNL_CB_OK;
}

int ruleset_table_get(struct nftx *x, struct ruleset_table_info *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *nt;
	struct nlmsghdr *nlh;

	memset(t, 0, sizeof(*t));
	nt = nftnl_table_alloc();
	if (nt == NULL)
		return -1;
	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, RULESET_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 0);
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	if (nftx_dump(x, nlh, ruleset_table_cb, t) < 0) {
		if (errno != ENOENT)
			return -1;
		memset(t, 0, sizeof(*t));
	}
	if (!(t->flags & RULESET_TABLE_F_OWNER))
		t->owner = 0;
	return 0;
}

void ruleset_table_describe(const struct ruleset_table_info *t, char *out, size_t outlen)
{
	if (!t->exists)
		snprintf(out, outlen, "absent");
	else if (t->flags & RULESET_TABLE_F_OWNER)
		snprintf(out, outlen, "owned by netlink port %u%s", t->owner,
			 t->flags & RULESET_TABLE_F_PERSIST ? " (persistent)" : "");
	else if (t->flags & RULESET_TABLE_F_PERSIST)
		snprintf(out, outlen, "orphaned (persistent, no owner)");
	else
		snprintf(out, outlen, "unowned");
}

/* Does the kernel have NFT_TABLE_F_PERSIST? 1 yes, 0 no (EOPNOTSUPP), -1 with *err. */
static int ruleset_probe_persist(struct nftx *x, struct nftx_error *err)
{
	return nftx_probe(x, ruleset_build_persist_probe, EOPNOTSUPP, err);
}

/*
 * The table's flags for this setup (doc/DESIGN.md, "The table owned by nftarpitd"):
 * owned and persistent, or neither, after o->own, the kernel and the table found. The kernel
 * refuses to change PERSIST on an existing table, so a change of mode deletes and re-creates
 * the table in the same transaction (eff->recreate): no window, but the sets are new, so it
 * is done only with the lists to fill them. auto never converts: an unowned table may be
 * nftables.conf's include, which an owned one would make fail whole. 0, or -1 logged.
 */
int ruleset_own_decide(struct nftx *x, struct ruleset_opts *eff, bool filled)
{
	struct ruleset_table_info t;
	struct nftx_error err;
	char desc[96];
	bool have, want;
	int persist = 0;

	if (ruleset_table_get(x, &t) < 0) {
		log_warn("reading table inet %s", RULESET_TABLE);
		return -1;
	}
	have = t.exists && (t.flags & RULESET_TABLE_F_PERSIST);
	if (eff->own != RULESET_OWN_NO && !(eff->own == RULESET_OWN_AUTO && t.exists)) {
		persist = ruleset_probe_persist(x, &err);
		if (persist < 0) {
			log_warnx("probe for NFT_TABLE_F_PERSIST failed: %s: %s",
				  err.count > 0 ? err.what : "batch",
				  strerror(err.count > 0 ? err.error : errno));
			return -1;
		}
	}
	if (eff->own == RULESET_OWN_YES && !persist) {
		log_warnx("own = yes, but the kernel lacks NFT_TABLE_F_PERSIST (Linux 6.9+): an "
			  "owned table would die with every restart of nftarpitd");
		return -1;
	}
	if (eff->own == RULESET_OWN_NO)
		want = false;
	else if (eff->own == RULESET_OWN_YES)
		want = true;
	else
		want = t.exists ? have : persist == 1;
	ruleset_table_describe(&t, desc, sizeof(desc));
	if (t.exists && want != have) {
		if (!filled) {
			log_warnx(
				"table inet %s is %s; own = %s would re-create it, which needs the "
				"lists to fill it (no master list): left as it is",
				RULESET_TABLE, desc, ruleset_own_name(eff->own));
			want = have;
		} else {
			eff->recreate = true;
			log_info("table inet %s is %s: re-created %s, lists and all, in one "
				 "transaction",
				 RULESET_TABLE, desc, want ? "owned and persistent" : "unowned");
		}
	} else if (eff->own == RULESET_OWN_AUTO && t.exists && !have) {
		log_info("table inet %s is unowned (nftables.conf's include, or an older setup): "
			 "left so; own = yes makes it owned",
			 RULESET_TABLE);
	}
	eff->table_flags = want ? RULESET_TABLE_OWNED : 0;
	return 0;
}

/*
 * Who owns the table now: nftarpitd (through its lease), nobody yet (an orphan), nobody.
 * 1 when it is ours until we exit (persistent, made directly), else 0.
 */
int ruleset_own_report(struct nftx *x)
{
	struct ruleset_table_info t;
	char desc[96];

	if (ruleset_table_get(x, &t) < 0)
		return 0;
	ruleset_table_describe(&t, desc, sizeof(desc));
	if ((t.flags & RULESET_TABLE_F_OWNER) && nftx_leased(x) && t.owner == nftx_portid(x))
		log_info("table inet %s %s: nftarpitd's, changed through its lease", RULESET_TABLE,
			 desc);
	else if ((t.flags & RULESET_TABLE_F_OWNER) && t.owner == nftx_portid(x)) {
		log_info("table inet %s is persistent, ours until we exit: nftarpitd claims it "
			 "when it starts",
			 RULESET_TABLE);
		return 1;
	} else if (t.flags & RULESET_TABLE_F_OWNER)
		log_info("table inet %s %s", RULESET_TABLE, desc);
	else if (t.flags & RULESET_TABLE_F_PERSIST)
		log_info("table inet %s %s: nftarpitd claims it when it starts", RULESET_TABLE,
			 desc);
	else
		log_info("table inet %s %s", RULESET_TABLE, desc);
	return 0;
}
