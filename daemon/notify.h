/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's notify protocol (Type=notify): ready, status, watchdog, reloading, stopping. */
#ifndef NFTARPIT_NOTIFY_H
#define NFTARPIT_NOTIFY_H

/*
 * Every call is a no-op outside systemd (no $NOTIFY_SOCKET), and a failed send is only
 * logged at debug level: the daemon's work never depends on the service manager.
 */

/* Read the watchdog interval ($WATCHDOG_USEC) once, at start. */
void notify_init(void);

/* READY=1 with a STATUS= line: the queues are bound, packets are being answered. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A STATUS= line alone. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 before re-reading the config; notify_ready() when done. */
void notify_reloading(void);

/* STOPPING=1 as shutdown starts. */
void notify_stopping(void);

/*
 * The poll timeout for the main loop: timeout_ms (-1: none) shortened so that the loop
 * wakes in time for the next watchdog ping.
 */
int notify_timeout(int timeout_ms);

/* WATCHDOG=1 when half the interval has passed since the last one; call after each poll. */
void notify_watchdog(void);

#endif
