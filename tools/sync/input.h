/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftarpit-sync's log readers: files from where they stopped, stdin, the journal. */
#ifndef NFTARPIT_INPUT_H
#define NFTARPIT_INPUT_H

#include <stdint.h>

#include "cidr.h"
#include "mlog.h"
#include "state.h"

/* Counters for the summary line. */
struct input_counts {
	uint64_t lines;	  /* log lines read */
	uint64_t bytes;	  /* log bytes read */
	uint64_t hits;	  /* lines naming a spam source */
	uint64_t bad;	  /* rejected lines (logs and lists, listread.h) */
	uint64_t entries; /* list entries read (listread.h) */
	/* Lines holding a pattern's text outside its program's structure (ignored). */
	uint64_t unstructured;
};

/* Called for every hit; returns 0, or -1 to stop reading (out of memory). */
typedef int (*input_hit_fn)(const struct mlog_hit *hit, void *arg);

/*
 * Read the log file path from where pos says the last run stopped (all of it on the first
 * run). A new inode means rotation: the rest of the old file is read from path.1 when it is
 * the same inode, then the new file from its start. A file shorter than the offset, or
 * whose first bytes changed, was truncated in place (copytruncate) and is read from its
 * start. Only complete lines are consumed; pos is advanced past them. 0, or -1 (logged).
 */
int input_read_log(const char *path, struct state_pos *pos, const struct mlog_opts *o,
		   input_hit_fn fn, void *arg, struct input_counts *n);

/* Read a stream to its end (stdin for "-"). 0 or -1. */
int input_read_fd(int fd, const char *name, const struct mlog_opts *o, input_hit_fn fn, void *arg,
		  struct input_counts *n);

/*
 * Read the journal entries after cursor (all if empty) that match matches and trust
 * (FIELD=value each; values of one field are alternatives, every field named must hold),
 * and store the new cursor. trust names fields journald sets from the kernel (_SYSTEMD_UNIT,
 * _UID, _COMM, _TRANSPORT): SYSLOG_IDENTIFIER, which any local user sets, only narrows
 * them, and is the program tag handed to mlog_parse_msg(). file: a journal file to read
 * instead of the system journal (NULL or "" for the system journal). With wait_ms > 0, first
 * wait up to that long for new entries (follow mode); with *jp, keep the journal open
 * between calls. 0 or -1.
 */
struct input_journal;
int input_read_journal(struct input_journal **jp, const char *file, char matches[][128],
		       unsigned int nmatches, char trust[][128], unsigned int ntrust, char *cursor,
		       size_t cursorlen, int wait_ms, const struct mlog_opts *o, input_hit_fn fn,
		       void *arg, struct input_counts *n);
void input_journal_close(struct input_journal *j);

#endif
