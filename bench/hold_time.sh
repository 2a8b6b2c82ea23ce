#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# How long real mail clients stay held, with the real defaults (nothing shortened):
# nftarpitd's SMTP mode on port 25 against its zero-window mode on port 2525 (not in
# smtp_ports: the xt_TARPIT-like baseline), side by side in the same run and the same
# daemon. Clients, each against both ports: a Postfix relay (smtp_helo_timeout 300 s,
# the default), swaks (--timeout 30 s, its default), Python smtplib (timeout 60 s) and a
# pregreeting bot (60 s per read). Each is watched until it is released or the cap.
#   usage: bench/hold_time.sh [CAP_MINUTES]   (default 45; root; about CAP minutes)
# Prints a table: seconds held per client and mode, and the ratio SMTP mode / baseline.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_build
NFTARPIT_SRC=$SRC
NFTARPIT_BUILD=$B
export NFTARPIT_SRC NFTARPIT_BUILD
. "$NFTARPIT_SRC/tests/integration/lib.sh"
LIB_NAME=hold_time

CAP_MIN=${1:-45}
case $CAP_MIN in '' | *[!0-9]*) echo "usage: $0 [CAP_MINUTES]" >&2; exit 2 ;; esac
[ "$CAP_MIN" -ge 1 ] && [ "$CAP_MIN" -le 240 ] || { echo "CAP_MINUTES: 1..240" >&2; exit 2; }
CAP=$((CAP_MIN * 60))
SMTPCLIENTS=$NFTARPIT_SRC/tests/integration/smtpclients.py

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
postfix_start
ruleset_setup --ports 25,2525
lists_fill
cat >"$WORK/nftarpitd.conf" <<-CONF
[daemon]
smtp_ports = 25
smtp_hostname = mx.example.org
CONF
daemon_start -c "$WORK/nftarpitd.conf"

# A Postfix relay in the client namespace with Debian's defaults, but for where it sends:
# mail for smtp.example.org to port 25 (SMTP mode), for base.example.org to 2525.
relay_start() {
	relay_postfix_start "$NS_CLI" "$WORK/relay" \
		"transport_maps = inline:{ smtp.example.org=smtp:[$SRV4]:25, base.example.org=smtp:[$SRV4]:2525 }" \
		"smtp_bind_address = $SPAM4" ${RELAY_HELO_TIMEOUT:+"smtp_helo_timeout = $RELAY_HELO_TIMEOUT"}
}
relay_submit() {
	in_cli swaks --server 127.0.0.1 --port 25 --timeout 10 --from spam@example.net \
		--to "postmaster@$1.example.org" >/dev/null 2>&1 || fail "submission for $1 failed"
}

T0=$(date +%s)
relay_start
relay_submit smtp
relay_submit base
for mode in smtp base; do
	port=25
	[ $mode = base ] && port=2525
	(
		s=$(date +%s)
		in_cli swaks --server $SRV4 --port $port --local-interface $SPAM4 \
			--to "$MAIL_RCPT" --from spam@example.net >"$WORK/swaks-$mode.log" 2>&1 || true
		echo $(($(date +%s) - s)) >"$WORK/swaks-$mode.held"
	) &
	# smtpclients.py speaks to port 25 only; the baseline's port goes through a redirect-free
	# copy of the same client below.
	(
		s=$(date +%s)
		in_cli "$PY" - "$SPAM4" "$SRV4" "$port" <<-'PYEOF' >"$WORK/smtplib-$mode.json" 2>&1 || true
		import smtplib, sys, time
		t = time.monotonic()
		try:
		    c = smtplib.SMTP(timeout=60, source_address=(sys.argv[1], 0))
		    c.connect(sys.argv[2], int(sys.argv[3]))
		    c.ehlo("client.example.net")
		    c.sendmail("a@example.net", ["postmaster@example.org"], "Subject: x\r\n\r\nx\r\n")
		    print("delivered")
		except Exception as e:
		    print(type(e).__name__)
		PYEOF
		echo $(($(date +%s) - s)) >"$WORK/smtplib-$mode.held"
	) &
	(
		s=$(date +%s)
		in_cli "$PY" - "$SPAM6" "$SRV6" "$port" "$CAP" <<-'PYEOF' >"$WORK/pregreet-$mode.json" 2>&1 || true
		import socket, sys, time
		s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
		s.bind((sys.argv[1], 0))
		s.settimeout(60)
		t = time.monotonic()
		s.connect((sys.argv[2], int(sys.argv[3])))
		s.send(b"EHLO bot.example.net\r\n")
		try:
		    while time.monotonic() - t < float(sys.argv[4]) + 60:
		        if not s.recv(512):
		            print("closed"); break
		except Exception as e:
		    print(type(e).__name__)
		PYEOF
		echo $(($(date +%s) - s)) >"$WORK/pregreet-$mode.held"
	) &
done

# Postfix: released when its log says so; the time from its connect.
relay_released() {
	local port=25
	[ "$1" = base ] && port=2525
	# The status line names the port: "relay=192.0.2.1[192.0.2.1]:2525, delay=...".
	grep -E "status=deferred" "$WORK/relaylog" | grep -q "\]:$port, "
}
for ((i = 0; i < CAP; i += 10)); do
	all=1
	for c in swaks-smtp swaks-base smtplib-smtp smtplib-base pregreet-smtp pregreet-base; do
		[ -s "$WORK/$c.held" ] || all=0
	done
	for r in smtp base; do
		if relay_released $r && [ ! -s "$WORK/relay-$r.held" ]; then
			echo $(($(date +%s) - T0)) >"$WORK/relay-$r.held"
		fi
		[ -s "$WORK/relay-$r.held" ] || all=0
	done
	[ $all = 1 ] && break
	sleep 10
done

held() {
	if [ -s "$WORK/$1.held" ]; then cat "$WORK/$1.held"; else echo ">=$CAP"; fi
}
ratio() {
	local a b
	a=$(held "$1-smtp" | tr -d '>=')
	b=$(held "$1-base" | tr -d '>=')
	awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'
}
printf '\n%-26s %16s %16s %8s\n' "client (its timeout)" "SMTP mode (s)" "zero window (s)" "ratio"
printf '%-26s %16s %16s %8s\n' "Postfix relay (300 s)" "$(held relay-smtp)" "$(held relay-base)" "$(ratio relay)"
printf '%-26s %16s %16s %8s\n' "swaks (30 s)" "$(held swaks-smtp)" "$(held swaks-base)" "$(ratio swaks)"
printf '%-26s %16s %16s %8s\n' "smtplib (60 s)" "$(held smtplib-smtp)" "$(held smtplib-base)" "$(ratio smtplib)"
printf '%-26s %16s %16s %8s\n' "pregreeting bot (60 s)" "$(held pregreet-smtp)" "$(held pregreet-base)" "$(ratio pregreet)"
echo "(>=$CAP: still held when the run stopped at its cap of $CAP_MIN minutes)"
echo "daemon: $(stats | grep -E '^(flows_now|flows_new|flows_ended|attacker_seconds|smtp_bytes|probes)=' | tr '\n' ' ')"
grep 'flow end' "$WORK/nftarpitd.log" | sed 's/^/  /' | head -20 || true
echo "the relay's own words:"
grep -E "timed out|lost connection|Connection reset|status=" "$WORK/relaylog" | sed 's/^.*\]: /  /' | head -10 || true
# The client wrappers still running (capped ones) end with the namespaces; stop their
# shells too so nothing writes into the work directory while it is removed.
kill $(jobs -p) 2>/dev/null || true
wait 2>/dev/null || true
