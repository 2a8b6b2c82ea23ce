// SPDX-License-Identifier: GPL-2.0-or-later
/* Mail log lines -> spam source addresses: Postfix smtpd/postscreen, amavisd, rspamd. Pure. */
#include "sync_mlog.h"

#include <stdio.h>
#include <string.h>

static const char *const mlog_names[] = {
	"rbl", "access", "dnsbl", "pregreet", "amavis", "rspamd",
};
_Static_assert(sizeof(mlog_names) / sizeof(mlog_names[0]) == MLOG_NREASONS,
	       "every mail log reason has a name");

const char *mlog_reason_name(enum mlog_reason r)
{
	return r < MLOG_NREASONS ? mlog_names[r] : "?";
}

void mlog_opts_default(struct mlog_opts *o)
{
	o->enabled = MLOG_ALL;
	o->dnsbl_threshold = 3;
}

int mlog_parse_patterns(const char *s, unsigned int *mask, char *err, size_t errlen)
{
	const char *p = s;
	const char *end;
	size_t n;
	unsigned int i;
	unsigned int m = 0;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, ", ");
		n = (size_t)(end - p);
		for (i = 0; i < MLOG_NREASONS; i++) {
			if (strlen(mlog_names[i]) == n && strncmp(p, mlog_names[i], n) == 0)
				break;
		}
		if (i == MLOG_NREASONS) {
			snprintf(err, errlen,
				 "unknown pattern \"%.*s\" (rbl, access, dnsbl, "
				 "pregreet, amavis, rspamd)",
				 (int)n, p);
			return -1;
		}
		m |= 1u << i;
		p = end;
	}
	*mask = m;
	return 0;
}

static const char *mlog_find(const char *hay, const char *end, const char *needle)
{
	return memmem(hay, (size_t)(end - hay), needle, strlen(needle));
}

/*
 * Parse the address between p and the next stop character; amavisd writes IPv6 clients
 * as [IPv6:2001:db8::1], Postfix without the tag. 0 or -1.
 */
static int mlog_addr(const char *p, const char *end, char stop, struct mlog_hit *hit)
{
	char buf[64];
	const char *q = p;
	size_t n;

	while (q < end && *q != stop)
		q++;
	if (q == end)
		goto bad;
	n = (size_t)(q - p);
	if (n > 5 && strncmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf))
		goto bad;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (cidr_parse_addr(buf, &hit->family, &hit->addr) < 0)
		goto bad;
	return 0;
bad:
	n = (size_t)(q - p);
	snprintf(hit->detail, sizeof(hit->detail), "bad client address \"%.*s\"",
		 (int)(n > 40 ? 40 : n), p);
	return -1;
}

/* Copy the word at p (up to a space, ';' or ',') into hit->detail. */
static void mlog_word(const char *p, const char *end, struct mlog_hit *hit)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ' && p[n] != ';' && p[n] != ',' && p[n] != ':')
		n++;
	if (n >= sizeof(hit->detail))
		n = sizeof(hit->detail) - 1;
	memcpy(hit->detail, p, n);
	hit->detail[n] = '\0';
}

/*
 * "NOQUEUE: reject: RCPT from host[ip]:port: 554 5.7.1 ...". Only "reject:" (not
 * reject_warning) and only permanent 5xx replies: a 4xx is greylisting or a temporary
 * lookup failure, not a verdict on the client.
 */
static int mlog_noqueue(const char *p, const char *end, const struct mlog_opts *o,
			struct mlog_hit *hit)
{
	const char *from, *br, *code, *z;

	from = mlog_find(p, end, " from ");
	if (from == NULL)
		return 0;
	br = memchr(from, '[', (size_t)(end - from));
	if (br == NULL)
		return 0;
	code = mlog_find(br, end, "]: ");
	if (code == NULL)
		code = mlog_find(br, end, "]:");
	if (code == NULL)
		return 0;
	code = memchr(code + 2, ' ', (size_t)(end - code - 2));
	if (code == NULL || end - code < 4 || code[1] != '5')
		return 0;
	z = mlog_find(code, end, " blocked using ");
	if (z != NULL && (o->enabled & (1u << MLOG_RBL))) {
		hit->reason = MLOG_RBL;
		if (mlog_addr(br + 1, end, ']', hit) < 0)
			return -1;
		mlog_word(z + strlen(" blocked using "), end, hit);
		return 1;
	}
	if (z == NULL && mlog_find(code, end, "Client host rejected") != NULL &&
	    (o->enabled & (1u << MLOG_ACCESS))) {
		hit->reason = MLOG_ACCESS;
		if (mlog_addr(br + 1, end, ']', hit) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* "DNSBL rank 3 for [ip]:port" */
static int mlog_dnsbl(const char *p, const char *end, const struct mlog_opts *o,
		      struct mlog_hit *hit)
{
	unsigned int rank = 0;
	const char *q = p;

	if (q >= end || *q < '0' || *q > '9')
		return 0;
	while (q < end && *q >= '0' && *q <= '9' && rank < 100000)
		rank = rank * 10 + (unsigned int)(*q++ - '0');
	if (end - q < 6 || strncmp(q, " for [", 6) != 0)
		return 0;
	if (rank < o->dnsbl_threshold)
		return 0;
	hit->reason = MLOG_DNSBL;
	if (mlog_addr(q + 6, end, ']', hit) < 0)
		return -1;
	snprintf(hit->detail, sizeof(hit->detail), "rank=%u", rank);
	return 1;
}

/* "PREGREET 14 after 0.08 from [ip]:port: EHLO ..." */
static int mlog_pregreet(const char *p, const char *end, struct mlog_hit *hit)
{
	const char *from = mlog_find(p, end, " from [");

	if (from == NULL)
		return 0;
	hit->reason = MLOG_PREGREET;
	return mlog_addr(from + 7, end, ']', hit) < 0 ? -1 : 1;
}

/*
 * "(1234-09) Blocked SPAM {DiscardedInbound,Quarantined}, [client]:port [origin] <f> -> ..."
 * The first bracket is the client that connected to us (%a); the second is amavisd's guess
 * at the originator from Received headers, which may never have connected here.
 * "LOCAL [ip]" and "[]" (client unknown, no XFORWARD) are not acted on.
 */
static int mlog_amavis(const char *p, const char *end, struct mlog_hit *hit)
{
	const char *br = memchr(p, '[', (size_t)(end - p));
	const char *nl;

	if (br == NULL)
		return 0;
	nl = mlog_find(p, br, "LOCAL ");
	if (nl != NULL || (br + 1 < end && br[1] == ']'))
		return 0;
	hit->reason = MLOG_AMAVIS;
	return mlog_addr(br + 1, end, ']', hit) < 0 ? -1 : 1;
}

/* "rspamd_task_write_log: id: <..>, qid: <..>, ip: 203.0.113.5, ..., (default: T (reject): ..." */
static int mlog_rspamd(const char *p, const char *end, struct mlog_hit *hit)
{
	const char *ip = mlog_find(p, end, ", ip: ");

	if (ip == NULL || mlog_find(p, end, ": T (reject)") == NULL)
		return 0;
	hit->reason = MLOG_RSPAMD;
	if (mlog_addr(ip + 6, end, ',', hit) < 0)
		return -1;
	snprintf(hit->detail, sizeof(hit->detail), "reject");
	return 1;
}

size_t mlog_needles(const struct mlog_opts *o, const char **needles, size_t max)
{
	size_t n = 0;

	if ((o->enabled & ((1u << MLOG_RBL) | (1u << MLOG_ACCESS))) != 0 && n < max)
		needles[n++] = "NOQUEUE: reject: ";
	if ((o->enabled & (1u << MLOG_DNSBL)) != 0 && n < max)
		needles[n++] = "DNSBL rank ";
	if ((o->enabled & (1u << MLOG_PREGREET)) != 0 && n < max)
		needles[n++] = "PREGREET ";
	if ((o->enabled & (1u << MLOG_AMAVIS)) != 0 && n < max)
		needles[n++] = ") Blocked SPAM";
	if ((o->enabled & (1u << MLOG_RSPAMD)) != 0 && n < max)
		needles[n++] = "rspamd_task_write_log: ";
	return n;
}

int mlog_parse(const char *line, size_t len, const struct mlog_opts *o, struct mlog_hit *hit)
{
	const char *end = line + len;
	const char *p;

	hit->detail[0] = '\0';
	if (len > 0 && line[len - 1] == '\n')
		end--;
	if ((o->enabled & ((1u << MLOG_RBL) | (1u << MLOG_ACCESS))) != 0) {
		p = mlog_find(line, end, "NOQUEUE: reject: ");
		if (p != NULL)
			return mlog_noqueue(p + 17, end, o, hit);
	}
	if ((o->enabled & (1u << MLOG_DNSBL)) != 0) {
		p = mlog_find(line, end, "DNSBL rank ");
		if (p != NULL)
			return mlog_dnsbl(p + 11, end, o, hit);
	}
	if ((o->enabled & (1u << MLOG_PREGREET)) != 0) {
		p = mlog_find(line, end, "PREGREET ");
		if (p != NULL)
			return mlog_pregreet(p + 9, end, hit);
	}
	if ((o->enabled & (1u << MLOG_AMAVIS)) != 0) {
		p = mlog_find(line, end, ") Blocked SPAM");
		if (p != NULL)
			return mlog_amavis(p + 14, end, hit);
	}
	if ((o->enabled & (1u << MLOG_RSPAMD)) != 0) {
		p = mlog_find(line, end, "rspamd_task_write_log: ");
		if (p != NULL)
			return mlog_rspamd(p, end, hit);
	}
	return 0;
}
