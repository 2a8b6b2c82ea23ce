#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 offenders are banned by prefix, with a real Postfix, a real DNSBL (rbldnsd) and
# nftarpit-sync following Postfix's log: a spammer rejected from 2001:db8:c::2 is held when
# it comes back from ::3 and ::ffff of its /64 and reaches Postfix no more; a clean sender
# in another /64 of the same /48 still delivers; after offences from three /64s of the /48
# a fourth /64 is held too, except an allowlisted and a never_block address inside it. why names the address
# seen, the reason and the prefix; list, status and metrics count bans by prefix length.
# A list's single address stays a /128, nftarpitctl block of one address covers its /64,
# a ban next to the server's own address stays the address alone, and a master list of
# format 1 loads.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loop.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

NET=2001:db8:c
FIRST=$NET::2         # rejected by the DNSBL
NEXT=($NET::3 $NET::ffff) # the same /64: never listed, never seen by Postfix
CLEANC=$NET:5::10     # another /64 of the same /48, not listed
OFF2=$NET:1::2        # offences from two more /64s of the /48
OFF3=$NET:2::2
FOURTH=$NET:3::2      # a fourth /64: held once the /48 is escalated
ALLOWC=$NET:3::20     # allowlisted inside the escalated /48
NEVERC=$NET:3::30     # never_block inside the escalated /48
LISTED=2001:db8:d::5  # a single address in a list file: stays a /128
OLD4=198.51.100.99    # a ban from a format 1 master list
OWNNET=2001:db8:a:1   # a /64 holding one of the server's own addresses
OWNSPAM=$OWNNET::5    # a spammer there: banned alone, its neighbours are not
DNSBL_EXTRA6="$FIRST $OFF2 $OFF3 $OWNSPAM"

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$NFTARPIT_SYNC" rbldnsd
loop_topo_up
for a in $FIRST "${NEXT[@]}" $CLEANC $OFF2 $OFF3 $FOURTH $ALLOWC $OWNSPAM; do
	ip -n "$NS_SPAM" addr add "$a/128" dev veth0 nodad
done
ip -n "$NS_SRV" route add $NET::/48 via 2001:db8::2
ip -n "$NS_SRV" route add 2001:db8:a::/48 via 2001:db8::2
ip -n "$NS_SRV" addr add $OWNNET::1/128 dev lo
dnsbl_start
loop_postfix_start
ruleset_setup
daemon_start

ctl() {
	in_srv "$NFTARPITCTL" "$@" --state "$WORK/sync.state"
}

# mail_from SRC TAG: a message from SRC in the spammer's namespace reaches the mailbox.
mail_from() {
	in_spam swaks --server $SRV6 --port 25 --local-interface "$1" --timeout 10 \
		--from "c@example.net" --to "$MAIL_RCPT" --header "Subject: nftarpit test $2" \
		>"$WORK/mail-$2.log" 2>&1 || { cat "$WORK/mail-$2.log" >&2; fail "$1 could not deliver"; }
	wait_until 10 mailbox_has "$2" || fail "the message from $1 is not in the mailbox"
}

# offence SRC: Postfix rejects SRC through the DNSBL, and the sync bans its /64.
offence() {
	spam_attempt "$1" $SRV6 "$WORK/spam-$1.log" && fail "$1: Postfix accepted the spammer"
	grep -q "blocked using $DNSBL" "$WORK/spam-$1.log" || fail "$1: no DNSBL reject"
	wait_until 5 in_set "$1" || fail "$1: not in the set 5 s after the reject"
}

# never_reached SRC: held by the tarpit, and Postfix never logged a connection from SRC.
never_reached() {
	held "$1" $SRV6 || fail "$1 was not held"
	maillog_saw "$1" && fail "Postfix saw $1"
	return 0
}

echo "$LISTED" >"$WORK/list.txt"
printf '%s\n%s\n%s\n' "$ALLOW4" "$ALLOW6" "$ALLOWC" >"$WORK/allow.txt"
cat >"$WORK/sync.conf" <<EOF
[sync]
ban_prefix6 = 64
ban_prefix4 = 32
escalate_count = 3
escalate_prefix6 = 48
never_block = $NEVERC
never_block = 2001:db8:e:1::30
EOF
# A master list written before prefix bans (format 1): it loads and its ban stays.
cat >"$WORK/sync.state" <<EOF
# nftarpit-sync state 1
ban $OLD4 first=$(date +%s) last=$(date +%s) expires=$(($(date +%s) + 86400)) hits=1 bans=1 src=rbl
end 1
EOF

ip netns exec "$NS_SRV" "$NFTARPIT_SYNC" -c "$WORK/sync.conf" $(sync_args) --follow \
	>"$WORK/sync-follow.log" 2>&1 &
SYNC_PID=$!
wait_until 10 grep -qs 'follow started' "$WORK/sync-follow.log" ||
	fail "sync did not start following: $(cat "$WORK/sync-follow.log")"
in_set $OLD4 || fail "the format 1 master list's ban of $OLD4 is not in the set"
in_set $LISTED || fail "the listed $LISTED is not in the set"
in_set 2001:db8:d::4 && fail "the list's single address $LISTED was widened"

# 1. One offence bans the /64: the next addresses of it are held, Postfix never sees them.
offence $FIRST
log "$FIRST rejected (blocked using $DNSBL) and banned"
for a in "${NEXT[@]}"; do
	in_set "$a" || fail "$a (same /64 as $FIRST) not in the set"
	never_reached "$a"
done
# A whole mail attempt too (swaks waits out its timeouts against the drip: about 25 s).
spam_attempt ${NEXT[0]} $SRV6 "$WORK/spam2.log" && fail "${NEXT[0]} delivered"
maillog_saw ${NEXT[0]} && fail "Postfix saw ${NEXT[0]}"
log "${NEXT[*]}: held, never reached Postfix"
grep -q "ban src=$FIRST reason=rbl prefix=$NET::/64 " "$WORK/sync-follow.log" ||
	fail "the sync did not log the /64 ban: $(grep 'ban src' "$WORK/sync-follow.log")"
# 2. A clean sender in another /64 of the same /48 still delivers.
in_set $CLEANC && fail "$CLEANC (another /64) is in the set"
mail_from $CLEANC clean-before
log "$CLEANC (another /64 of $NET::/48) delivered"

# 3. Offences from two more /64s of the /48: the ban widens to the /48.
in_set $FOURTH && fail "$FOURTH held before the escalation"
offence $OFF2
in_set $FOURTH && fail "$FOURTH held after two /64s"
offence $OFF3
wait_until 5 in_set $FOURTH || fail "$FOURTH (a fourth /64) not held after three /64s were banned"
never_reached $FOURTH
grep -q "escalate prefix=$NET::/48 reason=banned_prefixes_inside units=3 escalate_count=3 banned=$NET::/64,$NET:1::/64,$NET:2::/64 expires_in=" \
	"$WORK/sync-follow.log" || fail "no escalation logged: $(cat "$WORK/sync-follow.log")"
log "after offences from 3 /64s: $FOURTH held; $(grep -o 'escalate prefix.*' "$WORK/sync-follow.log")"
# The allowlist and never_block win inside the escalated prefix.
in_set $ALLOWC && fail "the allowlisted $ALLOWC is in the blocklist"
in_set $NEVERC && fail "the never_block $NEVERC is in the blocklist"
in_set $NET:3::31 || fail "$NET:3::31 (next to never_block) is not held"
mail_from $ALLOWC allowed
log "$ALLOWC (allowlisted, inside the escalated /48) delivered"

# A spammer in the /64 of one of the server's own addresses: banned alone.
offence $OWNSPAM
in_set $OWNNET::6 && fail "the ban of $OWNSPAM reached into this host's own /64"
grep -q "ban src=$OWNSPAM reason=rbl prefix=$OWNSPAM " "$WORK/sync-follow.log" ||
	fail "$OWNSPAM was not banned as the address alone"
log "$OWNSPAM (in this host's own /64) banned alone"

# 4. why names the address seen, the reason and the prefix. Follow mode saves the master
# list within 10 s of a change.
wait_until 20 grep -q "^escalate $NET::/48 " "$WORK/sync.state" ||
	fail "the escalation did not reach the master list"
ctl why ${NEXT[1]} -s "$CTL_SOCK" | tee "$WORK/why1.txt" >&2
grep -q "logs:    first seen .*sources rbl; banned prefix $NET::/64, address seen $FIRST$" \
	"$WORK/why1.txt" || fail "why ${NEXT[1]}: prefix, reason or address seen missing"
grep -q "escalated: prefix $NET::/48 banned since .*: 3 banned prefixes inside it" "$WORK/why1.txt" ||
	fail "why ${NEXT[1]}: the escalation is missing"
grep -q "verdict: tarpitted" "$WORK/why1.txt" || fail "why ${NEXT[1]}: verdict"
ctl why $FOURTH -s "$CTL_SOCK" | tee "$WORK/why2.txt" >&2
grep -q "logs:    not in the master list.s offenders" "$WORK/why2.txt" || fail "why $FOURTH: logs"
grep -q "escalated: prefix $NET::/48" "$WORK/why2.txt" || fail "why $FOURTH: no escalation"
for a in $FIRST $OFF2 $OFF3; do
	grep -q "inside: .*sources rbl; banned prefix ${a%::2}::/64, address seen $a$" "$WORK/why2.txt" ||
		fail "why $FOURTH: the ban of $a is not named"
done
grep -q "kernel:  in blocknet6 as $NET:3::/123, expires in" "$WORK/why2.txt" ||
	fail "why $FOURTH: not in the kernel's set as the escalation up to the allowlisted hole"

# 5. Counts by prefix length: list, status and metrics (once the last ban is saved).
wait_until 20 grep -q "^ban $OWNSPAM seen=$OWNSPAM " "$WORK/sync.state" ||
	fail "the ban of $OWNSPAM did not reach the master list"
ctl list | tee "$WORK/list.out" >&2
grep -q "^bans now by prefix: log IPv4/32 1, IPv6/128 1, IPv6/64 3; escalated IPv6/48 1$" "$WORK/list.out" ||
	fail "list: counts by prefix"
in_srv "$NFTARPITCTL" status -s "$CTL_SOCK" --state "$WORK/sync.state" >"$WORK/status.out"
grep -q "^bans now     log IPv4/32 1, IPv6/128 1, IPv6/64 3; escalated IPv6/48 1 (master list)" "$WORK/status.out" ||
	fail "status: counts by prefix: $(cat "$WORK/status.out")"
in_srv "$NFTARPITCTL" metrics -s "$CTL_SOCK" --state "$WORK/sync.state" >"$WORK/metrics.out"
grep -q '^nftarpit_bans{family="ipv6",prefix="48",source="escalated"} 1$' "$WORK/metrics.out" &&
	grep -q '^nftarpit_bans{family="ipv6",prefix="64",source="log"} 3$' "$WORK/metrics.out" ||
	fail "metrics: bans by prefix: $(grep bans "$WORK/metrics.out")"

# 6. A full run (timer mode) computes the same from the master list.
kill -TERM $SYNC_PID
wait $SYNC_PID 2>/dev/null || true
grep -q "^# nftarpit-sync state 2$" "$WORK/sync.state" || fail "the master list was not rewritten as format 2"
grep -q "^ban $NET::/64 seen=$FIRST .*src=rbl$" "$WORK/sync.state" || fail "master list: the /64 ban"
grep -q "^escalate $NET::/48 since=" "$WORK/sync.state" || fail "master list: the escalation"
in_srv "$NFTARPIT_SYNC" -c "$WORK/sync.conf" $(sync_args) >"$WORK/sync-once.log" 2>&1 ||
	fail "the sync run failed: $(cat "$WORK/sync-once.log")"
for a in $FIRST "${NEXT[@]}" $OFF2 $OFF3 $FOURTH $CLEANC $LISTED $OLD4; do
	in_set "$a" || fail "$a left the set in a full run"
done
in_set $ALLOWC && fail "a full run put the allowlisted $ALLOWC in the set"
in_set $NEVERC && fail "a full run put the never_block $NEVERC in the set"
in_set 2001:db8:d::4 && fail "a full run widened the list's $LISTED"

# 7. nftarpitctl block of one address covers its /64; ADDR/128 only the address.
ctl block 2001:db8:e::9 --reason test -c "$WORK/sync.conf" | tee "$WORK/block.out" >&2
grep -q "^block 2001:db8:e::/64 (for 2001:db8:e::9): expires never" "$WORK/block.out" ||
	fail "block said: $(cat "$WORK/block.out")"
in_set 2001:db8:e::1 || fail "block 2001:db8:e::9 did not cover its /64"
ctl block 2001:db8:f::9/128 >&2
# The /64 of 2001:db8:e:1::9 holds a never_block address: the address alone.
ctl block 2001:db8:e:1::9 -c "$WORK/sync.conf" 2>"$WORK/block2.err" | tee "$WORK/block2.out" >&2
grep -q "^block 2001:db8:e:1::9: expires never" "$WORK/block2.out" &&
	grep -q "its /64 holds this host's address or never_block: the address alone" "$WORK/block2.err" ||
	fail "block next to never_block: $(cat "$WORK/block2.out" "$WORK/block2.err")"
in_set 2001:db8:e:1::9 && ! in_set 2001:db8:e:1::8 || fail "block next to never_block was widened"
in_set 2001:db8:f::9 && ! in_set 2001:db8:f::8 || fail "block ADDR/128 was widened"
ctl why 2001:db8:e::77 | grep -q "admin:   block 2001:db8:e::/64 (blocked for 2001:db8:e::9) since" ||
	fail "why: the widened block"
log "PASS"
