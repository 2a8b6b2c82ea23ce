/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mail log lines -> spam source addresses: Postfix smtpd/postscreen, amavisd, rspamd. Pure.
 * Every byte after a line's fixed prefix may be the client's (HELO, addresses, commands,
 * headers): a hit comes only from the program tag, the start of the message and the
 * positions the mail server fills itself (doc/SECURITY.md, "Log injection").
 */
#ifndef NFTARPIT_MLOG_H
#define NFTARPIT_MLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "mlog_opts.h"
#include "reason.h"

/* Room a reader needs for mlog_needles(). */
#define MLOG_NEEDLES_MAX 32

struct mlog_hit {
	enum reason reason;
	int family;
	struct cidr_addr addr;
	char detail[64]; /* the DNSBL zone, the rank, the rspamd action; may be empty */
	int ignored;	 /* 0 returned: the line held a pattern's text, but not where the
			    program that owns the pattern writes it (counted, not searched) */
	int64_t bantime; /* this hit's own first ban (traps, own patterns); 0: bantime */
};

/*
 * Look at one syslog line ("Mmm dd hh:mm:ss host tag[pid]: message" or with an RFC 3339
 * time; or a line of rspamd's own log file), len bytes, no newline needed, not
 * NUL-terminated. Returns 1 with *hit filled when the program named by the tag wrote, at
 * the start of its message, a verdict on its client; 0 when it says nothing we act on
 * (other programs and lines, 4xx and reject_warning, ranks under the threshold, unknown
 * clients; hit->ignored set when a pattern's text stood anywhere else); -1 when the
 * structure matched but its address is malformed, with the reason in hit->detail.
 */
int mlog_parse(const char *line, size_t len, const struct mlog_opts *o, struct mlog_hit *hit);

/*
 * The same for a message whose program tag comes apart (the journal's SYSLOG_IDENTIFIER,
 * from an entry the reader selected by fields its sender cannot forge).
 */
int mlog_parse_msg(const char *tag, size_t taglen, const char *msg, size_t len,
		   const struct mlog_opts *o, struct mlog_hit *hit);

/*
 * The fixed strings that every line mlog_parse() acts on contains at least one of, for the
 * enabled patterns; returns how many were stored in needles (at most max). A reader may
 * skip the lines that hold none of them.
 */
size_t mlog_needles(const struct mlog_opts *o, const char **needles, size_t max);

#endif
