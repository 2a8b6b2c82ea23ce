/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The endless SMTP reply a held flow is fed, one byte at a time: pure, from an offset. */
#ifndef NFTARPIT_SMTP_H
#define NFTARPIT_SMTP_H

#include <stddef.h>
#include <stdint.h>

#define SMTP_GREETING_MAX 128

struct smtp_text {
	char greeting[SMTP_GREETING_MAX]; /* "220 host ESMTP\r\n" */
	size_t greeting_len;
	char first[SMTP_GREETING_MAX]; /* "250-host\r\n", the EHLO reply's first line */
	size_t first_len;
	char host[64];
};

/* Build the greeting for hostname (cut to 63 bytes, printable characters only). */
void smtp_text_init(struct smtp_text *s, const char *hostname);

/*
 * Copy up to max bytes of the stream starting at offset into out; returns the count.
 * The stream is the greeting, then an EHLO reply that never ends: "250-" lines naming
 * common extensions, over and over, and never the final "250 " line. A client that has
 * written its EHLO (stuck in our zero window) reads this reply a byte at a time, and each
 * byte restarts its per-read timeout.
 */
size_t smtp_stream(const struct smtp_text *s, uint32_t offset, uint8_t *out, size_t max);

#endif
