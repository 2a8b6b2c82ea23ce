#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packet rate, side by side in one run: the same bounded SYN (or ACK) burst from spoofed
# sources in 198.18.0.0/15 over veth into a server namespace, handled by
#   kernel-drop   an nft drop rule in the same hook (the ceiling for any queue design)
#   naive         bench/naive_nfq: one recv, one sendto, one verdict per packet
#   nftarpitd-1q  nftarpitd on one queue
#   nftarpitd-2q  nftarpitd on two queues (fanout)
# Reports packets handled per second, replies, packets lost in the kernel queue, the
# responder's own CPU seconds per million packets and the whole machine's, and
# nftarpitd's ratios to the baselines. Root; about a minute.
#   usage: bench/pps.sh [COUNT] [KIND]   (default 2000000 syn; KIND syn|ack)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${NFTARPIT_BUILD:-$SRC/build}
COUNT=${1:-2000000}
KIND=${2:-syn}
case $COUNT in '' | *[!0-9]*) echo "COUNT: a number" >&2; exit 2 ;; esac
[ "$COUNT" -ge 1000 ] && [ "$COUNT" -le 20000000 ] || { echo "COUNT: 1000..20000000" >&2; exit 2; }
case $KIND in syn | ack) ;; *) echo "KIND: syn or ack" >&2; exit 2 ;; esac
SECONDS_MAX=15
GEN=npb-gen-$$
SRV=npb-srv-$$
WORK=$(mktemp -d /tmp/nftarpit-pps.XXXXXX)
RESP_PID=

cleanup() {
	set +e
	[ -n "$RESP_PID" ] && kill "$RESP_PID" 2>/dev/null && wait "$RESP_PID" 2>/dev/null
	ip netns pids $SRV 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids $GEN 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $SRV 2>/dev/null
	ip netns del $GEN 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

topo() {
	ip netns add $GEN
	ip netns add $SRV
	ip link add veth0 netns $SRV type veth peer name veth0 netns $GEN
	ip -n $SRV addr add 192.0.2.1/24 dev veth0
	ip -n $GEN addr add 192.0.2.2/24 dev veth0
	ip -n $SRV link set veth0 up
	ip -n $GEN link set veth0 up
	ip -n $SRV link set lo up
	ip -n $GEN link set lo up
	# Replies to the spoofed sources go back to the generator's namespace, which does not
	# forward: they are dropped there, and no RST comes back.
	ip -n $SRV route add 198.18.0.0/15 via 192.0.2.2
}

# cpu_ticks PID: user + system ticks of a process.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
queue_lost() {
	ip netns exec $SRV awk '{ s += $6 + $7 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue
}

# run MODE: one measurement; appends a line to $WORK/results.
run() {
	local mode=$1 t0 t1 m0 m1 sent elapsed handled replies lost c0 c1
	topo
	ip netns exec $SRV "$B/tools/nftarpitctl" setup $( [ $mode = nftarpitd-2q ] && echo --queue 25-26) \
		>/dev/null 2>&1
	ip netns exec $SRV nft add element inet nftarpit blocklist4 '{ 198.18.0.0/15 }'
	case $mode in
	kernel-drop)
		ip netns exec $SRV nft -f - <<-'NFT'
		table inet benchdrop {
			chain pre {
				type filter hook prerouting priority -350; policy accept;
				ip saddr 198.18.0.0/15 tcp dport 25 counter drop
			}
		}
		NFT
		RESP_PID=
		;;
	naive)
		ip netns exec $SRV "$B/bench/naive_nfq" 25 0x6e746172 >"$WORK/naive.out" 2>&1 &
		RESP_PID=$!
		;;
	nftarpitd-*)
		cat >"$WORK/d.conf" <<-CONF
		[daemon]
		reply_rate_per_prefix = 1000000
		reply_burst_per_prefix = 1000000
		reply_rate = 4000000
		reply_burst = 4000000
		log_flows_per_second = 0
		CONF
		ip netns exec $SRV "$B/daemon/nftarpitd" -f -c "$WORK/d.conf" \
			-q $( [ $mode = nftarpitd-2q ] && echo 25-26 || echo 25) \
			-s "$WORK/ctl.sock" >"$WORK/d.log" 2>&1 &
		RESP_PID=$!
		;;
	esac
	if [ -n "$RESP_PID" ]; then
		for ((i = 0; i < 50; i++)); do
			ip netns exec $SRV grep -q '^ *25 ' /proc/net/netfilter/nfnetlink_queue && break
			sleep 0.1
		done
		c0=$(cpu_ticks $RESP_PID)
	fi
	m0=$(machine_busy)
	# Two generator processes, one per core, so fanout has two CPUs' worth of traffic.
	ip netns exec $GEN taskset -c 0 "$B/bench/loadgen" -d 192.0.2.1 -n $((COUNT / 2)) \
		-t $SECONDS_MAX -k $KIND >"$WORK/gen0" &
	local g0=$!
	ip netns exec $GEN taskset -c 1 "$B/bench/loadgen" -d 192.0.2.1 -n $((COUNT / 2)) \
		-t $SECONDS_MAX -k $KIND >"$WORK/gen1" &
	local g1=$!
	wait $g0 $g1
	sleep 1 # let the responder drain its queue
	m1=$(machine_busy)
	sent=$(cat "$WORK/gen0" "$WORK/gen1" | /usr/bin/python3 -c 'import json,sys; print(sum(json.loads(l)["sent"] for l in sys.stdin))')
	elapsed=$(cat "$WORK/gen0" "$WORK/gen1" | /usr/bin/python3 -c 'import json,sys; print(max(json.loads(l)["seconds"] for l in sys.stdin))')
	lost=0
	case $mode in
	kernel-drop)
		handled=$(ip netns exec $SRV nft list chain inet benchdrop pre | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		replies=0
		c1=0
		c0=0
		;;
	naive)
		lost=$(queue_lost)
		c1=$(cpu_ticks $RESP_PID)
		kill -TERM $RESP_PID
		wait $RESP_PID || true
		RESP_PID=
		handled=$(tail -1 "$WORK/naive.out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
		replies=$(tail -1 "$WORK/naive.out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["replies"])')
		;;
	nftarpitd-*)
		lost=$(queue_lost)
		c1=$(cpu_ticks $RESP_PID)
		printf 'stats\n' | socat -t 3 - "UNIX-CONNECT:$WORK/ctl.sock" >"$WORK/stats"
		handled=$(awk -F= '$1 == "packets" { print $2 }' "$WORK/stats")
		replies=$(awk -F= '$1 == "replies_sent" { print $2 }' "$WORK/stats")
		kill -TERM $RESP_PID
		wait $RESP_PID || true
		RESP_PID=
		;;
	esac
	echo "$mode $sent $elapsed $handled $replies $lost $((c1 - c0)) $((m1 - m0))" >>"$WORK/results"
	ip netns del $SRV
	ip netns del $GEN
}

for mode in kernel-drop naive nftarpitd-1q nftarpitd-2q; do
	run $mode
done

/usr/bin/python3 - "$WORK/results" "$KIND" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
hz = 100.0
print(f"\nburst of {sys.argv[2].upper()} segments from 198.18.0.0/15, 2 generator processes")
print(f"{'mode':<14}{'offered/s':>11}{'handled/s':>11}{'replies':>10}{'lost':>9}"
      f"{'own CPU s/Mpkt':>16}{'machine CPU s/Mpkt':>20}")
res = {}
for mode, sent, el, handled, replies, lost, cpu, mcpu in rows:
    sent, el, handled, replies, lost = int(sent), float(el), int(handled), int(replies), int(lost)
    own = int(cpu) / hz / (handled / 1e6) if handled else 0
    mach = int(mcpu) / hz / (handled / 1e6) if handled else 0
    res[mode] = (handled / el, own, mach)
    print(f"{mode:<14}{sent/el:>11.0f}{handled/el:>11.0f}{replies:>10}{lost:>9}"
          f"{own:>16.2f}{mach:>20.2f}")
k, n = res["kernel-drop"], res["naive"]
for m in ("nftarpitd-1q", "nftarpitd-2q"):
    d = res[m]
    print(f"{m}: rate {d[0]/k[0]:.2f} x kernel-drop, {d[0]/n[0]:.2f} x naive; "
          f"own CPU per packet {d[1]/n[1]:.2f} x naive")
PY
