#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nobody off the path releases a held spammer (RFC 5961's rules on held flows). Real
# clients are held; segments crafted with scapy on their exact tuples (what an attacker
# who guessed the tuple can send) carry RST, RST+ACK, FIN+ACK and SYN at wrong sequence
# numbers: each client stays held (its socket ESTABLISHED, its flow in status) and the
# daemon answers with challenge ACKs. The same RST, RST+ACK and FIN+ACK at the exact
# sequence number (what the client's own kernel sends) end the flow.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SEGMENT_PY=$NFTARPIT_SRC/tests/integration/segment.py
# Wrong numbers: next to the right one on both sides, far, half the space away. A SYN
# ends nothing at any number, the exact one and the client's own ISN (-1) included.
OFF_PATH=1,-1,2,-2,1000,65535,-65536,1073741824,2147483648
SYN_ANY=0,-1,$OFF_PATH

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
require_scapy
topo_up
ruleset_setup
lists_fill
# More held clients than lib.sh's topology has addresses: one per case, both families.
for h in 11 12 13 14; do
	ip -n "$NS_CLI" addr add "198.51.100.$h/32" dev veth0
	ip -n "$NS_CLI" addr add "2001:db8:bad::$h/128" dev veth0 nodad
done
daemon_start

in_cli tcpdump -i veth0 -nn -U -w "$WORK/offpath.pcap" 'tcp port 25' 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
wait_until 5 grep -q 'listening on' "$WORK/tcpdump.log" || fail "tcpdump did not start"

# status_has SRC SPORT: the daemon's status lists the flow.
status_has() {
	in_srv "$NFTARPITCTL" status --json -s "$CTL_SOCK" --no-sets --flows 100 |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(f["src"] == sys.argv[1] and f["sport"] == int(sys.argv[2]) for f in d["flows"]) else 1)' "$1" "$2"
}

status_lacks() {
	! status_has "$@"
}

# sport_of SRC DST: the client's port of its one connection to DST.
sport_of() {
	ss_conn "$1" "$2" | awk 'NR == 1 { n = split($4, a, ":"); print a[n] }'
}

connected() {
	[ -n "$(sport_of "$1" "$2")" ]
}

# craft SRC SPORT DST FLAGS OFFSETS: segments on the tuple, from the client namespace.
craft() {
	local out
	out=$(in_cli "$PY" "$SEGMENT_PY" --pcap "$WORK/offpath.pcap" --src "$1" --sport "$2" \
		--dst "$3" --flags "$4" --offsets "$5" 2>"$WORK/segment.err") ||
		fail "segment.py $*: $out $(cat "$WORK/segment.err")"
	log "sent $4 at offsets $5 on $1:$2: $out"
}

declare -A SPORT
for fam in 4 6; do
	if [ $fam = 4 ]; then net=198.51.100.; dst=$SRV4; else net=2001:db8:bad::; dst=$SRV6; fi
	for h in 11 12 13 14; do
		client_bg "$WORK/c$fam-$h.json" --src "$net$h" --dst "$dst" --banner-wait 1 --hold 120
	done
	for h in 11 12 13 14; do
		wait_until 10 connected "$net$h" "$dst" || fail "$net$h did not connect"
		SPORT[$net$h]=$(sport_of "$net$h" "$dst")
		wait_until 10 status_has "$net$h" "${SPORT[$net$h]}" || fail "$net$h:${SPORT[$net$h]} is not held"
	done
done
log "held: $(for k in "${!SPORT[@]}"; do printf '%s:%s ' "$k" "${SPORT[$k]}"; done)"

challenges0=$(stat_get challenge_acks)
for fam in 4 6; do
	if [ $fam = 4 ]; then net=198.51.100.; dst=$SRV4; else net=2001:db8:bad::; dst=$SRV6; fi
	victim=${net}11
	# 1. Off the path: wrong numbers on the victim's tuple.
	craft "$victim" "${SPORT[$victim]}" "$dst" R "$OFF_PATH"
	craft "$victim" "${SPORT[$victim]}" "$dst" RA "$OFF_PATH"
	craft "$victim" "${SPORT[$victim]}" "$dst" FA "$OFF_PATH"
	craft "$victim" "${SPORT[$victim]}" "$dst" S "$SYN_ANY"
	# 2. In the window: the exact number ends each of the other three.
	craft "${net}12" "${SPORT[${net}12]}" "$dst" R 0
	craft "${net}13" "${SPORT[${net}13]}" "$dst" RA 0
	craft "${net}14" "${SPORT[${net}14]}" "$dst" FA 0
done

for fam in 4 6; do
	if [ $fam = 4 ]; then net=198.51.100.; dst=$SRV4; else net=2001:db8:bad::; dst=$SRV6; fi
	victim=${net}11
	for h in 12 13 14; do
		wait_until 10 status_lacks "$net$h" "${SPORT[$net$h]}" ||
			fail "$net$h: an in-window end did not end the flow"
	done
	# Everything above has been handled by now: the in-window segments were sent after.
	status_has "$victim" "${SPORT[$victim]}" || fail "$victim: an off-path segment released the flow"
	ss=$(ss_conn "$victim" "$dst")
	log "$victim: ss: $(tr -s ' \t\n' ' ' <<<"$ss")"
	grep -q '^ESTAB' <<<"$ss" || fail "$victim: its socket is no longer established"
done
challenges=$(($(stat_get challenge_acks) - challenges0))
ended=$(stat_get flows_ended)
log "challenge ACKs: $challenges; flows ended: $ended; budget_prefix: $(stat_get budget_prefix)"
[ "$challenges" -gt 0 ] || fail "no challenge ACK was sent"
[ "$ended" -eq 6 ] || fail "$ended flows ended, expected the 6 ended in the window"
# The challenge ACKs reached the victims: window 0, acknowledging their next number.
kill -TERM $TCPDUMP_PID
wait $TCPDUMP_PID || true
acks=$(in_cli tcpdump -r "$WORK/offpath.pcap" -nn 2>/dev/null |
	grep -cE "\.25 > (198\.51\.100\.11|2001:db8:bad::11)\.[0-9]+: Flags \[\.\],.* win 0" || true)
log "zero-window ACKs on the victims' wire: $acks"
[ "$acks" -gt 0 ] || fail "no challenge ACK on the wire"
log "PASS"
