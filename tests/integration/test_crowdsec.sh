#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A fleet of two mail servers sharing bans through a real CrowdSec Local API (Debian's
# crowdsec, run alone from a folder of ours in its own namespace). Each server runs a real
# Postfix rejecting through its rbldnsd, nftarpitd and nftarpit-sync --follow with
# [crowdsec] push = yes. A spammer rejected at A is tarpitted at B within seconds and never
# reaches B's Postfix; cscli decisions delete releases it at both; decisions of other
# types and scopes are ignored; a Range decision matches as a range; the LAPI stopped and
# restarted, or silent (SIGSTOP): no set loses an element meanwhile and both catch up; a
# server cut off from the LAPI catches up on what it missed. The firewall bouncer's known bugs, as regressions:
# timeouts re-asserted on restart, a re-added ban extends the expiry, an expired element
# never fails a batch. A bad bouncer key or a LAPI answering garbage: exit 1, one error
# line, the sets unchanged.
#
#   spammer netns (lib.sh's client)          A = lib.sh's server       LAPI netns
#   198.51.100.10 ---- veth0 192.0.2.0/24 ---- 192.0.2.1   198.18.2.2 -- 198.18.2.1
#                 ---- veth1 198.18.1.0/24 --- 198.18.1.1 = B  198.18.3.2 -- 198.18.3.1
#                                              crowdsec -no-cs on 0.0.0.0:8080
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loop.sh"
. "$(dirname "$0")/crowdsec.sh"
SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
# loop.sh's spammer helpers, pointed at lib.sh's client namespace.
NS_SPAM=$NS_CLI

NS_B=nftarpit-b-$$
NS_CS=nftarpit-cs-$$
SRVB4=198.18.1.1
LAPI_A=http://198.18.2.1:8080
LAPI_B=http://198.18.3.1:8080
RANGE=203.0.113.128/25
IN_RANGE=203.0.113.200
OTHER4=198.51.100.31 # captcha decision: must be ignored
DOWN4=198.51.100.41  # banned before the LAPI stops
LATE4=198.51.100.42  # banned after the LAPI is back
CUT4=198.51.100.43   # banned while A is cut off from the LAPI
EXT4=198.51.100.44   # re-added with a longer duration
SHORT4=198.51.100.45 # expires in the kernel, then deleted at the LAPI

lib_init
require_prog "$SYNC" "$NFTARPITD" "$NFTARPITCTL" rbldnsd "$CROWDSEC" "$CSCLI"
CS=$WORK/lapi
SYNC_B_PID=
SYNC_A_PID=

in_b() {
	ip netns exec "$NS_B" "$@"
}

cscli_() {
	lapi_cscli "$NS_CS" "$CS" "$@"
}

# in_set_at NS ADDR: ADDR is covered by blockhost4 or blocknet4 in NS.
in_set_at() {
	in_blocklist "$1" "$2"
}
not_in_set_at() {
	! in_set_at "$@"
}
both_have() {
	in_set_at "$NS_SRV" "$1" && in_set_at "$NS_B" "$1"
}
neither_has() {
	not_in_set_at "$NS_SRV" "$1" && not_in_set_at "$NS_B" "$1"
}

# elements NS: the elements of blockhost4 and blocknet4 (lib.sh).
elements() {
	block_elements "$1" 4
}

# expires_in NS ADDR: seconds the kernel still gives ADDR's element, or empty.
expires_in() {
	ip netns exec "$1" nft -j list set inet nftarpit blockhost4 | "$PY" -c '
import json, sys
for obj in json.load(sys.stdin)["nftables"]:
    for e in (obj.get("set") or {}).get("elem", []):
        if isinstance(e, dict) and "elem" in e and e["elem"]["val"] == sys.argv[1]:
            print(e["elem"].get("expires", ""))' "$2"
}

# sync_conf FILE URL KEY MACHINE: a [crowdsec] config for one server.
sync_conf() {
	cat >"$1" <<-CONF
	[sync]
	bantime = 1h
	[crowdsec]
	url = $2
	bouncer_key_file = $3
	machine_credentials = $4
	push = yes
	poll_interval = 1s
	CONF
}

# 1. Topology: lib.sh's server (A) and client (spammer), B and the LAPI.
topo_up
netns_add "$NS_B"
netns_add "$NS_CS"
ip -n "$NS_CLI" link add veth1 type veth peer name veth1 netns "$NS_B"
ip -n "$NS_CLI" addr add 198.18.1.2/24 dev veth1
ip -n "$NS_CLI" link set veth1 up
in_cli ethtool -K veth1 tx off >/dev/null
ip -n "$NS_CLI" addr add $IN_RANGE/32 dev veth0
ip -n "$NS_B" addr add $SRVB4/24 dev veth1
ip -n "$NS_B" link set veth1 up
ip -n "$NS_B" route add 198.51.100.0/24 via 198.18.1.2
ip -n "$NS_B" route add 203.0.113.0/24 via 198.18.1.2
ip -n "$NS_SRV" link add vcs type veth peer name vcsa netns "$NS_CS"
ip -n "$NS_B" link add vcs type veth peer name vcsb netns "$NS_CS"
ip -n "$NS_SRV" addr add 198.18.2.2/24 dev vcs
ip -n "$NS_B" addr add 198.18.3.2/24 dev vcs
ip -n "$NS_CS" addr add 198.18.2.1/24 dev vcsa
ip -n "$NS_CS" addr add 198.18.3.1/24 dev vcsb
for l in "$NS_SRV vcs" "$NS_B vcs" "$NS_CS vcsa" "$NS_CS vcsb"; do
	set -- $l
	ip -n "$1" link set "$2" up
done

# 2. The LAPI, its bouncer keys and machine credentials for A and B.
lapi_config "$CS" 0.0.0.0:8080
lapi_start "$NS_CS" "$CS" http://127.0.0.1:8080
for h in a b; do
	cscli_ bouncers add "mx-$h" -o raw >"$WORK/$h.key"
	cscli_ machines add "mx-$h" --password "pw-$h-$$-nftarpit" -f "$WORK/$h-machine.yaml" \
		--url http://127.0.0.1:8080 >/dev/null 2>&1
done
sync_conf "$WORK/a.conf" $LAPI_A "$WORK/a.key" "$WORK/a-machine.yaml"
sync_conf "$WORK/b.conf" $LAPI_B "$WORK/b.key" "$WORK/b-machine.yaml"

# 3. Two mail servers: rbldnsd listing the spammer, Postfix rejecting through it,
# the ruleset, nftarpitd. B's are started in a subshell with lib.sh's variables pointed
# at B; cleanup() ends them with B's namespace.
dnsbl_start
loop_postfix_start
ruleset_setup
daemon_start
mkdir -p "$WORK/b"
chmod 755 "$WORK/b"
(
	NS_SRV=$NS_B
	WORK=$WORK/b
	dnsbl_start
	loop_postfix_start
	ruleset_setup
) || fail "server B did not start"
# A runs in owned mode (nftarpitd owns its table on Linux 6.9+, the sync changes it through
# the daemon's lease); B unowned (--own no: its table stays an orphan that anyone may
# change), because step 12 plays a foreign program cutting an element's timeout behind
# the sync's back, which an owned table would refuse (test_own shows that refusal).
ip netns exec "$NS_B" "$NFTARPITD" -f -v -q "$QUEUE" -s "$WORK/b/nftarpitd.sock" --own no \
	>>"$WORK/b/nftarpitd.log" 2>&1 &
wait_until 10 test -S "$WORK/b/nftarpitd.sock" || fail "nftarpitd B did not start"

start_sync_a() {
	ip netns exec "$NS_SRV" "$SYNC" -v -c "$WORK/a.conf" --state "$WORK/a.state" \
		--log "$WORK/maillog" --follow >>"$WORK/sync-a.log" 2>&1 &
	SYNC_A_PID=$!
}
start_sync_b() {
	ip netns exec "$NS_B" "$SYNC" -v -c "$WORK/b.conf" --state "$WORK/b.state" \
		--log "$WORK/b/maillog" --follow >>"$WORK/sync-b.log" 2>&1 &
	SYNC_B_PID=$!
}
stop_sync() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
start_sync_a
start_sync_b
wait_until 20 grep -qs 'follow started' "$WORK/sync-a.log" || fail "sync A did not start: $(cat "$WORK/sync-a.log")"
wait_until 20 grep -qs 'follow started' "$WORK/sync-b.log" || fail "sync B did not start: $(cat "$WORK/sync-b.log")"
grep -q 'crowdsec pull startup=yes' "$WORK/sync-b.log" || fail "sync B did not pull at start"

# 4. The spammer is rejected at A (DNSBL), banned there, pushed, pulled by B: tarpitted at
# B within seconds and never seen by B's Postfix.
spam_attempt $SPAM4 $SRV4 "$WORK/spam-a.log" && fail "A accepted the spammer"
grep -q "blocked using $DNSBL" "$WORK/spam-a.log" || fail "no DNSBL reject at A: $(tail -3 "$WORK/spam-a.log")"
t0=$(date +%s%N)
wait_until 5 in_set_at "$NS_SRV" $SPAM4 || fail "$SPAM4 not banned at A"
wait_until 10 in_set_at "$NS_B" $SPAM4 || fail "$SPAM4 not in B's set 10 s after A's reject: $(tail -5 "$WORK/sync-b.log")"
log "$SPAM4: rejected at A, in B's set $((($(date +%s%N) - t0) / 1000000)) ms later"
# A new Ip decision goes out like a log ban, not with a full pass over every list.
grep -q "crowdsec ban src=$SPAM4 expires_in=[0-9]*s (follow)" "$WORK/sync-b.log" ||
	fail "B did not send the pulled $SPAM4 as a follow ban: $(grep crowdsec "$WORK/sync-b.log" | tail -5)"
grep -q "crowdsec push src=$SPAM4 scenario=nftarpit/rbl" "$WORK/sync-a.log" || fail "A did not push its ban"
cscli_ decisions list -a -o json | grep -q '"scenario": "nftarpit/rbl"' ||
	fail "the LAPI has no decision with scenario nftarpit/rbl"
for i in 1 2 3; do
	out=$(client --src $SPAM4 --dst $SRVB4 --banner-wait 2)
	[ "$(json_get "$out" connected)" = true ] ||
		fail "attempt $i at B: not even connected (tarpit expected): $out"
	real_banner "$out" && fail "attempt $i at B reached B's Postfix: $out"
done
spam_attempt $SPAM4 $SRVB4 "$WORK/spam-b.log" && fail "B accepted the spammer"
grep -q ": connect from [^ ]*\[$SPAM4\]" "$WORK/b/maillog" && fail "B's Postfix saw $SPAM4"
log "$SPAM4: 4 attempts at B held by the tarpit, none reached B's Postfix"
out=$(in_srv "$NFTARPITCTL" status -s "$CTL_SOCK" --state "$WORK/a.state")
grep -Eq "^crowdsec +$LAPI_A up, [0-9]+ decisions held, last pull [0-9]+s ago" <<<"$out" ||
	fail "nftarpitctl status does not show the LAPI: $out"

# 5. Other types and scopes are ignored; a Range decision matches as a range at both.
cscli_ decisions add --ip $OTHER4 --type captcha --duration 1h --reason other-type >/dev/null 2>&1
cscli_ decisions add --scope Country --value XX --duration 1h --reason other-scope >/dev/null 2>&1 || true
cscli_ decisions add --range $RANGE --duration 1h --reason range >/dev/null 2>&1
wait_until 10 both_have $IN_RANGE || fail "range $RANGE not at both"
both_have 203.0.113.129 && both_have 203.0.113.255 || fail "the range does not match as a range"
neither_has 203.0.113.127 || fail "an address outside the range is blocked"
neither_has $CLEAN4 || fail "$CLEAN4 is blocked"
sleep 2
neither_has $OTHER4 || fail "a captcha decision was put in a set"
out=$(client --src $IN_RANGE --dst $SRVB4 --banner-wait 2)
real_banner "$out" && fail "$IN_RANGE (inside the Range decision) reached B's Postfix"
log "Range decision held as a range at both; captcha and Country decisions ignored"

# 6. Bouncer bug: a re-added ban extends the expiry.
cscli_ decisions add --ip $EXT4 --duration 10m --reason short >/dev/null 2>&1
wait_until 10 both_have $EXT4 || fail "$EXT4 not at both"
e1=$(expires_in "$NS_B" $EXT4)
cscli_ decisions add --ip $EXT4 --duration 3h --reason longer >/dev/null 2>&1
wait_until 15 sh -c "[ \"\$(ip netns exec $NS_B nft -j list set inet nftarpit blockhost4 | grep -o '\"val\": \"$EXT4\"[^}]*\"expires\": [0-9]*' | grep -o '[0-9]*\$')\" -gt 7200 ]" ||
	fail "re-adding $EXT4 for 3h did not extend its expiry at B (was $e1 s, now $(expires_in "$NS_B" $EXT4) s)"
log "$EXT4: re-added for 3h, the kernel's expiry went from ${e1}s to $(expires_in "$NS_B" $EXT4)s"

# 7. Bouncer bug: an element expired in the kernel never fails a batch. A 3 s decision
# expires in both kernels; then it is deleted at the LAPI along with a new ban in the same
# delta: the new ban must land, and no transaction be refused.
cscli_ decisions add --ip $SHORT4 --duration 3s --reason short >/dev/null 2>&1
wait_until 10 both_have $SHORT4 || fail "$SHORT4 not at both"
wait_until 10 neither_has $SHORT4 || fail "$SHORT4 did not expire"
cscli_ decisions delete --ip $SHORT4 >/dev/null 2>&1 || true
cscli_ decisions add --ip $LATE4 --duration 1h --reason after-expired >/dev/null 2>&1
wait_until 10 both_have $LATE4 || fail "the ban after an expired element did not land"
grep -q 'transaction refused' "$WORK/sync-a.log" "$WORK/sync-b.log" && fail "a transaction was refused"

# 8. cscli decisions delete releases the spammer at both (A's own ban included).
cscli_ decisions delete --ip $SPAM4 >/dev/null 2>&1
wait_until 15 neither_has $SPAM4 || fail "$SPAM4 not released at both after cscli decisions delete"
grep -q "crowdsec release src=$SPAM4" "$WORK/sync-a.log" || fail "A did not log the release"
log "$SPAM4: released at both after cscli decisions delete"

# 9. The LAPI stopped for a while: no set loses an element, the syncs back off; restarted:
# both catch up on a decision made after the restart.
cscli_ decisions add --ip $DOWN4 --duration 1h --reason before-down >/dev/null 2>&1
wait_until 10 both_have $DOWN4 || fail "$DOWN4 not at both"
before_a=$(elements "$NS_SRV")
before_b=$(elements "$NS_B")
lapi_stop
for i in $(seq 1 6); do
	[ "$(elements "$NS_SRV")" = "$before_a" ] || fail "A's set changed while the LAPI was down: $(elements "$NS_SRV")"
	[ "$(elements "$NS_B")" = "$before_b" ] || fail "B's set changed while the LAPI was down"
	sleep 1
done
grep -q 'crowdsec pull failed' "$WORK/sync-a.log" || fail "A did not notice the LAPI was down"
grep -q 'retry_in=[2-9]' "$WORK/sync-b.log" || fail "B did not back off"
out=$(in_srv "$NFTARPITCTL" metrics -s "$CTL_SOCK" --state "$WORK/a.state")
grep -q '^nftarpit_crowdsec_up 0$' <<<"$out" && grep -Eq '^nftarpit_crowdsec_errors_total [1-9]' <<<"$out" ||
	fail "the metrics do not show the LAPI down: $(grep crowdsec <<<"$out")"
lapi_start "$NS_CS" "$CS" http://127.0.0.1:8080
cscli_ decisions add --ip 198.51.100.46 --duration 1h --reason after-restart >/dev/null 2>&1
wait_until 40 both_have 198.51.100.46 || fail "the syncs did not catch up after the LAPI came back"
both_have $DOWN4 || fail "$DOWN4 lost across the LAPI restart"
log "LAPI down 6 s: both sets unchanged; back: both caught up"

# 9b. A slow LAPI (stopped with SIGSTOP: connections are accepted, nothing answers): the
# requests time out, the sets stay, and both catch up once it answers again.
before_a=$(elements "$NS_SRV")
before_b=$(elements "$NS_B")
kill -STOP "$LAPI_PID"
for i in $(seq 1 10); do
	[ "$(elements "$NS_SRV")" = "$before_a" ] && [ "$(elements "$NS_B")" = "$before_b" ] ||
		{ kill -CONT "$LAPI_PID"; fail "a set changed while the LAPI was not answering"; }
	sleep 1
done
kill -CONT "$LAPI_PID"
grep -q 'crowdsec pull failed.*[Tt]imeout\|crowdsec pull failed.*timed out' "$WORK/sync-a.log" ||
	fail "A did not time out on the silent LAPI: $(grep 'pull failed' "$WORK/sync-a.log" | tail -2)"
cscli_ decisions add --ip 198.51.100.47 --duration 1h --reason after-slow >/dev/null 2>&1
wait_until 60 both_have 198.51.100.47 || fail "the syncs did not catch up after the LAPI answered again"
log "LAPI silent 10 s: requests timed out, both sets unchanged; answering again: both caught up"

# 10. A cut off from the LAPI while a ban is made: B gets it, A catches up when back.
ip -n "$NS_SRV" link set vcs down
cscli_ decisions add --ip $CUT4 --duration 1h --reason while-cut >/dev/null 2>&1
wait_until 10 in_set_at "$NS_B" $CUT4 || fail "$CUT4 not at B"
sleep 2
in_set_at "$NS_SRV" $CUT4 && fail "A got $CUT4 while cut off?"
ip -n "$NS_SRV" link set vcs up
wait_until 60 in_set_at "$NS_SRV" $CUT4 || fail "A did not catch up on $CUT4"
log "A cut off from the LAPI: caught up on $CUT4 when the link came back"

# 11. No echo: A pushed its one ban once, B (no bans of its own) never pushed.
n=$(grep -c "crowdsec push src=$SPAM4" "$WORK/sync-a.log" || true)
[ "$n" = 1 ] || fail "A pushed $SPAM4 $n times"
grep -q 'crowdsec push ' "$WORK/sync-b.log" && fail "B pushed decisions it pulled"

# 12. Bouncer bug: timeouts re-asserted on restart. B stopped, an element's timeout cut
# short behind its back; a restarted sync puts the decision's own expiry back.
stop_sync "$SYNC_B_PID"
in_b nft delete element inet nftarpit blockhost4 "{ $DOWN4 }"
in_b nft add element inet nftarpit blockhost4 "{ $DOWN4 timeout 60s }"
rm -f "$WORK/b.state.applied"
start_sync_b
wait_until 20 sh -c "[ \"\$(ip netns exec $NS_B nft -j list set inet nftarpit blockhost4 | grep -o '\"val\": \"$DOWN4\"[^}]*\"expires\": [0-9]*' | grep -o '[0-9]*\$')\" -gt 600 ]" ||
	fail "the restarted sync did not re-assert $DOWN4's timeout ($(expires_in "$NS_B" $DOWN4) s)"
log "$DOWN4: timeout cut to 60 s behind B's back, re-asserted to $(expires_in "$NS_B" $DOWN4) s on restart"
stop_sync "$SYNC_B_PID"
stop_sync "$SYNC_A_PID"

# 13. --dry-run pulls and shows the decisions but writes nothing (no store, no status).
rc=0
in_b "$SYNC" -c "$WORK/b.conf" --state "$WORK/dry.state" --dry-run >"$WORK/dry.out" 2>&1 || rc=$?
[ $rc = 0 ] && grep -q "crowdsec pull startup=yes" "$WORK/dry.out" ||
	fail "dry run with [crowdsec]: exit $rc: $(cat "$WORK/dry.out")"
[ ! -e "$WORK/dry.state.crowdsec" ] && [ ! -e "$WORK/dry.state.crowdsec.status" ] ||
	fail "--dry-run wrote the CrowdSec store"

# 14. A bad bouncer key, and a LAPI answering garbage: exit 1, one error line, nothing applied.
before_b=$(elements "$NS_B")
echo not-a-key >"$WORK/bad.key"
sed "s|$WORK/b.key|$WORK/bad.key|" "$WORK/b.conf" >"$WORK/bad.conf"
rc=0
in_b "$SYNC" -c "$WORK/bad.conf" --state "$WORK/b.state" >"$WORK/bad.out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "a bad bouncer key exited $rc: $(cat "$WORK/bad.out")"
[ "$(grep -c 'crowdsec pull failed' "$WORK/bad.out")" = 1 ] && grep -q 'bouncer key refused' "$WORK/bad.out" ||
	fail "no one clear error line for the bad key: $(cat "$WORK/bad.out")"
mkdir -p "$WORK/garbage/v1/decisions"
printf '{"new":[{"id":1,"value":"198.51.100.99"' >"$WORK/garbage/v1/decisions/stream"
ip netns exec "$NS_CS" "$PY" -m http.server -b 198.18.3.1 -d "$WORK/garbage" 8081 \
	>"$WORK/garbage.log" 2>&1 &
wait_until 10 sh -c "ip netns exec $NS_CS ss -tlnH | grep -q 198.18.3.1:8081" || fail "garbage server"
sed "s|$LAPI_B|http://198.18.3.1:8081|" "$WORK/b.conf" | sed '/^push/d' >"$WORK/garbage.conf"
rc=0
in_b "$SYNC" -c "$WORK/garbage.conf" --state "$WORK/b.state" >"$WORK/garbage.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q 'crowdsec pull failed.*not JSON' "$WORK/garbage.out" ||
	fail "garbage from the LAPI: exit $rc: $(cat "$WORK/garbage.out")"
[ "$(elements "$NS_B")" = "$before_b" ] || fail "the set changed after a refused answer"
log "bad key and garbage answer: exit 1, one error line each, ruleset unchanged"
lapi_stop
log "PASS"
