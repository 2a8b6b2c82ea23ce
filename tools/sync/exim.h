/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exim's mainlog and rejectlog (Debian's exim4, split or single config) -> spam sources.
 * Pure. The client comes only from Exim's host field H=NAME (HELO) [ADDR]:PORT at the
 * start of the line; the verdict only from Exim's own reject forms. Every field the
 * client writes (HELO, sender, recipient) must have a shape that cannot hold the next
 * fixed keyword, or the line is not read (doc/SECURITY.md, "Exim").
 */
#ifndef NFTARPIT_EXIM_H
#define NFTARPIT_EXIM_H

#include <stdbool.h>
#include <stddef.h>

#include "exim_opts.h"
#include "mlog.h"

/*
 * One line of Exim's mainlog or rejectlog (len bytes, no newline needed). Returns 1 with
 * *hit filled (REASON_EXIM_DNSBL, REASON_EXIM_PREGREET, or REASON_TRAP when the rejected
 * recipient is one of o->traps); 0 when it says nothing we act on (also when it is not an
 * Exim line); -1 when the structure matched but the address is malformed.
 */
int exim_parse(const char *line, size_t len, const struct mlog_opts *o, struct mlog_hit *hit);

/* The fixed strings every line exim_parse() acts on contains one of; how many stored. */
size_t exim_needles(const struct mlog_opts *o, const char **needles, size_t max);

#endif
