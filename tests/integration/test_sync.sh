#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpit-sync against the kernel in fresh namespaces, with a real Postfix: the sets hold
# exactly the expected ranges; a second run changes nothing; a real Postfix reject is
# picked up (by a run and by --follow within a second); expired entries leave; a client in
# a blocklisted range connecting in a loop through many full replaces of a large set never
# reaches Postfix; a transaction the kernel refuses leaves the previous set intact.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
# The issue asks for 100 replaces of 100,000 entries; the default keeps CI quick.
REPLACES=${SYNC_REPLACES:-25}
SET_SIZE=${SYNC_SET_SIZE:-100000}
REJECT4=203.0.113.66
FOLLOW4=203.0.113.67

lib_init
require_prog "$SYNC" "$NFTARPITCTL"
topo_up
postfix_start
ruleset_setup
ip -n "$NS_CLI" addr add $REJECT4/32 dev veth0
ip -n "$NS_CLI" addr add $FOLLOW4/32 dev veth0
# Postfix refuses these two clients outright: a real "Client host rejected" line.
postconf -c "$POSTFIX_DIR/etc" -e \
	"smtpd_client_restrictions = check_client_access inline:{ $REJECT4=REJECT, $FOLLOW4=REJECT }"
in_srv postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1

# sync ARGS...: nftarpit-sync in the server namespace; its summary line in $SUMMARY, its
# stderr in $WORK/sync.log, exit status in $RC.
sync() {
	RC=0
	in_srv "$SYNC" --state "$WORK/sync.state" "$@" >"$WORK/sync.out" 2>"$WORK/sync.log" || RC=$?
	SUMMARY=$(grep 'nftarpit-sync: sync ' "$WORK/sync.log" | tail -n 1 || true)
	log "sync $*: rc=$RC ${SUMMARY#nftarpit-sync: }"
}

# field KEY: one key=value of the summary line.
field() {
	tr ' ' '\n' <<<"$SUMMARY" | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# set_elems NAME: the set's elements, one per line, as ranges or addresses, sorted.
set_elems() {
	set_elements "$NS_SRV" "$1"
}

expect_set() {
	local name=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(set_elems "$name")
	[ "$got" = "$want" ] || fail "set $name holds [$(tr '\n' ' ' <<<"$got")], want [$(tr '\n' ' ' <<<"$want")]"
}

# blocked ADDR: ADDR is in blockhost4 or lies in some range of blocknet4.
blocked() {
	in_blocklist "$NS_SRV" "$1"
}

# has_elem SET ELEM (the listing is read whole: grep -q in a pipe under pipefail would fail
# on the writer's SIGPIPE).
has_elem() {
	local elems
	elems=$(set_elems "$1")
	grep -qxF -- "$2" <<<"$elems"
}

# 1. Lists and allowlists: exact contents, the allowlisted hole, bad lines counted.
cat >"$WORK/block.txt" <<EOF
# test blocklist
$BLOCK4
$BLOCK6 ; a comment
010.1.2.3
198.51.100.300
198.51.100.7
192.0.2.8/30
192.0.2.77
EOF
printf '{"cidr":"192.0.2.128/25","sblid":"SBL1","rir":"ripencc"}\n{"type":"metadata","records":1}\n' \
	>"$WORK/drop.json"
printf '%s\n%s\n10.0.0.0/8\n192.0.2.9-192.0.2.10\n' "$ALLOW4" "$ALLOW6" >"$WORK/allow.txt"
LISTS=(--list "$WORK/block.txt" --list "json:$WORK/drop.json" --allow "$WORK/allow.txt")
sync "${LISTS[@]}"
[ $RC -eq 0 ] || fail "first sync exited $RC: $(cat "$WORK/sync.log")"
# Ranges in blocknet4/6, single addresses in blockhost4/6. The allowlisted host splits the
# /24 into two ranges; the allowlisted 192.0.2.9-10 leaves two single addresses of
# 192.0.2.8/30, which become hosts; 198.51.100.7 lies inside the listed /24 and stays out
# of the hosts.
expect_set blocknet4 198.51.100.0-198.51.100.19 198.51.100.21-198.51.100.255 192.0.2.128/25
expect_set blockhost4 192.0.2.8 192.0.2.11 192.0.2.77
expect_set blocknet6 2001:db8:bad::/123 "2001:db8:bad::21-2001:db8:bad:ffff:ffff:ffff:ffff:ffff"
expect_set blockhost6
expect_set allowlist4 "$ALLOW4" 192.0.2.9-192.0.2.10
expect_set allowlist6 "$ALLOW6"
[ "$(field bad_lines)" = 3 ] || fail "bad_lines=$(field bad_lines), want 3 (two list lines, one allowlist /8)"
grep -q "block.txt:4: bad address \"010.1.2.3\"" "$WORK/sync.log" || fail "octal-looking line not reported with file:line"
grep -q "allowlist entry 10.0.0.0/8 is broader than /16" "$WORK/sync.log" || fail "broad allowlist entry not refused"

# 2. Nothing new: nothing changes, and the ruleset is not touched.
before=$(in_srv nft list ruleset | md5sum)
sync "${LISTS[@]}"
[ $RC -eq 0 ] && [ "$(field added)" = 0 ] && [ "$(field removed)" = 0 ] &&
	[ "$(field refreshed)" = 0 ] || fail "second run changed something: $SUMMARY"
[ "$(in_srv nft list ruleset | md5sum)" = "$before" ] || fail "ruleset changed on a no-op run"
# The same answer when the kernel is read back instead of trusting the snapshot.
rm -f "$WORK/sync.state.applied"
sync "${LISTS[@]}"
[ "$(field kernel_read)" = dump ] && [ "$(field added)" = 0 ] && [ "$(field removed)" = 0 ] ||
	fail "run against the dumped sets was not a no-op: $SUMMARY"

# 3. A real Postfix reject is picked up; the offender's connections stop reaching Postfix.
send_mail $REJECT4 $SRV4 reject || true
wait_until 10 grep -q "NOQUEUE: reject: RCPT from [^ ]*\[$REJECT4\].*Client host rejected" "$WORK/maillog" ||
	fail "Postfix did not log the reject of $REJECT4"
cat >"$WORK/sync.conf" <<EOF
[sync]
# Short bans and no kernel timeouts, so that expiry is nftarpit-sync's own doing.
bantime = 4s
kernel_timeouts = no
EOF
sync -c "$WORK/sync.conf" "${LISTS[@]}" --log "$WORK/maillog"
[ $RC -eq 0 ] && [ "$(field hits)" = 1 ] && [ "$(field added)" = 1 ] || fail "reject not picked up: $SUMMARY"
has_elem blockhost4 $REJECT4 || fail "$REJECT4 not in blockhost4"
n=$(maillog_count $REJECT4)
out=$(client --src $REJECT4 --dst $SRV4 --connect-timeout 2 --banner-wait 1)
real_banner "$out" && fail "$REJECT4 still reaches Postfix: $out"
[ "$(maillog_count $REJECT4)" = "$n" ] || fail "Postfix logged another connection from $REJECT4"
grep -q "^ban $REJECT4 .*src=access" "$WORK/sync.state" || fail "master list lacks $REJECT4"

# 4. Expiry: after the ban time the entry leaves the set; a list entry removed leaves too.
sleep 5
: >"$WORK/drop.json"
sync -c "$WORK/sync.conf" "${LISTS[@]}" --log "$WORK/maillog"
[ $RC -eq 0 ] && [ "$(field removed)" = 2 ] || fail "expired entry and dropped list entry not removed: $SUMMARY"
has_elem blockhost4 $REJECT4 && fail "$REJECT4 still blocked after its ban expired"
has_elem blocknet4 192.0.2.128/25 && fail "192.0.2.128/25 still blocked after leaving its list"
grep -q "^ban $REJECT4 " "$WORK/sync.state" || fail "expired offender forgotten too early (repeat offences)"

# 5. --follow: a new reject line is banned within a second of being logged, and the
# periodic full pass (full_interval) notices a list entry that went away.
printf '[sync]\nfull_interval = 2s\nnever_block_file = %s\n' "$WORK/never-follow.txt" >"$WORK/follow.conf"
: >"$WORK/never-follow.txt"
echo 192.0.2.200/29 >"$WORK/extra.txt"
ip netns exec "$NS_SRV" "$SYNC" -c "$WORK/follow.conf" --state "$WORK/follow.state" \
	--log "$WORK/maillog" "${LISTS[@]}" --list "$WORK/extra.txt" --follow >"$WORK/follow.log" 2>&1 &
FOLLOW_PID=$!
wait_until 10 grep -q "follow started" "$WORK/follow.log" || fail "--follow did not start: $(cat "$WORK/follow.log")"
send_mail $FOLLOW4 $SRV4 follow || true
wait_until 10 grep -q "reject: RCPT from [^ ]*\[$FOLLOW4\]" "$WORK/maillog" || fail "no reject logged for $FOLLOW4"
t0=$(date +%s%N)
wait_until 2 blocked "$FOLLOW4" || fail "--follow did not ban $FOLLOW4 within 2 s: $(cat "$WORK/follow.log")"
log "follow: $FOLLOW4 in blockhost4 at most $((($(date +%s%N) - t0) / 1000000)) ms after the reject was logged"
has_elem blocknet4 192.0.2.200/29 || fail "--follow did not load its lists"
: >"$WORK/extra.txt"
wait_until 6 sh -c "! ip netns exec $NS_SRV nft list set inet nftarpit blocknet4 | grep -q 192.0.2.200/29" ||
	fail "--follow's full pass did not remove a list entry that went away"
blocked "$FOLLOW4" || fail "--follow's full pass lost the ban of $FOLLOW4"
# never_block_file is read again by each full pass: an address the admin adds there is
# let go without a restart; a file broken while being edited keeps the last good one.
echo $FOLLOW4 >"$WORK/never-follow.txt"
wait_until 6 sh -c "! ip netns exec $NS_SRV nft list set inet nftarpit blockhost4 | grep -qw $FOLLOW4" ||
	fail "--follow's full pass kept $FOLLOW4 after it was added to never_block_file"
printf '%s\nnot-an-address\n' $FOLLOW4 >"$WORK/never-follow.txt"
wait_until 6 grep -q "the previous never_block and host addresses stay in force" "$WORK/follow.log" ||
	fail "a broken never_block_file was not reported by the full pass: $(tail -5 "$WORK/follow.log")"
grep -q "never-follow.txt:2" "$WORK/follow.log" || fail "the broken never_block_file line is not named"
sleep 2.5
blocked "$FOLLOW4" && fail "a broken never_block_file dropped the last good never_block"
kill -0 $FOLLOW_PID || fail "--follow died on a broken never_block_file"
kill -TERM $FOLLOW_PID
wait $FOLLOW_PID || fail "--follow exited $? on SIGTERM"
grep -q "^ban $FOLLOW4 " "$WORK/follow.state" || fail "--follow did not save its master list"

# 5b. The journal: entries of the matched identifiers from the mail units only (fields
# journald takes from the kernel), resumed from the saved cursor. systemd-journal-remote
# writes a real journal file from export-format entries, trusted fields included.
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
require_prog $JOURNAL_REMOTE
journal_add() {
	local ident=$1 msg=$2 unit=${3:-postfix@-.service} uid=${4:-107}
	printf '__REALTIME_TIMESTAMP=%s\n_HOSTNAME=mx\n_TRANSPORT=syslog\n_SYSTEMD_UNIT=%s\n_UID=%s\nSYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n\n' \
		"$(date +%s%6N)" "$unit" "$uid" "$ident" "$msg" |
		$JOURNAL_REMOTE -o "$WORK/test.journal" - 2>/dev/null
}
journal_add postfix/smtpd "NOQUEUE: reject: RCPT from unknown[198.18.1.1]:4711: 554 5.7.1 Service unavailable; Client host [198.18.1.1] blocked using zen.spamhaus.org; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>"
journal_add cron "NOQUEUE: reject: RCPT from unknown[198.18.1.2]:1: 554 5.7.1 Service unavailable; Client host [198.18.1.2] blocked using zen.spamhaus.org; x"
# A local user's "logger -t postfix/smtpd": the identifier is right, the unit and uid are not.
journal_add postfix/smtpd "NOQUEUE: reject: RCPT from unknown[198.18.1.4]:1: 554 5.7.1 Service unavailable; Client host [198.18.1.4] blocked using zen.spamhaus.org; x" user@1000.service 1000
sync -c "$WORK/sync.conf" "${LISTS[@]}" --journal-file "$WORK/test.journal"
[ $RC -eq 0 ] && [ "$(field hits)" = 1 ] || fail "journal entry not picked up: $SUMMARY $(grep -v " sync " "$WORK/sync.log")"
has_elem blockhost4 198.18.1.1 || fail "198.18.1.1 from the journal not in blockhost4: $(set_elems blockhost4 | tr "\n" " ")"
has_elem blockhost4 198.18.1.2 && fail "an entry of another identifier was acted on"
has_elem blockhost4 198.18.1.4 && fail "an entry forged under SYSLOG_IDENTIFIER=postfix/smtpd was acted on"
grep -q '^cursor s=' "$WORK/sync.state" || fail "journal cursor not saved"
journal_add postfix/postscreen "DNSBL rank 4 for [198.18.1.3]:5555"
sync -c "$WORK/sync.conf" "${LISTS[@]}" --journal-file "$WORK/test.journal"
[ $RC -eq 0 ] && [ "$(field log_lines)" = 1 ] && [ "$(field hits)" = 1 ] ||
	fail "journal not resumed from its cursor: $SUMMARY"
has_elem blockhost4 198.18.1.3 || fail "198.18.1.3 from the journal not in blockhost4"

# 5c. Guarded inputs (issue 13). The whole address space in any spelling is refused with
# file:line while the rest of the list applies; a run whose blocklist would cover more
# than block_max_share is refused and changes nothing; never_block keeps an address out
# whatever names it: a log line, a list entry, nftarpitctl block without --force.
printf '0.0.0.0/0\n::/0\n0.0.0.0-255.255.255.255\n198.18.3.0/24\n' >"$WORK/broad.txt"
sync -c "$WORK/sync.conf" --list "$WORK/broad.txt"
[ $RC -eq 0 ] && [ "$(field bad_lines)" = 3 ] && [ "$(field refused)" = 3 ] ||
	fail "broad entries not refused one by one: $SUMMARY $(cat "$WORK/sync.log")"
for l in "broad.txt:1: entry 0.0.0.0/0 is broader than /8: refused" \
	"broad.txt:2: entry ::/0 is broader than /16: refused" \
	"broad.txt:3: entry 0.0.0.0/0 is broader than /8: refused"; do
	grep -qF "$l" "$WORK/sync.log" || fail "no \"$l\" in $(cat "$WORK/sync.log")"
done
has_elem blocknet4 198.18.3.0/24 || fail "the good entry of a list with refused ones was not applied"
before=$(block_elements "$NS_SRV" 4)
printf '%s.0.0.0/8\n' 11 12 13 14 15 16 17 18 >"$WORK/wide.txt"
sync -c "$WORK/sync.conf" --list "$WORK/wide.txt"
[ $RC -ne 0 ] || fail "a blocklist of 3 % of IPv4 was applied: $SUMMARY"
grep -q "blocklist would cover 3.125% of the IPv4 address space, more than block_max_share = 2%: run refused, nothing applied" \
	"$WORK/sync.log" || fail "over-broad total not explained: $(cat "$WORK/sync.log")"
[ "$(block_elements "$NS_SRV" 4)" = "$before" ] || fail "a refused run changed the blocklist"
NEVER=198.18.2.1
printf '[sync]\nnever_block = %s\nkernel_timeouts = no\n' $NEVER >"$WORK/guard.conf"
echo "Nov 26 23:01:02 mx postfix/smtpd[9]: NOQUEUE: reject: RCPT from relay.example.com[$NEVER]: 554 5.7.1 <relay.example.com[$NEVER]>: Client host rejected: Access denied; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<relay.example.com>" \
	>"$WORK/never.log"
echo 198.18.2.0/24 >"$WORK/never-list.txt"
# With the lists of section 1 again, which section 6 expects in the set.
sync -c "$WORK/guard.conf" --log "$WORK/never.log" --list "$WORK/never-list.txt" "${LISTS[@]}"
[ $RC -eq 0 ] && [ "$(field never_block)" = 2 ] || fail "never_block attempts not counted: $SUMMARY"
grep -q "never_block src=$NEVER reason=access .*source=log: not banned" "$WORK/sync.log" ||
	fail "the log hit on never_block is not logged with its source"
grep -q "never-list.txt:1: entry 198.18.2.0/24 overlaps never_block $NEVER" "$WORK/sync.log" ||
	fail "the list entry over never_block is not named with file:line"
blocked $NEVER && fail "never_block $NEVER was blocked"
blocked 198.18.2.2 || fail "the rest of 198.18.2.0/24 was not blocked"
RC=0
in_srv "$NFTARPITCTL" block $NEVER --state "$WORK/sync.state" -c "$WORK/guard.conf" \
	>"$WORK/ctl.out" 2>&1 || RC=$?
[ $RC -ne 0 ] && grep -q "never_block src=$NEVER source=nftarpitctl: block overlaps never_block $NEVER: refused" "$WORK/ctl.out" ||
	fail "nftarpitctl block of a never_block address not refused (rc $RC): $(cat "$WORK/ctl.out")"
blocked $NEVER && fail "nftarpitctl block put never_block $NEVER in the set"

# The master list's cap: with max_offenders = 1 and the one entry an active ban, the next
# offender is refused, logged and counted; the ban in force stays.
printf '[sync]\nmax_offenders = 1\nkernel_timeouts = no\n' >"$WORK/cap.conf"
for a in 198.18.4.1 198.18.4.2; do
	echo "Nov 26 23:01:02 mx postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[$a]: 554 5.7.1 <unknown[$a]>: Client host rejected: Access denied; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x>"
done >"$WORK/cap.log"
in_srv "$SYNC" -c "$WORK/cap.conf" --state "$WORK/cap.state" --log "$WORK/cap.log" "${LISTS[@]}" \
	>/dev/null 2>"$WORK/cap.out" || fail "sync with a full master list failed: $(cat "$WORK/cap.out")"
SUMMARY=$(grep 'nftarpit-sync: sync ' "$WORK/cap.out" | tail -n 1)
[ "$(field capped)" = 1 ] && [ "$(field offenders)" = 1 ] || fail "the cap did not hold: $SUMMARY"
grep -q "master list full max_offenders=1: new offender src=198.18.4.2 reason=access not banned" "$WORK/cap.out" ||
	fail "the full master list is not logged: $(cat "$WORK/cap.out")"
blocked 198.18.4.1 && ! blocked 198.18.4.2 || fail "the cap let the wrong offender in"

# 6. Full replaces of a large set while a blocklisted client connects in a loop: not one
# connection reaches Postfix (no daemon runs, so the fail-closed queue drops them), while
# a clean client in the same loop does, which shows the loop was live.
"$NFTARPIT_SRC/bench/gen_list.py" $((SET_SIZE - 1)) 7 |
	grep -v -e '^192\.0\.2\.' -e '^198\.51\.100\.' -e '^203\.0\.113\.' >"$WORK/big.txt"
echo "$BLOCK4" >>"$WORK/big.txt"
loop_connect $SPAM4 $SRV4 "$WORK/stop" >"$WORK/loop-spam.json" &
SPAM_LOOP=$!
loop_connect $CLEAN4 $SRV4 "$WORK/stop" >"$WORK/loop-clean.json" &
CLEAN_LOOP=$!
start=$(date +%s)
for ((i = 1; i <= REPLACES; i++)); do
	sync --list "$WORK/big.txt" --replace
	[ $RC -eq 0 ] || { touch "$WORK/stop"; fail "replace $i exited $RC: $(tail -n 3 "$WORK/sync.log")"; }
done
touch "$WORK/stop"
wait $SPAM_LOOP $CLEAN_LOOP
log "$REPLACES replaces of $(wc -l <"$WORK/big.txt") entries in $(($(date +%s) - start)) s; spammer $(cat "$WORK/loop-spam.json"), clean $(cat "$WORK/loop-clean.json")"
[ "$(json_get "$(cat "$WORK/loop-spam.json")" reached)" = 0 ] || fail "the blocklisted client reached Postfix during the replaces"
[ "$(json_get "$(cat "$WORK/loop-clean.json")" reached)" -gt 0 ] || fail "the clean client never reached Postfix: the loop was not live"
[ "$(maillog_count $SPAM4)" = 0 ] || fail "Postfix logged connections from $SPAM4"
[ "$(field v4_ranges)" -gt $((SET_SIZE * 9 / 10)) ] || fail "only $(field v4_ranges) ranges loaded"

# 7. A transaction the kernel refuses: the set keeps its previous content, the error
# names an element, the exit status is 2. A hash set with room for 20 elements
# stands in for any kernel refusal.
ruleset_teardown
in_srv nft -f - <<'EOF'
table inet nftarpit {
	set blockhost4 { type ipv4_addr; flags timeout; size 20; }
	set blocknet4 { type ipv4_addr; flags interval,timeout; }
	set blockhost6 { type ipv6_addr; flags timeout; }
	set blocknet6 { type ipv6_addr; flags interval,timeout; }
	set allowlist4 { type ipv4_addr; flags interval; }
	set allowlist6 { type ipv6_addr; flags interval; }
}
EOF
rm -f "$WORK/sync.state" "$WORK/sync.state.applied"
awk '!/\// && n++ < 20' "$WORK/big.txt" >"$WORK/small.txt"
sync --list "$WORK/small.txt"
[ $RC -eq 0 ] || fail "sync into the small set exited $RC: $(cat "$WORK/sync.log")"
before=$(set_elems blockhost4)
[ "$(wc -l <<<"$before")" -eq 20 ] || fail "small set holds $(wc -l <<<"$before") ranges, want 20"
awk '!/\// && n++ >= 100 && n <= 200' "$WORK/big.txt" >"$WORK/more.txt"
sync --list "$WORK/more.txt"
[ $RC -eq 2 ] || fail "refused transaction exited $RC, want 2: $(cat "$WORK/sync.log")"
grep -q "transaction refused: .*set blockhost4, element [0-9.]*" "$WORK/sync.log" ||
	fail "the refusal does not name the element: $(cat "$WORK/sync.log")"
log "refusal: $(grep 'transaction refused' "$WORK/sync.log")"
[ "$(set_elems blockhost4)" = "$before" ] || fail "blockhost4 changed although the kernel refused the transaction"
sync --list "$WORK/more.txt" --replace
[ $RC -eq 2 ] && [ "$(set_elems blockhost4)" = "$before" ] || fail "refused replace changed the set (rc $RC)"
in_srv nft delete table inet nftarpit
sync --list "$WORK/small.txt"
[ $RC -eq 3 ] || fail "missing ruleset exited $RC, want 3"
log "PASS"
