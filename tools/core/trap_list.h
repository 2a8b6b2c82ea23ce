/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [sync] trap: the spamtrap recipients, which no real sender ever writes to. Pure. */
#ifndef NFTARPIT_TRAP_LIST_H
#define NFTARPIT_TRAP_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRAP_MAX 64
#define TRAP_LEN 256

struct trap_list {
	unsigned int n;
	int64_t bantime; /* 0: the general bantime */
	char addr[TRAP_MAX][TRAP_LEN];
};

/* Add one trap address (local@domain, no '<', '>', space or quote); NULL or the reason. */
const char *trap_list_add(struct trap_list *t, const char *addr);

/* Whether the n bytes at p are exactly one of the traps (ASCII case-insensitive). */
bool trap_list_match(const struct trap_list *t, const char *p, size_t n);

#endif
