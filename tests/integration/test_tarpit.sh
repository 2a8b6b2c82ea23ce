#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A blocklisted spammer is held in a zero-window tarpit in front of a real Postfix, over
# IPv4 and IPv6, while an allowlisted address inside the blocked range and a clean client
# get the real banner and deliver mail into the mailbox.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
postfix_start
ruleset_setup
lists_fill
daemon_start

# check_spammer SRC DST: connect() succeeds, no banner, the window stays shut, Postfix
# never hears of it and conntrack holds nothing for it.
check_spammer() {
	local src=$1 dst=$2 out ssout n
	client_bg "$WORK/client-$src.json" --src "$src" --dst "$dst" --banner-wait 3 --write 64 \
		--hold 1.5 --linger 20
	local cpid=$BG_PID
	wait_until 10 test -s "$WORK/client-$src.json" || fail "$src: client gave no report"
	out=$(cat "$WORK/client-$src.json")
	log "spammer $src: $out"
	[ "$(json_get "$out" connected)" = true ] || fail "$src: connect() did not succeed"
	if real_banner "$out"; then
		fail "$src: got the real banner: $(json_get "$out" banner)"
	fi
	[ "$(json_get "$out" state)" = ESTABLISHED ] || fail "$src: not ESTABLISHED"
	[ "$(json_get "$out" peer)" = open ] || fail "$src: peer $(json_get "$out" peer)"

	ssout=$(ss_conn "$src" "$dst")
	log "spammer $src: ss: $(tr -s ' \t\n' ' ' <<<"$ssout")"
	# tcp_info's snd_wnd, read by the client itself; ss (iproute2 6.1) prints snd_wnd
	# only when it is not 0, so from ss we only require that it shows no other value.
	[ "$(json_get "$out" snd_wnd)" = 0 ] || fail "$src: snd_wnd $(json_get "$out" snd_wnd)"
	if grep -qE 'snd_wnd:[1-9]' <<<"$ssout"; then
		fail "$src: ss shows an open send window"
	fi
	grep -q '^ESTAB' <<<"$ssout" || fail "$src: ss shows no established connection"
	grep -q 'timer:(persist' <<<"$ssout" || fail "$src: ss shows no persist timer"

	if maillog_saw "$src"; then
		fail "$src: Postfix saw a connection from the spammer"
	fi
	n=$(conntrack_count "$src")
	[ "$n" -eq 0 ] || fail "$src: $n conntrack entries for a tarpitted flow"

	# Only the tarpit ports are diverted: the kernel still refuses a closed port.
	out=$(client --src "$src" --dst "$dst" --port 26 --connect-timeout 3 --banner-wait 0)
	[ "$(json_get "$out" error)" = ECONNREFUSED ] ||
		fail "$src: port 26 should be refused by the kernel: $out"

	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
}

# check_mail SRC DST TAG: real banner, and a message that lands in the mailbox.
check_mail() {
	local src=$1 dst=$2 tag=$3 out
	out=$(client --src "$src" --dst "$dst" --banner-wait 3)
	[ "$(json_get "$out" connected)" = true ] || fail "$src: connect() failed: $out"
	case "$(json_get "$out" banner)" in
	"220 "*) ;;
	*) fail "$src: no 220 banner: $out" ;;
	esac
	send_mail "$src" "$dst" "$tag" || { cat "$WORK/swaks-$tag.log" >&2; fail "$src: swaks failed"; }
	wait_until 10 mailbox_has "$tag" || fail "$src: message $tag not in the mailbox"
	maillog_saw "$src" || fail "$src: Postfix did not log the connection"
	log "$src: banner ok, message $tag delivered"
}

check_spammer $SPAM4 $SRV4
check_spammer $SPAM6 $SRV6
check_mail $CLEAN4 $SRV4 clean4
check_mail $ALLOW4 $SRV4 allow4
check_mail $CLEAN6 $SRV6 clean6
check_mail $ALLOW6 $SRV6 allow6

synack=$(stat_get synack_sent || true)
log "stats: $(stats | tr '\n' ' ')"
[ "${synack:-0}" -ge 2 ] || fail "synack_sent=${synack:-missing}, expected >= 2"

# SIGUSR1 logs the totals as one line; SIGTERM ends the daemon with status 0.
kill -USR1 "$DAEMON_PID"
wait_until 3 grep -q 'stats .*synack_sent=' "$WORK/nftarpitd.log" || fail "no stats line after SIGUSR1"
log "SIGUSR1: $(grep -m1 'stats .*synack_sent=' "$WORK/nftarpitd.log" | cut -c1-120)..."
daemon_stop
[ "$DAEMON_RC" -eq 0 ] || fail "nftarpitd exited with status $DAEMON_RC on SIGTERM"
log "PASS"
