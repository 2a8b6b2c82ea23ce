#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /etc/nftarpit/nftarpit.conf: every program rejects a bad file before doing anything,
# naming file, line and key; the commented example documents every key that the code
# accepts (and the man page too), and with every key uncommented, each program accepts it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkg_init

B=$NFTARPIT_BUILD
S=$NFTARPIT_SRC
D=$B/daemon/nftarpitd
C=$B/tools/nftarpitctl
Y=$B/tools/nftarpit-sync
EX=$S/doc/nftarpit.conf
# Without privileges and without capabilities: a program that got past its config can
# change nothing on this machine (no netlink, no raw sockets, no writes as nobody).
nopriv() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs "$@"
}
cp "$EX" "$PKG_TMP/example.conf"
chmod 644 "$PKG_TMP/example.conf"
chmod 755 "$PKG_TMP"

# 1. A bad file: each program reports each of its bad lines as file:line: key = value:
# reason, ignores the other programs' sections, and exits with its config status.
bad=$PKG_TMP/bad.conf
cat >"$bad" <<'EOF'
[ruleset]
queue = 25
ports = 25,smtp
mark = 0
colour = blue
[daemon]
syn_window = 5
reply_rate_per_prefix = lots
smtp_greeting = shout
[sync]
bantime = 1d
dnsbl_threshold = 0
allow_limit4 = 33
[firewall]
policy = drop
EOF
chmod 644 "$bad"
expect() {
	local prog=$1 want_rc=$2 log=$3 rc=0
	shift 3
	nopriv "$prog" "$@" >"$log" 2>&1 || rc=$?
	[ $rc -eq "$want_rc" ] || { cat "$log" >&2; pkg_fail "$(basename "$prog"): exit $rc, expected $want_rc"; }
}
has() {
	grep -qF -- "$2" "$1" || { cat "$1" >&2; pkg_fail "no line \"$2\" in $(basename "$1")"; }
}
expect "$C" 2 "$PKG_TMP/ctl.log" setup -c "$bad"
has "$PKG_TMP/ctl.log" "$bad:3: ports = 25,smtp: port \"smtp\": invalid"
has "$PKG_TMP/ctl.log" "$bad:4: mark = 0: too small"
has "$PKG_TMP/ctl.log" "$bad:5: colour = blue: unknown key"
has "$PKG_TMP/ctl.log" "$bad:15: unknown section [firewall]"
has "$PKG_TMP/ctl.log" "config $bad: 4 errors"
expect "$D" 1 "$PKG_TMP/daemon.log" -f -c "$bad" -s "$PKG_TMP/never.sock"
has "$PKG_TMP/daemon.log" "$bad:8: reply_rate_per_prefix = lots: invalid"
has "$PKG_TMP/daemon.log" "$bad:9: smtp_greeting = shout: not whole or drip"
has "$PKG_TMP/daemon.log" "$bad:15: unknown section [firewall]"
expect "$Y" 1 "$PKG_TMP/sync.log" -c "$bad" --state "$PKG_TMP/never.state"
has "$PKG_TMP/sync.log" "$bad:12: dnsbl_threshold = 0: too small"
has "$PKG_TMP/sync.log" "$bad:13: allow_limit4 = 33: too large"
has "$PKG_TMP/sync.log" "$bad:15: unknown section [firewall]"
# Each program stopped at its config: no other line than the config's.
for l in ctl daemon sync; do
	other=$(grep -v -e "$bad" "$PKG_TMP/$l.log" || true)
	[ -z "$other" ] || pkg_fail "$l went on past its bad config: $other"
done
[ ! -e "$PKG_TMP/never.sock" ] && [ ! -e "$PKG_TMP/never.state" ] || pkg_fail "a program acted on a bad config"
# A syntax error (no '=') is named too.
printf '[daemon]\nsyn_window 5\n' >"$PKG_TMP/syntax.conf"
expect "$D" 1 "$PKG_TMP/syntax.log" -f -c "$PKG_TMP/syntax.conf"
has "$PKG_TMP/syntax.log" "$PKG_TMP/syntax.conf:2: syntax error"
pkg_log "bad config rejected by all three: $(head -1 "$PKG_TMP/daemon.log")"

# 2. Every key the code accepts is in the example (commented, with its default) and in
# nftarpit.conf(5); every key in the example is one the code accepts.
code_keys() {
	grep -oE 'strcmp\(key, "[a-z0-9_]+"\)' "$@" | sed -E 's/.*"(.*)".*/\1/' | sort -u
}
section_keys() {
	awk -v s="[$1]" '/^\[/ { in_s = ($0 == s); next } in_s' "$EX" |
		sed -nE 's/^#?([a-z0-9_]+) =.*/\1/p' | sort -u
}
for pair in daemon:daemon/conf.c sync:tools/core/sync_conf.c ruleset:tools/ctl/setup.c \
	crowdsec:tools/core/crowdsec.c; do
	sec=${pair%%:*}
	want=$(code_keys "$S/${pair#*:}")
	[ -n "$want" ] || pkg_fail "no keys found in ${pair#*:}"
	got=$(section_keys "$sec")
	if [ "$want" != "$got" ]; then
		diff <(echo "$want") <(echo "$got") >&2 || true
		pkg_fail "[$sec]: keys in the code (<) and in doc/nftarpit.conf (>) differ; each key" \
			"goes into doc/nftarpit.conf (commented out, with its default) and nftarpit.conf.5.scd"
	fi
	for k in $want; do
		grep -q "^\*$k\* = " "$S/doc/nftarpit.conf.5.scd" || grep -q ", \*$k\* = " "$S/doc/nftarpit.conf.5.scd" ||
			pkg_fail "[$sec] $k is not documented in nftarpit.conf(5)"
	done
	pkg_log "[$sec]: $(echo "$want" | wc -l) keys, all in the example and the man page"
done

# 3. The example as shipped (all commented) is accepted, and with every key uncommented
# too: nothing in it is refused by the program it is meant for.
sed -E 's/^#([a-z0-9_]+) =/\1 =/' "$EX" >"$PKG_TMP/all.conf"
chmod 644 "$PKG_TMP/all.conf"
for f in "$PKG_TMP/example.conf" "$PKG_TMP/all.conf"; do
	nopriv "$C" print-ruleset -c "$f" >"$PKG_TMP/ruleset.nft" 2>"$PKG_TMP/c.log" ||
		{ cat "$PKG_TMP/c.log" >&2; pkg_fail "nftarpitctl refused $(basename "$f")"; }
	# The daemon gets past its config and stops at the cookie key file or the reply
	# sockets (nobody may write neither /var/lib/nftarpitd nor open raw sockets).
	rc=0
	nopriv "$D" -f -c "$f" -s "$PKG_TMP/d.sock" >"$PKG_TMP/d.log" 2>&1 || rc=$?
	grep -q -e "$f:" -e "error(s)" "$PKG_TMP/d.log" &&
		{ cat "$PKG_TMP/d.log" >&2; pkg_fail "nftarpitd refused $(basename "$f")"; }
	grep -q -e "cannot open the reply sockets" -e "cookie key file" "$PKG_TMP/d.log" ||
		{ cat "$PKG_TMP/d.log" >&2; pkg_fail "nftarpitd: unexpected end with $(basename "$f")"; }
	# The sync gets past its config and stops at the lists or the kernel.
	nopriv "$Y" -c "$f" --state "$PKG_TMP/s.state" --dry-run >"$PKG_TMP/s.log" 2>&1 || true
	grep -q "$f:" "$PKG_TMP/s.log" && { cat "$PKG_TMP/s.log" >&2; pkg_fail "nftarpit-sync refused $(basename "$f")"; }
done
cmp -s "$PKG_TMP/ruleset.nft" "$S/nft/nftarpit.nft" ||
	pkg_fail "the example's [ruleset] defaults differ from nft/nftarpit.nft"
pkg_log "the example, as shipped and with every key uncommented, is accepted by all three"
pkg_log PASS
