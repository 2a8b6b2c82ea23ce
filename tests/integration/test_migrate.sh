#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Migration from the layout before issue 16 (one interval set per family, blocklist4/6)
# to hosts and ranges sets (blockhost4/6, blocknet4/6), while blocklisted clients connect
# in a loop to a real Postfix: `nftarpitctl setup` deletes the old sets and fills the new
# ones in its one transaction, so not one connection reaches Postfix, while an allowlisted
# client inside the blocklisted range does all along (the loop is live).
#  1. With nftarpit-sync's files of the old layout (a snapshot by position): the sets are
#     restored from them, and the next sync run finds nothing to change.
#  2. Without any (setup --no-restore): the old sets' contents are read from the kernel and
#     laid out in the new sets.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
NFTARPIT_SYNC=${NFTARPIT_SYNC:-$NFTARPIT_BUILD/tools/nftarpit-sync}

lib_init
require_prog "$NFTARPITCTL" "$NFTARPIT_SYNC"
topo_up
HOST4=203.0.113.66 # blocklisted as a single address
ip -n "$NS_CLI" addr add "$HOST4/32" dev veth0
postfix_start
# The kernel's queue expression: the old ruleset's text can only use the native one; on a
# kernel without it the old rules drop instead (what the migration must keep is that the
# blocklisted never pass, and the old rules' verdict does not change that).
ruleset_setup
VERDICT="queue to 25"
grep -q "via xt" "$WORK/nftarpitctl.log" && VERDICT=drop
ruleset_teardown

# old_layout: table inet nftarpit as setup made it before issue 16, the lists in it.
old_layout() {
	in_srv nft -f - <<-NFT
	table inet nftarpit {
		set blocklist4 { type ipv4_addr; flags interval, timeout; }
		set blocklist6 { type ipv6_addr; flags interval, timeout; }
		set allowlist4 { type ipv4_addr; flags interval; }
		set allowlist6 { type ipv6_addr; flags interval; }
		set ports { type inet_service; flags interval; elements = { 25 } }
		chain prerouting {
			type filter hook prerouting priority raw; policy accept;
			meta nfproto ipv4 meta l4proto tcp fib daddr type local ip saddr @blocklist4 ip saddr != @allowlist4 tcp dport @ports $VERDICT
			meta nfproto ipv6 meta l4proto tcp fib daddr type local ip6 saddr @blocklist6 ip6 saddr != @allowlist6 tcp dport @ports $VERDICT
		}
	}
	add element inet nftarpit blocklist4 { 198.51.100.0-198.51.100.19, 198.51.100.21-198.51.100.255, $HOST4 timeout 1h }
	add element inet nftarpit blocklist6 { $BLOCK6 }
	add element inet nftarpit allowlist4 { $ALLOW4 }
	NFT
}

# migrate TAG SETUP-ARGS...: setup while the spammer (in the listed range), the single
# blocklisted address and the allowlisted client connect in loops.
migrate() {
	local tag=$1 n_spam n_host
	shift
	n_spam=$(maillog_count "$SPAM4")
	n_host=$(maillog_count "$HOST4")
	rm -f "$WORK/stop"
	loop_connect "$SPAM4" "$SRV4" "$WORK/stop" >"$WORK/$tag-spam.json" &
	local p1=$!
	loop_connect "$HOST4" "$SRV4" "$WORK/stop" >"$WORK/$tag-host.json" &
	local p2=$!
	loop_connect "$ALLOW4" "$SRV4" "$WORK/stop" >"$WORK/$tag-allow.json" &
	local p3=$!
	sleep 1
	in_srv "$NFTARPITCTL" setup "$@" >"$WORK/$tag-setup.log" 2>&1 ||
		{ touch "$WORK/stop"; fail "$tag: setup $*: $(cat "$WORK/$tag-setup.log")"; }
	sleep 1
	touch "$WORK/stop"
	wait $p1 $p2 $p3
	log "$tag: $(cat "$WORK/$tag-setup.log")"
	log "$tag: spammer $(cat "$WORK/$tag-spam.json"), host $(cat "$WORK/$tag-host.json"), allowlisted $(cat "$WORK/$tag-allow.json")"
	[ "$(json_get "$(cat "$WORK/$tag-spam.json")" reached)" = 0 ] || fail "$tag: the blocklisted range reached Postfix"
	[ "$(json_get "$(cat "$WORK/$tag-host.json")" reached)" = 0 ] || fail "$tag: the blocklisted address reached Postfix"
	[ "$(json_get "$(cat "$WORK/$tag-allow.json")" reached)" -gt 0 ] || fail "$tag: the allowlisted client never reached Postfix: the loop was not live"
	[ "$(maillog_count "$SPAM4")" = "$n_spam" ] && [ "$(maillog_count "$HOST4")" = "$n_host" ] ||
		fail "$tag: Postfix logged a connection from a blocklisted client"
	grep -q "migrated the blocklists to hosts and ranges sets: deleted blocklist4 blocklist6" "$WORK/$tag-setup.log" ||
		fail "$tag: setup did not say it migrated"
	in_srv nft list set inet nftarpit blocklist4 >/dev/null 2>&1 && fail "$tag: blocklist4 is still there"
	[ "$(set_elements "$NS_SRV" blockhost4)" = "$HOST4" ] || fail "$tag: blockhost4 holds [$(set_elements "$NS_SRV" blockhost4)]"
	[ "$(set_elements "$NS_SRV" blocknet4)" = "$(printf '198.51.100.0-198.51.100.19\n198.51.100.21-198.51.100.255')" ] ||
		fail "$tag: blocknet4 holds [$(set_elements "$NS_SRV" blocknet4)]"
	[ "$(set_elements "$NS_SRV" blocknet6)" = "$BLOCK6" ] || fail "$tag: blocknet6 holds [$(set_elements "$NS_SRV" blocknet6)]"
	[ "$(set_elements "$NS_SRV" allowlist4)" = "$ALLOW4" ] || fail "$tag: allowlist4 holds [$(set_elements "$NS_SRV" allowlist4)]"
}

# 1. nftarpit-sync's files of the old layout: its list and master list, and the snapshot
# of what it applied (format 1: the four sets by position, generation 0).
STATE=$WORK/sync.state
printf '198.51.100.0/24\n%s\n%s\n' "$HOST4" "$BLOCK6" >"$WORK/list.txt"
echo "$ALLOW4" >"$WORK/allow.txt"
"$PY" - "$STATE.applied" "$HOST4" <<'PY'
import ipaddress, struct, sys
def r(first, last, tag=0):
    a, b = int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
    return struct.pack("=5Q", a >> 64, a & (2**64 - 1), b >> 64, b & (2**64 - 1), tag)
sets = [
    [r("198.51.100.0", "198.51.100.19"), r("198.51.100.21", "198.51.100.255"),
     r(sys.argv[2], sys.argv[2])],
    [r("2001:db8:bad::", "2001:db8:bad:ffff:ffff:ffff:ffff:ffff")],
    [r("198.51.100.20", "198.51.100.20")],
    [],
]
with open(sys.argv[1], "wb") as f:
    f.write(b"nftarpit-sync-applied-1\n" + struct.pack("=II4Q", 0, 0, *map(len, sets)))
    for s in sets:
        f.write(b"".join(s))
PY
# The lists file the old sync wrote beside its master list, for nftarpit.nft's include.
printf 'flush set inet nftarpit blocklist4\nadd element inet nftarpit blocklist4 { 198.51.100.0/24 }\n' >"$WORK/lists.nft"
old_layout
migrate restore --state "$STATE"
grep -q "filled from $STATE in the same transaction" "$WORK/restore-setup.log" || fail "restore: not filled from the sync's files"
# Rewritten for the new sets: a firewall reload before the next sync run must not fail on it.
grep -q blocklist4 "$WORK/lists.nft" && fail "the lists file still names blocklist4: $(cat "$WORK/lists.nft")"
grep -q "^add element inet nftarpit blockhost4 { $HOST4 }" "$WORK/lists.nft" ||
	fail "the lists file lacks blockhost4: $(cat "$WORK/lists.nft")"
in_srv nft -c -f "$WORK/lists.nft" || fail "the rewritten lists file does not load"
# The next sync run: the snapshot setup wrote is the kernel's content, nothing changes.
in_srv "$NFTARPIT_SYNC" --state "$STATE" --list "$WORK/list.txt" --allow "$WORK/allow.txt" \
	>"$WORK/sync.log" 2>&1 || fail "sync after the migration: $(cat "$WORK/sync.log")"
log "$(grep ' sync ' "$WORK/sync.log")"
grep -q "kernel_read=snapshot added=0 removed=0 " "$WORK/sync.log" ||
	fail "the first sync after the migration changed something: $(cat "$WORK/sync.log")"

# 2. No files of the sync: what the old sets held.
ruleset_teardown
old_layout
migrate kernel --no-restore
grep -q "filled from their contents in the same transaction" "$WORK/kernel-setup.log" || fail "kernel: not filled from the old sets"
# And a setup of the migrated table is a plain one again.
ruleset_setup --no-restore
grep -q migrated "$WORK/nftarpitctl.log" && fail "a second setup migrated again"
log "PASS"
