// SPDX-License-Identifier: GPL-2.0-or-later
/* Why an address was banned: the reasons the mail log readers give, with their names. Pure. */
#include "reason.h"

#include <stdio.h>
#include <string.h>

static const char *const reason_names[] = {
#define REASON_NAME(id, name) name,
	REASON_LIST(REASON_NAME)
#undef REASON_NAME
};

const char *reason_name(enum reason r)
{
	return r < REASON_N ? reason_names[r] : "?";
}

int reason_parse_list(const char *s, unsigned int *mask, char *err, size_t errlen)
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
		for (i = 0; i < REASON_N; i++) {
			if (strlen(reason_names[i]) == n && strncmp(p, reason_names[i], n) == 0)
				break;
		}
		if (i == REASON_N) {
			snprintf(err, errlen,
				 "unknown pattern \"%.*s\" (rbl, access, dnsbl, "
				 "pregreet, amavis, rspamd, exim-dnsbl, exim-pregreet, trap, "
				 "custom)",
				 (int)n, p);
			return -1;
		}
		m |= 1u << i;
		p = end;
	}
	*mask = m;
	return 0;
}
