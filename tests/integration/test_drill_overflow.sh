#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failure drill: a queue overflow storm. nftarpitd runs with the smallest queue the config
# allows (queue_maxlen = 16) under SYN bursts from spoofed blocklisted sources (bench/loadgen)
# far faster than it can take them: the kernel drops what does not fit (fail-closed) and
# counts it, the daemon counts what its socket lost (ENOBUFS), clean mail sent during the
# storm is all delivered, and afterwards nothing is stuck: the queue drains to zero and the
# blocklisted client is tarpitted at once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOADGEN=${NFTARPIT_LOADGEN:-$NFTARPIT_BUILD/bench/loadgen}
MAILS=${DRILL_MAILS:-5}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$LOADGEN"
topo_up
postfix_start
ruleset_setup
lists_fill
flood_prepare
cat >"$WORK/nftarpitd.conf" <<'CONF'
[daemon]
queue_maxlen = 16
batch = 16
CONF

# qfield N: column N of our queue's line in /proc/net/netfilter/nfnetlink_queue
# (3 queue_total: waiting now, 6 queue_dropped: queue full, 7 user_dropped: socket full).
qfield() {
	in_srv awk -v q="$QUEUE" -v n="$1" '$1 == q { print $n }' /proc/net/netfilter/nfnetlink_queue
}

queue_empty() {
	[ "$(qfield 3)" = 0 ]
}

daemon_start -c "$WORK/nftarpitd.conf"
drop0=$(qfield 6)
udrop0=$(qfield 7)

# The storm: two generators at full speed, bounded in count and time.
in_cli "$LOADGEN" -d $SRV4 -n 400000 -t 8 -k syn >"$WORK/gen1.json" 2>&1 &
GEN1=$!
in_cli "$LOADGEN" -d $SRV4 -n 400000 -t 8 -k syn >"$WORK/gen2.json" 2>&1 &
GEN2=$!
sleep 0.5
for ((i = 1; i <= MAILS; i++)); do
	send_mail $CLEAN4 $SRV4 "storm-$i" || { cat "$WORK/swaks-storm-$i.log" >&2; fail "swaks failed during the storm"; }
done
wait $GEN1 $GEN2 || fail "loadgen failed: $(cat "$WORK/gen1.json" "$WORK/gen2.json")"
log "storm: $(cat "$WORK/gen1.json") $(cat "$WORK/gen2.json")"

kill -0 "$DAEMON_PID" || fail "nftarpitd died in the storm"
wait_until 3 queue_empty || fail "queue stuck: $(qfield 3) packets still waiting 3 s after the storm"
drops=$(($(qfield 6) - drop0))
udrops=$(($(qfield 7) - udrop0))
enobufs=$(stat_get recv_enobufs)
packets=$(stat_get packets)
log "after the storm: kernel queue_dropped=$drops user_dropped=$udrops; daemon packets=$packets recv_enobufs=$enobufs synack_sent=$(stat_get synack_sent)"
[ $((drops + udrops + enobufs)) -gt 0 ] || fail "no overflow counted: the storm did not overflow the queue"
[ "$packets" -gt 0 ] || fail "the daemon handled no packet"

for ((i = 1; i <= MAILS; i++)); do
	wait_until 10 mailbox_has "storm-$i" || fail "message storm-$i lost"
done
out=$(client --src $SPAM4 --dst $SRV4 --connect-timeout 1 --banner-wait 1)
[ "$(json_get "$out" connected)" = true ] || fail "blocklisted client not tarpitted after the storm: $out"
real_banner "$out" && fail "blocklisted client reached Postfix: $out"
maillog_saw $SPAM4 && fail "Postfix saw the blocklisted client"
log "PASS: $MAILS clean messages delivered through the storm, queue drained, tarpitting goes on"
