#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Held connections: what it costs to hold N real TCP connections, nftarpitd against a
# socket-based tarpit, in one run. Real Linux client sockets (bench/holdclient, at most
# 19,000 per process, from 40 source addresses in 198.18.0.0/15) connect over veth to a
# server namespace at 192.0.2.1 and stay there, kept alive by their own kernel.
#   nftarpitd  the nftarpit ruleset and nftarpitd on queue 25 (QUEUES=2: 25-26), port 2525
#              (zero window only: not in smtp_ports), in steps up to 1,000,000 connections
#   sockpit    bench/sockpit, an endlessh-style tarpit (a socket per connection, one byte
#              every 10 s), 1,000 to 19,000 connections in one process (its file limit),
#              then SOCKPIT_PROCS processes of 19,000: it grows only by more processes
# Both server namespaces run a host firewall with a conntrack rule, as a real server does.
# Per step: connections established, the server's RSS (VmRSS, VmHWM), conntrack entries
# and TCP sockets in the server namespace, the replies per second the tarpit sends to keep
# them, nftarpitd's flows_now, and the client side's cost: the client processes' RSS and
# the kernel's slab memory and TCP buffer pages, as deltas from a baseline taken before
# the contender's first step (the kernel is shared: the slab delta is both sides' sockets).
# Prints a table per contender and the goal check; writes a PNG (gnuplot) and the raw
# table. Root; about 8 minutes at the full ladder (483 s measured), mostly the 60-second
# windows that measure the reply rate at each step.
#   usage: bench/held.sh [STEPS]   (comma list, ascending, default
#                                   10000,100000,250000,500000,1000000; each 1000..1000000)
#   environment: NFTARPIT_BUILD (default ./build, made by ./quickstart build),
#   MODE (zw, the default: sockpit and the zero-window ladder above; smtp: the SMTP drip
#   ladder on port 25 and the zero-window ladder beside it, no sockpit),
#   FAMILY (4, the default, or 6: clients from 2001:db8:18:K::1 to 2001:db8:1::1; sockpit
#   is left out over IPv6), SMTP_WINDOW (seconds each SMTP step is measured, default 30),
#   SAMPLE (every SAMPLE-th client connection records its drip intervals, default 100),
#   ZW (1, the default; 0 leaves the zero-window ladder out of MODE=smtp, for a quick look),
#   PLOT_OUT (default doc/bench-held.png, doc/bench-held-smtp.png with MODE=smtp,
#   doc/bench-held-smtp6.png with MODE=smtp FAMILY=6),
#   DATA_OUT (default PLOT_OUT with .dat), REPORT_FROM (a kept data file: print the tables
#   and draw the plot again from it, measuring nothing), KEEPALIVE (seconds, default 60),
#   SOCKPIT_STEPS (default 1000,5000,10000,19000), SOCKPIT_PROCS (default 4, at most 8),
#   QUEUES (1 or 2, default 1), MAX_FLOWS (records per queue; default the largest step
#   plus 5%, which each queue gets even with two: see below)
#
# How the clients are kept alive: SO_KEEPALIVE with TCP_KEEPINTVL = 60 s (TCP_KEEPIDLE
# drawn from 1..60 s per connection, so that the probes are spread evenly over the interval
# from the start: bench/holdclient.c), no data written. A keepalive probe (seq =
# snd_una - 1, no payload) is what nftarpitd answers as a zero-window probe (ack =
# snd_una), which resets the client's probe count, so each connection costs one probe and
# one reply per 60 s (a little more: the timer wheel), and nothing else.
# The alternative, a few bytes written into the zero window, makes the kernel send
# persist probes instead, but (1) every socket then keeps an skb of unsent data, about
# 1-2 KB of buffer memory each, charged to the host-wide net.ipv4.tcp_mem (2.2 GB here):
# a million of them would put the whole machine under TCP memory pressure; (2) persist
# probes back off to one per tcp_rto_max (120 s), so the rate depends on each socket's
# backoff history rather than one setting. 60 s (rather than Linux's 7200 s default) is
# well inside nftarpitd's flow_idle_timeout (600 s), so the flows stay held, and a
# 60 s window of nftarpitd's counters sees every connection about once.
#
# MODE=smtp: nftarpitd holds port 25 with the SMTP drip on (one byte per flow every
# smtp_interval, 10 s): the clients set no keepalive (the drip keeps their connections
# busy) and write nothing (an EHLO stuck in our window would cost each socket an skb of
# unsent data: the tcp_mem argument above), and read every byte. Every SAMPLE-th
# connection records the time between its reads from the second drip byte on
# (bench/holdclient -S/-I); per step the intervals of one SMTP_WINDOW are pooled: their
# median and 99th percentile against the configured 10 s say whether the cadence held.
# Also per step: drip segments per second (smtp_segments), drips late and stretched
# (nftarpitd put the longest-held flows off an interval because it was behind), the
# kernel's queue drops and nftarpitd's CPU (utime + stime over the window, in cores).
# Then the zero-window ladder of MODE=zw (port 2525, keepalive 60 s) in the same run.
#
# One queue by default: one thread answers 17,000 probes a second with ease, and the
# flow table is then the one of a single worker. (QUEUES=2 splits the connections
# between two workers by address hash. It once showed 41,000 records for 40,000
# connections, when a queue range was CPU fanout; it is balanced by address now.)
set -euo pipefail
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
. "$(dirname "$0")/lib.sh"
bench_build
STEPS=${1:-10000,100000,250000,500000,1000000}
MODE=${MODE:-zw}
FAMILY=${FAMILY:-4}
SMTP_WINDOW=${SMTP_WINDOW:-30}
SAMPLE=${SAMPLE:-100}
SP_STEPS=${SOCKPIT_STEPS:-1000,5000,10000,19000}
SP_PROCS=${SOCKPIT_PROCS:-4}
KA=${KEEPALIVE:-60}
QUEUES=${QUEUES:-1}
case $MODE/$FAMILY in
zw/4) PLOT_DEFAULT=$SRC/doc/bench-held.png ;;
zw/6) PLOT_DEFAULT=$SRC/doc/bench-held6.png ;;
smtp/4) PLOT_DEFAULT=$SRC/doc/bench-held-smtp.png ;;
*) PLOT_DEFAULT=$SRC/doc/bench-held-smtp6.png ;;
esac
PLOT_OUT=${PLOT_OUT:-$PLOT_DEFAULT}
DATA_OUT=${DATA_OUT:-${PLOT_OUT%.png}.dat}
PY=/usr/bin/python3
PER_PROC=19000 # connections per client process: a process may hold 20,000 files here
NSRC=40        # source addresses: at most 2 processes (38,000 ports) on each
SRV4=192.0.2.1
CLI4=192.0.2.2
SRV6=2001:db8:1::1
CLI6=2001:db8:1::2
PORT=2525
SMTP_PORT=25
SP_INTERVAL=10 # sockpit: one byte per connection this often (endlessh's default delay)
HOLD_LIMIT=1500 # seconds: a client left behind by a killed run still ends by itself

die() {
	echo "held: $*" >&2
	exit 1
}
# check_steps NAME LIST MIN MAX: a comma list of ascending numbers in MIN..MAX.
check_steps() {
	local prev=0 s
	[ -n "$2" ] || die "$1: empty"
	for s in ${2//,/ }; do
		case $s in '' | *[!0-9]* | 0*) die "$1: $s is not a number" ;; esac
		[ "$s" -ge "$3" ] && [ "$s" -le "$4" ] || die "$1: $s not in $3..$4"
		[ "$s" -gt "$prev" ] || die "$1: steps must ascend"
		prev=$s
	done
}
check_steps STEPS "$STEPS" 1000 1000000
check_steps SOCKPIT_STEPS "$SP_STEPS" 100 $PER_PROC
case $SP_PROCS in [1-8]) ;; *) die "SOCKPIT_PROCS: 1..8" ;; esac
case $QUEUES in 1 | 2) ;; *) die "QUEUES: 1 or 2" ;; esac
case $MODE in zw | smtp) ;; *) die "MODE: zw or smtp" ;; esac
case $FAMILY in 4 | 6) ;; *) die "FAMILY: 4 or 6" ;; esac
case $SMTP_WINDOW in '' | *[!0-9]* | 0*) die "SMTP_WINDOW: a number of seconds" ;; esac
[ "$SMTP_WINDOW" -ge 20 ] && [ "$SMTP_WINDOW" -le 300 ] || die "SMTP_WINDOW: 20..300"
case $SAMPLE in '' | *[!0-9]* | 0*) die "SAMPLE: a number" ;; esac
[ "$SAMPLE" -le $PER_PROC ] || die "SAMPLE: 1..$PER_PROC"
if [ "$FAMILY" = 4 ]; then
	SRV=$SRV4
else
	SRV=$SRV6
fi
# src_addr K: the K-th client source address.
src_addr() {
	if [ "$FAMILY" = 4 ]; then
		echo "198.18.$1.1"
	else
		printf '2001:db8:18:%x::1\n' "$1"
	fi
}
case $KA in '' | *[!0-9]* | 0*) die "KEEPALIVE: a number of seconds" ;; esac
[ "$KA" -ge 10 ] && [ "$KA" -le 300 ] || die "KEEPALIVE: 10..300"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for p in "$B/daemon/nftarpitd" "$B/tools/nftarpitctl" "$B/bench/holdclient" "$B/bench/sockpit"; do
	[ -x "$p" ] || die "missing $p: build first (meson setup build && ninja -C build)"
done
for p in ip nft socat ss ethtool tc; do
	command -v $p >/dev/null || die "missing $p"
done
command -v gnuplot >/dev/null || echo "held: gnuplot missing (./quickstart build installs it); no plot" >&2

NS_SRV=nfheld-srv-$$
NS_CLI=nfheld-cli-$$
WORK=$(mktemp -d /tmp/nftarpit-held.XXXXXX)
DAEMON_PID=
SERVER_PIDS=()
# The running clients: pid, the write end of their stdin, their number (hold-N.out).
CLIENT_PIDS=()
CLIENT_FDS=()
CLIENT_IDS=()
declare -A REQ # report requests sent to client N
T_START=$(date +%s)

# Everything this run made goes, on success, failure or a signal: clients first (their
# sockets close with resets), then the servers, the namespaces and the work directory.
cleanup() {
	local rc=$? fd ns pids i
	trap - EXIT INT TERM ERR
	set +e
	clients_stop
	servers_stop
	for ns in $NS_SRV $NS_CLI; do
		pids=$(ip netns pids $ns 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		ip netns del $ns 2>/dev/null
	done
	if [ $rc -ne 0 ] && [ -s "$WORK/nftarpitd.log" ]; then
		echo "held: tail of nftarpitd's log:" >&2
		tail -n 20 "$WORK/nftarpitd.log" >&2
	fi
	if [ $rc -ne 0 ]; then
		echo "held: the clients' last lines:" >&2
		for f in "$WORK"/hold-*.out; do
			[ -e "$f" ] && tail -n 1 "$f" | sed 's/[0-9][0-9]*/N/g'
		done | sort | uniq -c >&2
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A client that died must not take the script with it when we write to its stdin.
trap '' PIPE
set -E
trap 'echo "held: line $LINENO failed: $BASH_COMMAND" >&2' ERR

in_srv() { ip netns exec $NS_SRV "$@"; }
in_cli() { ip netns exec $NS_CLI "$@"; }

# clients_stop: close every client's stdin (it exits, resetting its connections), wait up
# to 60 s for them all, then kill what is left.
clients_stop() {
	local fd p i alive
	for fd in "${CLIENT_FDS[@]}"; do
		eval "exec $fd>&-"
	done
	CLIENT_FDS=()
	for ((i = 0; i < 600; i++)); do
		alive=0
		for p in "${CLIENT_PIDS[@]}"; do
			if kill -0 "$p" 2>/dev/null; then
				alive=1
				break
			fi
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${CLIENT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	CLIENT_PIDS=()
	CLIENT_IDS=()
	return 0
}

servers_stop() {
	local p i
	for p in $DAEMON_PID "${SERVER_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $DAEMON_PID "${SERVER_PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	DAEMON_PID=
	SERVER_PIDS=()
	return 0
}

# topo: a server and a client namespace joined by veth; the client has NSRC source
# addresses 198.18.K.1 (K = 0..NSRC-1) and the widest ephemeral port range, in its own
# namespace only. The server runs a host firewall whose ct rule turns conntrack on there,
# so "no conntrack entry" is measured, not assumed.
topo() {
	local k
	ip netns add $NS_SRV
	ip netns add $NS_CLI
	ip -n $NS_SRV link set lo up
	ip -n $NS_CLI link set lo up
	ip -n $NS_SRV link add veth0 type veth peer name veth0 netns $NS_CLI
	if [ "$FAMILY" = 4 ]; then
		ip -n $NS_SRV addr add $SRV4/24 dev veth0
		ip -n $NS_CLI addr add $CLI4/24 dev veth0
		for ((k = 0; k < NSRC; k++)); do
			ip -n $NS_CLI addr add "$(src_addr $k)/32" dev veth0
		done
	else
		# nodad: usable at once (duplicate address detection would hold them 1-2 s).
		ip -n $NS_SRV addr add $SRV6/64 dev veth0 nodad
		ip -n $NS_CLI addr add $CLI6/64 dev veth0 nodad
		for ((k = 0; k < NSRC; k++)); do
			ip -n $NS_CLI addr add "$(src_addr $k)/128" dev veth0 nodad
		done
	fi
	ip -n $NS_SRV link set veth0 up
	ip -n $NS_CLI link set veth0 up
	if [ "$FAMILY" = 4 ]; then
		ip -n $NS_SRV route add 198.18.0.0/15 via $CLI4
	else
		ip -n $NS_SRV -6 route add 2001:db8:18::/48 via $CLI6
		# A million neighbours are one: the client namespace's router address.
		in_srv sysctl -qw net.ipv6.route.max_size=1048576 2>/dev/null || true
	fi
	in_cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	# Full checksums, as packets from a real network have (veth would leave them partial).
	in_cli ethtool -K veth0 tx off >/dev/null
	# A plain veth hands every packet to the receiving CPU's input backlog, 1,000 packets
	# per CPU (net.core.netdev_max_backlog, a host sysctl we leave alone). The clients'
	# keepalive timers fire in batches (at HZ 250 a 60 s timer is rounded to 2 s, so a
	# thirtieth of all connections probe in the same tick): with half a million
	# connections most probes were dropped there, on the client's own side, and the
	# kernel sends a dropped probe again every 0.5 s: a storm that took both CPUs. GRO on
	# the receiving end puts veth in NAPI mode, with a ring of its own, and a qdisc on the
	# sending end lets a full ring push back (the queue stops) instead of dropping, as a
	# NIC's ring and qdisc do.
	local ns
	for ns in $NS_SRV $NS_CLI; do
		ip netns exec $ns ethtool -K veth0 gro on >/dev/null
		ip netns exec $ns tc qdisc replace dev veth0 root pfifo limit 200000
	done
	in_srv nft -f - <<-'EOF'
	table inet host {
		chain input {
			type filter hook input priority filter; policy accept;
			ct state established,related accept
		}
	}
	EOF
}

topo_down() {
	ip netns del $NS_SRV
	ip netns del $NS_CLI
}

# Kernel memory, machine-wide: Slab and SUnreclaim (kB), TCP buffer pages (sockstat's
# "mem", global), and /proc/slabinfo for the per-cache breakdown.
kmem() {
	awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } END { print s, u }' /proc/meminfo
}
tcp_mem_pages() {
	awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat
}
# tcp_inuse NS: TCP sockets of that namespace (sockstat's inuse is per namespace).
tcp_inuse() {
	ip netns exec "$1" awk '$1 == "TCP:" { print $3 }' /proc/net/sockstat
}
ct_count() {
	ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0
}
status_kb() { # status_kb PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
status_sum() { # status_sum FIELD PID...: a /proc/PID/status field summed, kB
	local f=$1 p s=0 r
	shift
	for p in "$@"; do
		r=$(status_kb "$p" "$f")
		s=$((s + ${r:-0}))
	done
	echo $s
}
oom_lines() {
	dmesg 2>/dev/null | grep -c -E 'TCP: out of memory|too many orphaned' || true
}

# clients_add N PORT: N more connections to PORT (CLIENT_ARGS: holdclient's keepalive and
# sampling options), in processes of at most PER_PROC, each
# from the next source address; waits for their "established" lines (at most 180 s).
# Sets ADDED_EST, ADDED_FAILED, ADDED_SECONDS. The clients connect in waves of WAVE
# processes, niced: with 27 processes connecting at once (the step to a million), the one
# nftarpitd thread got a 28th of the CPUs, its queue overflowed (419,136 packets dropped),
# and handshakes took minutes of SYN retransmits; on a real network the clients are other
# machines' CPUs.
NPROC=0
WAVE=8
clients_add() {
	local n=$1 port=$2 t0 first
	ADDED_EST=0
	ADDED_FAILED=0
	t0=$(date +%s.%N)
	while [ "$n" -gt 0 ]; do
		first=${#CLIENT_PIDS[@]}
		clients_wave $((n < WAVE * PER_PROC ? n : WAVE * PER_PROC)) "$port"
		clients_wait "$first"
		n=$((n > WAVE * PER_PROC ? n - WAVE * PER_PROC : 0))
	done
	ADDED_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}
clients_wave() {
	local n=$1 port=$2 k out fifo fd
	while [ "$n" -gt 0 ]; do
		k=$((n < PER_PROC ? n : PER_PROC))
		fifo=$WORK/hold-$NPROC.in
		out=$WORK/hold-$NPROC.out
		mkfifo "$fifo"
		# Ports handed out: process NPROC is the (NPROC / NSRC)-th on its address and
		# takes the next 19,000 ports there (holdclient -P), so no connect() searches.
		# shellcheck disable=SC2086 # CLIENT_ARGS is a list of options
		nice -n "$CLIENT_NICE" ip netns exec $NS_CLI "$B/bench/holdclient" -s "$(src_addr $((NPROC % NSRC)))" -d $SRV \
			-p "$port" -n $k -c 256 -w 150 -l $HOLD_LIMIT $CLIENT_ARGS \
			${CLIENT_SAMPLE:+-S $CLIENT_SAMPLE -I $WORK/hold-$NPROC.ivl} \
			-P $((1024 + (NPROC / NSRC % 3) * PER_PROC)) <"$fifo" >"$out" 2>&1 &
		CLIENT_PIDS+=($!)
		exec {fd}>"$fifo"
		CLIENT_FDS+=($fd)
		CLIENT_IDS+=($NPROC)
		REQ[$NPROC]=0
		NPROC=$((NPROC + 1))
		n=$((n - k))
	done
}
clients_wait() {
	local i w out line
	for ((i = $1; i < ${#CLIENT_PIDS[@]}; i++)); do
		out=$WORK/hold-${CLIENT_IDS[$i]}.out
		for ((w = 0; w < 1800; w++)); do
			grep -q '^holdclient ' "$out" 2>/dev/null && break
			kill -0 "${CLIENT_PIDS[$i]}" 2>/dev/null || break
			sleep 0.1
		done
		line=$(grep '^holdclient ' "$out" 2>/dev/null) || die "client $i: no report: $(cat "$out")"
		ADDED_EST=$((ADDED_EST + $(sed 's/.* established=\([0-9]*\).*/\1/' <<<"$line")))
		ADDED_FAILED=$((ADDED_FAILED + $(sed 's/.* failed=\([0-9]*\).*/\1/' <<<"$line") +
			$(sed 's/.* pending=\([0-9]*\).*/\1/' <<<"$line") + $(sed 's/.* noport=\([0-9]*\).*/\1/' <<<"$line")))
	done
}

# clients_alive: ask every running client for a report line (any line on its stdin) and
# sum their alive= and lost= into ALIVE and LOST.
clients_alive() {
	local i w id out l
	for ((i = 0; i < ${#CLIENT_FDS[@]}; i++)); do
		echo >&"${CLIENT_FDS[$i]}" 2>/dev/null || true
		id=${CLIENT_IDS[$i]}
		REQ[$id]=$((REQ[$id] + 1))
	done
	ALIVE=0
	LOST=0
	for id in "${CLIENT_IDS[@]}"; do
		out=$WORK/hold-$id.out
		for ((w = 0; w < 200; w++)); do
			[ "$(grep -c '^alive=' "$out" || true)" -ge "${REQ[$id]}" ] && break
			sleep 0.05
		done
		l=$(grep '^alive=' "$out" | tail -1 || true)
		[ -n "$l" ] || l="alive=0 lost=0"
		if ! kill -0 "${CLIENT_PIDS[$((id - CLIENT_IDS[0]))]}" 2>/dev/null; then
			echo "held: client $id is gone: $(tail -n 2 "$out" | tr '\n' ' ')" >&2
			l="alive=0 lost=0"
		fi
		ALIVE=$((ALIVE + $(sed 's/^alive=\([0-9]*\).*/\1/' <<<"$l")))
		LOST=$((LOST + $(sed 's/.* lost=\([0-9]*\).*/\1/' <<<"$l")))
	done
}

# stats: nftarpitd's counters; a busy machine may take a few tries.
stats() {
	local i
	for ((i = 0; i < 5; i++)); do
		printf 'stats\n' | timeout 10 socat -t 8 - "UNIX-CONNECT:$WORK/ctl.sock" && return 0
	done
	die "nftarpitd's control socket did not answer 'stats'"
}
stat_of() { # stat_of FILE KEY
	awk -F= -v k="$2" '$1 == k { print $2 }' "$1"
}
# ka_probes: keepalive probes the client namespace's kernel sent (TcpExt TCPKeepAlive).
ka_probes() {
	in_cli awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) k[i] = $i; n = 1 }
		else for (i = 2; i <= NF; i++) if (k[i] == "TCPKeepAlive") print $i }' /proc/net/netstat
}
# backlog_drops: packets the client's veth dropped because the receiving CPU's input
# backlog was full (veth delivers through it: net.core.netdev_max_backlog packets per
# CPU, a host sysctl we leave alone). The kernel sends a dropped probe again 0.5 s later.
backlog_drops() {
	in_cli cat /sys/class/net/veth0/statistics/tx_dropped
}
queue_lost() {
	in_srv awk '{ s += $6 + $7 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue
}

# Rows of the data file: contender held procs server_rss_kb server_hwm_kb srv_tcp
# srv_conntrack replies_per_s flows_now client_rss_kb slab_kb sunreclaim_kb tcp_mem_pages
# open_s lost failed cli_conntrack queue_lost cli_probes_per_s backlog_drops, then for
# nftarpitd's ladders: cpu (cores over the window), and for the smtp rows drip_per_s
# ivl_n ivl_p50_ms ivl_p99_ms stretched late ivl_max_ms ("-" elsewhere). queue_lost is
# the kernel's queue drops during the window.
DATA=$WORK/held.dat
echo "# contender held procs server_rss_kb server_hwm_kb srv_tcp srv_conntrack replies_per_s flows_now client_rss_kb slab_delta_kb sunreclaim_delta_kb tcp_mem_pages_delta open_s lost failed cli_conntrack queue_lost cli_probes_per_s backlog_drops cpu drip_per_s ivl_n ivl_p50_ms ivl_p99_ms stretched late ivl_max_ms family=$FAMILY" >"$DATA"

slab_snap() { # slab_snap FILE: bytes per cache (allocated slabs)
	awk 'NR > 2 { printf "%s %.0f\n", $1, $15 * $6 * 4096 }' /proc/slabinfo >"$1" 2>/dev/null || true
}

echo "held: load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs;" \
	"$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) memory;" \
	"kernel $(uname -r)" >&2
OOM0=$(oom_lines)

# report OOM_LINES SECONDS: the tables, the goal check and the plot, from $DATA.
report() {
"$PY" - "$DATA" "$WORK" "$1" "$KA" "$SP_INTERVAL" "$2" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$QUEUES" "$FAMILY" <<'PY'
import sys
data, work, oom, ka, spi, secs, load, nq, fam = sys.argv[1:10]
rows = [l.split() for l in open(data) if not l.startswith("#")]
for r in rows:
    while len(r) < 28:
        r.append("-")
def mb(kb): return int(kb) / 1024.0
def slab(name):
    d = {}
    try:
        for l in open(f"{work}/{name}"):
            k, v = l.split()
            d[k] = int(v)
    except OSError:
        pass
    return d
def breakdown(a, b, n):
    s0, s1 = slab(a), slab(b)
    d = sorted(((s1.get(k, 0) - s0.get(k, 0), k) for k in s1), reverse=True)[:6]
    return ", ".join(f"{k} {v / n:.0f}" for v, k in d if v > 0)

hdr = (f"{'held':>9} {'procs':>5} {'RSS MB':>8} {'peak MB':>8} {'srv TCP':>8} {'srv ct':>7}"
       f" {'replies/s':>10} {'cli probes/s':>12} {'flows_now':>10} {'cli RSS MB':>10} {'slab MB':>8}"
       f" {'unrecl MB':>9} {'tcp_mem pg':>10} {'KB/conn':>8} {'open s':>7} {'lost':>5} {'failed':>6}"
       f" {'bl drops':>8} {'CPU':>5}")
def table(name, title):
    if not any(r[0] == name for r in rows):
        return
    print(f"\n{title}")
    print(hdr)
    for r in rows:
        if r[0] != name:
            continue
        held = int(r[1])
        per = int(r[10]) / held if held else 0
        print(f"{held:>9} {r[2]:>5} {mb(r[3]):>8.1f} {mb(r[4]):>8.1f} {r[5]:>8} {r[6]:>7}"
              f" {r[7]:>10} {r[18]:>12} {r[8]:>10} {mb(r[9]):>10.1f} {mb(r[10]):>8.1f}"
              f" {mb(r[11]):>9.1f} {r[12]:>10} {per:>8.2f} {r[13]:>7} {r[14]:>5} {r[15]:>6}"
              f" {r[19]:>8} {r[20]:>5}")

table("sockpit", f"sockpit: a socket per connection (endlessh style, 1 byte every {spi} s), "
      "19,000 per process at most")
table("smtp", f"nftarpitd: {nq} queue(s), SMTP drip on port 25 (one byte per flow every 10 s), IPv{fam}")
table("nftarpitd", f"nftarpitd: {nq} queue(s), zero window on port 2525, clients' keepalive every {ka} s, IPv{fam}")
sm = [r for r in rows if r[0] == "smtp"]
if sm:
    print("\nthe drip, per step (intervals between drip bytes seen by every sampled client connection;"
          "\nconfigured 10 s; stretched: drips nftarpitd put off an interval, being behind; late: drips"
          "\nsent a tenth of an interval or more after their time; q drops: the kernel's queue drops)")
    print(f"{'held':>9} {'drips/s':>8} {'samples':>8} {'median s':>9} {'p99 s':>7} {'max s':>7}"
          f" {'stretched':>9} {'late':>8} {'q drops':>8} {'CPU':>6} {'RSS MB':>7} {'srv TCP':>7} {'srv ct':>6}")
    def sec(v): return "-" if v == "-" else f"{int(v) / 1000:.2f}"
    for r in sm:
        print(f"{int(r[1]):>9} {r[21]:>8} {r[22]:>8} {sec(r[23]):>9} {sec(r[24]):>7} {sec(r[27]):>7}"
              f" {r[25]:>9} {r[26]:>8} {r[17]:>8} {r[20]:>6} {mb(r[3]):>7.1f} {r[5]:>7} {r[6]:>6}")
print("  RSS, peak: the server's VmRSS and VmHWM (sockpit: summed over its processes); srv TCP,"
      "\n  srv ct: TCP sockets and conntrack entries in the server namespace; slab, unrecl,"
      "\n  tcp_mem: kernel Slab, SUnreclaim and TCP buffer pages since the contender's baseline"
      "\n  (both sides' sockets: one kernel); KB/conn: slab per held connection; replies/s: the"
      "\n  tarpit's packets over one interval (nftarpitd: its replies_sent; sockpit: its bytes, one"
      "\n  per segment); cli probes/s: the client kernel's keepalive probes (TcpExt TCPKeepAlive),"
      "\n  retries included; bl drops: the client veth's drops for a full input backlog during"
      "\n  the interval (the kernel sends a probe dropped there again 0.5 s later).")

sp = [r for r in rows if r[0] == "sockpit"]
nt = [r for r in rows if r[0] == "nftarpitd"]
print("\nper held connection, at each contender's largest step:")
if sp:
    r = sp[-1]; n = int(r[1])
    print(f"  sockpit   {n:>8}: server RSS {int(r[3]) * 1024 / n:.0f} B, kernel slab {int(r[10]) * 1024 / n:.0f} B"
          f" (client and server sockets), {int(r[5]) / n:.2f} server sockets, {int(r[6]) / n:.2f} conntrack entries")
    print(f"    slab caches, bytes per connection: {breakdown('slab-sp0', 'slab-sp1', n)}")
if nt:
    r = nt[-1]; n = int(r[1])
    print(f"  nftarpitd {n:>8}: server RSS {int(r[3]) * 1024 / n:.0f} B (a fixed table, allocated at start),"
          f" kernel slab {int(r[10]) * 1024 / n:.0f} B (client sockets only), {int(r[5])} server sockets,"
          f" {int(r[6])} conntrack entries")
    print(f"    slab caches, bytes per connection: {breakdown('slab-nftarpitd-0', 'slab-nftarpitd-1', n)}")
if sp and nt:
    s = int(sp[-1][10]) * 1024 / int(sp[-1][1]); c = int(nt[-1][10]) * 1024 / int(nt[-1][1])
    print(f"  server-side kernel memory of a socket tarpit: about {s - c:.0f} B per connection"
          f" (sockpit's slab per connection minus nftarpitd's, which is the client's alone)")

print("\ngoal: 1,000,000 connections held by nftarpitd under 128 MB RSS, with no conntrack entry"
      "\n      and no socket on the server side (each ladder's largest step)")
ok = False
for r in ([sm[-1]] if sm else []) + ([nt[-1]] if nt else []):
    print(f"  {r[0]}:")
    held, rss, hwm, tcp, ct = int(r[1]), mb(r[3]), mb(r[4]), int(r[5]), int(r[6])
    checks = [(held >= 1000000, f"held {held}"), (hwm < 128, f"peak RSS {hwm:.1f} MB (RSS {rss:.1f} MB)"),
              (ct == 0, f"conntrack entries {ct}"), (tcp == 0, f"server TCP sockets {tcp}")]
    if r[0] == "smtp":
        p50 = int(r[23]) if r[23] != "-" else 0
        p99 = int(r[24]) if r[24] != "-" else 0
        checks.append((9500 <= p50 <= 10500 and 0 < p99 <= 11000,
                       f"drip cadence: median {p50 / 1000:.2f} s, 99th percentile {p99 / 1000:.2f} s"
                       " (held: median 10 s +- 0.5, p99 at most 11 s)"))
    ok = all(c for c, _ in checks)
    for c, t in checks:
        print(f"  {'ok  ' if c else 'MISS'} {t}")
    if r[0] == "smtp":
        print(f"  {'PASS' if ok else 'FAIL'}; {r[21]} drip segments/s, {r[7]} replies/s in all,"
              f" nftarpitd CPU {r[20]} cores, flows_now {r[8]}")
    else:
        print(f"  {'PASS' if ok else 'FAIL'}; keeping them costs {r[7]} replies/s"
              f" (the clients sent {r[18]} keepalive probes/s: one per connection every"
              f" {held / max(int(r[7]), 1):.1f} s), nftarpitd CPU {r[20]} cores, flows_now {r[8]}")
for name in ("smtp", "nftarpitd"):
    st = {}
    try:
        for l in open(f"{work}/s-end-{name}"):
            if "=" in l:
                k, v = l.strip().split("=", 1); st[k] = v
    except OSError:
        continue
    print(f"{name} totals: packets {st.get('packets')}, synack {st.get('synack_sent')}, probes {st.get('probes')},"
          f" replies {st.get('replies_sent')}, smtp_segments {st.get('smtp_segments')}, drip_late {st.get('drip_late')},"
          f" drip_stretched {st.get('drip_stretched')}, drip_resent {st.get('drip_resent')},"
          f" flows_new {st.get('flows_new')}, flows_stateless {st.get('flows_stateless')},"
          f" evicted {st.get('flows_evicted')}, budget_drops {st.get('budget_drops')}, send_errors {st.get('send_errors')},"
          f" recv_enobufs {st.get('recv_enobufs')}")
print(f"kernel log: {oom} new 'TCP: out of memory' / 'too many orphaned' lines;"
      f" client namespace conntrack entries {nt[-1][16] if nt else '-'}")
if secs != "-":
    print(f"run: {secs} s; load average at the end: {load}")
PY

if command -v gnuplot >/dev/null && [ "$MODE" = smtp ]; then
	awk '$1 == "smtp" && $24 != "-" { print $2, $24 / 1000, $25 / 1000, $21, $4 / 1024 }' "$DATA" >"$WORK/sm.plot"
	awk '$1 == "nftarpitd" { print $2, $21, $4 / 1024 }' "$DATA" >"$WORK/nt.plot"
	gnuplot <<-GP
	set terminal pngcairo size 1100,480 font "sans,10"
	set output "$PLOT_OUT"
	set multiplot layout 1,2 title "SMTP drip at scale, IPv$FAMILY, real client sockets ($(nproc) CPUs)"
	set xlabel "connections held"
	set logscale x
	set grid
	set key top left
	set title "interval between drip bytes seen by the clients"
	set ylabel "seconds"
	set yrange [0:*]
	plot "$WORK/sm.plot" using 1:2 with linespoints lw 2 pt 7 title "median", \
	     "$WORK/sm.plot" using 1:3 with linespoints lw 2 pt 5 title "99th percentile", \
	     10 with lines dt 2 lc rgb "gray" title "configured (10 s)"
	set title "nftarpitd: CPU and RSS"
	set ylabel "CPU, cores"
	set y2label "RSS, MB"
	set y2tics
	set ytics nomirror
	set y2range [0:160]
	set yrange [0:*]
	set key top left
	plot "$WORK/sm.plot" using 1:4 with linespoints lw 2 pt 7 title "CPU, drip on (port 25)", \
	     "$WORK/nt.plot" using 1:2 with linespoints lw 2 pt 5 title "CPU, zero window only (port 2525)", \
	     "$WORK/sm.plot" using 1:5 axes x1y2 with linespoints dt 2 pt 6 title "RSS, drip on", \
	     "$WORK/nt.plot" using 1:3 axes x1y2 with linespoints dt 2 pt 4 title "RSS, zero window only"
	unset multiplot
	GP
	echo "plot: $PLOT_OUT; data: $DATA_OUT"
elif command -v gnuplot >/dev/null; then
	awk '$1 == "nftarpitd" { print $2, $4 / 1024, $11 / 1024 }' "$DATA" >"$WORK/nt.plot"
	awk '$1 == "sockpit" { print $2, $4 / 1024, $11 / 1024 }' "$DATA" >"$WORK/sp.plot"
	gnuplot <<-GP
	set terminal pngcairo size 900,560 font "sans,10"
	set output "$PLOT_OUT"
	set title "Held connections: server RSS and kernel slab memory (both sides' sockets)"
	set xlabel "connections held (real client sockets)"
	set ylabel "MB"
	set logscale xy
	set grid
	set key top left
	plot "$WORK/nt.plot" using 1:2 with linespoints lw 2 pt 7 title "nftarpitd RSS ($QUEUES queue(s))", \
	     "$WORK/sp.plot" using 1:2 with linespoints lw 2 pt 5 title "sockpit RSS (19,000 per process)", \
	     "$WORK/nt.plot" using 1:3 with linespoints dt 2 pt 6 title "kernel slab, nftarpitd run (client sockets only)", \
	     "$WORK/sp.plot" using 1:3 with linespoints dt 2 pt 4 title "kernel slab, sockpit run (client + server sockets)"
	GP
	echo "plot: $PLOT_OUT; data: $DATA_OUT"
else
	echo "no gnuplot: no plot; data: $DATA_OUT"
fi
}

if [ -n "${REPORT_FROM:-}" ]; then
	# The tables and the plot again from a kept data file, measuring nothing.
	DATA=$REPORT_FROM
	DATA_OUT=$REPORT_FROM
	report - -
	exit 0
fi

# ---- sockpit: a socket per connection ---------------------------------------------------
# It runs first: its at most 152,000 sockets are freed before nftarpitd's ladder takes its
# own baseline, whereas a million sockets freed first could leave half-empty slabs behind
# for the small contender to refill unseen.
CLIENT_ARGS="-k $KA"
CLIENT_SAMPLE=
CLIENT_NICE=10
if [ "$MODE" = zw ] && [ "$FAMILY" = 4 ]; then
topo
sleep 1
read -r SLAB0 SUNR0 <<<"$(kmem)"
MEM0=$(tcp_mem_pages)
slab_snap "$WORK/slab-sp0"
SP_PORT=$PORT
ip netns exec $NS_SRV "$B/bench/sockpit" -p $SP_PORT -i $SP_INTERVAL -m $PER_PROC \
	>"$WORK/sockpit-0.out" 2>&1 &
SERVER_PIDS+=($!)
for ((i = 0; i < 50; i++)); do
	in_srv ss -tlnH "sport = :$SP_PORT" | grep -q . && break
	sleep 0.1
done
# sp_sum KEY: KEY (held, bytes) summed over all sockpit processes' last report lines.
sp_sum() {
	local f s=0 n
	for f in "$WORK"/sockpit-*.out; do
		n=$(grep '^sockpit held=' "$f" | tail -1 | sed -n "s/.*[ ]$1=\([0-9]*\).*/\1/p" || true)
		s=$((s + ${n:-0}))
	done
	echo $s
}
sp_held() { sp_sum held; }
sp_bytes() { sp_sum bytes; }
# sp_measure PROCS: one row for sockpit, once every process holds its connections; the
# bytes it sent over one interval are its replies per second (every connection once).
sp_measure() {
	local procs=$1 target=$2 b0 b1 t0 t1 rate slab sunr
	for ((i = 0; i < 300; i++)); do
		[ "$(sp_held)" -ge "$target" ] && break
		sleep 0.1
	done
	sleep 1.5
	b0=$(sp_bytes)
	t0=$(date +%s.%N)
	sleep $SP_INTERVAL
	sleep 1.1 # the last line of each sockpit is at most a second old
	b1=$(sp_bytes)
	t1=$(date +%s.%N)
	rate=$(awk -v a="$b0" -v b="$b1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
	clients_alive
	read -r slab sunr <<<"$(kmem)"
	echo "sockpit $ALIVE $procs $(status_sum VmRSS "${SERVER_PIDS[@]}") $(status_sum VmHWM "${SERVER_PIDS[@]}") $(($(tcp_inuse $NS_SRV) - procs)) $(ct_count $NS_SRV) $rate - $(status_sum VmRSS "${CLIENT_PIDS[@]}") $((slab - SLAB0)) $((sunr - SUNR0)) $(($(tcp_mem_pages) - MEM0)) $ADDED_SECONDS $LOST $ADDED_FAILED $(ct_count $NS_CLI) 0 - -" >>"$DATA"
	echo "held: sockpit $(tail -1 "$DATA" | cut -d' ' -f2-)" >&2
}
held=0
for s in ${SP_STEPS//,/ }; do
	clients_add $((s - held)) $SP_PORT
	held=$s
	sp_measure 1 "$s"
done
# More processes, each with its own port and its own 19,000 connections.
if [ "$SP_PROCS" -gt 1 ]; then
	[ "$held" -lt $PER_PROC ] && clients_add $((PER_PROC - held)) $SP_PORT
	for ((k = 1; k < SP_PROCS; k++)); do
		ip netns exec $NS_SRV "$B/bench/sockpit" -p $((SP_PORT + k)) -i $SP_INTERVAL -m $PER_PROC \
			>"$WORK/sockpit-$k.out" 2>&1 &
		SERVER_PIDS+=($!)
	done
	sleep 0.5
	for ((k = 1; k < SP_PROCS; k++)); do
		clients_add $PER_PROC $((SP_PORT + k))
	done
	sp_measure "$SP_PROCS" $((SP_PROCS * PER_PROC))
fi
slab_snap "$WORK/slab-sp1"
clients_stop
servers_stop
topo_down
sleep 3 # sockets are freed after an RCU grace period; let the slabs settle
fi

# ---- nftarpitd: no socket per connection -------------------------------------------------
MAXSTEP=${STEPS##*,}
# Per queue, 5% headroom: with two queues each may see every connection (see the top).
MAXFLOWS=${MAX_FLOWS:-$((MAXSTEP + MAXSTEP / 20 + 1024))}
case $MAXFLOWS in '' | *[!0-9]* | 0*) die "MAX_FLOWS: a number" ;; esac
QSPEC=25
[ "$QUEUES" = 2 ] && QSPEC=25-26
QLAST=${QSPEC#*-}
HZ=$(getconf CLK_TCK)
cpu_ticks() { # utime + stime of a process, all threads, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# ivl_stats: the pooled drip intervals of the sample files: count, median, 99th percentile
# and maximum, in ms ("0 - - -" when none).
ivl_stats() {
	cat "$WORK"/hold-*.ivl 2>/dev/null | sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "0 - - -"; exit }
		      m = int((NR + 1) / 2); p = int(NR * 0.99); if (p < 1) p = 1
		      print NR, v[m], v[p], v[NR] }'
}

# nt_ladder KIND: nftarpitd's ladder, KIND zw (port 2525, the zero window alone; the
# clients' keepalive is measured over KEEPALIVE s) or smtp (port 25, the drip on; the
# clients' reads over SMTP_WINDOW s). Rows named nftarpitd and smtp.
nt_ladder() {
	local kind=$1 port row window s0 s1 c0 c1 q0 q1 held s i
	if [ "$kind" = zw ]; then
		port=$PORT
		row=nftarpitd
		window=$KA
		CLIENT_ARGS="-k $KA"
		CLIENT_SAMPLE=
		CLIENT_NICE=10
	else
		port=$SMTP_PORT
		row=smtp
		window=$SMTP_WINDOW
		CLIENT_ARGS="-k 0"
		CLIENT_SAMPLE=$SAMPLE
		# The clients read 100,000 bytes a second at a million: at nice 10 their 53
		# processes outweighed nftarpitd's one thread (53 x 110 against 1024 in the
		# scheduler's weights: it got 0.66 of a core at 1,000,000, 0.86 at 500,000), a
		# share a server does not give the machines that connect to it. At 19, their
		# sampled read times may lag: the intervals measured err on the long side.
		CLIENT_NICE=19
	fi
	NPROC=0
	rm -f "$WORK"/hold-*
	topo
	in_srv "$B/tools/nftarpitctl" setup --queue $QSPEC --ports $port >"$WORK/ctl.log" 2>&1 ||
		die "nftarpitctl setup: $(cat "$WORK/ctl.log")"
	if [ "$FAMILY" = 4 ]; then
		in_srv nft add element inet nftarpit blocknet4 '{ 198.18.0.0/15 }'
	else
		in_srv nft add element inet nftarpit blocknet6 '{ 2001:db8:18::/48 }'
	fi
	# Budgets raised: by default a /24 gets 100 replies/s, and every client address here is
	# a /24 of its own with up to 38,000 connections. Port 2525 is not in smtp_ports: the
	# zero-window flows are held by the window alone.
	cat >"$WORK/d.conf" <<-CONF
	[daemon]
	max_flows = $MAXFLOWS
	queue_maxlen = 65536
	smtp_ports = $SMTP_PORT
	reply_rate_per_prefix = 1000000
	reply_burst_per_prefix = 1000000
	reply_rate = 4000000
	reply_burst = 4000000
	log_flows_per_second = 0
	CONF
	rm -f "$WORK/ctl.sock"
	ip netns exec $NS_SRV "$B/daemon/nftarpitd" -f -c "$WORK/d.conf" -q $QSPEC -s "$WORK/ctl.sock" \
		>"$WORK/nftarpitd.log" 2>&1 &
	DAEMON_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$WORK/ctl.sock" ] && in_srv grep -q "^ *$QLAST " /proc/net/netfilter/nfnetlink_queue && break
		kill -0 $DAEMON_PID 2>/dev/null || die "nftarpitd exited: $(cat "$WORK/nftarpitd.log")"
		sleep 0.1
	done
	[ -S "$WORK/ctl.sock" ] || die "nftarpitd has no control socket after 10 s"
	sleep 1
	read -r SLAB0 SUNR0 <<<"$(kmem)"
	MEM0=$(tcp_mem_pages)
	slab_snap "$WORK/slab-$row-0"
	held=0
	for s in ${STEPS//,/ }; do
		clients_add $((s - held)) $port
		held=$s
		# zw: replies over one keepalive interval: each connection sends one probe per
		# interval, at a phase of its own (holdclient draws its first idle time), so the
		# rate is steady from the first second. (A 60 s timer fires up to 2 s late at
		# HZ 250, so the true period is a little longer than the interval.)
		# smtp: the clients' intervals recorded so far are thrown away first.
		[ "$kind" = smtp ] && clients_alive
		stats >"$WORK/s0"
		p0=$(ka_probes)
		d0=$(backlog_drops)
		c0=$(cpu_ticks $DAEMON_PID)
		q0=$(queue_lost)
		t0=$(date +%s.%N)
		sleep "$window"
		stats >"$WORK/s1"
		p1=$(ka_probes)
		d1=$(backlog_drops)
		c1=$(cpu_ticks $DAEMON_PID)
		q1=$(queue_lost)
		t1=$(date +%s.%N)
		rate=$(awk -v a="$(stat_of "$WORK/s0" replies_sent)" -v b="$(stat_of "$WORK/s1" replies_sent)" \
			-v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
		clients_alive
		read -r slab sunr <<<"$(kmem)"
		per_s() { # per_s KEY: the counter's rate over the window
			awk -v a="$(stat_of "$WORK/s0" "$1")" -v b="$(stat_of "$WORK/s1" "$1")" \
				-v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / (e - s) }'
		}
		delta() { echo $(($(stat_of "$WORK/s1" "$1") - $(stat_of "$WORK/s0" "$1"))); }
		if [ "$kind" = smtp ]; then
			drip="$(per_s smtp_segments) $(ivl_stats | awk '{ print $1, $2, $3 }') $(delta drip_stretched) $(delta drip_late) $(ivl_stats | awk '{ print $4 }')"
		else
			drip="- - - - - - -"
		fi
		echo "$row $ALIVE 1 $(status_kb $DAEMON_PID VmRSS) $(status_kb $DAEMON_PID VmHWM) $(tcp_inuse $NS_SRV) $(ct_count $NS_SRV) $rate $(stat_of "$WORK/s1" flows_now) $(status_sum VmRSS "${CLIENT_PIDS[@]}") $((slab - SLAB0)) $((sunr - SUNR0)) $(($(tcp_mem_pages) - MEM0)) $ADDED_SECONDS $LOST $ADDED_FAILED $(ct_count $NS_CLI) $((q1 - q0)) $(awk -v a="$p0" -v b="$p1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", (b - a) / (e - s) }') $((d1 - d0)) $(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.3f", (b - a) / hz / (e - s) }') $drip" >>"$DATA"
		echo "held: $row $(tail -1 "$DATA" | cut -d' ' -f2-)" >&2
	done
	slab_snap "$WORK/slab-$row-1"
	stats >"$WORK/s-end-$row"
	clients_stop
	servers_stop
	topo_down
	sleep 3 # sockets are freed after an RCU grace period; let the slabs settle
}

[ "$MODE" = smtp ] && nt_ladder smtp
[ "$MODE" = zw ] || [ "${ZW:-1}" != 0 ] && nt_ladder zw
OOM1=$(oom_lines)
T_END=$(date +%s)

cp "$DATA" "$DATA_OUT"
report "$((OOM1 - OOM0))" "$((T_END - T_START))"
