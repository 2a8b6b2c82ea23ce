/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One logging module for every nftarpit program: stderr in the foreground, syslog otherwise. */
#ifndef NFTARPIT_LOG_H
#define NFTARPIT_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

/* Where log lines go: stderr (foreground, journald captures it) or syslog. */
void log_init(const char *ident, bool to_stderr, int verbose);
void log_set_verbose(int verbose);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
