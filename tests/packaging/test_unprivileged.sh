#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the units do, without systemd: as user nobody, with setpriv giving only the
# capabilities the units give (ambient, bounding set cut), in fresh namespaces with a
# real Postfix:
# - nftarpitctl setup with only CAP_NET_ADMIN installs the ruleset (ExecStartPre=);
# - nftarpit-sync with only CAP_NET_ADMIN fills the sets from a list and an allowlist;
# - nftarpitd with only CAP_NET_ADMIN and CAP_NET_RAW binds its queue, tells a stand-in
#   notify socket READY=1, WATCHDOG=1 every half WATCHDOG_USEC, RELOADING=1 and READY=1
#   on SIGHUP and STOPPING=1 on SIGTERM, and tarpits the blocklisted client while the
#   allowlisted one reaches Postfix; /proc shows uid nobody and CapEff = CapBnd = 3000.
set -euo pipefail
. "$NFTARPIT_SRC/tests/integration/lib.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL" "$NFTARPIT_SYNC" setpriv
NOTIFY_PID=
stop_notify() {
	if [ -n "$NOTIFY_PID" ]; then
		kill "$NOTIFY_PID" 2>/dev/null || true
		wait "$NOTIFY_PID" 2>/dev/null || true
		NOTIFY_PID=
	fi
}
# cleanup reads the exit status from $?, so hand it on.
trap 'rc=$?; stop_notify; (exit $rc); cleanup' EXIT
topo_up
postfix_start

# What systemd gives the units: a user that is not root, only these capabilities
# (ambient, so they survive exec as that user), nothing else in the bounding set.
# as_unit CAPS CMD...: CMD in the server namespace as such a unit would run it.
as_unit() {
	local caps=$1
	shift
	ip netns exec "$NS_SRV" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps="-all$caps" --ambient-caps="-all$caps" --bounding-set="-all$caps" "$@"
}
# RuntimeDirectory= and StateDirectory=: owned by the user, closed to others.
RUN=$WORK/run
STATE=$WORK/state
mkdir -m 0750 "$RUN" "$STATE"
chown nobody:nogroup "$RUN" "$STATE"
# An empty config file: the host's /etc/nftarpit/nftarpit.conf must not count here.
: >"$WORK/empty.conf"
chmod 644 "$WORK/empty.conf"

# 1. ExecStartPre=: the ruleset with CAP_NET_ADMIN only.
as_unit "" "$NFTARPITCTL" setup -c "$WORK/empty.conf" >"$WORK/noperm.log" 2>&1 &&
	fail "nftarpitctl setup worked without CAP_NET_ADMIN"
grep -q "Operation not permitted" "$WORK/noperm.log" || fail "no EPERM: $(cat "$WORK/noperm.log")"
as_unit ,+net_admin "$NFTARPITCTL" setup -c "$WORK/empty.conf" >"$WORK/ctl.log" 2>&1 ||
	{ cat "$WORK/ctl.log" >&2; fail "nftarpitctl setup as nobody with CAP_NET_ADMIN failed"; }
log "ruleset as nobody+CAP_NET_ADMIN: $(cat "$WORK/ctl.log")"

# 2. nftarpit-sync.service: the sets from a list and an allowlist, CAP_NET_ADMIN only.
printf '# test list\n%s\n%s\n' "$BLOCK4" "$BLOCK6" >"$WORK/block.txt"
printf '%s\n%s\n' "$ALLOW4" "$ALLOW6" >"$WORK/allow.txt"
chmod 644 "$WORK/block.txt" "$WORK/allow.txt"
cat >"$WORK/sync.conf" <<-EOF
[sync]
list = $WORK/block.txt
allow = $WORK/allow.txt
state = $STATE/sync.state
EOF
chmod 644 "$WORK/sync.conf"
as_unit ,+net_admin "$NFTARPIT_SYNC" -c "$WORK/sync.conf" >"$WORK/sync.log" 2>&1 ||
	{ cat "$WORK/sync.log" >&2; fail "nftarpit-sync as nobody with CAP_NET_ADMIN failed"; }
# (Read whole, not through grep -q: pipefail would count nft's SIGPIPE.)
sets=$(in_srv nft list table inet nftarpit)
grep -q "198.51.100.0-198.51.100.19, 198.51.100.21-198.51.100.255" <<<"$sets" ||
	fail "blocknet4 not filled: $sets"
grep -q "$ALLOW6" <<<"$sets" || fail "allowlist6 not filled: $sets"
[ "$(stat -c %U "$STATE/sync.state")" = nobody ] || fail "master list not written as nobody"
log "sync as nobody+CAP_NET_ADMIN: $(grep -o 'sync mode=[^ ]* .*added=[0-9]*' "$WORK/sync.log")"

# 3. nftarpitd.service: CAP_NET_ADMIN and CAP_NET_RAW only, a notify socket, a watchdog.
NOTIFY_SOCK=$RUN/notify
NOTIFY_LOG=$WORK/notify.log
: >"$NOTIFY_LOG"
/usr/bin/python3 "$(dirname "$0")/notify_recv.py" "$NOTIFY_SOCK" "$NOTIFY_LOG" &
NOTIFY_PID=$!
wait_until 5 test -S "$NOTIFY_SOCK" || fail "no stand-in notify socket"
CTL_SOCK=$RUN/ctl.sock
# ip netns exec, env and setpriv all exec: $! is the daemon itself.
ip netns exec "$NS_SRV" env NOTIFY_SOCKET="$NOTIFY_SOCK" WATCHDOG_USEC=1000000 \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
	--bounding-set=-all,+net_admin,+net_raw \
	"$NFTARPITD" -f -v -c "$WORK/empty.conf" -q "$QUEUE" -s "$CTL_SOCK" >>"$WORK/nftarpitd.log" 2>&1 &
DAEMON_PID=$!
wait_until 5 queue_bound || fail "nftarpitd as nobody did not bind queue $QUEUE"
wait_until 5 grep -q '^READY=1' "$NOTIFY_LOG" || fail "no READY=1: $(cat "$NOTIFY_LOG")"
status() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DAEMON_PID/status"
}
[ "$(status Uid)" = "$(id -u nobody)" ] || fail "uid $(status Uid), not nobody"
[ "$(status CapEff)" = 0000000000003000 ] || fail "CapEff $(status CapEff)"
[ "$(status CapPrm)" = 0000000000003000 ] || fail "CapPrm $(status CapPrm)"
[ "$(status CapBnd)" = 0000000000003000 ] || fail "CapBnd $(status CapBnd)"
[ "$(status NoNewPrivs)" = 1 ] || fail "NoNewPrivs not set"
log "nftarpitd as nobody: queue $QUEUE bound, CapEff=CapPrm=CapBnd=3000, $(head -1 "$NOTIFY_LOG")"

# The blocklisted client is held, the allowlisted one and the clean one reach Postfix.
for pair in "$SPAM4 $SRV4" "$SPAM6 $SRV6"; do
	set -- $pair
	out=$(client --src "$1" --dst "$2" --banner-wait 2)
	[ "$(json_get "$out" connected)" = true ] || fail "$1: not connected: $out"
	real_banner "$out" && fail "$1 got Postfix's banner: $out"
	[ "$(json_get "$out" snd_wnd)" = 0 ] || fail "$1: window not 0: $out"
	maillog_saw "$1" && fail "Postfix saw $1"
	log "$1 held: connected, window 0, no banner from Postfix"
done
for pair in "$ALLOW4 $SRV4" "$CLEAN6 $SRV6"; do
	set -- $pair
	out=$(client --src "$1" --dst "$2" --banner-wait 5)
	real_banner "$out" || fail "$1 did not reach Postfix: $out"
done
log "allowlisted $ALLOW4 and clean $CLEAN6 reach Postfix"
[ "$(stat_get synack_sent)" -ge 2 ] || fail "synack_sent $(stat_get synack_sent)"

# Watchdog pings at half the interval: about 2 a second.
sleep 2
n=$(grep -c '^WATCHDOG=1$' "$NOTIFY_LOG" || true)
[ "$n" -ge 3 ] || fail "only $n WATCHDOG=1 after more than 2 s: $(cat "$NOTIFY_LOG")"
# SIGHUP: RELOADING=1, then READY=1 again.
kill -HUP "$DAEMON_PID"
wait_until 5 grep -q '^READY=1 .*reloaded' "$NOTIFY_LOG" || fail "no READY=1 after reload: $(cat "$NOTIFY_LOG")"
grep -q '^RELOADING=1' "$NOTIFY_LOG" || fail "no RELOADING=1"
# SIGTERM: STOPPING=1, exit 0, queue unbound.
daemon_stop
[ "$DAEMON_RC" -eq 0 ] || fail "exit status $DAEMON_RC"
grep -q '^STOPPING=1' "$NOTIFY_LOG" || fail "no STOPPING=1"
queue_bound && fail "queue still bound"
log "notify: $(cut -d' ' -f1 "$NOTIFY_LOG" | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
stop_notify
log PASS
