#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What happens to blocklisted clients while nftarpitd is not running: by default the
# queue drops them (fail-closed: they never reach Postfix); with --fail-open they reach
# Postfix as if there were no tarpit; a daemon started later tarpits them at once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
postfix_start

# spam_times_out SRC DST: no SYN-ACK at all, so connect() times out and Postfix never
# sees the client.
spam_times_out() {
	local out
	out=$(client --src "$1" --dst "$2" --connect-timeout 3 --banner-wait 0)
	log "fail-closed, no daemon, $1: $out"
	[ "$(json_get "$out" connected)" = false ] || fail "$1: connected with no daemon behind a fail-closed queue"
	[ "$(json_get "$out" error)" = timeout ] || fail "$1: expected a connect timeout: $out"
	if maillog_saw "$1"; then
		fail "$1: Postfix saw the blocklisted client"
	fi
}

# spam_reaches_postfix SRC DST: with --fail-open and no daemon, the real banner.
spam_reaches_postfix() {
	local out
	out=$(client --src "$1" --dst "$2" --banner-wait 3)
	log "fail-open, no daemon, $1: $out"
	case "$(json_get "$out" banner)" in
	"220 "*) ;;
	*) fail "$1: no 220 banner with --fail-open and no daemon: $out" ;;
	esac
	wait_until 5 maillog_saw "$1" || fail "$1: Postfix did not log the connection"
}

# spam_tarpitted SRC DST: handshake completes, no banner.
spam_tarpitted() {
	local out seen
	seen=$(maillog_count "$1")
	out=$(client --src "$1" --dst "$2" --connect-timeout 1 --banner-wait 2)
	log "daemon running, $1: $out"
	[ "$(maillog_count "$1")" -eq "$seen" ] || fail "$1: Postfix saw it with the daemon running"
	[ "$(json_get "$out" connected)" = true ] || fail "$1: no handshake with the daemon running: $out"
	if real_banner "$out"; then
		fail "$1: got the real banner with the daemon running: $out"
	fi
}

clean_delivers() {
	send_mail "$1" "$2" "$3" || { cat "$WORK/swaks-$3.log" >&2; fail "$1: swaks failed"; }
	wait_until 10 mailbox_has "$3" || fail "$1: message $3 not in the mailbox"
	log "clean $1 delivered $3"
}

log "default ruleset (fail-closed), no daemon"
ruleset_setup
lists_fill
spam_times_out $SPAM4 $SRV4
spam_times_out $SPAM6 $SRV6
clean_delivers $CLEAN4 $SRV4 closed4
clean_delivers $CLEAN6 $SRV6 closed6
if queue_bound; then
	fail "queue $QUEUE bound although no daemon runs"
fi

log "ruleset with --fail-open, no daemon"
ruleset_teardown
ruleset_setup --fail-open
lists_fill
spam_reaches_postfix $SPAM4 $SRV4
spam_reaches_postfix $SPAM6 $SRV6
clean_delivers $CLEAN4 $SRV4 open4

log "starting nftarpitd"
t0=$(date +%s%N)
daemon_start
ready_ms=$((($(date +%s%N) - t0) / 1000000))
log "nftarpitd bound queue $QUEUE after $ready_ms ms"
[ "$ready_ms" -le 1000 ] || fail "nftarpitd took $ready_ms ms to bind its queue, expected <= 1000"
spam_tarpitted $SPAM4 $SRV4
spam_tarpitted $SPAM6 $SRV6
log "PASS"
