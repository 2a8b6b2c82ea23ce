/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure decision: a parsed packet -> the reply it gets, or silence. No syscalls. */
#ifndef NFTARPIT_TARPIT_H
#define NFTARPIT_TARPIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cookie.h"
#include "pkt.h"

enum tarpit_action {
	TARPIT_NONE = 0, /* drop silently; reason says why */
	TARPIT_SYNACK,	 /* accept the connection with a zero (or tiny) window */
	TARPIT_RST,	 /* answer a SYN-ACK we never asked for: anti-spoofing */
	TARPIT_ACK,	 /* hold: acknowledge nothing new, window 0 */
};

/* Why a packet got no reply; each is a counter. */
enum tarpit_reason {
	TARPIT_R_REPLIED = 0,
	TARPIT_R_RST,		/* never answer a reset */
	TARPIT_R_FIN,		/* close attempts are ignored, the peer times out */
	TARPIT_R_NOFLAGS,	/* neither SYN nor ACK */
	TARPIT_R_BADADDR,	/* broadcast, multicast, loopback, unspecified */
	TARPIT_R_COOKIE,	/* an ACK for a handshake we did not make */
	TARPIT_R_PURE_ACK,	/* the handshake's last ACK or a duplicate: needs no reply */
	TARPIT_R_OUT_OF_WINDOW, /* a sequence number no peer of ours can have */
	TARPIT_R_SYN_ACKED,	/* a SYN with ACK set on a held flow's tuple: stray */
	TARPIT_R_MAX,
};

struct tarpit_cfg {
	uint16_t syn_window; /* window in our SYN-ACK; 0 puts the peer straight into persist */
	uint16_t mss;	     /* MSS we announce, when the SYN carried options */
	struct cookie_key key;
};

struct tarpit_reply {
	enum tarpit_action action;
	enum tarpit_reason reason;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;
	uint16_t mss; /* 0: no MSS option */
	uint8_t flags;
	const uint8_t *payload; /* SMTP bytes of a held flow, else NULL */
	uint16_t paylen;
};

/* Decide the reply to a packet that parsed as PKT_OK and whose checksum is trusted. */
void tarpit_decide(const struct tarpit_cfg *cfg, const struct pkt *p, struct tarpit_reply *r);

/*
 * Decide the reply to a packet of a held flow whose state we keep: the peer's snd_una is
 * known exactly and our sequence number has moved by the bytes we sent. Sets *end when
 * the peer ended the flow (RST or FIN): silence, and the caller forgets the flow.
 */
void tarpit_decide_flow(const struct pkt *p, uint32_t peer_una, uint32_t our_nxt,
			struct tarpit_reply *r, bool *end);

/* True when a cookie-valid segment may open a flow record: the handshake's ACK or a probe. */
bool tarpit_opens_flow(const struct pkt *p, uint32_t peer_una);

const char *tarpit_reason_name(enum tarpit_reason reason);

#endif
