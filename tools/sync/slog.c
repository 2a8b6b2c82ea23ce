// SPDX-License-Identifier: GPL-2.0-or-later
/* The syslog header of a mail log line: where the program tag and the message are. Pure. */
#include "slog.h"

#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "mlog.h"

static int slog_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of the run at p of bytes that are not space (nor, with tag, '[' or ':'). */
static size_t slog_run(const char *p, const char *end, int tag)
{
	size_t n = 0;

	while (p + n < end && (unsigned char)p[n] > ' ' && (unsigned char)p[n] < 0x7f &&
	       !(tag && (p[n] == '[' || p[n] == ':')))
		n++;
	return n;
}

const char *slog_header(const char *p, const char *end, const char **tag, size_t *taglen)
{
	size_t n;

	if (end - p >= 16 && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':' &&
	    p[15] == ' ') {
		p += 16;
	} else {
		n = slog_run(p, end, 0);
		if (n < 19 || p + n >= end || !slog_digit((unsigned char)p[0]) || p[4] != '-' ||
		    p[10] != 'T')
			return NULL;
		p += n + 1;
	}
	n = slog_run(p, end, 0);
	if (n == 0 || p + n >= end || p[n] != ' ')
		return NULL;
	p += n + 1;
	n = slog_run(p, end, 1);
	if (n == 0 || n > 64)
		return NULL;
	*tag = p;
	*taglen = n;
	p += n;
	if (p < end && *p == '[') {
		for (p++; p < end && slog_digit((unsigned char)*p); p++)
			;
		if (p >= end || *p != ']')
			return NULL;
		p++;
	}
	if (end - p < 2 || p[0] != ':' || p[1] != ' ')
		return NULL;
	return p + 2;
}

const char *slog_lit(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if (p == NULL || p > end || (size_t)(end - p) < n || memcmp(p, s, n) != 0)
		return NULL;
	return p + n;
}

unsigned int slog_count(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	unsigned int k = 0;
	const char *q;

	for (;;) {
		q = memmem(p, (size_t)(end - p), needle, n);
		if (q == NULL)
			return k;
		k++;
		p = q + n;
	}
}

static int slog_addr_char(int c)
{
	return slog_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
	       c == ':';
}

const char *slog_bracket(const char *p, const char *end, struct mlog_hit *hit, int *bad)
{
	char buf[46];
	size_t n = 0;

	if (p == NULL || p >= end || *p != '[')
		return NULL;
	p++;
	while (p + n < end && n < sizeof(buf) && slog_addr_char((unsigned char)p[n]))
		n++;
	if (n == 0 || n == sizeof(buf) || p + n >= end || p[n] != ']')
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (cidr_parse_addr(buf, &hit->family, &hit->addr) < 0) {
		snprintf(hit->detail, sizeof(hit->detail), "bad client address \"%.40s\"", buf);
		*bad = 1;
	}
	return p + n + 1;
}
