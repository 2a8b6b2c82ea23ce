#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo behind `./quickstart demo`: the whole loop with real programs in throwaway
# network namespaces. A spammer reaches the real Postfix once and is rejected through a
# real DNSBL lookup (rbldnsd); nftarpit-sync reads Postfix's log and bans it within a
# second; from then on the spammer is held by nftarpitd and never reaches Postfix again,
# while a good sender's mail keeps flowing. Ends with `nftarpitctl status`.
# Only documentation addresses; the host's own firewall is never touched; everything it
# creates is removed on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loop.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
HOLD=12
HELD_PIDS=()

say() {
	printf '%s\n' "$*"
}

indent() {
	sed 's/^/    /'
}

# ss_brief: the fields of ss -tino that tell the tarpit story. ss prints snd_wnd only when
# it is not 0, so its absence is the zero window.
ss_brief() {
	awk 'NR == 1 { printf "%s %s -> %s", $1, $4, $5 }
	{ for (i = 1; i <= NF; i++) if ($i ~ /^(timer:|notsent:|snd_wnd:|bytes_received:)/) printf " %s", $i }
	END { print "" }'
}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$NFTARPIT_SYNC" rbldnsd

say "nftarpit demo: three network namespaces joined by veth pairs; nothing leaves them."
loop_topo_up
dnsbl_start
loop_postfix_start
relay_start
ruleset_setup 2>/dev/null
printf '[daemon]\nsmtp_hostname = mx.example.org\n' >"$WORK/nftarpitd.conf"
daemon_start -c "$WORK/nftarpitd.conf"
: >"$WORK/list.txt"
printf '%s\n%s\n' "$ALLOW4" "$ALLOW6" >"$WORK/allow.txt"
ip netns exec "$NS_SRV" "$NFTARPIT_SYNC" $(sync_args) --follow >"$WORK/sync.log" 2>&1 &
wait_until 10 grep -qs 'follow started' "$WORK/sync.log" || fail "nftarpit-sync did not start"
say "  server: Postfix on $SRV4 and $SRV6 port 25 with 'reject_rbl_client $DNSBL',"
say "          rbldnsd serving $DNSBL, the ruleset 'inet nftarpit', nftarpitd (queue $QUEUE),"
say "          nftarpit-sync --follow reading Postfix's log"
say "  spammer: $SPAM4 and $SPAM6 (listed on $DNSBL)"
say "  good sender: $CLEAN4 (a Postfix relay) and $CLEAN6 (swaks)"
say "  $(cat "$WORK/nftarpitctl.log")"
say ""

good_mail before
say "good sender: 2 messages delivered to the mailbox (relay over IPv4, swaks over IPv6)"
say ""

for pair in "$SPAM4 $SRV4" "$SPAM6 $SRV6"; do
	set -- $pair
	spam_attempt "$1" "$2" "$WORK/spam-$1.log" && fail "Postfix accepted the spammer $1"
	t0=$(date +%s%N)
	wait_until 3 in_set "$1" || fail "$1 not in the set 3 s after the reject"
	ms=$((($(date +%s%N) - t0) / 1000000))
	say "spammer $1 sends mail; Postfix rejects it:"
	grep -m1 -oE '<\*\* +5[0-9][0-9] .*' "$WORK/spam-$1.log" | sed 's/^<\*\* *//' | cut -c1-100 | indent
	say "  nftarpit-sync saw the reject in Postfix's log: $1 is in the blocklist ${ms} ms later"
	seen=$(maillog_count "$1")
	in_spam "$PY" "$CLIENT_PY" --src "$1" --dst "$2" --banner-wait 2 --write 24 --hold 1 \
		--linger 60 >"$WORK/held-$1.json" &
	HELD_PIDS+=($!)
	wait_until 10 test -s "$WORK/held-$1.json" || fail "no report from the held client"
	out=$(cat "$WORK/held-$1.json")
	real_banner "$out" && fail "$1 got Postfix's banner"
	say "  it tries again: handshake done, greeted by nftarpitd ('$(json_get "$out" banner)'), not Postfix;"
	say "  its EHLO ($(json_get "$out" written) bytes) is stuck behind a send window of $(json_get "$out" snd_wnd)"
	[ "$(maillog_count "$1")" = "$seen" ] || fail "Postfix saw $1 again"
	say "  Postfix's log has no new connection from $1"
	say ""
done

good_mail during
say "good sender: 2 more messages delivered while the spammers are held"
sleep $HOLD
say ""
say "${HOLD} s later both spammers are still held, fed one byte of an endless reply every 10 s:"
for pair in "$SPAM4 $SRV4" "$SPAM6 $SRV6"; do
	set -- $pair
	sa=$1
	da=$2
	case $sa in *:*) sa="[$sa]" da="[$da]" ;; esac
	in_spam ss -tinoH src "$sa" dst "$da" | ss_brief | indent
done
say ""
say "nftarpit-sync's log:"
grep -E 'follow started|sync mode=|ban ' "$WORK/sync.log" | sed 's/^nftarpit-sync: //' | cut -c1-120 | indent
say ""
say "nftarpitctl status:"
in_srv "$NFTARPITCTL" status -s "$CTL_SOCK" 2>&1 | indent
say ""
# The held clients give up now (quietly: bash would report each kill).
kill "${HELD_PIDS[@]}" 2>/dev/null || true
wait "${HELD_PIDS[@]}" 2>/dev/null || true
say "cleaning up: namespaces, Postfix, rbldnsd, nftarpitd, nftarpit-sync and temporary files are removed."
