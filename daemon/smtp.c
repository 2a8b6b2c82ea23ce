// SPDX-License-Identifier: GPL-2.0-or-later
/* The endless SMTP reply a held flow is fed, one byte at a time: pure, from an offset. */
#include "smtp.h"

#include <stdio.h>
#include <string.h>

/* What a Postfix EHLO reply lists; the cycle repeats, so the reply has no end. */
static const char *const smtp_lines[] = {
	"250-PIPELINING\r\n", "250-SIZE 10240000\r\n", "250-VRFY\r\n",
	"250-ETRN\r\n",	      "250-STARTTLS\r\n",      "250-ENHANCEDSTATUSCODES\r\n",
	"250-8BITMIME\r\n",   "250-DSN\r\n",	       "250-SMTPUTF8\r\n",
	"250-CHUNKING\r\n",
};

void smtp_text_init(struct smtp_text *s, const char *hostname)
{
	size_t i;
	size_t n = 0;

	for (i = 0; hostname[i] != '\0' && n < sizeof(s->host) - 1; i++) {
		char c = hostname[i];

		if (c > ' ' && c < 127)
			s->host[n++] = c;
	}
	s->host[n] = '\0';
	if (n == 0)
		memcpy(s->host, "localhost", sizeof("localhost"));
	s->greeting_len =
		(size_t)snprintf(s->greeting, sizeof(s->greeting), "220 %s ESMTP\r\n", s->host);
	s->first_len = (size_t)snprintf(s->first, sizeof(s->first), "250-%s\r\n", s->host);
}

static size_t smtp_cycle_len(void)
{
	size_t len = 0;
	size_t i;

	for (i = 0; i < sizeof(smtp_lines) / sizeof(smtp_lines[0]); i++)
		len += strlen(smtp_lines[i]);
	return len;
}

static uint8_t smtp_cycle_byte(size_t pos)
{
	size_t i;

	for (i = 0; i < sizeof(smtp_lines) / sizeof(smtp_lines[0]); i++) {
		size_t len = strlen(smtp_lines[i]);

		if (pos < len)
			return (uint8_t)smtp_lines[i][pos];
		pos -= len;
	}
	return '\n';
}

size_t smtp_stream(const struct smtp_text *s, uint32_t offset, uint8_t *out, size_t max)
{
	size_t cycle = smtp_cycle_len();
	size_t n;

	for (n = 0; n < max; n++) {
		uint64_t pos = (uint64_t)offset + n;

		if (pos < s->greeting_len)
			out[n] = (uint8_t)s->greeting[pos];
		else if (pos < s->greeting_len + s->first_len)
			out[n] = (uint8_t)s->first[pos - s->greeting_len];
		else
			out[n] = smtp_cycle_byte(
				(size_t)((pos - s->greeting_len - s->first_len) % cycle));
	}
	return n;
}
