/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one config file, /etc/nftarpit/nftarpit.conf: read one section, errors as file:line. */
#ifndef NFTARPIT_CONFFILE_H
#define NFTARPIT_CONFFILE_H

#include <stdbool.h>

#include "config.h"

#define CONFFILE_DEFAULT_PATH NFTARPIT_SYSCONFDIR "/nftarpit/nftarpit.conf"

/* Apply one key = value of the section; NULL, or the reason it is refused. */
typedef const char *(*conffile_set_fn)(void *arg, const char *key, const char *value);

/*
 * Read section `section` of path with inih and pass each of its keys to set(). The file's
 * other known sections ([daemon], [sync], [ruleset]) belong to the other programs and are
 * skipped; any other section is an error. Every error is logged once as
 * "path:line: key = value: reason" (or "path:line: unknown section [x]", "path:line: syntax
 * error"); one bad line does not stop the others from being checked. Returns the number of
 * errors, or -1 with errno when the file cannot be opened.
 */
int conffile_load(const char *path, const char *section, conffile_set_fn set, void *arg);

/*
 * Another section of a file conffile_load() has read already: only the bad keys of this
 * section are reported (unknown sections and syntax errors were, by the first pass).
 */
int conffile_load_more(const char *path, const char *section, conffile_set_fn set, void *arg);

/* yes/no, true/false, 1/0 into *out; NULL, or the reason. */
const char *conffile_bool(const char *v, bool *out);

#endif
