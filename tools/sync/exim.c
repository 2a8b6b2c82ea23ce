// SPDX-License-Identifier: GPL-2.0-or-later
/* Exim's mainlog and rejectlog -> spam source addresses. Pure. */
#include "exim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "slog.h"
#include "trap.h"

static int exim_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* p past exactly n digits, or NULL. */
static const char *exim_digits(const char *p, const char *end, size_t n)
{
	size_t i;

	if (p == NULL || (size_t)(end - p) < n)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!exim_digit((unsigned char)p[i]))
			return NULL;
	}
	return p + n;
}

/* p past a run of 1..max digits, or NULL. */
static const char *exim_number(const char *p, const char *end, size_t max)
{
	size_t n = 0;

	if (p == NULL)
		return NULL;
	while (p + n < end && n <= max && exim_digit((unsigned char)p[n]))
		n++;
	return n == 0 || n > max ? NULL : p + n;
}

/*
 * Exim's prefix: "YYYY-MM-DD hh:mm:ss" (".mmm" with +millisec, " +zzzz" with
 * log_timezone), then " [PID]" with +pid, then a space. No untimestamped rejectlog line
 * (the headers after a DATA reject, each led by a flag column or a TAB) can start so.
 */
static const char *exim_stamp(const char *p, const char *end)
{
	const char *q;

	p = exim_digits(p, end, 4);
	p = slog_lit(p, end, "-");
	p = exim_digits(p, end, 2);
	p = slog_lit(p, end, "-");
	p = exim_digits(p, end, 2);
	p = slog_lit(p, end, " ");
	p = exim_digits(p, end, 2);
	p = slog_lit(p, end, ":");
	p = exim_digits(p, end, 2);
	p = slog_lit(p, end, ":");
	p = exim_digits(p, end, 2);
	q = exim_digits(slog_lit(p, end, "."), end, 3);
	if (q != NULL)
		p = q;
	q = slog_lit(p, end, " +");
	if (q == NULL)
		q = slog_lit(p, end, " -");
	q = exim_digits(q, end, 4);
	if (q != NULL)
		p = q;
	q = exim_number(slog_lit(p, end, " ["), end, 10);
	q = slog_lit(q, end, "]");
	if (q != NULL)
		p = q;
	return slog_lit(p, end, " ");
}

/* What Exim's dns_check_names_pattern lets through as a host name. */
static int exim_is_name(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || exim_digit(c) || c == '.' ||
	       c == '-' || c == '_';
}

/*
 * The HELO argument: any printable byte but space and parentheses. Exim refuses HELO
 * text with spaces unless helo_accept_junk_hosts says otherwise; a HELO holding a space
 * or a parenthesis could close the field early, so such a line is not read at all.
 */
static int exim_is_helo(int c)
{
	return c > ' ' && c < 0x7f && c != '(' && c != ')';
}

/* An address as Exim logs it in F=<> or RCPT <>: no space, quote, bracket or colon. */
static int exim_is_mailbox(int c)
{
	return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '(' && c != ')' &&
	       c != '\\' && c != ':' && c != '[' && c != ']';
}

/* p past a run of 0..max bytes of class cls. */
static const char *exim_run(const char *p, const char *end, int (*cls)(int), size_t max)
{
	size_t n = 0;

	if (p == NULL)
		return NULL;
	while (p + n < end && n <= max && cls((unsigned char)p[n]))
		n++;
	return n > max ? NULL : p + n;
}

/*
 * Exim's host field, "H=" then "[ADDR]", "(HELO) [ADDR]", "NAME [ADDR]" or
 * "NAME (HELO) [ADDR]", then ":PORT" with +incoming_port and " I=[ADDR]:PORT" with
 * +incoming_interface. Returns p past it with the client in hit and its text in *a and *alen,
 * or NULL.
 */
static const char *exim_host(const char *p, const char *end, struct mlog_hit *hit, const char **a,
			     size_t *alen, int *bad, int *helo)
{
	const char *q;
	int ibad = 0;
	struct mlog_hit ihit;

	p = slog_lit(p, end, "H=");
	if (p == NULL)
		return NULL;
	q = exim_run(p, end, exim_is_name, 255);
	if (q != p) {
		p = slog_lit(q, end, " ");
		if (p == NULL)
			return NULL;
	}
	q = slog_lit(p, end, "(");
	*helo = q != NULL;
	if (q != NULL) {
		q = exim_run(q, end, exim_is_helo, 1024);
		p = slog_lit(q, end, ") ");
		if (p == NULL)
			return NULL;
	}
	*a = p + 1;
	q = slog_bracket(p, end, hit, bad);
	if (q == NULL)
		return NULL;
	*alen = (size_t)(q - 1 - *a);
	p = q;
	q = exim_number(slog_lit(p, end, ":"), end, 5);
	if (q != NULL)
		p = q;
	/* The server's own interface; parsed only to step over it. */
	q = slog_bracket(slog_lit(p, end, " I="), end, &ihit, &ibad);
	q = exim_number(slog_lit(q, end, ":"), end, 5);
	if (q != NULL && !ibad)
		p = q;
	return p;
}

/* The zone (or other word) right after a marker, into hit->detail. */
static void exim_detail(const char *p, const char *end, struct mlog_hit *hit)
{
	size_t n = 0;

	while (p < end && *p == ' ')
		p++;
	while (p + n < end && n < sizeof(hit->detail) - 1 && exim_is_name((unsigned char)p[n]))
		n++;
	memcpy(hit->detail, p, n);
	hit->detail[n] = '\0';
}

/*
 * Whether the ACL message at p starts with one of the markers, $sender_host_address read
 * as the client's address a/alen from the host field; sets hit->detail to the word after.
 */
static int exim_marked(const char *p, const char *end, const char *a, size_t alen,
		       const struct exim_opts *x, struct mlog_hit *hit)
{
	const char *m, *var, *q;
	unsigned int i;
	size_t n;

	for (i = 0; i < x->nmarkers; i++) {
		m = x->markers[i];
		q = p;
		while (q != NULL && *m != '\0') {
			var = strstr(m, EXIM_HOST_ADDR);
			n = var != NULL ? (size_t)(var - m) : strlen(m);
			if ((size_t)(end - q) < n || memcmp(q, m, n) != 0) {
				q = NULL;
				break;
			}
			q += n;
			m += n;
			if (var == NULL)
				break;
			if ((size_t)(end - q) < alen || memcmp(q, a, alen) != 0) {
				q = NULL;
				break;
			}
			q += alen;
			m += strlen(EXIM_HOST_ADDR);
		}
		if (q != NULL) {
			exim_detail(q, end, hit);
			return 1;
		}
	}
	return 0;
}

static const struct exim_opts *exim_opts_of(const struct mlog_opts *o)
{
	static struct exim_opts def;

	if (o->exim != NULL)
		return o->exim;
	if (def.nmarkers == 0)
		exim_opts_default(&def);
	return &def;
}

static int exim_enabled(const struct mlog_opts *o, enum reason r)
{
	return (o->enabled & (1u << r)) != 0;
}

/*
 * After the host field: " rejected connection in "connect" ACL: MSG", or
 * "[ F=<SENDER>] rejected RCPT <RCPT>: MSG". SENDER and RCPT are the client's; their class
 * (exim_is_mailbox) cannot hold the '>' that ends them, so the message Exim appended
 * starts at a known place. Quoted or bracketed addresses are not read.
 */
static int exim_reject(const char *p, const char *end, const char *a, size_t alen, int bad,
		       const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *q, *rcpt;

	q = slog_lit(p, end, " rejected connection in \"connect\" ACL: ");
	if (q != NULL) {
		if (!exim_enabled(o, REASON_EXIM_DNSBL) ||
		    !exim_marked(q, end, a, alen, exim_opts_of(o), hit))
			return 0;
		hit->reason = REASON_EXIM_DNSBL;
		return bad ? -1 : 1;
	}
	q = slog_lit(p, end, " F=<");
	if (q != NULL) {
		q = slog_lit(exim_run(q, end, exim_is_mailbox, 1024), end, ">");
		if (q == NULL)
			return 0;
		p = q;
	}
	rcpt = slog_lit(p, end, " rejected RCPT <");
	q = exim_run(rcpt, end, exim_is_mailbox, 1024);
	p = slog_lit(q, end, ">: ");
	if (p == NULL)
		return 0;
	if (exim_enabled(o, REASON_TRAP) && o->traps != NULL &&
	    trap_list_match(o->traps, rcpt, (size_t)(q - rcpt))) {
		hit->reason = REASON_TRAP;
		hit->bantime = o->traps->bantime;
		snprintf(hit->detail, sizeof(hit->detail), "%.*s", (int)(q - rcpt), rcpt);
		return bad ? -1 : 1;
	}
	if (!exim_enabled(o, REASON_EXIM_DNSBL) ||
	    !exim_marked(p, end, a, alen, exim_opts_of(o), hit))
		return 0;
	hit->reason = REASON_EXIM_DNSBL;
	return bad ? -1 : 1;
}

#define EXIM_PREGREET                                                                     \
	"SMTP protocol synchronization error (input sent without waiting for greeting): " \
	"rejected connection from "

int exim_parse(const char *line, size_t len, const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *end = line + len;
	const char *p, *q, *a = NULL;
	size_t alen = 0;
	int bad = 0, helo = 0, rc;
	char why[sizeof(hit->detail)];

	if (len > 0 && line[len - 1] == '\n')
		end--;
	p = exim_stamp(line, end);
	if (p == NULL)
		return 0;
	q = slog_lit(p, end, EXIM_PREGREET);
	if (q != NULL) {
		q = exim_host(q, end, hit, &a, &alen, &bad, &helo);
		if (helo || slog_lit(q, end, " input=\"") == NULL ||
		    !exim_enabled(o, REASON_EXIM_PREGREET))
			return 0;
		hit->reason = REASON_EXIM_PREGREET;
		return bad ? -1 : 1;
	}
	p = exim_host(p, end, hit, &a, &alen, &bad, &helo);
	if (p == NULL)
		return 0;
	/*
	 * A HELO that Exim took with spaces (helo_accept_junk_hosts) could hold
	 * ") [VICTIM] rejected ...": the field it closes early is then not the client's.
	 * The line is read only when ") [" stands once, where Exim wrote it.
	 */
	if (helo && slog_count(line, end, ") [") != 1)
		return 0;
	if (bad)
		memcpy(why, hit->detail, sizeof(why));
	rc = exim_reject(p, end, a, alen, bad, o, hit);
	if (rc < 0)
		memcpy(hit->detail, why, sizeof(why));
	return rc;
}

size_t exim_needles(const struct mlog_opts *o, const char **needles, size_t max)
{
	size_t n = 0;

	if ((exim_enabled(o, REASON_EXIM_DNSBL) || exim_enabled(o, REASON_TRAP)) && n < max)
		needles[n++] = " rejected RCPT <";
	if (exim_enabled(o, REASON_EXIM_DNSBL) && n < max)
		needles[n++] = " rejected connection in \"connect\" ACL: ";
	if (exim_enabled(o, REASON_EXIM_PREGREET) && n < max)
		needles[n++] = EXIM_PREGREET;
	return n;
}
