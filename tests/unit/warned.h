/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Warnings captured into warned[] (the test links with -Wl,--wrap=log_warnx), so a test can
 * check the file:line and the reason they name. Include once, in the test's one file.
 */
#ifndef NFTARPIT_TEST_WARNED_H
#define NFTARPIT_TEST_WARNED_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void __wrap_log_warnx(const char *fmt, ...);
static char warned[4096];

void __wrap_log_warnx(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(warned);

	va_start(ap, fmt);
	vsnprintf(warned + n, sizeof(warned) - n, fmt, ap);
	va_end(ap);
	n = strlen(warned);
	snprintf(warned + n, sizeof(warned) - n, "\n");
}

#endif
