/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mail log lines -> spam source addresses: Postfix smtpd/postscreen, amavisd, rspamd. Pure.
 * Every byte after a line's fixed prefix may be the client's (HELO, addresses, commands,
 * headers): a hit comes only from the program tag, the start of the message and the
 * positions the mail server fills itself (doc/SECURITY.md, "Log injection").
 */
#ifndef NFTARPIT_SYNC_MLOG_H
#define NFTARPIT_SYNC_MLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

/* What a line said about its client; also the bit in mlog_opts.enabled. */
enum mlog_reason {
	MLOG_RBL,      /* smtpd/postscreen NOQUEUE: reject: ... 5xx ... blocked using ZONE */
	MLOG_ACCESS,   /* smtpd NOQUEUE: reject: ... 5xx ... Client host rejected */
	MLOG_DNSBL,    /* postscreen DNSBL rank N for [ip]:port, N >= threshold */
	MLOG_PREGREET, /* postscreen PREGREET n after t from [ip]:port */
	MLOG_AMAVIS,   /* amavisd Blocked SPAM ..., [client]:port [origin] */
	MLOG_RSPAMD,   /* rspamd_task_write_log: ..., ip: X, ... T (reject) */
	/* issue 19: Exim (sync_exim.c), spamtraps (sync_trap.c), own patterns (sync_pattern.c) */
	MLOG_EXIM_DNSBL,    /* Exim rejected RCPT / connect ACL with a DNSBL marker */
	MLOG_EXIM_PREGREET, /* Exim SMTP synchronization error before the greeting */
	MLOG_TRAP,	    /* a rejected RCPT to a spamtrap (Postfix or Exim) */
	MLOG_CUSTOM,	    /* one of the admin's own patterns; its name in detail */
	MLOG_NREASONS,
};

#define MLOG_ALL ((1u << MLOG_NREASONS) - 1)

struct exim_opts;
struct trap_list;
struct pattern_set;

struct mlog_opts {
	unsigned int enabled;		    /* bit (1 << reason) per pattern in use */
	unsigned int dnsbl_threshold;	    /* postscreen rank at or above which we ban */
	const struct exim_opts *exim;	    /* Exim's DNSBL markers; NULL: the default */
	const struct trap_list *traps;	    /* spamtrap recipients; NULL: none */
	const struct pattern_set *patterns; /* the admin's own; NULL: none */
};

/* Room a reader needs for mlog_needles(). */
#define MLOG_NEEDLES_MAX 32

struct mlog_hit {
	enum mlog_reason reason;
	int family;
	struct cidr_addr addr;
	char detail[64]; /* the DNSBL zone, the rank, the rspamd action; may be empty */
	int ignored;	 /* 0 returned: the line held a pattern's text, but not where the
			    program that owns the pattern writes it (counted, not searched) */
	int64_t bantime; /* this hit's own first ban (traps, own patterns); 0: bantime */
};

/* All patterns, DNSBL rank threshold 3 (postscreen_dnsbl_threshold's usual setting). */
void mlog_opts_default(struct mlog_opts *o);

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

/* "rbl", "access", "dnsbl", "pregreet", "amavis", "rspamd", "exim-dnsbl", "exim-pregreet",
 * "trap", "custom". */
const char *mlog_reason_name(enum mlog_reason r);
/* Parse a comma-separated list of those names into a mask; 0 or -1 naming the bad one. */
int mlog_parse_patterns(const char *s, unsigned int *mask, char *err, size_t errlen);

#endif
