# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the integration scenarios and the demo: namespaces, a real Postfix,
# the ruleset, nftarpitd, clients, and a cleanup that undoes all of it. Source it from bash.
#
# Topology, built in fresh namespaces named with this shell's pid:
#
#   server netns                              client netns
#   192.0.2.1/24  2001:db8::1/64  ---veth---  192.0.2.2/24  2001:db8::2/64
#   Postfix :25, nftarpit ruleset,            spammer      198.51.100.10  2001:db8:bad::10
#   nftarpitd, table inet host (conntrack)    allowlisted  198.51.100.20  2001:db8:bad::20
#                                             clean        203.0.113.10   2001:db8:600d::10
#
# Only documentation addresses are used and nothing is ever sent outside the two
# namespaces: the server resolves through /etc/netns/NS/resolv.conf pointing at its own
# loopback, where nothing listens.

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

NFTARPIT_SRC=${NFTARPIT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NFTARPIT_BUILD=${NFTARPIT_BUILD:-$NFTARPIT_SRC/build}
NFTARPITD=${NFTARPITD:-$NFTARPIT_BUILD/daemon/nftarpitd}
NFTARPITCTL=${NFTARPITCTL:-$NFTARPIT_BUILD/tools/nftarpitctl}
CLIENT_PY=$NFTARPIT_SRC/tests/integration/client.py
LISTS_TEXT_PY=$NFTARPIT_SRC/tests/integration/lists_text.py
# Debian's python packages are importable only from this interpreter.
PY=/usr/bin/python3

NS_SRV=nftarpit-srv-$$
NS_CLI=nftarpit-cli-$$
QUEUE=25

SRV4=192.0.2.1
SRV6=2001:db8::1
CLI4=192.0.2.2
CLI6=2001:db8::2
SPAM4=198.51.100.10
SPAM6=2001:db8:bad::10
ALLOW4=198.51.100.20
ALLOW6=2001:db8:bad::20
CLEAN4=203.0.113.10
CLEAN6=2001:db8:600d::10
BLOCK4=198.51.100.0/24
BLOCK6=2001:db8:bad::/48

MAIL_DOMAIN=example.org
MAIL_RCPT=postmaster@$MAIL_DOMAIN

WORK=
DAEMON_PID=
POSTFIX_DIR=
NS_MADE=()
ETC_NETNS_MADE=
LIB_NAME=$(basename "$0" .sh)

log() {
	printf '%s: %s\n' "$LIB_NAME" "$*" >&2
}

fail() {
	log "FAIL: $*"
	exit 1
}

# Missing root or namespaces is a skip for a developer, but a failure in CI, where a
# skip would hide that nothing ran.
skip() {
	if [ "${CI:-}" = true ]; then
		log "cannot run ($*) and CI=true: failing instead of skipping"
		exit 1
	fi
	log "SKIP: $*"
	exit 77
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

in_srv() {
	ip netns exec "$NS_SRV" "$@"
}

# list_sets_text: the list sets of table inet nftarpit in the server namespace, as the text
# of lists_text.py ("NAME:" then its sorted elements), one `nft -j list set` each.
LIST_SETS="blockhost4 blocknet4 blockhost6 blocknet6 allowlist4 allowlist6"
list_sets_text() {
	# shellcheck disable=SC2016
	in_srv sh -c 'for s in $1; do nft -j list set inet nftarpit $s; done' sets "$LIST_SETS" |
		"$PY" "$LISTS_TEXT_PY"
}

in_cli() {
	ip netns exec "$NS_CLI" "$@"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v ip >/dev/null || skip "needs iproute2"
	local probe=nftarpit-probe-$$
	ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "$probe"
}

require_prog() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || command -v "$p" >/dev/null || fail "missing $p (build it, or run ./quickstart test)"
	done
}

# On failure, show what the daemon and Postfix said: meson prints it with
# --print-errorlogs, and it is most of what one needs to debug a scenario.
dump_logs() {
	local f
	for f in "$WORK/nftarpitd.log" "$WORK/maillog"; do
		if [ -s "$f" ]; then
			log "---- tail of $f"
			tail -n 40 "$f" >&2
		fi
	done
}

cleanup() {
	local rc=$? ns pids
	trap - EXIT INT TERM
	# Undo everything even when a step fails: no errexit from here on.
	set +e
	if [ $rc -ne 0 ] && [ -n "$WORK" ]; then
		dump_logs
	fi
	daemon_stop
	postfix_stop
	# Forget the remaining background jobs (clients, tcpdump): bash would report each
	# one killed below.
	disown -a
	{
		for ns in "${NS_MADE[@]}"; do
			# Whatever still runs in our namespaces was started by this script.
			pids=$(ip netns pids "$ns" || true)
			if [ -n "$pids" ]; then
				kill -KILL $pids || true
			fi
			ip netns del "$ns" || true
			rm -rf "/etc/netns/$ns"
		done
	} 2>/dev/null
	if [ -n "$ETC_NETNS_MADE" ]; then
		rmdir /etc/netns 2>/dev/null || true
	fi
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
	exit $rc
}

lib_init() {
	require_root
	require_prog nft conntrack ss socat swaks tcpdump ethtool postfix "$PY"
	WORK=$(mktemp -d /tmp/nftarpit-test.XXXXXX)
	# Postfix's unprivileged daemons must reach their queue and the mailbox under it.
	chmod 755 "$WORK"
	trap cleanup EXIT
	if [ ! -d /etc/netns ]; then
		ETC_NETNS_MADE=1
	fi
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

netns_add() {
	ip netns add "$1"
	NS_MADE+=("$1")
	# Nothing resolves outside: names are looked up at the namespace's own loopback.
	mkdir -p "/etc/netns/$1"
	echo "nameserver 127.0.0.1" >"/etc/netns/$1/resolv.conf"
	ip -n "$1" link set lo up
	# Addresses usable at once: no duplicate address detection delay.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

topo_up() {
	netns_add "$NS_SRV"
	netns_add "$NS_CLI"
	ip -n "$NS_SRV" link add veth0 type veth peer name veth0 netns "$NS_CLI"

	ip -n "$NS_SRV" addr add $SRV4/24 dev veth0
	ip -n "$NS_SRV" addr add $SRV6/64 dev veth0 nodad
	ip -n "$NS_SRV" link set veth0 up
	ip -n "$NS_SRV" route add 198.51.100.0/24 via $CLI4
	ip -n "$NS_SRV" route add 203.0.113.0/24 via $CLI4
	ip -n "$NS_SRV" route add 2001:db8:bad::/48 via $CLI6
	ip -n "$NS_SRV" route add 2001:db8:600d::/48 via $CLI6

	ip -n "$NS_CLI" addr add $CLI4/24 dev veth0
	ip -n "$NS_CLI" addr add $CLI6/64 dev veth0 nodad
	local a
	for a in $SPAM4 $ALLOW4 $CLEAN4; do
		ip -n "$NS_CLI" addr add "$a/32" dev veth0
	done
	for a in $SPAM6 $ALLOW6 $CLEAN6; do
		ip -n "$NS_CLI" addr add "$a/128" dev veth0 nodad
	done
	ip -n "$NS_CLI" link set veth0 up
	# A packet from a real network arrives with a full checksum; veth would otherwise
	# hand the server CHECKSUM_PARTIAL packets whose TCP checksum is not filled in yet.
	in_cli ethtool -K veth0 tx off >/dev/null

	# A host firewall as on a real server. It also turns conntrack on in this namespace,
	# so "no conntrack entry for tarpitted flows" is a real assertion.
	in_srv nft -f - <<-'EOF'
	table inet host {
		chain input {
			type filter hook input priority filter; policy accept;
			ct state established,related accept
		}
	}
	EOF
}

# postfix_start: a Postfix instance of our own in the server namespace, listening on
# port 25 (IPv4 and IPv6), logging to $WORK/maillog and delivering mail for
# $MAIL_DOMAIN into the mbox file $WORK/mail/postmaster.
postfix_start() {
	POSTFIX_DIR=$WORK/postfix
	mkdir -p "$POSTFIX_DIR/etc" "$POSTFIX_DIR/spool" "$POSTFIX_DIR/data" "$WORK/mail"
	chown postfix: "$POSTFIX_DIR/data"
	chown nobody:nogroup "$WORK/mail"
	cat >"$POSTFIX_DIR/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $POSTFIX_DIR/spool
	data_directory = $POSTFIX_DIR/data
	maillog_file = $WORK/maillog
	maillog_file_prefixes = $WORK
	myhostname = mx.$MAIL_DOMAIN
	mydomain = $MAIL_DOMAIN
	mydestination =
	inet_interfaces = all
	inet_protocols = all
	mynetworks = 127.0.0.0/8 [::1]/128
	smtpd_banner = \$myhostname ESMTP Postfix (nftarpit test)
	# No DNS at all: the namespace has no resolver and must send nothing outside.
	smtpd_peername_lookup = no
	smtp_dns_support_level = disabled
	biff = no
	virtual_mailbox_domains = $MAIL_DOMAIN
	virtual_mailbox_base = $WORK/mail
	virtual_mailbox_maps = inline:{ $MAIL_RCPT=postmaster }
	virtual_uid_maps = static:$(id -u nobody)
	virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
	EOF
	# Debian's services are chrooted by default; ours read no resolver files, but the
	# chroot would need a copy of them, so the chroot column is set to n everywhere.
	awk '/^[a-z]/ && NF >= 8 { $5 = "n" } { print }' /etc/postfix/master.cf.proto \
		>"$POSTFIX_DIR/etc/master.cf"
	postfix -c "$POSTFIX_DIR/etc" set-permissions >/dev/null 2>&1 || true
	in_srv postfix -c "$POSTFIX_DIR/etc" start >"$WORK/postfix-start.log" 2>&1 ||
		{ cat "$WORK/postfix-start.log" >&2; fail "postfix did not start"; }
	wait_until 10 listening_on "$NS_SRV" 25 || fail "postfix does not listen on port 25"
}

# relay_postfix_start NS DIR [main.cf lines...]: a second Postfix in namespace NS, the
# sending side: it takes submissions on 127.0.0.1:25 and sends them on as the extra
# main.cf lines say (relayhost, transport_maps, smtp_bind_address, timeouts), logging to
# $WORK/relaylog. cleanup() ends it with the namespace.
relay_postfix_start() {
	local ns=$1 dir=$2
	shift 2
	mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
	chown postfix: "$dir/data"
	{
		cat <<-RELAYCF
		compatibility_level = 3.6
		queue_directory = $dir/spool
		data_directory = $dir/data
		maillog_file = $WORK/relaylog
		maillog_file_prefixes = $WORK
		myhostname = relay.example.net
		mydestination =
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		smtp_dns_support_level = disabled
		smtp_tls_security_level = none
		RELAYCF
		printf '%s\n' "$@"
	} >"$dir/etc/main.cf"
	awk '/^[a-z]/ && NF >= 8 { $5 = "n" } { print }' /etc/postfix/master.cf.proto \
		>"$dir/etc/master.cf"
	postfix -c "$dir/etc" set-permissions >/dev/null 2>&1 || true
	ip netns exec "$ns" postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 ||
		{ cat "$dir/start.log" >&2; fail "the relay Postfix in $ns did not start"; }
	wait_until 10 sh -c "ip netns exec $ns ss -tlnH | grep -q 127.0.0.1:25" ||
		fail "the relay Postfix in $ns does not listen"
}

postfix_stop() {
	local i pid=
	if [ -z "$POSTFIX_DIR" ] || [ ! -d "$POSTFIX_DIR/etc" ]; then
		return 0
	fi
	if [ -r "$POSTFIX_DIR/spool/pid/master.pid" ]; then
		pid=$(tr -dc 0-9 <"$POSTFIX_DIR/spool/pid/master.pid")
	fi
	in_srv postfix -c "$POSTFIX_DIR/etc" stop >/dev/null 2>&1 || true
	# The master leaves its pid file behind; wait for the process itself.
	for ((i = 0; i < 50; i++)); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	POSTFIX_DIR=
}

# listening_on NS PORT: a TCP listener on PORT for both IPv4 and IPv6.
listening_on() {
	local out
	out=$(ip netns exec "$1" ss -tlnH "sport = :$2")
	grep -q '0.0.0.0:' <<<"$out" && grep -q '\[::\]:' <<<"$out"
}

# ruleset_setup ARGS...: nftarpitctl setup in the server namespace, then the lists.
# Its one line of output goes to $WORK/nftarpitctl.log and to the log.
ruleset_setup() {
	in_srv "$NFTARPITCTL" setup "$@" >"$WORK/nftarpitctl.log" 2>&1 ||
		{ cat "$WORK/nftarpitctl.log" >&2; fail "nftarpitctl setup $* failed"; }
	log "$(cat "$WORK/nftarpitctl.log")"
}

ruleset_teardown() {
	in_srv "$NFTARPITCTL" teardown >"$WORK/nftarpitctl.log" 2>&1 ||
		{ cat "$WORK/nftarpitctl.log" >&2; fail "nftarpitctl teardown failed"; }
	log "$(cat "$WORK/nftarpitctl.log")"
}

lists_fill() {
	in_srv nft add element inet nftarpit blocknet4 "{ $BLOCK4 }"
	in_srv nft add element inet nftarpit blocknet6 "{ $BLOCK6 }"
	in_srv nft add element inet nftarpit allowlist4 "{ $ALLOW4 }"
	in_srv nft add element inet nftarpit allowlist6 "{ $ALLOW6 }"
}

queue_bound() {
	in_srv awk -v q="$QUEUE" '$1 == q { found = 1 } END { exit !found }' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

# daemon_start ARGS...: nftarpitd in the foreground of a background job, in the server
# namespace; ready once its queue is bound.
daemon_start() {
	CTL_SOCK=$WORK/nftarpitd.sock
	# ip netns exec execs the daemon, so $! is the daemon's own pid.
	ip netns exec "$NS_SRV" "$NFTARPITD" -f -v -q "$QUEUE" -s "$CTL_SOCK" "$@" \
		>>"$WORK/nftarpitd.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_until 5 queue_bound; then
		fail "nftarpitd did not bind queue $QUEUE within 5 s"
	fi
	wait_until 5 test -S "$CTL_SOCK" || fail "nftarpitd control socket $CTL_SOCK missing"
}

daemon_stop() {
	local i
	if [ -z "$DAEMON_PID" ]; then
		return 0
	fi
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		log "nftarpitd pid $DAEMON_PID ignored SIGTERM for 5 s, killing it"
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	DAEMON_RC=0
	wait "$DAEMON_PID" 2>/dev/null || DAEMON_RC=$?
	DAEMON_PID=
	return 0
}

# ss_conn SRC DST: ss -tino for the connections from SRC to DST, as the client's kernel
# sees them, state first (IPv6 addresses go in brackets for ss's filter).
ss_conn() {
	local src=$1 dst=$2
	case $src in *:*) src="[$src]" ;; esac
	case $dst in *:*) dst="[$dst]" ;; esac
	in_cli ss -tinoH src "$src" dst "$dst"
}

# stats: the daemon's counters, key=value lines, through its control socket.
stats() {
	printf 'stats\n' | timeout 5 socat -t 3 - "UNIX-CONNECT:$CTL_SOCK"
}

# stat_get KEY: one counter, or empty when missing.
stat_get() {
	stats | awk -F= -v k="$1" '$1 == k { print $2 }'
}

# client ARGS...: client.py in the client namespace; prints one JSON object.
client() {
	in_cli "$PY" "$CLIENT_PY" "$@"
}

# client_bg OUT ARGS...: client.py in the background, its report to OUT; BG_PID is the
# client's own pid (ip netns exec execs it), so it can be killed or waited for directly.
client_bg() {
	local out=$1
	shift
	ip netns exec "$NS_CLI" "$PY" "$CLIENT_PY" "$@" >"$out" &
	BG_PID=$!
}

# flood_prepare: blocklist the benchmarking range the drills' SYN floods come from
# (bench/loadgen spoofs sources in it) and route the tarpit's replies back to the client
# namespace, which does not forward them: no RST comes back.
FLOOD=198.18.0.0/15
flood_prepare() {
	in_srv nft add element inet nftarpit blocknet4 "{ $FLOOD }"
	ip -n "$NS_SRV" route add $FLOOD via $CLI4
}

# real_banner JSON: did client.py's connection get Postfix's own banner? With SMTP
# holding on (the default), a tarpitted client gets nftarpitd's slow fake greeting
# instead, which must never be mistaken for the real server.
real_banner() {
	case "$(json_get "$1" banner)" in
	*"ESMTP Postfix"*) return 0 ;;
	*) return 1 ;;
	esac
}

# json_get JSON KEY: one field of client.py's answer, as Python prints it.
json_get() {
	"$PY" -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print(json.dumps(v) if isinstance(v, (bool, type(None))) else v)' "$1" "$2"
}

# send_mail SRC DST TAG: swaks from SRC to Postfix at DST; the subject carries TAG.
send_mail() {
	in_cli swaks --server "$2" --port 25 --local-interface "$1" --timeout 10 \
		--from "sender@example.net" --to "$MAIL_RCPT" --helo client.example.net \
		--header "Subject: nftarpit test $3" --body "test message $3" \
		>"$WORK/swaks-$3.log" 2>&1
}

mailbox_has() {
	grep -q "^Subject: nftarpit test $1\$" "$WORK/mail/postmaster" 2>/dev/null
}

# maillog_saw ADDR: did Postfix's smtpd log a connection from ADDR?
maillog_saw() {
	grep -q ": connect from [^ ]*\[$1\]" "$WORK/maillog" 2>/dev/null
}

# maillog_count ADDR: how many connections from ADDR Postfix's smtpd logged.
maillog_count() {
	grep -c ": connect from [^ ]*\[$1\]" "$WORK/maillog" 2>/dev/null || true
}

# conntrack_count ADDR: conntrack entries in the server namespace naming ADDR.
conntrack_count() {
	in_srv conntrack -L 2>/dev/null | grep -cF -- "=$1 " || true
}

# require_scapy: the tests that craft packets need python3-scapy (in quickstart's list).
require_scapy() {
	"$PY" -c 'import scapy' 2>/dev/null || fail "needs python3-scapy"
}

# block_elements NS 4|6: the elements of both blocklist sets of a family (blockhostN, single
# addresses; blocknetN, ranges), as set_elements prints them, sorted together.
block_elements() {
	{ set_elements "$1" "blockhost$2"; set_elements "$1" "blocknet$2"; } | sed '/^$/d' | sort
}

# in_blocklist NS ADDR|CIDR: whether the blocklist sets of ADDR's family hold it.
in_blocklist() {
	local f=4
	case $2 in *:*) f=6 ;; esac
	ip netns exec "$1" nft get element inet nftarpit "blockhost$f" "{ $2 }" >/dev/null 2>&1 ||
		ip netns exec "$1" nft get element inet nftarpit "blocknet$f" "{ $2 }" >/dev/null 2>&1
}

# offender_line ADDR: a Postfix DNSBL reject of ADDR as smtpd logs it, stamped now: one
# line nftarpit-sync bans ADDR for.
offender_line() {
	printf '%s mx postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; from=<a@example.net> to=<%s> proto=ESMTP helo=<x>\n' \
		"$(date '+%b %e %H:%M:%S')" "$1" "$1" "$MAIL_RCPT"
}

# loop_connect SRC DST STOPFILE: from the client namespace, connect from SRC to DST:25 over
# and over (0.1 s each attempt) until STOPFILE exists, then print {"tries", "reached"}:
# how many attempts got Postfix's banner. Run in the background: `loop_connect ... >F &`.
loop_connect() {
	ip netns exec "$NS_CLI" "$PY" -c '
import json, os, socket, sys, time
src, dst, stop = sys.argv[1], sys.argv[2], sys.argv[3]
tries = reached = 0
end = time.time() + 150
while not os.path.exists(stop) and time.time() < end:
    tries += 1
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
    s.settimeout(0.1)
    try:
        s.bind((src, 0))
        s.connect((dst, 25))
        if b"ESMTP Postfix" in s.recv(200):
            reached += 1
    except OSError:
        time.sleep(0.01)
    finally:
        s.close()
print(json.dumps({"tries": tries, "reached": reached}))' "$1" "$2" "$3"
}

# set_elements NS SET: the elements of set SET of table inet nftarpit in namespace NS, as
# addresses, prefixes or FIRST-LAST ranges, sorted, one per line, without their timeouts.
set_elements() {
	ip netns exec "$1" nft -j list set inet nftarpit "$2" | "$PY" -c '
import json, sys
out = []
for obj in json.load(sys.stdin)["nftables"]:
    for e in (obj.get("set") or {}).get("elem", []):
        if isinstance(e, dict) and "elem" in e:
            e = e["elem"]["val"]
        if isinstance(e, dict) and "prefix" in e:
            e = "%s/%d" % (e["prefix"]["addr"], e["prefix"]["len"])
        elif isinstance(e, dict) and "range" in e:
            e = "%s-%s" % tuple(e["range"])
        out.append(str(e))
print("\n".join(sorted(out)))'
}
