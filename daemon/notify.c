// SPDX-License-Identifier: GPL-2.0-or-later
/* systemd's notify protocol (Type=notify): ready, status, watchdog, reloading, stopping. */
#include "notify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

/* Half the watchdog interval in ms (0: no watchdog), and when the next ping is due. */
static int64_t notify_half_ms;
static int64_t notify_next_ms;

static int64_t notify_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void notify_send(const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0)
		log_debug("sd_notify %s: %s", msg, strerror(-r));
}

void notify_init(void)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec);

	if (r <= 0 || usec == 0)
		return;
	/* Ping at half the interval, as sd_watchdog_enabled(3) advises; at least every ms. */
	notify_half_ms = (int64_t)(usec / 2000);
	if (notify_half_ms < 1)
		notify_half_ms = 1;
	notify_next_ms = notify_now_ms();
	log_info("watchdog interval=%llums ping_every=%lldms", (unsigned long long)(usec / 1000),
		 (long long)notify_half_ms);
}

static void notify_vsend(const char *prefix, const char *fmt, va_list ap)
{
	char status[256];
	char msg[300];

	vsnprintf(status, sizeof(status), fmt, ap);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, status);
	notify_send(msg);
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_vsend("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_vsend("", fmt, ap);
	va_end(ap);
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	/* MONOTONIC_USEC lets a newer systemd (Type=notify-reload) match this reload. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nSTATUS=reloading the config\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping");
}

int notify_timeout(int timeout_ms)
{
	int64_t left;

	if (notify_half_ms == 0)
		return timeout_ms;
	left = notify_next_ms - notify_now_ms();
	if (left < 0)
		left = 0;
	if (timeout_ms >= 0 && timeout_ms < left)
		return timeout_ms;
	return (int)left;
}

void notify_watchdog(void)
{
	int64_t now;

	if (notify_half_ms == 0)
		return;
	now = notify_now_ms();
	if (now < notify_next_ms)
		return;
	notify_send("WATCHDOG=1");
	notify_next_ms = now + notify_half_ms;
}
