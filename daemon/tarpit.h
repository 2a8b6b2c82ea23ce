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

/* A held flow's record, as the decisions below read it. */
struct tarpit_flow {
	uint32_t isn;	   /* our initial sequence number */
	uint32_t peer_una; /* the peer's ISN + 1: rcv_nxt, the one number it may use */
	uint32_t sent;	   /* payload bytes we sent: our next byte is isn + 1 + sent */
	uint8_t lag;	   /* bytes sent and not yet acknowledged, saturating at 255 */
};

/* What a segment does to its held flow, besides the reply. */
struct tarpit_flow_step {
	bool end;	/* the peer ended the flow (in-window RST or FIN): forget it */
	bool challenge; /* the reply is an RFC 5961 challenge ACK: it costs a budget token */
	bool accepted;	/* an in-window segment: the flow saw its peer (idle clock) */
	uint8_t lag;	/* the flow's lag after this segment */
};

/*
 * Decide the reply to a segment on a held flow's tuple, RFC 5961's way: the state changes
 * only on a segment an off-path sender cannot make without the sequence number. An RST or
 * a FIN ends the flow only at seq = peer_una (rcv_nxt; our window is 0, so no other number
 * is in the window); any other RST or FIN, and a SYN, gets a challenge ACK: the true peer
 * answers it (with an exact RST if its side is gone), a spoofer learns nothing. Pure.
 */
void tarpit_decide_flow(const struct pkt *p, const struct tarpit_flow *f, struct tarpit_reply *r,
			struct tarpit_flow_step *step);

/*
 * The flow's lag after an in-window ACK p: what we sent minus what p acknowledges, when p
 * acknowledges something we sent (saturating); else the old lag. Pure.
 */
uint8_t tarpit_flow_lag(const struct pkt *p, const struct tarpit_flow *f);

/*
 * The most drip bytes a segment without a record may claim to have acknowledged: the
 * caller's bound (smtp_max_bytes) is cut to this, so a huge setting cannot widen the set
 * of acknowledgement numbers a spoofer may hit (SECURITY.md).
 */
#define TARPIT_ADOPT_MAX_OFFSET 65536u

/* Tuples a worker remembers answering a SYN for: one bit each, indexed by the keyed hash. */
#define TARPIT_SYN_SEEN_BITS (1u << 20)

/* What tarpit_adopt found out about a segment on a tuple we keep no record of. */
struct tarpit_adoption {
	uint32_t isn;	   /* our ISN for the tuple */
	uint32_t peer_una; /* the peer's ISN + 1 */
	uint32_t offset;   /* drip bytes the peer has acknowledged: the stream resumes here */
	bool readopted;	   /* a probe or drip bytes acknowledged: held before (a restart) */
};

/*
 * May a cookie-valid segment on a tuple without a record open one, and where does its drip
 * stand? Accepts a plain ACK (no SYN, RST, FIN) whose acknowledgement lies in ISN + 1 ..
 * ISN + 1 + max_offset (cut to TARPIT_ADOPT_MAX_OFFSET) for the ISN our SYN-ACK had: the
 * handshake's ACK or a probe at offset 0 as before, and after a restart (no record, same
 * key) a probe of a flow whose drip had reached that offset. syn_seen (TARPIT_SYN_SEEN_BITS
 * bits, or NULL) marks the tuples this run answered a SYN for; it settles the rare segment
 * that reads both as a handshake's ACK and as a probe further on. Pure.
 */
bool tarpit_adopt(const struct tarpit_cfg *cfg, const struct pkt *p, uint32_t max_offset,
		  const uint8_t *syn_seen, struct tarpit_adoption *a);

/* Remember that a SYN-ACK with our ISN isn went out (for tarpit_adopt's syn_seen). */
void tarpit_syn_seen_mark(uint8_t *syn_seen, uint32_t isn);

const char *tarpit_reason_name(enum tarpit_reason reason);

#endif
