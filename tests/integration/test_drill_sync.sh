#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failure drills for nftarpit-sync:
# 1. kill -9 at random points during repeated applies that swap two large lists (and add a
#    log offender's hit, so the master list is rewritten every run): after every kill the
#    kernel set holds exactly the old or the new list, never a mix, the master list still
#    loads, and the next complete run converges to the new list;
# 2. a full disk (a small tmpfs) under the master list: a clear error naming the cause, a
#    non-zero exit, the old master list byte for byte, and a run after space is freed
#    converges; 3. the same for a read-only state directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
KILLS=${DRILL_SYNC_KILLS:-100}
SIZE=${DRILL_SYNC_SIZE:-5000}
OFFENDER=100.64.1.1
MNT=

# The tmpfs must go before lib.sh's cleanup removes $WORK.
drill_cleanup() {
	local rc=$?
	if [ -n "$MNT" ]; then
		umount -l "$MNT" 2>/dev/null || true
	fi
	(exit $rc)
	cleanup
}

lib_init
trap drill_cleanup EXIT
require_prog "$SYNC" "$NFTARPITCTL"
topo_up
ruleset_setup

# sync STATE ARGS...: one run in the server namespace; exit status in $RC, stderr in sync.log.
sync() {
	local state=$1
	shift
	RC=0
	in_srv "$SYNC" --state "$state" "$@" >"$WORK/sync.out" 2>"$WORK/sync.log" || RC=$?
}

# set4: the elements of blockhost4 and blocknet4, sorted, one per line.
set4() {
	block_elements "$NS_SRV" 4
}

# banned ADDR: ADDR is in blockhost4 or lies in some element of blocknet4.
banned() {
	in_blocklist "$NS_SRV" "$1"
}

# same_lists: the set holds what it held before the failed run but for log offenders
# (100.64.0.0/16). The run applies the kernel before it saves the master list, so a ban
# found by the failed run may already be in the set; the next run finds it again in the
# log, from the position the old master list kept.
same_lists() {
	cmp -s <(set4 | grep -v '^100\.64\.') <(grep -v '^100\.64\.' "$WORK/set-before")
}

# hit: one more Postfix reject line naming the offender.
hit() {
	echo "Nov 27 00:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[$OFFENDER]:4000: 554 5.7.1 <unknown[$OFFENDER]>: Client host rejected: Access denied; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>" >>"$WORK/maillog.sync"
}

"$NFTARPIT_SRC/bench/gen_list.py" "$SIZE" 11 >"$WORK/a.txt"
"$NFTARPIT_SRC/bench/gen_list.py" "$SIZE" 12 >"$WORK/b.txt"
STATE=$WORK/state/sync.state
mkdir -p "$WORK/state"
hit

# --- 1. kill -9 at random points. ---
# The two reference contents, and how long a full swap takes (the window to kill in).
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
[ $RC -eq 0 ] || fail "first run exited $RC: $(cat "$WORK/sync.log")"
set4 >"$WORK/set-a"
t0=$(date +%s%N)
sync "$STATE" --list "$WORK/b.txt" --log "$WORK/maillog.sync"
[ $RC -eq 0 ] || fail "second run exited $RC: $(cat "$WORK/sync.log")"
swap_ms=$((($(date +%s%N) - t0) / 1000000))
set4 >"$WORK/set-b"
cmp -s "$WORK/set-a" "$WORK/set-b" && fail "the two lists give the same set"
banned "$OFFENDER" || fail "the log offender is not in the set"
log "references: $(wc -l <"$WORK/set-a") and $(wc -l <"$WORK/set-b") elements; a swap takes $swap_ms ms"

killed=0
for ((i = 1; i <= KILLS; i++)); do
	if ((i % 2)); then next=a; else next=b; fi
	hit
	# ip netns exec execs the sync: $! is the sync itself, not a subshell around it.
	ip netns exec "$NS_SRV" "$SYNC" --state "$STATE" --list "$WORK/$next.txt" \
		--log "$WORK/maillog.sync" >/dev/null 2>"$WORK/killed.log" &
	pid=$!
	# Anywhere from the start to a little past the usual end of the run.
	sleep "$(awk -v r=$RANDOM -v m="$swap_ms" 'BEGIN { printf "%.3f", r / 32767 * m * 1.2 / 1000 }')"
	if kill -KILL $pid 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait $pid 2>/dev/null || true
	set4 >"$WORK/set-now"
	cmp -s "$WORK/set-now" "$WORK/set-a" || cmp -s "$WORK/set-now" "$WORK/set-b" ||
		fail "kill $i (to $next): the set is neither list: $(diff "$WORK/set-now" "$WORK/set-a" | grep -c "^[<>]") lines from a, $(diff "$WORK/set-now" "$WORK/set-b" | grep -c "^[<>]") from b: $(diff "$WORK/set-now" "$WORK/set-$next" | head -8 | tr "\n" " ")"
	sync "$STATE" --dry-run --list "$WORK/$next.txt"
	[ $RC -eq 0 ] || fail "kill $i: the master list no longer loads: $(cat "$WORK/sync.log")"
	# Every few kills, a complete run must converge to the new list.
	if ((i % 5 == 0)); then
		sync "$STATE" --list "$WORK/$next.txt" --log "$WORK/maillog.sync"
		[ $RC -eq 0 ] || fail "kill $i: the next run exited $RC: $(cat "$WORK/sync.log")"
		set4 | cmp -s - "$WORK/set-$next" || fail "kill $i: the next run did not converge to list $next"
	fi
done
log "$KILLS runs, $killed killed mid-run: the set was always one list, the master list always loaded"

# --- 2. A full disk under the master list. ---
MNT=$WORK/small
mkdir -p "$MNT"
mount -t tmpfs -o size=256k tmpfs "$MNT"
STATE=$MNT/sync.state
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
[ $RC -eq 0 ] || fail "run on the tmpfs exited $RC: $(cat "$WORK/sync.log")"
# Fill it; a run then drops its applied-set snapshot (that write fails first, and a stale
# snapshot must not be trusted), which frees space, so fill again what that freed.
dd if=/dev/zero of="$MNT/filler" bs=4k >/dev/null 2>&1 || true
OFFENDER=100.64.2.1
hit
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
dd if=/dev/zero of="$MNT/filler2" bs=4k >/dev/null 2>&1 || true
set4 >"$WORK/set-before"
cp "$STATE" "$WORK/state-before"
OFFENDER=100.64.3.1
hit
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
log "full disk: rc=$RC: $(grep -v ' sync ' "$WORK/sync.log" | head -2 | tr '\n' ' ')"
[ $RC -ne 0 ] || fail "the sync succeeded on a full disk: $(df -k "$MNT" | tail -1) $(ls -l "$MNT" | tr '\n' ' ') $(cat "$WORK/sync.log")"
grep -q "No space left on device" "$WORK/sync.log" || fail "no clear error on a full disk: $(cat "$WORK/sync.log")"
cmp -s "$STATE" "$WORK/state-before" || fail "the master list changed on a full disk"
same_lists || fail "the set lost or gained list entries on a full disk"
# The master list is saved before the kernel is touched: the set is exactly the old one.
set4 | cmp -s - "$WORK/set-before" || fail "the set changed on a full disk"
sync "$STATE" --dry-run --list "$WORK/a.txt"
[ $RC -eq 0 ] || fail "the old master list no longer loads after the full disk"
ls "$MNT" | grep -v -e '^sync.state$' -e '^sync.state.applied$' -e '^sync.state.lock$' -e '^filler2*$' | grep -q . &&
	fail "temporary files left behind: $(ls "$MNT" | tr '\n' ' ')"
rm -f "$MNT/filler" "$MNT/filler2"
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
[ $RC -eq 0 ] || fail "no recovery once space is free: rc=$RC $(cat "$WORK/sync.log")"
banned 100.64.3.1 || fail "the hit logged while the disk was full was lost"

# --- 3. A read-only state directory. ---
cp "$STATE" "$WORK/state-before"
set4 >"$WORK/set-before"
mount -o remount,ro "$MNT"
OFFENDER=100.64.4.1
hit
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
log "read-only: rc=$RC: $(grep -v ' sync ' "$WORK/sync.log" | head -2 | tr '\n' ' ')"
[ $RC -ne 0 ] || fail "the sync succeeded on a read-only state directory"
grep -q "Read-only file system" "$WORK/sync.log" || fail "no clear error when read-only: $(cat "$WORK/sync.log")"
cmp -s "$STATE" "$WORK/state-before" || fail "the master list changed while read-only"
same_lists || fail "the set lost or gained list entries while read-only"
set4 | cmp -s - "$WORK/set-before" || fail "the set changed while read-only"
mount -o remount,rw "$MNT"
sync "$STATE" --list "$WORK/a.txt" --log "$WORK/maillog.sync"
[ $RC -eq 0 ] || fail "no recovery once writable: rc=$RC $(cat "$WORK/sync.log")"
banned 100.64.4.1 || fail "the hit logged while read-only was lost"
log "PASS"
