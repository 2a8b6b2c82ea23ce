// SPDX-License-Identifier: GPL-2.0-or-later
/* The one strict parser for every number that comes from outside (options, config, lists). */
#include "strnum.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

long long strnum_parse(const char *s, long long min, long long max, const char **errstr)
{
	long long v;
	char *end;
	int base = 10;

	*errstr = "invalid";
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (s[2] == '\0')
			return 0;
	} else if (s[0] == '0' && s[1] != '\0') {
		/* A leading zero is an octal trap elsewhere; refuse it. */
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, base);
	if (*end != '\0')
		return 0;
	if (errno == ERANGE || v < min) {
		*errstr = (errno == ERANGE && v > 0) ? "too large" : "too small";
		return 0;
	}
	if (v > max) {
		*errstr = "too large";
		return 0;
	}
	*errstr = NULL;
	return v;
}

int strnum_range(const char *s, uint16_t *first, uint16_t *last, const char **errstr)
{
	char buf[32];
	const char *dash;
	long long a;
	long long b;

	if (strlen(s) >= sizeof(buf)) {
		*errstr = "invalid";
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	dash = strchr(buf, '-');
	if (dash == NULL) {
		a = strnum_parse(buf, 0, 65535, errstr);
		if (*errstr != NULL)
			return -1;
		*first = *last = (uint16_t)a;
		return 0;
	}
	buf[dash - buf] = '\0';
	a = strnum_parse(buf, 0, 65535, errstr);
	if (*errstr != NULL)
		return -1;
	b = strnum_parse(dash + 1, 0, 65535, errstr);
	if (*errstr != NULL)
		return -1;
	if (b < a) {
		*errstr = "range is reversed";
		return -1;
	}
	if (b - a >= 64) {
		*errstr = "more than 64 queues";
		return -1;
	}
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return 0;
}

bool strnum_duration_has_unit(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && strchr("smhdw", s[len - 1]) != NULL;
}

long long strnum_duration(const char *s, long long max, const char **errstr)
{
	char buf[32];
	size_t len = strlen(s);
	long long mult = 1;
	long long v;

	*errstr = "invalid";
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		mult = 0;
		break;
	}
	if (mult != 0)
		buf[len - 1] = '\0';
	else
		mult = 1;
	v = strnum_parse(buf, 0, max / mult, errstr);
	if (*errstr != NULL)
		return 0;
	return v * mult;
}
