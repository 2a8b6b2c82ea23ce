#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpit-sync reads a real Exim (Debian's 4.96, unpacked by quickstart into
# /opt/nftarpit-exim: installing exim4-daemon-light would remove Postfix) and a real
# Postfix with spamtraps (issue 19):
#  - Exim with DNSBL ACLs against a local rbldnsd rejects a listed client at RCPT (IPv4)
#    and one in the connect ACL (IPv6); a clean sender delivers; a client talking before
#    the greeting gets Exim's synchronization error; a RCPT to a trap is rejected;
#  - injections through HELO, MAIL FROM and RCPT TO (a victim's address, and the
#    injector's own) are rejected or delivered by Exim but ban no one;
#  - a one-shot run over the mainlog bans exactly the listed, pregreeting and trap
#    clients; the listed client is tarpitted on its next try; --follow over the rejectlog
#    bans a newly listed client; --test-pattern shows the same bans;
#  - Postfix with check_recipient_access: a RCPT to a trap bans the client; the trap's
#    text in another client's rejected RCPT to an ordinary address bans no one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}
EXIM_ROOT=${EXIM_ROOT:-/opt/nftarpit-exim}
EXIM=$EXIM_ROOT/usr/sbin/exim4
DNSBL=bl.example.org
CBL=cbl.example.org
TRAP=trap@example.org
SPAM4B=198.51.100.11 # listed, used for --follow
PREG4=203.0.113.40   # talks before the greeting
TRAP4=203.0.113.11   # writes to the trap
INJ4=203.0.113.13    # injects text, is never listed
INJ6=2001:db8:600d::13
VICTIM4=203.0.113.99 # written into the injections; never connects
EXIM_PID=
RBLDNSD_PID=

lib_init
require_prog "$SYNC" "$NFTARPITD" "$NFTARPITCTL" rbldnsd swaks
[ -x "$EXIM" ] || fail "no $EXIM (./quickstart build unpacks Debian's Exim there)"
getent passwd Debian-exim >/dev/null || fail "no user Debian-exim (./quickstart build creates it)"

exim_cleanup() {
	if [ -n "$EXIM_PID" ]; then
		kill -TERM "$EXIM_PID" 2>/dev/null || true
		wait "$EXIM_PID" 2>/dev/null || true
		EXIM_PID=
	fi
	if [ -n "$RBLDNSD_PID" ]; then
		kill -TERM "$RBLDNSD_PID" 2>/dev/null || true
		RBLDNSD_PID=
	fi
}
trap 'rc=$?; exim_cleanup; (exit $rc); cleanup' EXIT

topo_up
for a in $SPAM4B $PREG4 $TRAP4 $INJ4; do
	ip -n "$NS_CLI" addr add "$a/32" dev veth0
done
ip -n "$NS_CLI" addr add "$INJ6/128" dev veth0 nodad

# rbldnsd on the server's loopback (the namespace's resolver): $SPAM4 and $SPAM4B listed
# for RCPT, $SPAM6 in the connection-level list. rbldnsd's pid is its own: -n keeps it
# in the foreground of a background job.
mkdir -p "$WORK/dnsbl"
printf ':127.0.0.2:Listed in %s, see http://%s/query?$\n%s\n%s\n' $DNSBL $DNSBL $SPAM4 $SPAM4B \
	>"$WORK/dnsbl/bl"
printf ':127.0.0.3:Connection-level listing for $\n%s\n' $SPAM6 >"$WORK/dnsbl/cbl6"
chmod -R a+rX "$WORK/dnsbl"
ip netns exec "$NS_SRV" rbldnsd -n -f -b 127.0.0.1/53 -r "$WORK/dnsbl" -w / \
	"$DNSBL:ip4set:bl" "$CBL:ip6trie:cbl6" >"$WORK/rbldnsd.log" 2>&1 &
RBLDNSD_PID=$!
wait_until 10 sh -c "ip netns exec $NS_SRV ss -ulnH | grep -q 127.0.0.1:53" ||
	fail "rbldnsd does not listen: $(cat "$WORK/rbldnsd.log")"

# Exim as Debian runs it (log_selector, the DNSBL message of Debian's stock ACL), with a
# config of our own: -C keeps root only for a root-owned file.
E=$WORK/exim
mkdir -p "$E/log" "$E/spool" "$E/mail"
chown Debian-exim:Debian-exim "$E/log" "$E/spool" "$E/mail"
cat >"$E/exim.conf" <<EOF
exim_path = $EXIM
primary_hostname = mx.example.org
local_interfaces = <; [$SRV4]:25 ; [$SRV6]:25
log_file_path = $E/log/%slog
spool_directory = $E/spool
log_selector = +smtp_protocol_error +smtp_syntax_error +tls_certificate_verified +tls_peerdn
# Exim 4.96 takes early input as pipelining (PIPECONNECT) unless told not to.
pipelining_connect_advertise_hosts = :
keep_environment =
# The injector may send any HELO, spaces and all, as a site with junk HELOs allowed would
# let it: so the HELO injections below reach the log.
helo_accept_junk_hosts = <; $INJ4 ; $INJ6
domainlist local_domains = example.org
acl_smtp_connect = acl_connect
acl_smtp_rcpt = acl_rcpt

begin acl
acl_connect:
  deny dnslists = $CBL
       message = \$sender_host_address is listed at \$dnslist_domain (\$dnslist_value: \$dnslist_text)
  accept
acl_rcpt:
  deny recipients = $TRAP
       message = spamtrap
  deny dnslists = $DNSBL
       message = \$sender_host_address is listed at \$dnslist_domain (\$dnslist_value: \$dnslist_text)
  require verify = recipient
  accept domains = +local_domains

begin routers
inbox:
  driver = accept
  domains = +local_domains
  local_parts = inbox
  transport = local_file

begin transports
local_file:
  driver = appendfile
  file = $E/mail/\$local_part_data
  user = Debian-exim
EOF
chmod 644 "$E/exim.conf"
ip netns exec "$NS_SRV" "$EXIM" -C "$E/exim.conf" -bdf -q30m >"$WORK/exim.out" 2>&1 &
EXIM_PID=$!
wait_until 15 sh -c "ip netns exec $NS_SRV ss -tlnH | grep -q '$SRV4:25'" ||
	fail "Exim does not listen: $(cat "$WORK/exim.out" "$E/log/paniclog" 2>/dev/null)"
ruleset_setup
daemon_start

# exim_mail SRC TAG [swaks ARGS...]: one message through Exim from SRC.
exim_mail() {
	local src=$1 tag=$2 dst=$SRV4
	shift 2
	case $src in *:*) dst=$SRV6 ;; esac
	in_cli swaks --server "$dst" --port 25 --local-interface "$src" --timeout 10 \
		--from sender@example.net --to inbox@example.org --helo client.example.net \
		--header "Subject: exim test $tag" --body "test $tag" "$@" >"$WORK/swaks-$tag.log" 2>&1
}
mainlog_has() {
	grep -qF -- "$1" "$E/log/mainlog" 2>/dev/null
}

# 1. Exim's verdicts, from real clients.
exim_mail $CLEAN4 clean || fail "clean sender refused: $(tail -n 5 "$WORK/swaks-clean.log")"
wait_until 20 grep -q "^Subject: exim test clean" "$E/mail/inbox" || fail "clean mail not delivered"
exim_mail $SPAM4 spam && fail "listed $SPAM4 was accepted"
wait_until 10 mainlog_has "[$SPAM4] F=<sender@example.net> rejected RCPT <inbox@example.org>: $SPAM4 is listed at $DNSBL" ||
	fail "no DNSBL reject of $SPAM4 in the mainlog"
exim_mail $SPAM6 spam6 && fail "listed $SPAM6 was accepted"
wait_until 10 mainlog_has "H=[$SPAM6] rejected connection in \"connect\" ACL: $SPAM6 is listed at $CBL" ||
	fail "no connect-ACL reject of $SPAM6"
exim_mail $TRAP4 trap --to $TRAP && fail "the trap accepted mail"
wait_until 10 mainlog_has "[$TRAP4] F=<sender@example.net> rejected RCPT <$TRAP>: spamtrap" || fail "no trap reject"
ip netns exec "$NS_CLI" "$PY" - $PREG4 $SRV4 <<'PY' || true
import socket, sys
s = socket.create_connection((sys.argv[2], 25), timeout=10, source_address=(sys.argv[1], 0))
s.sendall(b"EHLO early.example\r\n")
try:
    s.recv(512)
finally:
    s.close()
PY
wait_until 10 mainlog_has "(input sent without waiting for greeting): rejected connection from H=[$PREG4]" ||
	fail "no pregreet line for $PREG4"

# 2. Injections: the victim's address and the injector's own, with Exim's reject forms,
# through HELO, MAIL FROM and RCPT TO. None of these clients is listed.
FORM4="$VICTIM4 is listed at $DNSBL (127.0.0.2: x)"
exim_mail $INJ4 inj-helo --helo "x) [$VICTIM4] rejected connection in \"connect\" ACL: $FORM4" --to nobody@example.org || true
exim_mail $INJ4 inj-helo3 --helo "x) [$VICTIM4] F=<a@b.example> rejected RCPT <inbox@example.org>: $VICTIM4 is listed at $DNSBL (127.0.0.2: y" --to nobody@example.org || true
exim_mail $INJ4 inj-helo2 --helo "[$VICTIM4]" --to "nobody@example.org" || true
exim_mail $INJ4 inj-from --from "\"$FORM4\"@x.example" --to "nobody@example.org" || true
exim_mail $INJ4 inj-from2 --from "\"x> rejected RCPT <inbox@example.org>: $INJ4 is listed at $DNSBL (\"@x.example" --to nobody@example.org || true
exim_mail $INJ4 inj-rcpt --to "\"x>: $INJ4 is listed at $DNSBL (127.0.0.2: \"@example.org" || true
exim_mail $INJ4 inj-rcpt2 --to "\"$TRAP\"@example.org" || true
exim_mail $INJ6 inj-rcpt6 --to "\"x>: $INJ6 is listed at $DNSBL (127.0.0.2: \"@example.org" || true
exim_mail $INJ4 inj-ok --from "\"$VICTIM4 is listed at $DNSBL\"@x.example" || true
wait_until 10 mainlog_has "[$INJ6]" || fail "the IPv6 injection did not reach Exim"
# Exim wrote the junk HELOs as sent: the host field seems to name the victim.
mainlog_has "H=(x) [$VICTIM4] rejected connection in \"connect\" ACL: $VICTIM4 is listed at $DNSBL" ||
	fail "the HELO injection did not reach the log as sent"
mainlog_has "H=(x) [$VICTIM4] F=<a@b.example> rejected RCPT <inbox@example.org>: $VICTIM4 is listed at $DNSBL (127.0.0.2: y) [$INJ4]" ||
	fail "the second HELO injection did not reach the log as sent"
n_inj=$(grep -c "\[$INJ4\]\|\[$INJ6\]" "$E/log/mainlog" || true)
log "Exim logged $n_inj lines naming the injectors"
[ "$n_inj" -ge 6 ] || fail "the injections did not reach Exim's log"

# 3. One shot over the mainlog: exactly the listed, pregreeting and trap clients.
cat >"$WORK/sync.conf" <<CONF
[sync]
trap = $TRAP
trap_bantime = 30d
kernel_timeouts = no
CONF
in_srv "$SYNC" -c "$WORK/sync.conf" --state "$WORK/sync.state" --log "$E/log/mainlog" \
	>"$WORK/sync.out" 2>"$WORK/sync.log" || fail "sync failed: $(cat "$WORK/sync.log")"
log "$(grep ' sync ' "$WORK/sync.log")"
elems4=$(block_elements "$NS_SRV" 4)
elems6=$(block_elements "$NS_SRV" 6)
for a in $SPAM4 $TRAP4 $PREG4; do
	grep -qF "$a" <<<"$elems4" || fail "$a not banned: $elems4"
done
# An IPv6 offender is banned by its /64 (ban_prefix6): the set holds the prefix.
in_srv nft get element inet nftarpit blocknet6 "{ $SPAM6 }" >/dev/null 2>&1 ||
	fail "$SPAM6 not banned: $elems6"
for a in $INJ4 $VICTIM4 $CLEAN4; do
	grep -qF "$a" <<<"$elems4" && fail "$a banned by an injection: $elems4"
done
grep -qF "$INJ6" <<<"$elems6" && fail "$INJ6 banned by an injection"
grep -q "^ban $SPAM4 .*src=exim-dnsbl" "$WORK/sync.state" || fail "master list: $SPAM4 not exim-dnsbl"
grep -q "^ban $PREG4 .*src=exim-pregreet" "$WORK/sync.state" || fail "master list: $PREG4 not exim-pregreet"
grep -q "^ban $TRAP4 .*src=trap" "$WORK/sync.state" || fail "master list: $TRAP4 not trap"
# The trap's own ban time: 30 days, not the general day.
field_of() {
	awk -v a="$1" -v k="$2=" '$2 == a { for (i = 3; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$WORK/sync.state"
}
[ $(($(field_of $TRAP4 expires) - $(field_of $TRAP4 last))) -ge $((29 * 86400)) ] ||
	fail "trap ban is not 30 days: $(grep "$TRAP4" "$WORK/sync.state")"
[ $(($(field_of $SPAM4 expires) - $(field_of $SPAM4 last))) -le 86400 ] ||
	fail "DNSBL ban is not the general day: $(grep "$SPAM4" "$WORK/sync.state")"

# --test-pattern says the same about the same file, and bans nothing.
in_srv "$SYNC" -c "$WORK/sync.conf" --test-pattern "$E/log/mainlog" >"$WORK/test-pattern.out" 2>&1 ||
	fail "--test-pattern failed: $(cat "$WORK/test-pattern.out")"
for a in $SPAM4 $SPAM6 $TRAP4 $PREG4; do
	grep -q ": ban $a reason=" "$WORK/test-pattern.out" || fail "--test-pattern misses $a"
done
grep -q ": ban \($INJ4\|$VICTIM4\|$INJ6\) " "$WORK/test-pattern.out" && fail "--test-pattern bans an injector"
log "--test-pattern: $(tail -n 1 "$WORK/test-pattern.out")"

# An own pattern through the command line: refused at load with file:line, and used by
# --test-pattern over a syslog line of its program only.
cat >"$WORK/bad.conf" <<'CONF'
[sync]
pattern = noaddr smtpd 1h failed-command address=([0-9.]+)
pattern = broken smtpd 1h (?<addr>[0-9.
CONF
rc=0
"$SYNC" -c "$WORK/bad.conf" --test-pattern "$E/log/mainlog" >"$WORK/bad.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "a config with bad patterns exited $rc"
grep -q "bad.conf:2: .*no named group" "$WORK/bad.out" && grep -q "bad.conf:3: .*does not compile" "$WORK/bad.out" ||
	fail "bad patterns not named by file:line: $(cat "$WORK/bad.out")"
cat >"$WORK/own.conf" <<'CONF'
[sync]
pattern = authfail smtpd 2h ^[0-9a-f]{16} smtp failed-command address=(?<addr>[0-9a-fA-F.:]+) host=
CONF
printf '%s\n' \
	'Dec  2 05:00:00 mx smtpd[1]: 0123456789abcdef smtp failed-command address=203.0.113.5 host=x command="AUTH LOGIN"' \
	'Dec  2 05:00:00 mx logger: 0123456789abcdef smtp failed-command address=192.0.2.66 host=x command="AUTH LOGIN"' \
	>"$WORK/own.log"
"$SYNC" -c "$WORK/own.conf" --test-pattern "$WORK/own.log" >"$WORK/own.out" 2>&1 || fail "--test-pattern: $(cat "$WORK/own.out")"
grep -q "own.log:1: ban 203.0.113.5 reason=custom detail=authfail bantime=7200s" "$WORK/own.out" &&
	grep -q "pattern authfail program=smtpd matched=1" "$WORK/own.out" &&
	! grep -q 192.0.2.66 "$WORK/own.out" || fail "--test-pattern with an own pattern: $(cat "$WORK/own.out")"

# 4. The listed client's next try is tarpitted: no Exim banner, nothing in Exim's log.
n=$(grep -c "\[$SPAM4\]" "$E/log/mainlog" || true)
out=$(client --src $SPAM4 --dst $SRV4 --connect-timeout 3 --banner-wait 2)
case "$(json_get "$out" banner)" in *Exim*) fail "$SPAM4 still reaches Exim: $out" ;; esac
[ "$(json_get "$out" connected)" = true ] || fail "$SPAM4 not held by the tarpit: $out"
[ "$(grep -c "\[$SPAM4\]" "$E/log/mainlog" || true)" = "$n" ] || fail "Exim saw $SPAM4 again"
out=$(client --src $CLEAN4 --dst $SRV4 --connect-timeout 3 --banner-wait 5)
case "$(json_get "$out" banner)" in *Exim*) ;; *) fail "clean client does not reach Exim: $out" ;; esac

# 5. --follow over the rejectlog: a newly listed client is banned shortly after its reject.
ip netns exec "$NS_SRV" "$SYNC" -c "$WORK/sync.conf" --state "$WORK/follow.state" \
	--log "$E/log/rejectlog" --follow >"$WORK/follow.log" 2>&1 &
FOLLOW_PID=$!
wait_until 20 grep -q "follow started" "$WORK/follow.log" || fail "--follow did not start: $(cat "$WORK/follow.log")"
exim_mail $SPAM4B spamb && fail "listed $SPAM4B was accepted"
wait_until 20 in_blocklist "$NS_SRV" "$SPAM4B" ||
	fail "--follow did not ban $SPAM4B: $(tail -n 5 "$WORK/follow.log")"
kill -TERM $FOLLOW_PID
wait $FOLLOW_PID || fail "--follow exited $? on SIGTERM"
grep -q "ban src=$SPAM4B reason=exim-dnsbl" "$WORK/follow.log" || fail "--follow logged no ban of $SPAM4B"
grep -q "src=\($INJ4\|$VICTIM4\|$INJ6\)" "$WORK/follow.log" && fail "--follow acted on an injector"

# 6. Postfix with a spamtrap (README's two lines): the trap's client is banned; the trap's
# text elsewhere in another client's rejected RCPT bans no one.
exim_cleanup
daemon_stop
in_srv nft flush set inet nftarpit blockhost4
in_srv nft flush set inet nftarpit blocknet4
postfix_start
postconf -c "$POSTFIX_DIR/etc" -e \
	"smtpd_recipient_restrictions = check_recipient_access inline:{ { $TRAP = REJECT spamtrap } }, permit_mynetworks, reject_unauth_destination" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
in_srv postfix -c "$POSTFIX_DIR/etc" reload >/dev/null 2>&1
sleep 1
in_cli swaks --server $SRV4 --local-interface $TRAP4 --timeout 10 --from a@spam.example \
	--to $TRAP >"$WORK/swaks-ptrap.log" 2>&1 && fail "Postfix accepted mail to the trap"
in_cli swaks --server $SRV4 --local-interface $INJ4 --timeout 10 \
	--from "\"x to=<$TRAP>\"@spam.example" --to "\"$TRAP>: Recipient address rejected: \"@example.org" \
	>"$WORK/swaks-pinj.log" 2>&1 || true
in_cli swaks --server $SRV4 --local-interface $INJ4 --timeout 10 --from a@spam.example \
	--to "nobody@example.org" --helo "$TRAP" >"$WORK/swaks-pinj2.log" 2>&1 || true
in_cli swaks --server $SRV4 --local-interface $INJ4 --timeout 10 --from "$TRAP" \
	--to "nobody@example.org" >"$WORK/swaks-pinj3.log" 2>&1 || true
wait_until 10 grep -q "RCPT from [^ ]*\[$TRAP4\]:.* 5[0-9][0-9] 5.7.1 <$TRAP>: Recipient address rejected" "$WORK/maillog" ||
	fail "Postfix did not log the trap reject: $(grep NOQUEUE "$WORK/maillog" | tail -n 3)"
wait_until 10 grep -q "RCPT from [^ ]*\[$INJ4\].*Recipient address rejected.* from=<$TRAP> to=<nobody@example.org>" "$WORK/maillog" ||
	fail "Postfix did not reject the injector's recipient"
# Postfix writes the quoted recipient unquoted in its reply: the injector's line starts its
# reply exactly as a trap hit does, and only the to= field (read once) tells them apart.
grep -q "RCPT from [^ ]*\[$INJ4\]:.* 5[0-9][0-9] [0-9.]* <$TRAP>: Recipient address rejected: " "$WORK/maillog" ||
	fail "the injection did not give the ambiguous reply it tests: $(grep "\[$INJ4\]" "$WORK/maillog")"
in_srv "$SYNC" -c "$WORK/sync.conf" --state "$WORK/postfix.state" --log "$WORK/maillog" \
	>"$WORK/sync.out" 2>"$WORK/sync.log" || fail "sync failed: $(cat "$WORK/sync.log")"
log "$(grep ' sync ' "$WORK/sync.log")"
elems4=$(block_elements "$NS_SRV" 4)
grep -qF "$TRAP4" <<<"$elems4" || fail "Postfix trap hit $TRAP4 not banned: $elems4"
grep -qF "$INJ4" <<<"$elems4" && fail "the trap's text in $INJ4's rejected RCPT banned it"
grep -q "^ban $TRAP4 .*src=trap" "$WORK/postfix.state" || fail "master list: $TRAP4 not trap"
log "PASS"
