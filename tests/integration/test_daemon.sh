#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpitd's life cycle: a bad config is refused with file:line; after start-up only
# CAP_NET_ADMIN and CAP_NET_RAW remain (also as an unprivileged user); a second daemon on
# the same queue or control socket is refused; SIGHUP reloads; kill -9 leaves nothing
# that blocks a restart; SIGTERM exits cleanly and unbinds the queue.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
ruleset_setup
lists_fill

# 1. A bad config file stops the daemon before it opens anything, naming file:line:key.
cat >"$WORK/bad.conf" <<-'CONF'
[daemon]
syn_window = 5
reply_rate_per_prefix = lots
CONF
rc=0
in_srv "$NFTARPITD" -f -c "$WORK/bad.conf" -s "$WORK/bad.sock" >"$WORK/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "bad config: exit status $rc, expected 1"
grep -q "$WORK/bad.conf:3: reply_rate_per_prefix = lots: invalid" "$WORK/bad.log" ||
	fail "bad config: no file:line message: $(cat "$WORK/bad.log")"
queue_bound && fail "bad config: the queue got bound anyway"
log "bad config refused: $(head -1 "$WORK/bad.log")"

# 2. Capabilities after start-up, as root and as nobody.
cap_eff() {
	awk '/^CapEff:/ { print $2 }' "/proc/$1/status"
}
check_caps() {
	local want_uid=$1 eff uid bnd
	eff=$(cap_eff "$DAEMON_PID")
	# Bits 12 (CAP_NET_ADMIN) and 13 (CAP_NET_RAW), nothing else.
	[ "$eff" = 0000000000003000 ] || fail "CapEff $eff, expected 0000000000003000"
	bnd=$(awk '/^CapBnd:/ { print $2 }' "/proc/$DAEMON_PID/status")
	[ "$bnd" = 0000000000003000 ] || fail "CapBnd $bnd, expected 0000000000003000"
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$DAEMON_PID/status")
	[ "$uid" = "$want_uid" ] || fail "uid $uid, expected $want_uid"
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$DAEMON_PID/status" || fail "NoNewPrivs not set"
}
held() {
	local out
	out=$(client --src "$1" --dst "$2" --banner-wait 1)
	[ "$(json_get "$out" connected)" = true ] && ! real_banner "$out"
}

cat >"$WORK/good.conf" <<-'CONF'
# a comment
[daemon]
syn_window = 0
log_flows_per_second = 100
smtp = no
CONF
daemon_start -c "$WORK/good.conf"
check_caps 0
held $SPAM4 $SRV4 || fail "root mode: spammer not held"
log "root mode: CapEff 3000, spammer held"

# 3. A second daemon on the same queue, or on the same control socket, is refused.
rc=0
in_srv "$NFTARPITD" -f -q "$QUEUE" -s "$WORK/second.sock" >"$WORK/second.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second daemon on queue $QUEUE started"
grep -q "queue $QUEUE: bind: already bound by another program" "$WORK/second.log" ||
	fail "second daemon: unclear error: $(cat "$WORK/second.log")"
rc=0
in_srv "$NFTARPITD" -f -q 26 -s "$CTL_SOCK" >"$WORK/third.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second daemon took the live control socket"
grep -q "another nftarpitd answers on it" "$WORK/third.log" ||
	fail "third daemon: unclear error: $(cat "$WORK/third.log")"
[ "$(stat_get version)" != "" ] || fail "the first daemon's control socket stopped answering"
log "second daemon refused: $(head -1 "$WORK/second.log")"

# 4. SIGHUP: a new SYN-ACK window takes effect for new connections, held flows go on.
out_before=$(client --src $SPAM4 --dst $SRV4 --banner-wait 0.5)
[ "$(json_get "$out_before" snd_wnd)" = 0 ] || fail "SYN-ACK window not 0 before reload"
sed -i 's/^syn_window = 0/syn_window = 5/' "$WORK/good.conf"
kill -HUP "$DAEMON_PID"
wait_until 3 grep -q 'reload: done syn_window=5' "$WORK/nftarpitd.log" || fail "no reload line"
out_after=$(client --src $SPAM4 --dst $SRV4 --banner-wait 0.5)
[ "$(json_get "$out_after" snd_wnd)" = 5 ] || fail "SYN-ACK window not 5 after reload: $out_after"
# A reload with a bad value keeps the running settings.
echo "mss = 12" >>"$WORK/good.conf"
kill -HUP "$DAEMON_PID"
wait_until 3 grep -q 'reload: config rejected' "$WORK/nftarpitd.log" || fail "bad reload accepted"
kill -0 "$DAEMON_PID" || fail "the daemon died on a bad reload"
log "SIGHUP: syn_window 0 -> 5 applied; a bad reload kept the running config"

# 5. kill -9: the queue is unbound by the kernel and the stale socket does not block a restart.
# With a cookie key file, a flow held before the crash is recognised after the restart:
# its probes go on being answered.
sed -i '/^mss = 12/d' "$WORK/good.conf"
echo "cookie_key_file = $WORK/cookie.key" >>"$WORK/good.conf"
daemon_stop
daemon_start -c "$WORK/good.conf"
[ -s "$WORK/cookie.key" ] || fail "no cookie key file created"
in_cli sysctl -qw net.ipv4.tcp_rto_max_ms=1000
client_bg "$WORK/survivor.json" --src $SPAM4 --dst $SRV4 --banner-wait 0.5 --write 16 \
	--hold 6
SURVIVOR=$BG_PID
wait_until 5 sh -c "ip netns exec $NS_CLI ss -tnH src $SPAM4 dst $SRV4 | grep -q ESTAB" ||
	fail "the survivor did not connect"
sleep 0.5
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
wait_until 3 sh -c "! ip netns exec $NS_SRV awk -v q=$QUEUE '\$1 == q { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue" ||
	fail "queue still bound after kill -9"
[ -S "$CTL_SOCK" ] || fail "expected a stale control socket after kill -9"
daemon_start -c "$WORK/good.conf"
wait "$SURVIVOR" || true
out=$(cat "$WORK/survivor.json")
[ "$(json_get "$out" state)" = ESTABLISHED ] || fail "held flow lost across kill -9: $out"
[ "$(json_get "$out" probes_out)" = 0 ] || fail "probes unanswered after the restart: $out"
[ "$(stat_get ack_sent)" -ge 2 ] || fail "the restarted daemon answered no probes"
log "kill -9 and restart with a key file: the held flow's probes are still answered"
daemon_stop
sed -i '/^mss = 12/d' "$WORK/good.conf"

# 6. As an unprivileged user.
daemon_start -c "$WORK/good.conf" --user nobody
check_caps "$(id -u nobody)"
held $SPAM6 $SRV6 || fail "user mode: IPv6 spammer not held"
held $SPAM4 $SRV4 || fail "user mode: IPv4 spammer not held"
daemon_stop
[ "$DAEMON_RC" -eq 0 ] || fail "user mode: exit status $DAEMON_RC on SIGTERM"
log "user mode: uid nobody, CapEff 3000, spammers held, clean exit"
daemon_start -c "$WORK/good.conf"

# 7. SIGTERM: exit 0, queue unbound, control socket removed.
daemon_stop
[ "$DAEMON_RC" -eq 0 ] || fail "exit status $DAEMON_RC on SIGTERM"
queue_bound && fail "queue still bound after SIGTERM"
[ ! -e "$CTL_SOCK" ] || fail "control socket left behind after SIGTERM"
grep -q 'exiting on signal 15' "$WORK/nftarpitd.log" || fail "no exit line"
log "PASS"
