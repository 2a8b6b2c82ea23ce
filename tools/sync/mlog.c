// SPDX-License-Identifier: GPL-2.0-or-later
/* Mail log lines -> spam source addresses: Postfix smtpd/postscreen, amavisd, rspamd. Pure. */
#include "mlog.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exim.h"
#include "pattern.h"
#include "slog.h"
#include "trap.h"

/* The programs whose messages we read; the syslog tag says which wrote a line. */
enum mlog_prog {
	PROG_OTHER,
	PROG_SMTPD,	 /* postfix/smtpd, postfix-in/smtpd, postfix/submission/smtpd */
	PROG_POSTSCREEN, /* postfix/postscreen and its multi-instance names */
	PROG_AMAVIS,	 /* amavis, amavisd, amavisd-new */
	PROG_RSPAMD,	 /* rspamd (syslog or its own log file) */
};

/* A structure parser's answer when the message does not have its shape at all. */
#define MLOG_NOSHAPE 2

/* p past the literal s, or NULL (also when p is NULL, so calls chain). */
static const char *mlog_lit(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if (p == NULL || (size_t)(end - p) < n || memcmp(p, s, n) != 0)
		return NULL;
	return p + n;
}

static int mlog_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int mlog_is_alnum(int c)
{
	return mlog_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* What Postfix's valid_hostname() lets through; anything else it logs as "unknown". */
static int mlog_is_host(int c)
{
	return mlog_is_alnum(c) || c == '.' || c == '-' || c == '_';
}

static int mlog_is_upper(int c)
{
	return (c >= 'A' && c <= 'Z') || c == '-';
}

static int mlog_is_id(int c)
{
	return mlog_is_alnum(c) || c == '-';
}

static int mlog_is_hex(int c)
{
	return mlog_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p past a run of min..max characters of class cls, or NULL. */
static const char *mlog_run(const char *p, const char *end, int (*cls)(int), size_t min, size_t max)
{
	size_t n = 0;

	if (p == NULL)
		return NULL;
	while (p + n < end && n < max && cls((unsigned char)p[n]))
		n++;
	if (n < min || (p + n < end && n == max && cls((unsigned char)p[n])))
		return NULL;
	return p + n;
}

/*
 * "[ADDR]" at p as the mail server writes its client: the text up to the first ']' (no
 * space, under 64 bytes; amavisd tags IPv6 as "IPv6:"), which must parse strictly. Sets
 * *a and *alen to the address text, returns p past the ']', or NULL when there is no such
 * bracket. A bracket whose text is not an address sets *bad.
 */
static const char *mlog_bracket(const char *p, const char *end, const char **a, size_t *alen,
				struct mlog_hit *hit, int *bad)
{
	char buf[64];
	const char *q;
	size_t n;

	p = mlog_lit(p, end, "[");
	if (p == NULL)
		return NULL;
	for (q = p; q < end && *q != ']' && *q != ' ' && *q != '['; q++)
		;
	if (q == end || *q != ']' || q == p || q - p >= (long)sizeof(buf))
		return NULL;
	*a = p;
	*alen = (size_t)(q - p);
	n = *alen;
	if (n > 5 && memcmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (cidr_parse_addr(buf, &hit->family, &hit->addr) < 0) {
		snprintf(hit->detail, sizeof(hit->detail), "bad client address \"%.*s\"",
			 (int)(*alen > 40 ? 40 : *alen), *a);
		*bad = 1;
	}
	return q + 1;
}

/* Copy the run of class cls at p into hit->detail (truncated). */
static void mlog_detail(const char *p, const char *end, int (*cls)(int), struct mlog_hit *hit)
{
	size_t n = 0;

	while (p + n < end && cls((unsigned char)p[n]) && n < sizeof(hit->detail) - 1)
		n++;
	memcpy(hit->detail, p, n);
	hit->detail[n] = '\0';
}

/* Whether [p, end) holds the marker of a reject whose reply starts with the client's text. */
static bool mlog_ambiguous(const char *p, const char *end)
{
	static const char *const marks[] = {
		">: Recipient address rejected: ",
		">: Sender address rejected: ",
		">: Helo command rejected: ",
	};
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (memmem(p, (size_t)(end - p), marks[i], strlen(marks[i])) != NULL)
			return true;
	}
	return false;
}

/*
 * Postfix's "NOQUEUE: reject: CMD from NAME[ADDR]:PORT: CODE D.S.N TEXT; from=<...> ...".
 * smtpd_check.c writes CMD (the SMTP stage), NAME[ADDR] (NAME passed valid_hostname(), so
 * the first '[' ends it; postscreen leaves NAME empty), the port only with
 * smtpd_client_port_logging = yes (always for postscreen), then its own reply. Only
 * "reject:" (not reject_warning) and 5xx replies are verdicts: a 4xx is greylisting or a
 * temporary failure. The reply names the client again where it is about the client:
 * "Service unavailable; Client host [ADDR] blocked using ZONE" (postscreen: "client"),
 * "Client host rejected: cannot find your [reverse ]hostname, [ADDR]" and
 * "<NAME[ADDR]>: Client host rejected: ..."; the same ADDR must stand in both places, so
 * a recipient, sender or HELO written into the reply ("<\"Client host rejected\"@x>:
 * Recipient address rejected") is not the client's verdict.
 */
static int mlog_noqueue(const char *p, const char *end, enum mlog_prog prog,
			const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *name, *nend, *a, *a2, *q, *r;
	size_t alen, a2len;
	int bad = 0;

	p = mlog_lit(p, end, "NOQUEUE: ");
	if (p == NULL)
		return MLOG_NOSHAPE;
	if (mlog_lit(p, end, "reject: ") == NULL)
		return 0;
	p = mlog_run(p + 8, end, mlog_is_upper, 1, 20);
	p = mlog_lit(p, end, " from ");
	if (p == NULL)
		return MLOG_NOSHAPE;
	name = p;
	nend = mlog_run(p, end, mlog_is_host, prog == PROG_POSTSCREEN ? 0 : 1, 255);
	if (nend == NULL || (prog == PROG_POSTSCREEN && nend != name))
		return MLOG_NOSHAPE;
	p = mlog_bracket(nend, end, &a, &alen, hit, &bad);
	if (p == NULL)
		return MLOG_NOSHAPE;
	q = mlog_lit(p, end, ":");
	if (q != NULL && (r = mlog_run(q, end, mlog_is_digit, 1, 5)) != NULL)
		p = r;
	else if (prog == PROG_POSTSCREEN)
		return MLOG_NOSHAPE;
	p = mlog_lit(p, end, ": ");
	q = mlog_run(p, end, mlog_is_digit, 3, 3);
	q = mlog_lit(q, end, " ");
	if (q == NULL)
		return MLOG_NOSHAPE;
	if (*p != '5')
		return 0;
	p = q;
	/* The enhanced status code, when there is one: "5.7.1 ". */
	q = mlog_run(p, end, mlog_is_digit, 1, 1);
	q = mlog_lit(q, end, ".");
	q = mlog_run(q, end, mlog_is_digit, 1, 3);
	q = mlog_lit(q, end, ".");
	q = mlog_run(q, end, mlog_is_digit, 1, 3);
	q = mlog_lit(q, end, " ");
	if (q != NULL)
		p = q;
	q = mlog_lit(p, end, "Service unavailable; ");
	r = mlog_lit(q, end, prog == PROG_POSTSCREEN ? "client " : "Client host ");
	if (r != NULL) {
		r = mlog_bracket(r, end, &a2, &a2len, hit, &bad);
		r = mlog_lit(r, end, " blocked using ");
		if (r == NULL || a2len != alen || memcmp(a, a2, alen) != 0)
			return 0;
		if ((o->enabled & (1u << REASON_RBL)) == 0)
			return 0;
		hit->reason = REASON_RBL;
		if (bad)
			return -1;
		mlog_detail(r, end, mlog_is_host, hit);
		return 1;
	}
	/*
	 * reject_unknown_(reverse_)client_hostname: "Client host rejected: cannot find your
	 * [reverse ]hostname, [ADDR]", from the first byte of the reply, with the same ADDR.
	 */
	q = mlog_lit(p, end, "Client host rejected: cannot find your ");
	r = mlog_lit(q, end, "reverse ");
	r = mlog_lit(r != NULL ? r : q, end, "hostname, ");
	if (r != NULL) {
		r = mlog_bracket(r, end, &a2, &a2len, hit, &bad);
		if (r == NULL || a2len != alen || memcmp(a, a2, alen) != 0 ||
		    (o->enabled & (1u << REASON_ACCESS)) == 0)
			return 0;
		hit->reason = REASON_ACCESS;
		return bad ? -1 : 1;
	}
	/* "<NAME[ADDR]>" or "<NAME[ADDR]:PORT>": the client Postfix named at the start. */
	q = mlog_lit(p, end, "<");
	if (q == NULL || (size_t)(end - q) < (size_t)(a + alen + 1 - name) ||
	    memcmp(q, name, (size_t)(a + alen + 1 - name)) != 0)
		return 0;
	q += a + alen + 1 - name;
	r = mlog_lit(q, end, ":");
	r = mlog_run(r, end, mlog_is_digit, 1, 5);
	if (r != NULL)
		q = r;
	q = mlog_lit(q, end, ">: Client host rejected: ");
	if (q == NULL || (o->enabled & (1u << REASON_ACCESS)) == 0)
		return 0;
	/*
	 * A reject of a recipient, sender or HELO name starts its reply with that text, and
	 * Postfix may write it unquoted: "<relay[ADDR]>: Client host rejected: x; proto=y
	 * @example.org>: Recipient address rejected" must not ban the relay. Such a reply
	 * always holds its class's marker, so a line holding one is ambiguous: ignored and
	 * counted (a sender who writes one into its own from= only escapes its own ban).
	 */
	if (mlog_ambiguous(p, end)) {
		hit->ignored = 1;
		return 0;
	}
	hit->reason = REASON_ACCESS;
	return bad ? -1 : 1;
}

/* postscreen's "DNSBL rank N for [ADDR]:PORT", the whole message. */
static int mlog_dnsbl(const char *p, const char *end, const struct mlog_opts *o,
		      struct mlog_hit *hit)
{
	unsigned int rank = 0;
	const char *q, *a;
	size_t alen;
	int bad = 0;

	p = mlog_lit(p, end, "DNSBL rank ");
	q = mlog_run(p, end, mlog_is_digit, 1, 5);
	q = mlog_lit(q, end, " for ");
	q = mlog_bracket(q, end, &a, &alen, hit, &bad);
	q = mlog_lit(q, end, ":");
	q = mlog_run(q, end, mlog_is_digit, 1, 5);
	if (q == NULL || q != end)
		return MLOG_NOSHAPE;
	while (mlog_is_digit(*p))
		rank = rank * 10 + (unsigned int)(*p++ - '0');
	if (rank < o->dnsbl_threshold || (o->enabled & (1u << REASON_DNSBL)) == 0)
		return 0;
	hit->reason = REASON_DNSBL;
	if (bad)
		return -1;
	snprintf(hit->detail, sizeof(hit->detail), "rank=%u", rank);
	return 1;
}

static int mlog_is_time(int c)
{
	return mlog_is_digit(c) || c == '.';
}

/*
 * postscreen's "PREGREET N after T from [ADDR]:PORT: PAYLOAD". The payload is what the
 * client sent before the greeting (up to 100 bytes of its choosing): never looked at.
 */
static int mlog_pregreet(const char *p, const char *end, const struct mlog_opts *o,
			 struct mlog_hit *hit)
{
	const char *a;
	size_t alen;
	int bad = 0;

	p = mlog_lit(p, end, "PREGREET ");
	p = mlog_run(p, end, mlog_is_digit, 1, 10);
	p = mlog_lit(p, end, " after ");
	p = mlog_run(p, end, mlog_is_time, 1, 20);
	p = mlog_lit(p, end, " from ");
	p = mlog_bracket(p, end, &a, &alen, hit, &bad);
	p = mlog_lit(p, end, ":");
	p = mlog_run(p, end, mlog_is_digit, 1, 5);
	if (p == NULL || (p != end && *p != ':'))
		return MLOG_NOSHAPE;
	if ((o->enabled & (1u << REASON_PREGREET)) == 0)
		return 0;
	hit->reason = REASON_PREGREET;
	return bad ? -1 : 1;
}

static int mlog_is_flag(int c)
{
	return mlog_is_alnum(c) || c == ',';
}

/*
 * amavisd's "(ID) Blocked SPAM {ACTIONS}, [CLIENT]:PORT [ORIGIN] <from> -> <to>, ...".
 * Only the bracket right after "}, " is read: the client that connected to us (%a).
 * ORIGIN is amavisd's guess from Received headers, which the sender writes; Message-ID,
 * addresses and the rest follow and are never looked at. "LOCAL [ip]", policy-bank names
 * and "[]" (client unknown, no XFORWARD) are not acted on.
 */
static int mlog_amavis(const char *p, const char *end, const struct mlog_opts *o,
		       struct mlog_hit *hit)
{
	const char *a;
	size_t alen;
	int bad = 0;

	p = mlog_lit(p, end, "(");
	p = mlog_run(p, end, mlog_is_id, 1, 32);
	p = mlog_lit(p, end, ") Blocked SPAM {");
	p = mlog_run(p, end, mlog_is_flag, 0, 128);
	p = mlog_lit(p, end, "}, ");
	if (p == NULL)
		return MLOG_NOSHAPE;
	p = mlog_bracket(p, end, &a, &alen, hit, &bad);
	if (p == NULL || (o->enabled & (1u << REASON_AMAVIS)) == 0)
		return 0;
	if (p != end && *p != ':' && *p != ' ')
		return 0;
	hit->reason = REASON_AMAVIS;
	return bad ? -1 : 1;
}

/*
 * rspamd's "rspamd_task_write_log: id: <MID>, qid: <QID>, ip: ADDR, from: <FROM>,
 * (default: T (reject): [SCORE] [SYMBOLS{OPTIONS}]), len: N, ...". MID (first), FROM and
 * the symbol options are the sender's text and may hold any of these markers; rspamd does
 * not escape them. So the line is read only when ", qid: <", "(default: " and "]), len: "
 * each stand exactly once: the one qid is then rspamd's own, and the field rspamd writes
 * right after it must be "ip: ADDR,". A scan without a client address has no ip field, and
 * MID or FROM could supply one anywhere else; right after the only qid they cannot. A
 * scan without a Postfix queue id is not read at all. The verdict is the action field.
 */
static int mlog_rspamd_task(const char *p, const char *end, const struct mlog_opts *o,
			    struct mlog_hit *hit)
{
	const char *q, *ip, *act, *tail;
	char buf[64];
	size_t n;

	p = mlog_lit(p, end, "rspamd_task_write_log: id: <");
	if (p == NULL || slog_count(p, end, ", qid: <") != 1 ||
	    slog_count(p, end, "(default: ") != 1 || slog_count(p, end, "]), len: ") != 1)
		return MLOG_NOSHAPE;
	q = (const char *)memmem(p, (size_t)(end - p), ", qid: <", 8) + 8;
	q = mlog_run(q, end, mlog_is_alnum, 1, 32);
	ip = mlog_lit(q, end, ">, ip: ");
	act = (const char *)memmem(p, (size_t)(end - p), "(default: ", 10) + 10;
	tail = memmem(p, (size_t)(end - p), "]), len: ", 9);
	if (ip == NULL || !(ip < act && act < tail))
		return MLOG_NOSHAPE;
	if (mlog_lit(act, end, "T (reject): [") == NULL ||
	    (o->enabled & (1u << REASON_RSPAMD)) == 0)
		return 0;
	for (n = 0; ip + n < end && ip[n] != ',' && ip[n] != ' ' && n < sizeof(buf) - 1; n++)
		buf[n] = ip[n];
	buf[n] = '\0';
	hit->reason = REASON_RSPAMD;
	if (ip + n == end || ip[n] != ',' || cidr_parse_addr(buf, &hit->family, &hit->addr) < 0) {
		snprintf(hit->detail, sizeof(hit->detail), "bad client address \"%.40s\"", buf);
		return -1;
	}
	snprintf(hit->detail, sizeof(hit->detail), "reject");
	return 1;
}

/* rspamd's prefix before the task: "[#PID(TYPE) ]<TAG>; task; ". */
static int mlog_rspamd(const char *p, const char *end, const struct mlog_opts *o,
		       struct mlog_hit *hit)
{
	const char *q = mlog_lit(p, end, "#");

	q = mlog_run(q, end, mlog_is_digit, 1, 10);
	q = mlog_lit(q, end, "(");
	q = mlog_run(q, end, mlog_is_alnum, 1, 32);
	q = mlog_lit(q, end, ") ");
	if (q != NULL)
		p = q;
	p = mlog_lit(p, end, "<");
	p = mlog_run(p, end, mlog_is_hex, 1, 32);
	p = mlog_lit(p, end, ">; task; ");
	if (p == NULL)
		return MLOG_NOSHAPE;
	return mlog_rspamd_task(p, end, o, hit);
}

/* Which program a syslog tag names; Postfix's is "SYSLOG_NAME/SERVICE". */
static enum mlog_prog mlog_prog(const char *tag, size_t n)
{
	const char *slash = memrchr(tag, '/', n);
	size_t base;

	if (slash != NULL && n >= 7 && memcmp(tag, "postfix", 7) == 0) {
		base = n - (size_t)(slash + 1 - tag);
		if (base == 5 && memcmp(slash + 1, "smtpd", 5) == 0)
			return PROG_SMTPD;
		if (base == 10 && memcmp(slash + 1, "postscreen", 10) == 0)
			return PROG_POSTSCREEN;
		return PROG_OTHER;
	}
	if ((n == 6 && memcmp(tag, "amavis", 6) == 0) ||
	    (n == 7 && memcmp(tag, "amavisd", 7) == 0) ||
	    (n == 11 && memcmp(tag, "amavisd-new", 11) == 0))
		return PROG_AMAVIS;
	if (n == 6 && memcmp(tag, "rspamd", 6) == 0)
		return PROG_RSPAMD;
	return PROG_OTHER;
}

static int mlog_is_tag(int c)
{
	return c > ' ' && c < 0x7f && c != '[' && c != ':';
}

static int mlog_is_stamp(int c)
{
	return mlog_is_alnum(c) || c == ':' || c == '.' || c == '+' || c == '-';
}

static int mlog_is_word(int c)
{
	return c > ' ' && c < 0x7f;
}

/*
 * p past the time and its space: "Mmm dd hh:mm:ss" (with ".frac" as journalctl's
 * short-precise writes it) or an RFC 3339 time; NULL if there is none.
 */
static const char *mlog_stamp(const char *p, const char *end)
{
	const char *q;

	if (end - p >= 16 && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':') {
		q = p + 15;
		if (*q == '.')
			q = mlog_run(q + 1, end, mlog_is_digit, 1, 9);
		return mlog_lit(q, end, " ");
	}
	if (p < end && mlog_is_digit((unsigned char)*p))
		return mlog_lit(mlog_run(p, end, mlog_is_stamp, 10, 40), end, " ");
	return NULL;
}

/*
 * The syslog header: "Mmm dd hh:mm:ss HOST TAG[PID]: " (RFC 3164, as rsyslog writes by
 * default) or "YYYY-MM-DDThh:mm:ss.frac+zz:zz HOST TAG[PID]: ". Returns the message start
 * and the tag, or NULL.
 */
static const char *mlog_header(const char *p, const char *end, const char **tag, size_t *taglen)
{
	const char *q;

	p = mlog_stamp(p, end);
	p = mlog_run(p, end, mlog_is_word, 1, 255);
	p = mlog_lit(p, end, " ");
	*tag = p;
	p = mlog_run(p, end, mlog_is_tag, 1, 64);
	if (p == NULL)
		return NULL;
	*taglen = (size_t)(p - *tag);
	q = mlog_lit(p, end, "[");
	q = mlog_run(q, end, mlog_is_digit, 1, 10);
	q = mlog_lit(q, end, "]");
	if (q != NULL)
		p = q;
	return mlog_lit(p, end, ": ");
}

/* rspamd's own log file: "YYYY-MM-DD hh:mm:ss #PID(TYPE) <TAG>; task; ...". */
static const char *mlog_rspamd_file(const char *p, const char *end)
{
	p = mlog_run(p, end, mlog_is_stamp, 10, 10);
	p = mlog_lit(p, end, " ");
	p = mlog_run(p, end, mlog_is_stamp, 8, 20);
	p = mlog_lit(p, end, " ");
	return mlog_lit(p, end, "#") != NULL ? p : NULL;
}

/* The message msg of program prog, at its start only. */
static int mlog_message(enum mlog_prog prog, const char *p, const char *end,
			const struct mlog_opts *o, struct mlog_hit *hit)
{
	int rc;

	switch (prog) {
	case PROG_SMTPD:
		return mlog_noqueue(p, end, prog, o, hit);
	case PROG_POSTSCREEN:
		rc = mlog_noqueue(p, end, prog, o, hit);
		if (rc == MLOG_NOSHAPE)
			rc = mlog_dnsbl(p, end, o, hit);
		if (rc == MLOG_NOSHAPE)
			rc = mlog_pregreet(p, end, o, hit);
		return rc;
	case PROG_AMAVIS:
		return mlog_amavis(p, end, o, hit);
	case PROG_RSPAMD:
		return mlog_rspamd(p, end, o, hit);
	case PROG_OTHER:
		break;
	}
	return MLOG_NOSHAPE;
}

/* The built-in readers' needles (mlog_finish counts lines holding one of them). */
static size_t mlog_builtin_needles(const struct mlog_opts *o, const char **needles, size_t max)
{
	size_t n = 0;

	if ((o->enabled & ((1u << REASON_RBL) | (1u << REASON_ACCESS))) != 0 && n < max)
		needles[n++] = "NOQUEUE: reject: ";
	if ((o->enabled & (1u << REASON_DNSBL)) != 0 && n < max)
		needles[n++] = "DNSBL rank ";
	if ((o->enabled & (1u << REASON_PREGREET)) != 0 && n < max)
		needles[n++] = "PREGREET ";
	if ((o->enabled & (1u << REASON_AMAVIS)) != 0 && n < max)
		needles[n++] = ") Blocked SPAM";
	if ((o->enabled & (1u << REASON_RSPAMD)) != 0 && n < max)
		needles[n++] = "rspamd_task_write_log: ";
	return n;
}

/* A line that had none of our structures: ignored, but noted if it holds a pattern. */
static int mlog_finish(int rc, const char *line, const char *end, const struct mlog_opts *o,
		       struct mlog_hit *hit)
{
	const char *needles[8];
	size_t n, i;

	if (rc != MLOG_NOSHAPE)
		return rc;
	n = mlog_builtin_needles(o, needles, 8);
	for (i = 0; i < n; i++) {
		if (memmem(line, (size_t)(end - line), needles[i], strlen(needles[i])) != NULL)
			hit->ignored = 1;
	}
	return 0;
}

size_t mlog_needles(const struct mlog_opts *o, const char **needles, size_t max)
{
	size_t n = mlog_builtin_needles(o, needles, max);

	if ((o->enabled & (1u << REASON_TRAP)) != 0 && o->traps != NULL && o->traps->n > 0 &&
	    n < max)
		needles[n++] = ">: Recipient address rejected: ";
	n += exim_needles(o, needles + n, max - n);
	if ((o->enabled & (1u << REASON_CUSTOM)) != 0)
		n += pattern_needles(o->patterns, needles + n, max - n);
	return n;
}

/*
 * Issue 19's readers of a syslog message, before the built-in ones: Postfix's reject of a
 * RCPT to a spamtrap (trap.c), then the admin's own patterns (pattern.c).
 */
static int mlog_ext_msg(const char *tag, size_t taglen, const char *msg, const char *end,
			const struct mlog_opts *o, struct mlog_hit *hit)
{
	unsigned int which;
	int rc;

	hit->bantime = 0;
	rc = trap_postfix_parse_msg(tag, taglen, msg, (size_t)(end - msg), o, hit);
	if (rc == 0 && (o->enabled & (1u << REASON_CUSTOM)) != 0 && o->patterns != NULL)
		rc = pattern_parse_msg(o->patterns, tag, taglen, msg, (size_t)(end - msg), hit,
				       &which);
	return rc;
}

int mlog_parse_msg(const char *tag, size_t taglen, const char *msg, size_t len,
		   const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *end = msg + len;

	int rc;

	hit->detail[0] = '\0';
	hit->ignored = 0;
	if (len > 0 && msg[len - 1] == '\n')
		end--;
	rc = mlog_ext_msg(tag, taglen, msg, end, o, hit);
	if (rc != 0)
		return rc;
	return mlog_finish(mlog_message(mlog_prog(tag, taglen), msg, end, o, hit), msg, end, o,
			   hit);
}

int mlog_parse(const char *line, size_t len, const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *end = line + len;
	const char *tag = NULL, *msg;
	size_t taglen = 0;
	int rc = MLOG_NOSHAPE;

	hit->detail[0] = '\0';
	hit->ignored = 0;
	hit->bantime = 0;
	if (len > 0 && line[len - 1] == '\n')
		end--;
	/* Exim's own log files have no syslog header (exim.c). */
	rc = exim_parse(line, (size_t)(end - line), o, hit);
	if (rc != 0)
		return rc;
	rc = MLOG_NOSHAPE;
	msg = mlog_rspamd_file(line, end);
	if (msg != NULL) {
		rc = mlog_rspamd(msg, end, o, hit);
	} else {
		msg = mlog_header(line, end, &tag, &taglen);
		if (msg != NULL) {
			rc = mlog_ext_msg(tag, taglen, msg, end, o, hit);
			if (rc != 0)
				return rc;
			rc = mlog_message(mlog_prog(tag, taglen), msg, end, o, hit);
		}
	}
	return mlog_finish(rc, line, end, o, hit);
}
