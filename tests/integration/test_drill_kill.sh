#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failure drill: nftarpitd killed with -9 in the middle of a flood of tarpitted SYNs from
# spoofed sources (bench/loadgen, 198.18.0.0/15, blocklisted). A clean client keeps
# delivering mail to the real Postfix throughout and loses nothing, and a clean SMTP
# session held open across the kill survives it; while no daemon runs, the fail-closed
# queue keeps the blocklisted client away from Postfix; a restarted daemon answers the
# flood again within a second of being started and tarpits the blocklisted client.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOADGEN=${NFTARPIT_LOADGEN:-$NFTARPIT_BUILD/bench/loadgen}
MAILS=${DRILL_MAILS:-8}
RESUME_MS=${DRILL_RESUME_MS:-1000}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$LOADGEN"
topo_up
postfix_start
ruleset_setup
lists_fill
flood_prepare

# flood: bounded SYN bursts until the stop file appears or 60 s pass.
flood() {
	local end=$((SECONDS + 60))
	while [ ! -e "$WORK/stop" ] && [ $SECONDS -lt $end ]; do
		in_cli "$LOADGEN" -d $SRV4 -n 2000 -t 1 -k syn >/dev/null 2>&1 || true
		sleep 0.05
	done
}

# mail_loop: MAILS messages from the clean client, one after the other, across the kill.
mail_loop() {
	local i
	for ((i = 1; i <= MAILS; i++)); do
		send_mail $CLEAN4 $SRV4 "drill-$i" || echo "drill-$i" >>"$WORK/mail-failed"
		sleep 0.3
	done
}

synack_sent() {
	local n
	n=$(stat_get synack_sent)
	[ -n "$n" ] && [ "$n" -gt 0 ]
}

daemon_start
flood &
FLOOD_PID=$!
wait_until 10 synack_sent || fail "the daemon answers no flood SYN"
log "flood answered: synack_sent=$(stat_get synack_sent) budget_prefix=$(stat_get budget_prefix)"

# A clean session held open across the kill, and the mail loop.
client_bg "$WORK/held.json" --src $CLEAN4 --dst $SRV4 --banner-wait 2 --hold 6
HELD_PID=$BG_PID
mail_loop &
MAIL_PID=$!
sleep 1

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
log "nftarpitd killed with -9 under the flood"
queue_bound && fail "the queue is still bound after kill -9"
out=$(client --src $SPAM4 --dst $SRV4 --connect-timeout 2 --banner-wait 0)
[ "$(json_get "$out" connected)" = false ] || fail "blocklisted client connected with no daemon: $out"
maillog_saw $SPAM4 && fail "Postfix saw the blocklisted client while no daemon ran"
sleep 1

# The restart: time from the launch to the first SYN-ACK of the still running flood.
t0=$(date +%s%N)
daemon_start
wait_until 5 synack_sent || fail "the restarted daemon answers no flood SYN"
ms=$((($(date +%s%N) - t0) / 1000000))
log "restarted daemon answered the flood $ms ms after its launch"
[ "$ms" -le "$RESUME_MS" ] || fail "tarpitting resumed $ms ms after the restart, over $RESUME_MS ms"
out=$(client --src $SPAM4 --dst $SRV4 --connect-timeout 2 --banner-wait 1)
[ "$(json_get "$out" connected)" = true ] || fail "blocklisted client not tarpitted after the restart: $out"
real_banner "$out" && fail "blocklisted client got Postfix's banner after the restart: $out"

wait "$MAIL_PID" || true
wait "$HELD_PID" || true
touch "$WORK/stop"
wait "$FLOOD_PID" || true
held=$(cat "$WORK/held.json")
log "clean session held across the kill: $held"
real_banner "$held" || fail "the clean held session lost Postfix's banner: $held"
[ "$(json_get "$held" error)" = null ] || fail "the clean held session broke: $held"
[ ! -s "$WORK/mail-failed" ] || fail "swaks failed for: $(tr '\n' ' ' <"$WORK/mail-failed")"
for ((i = 1; i <= MAILS; i++)); do
	wait_until 10 mailbox_has "drill-$i" || fail "message drill-$i lost"
done
log "all $MAILS clean messages delivered; after the restart synack_sent=$(stat_get synack_sent) recv_enobufs=$(stat_get recv_enobufs)"
maillog_saw $SPAM4 && fail "Postfix saw the blocklisted client"
log "PASS"
