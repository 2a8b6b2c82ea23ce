# SPDX-License-Identifier: GPL-2.0-or-later
# The whole loop, shared by test_loop.sh and the demo: a spammer reaches the real Postfix
# once, Postfix rejects it through a real DNSBL lookup (rbldnsd) and logs why,
# nftarpit-sync picks the line up, and from then on the spammer meets only the tarpit.
# Source after lib.sh. Three namespaces: the server, the spammer, the good sender.
#
#   spammer netns          server netns                     good sender netns
#   198.51.100.10/.20  --  192.0.2.1/25 | 192.0.2.129/25 --  203.0.113.10, Postfix relay
#   2001:db8:bad::10/20    Postfix, rbldnsd, nftarpitd,      2001:db8:600d::10
#                          nftarpit-sync (follow)
NS_SPAM=nftarpit-spam-$$
NS_GOOD=nftarpit-good-$$
DNSBL=bl.example.org
SPAM4B=198.51.100.11 # a second spammer, for the timer-mode run

in_spam() {
	ip netns exec "$NS_SPAM" "$@"
}

in_good() {
	ip netns exec "$NS_GOOD" "$@"
}

loop_topo_up() {
	netns_add "$NS_SRV"
	netns_add "$NS_SPAM"
	netns_add "$NS_GOOD"
	ip -n "$NS_SRV" link add vspam type veth peer name veth0 netns "$NS_SPAM"
	ip -n "$NS_SRV" link add vgood type veth peer name veth0 netns "$NS_GOOD"
	ip -n "$NS_SRV" addr add 192.0.2.1/25 dev vspam
	ip -n "$NS_SRV" addr add 2001:db8::1/64 dev vspam nodad
	ip -n "$NS_SRV" addr add 192.0.2.129/25 dev vgood
	ip -n "$NS_SRV" addr add 2001:db8:1::1/64 dev vgood nodad
	ip -n "$NS_SRV" link set vspam up
	ip -n "$NS_SRV" link set vgood up
	ip -n "$NS_SRV" route add 198.51.100.0/24 via 192.0.2.2
	ip -n "$NS_SRV" route add 2001:db8:bad::/48 via 2001:db8::2
	ip -n "$NS_SRV" route add 203.0.113.0/24 via 192.0.2.130
	ip -n "$NS_SRV" route add 2001:db8:600d::/48 via 2001:db8:1::2

	ip -n "$NS_SPAM" addr add 192.0.2.2/25 dev veth0
	ip -n "$NS_SPAM" addr add 2001:db8::2/64 dev veth0 nodad
	local a
	for a in $SPAM4 $ALLOW4 $SPAM4B; do
		ip -n "$NS_SPAM" addr add "$a/32" dev veth0
	done
	for a in $SPAM6 $ALLOW6; do
		ip -n "$NS_SPAM" addr add "$a/128" dev veth0 nodad
	done
	ip -n "$NS_SPAM" link set veth0 up
	ip -n "$NS_SPAM" route add default via 192.0.2.1
	ip -n "$NS_SPAM" route add default via 2001:db8::1

	ip -n "$NS_GOOD" addr add 192.0.2.130/25 dev veth0
	ip -n "$NS_GOOD" addr add 2001:db8:1::2/64 dev veth0 nodad
	ip -n "$NS_GOOD" addr add $CLEAN4/32 dev veth0
	ip -n "$NS_GOOD" addr add $CLEAN6/128 dev veth0 nodad
	ip -n "$NS_GOOD" link set veth0 up
	ip -n "$NS_GOOD" route add default via 192.0.2.129
	ip -n "$NS_GOOD" route add default via 2001:db8:1::1
	# As on a real host: conntrack on, so "no entry for tarpitted flows" means something.
	in_srv nft -f - <<-'NFT'
	table inet host {
		chain input {
			type filter hook input priority filter; policy accept;
			ct state established,related accept
		}
	}
	NFT
}

# rbldnsd on the server's loopback, listing the spammers; the namespace resolves through
# it (lib.sh writes /etc/netns/NS/resolv.conf with nameserver 127.0.0.1).
dnsbl_start() {
	mkdir -p "$WORK/dnsbl"
	cat >"$WORK/dnsbl/zone4" <<-ZONE
	:127.0.0.2:Listed by the nftarpit test DNSBL, see http://bl.example.org/\$
	$SPAM4
	$SPAM4B
	$ALLOW4
	ZONE
	cat >"$WORK/dnsbl/zone6" <<-ZONE
	:127.0.0.2:Listed by the nftarpit test DNSBL, see http://bl.example.org/\$
	$SPAM6
	ZONE
	# More listed IPv6 addresses, one a line (test_prefix).
	printf '%s\n' ${DNSBL_EXTRA6:-} >>"$WORK/dnsbl/zone6"
	chmod -R a+rX "$WORK/dnsbl"
	in_srv rbldnsd -b 127.0.0.1/53 -r "$WORK/dnsbl" -w / -p "$WORK/dnsbl/pid" \
		"$DNSBL:ip4set:zone4" "$DNSBL:ip6trie:zone6" >"$WORK/rbldnsd.log" 2>&1 ||
		{ cat "$WORK/rbldnsd.log" >&2; fail "rbldnsd did not start"; }
	wait_until 5 sh -c "ip netns exec $NS_SRV ss -ulnH | grep -q 127.0.0.1:53" ||
		fail "rbldnsd does not listen"
}

# The server's Postfix (lib.sh), rejecting DNSBL-listed clients; the allowlisted address is
# listed too, but Postfix's own access map lets it through, as an admin's would.
loop_postfix_start() {
	postfix_start
	postconf -c "$POSTFIX_DIR/etc" -e \
		"smtpd_client_restrictions = check_client_access inline:{ $ALLOW4=OK, [$ALLOW6]=OK }, reject_rbl_client $DNSBL" \
		"smtpd_peername_lookup = no"
	in_srv postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1 || fail "postfix reload"
	sleep 1
}

# A Postfix relay in the good sender's namespace, relaying to the server (a legitimate MTA).
relay_start() {
	relay_postfix_start "$NS_GOOD" "$WORK/relay" "relayhost = [$SRV4]:25" \
		"smtp_bind_address = $CLEAN4"
}

# good_mail TAG: the good sender's message through its relay, and one with swaks directly
# over IPv6, both land in the mailbox.
good_mail() {
	in_good swaks --server 127.0.0.1 --port 25 --timeout 10 --from alice@example.net \
		--to "$MAIL_RCPT" --header "Subject: nftarpit test $1-relay" \
		>"$WORK/good-$1.log" 2>&1 || { cat "$WORK/good-$1.log" >&2; fail "relay submission $1"; }
	in_good swaks --server $SRV6 --port 25 --local-interface $CLEAN6 --timeout 10 \
		--from bob@example.net --to "$MAIL_RCPT" --header "Subject: nftarpit test $1-v6" \
		>"$WORK/good6-$1.log" 2>&1 || { cat "$WORK/good6-$1.log" >&2; fail "swaks v6 $1"; }
	wait_until 20 mailbox_has "$1-relay" || fail "message $1-relay not delivered"
	wait_until 10 mailbox_has "$1-v6" || fail "message $1-v6 not delivered"
}

# spam_attempt SRC DST LOG: swaks from SRC; returns swaks' status (the reject is a failure).
spam_attempt() {
	in_spam swaks --server "$2" --port 25 --local-interface "$1" --timeout 8 \
		--from spam@example.net --to "$MAIL_RCPT" --header "Subject: spam" >"$3" 2>&1
}

# held SRC DST: a connection from SRC is tarpitted: connected, never Postfix's banner.
held() {
	local out
	out=$(in_spam "$PY" "$CLIENT_PY" --src "$1" --dst "$2" --banner-wait 2)
	[ "$(json_get "$out" connected)" = true ] && ! real_banner "$out"
}

# in_set ADDR: the address is covered by the kernel's blocklist.
in_set() {
	in_blocklist "$NS_SRV" "$1"
}

sync_args() {
	echo --log "$WORK/maillog" --state "$WORK/sync.state" --list "$WORK/list.txt" \
		--allow "$WORK/allow.txt"
}
