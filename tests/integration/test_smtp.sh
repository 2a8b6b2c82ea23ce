#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SMTP holding: real mail clients stay held far past their own timeouts. A Postfix relay in
# the client namespace (smtp_helo_timeout 5 s), swaks, Python's smtplib and a pregreeting
# bot are all still held after 5 times their timeout, and none reaches the real Postfix;
# a SYN-only scanner gets a SYN-ACK but no flow record. The same Postfix client against
# the zero-window baseline (--no-smtp, the xt_TARPIT-like mode) is released after about
# one timeout. Ended flows are logged with how long they were held.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TIMEOUT=5
HOLD=$((TIMEOUT * 5 + 2))
SMTPCLIENTS=$NFTARPIT_SRC/tests/integration/smtpclients.py

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
postfix_start
ruleset_setup
lists_fill
# Probes and drips within a test's time: the client's kernel probes at least every second.
in_cli sysctl -qw net.ipv4.tcp_rto_max_ms=1000
cat >"$WORK/nftarpitd.conf" <<-CONF
[daemon]
smtp_interval = 1
smtp_hostname = mx.example.org
log_flows_per_second = 1000
CONF
daemon_start -c "$WORK/nftarpitd.conf"

# A second Postfix, in the client namespace: the spammer's MTA, relaying to our server.
RELAY=$WORK/relay
relay_start() {
	relay_postfix_start "$NS_CLI" "$RELAY" "relayhost = [$SRV4]:25" \
		"smtp_bind_address = $SPAM4" "smtp_helo_timeout = ${TIMEOUT}s" \
		"smtp_connect_timeout = ${TIMEOUT}s"
}
relay_submit() {
	in_cli swaks --server 127.0.0.1 --port 25 --timeout 10 --from spam@example.net \
		--to "$MAIL_RCPT" --header "Subject: relayed $1" >"$WORK/relay-submit-$1.log" 2>&1 ||
		{ cat "$WORK/relay-submit-$1.log" >&2; fail "submission to the relay failed"; }
}
relay_timed_out() {
	grep -q "timed out while receiving the initial server greeting" "$WORK/relaylog"
}
relay_start


# A SYN-only scanner: answered, but it leaves no flow record behind.
new_before=$(stat_get flows_new)
out=$(in_cli "$PY" "$SMTPCLIENTS" scanner --src $SPAM4 --dst $SRV4 --timeout 3)
log "scanner: $out"
[ "$(json_get "$out" reply_flags)" = SA ] || fail "scanner got no SYN-ACK: $out"
[ "$(json_get "$out" window)" = 0 ] || fail "scanner's SYN-ACK window is not 0"

# All the clients at once, each with a 5 s timeout of its own.
t0=$(date +%s)
relay_submit held
# swaks applies --timeout to each whole response (alarm()), not to each read: a drip
# cannot stretch one response, so it is held for the EHLO, the HELO it falls back to and
# the QUIT, about three timeouts. Its start and end are recorded to show that.
(
	s=$(date +%s)
	in_cli swaks --server $SRV4 --port 25 --local-interface $SPAM4 --timeout $TIMEOUT \
		--to "$MAIL_RCPT" --from spam@example.net >"$WORK/swaks.log" 2>&1 || true
	echo $(($(date +%s) - s)) >"$WORK/swaks.held"
) &
SWAKS=$!
in_cli "$PY" "$SMTPCLIENTS" smtplib --src $SPAM4 --dst $SRV4 --timeout $TIMEOUT \
	--limit 120 >"$WORK/smtplib.json" &
SMTPLIB=$!
in_cli "$PY" "$SMTPCLIENTS" pregreet --src $SPAM6 --dst $SRV6 --timeout $TIMEOUT \
	--limit $((HOLD + 15)) >"$WORK/pregreet.json" &
PREGREET=$!
wait_until 10 grep -q "connect to $SRV4" "$WORK/relaylog" ||
	wait_until 10 sh -c "ip netns exec $NS_CLI ss -tnH src $SPAM4 dst $SRV4 | grep -q ESTAB" ||
	fail "the relay did not connect"

sleep $HOLD
elapsed=$(($(date +%s) - t0))
log "after ${elapsed}s ($((elapsed / TIMEOUT)) times the clients' ${TIMEOUT}s timeout):"
relay_timed_out && fail "the Postfix relay was released: $(grep 'timed out' "$WORK/relaylog")"
for pid in $SMTPLIB $PREGREET; do
	kill -0 $pid 2>/dev/null || fail "a client ended early: $(cat "$WORK"/*.json "$WORK/swaks.log" 2>/dev/null | tail -5)"
done
ss_relay=$(in_cli ss -tinoH src $SPAM4 dst $SRV4)
n=$(grep -c '^ESTAB' <<<"$ss_relay" || true)
[ "$n" -ge 2 ] || fail "expected >= 2 held IPv4 connections (relay, smtplib), got $n"
grep -q 'notsent' <<<"$ss_relay" || fail "no client has unsent data stuck in our window"
log "  relay, smtplib, pregreet bot: all still held"
[ -s "$WORK/swaks.held" ] || fail "swaks still running after ${HOLD}s (expected about 3 timeouts)"
swaks_held=$(cat "$WORK/swaks.held")
log "  swaks: held ${swaks_held}s ($(grep -c 'Timeout' "$WORK/swaks.log") response timeouts of ${TIMEOUT}s)"
[ "$swaks_held" -ge $((TIMEOUT * 3 - 1)) ] || fail "swaks held only ${swaks_held}s"
log "  daemon: $(stats | grep -E '^(flows_now|flows_new|probes|smtp_bytes|attacker_seconds)=' | tr '\n' ' ')"
[ "$(stat_get flows_new)" -ge $((new_before + 4)) ] || fail "fewer than 4 flow records"
# swaks has left (its closed socket reset our next byte): relay, smtplib and the bot remain.
[ "$(stat_get flows_now)" -ge 3 ] || fail "flows_now below 3"
# The scanner's SYN opened no record: 4 clients, 4 records (the relay uses one connection).
[ "$(stat_get flows_new)" -le $((new_before + 5)) ] || fail "the scanner got a flow record"

# Nobody reached the real server.
for a in $SPAM4 $SPAM6; do
	maillog_saw "$a" && fail "Postfix saw a connection from $a"
done

# The bot gives up after its limit and resets: its flow ends, logged with its hold time.
wait $PREGREET || true
log "  pregreet bot: $(cat "$WORK/pregreet.json")"
[ "$(json_get "$(cat "$WORK/pregreet.json")" result)" = limit ] || fail "the bot was released"
wait_until 5 grep -q "flow end src=$SPAM6 .* reason=rst" "$WORK/nftarpitd.log" ||
	fail "no flow end line for the bot"
line=$(grep -m1 "flow end src=$SPAM6 " "$WORK/nftarpitd.log")
log "  $line"
held=$(sed -n 's/.* held=\([0-9]*\)s .*/\1/p' <<<"$line")
[ "$held" -ge $((TIMEOUT * 5)) ] || fail "flow end says held=${held}s"
kill $SMTPLIB 2>/dev/null || true
wait $SMTPLIB 2>/dev/null || true

# Baseline: zero window only. The same relay is released after about one timeout.
in_cli postfix -c "$RELAY/etc" stop >/dev/null 2>&1 || true
daemon_stop
daemon_start -c "$WORK/nftarpitd.conf" --no-smtp
: >"$WORK/relaylog"
relay_start

t0=$(date +%s)
relay_submit baseline
wait_until $((TIMEOUT * 4)) relay_timed_out || fail "baseline: the relay was not released"
released=$(($(date +%s) - t0))
log "baseline (--no-smtp): relay released after ${released}s: $(grep -m1 -o 'timed out while receiving the initial server greeting' "$WORK/relaylog")"
[ "$released" -le $((TIMEOUT * 2 + 2)) ] || fail "baseline held ${released}s, expected about ${TIMEOUT}s"
maillog_saw $SPAM4 && fail "Postfix saw the spammer in baseline mode"
log "PASS"
