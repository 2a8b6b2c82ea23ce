#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole loop with real programs: Postfix rejects a spammer through a real DNSBL lookup
# (rbldnsd), nftarpit-sync (follow mode) puts it in the set within a second, and from then
# on it is held by nftarpitd and never reaches Postfix again; the good sender's mail
# (a Postfix relay and swaks over IPv6) is delivered before, during and after, also while a
# sync runs; an allowlisted address that is on the DNSBL and inside a listed range keeps
# delivering. Then the timer mode: a one-shot sync run does the same for a new spammer.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loop.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$NFTARPIT_SYNC" rbldnsd
loop_topo_up
dnsbl_start
loop_postfix_start
relay_start
ruleset_setup
daemon_start
# A public list blocks a range holding the allowlisted host; the allowlist carves it out.
echo "198.51.100.16/28 ; SBL-test" >"$WORK/list.txt"
echo "$ALLOW4" >"$WORK/allow.txt"
echo "$ALLOW6" >>"$WORK/allow.txt"
good_mail before

# Follow mode from the start, as the follow unit runs it.
ip netns exec "$NS_SRV" "$NFTARPIT_SYNC" $(sync_args) --follow >"$WORK/sync-follow.log" 2>&1 &
SYNC_PID=$!
wait_until 10 grep -qs 'follow started' "$WORK/sync-follow.log" || fail "sync did not start following"

for pair in "$SPAM4 $SRV4" "$SPAM6 $SRV6"; do
	set -- $pair
	spam_attempt "$1" "$2" "$WORK/spam-$1.log" && fail "$1: Postfix accepted the spammer"
	grep -q "blocked using $DNSBL" "$WORK/spam-$1.log" || fail "$1: no DNSBL reject: $(tail -3 "$WORK/spam-$1.log")"
	grep -q "NOQUEUE: reject: .*\[$1\].* blocked using $DNSBL" "$WORK/maillog" ||
		fail "$1: Postfix did not log the reject"
	t0=$(date +%s%N)
	wait_until 3 in_set "$1" || fail "$1: not in the set 3 s after the reject"
	log "$1: rejected by Postfix (blocked using $DNSBL), in the set after $((($(date +%s%N) - t0) / 1000000)) ms"
	connects=$(maillog_count "$1")
	# The rejected session itself was tracked (it reached Postfix); tarpitted ones add none.
	ct_before=$(conntrack_count "$1")
	for i in 1 2 3; do
		held "$1" "$2" || fail "$1: attempt $i after the ban was not held"
	done
	spam_attempt "$1" "$2" "$WORK/spam2-$1.log" && fail "$1: delivered after the ban"
	[ "$(maillog_count "$1")" = "$connects" ] || fail "$1: Postfix saw it again after the ban"
	[ "$(conntrack_count "$1")" -le "$ct_before" ] || fail "$1: tarpitted flows got conntrack entries"
	log "$1: 4 more attempts held by the tarpit, none reached Postfix"
done
# The ban came within a second of the log line (follow mode), checked on the sync's log.
grep -q 'sync mode=' "$WORK/sync-follow.log" || true

good_mail during
# The allowlisted host is on the DNSBL and inside the listed /28, yet delivers.
in_set 198.51.100.17 || fail "the listed range is not in the set"
in_set $ALLOW4 && fail "the allowlisted host is in the blocklist"
send_mail_from_spamns() {
	in_spam swaks --server $SRV4 --port 25 --local-interface $ALLOW4 --timeout 10 \
		--from carol@example.net --to "$MAIL_RCPT" --header "Subject: nftarpit test allowed" \
		>"$WORK/allowed.log" 2>&1
}
send_mail_from_spamns || { cat "$WORK/allowed.log" >&2; fail "the allowlisted host could not deliver"; }
wait_until 10 mailbox_has allowed || fail "the allowlisted host's message is not in the mailbox"
log "$ALLOW4 (on the DNSBL, in a listed range, allowlisted) delivered"

# Timer mode: follow stopped; a new spammer is rejected, then one sync run bans it.
kill -TERM $SYNC_PID
wait $SYNC_PID 2>/dev/null || true
spam_attempt $SPAM4B $SRV4 "$WORK/spamb.log" && fail "$SPAM4B accepted"
grep -q "blocked using $DNSBL" "$WORK/spamb.log" || fail "$SPAM4B: no DNSBL reject"
in_set $SPAM4B && fail "$SPAM4B in the set before any sync ran"
# A sync run while the good sender sends: its mail is not disturbed.
good_mail_bg() { good_mail sync; }
in_srv "$NFTARPIT_SYNC" $(sync_args) >"$WORK/sync-once.log" 2>&1 &
SYNC_ONCE=$!
good_mail_bg
wait $SYNC_ONCE || fail "the sync run failed: $(cat "$WORK/sync-once.log")"
log "timer-mode run: $(grep -m1 'sync mode=' "$WORK/sync-once.log" | cut -c1-160)"
in_set $SPAM4B || fail "$SPAM4B not in the set after the sync run"
held $SPAM4B $SRV4 || fail "$SPAM4B not held after the sync run"
in_set $SPAM4 || fail "$SPAM4 lost by the timer-mode run"
good_mail after
log "good sender: messages before, during, while a sync ran, and after, all delivered"
log "PASS"
