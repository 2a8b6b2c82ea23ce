#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A daemon restart keeps every held SMTP client held, its drip resumed at the right byte.
# 1,000 real client sockets (IPv4 and IPv6) held at different drip offsets and a Postfix relay
# (smtp_helo_timeout 5 s); nftarpitd killed with SIGKILL and started again, then stopped
# with SIGTERM and started again, with the same cookie key file: every connection is back
# in status within one probe interval (re-adopted at its first probe), each client's
# bytes are an exact prefix of the drip's stream (nothing repeated, nothing missing) and
# grew after each restart, and the relay is still held at 5 times its greeting timeout
# after the restarts. Spoofed probes with acknowledgements outside the drip's bound get
# no reply at all; inside it, the reply budget caps what a spoofer gets.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=1000 # client sockets: 900 IPv4, 100 IPv6 (below)
TIMEOUT=5
HOST=mx.example.org
BOUND=4096 # max(smtp_max_bytes, greeting length): the defaults
DRIP=$NFTARPIT_SRC/tests/integration/dripclients.py
SPOOF=$NFTARPIT_SRC/tests/integration/spoofacks.py

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
ruleset_setup
lists_fill
flood_prepare
# The clients' kernels probe at least every second (tcp_rto_max_ms), so "one probe
# interval" is a second here; the relay's greeting timeout is cut to 5 s in proportion.
in_cli sysctl -qw net.ipv4.tcp_rto_max_ms=1000
in_cli sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
KEY=$WORK/cookie.key
head -c 16 /dev/urandom >"$KEY"
chmod 600 "$KEY"
conf() {
	cat >"$WORK/nftarpitd.conf" <<-CONF
	[daemon]
	cookie_key_file = $KEY
	smtp_interval = 1
	smtp_hostname = $HOST
	log_flows_per_second = 5
	# The 1,000 clients share one /24: room for all their re-adoptions at once.
	reply_rate_per_prefix = $1
	reply_burst_per_prefix = $2
	queue_maxlen = 65536
	CONF
}
conf 5000 5000
daemon_start -c "$WORK/nftarpitd.conf"

# The spammer's MTA in the client namespace, relaying to our server.
RELAY=$WORK/relay
relay_postfix_start "$NS_CLI" "$RELAY" "relayhost = [$SRV4]:25" \
	"smtp_bind_address = $SPAM4" "smtp_helo_timeout = ${TIMEOUT}s" \
	"smtp_connect_timeout = ${TIMEOUT}s" "smtp_data_init_timeout = ${TIMEOUT}s"
in_cli swaks --server 127.0.0.1 --port 25 --timeout 10 --from spam@example.net \
	--to "$MAIL_RCPT" --header "Subject: relayed" >"$WORK/relay-submit.log" 2>&1 ||
	{ cat "$WORK/relay-submit.log" >&2; fail "submission to the relay failed"; }
relay_timed_out() {
	grep -q "timed out" "$WORK/relaylog"
}
relay_held() {
	! relay_timed_out && [ "$(in_cli ss -tnH state established src $SPAM4 dst $SRV4:25 |
		wc -l)" -ge 1 ]
}
wait_until 20 relay_held || fail "the relay did not connect"
# The relay's connection is the only one from $SPAM4 until the clients start.
RELAY_PORT=$(in_cli ss -tnH state established src $SPAM4 dst $SRV4:25 | awk '{ print $3 }' |
	sed 's/.*://' | head -1)
log "relay connected from port $RELAY_PORT"

# The clients: 900 over IPv4 and 100 over IPv6, each in 10 waves one second apart, so
# their drips stand at 10 offsets.
N4=900
N6=100
DRIP_FDS=()
DRIP_PIDS=()
drip_start() {
	mkfifo "$WORK/drip-$1.in"
	ip netns exec "$NS_CLI" "$PY" "$DRIP" --src "$2" --dst "$3" --host $HOST -n "$4" \
		--waves 10 --gap 1 --limit 600 <"$WORK/drip-$1.in" >"$WORK/drip-$1.out" &
	DRIP_PIDS+=($!)
	exec {fd}>"$WORK/drip-$1.in"
	DRIP_FDS+=($fd)
}
drip_start v4 $SPAM4 $SRV4 $N4
drip_start v6 $SPAM6 $SRV6 $N6
NDUMP=0
# dump: ask the clients for their bytes; both reports, merged, land in $WORK/dump-K.json.
dump() {
	local fd f
	NDUMP=$((NDUMP + 1))
	for fd in "${DRIP_FDS[@]}"; do
		echo dump >&"$fd"
	done
	for f in "$WORK/drip-v4.out" "$WORK/drip-v6.out"; do
		wait_until 30 sh -c "[ \$(wc -l <'$f') -ge $NDUMP ]" ||
			fail "the clients did not answer dump $NDUMP ($f)"
	done
	"$PY" - $NDUMP "$WORK/drip-v4.out" "$WORK/drip-v6.out" >"$WORK/dump-$NDUMP.json" <<-'PY'
	import json, sys
	k = int(sys.argv[1])
	out = {"states": {}, "lens": {}, "bad": [], "nbad": 0}
	for name in sys.argv[2:]:
	    d = json.loads(open(name).read().splitlines()[k - 1])
	    for st, n in d["states"].items():
	        out["states"][st] = out["states"].get(st, 0) + n
	    out["lens"].update({"%s:%s" % (name[-6:-4], p): l for p, l in d["lens"].items()})
	    out["bad"] += d["bad"]
	    out["nbad"] += d["nbad"]
	print(json.dumps(out))
	PY
}
flows_now_at_least() {
	[ "$(stat_get flows_now)" -ge "$1" ]
}
wait_until 120 flows_now_at_least $((N + 1)) ||
	fail "flows_now $(stat_get flows_now), want $((N + 1)) before the restarts"
sleep 3
dump
"$PY" - "$WORK/dump-1.json" $N <<-'PY' || fail "before the restarts: $(head -c 600 "$WORK/dump-1.json")"
	import json, sys
	d = json.load(open(sys.argv[1]))
	n = int(sys.argv[2])
	lens = sorted(d["lens"].values())
	print("clients: %s, bytes each %d..%d, %d distinct offsets, %d not a prefix" %
	      (d["states"], lens[0], lens[-1], len(set(lens)), d["nbad"]), file=sys.stderr)
	assert d["states"].get("established") == n, d["states"]
	assert d["nbad"] == 0, d["bad"]
	assert len(set(lens)) >= 5, "the drips do not stand at different offsets"
	PY

# check_after BASE K WHAT: every client still open, its bytes an exact prefix of the
# stream, and more of them than at dump BASE (the drip resumed). Exit 2: only that some
# client has no new byte yet (worth asking again), 1: anything else.
check_after() {
	"$PY" - "$WORK/dump-$1.json" "$WORK/dump-$2.json" $N "$3" <<-'PY'
	import json, sys
	a = json.load(open(sys.argv[1]))
	b = json.load(open(sys.argv[2]))
	n = int(sys.argv[3])
	stuck = [p for p, l in b["lens"].items() if l <= a["lens"][p]]
	print("%s: clients %s, %d not a prefix, %d got no new byte" %
	      (sys.argv[4], b["states"], b["nbad"], len(stuck)), file=sys.stderr)
	assert b["states"].get("established") == n, b["states"]
	assert b["nbad"] == 0, b["bad"]
	if stuck:
	    print("no new byte yet: ports %s" % stuck[:10], file=sys.stderr)
	    sys.exit(2)
	PY
}

# resumed WHAT: dumps until every client has bytes beyond the last dump (taken while no
# daemon ran; the drip gives one per second), at most 10 times; fails on anything else.
resumed() {
	local base=$NDUMP i rc
	for ((i = 0; i < 10; i++)); do
		sleep 2
		dump
		rc=0
		check_after $base $NDUMP "$1" || rc=$?
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 2 ] || fail "$1: the clients' streams are wrong"
	done
	fail "$1: some clients got no byte after the restart"
}

# restart SIGNAL: stop the daemon with SIGNAL, start it again, and time how long until
# every connection is back in its table.
restart() {
	local t0 t1
	if [ "$1" = KILL ]; then
		kill -KILL "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=
	else
		daemon_stop
	fi
	# What each client had while no daemon ran: every byte beyond it is the new daemon's.
	dump
	daemon_start -c "$WORK/nftarpitd.conf"
	t0=$(date +%s%N)
	wait_until 30 flows_now_at_least $((N + 1)) ||
		fail "after SIG$1: flows_now $(stat_get flows_now), want $((N + 1)): $(stats | grep -E '^(flows_|cookie_bad|out_of_window|budget)' | tr '\n' ' ')"
	t1=$(date +%s%N)
	log "after SIG$1: all $((N + 1)) connections back in $(((t1 - t0) / 1000000)) ms: $(stats | grep -E '^(flows_now|flows_new|flows_readopted|budget_drops|cookie_bad)=' | tr '\n' ' ')"
	[ "$(stat_get flows_readopted)" -eq $((N + 1)) ] ||
		fail "flows_readopted $(stat_get flows_readopted), want $((N + 1))"
	[ "$(stat_get flows_new)" -eq 0 ] || fail "a held connection was taken for a new one"
	# No segment went unanswered since the start: each connection was taken back at its
	# very first probe, that is within one probe interval, however slow this machine is.
	for k in cookie_bad out_of_window budget_drops; do
		[ "$(stat_get $k)" -eq 0 ] || fail "after SIG$1: $k=$(stat_get $k): a probe went unanswered"
	done
	status_out=$(in_srv "$NFTARPITCTL" status -s "$CTL_SOCK" 2>&1) || true
	grep -q "re-adopted *$((N + 1))" <<<"$status_out" ||
		fail "status does not show the re-adopted flows: $status_out"
	in_srv "$NFTARPITCTL" metrics -s "$CTL_SOCK" 2>/dev/null |
		grep -q "^nftarpit_flows_readopted_total $((N + 1))$" ||
		fail "metrics do not show the re-adopted flows"
	resumed "after SIG$1"
}
restart KILL
restart TERM
T_RESTARTED=$(date +%s)

# Spoofed probes from sources that never made a handshake. Replies to them would go to
# 198.18.0.0/15 via the client namespace, which drops them: tcpdump there counts them.
in_cli tcpdump -i veth0 -n -U -w "$WORK/spoof.pcap" "src host $SRV4 and dst net 198.18.0.0/15" \
	>/dev/null 2>&1 &
TCPDUMP=$!
sleep 1
# spoof_replies [FILTER]: the replies captured so far (matching FILTER).
spoof_replies() {
	in_cli tcpdump -r "$WORK/spoof.pcap" -n "$@" 2>/dev/null | wc -l
}
ro=$(stat_get flows_readopted)
in_cli "$PY" "$SPOOF" --key "$KEY" --dst $SRV4 --net 198.18.7 --bound $BOUND \
	--mode outside -n 3000 >"$WORK/spoof-out.json" || fail "spoofer failed"
sleep 2
n_out=$(spoof_replies)
log "3000 spoofed probes with acks outside the bound: $n_out replies, flows_readopted +$(($(stat_get flows_readopted) - ro))"
[ "$n_out" -eq 0 ] || fail "$n_out replies to spoofed probes outside the bound"
[ "$(stat_get flows_readopted)" -eq "$ro" ] || fail "a spoofed probe outside the bound was adopted"

# Inside the bound (which needs the key): re-adopted, but only as far as the budget goes.
conf 10 20
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "reload: done" "$WORK/nftarpitd.log" || fail "no reload logged"
sleep 1
t0=$(date +%s%N)
in_cli "$PY" "$SPOOF" --key "$KEY" --dst $SRV4 --net 198.18.9 --bound $BOUND \
	--mode inside -n 500 >"$WORK/spoof-in.json" || fail "spoofer failed"
t1=$(date +%s%N)
sleep 2
# The answer to a probe is a bare ACK (40 bytes); a re-adopted flow's drip bytes follow on
# the timer, one per interval, like any held flow's (SECURITY.md weighs them).
n_in=$(spoof_replies "ip[2:2] = 40")
n_ro=$(($(stat_get flows_readopted) - ro))
ms=$(((t1 - t0) / 1000000))
cap=$((20 + 10 * (ms + 999) / 1000 + 10))
log "500 spoofed probes inside the bound (budget 10/s, burst 20, sent in ${ms} ms): $n_in answers, $n_ro re-adopted (cap $cap), budget_prefix $(stat_get budget_prefix), drip bytes so far $(spoof_replies "ip[2:2] = 41")"
[ "$n_in" -ge 20 ] || fail "the in-bound probes got $n_in answers: the check refuses what it should accept"
[ "$n_in" -le "$cap" ] || fail "$n_in answers to one /24, more than the budget's $cap"
[ "$n_ro" -eq "$n_in" ] || fail "$n_ro re-adopted but $n_in answers"
kill "$TCPDUMP" 2>/dev/null || true

# The relay: still held at 5 times its greeting timeout after the restarts.
now=$(date +%s)
left=$((T_RESTARTED + TIMEOUT * 5 - now))
[ "$left" -le 0 ] || sleep "$left"
relay_held || fail "the Postfix relay was released: $(grep 'timed out' "$WORK/relaylog" || true)"
log "relay still held $(($(date +%s) - T_RESTARTED)) s after the restarts ($((($(date +%s) - T_RESTARTED) / TIMEOUT)) times its ${TIMEOUT}s greeting timeout)"
in_cli ss -tnH state established src $SPAM4:$RELAY_PORT dst $SRV4:25 | grep -q . ||
	fail "the relay's connection from port $RELAY_PORT is gone"

resumed "at the end"
for fd in "${DRIP_FDS[@]}"; do
	echo quit >&"$fd"
done
wait "${DRIP_PIDS[@]}" || true
log "PASS"
