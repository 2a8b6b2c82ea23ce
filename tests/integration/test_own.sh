#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Owned mode (issue 20): nftarpitd owns table inet nftarpit (NFT_TABLE_F_OWNER|PERSIST, Linux
# 6.9+) and lends its netlink socket to our tools. Against a real Postfix, with a blocklisted
# client connecting in a loop the whole time:
#  1. `nft flush ruleset; nftarpitctl setup` 20 times: the flush skips the owned table, so no
#     connection ever reaches Postfix, and the sets hold the master list after each round.
#  2. Foreign changes are refused: `nft flush set`, `nft delete table`, `nft add element`
#     get EPERM; the lists stay.
#  3. A restart as systemd does it (SIGTERM, ExecStartPre's setup, start): the table lives
#     on as an orphan and the new daemon claims it; nothing reaches Postfix.
#  4. nftarpit-sync --follow bans through the lease; nftarpitctl teardown goes through it too
#     and removes the table; setup brings it back owned, lists and all.
#  5. Migration: an unowned table (an older setup) is kept unowned by own = auto and
#     converted by own = yes in one transaction (the loop sees no gap); an nftables.conf
#     table (include mode) is left unowned by the daemon, and `nft -f` reloads keep working.
# Unowned mode (no daemon, include mode) is test_reload.sh's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
ROUNDS=${ROUNDS:-20}

lib_init
require_prog "$NFTARPITCTL" "$NFTARPIT_SYNC"
topo_up
# PERSIST came with Linux 6.9: without it there is no owned mode to test.
if ! in_srv "$NFTARPITCTL" setup --no-restore --own yes >"$WORK/probe.log" 2>&1; then
	grep -q 'lacks NFT_TABLE_F_PERSIST' "$WORK/probe.log" || fail "setup --own yes: $(cat "$WORK/probe.log")"
	skip "the kernel lacks NFT_TABLE_F_PERSIST (Linux before 6.9)"
fi
in_srv nft delete table inet nftarpit
postfix_start

cat >"$WORK/list.txt" <<EOF2
198.51.100.7
$SPAM4
198.18.0.0/15
$BLOCK6
EOF2
echo "$ALLOW6" >"$WORK/allow.txt"
offender_line 198.51.100.9 >"$WORK/offenders.log"
cat >"$WORK/nftarpit.conf" <<EOF2
[sync]
state = $WORK/sync.state
log = $WORK/offenders.log
list = $WORK/list.txt
allow = $WORK/allow.txt
EOF2
SYNC=(-c "$WORK/nftarpit.conf")

all_elems() {
	list_sets_text
}
# owner: "owned" when the kernel says the table has an owner, else "unowned".
owner() {
	local text
	text=$(in_srv nft list table inet nftarpit 2>/dev/null || true)
	if grep -q '^[[:space:]]*flags owner' <<<"$text"; then
		echo owned
	else
		echo unowned
	fi
}

# The master list, applied by a sync run before the daemon starts (the table an orphan).
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" >"$WORK/setup0.log" 2>&1 || fail "setup: $(cat "$WORK/setup0.log")"
in_srv "$NFTARPIT_SYNC" "${SYNC[@]}" >"$WORK/sync.log" 2>&1 || { cat "$WORK/sync.log" >&2; fail "first sync run"; }
all_elems >"$WORK/want"
grep -qx "$SPAM4" "$WORK/want" || fail "the spammer is not in the sets: $(cat "$WORK/want")"
daemon_start
wait_until 5 grep -q 'table inet nftarpit: claimed' "$WORK/nftarpitd.log" || fail "nftarpitd did not claim the orphaned table: $(cat "$WORK/nftarpitd.log")"
[ "$(owner)" = owned ] || fail "the table is not owned after the daemon started"

# The looping client, as test_reload's, but against a running tarpit: the handshake
# completes (our SYN-ACK), so an attempt waits 0.2 s for a banner; Postfix's says "ESMTP
# Postfix", nftarpitd's drip never does within that time.
loop_client() {
	ip netns exec "$NS_CLI" "$PY" -c '
import socket, sys, time, os
src, dst, stop, out = sys.argv[1:5]
end = time.time() + 150
with open(out, "w", buffering=1) as f:
    while time.time() < end and not os.path.exists(stop):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(0.2)
        got = "none"
        try:
            s.connect((dst, 25))
            got = "postfix" if b"ESMTP Postfix" in s.recv(256) else "other"
        except OSError:
            pass
        s.close()
        f.write("%d %s\n" % (time.time_ns(), got))
        time.sleep(0.02)
' "$SPAM4" "$SRV4" "$WORK/stop" "$1" &
	LOOP_PID=$!
}
loop_stop() {
	touch "$WORK/stop"
	wait "$LOOP_PID" || true
	rm -f "$WORK/stop"
}

# loop_check FILE WHAT: stop the loop; none of its connections may have reached Postfix,
# by the client's eyes and by Postfix's log.
loop_check() {
	local attempts
	sleep 0.5
	loop_stop
	attempts=$(wc -l <"$1")
	[ "$attempts" -ge 10 ] || fail "only $attempts connection attempts during $2"
	grep -q ' postfix$' "$1" && fail "during $2, $(grep -c ' postfix$' "$1") of $attempts connections from $SPAM4 got Postfix's banner"
	sleep 1
	[ "$(maillog_count "$SPAM4")" -eq "$seen0" ] ||
		fail "during $2, Postfix logged $(($(maillog_count "$SPAM4") - seen0)) connections from $SPAM4"
	log "none of $attempts connections from $SPAM4 reached Postfix during $2 (client and Postfix's log)"
}

seen0=$(maillog_count "$SPAM4")
loop_client "$WORK/loop"
sleep 0.5

# --- 1. nft flush ruleset; nftarpitctl setup ----------------------------------------------
in_srv bash -c '
for ((i = 1; i <= $1; i++)); do
	nft flush ruleset
	"$2" setup -c "$3/nftarpit.conf" >"$3/setup$i.log" 2>&1 || exit 1
	for s in $4; do nft -j list set inet nftarpit $s; done >"$3/round$i.json"
	sleep 0.2
done' rounds "$ROUNDS" "$NFTARPITCTL" "$WORK" "$LIST_SETS" || fail "flush + setup rounds: $(cat "$WORK"/setup*.log)"
for ((i = 1; i <= ROUNDS; i++)); do
	"$PY" "$LISTS_TEXT_PY" <"$WORK/round$i.json" | cmp -s - "$WORK/want" ||
		{ "$PY" "$LISTS_TEXT_PY" <"$WORK/round$i.json" | diff "$WORK/want" - >&2; fail "round $i: the sets are not the master list"; }
	grep -q "nftarpitd's, changed through its lease" "$WORK/setup$i.log" ||
		fail "round $i: setup did not go through nftarpitd's lease: $(cat "$WORK/setup$i.log")"
done
attempts=$(wc -l <"$WORK/loop")
[ "$attempts" -ge 15 ] || fail "only $attempts connection attempts during the reloads"
log "1. flush ruleset + setup x$ROUNDS: the owned table stayed; sets == master list after each; $attempts attempts so far"

# --- 2. foreign changes refused ------------------------------------------------------------
for cmd in "flush set inet nftarpit blocknet4" "delete table inet nftarpit" \
	"add element inet nftarpit allowlist4 { $SPAM4 }"; do
	# shellcheck disable=SC2086
	if in_srv nft $cmd 2>"$WORK/foreign.err"; then
		fail "a foreign \`nft $cmd\` was allowed on the owned table"
	fi
	grep -q 'Operation not permitted' "$WORK/foreign.err" || fail "nft $cmd: $(cat "$WORK/foreign.err")"
done
all_elems | cmp -s - "$WORK/want" || fail "the lists changed after refused foreign changes"
log "2. foreign flush set / delete table / add element: EPERM, lists intact"

# --- 3. a restart, as systemd does it --------------------------------------------------------
old=$(in_srv nft -j list table inet nftarpit)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || true
DAEMON_PID=
in_srv nft list table inet nftarpit >/dev/null 2>&1 || fail "the table died with the daemon"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" >"$WORK/setup-restart.log" 2>&1 ||
	fail "ExecStartPre's setup: $(cat "$WORK/setup-restart.log")"
grep -q 'nftarpitd claims it when it starts' "$WORK/setup-restart.log" ||
	fail "setup without a daemon: $(cat "$WORK/setup-restart.log")"
: >"$WORK/nftarpitd.log"
daemon_start
wait_until 5 grep -q 'table inet nftarpit: claimed' "$WORK/nftarpitd.log" || fail "the restarted daemon did not claim the table: $(cat "$WORK/nftarpitd.log")"
[ "$(owner)" = owned ] || fail "not owned after the restart"
all_elems | cmp -s - "$WORK/want" || fail "the lists changed over the restart"
log "3. restart (SIGTERM, setup, start): the orphan stayed and was claimed back"

# --- 4. follow through the lease; teardown and setup ----------------------------------------
ip netns exec "$NS_SRV" "$NFTARPIT_SYNC" "${SYNC[@]}" --follow >"$WORK/follow.log" 2>&1 &
SYNC_PID=$!
wait_until 10 grep -qs 'follow started' "$WORK/follow.log" || fail "sync did not start following"
offender_line 198.51.100.11 >>"$WORK/offenders.log"
wait_until 10 sh -c "ip netns exec $NS_SRV nft list set inet nftarpit blockhost4 | grep -q 198.51.100.11" ||
	fail "follow's ban did not reach the owned table: $(tail -n 5 "$WORK/follow.log")"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID" || fail "follow exited $?"
grep -q 'reapply reason=foreign-change' "$WORK/follow.log" &&
	fail "follow took its own leased commits for foreign ones: $(grep reapply "$WORK/follow.log")"
all_elems >"$WORK/want2"
# Teardown is meant to open the door: the loop pauses over it.
loop_check "$WORK/loop" "reloads and the restart"
in_srv "$NFTARPITCTL" teardown >"$WORK/teardown.log" 2>&1 || fail "teardown: $(cat "$WORK/teardown.log")"
in_srv nft list table inet nftarpit >/dev/null 2>&1 && fail "teardown left the owned table"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" >"$WORK/setup-back.log" 2>&1 || fail "setup: $(cat "$WORK/setup-back.log")"
[ "$(owner)" = owned ] || fail "setup after teardown: not owned"
all_elems | cmp -s - "$WORK/want2" || { all_elems | diff "$WORK/want2" - >&2; fail "setup after teardown: the lists"; }
log "4. follow banned through the lease; teardown removed the table; setup brought it back owned"
seen0=$(maillog_count "$SPAM4")
loop_client "$WORK/loop2"
sleep 0.5

# --- 5. migration and include mode ---------------------------------------------------------
# An unowned table (what an older setup made): auto keeps it, yes converts it in one go.
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" --own no >"$WORK/setup-no.log" 2>&1 || fail "setup --own no: $(cat "$WORK/setup-no.log")"
[ "$(owner)" = unowned ] || fail "setup --own no left the table owned"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" >"$WORK/setup-auto.log" 2>&1 || fail "setup: $(cat "$WORK/setup-auto.log")"
[ "$(owner)" = unowned ] || fail "own = auto converted an unowned table"
grep -q 'is unowned .*left so' "$WORK/setup-auto.log" || fail "auto did not say why: $(cat "$WORK/setup-auto.log")"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" --own yes >"$WORK/setup-yes.log" 2>&1 || fail "setup --own yes: $(cat "$WORK/setup-yes.log")"
grep -q 'nftarpitd asked to claim it' "$WORK/setup-yes.log" || fail "setup --own yes: $(cat "$WORK/setup-yes.log")"
wait_until 2 test "$(owner)" = owned || fail "setup --own yes did not convert"
all_elems | cmp -s - "$WORK/want2" || fail "the conversion lost lists"
log "5. unowned table: kept by auto, converted by yes ($(grep -o 're-created [a-z ]*' "$WORK/setup-yes.log"))"

# Include mode: nftables.conf flushes and declares the table itself, unowned. Loaded while
# the daemon owns the table it fails whole (EPERM): which is why include mode needs own = no.
[ -s "$WORK/lists.nft" ] || fail "nftarpit-sync wrote no lists file beside its master list"
"$NFTARPITCTL" print-ruleset --lists-include "$WORK/lists.nft" >"$WORK/nftarpit.nft"
if ! grep -q 'via nft queue expression' "$WORK/setup0.log"; then
	sed -i -E 's/ ?queue (flags [a-z,]+ )?to [0-9-]+$/ drop/' "$WORK/nftarpit.nft"
fi
printf 'flush ruleset\ninclude "%s"\n' "$WORK/nftarpit.nft" >"$WORK/nftables.conf"
in_srv nft -f "$WORK/nftables.conf" 2>"$WORK/nftf.err" && fail "nft -f replaced the owned table"
grep -q 'Operation not permitted' "$WORK/nftf.err" || fail "nft -f: $(cat "$WORK/nftf.err")"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" --own no >/dev/null 2>&1 || fail "setup --own no"
in_srv nft -f "$WORK/nftables.conf" || fail "nft -f of an unowned table"
in_srv "$NFTARPITCTL" setup -c "$WORK/nftarpit.conf" >/dev/null 2>&1 || fail "setup"
[ "$(owner)" = unowned ] || fail "the nftables.conf table became owned"
in_srv nft -f "$WORK/nftables.conf" || fail "nft -f after the daemon saw the table"
grep -q 'is not persistent' "$WORK/nftarpitd.log" || fail "nftarpitd did not say why it left the table: $(cat "$WORK/nftarpitd.log")"
log "5. include mode: the nftables.conf table stays unowned, nft -f keeps working"

loop_check "$WORK/loop2" "the conversions and include-mode reloads"
log "PASS"
