// SPDX-License-Identifier: GPL-2.0-or-later
/* [sync] trap: the spamtrap recipients, which no real sender ever writes to. Pure. */
#include "trap_list.h"

#include <string.h>
#include <strings.h>

const char *trap_list_add(struct trap_list *t, const char *addr)
{
	size_t n = strlen(addr);
	const char *at = strchr(addr, '@');

	if (n == 0 || n >= sizeof(t->addr[0]))
		return "empty or too long";
	if (strpbrk(addr, "<>\"()[]\\: \t,;") != NULL)
		return "not a plain address local@domain";
	if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return "not a plain address local@domain";
	if (t->n == TRAP_MAX)
		return "too many traps";
	memcpy(t->addr[t->n++], addr, n + 1);
	return NULL;
}

bool trap_list_match(const struct trap_list *t, const char *p, size_t n)
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		if (strlen(t->addr[i]) == n && strncasecmp(t->addr[i], p, n) == 0)
			return true;
	}
	return false;
}
