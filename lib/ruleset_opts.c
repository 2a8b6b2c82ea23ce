// SPDX-License-Identifier: GPL-2.0-or-later
/* The ruleset's options: defaults, strict parsing of what the user gives, a one-line summary. */
#include "ruleset.h"

#include <stdlib.h>
#include <string.h>

#include "strnum.h"

void ruleset_opts_default(struct ruleset_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queue_first = RULESET_QUEUE_DEFAULT;
	o->queue_last = RULESET_QUEUE_DEFAULT;
	o->mark = RULESET_MARK_DEFAULT;
	o->expr = RULESET_QUEUE_AUTO;
	o->nports = 1;
	o->ports[0].first = RULESET_PORT_DEFAULT;
	o->ports[0].last = RULESET_PORT_DEFAULT;
	o->rpf = true;
	snprintf(o->lists, sizeof(o->lists), "%s", RULESET_LISTS_DEFAULT);
}

int ruleset_parse_lists(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "none") == 0) {
		o->lists[0] = '\0';
		return 0;
	}
	/* The include turns the name into a glob and quotes it: no room for these. */
	if (s[0] != '/' || s[strcspn(s, "*?[]\\\" \t\n")] != '\0' || strlen(s) < 2) {
		snprintf(err, errlen, "not an absolute path without glob characters, or none");
		return -1;
	}
	if (strlen(s) >= sizeof(o->lists)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	snprintf(o->lists, sizeof(o->lists), "%s", s);
	return 0;
}

static int ruleset_port_cmp(const void *a, const void *b)
{
	const struct ruleset_port_range *x = a;
	const struct ruleset_port_range *y = b;

	return (int)x->first - (int)y->first;
}

/* One "N" or "N-M" element of a port list; errors quote the whole element. */
static int ruleset_parse_port_item(const char *tok, struct ruleset_port_range *r, char *err,
				   size_t errlen)
{
	const char *errstr = "invalid";
	char buf[16];
	char *dash;
	long long a;
	long long b;

	if (strlen(tok) >= sizeof(buf))
		goto bad;
	memcpy(buf, tok, strlen(tok) + 1);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	a = strnum_parse(buf, 1, 65535, &errstr);
	if (errstr != NULL)
		goto bad;
	b = a;
	if (dash != NULL) {
		b = strnum_parse(dash + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			goto bad;
		if (b < a) {
			errstr = "range is reversed";
			goto bad;
		}
	}
	r->first = (uint16_t)a;
	r->last = (uint16_t)b;
	return 0;
bad:
	snprintf(err, errlen, "port \"%s\": %s", tok, errstr);
	return -1;
}

/*
 * "25,465,587" or "2500-2599,25". Overlapping or adjacent ranges are merged, as nft's
 * auto-merge would: an interval set refuses overlapping elements.
 */
int ruleset_parse_ports(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	struct ruleset_port_range r[RULESET_PORTS_MAX];
	char buf[1024];
	char *p;
	char *comma;
	unsigned int n = 0;
	unsigned int i;
	unsigned int m;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "list is too long");
		return -1;
	}
	memcpy(buf, s, strlen(s) + 1);
	p = buf;
	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (n == RULESET_PORTS_MAX) {
			snprintf(err, errlen, "more than %d ports or ranges", RULESET_PORTS_MAX);
			return -1;
		}
		if (*p == '\0') {
			snprintf(err, errlen, "empty element");
			return -1;
		}
		if (ruleset_parse_port_item(p, &r[n], err, errlen) < 0)
			return -1;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	qsort(r, n, sizeof(r[0]), ruleset_port_cmp);
	m = 0;
	for (i = 1; i < n; i++) {
		if ((unsigned int)r[i].first <= (unsigned int)r[m].last + 1) {
			if (r[i].last > r[m].last)
				r[m].last = r[i].last;
		} else {
			r[++m] = r[i];
		}
	}
	o->nports = m + 1;
	memcpy(o->ports, r, o->nports * sizeof(r[0]));
	return 0;
}

int ruleset_parse_queue(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	const char *errstr = NULL;
	uint16_t first;
	uint16_t last;

	if (strnum_range(s, &first, &last, &errstr) < 0) {
		snprintf(err, errlen, "%s", errstr);
		return -1;
	}
	o->queue_first = first;
	o->queue_last = last;
	return 0;
}

/* Mark 0 is refused: "meta mark 0 notrack" would untrack every unmarked packet we send. */
int ruleset_parse_mark(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	const char *errstr;
	long long v;

	v = strnum_parse(s, 1, UINT32_MAX, &errstr);
	if (errstr != NULL) {
		snprintf(err, errlen, "%s", errstr);
		return -1;
	}
	o->mark = (uint32_t)v;
	return 0;
}

int ruleset_parse_queue_expr(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "auto") == 0)
		o->expr = RULESET_QUEUE_AUTO;
	else if (strcmp(s, "native") == 0)
		o->expr = RULESET_QUEUE_NATIVE;
	else if (strcmp(s, "xt") == 0)
		o->expr = RULESET_QUEUE_XT;
	else {
		snprintf(err, errlen, "not auto, native or xt");
		return -1;
	}
	return 0;
}

int ruleset_parse_own(struct ruleset_opts *o, const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "auto") == 0)
		o->own = RULESET_OWN_AUTO;
	else if (strcmp(s, "yes") == 0)
		o->own = RULESET_OWN_YES;
	else if (strcmp(s, "no") == 0)
		o->own = RULESET_OWN_NO;
	else {
		snprintf(err, errlen, "not auto, yes or no");
		return -1;
	}
	return 0;
}

const char *ruleset_own_name(enum ruleset_own own)
{
	switch (own) {
	case RULESET_OWN_YES:
		return "yes";
	case RULESET_OWN_NO:
		return "no";
	default:
		return "auto";
	}
}

const char *ruleset_queue_expr_name(enum ruleset_queue_expr e)
{
	switch (e) {
	case RULESET_QUEUE_NATIVE:
		return "native";
	case RULESET_QUEUE_XT:
		return "xt";
	default:
		return "auto";
	}
}

void ruleset_ports_text(const struct ruleset_opts *o, const char *sep, char *out, size_t outlen)
{
	size_t off = 0;
	unsigned int i;
	int n;

	out[0] = '\0';
	for (i = 0; i < o->nports && off < outlen; i++) {
		if (o->ports[i].first == o->ports[i].last)
			n = snprintf(out + off, outlen - off, "%s%u", i ? sep : "",
				     o->ports[i].first);
		else
			n = snprintf(out + off, outlen - off, "%s%u-%u", i ? sep : "",
				     o->ports[i].first, o->ports[i].last);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void ruleset_describe(const struct ruleset_opts *o, const char *via, char *out, size_t outlen)
{
	char ports[RULESET_PORTS_MAX * 12];
	char queue[32];

	ruleset_ports_text(o, ",", ports, sizeof(ports));
	if (o->queue_first == o->queue_last)
		snprintf(queue, sizeof(queue), "%u", o->queue_first);
	else
		snprintf(queue, sizeof(queue), "%u-%u by address", o->queue_first, o->queue_last);
	snprintf(out, outlen, "queue %s%s%s, ports %s, %s, mark 0x%08x%s", queue,
		 via != NULL ? " via " : "", via != NULL ? via : "", ports,
		 o->fail_open ? "fail-open" : "fail-closed", o->mark,
		 o->rpf ? ", reverse-path check" : ", no reverse-path check");
}
