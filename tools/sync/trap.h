/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Spamtraps: recipient addresses no real sender ever writes to. A client whose RCPT to one
 * is rejected by the mail server is banned (reason "trap"). Pure.
 */
#ifndef NFTARPIT_TRAP_H
#define NFTARPIT_TRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlog.h"
#include "trap_list.h"

/*
 * Postfix smtpd's "NOQUEUE: reject: RCPT from NAME[ADDR]:PORT: 5XX X.Y.Z <TRAP>: Recipient
 * address rejected: ..." (syslog line, len bytes). 1 with *hit (REASON_TRAP), 0, or -1 when
 * the address is malformed.
 */
int trap_postfix_parse(const char *line, size_t len, const struct mlog_opts *o,
		       struct mlog_hit *hit);

/* The same for a message whose program tag comes apart (the journal). */
int trap_postfix_parse_msg(const char *tag, size_t taglen, const char *msg, size_t len,
			   const struct mlog_opts *o, struct mlog_hit *hit);

#endif
