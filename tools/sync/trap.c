// SPDX-License-Identifier: GPL-2.0-or-later
/* Spamtraps: the trap list and Postfix's reject of a RCPT to a trap. Pure. */
#include "trap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "slog.h"

/* p past a run of min..max bytes that pass cls, or NULL. */
static const char *trap_run(const char *p, const char *end, const char *set, size_t min, size_t max)
{
	size_t n = 0;

	if (p == NULL)
		return NULL;
	while (p + n < end && n <= max && strchr(set, p[n]) != NULL && p[n] != '\0')
		n++;
	return n < min || n > max ? NULL : p + n;
}

#define TRAP_DIGITS "0123456789"
#define TRAP_HOST   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

/* "postfix/smtpd", "postfix-in/smtpd", "postfix/submission/smtpd". */
static bool trap_smtpd(const char *tag, size_t n)
{
	return n >= 13 && memcmp(tag, "postfix", 7) == 0 && memcmp(tag + n - 6, "/smtpd", 6) == 0;
}

/*
 * Which field says the recipient is a trap. Postfix writes the reply right after the client
 * and the status code, "<RCPT>: Recipient address rejected: ...", but with RCPT unquoted:
 * Postfix 3.7 wrote the recipient "trap@example.org>: Recipient address rejected: "@x as
 * "<trap@example.org>: Recipient address rejected: @x>: ..." (tests/integration/
 * test_exim.sh). So the reply alone is ambiguous. The "to=<RCPT>" field keeps the quoted
 * form (a plain trap address needs no quotes, anything that merely starts with it does),
 * but it follows "from=<SENDER>", which the client writes and which may hold " to=<trap>"
 * itself, as may the HELO after it. Postfix writes " to=<" once; so a line is read only
 * when " to=<" stands exactly once, and both the reply's recipient and that field are
 * exactly the trap.
 */
int trap_postfix_parse_msg(const char *tag, size_t taglen, const char *msg, size_t len,
			   const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *end = msg + len;
	const char *p, *q, *rcpt, *to;
	int bad = 0;

	if (o->traps == NULL || o->traps->n == 0 || (o->enabled & (1u << REASON_TRAP)) == 0)
		return 0;
	if (len > 0 && msg[len - 1] == '\n')
		end--;
	if (!trap_smtpd(tag, taglen))
		return 0;
	p = slog_lit(msg, end, "NOQUEUE: reject: RCPT from ");
	p = trap_run(p, end, TRAP_HOST, 1, 255);
	p = slog_bracket(p, end, hit, &bad);
	q = trap_run(slog_lit(p, end, ":"), end, TRAP_DIGITS, 1, 5);
	if (q != NULL)
		p = q;
	p = slog_lit(p, end, ": 5");
	p = trap_run(p, end, TRAP_DIGITS, 2, 2);
	p = slog_lit(p, end, " ");
	q = slog_lit(trap_run(p, end, TRAP_DIGITS, 1, 1), end, ".");
	q = slog_lit(trap_run(q, end, TRAP_DIGITS, 1, 3), end, ".");
	q = slog_lit(trap_run(q, end, TRAP_DIGITS, 1, 3), end, " ");
	if (q != NULL)
		p = q;
	rcpt = slog_lit(p, end, "<");
	if (rcpt == NULL)
		return 0;
	q = memchr(rcpt, '>', (size_t)(end - rcpt));
	if (q == NULL || slog_lit(q, end, ">: Recipient address rejected: ") == NULL ||
	    !trap_list_match(o->traps, rcpt, (size_t)(q - rcpt)))
		return 0;
	to = memmem(q, (size_t)(end - q), " to=<", 5);
	if (to == NULL || memmem(to + 5, (size_t)(end - to - 5), " to=<", 5) != NULL ||
	    memmem(msg, (size_t)(q - msg), " to=<", 5) != NULL)
		return 0;
	to += 5;
	if ((size_t)(end - to) < (size_t)(q - rcpt) ||
	    slog_lit(to + (q - rcpt), end, ">") == NULL ||
	    !trap_list_match(o->traps, to, (size_t)(q - rcpt)))
		return 0;
	hit->reason = REASON_TRAP;
	hit->bantime = o->traps->bantime;
	if (bad)
		return -1;
	snprintf(hit->detail, sizeof(hit->detail), "%.*s", (int)(q - rcpt), rcpt);
	return 1;
}

int trap_postfix_parse(const char *line, size_t len, const struct mlog_opts *o,
		       struct mlog_hit *hit)
{
	const char *end = line + len;
	const char *tag, *msg;
	size_t taglen;

	if (o->traps == NULL || o->traps->n == 0)
		return 0;
	msg = slog_header(line, end, &tag, &taglen);
	if (msg == NULL)
		return 0;
	return trap_postfix_parse_msg(tag, taglen, msg, (size_t)(end - msg), o, hit);
}
