#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failure drill: the tarpit as a reflector. Spoofed SYN floods from many sources never make
# nftarpitd send more bytes than it received (bytes_out <= bytes_in), and a flood spoofed
# from one victim /24 gets no more replies than its prefix budget allows
# (reply_burst_per_prefix + reply_rate_per_prefix per second), counted where the victim
# would receive them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOADGEN=${NFTARPIT_LOADGEN:-$NFTARPIT_BUILD/bench/loadgen}
VICTIM=198.51.100
RATE=20
BURST=40
COUNT=${DRILL_VICTIM_SYNS:-3000}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$LOADGEN"
topo_up
ruleset_setup
lists_fill
flood_prepare
cat >"$WORK/nftarpitd.conf" <<CONF
[daemon]
reply_rate_per_prefix = $RATE
reply_burst_per_prefix = $BURST
CONF
# What reaches the victim's network: the daemon's SYN-ACKs to $VICTIM.0/24.
in_cli nft -f - <<EOF2
table ip drill {
	counter victim { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr $VICTIM.0/24 tcp flags & (syn | ack) == syn | ack counter name victim
	}
}
EOF2
daemon_start -c "$WORK/nftarpitd.conf"

# 1. Many sources: every reply is no larger than the SYN it answers.
in_cli "$LOADGEN" -d $SRV4 -n 100000 -t 5 -k syn >"$WORK/gen.json" 2>&1 || fail "loadgen: $(cat "$WORK/gen.json")"
sleep 0.5
bin=$(stat_get bytes_in)
bout=$(stat_get bytes_out)
log "flood $(cat "$WORK/gen.json"): bytes_in=$bin bytes_out=$bout replies_sent=$(stat_get replies_sent) budget_prefix=$(stat_get budget_prefix)"
[ "$bin" -gt 0 ] && [ "$bout" -gt 0 ] || fail "the flood was not answered at all"
[ "$bout" -le "$bin" ] || fail "amplification: $bout bytes sent for $bin received"

# 2. One victim prefix: COUNT SYNs spoofed from its addresses (not the allowlisted one).
cat >"$WORK/victim.py" <<'EOF2'
import random, sys, time
from scapy.all import IP, TCP, conf
prefix, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
hosts = [h for h in range(1, 255) if h != 20]
pkts = [IP(src="%s.%d" % (prefix, random.choice(hosts)), dst=dst) /
        TCP(sport=random.randint(1024, 65535), dport=25, flags="S", seq=random.getrandbits(32))
        for _ in range(count)]
s = conf.L3socket()
t0 = time.monotonic()
for p in pkts:
    s.send(p)
print("%.3f" % (time.monotonic() - t0))
EOF2
before=$(stat_get budget_prefix)
secs=$(in_cli "$PY" "$WORK/victim.py" $VICTIM $SRV4 "$COUNT" 2>/dev/null) || fail "the spoofing sender failed"
sleep 1
got=$(in_cli nft list counter ip drill victim | awk '$1 == "packets" { print $2 }')
capped=$(($(stat_get budget_prefix) - before))
# The bucket starts full (BURST) and refills RATE a second, over the send and the second after.
max=$(awk -v b=$BURST -v r=$RATE -v s="$secs" 'BEGIN { printf "%d", b + r * (s + 1) + 1 }')
log "$COUNT SYNs spoofed from $VICTIM.0/24 in $secs s: $got replies reached it (at most $max allowed), $capped refused by the prefix budget"
[ "$got" -gt 0 ] || fail "no reply reached the victim prefix: the drill measured nothing"
[ "$got" -le "$max" ] || fail "$got replies to one /24, over its budget of $max"
[ "$capped" -gt 0 ] || fail "the prefix budget refused nothing"
bin=$(stat_get bytes_in)
bout=$(stat_get bytes_out)
[ "$bout" -le "$bin" ] || fail "amplification: $bout bytes sent for $bin received"
log "PASS: bytes_out=$bout <= bytes_in=$bin"
