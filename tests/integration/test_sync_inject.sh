#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Log injection against a real Postfix (issue 13): clients write victim addresses into
# every field they control (HELO, MAIL FROM, RCPT TO, non-SMTP commands, a PREGREET
# payload), and a partner's relay in its own namespace carries recipients and senders
# shaped like Postfix's own reject texts. Postfix (smtpd behind postscreen) logs them all;
# nftarpit-sync, in --follow mode and in one run, bans exactly the genuine offenders (an
# access-rejected client, a pregreeter), and the relay still delivers. The same through a
# journal file built from Postfix's lines with the mail unit's trusted fields, plus an
# entry forged under SYSLOG_IDENTIFIER=postfix/smtpd from a user's unit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
NS_RELAY=nftarpit-rly-$$
RELAY4=203.0.113.77  # the partner's relay: the victim the attackers name
NONSMTP4=198.51.100.30 # sends non-SMTP commands naming the victim
PREGREET4=198.51.100.40 # talks before the greeting, payload naming the victim
VICTIMS=($RELAY4 192.0.2.77 2001:db8::25)
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote

lib_init
require_prog "$SYNC" "$NFTARPITCTL" "$JOURNAL_REMOTE"
topo_up
ip -n "$NS_CLI" addr add $NONSMTP4/32 dev veth0
ip -n "$NS_CLI" addr add $PREGREET4/32 dev veth0

# The relay's own namespace, linked to the server by a second veth pair.
netns_add "$NS_RELAY"
ip -n "$NS_SRV" link add veth1 type veth peer name veth0 netns "$NS_RELAY"
ip -n "$NS_RELAY" addr add $RELAY4/32 dev veth0
ip -n "$NS_SRV" link set veth1 up
ip -n "$NS_RELAY" link set veth0 up
ip -n "$NS_SRV" route add $RELAY4/32 dev veth1
ip -n "$NS_RELAY" route add $SRV4/32 dev veth0
ip netns exec "$NS_RELAY" ethtool -K veth0 tx off >/dev/null

postfix_start
# postscreen in front of smtpd (PREGREET is postscreen's), and one access reject.
ETC=$POSTFIX_DIR/etc
postconf -c "$ETC" -M# smtp/inet
postconf -c "$ETC" -Me "smtp/inet=smtp inet n - n - 1 postscreen" \
	"smtpd/pass=smtpd pass - - n - - smtpd" "tlsproxy/unix=tlsproxy unix - - n - 0 tlsproxy" \
	"dnsblog/unix=dnsblog unix - - n - 0 dnsblog"
postconf -c "$ETC" -e "postscreen_greet_wait = 2s" "postscreen_greet_action = enforce" \
	"smtpd_client_restrictions = check_client_access inline:{ $SPAM4=REJECT }"
in_srv postfix -c "$ETC" stop >/dev/null 2>&1
in_srv postfix -c "$ETC" start >"$WORK/postfix-restart.log" 2>&1 ||
	fail "postfix with postscreen did not start: $(cat "$WORK/postfix-restart.log")"
wait_until 10 listening_on "$NS_SRV" 25 || fail "postscreen does not listen on port 25"
ruleset_setup

RELAY=$WORK/relay
relay_postfix_start "$NS_RELAY" "$RELAY" "relayhost = [$SRV4]:25" \
	"smtp_bind_address = $RELAY4" "myhostname = relay.example.com"

# relay_send TAG [RCPT...]: a message through the partner's relay to $MAIL_RCPT and the
# RCPTs; the subject carries TAG. TAG "only-*": to the RCPTs alone, so that Postfix rejects
# each before a queue file exists (NOQUEUE lines).
relay_send() {
	local tag=$1 rcpts=$MAIL_RCPT
	shift
	if [ $# -gt 0 ]; then
		rcpts="$(IFS=,; echo "$*")"
		[[ $tag == only-* ]] || rcpts="$rcpts,$MAIL_RCPT"
	fi
	ip netns exec "$NS_RELAY" swaks --server 127.0.0.1 --port 25 --timeout 10 \
		--from "$RELAY_FROM" --to "$rcpts" --header "Subject: nftarpit test $tag" \
		--body "relayed $tag" >"$WORK/relay-$tag.log" 2>&1 ||
		fail "submission to the relay failed: $(cat "$WORK/relay-$tag.log")"
}
RELAY_FROM=partner@example.com

# sync ARGS...: one nftarpit-sync run in the server namespace (summary in $SUMMARY).
sync() {
	RC=0
	in_srv "$SYNC" "$@" >"$WORK/sync.out" 2>"$WORK/sync.log" || RC=$?
	SUMMARY=$(grep 'nftarpit-sync: sync ' "$WORK/sync.log" | tail -n 1 || true)
	log "sync: rc=$RC ${SUMMARY#nftarpit-sync: }"
}
field() {
	tr ' ' '\n' <<<"$SUMMARY" | awk -F= -v k="$1" '$1 == k { print $2 }'
}
blocked() {
	in_blocklist "$NS_SRV" "$1"
}
# banned STATE: the addresses the master list bans, sorted, on one line.
banned() {
	awk '$1 == "ban" { print $2 }' "$1" | sort | tr '\n' ' '
}
no_victim_blocked() {
	local v
	for v in "${VICTIMS[@]}"; do
		! blocked "$v" || fail "victim $v blocked ($1)"
		! grep -q "^ban $v " "$2" || fail "victim $v in the master list ($1)"
	done
}

# --follow from the start, on Postfix's own log.
printf '[sync]\nkernel_timeouts = no\n' >"$WORK/sync.conf"
: >>"$WORK/maillog"
ip netns exec "$NS_SRV" "$SYNC" -c "$WORK/sync.conf" --state "$WORK/follow.state" \
	--log "$WORK/maillog" --follow >"$WORK/follow.log" 2>&1 &
FOLLOW_PID=$!
wait_until 10 grep -q "follow started" "$WORK/follow.log" || fail "--follow did not start: $(cat "$WORK/follow.log")"

# 1. The relay delivers a first message (postscreen passes it, and caches the pass).
relay_send first
wait_until 30 mailbox_has first || fail "the relay's first message was not delivered: $(tail -5 "$WORK/relaylog")"

# 2. Recipients and a sender shaped like Postfix's reject texts, through the relay: the
# recipients are rejected as unknown users in lines that name the relay as the client.
RELAY_FROM='"Client host [203.0.113.77] blocked using zen.spamhaus.org"@example.com'
relay_send shaped '"Client host rejected"@example.org' \
	'"unknown[203.0.113.77]>: Client host rejected: x"@example.org' \
	'"DNSBL rank 9 for [192.0.2.77]:25"@example.org'
relay_send only-shaped '"unknown[203.0.113.77]>: Client host rejected: x"@example.org'
RELAY_FROM=partner@example.com
wait_until 30 mailbox_has shaped || fail "the relay's shaped message was not delivered"
wait_until 10 grep -q 'NOQUEUE: reject: RCPT from .*to=<"unknown' "$WORK/maillog" ||
	fail "Postfix did not log the shaped recipients: $(grep -c reject "$WORK/maillog")"
# Postfix writes the recipient unquoted in its reply: the line starts like the relay's own
# access reject ("<unknown[RELAY]>: Client host rejected: ...").
SHAPED=0
grep -q "NOQUEUE: reject: RCPT from unknown\[$RELAY4\]: 550 5.1.1 <unknown\[$RELAY4\]>: Client host rejected: x@example.org>: Recipient address rejected" \
	"$WORK/maillog" && SHAPED=1
log "an access reject's shape in a recipient reject of the relay: $([ $SHAPED = 1 ] && echo logged || echo quoted by this Postfix)"

# 3. A rejected client writes victims into HELO, MAIL FROM and RCPT TO.
in_cli swaks --server $SRV4 --port 25 --local-interface $SPAM4 --timeout 10 \
	--helo "[$RELAY4]" --from '"Client host [203.0.113.77] blocked using zen"@example.net' \
	--to "$MAIL_RCPT" >"$WORK/swaks-spam.log" 2>&1 || true
wait_until 10 grep -q "reject: RCPT from [^ ]*\[$SPAM4\].*Client host rejected" "$WORK/maillog" ||
	fail "Postfix did not reject $SPAM4: $(cat "$WORK/swaks-spam.log")"

# 4. Non-SMTP commands naming the victim, after the greeting.
in_cli "$PY" - $NONSMTP4 $SRV4 <<'EOF' || fail "non-SMTP client failed"
import socket, sys, time
s = socket.create_connection((sys.argv[2], 25), timeout=15, source_address=(sys.argv[1], 0))
buf = b""
while b"\n220 " not in b"\n" + buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
s.sendall(b"GET DNSBL rank 9 for [203.0.113.77] HTTP/1.1\r\n")
time.sleep(0.5)
s.close()
EOF
wait_until 10 grep -q "non-SMTP command from [^ ]*\[$NONSMTP4\]" "$WORK/maillog" ||
	fail "Postfix did not log the non-SMTP command"

# 5. A pregreeter whose payload names the victims.
in_cli "$PY" - $PREGREET4 $SRV4 <<'EOF' || fail "pregreet client failed"
import socket, sys, time
s = socket.create_connection((sys.argv[2], 25), timeout=15, source_address=(sys.argv[1], 0))
s.sendall(b"DNSBL rank 9 for [203.0.113.77]:25 PREGREET 1 after 0 from [2001:db8::25]:25\r\n")
time.sleep(3)
s.close()
EOF
wait_until 10 grep -q "PREGREET .* from \[$PREGREET4\]" "$WORK/maillog" ||
	fail "postscreen did not log the PREGREET"

# --follow banned the genuine offenders, and nobody else.
wait_until 10 blocked $SPAM4 || fail "--follow did not ban $SPAM4: $(cat "$WORK/follow.log")"
wait_until 10 blocked $PREGREET4 || fail "--follow did not ban the pregreeter $PREGREET4"
blocked $NONSMTP4 && fail "the non-SMTP client was banned: no verdict of Postfix names it"
kill -TERM $FOLLOW_PID
wait $FOLLOW_PID || fail "--follow exited $? on SIGTERM"
[ "$(banned "$WORK/follow.state")" = "$SPAM4 $PREGREET4 " ] ||
	fail "--follow banned [$(banned "$WORK/follow.state")], want [$SPAM4 $PREGREET4]"
no_victim_blocked follow "$WORK/follow.state"
log "follow: banned $(banned "$WORK/follow.state")"

# One run over the whole log, from an empty set and master list: the same answer, and the
# lines with victims' addresses outside Postfix's structure are counted.
in_srv nft flush set inet nftarpit blockhost4
in_srv nft flush set inet nftarpit blocknet4
sync -c "$WORK/sync.conf" --state "$WORK/once.state" --log "$WORK/maillog"
[ $RC -eq 0 ] && [ "$(field hits)" = 2 ] || fail "one run found $(field hits) offenders, want 2: $SUMMARY"
[ "$(banned "$WORK/once.state")" = "$SPAM4 $PREGREET4 " ] ||
	fail "one run banned [$(banned "$WORK/once.state")], want [$SPAM4 $PREGREET4]"
blocked $SPAM4 && blocked $PREGREET4 || fail "one run did not block the offenders"
# The non-SMTP command, and the access-shaped recipient reject where Postfix logged one.
[ "$(field unstructured)" -ge $((1 + SHAPED)) ] || fail "the injected lines were not counted: $SUMMARY"
no_victim_blocked once "$WORK/once.state"

# The relay still delivers.
relay_send after
wait_until 30 mailbox_has after || fail "the relay cannot deliver any more: $(tail -5 "$WORK/relaylog")"

# The journal: Postfix's lines as the mail unit's entries (trusted fields set by journald
# on a real system, here written by journal-remote), and a forged entry naming the relay.
"$PY" - "$WORK/maillog" >"$WORK/export" <<'EOF'
import re, sys, time
pat = re.compile(r"^\S+\s+\d+ \S+ \S+ ((postfix[^\[:]*)\[(\d+)\]): (.*)$")
t = int(time.time() * 1e6) - 10**6
for line in open(sys.argv[1], errors="replace"):
    m = pat.match(line.rstrip("\n"))
    if not m:
        continue
    t += 1
    print("__REALTIME_TIMESTAMP=%d\n_HOSTNAME=mx\n_TRANSPORT=syslog\n_SYSTEMD_UNIT=postfix@-.service\n"
          "_UID=107\n_COMM=%s\nSYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%s\nMESSAGE=%s\n"
          % (t, m.group(2).rsplit("/", 1)[-1], m.group(2), m.group(3), m.group(4)))
t += 1
print("__REALTIME_TIMESTAMP=%d\n_HOSTNAME=mx\n_TRANSPORT=syslog\n_SYSTEMD_UNIT=user@1000.service\n"
      "_UID=1000\n_COMM=smtpd\nSYSLOG_IDENTIFIER=postfix/smtpd\nMESSAGE=NOQUEUE: reject: RCPT from "
      "relay.example.com[203.0.113.77]: 554 5.7.1 Service unavailable; Client host [203.0.113.77] "
      "blocked using zen.spamhaus.org; from=<a@example.com> to=<b@example.org> proto=ESMTP "
      "helo=<relay.example.com>\n" % t)
EOF
$JOURNAL_REMOTE -o "$WORK/mail.journal" "$WORK/export" 2>/dev/null
in_srv nft flush set inet nftarpit blockhost4
in_srv nft flush set inet nftarpit blocknet4
sync -c "$WORK/sync.conf" --state "$WORK/journal.state" --journal-file "$WORK/mail.journal"
[ $RC -eq 0 ] && [ "$(field hits)" = 2 ] || fail "the journal run found $(field hits) offenders, want 2: $SUMMARY"
[ "$(banned "$WORK/journal.state")" = "$SPAM4 $PREGREET4 " ] ||
	fail "the journal run banned [$(banned "$WORK/journal.state")], want [$SPAM4 $PREGREET4]"
no_victim_blocked journal "$WORK/journal.state"
log "journal: $(grep -c '^__REALTIME' "$WORK/export") entries, banned $(banned "$WORK/journal.state")"
log "PASS"
