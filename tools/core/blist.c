// SPDX-License-Identifier: GPL-2.0-or-later
/* Block and allow list lines: plain, Spamhaus DROP text and NDJSON, rbldnsd ip4set/ip6tset. Pure.
 */
#include "blist.h"

#include <stdio.h>
#include <string.h>

int blist_format_parse(const char *s, enum blist_format *fmt)
{
	static const char *const names[] = {"auto", "plain", "drop", "json", "rbldnsd"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*fmt = (enum blist_format)i;
			return 0;
		}
	}
	return -1;
}

static bool blist_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Copy the first token of p (ending at whitespace, a comment or, if colon, a ':') into tok. */
static int blist_token(const char *p, bool colon, char *tok, size_t toklen, const char **rest)
{
	size_t n = 0;

	while (p[n] != '\0' && !blist_space(p[n]) && p[n] != '#' && p[n] != ';' &&
	       !(colon && p[n] == ':'))
		n++;
	if (n >= toklen)
		return -1;
	memcpy(tok, p, n);
	tok[n] = '\0';
	*rest = p + n;
	return 0;
}

/* Only whitespace and a comment may follow the address. */
static bool blist_tail_ok(const char *p)
{
	while (blist_space(*p))
		p++;
	return *p == '\0' || *p == '#' || *p == ';';
}

static int blist_addr(const char *tok, struct blist_entry *e, char *err, size_t errlen)
{
	int rc = cidr_parse(tok, &e->family, &e->range, err, errlen);

	if (rc < 0)
		return -1;
	return rc == CIDR_HOSTBITS ? BLIST_WARN : BLIST_ENTRY;
}

/*
 * A Spamhaus NDJSON record. The feed is one flat object per line with string values, so
 * the "cidr" member is found by scanning rather than with a JSON library; the closing
 * metadata record ({"type":"metadata",...}) has no "cidr" and is skipped.
 */
static int blist_json(const char *p, struct blist_entry *e, char *err, size_t errlen)
{
	const char *k = strstr(p, "\"cidr\"");
	const char *q;
	char tok[CIDR_TEXT_MAX];
	size_t n;

	if (k == NULL) {
		if (strstr(p, "\"type\"") != NULL && strstr(p, "\"metadata\"") != NULL)
			return BLIST_NONE;
		snprintf(err, errlen, "JSON record without \"cidr\"");
		return -1;
	}
	k += 6;
	while (blist_space(*k))
		k++;
	if (*k++ != ':')
		goto bad;
	while (blist_space(*k))
		k++;
	if (*k++ != '"')
		goto bad;
	q = strchr(k, '"');
	if (q == NULL || (size_t)(q - k) >= sizeof(tok))
		goto bad;
	n = (size_t)(q - k);
	memcpy(tok, k, n);
	tok[n] = '\0';
	return blist_addr(tok, e, err, errlen);
bad:
	snprintf(err, errlen, "malformed \"cidr\" member");
	return -1;
}

/*
 * rbldnsd ip4set shorthands: "10.1.2" is 10.1.2.0/24, "10.1" a /16, "10" a /8, and
 * "10.1.2.3-9" runs to 10.1.2.9. Rewritten into the strict form, then parsed strictly.
 */
static int blist_rbldnsd4(const char *tok, struct blist_entry *e, char *err, size_t errlen)
{
	char buf[CIDR_TEXT_MAX * 2];
	const char *dash = strchr(tok, '-');
	const char *dot;
	int dots = 0;
	const char *p;

	if (strchr(tok, ':') != NULL || strchr(tok, '/') != NULL)
		return blist_addr(tok, e, err, errlen);
	for (p = tok; *p != '\0' && p != dash; p++)
		dots += *p == '.';
	if (dash != NULL && dots == 3 && strchr(dash + 1, '.') == NULL) {
		dot = strrchr(tok, '.');
		snprintf(buf, sizeof(buf), "%.*s-%.*s%s", (int)(dash - tok), tok,
			 (int)(dot - tok + 1), tok, dash + 1);
		return blist_addr(buf, e, err, errlen);
	}
	if (dash != NULL || dots == 3)
		return blist_addr(tok, e, err, errlen);
	snprintf(buf, sizeof(buf), "%s%s/%d", tok,
		 dots == 0   ? ".0.0.0"
		 : dots == 1 ? ".0.0"
			     : ".0",
		 8 * (dots + 1));
	return blist_addr(buf, e, err, errlen);
}

/* Whether the token at p is IPv4 (a '.' before any ':'), so ':' may start a value. */
static bool blist_v4_first(const char *p)
{
	size_t n = strcspn(p, " \t:.");

	return p[n] == '.';
}

int blist_parse_line(const char *line, enum blist_format fmt, struct blist_entry *e, char *err,
		     size_t errlen)
{
	char tok[CIDR_TEXT_MAX];
	const char *p = line;
	const char *rest;
	bool rbl = fmt == BLIST_RBLDNSD;
	int rc;

	memset(e, 0, sizeof(*e));
	while (blist_space(*p))
		p++;
	if (*p == '\0' || *p == '#' || *p == ';')
		return BLIST_NONE;
	if (fmt == BLIST_JSON || (fmt == BLIST_AUTO && *p == '{'))
		return blist_json(p, e, err, errlen);
	if (rbl || fmt == BLIST_AUTO) {
		/* Zone directives ($SOA, $TTL) and default-value lines (":127.0.0.2:txt"). */
		if (*p == '$' || (*p == ':' && p[1] != ':'))
			return BLIST_NONE;
		if (*p == '!') {
			e->exclude = true;
			p++;
		}
	}
	/* rbldnsd: a value may follow an IPv4 address after ':', any address after a space. */
	if (blist_token(p, rbl && blist_v4_first(p), tok, sizeof(tok), &rest) < 0) {
		snprintf(err, errlen, "too long for an address");
		return -1;
	}
	if (tok[0] == '\0') {
		snprintf(err, errlen, "no address");
		return -1;
	}
	if (!rbl && !blist_tail_ok(rest)) {
		snprintf(err, errlen, "unexpected text after the address");
		return -1;
	}
	if (rbl)
		rc = blist_rbldnsd4(tok, e, err, errlen);
	else
		rc = blist_addr(tok, e, err, errlen);
	return rc;
}
