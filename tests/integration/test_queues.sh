#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two queues: every packet of a connection must reach the one worker that holds its flow
# record. 2,000 real client sockets from 16 unpinned processes (16 source addresses, so
# that the kernel's address hash gives both queues some) probe by keepalive every 2 s; after several rounds of probes there must be exactly one
# record per connection (a queue range that fanned out by CPU made a second record on
# the other queue for some), both queues must have carried traffic, and every probe must
# have been answered from a record. Then the deterministic case: bench/loadgen sends the
# window probes of 8,192 held connections once from CPU 0 and once more from CPU 1; by
# CPU they would reach the other queue the second time and open 8,192 more records.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PER_PROC=125
SOURCES=()
for ((k = 30; k < 46; k++)); do
	SOURCES+=(198.51.100.$k)
done
MANY=$((PER_PROC * ${#SOURCES[@]}))
HOLDCLIENT=$NFTARPIT_BUILD/bench/holdclient
LOADGEN=$NFTARPIT_BUILD/bench/loadgen

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$HOLDCLIENT" "$LOADGEN"
topo_up
for a in "${SOURCES[@]}"; do
	ip -n "$NS_CLI" addr add "$a/32" dev veth0
done
ruleset_setup --queue 25-26
grep -q 'queue 25-26 by address' "$WORK/nftarpitctl.log" || fail "setup: $(cat "$WORK/nftarpitctl.log")"
lists_fill
# loadgen's sources (benchmarking range), blocklisted too; replies to them are routed back.
in_srv nft add element inet nftarpit blocknet4 '{ 198.18.0.0/15 }'
ip -n "$NS_SRV" route add 198.18.0.0/15 via $CLI4
cat >"$WORK/nftarpitd.conf" <<-CONF
[daemon]
reply_rate_per_prefix = 100000
reply_burst_per_prefix = 100000
max_flows = 16384
cookie_key_file = $WORK/cookie.key
CONF
QUEUE=26 # daemon_start waits for the last queue of the range
daemon_start -q 25-26 -c "$WORK/nftarpitd.conf"

HOLDERS=()
HOLDER_FDS=()
for ((i = 0; i < ${#SOURCES[@]}; i++)); do
	fifo=$WORK/hold-$i.in
	mkfifo "$fifo"
	# Keepalive every 2 s, the first after 1-2 s; not pinned: the scheduler moves them.
	ip netns exec "$NS_CLI" "$HOLDCLIENT" -s "${SOURCES[$i]}" -d $SRV4 -p 25 -n $PER_PROC \
		-k 2 -w 30 -l 120 <"$fifo" >"$WORK/hold-$i.out" 2>&1 &
	HOLDERS+=($!)
	exec {fd}>"$fifo"
	HOLDER_FDS+=($fd)
done
for ((i = 0; i < ${#SOURCES[@]}; i++)); do
	wait_until 40 grep -q '^holdclient ' "$WORK/hold-$i.out" || fail "client $i: no report: $(cat "$WORK/hold-$i.out")"
	grep -q " established=$PER_PROC " "$WORK/hold-$i.out" || fail "client $i: not all established"
done
# Several keepalive rounds (2 s each), every one a probe to answer.
probes0=$(stat_get probes)
sleep 8
probes1=$(stat_get probes)
log "stats: $(stats | grep -E '^(flows_now|flows_new|flows_stateless|probes|synack_sent|replies_sent)=' | tr '\n' ' ')"
log "queues: $(in_srv cat /proc/net/netfilter/nfnetlink_queue | tr '\n' ';')"
[ $((probes1 - probes0)) -ge $((MANY * 2)) ] ||
	fail "only $((probes1 - probes0)) probes answered in 8 s from $MANY connections"
[ "$(stat_get flows_now)" = "$MANY" ] ||
	fail "flows_now $(stat_get flows_now) for $MANY connections: a connection has a record on both queues"
[ "$(stat_get flows_new)" = "$MANY" ] || fail "flows_new $(stat_get flows_new), want $MANY"
[ "$(stat_get flows_stateless)" = 0 ] || fail "flows held without a record"
# Both queues carried packets (column 8: the last packet id of each).
n=$(in_srv awk '($1 == 25 || $1 == 26) && $8 > 0' /proc/net/netfilter/nfnetlink_queue | wc -l)
[ "$n" = 2 ] || fail "only $n of the two queues saw packets"

for fd in "${HOLDER_FDS[@]}"; do
	exec {fd}>&-
done
for p in "${HOLDERS[@]}"; do
	wait "$p" || true
done
wait_until 10 sh -c "[ \$(printf 'stats\n' | socat -t 3 - UNIX-CONNECT:$CTL_SOCK | awk -F= '\$1 == \"flows_now\" { print \$2 }') = 0 ]" ||
	fail "the closed connections' records did not end: flows_now $(stat_get flows_now)"

# The same 8,192 connections' probes from one CPU, then from the other.
for cpu in 0 1; do
	in_cli taskset -c $cpu "$LOADGEN" -d $SRV4 -k probe -K "$WORK/cookie.key" -n 8192 -r 20000 \
		-t 10 >"$WORK/loadgen-$cpu.json" || fail "loadgen on CPU $cpu failed"
	wait_until 10 sh -c "[ \$(printf 'stats\n' | socat -t 3 - UNIX-CONNECT:$CTL_SOCK | awk -F= '\$1 == \"flows_now\" { print \$2 }') -ge 8192 ]" ||
		fail "CPU $cpu: flows_now $(stat_get flows_now) after 8,192 probes"
	sleep 0.5
	log "probes from CPU $cpu: $(cat "$WORK/loadgen-$cpu.json"); flows_now $(stat_get flows_now)"
done
log "queues: $(in_srv cat /proc/net/netfilter/nfnetlink_queue | tr '\n' ';')"
[ "$(stat_get flows_now)" = 8192 ] ||
	fail "flows_now $(stat_get flows_now) for 8,192 connections probed from two CPUs"
log "PASS"
