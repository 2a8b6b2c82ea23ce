#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PACKET_TX_RING against the daemon's sendmmsg on a packet socket (issue 18): the same
# COUNT hold ACKs (nftarpitd's reply_build, 40 bytes IPv4 / 60 IPv6) sent by bench/txring
# from one namespace over veth to another, in batches of BATCH, by each method in turn,
# ROUNDS times; the receiver's veth rx_packets proves every frame arrived. Prints per round
# the sender's CPU per million frames and frames/s, the ratio ring/mmsg, then the medians.
# First 1,000 frames of each method and family go to the peer's own addresses, whose TCP
# must take each as a valid segment (it answers a reset); tcpdump on the sender's veth must
# see a run of the ring's frames. Then the peer drops every frame at its netdev ingress
# hook (nft, in its namespace; rx_packets counts them first), the same work for every
# method. Run as root, under flock /work/wt/bench.lock.
# Methods: mmsg, ring (bound to the veth), ring-u (unbound, the veth named in each send),
# and -q of each: PACKET_QDISC_BYPASS.
#   COUNT=2000000 ROUNDS=3 FAMILIES="4 6" METHODS="mmsg ring ring-u mmsg-q ring-q" bench/txring.sh
set -eu
. "$(dirname "$0")/lib.sh"
bench_build
COUNT=${COUNT:-2000000}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-64}
FAMILIES=${FAMILIES:-4 6}
METHODS=${METHODS:-mmsg ring ring-u mmsg-q ring-q}
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] && [ "$COUNT" -ge 1000 ] && [ "$COUNT" -le 20000000 ] ||
	{ echo "txring.sh: ROUNDS 1..20, COUNT 1000..20000000" >&2; exit 2; }
TX=txr-tx-$$
RX=txr-rx-$$
W=$(mktemp -d /tmp/txring.XXXXXX)
cleanup() {
	ip netns pids $TX 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del $TX 2>/dev/null || true
	ip netns del $RX 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
ip netns add $TX
ip netns add $RX
ip -n $TX link add vt type veth peer name vr netns $RX
# No IPv6 of the sender's own on its veth: no router solicitations or MLD in the count (the
# packet socket sends IPv6 frames all the same).
ip netns exec $TX sysctl -qw net.ipv6.conf.vt.disable_ipv6=1
ip -n $TX link set vt up
ip -n $RX link set vr up
MAC=$(ip netns exec $RX cat /sys/class/net/vr/address)
rxc() { ip netns exec $RX cat /sys/class/net/vr/statistics/"$1"; }
# The sender runs on CPU $CPU: the peer's receive (softirq, perhaps ksoftirqd) runs there
# too, so that CPU's busy time (/proc/stat) counts all the work, whoever is billed for it.
CPU=${CPU:-1}
busy() { awk -v c="cpu$CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
snmp() { ip netns exec $RX nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# The frames are right: with the peer's addresses on it, its IPv4 and IPv6 stacks take
# 1,000 of each method and family, no checksum error, and answer each with a reset.
ip -n $RX addr add 192.0.2.2/24 dev vr
ip -n $RX addr add 2001:db8::2/64 dev vr nodad
sleep 0.5
i4=$(snmp IpInReceives)
i6=$(snmp Ip6InReceives)
rst=$(snmp TcpOutRsts)
for m in mmsg ring ring-u; do
	for f in 4 6; do
		u=
		case $m in *-u) u=-u ;; esac
		ip netns exec $TX "$B/bench/txring" -m "${m%-u}" $u -i vt -d "$MAC" -f $f -n 1000 >/dev/null
	done
done
sleep 0.3
i4=$(($(snmp IpInReceives) - i4))
i6=$(($(snmp Ip6InReceives) - i6))
rst=$(($(snmp TcpOutRsts) - rst))
echo "# check: the peer's IPv4 took $i4, IPv6 $i6 (of 3000 each), answered $rst (of 6000) with RST, TCP checksum errors $(snmp TcpInCsumErrors)"
[ "$i4" -ge 3000 ] && [ "$i6" -ge 3000 ] && [ "$rst" -eq 6000 ] && [ "$(snmp TcpInCsumErrors)" -eq 0 ] ||
	{ echo "txring.sh: the peer did not take every frame as a valid TCP segment" >&2; exit 1; }
ip -n $RX addr flush dev vr

# Then the peer drops every frame at its netdev ingress hook: what veth runs of the
# receive inside our send stays small and the same for both families and methods.
ip netns exec $RX nft -f - <<'NFT'
table netdev txring {
	chain in { type filter hook ingress device "vr" priority 0; policy drop; }
}
NFT
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/') count=$COUNT batch=$BATCH rounds=$ROUNDS"

# Taps see the ring's frames: tcpdump on the sender's veth counts a run of 1,000.
ip netns exec $TX timeout 10 tcpdump -i vt -nn -c 1000 -w "$W/cap.pcap" tcp >/dev/null 2>"$W/td.err" &
TD=$!
sleep 1
ip netns exec $TX "$B/bench/txring" -m ring -i vt -d "$MAC" -f 4 -n 1000 >/dev/null
wait $TD || true
SEEN=$(tcpdump -nn -r "$W/cap.pcap" 'src host 192.0.2.1 and tcp[13] = 0x10' 2>/dev/null | wc -l)
echo "# tcpdump on the sender's veth saw $SEEN of 1000 ring frames:"
tcpdump -nn -r "$W/cap.pcap" 2>/dev/null | head -n 2 | sed 's/^/#   /'

printf '%-6s %-5s %-7s %10s %10s %8s %11s %11s %10s\n' family round method received dropped waits cpu_s/Mfr core_s/Mfr frames/s
for f in $FAMILIES; do
	for r in $(seq "$ROUNDS"); do
		for m in $METHODS; do
			q=
			case $m in *-q) q=-q ;; *-u) q=-u ;; esac
			r0=$(rxc rx_packets)
			d0=$(rxc rx_dropped)
			b0=$(busy)
			ip netns exec $TX taskset -c "$CPU" "$B/bench/txring" -m "${m%-[qu]}" $q -i vt -d "$MAC" -f "$f" \
				-n "$COUNT" -b "$BATCH" >"$W/out" 2>"$W/err" ||
				{ echo "txring.sh: $m failed:" >&2; cat "$W/err" >&2; exit 1; }
			b1=$(busy)
			core=$(awk -v a="$b0" -v b="$b1" -v n="$COUNT" -v hz="$(getconf CLK_TCK)" \
				'BEGIN { printf "%.3f", (b - a) / hz * 1e6 / n }')
			got=$(($(rxc rx_packets) - r0))
			drop=$(($(rxc rx_dropped) - d0))
			line=$(cat "$W/out")
			val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
			printf '%-6s %-5s %-7s %10s %10s %8s %11s %11s %10s\n' "$f" "$r" "$m" "$got" "$drop" \
				"$(val waits)" "$(val cpu_s_per_M)" "$core" "$(val fps)"
			echo "$f $r $m $got $(val cpu_s_per_M) $(val fps) $core" >>"$W/rows"
			[ "$got" -eq "$COUNT" ] || echo "# WARNING: $m sent $COUNT, the peer received $got"
		done
	done
done
# Medians over the rounds, and the ratio of each method to mmsg within the same round.
awk -v rounds="$ROUNDS" '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ cpu[$1, $2, $3] = $5; fps[$1, $2, $3] = $6; core[$1, $2, $3] = $7; if (!(($1, $3) in seen)) { seen[$1, $3] = 1; order[++no] = $1 SUBSEP $3 } }
END {
	printf "\n%-6s %-7s %14s %15s %12s %16s %17s %14s\n", "family", "method", "cpu_s/Mfr med", "core_s/Mfr med", "frames/s med", "cpu ratio/mmsg", "core ratio/mmsg", "fps ratio/mmsg"
	for (k = 1; k <= no; k++) {
		split(order[k], p, SUBSEP)
		for (r = 1; r <= rounds; r++) {
			c[r] = cpu[p[1], r, p[2]]; s[r] = fps[p[1], r, p[2]]
			rc[r] = c[r] / cpu[p[1], r, "mmsg"]; rs[r] = s[r] / fps[p[1], r, "mmsg"]
			o[r] = core[p[1], r, p[2]]; ro[r] = o[r] / core[p[1], r, "mmsg"]
		}
		printf "%-6s %-7s %14.3f %15.3f %12.0f %16.3f %17.3f %14.3f\n", p[1], p[2], median(c, rounds), median(o, rounds), median(s, rounds), median(rc, rounds), median(ro, rounds), median(rs, rounds)
	}
}' "$W/rows"
echo "# $(uptime | sed 's/.*load/load/') at the end"
