// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: nftarpit-sync's state file through state_load(). It never crashes;
 * what it accepts must save and load back to the same entries, positions and cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *err)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st, back;
	char err[512];
	const char *in;
	char out[4096];
	size_t i;
	int rc;

	if (size > 64 * 1024)
		return 0;
	in = fuzz_file("in.state", data, size);
	state_init(&st);
	err[0] = '\0';
	rc = state_load(&st, in, err, sizeof(err));
	check(memchr(err, '\0', sizeof(err)) != NULL, "error text unterminated", "");
	if (rc < 0) {
		check(err[0] != '\0', "refused without a reason", "");
		state_free(&st);
		return 0;
	}
	snprintf(out, sizeof(out), "%s", fuzz_path("out.state"));
	check(state_save(&st, out, err, sizeof(err)) == 0, "what loads does not save", err);
	state_init(&back);
	check(state_load(&back, out, err, sizeof(err)) == 0, "what we saved does not load", err);
	check(back.n == st.n && back.npos == st.npos && strcmp(back.cursor, st.cursor) == 0 &&
		      back.nesc == st.nesc && back.admin.n == st.admin.n,
	      "save and load do not round-trip", "");
	for (i = 0; i < st.nesc; i++)
		check(memcmp(&st.esc[i], &back.esc[i], sizeof(st.esc[i])) == 0,
		      "an escalation changed through save and load", "");
	for (i = 0; i < st.n; i++) {
		const struct state_entry *a = &st.e[i];
		const struct state_entry *b = state_find(&back, a->family, &a->addr, a->prefix);

		check(b != NULL && b->expires == a->expires && b->hits == a->hits &&
			      b->bans == a->bans && b->last == a->last &&
			      cidr_addr_cmp(&b->seen, &a->seen) == 0,
		      "an entry changed through save and load", "");
	}
	state_free(&back);
	state_free(&st);
	return 0;
}
