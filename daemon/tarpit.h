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

/*
 * Why a packet got no reply; each is a counter. One list makes the enum and the name
 * table, so a reason can never lack its name (the daemon once printed "(null)=N").
 */
#define TARPIT_REASONS(X)                                             \
	X(REPLIED, "replied")                                         \
	/* never answer a reset */                                    \
	X(RST, "rst")                                                 \
	/* close attempts are ignored, the peer times out */          \
	X(FIN, "fin")                                                 \
	/* neither SYN nor ACK */                                     \
	X(NOFLAGS, "noflags")                                         \
	/* broadcast, multicast, loopback, unspecified */             \
	X(BADADDR, "badaddr")                                         \
	/* an ACK for a handshake we did not make */                  \
	X(COOKIE, "cookie_bad")                                       \
	/* the handshake's last ACK or a duplicate: needs no reply */ \
	X(PURE_ACK, "pure_ack")                                       \
	/* a sequence number no peer of ours can have */              \
	X(OUT_OF_WINDOW, "out_of_window")                             \
	/* a SYN with ACK set on a held flow's tuple: stray */        \
	X(SYN_ACKED, "syn_acked")

#define TARPIT_REASON_ENUM(e, name) TARPIT_R_##e,
enum tarpit_reason {
	TARPIT_REASONS(TARPIT_REASON_ENUM) TARPIT_R_MAX,
};
#undef TARPIT_REASON_ENUM

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
