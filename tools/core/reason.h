/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Why an address was banned: the reasons the mail log readers give, with their names. Pure. */
#ifndef NFTARPIT_REASON_H
#define NFTARPIT_REASON_H

#include <stddef.h>

/*
 * One list for the enum and its names, so neither can gain a value without the other. The
 * master list stores a bit (1 << reason) per reason that named an address, and the config
 * names them in patterns = and threshold =; so the order is part of the state file.
 */
#define REASON_LIST(X)                                                         \
	/* smtpd/postscreen NOQUEUE: reject: ... 5xx ... blocked using ZONE */ \
	X(RBL, "rbl")                                                          \
	/* smtpd NOQUEUE: reject: ... 5xx ... Client host rejected */          \
	X(ACCESS, "access")                                                    \
	/* postscreen DNSBL rank N for [ip]:port, N >= threshold */            \
	X(DNSBL, "dnsbl")                                                      \
	/* postscreen PREGREET n after t from [ip]:port */                     \
	X(PREGREET, "pregreet")                                                \
	/* amavisd Blocked SPAM ..., [client]:port [origin] */                 \
	X(AMAVIS, "amavis")                                                    \
	/* rspamd_task_write_log: ..., ip: X, ... T (reject) */                \
	X(RSPAMD, "rspamd")                                                    \
	/* issue 19: Exim rejected RCPT / connect ACL with a DNSBL marker */   \
	X(EXIM_DNSBL, "exim-dnsbl")                                            \
	/* Exim SMTP synchronization error before the greeting */              \
	X(EXIM_PREGREET, "exim-pregreet")                                      \
	/* a rejected RCPT to a spamtrap (Postfix or Exim) */                  \
	X(TRAP, "trap")                                                        \
	/* one of the admin's own patterns; its name in the hit's detail */    \
	X(CUSTOM, "custom")

/* What a line said about its client; also the bit in mlog_opts.enabled. */
enum reason {
#define REASON_ENUM(id, name) REASON_##id,
	REASON_LIST(REASON_ENUM)
#undef REASON_ENUM
		REASON_N,
};

#define REASON_ALL ((1u << REASON_N) - 1)

/* "rbl", "access", "dnsbl", "pregreet", "amavis", "rspamd", "exim-dnsbl", "exim-pregreet",
 * "trap", "custom"; "?" for a value out of range. */
const char *reason_name(enum reason r);

/* Parse a comma-separated list of those names into a mask; 0 or -1 naming the bad one. */
int reason_parse_list(const char *s, unsigned int *mask, char *err, size_t errlen);

#endif
