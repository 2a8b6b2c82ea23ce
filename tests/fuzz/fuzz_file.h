/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For targets whose parser reads a path: the input written to a file of their own. */
#ifndef NFTARPIT_FUZZ_FILE_H
#define NFTARPIT_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A private directory (under $TMPDIR, /dev/shm when unset: fsync costs nothing there),
 * made at the first call and removed at exit; name is a file name inside it. Writes
 * data to it and returns its path (static), or aborts when the file cannot be written.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* The path of name in the same directory, not written. */
const char *fuzz_path(const char *name);

#endif
