// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for issue 13's invariant: mutating only the fields of a real log line
 * that an SMTP client or a sender writes (HELO, MAIL FROM, RCPT TO, command text, PREGREET
 * payload, headers, Message-ID, rspamd symbol options, user names) never changes the
 * address found and never adds one. Input: a template number, then the text of each
 * attacker field, separated by newlines (a log line cannot hold one); bytes outside
 * printable ASCII become '?', as Postfix and rsyslog write them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* \1 marks an attacker-written field; tag != NULL: a journal entry (tag, message). */
struct fields_case {
	const char *tag;
	const char *line;
	const char *want; /* the address the genuine line names, or NULL: none */
	bool may_lose;	  /* the sender can make the line ambiguous (no hit, counted) */
};

static const struct fields_case cases[] = {
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from "
	 "unknown[203.0.113.5]:51514: 554 5.7.1 Service unavailable; Client host [203.0.113.5] "
	 "blocked using zen.spamhaus.org; from=<\1> to=<\1> proto=ESMTP helo=<\1>",
	 "203.0.113.5", false},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from "
	 "unknown[2001:db8:bad::5]: 554 5.7.1 <unknown[2001:db8:bad::5]>: Client host "
	 "rejected: Access denied; from=<\1> to=<\1> proto=ESMTP helo=<\1>",
	 "2001:db8:bad::5", true},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from "
	 "relay.example.com[198.51.100.77]: 550 5.1.1 <\1>: Recipient address rejected: User "
	 "unknown in local recipient table; from=<\1> to=<\1> proto=ESMTP "
	 "helo=<relay.example.com>",
	 NULL, false},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from "
	 "relay.example.com[198.51.100.77]:4000: 553 5.7.1 <\1>: Sender address rejected: "
	 "Domain not found; from=<\1> to=<x@example.org> proto=ESMTP helo=<relay.example.com>",
	 NULL, false},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: EHLO from "
	 "relay.example.com[198.51.100.77]: 504 5.5.2 <\1>: Helo command rejected: need "
	 "fully-qualified hostname; proto=SMTP helo=<\1>",
	 NULL, false},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: warning: non-SMTP command from "
	 "unknown[198.51.100.77]: \1",
	 NULL, false},
	{NULL,
	 "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: improper command pipelining after \1 from "
	 "relay.example.com[198.51.100.77]: \1",
	 NULL, false},
	{NULL,
	 "Nov 26 23:03:03 mx1 postfix/postscreen[812]: PREGREET 14 after 0.08 from "
	 "[203.0.113.5]:59415: \1",
	 "203.0.113.5", false},
	{NULL,
	 "Nov 26 23:03:03 mx1 postfix/postscreen[812]: NON-SMTP COMMAND from "
	 "[198.51.100.77]:4000 after CONNECT: \1",
	 NULL, false},
	{NULL,
	 "Nov 26 23:03:03 mx1 postfix/postscreen[812]: NOQUEUE: reject: RCPT from "
	 "[203.0.113.5]:4000: 550 5.7.1 Service unavailable; client [203.0.113.5] blocked using "
	 "zen.spamhaus.org; from=<\1>, to=<\1>, proto=ESMTP, helo=<\1>",
	 "203.0.113.5", false},
	{NULL,
	 "Nov 26 23:03:03 mx1 postfix/postscreen[812]: NOQUEUE: reject: RCPT from "
	 "[198.51.100.77]:4000: 450 4.3.2 Service currently unavailable; from=<\1>, to=<\1>, "
	 "proto=ESMTP, helo=<\1>",
	 NULL, false},
	{NULL,
	 "Nov 26 23:10:07 mx1 postfix/cleanup[999]: 4Xyz: warning: header Subject: \1 from "
	 "relay.example.com[198.51.100.77]; from=<\1> to=<\1> proto=ESMTP "
	 "helo=<relay.example.com>",
	 NULL, false},
	{NULL, "Nov 26 23:10:07 mx1 postfix/cleanup[999]: 4Xyz: message-id=<\1>", NULL, false},
	{NULL,
	 "Nov 26 23:04:00 mx1 amavis[18488]: (18488-09) Blocked SPAM "
	 "{DiscardedInbound,Quarantined}, [203.0.113.5]:55299 [\1] <\1> -> <\1>, Queue-ID: "
	 "4Xyz12, Message-ID: <\1>, mail_id: AbCdEf, Hits: 9.649, size: 2345, 4567 ms",
	 "203.0.113.5", false},
	{NULL,
	 "Nov 26 23:04:00 mx1 amavis[18488]: (18488-14) Passed CLEAN {RelayedInbound}, "
	 "[198.51.100.77]:1234 [\1] <\1> -> <\1>, Message-ID: <\1>, Hits: -1",
	 NULL, false},
	{NULL,
	 "2026-11-26 23:05:00 #1234(normal) <4a1b2c>; task; rspamd_task_write_log: id: <\1>, "
	 "qid: <4Xyz14>, ip: 203.0.113.5, from: <\1>, (default: T (reject): [16.20/15.00] "
	 "[BAYES_SPAM(5.10){\1;}]), len: 2345, time: 245.123ms, dns req: 12, digest: <0123>, "
	 "rcpts: <\1>",
	 "203.0.113.5", true},
	{NULL,
	 "2026-11-26 23:05:00 #1234(normal) <4a1b2d>; task; rspamd_task_write_log: id: <\1>, "
	 "qid: <4Xyz15>, ip: 198.51.100.77, from: <\1>, (default: F (no action): [1.20/15.00] "
	 "[X(0.00){\1;}]), len: 100, time: 10.0ms, rcpts: <\1>",
	 NULL, false},
	{NULL,
	 "Nov 26 23:10:17 mx1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 "
	 "secs): user=<\1>, method=PLAIN, rip=198.51.100.77, lip=192.0.2.1",
	 NULL, false},
	{"postfix/smtpd", "warning: non-SMTP command from unknown[198.51.100.77]: \1", NULL, false},
	{"postfix/postscreen", "PREGREET 11 after 0.21 from [2001:db8:bad::15]:41000: \1",
	 "2001:db8:bad::15", false},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The template with its \1 fields replaced by the input's newline-separated pieces. */
static size_t fields_build(const char *tmpl, const uint8_t *in, size_t inlen, char *out,
			   size_t outlen)
{
	size_t n = 0, i = 0;
	const char *t;

	for (t = tmpl; *t != '\0' && n < outlen; t++) {
		if (*t != '\1') {
			out[n++] = *t;
			continue;
		}
		for (; i < inlen && in[i] != '\n' && n < outlen; i++)
			out[n++] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
		if (i < inlen)
			i++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[8192];
	const struct fields_case *c;
	struct mlog_opts o;
	struct mlog_hit hit;
	char a[CIDR_TEXT_MAX];
	size_t n;
	int rc;

	if (size < 1)
		return 0;
	c = &cases[data[0] % NCASES];
	mlog_opts_default(&o);
	n = fields_build(c->line, data + 1, size - 1, line, sizeof(line));
	if (c->tag != NULL)
		rc = mlog_parse_msg(c->tag, strlen(c->tag), line, n, &o, &hit);
	else
		rc = mlog_parse(line, n, &o, &hit);
	if (rc == 1)
		cidr_addr_format(&hit.addr, hit.family, a, sizeof(a));
	if (rc < 0 || (rc == 1 && (c->want == NULL || strcmp(a, c->want) != 0)) ||
	    (rc == 0 && c->want != NULL && !c->may_lose)) {
		fprintf(stderr,
			"fuzz invariant broken: case %u gave rc %d%s%s, want %s\nline: %.*s\n",
			(unsigned int)(data[0] % NCASES), rc, rc == 1 ? " " : "", rc == 1 ? a : "",
			c->want != NULL ? c->want : "none", (int)n, line);
		abort();
	}
	return 0;
}
