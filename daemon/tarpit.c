// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure decision: a parsed packet -> the reply it gets, or silence. No syscalls. */
#include "tarpit.h"

#include <string.h>

static void tarpit_silent(struct tarpit_reply *r, enum tarpit_reason reason)
{
	r->action = TARPIT_NONE;
	r->reason = reason;
}

/* The sequence numbers a peer of our zero window may send: una, or una - 1 (a probe). */
static bool tarpit_seq_in_window(uint32_t seq, uint32_t una)
{
	return seq == una || seq == una - 1;
}

/* The ACK rows of the table below, shared by the stateless and the stateful path. */
static void tarpit_decide_ack(const struct pkt *p, uint32_t una, uint32_t our_nxt,
			      struct tarpit_reply *r)
{
	if (p->seq == una && p->paylen == 0) {
		tarpit_silent(r, TARPIT_R_PURE_ACK);
		return;
	}
	if (!tarpit_seq_in_window(p->seq, una)) {
		tarpit_silent(r, TARPIT_R_OUT_OF_WINDOW);
		return;
	}
	r->action = TARPIT_ACK;
	r->seq = our_nxt;
	r->ack = una;
	r->window = 0;
	r->flags = PKT_TCP_ACK;
}

/*
 * The decision table (improving on xt_TARPIT's tarpit mode):
 *   RST                      -> nothing (never answer a reset)
 *   SYN (no ACK, no FIN)     -> SYN-ACK, seq = keyed cookie, window cfg->syn_window (0 by
 *                               default: the peer may send nothing and enters persist)
 *   SYN+ACK                  -> RST with seq = their ack: we never sent a SYN (spoofed
 *                               backscatter), as xt_TARPIT
 *   FIN                      -> nothing: close attempts are ignored
 *   ACK, cookie valid:
 *     seq = una - 1          -> ACK (Linux window/keepalive probe): answering with
 *                               ack = una resets the peer's probe counter, so it keeps
 *                               probing forever; xt_TARPIT's ack = seq is an old ACK
 *                               that Linux ignores, and the peer gives up after
 *                               tcp_retries2 probes
 *     seq = una, data        -> ACK (BSD/Windows one-byte probe, or data pushed into a
 *                               non-zero SYN-ACK window): ack = una, none of it accepted
 *     seq = una, no data     -> nothing: the handshake's final ACK needs no answer, and
 *                               answering duplicates would start an ACK ping-pong
 *   ACK, cookie invalid      -> nothing: not our handshake (spoofed, or a flow from
 *                               before the source was blocklisted, or from before a
 *                               restart with a new key)
 * Every reply carries window 0 except the SYN-ACK's configured window.
 */
void tarpit_decide(const struct tarpit_cfg *cfg, const struct pkt *p, struct tarpit_reply *r)
{
	uint32_t una;

	memset(r, 0, sizeof(*r));
	if (pkt_addr_unreplyable(p->family, p->saddr) ||
	    pkt_addr_unreplyable(p->family, p->daddr)) {
		tarpit_silent(r, TARPIT_R_BADADDR);
		return;
	}
	if (p->flags & PKT_TCP_RST) {
		tarpit_silent(r, TARPIT_R_RST);
		return;
	}
	if (p->flags & PKT_TCP_FIN) {
		tarpit_silent(r, TARPIT_R_FIN);
		return;
	}
	if (p->flags & PKT_TCP_SYN) {
		if (p->flags & PKT_TCP_ACK) {
			r->action = TARPIT_RST;
			r->seq = p->ack;
			r->ack = 0;
			r->window = 0;
			r->flags = PKT_TCP_RST;
			return;
		}
		r->action = TARPIT_SYNACK;
		r->seq = cookie_isn(&cfg->key, p);
		r->ack = p->seq + 1;
		r->window = cfg->syn_window;
		r->flags = PKT_TCP_SYN | PKT_TCP_ACK;
		/*
		 * An MSS option makes us look like a real stack, but it adds 4 bytes; only
		 * send it when the SYN had options too, so no reply is larger than its cause.
		 */
		if (p->doff >= 24)
			r->mss = (p->mss != 0 && p->mss < cfg->mss) ? p->mss : cfg->mss;
		return;
	}
	if (!(p->flags & PKT_TCP_ACK)) {
		tarpit_silent(r, TARPIT_R_NOFLAGS);
		return;
	}
	if (!cookie_check(&cfg->key, p, &una)) {
		tarpit_silent(r, TARPIT_R_COOKIE);
		return;
	}
	tarpit_decide_ack(p, una, p->ack, r);
}

/* Acknowledge peer_una from our next byte, window 0: the held flow's only reply. */
static void tarpit_flow_ack(const struct tarpit_flow *f, struct tarpit_reply *r)
{
	r->action = TARPIT_ACK;
	r->reason = TARPIT_R_REPLIED;
	r->seq = f->isn + 1 + f->sent;
	r->ack = f->peer_una;
	r->window = 0;
	r->flags = PKT_TCP_ACK;
}

uint8_t tarpit_flow_lag(const struct pkt *p, const struct tarpit_flow *f)
{
	uint32_t acked = p->ack - (f->isn + 1);

	if (!(p->flags & PKT_TCP_ACK) || acked > f->sent)
		return f->lag;
	return (uint8_t)(f->sent - acked < 255 ? f->sent - acked : 255);
}

/*
 *   RST, seq = peer_una      -> end, silent (what the peer's kernel sends for our byte
 *                               reaching a socket it closed: seq = our segment's ack)
 *   FIN, seq = peer_una      -> end, silent (the peer gave up; its retries get silence)
 *   RST or FIN, other seq    -> challenge ACK (RFC 5961 3.2): an off-path guess of the
 *                               tuple no longer releases the flow
 *   SYN                      -> challenge ACK (RFC 5961 4.2): if the peer really started
 *                               over, its kernel answers our ACK with an RST at exactly
 *                               peer_una, which ends the flow; a spoofed SYN ends nothing
 *   SYN+ACK                  -> nothing: stray, and never worth a reply
 *   ACK                      -> as tarpit_decide's ACK rows against the record; only an
 *                               in-window one moves the lag (what the peer has of ours)
 */
void tarpit_decide_flow(const struct pkt *p, const struct tarpit_flow *f, struct tarpit_reply *r,
			struct tarpit_flow_step *step)
{
	memset(r, 0, sizeof(*r));
	memset(step, 0, sizeof(*step));
	step->lag = f->lag;
	if (p->flags & (PKT_TCP_RST | PKT_TCP_FIN)) {
		if (p->seq == f->peer_una) {
			tarpit_silent(r, (p->flags & PKT_TCP_RST) ? TARPIT_R_RST : TARPIT_R_FIN);
			step->end = true;
			step->accepted = true;
			return;
		}
		tarpit_flow_ack(f, r);
		step->challenge = true;
		return;
	}
	if (p->flags & PKT_TCP_SYN) {
		if (p->flags & PKT_TCP_ACK) {
			tarpit_silent(r, TARPIT_R_SYN_ACKED);
			return;
		}
		tarpit_flow_ack(f, r);
		step->challenge = true;
		return;
	}
	if (!(p->flags & PKT_TCP_ACK)) {
		tarpit_silent(r, TARPIT_R_NOFLAGS);
		return;
	}
	tarpit_decide_ack(p, f->peer_una, f->isn + 1 + f->sent, r);
	if (tarpit_seq_in_window(p->seq, f->peer_una)) {
		step->accepted = true;
		step->lag = tarpit_flow_lag(p, f);
	}
}

/* The syn_seen bit of a tuple: the ISN's top 24 bits are its keyed hash. */
static uint32_t tarpit_syn_seen_bit(uint32_t isn)
{
	return (isn >> 8) & (TARPIT_SYN_SEEN_BITS - 1);
}

void tarpit_syn_seen_mark(uint8_t *syn_seen, uint32_t isn)
{
	uint32_t b = tarpit_syn_seen_bit(isn);

	syn_seen[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static bool tarpit_syn_seen(const uint8_t *syn_seen, uint32_t isn)
{
	uint32_t b = tarpit_syn_seen_bit(isn);

	return syn_seen != NULL && (syn_seen[b >> 3] & (1u << (b & 7))) != 0;
}

/* One reading of a segment: the peer's una is una; our ISN follows from its low byte. */
static void tarpit_reading(const struct tarpit_cfg *cfg, const struct pkt *p, uint32_t una,
			   struct tarpit_adoption *a)
{
	a->peer_una = una;
	a->isn = cookie_isn_peer(&cfg->key, p, una - 1);
	a->offset = p->ack - 1 - a->isn;
}

/*
 * Without a record the peer's una is either seq (the handshake's ACK, a pure ACK, a BSD
 * probe or data: one byte or more at una) or seq + 1 (a Linux window or keepalive probe
 * at una - 1). The ISN's low byte carries the peer's ISN, so each reading gives its own
 * ISN and offset. At offset 0 the ISN is pinned by the acknowledgement alone and either
 * reading is taken, exactly as before re-adoption existed. Beyond it the segment's shape
 * decides: with no payload a probe (after a restart we have sent the peer nothing it could
 * answer with a pure ACK), with payload data at una. The two readings differ in the ISN's
 * low byte only, so they can clash: about half of all handshake ACKs also read as a probe
 * within the bound, and a probe at an odd offset below 256 now and then reads as a
 * handshake's ACK. The tuple's syn_seen bit settles it: set, this run sent the SYN-ACK (a
 * new connection); clear, the flow is from before the restart. A bit set by another tuple
 * (a SYN flood fills the map) only brings back the old rule, offset 0 first.
 */
bool tarpit_adopt(const struct tarpit_cfg *cfg, const struct pkt *p, uint32_t max_offset,
		  const uint8_t *syn_seen, struct tarpit_adoption *a)
{
	struct tarpit_adoption at_una;
	struct tarpit_adoption below;
	const struct tarpit_adoption *zero = NULL;
	const struct tarpit_adoption *shaped;

	memset(a, 0, sizeof(*a));
	if ((p->flags & (PKT_TCP_ACK | PKT_TCP_SYN | PKT_TCP_RST | PKT_TCP_FIN)) != PKT_TCP_ACK)
		return false;
	if (max_offset > TARPIT_ADOPT_MAX_OFFSET)
		max_offset = TARPIT_ADOPT_MAX_OFFSET;
	tarpit_reading(cfg, p, p->seq, &at_una);
	tarpit_reading(cfg, p, p->seq + 1, &below);
	if (at_una.offset == 0)
		zero = &at_una;
	else if (below.offset == 0)
		zero = &below;
	shaped = p->paylen > 0 ? &at_una : &below;
	if (shaped->offset == 0 || shaped->offset > max_offset)
		shaped = NULL;
	if (zero != NULL && (shaped == NULL || tarpit_syn_seen(syn_seen, zero->isn)))
		*a = *zero;
	else if (shaped != NULL)
		*a = *shaped;
	else
		return false;
	/* A probe, or bytes of ours acknowledged: a flow held before we had its record. */
	a->readopted = a->offset != 0 || a->peer_una != p->seq;
	return true;
}

#define TARPIT_REASON_NAME(e, name) [TARPIT_R_##e] = name,
static const char *const tarpit_reason_names[] = {TARPIT_REASONS(TARPIT_REASON_NAME)};
#undef TARPIT_REASON_NAME
_Static_assert(sizeof(tarpit_reason_names) / sizeof(tarpit_reason_names[0]) == TARPIT_R_MAX,
	       "every tarpit reason has a name");

const char *tarpit_reason_name(enum tarpit_reason reason)
{
	if ((unsigned int)reason >= TARPIT_R_MAX)
		return "unknown";
	return tarpit_reason_names[reason];
}
