#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the peer's receive of a reply costs the sender on veth. bench/txring -m mmsg (the
# daemon's own link lane: inject.c's sendmmsg of 64 per call) sends COUNT hold ACKs to a
# peer namespace that drops them at its netdev ingress hook, as bench/pps.sh's generator
# does; the peer receives either in the backlog softirq raised inside the sender's system
# call (veth's default, GEN_RX=backlog in pps.sh) or in its own threaded NAPI with
# interrupt moderation (pps.sh's GEN_RX=napi, USECS its polling interval). The difference
# in the sender's CPU per frame is the work pps.sh moved off the responder.
#   usage: bench/veth_rx.sh   (root; about 1 minute)
#   env:   COUNT=1000000 ROUNDS=3 USECS=250 CPU=1 (the sender's core)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_build
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-3}
USECS=${USECS:-250}
CPU=${CPU:-1}
for v in "$COUNT" "$ROUNDS" "$USECS" "$CPU"; do
	case $v in '' | *[!0-9]*) echo "COUNT, ROUNDS, USECS, CPU: numbers" >&2; exit 2 ;; esac
done
[ "$COUNT" -le 5000000 ] && [ "$ROUNDS" -le 10 ] || { echo "COUNT <= 5000000, ROUNDS <= 10" >&2; exit 2; }
TX=nvr-tx-$$
RX=nvr-rx-$$
cleanup() {
	ip netns del $TX 2>/dev/null || true
	ip netns del $RX 2>/dev/null || true
}
trap cleanup EXIT

# pair MODE: a fresh veth pair; the peer in MODE; prints the NAPI thread's pid (napi) or 0.
pair() {
	cleanup
	ip netns add $TX
	ip netns add $RX
	ip link add vt netns $TX type veth peer name vr netns $RX
	ip netns exec $TX sysctl -qw net.ipv6.conf.vt.disable_ipv6=1
	ip -n $TX link set vt up
	ip -n $RX link set vr up
	ip netns exec $RX nft -f - <<-'NFT'
	table netdev sink {
		chain in {
			type filter hook ingress device "vr" priority 0; policy accept;
			ip daddr 192.0.2.0/24 counter drop
		}
	}
	NFT
	if [ "$1" = backlog ]; then
		echo 0
		return
	fi
	local before after
	before=$(pgrep -d' ' '^napi/' || true)
	ip netns exec $RX ethtool -K vr gro on rx-gro-list on
	ip netns exec $RX sh -c "echo 1 >/sys/class/net/vr/threaded;
		echo $((USECS * 1000)) >/sys/class/net/vr/gro_flush_timeout;
		echo 4 >/sys/class/net/vr/napi_defer_hard_irqs"
	for ((i = 0; i < 50; i++)); do
		after=$(pgrep '^napi/vr' | grep -vxF -f <(tr ' ' '\n' <<<"$before" | grep .) || true)
		[ -n "$after" ] && break
		sleep 0.05
	done
	[ "$(wc -w <<<"$after")" = 1 ] || { echo "expected one new napi thread: '$after'" >&2; exit 1; }
	chrt -f -p 1 "$after"
	echo "$after"
}

stat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/') count=$COUNT usecs=$USECS"
printf '%-5s %-8s %10s %8s %11s %13s %9s\n' round peer_rx received dropped cpu_s/Mfr thread_s/Mfr frames/s
for r in $(seq "$ROUNDS"); do
	for mode in backlog napi; do
		np=$(pair $mode)
		MAC=$(ip netns exec $RX cat /sys/class/net/vr/address)
		t0=0
		[ "$np" = 0 ] || t0=$(awk '{ print $14 + $15 }' "/proc/$np/stat")
		out=$(ip netns exec $TX taskset -c "$CPU" "$B/bench/txring" -m mmsg -i vt -d "$MAC" -f 4 \
			-n "$COUNT" -b 64)
		t1=0
		[ "$np" = 0 ] || t1=$(awk '{ print $14 + $15 }' "/proc/$np/stat")
		got=$(stat $RX vr rx_packets)
		drop=$(($(stat $RX vr rx_dropped) + $(stat $TX vt tx_dropped)))
		val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$out"; }
		printf '%-5s %-8s %10s %8s %11s %13s %9s\n' "$r" $mode "$got" "$drop" "$(val cpu_s_per_M)" \
			"$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$got" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')" \
			"$(val fps)"
	done
done
echo "# $(uptime | sed 's/.*load/load/') at the end"
