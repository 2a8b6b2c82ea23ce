#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpitctl block/unblock/list/why on nftarpit-sync's master list, with a real Postfix: a
# blocked address is tarpitted at once, an unblocked one reaches Postfix at once, a
# following nftarpit-sync run (with a list and a log hit that would block it again) keeps
# both decisions, and bad input gets a clear error and changes nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$SYNC"
topo_up
postfix_start
ruleset_setup
ONLY4=203.0.113.50 # blocked by the admin only, in no list
ip -n "$NS_CLI" addr add "$ONLY4/32" dev veth0
ip -n "$NS_CLI" addr add 203.0.113.99/32 dev veth0 # blocked and unblocked as one address
daemon_start
# As under nftarpit-sync.service: the state directory belongs to the (dynamic) service
# user, the sync runs as that user with CAP_NET_ADMIN only, nftarpitctl as root.
mkdir -m 0700 "$WORK/state"
chown nobody:nogroup "$WORK/state"
STATE=$WORK/state/sync.state
sync_as_service() {
	in_srv setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_admin \
		--ambient-caps=-all,+net_admin "$SYNC" --state "$STATE" "$@"
}

ctl() {
	in_srv "$NFTARPITCTL" "$@" --state "$STATE" -s "$CTL_SOCK"
}

# tarpitted SRC: connect() works, but the banner is not Postfix's and Postfix never sees it.
tarpitted() {
	local out n0
	n0=$(maillog_count "$1")
	out=$(client --src "$1" --dst "$SRV4" --banner-wait 2)
	[ "$(json_get "$out" connected)" = true ] || fail "$1: connect() failed: $out"
	if real_banner "$out"; then
		return 1
	fi
	[ "$(maillog_count "$1")" = "$n0" ]
}

# reaches SRC: Postfix's own banner.
reaches() {
	local out
	out=$(client --src "$1" --dst "$SRV4" --banner-wait 3)
	real_banner "$out"
}

# 1. block: the next connection is tarpitted, with no sync run and no sleep in between.
reaches "$ONLY4" || fail "$ONLY4 does not reach Postfix before the block"
: >"$WORK/maillog.mark"
ctl block "$ONLY4" --for 1h --reason "test run" | tee "$WORK/block.out" >&2
grep -q "^block $ONLY4: expires in 1h00m" "$WORK/block.out" || fail "block said: $(cat "$WORK/block.out")"
n0=$(maillog_count "$ONLY4")
out=$(client --src "$ONLY4" --dst "$SRV4" --banner-wait 2)
real_banner "$out" && fail "$ONLY4 still reaches Postfix right after block: $out"
[ "$(maillog_count "$ONLY4")" = "$n0" ] || fail "Postfix saw $ONLY4 after the block"
log "block: $ONLY4 tarpitted at once"

# 2. A blocklist from nftarpit-sync covers the spammer; unblock lets it through at once.
printf '%s\n' "$BLOCK4" >"$WORK/block.txt"
chmod 644 "$WORK/block.txt"
sync_as_service --list "$WORK/block.txt" 2>"$WORK/sync1.log" ||
	fail "first sync: $(cat "$WORK/sync1.log")"
tarpitted "$SPAM4" || fail "$SPAM4 not tarpitted after the sync"
ctl unblock "$SPAM4" --reason "false positive" | tee "$WORK/unblock.out" >&2
grep -q "^unblock $SPAM4: expires in 7d00h" "$WORK/unblock.out" || fail "unblock said: $(cat "$WORK/unblock.out")"
reaches "$SPAM4" || fail "$SPAM4 does not reach Postfix right after unblock"
log "unblock: $SPAM4 reaches Postfix at once"

# 3. A following sync run, with the list and a log reject naming the spammer again,
# keeps both decisions.
printf '%s\n' "Nov 26 23:01:02 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from unknown[$SPAM4]:51514: 554 5.7.1 Service unavailable; Client host [$SPAM4] blocked using zen.spamhaus.org; from=<spam@example.net> to=<postmaster@example.org> proto=ESMTP helo=<spam.example.net>" \
	>"$WORK/mail.log"
printf '%s\n' "Nov 26 23:01:03 mx1 postfix/smtpd[4711]: NOQUEUE: reject: RCPT from unknown[198.51.100.11]:51515: 554 5.7.1 Service unavailable; Client host [198.51.100.11] blocked using zen.spamhaus.org; from=<spam@example.net> to=<postmaster@example.org> proto=ESMTP helo=<spam.example.net>" \
	>>"$WORK/mail.log"
chmod 644 "$WORK/mail.log"
# Root's nftarpitctl wrote the master list, its lock and the snapshot: still the
# service user's, so the sync can read and replace them.
for f in "$STATE" "$STATE.lock" "$STATE.applied"; do
	[ "$(stat -c %U:%G "$f")" = nobody:nogroup ] || fail "$f is $(stat -c %U:%G "$f") after nftarpitctl"
done
sync_as_service --list "$WORK/block.txt" --log "$WORK/mail.log" 2>"$WORK/sync2.log" ||
	fail "second sync: $(cat "$WORK/sync2.log")"
log "$(grep 'sync mode=' "$WORK/sync2.log")"
grep -q 'ignored=1' "$WORK/sync2.log" || fail "the log hit on the unblocked $SPAM4 was not ignored"
reaches "$SPAM4" || fail "the sync run undid unblock $SPAM4"
tarpitted "$ONLY4" || fail "the sync run undid block $ONLY4"
# The list's /24 split by the unblock: ranges in blocknet4; the admin's single address in
# blockhost4; the offender 198.51.100.11 lies inside the listed range, which outlasts its
# ban, so it is no element of its own.
nets=$(set_elements "$NS_SRV" blocknet4)
hosts=$(set_elements "$NS_SRV" blockhost4)
[ "$nets" = "$(printf '198.51.100.0-198.51.100.9\n198.51.100.11-198.51.100.255')" ] &&
	[ "$hosts" = "$ONLY4" ] || fail "after sync: blocknet4 [$nets] blockhost4 [$hosts]"
log "sync kept both: blocknet4 $(tr '\n' ' ' <<<"$nets") blockhost4 $hosts"

# 4. list and why.
ctl list >&2
ctl list --json >"$WORK/list.json"
"$PY" - "$WORK/list.json" "$ONLY4" "$SPAM4" <<-'PYEOF' || fail "list --json: $(cat "$WORK/list.json")"
import json, sys
l = json.load(open(sys.argv[1]))
kinds = {(e["kind"], e["range"]) for e in l["admin"]}
assert ("block", sys.argv[2]) in kinds and ("unblock", sys.argv[3]) in kinds, kinds
assert [e["reason"] for e in l["admin"] if e["kind"] == "block"] == ["test run"]
PYEOF
client_bg "$WORK/held.json" --src "$ONLY4" --dst "$SRV4" --banner-wait 2 --write 64 --hold 0.5 --linger 60
wait_until 10 test -s "$WORK/held.json" || fail "held client gave no report"
ctl why "$ONLY4" | tee "$WORK/why.txt" >&2
grep -q "admin:   block $ONLY4 since .*reason: test run" "$WORK/why.txt" || fail "why: no block entry"
grep -q "kernel:  in blockhost4 as $ONLY4, expires in" "$WORK/why.txt" || fail "why: not in the kernel set"
grep -q "verdict: tarpitted" "$WORK/why.txt" || fail "why: verdict"
grep -q "held:    1 flow(s) held now" "$WORK/why.txt" || fail "why: the held flow is missing"
ctl why "$SPAM4" | tee "$WORK/why2.txt" >&2
grep -q "admin:   unblock $SPAM4 .*reason: false positive" "$WORK/why2.txt" || fail "why: unblock entry"
# The log hit was ignored (protected by the unblock), so it never became an offender.
grep -q "logs:    not in the master list.s offenders" "$WORK/why2.txt" || fail "why: an ignored hit became an offender"
grep -q "verdict: passes (not blocklisted)" "$WORK/why2.txt" || fail "why: verdict for $SPAM4"

ctl why 198.51.100.11 | tee "$WORK/why3.txt" >&2
grep -q "logs:    first seen .*hits 1, ban episodes 1, ban expires in .*, sources rbl" "$WORK/why3.txt" ||
	fail "why: the offender record of 198.51.100.11"

# 4b. Block and unblock on each kind of set, at once in the kernel: a range goes to
# blocknet4, a single address to blockhost4, and an unblock that leaves one address of a
# range moves it to blockhost4.
ctl block 203.0.113.64/28 --for 1h >&2 || fail "block of a range"
grep -qx "203.0.113.64/28" <<<"$(set_elements "$NS_SRV" blocknet4)" || fail "203.0.113.64/28 not in blocknet4"
ctl block 203.0.113.99 --for 1h >&2 || fail "block of an address"
grep -qx "203.0.113.99" <<<"$(set_elements "$NS_SRV" blockhost4)" || fail "203.0.113.99 not in blockhost4"
tarpitted 203.0.113.99 || fail "203.0.113.99 not tarpitted after its block"
ctl unblock 203.0.113.66-203.0.113.79 >&2 || fail "unblock of part of a range"
nets=$(set_elements "$NS_SRV" blocknet4)
hosts=$(set_elements "$NS_SRV" blockhost4)
grep -qx "203.0.113.64/28" <<<"$nets" && fail "blocknet4 kept the whole /28 after the unblock"
grep -qx "203.0.113.64/31" <<<"$nets" || fail "the rest of the /28 is not in blocknet4: [$nets]"
ctl unblock 203.0.113.65 >&2 || fail "unblock of one address of a range"
nets=$(set_elements "$NS_SRV" blocknet4)
hosts=$(set_elements "$NS_SRV" blockhost4)
grep -q "203.0.113.6[4-5]" <<<"$nets" && fail "blocknet4 still holds the last address of the /28: [$nets]"
grep -qx "203.0.113.64" <<<"$hosts" || fail "203.0.113.64, left of the /28, is not in blockhost4: [$hosts]"
ctl unblock 203.0.113.99 >&2 || fail "unblock of an address"
grep -qx "203.0.113.99" <<<"$(set_elements "$NS_SRV" blockhost4)" && fail "203.0.113.99 still in blockhost4"
reaches 203.0.113.99 || fail "203.0.113.99 does not reach Postfix after its unblock"
log "block/unblock: blocknet4 $(tr '\n' ' ' <<<"$nets") blockhost4 $(set_elements "$NS_SRV" blockhost4 | tr '\n' ' ')"

# 4c. Expiry of each kind by the kernel's own timeouts: a range and an address blocked for
# 2 s leave blocknet4 and blockhost4; the next sync run, whose snapshot still lists them,
# neither fails on them (deleting a gone element would abort its transaction) nor puts
# them back.
ctl block 203.0.113.112/28 --for 2s >&2 || fail "block of a range for 2 s"
ctl block 203.0.113.97 --for 2s >&2 || fail "block of an address for 2 s"
grep -qx "203.0.113.112/28" <<<"$(set_elements "$NS_SRV" blocknet4)" || fail "203.0.113.112/28 not in blocknet4"
grep -qx "203.0.113.97" <<<"$(set_elements "$NS_SRV" blockhost4)" || fail "203.0.113.97 not in blockhost4"
sleep 3
expired_gone() {
	! grep -qx "203.0.113.112/28" <<<"$(set_elements "$NS_SRV" blocknet4)" &&
		! grep -qx "203.0.113.97" <<<"$(set_elements "$NS_SRV" blockhost4)"
}
expired_gone || fail "the kernel kept an expired element: blocknet4 [$(set_elements "$NS_SRV" blocknet4)] blockhost4 [$(set_elements "$NS_SRV" blockhost4)]"
sync_as_service --list "$WORK/block.txt" 2>"$WORK/sync3.log" || fail "sync after the expiries: $(cat "$WORK/sync3.log")"
log "after the expiries: $(grep 'sync mode=' "$WORK/sync3.log")"
expired_gone || fail "the sync run put an expired block back"

# 5. Bad input: a clear error, exit 2, and nothing changes (kernel sets and master list).
before_sets=$(in_srv nft list table inet nftarpit | grep -v expires | md5sum)
before_state=$(md5sum <"$STATE")
check_bad() {
	local want=$1 rc=0
	shift
	in_srv "$NFTARPITCTL" "$@" --state "$STATE" >"$WORK/bad.out" 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "$* exited $rc: $(cat "$WORK/bad.out")"
	grep -q -- "$want" "$WORK/bad.out" || fail "$*: $(cat "$WORK/bad.out"), want $want"
	log "$*: $(cat "$WORK/bad.out")"
}
check_bad 'bad address "300.1.2.3"' block 300.1.2.3
check_bad 'bad prefix length "/33"' block 10.0.0.0/33
check_bad 'empty address' block ""
check_bad 'empty address' unblock ""
check_bad 'bad address "300.1.2.3"' unblock 300.1.2.3
check_bad 'missing ADDR' block
check_bad 'bad --for "soon"' block 192.0.2.99 --for soon
check_bad 'broader than /8' block 10.0.0.0/7
check_bad 'broader than /16' unblock 10.0.0.0/8 --allow
[ "$(in_srv nft list table inet nftarpit | grep -v expires | md5sum)" = "$before_sets" ] ||
	fail "bad input changed the kernel's sets"
[ "$(md5sum <"$STATE")" = "$before_state" ] || fail "bad input changed the master list"
log "PASS"
