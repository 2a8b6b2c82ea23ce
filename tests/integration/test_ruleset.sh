#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nftarpitctl setup/teardown in fresh network namespaces: idempotent, keeps the lists, leaves
# other tables alone, refuses bad options; and nft/nftarpit.nft (the text path) and
# `nftarpitctl setup` (the netlink path) give the same kernel ruleset. No nftarpitd runs:
# setup's table is, with own = auto, an orphan on Linux 6.9+ (persistent, no owner) and
# unowned before; the text path is the include mode, unowned, so the two are compared with
# setup --own no (owned mode is test_own.sh's).
set -u -o pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
NFTARPIT_SRC=${NFTARPIT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NFTARPIT_BUILD=${NFTARPIT_BUILD:-$NFTARPIT_SRC/build}
CTL=$NFTARPIT_BUILD/tools/nftarpitctl
NFT_FILE=$NFTARPIT_SRC/nft/nftarpit.nft
NAME=test_ruleset
NS_PREFIX=nftarpit-rs-$$
NS_MADE=()
WORK=

log() {
	printf '%s: %s\n' "$NAME" "$*" >&2
}

fail() {
	log "FAIL: $*"
	exit 1
}

# A skip hides that nothing ran: in CI it is a failure.
skip() {
	if [ "${CI:-}" = true ]; then
		log "cannot run ($*) and CI=true: failing instead of skipping"
		exit 1
	fi
	log "SKIP: $*"
	exit 77
}

cleanup() {
	local ns
	for ns in "${NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# netns_add SUFFIX: a fresh namespace, removed on exit.
netns_add() {
	local ns=$NS_PREFIX-$1
	ip netns add "$ns" || return 1
	NS_MADE+=("$ns")
	ip -n "$ns" link set lo up
}

in_ns() {
	local ns=$NS_PREFIX-$1
	shift
	ip netns exec "$ns" "$@"
}

# ctl NS ARGS...: run nftarpitctl in NS; stderr to $WORK/err, exit status in $rc.
ctl() {
	local ns=$1
	shift
	in_ns "$ns" "$CTL" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
}

expect_rc() {
	[ "$rc" = "$1" ] || fail "$2: exit $rc, want $1; stderr: $(cat "$WORK/err")"
}

expect_err() {
	grep -qF -- "$1" "$WORK/err" || fail "stderr lacks \"$1\": $(cat "$WORK/err")"
}

# nft's stderr carries libxtables noise and an "iptables-nft" warning for xt expressions.
list_table() {
	in_ns "$1" nft list table "$2" 2>/dev/null
}

# Our table without stateful details: a timeout entry's "expires" counts down.
list_ours() {
	in_ns "$1" nft -s list table inet nftarpit 2>/dev/null
}

# Read whole and written in one go: piped straight into grep -q, nft could still be
# writing when grep exits, and its SIGPIPE failed the pipeline under pipefail (seen in
# the ASan run, on a loaded machine).
list_set() {
	local out
	out=$(in_ns "$1" nft list set inet nftarpit "$2" 2>/dev/null)
	printf '%s\n' "$out"
}

# Bytecode, with the handle numbers after "inet nftarpit <chain>" dropped.
bytecode() {
	in_ns "$1" nft --debug=netlink list table inet nftarpit 2>/dev/null |
		sed -E 's/^(inet nftarpit [a-z]+)( [0-9]+)+$/\1/'
}

[ "$(id -u)" = 0 ] || skip "not root"
command -v nft >/dev/null || skip "nft not installed"
[ -x "$CTL" ] || fail "$CTL not built"
WORK=$(mktemp -d) || fail "mktemp"
trap cleanup EXIT
netns_add main || skip "no network namespaces"

# What should setup choose? nft --check sends the batch without its end, as our probe does.
if in_ns main nft -c -f - >/dev/null 2>&1 <<'EOF'; then
table inet probe { chain c { type filter hook prerouting priority raw; queue to 25; }; }
EOF
	NATIVE=1
	WANT_VIA="via nft queue expression"
else
	NATIVE=0
	WANT_VIA="via xt NFQUEUE target (kernel lacks nft queue)"
fi
log "kernel has nft queue: $NATIVE"

# --- Other tables exist and must not change. ---
in_ns main nft -f - <<'EOF' || fail "loading the other tables"
table inet other {
	set friends {
		type ipv4_addr
		elements = { 192.0.2.10 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @friends tcp dport 22 counter accept
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "lo" masquerade
	}
}
EOF
list_table main "inet other" >"$WORK/other.before" || fail "listing inet other"
list_table main "ip nat" >"$WORK/nat.before" || fail "listing ip nat"

# --- First setup, defaults. ---
ctl main setup
expect_rc 0 "setup"
expect_err "installed table inet nftarpit: queue 25 $WANT_VIA, ports 25, fail-closed, mark 0x6e746172"
grep -qF 'elements = { 25 }' <<<"$(list_set main ports)" || fail "ports after first setup"
grep -q 'nftarpit-probe' <<<"$(in_ns main nft list tables)" && fail "the probe left a table behind"

# --- Lists filled by hand survive a re-setup with other ports. ---
in_ns main nft add element inet nftarpit blocknet4 '{ 198.51.100.0/24, 203.0.113.7 timeout 1h }' ||
	fail "adding to blocknet4"
in_ns main nft add element inet nftarpit blocknet6 '{ 2001:db8:bad::/48 }' || fail "blocknet6"
in_ns main nft add element inet nftarpit allowlist4 '{ 198.51.100.20 }' || fail "allowlist4"

ctl main setup --ports 587,25,465,2500-2599
expect_rc 0 "second setup"
expect_err "ports 25,465,587,2500-2599"
ctl main setup --ports 25,465,587,2500-2599
expect_rc 0 "third setup"
grep -qF 'elements = { 25, 465, 587, 2500-2599 }' <<<"$(list_set main ports)" ||
	fail "ports not updated: $(list_set main ports)"
grep -qF '198.51.100.0/24' <<<"$(list_set main blocknet4)" || fail "blocknet4 lost its range"
grep -qF '203.0.113.7 timeout 1h' <<<"$(list_set main blocknet4)" || fail "blocknet4 lost its timeout entry"
grep -qF '2001:db8:bad::/48' <<<"$(list_set main blocknet6)" || fail "blocknet6 lost its range"
grep -qF '198.51.100.20' <<<"$(list_set main allowlist4)" || fail "allowlist4 lost its entry"
n=$(list_table main "inet nftarpit" | grep -c '@block\(host\|net\)[46]')
# Per blocklist set (hosts and ranges of each family): the reverse-path drop, the fragment
# drop, the queue.
[ "$n" = 12 ] || fail "$n blocklist rules after three setups, want 12 (rules duplicated?)"
n=$(list_table main "inet nftarpit" | grep -c 'fib saddr . iif oif missing counter packets 0 bytes 0 drop')
[ "$n" = 4 ] || fail "$n reverse-path rules, want 4"
n=$(list_table main "inet nftarpit" | grep -c 'meta mark 0x6e746172 notrack')
[ "$n" = 1 ] || fail "$n output rules, want 1"

# --- Fail-open and a queue range: bypass, balanced by address (not by CPU), no notrack. ---
ctl main setup --fail-open --queue 30-33 --mark 0x1234
expect_rc 0 "fail-open setup"
expect_err "queue 30-33 by address $WANT_VIA"
list_table main "inet nftarpit" >"$WORK/failopen"
grep -q 'notrack queue' "$WORK/failopen" && fail "notrack with fail-open"
grep -qF 'meta mark 0x00001234 notrack' "$WORK/failopen" || fail "mark not updated"
if [ "$NATIVE" = 0 ]; then
	n=$(bytecode main | grep -c '\[ target name NFQUEUE rev 3 \]')
	[ "$n" = 4 ] || fail "$n xt NFQUEUE targets, want 4 (hosts and ranges of each family)"
	# nft shows the target through libxtables' translation when it can.
	if grep -q 'queue num' "$WORK/failopen"; then
		n=$(grep -c 'tcp dport @ports queue num 30-33 bypass$' "$WORK/failopen")
		[ "$n" = 4 ] || fail "xt queue rules: $(grep queue "$WORK/failopen")"
	fi
fi
grep -qF '198.51.100.0/24' <<<"$(list_set main blocknet4)" || fail "blocknet4 lost after fail-open setup"

# --- A refused setup is one aborted transaction: nothing changes. ---
if [ "$NATIVE" = 0 ]; then
	list_ours main >"$WORK/before-native"
	ctl main setup --queue-expr native --ports 110
	expect_rc 1 "setup --queue-expr native without nft queue"
	expect_err "rule 5 of chain prerouting: No such file or directory"
	expect_err "try --queue-expr xt"
	list_ours main | cmp -s - "$WORK/before-native" ||
		fail "a refused setup changed the ruleset"
fi
ctl main setup --queue-expr xt
expect_rc 0 "setup --queue-expr xt"
expect_err "via xt NFQUEUE target (--queue-expr xt)"

# --- Other tables untouched, byte for byte. ---
list_table main "inet other" | cmp - "$WORK/other.before" || fail "setup changed table inet other"
list_table main "ip nat" | cmp - "$WORK/nat.before" || fail "setup changed table ip nat"

# --- Bad options: exit 2, a message naming the input, nothing touched. ---
list_ours main >"$WORK/before-bad"
bad() {
	local want=$1
	shift
	ctl main "$@"
	expect_rc 2 "nftarpitctl $*"
	expect_err "$want"
}
bad 'bad --ports "25,x": port "x": invalid' setup --ports 25,x
bad 'bad --ports "0": port "0": too small' setup --ports 0
bad 'bad --ports "30-20": port "30-20": range is reversed' setup --ports 30-20
bad 'bad --ports "": empty element' setup --ports ''
bad 'bad --queue "28-25": range is reversed' setup --queue 28-25
bad 'bad --queue "0-64": more than 64 queues' setup --queue 0-64
bad 'bad --queue "65536": too large' print-ruleset --queue 65536
bad 'bad --mark "0": too small' setup --mark 0
bad 'bad --queue-expr "nfq": not auto, native or xt' setup --queue-expr nfq
bad 'unrecognized option' setup --bogus
bad 'unknown command "install"' install
bad 'teardown takes no options' teardown --ports 25
bad 'unexpected argument "extra"' setup extra
list_ours main | cmp -s - "$WORK/before-bad" || fail "a bad option changed the ruleset"

# --- Teardown removes our table only; twice is fine. ---
ctl main teardown
expect_rc 0 "teardown"
expect_err "removed table inet nftarpit"
in_ns main nft list table inet nftarpit >/dev/null 2>&1 && fail "table still there after teardown"
list_table main "inet other" | cmp - "$WORK/other.before" || fail "teardown changed table inet other"
list_table main "ip nat" | cmp - "$WORK/nat.before" || fail "teardown changed table ip nat"
ctl main teardown
expect_rc 0 "second teardown"
expect_err "table inet nftarpit is not there"

# --- Text path == netlink path. ---
# One namespace loads the nft text with nft -f, another runs setup; the kernel's rulesets are
# compared as nft lists them and as bytecode. Where the kernel lacks nft queue, nft -f cannot
# load a queue statement: the text is loaded without it, the queue statements are cut from
# both listings, and the xt target is checked on its own.
same_ruleset() {
	local tag=$1 text=$2
	shift 2
	netns_add "$tag-text" || fail "netns"
	netns_add "$tag-nl" || fail "netns"
	if [ "$NATIVE" = 1 ]; then
		in_ns "$tag-text" nft -f "$text" || fail "$tag: nft -f $text"
	else
		sed -E 's/ ?queue (flags [a-z,]+ )?to [0-9-]+$//' "$text" >"$WORK/$tag.noqueue.nft"
		grep -q 'queue \(to\|flags\)' "$WORK/$tag.noqueue.nft" && fail "$tag: queue left in text"
		in_ns "$tag-text" nft -f "$WORK/$tag.noqueue.nft" || fail "$tag: nft -f (no queue)"
	fi
	# Loading the text twice changes nothing, as setup twice changes nothing.
	list_table "$tag-text" "inet nftarpit" >"$WORK/$tag.once"
	if [ "$NATIVE" = 1 ]; then
		in_ns "$tag-text" nft -f "$text" || fail "$tag: nft -f again"
	else
		in_ns "$tag-text" nft -f "$WORK/$tag.noqueue.nft" || fail "$tag: nft -f again"
	fi
	list_table "$tag-text" "inet nftarpit" | cmp -s - "$WORK/$tag.once" ||
		fail "$tag: loading the text twice changed the ruleset"

	ctl "$tag-nl" setup --own no "$@"
	expect_rc 0 "$tag: setup --own no $*"

	list_table "$tag-text" "inet nftarpit" >"$WORK/$tag.text.list"
	list_table "$tag-nl" "inet nftarpit" >"$WORK/$tag.nl.list"
	bytecode "$tag-text" >"$WORK/$tag.text.bc"
	bytecode "$tag-nl" >"$WORK/$tag.nl.bc"
	if [ "$NATIVE" = 0 ]; then
		n=$(grep -c '\[ target name NFQUEUE rev 3 \]' "$WORK/$tag.nl.bc")
		[ "$n" = 4 ] || fail "$tag: $n xt NFQUEUE targets, want 4"
		for f in list bc; do
			sed -i -E -e 's/ queue num .*$//' -e '/\[ target name NFQUEUE rev 3 \]/d' \
				"$WORK/$tag.nl.$f"
		done
	fi
	[ -s "$WORK/$tag.text.list" ] || fail "$tag: empty listing"
	diff -u "$WORK/$tag.text.list" "$WORK/$tag.nl.list" >&2 ||
		fail "$tag: text and netlink listings differ"
	diff -u "$WORK/$tag.text.bc" "$WORK/$tag.nl.bc" >&2 ||
		fail "$tag: text and netlink bytecode differ"
	log "$tag: text and netlink paths give the same ruleset"
}

same_ruleset default "$NFT_FILE"
opts=(--ports 25,465,587,2500-2599,65000-65535 --queue 25-28 --mark 0x1)
"$CTL" print-ruleset "${opts[@]}" >"$WORK/custom.nft" || fail "print-ruleset"
same_ruleset custom "$WORK/custom.nft" "${opts[@]}"
opts=(--fail-open --ports 2525)
"$CTL" print-ruleset "${opts[@]}" >"$WORK/failopen.nft" || fail "print-ruleset"
same_ruleset failopen "$WORK/failopen.nft" "${opts[@]}"
# Without the reverse-path check (asymmetric routing): its rules are gone, nothing else.
opts=(--no-rpf)
"$CTL" print-ruleset "${opts[@]}" >"$WORK/norpf.nft" || fail "print-ruleset"
grep -q 'fib saddr' "$WORK/norpf.nft" && fail "--no-rpf kept the reverse-path rules"
same_ruleset norpf "$WORK/norpf.nft" "${opts[@]}"
n=$(list_table norpf-nl "inet nftarpit" | grep -c '@block\(host\|net\)[46]')
[ "$n" = 8 ] || fail "--no-rpf: $n blocklist rules, want 8"

log "PASS"
