#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 100,000 held connections from real client sockets: every one is held (a flow record
# each), and nftarpitd's memory is the same as with 10 flows, since its flow table is
# allocated and touched once at start.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PER_PROC=12500
PROCS=8 # 8 x 12,500 = 100,000, two processes per source address
MANY=$((PER_PROC * PROCS))
SOURCES=(198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.13)

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
for a in "${SOURCES[@]:1}"; do
	ip -n "$NS_CLI" addr add "$a/32" dev veth0
done
# Enough ephemeral ports for 25,000 connections per source address.
in_cli sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ruleset_setup
lists_fill
cat >"$WORK/nftarpitd.conf" <<-CONF
[daemon]
max_flows = 131072
reply_rate_per_prefix = 1000000
reply_burst_per_prefix = 1000000
log_flows_per_second = 1
# Room for a burst of 12,500 handshakes: a handshake ACK the kernel drops for a full queue
# leaves a client connected but unknown to us until it sends again.
queue_maxlen = 65536
CONF
daemon_start -c "$WORK/nftarpitd.conf"

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"
}

# manyconn N SRC OUT: N connections from SRC, held until fd 3 (its stdin) closes.
HOLDERS=()
manyconn() {
	local fifo=$WORK/hold-$RANDOM$RANDOM
	mkfifo "$fifo"
	ip netns exec "$NS_CLI" "$PY" "$NFTARPIT_SRC/tests/integration/manyconn.py" \
		--src "$2" --dst $SRV4 -n "$1" --wait 120 --limit 600 <"$fifo" >"$3" &
	HOLDERS+=($!)
	exec {fd}>"$fifo"
	HOLDER_FDS+=($fd)
}
HOLDER_FDS=()

manyconn 10 ${SOURCES[0]} "$WORK/small.json"
wait_until 20 test -s "$WORK/small.json" || fail "10 connections: no report"
log "10 flows: $(cat "$WORK/small.json")"
wait_until 10 sh -c "[ \$(printf 'stats\n' | socat -t 3 - UNIX-CONNECT:$CTL_SOCK | awk -F= '\$1 == \"flows_now\" { print \$2 }') -ge 10 ]" ||
	fail "flows_now did not reach 10"
rss_small=$(rss_kb)
table=$(stat_get flow_table_bytes)
log "10 flows: daemon VmRSS ${rss_small} kB, flow table $((table / 1024)) kB"

t0=$(date +%s)
for ((i = 0; i < PROCS; i++)); do
	manyconn $PER_PROC ${SOURCES[$((i % ${#SOURCES[@]}))]} "$WORK/many-$i.json"
	wait_until 150 test -s "$WORK/many-$i.json" || fail "process $i: no report"
done
est=0
for ((i = 0; i < PROCS; i++)); do
	n=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["established"])' "$WORK/many-$i.json")
	est=$((est + n))
done
log "$est of $MANY connections established in $(($(date +%s) - t0)) s"
[ "$est" -eq "$MANY" ] || fail "only $est of $MANY connections established: $(cat "$WORK"/many-*.json | tr "\n" " ")"
wait_until 60 sh -c "[ \$(printf 'stats\n' | socat -t 3 - UNIX-CONNECT:$CTL_SOCK | awk -F= '\$1 == \"flows_now\" { print \$2 }') -ge $((MANY + 10)) ]" ||
	fail "flows_now below $((MANY + 10)): $(stat_get flows_now); queue: $(in_srv cat /proc/net/netfilter/nfnetlink_queue)"
rss_many=$(rss_kb)
log "queue (/proc): $(in_srv cat /proc/net/netfilter/nfnetlink_queue)"
log "$(stat_get flows_now) flows: daemon VmRSS ${rss_many} kB, flow table $(($(stat_get flow_table_bytes) / 1024)) kB"
log "stats: $(stats | grep -E '^(flows_now|flows_new|flows_stateless|flows_evicted|synack_sent|smtp_bytes|budget_drops)=' | tr '\n' ' ')"
[ "$(stat_get flow_table_bytes)" = "$table" ] || fail "the flow table changed size"
[ "$(stat_get flows_stateless)" = 0 ] || fail "flows held without a record"
# The same memory: within 1 MiB (stdio buffers, thread stacks touched a little deeper).
delta=$((rss_many - rss_small))
[ "$delta" -lt 1024 ] || fail "VmRSS grew by ${delta} kB between 10 and $MANY flows"
log "VmRSS grew by ${delta} kB between 10 and $MANY flows"

for fd in "${HOLDER_FDS[@]}"; do
	exec {fd}>&-
done
for p in "${HOLDERS[@]}"; do
	wait "$p" || true
done
log "PASS"
