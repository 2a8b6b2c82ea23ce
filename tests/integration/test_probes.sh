#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tarpitted client with data to send keeps probing the zero window; every probe must be
# answered with window 0, so the connection stays ESTABLISHED and is never reset. IPv4
# and IPv6 run side by side for HOLD seconds. REPLY_PATH (link, the default, or route)
# picks how the replies leave; the counters must show they took that path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOLD=15
MIN_PROBES=10
REPLY_PATH=${REPLY_PATH:-link}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"
topo_up
postfix_start
ruleset_setup
lists_fill
printf '[daemon]\nreply_path = %s\n' "$REPLY_PATH" >"$WORK/nftarpitd.conf"
daemon_start -c "$WORK/nftarpitd.conf"

# The persist timer backs off up to tcp_rto_max_ms; 1000 ms is the least this sysctl
# accepts, and turns the default two-minute ceiling into one probe a second.
in_cli sysctl -qw net.ipv4.tcp_rto_max_ms=1000 || fail "cannot lower tcp_rto_max_ms"

# EstabResets counts connections that left ESTABLISHED for CLOSE, a RST received among
# them; read while the clients are still connected, as their own abortive close counts too.
estab_resets() {
	in_cli awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["EstabResets"] }' /proc/net/snmp
}
resets_before=$(estab_resets)

ip netns exec "$NS_CLI" tcpdump -i veth0 -nn -U -w "$WORK/probes.pcap" 'tcp port 25' \
	2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
wait_until 5 grep -q 'listening on' "$WORK/tcpdump.log" || fail "tcpdump did not start"

client_bg "$WORK/c4.json" --src $SPAM4 --dst $SRV4 --banner-wait 1 --write 4096 --hold $HOLD
c4=$BG_PID
client_bg "$WORK/c6.json" --src $SPAM6 --dst $SRV6 --banner-wait 1 --write 4096 --hold $HOLD
c6=$BG_PID
# Before the clients report and close, their kernels' view of the connection.
sleep $((HOLD - 2))
ss4=$(ss_conn $SPAM4 $SRV4)
ss6=$(ss_conn $SPAM6 $SRV6)
resets_after=$(estab_resets)
wait $c4 || fail "IPv4 client failed"
wait $c6 || fail "IPv6 client failed"
sleep 0.5
# TERM, not INT: a background job of a non-interactive shell ignores SIGINT.
kill -TERM $TCPDUMP_PID
wait $TCPDUMP_PID || true

in_cli tcpdump -r "$WORK/probes.pcap" -nn 2>/dev/null >"$WORK/probes.txt"

# check SRC DST JSON SS: the client's own report, its ss line and the packets on its wire.
check() {
	local src=$1 dst=$2 out=$3 ssout=$4 probes answers rsts
	log "$src: $out"
	log "$src: ss: $(tr -s ' \t\n' ' ' <<<"$ssout")"
	[ "$(json_get "$out" connected)" = true ] || fail "$src: connect() failed"
	if real_banner "$out"; then
		fail "$src: got the real banner"
	fi
	[ "$(json_get "$out" state)" = ESTABLISHED ] || fail "$src: $(json_get "$out" state) after ${HOLD} s"
	[ "$(json_get "$out" peer)" = open ] || fail "$src: peer $(json_get "$out" peer)"
	[ "$(json_get "$out" snd_wnd)" = 0 ] || fail "$src: snd_wnd $(json_get "$out" snd_wnd)"
	[ "$(json_get "$out" written)" -gt 0 ] || fail "$src: nothing queued to send"
	grep -q '^ESTAB' <<<"$ssout" || fail "$src: ss shows no established connection"
	grep -q 'timer:(persist' <<<"$ssout" || fail "$src: no persist timer in ss"

	# Probes: bare ACKs from the client after the handshake; answers: ACKs with window 0
	# from the server.
	probes=$(grep -cE "^[0-9:.]+ IP6? ${src}\.[0-9]+ > ${dst}\.25: Flags \[\.\],.* length 0" "$WORK/probes.txt" || true)
	answers=$(grep -cE "^[0-9:.]+ IP6? ${dst}\.25 > ${src}\.[0-9]+: Flags \[\.\],.* win 0, .*length 0" "$WORK/probes.txt" || true)
	rsts=$(grep -cE "^[0-9:.]+ IP6? ${dst}\.25 > ${src}\.[0-9]+: Flags \[R" "$WORK/probes.txt" || true)
	log "$src: on the wire: $probes bare ACKs from the client, $answers zero-window answers, $rsts RST from the server"
	[ "$answers" -ge $MIN_PROBES ] || fail "$src: $answers answered probes, expected >= $MIN_PROBES"
	[ "$rsts" -eq 0 ] || fail "$src: the server sent $rsts RST"
}

check $SPAM4 $SRV4 "$(cat "$WORK/c4.json")" "$ss4"
check $SPAM6 $SRV6 "$(cat "$WORK/c6.json")" "$ss6"

[ "$resets_after" -eq "$resets_before" ] ||
	fail "client namespace counted $((resets_after - resets_before)) resets of established connections"

probes=$(stat_get probes || true)
log "stats: $(stats | tr '\n' ' ')"
[ "${probes:-0}" -ge $((2 * MIN_PROBES)) ] ||
	fail "daemon counted probes=${probes:-missing}, expected >= $((2 * MIN_PROBES))"
# The path: with link, every reply to a packet left by the packet socket (only the SMTP
# drip, answering no packet, is routed); with route, none did.
sent=$(stat_get replies_sent)
link=$(stat_get replies_link)
log "reply_path=$REPLY_PATH: replies_sent=$sent replies_link=$link replies_link_routed=$(stat_get replies_link_routed)"
[ "$(stat_get replies_link_routed)" = 0 ] || fail "the packet socket refused replies"
if [ "$REPLY_PATH" = link ]; then
	[ "$link" -ge $((2 * MIN_PROBES)) ] || fail "only $link replies went out by the packet socket"
else
	[ "$link" = 0 ] || fail "reply_path = route, but $link replies went out by the packet socket"
fi
# Nothing of the held flows in the server's conntrack table either way.
for src in $SPAM4 $SPAM6; do
	n=$(conntrack_count "$src")
	[ "$n" -eq 0 ] || fail "$src: $n conntrack entries with reply_path = $REPLY_PATH"
done
log "PASS"
