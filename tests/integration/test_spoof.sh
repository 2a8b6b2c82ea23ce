#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Spoofed sources. (1) SYNs from blocklisted sources that fail the reverse-path check (no
# route back through the interface they came in on) never reach nftarpitd: no reply, and
# the ruleset's counter (nftarpitctl status) counts them. (2) SYNs spoofed over many /24s of
# one /16, or many /64s of one /48, get no more replies in all than the aggregate budget
# allows (reply_burst_per_aggregate + reply_rate_per_aggregate a second), counted where
# the victim network receives them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

AGG_RATE=10
AGG_BURST=40
COUNT=${SPOOF_SYNS:-2000}
ROUTED4=198.18      # 198.18.0.0/16: routed back to the client, passes the check
UNROUTED4=198.19    # 198.19.0.0/16: blocklisted, no route back: fails it
UNROUTED6=2001:db8:d00d  # blocklisted /48 without a route

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
require_scapy
topo_up
ruleset_setup
lists_fill
in_srv nft add element inet nftarpit blocknet4 "{ 198.18.0.0/15 }"
in_srv nft add element inet nftarpit blocknet6 "{ $UNROUTED6::/48 }"
ip -n "$NS_SRV" route add $ROUTED4.0.0/16 via $CLI4
cat >"$WORK/nftarpitd.conf" <<CONF
[daemon]
reply_rate_per_prefix = 100000
reply_burst_per_prefix = 100000
reply_rate_per_aggregate = $AGG_RATE
reply_burst_per_aggregate = $AGG_BURST
CONF
# What reaches the victims' networks: the daemon's SYN-ACKs, per destination network.
in_cli nft -f - <<EOF2
table inet spoof {
	counter to_routed4 { }
	counter to_unrouted4 { }
	counter to_bad48 { }
	counter to_unrouted6 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		tcp flags & (syn | ack) != syn | ack accept
		ip daddr $ROUTED4.0.0/16 counter name to_routed4
		ip daddr $UNROUTED4.0.0/16 counter name to_unrouted4
		ip6 daddr 2001:db8:bad::/48 counter name to_bad48
		ip6 daddr $UNROUTED6::/48 counter name to_unrouted6
	}
}
EOF2
daemon_start -c "$WORK/nftarpitd.conf"

# spoof KIND DST COUNT: SYNs to port 25 from random addresses of one network, each from
# another /24 (or /64) of it; prints the seconds the sending took.
cat >"$WORK/spoof.py" <<'EOF2'
import random, sys, time
from scapy.all import IP, IPv6, TCP, conf
kind, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def src():
    if kind == "routed4":
        return "198.18.%d.%d" % (random.randrange(256), random.randrange(1, 255))
    if kind == "unrouted4":
        return "198.19.%d.%d" % (random.randrange(256), random.randrange(1, 255))
    if kind == "bad48":
        return "2001:db8:bad:%x::%x" % (random.randrange(1, 65536), random.randrange(1, 65536))
    return "2001:db8:d00d:%x::%x" % (random.randrange(1, 65536), random.randrange(1, 65536))
v6 = ":" in dst
L3 = IPv6 if v6 else IP
pkts = [L3(src=src(), dst=dst) / TCP(sport=random.randint(1024, 65535), dport=25, flags="S",
                                     seq=random.getrandbits(32)) for _ in range(count)]
s = conf.L3socket6() if v6 else conf.L3socket()
t0 = time.monotonic()
for p in pkts:
    s.send(p)
print("%.3f" % (time.monotonic() - t0))
EOF2

cli_counter() {
	in_cli nft list counter inet spoof "$1" | awk '$1 == "packets" { print $2 }'
}

rpf_dropped() {
	in_srv "$NFTARPITCTL" status --json -s "$CTL_SOCK" --no-sets |
		"$PY" -c 'import json, sys; r = json.load(sys.stdin)["ruleset"]; print(r["rpf_dropped"] if r["rpf"] else -1)'
}

# 1. Failing the reverse-path check: dropped before the queue, counted, never answered.
status_line=$(in_srv "$NFTARPITCTL" status -s "$CTL_SOCK" --no-sets | grep '^rpf') || fail "status shows no rpf line"
log "status: $status_line"
grep -q '^rpf *on' <<<"$status_line" || fail "status does not show the reverse-path check in force"
packets0=$(stat_get packets)
dropped0=$(rpf_dropped)
in_cli "$PY" "$WORK/spoof.py" unrouted4 $SRV4 500 >/dev/null 2>&1 || fail "spoof.py unrouted4"
in_cli "$PY" "$WORK/spoof.py" unrouted6 $SRV6 500 >/dev/null 2>&1 || fail "spoof.py unrouted6"
sleep 1
dropped=$(($(rpf_dropped) - dropped0))
queued=$(($(stat_get packets) - packets0))
log "1000 SYNs from sources failing the check: $dropped counted by the ruleset, $queued reached nftarpitd, replies: $(cli_counter to_unrouted4) + $(cli_counter to_unrouted6)"
[ "$dropped" -ge 1000 ] || fail "the ruleset counted $dropped of 1000 spoofed SYNs"
[ "$queued" -eq 0 ] || fail "$queued spoofed SYNs reached nftarpitd"
[ "$(cli_counter to_unrouted4)" -eq 0 ] || fail "replies reached the unrouted IPv4 network"
[ "$(cli_counter to_unrouted6)" -eq 0 ] || fail "replies reached the unrouted IPv6 network"

# 2. Over many prefixes of one /16 and one /48: one aggregate budget for all of them.
for kind in routed4 bad48; do
	if [ $kind = routed4 ]; then dst=$SRV4; else dst=$SRV6; fi
	agg0=$(stat_get budget_aggregate)
	secs=$(in_cli "$PY" "$WORK/spoof.py" $kind $dst "$COUNT" 2>/dev/null) || fail "spoof.py $kind"
	sleep 1
	got=$(cli_counter "to_$kind")
	capped=$(($(stat_get budget_aggregate) - agg0))
	max=$(awk -v b=$AGG_BURST -v r=$AGG_RATE -v s="$secs" 'BEGIN { printf "%d", b + r * (s + 1) + 1 }')
	log "$kind: $COUNT SYNs from as many prefixes in $secs s: $got replies reached the network (at most $max allowed), $capped refused by the aggregate budget"
	[ "$got" -gt 0 ] || fail "$kind: no reply at all: the test measured nothing"
	[ "$got" -le "$max" ] || fail "$kind: $got replies to one aggregate, over its budget of $max"
	[ "$capped" -gt 0 ] || fail "$kind: the aggregate budget refused nothing"
done
log "PASS"
