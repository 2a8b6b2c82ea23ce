#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packet rate, side by side in one run. The same paced bursts of TCP segments from spoofed
# sources in 198.18.0.0/15 go over veth into a server namespace, at each offered rate in
# turn, handled by
#   kernel-drop   an nft drop rule in the same hook (the ceiling for any queue design)
#   naive         bench/naive_nfq: one recv, one sendto, one verdict per packet
#   nftarpitd-1q  nftarpitd on one queue
#   nftarpitd-2q  nftarpitd on two queues (balanced by address)
# and, when MODES names them, nftarpitd-1q-silent / nftarpitd-2q-silent: the same with
# the reply budget at 1/s, what the queue and verdict alone cost. Only SYNs are silenced:
# a held flow's probes are answered from its record, which no budget limits (its peer
# completed our handshake, so it is no reflection victim).
# Two kinds of traffic: SYNs (a flood of new connections, each answered with a SYN-ACK)
# and window probes of 8,192 held connections (each answered with an ACK; loadgen knows
# the cookie key, so the probes are valid). For each step it reports packets handled per
# second, replies, packets lost in the kernel queue (/proc/net/netfilter/nfnetlink_queue),
# the responder's own CPU seconds per million packets handled (user + system, and user
# alone), the whole machine's, and the responder's system calls per packet (perf's
# raw_syscalls tracepoint: a count, not a time). Then nftarpitd's ratios to the baselines
# at each offered rate, and a plot (gnuplot PNG).
#
#   usage: bench/pps.sh [SECONDS_PER_STEP]     (root; default 3; about 4 minutes)
#   env:   RATES="50000 100000 200000 300000 400000 500000 0"
#            offered packets/s in steps; 0 = as fast as the two generators go
#          KINDS="syn probe"  MODES="kernel-drop naive nftarpitd-1q nftarpitd-2q"
#          FAMILIES="4" (or "4 6": the same over IPv6 too, sources in 2001:db8:18::/48 to
#            2001:db8:1::1; its rows are the kinds syn6 and probe6)
#          NFTARPIT_BUILD (default: ./build, made by ./quickstart build)
#          PLOT_OUT (default doc/bench-pps.png)
#          RESULTS_OUT (default: none) to keep the raw rows; REPORT_FROM=ROWS prints the
#          tables and draws the plot again from such rows, measuring nothing
#          GEN_RX=napi (default) or backlog: where the generator namespace receives the
#            replies. veth hands a packet to its peer inside the sender's system call. With
#            backlog (veth's default; this script's only way until issue 18's last run) the
#            peer's receive, up to its ingress drop, runs in the softirq raised there, on
#            the responder's CPU and billed to the responder. With napi the generator's
#            veth has threaded NAPI with interrupt moderation (see topo): veth puts the
#            reply on the peer's ring and the peer's own kernel thread receives it, as a
#            NIC takes a frame off the sender's hands. Column "peer rx": that thread's CPU
#            per packet handled (its GEN_RX_USECS timer makes it dearer than the backlog was);
#            "machine" has everything either way. "rdrops": replies lost between the two
#            ends (a full ring or backlog), 0 when the generator keeps up.
#          GEN_RX_USECS=250: the generator's NAPI thread's polling interval (napi)
#          SYSCALLS=1: count the responder's system calls (column syscalls/pkt, nan
#            without). Off by default: the raw_syscalls tracepoint puts every system call
#            of every task on the slow path, 7% of the naive responder's CPU (3 calls a
#            packet) against 1.5% of nftarpitd's (perf record, issue 18), which flattered
#            nftarpitd's CPU ratio.
#          PROFILE=DIR: perf record -g of the responder in each step, into DIR
#            (bench/perf_split.py sorts the samples by where they were spent)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
STEP=${1:-3}
RATES=${RATES:-50000 100000 200000 300000 400000 500000 0}
KINDS=${KINDS:-syn probe}
MODES=${MODES:-kernel-drop naive nftarpitd-1q nftarpitd-2q}
FAMILIES=${FAMILIES:-4}
FAMILY=4
GEN_RX=${GEN_RX:-napi}
GEN_RX_USECS=${GEN_RX_USECS:-250}
case $GEN_RX_USECS in '' | *[!0-9]*) echo "GEN_RX_USECS: a number" >&2; exit 2 ;; esac
SYSCALLS=${SYSCALLS:-0}
case $SYSCALLS in 0 | 1) ;; *) echo "SYSCALLS: 0 or 1" >&2; exit 2 ;; esac
case $GEN_RX in napi | backlog) ;; *) echo "GEN_RX: napi or backlog" >&2; exit 2 ;; esac
[ -z "${PROFILE:-}" ] || mkdir -p "$PROFILE"
case $STEP in '' | *[!0-9]*) echo "SECONDS_PER_STEP: a number" >&2; exit 2 ;; esac
[ "$STEP" -ge 1 ] && [ "$STEP" -le 20 ] || { echo "SECONDS_PER_STEP: 1..20" >&2; exit 2; }
for r in $RATES; do
	case $r in '' | *[!0-9]*) echo "RATES: numbers" >&2; exit 2 ;; esac
	[ "$r" -le 2000000 ] || { echo "RATES: at most 2000000" >&2; exit 2; }
done
for k in $KINDS; do
	case $k in syn | probe) ;; *) echo "KINDS: syn and/or probe" >&2; exit 2 ;; esac
done
for f in $FAMILIES; do
	case $f in 4 | 6) ;; *) echo "FAMILIES: 4 and/or 6" >&2; exit 2 ;; esac
done
# dst: the server's address in the family being measured.
dst() {
	[ "$FAMILY" = 4 ] && echo 192.0.2.1 || echo 2001:db8:1::1
}
bench_build
for f in bench/loadgen bench/naive_nfq daemon/nftarpitd tools/nftarpitctl; do
	[ -x "$B/$f" ] || { echo "$B/$f missing: build first" >&2; exit 2; }
done
PLOT_OUT=$(realpath -m "${PLOT_OUT:-$SRC/doc/bench-pps.png}")
# The same bound for every step: at most 2,000,000 packets/s for STEP seconds.
MAX_PER_STEP=$((2000000 * STEP))
GEN=npb-gen-$$
SRV=npb-srv-$$
WORK=$(mktemp -d /tmp/nftarpit-pps.XXXXXX)
RESP_PID=
PERF_PID=
PROF_PID=
NAPI_PID=

cleanup() {
	set +e
	[ -n "$PERF_PID" ] && kill "$PERF_PID" 2>/dev/null
	[ -n "$PROF_PID" ] && kill "$PROF_PID" 2>/dev/null
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
	ip -n $SRV addr add 2001:db8:1::1/64 dev veth0 nodad
	ip -n $GEN addr add 2001:db8:1::2/64 dev veth0 nodad
	ip -n $SRV link set veth0 up
	ip -n $GEN link set veth0 up
	ip -n $SRV link set lo up
	ip -n $GEN link set lo up
	# Replies to the spoofed sources go back to the generator's namespace, the stand-in
	# for the Internet. veth hands a packet to the peer's stack inside the sender's own
	# system call, so whatever that namespace does with a reply is billed to the
	# responder's CPU: drop replies at the generator's ingress hook, before its IP stack,
	# as a real NIC would take them off the responder's hands.
	ip -n $SRV route add 198.18.0.0/15 via 192.0.2.2
	ip -n $SRV -6 route add 2001:db8:18::/48 via 2001:db8:1::2
	# The neighbours resolved before the first step (IPv6 waits for its link-local
	# addresses' duplicate detection first): a burst would otherwise be dropped by the
	# few packets a neighbour entry queues while it resolves.
	for ((i = 0; i < 50; i++)); do
		ip netns exec $GEN ping -6 -c 1 -W 1 2001:db8:1::1 >/dev/null 2>&1 &&
			ip netns exec $SRV ping -6 -c 1 -W 1 2001:db8:1::2 >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip netns exec $GEN nft -f - <<-'NFT'
	table netdev benchsink {
		chain in {
			type filter hook ingress device "veth0" priority 0; policy accept;
			ip daddr 198.18.0.0/15 counter drop
			ip6 daddr 2001:db8:18::/48 counter drop
		}
	}
	NFT
	NAPI_PID=
	if [ "$GEN_RX" = napi ]; then
		# GRO on the generator's veth gives it a NAPI instance (veth's ring), threaded its
		# own kernel thread: the thread that appears now is ours. veth hands a packet to
		# that ring only when it is "eligible for GRO": from a sender without TSO, or (our
		# case: the server's veth has TSO) from a socket (sock_wfree, so raw and packet
		# sockets alike) to a receiver with GRO_FRAGLIST; otherwise netif_rx, as before.
		local before after
		before=$(pgrep -d' ' '^napi/' || true)
		ip netns exec $GEN ethtool -K veth0 gro on rx-gro-list on
		ip netns exec $GEN sh -c 'echo 1 >/sys/class/net/veth0/threaded'
		for ((i = 0; i < 50; i++)); do
			after=$(pgrep '^napi/veth0' | grep -vxF -f <(tr ' ' '\n' <<<"$before" | grep .) || true)
			[ -n "$after" ] && break
			sleep 0.05
		done
		[ "$(wc -w <<<"$after")" = 1 ] ||
			{ echo "GEN_RX=napi: expected one new napi thread, found '$after'" >&2; exit 1; }
		NAPI_PID=$after
		# Interrupt moderation, as a NIC does it: once the thread has polled, veth stops
		# waking it (that wake-up would be billed to the sender, once per reply when the
		# thread keeps up); a timer of GEN_RX_USECS polls again while replies keep coming,
		# for up to 4 empty polls. At SCHED_FIFO priority 1 it runs as soon as its timer
		# fires, whatever the responder and the generators are doing on the two cores;
		# still, veth's ring (256 replies) fills now and then: column rdrops. 50 us (the
		# first run) cost the thread 5-10 s per million packets in this VM, taken from
		# the generators; 250 us leaves a ring of 256 four times the margin at 250,000
		# replies a second.
		ip netns exec $GEN sh -c "echo $((GEN_RX_USECS * 1000)) >/sys/class/net/veth0/gro_flush_timeout;
			echo 4 >/sys/class/net/veth0/napi_defer_hard_irqs"
		chrt -f -p 1 "$NAPI_PID"
	fi
}

# peer_ticks: "user system" ticks of the generator's NAPI thread, 0 0 with GEN_RX=backlog.
peer_ticks() {
	if [ -n "$NAPI_PID" ]; then ticks "$NAPI_PID"; else echo 0 0; fi
}
# reply_drops: replies lost between the two veth ends (the generator's ring full, its
# backlog over netdev_max_backlog): the server's tx_dropped and the generator's rx_dropped.
reply_drops() {
	echo $(($(ip netns exec $GEN cat /sys/class/net/veth0/statistics/rx_dropped) +
		$(ip netns exec $SRV cat /sys/class/net/veth0/statistics/tx_dropped)))
}

# ticks PID: "user system" clock ticks of a process (all its threads).
ticks() {
	awk '{ print $14, $15 }' "/proc/$1/stat"
}
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
queue_lost() {
	ip netns exec $SRV awk '{ s += $6 + $7 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue
}
ctl_stat() {
	printf 'stats\n' | socat -t 3 - "UNIX-CONNECT:$WORK/ctl.sock" | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# counters MODE: "handled replies" so far.
counters() {
	case $1 in
	kernel-drop)
		echo "$(ip netns exec $SRV nft list chain inet benchdrop pre | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }') 0"
		;;
	naive)
		local before
		before=$(wc -l <"$WORK/naive.out")
		kill -USR1 "$RESP_PID"
		for ((i = 0; i < 50; i++)); do
			[ "$(wc -l <"$WORK/naive.out")" -gt "$before" ] && break
			sleep 0.02
		done
		tail -1 "$WORK/naive.out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["packets"], d["replies"])'
		;;
	nftarpitd-*)
		printf 'stats\n' | socat -t 3 - "UNIX-CONNECT:$WORK/ctl.sock" >"$WORK/stats"
		awk -F= '$1 == "packets" { p = $2 } $1 == "replies_sent" { r = $2 } END { print p, r }' "$WORK/stats"
		;;
	esac
}

two_queues() {
	case $1 in nftarpitd-2q*) return 0 ;; esac
	return 1
}

# start MODE KIND: the server side of one contender.
start() {
	local mode=$1 kind=$2
	topo
	ip netns exec $SRV "$B/tools/nftarpitctl" setup $(two_queues $mode && echo --queue 25-26) >/dev/null
	ip netns exec $SRV nft add element inet nftarpit blocknet4 '{ 198.18.0.0/15 }'
	ip netns exec $SRV nft add element inet nftarpit blocknet6 '{ 2001:db8:18::/48 }'
	RESP_PID=
	case $mode in
	kernel-drop)
		ip netns exec $SRV nft -f - <<-'NFT'
		table inet benchdrop {
			chain pre {
				type filter hook prerouting priority -350; policy accept;
				ip saddr 198.18.0.0/15 tcp dport 25 counter drop
				ip6 saddr 2001:db8:18::/48 tcp dport 25 counter drop
			}
		}
		NFT
		;;
	naive)
		: >"$WORK/naive.out"
		ip netns exec $SRV "$B/bench/naive_nfq" 25 0x6e746172 "$WORK/key" >"$WORK/naive.out" 2>&1 &
		RESP_PID=$!
		;;
	nftarpitd-*)
		# Budgets raised so it answers every packet, like the naive responder; the
		# probes' flows are kept (8,192 of them) and fed the SMTP drip as usual.
		cat >"$WORK/d.conf" <<-CONF
		[daemon]
		reply_rate_per_prefix = 1000000
		reply_burst_per_prefix = 1000000
		reply_rate = $(case $mode in *-silent) echo 1 ;; *) echo 4000000 ;; esac)
		reply_burst = $(case $mode in *-silent) echo 1 ;; *) echo 4000000 ;; esac)
		log_flows_per_second = 0
		cookie_key_file = $WORK/key
		CONF
		ip netns exec $SRV "$B/daemon/nftarpitd" -f -c "$WORK/d.conf" \
			-q $(two_queues $mode && echo 25-26 || echo 25) \
			-s "$WORK/ctl.sock" >"$WORK/d.log" 2>&1 &
		RESP_PID=$!
		;;
	esac
	if [ -n "$RESP_PID" ]; then
		for ((i = 0; i < 50; i++)); do
			ip netns exec $SRV grep -q '^ *25 ' /proc/net/netfilter/nfnetlink_queue && break
			sleep 0.1
		done
		ip netns exec $SRV grep -q '^ *25 ' /proc/net/netfilter/nfnetlink_queue ||
			{ echo "$mode did not bind its queue:" >&2; cat "$WORK"/d.log "$WORK"/naive.out 2>/dev/null >&2; exit 1; }
	fi
}

stop() {
	if [ -n "$RESP_PID" ]; then
		kill -TERM "$RESP_PID"
		wait "$RESP_PID" || true
		RESP_PID=
	fi
	ip netns del $SRV
	ip netns del $GEN
}

# step MODE KIND RATE: one offered rate; appends a row to $WORK/results.
step() {
	local mode=$1 kind=$2 rate=$3 c0 c1 t0 t1 m0 m1 l0 l1 p0 p1 d0 d1 sent elapsed sys=0 count
	c0=$(counters $mode)
	t0="0 0"
	[ -n "$RESP_PID" ] && t0=$(ticks $RESP_PID)
	l0=$(queue_lost)
	p0=$(peer_ticks)
	d0=$(reply_drops)
	m0=$(machine_busy)
	if [ -n "$RESP_PID" ] && [ -n "${PROFILE:-}" ] && command -v perf >/dev/null; then
		perf record -q -g -F 999 -p $RESP_PID \
			-o "$PROFILE/$kind$FAMILY-$mode-$rate-$GEN_RX.data" 2>/dev/null &
		PROF_PID=$!
	fi
	if [ -n "$RESP_PID" ] && [ "$SYSCALLS" = 1 ] && command -v perf >/dev/null; then
		# Per thread: without it perf 6.1 misses most of a threaded process's calls.
		perf stat --per-thread -e raw_syscalls:sys_enter -x, -o "$WORK/perf" -p $RESP_PID 2>/dev/null &
		PERF_PID=$!
	fi
	count=$MAX_PER_STEP
	[ "$rate" -gt 0 ] && count=$((rate * STEP))
	# Two generator processes, one per core, each half of the rate.
	ip netns exec $GEN taskset -c 0 "$B/bench/loadgen" -d "$(dst)" -n $((count / 2)) \
		-t $((STEP + 2)) -r $((rate / 2)) -k $kind -K "$WORK/key" >"$WORK/gen0" &
	local g0=$!
	ip netns exec $GEN taskset -c 1 "$B/bench/loadgen" -d "$(dst)" -n $((count / 2)) \
		-t $((STEP + 2)) -r $((rate / 2)) -k $kind -K "$WORK/key" >"$WORK/gen1" &
	local g1=$!
	wait $g0 $g1
	sleep 0.5 # let the responder drain its queue
	if [ -n "$PERF_PID" ]; then
		kill -INT $PERF_PID
		wait $PERF_PID 2>/dev/null || true
		PERF_PID=
		sys=$(awk -F, '/raw_syscalls:sys_enter/ && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' "$WORK/perf")
	fi
	if [ -n "$PROF_PID" ]; then
		kill -INT $PROF_PID 2>/dev/null || true
		wait $PROF_PID 2>/dev/null || true
		PROF_PID=
	fi
	m1=$(machine_busy)
	p1=$(peer_ticks)
	d1=$(reply_drops)
	l1=$(queue_lost)
	t1="0 0"
	[ -n "$RESP_PID" ] && t1=$(ticks $RESP_PID)
	c1=$(counters $mode)
	sent=$(cat "$WORK/gen0" "$WORK/gen1" | /usr/bin/python3 -c 'import json,sys; print(sum(json.loads(l)["sent"] for l in sys.stdin))')
	elapsed=$(cat "$WORK/gen0" "$WORK/gen1" | /usr/bin/python3 -c 'import json,sys; print(max(json.loads(l)["seconds"] for l in sys.stdin))')
	echo "$kind$([ "$FAMILY" = 6 ] && echo 6) $mode $rate $sent $elapsed $c0 $c1 $t0 $t1 $m0 $m1 $l0 $l1 $sys $p0 $p1 $d0 $d1 $GEN_RX" >>"$WORK/results"
	printf '  %-6s IPv%s %-13s offered %7s/s: sent %s in %ss\n' $kind $FAMILY $mode \
		"$([ $rate = 0 ] && echo max || echo $rate)" "$sent" "$elapsed" >&2
}

head -c 16 /dev/urandom >"$WORK/key"
chmod 600 "$WORK/key"
if [ -n "${REPORT_FROM:-}" ]; then
	cp "$REPORT_FROM" "$WORK/results" # the tables and plot again, from kept rows
else
	echo "pps.sh: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $STEP s per step; GEN_RX=$GEN_RX ($GEN_RX_USECS us) SYSCALLS=$SYSCALLS" >&2
	for FAMILY in $FAMILIES; do
		for kind in $KINDS; do
			for mode in $MODES; do
				start $mode $kind
				for rate in $RATES; do
					step $mode $kind $rate
				done
				stop
			done
		done
	done
fi

/usr/bin/python3 - "$WORK/results" "$WORK/plot.dat" "$(getconf CLK_TCK)" <<'PY'
import sys
hz = float(sys.argv[3])
rows = {}
order = []
for l in open(sys.argv[1]):
    f = l.split()
    if len(f) == 18:  # rows from before GEN_RX: the generator received in the backlog
        f += ["0", "0", "0", "0", "nan", "nan", "backlog"]
    (kind, mode, rate, sent, el, h0, r0, h1, r1, u0, s0, u1, s1, m0, m1, l0, l1,
     nsys, pu0, ps0, pu1, ps1, d0, d1, genrx) = f
    sent, el = int(sent), float(el)
    handled = int(h1) - int(h0)
    replies = int(r1) - int(r0)
    user = (int(u1) - int(u0)) / hz
    own = user + (int(s1) - int(s0)) / hz
    mach = (int(m1) - int(m0)) / hz
    mpk = handled / 1e6 if handled else float("nan")
    peer = (int(pu1) - int(pu0) + int(ps1) - int(ps0)) / hz
    rows[(kind, mode, int(rate))] = dict(
        offered=sent / el, handled=handled / el, replies=replies, lost=int(l1) - int(l0),
        own=own / mpk, user=user / mpk, mach=mach / mpk,
        drops=(int(d1) - int(d0) if d0 != "nan" else float("nan")),
        peer=(peer / mpk if genrx == "napi" else float("nan")),
        sys=(int(nsys) / handled if handled and int(nsys) else float("nan")))
    if (kind, mode) not in order:
        order.append((kind, mode))
kinds = []
for k, _ in order:
    if k not in kinds:
        kinds.append(k)
names = {"syn": "SYNs (new connections, each answered with a SYN-ACK)",
         "probe": "window probes of 8,192 held connections (each answered with an ACK)"}
names["syn6"] = names["syn"] + ", IPv6"
names["probe6"] = names["probe"] + ", IPv6"
plot = open(sys.argv[2], "w")
for kind in kinds:
    print(f"\n{names[kind]}")
    print(f"{'offered/s':>10} {'mode':<13}{'sent/s':>8}{'handled/s':>10}{'replies':>9}{'lost':>9}"
          f"{'own CPU s/Mpkt':>15}{'of it user':>11}{'peer rx':>8}{'machine':>9}"
          f"{'syscalls/pkt':>13}{'rdrops':>8}")
    rates = sorted({r for (k, m, r) in rows if k == kind}, key=lambda r: (r == 0, r))
    for rate in rates:
        for (k, mode) in order:
            if k != kind or (k, mode, rate) not in rows:
                continue
            d = rows[(k, mode, rate)]
            print(f"{('max' if rate == 0 else rate):>10} {mode:<13}{d['offered']:>8.0f}{d['handled']:>10.0f}"
                  f"{d['replies']:>9}{d['lost']:>9}{d['own']:>15.2f}{d['user']:>11.2f}"
                  f"{d['peer']:>8.2f}{d['mach']:>9.2f}{d['sys']:>13.3f}{d['drops']:>8}")
            if rate > 0:  # the paced steps: the same offered load for every contender
                plot.write(f"{kind} {mode} {rate} {d['handled']:.0f} {d['own']:.3f}\n")
    print("ratios (nftarpitd / baseline, same offered rate):")
    for rate in rates:
        k = rows.get((kind, "kernel-drop", rate))
        n = rows.get((kind, "naive", rate))
        for mode in ("nftarpitd-1q", "nftarpitd-2q", "nftarpitd-1q-silent", "nftarpitd-2q-silent"):
            d = rows.get((kind, mode, rate))
            if d is None:
                continue
            head = f"{('max' if rate == 0 else rate):>8} {mode}: "
            parts = []
            if k and k['handled'] > 0:
                parts.append(f"rate {d['handled'] / k['handled']:.2f} x kernel-drop")
            if n and n['handled'] > 0 and d['handled'] > 0:
                parts.append(f"rate {d['handled'] / n['handled']:.2f} x naive, "
                             f"own CPU/pkt {d['own'] / n['own']:.2f} x naive")
                if d['sys'] == d['sys'] and n['sys'] == n['sys']:
                    parts.append(f"syscalls/pkt {d['sys'] / n['sys']:.3f} x naive")
            if parts:
                print("  " + head + "; ".join(parts))
plot.close()
PY

# The kinds of the rows, in their order (syn, probe, then syn6, probe6 over IPv6).
PKINDS=$(awk '!seen[$1]++ { print $1 }' "$WORK/results" | tr '\n' ' ')
if command -v gnuplot >/dev/null; then
	cd "$WORK"
	for kind in $PKINDS; do
		for mode in $MODES; do
			awk -v k=$kind -v m=$mode '$1 == k && $2 == m { print $3, $4, $5 }' plot.dat >"$kind-$mode.dat"
		done
	done
	{
		echo "set terminal pngcairo size 1200,800 font ',10'"
		echo "set output '$PLOT_OUT'"
		echo "set multiplot layout 2,$(echo $PKINDS | wc -w) title 'nftarpitd packet rate on $(nproc) CPUs (bench/pps.sh)'"
		echo "set key top left; set grid"
		for kind in $PKINDS; do
			echo "set title '$kind: packets handled per second (paced steps)'; set xlabel 'offered packets/s'; set ylabel 'handled/s'"
			printf "plot x / 2 with lines dt 2 lc 'gray' title 'half the offered rate'"
			lt=0
			for mode in $MODES; do
				lt=$((lt + 1))
				printf ", '%s' using 1:2 with linespoints lt %d title '%s'" "$kind-$mode.dat" $lt "$mode"
			done
			echo
		done
		for kind in $PKINDS; do
			echo "set title '$kind: responder CPU seconds per million packets'; set xlabel 'offered packets/s'; set ylabel 's/Mpkt'; set yrange [0:*]; set key bottom right"
			printf "plot "
			sep=
			lt=0
			for mode in $MODES; do
				lt=$((lt + 1))
				[ $mode = kernel-drop ] && continue
				printf "%s'%s' using 1:3 with linespoints lt %d title '%s'" "$sep" "$kind-$mode.dat" $lt "$mode"
				sep=", "
			done
			echo
			echo "set autoscale y"
		done
		echo "unset multiplot"
	} >plot.gp
	gnuplot plot.gp && echo "plot: $PLOT_OUT" >&2
	cd - >/dev/null
else
	echo "gnuplot not installed (apt-get install gnuplot-nox): no plot" >&2
fi
[ -z "${RESULTS_OUT:-}" ] || cp "$WORK/results" "$RESULTS_OUT"
